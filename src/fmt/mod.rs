//! `deployc fmt`: one canonical layout for `.deploy` files (the rules are in [`printer`]).
//!
//! Input: a file's text, which must parse. Output: the formatted text. The formatter reads the
//! file with the one parser (`syntax::parse_lossless`, which keeps every token and comment
//! besides the tree) and lays out a [`tree`] made from what it kept: every comment, line break
//! and comma.
//!
//! Every result is checked before it is returned: the formatted text must parse to the same
//! syntax tree as the input (spans aside) and hold the same comments in the same order. A
//! formatter bug therefore surfaces as [`FormatError::Internal`] and the file is left alone;
//! it never changes what a file means.

mod printer;
mod tree;

use crate::diagnostics::Diagnostics;
use crate::source::FileId;

/// Why a file was not formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The file does not parse: the syntax error, with spans in `file`.
    Syntax(Diagnostics),
    /// The formatter could not keep the file's meaning or comments. This is a bug in deployc;
    /// the message says what went wrong.
    Internal(String),
}

/// Format `text` (whose spans in diagnostics refer to `file`).
pub fn format(file: FileId, text: &str) -> Result<String, FormatError> {
    let mut sink = Diagnostics::new();
    let Some(before) = crate::syntax::parse_lossless(&mut sink, file, text) else {
        return Err(FormatError::Syntax(sink));
    };
    let tokens = tree::tokens(text, &before).map_err(FormatError::Internal)?;
    let comments_before: Vec<String> = tree::comments(&tokens).into_iter().map(String::from).collect();
    let parsed = tree::build(&before.module, tokens).map_err(FormatError::Internal)?;
    let formatted = printer::print(&parsed);

    let mut sink = Diagnostics::new();
    let Some(after) = crate::syntax::parse_lossless(&mut sink, file, &formatted) else {
        return Err(FormatError::Internal("the formatted text does not parse".into()));
    };
    if without_spans(&format!("{:?}", before.module)) != without_spans(&format!("{:?}", after.module)) {
        return Err(FormatError::Internal("the formatted text means something else".into()));
    }
    let tokens_after = tree::tokens(&formatted, &after).map_err(FormatError::Internal)?;
    if tree::comments(&tokens_after) != comments_before {
        return Err(FormatError::Internal("the formatted text lost or moved a comment".into()));
    }
    Ok(formatted)
}

/// A syntax tree's debug text with every `Span { file: FileId(…), start: …, end: … }` removed,
/// so that two trees compare equal when only positions differ.
fn without_spans(debug: &str) -> String {
    const OPEN: &str = "Span { file: FileId(";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(index) = rest.find(OPEN) {
        let (head, tail) = rest.split_at(index);
        out.push_str(head);
        match tail.find('}') {
            Some(close) if is_span(tail.get(..=close).unwrap_or("")) => {
                rest = tail.get(close + 1..).unwrap_or("");
            }
            _ => {
                out.push_str(OPEN);
                rest = tail.get(OPEN.len()..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// `Span { file: FileId(1), start: 2, end: 3 }` exactly.
fn is_span(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let Some(inner) = text.strip_prefix("Span { file: FileId(").and_then(|t| t.strip_suffix(" }")) else {
        return false;
    };
    let Some((file, rest)) = inner.split_once("), start: ") else { return false };
    let Some((start, end)) = rest.split_once(", end: ") else { return false };
    digits(file) && digits(start) && digits(end)
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let formatted = format(FileId(0), input).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(formatted, expected, "formatted:\n{formatted}");
        let again = format(FileId(0), &formatted).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(again, formatted, "not idempotent");
    }

    #[test]
    fn aligns_equals_in_a_run() {
        check(
            "deployment d {\n target k3d {}\n service api {\n image = \"a:1\"\n replicas=2\n env { A = \"1\" }\n }\n}\n",
            "deployment d {\n  target k3d {}\n  service api {\n    image    = \"a:1\"\n    replicas = 2\n    env      { A = \"1\" }\n  }\n}\n",
        );
    }

    #[test]
    fn keeps_comments_and_blank_lines() {
        check(
            "# head\ndeployment d { # open\n\n\n  # lead\n  namespace = \"x\" # tail\n  domain = \"a.b\"\n\n  # last\n}\n# end\n",
            "# head\ndeployment d {  # open\n  # lead\n  namespace = \"x\"  # tail\n  domain    = \"a.b\"\n\n  # last\n}\n# end\n",
        );
    }

    #[test]
    fn one_line_blocks_stay_one_line() {
        check(
            "deployment d {\n  target k3d {servers=1 agents = 2}\n  stack { dapr traefik }\n}",
            "deployment d {\n  target k3d { servers = 1, agents = 2 }\n  stack { dapr, traefik }\n}\n",
        );
    }

    #[test]
    fn broken_lists_get_one_item_per_line() {
        check(
            "let ports = [\"a\", # first\n \"b\"]\nlet x = 1",
            "let ports = [\n  \"a\",  # first\n  \"b\",\n]\nlet x = 1\n",
        );
    }

    #[test]
    fn labels_of_one_kind_align() {
        check(
            "deployment d {\n  target hetzner {\n    pool master { size = cx22 }\n    pool workers { size = cx32 }\n  }\n}\n",
            "deployment d {\n  target hetzner {\n    pool master  { size = cx22 }\n    pool workers { size = cx32 }\n  }\n}\n",
        );
    }

    #[test]
    fn top_level_blocks_are_separated_by_one_blank_line() {
        check(
            "let a = 1\nlet bb = 2\ntemplate t { cpu = 1 }\n\n\n\ntemplate u { cpu = 2 }",
            "let a  = 1\nlet bb = 2\n\ntemplate t { cpu = 1 }\n\ntemplate u { cpu = 2 }\n",
        );
    }

    #[test]
    fn odd_comment_places_are_kept() {
        let input =
            "deployment d {\n  a = 1 .. # after dots\n  2\n  b = # after eq\n  3\n  c = f(1, # one\n  x = 2)\n}\n";
        let formatted = format(FileId(0), input).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(format(FileId(0), &formatted).ok().as_deref(), Some(formatted.as_str()));
    }

    #[test]
    fn a_number_and_the_name_after_it_stay_one_word() {
        // `500mi` is the number 500 and the bare name `mi` (E0301 names the unit's case).
        check("d {\n  cpu = 500mi\n  x   = 1\n}\n", "d {\n  cpu = 500mi\n  x   = 1\n}\n");
    }

    #[test]
    fn what_the_parser_reads_is_what_is_formatted() {
        // The formatter reads what the parser reads: `leteam` is a name (a keyword ends where
        // a name would), so the line is a syntax error for both, never `let eam`.
        assert!(matches!(format(FileId(0), "leteam = \"payments\"\n"), Err(FormatError::Syntax(_))));
        check("let  eam = \"payments\"\n", "let eam = \"payments\"\n");
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(matches!(format(FileId(0), "deployment {"), Err(FormatError::Syntax(_))));
    }

    #[test]
    fn spans_are_ignored_only_when_whole() {
        assert_eq!(without_spans("A(Span { file: FileId(1), start: 2, end: 3 })"), "A()");
        assert_eq!(without_spans("Span { file: FileId(x) }"), "Span { file: FileId(x) }");
    }
}
