//! Parsing a file at run time: the nesting limit, the hand-written parser (`descent.rs`) and
//! the wording of its syntax errors (E0101). pest is not used here: the grammar
//! (`grammar/deploy.pest`) is the specification, and pest its oracle in the tests and fuzz
//! targets only.

use super::MAX_NESTING;
use super::ast::*;
use super::descent;
use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

/// Parse one file. Syntax errors go to `sink`; the module is empty when parsing failed.
pub fn parse(sink: &mut Diagnostics, file: FileId, text: &str) -> Module {
    if !nesting_allowed(sink, file, text) {
        return Module::default();
    }
    match descent::parse(file, text) {
        Ok(module) => module,
        Err(furthest) => {
            sink.push(syntax_error(file, text, furthest, &descent::expected_at(file, text, furthest)));
            Module::default()
        }
    }
}

/// Parse one file keeping its tokens and comments (for `deployc fmt`); `None`, with the syntax
/// error in `sink`, where [`parse`] would report one.
pub fn parse_lossless(sink: &mut Diagnostics, file: FileId, text: &str) -> Option<descent::Lossless> {
    if !nesting_allowed(sink, file, text) {
        return None;
    }
    match descent::parse_lossless(file, text) {
        Ok(lossless) => Some(lossless),
        Err(furthest) => {
            sink.push(syntax_error(file, text, furthest, &descent::expected_at(file, text, furthest)));
            None
        }
    }
}

/// Whether `text` nests no deeper than [`MAX_NESTING`]; E0101 in `sink` where it does.
fn nesting_allowed(sink: &mut Diagnostics, file: FileId, text: &str) -> bool {
    let Some(offset) = first_deeper_than(text, MAX_NESTING) else { return true };
    sink.push(
        Diagnostic::new(codes::E0101, format!("nesting deeper than {MAX_NESTING} levels"))
            .at(Span::new(file, offset, offset + 1), "too deeply nested")
            .help("flatten the structure; no deployment needs this much nesting"),
    );
    false
}

/// The offset of the first bracket nested deeper than `limit`, ignoring strings and comments.
pub(super) fn first_deeper_than(text: &str, limit: usize) -> Option<usize> {
    // Bytes, not chars: every byte that matters is ASCII, and bytes of other characters
    // (0x80 and up) never equal one. Runs of bytes that cannot change the state (most of a
    // file) are skipped with `find`.
    const CODE: [bool; 256] = byte_set(b"#\"{[(}])");
    const STRING: [bool; 256] = byte_set(b"\\\"\n");
    const COMMENT: [bool; 256] = byte_set(b"\n");
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut offset = 0usize;
    while let Some(skip) = bytes.get(offset..).and_then(|rest| find(rest, &CODE)) {
        offset += skip;
        match bytes.get(offset) {
            // A comment runs to the end of the line.
            Some(b'#') => {
                let rest = bytes.get(offset..).unwrap_or(&[]);
                offset += find(rest, &COMMENT).unwrap_or(rest.len());
            }
            // A string ends at an unescaped quote or at the end of the line.
            Some(b'"') => {
                offset += 1;
                while let Some(rest) = bytes.get(offset..) {
                    let Some(skip) = find(rest, &STRING) else {
                        offset = bytes.len();
                        break;
                    };
                    offset += skip;
                    if bytes.get(offset) == Some(&b'\\') {
                        // The escaped byte, whatever it is, is part of the string.
                        offset += 2;
                    } else {
                        break;
                    }
                }
            }
            Some(b'{' | b'[' | b'(') => {
                depth += 1;
                if depth > limit {
                    return Some(offset);
                }
            }
            _ => depth = depth.saturating_sub(1),
        }
        offset += 1;
    }
    None
}

/// The bytes of `members`, as a table indexed by byte.
// Indexing at compile time: an index out of range fails the build, not a run.
#[allow(clippy::indexing_slicing)]
const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < members.len() {
        table[members[i] as usize] = true;
        i += 1;
    }
    table
}

/// The offset of the first byte of `bytes` in `set`. Whole 16-byte chunks without one are
/// passed over with a branch-free test of every byte.
fn find(bytes: &[u8], set: &[bool; 256]) -> Option<usize> {
    let is_in = |b: &u8| set.get(usize::from(*b)).copied().unwrap_or(false);
    let mut skipped = 0;
    for chunk in bytes.chunks_exact(16) {
        if chunk.iter().fold(false, |any, b| any | is_in(b)) {
            break;
        }
        skipped += 16;
    }
    bytes.get(skipped..)?.iter().position(is_in).map(|at| skipped + at)
}

/// E0101 at `start`, where the parser stopped, given what it expected there (user words).
fn syntax_error(file: FileId, text: &str, start: usize, expected: &[&str]) -> Diagnostic {
    let start = start.min(text.len());
    // One character (or the end of input).
    let end = text.get(start..).and_then(|rest| rest.chars().next()).map(|c| start + c.len_utf8()).unwrap_or(start);
    let found = describe_found(text, start);
    let line_start = text.get(..start).and_then(|t| t.rfind('\n')).map(|i| i + 1).unwrap_or(0);
    let lead = text.get(line_start..start).unwrap_or("").trim();
    let lone_name = !lead.is_empty()
        && lead.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && lead.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    let wants_brace = expected.iter().any(|w| *w == "`{`" || *w == "`:`");
    if lone_name && text.get(start..).is_some_and(|rest| rest.starts_with('=')) {
        return Diagnostic::new(codes::E0101, format!("attribute `{lead}` outside any block"))
            .at(Span::new(file, start, end), "an attribute cannot stand at the top level")
            .help(
                "attributes go inside a block such as `deployment NAME { … }`: look for an extra `}` above this line",
            );
    }
    if lone_name && wants_brace {
        return Diagnostic::new(codes::E0101, format!("expected `=` or `{{` after `{lead}`, found {found}"))
            .at(Span::new(file, start, end), "expected `=` or `{` before this")
            .help(format!("write `{lead} = value` for an attribute, or `{lead} {{ … }}` for a block"));
    }
    // `image "x:1"`: a name, a space, then a value. The user almost always meant `=`.
    let first_word: String = lead.chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect();
    if wants_brace && !first_word.is_empty() && lead.len() > first_word.len() && !lead.contains('{') {
        let after =
            line_start + (text.get(line_start..).unwrap_or("").find(&first_word).unwrap_or(0)) + first_word.len();
        return Diagnostic::new(codes::E0101, format!("expected `=` after `{first_word}`"))
            .at(Span::new(file, after, after + 1), "missing `=` here")
            .help(format!("write `{first_word} = …`; a block would need `{{` at the end of this line"));
    }
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(expected))
    };
    let diagnostic = Diagnostic::new(codes::E0101, message).at(Span::new(file, start, end), "unexpected here");
    with_open_blocks(diagnostic, file, text, start, |d| {
        let help = hint(text, start, expected).or_else(|| {
            // Otherwise what the grammar allows here.
            (!expected.is_empty()).then(|| format!("write {} here", join_or(expected)))
        });
        d.help_opt(help)
    })
}

/// At the end of the file, `diagnostic` with the blocks left open labelled (innermost first)
/// and a help naming the one to close; anywhere else, `otherwise(diagnostic)`.
fn with_open_blocks(
    mut diagnostic: Diagnostic,
    file: FileId,
    text: &str,
    start: usize,
    otherwise: impl FnOnce(Diagnostic) -> Diagnostic,
) -> Diagnostic {
    if !text.get(start..).is_some_and(|rest| rest.trim().is_empty()) {
        return otherwise(diagnostic);
    }
    let open = unclosed_braces(text);
    let Some(&innermost) = open.last() else { return otherwise(diagnostic) };
    let line_start = text.get(..innermost).and_then(|t| t.rfind('\n')).map(|i| i + 1).unwrap_or(0);
    let head = text.get(line_start..innermost).unwrap_or("").trim();
    let line = text.get(..innermost).unwrap_or("").matches('\n').count() + 1;
    // The innermost few: a file with hundreds open needs the nearest one fixed first.
    for &brace in open.iter().rev().take(3) {
        diagnostic = diagnostic.also(Span::new(file, brace, brace + 1), "never closed");
    }
    let what = if head.is_empty() { "the block".to_string() } else { format!("`{head}`") };
    let more = if open.len() > 1 { format!(" ({} blocks are open)", open.len()) } else { String::new() };
    diagnostic.help(format!("close {what}, opened on line {line}, with `}}`{more}"))
}

/// The offsets of the `{` left open at the end of `text`, outermost first (strings, with
/// their `${…}`, and `#` comments skipped).
fn unclosed_braces(text: &str) -> Vec<usize> {
    let mut open = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '{' => open.push(at),
            '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// A hint for the common slips: an opening brace on its own line, an unclosed string, a
/// missing `=`.
fn hint(text: &str, start: usize, expected: &[&str]) -> Option<String> {
    let rest = text.get(start..).unwrap_or("");
    let before = text.get(..start).unwrap_or("");
    if rest.starts_with('{') && before.trim_end_matches([' ', '\t']).ends_with('\n') {
        return Some("a block's kind, label and opening `{` must stand on one line".into());
    }
    if expected.contains(&"`\"`") && rest.starts_with('\\') {
        return Some("a `\\` in a string starts an escape: `\\n`, `\\t`, `\\\"`, `\\\\` or `\\$`".into());
    }
    if expected.contains(&"`\"`") {
        return Some("close the string with `\"` before the end of the line".into());
    }
    if rest.starts_with('}') && expected.contains(&"end of file") {
        return Some("this `}` closes no block: look for an extra `}` above it".into());
    }
    if expected.contains(&"`=`") {
        return Some("an attribute is written `name = value`; a block is written `name { … }`".into());
    }
    if rest.is_empty() {
        return Some("the file ends early: check that every `{`, `[` and `(` is closed".into());
    }
    // `replicas = -1`: the language has no negative numbers; every count starts at 0.
    if rest.starts_with('-') && rest.get(1..).is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
        return Some(
            "numbers are never negative here: counts, sizes and ports start at 0 (write `replicas = 1` for one replica)"
                .into(),
        );
    }
    None
}

fn describe_found(text: &str, start: usize) -> String {
    let rest = text.get(start..).unwrap_or("");
    match rest.chars().next() {
        None => "end of file".into(),
        Some('\n') | Some('\r') => "end of line".into(),
        Some(c) if c.is_alphanumeric() || c == '_' => {
            let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-').collect();
            format!("`{word}`")
        }
        Some(c) => format!("`{c}`"),
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
