//! The `deployc` binary: `diff` against a drifted copy of a golden directory, `init` for every
//! provider, `fmt --check`, `explain --format json`, `--format json|sarif`, completions, the
//! man page, `--help` examples and exit codes (0 ok, 1 errors in the input, 2 usage or I/O).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deployc::diagnostics::codes::CODES;
use deployc::testing::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_deployc");

fn run(args: &[&str]) -> Output {
    run_in(Path::new("."), args)
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run deployc: {e}"))
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Copy a golden directory's output files (not its `diagnostics.txt`); the number copied.
fn copy_tree(from: &Path, to: &Path) -> usize {
    let tree = deployc::output::read_tree(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    let mut copied = 0;
    for (relative, text) in tree {
        if relative == "diagnostics.txt" {
            continue;
        }
        copied += 1;
        let path = to.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    copied
}

#[test]
fn diff_check_passes_on_a_golden_copy_and_fails_on_drift() {
    let temp = TempDir::new("diff");
    let out = temp.0.join("out");
    let files = copy_tree(Path::new("golden/task-api-doks"), &out);
    let source = "examples/task-api-doks.deploy";
    let clean = run(&["diff", source, temp.0.join("out").to_str().expect("utf-8"), "--check"]);
    assert_eq!(code(&clean), 0, "a golden copy drifted:\n{}{}", stdout(&clean), stderr(&clean));
    assert_eq!(stdout(&clean), "", "no drift prints nothing on stdout");

    // Drift: a changed replica count, a stale extra file, a deleted file.
    let service = out.join("manifests/20-task-api.yaml");
    let text = fs::read_to_string(&service).expect("golden service file");
    assert!(text.contains("replicas: 2"), "the golden deployment has 2 replicas");
    fs::write(&service, text.replacen("replicas: 2", "replicas: 7", 1)).expect("write");
    fs::write(
        out.join("manifests/99-stale.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stale\n  namespace: task-api-prod\n",
    )
    .expect("write");
    fs::remove_file(out.join("manifests/00-namespace.yaml")).expect("remove");

    let drift = run(&["diff", source, out.to_str().expect("utf-8"), "--check"]);
    let shown = stdout(&drift);
    assert_eq!(code(&drift), 1, "drift must exit 1:\n{shown}{}", stderr(&drift));
    assert!(shown.contains("1 file changed, 1 added, 1 removed"), "{shown}");
    assert!(shown.contains("resources: 1 added, 1 changed, 1 removed"), "{shown}");
    assert!(shown.contains("+ Namespace task-api-prod"), "{shown}");
    assert!(shown.contains("~ Deployment task-api-prod/task-api"), "{shown}");
    assert!(shown.contains("- ConfigMap task-api-prod/stale"), "{shown}");
    assert!(shown.contains("-  replicas: 7\n+  replicas: 2"), "{shown}");
    assert!(shown.contains("+++ /dev/null"), "{shown}");
    assert!(!shown.contains('\x1b'), "NO_COLOR output has no escapes");

    // Without --check the drift is shown and the exit code is 0; colours only when asked.
    let shown_only = run(&["diff", source, out.to_str().expect("utf-8")]);
    assert_eq!(code(&shown_only), 0);
    let coloured = run(&["--color", "always", "diff", source, out.to_str().expect("utf-8")]);
    assert!(stdout(&coloured).contains("\x1b[32m+"), "{}", stdout(&coloured));

    // A missing directory: every file is added.
    let missing = run(&["diff", source, temp.0.join("nothing").to_str().expect("utf-8"), "--check"]);
    assert_eq!(code(&missing), 1);
    assert!(stdout(&missing).contains(&format!("0 files changed, {files} added")), "{}", stdout(&missing));
}

#[test]
fn diff_of_a_file_with_errors_exits_1_without_a_diff() {
    let output = run(&["diff", "examples/errors/cpu_given_memory.deploy", "golden/task-api-doks"]);
    assert_eq!(code(&output), 1);
    assert_eq!(stdout(&output), "");
    assert!(stderr(&output).contains("E0301"), "{}", stderr(&output));
}

#[test]
fn init_writes_a_clean_starter_for_every_provider_and_never_overwrites() {
    let temp = TempDir::new("init");
    for provider in deployc::init::PROVIDERS.iter().copied() {
        let name = format!("demo-{provider}");
        let output = run_in(&temp.0, &["init", "--provider", provider, &name]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let file = format!("{name}.deploy");
        let written = fs::read_to_string(temp.0.join(&file)).expect("init wrote the file");
        assert!(written.starts_with(&format!("# {name}: ")), "{written}");
        let check = run_in(&temp.0, &["check", &file]);
        assert_eq!(code(&check), 0, "{provider}: {}", stderr(&check));
        // W0308 is about the stdlib's price data, not the starter: the one diagnostic allowed.
        let text = stderr(&check);
        let codes: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.len() == 5 && (l.starts_with('E') || l.starts_with('W')) && l[1..].chars().all(|c| c.is_ascii_digit())
            })
            .filter(|l| *l != "W0308")
            .collect();
        assert!(codes.is_empty(), "{provider}: the starter must check without a diagnostic: {text}");
        let fmt = run_in(&temp.0, &["fmt", "--check", &file]);
        assert_eq!(code(&fmt), 0, "{provider}: the starter is not formatted: {}", stdout(&fmt));
        let build = run_in(&temp.0, &["build", &file, "-o", "out"]);
        assert_eq!(code(&build), 0, "{provider}: {}", stderr(&build));

        let again = run_in(&temp.0, &["init", "--provider", provider, &name]);
        assert_eq!(code(&again), 2, "a second init must refuse");
        assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
        assert_eq!(fs::read_to_string(temp.0.join(&file)).expect("still there"), written, "overwritten");
    }
    let default = run_in(&temp.0, &["init"]);
    assert_eq!(code(&default), 0, "{}", stderr(&default));
    assert!(temp.0.join("app.deploy").exists());
    let invalid = run_in(&temp.0, &["init", "Not_A_Name"]);
    assert_eq!(code(&invalid), 2);
    assert!(!temp.0.join("Not_A_Name.deploy").exists());
}

#[test]
fn starters_check_without_diagnostics_in_the_library_too() {
    for provider in deployc::init::PROVIDERS.iter().copied() {
        let text = deployc::init::starter(provider, "starter").expect("a starter");
        let result = deployc::testing::compile_text("starter.deploy", &text);
        // W0308 is about the stdlib's price data, not the starter.
        assert!(result.diagnostics.iter().all(|d| d.code == "W0308"), "{provider}:\n{}", result.rendered);
        assert!(result.output.is_some(), "{provider} does not build");
    }
    assert!(deployc::init::starter("nowhere", "x").is_none());
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_rewrites_them() {
    let temp = TempDir::new("fmt");
    let messy = temp.0.join("messy.deploy");
    let tidy = temp.0.join("tidy.deploy");
    fs::write(&messy, "deployment d {\ntarget k3d {}\n  namespace=\"d\"\n}\n").expect("write");
    fs::write(&tidy, "deployment d {\n  target k3d {}\n  namespace = \"d\"\n}\n").expect("write");
    let check = run(&["fmt", "--check", temp.path()]);
    assert_eq!(code(&check), 1);
    assert_eq!(stdout(&check), format!("{}\n", messy.display()), "only the messy file is listed");
    assert!(fs::read_to_string(&messy).expect("read").contains("namespace=\"d\""), "--check changed a file");

    let rewrite = run(&["fmt", messy.to_str().expect("utf-8")]);
    assert_eq!(code(&rewrite), 0, "{}", stderr(&rewrite));
    assert_eq!(fs::read_to_string(&messy).expect("read"), fs::read_to_string(&tidy).expect("read"));
    assert_eq!(code(&run(&["fmt", "--check", temp.path()])), 0);

    let broken = temp.0.join("broken.deploy");
    fs::write(&broken, "deployment d {\n").expect("write");
    let output = run(&["fmt", broken.to_str().expect("utf-8")]);
    assert_eq!(code(&output), 1, "a syntax error is an error in the input");
    assert!(stderr(&output).contains("E0101"), "{}", stderr(&output));
    assert_eq!(fs::read_to_string(&broken).expect("read"), "deployment d {\n");

    let mut child = Command::new(BIN)
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"let  x=1").expect("write stdin");
    let piped = child.wait_with_output().expect("wait");
    assert_eq!(stdout(&piped), "let x = 1\n");

    assert_eq!(code(&run(&["fmt", temp.0.join("absent.deploy").to_str().expect("utf-8")])), 2);
}

#[test]
fn explain_prints_json_for_one_code_and_for_the_list() {
    let output = run(&["explain", "e0301", "--format", "json"]);
    assert_eq!(code(&output), 0);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(value["code"], "E0301");
    assert_eq!(value["title"], "wrong type");
    assert_eq!(value["phase"], "types");
    assert_eq!(value["severity"], "error");
    assert!(value["explanation"].as_str().is_some_and(|e| e.starts_with("# E0301: wrong type")));

    let list = run(&["explain", "--list", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&list)).expect("JSON");
    let entries = value.as_array().expect("an array");
    assert_eq!(entries.len(), CODES.len());
    for (entry, info) in entries.iter().zip(CODES) {
        assert_eq!(entry["code"], info.code);
        assert_eq!(entry["title"], info.title);
    }
    let human = run(&["explain", "--list"]);
    assert_eq!(stdout(&human).lines().count(), CODES.len());

    let unknown = run(&["explain", "E0399"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("no diagnostic code `E0399`"), "{}", stderr(&unknown));
}

#[test]
fn check_and_build_print_json_and_sarif() {
    let example = "examples/errors/duplicate_service.deploy";
    let json = run(&["check", example, "--format", "json"]);
    assert_eq!(code(&json), 1);
    assert_eq!(stderr(&json), "", "machine formats print nothing on stderr");
    for line in stdout(&json).lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(value["code"], "E0202");
    }

    let warning = warning_only_example();
    let sarif = run(&["check", example, &warning, "--format", "sarif"]);
    assert_eq!(code(&sarif), 1);
    let log: serde_json::Value = serde_json::from_str(&stdout(&sarif)).expect("one SARIF document");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let ids: Vec<&str> = results.iter().filter_map(|r| r["ruleId"].as_str()).collect();
    assert_eq!(ids.first(), Some(&"E0202"), "{ids:?}");
    assert!(ids.len() >= 2 && ids.iter().skip(1).all(|id| id.starts_with('W')), "{ids:?}");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/errors/duplicate_service.deploy"
    );

    let temp = TempDir::new("build");
    let build = run(&["build", "examples/task-api-doks.deploy", "-o", temp.path(), "--format", "sarif"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let log: serde_json::Value = serde_json::from_str(&stdout(&build)).expect("SARIF");
    // The seed budget is exceeded only at maximum scale: warnings, no errors.
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().all(|r| r["level"] == "warning"), "{results:?}");
    let failed = run(&["build", example, "-o", temp.path(), "--format", "json"]);
    assert_eq!(code(&failed), 1);
}

#[test]
fn graph_prints_mermaid() {
    let output = run(&["graph", "examples/todo-app-doks.deploy"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).starts_with("flowchart LR\n"));
    assert!(stdout(&output).contains("s_todo_frontend -->|uses| s_todo_backend"), "{}", stdout(&output));
    let failed = run(&["graph", "examples/errors/duplicate_service.deploy"]);
    assert_eq!(code(&failed), 1);
    assert_eq!(stdout(&failed), "");
}

#[test]
fn completions_and_the_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = run(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}");
        let script = stdout(&output);
        assert!(script.contains("deployc") && script.contains("explain"), "{shell}: {script}");
    }
    let man = run(&["man"]);
    assert_eq!(code(&man), 0);
    let page = stdout(&man);
    assert!(page.contains(".TH deployc 1"), "{page}");
    for command in ["check", "build", "diff", "fmt", "explain", "graph", "init", "completions"] {
        assert!(page.contains(&format!(".TH deployc-{command} 1")), "no page for {command}");
    }
    let temp = TempDir::new("man");
    let written = run(&["man", "--dir", temp.path()]);
    assert_eq!(code(&written), 0, "{}", stderr(&written));
    let page = fs::read_to_string(temp.0.join("deployc-fmt.1")).expect("deployc-fmt.1 written");
    assert!(page.contains(".TH deployc-fmt 1"), "{page}");
}

#[test]
fn every_command_help_has_an_example() {
    let top = run(&["--help"]);
    assert_eq!(code(&top), 0);
    assert!(stdout(&top).contains("Examples:"), "{}", stdout(&top));
    for command in ["check", "build", "diff", "fmt", "explain", "graph", "init", "completions", "man"] {
        let help = run(&[command, "--help"]);
        assert_eq!(code(&help), 0, "{command}");
        assert!(stdout(&help).contains("Example"), "`deployc {command} --help` has no example");
    }
}

/// An error example that declares only warnings (`# expect: W…`).
fn warning_only_example() -> String {
    let mut paths: Vec<PathBuf> =
        fs::read_dir("examples/errors").expect("examples/errors").flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
        .into_iter()
        .find(|path| {
            let first = fs::read_to_string(path).unwrap_or_default().lines().next().unwrap_or_default().to_string();
            first.strip_prefix("# expect:").is_some_and(|codes| codes.split_whitespace().all(|c| c.starts_with('W')))
        })
        .map(|path| path.to_string_lossy().into_owned())
        .expect("an error example with only warnings")
}

#[test]
fn exit_codes_follow_the_convention() {
    assert_eq!(code(&run(&["check", "examples/task-api-doks.deploy"])), 0);
    assert_eq!(code(&run(&["check", &warning_only_example()])), 0, "warnings do not fail");
    assert_eq!(code(&run(&["check", "examples/errors/cpu_given_memory.deploy"])), 1);
    assert_eq!(code(&run(&["check", "no/such/file.deploy"])), 2);
    assert_eq!(code(&run(&["frobnicate"])), 2);
    assert_eq!(code(&run(&["check"])), 2, "a missing argument is a usage error");
    assert_eq!(code(&run(&["check", "examples/task-api-doks.deploy", "--format", "xml"])), 2);
}

#[test]
fn cost_prints_the_estimate_as_a_table_and_as_json() {
    let human = run(&["cost", "examples/todo-app-doks.deploy"]);
    assert_eq!(code(&human), 0, "{}", stderr(&human));
    let table = stdout(&human);
    assert!(table.contains("pool worker-pool (3 × s-2vcpu-4gb at $24/mo)") && table.contains("$84"), "{table}");
    let json = run(&["cost", "examples/task-api-hetzner.deploy", "--format", "json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let value: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("one JSON object");
    assert_eq!(value["total_at_count_cents"], 2979);
    assert_eq!(value["budget_cents"], 3500);
    let over = run(&["cost", "examples/errors/over_budget.deploy"]);
    assert_eq!(code(&over), 1, "over budget must exit 1");
    assert!(stderr(&over).contains("E0319"), "{}", stderr(&over));
    // dev owns the cluster but routes nothing; prod's Traefik gives the cluster its load
    // balancer, which the cluster's cost (dev's) counts once.
    let dir = TempDir::new("shared-load-balancer");
    let source = fs::read_to_string("examples/errors/environments_share_a_load_balancer.deploy").expect("read");
    let file = format!("{}/shop.deploy", dir.path());
    fs::write(&file, source.replace("budget = $55/mo", "budget = $70/mo")).expect("write");
    let shared = run(&["cost", &file, "--format", "json"]);
    assert_eq!(code(&shared), 0, "{}", stderr(&shared));
    let value: serde_json::Value = serde_json::from_str(&stdout(&shared)).expect("one JSON object");
    assert_eq!(value["total_at_count_cents"], 4800 + 1200, "two s-2vcpu-4gb and one load balancer: {value}");
}

#[test]
fn a_failed_build_leaves_the_previous_output_as_it_was() {
    let dir = TempDir::new("failed-build");
    let out = format!("{}/out", dir.path());
    let ok = run(&["build", "examples/task-api-k3d.deploy", "-o", &out]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let before = deployc::output::read_tree(Path::new(&out)).expect("read the first build");
    let failed = run(&["build", "examples/errors/ten_independent_mistakes.deploy", "-o", &out]);
    assert_eq!(code(&failed), 1, "{}", stderr(&failed));
    assert_eq!(deployc::output::read_tree(Path::new(&out)).expect("read"), before, "the output changed");
    let entries: Vec<String> =
        fs::read_dir(&dir.0).expect("read").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(entries, vec!["out".to_string()], "a staging directory was left behind");
    // An output directory that cannot be created is an I/O error (exit 2), and says why.
    fs::write(format!("{}/file", dir.path()), "").expect("a file");
    let blocked = run(&["build", "examples/task-api-k3d.deploy", "-o", &format!("{}/file/out", dir.path())]);
    assert_eq!(code(&blocked), 2, "{}", stderr(&blocked));
    assert!(stderr(&blocked).contains("cannot write"), "{}", stderr(&blocked));
}

/// Run deployc, killing it (and failing) if it has not finished in a minute: the special
/// files below made it wait forever.
#[cfg(unix)]
fn run_bounded(args: &[&str]) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(BIN)
        .args(args)
        .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run deployc: {e}"));
    for _ in 0..600 {
        if child.try_wait().ok().flatten().is_some() {
            return child.wait_with_output().unwrap_or_else(|e| panic!("cannot read deployc's output: {e}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("deployc {args:?} was still running after a minute");
}

// Issue 20, finding 9: `/dev/zero` was read until memory ran out and a named pipe blocked
// forever. Only regular files are read (looked at before they are opened), up to 64 MiB.
#[cfg(unix)]
#[test]
fn special_and_oversized_files_are_refused_without_reading_them() {
    let dir = TempDir::new("special-files");
    let fifo = format!("{}/pipe.deploy", dir.path());
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap_or_else(|e| panic!("cannot run mkfifo: {e}"));
    assert!(made.success());
    let big = format!("{}/big.deploy", dir.path());
    // Sparse: 65 MiB long, nothing written.
    fs::File::create(&big).and_then(|f| f.set_len(65 << 20)).unwrap_or_else(|e| panic!("cannot make {big}: {e}"));
    let out = format!("{}/out", dir.path());
    let cases: [(&[&str], &str); 8] = [
        (&["check", &fifo], "not a regular file (a named pipe)"),
        (&["build", &fifo, "-o", &out], "not a regular file (a named pipe)"),
        (&["fmt", &fifo], "not a regular file (a named pipe)"),
        (&["cost", &fifo], "not a regular file (a named pipe)"),
        (&["check", "/dev/zero"], "not a regular file (a character device)"),
        (&["fmt", "/dev/zero", "--check"], "not a regular file (a character device)"),
        (&["check", &big], "larger than 64 MiB, the most deployc reads"),
        (&["check", dir.path()], "not a regular file (a directory)"),
    ];
    for (args, why) in cases {
        let output = run_bounded(args);
        assert_eq!(code(&output), 2, "deployc {args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(&format!("error: cannot read {}: {why}", args[1])), "{}", stderr(&output));
    }
    // `diff` reads the output directory: a named pipe there differs, unread (it blocked).
    let tree = format!("{}/tree", dir.path());
    fs::create_dir_all(format!("{tree}/manifests")).unwrap_or_else(|e| panic!("{e}"));
    let made = Command::new("mkfifo").arg(format!("{tree}/manifests/pipe.yaml")).status().expect("mkfifo runs");
    assert!(made.success());
    let output = run_bounded(&["diff", "examples/task-api-k3d.deploy", &tree, "--check"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).contains("pipe.yaml"), "{}", stdout(&output));
    // An import of one is E0204: inside the project through a link, or named outright (which
    // is refused before anything is opened, as outside the project).
    #[cfg(unix)]
    std::os::unix::fs::symlink("/dev/zero", format!("{}/zero.deploy", dir.path())).unwrap_or_else(|e| panic!("{e}"));
    let file = format!("{}/imports.deploy", dir.path());
    fs::write(&file, "import \"pipe.deploy\"\nimport \"zero.deploy\"\nimport \"/dev/zero\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let output = run_bounded(&["check", &file]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    for why in ["not a regular file (a named pipe)", "not a regular file (a character device)", "outside the project"] {
        assert!(stderr(&output).contains(why), "{}", stderr(&output));
    }
    assert_eq!(stderr(&output).matches("E0204").count(), 3, "{}", stderr(&output));
}

/// Output into a closed pipe ends the process quietly (killed by SIGPIPE, as `cat` is), not
/// with a panic and exit 101.
#[test]
fn a_closed_pipe_ends_quietly() {
    for args in [
        &["explain", "--list"][..],
        &["check", "--format", "sarif", "examples/errors/ten_independent_mistakes.deploy"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_deployc"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("deployc runs");
        // Close the reading end before anything is read.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("deployc ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(output.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

/// `build`, `check` and `diff` read the image lock next to the file (`NAME.deploy.lock`);
/// one that cannot be read is an I/O error (exit 2).
#[test]
fn the_image_lock_next_to_the_file_is_read() {
    let temp = TempDir::new("lock");
    let out = temp.0.join("out");
    let build = run(&["build", "examples/shop-from-source-k3d.deploy", "-o", out.to_str().expect("path")]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert!(!stderr(&build).contains("W0311"), "the lock pins every built image: {}", stderr(&build));
    let api = fs::read_to_string(out.join("manifests/20-api.yaml")).expect("api manifest");
    assert!(api.contains("image: k3d-registry:5000/shop/api:2.0.0@sha256:"), "{api}");
    let diff = run(&["diff", "examples/shop-from-source-k3d.deploy", out.to_str().expect("path"), "--check"]);
    assert_eq!(code(&diff), 0, "diff reads the same lock: {}", stdout(&diff));

    let malformed = run(&["check", "examples/errors/lock_malformed.deploy"]);
    assert_eq!(code(&malformed), 1);
    assert!(stderr(&malformed).contains("lock_malformed.deploy.lock:7:1"), "{}", stderr(&malformed));

    // A file without its lock: the built images stay tags, with W0311.
    fs::copy("examples/shop-from-source-k3d.deploy", temp.0.join("shop.deploy")).expect("copy");
    let unlocked = run_in(&temp.0, &["check", "shop.deploy"]);
    assert_eq!(code(&unlocked), 0, "{}", stderr(&unlocked));
    assert_eq!(stderr(&unlocked).matches("W0311").count(), 2, "{}", stderr(&unlocked));
    fs::create_dir(temp.0.join("shop.deploy.lock")).expect("a directory where the lock goes");
    let unreadable = run_in(&temp.0, &["check", "shop.deploy"]);
    assert_eq!(code(&unreadable), 2, "{}", stderr(&unreadable));
    assert!(stderr(&unreadable).contains("cannot read shop.deploy.lock"), "{}", stderr(&unreadable));
}
