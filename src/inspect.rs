//! Read-only views of one compilation for tools such as `deployc graph`.
//!
//! Input: the same as [`crate::compile`]. Output: the deployment plan (when checking found no
//! errors) instead of the manifests, plus what tools need that the plan does not carry yet.

use crate::diagnostics::Diagnostics;
use crate::lower::plan::Plan;
use crate::source::{FileId, SourceMap};
use crate::{CompileOptions, Loader};

/// The result of [`plan`]: the plans (the deployment's, or one per environment) only when
/// there were no errors.
#[derive(Debug)]
pub struct Planned {
    pub plans: Vec<Plan>,
    pub diagnostics: Diagnostics,
}

/// Check and lower `root` (already in `sources`) the way [`crate::compile`] does, without
/// emitting anything.
pub fn plan(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Planned {
    let mut sink = Diagnostics::new();
    let checked = crate::check::check(&mut sink, sources, root, loader, options);
    let plans = if sink.has_errors() { Vec::new() } else { checked.into_iter().map(crate::lower::lower).collect() };
    Planned { plans, diagnostics: sink }
}
