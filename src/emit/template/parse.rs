//! Parsing a template into its tree: a linear scan for `{{`, then the element rules of
//! handlebars-rust's `Template::compile2` (which runs over pest's pairs) applied in the same
//! order, so that text is trimmed exactly where handlebars trims it.

use serde_json::Value;

use super::{Block, Helper, Node, Param, Partial, Path, PathKind, Seg, is_handlebars_helper};

/// A byte offset in the source and what is wrong there.
pub(super) type ParseError = (usize, String);

/// A tag open on the stack until its `{{/name}}`.
struct OpenBlock<'s> {
    helper: Helper,
    name: &'s str,
    params: Vec<Param<'s>>,
    hash: Vec<(&'s str, Param<'s>)>,
    indent_before_write: bool,
    at: usize,
    /// The main body, once `{{else}}` has been seen.
    body: Option<Vec<Node<'s>>>,
}

#[inline(never)] // Keeps parsing visible as one function in profiles.
pub(super) fn parse(source: &str) -> Result<Vec<Node<'_>>, ParseError> {
    let mut stack: Vec<Vec<Node<'_>>> = vec![Vec::with_capacity(64)];
    let mut open: Vec<OpenBlock<'_>> = Vec::new();
    // A `~}}` trims the whitespace at the start of the next text.
    let mut omit_following = false;
    // A standalone tag removes the rest of its line from the next text.
    let mut trim_line = false;
    let mut previous_end = 0;
    loop {
        let rest = source.get(previous_end..).unwrap_or("");
        let offset = find_open(rest);
        let gap = match offset {
            Some(offset) => rest.get(..offset).unwrap_or(""),
            None => rest,
        };
        if !gap.is_empty() {
            if is_whitespace(gap) {
                // Whitespace after a tag is not a text pair for pest (its implicit whitespace);
                // handlebars adds it back, trimmed, unless the tag ended with `~`.
                if !omit_following {
                    push(&mut stack, Node::Raw(raw_string(gap, false, trim_line)));
                    trim_line = false;
                }
            } else {
                push(&mut stack, Node::Raw(raw_string(gap, omit_following, trim_line)));
                trim_line = false;
            }
        }
        let Some(offset) = offset else {
            break;
        };
        let start = previous_end + offset;
        if rest.get(..offset).is_some_and(|gap| gap.ends_with('\\')) {
            return Err((start, "escaped `\\{{` is not supported".into()));
        }
        let lexed = lex_tag(source, start)?;
        let end = lexed.end;
        if lexed.omit_preceding {
            trim_last_text(&mut stack, str::trim_end);
        }
        if !matches!(lexed.tag, Tag::Comment) {
            omit_following = lexed.omit_following;
        }
        match lexed.tag {
            Tag::Comment => {
                trim_line = standalone(source, start, end, &mut stack);
                push(&mut stack, Node::Comment);
            }
            Tag::Value(path) => push(&mut stack, Node::Value { path, at: start }),
            Tag::Open { helper, name, params, hash } => {
                trim_line = standalone(source, start, end, &mut stack);
                let indent_before_write = trim_line && !lexed.omit_preceding;
                open.push(OpenBlock { helper, name, params, hash, indent_before_write, at: start, body: None });
                stack.push(Vec::with_capacity(8));
            }
            Tag::Else => {
                trim_line = standalone(source, start, end, &mut stack);
                let Some(block) = open.last_mut() else {
                    return Err((start, "`{{else}}` outside a block".into()));
                };
                if block.body.is_some() {
                    return Err((start, format!("a second `{{{{else}}}}` in `{{{{#{}}}}}`", block.name)));
                }
                block.body = Some(stack.pop().unwrap_or_default());
                stack.push(Vec::new());
            }
            Tag::Close { name } => {
                trim_line = standalone(source, start, end, &mut stack);
                let Some(block) = open.pop() else {
                    return Err((start, format!("`{{{{/{name}}}}}` closes no block")));
                };
                if block.name != name {
                    return Err((
                        start,
                        format!(
                            "`{{{{/{name}}}}}` closes `{{{{#{}}}}}`, opened on line {}",
                            block.name,
                            line_of(source, block.at)
                        ),
                    ));
                }
                let inner = stack.pop().unwrap_or_default();
                let (body, inverse) = match block.body {
                    Some(body) => (body, Some(inner)),
                    None => (inner, None),
                };
                push(
                    &mut stack,
                    Node::Block(Box::new(Block {
                        helper: block.helper,
                        params: block.params,
                        hash: block.hash,
                        body,
                        inverse,
                        indent_before_write: block.indent_before_write,
                        at: block.at,
                    })),
                );
            }
            Tag::Partial { name, context, hash } => {
                trim_line = standalone(source, start, end, &mut stack);
                let indent =
                    if lexed.omit_preceding { None } else { trailing_blanks(source.get(..start).unwrap_or("")) };
                let indent_before_write = trim_line && !lexed.omit_preceding;
                push(
                    &mut stack,
                    Node::Partial(Box::new(Partial { name, context, hash, indent, indent_before_write, at: start })),
                );
            }
        }
        previous_end = end;
    }
    if let Some(block) = open.last() {
        return Err((block.at, format!("`{{{{#{}}}}}` is never closed", block.name)));
    }
    Ok(stack.pop().unwrap_or_default())
}

/// Where the first `{{` in `text` starts (a byte search for `{`, which is rare in templates).
fn find_open(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find('{')) {
        let at = from + found;
        if text.as_bytes().get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn line_of(source: &str, at: usize) -> usize {
    source.get(..at).unwrap_or(source).matches('\n').count() + 1
}

fn push<'s>(stack: &mut [Vec<Node<'s>>], node: Node<'s>) {
    if let Some(nodes) = stack.last_mut() {
        nodes.push(node);
    }
}

/// pest's implicit whitespace.
fn is_whitespace(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// handlebars-rust's `Template::raw_string`: `~}}` before trims all leading whitespace, a
/// standalone tag before removes leading blanks and one line break.
fn raw_string(text: &str, trim_start: bool, trim_line: bool) -> &str {
    if trim_start {
        text.trim_start()
    } else if trim_line {
        let text = text.trim_start_matches(is_blank);
        text.strip_prefix("\r\n").or_else(|| text.strip_prefix('\n')).unwrap_or(text)
    } else {
        text
    }
}

/// Trim the text just before a tag, if the tag's template ends with text.
fn trim_last_text(stack: &mut [Vec<Node<'_>>], trim: impl Fn(&str) -> &str) {
    if let Some(Node::Raw(text)) = stack.last_mut().and_then(|nodes| nodes.last_mut()) {
        *text = trim(text);
    }
}

/// handlebars-rust's `process_standalone_statement`: is the tag alone on its line (only blanks
/// around it; the end of the template counts as a line break)? If so, the blanks before it go.
fn standalone(source: &str, start: usize, end: usize, stack: &mut [Vec<Node<'_>>]) -> bool {
    let after = source.get(end..).unwrap_or("");
    let trailing_newline = after.trim_start_matches(is_blank).starts_with(['\n', '\r']) || after.is_empty();
    if !trailing_newline {
        return false;
    }
    let before = source.get(..start).unwrap_or("").trim_end_matches(is_blank);
    let leading_newline = before.ends_with(['\n', '\r']) || before.is_empty();
    if leading_newline {
        trim_last_text(stack, |text| text.trim_end_matches(is_blank));
    }
    start == 0 || leading_newline
}

/// The spaces and tabs at the end of `text`, if any.
fn trailing_blanks(text: &str) -> Option<&str> {
    let trimmed = text.trim_end_matches(is_blank);
    text.get(trimmed.len()..).filter(|blanks| !blanks.is_empty())
}

/// What one `{{…}}` says.
enum Tag<'s> {
    Comment,
    Value(Path<'s>),
    Open { helper: Helper, name: &'s str, params: Vec<Param<'s>>, hash: Vec<(&'s str, Param<'s>)> },
    Else,
    Close { name: &'s str },
    Partial { name: &'s str, context: Option<Param<'s>>, hash: Vec<(&'s str, Param<'s>)> },
}

struct Lexed<'s> {
    tag: Tag<'s>,
    end: usize,
    omit_preceding: bool,
    omit_following: bool,
}

struct Cursor<'s> {
    source: &'s str,
    pos: usize,
    /// Where the tag starts, for errors.
    tag: usize,
}

impl<'s> Cursor<'s> {
    fn rest(&self) -> &'s str {
        self.source.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, text: &str) -> bool {
        if self.rest().starts_with(text) {
            self.pos += text.len();
            true
        } else {
            false
        }
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'s str {
        let rest = self.rest();
        let len = rest.find(|c: char| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// `take_while(is_symbol_char)` on bytes: every byte of a non-ASCII character counts.
    fn take_symbol(&mut self) -> &'s str {
        let rest = self.rest();
        let len = rest
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$' | b':') || b >= 0x80))
            .unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err((self.tag, message.into()))
    }

    /// The end of a tag: `~`? `}}` (after `}` for a triple-stash).
    fn close(&mut self, triple: bool) -> Result<bool, ParseError> {
        self.skip_whitespace();
        let mut omit = self.eat("~");
        if triple {
            self.skip_whitespace();
            if !self.eat("}") {
                return self.error("expected `}}}` to close the tag");
            }
            self.skip_whitespace();
            omit |= self.eat("~");
        }
        self.skip_whitespace();
        if self.eat("}}") { Ok(omit) } else { self.error("expected `}}` to close the tag") }
    }
}

/// handlebars' `symbol_char`.
fn is_symbol_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '$' | ':') || !c.is_ascii()
}

fn is_partial_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '/' | '.') || !c.is_ascii()
}

fn lex_tag(source: &str, start: usize) -> Result<Lexed<'_>, ParseError> {
    let mut cursor = Cursor { source, pos: start, tag: start };
    if cursor.rest().starts_with("{{{{") {
        return cursor.error("raw blocks `{{{{…}}}}` are not supported");
    }
    if cursor.eat("{{!") {
        let rest = cursor.rest();
        let length = match rest.strip_prefix("--").and_then(|r| r.find("--}}")) {
            Some(end) => end + 6,
            None => match rest.find("}}") {
                Some(end) => end + 2,
                None => return cursor.error("comment is never closed"),
            },
        };
        return Ok(Lexed { tag: Tag::Comment, end: cursor.pos + length, omit_preceding: false, omit_following: false });
    }
    cursor.pos += 2;
    cursor.skip_whitespace();
    let omit_preceding = cursor.eat("~");
    cursor.skip_whitespace();
    let tag = match cursor.peek() {
        Some('{') | Some('&') => {
            let triple = cursor.eat("{");
            if !triple {
                cursor.pos += 1;
            }
            cursor.skip_whitespace();
            let omit_inner = triple && cursor.eat("~");
            let path = value_path(&mut cursor)?;
            let omit_following = cursor.close(triple)?;
            return Ok(Lexed {
                tag: Tag::Value(path),
                end: cursor.pos,
                omit_preceding: omit_preceding || omit_inner,
                omit_following,
            });
        }
        Some('#') => {
            cursor.pos += 1;
            cursor.skip_whitespace();
            if matches!(cursor.peek(), Some('>' | '*')) {
                return cursor.error("partial blocks and decorators are not supported");
            }
            let name = cursor.take_symbol();
            let helper = match name {
                "if" => Helper::If,
                "unless" => Helper::Unless,
                "each" => Helper::Each,
                "with" => Helper::With,
                "" => return cursor.error("expected a helper name after `{{#`"),
                other => return cursor.error(format!("unknown block helper `{other}`")),
            };
            let (params, hash) = arguments(&mut cursor)?;
            if params.is_empty() {
                return cursor.error(format!("`{{{{#{name}}}}}` needs a parameter"));
            }
            Tag::Open { helper, name, params, hash }
        }
        Some('/') => {
            cursor.pos += 1;
            cursor.skip_whitespace();
            Tag::Close { name: cursor.take_symbol() }
        }
        Some('>') => {
            cursor.pos += 1;
            cursor.skip_whitespace();
            let name = cursor.take_while(is_partial_name_char);
            if name.is_empty() {
                return cursor.error("expected a partial name after `{{>`");
            }
            let (mut params, hash) = arguments(&mut cursor)?;
            let context = if params.is_empty() { None } else { Some(params.swap_remove(0)) };
            Tag::Partial { name, context, hash }
        }
        Some('^') => {
            cursor.pos += 1;
            Tag::Else
        }
        Some('*') => return cursor.error("decorators are not supported"),
        _ if cursor.rest().starts_with("else") && !cursor.rest().get(4..).unwrap_or("").starts_with(is_symbol_char) => {
            cursor.pos += 4;
            Tag::Else
        }
        _ => {
            let path = value_path(&mut cursor)?;
            Tag::Value(path)
        }
    };
    let omit_following = match cursor.close(false) {
        Ok(omit) => omit,
        Err(_) if matches!(tag, Tag::Else) => return cursor.error("`{{else …}}` chains are not supported"),
        Err(error) => return Err(error),
    };
    Ok(Lexed { tag, end: cursor.pos, omit_preceding, omit_following })
}

/// The path of a `{{value}}`: a path and nothing else (helper calls are refused).
fn value_path<'s>(cursor: &mut Cursor<'s>) -> Result<Path<'s>, ParseError> {
    if cursor.rest().starts_with("else") && !cursor.rest().get(4..).unwrap_or("").starts_with(is_symbol_char) {
        return cursor.error("`{{else}}` outside a block");
    }
    let path = path(cursor)?;
    if path.raw.starts_with("else") {
        return cursor.error(format!("handlebars reads `{}` as an `{{{{else …}}}}` chain", path.raw));
    }
    if is_handlebars_helper(path.raw) {
        return cursor.error(format!("`{}` is a handlebars helper; this engine reads only values", path.raw));
    }
    cursor.skip_whitespace();
    if !matches!(cursor.peek(), Some('~' | '}')) {
        return cursor.error(format!("helper calls like `{}` are not supported", path.raw));
    }
    Ok(path)
}

type Arguments<'s> = (Vec<Param<'s>>, Vec<(&'s str, Param<'s>)>);

/// Parameters and `key=value` pairs, up to `~`, `}` or `)`.
fn arguments<'s>(cursor: &mut Cursor<'s>) -> Result<Arguments<'s>, ParseError> {
    let mut params = Vec::new();
    let mut hash = Vec::new();
    loop {
        cursor.skip_whitespace();
        match cursor.peek() {
            None => return cursor.error("the tag is never closed"),
            Some('~' | '}' | ')') => return Ok((params, hash)),
            Some('|') => return cursor.error("block parameters are not supported"),
            _ => {}
        }
        // `key=value`?
        let mark = cursor.pos;
        let key = cursor.take_symbol();
        cursor.skip_whitespace();
        if !key.is_empty() && cursor.eat("=") {
            cursor.skip_whitespace();
            hash.push((key, param(cursor)?));
            continue;
        }
        cursor.pos = mark;
        if key == "as" {
            return cursor.error("block parameters are not supported");
        }
        params.push(param(cursor)?);
    }
}

fn param<'s>(cursor: &mut Cursor<'s>) -> Result<Param<'s>, ParseError> {
    match cursor.peek() {
        Some('(') => {
            cursor.pos += 1;
            cursor.skip_whitespace();
            let name = cursor.take_symbol();
            if name != "lookup" {
                return cursor.error(format!("subexpression `({name} …)` is not supported; only `lookup` is"));
            }
            let (params, hash) = arguments(cursor)?;
            if !hash.is_empty() || !cursor.eat(")") {
                return cursor.error("expected `)` after `(lookup …`");
            }
            Ok(Param::Lookup(params))
        }
        Some('"' | '\'') => string_literal(cursor).map(Param::Literal),
        Some('[' | '{') => cursor.error("array and object literals are not supported"),
        _ => {
            let word = cursor.rest();
            let length = word.find(|c: char| !is_symbol_char(c) && c != '.').unwrap_or(word.len());
            let word = word.get(..length).unwrap_or("");
            let literal = match word {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                "null" => Some(Value::Null),
                _ if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') && is_number(word) => {
                    match serde_json::from_str::<Value>(word) {
                        Ok(number) => Some(number),
                        Err(_) => return cursor.error(format!("invalid number `{word}`")),
                    }
                }
                _ => None,
            };
            match literal {
                Some(value) => {
                    cursor.pos += word.len();
                    Ok(Param::Literal(value))
                }
                None => path(cursor).map(Param::Path),
            }
        }
    }
}

/// handlebars' `number_literal`: `-`? digits `.`? digits (`E` `-`? digits)?.
fn is_number(word: &str) -> bool {
    let digits = word.strip_prefix('-').unwrap_or(word);
    let (mantissa, exponent) = match digits.split_once('E') {
        Some((m, e)) => (m, Some(e.strip_prefix('-').unwrap_or(e))),
        None => (digits, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && exponent.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
}

fn string_literal(cursor: &mut Cursor<'_>) -> Result<Value, ParseError> {
    let rest = cursor.rest();
    let quote = rest.chars().next().unwrap_or('"');
    let mut escaped = false;
    let mut end = None;
    for (i, c) in rest.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            end = Some(i);
            break;
        }
    }
    let Some(end) = end else {
        return cursor.error("string is never closed");
    };
    let inner = rest.get(1..end).unwrap_or("");
    let json = if quote == '\'' {
        format!("\"{}\"", inner.replace("\\'", "'").replace('"', "\\\""))
    } else {
        format!("\"{inner}\"")
    };
    cursor.pos += end + 1;
    serde_json::from_str(&json).or_else(|_| cursor.error(format!("invalid string {quote}{inner}{quote}")))
}

/// handlebars' `path_inline`.
fn path<'s>(cursor: &mut Cursor<'s>) -> Result<Path<'s>, ParseError> {
    let start = cursor.pos;
    // `./` and `this.` add nothing.
    let _ = cursor.eat("./") || cursor.eat("this/") || cursor.eat("this.");
    // A plain name, the common case, is kept out of `segs` so that it allocates nothing.
    let mut segs = Vec::new();
    let mut only_name = None;
    if cursor.eat("@root/") || cursor.eat("@root.") {
        segs.push(Seg::Root);
    }
    let local = cursor.eat("@");
    let mut ups = 0;
    while cursor.eat("../") || cursor.eat("...") {
        ups += 1;
        segs.push(Seg::Up);
    }
    loop {
        let item = if cursor.eat("[") {
            let raw = cursor.take_while(|c| c != ']');
            if !cursor.eat("]") {
                return cursor.error("`[` is never closed");
            }
            raw
        } else {
            let id = cursor.take_symbol();
            if id.is_empty() {
                return cursor.error("expected a name");
            }
            id
        };
        if item != "this" {
            if segs.is_empty() && only_name.is_none() {
                only_name = Some(item);
            } else {
                segs.extend(only_name.take().map(Seg::Named));
                segs.push(Seg::Named(item));
            }
        }
        let rest = cursor.rest();
        if !(rest.starts_with(['.', '/'])
            && rest.get(1..).is_some_and(|r| r.starts_with(is_symbol_char) || r.starts_with('[')))
        {
            break;
        }
        cursor.pos += 1;
    }
    let raw = cursor.source.get(start..cursor.pos).unwrap_or("");
    let kind = match (local, only_name) {
        (true, Some(name)) if ups == 0 => PathKind::Local { level: 0, name },
        (true, None) => match segs.as_slice() {
            [.., Seg::Named(name)] if segs.len() == ups + 1 => PathKind::Local { level: ups, name },
            _ => return cursor.error(format!("unsupported local variable `{raw}`")),
        },
        (true, Some(_)) => return cursor.error(format!("unsupported local variable `{raw}`")),
        (false, Some(name)) => PathKind::Name(name),
        (false, None) => PathKind::Relative(segs),
    };
    Ok(Path { raw, kind })
}
