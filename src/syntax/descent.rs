//! The parser of `.deploy` files: the grammar in `grammar/deploy.pest`, by hand.
//!
//! It follows the grammar rule by rule with the same PEG semantics (ordered choice, no
//! backtracking into a choice that matched, pest's implicit whitespace and comments between the
//! elements of non-atomic rules and none inside atomic ones) and builds the [`Module`] pest
//! would build, spans included. It is the only parser `deployc` runs; pest is kept as the
//! specification and, in `tests/parser_equivalence.rs` and `fuzz/`, as the oracle this file is
//! held to (both accept the same inputs and build the same trees). Change the two together.
//!
//! One parser, three modes ([`Mode`]), each compiled separately so that the fast one pays for
//! nothing it does not use:
//!
//! - [`Fast`] builds the tree and remembers only the furthest offset a token failed at;
//! - [`Words`] runs again on a file that failed and collects what was expected at that offset,
//!   in user words, whatever the depth (`super::parser` turns them into E0101);
//! - [`Keep`] also keeps every token and comment in source order ([`Lossless`]), for
//!   `deployc fmt`.

use super::ast::*;
use crate::source::{FileId, Span};

/// Parse `text`, or, where the grammar does not match, the furthest offset any token failed at
/// (the place of the syntax error; [`expected_at`] says what was expected there).
pub fn parse(file: FileId, text: &str) -> Result<Module, usize> {
    let mut parser = Parser::<Fast>::new(file, text, 0);
    parser.file().ok_or(parser.furthest)
}

/// What the grammar expected at `offset` (the furthest offset [`parse`] reported), in user
/// words, sorted, each once.
pub fn expected_at(file: FileId, text: &str, offset: usize) -> Vec<&'static str> {
    let mut parser = Parser::<Words>::new(file, text, offset);
    let _ = parser.file();
    let mut words = parser.expected;
    words.sort_unstable();
    words.dedup();
    words
}

/// Parse `text` keeping its tokens and comments, or the furthest offset, as [`parse`].
pub fn parse_lossless(file: FileId, text: &str) -> Result<Lossless, usize> {
    let mut parser = Parser::<Keep>::new(file, text, 0);
    match parser.file() {
        Some(module) => Ok(Lossless { module, tokens: parser.tokens, comments: parser.comments }),
        None => Err(parser.furthest),
    }
}

/// A parsed file with what the tree leaves out: every token and every comment, in source
/// order. Between two tokens there is only whitespace and comments.
#[derive(Debug, Clone, Default)]
pub struct Lossless {
    pub module: Module,
    pub tokens: Vec<Token>,
    /// Each comment from its `#` to the end of its line (the line break excluded). A `#`
    /// inside a string, even in a `${ … }`, is part of the string's token.
    pub comments: Vec<std::ops::Range<usize>>,
}

/// One token of a [`Lossless`] parse: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// What a token is. Keywords (`import`, `let`, `as`, `allow`, `because`, `true`, `false`) are
/// names; a number keeps its unit (`512Mi`, `70%`), money its rate (`$24/mo`), a string its
/// quotes, escapes and `${…}` exactly as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    Str,
    Number,
    Money,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Eq,
    Comma,
    Colon,
    Dot,
    DotDot,
    /// The end of the file: never made by the parser; the formatter ends its tokens with one.
    Eof,
}

/// What a run of the parser keeps besides the tree.
trait Mode {
    /// Collect the words of what was expected at the target offset.
    const WORDS: bool;
    /// Keep tokens and comments.
    const KEEP: bool;
}

/// The tree alone.
struct Fast;
/// The tree and the words of the syntax error.
struct Words;
/// The tree, its tokens and comments.
struct Keep;

impl Mode for Fast {
    const WORDS: bool = false;
    const KEEP: bool = false;
}

impl Mode for Words {
    const WORDS: bool = true;
    const KEEP: bool = false;
}

impl Mode for Keep {
    const WORDS: bool = false;
    const KEEP: bool = true;
}

/// Deeper than this, fail (the nesting limit, checked before parsing, keeps real input far
/// below it).
const MAX_DEPTH: usize = 256;

/// Where the parser stood: the position and how many tokens and comments it had kept.
#[derive(Clone, Copy)]
struct Mark {
    pos: usize,
    tokens: usize,
    comments: usize,
}

struct Parser<'a, M: Mode> {
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
    /// [`Words`]: the offset of the syntax error, and what was expected there.
    target: usize,
    expected: Vec<&'static str>,
    /// [`Keep`]: the tokens and comments so far.
    tokens: Vec<Token>,
    comments: Vec<std::ops::Range<usize>>,
    mode: std::marker::PhantomData<M>,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a, M: Mode> Parser<'a, M> {
    fn new(file: FileId, text: &'a str, target: usize) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            file,
            depth: 0,
            furthest: 0,
            failed_blocks: std::collections::BTreeSet::new(),
            target,
            expected: Vec::new(),
            tokens: Vec::new(),
            comments: Vec::new(),
            mode: std::marker::PhantomData,
        }
    }

    fn mark(&self) -> Mark {
        Mark { pos: self.pos, tokens: self.tokens.len(), comments: self.comments.len() }
    }

    /// Go back to `mark`, as a PEG rule that failed does, dropping what was kept since.
    fn reset(&mut self, mark: Mark) {
        self.pos = mark.pos;
        if M::KEEP {
            self.tokens.truncate(mark.tokens);
            self.comments.truncate(mark.comments);
        }
    }

    /// [`Keep`]: a token from `start` to here.
    fn token(&mut self, kind: TokenKind, start: usize) {
        if M::KEEP {
            self.tokens.push(Token { kind, start, end: self.pos });
        }
    }

    /// Match a punctuation literal and keep it as a token of `kind`.
    fn punct(&mut self, literal: &str, kind: TokenKind) -> bool {
        let start = self.pos;
        let matched = self.eat(literal);
        if matched {
            self.token(kind, start);
        }
        matched
    }

    /// [`Words`]: `word` was expected here (a token just failed to match here).
    fn expect(&mut self, word: &'static str) {
        if M::WORDS && self.pos == self.target {
            self.expected.push(word);
        }
    }

    /// Match a literal; where it does not match, `word` was expected.
    fn eat_or(&mut self, literal: &str, kind: TokenKind, word: &'static str) -> bool {
        let matched = self.punct(literal, kind);
        if !matched {
            self.expect(word);
        }
        matched
    }

    /// Run `rule`; when it fails where it started and that is the place of the error, what was
    /// expected is `words` rather than the tokens inside the rule (`a value`, not every kind of
    /// value), as pest reports the outermost rule that failed there.
    fn rule<T>(&mut self, words: &'static [&'static str], rule: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if !(M::WORDS && self.pos == self.target) {
            return rule(self);
        }
        let before = self.expected.len();
        let result = rule(self);
        if result.is_none() {
            self.expected.truncate(before);
            self.expected.extend_from_slice(words);
        }
        result
    }

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
                    let start = self.pos;
                    let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
                    self.pos += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                    if M::KEEP {
                        self.comments.push(start..self.pos);
                    }
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

    /// A recursive rule: fails past [`MAX_DEPTH`].
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
        let start = self.mark();
        let result = rule(self);
        if result.is_none() {
            self.reset(start);
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
        if self.pos == self.bytes.len() {
            return Some(module);
        }
        self.missed();
        self.expect("end of file");
        None
    }

    // item = _{ import | let_item | block }
    fn item(&mut self) -> Option<Item> {
        self.rule(&["`import`", "`let`", "a block"], |p| {
            if let Some(import) = p.attempt(Self::import) {
                return Some(Item::Import(import));
            }
            if let Some(binding) = p.attempt(Self::let_item) {
                return Some(Item::Let(binding));
            }
            p.attempt(Self::block).map(Item::Block)
        })
    }

    /// A keyword (`import`, `let`, `as`, `allow`, `because`), kept as a name token.
    fn keyword(&mut self, keyword: &str) -> bool {
        self.punct(keyword, TokenKind::Ident)
    }

    /// A keyword that ends where a name would (`let` but not the start of `leteam`):
    /// `import_keyword`, `let_keyword`, `as_keyword` and `allow_keyword` in the grammar.
    fn whole_keyword(&mut self, keyword: &str) -> bool {
        self.starts_with(keyword) && !self.peek_at(keyword.len()).is_some_and(is_ident_char) && self.keyword(keyword)
    }

    // import = { import_keyword ~ string ~ (as_keyword ~ identifier)? }
    fn import(&mut self) -> Option<Import> {
        let start = self.pos;
        if !self.whole_keyword("import") {
            return None;
        }
        self.skip();
        let path = self.string()?;
        self.skip();
        // The skip above stays in the import's span when there is no alias (as in pest).
        let alias = self.attempt(|p| {
            if !p.whole_keyword("as") {
                return None;
            }
            p.skip();
            p.identifier()
        });
        Some(Import { path, alias, span: self.span(start) })
    }

    // let_item = { let_keyword ~ identifier ~ "=" ~ value }
    fn let_item(&mut self) -> Option<Let> {
        let start = self.pos;
        if !self.whole_keyword("let") {
            return None;
        }
        self.skip();
        let name = self.identifier()?;
        self.skip();
        if !self.eat_or("=", TokenKind::Eq, "`=`") {
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
        self.rule(&["a label"], |p| {
            let start = p.pos;
            if let Some(ident) = p.attempt(Self::identifier) {
                return Some(Label { name: ident.name, is_string: false, span: p.span(start) });
            }
            let lit = p.attempt(Self::string)?;
            Some(Label { name: lit.plain().unwrap_or_default(), is_string: true, span: p.span(start) })
        })
    }

    // template = !{ ":" ~ identifier }
    fn template(&mut self) -> Option<Ident> {
        if !self.eat_or(":", TokenKind::Colon, "`:`") {
            return None;
        }
        self.skip();
        self.identifier()
    }

    // block_body = !{ "{" ~ (member ~ ","?)* ~ "}" }
    fn block_body(&mut self) -> Option<Vec<Member>> {
        if !self.eat_or("{", TokenKind::LBrace, "`{`") {
            return None;
        }
        let mut members = Vec::new();
        self.skip();
        while let Some(member) = self.attempt(Self::member) {
            members.push(member);
            self.skip();
            if self.punct(",", TokenKind::Comma) {
                self.skip();
            }
        }
        self.eat_or("}", TokenKind::RBrace, "`}`").then_some(members)
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
        if !self.whole_keyword("allow") {
            return None;
        }
        self.skip();
        let name = self.identifier()?;
        self.skip();
        if !self.keyword("because") {
            self.expect("`because`");
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
        let eq = self.pos;
        if !self.eat("=") {
            self.expect("`=`");
            return None;
        }
        if M::KEEP {
            // The path's tokens, kept only now that it is one.
            let eq_token = Token { kind: TokenKind::Eq, start: eq, end: self.pos };
            self.tokens.push(Token { kind: TokenKind::Ident, start, end: first });
            for &(part_start, end) in &more {
                self.tokens.push(Token { kind: TokenKind::Dot, start: part_start - 1, end: part_start });
                self.tokens.push(Token { kind: TokenKind::Ident, start: part_start, end });
            }
            self.tokens.push(eq_token);
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
            let after_low = p.mark();
            p.skip();
            if p.punct("..", TokenKind::DotDot) {
                p.skip();
                if let Some(high) = p.atom() {
                    return Some(Value { kind: ValueKind::Range(Box::new(low), Box::new(high)), span: p.span(start) });
                }
            }
            // Not a range: the value is the atom alone (matched again by pest; same result).
            p.reset(after_low);
            Some(low)
        })
    }

    // atom = _{ money | quantity | number | boolean | string | list | record | call | identifier }
    fn atom(&mut self) -> Option<Value> {
        self.rule(&["a value"], Self::any_atom)
    }

    fn any_atom(&mut self) -> Option<Value> {
        let start = self.mark();
        let Some(first) = self.peek() else {
            self.missed();
            return None;
        };
        let kind = match first {
            b'$' => self.money().inspect(|_| self.token(TokenKind::Money, start.pos)),
            b'0'..=b'9' => self
                .attempt(Self::quantity)
                .or_else(|| self.number())
                .inspect(|_| self.token(TokenKind::Number, start.pos)),
            b'"' => self.string().map(ValueKind::Str),
            b'[' => self.list(),
            b'{' => self.record(),
            b't' | b'f' => self
                .boolean()
                .inspect(|_| self.token(TokenKind::Ident, start.pos))
                .or_else(|| self.call_or_identifier()),
            _ => self.call_or_identifier(),
        };
        let kind = match kind {
            Some(kind) => kind,
            None => {
                self.reset(start);
                return None;
            }
        };
        Some(Value { kind, span: self.span(start.pos) })
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
            self.expect("a number");
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
        let Some(unit) = UNITS.iter().find(|unit| self.starts_with(unit)).copied() else {
            self.missed();
            self.expect("a unit");
            return None;
        };
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
                let at = p.pos;
                let rate = if p.eat("mo") {
                    Some("mo")
                } else if p.eat("h") {
                    Some("h")
                } else {
                    None
                };
                let rate = rate.filter(|_| !p.peek().is_some_and(is_ident_char));
                if rate.is_none() {
                    p.pos = at;
                    p.expect("`/mo` or `/h`");
                }
                rate
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
        if !self.punct("[", TokenKind::LBracket) {
            return None;
        }
        let mut items = Vec::new();
        self.skip();
        if let Some(first) = self.value() {
            items.push(first);
            loop {
                let save = self.mark();
                self.skip();
                if !self.eat_or(",", TokenKind::Comma, "`,`") {
                    self.reset(save);
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
        self.eat_or("]", TokenKind::RBracket, "`]`").then_some(ValueKind::List(items))
    }

    // record = { "{" ~ (attribute ~ ","?)* ~ "}" }
    fn record(&mut self) -> Option<ValueKind> {
        self.nested(|p| {
            if !p.punct("{", TokenKind::LBrace) {
                return None;
            }
            let mut attrs = Vec::new();
            p.skip();
            while let Some(attr) = p.attempt(Self::attribute) {
                attrs.push(attr);
                p.skip();
                if p.punct(",", TokenKind::Comma) {
                    p.skip();
                }
            }
            p.eat_or("}", TokenKind::RBrace, "`}`").then_some(ValueKind::Record(attrs))
        })
    }

    // call = ${ identifier ~ arguments }
    // arguments = !{ "(" ~ (argument ~ ("," ~ argument)* ~ ","?)? ~ ")" }
    fn call(&mut self) -> Option<Call> {
        let start = self.pos;
        let end = self.identifier_end()?;
        self.token(TokenKind::Ident, start);
        if !self.eat_or("(", TokenKind::LParen, "`(`") {
            return None;
        }
        let mut call = Call { name: self.ident_at(start, end), args: Vec::new(), named: Vec::new() };
        self.skip();
        if self.argument(&mut call) {
            loop {
                let save = self.mark();
                self.skip();
                if !self.eat_or(",", TokenKind::Comma, "`,`") {
                    self.reset(save);
                    break;
                }
                self.skip();
                if !self.argument(&mut call) {
                    break;
                }
            }
        }
        self.skip();
        self.eat_or(")", TokenKind::RParen, "`)`").then_some(call)
    }

    // argument = { named_argument | value }
    // named_argument = { identifier ~ "=" ~ value }
    fn argument(&mut self, call: &mut Call) -> bool {
        self.rule(&["an argument"], |p| {
            let named = p.attempt(|p| {
                let key = p.identifier()?;
                p.skip();
                if !p.eat_or("=", TokenKind::Eq, "`=`") {
                    return None;
                }
                p.skip();
                Some((key, p.value()?))
            });
            if let Some(named) = named {
                call.named.push(named);
                return Some(());
            }
            let value = p.attempt(Self::value)?;
            call.args.push(value);
            Some(())
        })
        .is_some()
    }

    // identifier = @{ (ASCII_ALPHA | "_") ~ (ASCII_ALPHANUMERIC | "_" | ("-" ~ &(ASCII_ALPHANUMERIC | "_")))* }
    fn identifier(&mut self) -> Option<Ident> {
        let start = self.pos;
        let end = self.identifier_end()?;
        self.token(TokenKind::Ident, start);
        Some(self.ident_at(start, end))
    }

    /// [`Self::identifier`] without building the [`Ident`] or keeping a token: where it ends.
    fn identifier_end(&mut self) -> Option<usize> {
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.pos += 1,
            _ => {
                self.missed();
                self.expect("a name");
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
        let start = self.mark();
        if !self.eat("\"") {
            self.expect("a string");
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
                        if p.eat("}") {
                            Some(name)
                        } else {
                            p.expect("`}`");
                            None
                        }
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
            self.expect("`\"`");
            self.reset(start);
            return None;
        }
        // What the interpolations kept is inside the string's one token.
        self.reset(Mark { pos: self.pos, ..start });
        self.token(TokenKind::Str, start.pos);
        Some(StrLit { parts, span: self.span(start.pos) })
    }
}
