//! The untyped, spanned syntax tree. No semantic information: the checker gives it meaning.

use crate::source::Span;

/// One parsed file.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Import(Import),
    Let(Let),
    Block(Block),
}

/// `import "path" as name`.
#[derive(Debug, Clone)]
pub struct Import {
    pub path: StrLit,
    pub alias: Option<Ident>,
    pub span: Span,
}

/// `let name = value`.
#[derive(Debug, Clone)]
pub struct Let {
    pub name: Ident,
    pub value: Value,
    pub span: Span,
}

/// A name with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `kind label? (: template)? { members }`.
#[derive(Debug, Clone)]
pub struct Block {
    pub kind: Ident,
    pub label: Option<Label>,
    pub template: Option<Ident>,
    pub members: Vec<Member>,
    pub span: Span,
}

impl Block {
    /// The label's text, if any.
    pub fn label_name(&self) -> Option<&str> {
        self.label.as_ref().map(|l| l.name.as_str())
    }

    /// The span to point at when talking about the whole block: its head.
    pub fn head_span(&self) -> Span {
        match &self.label {
            Some(label) => self.kind.span.to(label.span),
            None => self.kind.span,
        }
    }
}

/// A block label: an identifier or a string (`http "https://…" { }`).
#[derive(Debug, Clone)]
pub struct Label {
    pub name: String,
    pub is_string: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Member {
    Attr(Attr),
    Block(Block),
    /// A bare identifier or call, such as `dapr` inside `stack { }`.
    Bare(Value),
    /// `allow NAME because "reason"`.
    Allow(Allow),
}

/// A written exception to a secure default.
#[derive(Debug, Clone)]
pub struct Allow {
    pub name: Ident,
    pub reason: StrLit,
    pub span: Span,
}

/// `a.b.c = value`.
#[derive(Debug, Clone)]
pub struct Attr {
    pub path: Vec<Ident>,
    pub value: Value,
    pub span: Span,
}

impl Attr {
    /// The dotted path as written (borrowed for a one-name path, the usual case).
    pub fn key(&self) -> std::borrow::Cow<'_, str> {
        match self.path.as_slice() {
            [only] => std::borrow::Cow::Borrowed(only.name.as_str()),
            parts => std::borrow::Cow::Owned(parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".")),
        }
    }

    pub fn key_span(&self) -> Span {
        match (self.path.first(), self.path.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => self.span,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ValueKind {
    /// An integer or decimal, with its text.
    Number(f64, String),
    /// A number immediately followed by a unit (`512Mi`, `250m`, `10m`, `70%`).
    Quantity {
        number: f64,
        number_text: String,
        /// One of [`UNITS`].
        unit: &'static str,
    },
    /// `$24/mo`; `rate` is `mo`, `h` or empty.
    Money {
        amount: f64,
        rate: String,
    },
    Bool(bool),
    Str(StrLit),
    Ident(String),
    List(Vec<Value>),
    Record(Vec<Attr>),
    Call(Call),
    Range(Box<Value>, Box<Value>),
}

/// The units a quantity may have, in the grammar's order (`unit` in `grammar/deploy.pest`).
pub const UNITS: [&str; 14] = ["Ki", "Mi", "Gi", "Ti", "ms", "K", "M", "G", "T", "m", "s", "h", "d", "%"];

/// `text` as one of [`UNITS`] (the empty string for anything else, which the grammar rules out).
pub fn unit(text: &str) -> &'static str {
    UNITS.iter().find(|unit| **unit == text).copied().unwrap_or("")
}

impl ValueKind {
    /// What this literal is, in words, for "expected X, found Y".
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Number(..) => "a number",
            ValueKind::Quantity { unit, .. } => match *unit {
                "Ki" | "Mi" | "Gi" | "Ti" | "K" | "M" | "G" | "T" => "a memory quantity",
                "m" => "a quantity in minutes or millicores",
                "ms" | "s" | "h" | "d" => "a duration",
                "%" => "a percentage",
                _ => "a quantity",
            },
            ValueKind::Money { .. } => "an amount of money",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Str(_) => "a string",
            ValueKind::Ident(_) => "a name",
            ValueKind::List(_) => "a list",
            ValueKind::Record(_) => "a record",
            ValueKind::Call(_) => "a call",
            ValueKind::Range(..) => "a range",
        }
    }
}

/// A string literal: literal text and `${name}` interpolations.
#[derive(Debug, Clone)]
pub struct StrLit {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

impl StrLit {
    /// The text when there is no interpolation.
    pub fn plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone)]
pub enum StrPart {
    Text(String),
    Interp(Ident),
}

/// `name(positional, key = value)`.
#[derive(Debug, Clone)]
pub struct Call {
    pub name: Ident,
    pub args: Vec<Value>,
    pub named: Vec<(Ident, Value)>,
}
