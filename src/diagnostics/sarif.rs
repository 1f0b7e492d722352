//! SARIF 2.1.0 output (`--format sarif`) for GitHub code scanning and other SARIF viewers.
//!
//! Input: the diagnostics of one or more checked files. Output: one SARIF log with one run.
//! The run's tool lists every registered code as a rule (title, the explain page's "What it
//! means" as the full description, the whole page as help); each diagnostic is a result with
//! its code as `ruleId`, its primary label as the location and its other labels as related
//! locations. Columns count Unicode code points (`columnKind`), and `endColumn` is the column
//! just after the region, as SARIF wants.
//!
//! A diagnostic without a location (a file that is not UTF-8) points at line 1 of the file
//! being checked, because GitHub code scanning shows only results with a region.

use serde_json::{Value, json};

use super::codes::{CODES, CodeInfo};
use super::{Diagnostic, Diagnostics, Label, Severity};
use crate::source::SourceMap;

/// The SARIF schema this output follows.
pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The diagnostics of one checked file.
pub struct SarifFile<'a> {
    pub diagnostics: &'a Diagnostics,
    pub sources: &'a SourceMap,
    /// The file that was checked, as named on the command line: where location-less
    /// diagnostics point.
    pub root: &'a str,
}

/// How file names become artifact URIs.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// A directory prefix (with a trailing `/`) removed from absolute file names so that URIs
    /// are relative to the repository (the caller passes the working directory).
    pub base: Option<String>,
}

/// One SARIF log for every diagnostic of `files`, pretty-printed, ending in a newline.
pub fn render_sarif(files: &[SarifFile], options: &SarifOptions) -> String {
    let rules: Vec<Value> = CODES.iter().map(rule).collect();
    let mut results = Vec::new();
    for file in files {
        for diagnostic in file.diagnostics.sorted() {
            results.push(result(&diagnostic, file, options));
        }
    }
    let mut driver = json!({
        "name": "deployc",
        "fullName": "deployc, the .deploy compiler",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let (Some(uri), Some(object)) = (information_uri(), driver.as_object_mut()) {
        object.insert("informationUri".into(), uri.into());
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// The project's home page from `Cargo.toml` (`homepage`, else `repository`), if set.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")].into_iter().find(|uri| !uri.is_empty())
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(info: &CodeInfo) -> Value {
    let severity = if info.severity == "warning" { Severity::Warning } else { Severity::Error };
    json!({
        "id": info.code,
        "name": rule_name(info.title),
        "shortDescription": { "text": info.title },
        "fullDescription": { "text": section(info.explanation, "## What it means").unwrap_or(info.title) },
        "help": { "text": info.explanation, "markdown": info.explanation },
        "defaultConfiguration": { "level": level(severity) },
        "properties": { "tags": ["deployc", info.phase] },
    })
}

/// `wrong type` → `WrongType`: SARIF's identifier-like rule name.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The text of one `## ` section of an explain page, joined into one paragraph.
fn section<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let start = page.find(heading)? + heading.len();
    let rest = page.get(start..)?;
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest.get(..end).map(str::trim).filter(|s| !s.is_empty())
}

fn result(diagnostic: &Diagnostic, file: &SarifFile, options: &SarifOptions) -> Value {
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    let primary = match &diagnostic.primary {
        Some(label) => location(label, file.sources, options).unwrap_or_else(|| whole_file(file.root, options)),
        None => whole_file(file.root, options),
    };
    let related: Vec<Value> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| location(label, file.sources, options))
        .enumerate()
        .map(|(index, mut value)| {
            if let Some(object) = value.as_object_mut() {
                object.insert("id".into(), index.into());
            }
            value
        })
        .collect();
    let mut value = json!({
        "ruleId": diagnostic.code,
        "ruleIndex": CODES.iter().position(|c| c.code == diagnostic.code).unwrap_or(0),
        "level": level(diagnostic.severity),
        "message": { "text": text },
        "locations": [primary],
    });
    if let (false, Some(object)) = (related.is_empty(), value.as_object_mut()) {
        object.insert("relatedLocations".into(), related.into());
    }
    value
}

/// A label's place as a SARIF location; `None` for the embedded stdlib, which has no file.
fn location(label: &Label, sources: &SourceMap, options: &SarifOptions) -> Option<Value> {
    let file = sources.get(label.span.file).filter(|f| !f.is_stdlib)?;
    let (start_line, start_column) = file.line_col(label.span.start);
    let (end_line, end_column) = file.line_col(label.span.end.max(label.span.start));
    Some(json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&file.name, options) },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            },
        },
        "message": { "text": label.text },
    }))
}

/// Line 1 of `root`, for a diagnostic about the whole file.
fn whole_file(root: &str, options: &SarifOptions) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(root, options) },
            "region": { "startLine": 1 },
        },
    })
}

/// A file name as a URI reference: `/` separators, no `./`, relative to `options.base` when
/// under it, and percent-encoded where URIs need it.
pub fn uri(name: &str, options: &SarifOptions) -> String {
    let mut path = name.replace('\\', "/");
    if let Some(base) = &options.base
        && let Some(relative) = path.strip_prefix(base.as_str())
    {
        path = relative.to_string();
    }
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    let mut out = if path.starts_with('/') { String::from("file://") } else { String::new() };
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let options = SarifOptions { base: Some("/repo/".into()) };
        assert_eq!(uri("./examples/a b.deploy", &options), "examples/a%20b.deploy");
        assert_eq!(uri("/repo/app.deploy", &options), "app.deploy");
        assert_eq!(uri("/elsewhere/app.deploy", &options), "file:///elsewhere/app.deploy");
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(rule_name("source file is not UTF-8"), "SourceFileIsNotUTF8");
    }
}
