//! Writing the output tree: the directory is replaced whole, files are byte-identical to the
//! tree, scripts are executable, and a rebuild reuses the files that did not change
//! (hard links, so unchanged files keep their inode) while changed and new files are written.

use deployc::output::{OutputTree, read_tree, write_atomically};
use deployc::testing::TempDir;
use std::fs;

fn tree(files: &[(&str, &str)]) -> OutputTree {
    files.iter().map(|(name, text)| (name.to_string(), text.to_string())).collect()
}

#[test]
fn a_rebuild_replaces_the_tree_and_reuses_unchanged_files() {
    let root = TempDir::new("rebuild");
    let out = root.0.join("out");
    let first = tree(&[
        ("manifests/a.yaml", "a: 1\n"),
        ("manifests/b.yaml", "b: 1\n"),
        ("manifests/gone.yaml", "gone\n"),
        ("scripts/deploy.sh", "#!/bin/sh\necho hi\n"),
        ("RUNBOOK.md", "# Runbook\n"),
    ]);
    write_atomically(&first, &out).expect("first build");
    assert_eq!(read_tree(&out).expect("read"), first);

    let second = tree(&[
        ("manifests/a.yaml", "a: 1\n"),
        ("manifests/b.yaml", "b: 2\n"),
        ("manifests/new.yaml", "new\n"),
        ("scripts/deploy.sh", "#!/bin/sh\necho hi\n"),
        ("RUNBOOK.md", "# Runbook\n"),
    ]);
    #[cfg(unix)]
    let inode = |name: &str| {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(out.join(name)).expect("exists").ino()
    };
    #[cfg(unix)]
    let before = (inode("manifests/a.yaml"), inode("manifests/b.yaml"), inode("scripts/deploy.sh"));
    write_atomically(&second, &out).expect("second build");
    assert_eq!(read_tree(&out).expect("read"), second, "the new tree, nothing left from the old one");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(inode("manifests/a.yaml"), before.0, "an unchanged file is reused");
        assert_eq!(inode("scripts/deploy.sh"), before.2, "an unchanged script is reused");
        assert_ne!(inode("manifests/b.yaml"), before.1, "a changed file is written anew");
        let mode = fs::metadata(out.join("scripts/deploy.sh")).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o755, "scripts are executable");
        let mode = fs::metadata(out.join("manifests/a.yaml")).expect("exists").permissions().mode();
        assert_eq!(mode & 0o111, 0, "manifests are not executable");
    }
    // No staging or backup directory is left beside the output.
    let siblings: Vec<String> =
        fs::read_dir(&root.0).expect("read").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(siblings, vec!["out".to_string()]);
}

#[cfg(unix)]
#[test]
fn a_file_changed_by_hand_is_written_again() {
    use std::os::unix::fs::PermissionsExt;
    let root = TempDir::new("by-hand");
    let out = root.0.join("out");
    let files = tree(&[("manifests/a.yaml", "a: 1\n"), ("scripts/verify.sh", "#!/bin/sh\n")]);
    write_atomically(&files, &out).expect("first build");
    // Same length, other bytes; and a script made non-executable.
    fs::write(out.join("manifests/a.yaml"), "a: 2\n").expect("edit");
    fs::set_permissions(out.join("scripts/verify.sh"), fs::Permissions::from_mode(0o644)).expect("chmod");
    write_atomically(&files, &out).expect("rebuild");
    assert_eq!(read_tree(&out).expect("read"), files);
    let mode = fs::metadata(out.join("scripts/verify.sh")).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
}

#[test]
fn many_files_are_all_written() {
    // Enough files for the parallel path.
    let root = TempDir::new("many");
    let out = root.0.join("out");
    let files: OutputTree =
        (0..500).map(|i| (format!("manifests/20-svc-{i:05}.yaml"), format!("name: svc-{i:05}\n"))).collect();
    write_atomically(&files, &out).expect("build");
    assert_eq!(read_tree(&out).expect("read"), files);
    write_atomically(&files, &out).expect("rebuild");
    assert_eq!(read_tree(&out).expect("read"), files);
}

#[test]
fn a_rebuild_keeps_the_scripts_state_and_diff_ignores_it() {
    let root = TempDir::new("state");
    let out = root.0.join("out");
    let files = tree(&[("manifests/a.yaml", "a: 1\n"), ("scripts/provision.sh", "#!/bin/sh\n")]);
    write_atomically(&files, &out).expect("first build");
    // What provision.sh leaves behind.
    fs::create_dir_all(out.join(".deployc-state")).expect("state dir");
    fs::write(out.join(".deployc-state/kubeconfig"), "apiVersion: v1\n").expect("kubeconfig");
    assert_eq!(read_tree(&out).expect("read"), files, "the state is not part of the output");
    let changed = tree(&[("manifests/a.yaml", "a: 2\n"), ("scripts/provision.sh", "#!/bin/sh\n")]);
    write_atomically(&changed, &out).expect("rebuild");
    assert_eq!(read_tree(&out).expect("read"), changed);
    assert_eq!(fs::read_to_string(out.join(".deployc-state/kubeconfig")).expect("kept"), "apiVersion: v1\n");
}

#[test]
fn a_build_that_is_never_committed_leaves_nothing_behind() {
    let root = TempDir::new("abandoned");
    let out = root.0.join("out");
    let files = tree(&[("manifests/a.yaml", "a: 1\n")]);
    write_atomically(&files, &out).expect("first build");
    {
        let staging = deployc::output::Staging::new(&out);
        staging.write("manifests/a.yaml", "a: 2\n").expect("write");
        staging.write("manifests/b.yaml", "b: 2\n").expect("write");
        // Dropped: an error stopped the build half-way.
    }
    assert_eq!(read_tree(&out).expect("read"), files, "the old output is untouched");
    let siblings: Vec<String> =
        fs::read_dir(&root.0).expect("read").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(siblings, vec!["out".to_string()], "no staging directory is left");
}
