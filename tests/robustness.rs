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

/// Every prefix of every example, cut at each character: about 65,000 compilations, shared
/// out over the machine's cores (this was most of `cargo test`'s time on one thread).
#[test]
fn every_prefix_of_every_example_compiles_without_panic() {
    let examples = all_examples();
    let prefixes: Vec<(&str, &str)> = examples
        .iter()
        .flat_map(|(name, text)| {
            text.char_indices().map(|(end, _)| end).chain([text.len()]).map(|end| (name.as_str(), &text[..end]))
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let panics: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(name, prefix)) = prefixes.get(at) else { break };
                        if std::panic::catch_unwind(|| compile_text(name, prefix)).is_err() {
                            found.push(format!("{name}: panic on the first {} bytes:\n{prefix}", prefix.len()));
                        }
                    }
                    found
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|_| vec!["a worker thread panicked".into()])).collect()
    });
    assert!(panics.is_empty(), "{}", panics.join("\n\n"));
    assert!(prefixes.len() > 1000, "only {} prefixes checked", prefixes.len());
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

/// A deployment that checks clean, with `members` inside it.
fn local_deployment(members: &str) -> String {
    format!(
        "deployment d {{\n  target k3d {{\n    servers = 1\n    agents  = 1\n  }}\n{members}  service api {{ image = \"registry.example.com/api:1.0.0\" }}\n}}\n"
    )
}

/// The drawn reports of a rendering (each starts with its code on a line of its own).
fn reports(rendered: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in rendered.lines() {
        let code = line.len() == 5 && line.starts_with(['E', 'W']) && line[1..].bytes().all(|b| b.is_ascii_digit());
        if code {
            out.push(String::new());
        }
        if let Some(report) = out.last_mut() {
            report.push_str(line);
            report.push('\n');
        }
    }
    out
}

// Issue 20, finding 9: miette cannot draw a label past column 65,535 (its width argument is
// a u16) and panicked in `check`, `build` and `fmt`. A long line is shown around its label.
#[test]
fn a_diagnostic_past_column_65535_is_drawn_around_its_label() {
    let padding = " ".repeat(70_000);
    let text = local_deployment(&format!(
        "  service web {{ image = \"registry.example.com/web:1.0.0\"{padding}bogus = 1 }}\n"
    ));
    let result = compile_text("long.deploy", &text);
    assert!(result.rendered.contains("unknown attribute `bogus` in service"), "{}", result.rendered);
    assert!(result.rendered.contains("[long.deploy:6:70057]"), "{}", result.rendered);
    assert!(result.rendered.contains("bogus = 1 }"), "the user's text is shown:\n{}", result.rendered);
    assert!(
        result.rendered.contains("line 6 is 70067 characters long; shown from column 69997"),
        "{}",
        result.rendered
    );
    assert!(result.rendered.lines().all(|line| line.chars().count() < 400), "{}", result.rendered);
}

#[test]
fn a_syntax_error_past_column_65535_is_drawn_for_check_and_fmt() {
    let text = format!("deployment d {{{}= }}\n", " ".repeat(70_000));
    let result = compile_text("long.deploy", &text);
    assert!(result.rendered.contains("E0101"), "{}", result.rendered);
    assert!(result.rendered.contains("[long.deploy:1:70015]"), "{}", result.rendered);
    // `deployc fmt` renders the same syntax error.
    let mut sources = deployc::source::SourceMap::new();
    let id = sources.add("long.deploy", text.clone());
    let Err(deployc::fmt::FormatError::Syntax(diagnostics)) = deployc::fmt::format(id, &text) else {
        panic!("the formatter accepted a file that does not parse");
    };
    let rendered =
        deployc::diagnostics::render::render_all(&diagnostics, &sources, deployc::diagnostics::render::Style::Plain);
    assert!(rendered.contains("[long.deploy:1:70015]"), "{rendered}");
}

#[test]
fn labels_far_apart_on_one_long_line_and_long_labels_are_drawn() {
    // `first set here` is 70,000 columns before `set again here`: it becomes a note.
    let padding = " ".repeat(70_000);
    let text = local_deployment(&format!(
        "  service web {{ image = \"registry.example.com/web:1.0.0\"{padding}image = \"registry.example.com/web:1.0.1\" }}\n"
    ));
    let result = compile_text("long.deploy", &text);
    let [report] = &reports(&result.rendered)[..] else { panic!("one report expected:\n{}", result.rendered) };
    assert!(report.contains("set again here"), "{report}");
    assert!(report.contains("note: first set here (long.deploy:6:17)"), "{report}");
    // A label 70,000 characters long (a service name) is underlined for a part of it.
    let name = "a".repeat(70_000);
    let result = compile_text(
        "long.deploy",
        &local_deployment(&format!("  service {name} {{ image = \"registry.example.com/web:1.0.0\" }}\n")),
    );
    assert!(result.rendered.contains("E0313"), "{}", result.rendered);
    assert!(result.rendered.lines().all(|line| line.chars().count() < 400), "{}", &result.rendered[..2000]);
}

// Issue 20, finding 9: 8,000 unknown attributes took 11 s and 16,000 duplicate services over
// 60 s, since each diagnostic read the file from its start. The report draws the first
// `MAX_RENDERED` and counts the rest; JSON lists all. (Speed is measured in BENCHMARKS.md and
// the pull request, not asserted here.)
#[test]
fn many_diagnostics_are_drawn_up_to_the_cap_and_counted() {
    use deployc::diagnostics::render::MAX_RENDERED;
    let members: String =
        (0..8_000).map(|i| format!("  service web{i} {{ image = \"r.example.com/w:1.0.0\", bogus = 1 }}\n")).collect();
    let result = compile_text("many.deploy", &local_deployment(&members));
    assert_eq!(result.diagnostics.iter().filter(|d| d.code == "E0201").count(), 8_000);
    assert_eq!(reports(&result.rendered).len(), MAX_RENDERED, "{}", &result.rendered[..2000]);
    assert!(
        result
            .rendered
            .contains("7900 more errors not shown; `--format json` or `--format sarif` lists every diagnostic"),
        "{}",
        &result.rendered[result.rendered.len() - 500..]
    );
    assert!(result.rendered.ends_with("check failed: 8000 errors\n"));
    let mut sources = deployc::source::SourceMap::new();
    sources.add("many.deploy", local_deployment(&members));
    let json = deployc::diagnostics::render::render_json(&result.diagnostics, &sources);
    assert_eq!(json.lines().count(), 8_000);
}

#[test]
fn sixteen_thousand_duplicate_services_are_capped() {
    let members = "  service api { image = \"registry.example.com/api:1.0.0\" }\n".repeat(16_000);
    let result = compile_text("dup.deploy", &local_deployment(&members));
    assert_eq!(result.diagnostics.iter().filter(|d| d.code == "E0202").count(), 16_000);
    assert!(result.rendered.contains("15900 more errors not shown"), "{}", &result.rendered[..2000]);
}

#[test]
fn labels_thousands_of_lines_apart_are_drawn_apart() {
    // miette merged the contexts of `first defined here` (line 3,006) and `defined again here`
    // (line 5,006), drawing the 2,000 lines between them.
    let filler = "  service web { image = \"registry.example.com/web:1.0.0\" }\n";
    let mut members = String::new();
    for i in 0..5_000 {
        members.push_str(&filler.replace("web", &format!("web{i}")));
    }
    members.push_str(&filler.replace("web", "web3000"));
    let result = compile_text("far.deploy", &local_deployment(&members));
    let [report] = &reports(&result.rendered)[..] else { panic!("one report expected:\n{}", result.rendered) };
    assert!(report.contains("first defined here") && report.contains("defined again here"), "{report}");
    assert!(report.lines().count() < 30, "{report}");
}

// Issue 20, finding 9: each did-you-mean compared the name with every candidate, so 16,000
// references to undefined services among 16,000 services took 100 s. Suggestions now share
// one budget per compilation; past it a diagnostic has the plain help.
#[test]
fn suggestions_stop_when_their_budget_is_spent() {
    use deployc::diagnostics::suggest::SUGGESTION_BUDGET;
    let n = 4_000;
    let members: String = (0..n)
        .map(|i| format!("  service web{i} {{ image = \"registry.example.com/web:1.0.0\", uses = [wbe{i}] }}\n"))
        .collect();
    let result = compile_text("uses.deploy", &local_deployment(&members));
    let undefined: Vec<_> = result.diagnostics.iter().filter(|d| d.code == "E0203").collect();
    assert_eq!(undefined.len(), n);
    let suggested =
        undefined.iter().filter(|d| d.help.as_deref().is_some_and(|h| h.starts_with("did you mean"))).count();
    // The first ones are suggested their service (`wbe7` → `web7`), then the budget is spent.
    assert!(suggested > 0 && suggested <= SUGGESTION_BUDGET / n, "{suggested} suggested");
    assert_eq!(undefined[0].help.as_deref(), Some("did you mean `web0`?"));
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

/// A file of N independent mistakes (`examples/errors/*independent_mistakes*.deploy`, one per
/// line, its codes on the first line) gets exactly N errors, each on a line of its own.
#[test]
fn independent_mistakes_are_each_reported_once() {
    let mut files = deployc::testing::deploy_files("examples/errors");
    files.retain(|f| f.to_string_lossy().contains("independent_mistakes"));
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("example");
        let codes: Vec<&str> =
            text.lines().next().and_then(|l| l.strip_prefix("# expect:")).unwrap_or("").split_whitespace().collect();
        let result = compile_text(&file.to_string_lossy(), &text);
        let errors: Vec<_> = result.diagnostics.iter().filter(|d| d.code.starts_with('E')).collect();
        let mut found: Vec<&str> = errors.iter().map(|d| d.code).collect();
        let mut wanted = codes.clone();
        found.sort_unstable();
        wanted.sort_unstable();
        assert_eq!(found, wanted, "{}: the errors are not the file's mistakes:\n{}", file.display(), result.rendered);
        let mut lines: Vec<usize> = errors
            .iter()
            .filter_map(|d| d.primary.as_ref())
            .map(|label| text.get(..label.span.start).unwrap_or("").matches('\n').count())
            .collect();
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), codes.len(), "{}: two errors on one line:\n{}", file.display(), result.rendered);
    }
}

/// The same syntax mistake gets the same E0101, word for word (message, label, help), at depth 1
/// and at depth 30, in blocks, records and lists: the one parser collects what it expected at
/// any depth (pest, which used to word these, was given no file nested deeper than 8).
#[test]
fn a_mistake_is_worded_the_same_at_any_depth() {
    let mistakes = [
        "port 8000",
        "replicas = -1",
        "image = \"unterminated",
        "image = \"a\\qb\"",
        "cpu = 250m..",
        "size = $5/hour",
        "ports = [80 443]",
        "x = f(a = )",
        "] = 1",
        "a.b. = 1",
        "allow root \"why\"",
    ];
    let wrap = |depth: usize, inner: &str, open: &str, close: &str| {
        let mut text = String::from("deployment d {\n");
        for level in 0..depth {
            text.push_str(&open.replace("N", &level.to_string()));
        }
        text.push_str(inner);
        text.push('\n');
        for _ in 0..depth {
            text.push_str(close);
        }
        text.push_str("}\n");
        text
    };
    let words = |text: &str| {
        let result = deployc::testing::compile_text("deep.deploy", text);
        let syntax: Vec<_> = result.diagnostics.iter().filter(|d| d.code == "E0101").collect();
        assert_eq!(syntax.len(), 1, "one E0101 for:\n{text}\n{}", result.rendered);
        let d = syntax[0];
        assert!(d.help.is_some(), "no help for:\n{text}\n{}", result.rendered);
        (d.message.clone(), d.primary.as_ref().map(|l| l.text.clone()), d.help.clone())
    };
    for mistake in mistakes {
        for (open, close) in [("b N {\n", "}\n"), ("r = {\n", "}\n")] {
            // A record holds attributes only: a block-shaped mistake stays in blocks.
            if open.starts_with('r') && (mistake.starts_with("port") || mistake.starts_with("allow")) {
                continue;
            }
            let shallow = words(&wrap(1, mistake, open, close));
            let deep = words(&wrap(30, mistake, open, close));
            assert_eq!(shallow, deep, "`{mistake}` in `{open}`");
        }
    }
    // In lists: a missing `,` and a negative number, 1 and 30 lists deep.
    for item in ["1 2", "-1"] {
        let list = |depth: usize| format!("let x = {}{item}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(words(&list(1)), words(&list(30)), "`{item}` in lists");
    }
}
