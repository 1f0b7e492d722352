//! Phase 1, syntax: source text to an untyped, spanned [`ast::Module`].
//!
//! A hand-written parser (`descent.rs`) follows the pest grammar (`grammar/deploy.pest`) and
//! builds the tree; where it does not match, pest parses again to find the one syntax error,
//! which `parse` turns into an E0101 diagnostic in plain words, returning an empty module so
//! that later phases see nothing from that file.

use crate::diagnostics::codes;

pub mod ast;
mod descent;
mod parser;

pub use parser::parse;

/// The two parsers behind [`parse`], for the test that they agree (not a stable API).
#[doc(hidden)]
pub mod testing {
    use super::ast::Module;
    use crate::source::FileId;

    pub use super::parser::parse_with_pest;

    /// The hand-written parser: `None` where the grammar does not match.
    pub fn parse_fast(file: FileId, text: &str) -> Option<Module> {
        super::descent::parse(file, text).ok()
    }

    /// Whether `text` nests shallowly enough for pest, whose time doubles with each level of
    /// nested values; [`super::parse`] never gives it deeper input.
    pub fn pest_can_parse(text: &str) -> bool {
        super::parser::first_deeper_than(text, super::parser::PEST_NESTING).is_none()
    }
}

/// The deepest nesting of blocks, lists, records and calls accepted before parsing, so that
/// hostile input cannot overflow the stack of the recursive-descent parser.
pub const MAX_NESTING: usize = 64;

/// E0103: report a control, bidirectional or line-separator character ([`crate::text::forbidden`])
/// anywhere in a user file's `text`, at its position: in a string it would reach the output
/// (a NUL or U+202E in a manifest, a script or the runbook), and in a comment it can make the
/// file read differently from what it means ("Trojan Source"). Tab, line feed and the carriage
/// return of a `\r\n` line end are allowed. One diagnostic per file, at the first such character,
/// with the count of the others.
pub fn check_characters(sink: &mut crate::diagnostics::Diagnostics, file: crate::source::FileId, text: &str) {
    let mut found = text
        .char_indices()
        .filter(|&(at, c)| crate::text::forbidden(c) && !(c == '\r' && text.as_bytes().get(at + 1) == Some(&b'\n')));
    let Some((at, c)) = found.next() else { return };
    let others = found.count();
    let name = character_name(c);
    let mut diagnostic = crate::diagnostics::Diagnostic::new(codes::E0103,
        format!("invisible character U+{:04X} ({name}) in the file", u32::from(c)),
    )
    .at(crate::source::Span::new(file, at, at + c.len_utf8()), format!("U+{:04X} is here", u32::from(c)))
    .help("delete it; in a string write a line break as `\\n` and a tab as `\\t` (text direction cannot be set in a .deploy file)");
    if others > 0 {
        diagnostic = diagnostic.note(format!("the file holds {others} more such character(s)"));
    }
    sink.push(diagnostic);
}

/// A name for a character [`check_characters`] reports.
fn character_name(c: char) -> &'static str {
    match c {
        '\u{0}' => "NUL",
        '\u{8}' => "backspace",
        '\u{1b}' => "escape",
        '\r' => "carriage return without a line feed",
        '\u{7f}' => "delete",
        '\u{85}' => "next line",
        '\u{202a}' => "left-to-right embedding",
        '\u{202b}' => "right-to-left embedding",
        '\u{202c}' => "pop directional formatting",
        '\u{202d}' => "left-to-right override",
        '\u{202e}' => "right-to-left override",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        _ => "a control character",
    }
}
