//! Phase 1, syntax: source text to an untyped, spanned [`ast::Module`].
//!
//! One parser runs: the hand-written recursive-descent parser in `descent.rs`, which follows
//! the grammar in `grammar/deploy.pest` rule by rule. It builds the tree; on a syntax error it
//! parses the file once more to collect what was expected where it stopped, at any depth, and
//! `parser.rs` words that as E0101 (returning an empty module, so that later phases see
//! nothing from that file). For `deployc fmt` it also keeps every token and comment
//! ([`parse_lossless`]). pest is not used at run time: the grammar is the specification, and
//! pest (a dev-dependency) its oracle in `tests/parser_equivalence.rs` and `fuzz/`.

use crate::diagnostics::codes;

pub mod ast;
mod descent;
mod parser;

pub use descent::{Lossless, Token, TokenKind};
pub use parser::{parse, parse_lossless};

/// The parser's pieces, for the tests and fuzz targets that hold it to pest (not a stable API).
#[doc(hidden)]
pub mod testing {
    use super::ast::Module;
    use crate::source::FileId;

    /// The hand-written parser alone: `None` where the grammar does not match.
    pub fn parse_fast(file: FileId, text: &str) -> Option<Module> {
        super::descent::parse(file, text).ok()
    }

    /// Whether `text` nests brackets deeper than `limit` (strings and comments ignored).
    pub fn nests_deeper_than(text: &str, limit: usize) -> bool {
        super::parser::first_deeper_than(text, limit).is_some()
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
