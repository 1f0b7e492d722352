//! Output is deterministic: building the same file twice, or from another directory, gives
//! byte-identical trees; and what `check` prints for a file does not depend on the other files
//! on the command line or their order. Runs the real binary.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use deployc::testing::{TempDir, deploy_files};

const DEPLOYC: &str = env!("CARGO_BIN_EXE_deployc");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(DEPLOYC)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
        .output()
        .expect("run deployc")
}

fn error_examples() -> Vec<String> {
    deploy_files("examples/errors").iter().map(|p| p.to_string_lossy().into_owned()).collect()
}

#[test]
fn builds_are_byte_identical_across_runs_and_directories() {
    let root = TempDir::new("build");
    for example in deploy_files("examples") {
        let stem = example.file_stem().expect("a name").to_string_lossy().into_owned();
        let text = fs::read(&example).expect("readable example");
        // The same relative command line in two different directories, and a rebuild over
        // the first output.
        let mut trees = Vec::new();
        // A file with a pipeline sits in its `directory` of a repository (`build` refuses
        // another layout, since the workflow goes to the repository's root).
        let source = String::from_utf8_lossy(&text).into_owned();
        let pipeline_dir = source.contains("pipeline github").then(|| {
            source
                .lines()
                .find_map(|l| l.trim().strip_prefix("directory").map(|rest| rest.trim_start_matches([' ', '=']).trim()))
                .map(|quoted| quoted.split('"').nth(1).unwrap_or_default().to_string())
                .unwrap_or_default()
        });
        for (place, out) in [("a", "out"), ("b/nested", "out"), ("b/nested", "out")] {
            let repository = root.0.join(&stem).join(place);
            let dir = match &pipeline_dir {
                Some(directory) => {
                    fs::create_dir_all(repository.join(".git")).expect("create .git");
                    repository.join(directory)
                }
                None => repository,
            };
            fs::create_dir_all(&dir).expect("create");
            fs::write(dir.join("app.deploy"), &text).expect("write the input");
            let output = run(&dir, &["build", "app.deploy", "-o", out]);
            assert!(output.status.success(), "{stem}: build failed:\n{}", String::from_utf8_lossy(&output.stderr));
            trees.push(deployc::output::read_tree(&dir.join(out)).expect("read the output"));
        }
        assert!(!trees[0].is_empty(), "{stem}: empty output");
        assert_eq!(trees[0], trees[1], "{stem}: the output depends on the current directory");
        assert_eq!(trees[1], trees[2], "{stem}: a rebuild differs from the first build");
        // No absolute path of the machine leaks into the output.
        let place = root.0.to_string_lossy().into_owned();
        for (name, text) in &trees[0] {
            assert!(!text.contains(&place), "{stem}/{name} contains the absolute path {place}");
        }
    }
}

#[test]
fn check_prints_the_same_for_a_file_whatever_else_is_checked() {
    let cwd = Path::new(".");
    let mut files = error_examples();
    files.truncate(8);
    files.extend(deploy_files("examples").iter().take(2).map(|p| p.to_string_lossy().into_owned()));
    // Each file alone: the reference.
    let alone: Vec<(String, String, Option<i32>)> = files
        .iter()
        .map(|file| {
            let output = run(cwd, &["check", file]);
            let json = run(cwd, &["check", "--format", "json", file]);
            (
                String::from_utf8_lossy(&output.stderr).into_owned(),
                String::from_utf8_lossy(&json.stdout).into_owned(),
                output.status.code(),
            )
        })
        .collect();
    let worst = alone.iter().filter_map(|(_, _, code)| *code).max();
    for order in [files.clone(), files.iter().rev().cloned().collect::<Vec<_>>()] {
        let args: Vec<&str> = std::iter::once("check").chain(order.iter().map(String::as_str)).collect();
        let human = run(cwd, &args);
        let json_args: Vec<&str> =
            ["check", "--format", "json"].into_iter().chain(order.iter().map(String::as_str)).collect();
        let json = run(cwd, &json_args);
        let index = |file: &String| files.iter().position(|f| f == file).expect("a listed file");
        let expected_human: String = order.iter().map(|f| alone[index(f)].0.clone()).collect();
        let expected_json: String = order.iter().map(|f| alone[index(f)].1.clone()).collect();
        assert_eq!(
            String::from_utf8_lossy(&human.stderr),
            expected_human,
            "`check` of several files is not each file's own output, in order: {order:?}"
        );
        assert_eq!(String::from_utf8_lossy(&json.stdout), expected_json, "JSON output differs for {order:?}");
        assert_eq!(human.status.code(), worst, "the exit code depends on the order: {order:?}");
    }
}

#[path = "../benches/support/generate.rs"]
mod generate;

#[test]
fn the_output_does_not_depend_on_how_many_threads_make_it() {
    // Enough services for the parallel path, with a stack, routes and autoscaling.
    let text = generate::generate(300);
    let build = |threads: usize| {
        let mut sources = deployc::source::SourceMap::new();
        let root = sources.add("bench.deploy", &text);
        let loader = |_: &str, _: &str| -> Result<(String, String), String> { Err("no imports".into()) };
        let files = deployc::output::Collect::default();
        let options = deployc::CompileOptions::default();
        let built = deployc::compile_to(&mut sources, root, &loader, &options, &files, threads);
        assert!(matches!(built.written, Ok(true)), "{:?}", built.diagnostics);
        files.into_tree()
    };
    let one = build(1);
    assert_eq!(
        one.len(),
        300 + 11,
        "300 service files, 4 other manifests, 5 scripts, a Helm values file and the runbook"
    );
    for threads in [2, 4] {
        assert!(build(threads) == one, "{threads} threads made other files than one thread");
    }
}
