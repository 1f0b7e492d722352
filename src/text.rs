//! Text that reaches an output file, whatever its language: the characters that must never
//! reach one as themselves, shared by the checker (E0103 rejects them in a `.deploy` file) and
//! every emitter (which writes them visibly escaped, for text the checker does not see, such as
//! the input's file name), and the one-line form of text written into a comment.
//!
//! The escapes for each output language build on this: shell quoting in
//! `crate::emit::scripts::sh_quote`, YAML in `crate::emit::yaml`, Markdown in
//! `crate::emit::markdown` and Mermaid labels in `crate::graph`.

use std::borrow::Cow;

/// Whether `c` must never reach an output file as itself: the C0 controls other than tab and
/// line feed (carriage return included: a lone one rewrites a terminal line), DEL, the C1
/// controls U+0080–U+009F (U+0085 is a line break to YAML 1.1), the bidirectional embeddings,
/// overrides and isolates U+202A–U+202E and U+2066–U+2069 (the "Trojan Source" characters,
/// CVE-2021-42574), and the line and paragraph separators U+2028 and U+2029 (line breaks to YAML
/// 1.1 and JavaScript).
pub fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `text` with each [`forbidden`] character written as `\u{…}` (Rust's escape, lowercase hex),
/// visible and inert in every output language. Borrows `text` when it holds none.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(forbidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if forbidden(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` with each [`forbidden`] character replaced by one of the same length in UTF-8 (`?`
/// for one or two bytes, U+FFFD for three), so that byte offsets into it stay valid: the source
/// lines a diagnostic shows on a terminal. The `\r` of a `\r\n` line end stays. Borrows `text` when it holds none.
pub fn displayable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(forbidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let line_end = c == '\r' && chars.peek() == Some(&'\n');
        match (forbidden(c) && !line_end, c.len_utf8()) {
            (false, _) => out.push(c),
            (true, 1) => out.push('?'),
            (true, 2) => out.push_str("??"),
            (true, _) => out.push('\u{fffd}'),
        }
    }
    Cow::Owned(out)
}

/// `text` on one line: line feeds, carriage returns and tabs as spaces, then [`visible`]. What a
/// comment in YAML, shell or Mermaid may hold without text leaving the comment.
pub fn one_line(text: &str) -> String {
    visible(&text.replace(['\n', '\r', '\t'], " ")).into_owned()
}

/// The name of the input as outputs mention it: its file name without the directories
/// (`./dir/app.deploy` and `app.deploy` give the same bytes), on one line.
pub fn source_name(path: &str) -> String {
    match std::path::Path::new(path).file_name() {
        Some(base) => one_line(&base.to_string_lossy()),
        None => one_line(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_become_visible_escapes() {
        let cases = [
            ("plain text", "plain text"),
            ("tab\tand\nline", "tab\tand\nline"),
            ("nul\u{0}", "nul\\u{0}"),
            ("cr\r", "cr\\u{d}"),
            ("del\u{7f} nel\u{85}", "del\\u{7f} nel\\u{85}"),
            ("rtl\u{202e}txt.exe", "rtl\\u{202e}txt.exe"),
            ("isolate\u{2066}x\u{2069}", "isolate\\u{2066}x\\u{2069}"),
            ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
            ("ümlaut ✓ 株", "ümlaut ✓ 株"),
        ];
        for (input, expected) in cases {
            assert_eq!(visible(input), expected, "{input:?}");
        }
        assert_eq!(one_line("a\nb\r\nc\td\u{202e}"), "a b  c d\\u{202e}");
        let source = "a\u{0}b\u{85}c\u{202e}d\r\n";
        assert_eq!(displayable(source), "a?b??c\u{fffd}d\r\n");
        assert_eq!(displayable("lone\rcr"), "lone?cr");
        assert_eq!(displayable(source).len(), source.len());
    }

    #[test]
    fn the_source_is_named_by_its_file_name() {
        assert_eq!(source_name("app.deploy"), "app.deploy");
        assert_eq!(source_name("./dir/app.deploy"), "app.deploy");
        assert_eq!(source_name("examples/task-api-k3d.deploy"), "task-api-k3d.deploy");
        assert_eq!(source_name("evil\n---\nkind: Secret #.deploy"), "evil --- kind: Secret #.deploy");
        assert_eq!(source_name(".."), "..");
    }
}
