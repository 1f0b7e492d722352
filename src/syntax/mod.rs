//! Phase 1, syntax: source text to an untyped, spanned [`ast::Module`].
//!
//! pest reports at most one syntax error per file; `parse` turns it into an E0101 diagnostic
//! in plain words and returns an empty module, so later phases see nothing from that file.

pub mod ast;
mod parser;

pub use parser::parse;

/// The deepest nesting of blocks, lists, records and calls accepted before parsing, so that
/// hostile input cannot overflow the stack of the recursive-descent parser.
pub const MAX_NESTING: usize = 64;
