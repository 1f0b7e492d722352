//! `deployc diff`: what a build would change in an output directory.
//!
//! Input: the tree on disk (read by the caller) and the tree compiled in memory. Output: the
//! files added, removed and changed, the Kubernetes resources (by kind, namespace and name,
//! read from the YAML documents) added, removed and changed, and a unified diff of every file
//! (`similar`), optionally with terminal colours.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::output::OutputTree;

/// How a file differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// One file that differs: its path in the tree and both texts (empty when absent).
#[derive(Debug, Clone)]
pub struct FileDiff {
    pub path: String,
    pub change: Change,
    pub old: String,
    pub new: String,
}

/// A Kubernetes object's identity: its kind, namespace and name, and the environment whose
/// directory holds it (two environments on two clusters hold objects of the same name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resource {
    /// `staging` for a file under `environments/staging/`.
    pub environment: Option<String>,
    pub kind: String,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(environment) = &self.environment {
            write!(f, "{environment}: ")?;
        }
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Everything that differs between two trees.
#[derive(Debug, Clone, Default)]
pub struct TreeDiff {
    pub files: Vec<FileDiff>,
    pub unchanged_files: usize,
    pub resources: Vec<(Change, Resource)>,
}

impl TreeDiff {
    /// No file differs.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    fn count(&self, change: Change) -> usize {
        self.files.iter().filter(|f| f.change == change).count()
    }

    fn count_resources(&self, change: Change) -> usize {
        self.resources.iter().filter(|(c, _)| *c == change).count()
    }
}

/// Compare the tree on disk (`old`) with the compiled tree (`new`).
pub fn diff(old: &OutputTree, new: &OutputTree) -> TreeDiff {
    let mut result = TreeDiff::default();
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for path in paths {
        let (before, after) = (old.get(path), new.get(path));
        let change = match (before, after) {
            (Some(a), Some(b)) if a == b => {
                result.unchanged_files += 1;
                continue;
            }
            (Some(_), Some(_)) => Change::Changed,
            (None, _) => Change::Added,
            (_, None) => Change::Removed,
        };
        result.files.push(FileDiff {
            path: path.clone(),
            change,
            old: before.cloned().unwrap_or_default(),
            new: after.cloned().unwrap_or_default(),
        });
    }
    let (before, after) = (resources(old), resources(new));
    for (key, document) in &after {
        match before.get(key) {
            None => result.resources.push((Change::Added, key.clone())),
            Some(old_document) if old_document != document => result.resources.push((Change::Changed, key.clone())),
            Some(_) => {}
        }
    }
    for key in before.keys().filter(|key| !after.contains_key(*key)) {
        result.resources.push((Change::Removed, key.clone()));
    }
    result.resources.sort_by(|a, b| (rank(a.0), &a.1).cmp(&(rank(b.0), &b.1)));
    result
}

fn rank(change: Change) -> u8 {
    match change {
        Change::Added => 0,
        Change::Changed => 1,
        Change::Removed => 2,
    }
}

/// Every Kubernetes object in the YAML files of a tree, by identity. Documents without a kind
/// and a `metadata.name` (such as `kustomization.yaml`) and documents that do not parse are
/// left out: the file diff still shows them.
fn resources(tree: &OutputTree) -> BTreeMap<Resource, serde_yaml::Value> {
    let mut out = BTreeMap::new();
    for (path, text) in tree {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        for document in serde_yaml::Deserializer::from_str(text) {
            let Ok(value) = serde_yaml::Value::deserialize(document) else { continue };
            let field =
                |value: &serde_yaml::Value, key: &str| value.get(key).and_then(|v| v.as_str()).map(String::from);
            let metadata = value.get("metadata");
            let (Some(kind), Some(name)) = (field(&value, "kind"), metadata.and_then(|m| field(m, "name"))) else {
                continue;
            };
            let namespace = metadata.and_then(|m| field(m, "namespace"));
            let environment =
                path.strip_prefix("environments/").and_then(|rest| rest.split_once('/')).map(|(e, _)| e.to_string());
            out.insert(Resource { environment, kind, namespace, name }, value);
        }
    }
    out
}

/// How to show a diff.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// ANSI colours (for a terminal).
    pub colour: bool,
    /// The directory as the user named it, prefixed to paths in headers.
    pub dir: String,
    /// The source file, named in the header of the compiled side.
    pub source: String,
}

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The summary (files, then resources), then a unified diff of every file that differs.
pub fn render(diff: &TreeDiff, options: &RenderOptions) -> String {
    let paint = |colour: &str, text: &str| {
        if options.colour { format!("{colour}{text}{RESET}") } else { text.to_string() }
    };
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = String::new();
    let dir = options.dir.trim_end_matches('/');
    out.push_str(&paint(
        BOLD,
        &format!(
            "{dir}: {} changed, {} added, {} removed, {} unchanged",
            plural(diff.count(Change::Changed), "file"),
            diff.count(Change::Added),
            diff.count(Change::Removed),
            diff.unchanged_files
        ),
    ));
    out.push('\n');
    out.push_str(&format!(
        "resources: {} added, {} changed, {} removed\n",
        diff.count_resources(Change::Added),
        diff.count_resources(Change::Changed),
        diff.count_resources(Change::Removed)
    ));
    for (change, resource) in &diff.resources {
        let (sign, colour) = match change {
            Change::Added => ("+", GREEN),
            Change::Changed => ("~", YELLOW),
            Change::Removed => ("-", RED),
        };
        out.push_str(&format!("  {} {resource}\n", paint(colour, sign)));
    }
    for file in &diff.files {
        out.push('\n');
        let on_disk = format!("{dir}/{}", file.path);
        let compiled = format!("{on_disk} (compiled from {})", options.source);
        let (old_name, new_name) = match file.change {
            Change::Added => ("/dev/null".to_string(), compiled),
            Change::Removed => (on_disk, "/dev/null".to_string()),
            Change::Changed => (on_disk, compiled),
        };
        out.push_str(&unified(&file.old, &file.new, &old_name, &new_name, options.colour));
    }
    out
}

/// A unified diff of two texts with three lines of context, in colour when `colour`.
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str, colour: bool) -> String {
    let paint = |code: &str, text: &str| if colour { format!("{code}{text}{RESET}") } else { text.to_string() };
    let text_diff = similar::TextDiff::from_lines(old, new);
    let mut out = String::new();
    for line in text_diff.unified_diff().context_radius(3).header(old_name, new_name).to_string().lines() {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            Some(BOLD)
        } else if line.starts_with("@@") {
            Some(CYAN)
        } else if line.starts_with('+') {
            Some(GREEN)
        } else if line.starts_with('-') {
            Some(RED)
        } else {
            None
        };
        match code {
            Some(code) => out.push_str(&paint(code, line)),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> OutputTree {
        files.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn files_and_resources_are_classified() {
        let old = tree(&[
            ("a.yaml", "kind: Service\nmetadata:\n  name: a\n  namespace: n\nspec: 1\n"),
            ("b.yaml", "kind: Namespace\nmetadata:\n  name: n\n"),
            ("same.txt", "x\n"),
        ]);
        let new = tree(&[
            (
                "a.yaml",
                "kind: Service\nmetadata:\n  name: a\n  namespace: n\nspec: 2\n---\nkind: Ingress\nmetadata:\n  name: a\n  namespace: n\n",
            ),
            ("c.yaml", "apiVersion: v1\nkind: Kustomization\n"),
            ("same.txt", "x\n"),
        ]);
        let result = diff(&old, &new);
        let changes: Vec<(Change, String)> = result.files.iter().map(|f| (f.change, f.path.clone())).collect();
        assert_eq!(
            changes,
            vec![
                (Change::Changed, "a.yaml".into()),
                (Change::Removed, "b.yaml".into()),
                (Change::Added, "c.yaml".into())
            ]
        );
        let resources: Vec<String> = result.resources.iter().map(|(c, r)| format!("{c:?} {r}")).collect();
        assert_eq!(resources, vec!["Added Ingress n/a", "Changed Service n/a", "Removed Namespace n"]);
        assert_eq!(result.unchanged_files, 1);
        let text = render(&result, &RenderOptions { colour: false, dir: "out/".into(), source: "app.deploy".into() });
        assert!(text.starts_with("out: 1 file changed, 1 added, 1 removed, 1 unchanged\n"), "{text}");
        assert!(text.contains("+++ out/c.yaml (compiled from app.deploy)"), "{text}");
        assert!(!text.contains('\x1b'));
    }
}
