//! `deployc build -o DIR` never deletes what deployc did not write (issue #17, findings 1, 3
//! and 4): an output directory that holds the input or the working directory, a file, or a
//! directory with files deployc does not write is refused with nothing touched (`--force`
//! overrides only the last); builds of one directory run one at a time, so concurrent builds
//! never mix; and what a build killed in its swap left behind is recovered by the next one.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use deployc::testing::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_deployc");
const EXAMPLE: &str = "examples/task-api-k3d.deploy";
const OTHER: &str = "examples/humor-game-k3d.deploy";

fn build(cwd: &Path, input: &str, output: &str, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["build", input, "-o", output])
        .args(extra)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
        .env("NO_COLOR", "1")
        .output()
        .expect("deployc runs")
}

fn example_text(path: &str) -> String {
    fs::read_to_string(path).expect("example")
}

/// A project directory: the input, a source tree and a git directory.
fn project(dir: &Path) {
    fs::create_dir_all(dir.join("src")).expect("src");
    fs::create_dir_all(dir.join(".git")).expect(".git");
    fs::write(dir.join("src/main.rs"), "fn main() {}\n").expect("src file");
    fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").expect("git file");
    fs::write(dir.join("app.deploy"), example_text(EXAMPLE)).expect("input");
}

fn intact(dir: &Path) -> bool {
    dir.join("src/main.rs").is_file() && dir.join(".git/HEAD").is_file() && dir.join("app.deploy").is_file()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn output_directories_that_are_not_deploycs_to_replace_are_refused() {
    let temp = TempDir::new("output-safety-refused");
    let root = Path::new(temp.path());
    let proj = root.join("proj");
    project(&proj);
    fs::create_dir_all(root.join("elsewhere")).expect("elsewhere");
    let cwd_path = proj.to_string_lossy().to_string();
    // (run from, output, what the message says)
    let cases: [(&Path, &str, &str); 6] = [
        (&proj, &cwd_path, "holds the input file"),
        (&proj, ".", "holds the input file"),
        (&proj, "src", "holds files deployc does not write"),
        (&proj, "app.deploy", "is not a directory"),
        (&root.join("elsewhere"), &cwd_path, "holds the input file"),
        (&proj, "..", "holds the input file"),
    ];
    for (cwd, output, message) in cases {
        let input = proj.join("app.deploy").to_string_lossy().to_string();
        let result = build(cwd, &input, output, &[]);
        assert_eq!(result.status.code(), Some(2), "-o {output} from {}: {}", cwd.display(), stderr(&result));
        assert!(stderr(&result).contains(message), "-o {output}: {}", stderr(&result));
        assert!(intact(&proj), "-o {output} from {} touched the project", cwd.display());
        assert_eq!(fs::read_to_string(proj.join("app.deploy")).ok(), Some(example_text(EXAMPLE)));
    }
    // The working directory inside the output (run from src/, -o the project): refused even
    // with --force, which only overrides foreign files.
    let result = build(&proj.join("src"), "../app.deploy", &cwd_path, &["--force"]);
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert!(intact(&proj));
}

#[test]
fn force_replaces_a_directory_with_foreign_files_and_an_own_output_is_replaced_as_before() {
    let temp = TempDir::new("output-safety-force");
    let root = Path::new(temp.path());
    let input = Path::new(EXAMPLE).canonicalize().expect("example");
    let input = input.to_string_lossy();
    assert!(build(root, &input, "out", &[]).status.success());
    fs::create_dir_all(root.join("out/.deployc-state")).expect("state");
    fs::write(root.join("out/.deployc-state/kubeconfig"), "k").expect("state file");
    let again = build(root, &input, "out", &[]);
    assert!(again.status.success(), "an own output must be replaced: {}", stderr(&again));
    assert!(root.join("out/.deployc-state/kubeconfig").is_file(), "the scripts' state must be kept");
    fs::write(root.join("out/manifests/mine.txt"), "user file").expect("foreign");
    let refused = build(root, &input, "out", &[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("manifests/mine.txt"), "{}", stderr(&refused));
    assert!(root.join("out/manifests/mine.txt").is_file());
    let forced = build(root, &input, "out", &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(!root.join("out/manifests/mine.txt").exists());
}

#[test]
fn concurrent_builds_of_one_directory_never_mix() {
    let temp = TempDir::new("output-safety-concurrent");
    let root = Path::new(temp.path());
    let inputs = [EXAMPLE, OTHER].map(|p| Path::new(p).canonicalize().expect("example").to_string_lossy().to_string());
    // The two possible outputs, each built alone.
    let expected: Vec<_> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let dir = format!("alone-{i}");
            assert!(build(root, input, &dir, &[]).status.success());
            deployc::output::read_tree(&root.join(dir)).expect("read")
        })
        .collect();
    for round in 0..6 {
        let children: Vec<_> = (0..6)
            .map(|i| {
                Command::new(BIN)
                    .args(["build", &inputs[i % 2], "-o", "shared"])
                    .current_dir(root)
                    .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for mut child in children {
            assert!(child.wait().expect("wait").success(), "a concurrent build failed in round {round}");
        }
        let tree = deployc::output::read_tree(&root.join("shared")).expect("read");
        assert!(expected.contains(&tree), "round {round}: the output is a mix of two builds");
    }
    let stray: Vec<_> = fs::read_dir(root)
        .expect("root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("deployc-"))
        .collect();
    assert!(stray.is_empty(), "staging or backup directories left behind: {stray:?}");
}

#[test]
fn a_build_killed_between_its_renames_is_recovered_by_the_next() {
    let temp = TempDir::new("output-safety-recover");
    let root = Path::new(temp.path());
    let input = Path::new(EXAMPLE).canonicalize().expect("example");
    let input = input.to_string_lossy();
    assert!(build(root, &input, "out", &[]).status.success());
    fs::create_dir_all(root.join("out/.deployc-state")).expect("state");
    fs::write(root.join("out/.deployc-state/kubeconfig"), "k").expect("state file");
    // Killed after `out` went to its backup and the state to the staging directory, before the
    // staging directory became `out`.
    fs::create_dir_all(root.join(".out.deployc-tmp-4242")).expect("staging");
    fs::rename(root.join("out/.deployc-state"), root.join(".out.deployc-tmp-4242/.deployc-state"))
        .expect("state moved");
    fs::rename(root.join("out"), root.join(".out.deployc-old-4242")).expect("backup");
    let result = build(root, &input, "out", &[]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_eq!(fs::read_to_string(root.join("out/.deployc-state/kubeconfig")).ok().as_deref(), Some("k"));
    assert!(!root.join(".out.deployc-tmp-4242").exists() && !root.join(".out.deployc-old-4242").exists());
}

#[path = "../benches/support/generate.rs"]
mod generate;

/// Interrupted while it writes (SIGINT, then SIGTERM), a build leaves no staging directory and
/// the previous output as it was.
#[test]
fn an_interrupted_build_leaves_no_staging_and_the_old_output() {
    let temp = TempDir::new("interrupted");
    let root = Path::new(temp.path());
    fs::write(root.join("big.deploy"), generate::generate(20_000)).expect("input");
    fs::write(root.join("small.deploy"), example_text(EXAMPLE)).expect("input");
    let first = build(root, "small.deploy", "out", &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let before = fs::read_to_string(root.join("out/RUNBOOK.md")).expect("runbook");
    for signal in ["-INT", "-TERM"] {
        let mut child = Command::new(BIN)
            .args(["build", "big.deploy", "-o", "out"])
            .current_dir(root)
            .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("deployc runs");
        // Wait until the build is writing its staging directory, then interrupt it.
        let staging = |root: &Path| {
            fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".out.deployc-tmp-"))
        };
        let started = std::time::Instant::now();
        while !staging(root) && started.elapsed() < std::time::Duration::from_secs(60) {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let interrupted = child.try_wait().expect("wait").is_none();
        let _ = Command::new("kill").args([signal, &child.id().to_string()]).status();
        let status = child.wait().expect("wait");
        if interrupted && !status.success() {
            assert_eq!(status.code(), Some(130), "{signal}: the handler exits 130");
            assert!(!staging(root), "{signal}: a staging directory was left behind");
            let after = fs::read_to_string(root.join("out/RUNBOOK.md")).expect("the old output is whole");
            assert_eq!(after, before, "{signal}: the old output changed");
        } else {
            // The build finished first (a fast machine): its output must then be whole.
            assert!(root.join("out/RUNBOOK.md").exists() && !staging(root), "{signal}");
        }
    }
}

/// A build whose new output is in place has succeeded, even when the old output cannot be
/// removed afterwards (here a file in it is immutable, `chattr +i`): it used to report failure
/// after replacing the output. Skipped where `chattr` cannot set the flag (not root, or a file
/// system without it).
#[test]
fn a_build_that_replaced_the_output_reports_success() {
    let temp = TempDir::new("replaced");
    let root = Path::new(temp.path());
    fs::write(root.join("app.deploy"), example_text(EXAMPLE)).expect("input");
    let first = build(root, "app.deploy", "out", &[]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stuck = root.join("out/manifests/zz-old.yaml");
    fs::write(&stuck, "# an old file\n").expect("old file");
    let set = Command::new("chattr").arg("+i").arg(&stuck).output();
    if !set.as_ref().is_ok_and(|o| o.status.success()) {
        let _ = fs::remove_file(&stuck);
        eprintln!("skipped: chattr +i is not available here");
        return;
    }
    let second = build(root, "app.deploy", "out", &[]);
    let backups: Vec<_> = fs::read_dir(root)
        .expect("root")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".deployc-old-"))
        .map(|e| e.path())
        .collect();
    for backup in &backups {
        let _ = Command::new("chattr").arg("-i").arg(backup.join("manifests/zz-old.yaml")).status();
    }
    let _ = Command::new("chattr").arg("-i").arg(&stuck).status();
    assert!(second.status.success(), "the output was replaced, yet: {}", String::from_utf8_lossy(&second.stderr));
    assert!(!stuck.exists(), "the new output is not in place");
    assert!(root.join("out/RUNBOOK.md").exists());
}
