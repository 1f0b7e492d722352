//! `deployc fmt`: every example formats idempotently to a file that compiles to the same
//! output; `tests/data/fmt/NAME.in.deploy` formats to `NAME.out.deploy`; no prefix of an
//! example makes the formatter give up. Bless the goldens with `DEPLOYC_BLESS=1`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use deployc::fmt::{FormatError, format};
use deployc::source::FileId;
use deployc::testing::compile_text;

fn deploy_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(|p| has_extension(p)).collect();
    files.sort();
    files
}

fn has_extension(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "deploy")
}

fn name_of(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn codes(text: &str, name: &str) -> BTreeSet<String> {
    compile_text(name, text).diagnostics.iter().map(|d| d.code.to_string()).collect()
}

#[test]
fn every_example_formats_idempotently_and_keeps_its_meaning() {
    let mut failures = Vec::new();
    let mut formatted_count = 0;
    for (dir, is_error) in [("examples", false), ("examples/errors", true)] {
        for path in deploy_files(dir) {
            let name = name_of(&path);
            let Ok(text) = fs::read_to_string(&path) else { continue }; // not UTF-8: nothing to format
            let formatted = match format(FileId(0), &text) {
                Ok(formatted) => formatted,
                Err(FormatError::Syntax(_)) if is_error => continue,
                Err(error) => {
                    failures.push(format!("{name}: {error:?}"));
                    continue;
                }
            };
            formatted_count += 1;
            match format(FileId(0), &formatted) {
                Ok(again) if again == formatted => {}
                Ok(again) => failures.push(format!(
                    "{name}: formatting twice changed it again:\n{}",
                    similar::TextDiff::from_lines(&formatted, &again).unified_diff()
                )),
                Err(error) => failures.push(format!("{name}: the formatted file does not format: {error:?}")),
            }
            let (before, after) = (compile_text(&name, &text), compile_text(&name, &formatted));
            if is_error {
                if codes(&text, &name) != codes(&formatted, &name) {
                    failures.push(format!("{name}: formatting changed the diagnostics:\n{}", after.rendered));
                }
            } else if before.output != after.output || before.output.is_none() {
                failures.push(format!("{name}: formatting changed the compiled output:\n{}", after.rendered));
            }
        }
    }
    assert!(formatted_count > 20, "only {formatted_count} examples formatted");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn formatting_matches_the_goldens() {
    let bless = std::env::var_os("DEPLOYC_BLESS").is_some();
    let mut failures = Vec::new();
    let inputs: Vec<PathBuf> =
        deploy_files("tests/data/fmt").into_iter().filter(|p| name_of(p).ends_with(".in.deploy")).collect();
    assert!(inputs.len() >= 3, "tests/data/fmt holds too few inputs");
    for input in inputs {
        let name = name_of(&input);
        let expected_path = PathBuf::from(name.replace(".in.deploy", ".out.deploy"));
        let text = fs::read_to_string(&input).unwrap_or_default();
        let formatted = match format(FileId(0), &text) {
            Ok(formatted) => formatted,
            Err(error) => {
                failures.push(format!("{name}: {error:?}"));
                continue;
            }
        };
        if format(FileId(0), &formatted).ok().as_deref() != Some(formatted.as_str()) {
            failures.push(format!("{name}: not idempotent"));
        }
        let before = compile_text(&name, &text);
        let after = compile_text(&name, &formatted);
        if before.output != after.output || before.rendered.lines().count() != after.rendered.lines().count() {
            failures.push(format!("{name}: formatting changed the meaning:\n{}", after.rendered));
        }
        if bless {
            fs::write(&expected_path, &formatted).unwrap_or_else(|e| panic!("write {}: {e}", expected_path.display()));
            continue;
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != formatted {
            failures.push(format!(
                "{} differs:\n{}",
                expected_path.display(),
                similar::TextDiff::from_lines(&expected, &formatted).unified_diff()
            ));
        }
    }
    assert!(failures.is_empty(), "{}\naccept with: DEPLOYC_BLESS=1 cargo test --test fmt", failures.join("\n"));
}

#[test]
fn every_prefix_of_an_example_formats_or_is_a_syntax_error() {
    let mut checked = 0;
    for path in deploy_files("examples").into_iter().chain(deploy_files("tests/data/fmt")) {
        let Ok(text) = fs::read_to_string(&path) else { continue };
        // Every line boundary and every character of the first lines: truncation anywhere.
        let ends = text.char_indices().map(|(i, _)| i).filter(|&i| i < 400 || text[..i].ends_with('\n'));
        for end in ends.chain(std::iter::once(text.len())) {
            let prefix = &text[..end];
            match format(FileId(0), prefix) {
                Ok(formatted) => assert_eq!(
                    format(FileId(0), &formatted).ok().as_deref(),
                    Some(formatted.as_str()),
                    "{}: the first {end} bytes do not format idempotently",
                    path.display()
                ),
                Err(FormatError::Syntax(_)) => {}
                Err(FormatError::Internal(reason)) => {
                    panic!("{}: the first {end} bytes: {reason}\n{prefix}", path.display())
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} prefixes checked");
}

#[test]
fn hostile_layouts_keep_their_meaning() {
    for text in [
        "",
        "# only a comment",
        "\n\n# comments\n\n\n# with blank lines\n",
        "deployment d{}",
        "deployment d {\r\n  namespace = \"x\"\r\n}\r\n",
        "deployment d { a = [ # c\n ] }",
        "deployment d { a = f( # c\n ) }",
        "deployment d { a = { # c\n } }",
        "deployment d { a = { b = 1, c = 2 } e = {\n f = 1 } }",
        "deployment d {\n  a = 1 # one\n  , # comma\n  b = 2\n}",
        "deployment d {\n  a = [1 # one\n  , 2]\n}",
        "deployment d {\n  a = \"${ x }\" # c\n}",
        "deployment d {\n  service a :\n  web { }\n}",
        "deployment d {\n  a\n  =\n  1\n}",
        "deployment d { dapr traefik { } x \"l\" { } }",
        "template t { cpu = 1 }\ntemplate u { cpu = 2 }\n# end",
        "import \"lib.deploy\" as lib\nimport \"other.deploy\"\nlet x = 1",
        "deployment d {\n\tnamespace\t=\t\"tabs\"\n}",
        "deployment d { labels { app.kubernetes.tier = \"web\", x.y = true } }",
        "deployment d {\n  service a {\n    allow   run_as_root # why\n because \"legacy image\"\n    allow = 1\n  }\n}",
        "deployment d { service a { allow run_as_root because \"x\", image = \"a:1\" } }",
    ] {
        match format(FileId(0), text) {
            Ok(formatted) => {
                let again = format(FileId(0), &formatted);
                assert_eq!(again.ok().as_deref(), Some(formatted.as_str()), "not idempotent for {text:?}");
            }
            Err(FormatError::Syntax(_)) => {}
            Err(FormatError::Internal(reason)) => panic!("{text:?}: {reason}"),
        }
    }
}

/// The shipped examples are what `deployc fmt` writes (the pipelines they carry run
/// `deployc fmt --check` first, and the examples are where users copy from).
#[test]
fn the_shipped_examples_are_formatted() {
    let unformatted: Vec<String> = deploy_files("examples")
        .into_iter()
        .filter(|path| {
            let text = fs::read_to_string(path).unwrap_or_default();
            format(FileId(0), &text).is_ok_and(|formatted| formatted != text)
        })
        .map(|path| name_of(&path))
        .collect();
    assert!(unformatted.is_empty(), "run `deployc fmt` on: {}", unformatted.join(", "));
}
