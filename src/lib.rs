//! deployc: one typed `.deploy` file in, Kubernetes manifests out.
//!
//! The pipeline (see ARCHITECTURE.md):
//!
//! 1. [`syntax`]: text to an untyped, spanned AST (pest grammar in `grammar/deploy.pest`).
//! 2. [`check`]: name resolution and type checking against schemas and the embedded
//!    [`stdlib`] (providers and components written in the language itself), then the semantic
//!    checks, producing a typed [`check::model`].
//! 3. [`lower`]: the typed model to [`lower::plan::Plan`], the deployment IR.
//! 4. [`emit`]: the plan to an [`output::OutputTree`] of manifests.
//!
//! The library does no IO: [`compile`] takes a [`source::SourceMap`] and a loader for imports
//! and returns the output tree (when there are no errors) and every diagnostic.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod check;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod fmt;
pub mod graph;
pub mod init;
pub mod inspect;
pub mod lower;
pub mod output;
pub mod source;
pub mod stdlib;
pub mod syntax;
#[doc(hidden)]
pub mod testing;

use diagnostics::Diagnostics;
use output::OutputTree;
use source::{FileId, SourceMap};

/// What a caller asks of one compilation.
#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    /// Which deployment to build when a file holds several (`--name`).
    pub deployment: Option<String>,
}

/// Reads an imported file: given the importing file's name and the import path as written,
/// returns the display name and text of the imported file, or a reason it cannot be read.
pub type Loader<'a> = dyn Fn(&str, &str) -> Result<(String, String), String> + 'a;

/// The result of one compilation: output only when there were no errors.
#[derive(Debug)]
pub struct Compilation {
    pub output: Option<OutputTree>,
    pub diagnostics: Diagnostics,
}

/// Check and compile `root` (already in `sources`). Stdlib files are added to `sources`.
pub fn compile(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Compilation {
    let mut sink = Diagnostics::new();
    let checked = check::check(&mut sink, sources, root, loader, options);
    let output = match checked {
        Some(model) if !sink.has_errors() => {
            let plan = lower::lower(model);
            match emit::emit_all(&plan) {
                Ok(tree) => Some(tree),
                Err(error) => {
                    sink.push(
                        diagnostics::Diagnostic::new("E0501", format!("internal error while writing the output: {error}"))
                            .help("this is a bug in deployc or in a provider's script templates; please report it with the .deploy file"),
                    );
                    None
                }
            }
        }
        _ => None,
    };
    Compilation { output, diagnostics: sink }
}

/// Check only: parse, resolve, type-check and analyse `root`.
pub fn check_only(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Diagnostics {
    let mut sink = Diagnostics::new();
    let _ = check::check(&mut sink, sources, root, loader, options);
    sink
}
