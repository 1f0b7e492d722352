//! Phase 1, syntax: source text to an untyped, spanned [`ast::Module`].
//!
//! A hand-written parser (`descent.rs`) follows the pest grammar (`grammar/deploy.pest`) and
//! builds the tree; where it does not match, pest parses again to find the one syntax error,
//! which `parse` turns into an E0101 diagnostic in plain words, returning an empty module so
//! that later phases see nothing from that file.

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
