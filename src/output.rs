//! The output tree and writing it to disk atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Relative path (with `/`) to file contents, in sorted order.
pub type OutputTree = BTreeMap<String, String>;

/// Where a build's files go, one at a time as they are made: collected into an [`OutputTree`]
/// ([`Collect`]) or written to disk ([`Staging`]). `put` may be called from several threads.
pub trait Files: Sync {
    fn put(&self, relative: String, text: String) -> io::Result<()>;
}

/// Files collected into a tree.
#[derive(Default)]
pub struct Collect(Mutex<OutputTree>);

impl Collect {
    pub fn into_tree(self) -> OutputTree {
        self.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Files for Collect {
    fn put(&self, relative: String, text: String) -> io::Result<()> {
        let mut tree = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tree.insert(relative, text);
        Ok(())
    }
}

impl Files for Staging {
    fn put(&self, relative: String, text: String) -> io::Result<()> {
        self.write(&relative, &text)
    }
}

/// The directory inside an output directory where the scripts keep what they learn at run time
/// (kubeconfig, cluster config, measured durations, registry markers). A build carries it over
/// from the output it replaces, and `read_tree` leaves it out: it is state, not output.
pub const STATE_DIR: &str = ".deployc-state";

/// Write `tree` to `dir` so that `dir` is either left as it was or replaced whole: the files
/// go to a sibling temporary directory first, which is then renamed over `dir`.
pub fn write_atomically(tree: &OutputTree, dir: &Path) -> io::Result<()> {
    let staging = Staging::new(dir);
    write_all(&staging, tree)?;
    staging.commit()
}

/// Below this many files one thread writes them all.
const PARALLEL_FROM: usize = 64;

/// Write every file of `tree` into `staging`; large trees are written by a few threads, since
/// creating thousands of small files is mostly system-call time, which overlaps well.
fn write_all(staging: &Staging, tree: &OutputTree) -> io::Result<()> {
    let files: Vec<(&String, &String)> = tree.iter().collect();
    let threads = if files.len() < PARALLEL_FROM { 1 } else { worker_threads() };
    let write = |(relative, text): &(&String, &String)| staging.write(relative, text);
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

/// How many threads to write (or emit and write) with: the machine's parallelism, at most 4.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4)
}

/// An output directory being written: files go into a sibling temporary directory, created on
/// the first write, and [`Staging::commit`] renames it over the real one. Dropped without a
/// commit (an error, a panic), it removes the temporary directory and leaves `dir` as it was.
/// [`Staging::write`] may be called from several threads at once.
pub struct Staging {
    dir: PathBuf,
    staging: PathBuf,
    backup: PathBuf,
    /// The output being replaced, if there is one: unchanged files are hard-linked from it.
    previous: Option<PathBuf>,
    /// Whether the staging directory has been created (and with which outcome).
    created: OnceLock<Result<(), String>>,
    /// Directories already created under the staging directory.
    made: Mutex<BTreeSet<String>>,
    files: AtomicUsize,
    committed: bool,
}

impl Staging {
    /// Prepare to replace `dir`. Nothing is touched on disk until the first write.
    pub fn new(dir: &Path) -> Staging {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let id = std::process::id();
        Staging {
            dir: dir.to_path_buf(),
            staging: parent.join(format!(".{base}.deployc-tmp-{id}")),
            backup: parent.join(format!(".{base}.deployc-old-{id}")),
            previous: dir.is_dir().then(|| dir.to_path_buf()),
            created: OnceLock::new(),
            made: Mutex::new(BTreeSet::new()),
            files: AtomicUsize::new(0),
            committed: false,
        }
    }

    /// How many files have been written.
    pub fn files(&self) -> usize {
        self.files.load(Ordering::Relaxed)
    }

    /// Write one file, `relative` being a `/`-separated path. Scripts (`*.sh`) are made
    /// executable. A file whose bytes are those of the same file in the output being replaced
    /// is hard-linked from it instead of written: a rebuild then creates and deletes inodes
    /// only for the files that changed. Besides saving the writes, this keeps rebuilds fast on
    /// ext4 without a journal, where allocating an inode skips over every inode deleted in the
    /// last minute or more, so deleting thousands and creating thousands is quadratic (see
    /// BENCHMARKS.md).
    pub fn write(&self, relative: &str, text: &str) -> io::Result<()> {
        self.create()?;
        if let Some((parent, _)) = relative.rsplit_once('/') {
            let mut made = self.made.lock().map_err(|_| io::Error::other("a thread writing the output panicked"))?;
            if !made.contains(parent) {
                fs::create_dir_all(self.staging.join(parent))?;
                made.insert(parent.to_string());
            }
        }
        write_file(&self.staging, self.previous.as_deref(), relative, text)?;
        self.files.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn create(&self) -> io::Result<()> {
        let created = self.created.get_or_init(|| {
            let _ = fs::remove_dir_all(&self.staging);
            fs::create_dir_all(&self.staging).map_err(|e| e.to_string())
        });
        created.clone().map_err(io::Error::other)
    }

    /// Replace `dir` with what was written, carrying over the old output's `.deployc-state/`.
    pub fn commit(mut self) -> io::Result<()> {
        self.create()?;
        self.committed = true;
        let result = self.swap();
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.staging);
        }
        result
    }

    fn swap(&self) -> io::Result<()> {
        if !self.dir.exists() {
            return fs::rename(&self.staging, &self.dir);
        }
        let state = self.dir.join(STATE_DIR);
        if state.is_dir() {
            fs::rename(&state, self.staging.join(STATE_DIR))?;
        }
        let _ = fs::remove_dir_all(&self.backup);
        if let Err(error) = fs::rename(&self.dir, &self.backup) {
            let _ = fs::rename(self.staging.join(STATE_DIR), &state);
            return Err(error);
        }
        if let Err(error) = fs::rename(&self.staging, &self.dir) {
            let _ = fs::rename(&self.backup, &self.dir);
            let _ = fs::rename(self.staging.join(STATE_DIR), &state);
            return Err(error);
        }
        fs::remove_dir_all(&self.backup)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed && self.created.get().is_some() {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
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
    // Exactly the expected length, in one read (`fs::read` would stat the file again and read
    // once more to find the end).
    let mut bytes = vec![0; text.len()];
    fs::File::open(old).and_then(|mut file| io::Read::read_exact(&mut file, &mut bytes)).is_ok()
        && bytes == text.as_bytes()
}

/// Read every file under `dir` into a tree (for `diff` and the golden tests), leaving out the
/// scripts' state directory.
pub fn read_tree(dir: &Path) -> io::Result<OutputTree> {
    let mut tree = OutputTree::new();
    if !dir.exists() {
        return Ok(tree);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current)? {
            let path = entry?.path();
            if current == dir && path.file_name().is_some_and(|name| name == STATE_DIR) {
                continue;
            }
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
