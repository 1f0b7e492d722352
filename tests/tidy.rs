//! Tidy checks: the code registry, explain pages, error examples, goldens and docs agree.

use std::fs;
use std::path::Path;

use deployc::diagnostics::codes::CODES;

fn read(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn error_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir("examples/errors").expect("examples/errors exists").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "deploy") {
            let text = String::from_utf8_lossy(&fs::read(&path).expect("readable")).into_owned();
            out.push((path.to_string_lossy().into_owned(), text));
        }
    }
    out
}

#[test]
fn every_code_has_a_page_with_its_own_heading() {
    for info in CODES {
        let first = info.explanation.lines().next().unwrap_or("");
        assert_eq!(
            first,
            format!("# {}: {}", info.code, info.title),
            "explain page of {} has the wrong heading",
            info.code
        );
        for section in ["## What it means", "## Example", "## How to fix"] {
            assert!(info.explanation.contains(section), "explain page of {} lacks `{section}`", info.code);
        }
    }
    let pages = fs::read_dir("src/diagnostics/explain").expect("explain dir").flatten().count();
    assert_eq!(pages, CODES.len(), "an explain page exists for a code that is not registered");
}

#[test]
fn every_code_has_an_error_example() {
    let examples = error_examples();
    // Emit-phase codes report bugs in deployc itself: no input should produce them.
    for info in CODES.iter().filter(|c| c.phase != "emit") {
        let found = examples.iter().any(|(_, text)| {
            text.lines().next().is_some_and(|l| {
                l.strip_prefix("# expect:").is_some_and(|r| r.split_whitespace().any(|c| c == info.code))
            })
        });
        assert!(found, "{} has no examples/errors/*.deploy starting `# expect: {}`", info.code, info.code);
    }
}

#[test]
fn every_emitted_code_is_registered() {
    let mut sources = Vec::new();
    let mut stack = vec![Path::new("src").to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("src readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push((path.to_string_lossy().into_owned(), read(&path.to_string_lossy())));
            }
        }
    }
    for (path, text) in &sources {
        // Codes are the registry's constants (`codes::E0301`), which the compiler checks; no
        // call site names one as a string.
        for (i, _) in text.match_indices("Diagnostic::new(") {
            let rest = text[i + 16..].trim_start();
            if path.ends_with("diagnostics/mod.rs") && rest.starts_with("code:") {
                continue; // the definition
            }
            assert!(
                rest.starts_with("codes::"),
                "{path}: a diagnostic code that is not a `codes::` constant: {}",
                &rest[..rest.len().min(40)]
            );
        }
        assert!(!text.contains("dbg!("), "{path} contains dbg!");
        assert!(!text.contains("todo!("), "{path} contains todo!");
        assert!(!text.lines().any(|l| l.ends_with(' ')), "{path} has trailing whitespace");
    }
}

#[test]
fn architecture_names_only_paths_that_exist() {
    let text = read("ARCHITECTURE.md");
    for word in text.split(|c: char| c == '`' || c.is_whitespace()) {
        let looks_like_path = (word.starts_with("src/")
            || word.starts_with("tests/")
            || word.starts_with("grammar/")
            || word.starts_with("stdlib/"))
            && !word.contains('*')
            && !word.contains('<');
        if looks_like_path {
            let path = word.trim_end_matches([',', '.', ':', ')']);
            assert!(Path::new(path).exists(), "ARCHITECTURE.md names {path}, which does not exist");
        }
    }
}

#[test]
fn stdlib_checks_clean() {
    // A minimal deployment pulls in every stdlib file; none may produce a diagnostic.
    let result =
        deployc::testing::compile_text("stdlib-probe.deploy", "deployment probe { target k3d { servers = 1 } }");
    assert!(result.diagnostics.is_empty(), "{}", result.rendered);
}

/// The providers are named in one place, the stdlib: `init` has a starter, the CLI a
/// `--provider` value and the emitter a script-template set for exactly its providers.
#[test]
fn every_stdlib_provider_has_a_starter_and_a_template_set() {
    let mut stdlib: Vec<&str> = deployc::stdlib::FILES
        .iter()
        .filter_map(|(path, _)| path.strip_prefix("providers/").and_then(|p| p.strip_suffix(".deploy")))
        .collect();
    stdlib.sort_unstable();
    let mut starters = deployc::init::PROVIDERS.to_vec();
    starters.sort_unstable();
    assert_eq!(starters, stdlib, "deployc init's providers are not the stdlib's");
    let mut sets: Vec<&str> = deployc::stdlib::PROVIDER_TEMPLATES.iter().map(|(set, _, _)| *set).collect();
    sets.sort_unstable();
    sets.dedup();
    assert_eq!(sets, stdlib, "the script-template sets are not the stdlib's providers");
    for provider in &stdlib {
        assert!(deployc::init::starter(provider, "x").is_some(), "{provider} has no starter");
    }
}

/// Every explain page's `## Example` produces its own code. A page may show a fragment (a
/// `service` or a `target` block): it is checked inside a deployment, with a k3d target and a
/// plain service added when it has none. Three codes cannot be shown as text: a file that is
/// not UTF-8 (E0102), an invisible character (E0103) and an internal error (E0501).
#[test]
fn every_explain_example_produces_its_code() {
    let mut wrong = Vec::new();
    for info in CODES.iter().filter(|c| !["E0102", "E0103", "E0501"].contains(&c.code)) {
        let example = info.explanation.split("## Example").nth(1).and_then(|e| e.split("## How to fix").next());
        let Some(source) = example.and_then(|e| e.split("```deploy\n").nth(1)).and_then(|e| e.split("```").next())
        else {
            wrong.push(format!("{}: no ```deploy block under `## Example`", info.code));
            continue;
        };
        let has = |kind: &str| source.lines().any(|l| l.trim_start().starts_with(&format!("{kind} ")));
        // E0205 is "no deployment": its example is a file without one.
        let text = if has("deployment") || info.code == "E0205" {
            source.to_string()
        } else {
            let target = if has("target") { "" } else { "target k3d { servers = 1 }\n" };
            let service =
                if has("service") { "" } else { "service web {\n  image = \"nginx:1.29.8-alpine\"\n  port  = 80\n}\n" };
            format!("deployment example {{\n{target}{source}{service}}}\n")
        };
        let result = deployc::testing::compile_text("example.deploy", &text);
        if !result.diagnostics.iter().any(|d| d.code == info.code) {
            let got: Vec<&str> = result.diagnostics.iter().map(|d| d.code).collect();
            wrong.push(format!("{}: its example gives {got:?}", info.code));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The code table of docs/language.md is the registry, row for row and in its order.
#[test]
fn the_language_reference_lists_every_code() {
    let docs = read("docs/language.md");
    let table =
        docs.split("This table is `deployc explain --list`:").nth(1).expect("docs/language.md has the code table");
    let rows: Vec<&str> =
        table.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2).collect();
    let want: Vec<String> = CODES.iter().map(|c| format!("| {} | {} | {} |", c.code, c.phase, c.title)).collect();
    assert_eq!(rows, want, "docs/language.md's code table differs from the registry (src/diagnostics/codes.rs)");
}
