//! Custom resources whose schema `validate-output` does not bundle, validated against the CRD
//! of the operator version the stack pins: every golden's AlertmanagerConfig against
//! prometheus-operator v0.85.0's (`tests/data/crds/alertmanagerconfig_v1alpha1.json`, with
//! unknown fields rejected as the API server's strict field validation does). `.ci/run` skips
//! those files in `validate-output`'s schema step, so this is where they are checked. The
//! validator is `jsonschema` (PyPI, pinned in `tools/install-clients.sh`).

use std::path::Path;
use std::process::Command;

use serde::Deserialize;

/// Each CRD schema this test holds: (kind, apiVersion, schema file).
const SCHEMAS: [(&str, &str, &str); 1] =
    [("AlertmanagerConfig", "monitoring.coreos.com/v1alpha1", "tests/data/crds/alertmanagerconfig_v1alpha1.json")];

const VALIDATE: &str = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
failures = 0
for line in sys.stdin:
    label, doc = line.split("\t", 1)
    for error in sorted(jsonschema.Draft7Validator(schema).iter_errors(json.loads(doc)), key=str):
        failures += 1
        print(f"{label}: {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
sys.exit(1 if failures else 0)
"#;

#[test]
fn every_custom_resource_without_a_bundled_schema_matches_its_crd() {
    let python = deployc::testing::client_venv().join("python");
    let mut checked = 0;
    for (kind, api_version, schema) in SCHEMAS {
        let mut input = String::new();
        for entry in walk(Path::new("golden")) {
            let Some(name) = entry.to_str().filter(|n| n.ends_with(".yaml")) else { continue };
            let text = std::fs::read_to_string(&entry).unwrap_or_default();
            for document in serde_yaml::Deserializer::from_str(&text) {
                let Ok(value) = serde_yaml::Value::deserialize(document) else { continue };
                if value.get("kind").and_then(|k| k.as_str()) == Some(kind)
                    && value.get("apiVersion").and_then(|a| a.as_str()) == Some(api_version)
                {
                    let json = serde_json::to_string(&value).expect("YAML is JSON");
                    input.push_str(&format!("{name}\t{json}\n"));
                    checked += 1;
                }
            }
        }
        let mut child = Command::new(&python)
            .args(["-c", VALIDATE, schema])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
        }
        let output = child.wait_with_output().expect("python runs");
        assert!(
            output.status.success(),
            "{kind} objects do not match {schema}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(checked > 0, "no golden holds an AlertmanagerConfig: the test checks nothing");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { stack.push(path) } else { out.push(path) }
        }
    }
    out.sort();
    out
}
