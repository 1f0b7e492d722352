//! A hand-written parser for the grammar in `grammar/deploy.pest`, for speed.
//!
//! pest builds a token queue and tracks every attempt for its error messages; on a file of
//! thousands of services that was most of a build's time and memory. This parser follows the
//! grammar rule by rule with the same PEG semantics (ordered choice, no backtracking into a
//! choice that matched, pest's implicit whitespace and comments between the elements of
//! non-atomic rules and none inside atomic ones) and builds the same [`Module`], spans
//! included, without an intermediate token queue.
//!
//! It only handles input the grammar accepts: at the first mismatch it gives up and
//! [`super::parse`] runs pest instead, so every syntax error is still pest's, worded as
//! before. `tests/parser_equivalence.rs` checks that both parsers accept the same inputs and
//! build the same trees, on every example, every prefix of every example and many mutations;
//! change this file together with the grammar.

use super::ast::*;
use crate::source::{FileId, Span};

/// Parse `text`, or, where the grammar does not match, the furthest offset any rule reached
/// before failing (pest then reports the error, or [`super::parse`] words one from that offset
/// when pest would take too long).
pub fn parse(file: FileId, text: &str) -> Result<Module, usize> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        file,
        depth: 0,
        furthest: 0,
        failed_blocks: std::collections::BTreeSet::new(),
    };
    parser.file().ok_or(parser.furthest)
}

/// Deeper than this, give up and let pest decide (the nesting limit is checked before).
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    file: FileId,
    depth: usize,
    /// The furthest position at which a token failed to match.
    furthest: usize,
    /// Where a `block` was tried and failed. When a block fails, its enclosing block reads the
    /// kind as a bare member and tries the label as the kind of a block with the same body, so
    /// without this every level of unclosed, labelled blocks would parse everything inside it
    /// twice: 2^depth (pest does exactly that). A rule's result depends only on where it
    /// starts, so a failure there is a failure every time.
    failed_blocks: std::collections::BTreeSet<usize>,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn starts_with(&self, literal: &str) -> bool {
        self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(literal.as_bytes()))
    }

    /// Match a literal string (pest's `"…"`).
    fn eat(&mut self, literal: &str) -> bool {
        if self.starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            self.missed();
            false
        }
    }

    /// A token did not match here.
    fn missed(&mut self) {
        self.furthest = self.furthest.max(self.pos);
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start, self.pos)
    }

    fn slice(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// pest's implicit `(WHITESPACE | COMMENT)*` between elements of non-atomic rules.
    fn skip(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' => {
                    let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
                    self.pos += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                }
                _ => break,
            }
        }
    }

    /// `hspace = _{ (" " | "\t")* }`.
    fn hspace(&mut self) {
        while let Some(b' ' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// A recursive rule: fails (so that pest decides) past [`MAX_DEPTH`].
    fn nested<T>(&mut self, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let result = rule(self);
        self.depth -= 1;
        result
    }

    /// Run `rule`; on failure put the position back, as a PEG rule does.
    fn attempt<T>(&mut self, rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let result = rule(self);
        if result.is_none() {
            self.pos = start;
        }
        result
    }

    // file = { SOI ~ item* ~ EOI }
    fn file(&mut self) -> Option<Module> {
        let mut module = Module::default();
        self.skip();
        while let Some(item) = self.attempt(Self::item) {
            module.items.push(item);
            self.skip();
        }
        (self.pos == self.bytes.len()).then_some(module)
    }

    // item = _{ import | let_item | block }
    fn item(&mut self) -> Option<Item> {
        if let Some(import) = self.attempt(Self::import) {
            return Some(Item::Import(import));
        }
        if let Some(binding) = self.attempt(Self::let_item) {
            return Some(Item::Let(binding));
        }
        self.attempt(Self::block).map(Item::Block)
    }

    // import = { "import" ~ string ~ ("as" ~ identifier)? }
    fn import(&mut self) -> Option<Import> {
        let start = self.pos;
        if !self.eat("import") {
            return None;
        }
        self.skip();
        let path = self.string()?;
        self.skip();
        // The skip above stays in the import's span when there is no alias (as in pest).
        let alias = self.attempt(|p| {
            if !p.eat("as") {
                return None;
            }
            p.skip();
            p.identifier()
        });
        Some(Import { path, alias, span: self.span(start) })
    }

    // let_item = { "let" ~ identifier ~ "=" ~ value }
    fn let_item(&mut self) -> Option<Let> {
        let start = self.pos;
        if !self.eat("let") {
            return None;
        }
        self.skip();
        let name = self.identifier()?;
        self.skip();
        if !self.eat("=") {
            return None;
        }
        self.skip();
        let value = self.value()?;
        Some(Let { name, value, span: self.span(start) })
    }

    // block = ${ identifier ~ hspace ~ (label ~ hspace)? ~ (template ~ hspace)? ~ block_body }
    fn block(&mut self) -> Option<Block> {
        let start = self.pos;
        if self.failed_blocks.contains(&start) {
            return None;
        }
        let block = self.block_uncached();
        if block.is_none() {
            self.failed_blocks.insert(start);
        }
        block
    }

    fn block_uncached(&mut self) -> Option<Block> {
        self.nested(|p| {
            let start = p.pos;
            let kind = p.identifier()?;
            p.hspace();
            let label = p.attempt(|p| {
                let label = p.label()?;
                p.hspace();
                Some(label)
            });
            let template = p.attempt(|p| {
                let template = p.template()?;
                p.hspace();
                Some(template)
            });
            let members = p.block_body()?;
            Some(Block { kind, label, template, members, span: p.span(start) })
        })
    }

    // label = { identifier | string }
    fn label(&mut self) -> Option<Label> {
        let start = self.pos;
        if let Some(ident) = self.attempt(Self::identifier) {
            return Some(Label { name: ident.name, is_string: false, span: self.span(start) });
        }
        let lit = self.attempt(Self::string)?;
        Some(Label { name: lit.plain().unwrap_or_default(), is_string: true, span: self.span(start) })
    }

    // template = !{ ":" ~ identifier }
    fn template(&mut self) -> Option<Ident> {
        if !self.eat(":") {
            return None;
        }
        self.skip();
        self.identifier()
    }

    // block_body = !{ "{" ~ (member ~ ","?)* ~ "}" }
    fn block_body(&mut self) -> Option<Vec<Member>> {
        if !self.eat("{") {
            return None;
        }
        let mut members = Vec::new();
        self.skip();
        while let Some(member) = self.attempt(Self::member) {
            members.push(member);
            self.skip();
            if self.eat(",") {
                self.skip();
            }
        }
        self.eat("}").then_some(members)
    }

    // member = _{ allow | attribute | block | bare }
    fn member(&mut self) -> Option<Member> {
        if let Some(allow) = self.attempt(Self::allow) {
            return Some(Member::Allow(allow));
        }
        if let Some(attr) = self.attempt(Self::attribute) {
            return Some(Member::Attr(attr));
        }
        if let Some(block) = self.attempt(Self::block) {
            return Some(Member::Block(block));
        }
        // bare = { call | identifier }
        let start = self.pos;
        if let Some(call) = self.attempt(Self::call) {
            return Some(Member::Bare(Value { kind: ValueKind::Call(call), span: self.span(start) }));
        }
        let ident = self.attempt(Self::identifier)?;
        Some(Member::Bare(Value { kind: ValueKind::Ident(ident.name), span: ident.span }))
    }

    // allow = { allow_keyword ~ identifier ~ "because" ~ string }
    // allow_keyword = @{ "allow" ~ !ident_char }
    fn allow(&mut self) -> Option<Allow> {
        let start = self.pos;
        if !self.eat("allow") || self.peek().is_some_and(is_ident_char) {
            return None;
        }
        self.skip();
        let name = self.identifier()?;
        self.skip();
        if !self.eat("because") {
            return None;
        }
        self.skip();
        let reason = self.string()?;
        Some(Allow { name, reason, span: self.span(start) })
    }

    // attribute = { path ~ "=" ~ value }
    // path = ${ identifier ~ ("." ~ identifier)* }
    fn attribute(&mut self) -> Option<Attr> {
        let start = self.pos;
        // Every block member is tried as an attribute first: the path is kept as offsets, and
        // its names are copied only once the `=` has matched.
        let first = self.identifier_end()?;
        let mut more: Vec<(usize, usize)> = Vec::new();
        while let Some(part) = self.attempt(|p| {
            if !p.eat(".") {
                return None;
            }
            let part_start = p.pos;
            p.identifier_end().map(|end| (part_start, end))
        }) {
            more.push(part);
        }
        self.skip();
        if !self.eat("=") {
            return None;
        }
        let mut path = Vec::with_capacity(1 + more.len());
        path.push(self.ident_at(start, first));
        path.extend(more.into_iter().map(|(part_start, end)| self.ident_at(part_start, end)));
        self.skip();
        let value = self.value()?;
        Some(Attr { path, value, span: self.span(start) })
    }

    // value = { range | atom }
    // range = { atom ~ ".." ~ atom }
    fn value(&mut self) -> Option<Value> {
        self.nested(|p| {
            let start = p.pos;
            let low = p.atom()?;
            let after_low = p.pos;
            p.skip();
            if p.eat("..") {
                p.skip();
                if let Some(high) = p.atom() {
                    return Some(Value { kind: ValueKind::Range(Box::new(low), Box::new(high)), span: p.span(start) });
                }
            }
            // Not a range: the value is the atom alone (matched again by pest; same result).
            p.pos = after_low;
            Some(low)
        })
    }

    // atom = _{ money | quantity | number | boolean | string | list | record | call | identifier }
    fn atom(&mut self) -> Option<Value> {
        let start = self.pos;
        let Some(first) = self.peek() else {
            self.missed();
            return None;
        };
        let kind = match first {
            b'$' => self.money(),
            b'0'..=b'9' => self.attempt(Self::quantity).or_else(|| self.number()),
            b'"' => self.string().map(ValueKind::Str),
            b'[' => self.list(),
            b'{' => self.record(),
            b't' | b'f' => self.boolean().or_else(|| self.call_or_identifier()),
            _ => self.call_or_identifier(),
        };
        let kind = match kind {
            Some(kind) => kind,
            None => {
                self.pos = start;
                return None;
            }
        };
        Some(Value { kind, span: self.span(start) })
    }

    fn call_or_identifier(&mut self) -> Option<ValueKind> {
        if let Some(call) = self.attempt(Self::call) {
            return Some(ValueKind::Call(call));
        }
        self.attempt(Self::identifier).map(|ident| ValueKind::Ident(ident.name))
    }

    // number = @{ ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)? }
    fn number_text(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            self.missed();
            return None;
        }
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        Some(self.slice(start))
    }

    fn number(&mut self) -> Option<ValueKind> {
        let text = self.number_text()?;
        Some(ValueKind::Number(text.parse().unwrap_or(0.0), text.to_string()))
    }

    // quantity = ${ number ~ unit }
    // unit = @{ ("Ki" | "Mi" | "Gi" | "Ti" | "ms" | "K" | "M" | "G" | "T" | "m" | "s" | "h" | "d" | "%") ~ !ident_char }
    fn quantity(&mut self) -> Option<ValueKind> {
        let number_text = self.number_text()?;
        // Ordered choice: the first unit that matches is the only one tried.
        let unit = *UNITS.iter().find(|unit| self.starts_with(unit))?;
        self.pos += unit.len();
        if self.peek().is_some_and(is_ident_char) {
            return None;
        }
        Some(ValueKind::Quantity {
            number: number_text.parse().unwrap_or(0.0),
            number_text: number_text.to_string(),
            unit,
        })
    }

    // money = ${ "$" ~ number ~ ("/" ~ rate)? }
    // rate = @{ ("mo" | "h") ~ !ident_char }
    fn money(&mut self) -> Option<ValueKind> {
        if !self.eat("$") {
            return None;
        }
        let amount = self.number_text()?.parse().unwrap_or(0.0);
        let rate = self
            .attempt(|p| {
                if !p.eat("/") {
                    return None;
                }
                let rate = if p.eat("mo") {
                    "mo"
                } else if p.eat("h") {
                    "h"
                } else {
                    return None;
                };
                (!p.peek().is_some_and(is_ident_char)).then_some(rate)
            })
            .unwrap_or("");
        Some(ValueKind::Money { amount, rate: rate.to_string() })
    }

    // boolean = @{ ("true" | "false") ~ !ident_char }
    fn boolean(&mut self) -> Option<ValueKind> {
        let start = self.pos;
        let value = if self.eat("true") {
            true
        } else if self.eat("false") {
            false
        } else {
            return None;
        };
        if self.peek().is_some_and(is_ident_char) {
            self.pos = start;
            return None;
        }
        Some(ValueKind::Bool(value))
    }

    // list = { "[" ~ (value ~ ("," ~ value)* ~ ","?)? ~ "]" }
    fn list(&mut self) -> Option<ValueKind> {
        if !self.eat("[") {
            return None;
        }
        let mut items = Vec::new();
        self.skip();
        if let Some(first) = self.value() {
            items.push(first);
            loop {
                let save = self.pos;
                self.skip();
                if !self.eat(",") {
                    self.pos = save;
                    break;
                }
                self.skip();
                match self.value() {
                    Some(item) => items.push(item),
                    None => {
                        // A trailing comma: `","?` matches it.
                        break;
                    }
                }
            }
        }
        self.skip();
        self.eat("]").then_some(ValueKind::List(items))
    }

    // record = { "{" ~ (attribute ~ ","?)* ~ "}" }
    fn record(&mut self) -> Option<ValueKind> {
        self.nested(|p| {
            if !p.eat("{") {
                return None;
            }
            let mut attrs = Vec::new();
            p.skip();
            while let Some(attr) = p.attempt(Self::attribute) {
                attrs.push(attr);
                p.skip();
                if p.eat(",") {
                    p.skip();
                }
            }
            p.eat("}").then_some(ValueKind::Record(attrs))
        })
    }

    // call = ${ identifier ~ arguments }
    // arguments = !{ "(" ~ (argument ~ ("," ~ argument)* ~ ","?)? ~ ")" }
    fn call(&mut self) -> Option<Call> {
        let start = self.pos;
        let end = self.identifier_end()?;
        if !self.eat("(") {
            return None;
        }
        let mut call = Call { name: self.ident_at(start, end), args: Vec::new(), named: Vec::new() };
        self.skip();
        if self.argument(&mut call) {
            loop {
                let save = self.pos;
                self.skip();
                if !self.eat(",") {
                    self.pos = save;
                    break;
                }
                self.skip();
                if !self.argument(&mut call) {
                    break;
                }
            }
        }
        self.skip();
        self.eat(")").then_some(call)
    }

    // argument = { named_argument | value }
    // named_argument = { identifier ~ "=" ~ value }
    fn argument(&mut self, call: &mut Call) -> bool {
        let named = self.attempt(|p| {
            let key = p.identifier()?;
            p.skip();
            if !p.eat("=") {
                return None;
            }
            p.skip();
            Some((key, p.value()?))
        });
        if let Some(named) = named {
            call.named.push(named);
            return true;
        }
        match self.attempt(Self::value) {
            Some(value) => {
                call.args.push(value);
                true
            }
            None => false,
        }
    }

    // identifier = @{ (ASCII_ALPHA | "_") ~ (ASCII_ALPHANUMERIC | "_" | ("-" ~ &(ASCII_ALPHANUMERIC | "_")))* }
    fn identifier(&mut self) -> Option<Ident> {
        let start = self.pos;
        let end = self.identifier_end()?;
        Some(self.ident_at(start, end))
    }

    /// [`Self::identifier`] without building the [`Ident`]: where it ends.
    fn identifier_end(&mut self) -> Option<usize> {
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.pos += 1,
            _ => {
                self.missed();
                return None;
            }
        }
        loop {
            match self.peek() {
                Some(b) if is_ident_continue(b) => self.pos += 1,
                Some(b'-') if self.peek_at(1).is_some_and(is_ident_continue) => self.pos += 2,
                _ => break,
            }
        }
        Some(self.pos)
    }

    /// The identifier that [`Self::identifier_end`] found from `start` to `end`.
    fn ident_at(&self, start: usize, end: usize) -> Ident {
        Ident { name: self.text.get(start..end).unwrap_or("").to_string(), span: Span::new(self.file, start, end) }
    }

    // string = ${ "\"" ~ string_part* ~ "\"" }
    // string_part = _{ interpolation | escape | text }
    fn string(&mut self) -> Option<StrLit> {
        let start = self.pos;
        if !self.eat("\"") {
            return None;
        }
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| {
            if let Some(StrPart::Text(last)) = parts.last_mut() {
                last.push_str(text);
            } else {
                parts.push(StrPart::Text(text.to_string()));
            }
        };
        loop {
            match self.peek() {
                // interpolation = !{ "${" ~ identifier ~ "}" }
                Some(b'$') if self.peek_at(1) == Some(b'{') => {
                    let interpolation = self.attempt(|p| {
                        p.pos += 2;
                        p.skip();
                        let name = p.identifier()?;
                        p.skip();
                        p.eat("}").then_some(name)
                    });
                    // A `${` that is not an interpolation is not text either: the string fails.
                    let Some(name) = interpolation else { break };
                    parts.push(StrPart::Interp(name));
                }
                // escape = @{ "\\" ~ ("\"" | "\\" | "n" | "t" | "$") }
                Some(b'\\') => {
                    let text = match self.peek_at(1) {
                        Some(b'n') => "\n",
                        Some(b't') => "\t",
                        Some(b'"') => "\"",
                        Some(b'$') => "$",
                        Some(b'\\') => "\\",
                        _ => break,
                    };
                    self.pos += 2;
                    push_text(&mut parts, text);
                }
                Some(b'"') | Some(b'\n') | None => break,
                // text = @{ (!("\"" | "\\" | "${" | "\n") ~ ANY)+ }
                Some(_) => {
                    let text_start = self.pos;
                    while let Some(b) = self.peek() {
                        if b == b'"' || b == b'\\' || b == b'\n' || (b == b'$' && self.peek_at(1) == Some(b'{')) {
                            break;
                        }
                        self.pos += 1;
                    }
                    push_text(&mut parts, self.slice(text_start));
                }
            }
        }
        if !self.eat("\"") {
            self.pos = start;
            return None;
        }
        Some(StrLit { parts, span: self.span(start) })
    }
}
