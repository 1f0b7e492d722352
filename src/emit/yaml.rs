//! A streaming YAML writer for emitted objects: the same bytes as `serde_yaml::to_string`,
//! several times faster.
//!
//! serde_yaml drives libyaml's emitter through an event queue, allocating per event and
//! analysing every scalar twice; for a build of thousands of services that was most of the
//! run time. This writer is a `serde::Serializer` that writes block-style YAML straight into
//! the output string, following libyaml's layout rules (two-space indent, sequences inside
//! mappings not indented, empty collections as `{}` and `[]`) and serde_yaml's quoting rules
//! (a string that would read back as a null, boolean or number is single-quoted; one that
//! starts with an indicator or has leading or trailing spaces is single-quoted; everything
//! else is plain).
//!
//! It only handles the part of YAML whose layout it can reproduce exactly: strings of
//! printable ASCII without line breaks, integers, booleans, nulls, sequences and mappings with
//! scalar keys of at most 128 bytes. Anything else (floats, multi-line or non-ASCII strings,
//! enum tags, complex keys) makes [`write`] fall back to serde_yaml for that object, so the
//! output never differs from serde_yaml's. `tests/yaml_writer.rs` checks both against each
//! other, and every golden manifest against serde_yaml's reading of it.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Append `value` as one YAML document (without `---`) to `out`, exactly as
/// `serde_yaml::to_string(value)` would write it.
pub fn write<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), serde_yaml::Error> {
    let start = out.len();
    let mut writer = Writer::new(out);
    match value.serialize(&mut writer).and_then(|()| writer.finish()) {
        Ok(()) => Ok(()),
        Err(Unsupported) => {
            out.truncate(start);
            out.push_str(&requote_yaml11(&serde_yaml::to_string(value)?));
            Ok(())
        }
    }
}

/// serde_yaml's block-style output with every plain scalar (key or value) that a YAML 1.1
/// reader would retype ([`yaml11_retyped`]) single-quoted, as the fast writer quotes them.
/// serde_yaml quotes only what YAML 1.2 retypes, so `yes`, `on` or `1_000` were written plain.
///
/// Its output has one mapping entry or sequence item per line (it never folds a plain scalar:
/// the line width is unlimited), quoted scalars that never span lines, and multi-line strings
/// as block scalars (`|`, `|-`, `|+`, with an optional indentation digit) whose content lines
/// are indented deeper than the key or dash that opens them; those are left alone.
fn requote_yaml11(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // While a block scalar is copied: the column its content lines are deeper than (the key
    // or the indicator that opens it; `None` for a document that is one block scalar).
    let mut block: Option<Option<usize>> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let indent = body.len() - body.trim_start_matches(' ').len();
        if let Some(column) = block {
            if body.trim().is_empty() || column.is_none_or(|c| indent > c) {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let mut column = indent;
        let mut indicator = None;
        let mut rest = body.get(indent..).unwrap_or("");
        let mut rewritten = String::from(body.get(..indent).unwrap_or(""));
        // Sequence items (`- `) and explicit keys and values (`? `, `: `) before the content.
        while let Some(after) =
            rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")).or_else(|| rest.strip_prefix(": "))
        {
            rewritten.push_str(rest.get(..2).unwrap_or(""));
            indicator = Some(column);
            column += 2;
            rest = after;
        }
        if matches!(rest, "-" | "?" | ":") {
            out.push_str(line);
            continue;
        }
        let token_column = column;
        // A key: quoted (copied as is) or plain up to the first `: ` (or a final `:`).
        let (key, value) = if rest.starts_with('\'') || rest.starts_with('"') {
            match quoted_end(rest) {
                Some(end) if rest.get(end..).is_some_and(|r| r.starts_with(": ") || r == ":") => {
                    (rest.get(..end), rest.get(end + 1..).map(|v| v.trim_start_matches(' ')))
                }
                _ => (None, Some(rest)),
            }
        } else if let Some(at) = rest.find(": ") {
            (rest.get(..at), rest.get(at + 2..))
        } else if let Some(key) = rest.strip_suffix(':') {
            (Some(key), Some(""))
        } else {
            (None, Some(rest))
        };
        if let Some(key) = key {
            rewritten.push_str(&requote_plain(key));
            rewritten.push(':');
        }
        let value = value.unwrap_or("");
        if !value.is_empty() {
            if key.is_some() {
                rewritten.push(' ');
            }
            if value.starts_with('|') || value.starts_with('>') {
                block = Some(if key.is_some() { Some(token_column) } else { indicator });
                rewritten.push_str(value);
            } else {
                rewritten.push_str(&requote_plain(value));
            }
        }
        out.push_str(&rewritten);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A plain scalar, single-quoted when YAML 1.1 would retype it; anything quoted, a flow
/// collection, a tag, an anchor or an alias stays as it is.
fn requote_plain(scalar: &str) -> String {
    let special = scalar.starts_with(['\'', '"', '[', '{', '!', '&', '*']);
    if !special && yaml11_retyped(scalar) { format!("'{}'", scalar.replace('\'', "''")) } else { scalar.to_string() }
}

/// Where a quoted scalar at the start of `text` ends (just past its closing quote).
fn quoted_end(text: &str) -> Option<usize> {
    let quote = text.chars().next()?;
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        if quote == '\'' && c == '\'' {
            if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                chars.next();
                continue;
            }
            return Some(at + 1);
        }
        if quote == '"' && c == '\\' {
            chars.next();
            continue;
        }
        if quote == '"' && c == '"' {
            return Some(at + 1);
        }
    }
    None
}

/// `value` as YAML, exactly as `serde_yaml::to_string(value)`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    write(&mut out, value)?;
    Ok(out)
}

/// Whether the fast writer handles `value` itself (for tests: `false` means serde_yaml wrote it).
pub fn is_fast<T: Serialize + ?Sized>(value: &T) -> bool {
    let mut out = String::new();
    let mut writer = Writer::new(&mut out);
    value.serialize(&mut writer).and_then(|()| writer.finish()).is_ok()
}

/// The value needs something this writer does not reproduce; serde_yaml writes it instead.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not supported by the fast YAML writer")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Unsupported
    }
}

/// libyaml refuses longer simple keys and writes `? key` instead.
const MAX_SIMPLE_KEY: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequence,
    Mapping,
}

/// An open block collection.
#[derive(Clone, Copy)]
enum Frame {
    Sequence,
    /// A mapping; `value` is true when its next node is a value, false when a key.
    Mapping {
        value: bool,
    },
}

/// A collection that has started but has no node yet: block style when one comes, `{}` or `[]`
/// when it ends first.
#[derive(Clone, Copy)]
struct Pending {
    kind: Kind,
    /// Whether the collection is a node of a mapping (libyaml's "mapping context").
    in_mapping: bool,
}

/// The emitter state, named as in libyaml (`emitter.c`).
struct Writer<'a> {
    out: &'a mut String,
    /// Bytes since the last line break (all output here is ASCII, so also characters).
    column: usize,
    indent: isize,
    indents: Vec<isize>,
    frames: Vec<Frame>,
    pending: Option<Pending>,
    /// The last character written was whitespace (or the start of a line).
    whitespace: bool,
    /// Only indentation (and `-` indicators) written on this line so far.
    indention: bool,
}

type Result<T = (), E = Unsupported> = std::result::Result<T, E>;

impl<'a> Writer<'a> {
    fn new(out: &'a mut String) -> Self {
        Writer {
            out,
            column: 0,
            indent: -1,
            indents: Vec::with_capacity(16),
            frames: Vec::with_capacity(16),
            pending: None,
            whitespace: true,
            indention: true,
        }
    }

    /// The document end: a final line break.
    fn finish(&mut self) -> Result {
        if self.pending.is_some() || !self.frames.is_empty() {
            return Err(Unsupported);
        }
        self.write_indent();
        Ok(())
    }

    fn put(&mut self, text: &str) {
        self.out.push_str(text);
        self.column += text.len();
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.out.push('\n');
            self.column = 0;
        }
        if self.column < indent {
            const SPACES: &str = "                                                                ";
            let mut missing = indent - self.column;
            while missing > 0 {
                let chunk = missing.min(SPACES.len());
                self.out.push_str(SPACES.get(..chunk).unwrap_or(""));
                missing -= chunk;
            }
            self.column = indent;
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(" ");
        }
        self.put(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = 0;
        } else if !indentless {
            self.indent += 2;
        }
    }

    /// A node is coming: open a pending collection as a block, then write what goes before
    /// the node in its parent. Returns whether the node is a mapping key.
    fn begin_node(&mut self) -> bool {
        if let Some(pending) = self.pending.take() {
            match pending.kind {
                Kind::Mapping => {
                    self.increase_indent(false);
                    self.frames.push(Frame::Mapping { value: false });
                }
                Kind::Sequence => {
                    self.increase_indent(pending.in_mapping && !self.indention);
                    self.frames.push(Frame::Sequence);
                }
            }
        }
        match self.frames.last() {
            None => false,
            Some(Frame::Sequence) => {
                self.write_indent();
                self.write_indicator("-", true, false, true);
                false
            }
            Some(Frame::Mapping { value: false }) => {
                self.write_indent();
                true
            }
            Some(Frame::Mapping { value: true }) => {
                self.write_indicator(":", false, false, false);
                false
            }
        }
    }

    /// A node is complete: in a mapping, a key is followed by a value and a value by a key.
    fn end_node(&mut self) {
        if let Some(Frame::Mapping { value }) = self.frames.last_mut() {
            *value = !*value;
        }
    }

    fn start_collection(&mut self, kind: Kind) -> Result {
        if self.begin_node() {
            return Err(Unsupported); // a collection as a key: `? key`
        }
        let in_mapping = matches!(self.frames.last(), Some(Frame::Mapping { .. }));
        self.pending = Some(Pending { kind, in_mapping });
        Ok(())
    }

    fn end_collection(&mut self, kind: Kind) -> Result {
        match self.pending.take() {
            Some(pending) if pending.kind == kind => {
                let (open, close) = if kind == Kind::Mapping { ("{", "}") } else { ("[", "]") };
                self.write_indicator(open, true, true, false);
                self.write_indicator(close, false, false, false);
            }
            Some(_) => return Err(Unsupported),
            None => {
                match (self.frames.pop(), kind) {
                    (Some(Frame::Sequence), Kind::Sequence)
                    | (Some(Frame::Mapping { value: false }), Kind::Mapping) => {}
                    _ => return Err(Unsupported),
                }
                self.indent = self.indents.pop().ok_or(Unsupported)?;
            }
        }
        self.end_node();
        Ok(())
    }

    /// A scalar written plain (numbers, booleans, `null`).
    fn plain_scalar(&mut self, text: &str) -> Result {
        self.scalar(text, false)
    }

    fn scalar(&mut self, text: &str, quote: bool) -> Result {
        let is_key = self.begin_node();
        if is_key && text.len() > MAX_SIMPLE_KEY {
            return Err(Unsupported);
        }
        if quote {
            self.write_indicator("'", true, false, false);
            if text.contains('\'') {
                for (i, part) in text.split('\'').enumerate() {
                    if i > 0 {
                        self.put("''");
                    }
                    self.put(part);
                }
            } else {
                self.put(text);
            }
            self.write_indicator("'", false, false, false);
        } else {
            if !self.whitespace {
                self.out.push(' ');
                self.column += 1;
            }
            self.put(text);
            self.whitespace = false;
            self.indention = false;
        }
        self.end_node();
        Ok(())
    }

    fn string(&mut self, text: &str) -> Result {
        let quote = needs_quotes(text)?;
        self.scalar(text, quote)
    }

    fn integer(&mut self, value: impl Into<i128>) -> Result {
        let value: i128 = value.into();
        let mut buffer = [0u8; 40];
        let mut at = buffer.len();
        let mut rest = value.unsigned_abs();
        loop {
            at -= 1;
            if let Some(digit) = buffer.get_mut(at) {
                *digit = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if value < 0 {
            at -= 1;
            if let Some(sign) = buffer.get_mut(at) {
                *sign = b'-';
            }
        }
        self.plain_scalar(std::str::from_utf8(buffer.get(at..).unwrap_or(b"0")).unwrap_or("0"))
    }
}

/// Byte classes for [`needs_quotes`].
const PRINTABLE: u8 = 1;
/// A byte that can appear in something serde_yaml reads as a number.
const NUMERIC: u8 = 2;
/// A first byte that makes a plain scalar impossible (libyaml's indicators).
const INDICATOR: u8 = 4;
/// `:` and `#`, which make a plain scalar impossible next to a space.
const SPECIAL: u8 = 8;

// Evaluated at compile time, where an index out of bounds is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
static CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0x20;
    while b <= 0x7e {
        table[b] = PRINTABLE;
        b += 1;
    }
    let numeric = b"0123456789abcdefABCDEFxoinIN+-.";
    let mut i = 0;
    while i < numeric.len() {
        table[numeric[i] as usize] |= NUMERIC;
        i += 1;
    }
    let indicators = b"#,[]{}&*!|>'\"%@`";
    let mut i = 0;
    while i < indicators.len() {
        table[indicators[i] as usize] |= INDICATOR;
        i += 1;
    }
    table[b':' as usize] |= SPECIAL;
    table[b'#' as usize] |= SPECIAL;
    table
};

fn class(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// Whether serde_yaml writes `text` single-quoted (`Ok(true)`) or plain (`Ok(false)`) in block
/// context; `Err` for text this writer leaves to serde_yaml (line breaks, tabs, non-ASCII).
///
/// Quoted when serde_yaml's `serialize_str` asks for it (the text would read back as a null,
/// a boolean or a number) or when libyaml's `yaml_emitter_analyze_scalar` forbids a plain
/// scalar: a leading or trailing space, a leading indicator, `---` or `...` at the start,
/// `: ` or a final `:`, or ` #`.
fn needs_quotes(text: &str) -> Result<bool> {
    let bytes = text.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return Ok(true) };
    // One pass: the classes every byte has in common, and whether any byte is `:` or `#`.
    let mut common = PRINTABLE | NUMERIC;
    let mut any = 0;
    for &b in bytes {
        let c = class(b);
        common &= c;
        any |= c;
    }
    if common & PRINTABLE == 0 {
        return Err(Unsupported);
    }
    if first == b' ' || last == b' ' || class(first) & INDICATOR != 0 {
        return Ok(true);
    }
    if any & SPECIAL != 0 {
        let mut previous = b' ';
        for (i, &b) in bytes.iter().enumerate() {
            let followed_by_space = matches!(bytes.get(i + 1), None | Some(b' '));
            if (b == b':' && followed_by_space) || (b == b'#' && previous == b' ') {
                return Ok(true);
            }
            previous = b;
        }
    }
    if matches!(first, b'?' | b'-' | b'.') {
        if first != b'.' && matches!(bytes.get(1), None | Some(b' ')) {
            return Ok(true);
        }
        if bytes.starts_with(b"---") || bytes.starts_with(b"...") {
            return Ok(true);
        }
    }
    if yaml11_retyped(text) {
        return Ok(true);
    }
    if first.is_ascii_alphabetic() {
        return Ok(matches!(text, "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"));
    }
    Ok(text == "~" || (common & NUMERIC != 0 && reads_as_number(text)))
}

/// Whether Kubernetes' decoder (sigs.k8s.io/yaml over gopkg.in/yaml.v2 v2.4.0, a YAML 1.1
/// reader) would read plain `text` as something other than a string, where a YAML 1.2 reader
/// (serde_yaml) would not: the 1.1 booleans `y`, `yes`, `on`, `off`, … (resolve.go's
/// resolveMap), numbers once `_` is removed (`1_000`) or in binary (`0b101`), and timestamps
/// (`2026-12-01`), which it turns into a time. Such text is quoted; quoting never changes a
/// string's meaning, so erring towards it is safe.
pub fn yaml11_retyped(text: &str) -> bool {
    if matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "on" | "On" | "ON" | "off" | "Off" | "OFF"
    ) {
        return true;
    }
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    // resolve.go's hints 'D' (a digit) and 'S' (a sign) lead to the number and timestamp rules.
    if !(first.is_ascii_digit() || first == b'+' || first == b'-' || first == b'.') {
        return false;
    }
    let unsigned = text.trim_start_matches(['+', '-']);
    if unsigned.starts_with("0b")
        && unsigned.len() > 2
        && unsigned[2..].bytes().all(|b| b == b'0' || b == b'1' || b == b'_')
    {
        return true;
    }
    if text.contains('_') {
        let plain: String = text.chars().filter(|&c| c != '_').collect();
        if !plain.is_empty()
            && (reads_as_number(&plain) || plain.trim_start_matches(['+', '-']).bytes().all(|b| b.is_ascii_digit()))
        {
            return true;
        }
    }
    // A timestamp: YYYY-M-D at the start (yaml.v2 v2.4.0 parseTimestamp's formats all begin so).
    let Some((year, rest)) = text.split_once('-') else { return false };
    let mut parts = rest.splitn(3, '-');
    let month = parts.next().unwrap_or("");
    let day: String = parts.next().unwrap_or("").chars().take_while(char::is_ascii_digit).collect();
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (1..=2).contains(&month.len())
        && month.bytes().all(|b| b.is_ascii_digit())
        && (1..=2).contains(&day.len())
}

/// serde_yaml's `serialize_str` style choice for text made of number characters: an integer,
/// a float, or digits with a leading zero read back as something other than a string. The
/// functions below follow `serde_yaml::de` (0.9) line by line.
fn reads_as_number(v: &str) -> bool {
    parse_unsigned_int(v, u128::from_str_radix).is_some()
        || parse_negative_int(v, i128::from_str_radix).is_some()
        || digits_but_not_number(v)
        || parse_f64(v).is_some()
}

fn parse_unsigned_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) {
        return None;
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix)
            && let Ok(int) = from_str_radix(&format!("-{rest}"), radix)
        {
            return Some(int);
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = match scalar.strip_prefix('+') {
        Some(unpositive) if unpositive.starts_with(['+', '-']) => return None,
        Some(unpositive) => unpositive,
        None => scalar,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN);
    }
    unpositive.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn digits_but_not_number(scalar: &str) -> bool {
    let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    scalar.len() > 1 && scalar.starts_with('0') && scalar.bytes().skip(1).all(|b| b.is_ascii_digit())
}

impl<'w> ser::Serializer for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result {
        self.plain_scalar(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.integer(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.integer(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        // Larger than any i128 only past 1.7e38; leave those (never emitted) to serde_yaml.
        self.integer(i128::try_from(v).map_err(|_| Unsupported)?)
    }
    // serde_yaml formats floats with ryu and quotes chars: left to serde_yaml.
    fn serialize_f32(self, _v: f32) -> Result {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result {
        Err(Unsupported)
    }
    fn serialize_char(self, _v: char) -> Result {
        Err(Unsupported)
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result {
        self.plain_scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.plain_scalar("null")
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.plain_scalar("null")
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    // Enum variants with data become YAML tags (`!Variant`): left to serde_yaml.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(Unsupported)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self> {
        self.start_collection(Kind::Sequence)?;
        Ok(self)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self> {
        self.start_collection(Kind::Sequence)?;
        Ok(self)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.start_collection(Kind::Sequence)?;
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self> {
        self.start_collection(Kind::Mapping)?;
        Ok(self)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self> {
        self.start_collection(Kind::Mapping)?;
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        // serde_yaml reads a leading `!` here as a tag.
        let text = value.to_string();
        if text.starts_with('!') {
            return Err(Unsupported);
        }
        self.string(&text)
    }
}

impl<'w> ser::SerializeSeq for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection(Kind::Sequence)
    }
}

impl<'w> ser::SerializeTuple for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection(Kind::Sequence)
    }
}

impl<'w> ser::SerializeTupleStruct for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection(Kind::Sequence)
    }
}

impl<'w> ser::SerializeMap for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection(Kind::Mapping)
    }
}

impl<'w> ser::SerializeStruct for &mut Writer<'w> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.string(key)?;
        value.serialize(&mut **self)
    }
    fn end(self) -> Result {
        self.end_collection(Kind::Mapping)
    }
}
