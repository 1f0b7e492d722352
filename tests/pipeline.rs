//! The GitHub Actions workflows of `pipeline github { … }`: every golden's workflow passes
//! actionlint (which runs shellcheck on each `run:` script) and GitHub's workflow schema
//! (check-jsonschema's `vendor.github-workflows`), both installed at pinned versions by
//! `tools/install-clients.sh`; and `deployc build` writes the workflow at the repository's
//! root, never over a file it did not write, while `deployc diff --check` gates it like the
//! rest of the output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Every `.github/workflows/*.yml` of every golden.
fn golden_workflows() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut goldens: Vec<PathBuf> =
        fs::read_dir("golden").expect("golden/").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    goldens.sort();
    for golden in goldens {
        let Ok(entries) = fs::read_dir(golden.join(".github/workflows")) else { continue };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        found.extend(files);
    }
    found
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// actionlint and check-jsonschema on `file`: whether both passed, and what they said.
fn lint(file: &Path) -> (bool, String) {
    let bin = deployc::testing::workflow_linters();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let actionlint = Command::new(bin.join("actionlint"))
        .arg("-no-color")
        .arg(file)
        .env("PATH", &path)
        .output()
        .expect("actionlint runs");
    let schema = Command::new(bin.join("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(file)
        .env("PATH", &path)
        .output()
        .expect("check-jsonschema runs");
    (actionlint.status.success() && schema.status.success(), format!("{}{}", text(&actionlint), text(&schema)))
}

#[test]
fn every_golden_workflow_passes_actionlint_and_the_workflow_schema() {
    let workflows = golden_workflows();
    assert!(!workflows.is_empty(), "no golden has a workflow: the examples lost their pipelines");
    let failures: Vec<String> = workflows
        .iter()
        .filter_map(|file| {
            let (ok, said) = lint(file);
            (!ok).then(|| format!("{}:\n{said}", file.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The linters are real: each rejects what it should (so a broken install cannot pass the
/// goldens silently).
#[test]
fn the_linters_reject_a_broken_workflow() {
    let workflow = golden_workflows().into_iter().next().expect("a golden workflow");
    let good = fs::read_to_string(&workflow).expect("readable");
    let dir = std::env::temp_dir().join(format!("deployc-lint-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let broken = [
        // shellcheck, through actionlint: an unquoted expansion.
        ("deployc fmt --check \"$DEPLOY_FILE\"", "deployc fmt --check $DEPLOY_FILE"),
        // actionlint: an expression on an input that is not declared.
        ("timeout-minutes: 30", "timeout-minutes: ${{ inputs.nothing }}"),
        // the schema: a job without `runs-on`.
        ("    runs-on: ubuntu-24.04\n    timeout-minutes: 30\n", "    timeout-minutes: 30\n"),
    ];
    for (from, to) in broken {
        assert!(good.contains(from), "{} has no `{from}`", workflow.display());
        let file = dir.join("broken.yml");
        fs::write(&file, good.replacen(from, to, 1)).expect("write");
        let (ok, said) = lint(&file);
        assert!(!ok, "`{to}` passed:\n{said}");
    }
    let _ = fs::remove_dir_all(&dir);
}

/// A repository with the todo example in `deploy/todo`, as its pipeline says.
struct Repository {
    root: PathBuf,
}

impl Repository {
    fn new(tag: &str) -> Repository {
        let root = std::env::temp_dir().join(format!("deployc-pipeline-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join(".git")).expect("a .git");
        fs::create_dir_all(root.join("deploy/todo")).expect("deploy/todo");
        for name in ["todo-app-doks.deploy", "todo-app-doks.deploy.lock"] {
            fs::copy(format!("examples/{name}"), root.join("deploy/todo").join(name)).expect("copy the example");
        }
        Repository { root }
    }

    fn deployc(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_deployc")).args(args).current_dir(&self.root).output().expect("deployc runs")
    }

    fn build(&self) -> Output {
        self.deployc(&["build", "deploy/todo/todo-app-doks.deploy", "-o", "deploy/todo/out"])
    }

    fn diff(&self) -> Output {
        self.deployc(&["diff", "deploy/todo/todo-app-doks.deploy", "deploy/todo/out", "--check"])
    }

    fn workflow(&self) -> PathBuf {
        self.root.join(".github/workflows/deployc-todo-app-prod.yml")
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

#[test]
fn build_writes_the_workflow_at_the_root_and_diff_gates_it() {
    let repository = Repository::new("gate");
    let built = repository.build();
    assert!(built.status.success(), "{}", text(&built));
    let workflow = fs::read_to_string(repository.workflow()).expect("the workflow at the repository's root");
    let golden =
        fs::read_to_string("golden/todo-app-doks/.github/workflows/deployc-todo-app-prod.yml").expect("golden");
    assert_eq!(workflow, golden, "the CLI writes what the golden holds");
    assert!(!repository.root.join("deploy/todo/out/.github").exists(), "the workflow is not in the output");
    let diff = repository.diff();
    assert!(diff.status.success(), "a fresh build has no drift:\n{}", text(&diff));

    // A hand edit of the workflow is drift, as an edit of a manifest is.
    fs::write(repository.workflow(), workflow.replace("timeout-minutes: 30", "timeout-minutes: 31")).expect("edit");
    let drift = repository.diff();
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift));
    assert!(text(&drift).contains("deployc-todo-app-prod.yml"), "{}", text(&drift));
    let rebuilt = repository.build();
    assert!(rebuilt.status.success(), "{}", text(&rebuilt));
    assert_eq!(fs::read_to_string(repository.workflow()).expect("workflow"), golden, "build restores it");
}

#[test]
fn build_never_replaces_a_workflow_it_did_not_write() {
    let repository = Repository::new("foreign");
    fs::create_dir_all(repository.workflow().parent().expect("parent")).expect("workflows dir");
    fs::write(repository.workflow(), "name: ours\n").expect("a workflow of the user's");
    let built = repository.build();
    assert_eq!(built.status.code(), Some(2), "{}", text(&built));
    assert!(text(&built).contains("was not written by deployc"), "{}", text(&built));
    assert_eq!(fs::read_to_string(repository.workflow()).expect("kept"), "name: ours\n");
}

#[test]
fn build_refuses_paths_that_do_not_match_the_pipeline() {
    // The output somewhere else than the pipeline's `output`.
    let repository = Repository::new("elsewhere");
    let built = repository.deployc(&["build", "deploy/todo/todo-app-doks.deploy", "-o", "deploy/todo/build"]);
    assert_eq!(built.status.code(), Some(2), "{}", text(&built));
    assert!(text(&built).contains("the pipeline builds into `out`"), "{}", text(&built));
    assert!(!repository.workflow().exists(), "nothing written");

    // No repository where `directory` says the root is.
    let repository = Repository::new("no-git");
    fs::remove_dir_all(repository.root.join(".git")).expect("remove .git");
    let built = repository.build();
    assert_eq!(built.status.code(), Some(2), "{}", text(&built));
    assert!(text(&built).contains("holds no .git"), "{}", text(&built));

    // The file is not in the directory the pipeline names.
    let repository = Repository::new("moved");
    fs::create_dir_all(repository.root.join("ops")).expect("ops");
    fs::rename(
        repository.root.join("deploy/todo/todo-app-doks.deploy"),
        repository.root.join("ops/todo-app-doks.deploy"),
    )
    .expect("move");
    let built = repository.deployc(&["build", "ops/todo-app-doks.deploy", "-o", "ops/out"]);
    assert_eq!(built.status.code(), Some(2), "{}", text(&built));
    assert!(text(&built).contains("is in `deploy/todo` of its repository"), "{}", text(&built));
}

/// The release job logs in to each cloud's registry the way docker/login-action's README
/// documents it (ECR with an IAM user's key, Artifact Registry with a service account's key),
/// and the workflow still passes both linters.
#[test]
fn each_clouds_registry_gets_its_documented_login() {
    let pin = r#"deployc = git("https://github.com/acme/deployc", rev = "0123456789abcdef0123456789abcdef01234567")"#;
    let cases = [
        (
            "eks",
            r#"target eks {
    region  = us-east-1
    version = "1.35"
    pool default { size = "t3.medium", count = 2 }
  }
  registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop""#,
            ["registry: \"123456789012.dkr.ecr.us-east-1.amazonaws.com\"", "username: ${{ vars.AWS_ACCESS_KEY_ID }}"],
        ),
        (
            "gke",
            r#"target gke {
    region  = us-central1
    version = "1.35"
    project = "shop-prod"
    zones   = [us-central1-a, us-central1-b]
    pool default { size = e2-standard-2, count = 2 }
  }
  registry = "us-central1-docker.pkg.dev/shop-prod/shop""#,
            ["registry: \"us-central1-docker.pkg.dev\"", "password: ${{ secrets.GAR_JSON_KEY }}"],
        ),
    ];
    let dir = std::env::temp_dir().join(format!("deployc-registries-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    for (name, target, expected) in cases {
        let text = format!(
            "deployment shop {{\n  {target}\n  service api {{\n    image = \"api:1.0.0\"\n    build = \"./api\"\n    port  = 8000\n  }}\n  pipeline github {{\n    {pin}\n  }}\n}}\n"
        );
        let compiled = deployc::testing::compile_text(&format!("{name}.deploy"), &text);
        let tree = compiled.output.unwrap_or_else(|| panic!("{name} must compile:\n{}", compiled.rendered));
        let workflow = tree.get(".github/workflows/deployc-shop.yml").unwrap_or_else(|| panic!("{name}: no workflow"));
        for line in expected {
            assert!(workflow.contains(line), "{name}: no `{line}` in\n{workflow}");
        }
        assert!(!workflow.contains("REGISTRY_USERNAME"), "{name}: the generic login was used");
        let file = dir.join(format!("{name}.yml"));
        fs::write(&file, workflow).expect("write");
        let (ok, said) = lint(&file);
        assert!(ok, "{name}:\n{said}");
    }
    let _ = fs::remove_dir_all(&dir);
}
