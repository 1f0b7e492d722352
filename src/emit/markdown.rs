//! Markdown escapes for `RUNBOOK.md` (CommonMark with GitHub's extensions: tables,
//! strikethrough, math): every value from the plan reaches the runbook through one of these, so
//! that it is shown as text and never read as markup, HTML, a link, a table cell or a heading.
//!
//! The runbook's template context holds only strings made here (or composed of them with fixed
//! text); `tests/runbook_escape.rs` checks that of every string in it, and renders hostile values
//! in every position through a Markdown parser.

use std::fmt::Write as _;

use crate::text;

/// `value` as inline text: shown as it is wherever the template puts it (in a paragraph, a list
/// item or a table cell). On one line (line breaks and tabs as spaces), forbidden characters as
/// visible escapes ([`text::visible`]), `<`, `>` and `&` as HTML entities, and a backslash before
/// each character that could start markup: `\`, `` ` ``, `[`, `]`, `|`, a `#`, `+`, `-` or `=`
/// that starts the value, the `.` or `)` of a leading `1. `, and the emphasis, strikethrough and
/// math delimiters `*`, `_`, `~` and `$` where they could close a span. A delimiter can close
/// only when it is not preceded by whitespace (CommonMark's right-flanking rule, which GitHub's
/// `~` and `$` follow too), and an `_` between two letters or digits never opens or closes, so
/// `~/.kube/config` and `Standard_D2s_v3` stay as they are.
pub fn text(value: &str) -> String {
    let one = text::one_line(value);
    let chars: Vec<char> = one.chars().collect();
    let mut out = String::with_capacity(one.len() + 8);
    let leading_number = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        let escape = match c {
            '<' => {
                out.push_str("&lt;");
                continue;
            }
            '>' => {
                out.push_str("&gt;");
                continue;
            }
            '&' => {
                out.push_str("&amp;");
                continue;
            }
            '\\' | '`' | '[' | ']' | '|' => true,
            '#' | '+' | '-' | '=' => i == 0,
            '.' | ')' => i > 0 && i == leading_number && after.is_none_or(char::is_whitespace),
            '_' => !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)),
            '*' | '~' | '$' => !before.is_some_and(|b| b.is_whitespace()),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A message deployc wrote in its own style, names in backticks (``"`api` autoscales"``): the
/// parts between backticks as [`code`], the rest as [`text`](fn@text). Every part is escaped, so a
/// backtick from the file inside the message can misplace a code span, never make markup.
pub fn message(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for (i, part) in value.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&code(part));
        } else {
            out.push_str(&text(part));
        }
    }
    out
}

/// `value` as an inline code span outside a table: shown literally, in a fence of backticks
/// longer than any run of backticks in it, padded with a space where it starts or ends with a
/// backtick or a space (which the code span would otherwise eat); on one line, forbidden
/// characters as visible escapes.
pub fn code(value: &str) -> String {
    code_span(&text::one_line(value))
}

/// `value` as an inline code span in a table cell: as [`code`], with each `|` as `\|` (GitHub
/// splits the row at a bare `|` even inside a code span, and removes the backslash).
pub fn cell_code(value: &str) -> String {
    code_span(&text::one_line(value).replace('|', "\\|"))
}

fn code_span(content: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(content) + 1);
    let pad = !content.trim().is_empty() && (content.starts_with(['`', ' ']) || content.ends_with(['`', ' ']));
    let space = if pad { " " } else { "" };
    if content.is_empty() {
        return "` `".to_string();
    }
    let mut out = String::with_capacity(content.len() + 2 * fence.len() + 2);
    let _ = write!(out, "{fence}{space}{content}{space}{fence}");
    out
}

/// The fence of a fenced code block holding `content`: backticks, at least three and more than
/// any run of backticks in it, so no line of `content` can close the block.
pub fn fence(content: &str) -> String {
    "`".repeat((longest_backtick_run(content) + 1).max(3))
}

/// `value` inside an HTML comment (`<!-- … -->`): one line, forbidden characters as visible
/// escapes, `<`, `>` and `&` as entities, so that neither `-->` nor `--!>` can end it early.
pub fn comment(value: &str) -> String {
    text::one_line(value).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn longest_backtick_run(content: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_only_what_could_be_markup() {
        let cases = [
            ("api.example.com", "api.example.com"),
            ("into ~/.kube/config and ~/x", "into ~/.kube/config and ~/x"),
            ("~/x", "\\~/x"),
            ("Standard_D2s_v3", "Standard_D2s_v3"),
            ("1.31", "1.31"),
            ("chosen by deployc: the image writes to / (nginx)", "chosen by deployc: the image writes to / (nginx)"),
            ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
            ("![i](http://e/x.png)", "!\\[i\\](http://e/x.png)"),
            ("# heading", "\\# heading"),
            ("- item", "\\- item"),
            ("1. item", "1\\. item"),
            ("12) item", "12\\) item"),
            ("| a | b |", "\\| a \\| b \\|"),
            ("*bold* _it_ **b**", "\\*bold\\* \\_it\\_ *\\*b\\*\\*"),
            ("~~gone~~", "\\~\\~gone\\~\\~"),
            ("$x$ costs $5", "\\$x\\$ costs $5"),
            ("a `b` c", "a \\`b\\` c"),
            ("&lt; &amp;", "&amp;lt; &amp;amp;"),
            ("back\\slash", "back\\\\slash"),
            ("line\n---\nnext", "line --- next"),
            ("rtl\u{202e}x nul\u{0}", "rtl\\\\u{202e}x nul\\\\u{0}"),
        ];
        for (input, expected) in cases {
            assert_eq!(text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn code_spans_fence_longer_than_any_backtick_run() {
        let cases = [
            ("nginx:1.27", "`nginx:1.27`"),
            ("a`b", "``a`b``"),
            ("`start", "`` `start ``"),
            ("a ``` b", "````a ``` b````"),
            (" padded ", "`  padded  `"),
            ("", "` `"),
            ("two\nlines", "`two lines`"),
            ("x\u{202e}y", "`x\\u{202e}y`"),
        ];
        for (input, expected) in cases {
            assert_eq!(code(input), expected, "{input:?}");
        }
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        assert_eq!(message("`api` autoscales on CPU"), "`api` autoscales on CPU");
        assert_eq!(message("`a` b `<c>` *d"), "`a` b `<c>` *d");
        assert_eq!(fence("no backticks"), "```");
        assert_eq!(fence("a ```` b"), "`````");
        assert_eq!(comment("x --> <!-- & y"), "x --&gt; &lt;!-- &amp; y");
    }
}
