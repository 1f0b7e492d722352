//! `deployc promote` round trips as data: each `tests/data/promote/NAME.steps` file names an
//! example and the commands to run on a copy of it (`build`, `diff`, `promote ARGS`, `replace
//! "OLD" "NEW"` to edit the copy); the golden `NAME.out` records each command with its exit
//! code, what `promote` prints and what `diff` shows in the output, and `NAME.after.deploy` is
//! the source after the last step. Bless with `DEPLOYC_BLESS=1 cargo test --test promote`.

use std::fs;
use std::path::Path;
use std::process::Command;

use deployc::testing::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_deployc");

/// The arguments of a step: words, and double-quoted strings without escapes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let (word, after) = quoted.split_once('"').unwrap_or_else(|| panic!("unclosed quote in `{line}`"));
            out.push(word.to_string());
            rest = after.trim_start();
        } else {
            let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push(word.to_string());
            rest = after.trim_start();
        }
    }
    out
}

/// The `directory` of a file's `pipeline github { … }`, when it has one.
fn pipeline_directory(source: &str) -> Option<String> {
    let block = source.split("pipeline github {").nth(1)?;
    let line = block.lines().find(|l| l.trim_start().starts_with("directory"))?;
    line.split('"').nth(1).map(String::from)
}

/// Run one steps file; returns the transcript and the source after the last step.
fn run(steps: &Path) -> (String, String) {
    let text = fs::read_to_string(steps).unwrap_or_else(|e| panic!("read {}: {e}", steps.display()));
    let name = steps.file_stem().and_then(|s| s.to_str()).unwrap_or("promote");
    let scratch = TempDir::new(&format!("promote-{name}"));
    let mut dir = Path::new(scratch.path()).to_path_buf();
    let mut file = String::new();
    let mut transcript = String::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            transcript.push_str(line);
            transcript.push('\n');
            continue;
        }
        let words = words(line);
        let (command, args) = words.split_first().unwrap_or_else(|| panic!("empty step"));
        match command.as_str() {
            "example" => {
                let example = Path::new(&args[0]);
                file = example.file_name().and_then(|f| f.to_str()).unwrap_or("app.deploy").to_string();
                // A file with a pipeline sits in its `directory` of a repository, where the
                // steps run (`build` writes the workflow at the repository's root).
                let source = fs::read_to_string(example).unwrap_or_default();
                if let Some(directory) = pipeline_directory(&source) {
                    fs::create_dir_all(dir.join(".git")).unwrap_or_else(|e| panic!("create .git: {e}"));
                    dir = dir.join(directory);
                    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
                }
                fs::copy(example, dir.join(&file)).unwrap_or_else(|e| panic!("copy {}: {e}", example.display()));
                transcript.push_str(&format!("$ cp {} .\n", example.display()));
            }
            "replace" => {
                let path = dir.join(&file);
                let source = fs::read_to_string(&path).unwrap_or_default();
                assert!(source.contains(&args[0]), "`{}` is not in {file}", args[0]);
                fs::write(&path, source.replacen(&args[0], &args[1], 1)).unwrap_or_else(|e| panic!("write: {e}"));
                transcript.push_str(&format!("$ edit {file}: {} -> {}\n", args[0], args[1]));
            }
            "build" | "diff" | "promote" => {
                let mut argv: Vec<String> = vec![command.clone(), file.clone()];
                match command.as_str() {
                    "build" => argv.extend(["-o".to_string(), "out".to_string()]),
                    _ => argv.push("out".to_string()),
                }
                argv.extend(args.iter().cloned());
                let output = Command::new(BIN)
                    .args(&argv)
                    .current_dir(&dir)
                    .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
                    .env("NO_COLOR", "1")
                    .output()
                    .unwrap_or_else(|e| panic!("run deployc: {e}"));
                let code = output.status.code().unwrap_or(-1);
                transcript.push_str(&format!("$ deployc {}\n[exit {code}]\n", argv.join(" ")));
                let stdout = String::from_utf8_lossy(&output.stdout);
                let stderr = String::from_utf8_lossy(&output.stderr);
                match command.as_str() {
                    // The warnings are the examples' goldens' business; the exit code is ours.
                    "build" => assert_eq!(code, 0, "build failed:\n{stderr}"),
                    "diff" => transcript.push_str(&stdout),
                    _ => {
                        transcript.push_str(&stdout);
                        for line in stderr.lines() {
                            transcript.push_str(&format!("stderr: {line}\n"));
                        }
                    }
                }
            }
            other => panic!("unknown step `{other}` in {}", steps.display()),
        }
    }
    let after = fs::read_to_string(dir.join(&file)).unwrap_or_default();
    (transcript, after)
}

#[test]
fn promotion_round_trips_match_their_goldens() {
    let bless = std::env::var_os("DEPLOYC_BLESS").is_some();
    let mut failures = Vec::new();
    let mut steps: Vec<_> = fs::read_dir("tests/data/promote")
        .unwrap_or_else(|e| panic!("read tests/data/promote: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "steps"))
        .collect();
    steps.sort();
    assert!(!steps.is_empty(), "no steps files");
    for path in steps {
        let (transcript, after) = run(&path);
        for (golden, actual) in [(path.with_extension("out"), transcript), (path.with_extension("after.deploy"), after)]
        {
            if bless {
                fs::write(&golden, &actual).unwrap_or_else(|e| panic!("write {}: {e}", golden.display()));
                continue;
            }
            let expected = fs::read_to_string(&golden).unwrap_or_default();
            if expected != actual {
                failures.push(format!(
                    "{} differs:\n{}",
                    golden.display(),
                    similar::TextDiff::from_lines(&expected, &actual).unified_diff()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}\naccept with: DEPLOYC_BLESS=1 cargo test --test promote", failures.join("\n"));
}
