//! pest as the oracle of the hand-written parser (`src/syntax/descent.rs`): the grammar
//! (`grammar/deploy.pest`) run by pest, and its pairs turned into the same `ast::Module`.
//! Not part of `deployc`: `tests/parser_equivalence.rs` and `tests/fuzz_regressions.rs`
//! include this file, and so do the fuzz targets in `fuzz/` (each `#[path]` to it), so pest is
//! a dev-dependency (and a dependency of the fuzz crate) only.

#![allow(dead_code)]

use deployc::source::{FileId, Span};
use deployc::syntax::ast::*;
use pest::Parser;
use pest::iterators::Pair;

// The path is tried from the crate's manifest directory, then from its `src/`: from the root
// crate that is `src/../grammar`, from `fuzz/` it is `fuzz/../grammar`.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/deploy.pest"]
struct DeployParser;

/// The deepest nesting pest is given: its time grows as 2^depth to 4^depth with the nesting of
/// values, calls and unclosed labelled blocks (notes/fuzzing.md). Real files nest 4 to 6 levels.
pub const PEST_NESTING: usize = 8;

/// Whether `text` nests shallowly enough for pest.
pub fn pest_can_parse(text: &str) -> bool {
    !deployc::syntax::testing::nests_deeper_than(text, PEST_NESTING)
}

/// Parse `text` with pest alone: `None` where the grammar does not match.
pub fn parse_with_pest(file: FileId, text: &str) -> Option<Module> {
    let mut pairs = DeployParser::parse(Rule::file, text).ok()?;
    let mut module = Module::default();
    let Some(file_pair) = pairs.next() else { return Some(module) };
    let builder = Builder { file };
    for pair in file_pair.into_inner() {
        match pair.as_rule() {
            Rule::import => module.items.push(Item::Import(builder.import(pair))),
            Rule::let_item => module.items.push(Item::Let(builder.let_item(pair))),
            Rule::block => module.items.push(Item::Block(builder.block(pair))),
            _ => {}
        }
    }
    Some(module)
}

/// The oracle of the `parsers_agree` fuzz target: the hand-written parser and pest both reject
/// `text`, or both accept it and build the same tree, spans included. Input nested deeper than
/// [`PEST_NESTING`] is only parsed by the hand-written parser (which must not panic).
pub fn parsers_agree(text: &str) {
    use deployc::syntax::testing::parse_fast;
    let file = FileId(99);
    if !pest_can_parse(text) {
        let _ = parse_fast(file, text);
        return;
    }
    let fast = parse_fast(file, text).map(|module| format!("{module:?}"));
    let pest = parse_with_pest(file, text).map(|module| format!("{module:?}"));
    if fast != pest {
        panic!("the parsers disagree on:\n{text}\nhand-written: {fast:?}\npest: {pest:?}");
    }
    lossless_agrees(file, text, fast.as_deref());
}

/// The lossless parse (for `deployc fmt`) accepts what the fast one accepts and builds the same
/// tree; its tokens and comments are in order, and between them stands only whitespace.
pub fn lossless_agrees(file: FileId, text: &str, fast: Option<&str>) {
    // Past the nesting limit both refuse before parsing.
    if deployc::syntax::testing::nests_deeper_than(text, deployc::syntax::MAX_NESTING) {
        return;
    }
    let mut sink = deployc::diagnostics::Diagnostics::new();
    let Some(lossless) = deployc::syntax::parse_lossless(&mut sink, file, text) else {
        assert!(fast.is_none(), "the lossless parse rejects what the parser accepts:\n{text}");
        return;
    };
    let tree = format!("{:?}", lossless.module);
    assert_eq!(Some(tree.as_str()), fast, "the lossless parse builds another tree for:\n{text}");
    let mut pieces: Vec<(usize, usize)> = lossless.tokens.iter().map(|t| (t.start, t.end)).collect();
    pieces.extend(lossless.comments.iter().map(|c| (c.start, c.end)));
    pieces.sort_unstable();
    let mut at = 0;
    for (start, end) in pieces.into_iter().chain(std::iter::once((text.len(), text.len()))) {
        let gap = text.get(at..start).unwrap_or_else(|| panic!("overlapping tokens at {start} in:\n{text}"));
        assert!(gap.bytes().all(|b| b" \t\r\n".contains(&b)), "{gap:?} is in no token, at {at} in:\n{text}");
        assert!(end >= start, "a token ends before it starts in:\n{text}");
        at = end;
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
                        Rule::unit => unit = deployc::syntax::ast::unit(inner.as_str()),
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
