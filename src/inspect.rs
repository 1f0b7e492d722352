//! Read-only views of one compilation for tools such as `deployc graph`.
//!
//! Input: the same as [`crate::compile`]. Output: the deployment plan (when checking found no
//! errors) instead of the manifests, plus what tools need that the plan does not carry yet.

use crate::diagnostics::Diagnostics;
use crate::lower::plan::Plan;
use crate::source::{FileId, SourceMap};
use crate::{CompileOptions, Loader};

/// A checked deployment as tools see it.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub plan: Plan,
    /// Each service's `uses`, in source order: (service, the services it calls). Taken from the
    /// checked model because the plan does not carry `uses` yet.
    pub uses: Vec<(String, Vec<String>)>,
    /// The component that serves routes (in the stack or bundled by the provider).
    pub ingress_controller: Option<String>,
}

/// The result of [`plan`]: an inspection only when there were no errors.
#[derive(Debug)]
pub struct Planned {
    pub inspection: Option<Inspection>,
    pub diagnostics: Diagnostics,
}

/// Check and lower `root` (already in `sources`) the way [`crate::compile`] does, without
/// emitting anything.
pub fn plan(sources: &mut SourceMap, root: FileId, loader: &Loader, options: &CompileOptions) -> Planned {
    let mut sink = Diagnostics::new();
    let checked = crate::check::check(&mut sink, sources, root, loader, options);
    let inspection = match checked {
        Some(model) if !sink.has_errors() => {
            let uses = model
                .services
                .iter()
                .map(|s| (s.name.value.clone(), s.uses.iter().map(|u| u.value.clone()).collect()))
                .collect();
            let ingress_controller = model.ingress.as_ref().map(|(name, _)| name.clone());
            Some(Inspection { plan: crate::lower::lower(&model), uses, ingress_controller })
        }
        _ => None,
    };
    Planned { inspection, diagnostics: sink }
}
