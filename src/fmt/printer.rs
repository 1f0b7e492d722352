//! The canonical layout. The rules, in the order they apply:
//!
//! - Two spaces of indentation per block level; one blank line between top-level blocks; at
//!   most one blank line anywhere else, and none after `{` or before `}`.
//! - A block, list, call or record written on one line stays on one line, with single spaces:
//!   `pool default { size = s-2vcpu-4gb, count = 3 }`, `[a, b]`, `https("host", path = "/")`.
//!   One written across lines gets one member or item per line (lists and calls with a
//!   trailing comma; block members without commas). Lines are never joined or split by width.
//! - In a block, a run of one-line members not broken by a blank line aligns its `=` (and the
//!   `{` of unlabelled blocks such as `env { … }`) in one column; consecutive one-line blocks of
//!   one kind align their name labels (`pool master  { … }` / `pool workers { … }`); consecutive
//!   `let`s align their `=`. Trailing comments in a run line up two spaces after the longest
//!   line that has one.
//! - Comments stay where they were: on their own line before the same token, or at the end of
//!   the same line.

use super::tree::{Argument, Atom, Block, Comment, File, FirstToken, Group, Kind, Member, Node, Record, Token, Value};

/// Lay out a parsed file.
pub(crate) fn print(file: &File) -> String {
    let mut w = Writer::default();
    body(&mut w, &file.items, true);
    // Comments at the end of the file.
    let has_items = !file.items.is_empty();
    for (i, comment) in file.eof.leading.iter().enumerate() {
        if (i > 0 || has_items) && comment.blank_before {
            w.blank();
        }
        w.comment_line(comment);
    }
    finish(&w.lines)
}

/// One output line: indentation (in levels), text and a trailing comment.
#[derive(Debug, Clone, Default)]
struct Line {
    indent: usize,
    text: String,
    comment: Option<String>,
    /// Spaces between the text and the trailing comment.
    comment_pad: usize,
    /// An empty separator line.
    blank: bool,
}

/// Builds lines. Words go on the current line; a trailing comment ends it, so the next word
/// starts a new line (which is legal wherever a comment was: a comment always ends a line).
#[derive(Default)]
struct Writer {
    lines: Vec<Line>,
    indent: usize,
    space: bool,
    broken: bool,
    /// The next token's leading comments were already written by the caller.
    skip_leading: bool,
}

impl Writer {
    fn new_line(&mut self) {
        self.lines.push(Line { indent: self.indent, comment_pad: 2, ..Line::default() });
        self.broken = false;
        self.space = false;
    }

    /// Make sure the last line takes words: start one when needed.
    fn open_line(&mut self) {
        if self.broken || self.lines.last().is_none_or(|l| l.blank) {
            self.new_line();
        }
    }

    fn word(&mut self, text: &str) {
        self.open_line();
        let space = self.space;
        if let Some(line) = self.lines.last_mut() {
            if space && !line.text.is_empty() {
                line.text.push(' ');
            }
            line.text.push_str(text);
        }
        self.space = false;
    }

    /// Append to the last line even after its trailing comment (a broken list's commas).
    fn glue(&mut self, text: &str) {
        match self.lines.last_mut() {
            Some(line) if !line.blank => line.text.push_str(text),
            _ => self.word(text),
        }
    }

    fn space(&mut self) {
        self.space = true;
    }

    /// Start a new line for the next word.
    fn break_line(&mut self) {
        self.broken = true;
    }

    fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.blank) {
            self.lines.push(Line { blank: true, ..Line::default() });
        }
    }

    fn comment_line(&mut self, comment: &Comment) {
        self.lines.push(Line { indent: self.indent, text: comment.text.clone(), comment_pad: 2, ..Line::default() });
        self.broken = true;
        self.space = false;
    }

    fn leading(&mut self, token: &Token) {
        if std::mem::take(&mut self.skip_leading) {
            return;
        }
        for comment in &token.leading {
            self.comment_line(comment);
        }
    }

    /// A comment at the end of the current line; the next word starts a new line.
    fn trailing(&mut self, comment: Option<&String>) {
        if let Some(comment) = comment {
            self.open_line();
            if let Some(line) = self.lines.last_mut() {
                line.comment = Some(comment.clone());
            }
            self.broken = true;
        }
    }

    fn token(&mut self, token: &Token) {
        self.leading(token);
        self.word(&token.text);
        self.trailing(token.trailing.as_ref());
    }
}

/// How a one-line member lines up with its neighbours.
#[derive(Debug, Clone, PartialEq)]
enum Align {
    None,
    /// The `=` (or an unlabelled block's `{`) goes after a key this many characters wide that
    /// starts the line and ends at this byte.
    Key {
        width: usize,
        end: usize,
    },
    /// A labelled block: the label of a block of `kind` ends at this byte.
    Label {
        kind: String,
        width: usize,
        end: usize,
    },
}

/// One member, laid out on its own.
struct Rendered {
    /// Comment lines before it, and whether an empty line stands before each.
    comments: Vec<Comment>,
    /// An empty line stands right before the member (after its comments).
    blank_before: bool,
    lines: Vec<Line>,
    align: Align,
    is_block: bool,
}

impl Rendered {
    fn single(&self) -> bool {
        self.lines.len() == 1
    }
}

fn render(member: &Member) -> Rendered {
    let mut w = Writer::default();
    let first = first_token(&member.node);
    let comments = first.map(|t| t.leading.clone()).unwrap_or_default();
    let blank_before = first.is_some_and(|t| t.blank_before);
    w.skip_leading = true;
    let mut align = Align::None;
    match &member.node {
        Node::Import { keyword, path, alias } => {
            w.token(keyword);
            w.space();
            w.token(path);
            if let Some((as_keyword, name)) = alias {
                w.space();
                w.token(as_keyword);
                w.space();
                w.token(name);
            }
        }
        Node::Let { keyword, name, eq, value: v } => {
            w.token(keyword);
            w.space();
            w.token(name);
            let key = format!("{} {}", keyword.text, name.text);
            align = Align::Key { width: key.chars().count(), end: key.len() };
            w.space();
            w.token(eq);
            w.space();
            value(&mut w, v);
        }
        Node::Attr { path, eq, value: v } => {
            for token in path {
                w.token(token);
            }
            let key: String = path.iter().map(|t| t.text.as_str()).collect();
            align = Align::Key { width: key.chars().count(), end: key.len() };
            w.space();
            w.token(eq);
            w.space();
            value(&mut w, v);
        }
        Node::Block(b) => {
            block(&mut w, b);
            if b.is_one_line() && b.template.is_none() {
                align = match &b.label {
                    None => Align::Key { width: b.kind.text.chars().count(), end: b.kind.text.len() },
                    // String labels (URLs in `success`) are too long to line up usefully.
                    Some(label) if label.kind == Kind::Str => Align::None,
                    Some(label) => Align::Label {
                        kind: b.kind.text.clone(),
                        width: label.text.chars().count(),
                        end: b.kind.text.len() + 1 + label.text.len(),
                    },
                };
            }
        }
        Node::Bare(v) => value(&mut w, v),
        Node::Allow { keyword, name, because, reason } => allow(&mut w, [keyword, name, because, reason]),
    }
    // Commas between members are dropped; their comments are kept.
    if let Some(comma) = &member.comma {
        for comment in &comma.leading {
            w.comment_line(comment);
        }
        w.trailing(comma.trailing.as_ref());
    }
    let is_block = matches!(member.node, Node::Block(_));
    Rendered { comments, blank_before, lines: w.lines, align, is_block }
}

/// `allow name because "reason"`, single spaces.
fn allow(w: &mut Writer, tokens: [&Token; 4]) {
    for (i, token) in tokens.into_iter().enumerate() {
        if i > 0 {
            w.space();
        }
        w.token(token);
    }
}

fn first_token(node: &Node) -> Option<&Token> {
    match node {
        Node::Import { keyword, .. } | Node::Let { keyword, .. } | Node::Allow { keyword, .. } => Some(keyword),
        Node::Attr { path, .. } => path.first(),
        Node::Block(block) => Some(&block.kind),
        Node::Bare(value) => Some(value.first_token()),
    }
}

/// Members one per line, aligned in runs. `top` selects the file's rules: a blank line
/// around every block that spans lines.
fn body(w: &mut Writer, members: &[Member], top: bool) {
    let mut rendered: Vec<Rendered> = members.iter().map(render).collect();
    align_runs(&mut rendered, top);
    let mut previous: Option<&Rendered> = None;
    for member in &rendered {
        let force_blank = top && previous.is_some_and(|p| p.is_block || member.is_block);
        for (i, comment) in member.comments.iter().enumerate() {
            if (previous.is_some() || i > 0) && (comment.blank_before || (i == 0 && force_blank)) {
                w.blank();
            }
            w.comment_line(comment);
        }
        let has_comments = !member.comments.is_empty();
        if (previous.is_some() || has_comments) && (member.blank_before || (!has_comments && force_blank)) {
            w.blank();
        }
        let base = w.indent;
        for line in &member.lines {
            if line.blank {
                w.blank();
                continue;
            }
            w.lines.push(Line { indent: base + line.indent, ..line.clone() });
        }
        w.broken = true;
        previous = Some(member);
    }
}

/// Pad keys, labels and trailing comments within each run of one-line members.
fn align_runs(rendered: &mut [Rendered], top: bool) {
    let mut start = 0;
    while start < rendered.len() {
        let mut end = start + 1;
        while let (Some(prev), Some(next)) = (rendered.get(end - 1), rendered.get(end)) {
            let breaks = next.blank_before
                || next.comments.iter().any(|c| c.blank_before)
                || !prev.single()
                || !next.single()
                || (top && (prev.is_block || next.is_block));
            if breaks {
                break;
            }
            end += 1;
        }
        if let Some(run) = rendered.get_mut(start..end) {
            align_run(run);
        }
        start = end;
    }
}

fn align_run(run: &mut [Rendered]) {
    let key_width = run.iter().filter_map(|r| match r.align {
        Align::Key { width, .. } if r.single() => Some(width),
        _ => None,
    });
    if let Some(max) = key_width.max() {
        for member in run.iter_mut().filter(|r| r.single()) {
            if let (Align::Key { width, end }, Some(line)) = (&member.align, member.lines.first_mut()) {
                pad(line, *end, max - width);
            }
        }
    }
    // Labels: consecutive one-line blocks of the same kind.
    let mut i = 0;
    while i < run.len() {
        let Some(Align::Label { kind, .. }) = run.get(i).map(|r| r.align.clone()) else {
            i += 1;
            continue;
        };
        let mut j = i;
        let mut max = 0;
        while let Some(Align::Label { kind: k, width, .. }) = run.get(j).map(|r| &r.align) {
            if *k != kind {
                break;
            }
            max = max.max(*width);
            j += 1;
        }
        for member in run.get_mut(i..j).into_iter().flatten() {
            if let (Align::Label { width, end, .. }, Some(line)) = (&member.align, member.lines.first_mut()) {
                pad(line, *end, max - width);
            }
        }
        i = j;
    }
    // Trailing comments.
    let width = |line: &Line| line.text.chars().count();
    let column = run.iter().filter_map(|r| r.lines.first().filter(|l| l.comment.is_some()).map(width)).max();
    if let Some(column) = column {
        for line in run.iter_mut().filter_map(|r| r.lines.first_mut()).filter(|l| l.comment.is_some()) {
            line.comment_pad = column - width(line) + 2;
        }
    }
}

/// Insert `count` spaces at byte `at` of a line (when `at` is a character boundary in it).
fn pad(line: &mut Line, at: usize, count: usize) {
    if count > 0 && line.text.is_char_boundary(at) {
        line.text.insert_str(at, &" ".repeat(count));
    }
}

fn block(w: &mut Writer, b: &Block) {
    w.token(&b.kind);
    if let Some(label) = &b.label {
        w.space();
        w.token(label);
    }
    if let Some((colon, name)) = &b.template {
        w.space();
        w.token(colon);
        w.space();
        w.token(name);
    }
    w.space();
    let empty = b.members.is_empty() && b.close.leading.is_empty() && b.open.trailing.is_none();
    if empty {
        w.token(&b.open);
        w.token(&b.close);
    } else if b.is_one_line() {
        w.token(&b.open);
        for (i, member) in b.members.iter().enumerate() {
            if i > 0 {
                w.word(",");
            }
            w.space();
            inline_member(w, member);
        }
        w.space();
        w.token(&b.close);
    } else {
        multi_line_body(w, &b.open, &b.members, &b.close);
    }
}

/// `{`, the members one per line one level deeper, `}` on its own line.
fn multi_line_body(w: &mut Writer, open: &Token, members: &[Member], close: &Token) {
    w.token(open);
    w.break_line();
    w.indent += 1;
    body(w, members, false);
    for (i, comment) in close.leading.iter().enumerate() {
        if (i > 0 || !members.is_empty()) && comment.blank_before {
            w.blank();
        }
        w.comment_line(comment);
    }
    w.indent -= 1;
    w.break_line();
    w.word(&close.text);
    w.trailing(close.trailing.as_ref());
}

/// A member inside a one-line block or record (no comments can stand there).
fn inline_member(w: &mut Writer, member: &Member) {
    match &member.node {
        Node::Attr { path, eq, value: v } => {
            for token in path {
                w.token(token);
            }
            w.space();
            w.token(eq);
            w.space();
            value(w, v);
        }
        Node::Block(b) => block(w, b),
        Node::Bare(v) => value(w, v),
        Node::Allow { keyword, name, because, reason } => allow(w, [keyword, name, because, reason]),
        Node::Import { .. } | Node::Let { .. } => {}
    }
    if let Some(comma) = &member.comma {
        w.leading(comma);
        w.trailing(comma.trailing.as_ref());
    }
}

fn value(w: &mut Writer, v: &Value) {
    atom(w, &v.low);
    if let Some(high) = &v.high {
        let (dots, high) = high.as_ref();
        w.token(dots);
        atom(w, high);
    }
}

fn atom(w: &mut Writer, a: &Atom) {
    match a {
        Atom::Scalar(token) => w.token(token),
        Atom::List(group) => list(w, group, value),
        Atom::Call(name, group) => {
            w.token(name);
            list(w, group, argument);
        }
        Atom::Record(record) => self::record(w, record),
    }
}

fn argument(w: &mut Writer, argument: &Argument) {
    match argument {
        Argument::Named(name, eq, v) => {
            w.token(name);
            w.space();
            w.token(eq);
            w.space();
            value(w, v);
        }
        Argument::Positional(v) => value(w, v),
    }
}

fn record(w: &mut Writer, record: &Record) {
    let one_line = record.open.line == record.close.line;
    let empty = record.members.is_empty() && record.close.leading.is_empty() && record.open.trailing.is_none();
    if empty {
        w.token(&record.open);
        w.token(&record.close);
    } else if one_line {
        w.token(&record.open);
        for (i, member) in record.members.iter().enumerate() {
            if i > 0 {
                w.word(",");
            }
            w.space();
            inline_member(w, member);
        }
        w.space();
        w.token(&record.close);
    } else {
        multi_line_body(w, &record.open, &record.members, &record.close);
    }
}

/// A list or a call's arguments: `[a, b]` on one line, or one item per line with a trailing
/// comma when written across lines.
fn list<T: FirstToken>(w: &mut Writer, group: &Group<T>, item: fn(&mut Writer, &T)) {
    if !group.is_broken() {
        w.token(&group.open);
        for (i, (element, comma)) in group.items.iter().enumerate() {
            if i > 0 {
                w.word(",");
                w.space();
            }
            item(w, element);
            if let Some(comma) = comma {
                // Only a trailing comma or one without comments reaches here; drop it.
                w.trailing(comma.trailing.as_ref());
            }
        }
        w.token(&group.close);
        return;
    }
    w.token(&group.open);
    w.indent += 1;
    for (element, comma) in &group.items {
        w.break_line();
        item(w, element);
        w.glue(",");
        if let Some(comma) = comma {
            for comment in &comma.leading {
                w.comment_line(comment);
            }
            w.trailing(comma.trailing.as_ref());
        }
    }
    for comment in &group.close.leading {
        w.comment_line(comment);
    }
    w.indent -= 1;
    w.break_line();
    w.word(&group.close.text);
    w.trailing(group.close.trailing.as_ref());
}

/// Lines to text: indentation, comment padding, no trailing blank lines, one final newline.
fn finish(lines: &[Line]) -> String {
    let mut out = String::new();
    let mut previous_blank = true;
    for line in lines {
        if line.blank || (line.text.is_empty() && line.comment.is_none()) {
            if !previous_blank {
                out.push('\n');
            }
            previous_blank = true;
            continue;
        }
        previous_blank = false;
        out.push_str(&"  ".repeat(line.indent));
        out.push_str(&line.text);
        if let Some(comment) = &line.comment {
            if !line.text.is_empty() {
                out.push_str(&" ".repeat(line.comment_pad.max(1)));
            }
            out.push_str(comment);
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
