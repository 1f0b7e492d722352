//! The output tree and writing it to disk atomically.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Relative path (with `/`) to file contents, in sorted order.
pub type OutputTree = BTreeMap<String, String>;

/// Write `tree` to `dir` so that `dir` is either left as it was or replaced whole: the files
/// go to a sibling temporary directory first, which is then renamed over `dir`.
pub fn write_atomically(tree: &OutputTree, dir: &Path) -> io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{base}.deployc-tmp-{}", std::process::id()));
    let backup = parent.join(format!(".{base}.deployc-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| {
        for (relative, text) in tree {
            let path = staging.join(relative);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(&path, text)?;
            #[cfg(unix)]
            if relative.ends_with(".sh") {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
            }
        }
        if dir.exists() {
            fs::rename(dir, &backup)?;
            if let Err(error) = fs::rename(&staging, dir) {
                let _ = fs::rename(&backup, dir);
                return Err(error);
            }
            fs::remove_dir_all(&backup)
        } else {
            fs::rename(&staging, dir)
        }
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Read every file under `dir` into a tree (for `diff` and the golden tests).
pub fn read_tree(dir: &Path) -> io::Result<OutputTree> {
    let mut tree = OutputTree::new();
    if !dir.exists() {
        return Ok(tree);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                let key = relative.to_string_lossy().replace('\\', "/");
                tree.insert(key, fs::read_to_string(&path)?);
            }
        }
    }
    Ok(tree)
}
