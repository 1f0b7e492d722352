//! The install order of the platform stack: components the provider bundles are marked (and
//! not installed twice), components a plan needs but the user did not list are added (with
//! the reason), and the rest are sorted into stages by `requires`, so that every component is
//! installed after what it needs. A dependency cycle is E0315 with its path.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Component, Deployment, Origin, Replicas, StackEntry};
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;

/// Mark bundled components, add implied ones and compute `deployment.stages`.
pub fn install_order(cx: &mut Cx, deployment: &mut Deployment, components: &BTreeMap<String, Component>) {
    let provider = deployment.provider.clone();
    for entry in &mut deployment.stack {
        if provider.bundles.contains(&entry.component.name) {
            entry.origin = Origin::Bundled;
            cx.error(
                Diagnostic::new(codes::W0303, format!("`{}` is bundled with {}", entry.component.name, provider.title))
                    .at(entry.span, "already running on this cluster")
                    .help(format!(
                        "the bundled `{}` is used and not installed a second time; remove it from `stack` to silence this",
                        entry.component.name
                    )),
            );
        }
    }
    let autoscaled: Vec<&str> = deployment
        .services
        .iter()
        .filter(|s| matches!(s.replicas, Replicas::Range(..)))
        .map(|s| s.name.value.as_str())
        .collect();
    let has = |name: &str, stack: &[StackEntry]| stack.iter().any(|e| e.component.name == name);
    if let Some(first) = autoscaled.first()
        && !has("metrics-server", &deployment.stack)
        && !provider.bundles.iter().any(|b| b == "metrics-server")
        && let Some(component) = components.get("metrics-server")
    {
        let reason = format!(
            "`{first}` autoscales on CPU, which needs the metrics API, and {} does not bundle metrics-server",
            provider.title
        );
        deployment.stack.push(StackEntry {
            component: component.clone(),
            options: Vec::new(),
            span: deployment.name.span,
            topics: Vec::new(),
            alerts: Vec::new(),
            receivers: Vec::new(),
            origin: Origin::Added(reason),
        });
    }
    deployment.stages = stages(cx, &deployment.stack);
}

/// Kahn's algorithm, one stage at a time, names sorted within a stage.
fn stages(cx: &mut Cx, stack: &[StackEntry]) -> Vec<Vec<usize>> {
    let installed: BTreeMap<&str, usize> = stack
        .iter()
        .enumerate()
        .filter(|(_, e)| e.origin != Origin::Bundled)
        .map(|(i, e)| (e.component.name.as_str(), i))
        .collect();
    // Dependencies that are installed here (bundled or missing ones are not waited for;
    // a missing one is reported by `rules`).
    let needs: BTreeMap<usize, BTreeSet<usize>> = installed
        .values()
        .map(|&i| {
            let deps = stack
                .get(i)
                .map(|e| e.component.requires.iter().filter_map(|r| installed.get(r.as_str()).copied()).collect())
                .unwrap_or_default();
            (i, deps)
        })
        .collect();
    let mut done: BTreeSet<usize> = BTreeSet::new();
    let mut out = Vec::new();
    while done.len() < needs.len() {
        let mut stage: Vec<usize> =
            needs.iter().filter(|(i, deps)| !done.contains(*i) && deps.is_subset(&done)).map(|(i, _)| *i).collect();
        if stage.is_empty() {
            report_cycle(cx, stack, &needs, &done);
            break;
        }
        stage.sort_by_key(|i| stack.get(*i).map(|e| e.component.name.clone()).unwrap_or_default());
        done.extend(stage.iter().copied());
        out.push(stage);
    }
    out
}

fn report_cycle(cx: &mut Cx, stack: &[StackEntry], needs: &BTreeMap<usize, BTreeSet<usize>>, done: &BTreeSet<usize>) {
    // Walk from the first unfinished component along unfinished dependencies until a
    // component repeats: that stretch is a cycle.
    let Some(start) = needs.keys().find(|i| !done.contains(*i)).copied() else { return };
    let mut path = vec![start];
    let mut current = start;
    loop {
        let next = needs.get(&current).and_then(|deps| deps.iter().find(|d| !done.contains(*d)).copied());
        let Some(next) = next else { return };
        if let Some(position) = path.iter().position(|p| *p == next) {
            let cycle: Vec<usize> = path.get(position..).map(<[usize]>::to_vec).unwrap_or_default();
            let name = |i: usize| stack.get(i).map(|e| e.component.name.clone()).unwrap_or_default();
            let mut names: Vec<String> = cycle.iter().map(|i| format!("`{}`", name(*i))).collect();
            names.push(format!("`{}`", name(next)));
            let Some(first) = stack.get(next) else { return };
            cx.error(
                Diagnostic::new(
                    codes::E0315,
                    format!("the stack has a dependency cycle: {}", names.join(" requires ")),
                )
                .at(first.span, "part of the cycle")
                .help("break the cycle: remove one `requires` entry in these components' definitions"),
            );
            return;
        }
        path.push(next);
        current = next;
    }
}
