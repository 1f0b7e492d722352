//! `examples/<name>.deploy` must compile and match `golden/<name>/`;
//! `examples/errors/<name>.deploy` must fail and match `golden/errors/<name>/diagnostics.txt`.
//! Accept changes with `DEPLOYC_BLESS=1 cargo test --test golden`, then review `git diff golden/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use deployc::testing::{compile_path, deploy_files};

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    deployc::output::read_tree(dir).unwrap_or_default()
}

fn replace_tree(dir: &Path, tree: &BTreeMap<String, String>) {
    let _ = fs::remove_dir_all(dir);
    for (relative, text) in tree {
        let path = dir.join(relative);
        fs::create_dir_all(path.parent().expect("golden files have a parent")).expect("create golden dir");
        fs::write(&path, text).expect("write golden file");
    }
}

fn tree_diff(name: &str, expected: &BTreeMap<String, String>, actual: &BTreeMap<String, String>) -> String {
    let mut out = format!("golden mismatch for {name}:\n");
    let empty = String::new();
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(actual.keys()).collect();
    for key in keys {
        let (old, new) = (expected.get(key).unwrap_or(&empty), actual.get(key).unwrap_or(&empty));
        if old != new {
            let diff = similar::TextDiff::from_lines(old, new);
            out.push_str(&format!("{}", diff.unified_diff().header(&format!("golden/{name}/{key}"), "actual")));
        }
    }
    out
}

/// The codes an error example declares on its first line: `# expect: E0301 E0302`.
pub fn expected_codes(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect:"))
        .map(|rest| rest.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

#[test]
fn examples_match_golden() {
    let bless = std::env::var_os("DEPLOYC_BLESS").is_some();
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for (dir, must_fail) in [("examples", false), ("examples/errors", true)] {
        for example in deploy_files(dir) {
            let stem = example.file_stem().expect("file name").to_string_lossy().into_owned();
            let name = if must_fail { format!("errors/{stem}") } else { stem };
            names.push(name.clone());
            let result = compile_path(&example);
            let mut actual = BTreeMap::new();
            if !result.rendered.is_empty() {
                actual.insert("diagnostics.txt".to_string(), result.rendered.clone());
            }
            if must_fail {
                // An example under errors/ declares its codes; it must fail unless they are all
                // warnings, and only its diagnostics are golden.
                let text = String::from_utf8_lossy(&fs::read(&example).unwrap_or_default()).into_owned();
                let codes = expected_codes(&text);
                if codes.is_empty() {
                    failures.push(format!("{name}: first line must be `# expect: CODE…`"));
                }
                let should_fail = codes.iter().any(|c| c.starts_with('E'));
                if should_fail == result.output.is_some() {
                    let verb = if should_fail { "fail" } else { "compile" };
                    failures.push(format!("{name}: expected to {verb}:\n{}", result.rendered));
                }
                for code in codes {
                    if !result.diagnostics.iter().any(|d| d.code == code) {
                        failures.push(format!("{name}: expected {code}, got:\n{}", result.rendered));
                    }
                }
            } else {
                match &result.output {
                    Some(tree) => actual.extend(tree.clone()),
                    None => failures.push(format!("{name}: expected to compile, but:\n{}", result.rendered)),
                }
            }
            let golden = Path::new("golden").join(&name);
            if bless {
                replace_tree(&golden, &actual);
                continue;
            }
            let expected = read_tree(&golden);
            if expected != actual {
                failures.push(tree_diff(&name, &expected, &actual));
            }
        }
    }
    // Golden directories without an example are stale.
    for (dir, prefix) in [("golden", ""), ("golden/errors", "errors/")] {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && file_name != "errors" && !names.contains(&format!("{prefix}{file_name}")) {
                if bless {
                    let _ = fs::remove_dir_all(entry.path());
                } else {
                    failures.push(format!("golden/{prefix}{file_name} has no example"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}\naccept with: DEPLOYC_BLESS=1 cargo test --test golden", failures.join("\n"));
}

#[test]
fn builds_are_deterministic() {
    for example in deploy_files("examples") {
        let first = compile_path(&example).output;
        let second = compile_path(&example).output;
        assert_eq!(first, second, "{} compiled differently twice", example.display());
    }
}
