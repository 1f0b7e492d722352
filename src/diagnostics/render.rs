//! Renderers: miette's graphical report (colour on a terminal, plain for tests and goldens)
//! and JSON lines for tools.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Diagnostic, Diagnostics, Severity};
use crate::source::SourceMap;

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode, no colour, width 80: tests, goldens and pipes.
    Plain,
    /// Colours for a terminal.
    Colour,
}

/// Render every diagnostic (sorted, de-duplicated) followed by a count line.
pub fn render_all(diagnostics: &Diagnostics, sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics.sorted() {
        out.push_str(&render_one(&diagnostic, sources, style));
    }
    if let Some(summary) = diagnostics.summary() {
        let verb = if diagnostics.has_errors() { "failed" } else { "passed" };
        out.push_str(&format!("check {verb}: {summary}\n"));
    }
    out
}

/// Render one diagnostic with its source excerpt.
pub fn render_one(diagnostic: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let theme = match style {
        Style::Plain => GraphicalTheme::unicode_nocolor(),
        Style::Colour => GraphicalTheme::unicode(),
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(80).with_links(false);
    let report = Report::new(diagnostic, sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}[{}]: {}\n", severity_word(diagnostic.severity), diagnostic.code, diagnostic.message);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One JSON object per diagnostic, one per line: code, severity, message, file, line, column,
/// end line and column, labels and help.
pub fn render_json(diagnostics: &Diagnostics, sources: &SourceMap) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics.sorted() {
        let position = |span: crate::source::Span| {
            let file = sources.get(span.file);
            let (line, column) = file.map(|f| f.line_col(span.start)).unwrap_or((0, 0));
            let (end_line, end_column) = file.map(|f| f.line_col(span.end)).unwrap_or((0, 0));
            serde_json::json!({
                "file": sources.name(span.file), "line": line, "column": column,
                "end_line": end_line, "end_column": end_column,
            })
        };
        let labels: Vec<serde_json::Value> = diagnostic
            .primary
            .iter()
            .chain(diagnostic.secondary.iter())
            .map(|label| {
                let mut value = position(label.span);
                if let Some(object) = value.as_object_mut() {
                    object.insert("label".into(), label.text.clone().into());
                }
                value
            })
            .collect();
        let mut value = serde_json::json!({
            "code": diagnostic.code,
            "severity": severity_word(diagnostic.severity),
            "message": diagnostic.message,
            "labels": labels,
            "help": diagnostic.help,
            "notes": diagnostic.notes,
        });
        if let Some(primary) = &diagnostic.primary
            && let (Some(object), serde_json::Value::Object(pos)) = (value.as_object_mut(), position(primary.span))
        {
            object.extend(pos);
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// Adapter from our [`Diagnostic`] to `miette::Diagnostic`. Labels in another file than the
/// primary one become notes naming that file, line and column.
struct Report {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<NamedSource<String>>,
}

impl Report {
    fn new(diagnostic: &Diagnostic, sources: &SourceMap) -> Self {
        let mut labels = Vec::new();
        let mut notes = diagnostic.notes.clone();
        let mut source = None;
        if let Some(primary) = &diagnostic.primary {
            if let Some(file) = sources.get(primary.span.file) {
                // Shown on a terminal: no control or bidirectional character (E0103) as itself.
                let text = crate::text::displayable(&file.text).into_owned();
                source = Some(NamedSource::new(file.name.clone(), text));
            }
            labels.push(LabeledSpan::new_primary_with_span(Some(primary.text.clone()), primary.span));
            for label in &diagnostic.secondary {
                if label.span.file == primary.span.file {
                    labels.push(LabeledSpan::new_with_span(Some(label.text.clone()), label.span));
                } else if let Some(file) = sources.get(label.span.file) {
                    let (line, column) = file.line_col(label.span.start);
                    notes.push(format!("{} ({}:{line}:{column})", label.text, file.name));
                }
            }
        }
        let mut help = diagnostic.help.clone();
        if !notes.is_empty() {
            let joined = notes.iter().map(|n| format!("note: {n}")).collect::<Vec<_>>().join("\n");
            help = Some(match help {
                Some(h) => format!("{h}\n{joined}"),
                None => joined,
            });
        }
        Report {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            help,
            labels,
            source,
        }
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.clone().into_iter())) }
    }
}
