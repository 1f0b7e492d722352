//! Renderers: miette's graphical report (colour on a terminal, plain for tests and goldens)
//! and JSON lines for tools.
//!
//! The graphical report survives any input: miette reads the source through [`Excerpt`],
//! which finds lines by binary search over the file's line starts (so many diagnostics cost
//! time in proportion to their number, not to their number times the file's length), draws
//! contexts more than [`MERGE_GAP`] lines apart as separate excerpts, and shows a line longer
//! than [`LONG_LINE`] bytes only around its label (miette cannot draw a label past column
//! 65,535, and a 70,000-column line helps no reader). Labels it cannot draw in place become
//! notes naming their line and column. At most [`MAX_RENDERED`] diagnostics are drawn; a line
//! says how many more there are, and `--format json` and `--format sarif` list every one.

use std::fmt;
use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};

use super::{Diagnostic, Diagnostics, Severity};
use crate::source::{SourceFile, SourceMap, Span};

/// How many diagnostics the graphical report draws in full. A file with more has usually one
/// mistake repeated (a pasted block, a generated file); the first hundred show it, and a
/// terminal of 16,000 reports helps nobody. The JSON and SARIF outputs are not capped.
pub const MAX_RENDERED: usize = 100;

/// A line longer than this many bytes is shown only around the label on it. No line of the
/// examples or the stdlib is half as long, so hand-written files are drawn whole.
pub const LONG_LINE: usize = 512;

/// Bytes of a long line shown on each side of its label.
const EXCERPT_MARGIN: usize = 60;

/// A label on a long line is underlined for at most this many bytes.
const LONG_LABEL: usize = 160;

/// A label over more lines than this is underlined on its first line only, so that a label
/// on a whole block never draws the block.
const MAX_LABEL_LINES: usize = 24;

/// Contexts (a label's lines and one line either side) at most this many lines apart are drawn
/// as one excerpt; farther apart, each is drawn on its own, so that two labels 10,000 lines
/// apart never draw the 10,000 lines between them.
pub const MERGE_GAP: usize = 8;

/// How to draw diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unicode, no colour, width 80: tests, goldens and pipes.
    Plain,
    /// Colours for a terminal.
    Colour,
}

/// Render the first [`MAX_RENDERED`] diagnostics (sorted, de-duplicated), a line counting the
/// rest, and a count line.
pub fn render_all(diagnostics: &Diagnostics, sources: &SourceMap, style: Style) -> String {
    let handler = handler(style);
    let sorted = diagnostics.sorted();
    let mut out = String::new();
    for diagnostic in sorted.iter().take(MAX_RENDERED) {
        out.push_str(&render_with(&handler, diagnostic, sources));
    }
    if let Some(rest) = sorted.get(MAX_RENDERED..)
        && !rest.is_empty()
    {
        let errors = rest.iter().filter(|d| d.is_error()).count();
        out.push_str(&format!(
            "{} not shown; `--format json` or `--format sarif` lists every diagnostic\n\n",
            more(errors, rest.len() - errors)
        ));
    }
    if let Some(summary) = diagnostics.summary() {
        let verb = if diagnostics.has_errors() { "failed" } else { "passed" };
        out.push_str(&format!("check {verb}: {summary}\n"));
    }
    out
}

/// "3 more errors", "1 more warning", "3 more errors and 1 more warning".
fn more(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} more {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{} and {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Render one diagnostic with its source excerpt.
pub fn render_one(diagnostic: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    render_with(&handler(style), diagnostic, sources)
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = match style {
        Style::Plain => GraphicalTheme::unicode_nocolor(),
        Style::Colour => GraphicalTheme::unicode(),
    };
    GraphicalReportHandler::new_themed(theme).with_width(80).with_links(false)
}

fn render_with(handler: &GraphicalReportHandler, diagnostic: &Diagnostic, sources: &SourceMap) -> String {
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
/// primary one, and labels that cannot be drawn in place (see the module comment), become
/// notes naming their file, line and column.
struct Report<'s> {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<Excerpt<'s>>,
}

impl<'s> Report<'s> {
    fn new(diagnostic: &Diagnostic, sources: &'s SourceMap) -> Self {
        let mut labels = Vec::new();
        let mut notes = diagnostic.notes.clone();
        let mut source = None;
        if let Some(primary) = &diagnostic.primary {
            let file = sources.get(primary.span.file);
            let mut window = None;
            let mut primary_span = primary.span;
            if let Some(file) = file {
                primary_span = drawable(file, primary.span);
                if near_long_line(file, primary_span) {
                    let (span, range) = long_line_window(file, primary.span);
                    let line = file.line_index(range.start);
                    if range != file.line_range(line) {
                        let (_, from) = file.line_col(range.start);
                        let (_, to) = file.line_col(range.end);
                        let length = file.text.get(file.line_range(line)).map(|t| t.chars().count()).unwrap_or(0);
                        notes.push(format!(
                            "line {} is {length} characters long; shown from column {from} to {}",
                            line + 1,
                            to.saturating_sub(1).max(from)
                        ));
                    }
                    primary_span = span;
                    window = Some(range);
                }
                source = Some(Excerpt { file, window: window.clone() });
            }
            labels.push(LabeledSpan::new_primary_with_span(Some(primary.text.clone()), primary_span));
            for label in &diagnostic.secondary {
                let Some(other) = sources.get(label.span.file) else { continue };
                let in_place = label.span.file == primary.span.file
                    && match &window {
                        Some(range) => range.start <= label.span.start && label.span.end <= range.end,
                        None => !near_long_line(other, drawable(other, label.span)),
                    };
                if in_place {
                    labels.push(LabeledSpan::new_with_span(Some(label.text.clone()), drawable(other, label.span)));
                } else {
                    let (line, column) = other.line_col(label.span.start);
                    notes.push(format!("{} ({}:{line}:{column})", label.text, other.name));
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

/// `span` clamped to the file, and cut to its first line when it covers more than
/// [`MAX_LABEL_LINES`] lines.
fn drawable(file: &SourceFile, span: Span) -> Span {
    let start = span.start.min(file.text.len());
    let end = span.end.clamp(start, file.text.len());
    let first = file.line_index(start);
    let last = file.line_index(end);
    let end = if last - first > MAX_LABEL_LINES { file.line_range(first).end.max(start) } else { end };
    Span { file: span.file, start, end }
}

/// Whether a line that miette would draw for `span` (its lines and one either side) is longer
/// than [`LONG_LINE`].
fn near_long_line(file: &SourceFile, span: Span) -> bool {
    let first = file.line_index(span.start);
    let last = file.line_index(span.end);
    (first.saturating_sub(1)..=last + 1).any(|line| file.line_range(line).len() > LONG_LINE)
}

/// On a long line: `span` cut to that line and at most [`LONG_LABEL`] bytes, and the part of
/// the line shown around it.
fn long_line_window(file: &SourceFile, span: Span) -> (Span, Range<usize>) {
    let text = file.text.as_str();
    let start = span.start.min(text.len());
    let line = file.line_range(file.line_index(start));
    let end = ceil_boundary(text, span.end.clamp(start, line.end.max(start)).min(start + LONG_LABEL));
    let from = floor_boundary(text, start.saturating_sub(EXCERPT_MARGIN).max(line.start));
    let to = ceil_boundary(text, (end + EXCERPT_MARGIN).min(line.end).max(end));
    (Span { file: span.file, start, end }, from..to)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at.min(text.len())
}

/// A source file as miette reads it: whole lines found through the file's line index, or,
/// for a label on a long line, only `window` (a part of that line).
struct Excerpt<'s> {
    file: &'s SourceFile,
    window: Option<Range<usize>>,
}

impl SourceCode for Excerpt<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let file = self.file;
        // Shown on a terminal: no control or bidirectional character (E0103) as itself.
        let text = file.displayable_text();
        let start = span.offset();
        let end = start.checked_add(span.len()).filter(|end| *end <= text.len()).ok_or(MietteError::OutOfBounds)?;
        if let Some(window) = &self.window {
            if start < window.start || end > window.end {
                return Err(MietteError::OutOfBounds);
            }
            // One line, or part of one: no context lines, which might be long too.
            let data = text.get(window.clone()).ok_or(MietteError::OutOfBounds)?.as_bytes();
            let line = file.line_index(window.start);
            let line_start = file.line_range(line).start;
            let column = if context_lines_before == 0 { start - line_start } else { window.start - line_start };
            let contents = MietteSpanContents::new_named(
                file.name.clone(),
                data,
                SourceSpan::new(window.start.into(), window.len()),
                line,
                column,
                1,
            );
            return Ok(Box::new(contents));
        }
        // miette's own reader on the lines around the span: the same excerpt as on the whole
        // text, without reading the text from its start.
        let first = file.line_index(start);
        let last = file.line_index(end.saturating_sub(1).max(start));
        let from_line = first.saturating_sub(context_lines_before);
        let from = file.line_range(from_line).start;
        let to = file.line_range(last.saturating_add(context_lines_after).saturating_add(2)).end;
        let lines = text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let inner = lines.read_span(
            &SourceSpan::new((start - from).into(), span.len()),
            context_lines_before,
            context_lines_after,
        )?;
        let data = inner.data();
        let drawn = data.iter().filter(|b| **b == b'\n').count() + usize::from(!data.ends_with(b"\n"));
        // miette merges the next context into this one when `line + line_count` reaches it;
        // its own reader counts lines from the start of the file, which merges contexts
        // thousands of lines apart. Counted from here, only near ones are merged.
        let line_count = (from_line + inner.line_count()).min(drawn + MERGE_GAP);
        let contents = MietteSpanContents::new_named(
            file.name.clone(),
            data,
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + from_line,
            inner.column(),
            line_count,
        );
        Ok(Box::new(contents))
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
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
