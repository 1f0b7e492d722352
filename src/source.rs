//! Source files and spans: the `SourceMap` holds user files and the embedded stdlib, and every
//! AST node carries a `Span` into one of them.

use crate::diagnostics::codes;
use std::fmt;
use std::sync::OnceLock;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.end.saturating_sub(span.start)).into()
    }
}

/// The largest `.deploy` file (or import, or standard input of `fmt -`, or file of an output
/// directory `diff` reads) deployc reads: 64 MiB, three times the largest input it is tested on
/// (`tests/large_input.rs`, 20 MB, 52,000 services). A larger input is not a hand-written
/// deployment, and reading it whole (as `/dev/zero` was, until memory ran out) helps nobody.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// One source file: a display name (a repository-relative path, or `<stdlib/NAME.deploy>`)
/// and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub is_stdlib: bool,
    /// The byte offset at which each line starts, made on first use (the text never changes
    /// once the file is in a `SourceMap`), so that a position costs a binary search instead of
    /// a scan from the start of the file: thousands of diagnostics stay linear.
    line_starts: OnceLock<Vec<usize>>,
    /// The text as a terminal may show it (`crate::text::displayable`: control and
    /// bidirectional characters replaced, byte for byte the same length), made on first use.
    displayable: OnceLock<Option<String>>,
}

impl SourceFile {
    fn new(name: String, text: String, is_stdlib: bool) -> Self {
        SourceFile { name, text, is_stdlib, line_starts: OnceLock::new(), displayable: OnceLock::new() }
    }

    /// The text with every character E0103 reports replaced by one of the same length, so
    /// that diagnostics never send it to a terminal; the text itself when it has none.
    pub fn displayable_text(&self) -> &str {
        self.displayable
            .get_or_init(|| match crate::text::displayable(&self.text) {
                std::borrow::Cow::Borrowed(_) => None,
                std::borrow::Cow::Owned(text) => Some(text),
            })
            .as_deref()
            .unwrap_or(&self.text)
    }

    /// The byte offset at which each line starts (the first is 0); a line ends at `\n`.
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// The 0-based line holding byte `offset` (clamped to the text).
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.line_starts().partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// The byte range of 0-based line `line`, without its `\n`.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let starts = self.line_starts();
        let start = starts.get(line).copied().unwrap_or(self.text.len());
        let end = starts.get(line + 1).map(|next| next - 1).unwrap_or(self.text.len());
        start..end.max(start)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_range(line).start;
        let col = match self.text.get(start..offset) {
            Some(before) => before.chars().count(),
            None => offset - start,
        };
        (line + 1, col + 1)
    }
}

/// All files of one compilation. The library never reads the disk: callers add files.
/// The embedded stdlib files always come first, with ids `0..stdlib::FILES.len()`.
#[derive(Debug, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl Default for SourceMap {
    fn default() -> Self {
        SourceMap::new()
    }
}

impl SourceMap {
    pub fn new() -> Self {
        let mut map = SourceMap { files: Vec::new() };
        for (name, text) in crate::stdlib::FILES {
            map.add_stdlib(name, text);
        }
        map
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.push(SourceFile::new(name.into(), text.into(), false))
    }

    fn add_stdlib(&mut self, name: &str, text: &str) -> FileId {
        self.push(SourceFile::new(format!("<stdlib/{name}>"), text.to_string(), true))
    }

    fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map(|f| f.name.as_str()).unwrap_or("<unknown>")
    }

    pub fn text(&self, span: Span) -> &str {
        self.get(span.file).and_then(|f| f.text.get(span.start..span.end)).unwrap_or("")
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i as u32), f))
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Decode a file's bytes as UTF-8, or report E0102 at the first invalid byte's line.
pub fn decode(name: &str, bytes: Vec<u8>, sink: &mut crate::diagnostics::Diagnostics) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let before = bytes.get(..valid).unwrap_or(&[]);
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            sink.push(crate::diagnostics::Diagnostic::new(codes::E0102, format!("{name} is not UTF-8 text")).help(
                format!(
                    "the first invalid byte is at line {line}, column {column} (byte {valid}); save the file as UTF-8"
                ),
            ));
            None
        }
    }
}
