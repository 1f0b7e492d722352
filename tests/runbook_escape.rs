//! Issue 20, findings 6 and 10: values from the file reach `RUNBOOK.md`, the Mermaid graph and
//! the headers of every output as text, never as Markdown, HTML, Mermaid or YAML; control and
//! bidirectional characters never reach an output (E0103 at the file's text, visible escapes for
//! the file name).
//!
//! `tests/fixtures/runbook-positions.deploy` has a placeholder in every free-text position that
//! reaches the runbook; each payload below is put in each position in turn. A build the checker
//! refuses must say why; a build that succeeds must give a runbook whose Markdown events (read
//! by pulldown-cmark, with GitHub's extensions) have the same structure as with the value `x`
//! there and hold the payload as text, a graph whose Mermaid statements are the same outside
//! their quoted labels, and no forbidden character in any file.

use std::collections::BTreeMap;

use deployc::output::OutputTree;
use deployc::testing::compile_text;
use pulldown_cmark::{Event, Options, Parser};

const FIXTURE: &str = include_str!("fixtures/runbook-positions.deploy");

/// Markdown, HTML, Mermaid and YAML that must stay text.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![i](http://e/x.png)",
    "<http://evil.example/>",
    "[ref]: http://evil.example/",
    "# heading",
    "## heading ##",
    "- item",
    "1. item",
    "> quote",
    "| a | b |",
    "a | b",
    "`code`",
    "``double `` ticks",
    "```",
    "*bold* **strong**",
    "_em_ __strong__",
    "~~gone~~ ~x~",
    "$x^2$ and $$y$$",
    "<!-- comment -->",
    "-->",
    "&lt;b&gt; &amp; &#60;",
    "line\n---\nafter",
    "line\n# heading",
    "line\n\n| a | b |\n|---|---|",
    "back\\slash \\* \\`",
    "tab\there",
    "\"]-->X[",
    "\"quoted\" #quot; #35;",
    "%%{init: {'theme':'dark'}}%%",
    "a|b|c",
    "x:y; z{w}",
    "[^1] [[wiki]]",
    "\\",
    "ümlaut ✓ 株",
];

/// Characters E0103 refuses in the file.
const FORBIDDEN: &[&str] = &[
    "nul\u{0}",
    "cr\rx",
    "esc\u{1b}[2J",
    "del\u{7f}",
    "nel\u{85}",
    "rtl\u{202e}gnp.exe",
    "iso\u{2066}x",
    "ls\u{2028}x",
];

/// The fixture's placeholders, each a free-text position that reaches the runbook.
fn positions() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = FIXTURE;
    while let Some(start) = rest.find('@') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('@') else { break };
        let name = &after[..end];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
            rest = &after[end + 1..];
        } else {
            rest = after;
        }
    }
    out
}

/// `value` as the body of a `.deploy` string literal.
fn literal(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\t', "\\t").replace('$', "\\$")
}

/// The fixture with `value` at `position` and `x` (or a long enough reason) everywhere else.
fn fill(position: &str, value: &str) -> String {
    let mut text = FIXTURE.to_string();
    for name in positions() {
        let filler = if name.starts_with("REASON") { "the reason is long enough here" } else { "x" };
        let with = if name == position {
            if name.starts_with("REASON") {
                format!("the reason is long enough: {}", literal(value))
            } else {
                literal(value)
            }
        } else {
            filler.to_string()
        };
        text = text.replace(&format!("@{name}@"), &with);
    }
    text
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_WIKILINKS
}

/// The runbook's Markdown structure (text and code contents left out, adjacent texts as one),
/// and its texts and code spans.
fn read_markdown(markdown: &str) -> (Vec<String>, Vec<String>) {
    let mut shape: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut in_text = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) => {
                if in_text {
                    if let Some(last) = texts.last_mut() {
                        last.push_str(&t);
                    }
                } else {
                    shape.push("text".into());
                    texts.push(t.to_string());
                }
                in_text = true;
            }
            Event::Code(t) => {
                shape.push("code".into());
                texts.push(t.to_string());
                in_text = false;
            }
            // The HTML comment on the first line: its kind, not its text.
            Event::Html(_) => {
                shape.push("html".into());
                in_text = false;
            }
            other => {
                shape.push(format!("{other:?}"));
                in_text = false;
            }
        }
    }
    (shape, texts)
}

/// The Mermaid block of a runbook.
fn mermaid_of(markdown: &str) -> String {
    let mut in_mermaid = false;
    let mut out = String::new();
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(pulldown_cmark::Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info))) => {
                in_mermaid = &*info == "mermaid";
            }
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_mermaid = false,
            Event::Text(t) if in_mermaid => out.push_str(&t),
            _ => {}
        }
    }
    out
}

/// Mermaid statements without their quoted labels, and what is wrong inside a label.
fn read_mermaid(graph: &str) -> (Vec<String>, Vec<String>) {
    let mut statements = Vec::new();
    let mut problems = Vec::new();
    for line in graph.lines() {
        // Mermaid removes a line starting with `%%` (not `%%{`) before parsing.
        if line.trim_start().starts_with("%%") {
            if line.contains("%%{") {
                problems.push(format!("directive: {line}"));
            }
            statements.push("%%".to_string());
            continue;
        }
        let parts: Vec<&str> = line.split('"').collect();
        if parts.len().is_multiple_of(2) {
            problems.push(format!("unbalanced quotes: {line}"));
        }
        let mut outside = String::new();
        for (i, part) in parts.iter().enumerate() {
            if i % 2 == 0 {
                outside.push_str(part);
                continue;
            }
            outside.push_str("\"L\"");
            let label = part.replace("<br/>", "");
            if label.contains(['<', '>', '%', '|', '&', '`']) || label.chars().any(forbidden) {
                problems.push(format!("label holds markup: {part}"));
            }
            let bad_hash = label.match_indices('#').any(|(at, _)| {
                let tail = &label[at + 1..];
                let code = tail.split(';').next().unwrap_or("");
                !(tail.contains(';') && !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric()))
            });
            if bad_hash {
                problems.push(format!("`#` outside an entity code: {part}"));
            }
        }
        if outside.contains("%%{") {
            problems.push(format!("directive: {line}"));
        }
        statements.push(outside);
    }
    (statements, problems)
}

/// What the reader sees of `value`: on one line (the payloads hold no forbidden character).
fn seen(value: &str) -> String {
    value.replace(['\n', '\r', '\t'], " ")
}

/// The characters no output may hold, written out here rather than taken from `deployc::text`
/// so that the test is its own oracle: C0 controls but tab and line feed, DEL, C1, the
/// bidirectional embeddings, overrides and isolates, and U+2028/U+2029.
fn forbidden(c: char) -> bool {
    let n = u32::from(c);
    (n < 0x20 && c != '\t' && c != '\n')
        || (0x7f..=0x9f).contains(&n)
        || (0x202a..=0x202e).contains(&n)
        || (0x2066..=0x2069).contains(&n)
        || n == 0x2028
        || n == 0x2029
}

/// The documents of a YAML stream, up to the first that does not parse (then an error string).
fn yaml_documents(text: &str) -> Vec<Result<serde_yaml::Value, String>> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value: Result<serde_yaml::Value, String> =
            serde::Deserialize::deserialize(document).map_err(|e| e.to_string());
        let failed = value.is_err();
        out.push(value);
        // After an error the stream may repeat it forever.
        if failed || out.len() > 1000 {
            break;
        }
    }
    out
}

fn forbidden_in(tree: &OutputTree) -> Vec<String> {
    tree.iter()
        .filter(|(_, content)| content.chars().any(forbidden))
        .map(|(path, _)| format!("{path} holds a forbidden character"))
        .collect()
}

/// The table test: every payload in every position.
#[test]
fn hostile_values_in_every_runbook_position_stay_text() {
    let positions = positions();
    assert!(positions.len() >= 14, "the fixture lost positions: {positions:?}");
    let mut baselines: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for position in &positions {
        let built = compile_text("runbook-positions.deploy", &fill(position, "x"));
        let tree = built.output.unwrap_or_else(|| panic!("{position} = x does not build:\n{}", built.rendered));
        let runbook = &tree["RUNBOOK.md"];
        baselines.insert(position.clone(), (read_markdown(runbook).0, read_mermaid(&mermaid_of(runbook)).0));
    }
    let (mut accepted, mut refused, mut failures) = (0, 0, Vec::new());
    for position in &positions {
        let (shape, statements) = &baselines[position];
        for payload in PAYLOADS {
            let built = compile_text("runbook-positions.deploy", &fill(position, payload));
            let Some(tree) = built.output else {
                // Checked values (URLs, paths, versions) refuse some payloads: with a reason.
                refused += 1;
                if !built.diagnostics.iter().any(|d| d.is_error()) {
                    failures.push(format!("{position} = {payload:?}: no output and no error"));
                }
                continue;
            };
            accepted += 1;
            let runbook = &tree["RUNBOOK.md"];
            let (actual_shape, texts) = read_markdown(runbook);
            if &actual_shape != shape {
                let at = actual_shape.iter().zip(shape).position(|(a, b)| a != b).unwrap_or(shape.len());
                failures.push(format!(
                    "{position} = {payload:?}: the runbook's structure changed at event {at}: {:?} instead of {:?}",
                    actual_shape.get(at),
                    shape.get(at)
                ));
            } else if !texts.iter().any(|t| t.contains(&seen(payload))) {
                failures.push(format!("{position} = {payload:?}: the payload is not in the runbook's text"));
            }
            let (actual_statements, problems) = read_mermaid(&mermaid_of(runbook));
            if &actual_statements != statements {
                failures.push(format!("{position} = {payload:?}: the graph's statements changed"));
            }
            failures.extend(problems.into_iter().map(|p| format!("{position} = {payload:?}: graph: {p}")));
            failures.extend(forbidden_in(&tree).into_iter().map(|p| format!("{position} = {payload:?}: {p}")));
        }
    }
    eprintln!(
        "{} positions × {} payloads: {accepted} built, {refused} refused by the checker, {} failures",
        positions.len(),
        PAYLOADS.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Control and bidirectional characters are E0103 at the character, in every position.
#[test]
fn forbidden_characters_are_refused_where_they_are_written() {
    let mut failures = Vec::new();
    for position in positions() {
        for payload in FORBIDDEN {
            let text = fill(&position, payload);
            let built = compile_text("runbook-positions.deploy", &text);
            let c = payload.chars().find(|&c| forbidden(c)).unwrap_or(' ');
            let expected = text.find(c).unwrap_or(0);
            let at = built
                .diagnostics
                .iter()
                .find(|d| d.code == "E0103")
                .and_then(|d| d.primary.as_ref())
                .map(|l| l.span.start);
            if built.output.is_some() || at != Some(expected) {
                failures.push(format!("{position} = {payload:?}: E0103 at {at:?}, expected at {expected}"));
            }
            if built.rendered.chars().any(forbidden) {
                failures.push(format!("{position} = {payload:?}: the rendered diagnostic holds the character"));
            }
        }
    }
    // Allowed: tab, line feed and `\r\n` line ends.
    let crlf = fill("TITLE", "x").replace('\n', "\r\n");
    let built = compile_text("crlf.deploy", &crlf);
    assert!(built.output.is_some(), "a file with CRLF line ends does not build:\n{}", built.rendered);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Finding 6: a crafted file name reaches no output as markup or as a line break, and the
/// output does not depend on the directories in the path.
#[test]
fn a_crafted_file_name_stays_in_its_comment() {
    let text = fill("TITLE", "x");
    let plain = compile_text("app.deploy", &text).output.expect("builds");
    let nested = compile_text("./some/dir/app.deploy", &text).output.expect("builds");
    assert_eq!(plain, nested, "the output depends on how the path was spelled");
    let (shape, _) = read_markdown(&plain["RUNBOOK.md"]);
    let statements = read_mermaid(&mermaid_of(&plain["RUNBOOK.md"])).0;
    let names = [
        "evil\n---\napiVersion: v1\nkind: Secret\n#.deploy",
        "x\r\nkind: Namespace.deploy",
        "a`b``c```d.deploy",
        "--> <script>alert(1)</script> <!--.deploy",
        "%%{init: {'theme':'dark'}}%%.deploy",
        "rtl\u{202e}yolpedTXT.deploy",
        "nel\u{85}ls\u{2028}nul\u{0}.deploy",
        "$(touch PWNED)'\"`id`.deploy",
        "| a | b |.deploy",
    ];
    let mut failures = Vec::new();
    for name in names {
        let built = compile_text(&format!("dir/{name}"), &text);
        let Some(tree) = built.output else {
            failures.push(format!("{name:?}: no output:\n{}", built.rendered));
            continue;
        };
        failures.extend(forbidden_in(&tree).into_iter().map(|p| format!("{name:?}: {p}")));
        for (path, content) in &tree {
            let expected = &plain[path];
            // Every file has the same lines as with a plain name: the name adds none.
            if content.lines().count() != expected.lines().count() {
                failures.push(format!("{name:?}: {path} has another number of lines"));
            }
            if path.ends_with(".yaml") || path.ends_with(".sh") {
                let header: Vec<&str> = content.lines().filter(|l| l.contains("Generated by deployc")).collect();
                if header.len() != 1 || !(header[0].starts_with("# ") || header[0].starts_with("#!")) {
                    failures.push(format!("{name:?}: {path}: header {header:?}"));
                }
            }
            if path.ends_with(".yaml") && yaml_documents(content) != yaml_documents(expected) {
                failures.push(format!("{name:?}: {path} reads as other YAML"));
            }
        }
        let runbook = &tree["RUNBOOK.md"];
        if read_markdown(runbook).0 != shape {
            failures.push(format!("{name:?}: the runbook's structure changed"));
        }
        let (graph, problems) = read_mermaid(&mermaid_of(runbook));
        if graph.len() != statements.len() || !problems.is_empty() {
            failures.push(format!("{name:?}: the graph changed: {problems:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Quoting by construction, as `tests/scripts.rs` holds the scripts to: every string the
/// runbook template gets is Markdown made by `src/emit/markdown.rs` (escaped text, code spans,
/// fixed text), or one of the reviewed raw values below, each held to the check that makes it
/// inert where the template puts it.
#[test]
fn every_string_the_runbook_template_gets_is_markdown_or_a_reviewed_raw_value() {
    fn identifier(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }
    fn fence(s: &str) -> bool {
        s.len() >= 3 && s.chars().all(|c| c == '`')
    }
    fn no_fence_line(s: &str) -> bool {
        // The graph goes into a block fenced longer than any backtick run in it (`mermaid_fence`).
        !s.contains(['\r']) && !s.chars().any(forbidden)
    }
    fn comment(s: &str) -> bool {
        !s.contains(['\n', '\r', '<', '>']) && !s.chars().any(forbidden)
    }
    type Review = (&'static str, fn(&str) -> bool);
    let reviewed: [Review; 5] = [
        // In a table cell in backticks and in `export NAME=...`: the checker allows only
        // environment variable names (E0314).
        (".env[].env", identifier),
        (".mermaid_fence", fence),
        (".mermaid", no_fence_line),
        // Inside `<!-- … -->`: one line, no `>` to end it.
        (".source_comment", comment),
        (".deployment_comment", comment),
    ];
    fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, &format!("{path}.{k}"), out)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, &format!("{path}[]"), out)),
            serde_json::Value::String(s) => out.push((path.to_string(), s.clone())),
            _ => {}
        }
    }
    let mut sources: Vec<(String, String)> = deployc::testing::deploy_files("examples")
        .into_iter()
        .chain(["tests/fixtures/hostile-doks.deploy", "tests/fixtures/hostile-k3d.deploy"].map(Into::into))
        .map(|p| (p.to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap_or_default()))
        .collect();
    for position in positions() {
        for payload in PAYLOADS {
            sources.push((format!("{position}={payload:?}"), fill(&position, payload)));
        }
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, text) in &sources {
        let Some(contexts) = deployc::testing::template_contexts_of(name, text) else { continue };
        let mut strings = Vec::new();
        walk(&contexts.runbook, "", &mut strings);
        for (path, value) in strings {
            checked += 1;
            match reviewed.iter().find(|(p, _)| *p == path) {
                Some((_, check)) if check(&value) => {}
                Some(_) => problems.push(format!("{name}: {path} = {value:?} fails its review check")),
                None if markdown_safe(&value) => {}
                None => problems.push(format!("{name}: {path} = {value:?} reaches the runbook unescaped")),
            }
        }
    }
    assert!(checked > 1000, "only {checked} strings checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Whether `s` is inline Markdown that shows as text: code spans closed on the same line,
/// backslash escapes, the entities `&lt;` `&gt;` `&amp;`, and otherwise no character that
/// starts markup (`* ~ $` only after a space, `$` also before a digit, `_` only between letters
/// or digits), on one line, not starting a block.
fn markdown_safe(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if s.contains(['\n', '\r']) || chars.iter().any(|&c| forbidden(c)) {
        return false;
    }
    if s.starts_with(['#', '+', '-', '=']) {
        return false;
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && (s[digits..].starts_with(". ") || s[digits..].starts_with(") ")) {
        return false;
    }
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        match c {
            '`' => {
                let n = chars[i..].iter().take_while(|&&c| c == '`').count();
                let mut j = i + n;
                let close = loop {
                    if j >= chars.len() {
                        break None;
                    }
                    if chars[j] == '`' {
                        let m = chars[j..].iter().take_while(|&&c| c == '`').count();
                        if m == n {
                            break Some(j);
                        }
                        j += m;
                    } else {
                        j += 1;
                    }
                };
                let Some(close) = close else { return false };
                i = close + n;
                continue;
            }
            '\\' => {
                if !after.is_some_and(|a| a.is_ascii_punctuation()) {
                    return false;
                }
                i += 2;
                continue;
            }
            '&' => {
                let rest: String = chars[i..].iter().take(5).collect();
                if !(rest.starts_with("&lt;") || rest.starts_with("&gt;") || rest.starts_with("&amp;")) {
                    return false;
                }
            }
            '<' | '>' | '|' | '[' | ']' => return false,
            '*' | '~' if !before.is_some_and(char::is_whitespace) => return false,
            '$' if !before.is_some_and(char::is_whitespace) && !after.is_some_and(|a| a.is_ascii_digit()) => {
                return false;
            }
            '_' if !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)) => {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    true
}
