//! The formatter's concrete syntax tree: the shape of `syntax::ast`, but made of tokens that
//! keep their comments, line breaks and commas. Built by a small recursive-descent parser that
//! follows the pest grammar's choices (`grammar/deploy.pest`) on text pest already accepted.

use super::lexer::{Kind, Token};

/// A whole file: its items and the end-of-file token, which holds the last comments.
#[derive(Debug)]
pub(crate) struct File {
    pub items: Vec<Member>,
    pub eof: Token,
}

/// A block: `kind label? (: template)? { members }`.
#[derive(Debug)]
pub(crate) struct Block {
    pub kind: Token,
    pub label: Option<Token>,
    /// The `:` and the template's name.
    pub template: Option<(Token, Token)>,
    pub open: Token,
    pub members: Vec<Member>,
    pub close: Token,
}

impl Block {
    /// Written on one line in the source: it stays on one line.
    pub fn is_one_line(&self) -> bool {
        self.open.line == self.close.line
    }
}

/// A member of a block or record, an item of a file, with the comma that followed it.
#[derive(Debug)]
pub(crate) struct Member {
    pub node: Node,
    pub comma: Option<Token>,
}

#[derive(Debug)]
pub(crate) enum Node {
    /// `import "path" (as name)?`.
    Import {
        keyword: Token,
        path: Token,
        alias: Option<(Token, Token)>,
    },
    /// `let name = value`.
    Let {
        keyword: Token,
        name: Token,
        eq: Token,
        value: Value,
    },
    /// `a.b.c = value`: the path's identifiers and dots, `=`, the value.
    Attr {
        path: Vec<Token>,
        eq: Token,
        value: Value,
    },
    Block(Block),
    /// A bare name or call.
    Bare(Value),
    /// `allow name because "reason"`: the four tokens.
    Allow {
        keyword: Token,
        name: Token,
        because: Token,
        reason: Token,
    },
}

/// A value: one atom, or a range `low..high` (the `..` and the high end in `high`).
#[derive(Debug)]
pub(crate) struct Value {
    pub low: Atom,
    pub high: Option<Box<(Token, Atom)>>,
}

#[derive(Debug)]
pub(crate) enum Atom {
    /// A number, quantity, money, string, boolean or name.
    Scalar(Token),
    List(Group<Value>),
    /// `{ key = value, … }`: members are attributes only.
    Record(Record),
    /// `name(arguments)`.
    Call(Token, Group<Argument>),
}

/// A record value: like a block body without a head.
#[derive(Debug)]
pub(crate) struct Record {
    pub open: Token,
    pub members: Vec<Member>,
    pub close: Token,
}

/// A bracketed, comma-separated list of items (list elements or call arguments).
#[derive(Debug)]
pub(crate) struct Group<T> {
    pub open: Token,
    /// Each item with the comma after it.
    pub items: Vec<(T, Option<Token>)>,
    pub close: Token,
}

impl<T: FirstToken> Group<T> {
    /// Written across lines (at its own commas or brackets): one item per line.
    pub fn is_broken(&self) -> bool {
        self.close.newline_before
            || self.items.iter().any(|(item, comma)| {
                item.first_token().newline_before || comma.as_ref().is_some_and(|c| c.newline_before)
            })
    }
}

/// The first token of a group item.
pub(crate) trait FirstToken {
    fn first_token(&self) -> &Token;
}

impl FirstToken for Value {
    fn first_token(&self) -> &Token {
        self.low.first_token()
    }
}

impl Atom {
    fn first_token(&self) -> &Token {
        match self {
            Atom::Scalar(token) | Atom::Call(token, _) => token,
            Atom::List(group) => &group.open,
            Atom::Record(record) => &record.open,
        }
    }
}

impl FirstToken for Argument {
    fn first_token(&self) -> &Token {
        match self {
            Argument::Named(name, _, _) => name,
            Argument::Positional(value) => value.first_token(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum Argument {
    /// `name = value`.
    Named(Token, Token, Value),
    Positional(Value),
}

/// Parse tokens (from [`super::lexer::tokenize`]) into a file.
pub(crate) fn parse(tokens: Vec<Token>) -> Result<File, String> {
    let mut parser = Parser { tokens: tokens.into_iter().collect(), depth: 0 };
    let mut items = Vec::new();
    while !parser.at(Kind::Eof) {
        let node = parser.item()?;
        items.push(Member { node, comma: None });
    }
    let eof = parser.next()?;
    Ok(File { items, eof })
}

/// Deeper than this is refused (the parser already refuses more than `MAX_NESTING` brackets).
const MAX_DEPTH: usize = 256;

struct Parser {
    tokens: std::collections::VecDeque<Token>,
    depth: usize,
}

impl Parser {
    fn peek(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(ahead)
    }

    fn at(&self, kind: Kind) -> bool {
        self.peek(0).is_none_or(|t| t.kind == kind)
    }

    fn kind(&self, ahead: usize) -> Option<Kind> {
        self.peek(ahead).map(|t| t.kind)
    }

    fn next(&mut self) -> Result<Token, String> {
        self.tokens.pop_front().ok_or_else(|| "unexpected end of input".to_string())
    }

    fn expect(&mut self, kind: Kind) -> Result<Token, String> {
        let token = self.next()?;
        if token.kind == kind {
            Ok(token)
        } else {
            Err(format!("expected {kind:?}, found `{}` on line {}", token.text, token.line + 1))
        }
    }

    fn eat(&mut self, kind: Kind) -> Option<Token> {
        if self.kind(0) == Some(kind) { self.tokens.pop_front() } else { None }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err("nested too deeply".into()) } else { Ok(()) }
    }

    fn item(&mut self) -> Result<Node, String> {
        let Some(first) = self.peek(0) else { return Err("unexpected end of input".into()) };
        if first.kind == Kind::Ident && first.text == "import" && self.kind(1) == Some(Kind::Str) {
            let keyword = self.next()?;
            let path = self.next()?;
            let alias = match (self.peek(0), self.kind(1)) {
                (Some(t), Some(Kind::Ident)) if t.kind == Kind::Ident && t.text == "as" => {
                    Some((self.next()?, self.next()?))
                }
                _ => None,
            };
            return Ok(Node::Import { keyword, path, alias });
        }
        if first.kind == Kind::Ident
            && first.text == "let"
            && self.kind(1) == Some(Kind::Ident)
            && self.kind(2) == Some(Kind::Eq)
        {
            let keyword = self.next()?;
            let name = self.next()?;
            let eq = self.next()?;
            let value = self.value()?;
            return Ok(Node::Let { keyword, name, eq, value });
        }
        if self.block_ahead() {
            return Ok(Node::Block(self.block()?));
        }
        Err(format!("expected `import`, `let` or a block on line {}", first.line + 1))
    }

    /// A block head starts here: `kind label? (: template)? {`, the head on one line.
    fn block_ahead(&self) -> bool {
        if self.kind(0) != Some(Kind::Ident) {
            return false;
        }
        let same_line =
            |ahead: usize, kind: Kind| self.peek(ahead).is_some_and(|t| t.kind == kind && !t.newline_before);
        let mut ahead = 1;
        if self.peek(1).is_some_and(|t| matches!(t.kind, Kind::Ident | Kind::Str) && !t.newline_before)
            && (same_line(2, Kind::LBrace) || same_line(2, Kind::Colon))
        {
            ahead = 2;
        }
        if same_line(ahead, Kind::Colon) {
            if self.kind(ahead + 1) != Some(Kind::Ident) {
                return false;
            }
            ahead += 2;
        }
        same_line(ahead, Kind::LBrace)
    }

    fn block(&mut self) -> Result<Block, String> {
        self.enter()?;
        let kind = self.expect(Kind::Ident)?;
        let label = if matches!(self.kind(0), Some(Kind::Ident | Kind::Str)) { Some(self.next()?) } else { None };
        let template = match self.eat(Kind::Colon) {
            Some(colon) => Some((colon, self.expect(Kind::Ident)?)),
            None => None,
        };
        let open = self.expect(Kind::LBrace)?;
        let mut members = Vec::new();
        while !self.at(Kind::RBrace) {
            let node = self.member()?;
            let comma = self.eat(Kind::Comma);
            members.push(Member { node, comma });
        }
        let close = self.expect(Kind::RBrace)?;
        self.depth -= 1;
        Ok(Block { kind, label, template, open, members, close })
    }

    /// `member = attribute | block | bare`, in the grammar's order.
    fn member(&mut self) -> Result<Node, String> {
        if self.kind(0) != Some(Kind::Ident) {
            let found = self.peek(0).map(|t| (t.text.clone(), t.line + 1)).unwrap_or_default();
            return Err(format!("expected a member, found `{}` on line {}", found.0, found.1));
        }
        // `allow NAME because "reason"` comes first in the grammar.
        let text = |ahead: usize| self.peek(ahead).map(|t| (t.kind, t.text.as_str()));
        if text(0) == Some((Kind::Ident, "allow"))
            && self.kind(1) == Some(Kind::Ident)
            && text(2) == Some((Kind::Ident, "because"))
            && self.kind(3) == Some(Kind::Str)
        {
            let (keyword, name, because, reason) = (self.next()?, self.next()?, self.next()?, self.next()?);
            return Ok(Node::Allow { keyword, name, because, reason });
        }
        // An attribute: a dotted path, then `=` (line breaks allowed before it).
        let mut ahead = 1;
        while self.kind(ahead) == Some(Kind::Dot) && self.kind(ahead + 1) == Some(Kind::Ident) {
            ahead += 2;
        }
        if self.kind(ahead) == Some(Kind::Eq) {
            return self.attribute();
        }
        if self.block_ahead() {
            return Ok(Node::Block(self.block()?));
        }
        Ok(Node::Bare(Value { low: self.atom()?, high: None }))
    }

    fn attribute(&mut self) -> Result<Node, String> {
        let mut path = vec![self.expect(Kind::Ident)?];
        while self.kind(0) == Some(Kind::Dot) {
            path.push(self.next()?);
            path.push(self.expect(Kind::Ident)?);
        }
        let eq = self.expect(Kind::Eq)?;
        let value = self.value()?;
        Ok(Node::Attr { path, eq, value })
    }

    fn value(&mut self) -> Result<Value, String> {
        let low = self.atom()?;
        let high = match self.eat(Kind::DotDot) {
            Some(dots) => Some(Box::new((dots, self.atom()?))),
            None => None,
        };
        Ok(Value { low, high })
    }

    fn atom(&mut self) -> Result<Atom, String> {
        match self.kind(0) {
            Some(Kind::LBracket) => {
                self.enter()?;
                let group = self.group(Kind::RBracket, Parser::value)?;
                self.depth -= 1;
                Ok(Atom::List(group))
            }
            Some(Kind::LBrace) => {
                self.enter()?;
                let open = self.next()?;
                let mut members = Vec::new();
                while !self.at(Kind::RBrace) {
                    let node = self.attribute()?;
                    let comma = self.eat(Kind::Comma);
                    members.push(Member { node, comma });
                }
                let close = self.expect(Kind::RBrace)?;
                self.depth -= 1;
                Ok(Atom::Record(Record { open, members, close }))
            }
            Some(Kind::Ident) if self.peek(1).is_some_and(|t| t.kind == Kind::LParen && !t.space_before) => {
                self.enter()?;
                let name = self.next()?;
                let group = self.group(Kind::RParen, Parser::argument)?;
                self.depth -= 1;
                Ok(Atom::Call(name, group))
            }
            Some(Kind::Ident | Kind::Str | Kind::Number | Kind::Money) => Ok(Atom::Scalar(self.next()?)),
            _ => {
                let found = self.peek(0).map(|t| (t.text.clone(), t.line + 1)).unwrap_or_default();
                Err(format!("expected a value, found `{}` on line {}", found.0, found.1))
            }
        }
    }

    fn argument(&mut self) -> Result<Argument, String> {
        if self.kind(0) == Some(Kind::Ident) && self.kind(1) == Some(Kind::Eq) {
            let name = self.next()?;
            let eq = self.next()?;
            return Ok(Argument::Named(name, eq, self.value()?));
        }
        Ok(Argument::Positional(self.value()?))
    }

    /// `open (item (, item)* ,?)? close`; `open` is the next token.
    fn group<T>(&mut self, close: Kind, item: fn(&mut Parser) -> Result<T, String>) -> Result<Group<T>, String> {
        let open = self.next()?;
        let mut items = Vec::new();
        while !self.at(close) {
            let value = item(self)?;
            let comma = self.eat(Kind::Comma);
            let last = comma.is_none();
            items.push((value, comma));
            if last {
                break;
            }
        }
        let close = self.expect(close)?;
        Ok(Group { open, items, close })
    }
}
