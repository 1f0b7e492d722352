//! pest grammar (`grammar/deploy.pest`) and the conversion of its pairs into the AST.

use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::MAX_NESTING;
use super::ast::*;
use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/deploy.pest"]
struct DeployParser;

/// Parse one file. Syntax errors go to `sink`; the module is empty when parsing failed.
pub fn parse(sink: &mut Diagnostics, file: FileId, text: &str) -> Module {
    if let Some(offset) = too_deep(text) {
        sink.push(
            Diagnostic::new(codes::E0101, format!("nesting deeper than {MAX_NESTING} levels"))
                .at(Span::new(file, offset, offset + 1), "too deeply nested")
                .help("flatten the structure; no deployment needs this much nesting"),
        );
        return Module::default();
    }
    // The hand-written parser builds the same tree several times faster; where the grammar
    // does not match, pest parses again to report the error in its words.
    let furthest = match super::descent::parse(file, text) {
        Ok(module) => return module,
        Err(furthest) => furthest,
    };
    // pest backtracks out of `range` and parses the same `atom` again at every level of nested
    // values, and parses the body of a failing labelled block again as the label's block, so
    // its time doubles (or more) with each level. Past a modest depth the error is worded
    // from where the hand-written parser stopped instead.
    if first_deeper_than(text, PEST_NESTING).is_some() {
        sink.push(syntax_error_at(file, text, furthest));
        return Module::default();
    }
    parse_with_pest(sink, file, text)
}

/// The deepest nesting pest is given: its time grows as 2^depth to 4^depth with the nesting
/// of values, calls and unclosed labelled blocks. Real files nest 4 to 6 levels.
pub(super) const PEST_NESTING: usize = 8;

/// A syntax error at `start`, without pest's list of expected tokens.
fn syntax_error_at(file: FileId, text: &str, start: usize) -> Diagnostic {
    let start = start.min(text.len());
    let end = text.get(start..).and_then(|rest| rest.chars().next()).map(|c| start + c.len_utf8()).unwrap_or(start);
    let found = describe_found(text, start);
    let diagnostic =
        Diagnostic::new(codes::E0101, format!("unexpected {found}")).at(Span::new(file, start, end), "unexpected here");
    with_open_blocks(diagnostic, file, text, start, |d| d.help_opt(hint(text, start, &[])))
}

/// Parse one file with pest alone (the reference the hand-written parser is tested against).
pub fn parse_with_pest(sink: &mut Diagnostics, file: FileId, text: &str) -> Module {
    match DeployParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let mut module = Module::default();
            let Some(file_pair) = pairs.next() else { return module };
            let builder = Builder { file };
            for pair in file_pair.into_inner() {
                match pair.as_rule() {
                    Rule::import => module.items.push(Item::Import(builder.import(pair))),
                    Rule::let_item => module.items.push(Item::Let(builder.let_item(pair))),
                    Rule::block => module.items.push(Item::Block(builder.block(pair))),
                    _ => {}
                }
            }
            module
        }
        Err(error) => {
            sink.push(syntax_error(file, text, &error));
            Module::default()
        }
    }
}

/// The offset of the first bracket nested deeper than [`MAX_NESTING`], ignoring strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    first_deeper_than(text, MAX_NESTING)
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

fn syntax_error(file: FileId, text: &str, error: &pest::error::Error<Rule>) -> Diagnostic {
    let (start, end) = match error.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((s, e)) => (s, e),
    };
    // Widen a bare position to one character (or the end of input).
    let end = if end > start {
        end
    } else {
        text.get(start..).and_then(|rest| rest.chars().next()).map(|c| start + c.len_utf8()).unwrap_or(start)
    };
    let found = describe_found(text, start);
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut words: Vec<&str> = positives.iter().filter_map(|r| rule_word(*r)).collect();
            words.sort();
            words.dedup();
            words
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
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
        format!("expected {}, found {found}", join_or(&expected))
    };
    let diagnostic = Diagnostic::new(codes::E0101, message).at(Span::new(file, start, end), "unexpected here");
    with_open_blocks(diagnostic, file, text, start, |d| d.help_opt(hint(text, start, &expected)))
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
    if expected.contains(&"`\"`") {
        return Some("close the string with `\"` before the end of the line".into());
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

/// User words for grammar rules; `None` hides a rule from "expected …".
fn rule_word(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::identifier | Rule::path | Rule::bare => "a name",
        Rule::value | Rule::range | Rule::list | Rule::record | Rule::call | Rule::money | Rule::boolean => "a value",
        Rule::string => "a string",
        Rule::number | Rule::quantity => "a number",
        Rule::block | Rule::block_body => "`{`",
        Rule::attribute => "an attribute",
        Rule::import | Rule::let_item => "`import`, `let` or a block",
        Rule::label => "a label",
        Rule::template => "`:`",
        Rule::unit => "a unit",
        Rule::rate => "`/mo` or `/h`",
        Rule::argument | Rule::named_argument => "an argument",
        Rule::arguments => "`(`",
        Rule::EOI => "end of file",
        Rule::text | Rule::escape | Rule::interpolation => "`\"`",
        _ => return None,
    })
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

struct Builder {
    file: FileId,
}

impl Builder {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn ident(&self, pair: Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn import(&self, pair: Pair<Rule>) -> Import {
        let span = self.span(&pair);
        let mut path = None;
        let mut alias = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::string => path = Some(self.string(inner)),
                Rule::identifier => alias = Some(self.ident(inner)),
                _ => {}
            }
        }
        let path = path.unwrap_or(StrLit { parts: Vec::new(), span });
        Import { path, alias, span }
    }

    fn let_item(&self, pair: Pair<Rule>) -> Let {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::identifier => name = Some(self.ident(inner)),
                Rule::value => value = Some(self.value(inner)),
                _ => {}
            }
        }
        Let {
            name: name.unwrap_or(Ident { name: String::new(), span }),
            value: value.unwrap_or(Value { kind: ValueKind::List(Vec::new()), span }),
            span,
        }
    }

    fn block(&self, pair: Pair<Rule>) -> Block {
        let span = self.span(&pair);
        let mut kind = None;
        let mut label = None;
        let mut template = None;
        let mut members = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::identifier => kind = Some(self.ident(inner)),
                Rule::label => label = Some(self.label(inner)),
                Rule::template => template = inner.into_inner().next().map(|p| self.ident(p)),
                Rule::block_body => {
                    for member in inner.into_inner() {
                        match member.as_rule() {
                            Rule::attribute => members.push(Member::Attr(self.attribute(member))),
                            Rule::allow => {
                                let span = self.span(&member);
                                let mut name = None;
                                let mut reason = None;
                                for part in member.into_inner() {
                                    match part.as_rule() {
                                        Rule::identifier => name = Some(self.ident(part)),
                                        Rule::string => reason = Some(self.string(part)),
                                        _ => {}
                                    }
                                }
                                if let (Some(name), Some(reason)) = (name, reason) {
                                    members.push(Member::Allow(Allow { name, reason, span }));
                                }
                            }
                            Rule::block => members.push(Member::Block(self.block(member))),
                            Rule::bare => {
                                if let Some(v) = member.into_inner().next() {
                                    members.push(Member::Bare(self.atom(v)));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Block { kind: kind.unwrap_or(Ident { name: String::new(), span }), label, template, members, span }
    }

    fn label(&self, pair: Pair<Rule>) -> Label {
        let span = self.span(&pair);
        match pair.into_inner().next() {
            Some(inner) if inner.as_rule() == Rule::string => {
                let lit = self.string(inner);
                let name = lit.plain().unwrap_or_default();
                Label { name, is_string: true, span }
            }
            Some(inner) => Label { name: inner.as_str().to_string(), is_string: false, span },
            None => Label { name: String::new(), is_string: false, span },
        }
    }

    fn attribute(&self, pair: Pair<Rule>) -> Attr {
        let span = self.span(&pair);
        let mut path = Vec::new();
        let mut value = None;
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::path => path = inner.into_inner().map(|p| self.ident(p)).collect(),
                Rule::value => value = Some(self.value(inner)),
                _ => {}
            }
        }
        Attr { path, value: value.unwrap_or(Value { kind: ValueKind::List(Vec::new()), span }), span }
    }

    fn value(&self, pair: Pair<Rule>) -> Value {
        let span = self.span(&pair);
        match pair.into_inner().next() {
            Some(inner) if inner.as_rule() == Rule::range => {
                let mut ends = inner.into_inner().map(|p| self.atom(p));
                match (ends.next(), ends.next()) {
                    (Some(a), Some(b)) => Value { kind: ValueKind::Range(Box::new(a), Box::new(b)), span },
                    _ => Value { kind: ValueKind::List(Vec::new()), span },
                }
            }
            Some(inner) => self.atom(inner),
            None => Value { kind: ValueKind::List(Vec::new()), span },
        }
    }

    fn atom(&self, pair: Pair<Rule>) -> Value {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ValueKind::Number(pair.as_str().parse().unwrap_or(0.0), pair.as_str().to_string()),
            Rule::quantity => {
                let mut number_text = String::new();
                let mut unit = "";
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::number => number_text = inner.as_str().to_string(),
                        Rule::unit => unit = super::ast::unit(inner.as_str()),
                        _ => {}
                    }
                }
                ValueKind::Quantity { number: number_text.parse().unwrap_or(0.0), number_text, unit }
            }
            Rule::money => {
                let mut amount = 0.0;
                let mut rate = String::new();
                for inner in pair.into_inner() {
                    match inner.as_rule() {
                        Rule::number => amount = inner.as_str().parse().unwrap_or(0.0),
                        Rule::rate => rate = inner.as_str().to_string(),
                        _ => {}
                    }
                }
                ValueKind::Money { amount, rate }
            }
            Rule::boolean => ValueKind::Bool(pair.as_str() == "true"),
            Rule::string => ValueKind::Str(self.string(pair)),
            Rule::identifier => ValueKind::Ident(pair.as_str().to_string()),
            Rule::list => ValueKind::List(pair.into_inner().map(|p| self.value(p)).collect()),
            Rule::record => ValueKind::Record(pair.into_inner().map(|p| self.attribute(p)).collect()),
            Rule::call => ValueKind::Call(self.call(pair)),
            Rule::value => return self.value(pair),
            _ => ValueKind::List(Vec::new()),
        };
        Value { kind, span }
    }

    fn call(&self, pair: Pair<Rule>) -> Call {
        let span = self.span(&pair);
        let mut name = Ident { name: String::new(), span };
        let mut args = Vec::new();
        let mut named = Vec::new();
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::identifier => name = self.ident(inner),
                Rule::arguments => {
                    for argument in inner.into_inner() {
                        let Some(arg) = argument.into_inner().next() else { continue };
                        if arg.as_rule() == Rule::named_argument {
                            let mut parts = arg.into_inner();
                            if let (Some(key), Some(value)) = (parts.next(), parts.next()) {
                                named.push((self.ident(key), self.value(value)));
                            }
                        } else {
                            args.push(self.value(arg));
                        }
                    }
                }
                _ => {}
            }
        }
        Call { name, args, named }
    }

    fn string(&self, pair: Pair<Rule>) -> StrLit {
        let span = self.span(&pair);
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| {
            if let Some(StrPart::Text(last)) = parts.last_mut() {
                last.push_str(text);
            } else {
                parts.push(StrPart::Text(text.to_string()));
            }
        };
        for inner in pair.into_inner() {
            match inner.as_rule() {
                Rule::text => push_text(&mut parts, inner.as_str()),
                Rule::escape => {
                    let text = match inner.as_str() {
                        "\\n" => "\n",
                        "\\t" => "\t",
                        "\\\"" => "\"",
                        "\\$" => "$",
                        _ => "\\",
                    };
                    push_text(&mut parts, text);
                }
                Rule::interpolation => {
                    if let Some(id) = inner.into_inner().next() {
                        parts.push(StrPart::Interp(self.ident(id)));
                    }
                }
                _ => {}
            }
        }
        StrLit { parts, span }
    }
}
