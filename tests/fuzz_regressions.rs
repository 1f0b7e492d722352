//! The fuzz targets' oracles (`deployc::testing::parse_check_oracle` and, with pest,
//! `tests/support/pest_oracle.rs`'s `parsers_agree`: the body of `fuzz/fuzz_targets/parse_check.rs`)
//! over every saved input: the fuzzers' findings in
//! `fuzz/regressions/` (each once made a target fail), and every example, error example,
//! stdlib file and `fuzz/seeds/` file, which seed the fuzzers' corpora. See notes/fuzzing.md.

use std::fs;
use std::path::{Path, PathBuf};

use deployc::testing::deploy_files;

fn files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[path = "support/pest_oracle.rs"]
mod pest_oracle;

fn replay(path: &Path) {
    let data = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let outcome = std::panic::catch_unwind(|| {
        deployc::testing::parse_check_oracle(&data);
        if let Ok(text) = std::str::from_utf8(&data) {
            pest_oracle::parsers_agree(text);
        }
    });
    assert!(outcome.is_ok(), "{} breaks an invariant of the fuzz targets", path.display());
}

#[test]
fn fuzz_findings_stay_fixed() {
    let findings = files("fuzz/regressions");
    assert!(!findings.is_empty(), "fuzz/regressions/ holds the findings");
    for path in &findings {
        replay(path);
    }
}

#[test]
fn the_fuzz_seeds_hold_the_invariants() {
    let mut seeds = deploy_files("examples");
    for dir in ["examples/errors", "stdlib/providers", "stdlib/components", "fuzz/seeds"] {
        seeds.extend(deploy_files(dir));
    }
    assert!(seeds.len() > 60, "only {} seeds", seeds.len());
    for path in &seeds {
        replay(path);
    }
}
