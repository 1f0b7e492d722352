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

/// Files handed on to another sink under a directory (`environments/dev/`).
pub struct Prefixed<'a> {
    inner: &'a dyn Files,
    prefix: String,
}

impl<'a> Prefixed<'a> {
    /// `prefix` ends with `/`.
    pub fn new(inner: &'a dyn Files, prefix: String) -> Self {
        Prefixed { inner, prefix }
    }
}

impl Files for Prefixed<'_> {
    fn put(&self, relative: String, text: String) -> io::Result<()> {
        self.inner.put(format!("{}{relative}", self.prefix), text)
    }
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

/// The top-level entries a build writes (and the scripts' state), and what each directory
/// holds: an existing output directory with anything else in it is not deployc's to replace.
const OWN_ENTRIES: [(&str, Option<&str>); 7] = [
    ("RUNBOOK.md", None),
    // The kustomize bases of environments that share a cluster: `base/CLUSTER/manifests/*.yaml`.
    ("base", Some(BASE_FILES)),
    // Each environment's output (manifests, helm, scripts, RUNBOOK.md): checked file by file.
    ("environments", Some(ENVIRONMENT_FILES)),
    ("manifests", Some(".yaml")),
    ("scripts", Some(".sh")),
    ("helm", Some(".values.yaml")),
    (STATE_DIR, Some("")),
];

/// The marker of `environments/` in [`OWN_ENTRIES`].
const ENVIRONMENT_FILES: &str = "environments/*";

/// The marker of `base/` in [`OWN_ENTRIES`].
const BASE_FILES: &str = "base/*";

/// Whether `inner`, a path under `base/`, is one a build writes there: `CLUSTER/manifests/NAME.yaml`.
fn is_base_file(inner: &str) -> bool {
    let mut parts = inner.splitn(3, '/');
    matches!((parts.next(), parts.next(), parts.next()), (Some(c), Some("manifests"), Some(f)) if !c.is_empty() && !f.contains('/') && f.ends_with(".yaml"))
}

/// Whether `inner`, a path under `environments/`, is one a build writes there:
/// `NAME/RUNBOOK.md` or a file of one of the directories a build writes, by its suffix.
fn is_environment_file(inner: &str) -> bool {
    let mut parts = inner.splitn(2, '/');
    let (Some(_environment), Some(rest)) = (parts.next(), parts.next()) else { return false };
    rest == "RUNBOOK.md"
        || OWN_ENTRIES.iter().any(|(dir, suffix)| {
            *dir != "environments"
                && *dir != "base"
                && *dir != STATE_DIR
                && suffix.is_some_and(|suffix| {
                    rest.strip_prefix(dir).is_some_and(|r| r.starts_with('/') && r.ends_with(suffix))
                })
        })
}

/// Why `dir` must not be replaced by a build of `input` run from `cwd`, if it must not: it is a
/// file, it holds the input or the working directory, or it holds files deployc does not write
/// (unless `force`). Reads only; touches nothing.
pub fn refuse_output_dir(dir: &Path, input: &Path, cwd: &Path, force: bool) -> Option<String> {
    let meta = fs::symlink_metadata(dir).ok()?;
    if !meta.is_dir() {
        return Some(format!("{} exists and is not a directory: give -o a directory", dir.display()));
    }
    let real = fs::canonicalize(dir).ok()?;
    let inside = |path: &Path| fs::canonicalize(path).is_ok_and(|p| p.starts_with(&real));
    if inside(input) {
        return Some(format!(
            "{} holds the input file {}: a build replaces its output directory whole; choose another, such as {}",
            dir.display(),
            input.display(),
            real.join("out").display()
        ));
    }
    if inside(cwd) {
        return Some(format!(
            "{} holds the working directory: a build replaces its output directory whole; choose a subdirectory such as out/",
            dir.display()
        ));
    }
    if force {
        return None;
    }
    let foreign = foreign_entries(dir);
    (!foreign.is_empty()).then(|| {
        format!(
            "{} holds files deployc does not write ({}{}): a build would delete them; choose an empty or new directory, or pass --force",
            dir.display(),
            foreign.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            if foreign.len() > 3 { format!(" and {} more", foreign.len() - 3) } else { String::new() }
        )
    })
}

/// Entries of `dir` that no build writes, as paths relative to it.
fn foreign_entries(dir: &Path) -> Vec<String> {
    let mut foreign = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let own = OWN_ENTRIES.iter().find(|(n, _)| *n == name);
        match own {
            Some((_, None)) if !is_dir => {}
            Some((_, Some(suffix))) if is_dir => {
                if *suffix == ENVIRONMENT_FILES || *suffix == BASE_FILES {
                    let own = if *suffix == BASE_FILES { is_base_file } else { is_environment_file };
                    for inner in walk(&entry.path()) {
                        if !own(&inner) {
                            foreign.push(format!("{name}/{inner}"));
                        }
                    }
                } else if !suffix.is_empty() {
                    for inner in walk(&entry.path()) {
                        if !inner.ends_with(suffix) {
                            foreign.push(format!("{name}/{inner}"));
                        }
                    }
                }
            }
            _ => foreign.push(name),
        }
    }
    foreign.sort();
    foreign
}

/// The files under `dir`, relative to it, `/`-separated (symbolic links count as files).
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// An exclusive lock on building into one output directory, held until dropped: a second
/// build of the same directory waits instead of mixing its files into the first one's swap.
/// On Unix the lock is on the directory that holds the output (nothing is created for it);
/// elsewhere on a `.NAME.deployc-lock` file beside the output.
pub struct OutputLock(#[allow(dead_code)] fs::File);

impl OutputLock {
    /// Lock `dir`, waiting for another build of it, then clear what an interrupted build left.
    pub fn acquire(dir: &Path) -> io::Result<OutputLock> {
        let (parent, base) = parent_and_base(dir);
        fs::create_dir_all(&parent)?;
        #[cfg(unix)]
        let file = fs::File::open(&parent)?;
        #[cfg(not(unix))]
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(parent.join(format!(".{base}.deployc-lock")))?;
        file.lock()?;
        recover(&parent, &base, dir);
        Ok(OutputLock(file))
    }
}

/// The directory that holds `dir` (`.` for a bare name) and `dir`'s own name, which the staging,
/// backup and lock paths beside it are named after.
fn parent_and_base(dir: &Path) -> (PathBuf, String) {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    (parent, base)
}

/// With the lock held no other build of `dir` runs, so what an interrupted one left beside it
/// (killed between the renames of [`Staging::commit`]) is put back or removed: a missing output
/// comes back from its backup, `.deployc-state/` from wherever the swap had moved it, and the
/// staging and backup directories go.
fn recover(parent: &Path, base: &str, dir: &Path) {
    let leftovers: Vec<PathBuf> = fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().map(|n| n.to_string_lossy().into_owned()).is_some_and(|n| {
                n.starts_with(&format!(".{base}.deployc-tmp-")) || n.starts_with(&format!(".{base}.deployc-old-"))
            })
        })
        .collect();
    for path in &leftovers {
        let is_backup = path.to_string_lossy().contains(".deployc-old-");
        if is_backup && !dir.exists() {
            let _ = fs::rename(path, dir);
        }
    }
    for path in &leftovers {
        let state = path.join(STATE_DIR);
        if state.is_dir() && !dir.join(STATE_DIR).exists() && dir.is_dir() {
            let _ = fs::rename(&state, dir.join(STATE_DIR));
        }
        let _ = fs::remove_dir_all(path);
    }
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
/// The staging directories of the builds in progress in this process, for [`interrupted`]. A
/// swap holds the lock from its first rename to its last, so an interruption waits until the
/// output is whole again.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Held (shared) by every write into a staging directory, and taken whole by [`interrupted`],
/// so that no thread can create a file or directory again after the staging is removed.
static WRITING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// The process was told to stop (SIGINT, SIGTERM, SIGHUP): remove the staging directories of
/// the builds in progress, after any swap under way has finished. The caller exits next; the
/// lock stays taken, so no swap starts after this.
pub fn interrupted() {
    let writing = WRITING.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::forget(writing);
    let in_progress = IN_PROGRESS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for staging in in_progress.iter() {
        let _ = fs::remove_dir_all(staging);
    }
    std::mem::forget(in_progress);
}

fn forget_staging(staging: &Path, in_progress: &mut Vec<PathBuf>) {
    in_progress.retain(|p| p != staging);
}

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
        let (parent, base) = parent_and_base(dir);
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
        let _writing = WRITING.read().unwrap_or_else(|poisoned| poisoned.into_inner());
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
            let mut in_progress = IN_PROGRESS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = fs::remove_dir_all(&self.staging);
            in_progress.push(self.staging.clone());
            fs::create_dir_all(&self.staging).map_err(|e| e.to_string())
        });
        created.clone().map_err(io::Error::other)
    }

    /// Replace `dir` with what was written, carrying over the old output's `.deployc-state/`.
    pub fn commit(mut self) -> io::Result<()> {
        self.create()?;
        self.committed = true;
        let mut in_progress = IN_PROGRESS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = self.swap();
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.staging);
        }
        forget_staging(&self.staging, &mut in_progress);
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
        // The new output is in place: the build succeeded. An old output that cannot be
        // removed now (a full disk, a file held open) is not a failure of the build, which
        // must not say it failed when it replaced the output; the next build removes it
        // (`recover`).
        let _ = fs::remove_dir_all(&self.backup);
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed && self.created.get().is_some() {
            let mut in_progress = IN_PROGRESS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = fs::remove_dir_all(&self.staging);
            forget_staging(&self.staging, &mut in_progress);
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
                // A named pipe or device would block or never end, and deployc writes neither
                // such a thing nor a file this large: each differs from any build, unread.
                let metadata = fs::metadata(&path)?;
                let text = if !metadata.is_file() {
                    "(not a regular file)\n".to_string()
                } else if metadata.len() > crate::source::MAX_INPUT_BYTES {
                    "(larger than 64 MiB)\n".to_string()
                } else {
                    fs::read_to_string(&path)?
                };
                tree.insert(key, text);
            }
        }
    }
    Ok(tree)
}

/// Output keys under this prefix are paths in the repository, not in the output directory:
/// the CI workflow (`.github/workflows/deployc-NAME.yml`), which GitHub reads only there.
pub const REPOSITORY_PREFIX: &str = ".github/";

/// How every file deployc writes into the repository begins; one that does not is someone
/// else's, and is never replaced.
pub const REPOSITORY_FILE_MARK: &str = "# Generated by deployc from ";

/// Files handed on to `inner`, except those for the repository ([`REPOSITORY_PREFIX`]), which
/// are kept to be written after the output.
pub struct SplitRepository<'a> {
    inner: &'a dyn Files,
    repository: Collect,
}

impl<'a> SplitRepository<'a> {
    pub fn new(inner: &'a dyn Files) -> Self {
        SplitRepository { inner, repository: Collect::default() }
    }

    /// The repository's files, by their path in the repository.
    pub fn into_repository_files(self) -> OutputTree {
        self.repository.into_tree()
    }
}

impl Files for SplitRepository<'_> {
    fn put(&self, relative: String, text: String) -> io::Result<()> {
        if relative.starts_with(REPOSITORY_PREFIX) {
            self.repository.put(relative, text)
        } else {
            self.inner.put(relative, text)
        }
    }
}

/// The repository's root for a pipeline: the `.deploy` file `file` is in `directory` of it
/// (`deploy/todo`; empty for the root), and the build writes to `output` (relative to the
/// file's directory). Refused, with the reason, when the file is not where the pipeline says,
/// when `out_dir` is not the pipeline's `output`, or when the root holds no `.git`.
pub fn repository_root(file: &Path, directory: &str, out_dir: Option<&Path>, output: &str) -> Result<PathBuf, String> {
    let absolute = |p: &Path| fs::canonicalize(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let file_dir = absolute(file)?.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut root = file_dir.clone();
    for part in directory.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>().into_iter().rev() {
        if root.file_name().is_none_or(|name| name != part) {
            return Err(format!(
                "the pipeline says {} is in `{directory}` of its repository, but it is in {}\n  = help: set the pipeline's `directory` to the file's directory from the repository's root",
                file.display(),
                file_dir.display()
            ));
        }
        root.pop();
    }
    if let Some(out_dir) = out_dir {
        // The output may not exist yet: compare its parent, which must.
        let wanted = file_dir.join(output);
        let parent = out_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let given = absolute(parent)?.join(out_dir.file_name().unwrap_or_default());
        if given != wanted {
            return Err(format!(
                "the pipeline builds into `{output}` next to {}, and this build writes to {}\n  = help: build with `-o {}`, or set the pipeline's `output`",
                file.display(),
                out_dir.display(),
                wanted.display()
            ));
        }
    }
    if !root.join(".git").exists() {
        return Err(format!(
            "the pipeline's workflow goes to .github/workflows at the repository's root, and {} holds no .git\n  = help: set the pipeline's `directory` to the file's directory from the repository's root",
            root.display()
        ));
    }
    Ok(root)
}

/// Write `files` (paths in the repository) under `root`, each atomically (a temporary file
/// beside it, renamed over it). A file there that deployc did not write is left alone and
/// reported, unless `force`.
pub fn write_repository_files(root: &Path, files: &OutputTree, force: bool) -> Result<(), String> {
    refuse_foreign_files(root, files, force)?;
    for (relative, text) in files {
        let path = root.join(relative);
        if fs::read_to_string(&path).is_ok_and(|existing| existing == *text) {
            continue;
        }
        let parent = path.parent().unwrap_or(root);
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let temporary = parent.join(format!(".{}.deployc-tmp", path.file_name().unwrap_or_default().to_string_lossy()));
        fs::write(&temporary, text).and_then(|()| fs::rename(&temporary, &path)).map_err(|e| {
            let _ = fs::remove_file(&temporary);
            format!("cannot write {}: {e}", path.display())
        })?;
    }
    Ok(())
}

/// Refused, with the reason, when a file of `files` exists under `root` and deployc did not
/// write it (it lacks [`REPOSITORY_FILE_MARK`]), unless `force`.
pub fn refuse_foreign_files(root: &Path, files: &OutputTree, force: bool) -> Result<(), String> {
    for relative in files.keys() {
        let path = root.join(relative);
        if let Ok(existing) = fs::read_to_string(&path)
            && !existing.starts_with(REPOSITORY_FILE_MARK)
            && !force
        {
            return Err(format!(
                "{} was not written by deployc; not replacing it\n  = help: move it away, or pass --force to replace it",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The files at `paths` under `root` that exist, by their path in the repository.
pub fn read_repository_files<'a>(root: &Path, paths: impl Iterator<Item = &'a String>) -> io::Result<OutputTree> {
    let mut tree = OutputTree::new();
    for relative in paths {
        match fs::read_to_string(root.join(relative)) {
            Ok(text) => {
                tree.insert(relative.clone(), text);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(tree)
}
