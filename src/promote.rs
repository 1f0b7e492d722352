//! `deployc promote`: move image versions, or named values, from one environment to another by
//! rewriting the source file (docs/language.md section 5.8).
//!
//! Input: the root file's text, the deployment, the two environments and what to move. Output:
//! the rewritten text and the list of changes. Every change lands in the target environment's
//! own block, so no other environment can change: a value the target overrides is replaced where
//! it is written, and a value it inherits gets an override of its own (with the enclosing
//! `service NAME { … }` when the environment has none). An image moves by its version (the tag
//! and digest after the repository), because each environment pulls from its own registry; a
//! named value (`--value service.api.replicas`) is copied as written.
//!
//! The caller checks the result with the compiler (`main.rs`): the new file must check, every
//! other environment must build the same files, and the target's images must be the ones
//! promised here.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::source::FileId;
use crate::syntax::ast::{Block, Item, Member, Value, ValueKind};

/// What to promote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Every service's image version.
    Images,
    /// These values, each as a dotted path (`service.api.replicas`, `service.api.env.LOG_LEVEL`).
    Values(Vec<String>),
}

/// One value that changes in the target environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The value's path, `service.backend.image`.
    pub path: String,
    /// The target's value before, as written (where it inherits it: the deployment's or a template's).
    pub before: String,
    /// The value after, as written into the file.
    pub after: String,
}

/// A rewritten file.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// The new text (the old one when nothing changes).
    pub text: String,
    /// What changes, in the order of the paths.
    pub changes: Vec<Change>,
    /// The paths whose value the target already has.
    pub unchanged: Vec<String>,
}

/// Why nothing was promoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The command names what the file does not have: an environment, a deployment, a path.
    Usage(String),
    /// The file cannot be promoted as asked: a value that is not a literal, an image without a version.
    Input(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Usage(message) | Refusal::Input(message) => f.write_str(message),
        }
    }
}

/// A block on a path: its kind and label, with whether the label is a string (`http "…"`).
type Step = (String, Option<(String, bool)>);

/// A path into a deployment: the blocks to walk, then an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Path {
    blocks: Vec<Step>,
    attr: String,
}

impl Path {
    fn text(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for (kind, label) in &self.blocks {
            parts.push(kind);
            if let Some((label, _)) = label {
                parts.push(label);
            }
        }
        parts.push(&self.attr);
        parts.join(".")
    }
}

/// Where a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Environment,
    Deployment,
    Template,
}

/// Rewrite `text` so that environment `to` takes `what` from environment `from`.
pub fn promote(
    file: FileId,
    text: &str,
    deployment: Option<&str>,
    from: &str,
    to: &str,
    what: &What,
) -> Result<Promotion, Refusal> {
    let mut sink = Diagnostics::new();
    let module = crate::syntax::parse(&mut sink, file, text);
    if sink.has_errors() {
        return Err(Refusal::Input("the file does not parse; run `deployc check` for the errors".into()));
    }
    let blocks = || {
        module.items.iter().filter_map(|item| match item {
            Item::Block(block) => Some(block),
            _ => None,
        })
    };
    let deployments: Vec<&Block> = blocks().filter(|b| b.kind.name == "deployment").collect();
    let deployment = match (deployment, deployments.as_slice()) {
        (Some(wanted), _) => deployments
            .iter()
            .find(|d| d.label_name() == Some(wanted))
            .copied()
            .ok_or_else(|| Refusal::Usage(format!("no deployment named `{wanted}`")))?,
        (None, [only]) => only,
        (None, []) => return Err(Refusal::Input("the file defines no deployment".into())),
        (None, _) => {
            return Err(Refusal::Usage("the file defines several deployments; choose one with `--name`".into()));
        }
    };
    let templates: BTreeMap<&str, &Block> =
        blocks().filter(|b| b.kind.name == "template").filter_map(|b| Some((b.label_name()?, b))).collect();
    if from == to {
        return Err(Refusal::Usage(format!("`--from` and `--to` both name `{from}`")));
    }
    let environment = |name: &str| -> Result<&Block, Refusal> {
        let declared: Vec<&Block> = blocks_of(&deployment.members, "environment").collect();
        declared.iter().find(|e| e.label_name() == Some(name)).copied().ok_or_else(|| {
            let names: Vec<String> = declared.iter().filter_map(|e| e.label_name().map(String::from)).collect();
            Refusal::Usage(if names.is_empty() {
                format!("deployment `{}` declares no environments", deployment.label_name().unwrap_or(""))
            } else {
                format!("no environment named `{name}`; the deployment declares {}", names.join(", "))
            })
        })
    };
    let (source, target) = (environment(from)?, environment(to)?);
    let layers = Layers { deployment, templates: &templates };

    let paths: Vec<Path> = match what {
        What::Images => blocks_of(&deployment.members, "service")
            .filter_map(|s| s.label_name())
            .map(|name| Path { blocks: vec![("service".into(), Some((name.into(), false)))], attr: "image".into() })
            .collect(),
        What::Values(written) => {
            let mut out = Vec::new();
            for path in written {
                let segments: Vec<&str> = path.split('.').collect();
                let found = layers
                    .resolve(source, &segments)
                    .or_else(|| layers.resolve(target, &segments))
                    .ok_or_else(|| {
                        // The paths the file spells, for a did-you-mean.
                        let mut spelled = Vec::new();
                        for members in [&source.members, &target.members, &deployment.members] {
                            spelled_paths(members, "", &mut spelled);
                        }
                        let near = crate::diagnostics::suggest::nearest(path, spelled.iter().map(String::as_str), 1);
                        let hint = match near.as_slice() {
                            [] => String::new(),
                            _ => format!("; did you mean {}?", crate::diagnostics::suggest::one_of(&near)),
                        };
                        Refusal::Usage(format!(
                            "`{path}` names nothing in environment `{from}` or the deployment{hint}"
                        ))
                    })?;
                if !out.contains(&found) {
                    out.push(found);
                }
            }
            out
        }
    };

    let mut replacements: Vec<(usize, usize, String)> = Vec::new();
    let mut insertions: BTreeMap<usize, (&Block, Pending)> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();
    for path in &paths {
        let Some((value, _)) = layers.effective(source, path) else {
            return Err(Refusal::Usage(format!(
                "`{}` is not set in environment `{from}` or the deployment",
                path.text()
            )));
        };
        let current = layers.effective(target, path);
        let after = match what {
            What::Images => {
                let image = plain(value).ok_or_else(|| {
                    Refusal::Input(format!(
                        "{from}'s `{}` is not a plain string; promote it with `--value`",
                        path.text()
                    ))
                })?;
                let version = version(&image).ok_or_else(|| {
                    Refusal::Input(format!("{from}'s image `{image}` has no tag or digest to promote"))
                })?;
                let base = match current {
                    Some((value, _)) => plain(value).ok_or_else(|| {
                        Refusal::Input(format!(
                            "{to}'s `{}` is not a plain string; promote it with `--value`",
                            path.text()
                        ))
                    })?,
                    None => image.clone(),
                };
                quote(&format!("{}{version}", crate::check::model::image_repository(&base)))
            }
            What::Values(_) => slice(text, value).map_err(Refusal::Input)?.to_string(),
        };
        let before = match current {
            Some((value, _)) => slice(text, value).map_err(Refusal::Input)?.to_string(),
            None => String::new(),
        };
        if before == after {
            unchanged.push(path.text());
            continue;
        }
        match current {
            Some((value, Layer::Environment)) => {
                replacements.push((value.span.start, value.span.end, after.clone()));
            }
            _ => {
                let (block, rest) = deepest(target, &path.blocks);
                let pending = &mut insertions.entry(block.span.start).or_insert_with(|| (block, Pending::default())).1;
                pending.add(rest, &path.attr, &after);
            }
        }
        changes.push(Change { path: path.text(), before, after });
    }

    let mut edits = replacements;
    for (block, pending) in insertions.values() {
        edits.push(insert(text, block, &pending.members()).map_err(Refusal::Input)?);
    }
    edits.sort_by_key(|(start, ..)| std::cmp::Reverse(*start));
    let mut out = text.to_string();
    for (start, end, replacement) in edits {
        if out.get(start..end).is_none() {
            return Err(Refusal::Input("an edit outside the file (a bug in deployc)".into()));
        }
        out.replace_range(start..end, &replacement);
    }
    // A formatted file stays formatted: the inserted lines get the file's alignment.
    if !changes.is_empty() && crate::fmt::format(file, text).ok().as_deref() == Some(text) {
        out = crate::fmt::format(file, &out)
            .map_err(|_| Refusal::Input("the rewritten file does not format (a bug in deployc)".into()))?;
    }
    Ok(Promotion { text: out, changes, unchanged })
}

/// The deployment and the user's templates, to find the value an environment sees.
struct Layers<'a> {
    deployment: &'a Block,
    templates: &'a BTreeMap<&'a str, &'a Block>,
}

impl<'a> Layers<'a> {
    /// The value of `path` in `environment` and where it is written: the environment's own
    /// override, else the deployment's, else (inside a service) the service's template's. This
    /// is how `check::environment::apply` merges: an attribute replaces, a block merges.
    fn effective(&self, environment: &'a Block, path: &Path) -> Option<(&'a Value, Layer)> {
        if let Some(value) = find(&environment.members, &path.blocks, &path.attr) {
            return Some((value, Layer::Environment));
        }
        if let Some(value) = find(&self.deployment.members, &path.blocks, &path.attr) {
            return Some((value, Layer::Deployment));
        }
        let template = self.template_of(path.blocks.first()?)?;
        find(&template.members, path.blocks.get(1..)?, &path.attr).map(|value| (value, Layer::Template))
    }

    /// The template a deployment's service block applies (`service api : web { … }`).
    fn template_of(&self, (kind, label): &Step) -> Option<&'a Block> {
        let label = label.as_ref()?;
        let service = blocks_of(&self.deployment.members, kind).find(|b| b.label_name() == Some(label.0.as_str()))?;
        self.templates.get(service.template.as_ref()?.name.as_str()).copied()
    }

    /// The path that `segments` spell, found in the environment, the deployment or a
    /// service's template.
    fn resolve(&self, environment: &Block, segments: &[&str]) -> Option<Path> {
        if let Some(path) = resolve(&environment.members, segments) {
            return Some(path);
        }
        if let Some(path) = resolve(&self.deployment.members, segments) {
            return Some(path);
        }
        // `service.api.env.X` where `env` is written in api's template.
        let [kind, label, rest @ ..] = segments else { return None };
        let head = (kind.to_string(), Some((label.to_string(), false)));
        let template = self.template_of(&head)?;
        let mut path = resolve(&template.members, rest)?;
        path.blocks.insert(0, head);
        Some(path)
    }
}

/// Every attribute path `members` spells (`service.api.memory`), as `--value` takes them.
fn spelled_paths(members: &[Member], prefix: &str, out: &mut Vec<String>) {
    for member in members {
        match member {
            Member::Attr(a) => {
                let path = format!("{prefix}{}", a.key());
                if !out.contains(&path) {
                    out.push(path);
                }
            }
            // An environment's own paths come from its block, not as `environment.NAME.…`.
            Member::Block(b) if b.kind.name == "environment" => {}
            Member::Block(b) => {
                let head = match b.label_name() {
                    Some(label) => format!("{prefix}{}.{label}.", b.kind.name),
                    None => format!("{prefix}{}.", b.kind.name),
                };
                spelled_paths(&b.members, &head, out);
            }
            _ => {}
        }
    }
}

/// The blocks of `kind` among `members`.
fn blocks_of<'a>(members: &'a [Member], kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
    members.iter().filter_map(move |m| match m {
        Member::Block(b) if b.kind.name == kind => Some(b),
        _ => None,
    })
}

/// The block of `kind` and `label` among `members`.
fn child<'a>(members: &'a [Member], kind: &str, label: Option<&str>) -> Option<&'a Block> {
    members.iter().find_map(|m| match m {
        Member::Block(b) if b.kind.name == kind && b.label_name() == label => Some(b),
        _ => None,
    })
}

/// The value of `attr` inside the blocks `path` walks from `members`.
fn find<'a>(members: &'a [Member], path: &[Step], attr: &str) -> Option<&'a Value> {
    let mut members = members;
    for (kind, label) in path {
        members = &child(members, kind, label.as_ref().map(|(l, _)| l.as_str()))?.members;
    }
    members.iter().find_map(|m| match m {
        Member::Attr(a) if a.key() == attr => Some(&a.value),
        _ => None,
    })
}

/// The path `segments` spell among `members`: an attribute (`a.b` as one dotted key when the
/// file writes it so), or a block `kind label` or `kind` and the rest inside it.
fn resolve(members: &[Member], segments: &[&str]) -> Option<Path> {
    let key = segments.join(".");
    if members.iter().any(|m| matches!(m, Member::Attr(a) if a.key() == key)) {
        return Some(Path { blocks: Vec::new(), attr: key });
    }
    let (kind, rest) = segments.split_first()?;
    if let Some((label, inner)) = rest.split_first()
        && let Some(block) = child(members, kind, Some(label))
        && let Some(mut path) = resolve(&block.members, inner)
    {
        let is_string = block.label.as_ref().is_some_and(|l| l.is_string);
        path.blocks.insert(0, (kind.to_string(), Some((label.to_string(), is_string))));
        return Some(path);
    }
    let block = child(members, kind, None)?;
    let mut path = resolve(&block.members, rest)?;
    path.blocks.insert(0, (kind.to_string(), None));
    Some(path)
}

/// The innermost block of `path` that `environment` writes, and the blocks still missing in it.
fn deepest<'a, 'p>(environment: &'a Block, path: &'p [Step]) -> (&'a Block, &'p [Step]) {
    let mut block = environment;
    for (index, (kind, label)) in path.iter().enumerate() {
        match child(&block.members, kind, label.as_ref().map(|(l, _)| l.as_str())) {
            Some(inner) => block = inner,
            None => return (block, path.get(index..).unwrap_or_default()),
        }
    }
    (block, &[])
}

/// What to add to one block: attributes, and blocks it does not have yet with what goes in them.
#[derive(Debug, Default)]
struct Pending {
    attrs: Vec<(String, String)>,
    blocks: Vec<(Step, Pending)>,
}

impl Pending {
    fn add(&mut self, path: &[Step], attr: &str, value: &str) {
        match path.split_first() {
            None => self.attrs.push((attr.to_string(), value.to_string())),
            Some((head, rest)) => {
                let index = match self.blocks.iter().position(|(h, _)| h == head) {
                    Some(index) => index,
                    None => {
                        self.blocks.push((head.clone(), Pending::default()));
                        self.blocks.len() - 1
                    }
                };
                if let Some((_, inner)) = self.blocks.get_mut(index) {
                    inner.add(rest, attr, value);
                }
            }
        }
    }

    /// The members to write, each on one line: `a = v`, `kind label { … }`.
    fn members(&self) -> Vec<String> {
        let mut out: Vec<String> = self.attrs.iter().map(|(attr, value)| format!("{attr} = {value}")).collect();
        for ((kind, label), inner) in &self.blocks {
            let head = match label {
                Some((label, true)) => format!("{kind} {} ", quote(label)),
                Some((label, false)) => format!("{kind} {label} "),
                None => format!("{kind} "),
            };
            out.push(format!("{head}{{ {} }}", inner.members().join(", ")));
        }
        out
    }
}

/// The edit that adds `members` at the end of `block`, laid out as the block is: one per line
/// in a block written across lines, after a comma in a one-line block, on lines of their own in
/// an empty one.
fn insert(text: &str, block: &Block, members: &[String]) -> Result<(usize, usize, String), String> {
    let bug = || "a block without its braces (a bug in deployc)".to_string();
    let close = block.span.end.checked_sub(1).filter(|&i| text.as_bytes().get(i) == Some(&b'}')).ok_or_else(bug)?;
    let line_start = |at: usize| text.get(..at).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
    let indent_at = |at: usize| {
        let start = line_start(at);
        text.get(start..).unwrap_or("").chars().take_while(|c| *c == ' ' || *c == '\t').collect::<String>()
    };
    let first = block.members.first().map(member_start);
    let Some(first) = first else {
        // `environment prod {}`: the braces become lines of their own.
        let open = text.get(..close).and_then(|t| t.rfind('{')).ok_or_else(bug)?;
        let indent = indent_at(block.span.start);
        let lines: String = members.iter().map(|m| format!("{indent}  {m}\n")).collect();
        return Ok((open, close + 1, format!("{{\n{lines}{indent}}}")));
    };
    let one_line = !text.get(block.span.start..close).unwrap_or("").contains('\n');
    if one_line {
        let before = text.get(..close).unwrap_or("").trim_end();
        let comma = if before.ends_with(',') || before.ends_with('{') { "" } else { "," };
        return Ok((before.len(), before.len(), format!("{comma} {}", members.join(", "))));
    }
    let indent = indent_at(first);
    let lines: String = members.iter().map(|m| format!("{indent}{m}\n")).collect();
    let start = line_start(close);
    if text.get(start..close).is_some_and(|t| t.trim().is_empty()) {
        Ok((start, start, lines))
    } else {
        // `  a = 1 }`: the closing brace shares the last member's line.
        Ok((close, close, format!("\n{}", lines.trim_end_matches('\n')) + "\n" + &indent_at(block.span.start)))
    }
}

/// Where a member starts in the text.
fn member_start(member: &Member) -> usize {
    match member {
        Member::Attr(a) => a.span.start,
        Member::Block(b) => b.span.start,
        Member::Bare(v) => v.span.start,
        Member::Allow(a) => a.span.start,
    }
}

/// A value's text as written.
fn slice<'t>(text: &'t str, value: &Value) -> Result<&'t str, String> {
    text.get(value.span.start..value.span.end).ok_or_else(|| "a value outside the file (a bug in deployc)".into())
}

/// A string literal's text, when it has no interpolation.
fn plain(value: &Value) -> Option<String> {
    match &value.kind {
        ValueKind::Str(literal) => literal.plain(),
        _ => None,
    }
}

/// An image reference's version: `:tag`, `@digest` or `:tag@digest` (`None` when it has none).
pub fn version(image: &str) -> Option<&str> {
    let repository = crate::check::model::image_repository(image);
    let rest = image.get(repository.len()..).unwrap_or("");
    (!rest.is_empty()).then_some(rest)
}

/// `text` as a string literal of the language (section 2, "Strings").
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    const FILE: &str = r#"template web {
  env { MODE = "base" }
}

deployment d {
  target k3d {}
  service api : web {
    image    = "reg.local/api:1.2.0"
    replicas = 1
  }
  service worker { image = "reg.local/worker:2.0.0" }

  environment dev {}

  environment prod {
    service api {
      image    = "cr.example.com/api:1.0.0"
      replicas = 3
    }
  }
}
"#;

    fn run(from: &str, to: &str, what: &What) -> Promotion {
        promote(FileId(0), FILE, None, from, to, what).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn an_override_is_replaced_and_an_inherited_image_gets_one() {
        let promoted = run("dev", "prod", &What::Images);
        assert!(promoted.text.contains(r#"image    = "cr.example.com/api:1.2.0""#), "{}", promoted.text);
        // worker's image is the same in both: nothing to move.
        assert_eq!(promoted.unchanged, ["service.worker.image"]);
        assert_eq!(promoted.changes.len(), 1);
        // dev inherits api's image: it gets prod's version on its own registry, in an override.
        let back = run("prod", "dev", &What::Images);
        assert!(
            back.text.contains("  environment dev {\n    service api { image = \"reg.local/api:1.0.0\" }\n  }\n"),
            "{}",
            back.text
        );
    }

    #[test]
    fn an_empty_environment_gets_lines_of_its_own() {
        let promoted = run("prod", "dev", &What::Values(vec!["service.api.replicas".into()]));
        assert!(
            promoted.text.contains("  environment dev {\n    service api { replicas = 3 }\n  }\n"),
            "{}",
            promoted.text
        );
    }

    #[test]
    fn a_value_from_a_template_is_found() {
        let promoted = promote(
            FileId(0),
            &FILE.replace("replicas = 3\n", "replicas = 3\n      env { MODE = \"prod\" }\n"),
            None,
            "prod",
            "dev",
            &What::Values(vec!["service.api.env.MODE".into()]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(promoted.changes.first().map(|c| c.before.as_str()), Some("\"base\""));
        assert!(promoted.text.contains("service api { env { MODE = \"prod\" } }"), "{}", promoted.text);
    }

    #[test]
    fn mistakes_are_refused() {
        for (from, to, what, message) in [
            ("dev", "qa", What::Images, "no environment named `qa`; the deployment declares dev, prod"),
            ("dev", "dev", What::Images, "`--from` and `--to` both name `dev`"),
            ("dev", "prod", What::Values(vec!["service.api.cpu".into()]), "`service.api.cpu` names nothing"),
        ] {
            let error =
                promote(FileId(0), FILE, None, from, to, &what).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.starts_with(message), "{error}");
        }
        let untagged = FILE.replace("reg.local/api:1.2.0", "reg.local/api");
        let error = promote(FileId(0), &untagged, None, "dev", "prod", &What::Images).err();
        assert_eq!(error, Some(Refusal::Input("dev's image `reg.local/api` has no tag or digest to promote".into())));
    }

    #[test]
    fn versions_keep_tag_and_digest() {
        assert_eq!(version("localhost:5000/a/b:1.0@sha256:ab"), Some(":1.0@sha256:ab"));
        assert_eq!(version("a@sha256:ab"), Some("@sha256:ab"));
        assert_eq!(version("localhost:5000/a"), None);
        assert_eq!(quote("a\"b${c}$d"), r#""a\"b\${c}$d""#);
    }
}
