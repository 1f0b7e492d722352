//! `deployc graph`: the Mermaid diagram of every example matches `tests/data/graph/NAME.mmd`
//! and is the same every time. Bless with `DEPLOYC_BLESS=1 cargo test --test graph`.

use std::fs;
use std::path::{Path, PathBuf};

use deployc::source::SourceMap;
use deployc::testing::deploy_files;

fn graph(path: &Path) -> Result<String, String> {
    let name = path.to_string_lossy().replace('\\', "/");
    let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut sources = SourceMap::new();
    let root = sources.add(name.clone(), text);
    let loader = |importer: &str, relative: &str| -> Result<(String, String), String> {
        let base = Path::new(importer).parent().unwrap_or(Path::new(""));
        let path = base.join(relative);
        let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok((path.to_string_lossy().replace('\\', "/"), text))
    };
    let planned = deployc::inspect::plan(&mut sources, root, &loader, &deployc::testing::test_options());
    let rendered = deployc::diagnostics::render::render_all(
        &planned.diagnostics,
        &sources,
        deployc::diagnostics::render::Style::Plain,
    );
    planned.plans.first().map(deployc::graph::mermaid).ok_or(rendered)
}

#[test]
fn every_example_graph_matches_its_golden() {
    let bless = std::env::var_os("DEPLOYC_BLESS").is_some();
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for example in deploy_files("examples") {
        let stem = example.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let golden = PathBuf::from(format!("tests/data/graph/{stem}.mmd"));
        names.push(format!("{stem}.mmd"));
        let actual = match graph(&example) {
            Ok(actual) => actual,
            Err(diagnostics) => {
                failures.push(format!("{}: no plan:\n{diagnostics}", example.display()));
                continue;
            }
        };
        assert_eq!(
            graph(&example).ok().as_deref(),
            Some(actual.as_str()),
            "{} is not deterministic",
            example.display()
        );
        if bless {
            fs::create_dir_all("tests/data/graph").unwrap_or_else(|e| panic!("mkdir: {e}"));
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
    for entry in fs::read_dir("tests/data/graph").into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !names.contains(&file) {
            if bless {
                let _ = fs::remove_file(entry.path());
            } else {
                failures.push(format!("tests/data/graph/{file} has no example"));
            }
        }
    }
    assert!(failures.is_empty(), "{}\naccept with: DEPLOYC_BLESS=1 cargo test --test graph", failures.join("\n"));
}

#[test]
fn graphs_are_well_formed_mermaid() {
    for example in deploy_files("examples") {
        let Ok(text) = graph(&example) else { continue };
        assert!(text.starts_with("flowchart LR\n"), "{}", example.display());
        let opened = text.lines().filter(|l| l.trim_start().starts_with("subgraph ")).count();
        let closed = text.lines().filter(|l| l.trim() == "end").count();
        assert_eq!(opened, closed, "{}: unbalanced subgraphs", example.display());
        for line in text.lines() {
            assert_eq!(line.matches('"').count() % 2, 0, "{}: unbalanced quotes in {line}", example.display());
        }
    }
}
