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
        fs::create_dir_all(&staging)?;
        let previous = dir.is_dir().then_some(dir);
        write_files(tree, &staging, previous)?;
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

/// Below this many files one thread writes them all.
const PARALLEL_FROM: usize = 64;

/// Write every file of `tree` under `root` (which exists). Each directory is created once, and
/// large trees are written by a few threads: creating thousands of small files is mostly
/// system-call time, which overlaps well.
///
/// A file whose bytes (and executable bit) are those of the same file in `previous` (the
/// output being replaced) is hard-linked from it instead of written: a rebuild then creates
/// and deletes inodes only for the files that changed. Besides saving the writes, this keeps
/// rebuilds fast on ext4 without a journal, where allocating an inode skips over every inode
/// deleted in the last minute or more, so deleting thousands and creating thousands is
/// quadratic (see BENCHMARKS.md).
fn write_files(tree: &OutputTree, root: &Path, previous: Option<&Path>) -> io::Result<()> {
    let mut made: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for relative in tree.keys() {
        if let Some((parent, _)) = relative.rsplit_once('/')
            && made.insert(parent)
        {
            fs::create_dir_all(root.join(parent))?;
        }
    }
    let files: Vec<(&String, &String)> = tree.iter().collect();
    let threads = if files.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4)
    };
    let write = |(relative, text): &(&String, &String)| write_file(root, previous, relative, text);
    if threads == 1 {
        return files.iter().try_for_each(write);
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> =
            files.chunks(chunk).map(|part| scope.spawn(move || part.iter().try_for_each(write))).collect();
        workers.into_iter().try_for_each(|worker| {
            worker.join().unwrap_or_else(|_| Err(io::Error::other("a thread writing the output panicked")))
        })
    })
}

fn write_file(root: &Path, previous: Option<&Path>, relative: &str, text: &str) -> io::Result<()> {
    let path = root.join(relative);
    let executable = relative.ends_with(".sh");
    if let Some(previous) = previous {
        let old = previous.join(relative);
        if unchanged(&old, text, executable) && fs::hard_link(&old, &path).is_ok() {
            return Ok(());
        }
    }
    fs::write(&path, text)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// Whether `old` is a regular file holding exactly `text`, executable exactly when it should be.
fn unchanged(old: &Path, text: &str, executable: bool) -> bool {
    let Ok(metadata) = fs::symlink_metadata(old) else { return false };
    if !metadata.is_file() || metadata.len() != text.len() as u64 {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if (executable && mode != 0o755) || (!executable && mode & 0o111 != 0) {
            return false;
        }
    }
    #[cfg(not(unix))]
    let _ = executable;
    fs::read(old).is_ok_and(|bytes| bytes == text.as_bytes())
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
