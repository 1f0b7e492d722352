//! The formatter's concrete syntax tree: the shape of `syntax::ast`, made of tokens that keep
//! their comments, line breaks and commas. There is no parser here: [`build`] walks the tree
//! the one parser built (`syntax::parse_lossless`) alongside the tokens and comments it kept,
//! and attaches each comment and line break to the token it stands before or after.

pub(crate) use crate::syntax::TokenKind as Kind;
use crate::syntax::ast::{self, Item, Member as AstMember, ValueKind};
use crate::syntax::{Lossless, TokenKind};

/// A comment on a line of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    /// The text from `#`, trailing whitespace removed.
    pub text: String,
    /// An empty line stands between this comment and what came before it.
    pub blank_before: bool,
}

/// One token and the trivia around it.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub kind: Kind,
    pub text: String,
    /// 0-based line of the token's first character.
    pub line: usize,
    /// A line break stands between the previous token and this one.
    pub newline_before: bool,
    /// An empty line stands right before this token (after its leading comments).
    pub blank_before: bool,
    /// Comments on their own lines before this token.
    pub leading: Vec<Comment>,
    /// A comment after this token on the same line.
    pub trailing: Option<String>,
}

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

/// The file's tokens with their trivia, ending with one [`Kind::Eof`] token that holds the
/// comments at the end of the file. A comment on the line of the token before it (with no other
/// comment between) trails that token; any other leads the token after it.
pub(crate) fn tokens(text: &str, lossless: &Lossless) -> Result<Tokens, String> {
    let mut out: Vec<Token> = Vec::with_capacity(lossless.tokens.len() + 1);
    let mut glued = Vec::new();
    // Where the last token kept ends.
    let mut t_end = usize::MAX;
    let mut comments = lossless.comments.iter().peekable();
    let mut pending: Vec<Comment> = Vec::new();
    let mut at = 0;
    let mut line = 0;
    let ends = lossless.tokens.iter().map(|t| (t.kind, t.start, t.end));
    for (kind, start, end) in ends.chain(std::iter::once((Kind::Eof, text.len(), text.len()))) {
        // Line breaks since the last token or comment, and whether any came since the last token.
        let mut newlines = 0usize;
        let mut newline_since_token = false;
        while at < start {
            if let Some(comment) = comments.next_if(|c| c.start == at) {
                let comment_text =
                    text.get(comment.clone()).ok_or("a comment outside the file")?.trim_end().to_string();
                match out.last_mut() {
                    Some(token) if !newline_since_token && pending.is_empty() && token.trailing.is_none() => {
                        token.trailing = Some(comment_text);
                    }
                    _ => pending.push(Comment { text: comment_text, blank_before: newlines >= 2 }),
                }
                newlines = 0;
                at = comment.end;
                continue;
            }
            match text.as_bytes().get(at) {
                Some(b'\n') => {
                    newlines += 1;
                    line += 1;
                    newline_since_token = true;
                }
                Some(b' ' | b'\t' | b'\r') => {}
                _ => {
                    return Err(format!(
                        "`{}` outside any token on line {}",
                        text.get(at..).and_then(|r| r.chars().next()).unwrap_or(' '),
                        line + 1
                    ));
                }
            }
            at += 1;
        }
        if at != start {
            return Err(format!("tokens overlap on line {}", line + 1));
        }
        let token_text = text.get(start..end).ok_or("a token outside the file")?;
        // `500mi` is the number `500` and the bare name `mi` (`m` is a unit only when no name
        // character follows): it is written, and stays, one word, the number's.
        if let Some(number) = out.last_mut().filter(|t| t.kind == Kind::Number && kind == Kind::Ident && at == t_end) {
            if !token_text.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!("`{}{token_text}` on line {}", number.text, line + 1));
            }
            number.text.push_str(token_text);
            glued.push(start);
            at = end;
            continue;
        }
        out.push(Token {
            kind,
            text: token_text.to_string(),
            line,
            newline_before: newline_since_token,
            blank_before: newlines >= 2,
            leading: std::mem::take(&mut pending),
            trailing: None,
        });
        line += token_text.matches('\n').count();
        at = end;
        t_end = end;
    }
    if comments.next().is_some() {
        return Err("a comment after the end of the file".into());
    }
    Ok(Tokens { tokens: out, glued })
}

/// A file's tokens with their trivia ([`tokens`]).
pub(crate) struct Tokens {
    pub tokens: Vec<Token>,
    /// Where a bare name glued to the number before it starts (`mi` in `500mi`).
    glued: Vec<usize>,
}

/// Every comment of a token list, in order (to check that formatting kept them all).
pub(crate) fn comments(tokens: &Tokens) -> Vec<&str> {
    let mut out = Vec::new();
    for token in &tokens.tokens {
        out.extend(token.leading.iter().map(|c| c.text.as_str()));
        out.extend(token.trailing.as_deref());
    }
    out
}

/// The tree of `module` made of `tokens` ([`tokens`] of the same parse): each node takes the
/// tokens the parser kept for it, in order, so nothing is decided again here; a token that is
/// not the one the tree says comes next is an `Err` (a bug), never a guess.
pub(crate) fn build(module: &ast::Module, tokens: Tokens) -> Result<File, String> {
    let mut b = Builder { tokens: tokens.tokens.into_iter().collect(), glued: tokens.glued };
    let mut items = Vec::with_capacity(module.items.len());
    for item in &module.items {
        let node = match item {
            Item::Import(import) => Node::Import {
                keyword: b.next(Kind::Ident)?,
                path: b.next(Kind::Str)?,
                alias: match import.alias {
                    Some(_) => Some((b.next(Kind::Ident)?, b.next(Kind::Ident)?)),
                    None => None,
                },
            },
            Item::Let(binding) => Node::Let {
                keyword: b.next(Kind::Ident)?,
                name: b.next(Kind::Ident)?,
                eq: b.next(Kind::Eq)?,
                value: b.value(&binding.value)?,
            },
            Item::Block(block) => Node::Block(b.block(block)?),
        };
        items.push(Member { node, comma: None });
    }
    let eof = b.next(Kind::Eof)?;
    Ok(File { items, eof })
}

struct Builder {
    tokens: std::collections::VecDeque<Token>,
    glued: Vec<usize>,
}

impl Builder {
    /// The next token, which must be of `kind`.
    fn next(&mut self, kind: TokenKind) -> Result<Token, String> {
        match self.tokens.pop_front() {
            Some(token) if token.kind == kind => Ok(token),
            Some(token) => Err(format!("expected {kind:?}, found `{}` on line {}", token.text, token.line + 1)),
            None => Err("the tokens ended early".into()),
        }
    }

    /// The next token when it is of `kind` (a comma).
    fn optional(&mut self, kind: TokenKind) -> Option<Token> {
        if self.tokens.front().is_some_and(|t| t.kind == kind) { self.tokens.pop_front() } else { None }
    }

    fn block(&mut self, block: &ast::Block) -> Result<Block, String> {
        let kind = self.next(Kind::Ident)?;
        let label = match &block.label {
            Some(label) => Some(self.next(if label.is_string { Kind::Str } else { Kind::Ident })?),
            None => None,
        };
        let template = match block.template {
            Some(_) => Some((self.next(Kind::Colon)?, self.next(Kind::Ident)?)),
            None => None,
        };
        let open = self.next(Kind::LBrace)?;
        let mut members = Vec::with_capacity(block.members.len());
        for member in &block.members {
            if let AstMember::Bare(value) = member
                && matches!(value.kind, ValueKind::Ident(_))
                && self.glued.binary_search(&value.span.start).is_ok()
            {
                // Part of the number before it: the comma after it is that member's.
                let comma = self.optional(Kind::Comma);
                match members.last_mut() {
                    Some(Member { comma: previous @ None, .. }) => *previous = comma,
                    _ if comma.is_none() => {}
                    _ => return Err("a comma after a glued name".into()),
                }
                continue;
            }
            let node = self.member(member)?;
            members.push(Member { node, comma: self.optional(Kind::Comma) });
        }
        let close = self.next(Kind::RBrace)?;
        Ok(Block { kind, label, template, open, members, close })
    }

    fn member(&mut self, member: &AstMember) -> Result<Node, String> {
        Ok(match member {
            AstMember::Attr(attr) => self.attribute(attr)?,
            AstMember::Block(block) => Node::Block(self.block(block)?),
            AstMember::Bare(value) => Node::Bare(self.value(value)?),
            AstMember::Allow(_) => Node::Allow {
                keyword: self.next(Kind::Ident)?,
                name: self.next(Kind::Ident)?,
                because: self.next(Kind::Ident)?,
                reason: self.next(Kind::Str)?,
            },
        })
    }

    fn attribute(&mut self, attr: &ast::Attr) -> Result<Node, String> {
        let mut path = Vec::with_capacity(attr.path.len() * 2);
        for (i, _) in attr.path.iter().enumerate() {
            if i > 0 {
                path.push(self.next(Kind::Dot)?);
            }
            path.push(self.next(Kind::Ident)?);
        }
        let eq = self.next(Kind::Eq)?;
        Ok(Node::Attr { path, eq, value: self.value(&attr.value)? })
    }

    fn value(&mut self, value: &ast::Value) -> Result<Value, String> {
        match &value.kind {
            ValueKind::Range(low, high) => {
                let low = self.atom(low)?;
                let dots = self.next(Kind::DotDot)?;
                Ok(Value { low, high: Some(Box::new((dots, self.atom(high)?))) })
            }
            _ => Ok(Value { low: self.atom(value)?, high: None }),
        }
    }

    fn atom(&mut self, value: &ast::Value) -> Result<Atom, String> {
        Ok(match &value.kind {
            ValueKind::Number(..) | ValueKind::Quantity { .. } => Atom::Scalar(self.next(Kind::Number)?),
            ValueKind::Money { .. } => Atom::Scalar(self.next(Kind::Money)?),
            ValueKind::Str(_) => Atom::Scalar(self.next(Kind::Str)?),
            ValueKind::Bool(_) | ValueKind::Ident(_) => Atom::Scalar(self.next(Kind::Ident)?),
            ValueKind::List(items) => {
                let open = self.next(Kind::LBracket)?;
                let mut group = Vec::with_capacity(items.len());
                for item in items {
                    let item = self.value(item)?;
                    group.push((item, self.optional(Kind::Comma)));
                }
                Atom::List(Group { open, items: group, close: self.next(Kind::RBracket)? })
            }
            ValueKind::Record(attrs) => {
                let open = self.next(Kind::LBrace)?;
                let mut members = Vec::with_capacity(attrs.len());
                for attr in attrs {
                    let node = self.attribute(attr)?;
                    members.push(Member { node, comma: self.optional(Kind::Comma) });
                }
                Atom::Record(Record { open, members, close: self.next(Kind::RBrace)? })
            }
            ValueKind::Call(call) => {
                let name = self.next(Kind::Ident)?;
                let open = self.next(Kind::LParen)?;
                // The tree keeps positional and named arguments apart; the text, in one order.
                let mut arguments: Vec<(usize, Option<&ast::Value>, Option<&ast::Value>)> =
                    call.args.iter().map(|v| (v.span.start, Some(v), None)).collect();
                arguments.extend(call.named.iter().map(|(key, v)| (key.span.start, None, Some(v))));
                arguments.sort_by_key(|(start, ..)| *start);
                let mut items = Vec::with_capacity(arguments.len());
                for (_, positional, named) in arguments {
                    let argument = match (positional, named) {
                        (Some(v), _) => Argument::Positional(self.value(v)?),
                        (None, Some(v)) => {
                            let key = self.next(Kind::Ident)?;
                            let eq = self.next(Kind::Eq)?;
                            Argument::Named(key, eq, self.value(v)?)
                        }
                        (None, None) => return Err("an argument without a value".into()),
                    };
                    items.push((argument, self.optional(Kind::Comma)));
                }
                Atom::Call(name, Group { open, items, close: self.next(Kind::RParen)? })
            }
            ValueKind::Range(..) => return Err("a range where the grammar has an atom".into()),
        })
    }
}
