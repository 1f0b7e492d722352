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

mod parse;
mod render;

use serde_json::Value;

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
        let nodes = parse::parse(source).map_err(|(at, message)| located(name, source, at, &message))?;
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
        render::render(self, template, context)
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

fn located(name: &str, source: &str, at: usize, message: &str) -> String {
    let line = source.get(..at).unwrap_or(source).matches('\n').count() + 1;
    format!("template `{name}`, line {line}: {message}")
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
        let nodes = parse::parse(source).unwrap_or_default();
        let Some(Node::Raw(first)) = nodes.first() else { panic!("{nodes:?}") };
        assert_eq!(*first, "a\n");
        assert_eq!(run(source, r#"{"x": 1}"#), Ok("a\n  b\n".to_string()));
    }
}
