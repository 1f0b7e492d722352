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

/// The providers are named in one place, the stdlib: `build.rs` finds its files, and `init`
/// has a starter, the CLI a `--provider` value (with the file's title) and the emitter a
/// script-template set for exactly its providers.
#[test]
fn every_stdlib_provider_has_a_starter_and_a_template_set() {
    let on_disk: Vec<String> = {
        let mut names: Vec<String> = fs::read_dir("stdlib/providers")
            .expect("stdlib/providers")
            .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".deploy").map(String::from))
            .collect();
        names.sort();
        names
    };
    let stdlib: Vec<&str> = deployc::stdlib::PROVIDERS.to_vec();
    assert_eq!(stdlib, on_disk, "deployc::stdlib::PROVIDERS is not stdlib/providers/*.deploy");
    let from_files: Vec<&str> = deployc::stdlib::FILES
        .iter()
        .filter_map(|(path, _)| path.strip_prefix("providers/").and_then(|p| p.strip_suffix(".deploy")))
        .collect();
    assert_eq!(from_files, stdlib, "the embedded provider files are not the stdlib's providers");
    assert_eq!(deployc::init::PROVIDERS.to_vec(), stdlib, "deployc init's starters are not the stdlib's providers");
    assert!(stdlib.contains(&deployc::init::DEFAULT_PROVIDER), "init's default is not a stdlib provider");
    let mut sets: Vec<&str> = deployc::stdlib::PROVIDER_TEMPLATES.iter().map(|(set, _, _)| *set).collect();
    sets.dedup();
    assert_eq!(sets, stdlib, "the script-template sets are not the stdlib's providers");
    for provider in &stdlib {
        assert!(deployc::init::starter(provider, "x").is_some(), "{provider} has no starter");
    }
    // What the checker reads from each file: the same names, the titles the CLI shows, a
    // template set of its own and the tools the runbook lists.
    let checked = deployc::check::stdlib_providers();
    let names: Vec<&str> = checked.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, stdlib, "a stdlib provider file does not check");
    let titles: Vec<(&str, &str)> = checked.iter().map(|p| (p.name.as_str(), p.title.as_str())).collect();
    assert_eq!(
        deployc::stdlib::PROVIDER_TITLES.to_vec(),
        titles,
        "build.rs read a title the checker reads differently"
    );
    for provider in checked {
        assert_eq!(
            provider.templates, provider.name,
            "{}: the stdlib's providers each have their own set",
            provider.name
        );
        assert!(!provider.tools.is_empty(), "{}: no `tool` for the runbook's prerequisites", provider.name);
        assert!(provider.leftovers.is_some(), "{}: no `leftovers` for the runbook's teardown", provider.name);
    }
}

/// A provider of one's own that reuses a template set and declares no `tool` or `leftovers`
/// has those of the set's stdlib provider (the scripts run its tools); one that declares them
/// has its own.
#[test]
fn a_provider_of_ones_own_inherits_the_tools_of_its_template_set() {
    let provider = |extra: &str| {
        format!(
            "provider doks-contract {{\n  title = \"DO (contract)\"\n  cli = \"doctl\"\n  templates = \"doks\"\n  kind = managed\n  region_attribute = region\n  regions = [ams3]\n  versions = [\"1.33\"]\n  default_version = \"1.33\"\n  bundles = []\n  control_plane_price = $0/mo\n  prices_source = \"contract\"\n  prices_as_of = \"2026-01-01\"\n  size s-2vcpu-4gb {{ cpu = 2, memory = 4Gi, allocatable_cpu = 1900m, allocatable_memory = 2.5Gi, price = $24/mo }}\n  load_balancer {{ price = $10/mo }}\n{extra}}}\ndeployment shop {{\n  target doks-contract {{\n    region = ams3\n    pool web {{ size = s-2vcpu-4gb, count = 1 }}\n  }}\n}}\n"
        )
    };
    let plan = |text: &str| {
        let result = deployc::testing::compile_text("contract.deploy", text);
        result.plan.unwrap_or_else(|| panic!("does not build:\n{}", result.rendered))
    };
    let inherited = plan(&provider(""));
    let doks = deployc::check::stdlib_providers().iter().find(|p| p.name == "doks").expect("doks");
    assert_eq!(inherited.target.tools, doks.tools);
    assert_eq!(Some(&inherited.target.leftovers), doks.leftovers.as_ref());
    let own = plan(&provider(
        "  tool mycli { why = \"creates the cluster\", install = \"https://example.com\" }\n  leftovers = \"droplets\"\n",
    ));
    let names: Vec<&str> = own.target.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["mycli"]);
    assert_eq!(own.target.leftovers, "droplets");
}

/// `docs/language.md` §7.1's provider and size tables are the stdlib's, made by
/// `deployc::testing::stdlib_provider_tables`; `DEPLOYC_BLESS=1` rewrites them.
#[test]
fn language_reference_provider_tables_are_the_stdlibs() {
    const PATH: &str = "docs/language.md";
    let doc = read(PATH);
    let begin = doc.find("<!-- BEGIN stdlib:providers").expect("the BEGIN stdlib:providers marker");
    let after_begin = begin + doc[begin..].find("-->\n").expect("the end of the BEGIN marker") + 4;
    let end = doc.find("<!-- END stdlib:providers -->").expect("the END stdlib:providers marker");
    let tables = deployc::testing::stdlib_provider_tables();
    if doc[after_begin..end] != tables {
        if std::env::var_os("DEPLOYC_BLESS").is_some() {
            fs::write(PATH, format!("{}{tables}{}", &doc[..after_begin], &doc[end..])).expect("write docs/language.md");
        } else {
            panic!("{PATH} §7.1 differs from the stdlib: run `DEPLOYC_BLESS=1 cargo test --test tidy`");
        }
    }
}

/// The hand-written table of tools and prices in `docs/language.md` §7.1 names every stdlib
/// provider once, with its control-plane and load-balancer prices.
#[test]
fn language_reference_price_table_matches_the_stdlib() {
    let doc = read("docs/language.md");
    let header = "| Provider | Tools `provision.sh` checks | Control plane | Load balancer | Notes |";
    let start = doc.find(header).expect("the tools and prices table");
    let rows: Vec<Vec<&str>> = doc[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    let checked = deployc::check::stdlib_providers();
    let mut named: Vec<String> =
        rows.iter().filter_map(|r| r.first().map(|c| c.trim_matches('`').to_string())).collect();
    named.sort();
    let names: Vec<String> = checked.iter().map(|p| p.name.clone()).collect();
    assert_eq!(named, names, "the tools and prices table does not name each stdlib provider once");
    for provider in checked {
        let row = rows.iter().find(|r| r.first() == Some(&format!("`{}`", provider.name).as_str())).expect("row");
        let dollars = deployc::vocab::dollars;
        assert_eq!(
            row.get(2).copied(),
            Some(dollars(provider.control_plane_price.cents).as_str()),
            "{}: control plane",
            provider.name
        );
        assert_eq!(
            row.get(3).copied(),
            Some(dollars(provider.load_balancer_price.cents).as_str()),
            "{}: load balancer",
            provider.name
        );
        for tool in &provider.tools {
            let tools = row.get(1).copied().unwrap_or("");
            assert!(
                tools.contains(&format!("`{}`", tool.name)),
                "{}: the table does not name the tool `{}`",
                provider.name,
                tool.name
            );
        }
    }
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read_dir").filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The backends read the plan and the shared vocabulary only: no file under `src/emit/` names
/// the checker or the stdlib (the plan carries the template texts, `crate::vocab` the types).
#[test]
fn emit_reaches_neither_the_checker_nor_the_stdlib() {
    for file in rust_files(Path::new("src/emit")) {
        let text = read(file.to_str().expect("UTF-8 path"));
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for forbidden in ["crate::check", "crate::stdlib", "deployc::check", "deployc::stdlib", "crate::syntax"] {
                assert!(!code.contains(forbidden), "{}:{}: names `{forbidden}`: {line}", file.display(), n + 1);
            }
            let trimmed = code.trim_start();
            if trimmed.starts_with("use ") || trimmed.starts_with("pub use ") {
                assert!(
                    !trimmed.contains("check::") && !trimmed.contains("stdlib::"),
                    "{}:{}: imports from the checker or the stdlib: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}

/// The modules directly in `src/emit/` (and `mod.rs`) import one another without a cycle:
/// what several need lives in one of them (`objects`, `markdown`, `yaml`, …), never in a
/// backend that also uses theirs. An edge is `super::NAME` or `crate::emit::NAME` naming a
/// sibling module, or an item of `mod.rs`.
#[test]
fn emit_modules_import_each_other_without_a_cycle() {
    let dir = Path::new("src/emit");
    let modules: Vec<String> = fs::read_dir(dir)
        .expect("src/emit")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let stem = name.strip_suffix(".rs").map(String::from).unwrap_or(name);
            e.path().extension().is_some_and(|x| x == "rs").then_some(stem)
        })
        .filter(|m| m != "mod")
        .collect();
    let ident_after = |text: &str, at: usize| -> String {
        text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    };
    let mut edges: Vec<(String, String)> = Vec::new();
    for from in modules.iter().map(String::as_str).chain(["mod"]) {
        let text = read(&format!("src/emit/{from}.rs"));
        // Unit tests may reach anything.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut add = |to: String| {
            let to = if modules.contains(&to) { to } else { "mod".to_string() };
            if to != from && !edges.contains(&(from.to_string(), to.clone())) {
                edges.push((from.to_string(), to));
            }
        };
        if from == "mod" {
            for m in &modules {
                if text.contains(&format!("{m}::")) {
                    add(m.clone());
                }
            }
            continue;
        }
        for prefix in ["super::", "crate::emit::"] {
            let mut rest = 0;
            while let Some(found) = text[rest..].find(prefix) {
                let at = rest + found + prefix.len();
                let name = ident_after(text, at);
                if !name.is_empty() && name != "super" {
                    add(name);
                } else if text[at..].starts_with('{') {
                    // `use super::{a, b::c}`: each name in the braces.
                    let inner = &text[at + 1..at + text[at..].find('}').unwrap_or(1)];
                    for part in inner.split(',') {
                        let name: String =
                            part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                        if !name.is_empty() && name != "self" {
                            add(name);
                        }
                    }
                }
                rest = at;
            }
        }
    }
    // Depth-first search for a cycle.
    fn visit<'e>(node: &'e str, edges: &'e [(String, String)], path: &mut Vec<&'e str>, done: &mut Vec<&'e str>) {
        if done.contains(&node) {
            return;
        }
        if let Some(at) = path.iter().position(|n| *n == node) {
            panic!("the emit modules import each other in a cycle: {} -> {node}", path[at..].join(" -> "));
        }
        path.push(node);
        for (_, to) in edges.iter().filter(|(f, _)| f == node) {
            visit(to, edges, path, done);
        }
        path.pop();
        done.push(node);
    }
    let mut done = Vec::new();
    for (from, _) in &edges {
        visit(from, &edges, &mut Vec::new(), &mut done);
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
        // An example about the image lock shows the lock as a ```lock block after the file.
        let lock = example
            .and_then(|e| e.split("```lock\n").nth(1))
            .and_then(|e| e.split("```").next())
            .map(|text| deployc::LockFile { name: "example.deploy.lock".into(), text: text.to_string() });
        let result = deployc::testing::compile_text_with_lock("example.deploy", &text, lock);
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
