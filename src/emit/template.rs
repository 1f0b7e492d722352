//! The template engine of the scripts and the runbook: the subset of handlebars that
//! `src/emit/templates/*.hbs` and `stdlib/providers/<set>/*.hbs` use, rendering byte for byte
//! what handlebars-rust 6.4 renders with `no_escape` and strict mode (`tests/template_engine.rs`
//! compares the two on every example, every provider template set and a table of tricky cases).
//!
//! Input: template sources (parsed once each, in linear time) and a `serde_json::Value`
//! context. Output: the rendered text, or an error naming the template and line.
//!
//! What is supported, with handlebars' meaning:
//!
//! - `{{path}}`, `{{{path}}}` and `{{&path}}` (nothing is ever escaped): `name`, `a.b`, `a/b`,
//!   `this`, `this.a`, `../a`, `@root.a`, `[raw key]`, and `@index`, `@first`, `@last`, `@key`.
//!   In strict mode a missing value is an error; `null` renders as nothing.
//! - Blocks `{{#if x}}`, `{{#unless x}}` (with `includeZero=true`), `{{#each x}}` (arrays and
//!   objects) and `{{#with x}}`, each with an optional `{{else}}` (or `{{^}}`); a parameter may be
//!   the subexpression `(lookup x 0)`. Truthiness: `false`, `null`, `0`, `""`, `[]` and `{}` are
//!   falsy. As in handlebars-rust's strict mode, `#if` and `#unless` of a missing value are
//!   false, while `#each` of a missing or non-list value, `#with` of a falsy one and `lookup` of
//!   a missing entry are errors unless there is an `{{else}}`.
//! - Partials `{{> name}}`, `{{> name context}}` and `{{> name key=value …}}`: the hash values
//!   are visible inside the partial by name, also inside its blocks.
//! - Whitespace control `{{~ … ~}}`, comments `{{! … }}` and `{{!-- … --}}`, and the standalone
//!   rule: a line holding only a block tag, `{{else}}`, a partial or a comment is removed. A
//!   standalone partial's lines are indented by the whitespace before its tag.
//!
//! Anything else (other helpers, `{{else if}}` chains, block parameters, partial blocks,
//! decorators, raw blocks, `\{{` escapes) is refused when the template is parsed.

use std::rc::Rc;

use serde_json::{Map, Value};

/// Templates by name, parsed once; any of them can be rendered or used as a partial.
#[derive(Debug, Default)]
pub struct Templates<'s> {
    templates: Vec<Template<'s>>,
}

impl<'s> Templates<'s> {
    /// No templates.
    pub fn new() -> Templates<'s> {
        Templates { templates: Vec::new() }
    }

    /// Parse `source` as the template `name`, replacing a template of that name. An error
    /// names the template and the line.
    pub fn register(&mut self, name: &str, source: &'s str) -> Result<(), String> {
        let nodes = parse(source).map_err(|(at, message)| located(name, source, at, &message))?;
        let template = Template { name: name.to_string(), source, nodes };
        match self.templates.iter_mut().find(|t| t.name == name) {
            Some(existing) => *existing = template,
            None => self.templates.push(template),
        }
        Ok(())
    }

    /// Render the template `name` with `context`. An error names the template and line that
    /// failed (a partial's own name when it failed inside one).
    pub fn render(&self, name: &str, context: &Value) -> Result<String, String> {
        let template = self.get(name).ok_or_else(|| format!("template `{name}` is not registered"))?;
        let mut renderer = Renderer {
            templates: self,
            root: context,
            out: String::with_capacity(template.source.len() * 2),
            scopes: vec![Scope {
                base: Val::Ref(context),
                params: Vec::new(),
                locals: Locals::default(),
                merged: false,
            }],
            trailing_newline: false,
            content_produced: false,
            indent_before_write: false,
            indent: None,
            depth: 0,
        };
        renderer.nodes(template, &template.nodes)?;
        Ok(renderer.out)
    }

    fn get(&self, name: &str) -> Option<&Template<'s>> {
        self.templates.iter().find(|t| t.name == name)
    }
}

/// One parsed template.
#[derive(Debug)]
struct Template<'s> {
    name: String,
    source: &'s str,
    nodes: Vec<Node<'s>>,
}

/// A template element, as handlebars-rust's `TemplateElement` (text already trimmed by the
/// whitespace rules). `at` is the byte offset of the tag, for error messages.
#[derive(Debug)]
enum Node<'s> {
    Raw(&'s str),
    Comment,
    Value { path: Path<'s>, at: usize },
    Block(Box<Block<'s>>),
    Partial(Box<Partial<'s>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Helper {
    If,
    Unless,
    Each,
    With,
}

#[derive(Debug)]
struct Block<'s> {
    helper: Helper,
    params: Vec<Param<'s>>,
    hash: Vec<(&'s str, Param<'s>)>,
    body: Vec<Node<'s>>,
    inverse: Option<Vec<Node<'s>>>,
    /// The open tag was standalone: the first line written inside may need the indent.
    indent_before_write: bool,
    at: usize,
}

#[derive(Debug)]
struct Partial<'s> {
    name: &'s str,
    context: Option<Param<'s>>,
    hash: Vec<(&'s str, Param<'s>)>,
    /// The spaces and tabs before the tag on its line.
    indent: Option<&'s str>,
    indent_before_write: bool,
    at: usize,
}

#[derive(Debug)]
enum Param<'s> {
    Path(Path<'s>),
    Literal(Value),
    /// `(lookup collection key)`.
    Lookup(Vec<Param<'s>>),
}

#[derive(Debug)]
struct Path<'s> {
    raw: &'s str,
    kind: PathKind<'s>,
}

#[derive(Debug)]
enum PathKind<'s> {
    /// `@name`, `@../name`: a block's local variable.
    Local {
        level: usize,
        name: &'s str,
    },
    /// A plain `name`, the common case (no allocation).
    Name(&'s str),
    Relative(Vec<Seg<'s>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg<'s> {
    Named(&'s str),
    Up,
    Root,
}

/// Helpers that handlebars-rust registers by default: `{{name}}` with one of these names calls
/// the helper instead of reading the context, which this engine does not do.
fn is_handlebars_helper(name: &str) -> bool {
    matches!(
        name,
        "if" | "unless"
            | "each"
            | "with"
            | "lookup"
            | "raw"
            | "log"
            | "eq"
            | "ne"
            | "gt"
            | "gte"
            | "lt"
            | "lte"
            | "and"
            | "or"
            | "not"
            | "len"
    )
}

static NULL: Value = Value::Null;

fn located(name: &str, source: &str, at: usize, message: &str) -> String {
    let line = source.get(..at).unwrap_or(source).matches('\n').count() + 1;
    format!("template `{name}`, line {line}: {message}")
}

// ---------------------------------------------------------------------------------------------
// Parsing: a linear scan for `{{`, then the element rules of handlebars-rust's `Template::compile2`
// (which runs over pest's pairs) applied in the same order.

type ParseError = (usize, String);

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
fn parse(source: &str) -> Result<Vec<Node<'_>>, ParseError> {
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

// ---------------------------------------------------------------------------------------------
// Rendering: handlebars-rust's `RenderContext` (a stack of block scopes, and the state that
// decides where a partial's indent is written) and its `if`, `unless`, `each`, `with` and
// `lookup` helpers.

/// A value from the context, or one computed while rendering.
#[derive(Debug, Clone)]
enum Val<'v> {
    Ref(&'v Value),
    Own(Rc<Value>),
}

impl Val<'_> {
    fn get(&self) -> &Value {
        match self {
            Val::Ref(value) => value,
            Val::Own(value) => value,
        }
    }
}

/// `@first`, `@last`, `@index` and `@key` of a block.
#[derive(Debug, Clone, Default)]
struct Locals {
    first: Option<bool>,
    last: Option<bool>,
    index: Option<usize>,
    key: Option<String>,
}

impl Locals {
    fn get(&self, name: &str) -> Option<Value> {
        match name {
            "first" => self.first.map(Value::Bool),
            "last" => self.last.map(Value::Bool),
            "index" => self.index.map(Value::from),
            "key" => self.key.clone().map(Value::String),
            _ => None,
        }
    }
}

/// handlebars-rust's `BlockContext`: what `this` is, the partial's hash values, the locals.
#[derive(Debug)]
struct Scope<'t, 'v> {
    base: Val<'v>,
    params: Vec<(&'t str, Val<'v>)>,
    locals: Locals,
    /// A partial's scope whose `this` is `base` (an object) with `params` added. handlebars
    /// copies that object; since a name is looked up in `params` first, only `this` as a whole
    /// needs the copy, so it is made only then.
    merged: bool,
}

impl<'v> Scope<'_, 'v> {
    /// `this` of the scope.
    fn this(&self) -> Val<'v> {
        if self.merged { Val::Own(Rc::new(merge(self.base.get(), &self.params))) } else { self.base.clone() }
    }
}

/// How deep partials may nest (a partial that includes itself is an error, not a stack overflow).
const MAX_PARTIAL_DEPTH: usize = 64;

struct Renderer<'t, 's, 'v> {
    templates: &'t Templates<'s>,
    root: &'v Value,
    out: String,
    /// The innermost scope last.
    scopes: Vec<Scope<'t, 'v>>,
    /// The last text written ended with a line break.
    trailing_newline: bool,
    /// Something was written since a helper or partial started.
    content_produced: bool,
    /// The next text written starts a line that needs the indent.
    indent_before_write: bool,
    /// The indent of the partial being rendered (nested partials add theirs).
    indent: Option<String>,
    depth: usize,
}

impl<'t, 's: 't, 'v> Renderer<'t, 's, 'v> {
    fn nodes(&mut self, template: &'t Template<'s>, nodes: &'t [Node<'s>]) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Raw(text) => self.write(text),
                Node::Comment => {}
                Node::Value { path, at } => {
                    let value = self
                        .resolve(path)
                        .and_then(|value| {
                            value.ok_or_else(|| format!("`{}` is not in the context (strict mode)", path.raw))
                        })
                        .map_err(|message| located(&template.name, template.source, *at, &message))?;
                    match value.get() {
                        Value::String(text) => self.write(text),
                        other => self.write(&render_value(other)),
                    }
                }
                Node::Block(block) => self.block(template, block)?,
                Node::Partial(partial) => self.partial(template, partial)?,
            }
        }
        Ok(())
    }

    /// handlebars-rust's `indent_aware_write`.
    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.content_produced = true;
        match &self.indent {
            Some(indent) => {
                if self.indent_before_write && !text.starts_with(['\n', '\r']) {
                    self.out.push_str(indent);
                }
                let mut lines = text.split_inclusive('\n').peekable();
                while let Some(line) = lines.next() {
                    self.out.push_str(line);
                    if line.ends_with('\n') && lines.peek().is_some() {
                        self.out.push_str(indent);
                    }
                }
            }
            None => self.out.push_str(text),
        }
        self.trailing_newline = text.ends_with(['\n', '\r']);
        self.indent_before_write = self.trailing_newline;
    }

    fn block(&mut self, template: &'t Template<'s>, block: &'t Block<'s>) -> Result<(), String> {
        let fail = |message: String| located(&template.name, template.source, block.at, &message);
        let params = block.params.iter().map(|p| self.param(p)).collect::<Result<Vec<_>, _>>().map_err(fail)?;
        let include_zero = match block.hash.iter().find(|(key, _)| *key == "includeZero") {
            Some((_, p)) => self.param(p).map_err(fail)?.and_then(|v| v.get().as_bool()).unwrap_or(false),
            None => false,
        };
        let value = params.into_iter().next().flatten();
        let value_or_null = value.clone().unwrap_or(Val::Ref(&NULL));

        let indent_directive_before = self.indent_before_write;
        let content_produced_before = self.content_produced;
        self.content_produced = false;
        self.indent_before_write = indent_directive_before || (block.indent_before_write && self.trailing_newline);

        match block.helper {
            Helper::If | Helper::Unless => {
                let truthy = is_truthy(value_or_null.get(), include_zero) == (block.helper == Helper::If);
                if let Some(nodes) = if truthy { Some(&block.body) } else { block.inverse.as_ref() } {
                    self.nodes(template, nodes)?;
                }
            }
            Helper::Each => self.each(template, block, value_or_null)?,
            Helper::With => {
                if is_truthy(value_or_null.get(), false) {
                    let locals = self.scopes.last().map(|s| s.locals.clone()).unwrap_or_default();
                    self.scopes.push(Scope { base: value_or_null, params: Vec::new(), locals, merged: false });
                    let result = self.nodes(template, &block.body);
                    self.scopes.pop();
                    result?;
                } else if let Some(inverse) = &block.inverse {
                    self.nodes(template, inverse)?;
                } else {
                    let what = block.params.first().map(describe).unwrap_or_default();
                    return Err(fail(format!("`{{{{#with {what}}}}}` of a missing or empty value (strict mode)")));
                }
            }
        }

        if self.content_produced {
            self.indent_before_write = self.trailing_newline;
        } else {
            self.content_produced = content_produced_before;
            self.indent_before_write = indent_directive_before;
        }
        Ok(())
    }

    fn each(&mut self, template: &'t Template<'s>, block: &'t Block<'s>, value: Val<'v>) -> Result<(), String> {
        let iterate = match value.get() {
            Value::Array(items) => !items.is_empty() || block.inverse.is_none(),
            Value::Object(entries) => !entries.is_empty() || block.inverse.is_none(),
            _ => false,
        };
        if !iterate {
            return match &block.inverse {
                Some(inverse) => self.nodes(template, inverse),
                None => {
                    let what = block.params.first().map(describe).unwrap_or_default();
                    Err(located(
                        &template.name,
                        template.source,
                        block.at,
                        &format!("`{{{{#each {what}}}}}` of a missing value or one that is not a list (strict mode)"),
                    ))
                }
            };
        }
        let items: Vec<(Val<'v>, Option<String>)> = match &value {
            Val::Ref(Value::Array(items)) => items.iter().map(|v| (Val::Ref(v), None)).collect(),
            Val::Ref(Value::Object(entries)) => entries.iter().map(|(k, v)| (Val::Ref(v), Some(k.clone()))).collect(),
            Val::Own(owned) => match owned.as_ref() {
                Value::Array(items) => items.iter().map(|v| (Val::Own(Rc::new(v.clone())), None)).collect(),
                Value::Object(entries) => {
                    entries.iter().map(|(k, v)| (Val::Own(Rc::new(v.clone())), Some(k.clone()))).collect()
                }
                _ => Vec::new(),
            },
            Val::Ref(_) => Vec::new(),
        };
        let length = items.len();
        self.scopes.push(Scope { base: value.clone(), params: Vec::new(), locals: Locals::default(), merged: false });
        let mut result = Ok(());
        for (index, (item, key)) in items.into_iter().enumerate() {
            if let Some(scope) = self.scopes.last_mut() {
                scope.base = item;
                scope.locals =
                    Locals { first: Some(index == 0), last: Some(index + 1 == length), index: Some(index), key };
            }
            result = self.nodes(template, &block.body);
            if result.is_err() {
                break;
            }
        }
        self.scopes.pop();
        result
    }

    fn partial(&mut self, template: &'t Template<'s>, partial: &'t Partial<'s>) -> Result<(), String> {
        let fail = |message: String| located(&template.name, template.source, partial.at, &message);
        let context = match &partial.context {
            Some(p) => Some(self.param(p).map_err(fail)?.unwrap_or(Val::Ref(&NULL))),
            None => None,
        };
        let mut hash = Vec::with_capacity(partial.hash.len());
        for (key, p) in &partial.hash {
            hash.push((*key, self.param(p).map_err(fail)?.unwrap_or(Val::Ref(&NULL))));
        }
        let indent = match (&self.indent, partial.indent) {
            (None, None) => None,
            (Some(outer), None) => Some(outer.clone()),
            (None, Some(own)) => Some(own.to_string()),
            (Some(outer), Some(own)) => Some(format!("{outer}{own}")),
        };
        let templates: &'t Templates<'s> = self.templates;
        let Some(included) = templates.get(partial.name) else {
            return Err(fail(format!("partial `{}` is not registered", partial.name)));
        };
        if self.depth >= MAX_PARTIAL_DEPTH {
            return Err(fail(format!("partial `{}` nests more than {MAX_PARTIAL_DEPTH} deep", partial.name)));
        }

        let indent_directive_before = self.indent_before_write;
        let content_produced_before = self.content_produced;
        self.indent_before_write = partial.indent_before_write && (self.trailing_newline || partial.indent.is_some());
        self.content_produced = false;

        let base = context.unwrap_or_else(|| self.scopes.last().map(Scope::this).unwrap_or(Val::Ref(self.root)));
        let merged = !hash.is_empty() && base.get().is_object();
        let base = if hash.is_empty() || merged { base } else { Val::Own(Rc::new(merge(base.get(), &hash))) };
        let locals = self.scopes.last().map(|s| s.locals.clone()).unwrap_or_default();
        self.scopes.push(Scope { base, params: hash, locals, merged });
        let outer_indent = std::mem::replace(&mut self.indent, indent);
        self.depth += 1;
        let result = self.nodes(included, &included.nodes);
        self.depth -= 1;
        self.indent = outer_indent;
        self.scopes.pop();
        result?;

        if self.content_produced {
            self.indent_before_write = self.trailing_newline;
        } else {
            self.content_produced = content_produced_before;
            self.indent_before_write = indent_directive_before;
        }
        Ok(())
    }

    /// A parameter's value; `None` when a path is missing.
    fn param(&self, param: &Param<'t>) -> Result<Option<Val<'v>>, String> {
        match param {
            Param::Path(path) => self.resolve(path),
            Param::Literal(value) => Ok(Some(Val::Own(Rc::new(value.clone())))),
            Param::Lookup(params) => {
                let (Some(collection), Some(key)) = (params.first(), params.get(1)) else {
                    return Err("`lookup` needs a collection and a key".into());
                };
                let collection = self.param(collection)?.unwrap_or(Val::Ref(&NULL));
                let key = self.param(key)?.unwrap_or(Val::Ref(&NULL));
                let found = match (&collection, key.get()) {
                    (Val::Ref(Value::Array(items)), key) => {
                        key.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?)).map(Val::Ref)
                    }
                    (Val::Ref(Value::Object(entries)), key) => key.as_str().and_then(|k| entries.get(k)).map(Val::Ref),
                    (Val::Own(owned), key) => match owned.as_ref() {
                        Value::Array(items) => key.as_u64().and_then(|i| items.get(usize::try_from(i).ok()?)),
                        Value::Object(entries) => key.as_str().and_then(|k| entries.get(k)),
                        _ => None,
                    }
                    .map(|v| Val::Own(Rc::new(v.clone()))),
                    _ => None,
                };
                match found {
                    Some(value) => Ok(Some(value)),
                    None => Err("`lookup` found no such entry (strict mode)".into()),
                }
            }
        }
    }

    /// handlebars-rust's `Context::navigate` (via `parse_json_visitor`).
    fn resolve(&self, path: &Path<'t>) -> Result<Option<Val<'v>>, String> {
        let single;
        let segs: &[Seg<'t>] = match &path.kind {
            PathKind::Local { level, name } => {
                let scope = self.scopes.len().checked_sub(level + 1).and_then(|i| self.scopes.get(i));
                return Ok(scope.and_then(|s| s.locals.get(name)).map(|v| Val::Own(Rc::new(v))));
            }
            PathKind::Name(name) => {
                single = [Seg::Named(name)];
                &single
            }
            PathKind::Relative(segs) => segs,
        };
        let mut depth = 0;
        let mut from_root = false;
        let mut block_param = None;
        for seg in segs {
            match seg {
                Seg::Named(name) => {
                    block_param = self
                        .scopes
                        .iter()
                        .rev()
                        .find_map(|s| s.params.iter().find(|(key, _)| key == name).map(|(_, v)| v));
                    break;
                }
                Seg::Root => {
                    from_root = true;
                    break;
                }
                Seg::Up => depth += 1,
            }
        }
        let names = segs.iter().filter_map(|s| match s {
            Seg::Named(name) => Some(*name),
            _ => None,
        });
        if let Some(value) = block_param {
            return walk(value.clone(), names.skip(1));
        }
        if from_root {
            return walk(Val::Ref(self.root), names);
        }
        let scope = self.scopes.len().checked_sub(depth + 1).and_then(|i| self.scopes.get(i)).or(self.scopes.last());
        match scope {
            Some(scope) if segs.iter().any(|s| matches!(s, Seg::Named(_))) => walk(scope.base.clone(), names),
            Some(scope) => Ok(Some(scope.this())),
            None => walk(Val::Ref(self.root), names),
        }
    }
}

/// Follow `names` from `value` (handlebars-rust's `get_data`: a name that is not a number
/// indexing a list is an error).
fn walk<'v, 'n>(value: Val<'v>, names: impl Iterator<Item = &'n str>) -> Result<Option<Val<'v>>, String> {
    let mut current = value;
    for name in names {
        let next = match &current {
            Val::Ref(value) => step(value, name)?.map(Val::Ref),
            Val::Own(value) => step(value, name)?.map(|v| Val::Own(Rc::new(v.clone()))),
        };
        match next {
            Some(next) => current = next,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}

fn step<'a>(value: &'a Value, name: &str) -> Result<Option<&'a Value>, String> {
    match value {
        Value::Array(items) => match name.parse::<usize>() {
            Ok(index) => Ok(items.get(index)),
            Err(_) => Err(format!("`{name}` is not an index into a list")),
        },
        Value::Object(entries) => Ok(entries.get(name)),
        _ => Ok(None),
    }
}

/// handlebars-rust's `merge_json`: a partial's context with its hash values added.
fn merge(base: &Value, hash: &[(&str, Val<'_>)]) -> Value {
    let mut map = match base {
        Value::Object(entries) => entries.clone(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect(),
        Value::String(text) => {
            text.chars().enumerate().map(|(i, c)| (i.to_string(), Value::String(c.to_string()))).collect()
        }
        _ => Map::new(),
    };
    for (key, value) in hash {
        map.insert((*key).to_string(), value.get().clone());
    }
    Value::Object(map)
}

/// handlebars-rust's `JsonTruthy`.
fn is_truthy(value: &Value, include_zero: bool) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => {
            if include_zero {
                n.as_f64().is_some_and(|f| !f.is_nan())
            } else {
                n.as_f64().is_some_and(f64::is_normal)
            }
        }
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(entries) => !entries.is_empty(),
    }
}

/// handlebars-rust's `JsonRender`.
fn render_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        Value::Array(items) => format!("[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        Value::Object(_) => "[object]".to_string(),
    }
}

/// A parameter as written, for messages.
fn describe(param: &Param<'_>) -> String {
    match param {
        Param::Path(path) => path.raw.to_string(),
        Param::Literal(value) => value.to_string(),
        Param::Lookup(params) => format!("(lookup {})", params.iter().map(describe).collect::<Vec<_>>().join(" ")),
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    /// Register `source` as `t` and render it with `context`: the text or the error.
    fn run(source: &str, context: &str) -> Result<String, String> {
        let mut templates = Templates::new();
        templates.register("t", source)?;
        templates.render("t", &serde_json::from_str(context).unwrap_or(Value::Null))
    }

    #[test]
    fn errors_name_the_template_and_line() {
        let cases = [
            ("a\n{{#if x}}\nb\n", "template `t`, line 2: `{{#if}}` is never closed"),
            ("a\n\n{{#if x}}b{{/each}}", "template `t`, line 3: `{{/each}}` closes `{{#if}}`, opened on line 3"),
            ("{{#iff x}}b{{/iff}}", "template `t`, line 1: unknown block helper `iff`"),
            ("a\n{{> nowhere}}", "template `t`, line 2: partial `nowhere` is not registered"),
            ("a\nb {{missing}}", "template `t`, line 2: `missing` is not in the context (strict mode)"),
            (
                "{{#each xs}}\n{{x.y}}{{/each}}",
                "template `t`, line 1: `{{#each xs}}` of a missing value or one that is not a list (strict mode)",
            ),
            ("{{lookup xs 0}}", "template `t`, line 1: `lookup` is a handlebars helper; this engine reads only values"),
            ("{{#if x}}a{{else if y}}b{{/if}}", "template `t`, line 1: `{{else …}}` chains are not supported"),
            ("a \\{{x}}", "template `t`, line 1: escaped `\\{{` is not supported"),
        ];
        for (source, expected) in cases {
            assert_eq!(run(source, "{}"), Err(expected.to_string()), "{source:?}");
        }
    }

    #[test]
    fn a_partial_that_includes_itself_is_an_error() {
        let mut templates = Templates::new();
        assert_eq!(templates.register("p", "x{{> p}}"), Ok(()));
        let error = templates.render("p", &Value::Null).err().unwrap_or_default();
        assert!(error.contains("nests more than 64 deep"), "{error}");
    }

    #[test]
    fn texts_are_slices_of_the_source() {
        // Parsing copies no text: every raw node borrows from the template source.
        let source = "a\n  {{#if x}}\n  b\n  {{/if}}\n";
        let nodes = parse(source).unwrap_or_default();
        let Some(Node::Raw(first)) = nodes.first() else { panic!("{nodes:?}") };
        assert_eq!(*first, "a\n");
        assert_eq!(run(source, r#"{"x": 1}"#), Ok("a\n  b\n".to_string()));
    }
}
