//! The `pipeline` block: the CI workflow deployc writes (issue 19; notes/pipeline-design.md).

use super::*;

pub(super) const PIPELINE: Schema<'static> = Schema {
    what: "pipeline",
    attrs: &["directory", "output", "branch", "release", "scan", "deployc"],
    blocks: &[],
    bare: false,
};

/// The CI systems a pipeline can be written for.
const KINDS: &[&str] = &["github"];

/// `scan = …`: the lowest severity that fails the image scan, and the severities trivy is
/// asked for (trivy's `--severity` takes a comma-separated list of these names).
const SCAN: &[(&str, &str)] = &[
    ("critical", "CRITICAL"),
    ("high", "CRITICAL,HIGH"),
    ("medium", "CRITICAL,HIGH,MEDIUM"),
    ("low", "CRITICAL,HIGH,MEDIUM,LOW"),
];

pub(super) fn read_pipeline(cx: &mut Cx, block: &Block) -> Option<Pipeline> {
    let kind = block.label_name().map(String::from);
    match kind.as_deref() {
        Some(kind) if KINDS.contains(&kind) => {}
        Some(kind) => {
            let near = cx.did_you_mean(kind, KINDS.iter().copied());
            cx.error(
                Diagnostic::new(codes::E0203, format!("unknown pipeline `{kind}`"))
                    .at(block.label.as_ref().map_or(block.kind.span, |l| l.span), "not a CI system deployc writes for")
                    .help(match near {
                        Some(n) => format!(
                            "did you mean `{n}`? deployc writes GitHub Actions workflows: `pipeline github {{ … }}`"
                        ),
                        None => "deployc writes GitHub Actions workflows: `pipeline github { … }`".to_string(),
                    }),
            );
            return None;
        }
        None => {
            cx.error(
                Diagnostic::new(codes::E0206, "this pipeline names no CI system")
                    .at(block.kind.span, "needs a name")
                    .help("write `pipeline github { deployc = git(\"https://github.com/…/deployc\", rev = \"…\") }`"),
            );
            return None;
        }
    }
    let r = Reader::new(cx, block, None, &PIPELINE, "pipeline");
    let directory = match r.get("directory").and_then(|v| cx.string(v, "directory")) {
        Some(d) => relative_path(cx, &d, "directory").then(|| d.value.trim_end_matches('/').to_string()),
        None => Some(String::new()),
    };
    let output = match r.get("output").and_then(|v| cx.string(v, "output")) {
        Some(o) => {
            relative_path(cx, &o, "output").then(|| Spanned::new(o.value.trim_end_matches('/').to_string(), o.span))
        }
        None => Some(Spanned::new("out".to_string(), block.head_span())),
    };
    let branch = match r.get("branch").and_then(|v| cx.string(v, "branch")) {
        Some(b) => branch_name(cx, &b).then_some(b),
        None => Some(Spanned::new("main".to_string(), block.head_span())),
    };
    let release = match r.get("release").and_then(|v| cx.word(v, "release", &["pull_request", "commit"])) {
        Some(w) if w.value == "commit" => Release::Commit,
        _ => Release::PullRequest,
    };
    let words: Vec<&str> = SCAN.iter().map(|(w, _)| *w).collect();
    let scan = r
        .get("scan")
        .and_then(|v| cx.word(v, "scan", &words))
        .and_then(|w| SCAN.iter().find(|(word, _)| *word == w.value))
        .map_or("CRITICAL,HIGH", |(_, list)| list)
        .to_string();
    let deployc = match r.get("deployc") {
        Some(value) => deployc_source(cx, value),
        None => {
            cx.error(
                Diagnostic::new(codes::E0302, "the pipeline does not say where CI installs deployc from")
                    .at(block.head_span(), "needs `deployc = git(…)`")
                    .help("add `deployc = git(\"https://github.com/OWNER/deployc\", rev = \"COMMIT\")`: the full commit, so every run installs the same compiler that built the output"),
            );
            None
        }
    };
    let (directory, output, branch, (deployc_git, deployc_rev)) = (directory?, output?, branch?, deployc?);
    Some(Pipeline { span: block.head_span(), directory, output, branch, release, scan, deployc_git, deployc_rev })
}

/// A path inside the repository, written the way GitHub's `paths` filters and `git` take it:
/// relative, `/`-separated, no `.` or `..` parts, and characters that need no quoting in a
/// glob or in YAML (E0360).
fn relative_path(cx: &mut Cx, path: &Spanned<String>, what: &str) -> bool {
    let trimmed = path.value.trim_end_matches('/');
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    let problem = if trimmed.is_empty() {
        Some("an empty path")
    } else if trimmed.starts_with('/') {
        Some("an absolute path")
    } else if !trimmed.chars().all(safe) {
        Some("a character other than letters, digits, `-`, `_`, `.` and `/`")
    } else if trimmed.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        Some("an empty, `.` or `..` part")
    } else {
        None
    };
    let Some(problem) = problem else { return true };
    let help = if what == "directory" {
        "write the `.deploy` file's directory relative to the repository's root, such as `\"deploy/todo\"`; leave `directory` out when the file is at the root"
    } else {
        "write the output directory relative to the `.deploy` file's directory, such as `\"out\"`"
    };
    cx.error(
        Diagnostic::new(codes::E0360, format!("`{what}` is not a path inside the repository"))
            .at(path.span, problem)
            .help(help),
    );
    false
}

/// A branch name `git check-ref-format --branch` accepts, restricted to characters that need
/// no quoting in YAML or a shell (E0362).
fn branch_name(cx: &mut Cx, branch: &Spanned<String>) -> bool {
    let name = branch.value.as_str();
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./".contains(c);
    let ok = !name.is_empty()
        && name.chars().all(safe)
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.split('/').any(|part| part.starts_with('.'));
    if !ok {
        cx.error(
            Diagnostic::new(codes::E0362, format!("`{name}` is not a branch name"))
                .at(branch.span, "git does not accept this branch name")
                .help("write the branch that releases, such as `\"main\"`: letters, digits, `-`, `_`, `.` and `/`, not starting with `-` or `.`, with no `..`"),
        );
    }
    ok
}

/// `deployc = git("https://…", rev = "<40 hex digits>")` (E0361 when not pinned).
fn deployc_source(cx: &mut Cx, value: &Value) -> Option<(String, String)> {
    let usage = "deployc = git(\"https://github.com/OWNER/deployc\", rev = \"COMMIT\")";
    let call = call_of(cx, value, "deployc", &["git"], "git(\"https://github.com/OWNER/deployc\", rev = \"…\")")?;
    if !arity(cx, call, value.span, 1, &["rev"], usage) {
        return None;
    }
    let url = call.args.first().and_then(|v| cx.string(v, "git"))?;
    let host_and_path = url.value.strip_prefix("https://").unwrap_or_default();
    let url_ok = !host_and_path.is_empty()
        && host_and_path.contains('/')
        && host_and_path.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c));
    if !url_ok {
        cx.error(
            Diagnostic::new(codes::E0361, format!("`{}` is not a repository CI can install deployc from", url.value))
                .at(url.span, "not an https:// git URL")
                .help("write the https URL of the repository that holds deployc, such as `\"https://github.com/acme/deployc\"`"),
        );
    }
    let Some(rev) = named(call, "rev") else {
        cx.error(
            Diagnostic::new(codes::E0361, "deployc is installed from a git repository without a commit")
                .at(value.span, "needs `rev = \"…\"`")
                .help("add `rev = \"COMMIT\"` with the full 40-character commit, so every run installs the same deployc; a branch or tag can move"),
        );
        return None;
    };
    let rev = cx.string(rev, "rev")?;
    let rev_ok = rev.value.len() == 40 && rev.value.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
    if !rev_ok {
        cx.error(
            Diagnostic::new(codes::E0361, format!("`{}` is not a full commit", rev.value))
                .at(rev.span, "not 40 lowercase hexadecimal digits")
                .help("write the full commit (`git rev-parse HEAD` in deployc's repository): a branch, a tag or a short commit can name another compiler tomorrow"),
        );
    }
    (url_ok && rev_ok).then(|| (url.value.clone(), rev.value.clone()))
}
