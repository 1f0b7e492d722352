//! Large inputs: a generated file of about 20 MB (52,000 services, the benchmark workload)
//! checks cleanly, in linear time and without overflowing the stack; nesting right at the
//! limit parses, quickly, with or without a syntax error elsewhere; one past it is a diagnostic.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::process::Command;
use std::time::{Duration, Instant};

use deployc::testing::compile_text;

#[test]
fn a_twenty_megabyte_file_checks_cleanly() {
    let text = generate::generate(52_000);
    assert!(text.len() > 20_000_000, "only {} bytes", text.len());
    let dir = std::env::temp_dir().join(format!("deployc-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    let path = dir.join("large.deploy");
    std::fs::write(&path, &text).expect("write the input");
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_deployc"))
        .arg("check")
        .arg(&path)
        .env("SOURCE_DATE_EPOCH", deployc::testing::test_epoch())
        .output()
        .expect("run deployc");
    let elapsed = start.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "exit {:?}:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).chars().take(2000).collect::<String>()
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr).chars().take(2000).collect::<String>()
    );
    // About 1 s in a release build and a few in a debug one; a minute means something went
    // quadratic.
    assert!(elapsed < Duration::from_secs(60), "checking 20 MB took {elapsed:?}");
}

/// `let x = [[…[1]…]]` with `depth` brackets, inside a deployment.
fn nested(depth: usize) -> String {
    format!("let x = {}1{}\ndeployment d {{\n  target k3d {{}}\n}}\n", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn nesting_at_the_limit_parses_and_one_more_level_is_a_diagnostic() {
    let limit = deployc::syntax::MAX_NESTING;
    // Run on a small stack, as a thread of a host program might.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let at_limit = compile_text("deep.deploy", &nested(limit));
            let past_limit = compile_text("deep.deploy", &nested(limit + 1));
            (at_limit, past_limit)
        })
        .expect("spawn");
    let (at_limit, past_limit) = handle.join().expect("no stack overflow");
    assert!(!at_limit.diagnostics.iter().any(|d| d.code == "E0101"), "{}", at_limit.rendered);
    assert!(past_limit.diagnostics.iter().any(|d| d.code == "E0101"), "{}", past_limit.rendered);
}

#[test]
fn deep_nesting_with_a_syntax_error_is_reported_quickly() {
    // pest alone takes time doubling with each level of nested values: 2^64 steps here.
    let text =
        format!("{}\ndeployment oops {{ target k3d {{}} namespace \"x\" }}\n", nested(deployc::syntax::MAX_NESTING));
    let start = Instant::now();
    let result = compile_text("deep.deploy", &text);
    assert!(result.diagnostics.iter().any(|d| d.code == "E0101"), "{}", result.rendered);
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}
