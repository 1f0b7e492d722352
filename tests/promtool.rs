//! The PrometheusRules every golden holds, checked by the real promtool (Debian's prometheus
//! 2.42.0 package, installed by `tools/install-clients.sh`): `promtool check rules` on each
//! rule file, then `promtool test rules` with the unit tests in `tests/data/promtool/`, which
//! make each built-in alert fire on a broken pod and stay silent on a healthy one. The cluster
//! runs Prometheus 3.x (kube-prometheus-stack 77.13.0), whose range selectors leave out a sample
//! exactly on the window's left edge; the unit tests keep their samples off those edges so
//! that they hold for both.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

/// Each golden's PrometheusRules: (golden, namespace, the `groups` of every rule, as a rule file).
fn rule_files() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut goldens: Vec<PathBuf> =
        std::fs::read_dir("golden").expect("golden/").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    goldens.sort();
    for golden in goldens {
        let mut groups = Vec::new();
        let mut namespace = None;
        let Ok(entries) = std::fs::read_dir(golden.join("manifests")) else { continue };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "yaml")) {
            let text = std::fs::read_to_string(file).expect("readable manifest");
            for document in serde_yaml::Deserializer::from_str(&text) {
                let value = Value::deserialize(document).expect("YAML");
                if value["kind"].as_str() == Some("PrometheusRule") {
                    namespace = value["metadata"]["namespace"].as_str().map(String::from);
                    groups.extend(value["spec"]["groups"].as_sequence().cloned().unwrap_or_default());
                }
            }
        }
        if let Some(namespace) = namespace {
            let mut file = serde_yaml::Mapping::new();
            file.insert("groups".into(), Value::Sequence(groups));
            let text = serde_yaml::to_string(&file).expect("serialisable");
            out.push((golden.file_name().unwrap_or_default().to_string_lossy().into_owned(), namespace, text));
        }
    }
    out
}

fn promtool(dir: &Path, args: &[&str]) -> (bool, String) {
    let tool = deployc::testing::promtool();
    let output = Command::new(tool).args(args).current_dir(dir).output().expect("promtool runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Write the rule file and the unit tests for one golden into a directory of their own.
fn prepare(golden: &str, namespace: &str, rules: &str) -> PathBuf {
    let dir = PathBuf::from("target/promtool").join(golden);
    std::fs::create_dir_all(&dir).expect("target/promtool is writable");
    std::fs::write(dir.join("rules.yaml"), rules).expect("write rules");
    let tests = std::fs::read_to_string("tests/data/promtool/built-in-alerts.test.yaml").expect("unit tests");
    let tests =
        tests.replace("NAMESPACE", namespace).replace("DEPLOYMENT", &part_of(rules)).replace("RULES", "rules.yaml");
    std::fs::write(dir.join("alerts.test.yaml"), tests).expect("write tests");
    dir
}

/// The deployment the alerts belong to: the `part_of` label of the first alert.
fn part_of(rules: &str) -> String {
    let file: Value = serde_yaml::from_str(rules).expect("rules are YAML");
    file["groups"][0]["rules"][0]["labels"]["part_of"].as_str().expect("alerts carry part_of").to_string()
}

#[test]
fn every_golden_rule_passes_promtool_check_and_its_unit_tests() {
    let files = rule_files();
    assert!(files.len() >= 3, "only {} goldens with PrometheusRules", files.len());
    let mut failures = Vec::new();
    for (golden, namespace, rules) in &files {
        let dir = prepare(golden, namespace, rules);
        let (ok, text) = promtool(&dir, &["check", "rules", "rules.yaml"]);
        if !ok {
            failures.push(format!("{golden}: promtool check rules:\n{text}"));
        }
        let (ok, text) = promtool(&dir, &["test", "rules", "alerts.test.yaml"]);
        if !ok {
            failures.push(format!("{golden}: promtool test rules:\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The unit tests see a broken rule: a threshold, a namespace and a `for` changed in the
/// emitted rules each make `promtool test rules` fail, and a syntax error fails `check`.
#[test]
fn a_broken_rule_fails_promtool() {
    let (golden, namespace, rules) = rule_files().into_iter().next().expect("a golden with rules");
    let namespaced = format!("namespace=\"{namespace}\"");
    for (from, to, alert) in [
        ("> 3", "> 30", "PodCrashLooping"),
        (namespaced.as_str(), "namespace=\"other\"", "PodCrashLooping"),
        ("for: 10m", "for: 30m", "PodNotReady"),
        ("> 0.9", "> 0.99", "HighMemory"),
    ] {
        assert!(rules.contains(from), "the rules no longer contain {from:?}");
        let dir = prepare(&format!("{golden}-mutated"), &namespace, &rules.replacen(from, to, 1));
        let (ok, text) = promtool(&dir, &["test", "rules", "alerts.test.yaml"]);
        // promtool 2.42 names the failing alert: `alertname: HighMemory, time: 15m, …`.
        assert!(
            !ok && text.contains("FAILED") && text.contains(alert),
            "changing {from:?} to {to:?} did not fail {alert}'s unit test:\n{text}"
        );
    }
    let dir = prepare(&format!("{golden}-broken"), &namespace, &rules.replacen("increase(", "increase((", 1));
    let (ok, _) = promtool(&dir, &["check", "rules", "rules.yaml"]);
    assert!(!ok, "an unbalanced parenthesis passed promtool check rules");
}

/// The fast-burn alert of the todo app's objectives (`tests/data/promtool/slo-fast-burn.test.yaml`):
/// it pages while the error ratio is high over a long and its short window, not on a blip that
/// only the 5-minute window sees, and stops once the short windows are clean.
#[test]
fn the_fast_burn_alert_fires_on_sustained_errors_and_not_on_a_blip() {
    let (_, _, rules) = rule_files().into_iter().find(|(g, _, _)| g == "todo-app-doks").expect("todo-app-doks rules");
    let run = |name: &str, rules: &str| {
        let dir = PathBuf::from("target/promtool").join(name);
        std::fs::create_dir_all(&dir).expect("target/promtool is writable");
        std::fs::write(dir.join("rules.yaml"), rules).expect("write rules");
        let tests = std::fs::read_to_string("tests/data/promtool/slo-fast-burn.test.yaml").expect("unit tests");
        std::fs::write(dir.join("slo.test.yaml"), tests.replace("RULES", "rules.yaml")).expect("write tests");
        promtool(&dir, &["test", "rules", "slo.test.yaml"])
    };
    let (ok, text) = run("todo-app-doks-slo", &rules);
    assert!(ok, "promtool test rules:\n{text}");
    // The tests see a wrong threshold, a wrong error class and a missing short window.
    for (from, to) in [
        ("> (14.4 * 0.001) and", "> (14.4 * 0.01) and"),
        ("code=~\"5..\"", "code=~\"4..\""),
        ("> (6 * 0.001) and slo:sli_error:ratio_rate30m", "> (6 * 0.001) and slo:sli_error:ratio_rate1h"),
    ] {
        assert!(rules.contains(from), "the rules no longer contain {from:?}");
        let (ok, text) = run("todo-app-doks-slo-mutated", &rules.replace(from, to));
        assert!(!ok && text.contains("FAILED"), "changing {from:?} to {to:?} passed the SLO unit tests:\n{text}");
    }
}

/// The alerts the todo app's plan adds (`tests/data/promtool/todo-app-alerts.test.yaml`): an
/// autoscaler at its maximum, a certificate past its renewal, under-replicated Kafka partitions
/// and the file's own alert each fire, only in the deployment's namespace and only after their
/// `for`.
#[test]
fn the_plans_own_alerts_fire_on_their_metrics() {
    let (_, _, rules) = rule_files().into_iter().find(|(g, _, _)| g == "todo-app-doks").expect("todo-app-doks rules");
    let run = |name: &str, rules: &str| {
        let dir = PathBuf::from("target/promtool").join(name);
        std::fs::create_dir_all(&dir).expect("target/promtool is writable");
        std::fs::write(dir.join("rules.yaml"), rules).expect("write rules");
        let tests = std::fs::read_to_string("tests/data/promtool/todo-app-alerts.test.yaml").expect("unit tests");
        std::fs::write(dir.join("plan.test.yaml"), tests.replace("RULES", "rules.yaml")).expect("write tests");
        promtool(&dir, &["test", "rules", "plan.test.yaml"])
    };
    let (ok, text) = run("todo-app-doks-plan", &rules);
    assert!(ok, "promtool test rules:\n{text}");
    for (from, to, alert) in [
        ("< 21 * 24 * 3600", "< 14 * 24 * 3600", "CertificateExpiringSoon"),
        (
            ">= kube_horizontalpodautoscaler_spec_max_replicas",
            "> kube_horizontalpodautoscaler_spec_max_replicas",
            "AutoscalerAtMaximum",
        ),
    ] {
        assert!(rules.contains(from), "the rules no longer contain {from:?}");
        let (ok, text) = run("todo-app-doks-plan-mutated", &rules.replacen(from, to, 1));
        assert!(!ok && text.contains(alert), "changing {from:?} to {to:?} did not fail {alert}'s unit test:\n{text}");
    }
}
