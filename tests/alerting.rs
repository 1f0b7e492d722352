//! Every golden's alerts and routing, read from its files: each alert has a known severity, the
//! `part_of` label the AlertmanagerConfig routes on, a summary, a description and a
//! `runbook_url` naming a section the same build's RUNBOOK.md has; each AlertmanagerConfig
//! routes to receivers it defines and reads every credential from a key of a Secret that
//! `deploy.sh` creates, so no credential is written into the manifests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

fn goldens() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir("golden").expect("golden/").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    out.sort();
    out.into_iter().filter(|g| g.join("manifests").is_dir()).collect()
}

fn documents(golden: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(golden.join("manifests")).expect("manifests/").flatten().map(|e| e.path()).collect();
    files.sort();
    let mut out = Vec::new();
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
        let text = std::fs::read_to_string(file).expect("readable manifest");
        for document in serde_yaml::Deserializer::from_str(&text) {
            out.push(Value::deserialize(document).expect("YAML"));
        }
    }
    out
}

/// The anchors GitHub gives a Markdown file's headings: lower case, spaces as `-`, and only
/// letters, digits, `-` and `_` kept.
fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix('#').map(|rest| rest.trim_start_matches('#').trim()))
        .map(|heading| {
            heading
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_alert_is_labelled_annotated_and_has_its_runbook_section() {
    let mut alerts = 0;
    for golden in goldens() {
        let runbook = std::fs::read_to_string(golden.join("RUNBOOK.md")).expect("RUNBOOK.md");
        let sections = anchors(&runbook);
        for rule_doc in documents(&golden).iter().filter(|d| d["kind"].as_str() == Some("PrometheusRule")) {
            let deployment = rule_doc["metadata"]["labels"]["app.kubernetes.io/part-of"].as_str().expect("part-of");
            for group in rule_doc["spec"]["groups"].as_sequence().expect("groups") {
                for rule in group["rules"].as_sequence().expect("rules") {
                    let Some(name) = rule["alert"].as_str() else { continue };
                    alerts += 1;
                    let at = format!("{}: {name}", golden.display());
                    let severity = rule["labels"]["severity"].as_str().unwrap_or_default();
                    assert!(["critical", "warning", "info"].contains(&severity), "{at}: severity {severity:?}");
                    assert_eq!(rule["labels"]["part_of"].as_str(), Some(deployment), "{at}: part_of");
                    for annotation in ["summary", "description", "runbook_url"] {
                        let text = rule["annotations"][annotation].as_str().unwrap_or_default();
                        assert!(!text.is_empty(), "{at}: no {annotation}");
                    }
                    let url = rule["annotations"]["runbook_url"].as_str().unwrap_or_default();
                    let anchor = url.strip_prefix("RUNBOOK.md#").expect("a RUNBOOK.md anchor");
                    assert!(sections.contains(anchor), "{at}: RUNBOOK.md has no section #{anchor}");
                }
            }
        }
    }
    assert!(alerts >= 30, "only {alerts} alerts in the goldens");
}

#[test]
fn every_receiver_is_defined_and_reads_its_credentials_from_a_created_secret() {
    let mut configs = 0;
    for golden in goldens() {
        let deploy = std::fs::read_to_string(golden.join("scripts/deploy.sh")).unwrap_or_default();
        for config in documents(&golden).iter().filter(|d| d["kind"].as_str() == Some("AlertmanagerConfig")) {
            configs += 1;
            let at = golden.display().to_string();
            let receivers: BTreeSet<&str> = config["spec"]["receivers"]
                .as_sequence()
                .expect("receivers")
                .iter()
                .filter_map(|r| r["name"].as_str())
                .collect();
            let route = &config["spec"]["route"];
            assert!(receivers.contains(route["receiver"].as_str().unwrap_or_default()), "{at}: the top receiver");
            assert!(
                route["matchers"]
                    .as_sequence()
                    .expect("matchers")
                    .iter()
                    .any(|m| m["name"].as_str() == Some("part_of")),
                "{at}: the route takes only the deployment's alerts"
            );
            for child in route["routes"].as_sequence().expect("routes") {
                assert!(receivers.contains(child["receiver"].as_str().unwrap_or_default()), "{at}: {child:?}");
            }
            let mut selectors = Vec::new();
            for receiver in config["spec"]["receivers"].as_sequence().expect("receivers") {
                for slack in receiver["slackConfigs"].as_sequence().into_iter().flatten() {
                    selectors.push(&slack["apiURL"]);
                }
                for email in receiver["emailConfigs"].as_sequence().into_iter().flatten() {
                    if !email["authPassword"].is_null() {
                        selectors.push(&email["authPassword"]);
                    }
                }
                for webhook in receiver["webhookConfigs"].as_sequence().into_iter().flatten() {
                    assert!(webhook["url"].is_null(), "{at}: a webhook URL written in the manifests");
                    selectors.push(&webhook["urlSecret"]);
                }
            }
            assert!(!selectors.is_empty(), "{at}: no credentials");
            for selector in selectors {
                let (name, key) = (selector["name"].as_str().expect("name"), selector["key"].as_str().expect("key"));
                let created = deploy.lines().any(|l| {
                    l.starts_with(&format!("run create_secret '{name}' ")) && l.contains(&format!(" '{key}' "))
                });
                assert!(created, "{at}: deploy.sh creates no key {key} of Secret {name}");
            }
        }
    }
    assert!(configs >= 1, "no golden has an AlertmanagerConfig");
}
