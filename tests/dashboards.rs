//! The Grafana dashboards every golden holds (ConfigMaps labelled `grafana_dashboard: "1"`, the
//! label kube-prometheus-stack 77.13.0's Grafana sidecar loads): valid JSON with the fields
//! Grafana's provisioning needs, one per service with a unique, stable uid of at most 40
//! characters, every panel querying the provisioned `prometheus` datasource, and every query
//! valid PromQL by the real promtool (each written as a recording rule for `promtool check
//! rules`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value as Json;
use serde_yaml::Value;

/// Every dashboard of a golden: (golden, ConfigMap name, the dashboard's JSON).
fn dashboards() -> Vec<(String, String, Json)> {
    let mut out = Vec::new();
    let mut goldens: Vec<PathBuf> =
        std::fs::read_dir("golden").expect("golden/").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    goldens.sort();
    for golden in goldens {
        let Ok(entries) = std::fs::read_dir(golden.join("manifests")) else { continue };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
            let text = std::fs::read_to_string(file).expect("readable manifest");
            for document in serde_yaml::Deserializer::from_str(&text) {
                let value = Value::deserialize(document).expect("YAML");
                if value["kind"].as_str() != Some("ConfigMap")
                    || value["metadata"]["labels"]["grafana_dashboard"].as_str() != Some("1")
                {
                    continue;
                }
                let name = value["metadata"]["name"].as_str().expect("a name").to_string();
                let data = value["data"].as_mapping().expect("data");
                assert_eq!(data.len(), 1, "{name}: one dashboard per ConfigMap");
                for (key, json) in data {
                    let key = key.as_str().expect("a key");
                    assert!(key.ends_with(".json"), "{name}: the sidecar writes {key} as the dashboard's file");
                    let json: Json = serde_json::from_str(json.as_str().expect("text")).expect("valid JSON");
                    out.push((
                        golden.file_name().unwrap_or_default().to_string_lossy().into_owned(),
                        name.clone(),
                        json,
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_dashboard_has_what_grafana_needs() {
    let all = dashboards();
    assert!(all.len() >= 6, "only {} dashboards in the goldens", all.len());
    let mut uids = std::collections::BTreeSet::new();
    for (golden, name, dashboard) in &all {
        let at = format!("{golden}/{name}");
        assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()), "{at}: an empty title is refused");
        let uid = dashboard["uid"].as_str().expect("a uid");
        assert!((1..=40).contains(&uid.len()), "{at}: uid {uid:?} longer than Grafana's 40");
        assert!(uids.insert(format!("{golden}/{uid}")), "{at}: uid {uid} used twice");
        assert!(dashboard["schemaVersion"].as_u64().is_some(), "{at}: schemaVersion is an integer");
        let panels = dashboard["panels"].as_array().expect("panels");
        assert!(!panels.is_empty(), "{at}: no panels");
        let mut ids = std::collections::BTreeSet::new();
        for panel in panels {
            assert!(ids.insert(panel["id"].as_u64().expect("a panel id")), "{at}: a panel id twice");
            assert!(
                panel["type"].as_str().is_some() && panel["title"].as_str().is_some(),
                "{at}: panel type and title"
            );
            let grid = &panel["gridPos"];
            let width = grid["w"].as_u64().expect("gridPos.w");
            assert!((1..=24).contains(&width) && grid["h"].as_u64().is_some(), "{at}: gridPos {grid}");
            assert!(grid["x"].as_u64().expect("gridPos.x") + width <= 24, "{at}: a panel past the grid's 24 columns");
            for target in panel["targets"].as_array().expect("targets") {
                assert_eq!(target["datasource"]["uid"].as_str(), Some("prometheus"), "{at}: datasource");
                assert!(target["expr"].as_str().is_some_and(|e| !e.is_empty()), "{at}: an empty query");
            }
        }
    }
}

#[test]
fn every_dashboard_query_is_promql() {
    let mut rules = Vec::new();
    for (_, _, dashboard) in dashboards() {
        for panel in dashboard["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap_or_default();
                rules.push(format!(
                    "      - record: dashboard:query{}\n        expr: {}\n",
                    rules.len(),
                    serde_json::json!(expr)
                ));
            }
        }
    }
    assert!(!rules.is_empty());
    let dir = Path::new("target/promtool/dashboards");
    std::fs::create_dir_all(dir).expect("target/promtool is writable");
    std::fs::write(dir.join("rules.yaml"), format!("groups:\n  - name: dashboards\n    rules:\n{}", rules.concat()))
        .expect("write rules");
    let output = Command::new(deployc::testing::promtool())
        .args(["check", "rules", "rules.yaml"])
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool check rules:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
