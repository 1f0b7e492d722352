//! The compiler never panics: every prefix of every example (a truncated file) and a few
//! hostile inputs compile to diagnostics, not crashes.

use std::fs;

use deployc::testing::compile_text;

fn all_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "examples/errors"] {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "deploy")
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
fn every_prefix_of_every_example_compiles_without_panic() {
    let mut checked = 0;
    for (name, text) in all_examples() {
        for (end, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            let prefix = &text[..end];
            let result = std::panic::catch_unwind(|| compile_text(&name, prefix));
            assert!(result.is_ok(), "{name}: panic on the first {end} bytes:\n{prefix}");
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} prefixes checked");
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let text = format!("deployment d {{ {}{} }}", "[".repeat(100_000), "]".repeat(100_000));
    let result = compile_text("deep.deploy", &text);
    assert!(result.diagnostics.iter().any(|d| d.code == "E0101"), "{}", result.rendered);
}

#[test]
fn hostile_strings_do_not_panic() {
    for text in [
        "\"",
        "deployment \"\u{0}\" {",
        "${",
        "let x = \"${x}\"\ndeployment d { namespace = x }",
        "$$$",
        "1..",
        "a { b = c.d.e.f = 1 }",
    ] {
        let _ = compile_text("hostile.deploy", text);
    }
}

/// E0310's table (`tests/data/secret-forms.tsv`): every credential form it lists is refused in
/// an `env` block, every plain value is accepted.
#[test]
fn secret_forms_table() {
    let table = std::fs::read_to_string("tests/data/secret-forms.tsv").expect("tests/data/secret-forms.tsv");
    let mut wrong = Vec::new();
    let mut rows = 0;
    for line in table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut fields = line.splitn(3, '\t');
        let (Some(expect), Some(key), value) = (fields.next(), fields.next(), fields.next().unwrap_or("")) else {
            panic!("not `expect<TAB>KEY<TAB>VALUE`: {line:?}");
        };
        rows += 1;
        let refused = deployc::check::deployment::looks_like_secret(key, value);
        if refused != (expect == "secret") {
            wrong.push(format!("{expect} {key}={value}: {}", if refused { "refused" } else { "accepted" }));
        }
    }
    assert!(rows > 60, "the table has {rows} rows");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
