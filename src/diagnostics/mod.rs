//! Diagnostics: the one shape every phase reports user mistakes in, the sink that collects
//! them, the code registry and the renderers.
//!
//! User mistakes are data, not `Err`: phases push into a [`Diagnostics`] sink and carry on.

pub mod codes;
pub mod render;
pub mod sarif;
pub mod suggest;

use crate::source::Span;

/// How bad a diagnostic is. Errors gate later phases; warnings never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short fragment of text pointing at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One diagnostic: a stable code, a lowercase message, a primary label, secondary labels
/// ("first defined here"), a `help:` sentence that says what to do, and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// `None` for location-less diagnostics (usage errors, unreadable files).
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error with code `code` (its severity comes from the code's first letter).
    /// A diagnostic with a registered `code` (`codes::E0301`); its severity is the registry's.
    pub fn new(code: codes::Code, message: impl Into<String>) -> Self {
        let severity = if code.is_warning() { Severity::Warning } else { Severity::Error };
        Diagnostic {
            code: code.as_str(),
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label { span, text: label.into() });
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label { span, text: label.into() });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    fn sort_key(&self) -> (u32, usize, &'static str) {
        match &self.primary {
            Some(label) => (label.span.file.0, label.span.start, self.code),
            None => (0, 0, self.code),
        }
    }
}

/// The accumulator passed `&mut` through the phases.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by file and position, identical `(code, span)` pairs removed.
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut items = self.items.clone();
        items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        items.dedup_by(|a, b| a.code == b.code && a.primary == b.primary && a.message == b.message);
        items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// "2 errors, 1 warning", or `None` when there is nothing to report.
    pub fn summary(&self) -> Option<String> {
        let sorted = self.sorted();
        let errors = sorted.iter().filter(|d| d.is_error()).count();
        let warnings = sorted.len() - errors;
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        match (errors, warnings) {
            (0, 0) => None,
            (e, 0) => Some(plural(e, "error")),
            (0, w) => Some(plural(w, "warning")),
            (e, w) => Some(format!("{}, {}", plural(e, "error"), plural(w, "warning"))),
        }
    }
}
