//! Phase 4, emit: the plan to an output tree of files.
//!
//! Manifests are built as typed `k8s-openapi` objects (custom resources as typed structs in
//! [`crd`]) and serialised by [`yaml`] (serde_yaml's bytes), one file per concern, listed in apply
//! order by a `kustomization.yaml`. Scripts and the runbook are rendered from handlebars-syntax templates by
//! [`template`], a small engine of our own that renders what handlebars-rust would.

pub mod alerts;
pub mod crd;
pub mod dashboards;
pub mod environments;
pub mod graph;
pub mod k8s;
pub mod markdown;
pub mod network;
pub mod objects;
pub mod pipeline;
pub mod runbook;
pub mod scripts;
pub mod stack;
pub mod template;
pub mod yaml;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use k8s::Manifest;
pub use objects::{EmitError, header};

use crate::lower::plan::{self, Plan};
use crate::output::{Files, OutputTree};

/// Services per unit of work when several threads emit.
const CHUNK: usize = 16;

/// Below this many services one thread emits everything: threads cost more than they save.
const PARALLEL_FROM: usize = 32;

/// How many of the first tasks (runbook, scripts, NetworkPolicies) the calling thread makes.
const MAIN_THREAD_TASKS: usize = 3;

/// One unit of work.
enum Task<'p> {
    Runbook,
    Scripts,
    Manifest(Manifest<'p>),
    Services(&'p [plan::Service]),
}

/// Make every file of a build of `plans`: one plan's output as [`emit_to`] makes it, or, for a
/// deployment with environments, each environment's under `environments/NAME/` and the
/// runbook that covers them all.
pub fn emit_all(plans: &[Plan], files: &dyn Files, threads: usize) -> Result<(), EmitError> {
    emit_plans(plans, files, threads)?;
    // The CI workflow, once for the deployment: a path in the repository, not in the output
    // (`output::REPOSITORY_PREFIX`).
    match pipeline::workflow(plans) {
        Some((path, text)) => files.put(path, text).map_err(EmitError::Io),
        None => Ok(()),
    }
}

fn emit_plans(plans: &[Plan], files: &dyn Files, threads: usize) -> Result<(), EmitError> {
    match plans {
        [only] if only.environment.is_none() => emit_to(only, files, threads),
        _ => {
            let put_under = |name: &str, tree: OutputTree| {
                let prefix = environments::directory(name);
                tree.into_iter().try_for_each(|(k, v)| files.put(format!("{prefix}/{k}"), v).map_err(EmitError::Io))
            };
            // Environments sharing a cluster are made together, to share a kustomize base.
            let mut groups: Vec<(String, Vec<(&Plan, OutputTree)>)> = Vec::new();
            for plan in plans {
                let name = plan.environment.as_ref().map(|e| e.name.as_str()).unwrap_or_default();
                let group = plan.environment.as_ref().filter(|e| e.cluster_group.len() > 1);
                let Some(environment) = group else {
                    let prefixed = crate::output::Prefixed::new(files, format!("{}/", environments::directory(name)));
                    emit_to(plan, &prefixed, threads)?;
                    continue;
                };
                let collected = crate::output::Collect::default();
                emit_to(plan, &collected, threads)?;
                let owner = environment.cluster_owner().to_string();
                match groups.iter_mut().find(|(o, _)| *o == owner) {
                    Some((_, members)) => members.push((plan, collected.into_tree())),
                    None => groups.push((owner, vec![(plan, collected.into_tree())])),
                }
            }
            for (_, members) in groups {
                let cluster = members.first().map(|(p, _)| p.target.cluster.clone()).unwrap_or_default();
                let names: Vec<String> = members
                    .iter()
                    .map(|(p, _)| p.environment.as_ref().map(|e| e.name.clone()).unwrap_or_default())
                    .collect();
                let (base, overlays) = environments::share_base(&cluster, members);
                base.into_iter().try_for_each(|(k, v)| files.put(k, v).map_err(EmitError::Io))?;
                for (name, tree) in names.iter().zip(overlays) {
                    put_under(name, tree)?;
                }
            }
            files.put("RUNBOOK.md".into(), environments::overview(plans)).map_err(EmitError::Io)
        }
    }
}

/// Make every file of one build and hand each to `files` as soon as it is made, on up to
/// `threads` threads (each file is made by one thread, so the bytes do not depend on how many;
/// only the order of the `put` calls does). On an error the remaining work is skipped and the
/// error of the earliest failing unit is returned, so the same input gives the same error.
pub fn emit_to(plan: &Plan, files: &dyn Files, threads: usize) -> Result<(), EmitError> {
    let mut tasks = vec![
        Task::Runbook,
        Task::Scripts,
        Task::Manifest(Manifest::Network),
        Task::Manifest(Manifest::Stack),
        Task::Manifest(Manifest::Alerting),
        Task::Manifest(Manifest::Namespace),
    ];
    tasks.extend(plan.services.chunks(CHUNK).map(Task::Services));
    let has_stack = AtomicBool::new(false);
    let has_network = AtomicBool::new(false);
    let has_alerting = AtomicBool::new(false);
    let manifest = |m: Manifest| -> Result<(), EmitError> {
        let Some(text) = m.render(plan) else { return Ok(()) };
        match m {
            Manifest::Stack => has_stack.store(true, Ordering::Relaxed),
            Manifest::Alerting => has_alerting.store(true, Ordering::Relaxed),
            Manifest::Network => has_network.store(true, Ordering::Relaxed),
            Manifest::Namespace | Manifest::Service(_) => {}
        }
        files.put(format!("manifests/{}", m.file_name()), text).map_err(EmitError::Io)
    };
    let forward = |tree: OutputTree| tree.into_iter().try_for_each(|(k, v)| files.put(k, v).map_err(EmitError::Io));
    let run = |task: &Task| -> Result<(), EmitError> {
        match task {
            Task::Runbook => {
                let mut tree = OutputTree::new();
                runbook::emit_runbook(&mut tree, plan).map_err(EmitError::Internal)?;
                forward(tree)
            }
            Task::Scripts => scripts::emit_scripts(plan, &mut |path, text| files.put(path, text)),
            Task::Manifest(m) => manifest(*m),
            Task::Services(services) => services.iter().try_for_each(|s| manifest(Manifest::Service(s))),
        }
    };
    let failure: Mutex<Option<(usize, EmitError)>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let attempt = |index: usize, task: &Task| {
        if let Err(error) = run(task) {
            stop.store(true, Ordering::Relaxed);
            let mut failure = failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if failure.as_ref().is_none_or(|(first, _)| index < *first) {
                *failure = Some((index, error));
            }
        }
    };
    let threads = if plan.services.len() < PARALLEL_FROM { 1 } else { threads.clamp(1, tasks.len()) };
    // The calling thread makes the three large files (runbook, scripts, NetworkPolicies) before
    // it joins the others on the rest: they build large temporary values, and the calling
    // thread's heap has room from the phases before, where a new thread's would have to grow.
    let own = if threads == 1 { 0 } else { MAIN_THREAD_TASKS };
    let next = AtomicUsize::new(own);
    let work = || {
        while !stop.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(task) = tasks.get(index) else { break };
            attempt(index, task);
        }
    };
    if threads == 1 {
        work();
    } else {
        let panicked = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            for (index, task) in tasks.iter().enumerate().take(own) {
                if !stop.load(Ordering::Relaxed) {
                    attempt(index, task);
                }
            }
            work();
            // Join every helper (none is left running) before looking at the outcomes.
            let panics: Vec<bool> = helpers.into_iter().map(|helper| helper.join().is_err()).collect();
            panics.contains(&true)
        });
        if panicked {
            return Err(EmitError::Internal("a thread making the output panicked".into()));
        }
    }
    if let Some((_, error)) = failure.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()) {
        return Err(error);
    }
    let mut listed = vec![Manifest::Namespace];
    listed.extend(has_stack.into_inner().then_some(Manifest::Stack));
    listed.extend(has_alerting.into_inner().then_some(Manifest::Alerting));
    listed.extend(has_network.into_inner().then_some(Manifest::Network));
    listed.extend(plan.services.iter().map(Manifest::Service));
    let resources = listed.into_iter().map(Manifest::file_name).collect();
    files.put("manifests/kustomization.yaml".into(), k8s::kustomization(plan, resources)).map_err(EmitError::Io)
}
