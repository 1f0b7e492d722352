//! deployc: one typed `.deploy` file in, Kubernetes manifests out.
//!
//! The pipeline (see ARCHITECTURE.md):
//!
//! 1. [`syntax`]: text to an untyped, spanned AST by the one parser, hand-written after the
//!    grammar in `grammar/deploy.pest`, which also words the syntax errors and keeps the
//!    comments `deployc fmt` needs (pest is only the tests' oracle).
//! 2. [`check`]: name resolution and type checking against schemas and the embedded
//!    [`stdlib`] (providers and components written in the language itself), then the semantic
//!    checks, producing a typed [`check::model`].
//! 3. [`lower`]: the typed model to [`lower::plan::Plan`], the deployment IR.
//! 4. [`emit`]: the plan to manifests, scripts and a runbook, each file handed to an
//!    [`output::Files`] sink as soon as it is made.
//!
//! The library does no IO of its own: [`compile`] takes a [`source::SourceMap`] and a loader for
//! imports and returns the output tree (when there are no errors) and every diagnostic;
//! [`compile_to`] hands the files to a sink instead (`build` passes an [`output::Staging`]).

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod check;
pub mod date;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod fmt;
pub mod init;
pub mod inspect;
pub mod lower;
pub mod output;
pub mod promote;
pub mod source;
pub mod stdlib;
pub mod syntax;
#[doc(hidden)]
pub mod testing;
pub mod text;
pub mod vocab;

/// The plan as a Mermaid flowchart (`deployc graph`), one of the backends.
pub use emit::graph;

use crate::diagnostics::codes;
use diagnostics::Diagnostics;
use output::OutputTree;
use source::{FileId, SourceMap};

/// What a caller asks of one compilation.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Which deployment to build when a file holds several (`--name`).
    pub deployment: Option<String>,
    /// Today, as `YYYY-MM-DD`, for support windows (a Kubernetes version past its end of
    /// life); `None` checks none. The library reads no clock.
    pub today: Option<String>,
    /// Which environment to check or build when the deployment declares several (`--env`);
    /// `None` is all of them.
    pub environment: Option<String>,
    /// The image lock next to the file (`NAME.deploy.lock`), read by the caller: the digest
    /// each image was pushed with (`check::lock`).
    pub lock: Option<LockFile>,
}

/// A lock file's display name and text.
#[derive(Debug, Clone)]
pub struct LockFile {
    pub name: String,
    pub text: String,
}

/// Reads an imported file: given the importing file's name and the import path as written,
/// returns the display name and text of the imported file, or a reason it cannot be read.
pub type Loader<'a> = dyn Fn(&str, &str) -> Result<(String, String), String> + 'a;

/// The result of one compilation: output only when there were no errors.
#[derive(Debug)]
pub struct Compilation {
    pub output: Option<OutputTree>,
    pub diagnostics: Diagnostics,
    /// What the compilation built on the way and did not free.
    pub retained: Retained,
}

/// Intermediate results a compilation hands back instead of freeing them: dropping this
/// frees them, and a process about to exit can `std::mem::forget` it instead. Freeing a
/// syntax tree of thousands of services one allocation at a time is about a sixth of
/// `deployc check`. Only what is alive at the compilation's peak anyway is kept, so keeping
/// it does not raise the peak memory.
#[derive(Debug, Default)]
pub struct Retained {
    /// The syntax trees of the root file and its imports (`check_only`: alive until the end).
    pub syntax: Vec<(FileId, syntax::ast::Module)>,
    /// The checked model (`check_only`): the deployment, or each of its environments.
    pub model: Vec<check::model::Deployment>,
    /// The plans the output was emitted from (`compile`): one, or one per environment.
    pub plan: Vec<lower::plan::Plan>,
}

/// Check and compile `root` (already in `sources`). Stdlib files are added to `sources`.
pub fn compile(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Compilation {
    let files = output::Collect::default();
    let built = compile_to(sources, root, loader, options, &files, output::worker_threads());
    let output = match built.written {
        Ok(true) => Some(files.into_tree()),
        // Collecting into a tree does no IO.
        Ok(false) | Err(_) => None,
    };
    Compilation { output, diagnostics: built.diagnostics, retained: built.retained }
}

/// The result of [`compile_to`].
#[derive(Debug)]
pub struct Built {
    pub diagnostics: Diagnostics,
    /// `Ok(true)` when every file was handed to the sink; `Ok(false)` when there were errors
    /// (then no file was); `Err` when the sink failed.
    pub written: std::io::Result<bool>,
    /// What the compilation built on the way and did not free.
    pub retained: Retained,
}

/// Check and compile `root`, handing each output file to `files` as soon as it is made (on up
/// to `threads` threads), so that a large build never holds its whole output in memory.
pub fn compile_to(
    sources: &mut SourceMap,
    root: FileId,
    loader: &Loader,
    options: &CompileOptions,
    files: &dyn output::Files,
    threads: usize,
) -> Built {
    let mut sink = Diagnostics::new();
    let mut retained = Retained::default();
    let (checked, syntax) = check::check_keeping_syntax(&mut sink, sources, root, loader, options);
    let written = if checked.is_empty() || sink.has_errors() {
        Ok(false)
    } else {
        retained.plan = checked.into_iter().map(lower::lower).collect();
        // Freed here rather than before lowering: emitting then reuses the freed blocks
        // at once (measured: 5,000 services build 15 ms faster than freeing them first).
        drop(syntax);
        match emit::emit_all(&retained.plan, files, threads) {
            Ok(()) => Ok(true),
            Err(emit::EmitError::Io(error)) => Err(error),
            Err(emit::EmitError::Internal(error)) => {
                sink.push(
                    diagnostics::Diagnostic::new(codes::E0501, format!("internal error while writing the output: {error}"))
                        .help("this is a bug in deployc or in a provider's script templates; please report it with the .deploy file"),
                );
                Ok(false)
            }
        }
    };
    Built { diagnostics: sink, written, retained }
}

/// Check only: parse, resolve, type-check and analyse `root`. The compilation has no output.
pub fn check_only(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Compilation {
    let mut sink = Diagnostics::new();
    let (model, syntax) = check::check_keeping_syntax(&mut sink, sources, root, loader, options);
    Compilation { output: None, diagnostics: sink, retained: Retained { syntax, model, plan: Vec::new() } }
}
