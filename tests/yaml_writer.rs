//! The fast YAML writer (`src/emit/yaml.rs`) writes exactly what serde_yaml writes:
//! every golden manifest reads back with serde_yaml to the values a build produces and is
//! byte for byte what serde_yaml writes for those values, and random values (with strings
//! chosen to hit every quoting rule) serialise identically through both.

use std::fs;
use std::path::Path;

use deployc::emit::yaml;
use serde_yaml::{Mapping, Value};

/// The YAML documents of one manifest file, without its comment header.
fn documents(text: &str) -> Vec<&str> {
    text.split("---\n").skip(1).collect()
}

fn golden_yaml_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new("golden").to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && let Ok(text) = fs::read_to_string(&path)
            {
                out.push((path.to_string_lossy().into_owned(), text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn golden_manifests_are_what_serde_yaml_writes_for_their_values() {
    let files = golden_yaml_files();
    assert!(files.len() >= 10, "only {} golden YAML files found", files.len());
    let mut documents_checked = 0;
    for (path, text) in &files {
        for document in documents(text) {
            let value: Value =
                serde_yaml::from_str(document).unwrap_or_else(|e| panic!("{path}: not YAML: {e}\n{document}"));
            let by_serde = serde_yaml::to_string(&value).expect("serde_yaml writes a Value");
            assert_eq!(document, by_serde, "{path}: the golden document is not what serde_yaml writes");
            assert_eq!(yaml::to_string(&value).expect("writes"), by_serde, "{path}: the fast writer differs");
            assert!(yaml::is_fast(&value), "{path}: fell back to serde_yaml for\n{document}");
            documents_checked += 1;
        }
    }
    assert!(documents_checked >= 20, "only {documents_checked} documents checked");
}

#[test]
fn builds_read_back_to_the_golden_values() {
    for entry in fs::read_dir("examples").expect("examples/").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "deploy") {
            continue;
        }
        let stem = path.file_stem().expect("a name").to_string_lossy().into_owned();
        let result = deployc::testing::compile_path(&path);
        let Some(tree) = result.output else { panic!("{stem} does not compile:\n{}", result.rendered) };
        for (relative, text) in tree.iter().filter(|(name, _)| name.ends_with(".yaml")) {
            let golden = fs::read_to_string(Path::new("golden").join(&stem).join(relative)).unwrap_or_default();
            let parse = |text: &str| -> Vec<Value> {
                documents(text)
                    .into_iter()
                    .map(|d| serde_yaml::from_str(d).unwrap_or_else(|e| panic!("{stem}/{relative}: {e}")))
                    .collect()
            };
            assert_eq!(parse(text), parse(&golden), "{stem}/{relative}: values differ from the golden file");
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Strings at the edges of the quoting rules, and pieces to build more from.
const EDGE: &[&str] = &[
    "",
    " ",
    "a",
    "-",
    "- a",
    "-a",
    "--",
    "---",
    "--- a",
    "...",
    "..",
    "?",
    "? a",
    "?a",
    ":",
    ": a",
    ":a",
    "a:",
    "a: b",
    "a:b",
    "a :b",
    "#",
    "# a",
    "a#b",
    "a #b",
    "a# b",
    ",",
    "a,b",
    "[",
    "]",
    "{",
    "}",
    "{}",
    "[]",
    "&a",
    "*a",
    "!a",
    "!",
    "|",
    ">",
    "'",
    "''",
    "a'b",
    "\"",
    "%",
    "@",
    "`",
    "a ",
    " a",
    "a  b",
    "null",
    "Null",
    "NULL",
    "nULL",
    "~",
    "~a",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "false",
    "FALSE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "0",
    "00",
    "007",
    "-0",
    "+0",
    "-007",
    "+007",
    "1",
    "-1",
    "+1",
    "++1",
    "+-1",
    "1.5",
    "-1.5",
    "1.",
    ".5",
    "1e3",
    "1E3",
    "1e",
    "e3",
    "1_000",
    "0x1F",
    "0xff",
    "0x",
    "0x+1",
    "-0x1F",
    "0o17",
    "0o8",
    "-0o7",
    "0b101",
    "0b2",
    "-0b1",
    "+0x1",
    ".inf",
    ".Inf",
    "-.inf",
    "+.inf",
    ".nan",
    ".NaN",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "infinity",
    "Infinity",
    "340282366920938463463374607431768211456",
    "-170141183460469231731687303715884105729",
    "18446744073709551616",
    "1:2",
    "12:30",
    "500m",
    "256Mi",
    "1.5Gi",
    "30s",
    "8080",
    "/health",
    "http://a.b/c",
    "a/b",
    "app.kubernetes.io/name",
    "$5",
    "${A}",
    "a=b",
    "a\tb",
    "a\nb",
    "a\n",
    "\n",
    "é",
    "日本",
    "a\u{85}b",
    "\u{feff}a",
    "a\rb",
    "\u{7f}",
    "\u{0}",
];

fn random_string(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => rng.pick(EDGE).to_string(),
        1 => format!("{}{}", rng.pick(EDGE), rng.pick(EDGE)),
        2 => format!("{} {}", rng.pick(EDGE), rng.pick(EDGE)),
        _ => {
            let long = "x".repeat(120 + rng.below(20));
            format!("{long}{}", rng.pick(EDGE))
        }
    }
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::Number((rng.next() as i64 >> rng.below(64)).into()),
        3 => Value::Number((rng.below(1000) as f64 / 8.0).into()),
        _ => Value::String(random_string(rng)),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 || rng.below(3) == 0 {
        return random_scalar(rng);
    }
    match rng.below(2) {
        0 => Value::Sequence((0..rng.below(4)).map(|_| random_value(rng, depth - 1)).collect()),
        _ => {
            let mut mapping = Mapping::new();
            for _ in 0..rng.below(4) {
                let key = if rng.below(8) == 0 { random_value(rng, 1) } else { random_scalar(rng) };
                mapping.insert(key, random_value(rng, depth - 1));
            }
            Value::Mapping(mapping)
        }
    }
}

#[test]
fn random_values_serialise_as_serde_yaml_does() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut fast = 0;
    let mut retyped = 0;
    for case in 0..30_000 {
        let value = random_value(&mut rng, 5);
        if mentions_yaml11_retyped(&value) {
            // Quoted on purpose where serde_yaml does not (yaml11_retyped_strings_are_quoted):
            // the bytes differ, the value read back must not, on the fast path or the fallback.
            // (Values serde_yaml itself cannot write or read back, such as some tagged ones, are
            // left out.)
            if serde_yaml::to_string(&value).is_ok_and(|t| serde_yaml::from_str::<Value>(&t).is_ok_and(|v| v == value))
            {
                let text = yaml::to_string(&value).expect("writes");
                let back: Result<Value, _> = serde_yaml::from_str(&text);
                assert_eq!(back.ok(), Some(value.clone()), "case {case}: {value:?} reads back differently:\n{text}");
            }
            retyped += 1;
            continue;
        }
        let expected = serde_yaml::to_string(&value).map_err(|e| e.to_string());
        let actual = yaml::to_string(&value).map_err(|e| e.to_string());
        assert_eq!(actual, expected, "case {case}: {value:?}");
        fast += usize::from(yaml::is_fast(&value));
    }
    // Most values must take the fast path, or this test proves nothing about it.
    assert!(fast > 10_000, "only {fast} of 30000 values took the fast path");
    assert!(retyped > 100, "only {retyped} values held YAML 1.1 retyped text");
}

#[test]
fn every_edge_string_alone_and_as_a_key() {
    for text in EDGE.iter().filter(|t| !yaml::yaml11_retyped(t)) {
        for value in [
            Value::String(text.to_string()),
            Value::Sequence(vec![Value::String(text.to_string())]),
            Value::Mapping(Mapping::from_iter([(Value::String(text.to_string()), Value::String(text.to_string()))])),
        ] {
            let expected = serde_yaml::to_string(&value).expect("serde_yaml writes a Value");
            assert_eq!(yaml::to_string(&value).expect("writes"), expected, "{value:?}");
        }
    }
}

fn mentions_yaml11_retyped(value: &Value) -> bool {
    match value {
        Value::String(s) => yaml::yaml11_retyped(s),
        Value::Sequence(items) => items.iter().any(mentions_yaml11_retyped),
        Value::Mapping(map) => map.iter().any(|(k, v)| mentions_yaml11_retyped(k) || mentions_yaml11_retyped(v)),
        Value::Tagged(t) => mentions_yaml11_retyped(&t.value),
        _ => false,
    }
}

/// Issue #17, finding 5: text that Kubernetes' YAML 1.1 decoder (gopkg.in/yaml.v2 v2.4.0
/// resolve.go) would read as a boolean, a number or a time is written quoted, as a value and
/// as a key, and reads back as the same string with a YAML 1.1 reader (PyYAML, from the
/// project's client environment) as well as with serde_yaml.
#[test]
fn yaml11_retyped_strings_are_quoted() {
    let table = [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "1_000",
        "+1_000",
        "-1_0",
        "0b101",
        "-0b1",
        "1_000.5",
        "2026-12-01",
        "2026-1-2",
        "2001-12-14t21:59:43.10-05:00",
    ];
    let mut documents = Vec::new();
    let mut fallbacks = Vec::new();
    for text in table {
        assert!(yaml::yaml11_retyped(text), "{text} is not recognised");
        // With a multi-line string beside it, the object falls back to serde_yaml, which quotes
        // only what YAML 1.2 retypes: the retyped text must be quoted there too, as a key, a
        // value and a sequence item, next to block scalars in a mapping and in a sequence.
        let fallback = Value::Mapping(Mapping::from_iter([
            (Value::String("script".into()), Value::String(format!("#!/bin/sh\necho {text}\n"))),
            (Value::String(text.to_string()), Value::String(text.to_string())),
            (
                Value::String("items".into()),
                Value::Sequence(vec![
                    Value::String(text.to_string()),
                    Value::String(format!("{text}\n{text}")),
                    Value::Mapping(Mapping::from_iter([
                        (Value::String(text.to_string()), Value::String(format!("a\n{text}"))),
                        (Value::String("after".into()), Value::String(text.to_string())),
                    ])),
                ]),
            ),
        ]));
        assert!(!yaml::is_fast(&fallback), "the multi-line string no longer falls back");
        let out = yaml::to_string(&fallback).expect("writes");
        let back: Value = serde_yaml::from_str(&out).expect("reads back");
        assert_eq!(back, fallback, "{text}: serde_yaml reads the fallback differently:\n{out}");
        fallbacks.push(out);
        let value =
            Value::Mapping(Mapping::from_iter([(Value::String(text.to_string()), Value::String(text.to_string()))]));
        let out = yaml::to_string(&value).expect("writes");
        assert!(out.starts_with('\'') && out.contains(": '"), "{text} is written plain: {out}");
        let back: Value = serde_yaml::from_str(&out).expect("reads back");
        assert_eq!(back, value, "{text}");
        documents.push(out);
    }
    // Not retyped: ordinary words and versions stay plain.
    for text in ["yess", "none", "1.2.3", "v1_000", "2026", "12-01", "onion"] {
        assert!(!yaml::yaml11_retyped(text), "{text} is quoted for nothing");
    }
    let script = "import sys, yaml\nfor doc in sys.stdin.read().split('\\n---\\n'):\n    d = yaml.safe_load(doc)\n    (k, v), = d.items()\n    assert isinstance(k, str) and isinstance(v, str) and k == v, repr(d)\nprint('ok')";
    let output = pyyaml(script, &documents.join("\n---\n"));
    assert!(output.status.success(), "PyYAML (YAML 1.1) retyped one: {}", String::from_utf8_lossy(&output.stderr));
    // Every scalar of the fallback documents is a string for a YAML 1.1 reader too.
    let script = "import sys, yaml\ndef strings(v):\n    if isinstance(v, dict):\n        return all(isinstance(k, str) and strings(x) for k, x in v.items())\n    if isinstance(v, list):\n        return all(strings(x) for x in v)\n    return isinstance(v, str)\nfor doc in sys.stdin.read().split('\\n---\\n'):\n    d = yaml.safe_load(doc)\n    assert strings(d), repr(d)\nprint('ok')";
    let output = pyyaml(script, &fallbacks.join("\n---\n"));
    assert!(
        output.status.success(),
        "PyYAML (YAML 1.1) retyped one in a fallback: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Run `script` with the project's Python (PyYAML, a YAML 1.1 reader) on `input`.
fn pyyaml(script: &str, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(deployc::testing::client_venv().join("python"))
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    child.wait_with_output().expect("python")
}
