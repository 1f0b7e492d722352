//! `--format json` and `--format sarif`: goldens for a few error examples, the JSON lines'
//! documented keys for every example, and every SARIF log validated against the official
//! SARIF 2.1.0 schema (`tests/data/sarif-schema-2.1.0.json`) plus the rules GitHub code
//! scanning adds. Bless the goldens with `DEPLOYC_BLESS=1 cargo test --test formats`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use deployc::compile;
use deployc::diagnostics::Diagnostics;
use deployc::diagnostics::codes::CODES;
use deployc::diagnostics::render::render_json;
use deployc::diagnostics::sarif::{SarifFile, SarifOptions, render_sarif};
use deployc::source::SourceMap;
use serde_json::Value;

/// Error examples with golden JSON and SARIF: secondary labels, two errors, a warning, an
/// import, and a diagnostic without a location.
const GOLDEN: [&str; 5] =
    ["duplicate_service", "cpu_given_memory", "deprecated_ingress_nginx", "import_missing_file", "not_utf8"];

struct Compiled {
    name: String,
    diagnostics: Diagnostics,
    sources: SourceMap,
}

/// Compile a file as `deployc check` does, keeping the source map for rendering.
fn compile_file(path: &Path) -> Compiled {
    let name = path.to_string_lossy().replace('\\', "/");
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {name}: {e}"));
    if let Some(text) = deployc::source::decode(&name, bytes, &mut diagnostics) {
        let root = sources.add(name.clone(), text);
        let loader = |importer: &str, relative: &str| -> Result<(String, String), String> {
            let base = Path::new(importer).parent().unwrap_or(Path::new(""));
            let path = base.join(relative);
            let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ok((path.to_string_lossy().replace('\\', "/"), text))
        };
        diagnostics.extend(compile(&mut sources, root, &loader, &deployc::testing::test_options()).diagnostics);
    }
    Compiled { name, diagnostics, sources }
}

fn sarif(compiled: &[&Compiled]) -> String {
    let files: Vec<SarifFile> = compiled
        .iter()
        .map(|c| SarifFile { diagnostics: &c.diagnostics, sources: &c.sources, root: &c.name })
        .collect();
    render_sarif(&files, &SarifOptions::default())
}

/// The SARIF log without what changes with every new code or release (the rules, the tool's
/// version, rule indexes), which `every_sarif_log_is_valid_and_code_scanning_ready` checks.
fn sarif_results(compiled: &Compiled) -> String {
    let mut log: Value = serde_json::from_str(&sarif(&[compiled])).expect("SARIF is JSON");
    let driver = &mut log["runs"][0]["tool"]["driver"];
    for key in ["rules", "version", "semanticVersion"] {
        driver[key] = Value::from("(left out of the golden)");
    }
    for result in log["runs"][0]["results"].as_array_mut().into_iter().flatten() {
        result["ruleIndex"] = Value::from("(left out of the golden)");
    }
    serde_json::to_string_pretty(&log).expect("JSON") + "\n"
}

fn all_examples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["examples", "examples/errors"] {
        out.extend(deployc::testing::deploy_files(dir));
    }
    out
}

#[test]
fn json_and_sarif_match_the_goldens() {
    let bless = std::env::var_os("DEPLOYC_BLESS").is_some();
    let mut failures = Vec::new();
    for name in GOLDEN {
        let compiled = compile_file(&Path::new("examples/errors").join(format!("{name}.deploy")));
        assert!(!compiled.diagnostics.is_empty(), "{name} has no diagnostics");
        for (extension, actual) in
            [("jsonl", render_json(&compiled.diagnostics, &compiled.sources)), ("sarif", sarif_results(&compiled))]
        {
            let path = PathBuf::from(format!("tests/data/diagnostics/{name}.{extension}"));
            if bless {
                fs::create_dir_all("tests/data/diagnostics").unwrap_or_else(|e| panic!("mkdir: {e}"));
                fs::write(&path, &actual).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
                continue;
            }
            let expected = fs::read_to_string(&path).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{} differs:\n{}",
                    path.display(),
                    similar::TextDiff::from_lines(&expected, &actual).unified_diff()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}\naccept with: DEPLOYC_BLESS=1 cargo test --test formats", failures.join("\n"));
}

#[test]
fn json_lines_have_the_documented_keys() {
    let mut lines = 0;
    for path in all_examples() {
        let compiled = compile_file(&path);
        for line in render_json(&compiled.diagnostics, &compiled.sources).lines() {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}: {line}", path.display()));
            for key in ["code", "severity", "message", "labels", "help", "notes"] {
                assert!(value.get(key).is_some(), "{}: no `{key}` in {line}", path.display());
            }
            let code = value["code"].as_str().unwrap_or_default();
            assert!(CODES.iter().any(|c| c.code == code), "unregistered code in {line}");
            assert!(matches!(value["severity"].as_str(), Some("error" | "warning")), "{line}");
            if !value["labels"].as_array().is_some_and(|l| l.is_empty()) {
                for key in ["file", "line", "column", "end_line", "end_column"] {
                    assert!(value.get(key).is_some(), "{}: no `{key}` in {line}", path.display());
                    for label in value["labels"].as_array().into_iter().flatten() {
                        assert!(label.get(key).is_some(), "label without `{key}` in {line}");
                    }
                }
            }
            lines += 1;
        }
    }
    assert!(lines > 30, "only {lines} diagnostics");
}

#[test]
fn every_sarif_log_is_valid_and_code_scanning_ready() {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string("tests/data/sarif-schema-2.1.0.json").expect("schema"))
            .expect("the schema is JSON");
    let compiled: Vec<Compiled> = all_examples().iter().map(|p| compile_file(p)).collect();
    // One log per file, and one log for all of them (`deployc check --format sarif *.deploy`).
    let mut logs: Vec<(String, String)> = compiled.iter().map(|c| (c.name.clone(), sarif(&[c]))).collect();
    logs.push(("all examples".into(), sarif(&compiled.iter().collect::<Vec<_>>())));
    let mut results = 0;
    for (name, text) in logs {
        let log: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let mut errors = Vec::new();
        validate(&schema, &schema, &log, "$", &mut errors);
        assert!(errors.is_empty(), "{name}: invalid SARIF:\n{}", errors.join("\n"));
        results += code_scanning_checks(&name, &log);
    }
    assert!(results > 60, "only {results} results");
}

/// What GitHub code scanning needs beyond the schema.
fn code_scanning_checks(name: &str, log: &Value) -> usize {
    assert_eq!(log["version"], "2.1.0", "{name}");
    assert!(log["$schema"].as_str().is_some_and(|s| s.starts_with("https://")), "{name}: $schema");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{name}: one run");
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "deployc");
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), CODES.len(), "{name}: one rule per code");
    let ids: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), CODES.len(), "{name}: rule ids are unique");
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            assert!(rule[key]["text"].as_str().is_some_and(|t| !t.is_empty()), "{name}: rule without {key}: {rule}");
        }
    }
    let results = runs[0]["results"].as_array().expect("results");
    for result in results {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], rule_id, "{name}: ruleIndex points at another rule");
        assert!(matches!(result["level"].as_str(), Some("error" | "warning")), "{name}: level");
        assert!(result["message"]["text"].as_str().is_some_and(|t| !t.is_empty()), "{name}: message");
        let locations = result["locations"].as_array().expect("every result has a location");
        assert_eq!(locations.len(), 1, "{name}: one location");
        let related = result["relatedLocations"].as_array().into_iter().flatten();
        for location in locations.iter().chain(related) {
            let physical = &location["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.contains("://") && !uri.starts_with('/'), "{name}: uri {uri} is not repository-relative");
            assert!(Path::new(&uri.replace("%20", " ")).exists(), "{name}: uri {uri} names no file");
            let region = &physical["region"];
            let start = region["startLine"].as_u64().expect("startLine");
            assert!(start >= 1, "{name}: startLine");
            if let (Some(end), Some(start_column), Some(end_column)) =
                (region["endLine"].as_u64(), region["startColumn"].as_u64(), region["endColumn"].as_u64())
            {
                assert!(end > start || (end == start && end_column >= start_column), "{name}: region {region}");
            }
        }
    }
    results.len()
}

/// A JSON Schema draft-07 validator for the keywords the SARIF schema uses. A keyword it does
/// not know, or a `pattern` it would have to check, is reported as an error, so it never
/// passes a log it did not fully check.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed"));
        }
        return;
    };
    for (keyword, rule) in schema {
        match keyword.as_str() {
            "$ref" => {
                let pointer = rule.as_str().and_then(|r| r.strip_prefix('#')).unwrap_or_default();
                match root.pointer(pointer) {
                    Some(target) => validate(root, target, value, at, errors),
                    None => errors.push(format!("{at}: unresolved $ref {rule}")),
                }
            }
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if !types.iter().any(|t| has_type(value, t)) {
                    errors.push(format!("{at}: expected {types:?}, found {value}"));
                }
            }
            "properties" => {
                if let (Some(properties), Some(object)) = (rule.as_object(), value.as_object()) {
                    for (key, sub) in properties {
                        if let Some(v) = object.get(key) {
                            validate(root, sub, v, &format!("{at}.{key}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = value.as_object() {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (key, v) in object {
                        if known.is_none_or(|k| !k.contains_key(key)) {
                            validate(root, rule, v, &format!("{at}.{key}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for key in rule.as_array().into_iter().flatten().filter_map(Value::as_str) {
                        if !object.contains_key(key) {
                            errors.push(format!("{at}: missing required `{key}`"));
                        }
                    }
                }
            }
            "items" => {
                for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                    validate(root, rule, item, &format!("{at}[{i}]"), errors);
                }
            }
            "minItems" => {
                if let (Some(min), Some(array)) = (rule.as_u64(), value.as_array())
                    && (array.len() as u64) < min
                {
                    errors.push(format!("{at}: fewer than {min} items"));
                }
            }
            "uniqueItems" => {
                if let (Some(true), Some(array)) = (rule.as_bool(), value.as_array()) {
                    let distinct: BTreeSet<String> = array.iter().map(Value::to_string).collect();
                    if distinct.len() != array.len() {
                        errors.push(format!("{at}: items are not unique"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(bound), Some(number)) = (rule.as_f64(), value.as_f64()) {
                    let ok = if keyword == "minimum" { number >= bound } else { number <= bound };
                    if !ok {
                        errors.push(format!("{at}: {number} violates {keyword} {bound}"));
                    }
                }
            }
            "enum" => {
                if !rule.as_array().is_some_and(|options| options.contains(value)) {
                    errors.push(format!("{at}: {value} is not one of {rule}"));
                }
            }
            "anyOf" | "oneOf" => {
                let branches = rule.as_array().map(Vec::as_slice).unwrap_or_default();
                let passing = branches
                    .iter()
                    .filter(|branch| {
                        let mut sub = Vec::new();
                        validate(root, branch, value, at, &mut sub);
                        sub.is_empty()
                    })
                    .count();
                let ok = if keyword == "anyOf" { passing >= 1 } else { passing == 1 };
                if !ok {
                    errors.push(format!("{at}: {passing} branches of {keyword} match"));
                }
            }
            "format" => {
                if let Some(text) = value.as_str() {
                    let ok = match rule.as_str() {
                        Some("uri") => {
                            text.split_once(':').is_some_and(|(scheme, _)| {
                                scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                                    && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                            }) && !text.contains(char::is_whitespace)
                        }
                        Some("uri-reference") => !text.contains(char::is_whitespace),
                        _ => {
                            errors.push(format!("{at}: the test cannot check format {rule}"));
                            true
                        }
                    };
                    if !ok {
                        errors.push(format!("{at}: {text:?} is not a {rule}"));
                    }
                }
            }
            "pattern" => {
                if value.is_string() {
                    errors.push(format!("{at}: the test cannot check pattern {rule}; extend the validator"));
                }
            }
            "description" | "default" | "title" | "$schema" | "$id" | "definitions" => {}
            other => errors.push(format!("{at}: the test does not know the keyword `{other}`")),
        }
    }
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        _ => false,
    }
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    let schema: Value =
        serde_json::from_str(&fs::read_to_string("tests/data/sarif-schema-2.1.0.json").expect("schema"))
            .expect("the schema is JSON");
    let compiled = compile_file(Path::new("examples/errors/duplicate_service.deploy"));
    let good: Value = serde_json::from_str(&sarif(&[&compiled])).expect("JSON");
    let mut errors = Vec::new();
    validate(&schema, &schema, &good, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    for (pointer, replacement) in [
        ("/version", Value::from("2.0.0")),
        ("/runs/0/results/0/level", Value::from("fatal")),
        ("/runs/0/results/0/locations/0/physicalLocation/region/startLine", Value::from(0)),
        ("/runs/0/tool/driver/unexpected", Value::from(1)),
        ("/runs/0/results/0/message", serde_json::json!({})),
    ] {
        let mut bad = good.clone();
        match bad.pointer_mut(pointer) {
            Some(slot) => *slot = replacement,
            None => {
                let (parent, key) = pointer.rsplit_once('/').expect("pointer");
                bad.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent").insert(key.into(), replacement);
            }
        }
        let mut errors = Vec::new();
        validate(&schema, &schema, &bad, "$", &mut errors);
        assert!(!errors.is_empty(), "the validator accepted a change at {pointer}");
    }
}
