//! A lossless tokenizer for the formatter: every token with the comments and line breaks
//! around it. The pest grammar drops comments, so the formatter reads the text again here.
//!
//! It runs only on text that `syntax::parse` accepted, so it can be simple; anything it does
//! not understand is an `Err` (the formatter then leaves the file alone), never a panic.

/// What a token is. Keywords (`import`, `let`, `as`, `true`, `false`) are identifiers here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ident,
    /// A string literal, kept exactly as written (escapes and `${}` included).
    Str,
    /// A number, with its unit glued on when it is a quantity (`512Mi`, `70%`).
    Number,
    /// `$24/mo`.
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
    Eof,
}

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
    /// Any whitespace or comment stands between the previous token and this one.
    pub space_before: bool,
    /// An empty line stands right before this token (after its leading comments).
    pub blank_before: bool,
    /// Comments on their own lines before this token.
    pub leading: Vec<Comment>,
    /// A comment after this token on the same line.
    pub trailing: Option<String>,
}

/// Split `text` into tokens, ending with one [`Kind::Eof`] token that holds the comments at
/// the end of the file.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut lexer = Lexer { chars: text.char_indices().collect(), pos: 0, line: 0, text };
    let mut tokens: Vec<Token> = Vec::new();
    let mut pending: Vec<Comment> = Vec::new();
    // Line breaks since the last token or comment, and whether any came since the last token.
    let mut newlines = 0usize;
    let mut newline_since_token = false;
    let mut space_since_token = false;
    while let Some(c) = lexer.peek(0) {
        if c == '\n' {
            newlines += 1;
            newline_since_token = true;
            space_since_token = true;
            lexer.bump();
            continue;
        }
        if c.is_whitespace() {
            space_since_token = true;
            lexer.bump();
            continue;
        }
        if c == '#' {
            let comment = lexer.comment();
            let previous = tokens.last_mut();
            match previous {
                Some(token) if !newline_since_token && pending.is_empty() && token.trailing.is_none() => {
                    token.trailing = Some(comment);
                }
                _ => pending.push(Comment { text: comment, blank_before: newlines >= 2 }),
            }
            newlines = 0;
            space_since_token = true;
            continue;
        }
        let line = lexer.line;
        let (kind, text) = lexer.token()?;
        tokens.push(Token {
            kind,
            text,
            line,
            newline_before: newline_since_token,
            space_before: space_since_token,
            blank_before: newlines >= 2,
            leading: std::mem::take(&mut pending),
            trailing: None,
        });
        newlines = 0;
        newline_since_token = false;
        space_since_token = false;
    }
    tokens.push(Token {
        kind: Kind::Eof,
        text: String::new(),
        line: lexer.line,
        newline_before: newline_since_token,
        space_before: space_since_token,
        blank_before: newlines >= 2,
        leading: pending,
        trailing: None,
    });
    Ok(tokens)
}

/// Every comment of a token list, in order (to check that formatting kept them all).
pub(crate) fn comments(tokens: &[Token]) -> Vec<&str> {
    let mut out = Vec::new();
    for token in tokens {
        out.extend(token.leading.iter().map(|c| c.text.as_str()));
        out.extend(token.trailing.as_deref());
    }
    out
}

struct Lexer<'a> {
    chars: Vec<(usize, char)>,
    pos: usize,
    line: usize,
    text: &'a str,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).map(|(_, c)| *c)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn offset(&self) -> usize {
        self.chars.get(self.pos).map(|(i, _)| *i).unwrap_or(self.text.len())
    }

    fn slice(&self, start: usize) -> String {
        self.text.get(start..self.offset()).unwrap_or("").to_string()
    }

    /// A comment from `#` to the end of the line (the line break is left for the caller).
    fn comment(&mut self) -> String {
        let start = self.offset();
        while self.peek(0).is_some_and(|c| c != '\n') {
            self.bump();
        }
        self.slice(start).trim_end().to_string()
    }

    fn digits(&mut self) -> usize {
        let mut count = 0;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            count += 1;
        }
        count
    }

    /// Digits with an optional fraction; `2..5` leaves the `..` alone.
    fn number(&mut self) {
        self.digits();
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            self.digits();
        }
    }

    fn token(&mut self) -> Result<(Kind, String), String> {
        let start = self.offset();
        let line = self.line + 1;
        let Some(c) = self.bump() else { return Err("unexpected end of input".into()) };
        let kind = match c {
            '{' => Kind::LBrace,
            '}' => Kind::RBrace,
            '[' => Kind::LBracket,
            ']' => Kind::RBracket,
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            '=' => Kind::Eq,
            ',' => Kind::Comma,
            ':' => Kind::Colon,
            '.' if self.peek(0) == Some('.') => {
                self.bump();
                Kind::DotDot
            }
            '.' => Kind::Dot,
            '"' => {
                self.string(line)?;
                Kind::Str
            }
            '$' => {
                self.number();
                if self.peek(0) == Some('/') {
                    self.bump();
                    while self.peek(0).is_some_and(|c| c.is_ascii_alphabetic()) {
                        self.bump();
                    }
                }
                Kind::Money
            }
            c if c.is_ascii_digit() => {
                self.pos -= 1;
                self.number();
                while self.peek(0).is_some_and(|c| c.is_ascii_alphabetic() || c == '%') {
                    self.bump();
                }
                Kind::Number
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                loop {
                    match (self.peek(0), self.peek(1)) {
                        (Some(c), _) if c.is_ascii_alphanumeric() || c == '_' => {}
                        (Some('-'), Some(next)) if next.is_ascii_alphanumeric() || next == '_' => {}
                        _ => break,
                    }
                    self.bump();
                }
                Kind::Ident
            }
            other => return Err(format!("unexpected `{other}` on line {line}")),
        };
        Ok((kind, self.slice(start)))
    }

    /// The rest of a string literal after its opening quote.
    fn string(&mut self, line: usize) -> Result<(), String> {
        loop {
            match self.bump() {
                None | Some('\n') => return Err(format!("unterminated string on line {line}")),
                Some('"') => return Ok(()),
                Some('\\') => {
                    self.bump();
                }
                Some('$') if self.peek(0) == Some('{') => {
                    self.bump();
                    // `${ name }`: whitespace and even comments may stand inside.
                    loop {
                        match self.bump() {
                            None => return Err(format!("unterminated `${{` on line {line}")),
                            Some('}') => break,
                            Some('#') => {
                                while self.peek(0).is_some_and(|c| c != '\n') {
                                    self.bump();
                                }
                            }
                            Some(_) => {}
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }
}
