//! Phase 1, syntax: source text to an untyped, spanned [`ast::Module`].
//!
//! pest reports at most one syntax error per file; `parse` turns it into an E0101 diagnostic
//! in plain words and returns an empty module, so later phases see nothing from that file.

pub mod ast;
mod descent;
mod parser;

pub use parser::parse;

/// The two parsers behind [`parse`], for the test that they agree (not a stable API).
#[doc(hidden)]
pub mod testing {
    pub use super::descent::parse as parse_fast;
    pub use super::parser::parse_with_pest;
}

/// The deepest nesting of blocks, lists, records and calls accepted before parsing, so that
/// hostile input cannot overflow the stack of the recursive-descent parser.
pub const MAX_NESTING: usize = 64;
