//! Environments: `environment NAME { … }` blocks inside a deployment, each the deployment with
//! its overrides applied (docs/language.md section 4.3, notes/environments-design.md).
//!
//! An environment is made on the syntax tree: its members are merged into a copy of the
//! deployment's, keeping their own spans, so every check runs on each environment unchanged
//! and a mistake in an override is reported at the overriding line. The merge rules:
//!
//! - an attribute replaces the deployment's attribute of the same name;
//! - a block merges into the deployment's block of the same kind and label by the same rules
//!   (`service api`, `secret db`, `pool default`, `env { }`, a stack component's options), except
//!   a `success` block, which replaces the deployment's (criteria are a list, and staging's
//!   URL must not be checked in addition to prod's), and a `target` of another provider, which
//!   replaces the deployment's (its attributes are the provider's own);
//! - a `service` or `secret` an environment names must exist in the deployment (a misspelt
//!   name would otherwise make a new, half-written service); every other block is added;
//! - `allow` adds an exception for that environment alone; nothing removes one or a default.

use std::collections::BTreeMap;

use super::value::Cx;
use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Diagnostics, suggest};
use crate::syntax::ast::{Attr, Block, Member, StrPart, Value, ValueKind};

/// The block kinds an environment may name only when the deployment declares them.
const MUST_EXIST: [&str; 2] = ["service", "secret"];

/// The deployment's environments, in the order written, each once (duplicates and unnamed
/// ones are reported and skipped).
pub fn environments<'b>(cx: &mut Cx, deployment: &'b Block) -> Vec<&'b Block> {
    let mut found: Vec<&'b Block> = Vec::new();
    for member in &deployment.members {
        let Member::Block(block) = member else { continue };
        if block.kind.name != "environment" {
            continue;
        }
        let Some(label) = &block.label else {
            cx.error(
                Diagnostic::new(codes::E0206, "this environment has no name")
                    .at(block.kind.span, "needs a name")
                    .help("write `environment NAME { … }`, such as `environment staging { … }`"),
            );
            continue;
        };
        // The name becomes a directory and a part of the cluster's and the Application's names.
        if !super::deployment::check_k8s_name(cx, &label.name, label.span, "environment name") {
            continue;
        }
        if let Some(first) = found.iter().find(|e| e.label_name() == Some(label.name.as_str())) {
            cx.error(
                Diagnostic::new(codes::E0202, format!("environment `{}` is defined twice", label.name))
                    .at(label.span, "defined again here")
                    .also(first.head_span(), "first defined here")
                    .help("merge the two blocks into one `environment` block"),
            );
            continue;
        }
        found.push(block);
    }
    found
}

/// The deployment as `environment` sees it: its own members with the environment's merged
/// in, and no `environment` blocks.
pub fn apply(cx: &mut Cx, deployment: &Block, environment: &Block, templates: &Templates) -> Block {
    let mut merged = without_environments(deployment);
    if let Some(template) = &environment.template {
        cx.error(
            Diagnostic::new(codes::E0201, "an environment takes no template")
                .at(template.span, "not applied to an environment")
                .help("templates apply to services: write `service NAME : TEMPLATE { … }` in the deployment"),
        );
    }
    merge_members(cx, &mut merged, environment, true, templates);
    merged
}

/// The user's templates by name (`template NAME { … }`).
pub type Templates<'a> = BTreeMap<String, &'a Block>;

/// The deployment without its `environment` blocks (what every environment starts from).
fn without_environments(deployment: &Block) -> Block {
    Block {
        kind: deployment.kind.clone(),
        label: deployment.label.clone(),
        template: deployment.template.clone(),
        members: deployment
            .members
            .iter()
            .filter(|m| !matches!(m, Member::Block(b) if b.kind.name == "environment"))
            .cloned()
            .collect(),
        span: deployment.span,
    }
}

/// Merge `overrides`' members into `base` (see the module documentation).
fn merge_members(cx: &mut Cx, base: &mut Block, overrides: &Block, top: bool, templates: &Templates) {
    let mut set_here: BTreeMap<String, &Attr> = BTreeMap::new();
    for member in &overrides.members {
        match member {
            Member::Attr(attr) => {
                let key = attr.key().into_owned();
                if let Some(first) = set_here.get(&key) {
                    cx.error(
                        Diagnostic::new(codes::E0202, format!("`{key}` is set twice in this override"))
                            .at(attr.key_span(), "set again here")
                            .also(first.key_span(), "first set here")
                            .help("keep one of them"),
                    );
                    continue;
                }
                set_here.insert(key.clone(), attr);
                match base.members.iter_mut().find(|m| matches!(m, Member::Attr(a) if a.key() == key)) {
                    Some(slot) => *slot = Member::Attr(attr.clone()),
                    None => base.members.push(Member::Attr(attr.clone())),
                }
            }
            Member::Block(block) if top && block.kind.name == "environment" => {}
            Member::Block(block) if top && block.kind.name == "stack" => merge_stack(cx, base, block, templates),
            Member::Block(block) => merge_block(cx, base, block, top, templates),
            Member::Bare(value) => {
                // A component named bare in `stack { }`: added unless the stack has it.
                let name = bare_name(value);
                let present = base.members.iter().any(|m| match m {
                    Member::Bare(v) => name.is_some() && bare_name(v) == name,
                    Member::Block(b) => name.is_some_and(|n| b.kind.name == n),
                    _ => false,
                });
                if !present {
                    base.members.push(member.clone());
                }
            }
            // An exception restated in an environment replaces the deployment's (its reason is
            // the environment's); a new one is added.
            Member::Allow(allow) => {
                match base.members.iter_mut().find(|m| matches!(m, Member::Allow(a) if a.name.name == allow.name.name))
                {
                    Some(slot) => *slot = member.clone(),
                    None => base.members.push(member.clone()),
                }
            }
        }
    }
    if top {
        for member in &overrides.members {
            if let Member::Block(block) = member
                && block.kind.name == "environment"
            {
                cx.error(
                    Diagnostic::new(codes::E0201, "an environment cannot hold environments")
                        .at(block.kind.span, "not inside an environment")
                        .help("declare every environment directly inside the deployment"),
                );
            }
        }
    }
}

fn merge_block(cx: &mut Cx, base: &mut Block, block: &Block, top: bool, templates: &Templates) {
    let kind = block.kind.name.as_str();
    let label = block.label_name();
    // A component written as a block in `stack { }` takes the place of its bare name.
    if let Some(index) = base.members.iter().position(|m| matches!(m, Member::Bare(v) if bare_name(v) == Some(kind))) {
        if let Some(slot) = base.members.get_mut(index) {
            *slot = Member::Block(block.clone());
        }
        return;
    }
    let same = |b: &Block| b.kind.name == kind && b.label_name() == label;
    let existing = base.members.iter_mut().find_map(|m| match m {
        Member::Block(b) if same(b) => Some(b),
        _ => None,
    });
    match existing {
        Some(existing) if kind == "success" => *existing = block.clone(),
        Some(existing) => {
            if block.template.is_some() {
                existing.template = block.template.clone();
            }
            // A block the service has from its template (`env { }` of `template web`) is
            // merged into, not replaced: the template's block is copied into the service first,
            // since a service's own block replaces its template's whole.
            if let Some(template) = existing.template.as_ref().and_then(|t| templates.get(&t.name)) {
                for member in &block.members {
                    let Member::Block(inner) = member else { continue };
                    let has = existing.members.iter().any(|m| matches!(m, Member::Block(b) if b.kind.name == inner.kind.name && b.label_name() == inner.label_name()));
                    let from_template = template.members.iter().find_map(|m| match m {
                        Member::Block(b) if b.kind.name == inner.kind.name && b.label_name() == inner.label_name() => {
                            Some(b)
                        }
                        _ => None,
                    });
                    if let (false, Some(from_template)) = (has, from_template) {
                        existing.members.push(Member::Block((*from_template).clone()));
                    }
                }
            }
            merge_members(cx, existing, block, false, templates);
        }
        None if kind == "target" => {
            // Another provider: the whole target is the environment's.
            base.members.retain(|m| !matches!(m, Member::Block(b) if b.kind.name == "target"));
            base.members.push(Member::Block(block.clone()));
        }
        None if top && label.is_some() && MUST_EXIST.contains(&kind) => {
            let names: Vec<&str> = base
                .members
                .iter()
                .filter_map(|m| match m {
                    Member::Block(b) if b.kind.name == kind => b.label_name(),
                    _ => None,
                })
                .collect();
            let name = label.unwrap_or("");
            let near = suggest::did_you_mean(name, names.iter().copied());
            cx.error(
                Diagnostic::new(codes::E0203, format!("this environment overrides {kind} `{name}`, which the deployment does not declare"))
                    .at(block.head_span(), format!("no {kind} `{name}` to override"))
                    .help(match near {
                        Some(near) => format!("did you mean `{near}`? An environment changes what the deployment declares; declare a new {kind} in the deployment"),
                        None => format!("an environment changes what the deployment declares; declare {kind} `{name}` in the deployment first"),
                    }),
            );
        }
        None => base.members.push(Member::Block(block.clone())),
    }
}

/// A `stack { }` in an environment: each component goes to the deployment's `stack` block
/// that has it (a deployment may write several), a new one to the first.
fn merge_stack(cx: &mut Cx, base: &mut Block, stack: &Block, templates: &Templates) {
    let component = |member: &Member| -> Option<String> {
        match member {
            Member::Bare(value) => bare_name(value).map(String::from),
            Member::Block(block) => Some(block.kind.name.clone()),
            _ => None,
        }
    };
    let stacks: Vec<usize> = base
        .members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| matches!(m, Member::Block(b) if b.kind.name == "stack").then_some(i))
        .collect();
    if stacks.is_empty() {
        base.members.push(Member::Block(stack.clone()));
        return;
    }
    for member in &stack.members {
        let name = component(member);
        let home = stacks
            .iter()
            .copied()
            .find(|&i| {
                matches!(base.members.get(i), Some(Member::Block(b)) if b.members.iter().any(|m| name.is_some() && component(m) == name))
            })
            .or_else(|| stacks.first().copied());
        if let Some(Member::Block(home)) = home.and_then(|i| base.members.get_mut(i)) {
            let one = Block { members: vec![member.clone()], ..stack.clone() };
            merge_members(cx, home, &one, false, templates);
        }
    }
}

fn bare_name(value: &Value) -> Option<&str> {
    match &value.kind {
        ValueKind::Ident(name) => Some(name),
        ValueKind::Call(call) => Some(&call.name.name),
        _ => None,
    }
}

/// The block as text without spans or comments, for "is this the same cluster": two
/// targets written alike in different places are the same target.
pub fn canonical(block: &Block) -> String {
    let mut out = String::new();
    write_block(&mut out, block);
    out
}

fn write_block(out: &mut String, block: &Block) {
    out.push_str(&block.kind.name);
    if let Some(label) = &block.label {
        out.push(' ');
        out.push_str(&format!("{:?}", label.name));
    }
    if let Some(template) = &block.template {
        out.push_str(" : ");
        out.push_str(&template.name);
    }
    out.push_str(" {");
    // Attributes in name order: `count = 3, size = x` is the same as `size = x, count = 3`.
    let mut members: Vec<String> = block
        .members
        .iter()
        .map(|member| {
            let mut text = String::new();
            match member {
                Member::Attr(attr) => write_attr(&mut text, attr),
                Member::Block(b) => write_block(&mut text, b),
                Member::Bare(value) => write_value(&mut text, value),
                Member::Allow(allow) => {
                    text.push_str("allow ");
                    text.push_str(&allow.name.name);
                }
            }
            text
        })
        .collect();
    members.sort();
    out.push_str(&members.join("; "));
    out.push('}');
}

fn write_attr(out: &mut String, attr: &Attr) {
    out.push_str(&attr.key());
    out.push('=');
    write_value(out, &attr.value);
}

fn write_value(out: &mut String, value: &Value) {
    match &value.kind {
        ValueKind::Number(_, text) => out.push_str(text),
        ValueKind::Quantity { number_text, unit, .. } => {
            out.push_str(number_text);
            out.push_str(unit);
        }
        ValueKind::Money { amount, rate } => out.push_str(&format!("${amount}/{rate}")),
        ValueKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValueKind::Str(s) => {
            out.push('"');
            for part in &s.parts {
                match part {
                    StrPart::Text(t) => out.push_str(&format!("{t:?}")),
                    StrPart::Interp(name) => out.push_str(&format!("${{{}}}", name.name)),
                }
            }
            out.push('"');
        }
        ValueKind::Ident(name) => out.push_str(name),
        ValueKind::List(items) => {
            out.push('[');
            for item in items {
                write_value(out, item);
                out.push(',');
            }
            out.push(']');
        }
        ValueKind::Record(attrs) => {
            out.push('{');
            for attr in attrs {
                write_attr(out, attr);
                out.push(',');
            }
            out.push('}');
        }
        ValueKind::Call(call) => {
            out.push_str(&call.name.name);
            out.push('(');
            for arg in &call.args {
                write_value(out, arg);
                out.push(',');
            }
            for (name, arg) in &call.named {
                out.push_str(&name.name);
                out.push('=');
                write_value(out, arg);
                out.push(',');
            }
            out.push(')');
        }
        ValueKind::Range(low, high) => {
            write_value(out, low);
            out.push_str("..");
            write_value(out, high);
        }
    }
}

/// Diagnostics of several environments, each checked into its own sink, as one list: a
/// diagnostic every environment reports (a mistake in the shared lines) is reported once;
/// one that only some report says which, in a note.
///
/// With `only` (`--env NAME`), a diagnostic that only other environments report is left out.
pub fn merge_diagnostics(into: &mut Diagnostics, per_environment: Vec<(String, Diagnostics)>, only: Option<&str>) {
    let total = per_environment.len();
    let mut seen: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for (environment, sink) in per_environment {
        for diagnostic in sink.sorted() {
            match seen.iter_mut().find(|(d, _)| *d == diagnostic) {
                Some((_, names)) => names.push(environment.clone()),
                None => seen.push((diagnostic, vec![environment.clone()])),
            }
        }
    }
    for (diagnostic, names) in seen {
        if only.is_some_and(|only| !names.iter().any(|n| n == only)) {
            continue;
        }
        if names.len() == total {
            into.push(diagnostic);
        } else {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let which = if names.len() == 1 { "environment" } else { "environments" };
            into.push(diagnostic.note(format!("in {which} {}", list.join(", "))));
        }
    }
}

/// Group the environments by cluster (the same target, written alike), name each group's
/// cluster, and check that environments sharing one do not collide: each needs its own
/// namespace (E0207), and a component or cluster issuer two of them install must be the same
/// in both (E0208), since there is one of each per cluster.
///
/// `targets` holds, for each model, its environment's name, its target as
/// [`canonical`] text and the environment block's head.
pub fn assign_clusters(
    cx: &mut Cx,
    models: &mut [super::model::Deployment],
    targets: &[(String, String, crate::source::Span)],
) {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (index, (_, target, _)) in targets.iter().enumerate() {
        match groups.iter_mut().find(|(t, _)| *t == target.as_str()) {
            Some((_, members)) => members.push(index),
            None => groups.push((target.as_str(), vec![index])),
        }
    }
    for (_, members) in &groups {
        let names: Vec<String> = members.iter().filter_map(|&i| targets.get(i).map(|t| t.0.clone())).collect();
        let first_name = names.first().cloned().unwrap_or_default();
        let load_balancer = members.iter().filter_map(|&i| models.get(i)).any(super::analysis::has_load_balancer);
        // The issuers of the environments before each one on the cluster.
        let issuers_before: Vec<Vec<String>> = (0..members.len())
            .map(|position| {
                let mut names: Vec<String> = members
                    .iter()
                    .take(position)
                    .filter_map(|&i| models.get(i))
                    .flat_map(|m| m.issuers.iter().map(|issuer| issuer.name.value.clone()))
                    .collect();
                names.sort();
                names.dedup();
                names
            })
            .collect();
        // Whether an environment before each one writes cert-manager's ServiceMonitor (it has
        // both cert-manager and a monitoring component).
        let scrapes_cert_manager = |model: &super::model::Deployment| {
            model.stack.iter().any(|e| e.component.name == "cert-manager")
                && model.stack.iter().any(|e| e.component.provides_kind("ServiceMonitor"))
        };
        let monitor_before: Vec<bool> = (0..members.len())
            .map(|position| members.iter().take(position).filter_map(|&i| models.get(i)).any(scrapes_cert_manager))
            .collect();
        for ((&index, issuers_elsewhere), cert_manager_monitor_elsewhere) in
            members.iter().zip(issuers_before).zip(monitor_before)
        {
            let Some((name, _, _)) = targets.get(index) else { continue };
            let Some(model) = models.get_mut(index) else { continue };
            // Named after the environment that owns it, so adding an environment on another
            // target, or removing one, does not rename a cluster that exists.
            if model.target.cluster_name.is_none() {
                model.target.cluster_name = Some(format!("{}-{first_name}", model.name.value));
            }
            model.environment = Some(crate::vocab::Environment {
                name: name.clone(),
                cluster_group: names.clone(),
                cluster_load_balancer: load_balancer,
                issuers_elsewhere,
                cert_manager_monitor_elsewhere,
            });
        }
        for (position, &later) in members.iter().enumerate() {
            for &earlier in members.iter().take(position) {
                check_shared_cluster(cx, models, targets, earlier, later);
            }
        }
        if members.len() > 1 {
            check_shared_capacity(cx, models, members, &names);
        }
    }
}

/// The diagnostics of the capacity analysis (not the cost's, which is the cluster's alone
/// and was checked with each environment).
const CAPACITY_CODES: [codes::Code; 4] = [codes::E0317, codes::E0318, codes::W0304, codes::W0309];

/// Environments on one cluster share its nodes: their workloads together must fit, each
/// component once. Analysed as one deployment holding every environment's services (named
/// `ENVIRONMENT/SERVICE` in the tables) and the union of their stacks.
fn check_shared_capacity(cx: &mut Cx, models: &[super::model::Deployment], members: &[usize], names: &[String]) {
    let Some(mut combined) = members.first().and_then(|&i| models.get(i)).cloned() else { return };
    let first_name = names.first().cloned().unwrap_or_default();
    for service in &mut combined.services {
        service.name.value = format!("{first_name}/{}", service.name.value);
    }
    for (&index, name) in members.iter().zip(names).skip(1) {
        let Some(other) = models.get(index) else { continue };
        for service in &other.services {
            let mut service = service.clone();
            service.name.value = format!("{name}/{}", service.name.value);
            combined.services.push(service);
        }
        for entry in &other.stack {
            if !combined.stack.iter().any(|e| e.component.name == entry.component.name) {
                combined.stack.push(entry.clone());
            }
        }
    }
    let mut sink = Diagnostics::new();
    let mut shared = Cx { sink: &mut sink, lets: cx.lets, suggestions: Default::default() };
    super::analysis::check_capacity_and_cost(&mut shared, &combined);
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    for diagnostic in sink.sorted() {
        if CAPACITY_CODES.iter().any(|code| code.as_str() == diagnostic.code) {
            cx.sink.push(diagnostic.note(format!(
                "environments {} together, on their one cluster: their workloads share its nodes",
                list.join(", ")
            )));
        }
    }
}

fn check_shared_cluster(
    cx: &mut Cx,
    models: &[super::model::Deployment],
    targets: &[(String, String, crate::source::Span)],
    earlier: usize,
    later: usize,
) {
    let (Some(first), Some(second), Some(first_env), Some(second_env)) =
        (models.get(earlier), models.get(later), targets.get(earlier), targets.get(later))
    else {
        return;
    };
    if first.namespace == second.namespace {
        cx.error(
            Diagnostic::new(
                codes::E0207,
                format!(
                    "environments `{}` and `{}` share a cluster and the namespace `{}`",
                    first_env.0, second_env.0, first.namespace
                ),
            )
            .at(second_env.2, format!("`{}` would replace `{}`'s objects", second_env.0, first_env.0))
            .also(first_env.2, "same target and namespace")
            .help(format!(
                "give one of them its own namespace, such as `namespace = \"{}-{}\"` in `environment {}`",
                second.name.value, second_env.0, second_env.0
            )),
        );
    }
    for entry in &second.stack {
        let name = &entry.component.name;
        // Argo CD's options (`repo`, `path`, `revision`) are each environment's Application's,
        // not the controller's: every environment has its own.
        if entry.component.provides_kind("Application") {
            continue;
        }
        let Some(other) = first.stack.iter().find(|e| &e.component.name == name) else { continue };
        let mut mine: Vec<(&str, Option<&str>)> =
            entry.component.options.iter().map(|o| (o.name.as_str(), entry.option(&o.name))).collect();
        let mut theirs: Vec<(&str, Option<&str>)> =
            other.component.options.iter().map(|o| (o.name.as_str(), other.option(&o.name))).collect();
        mine.sort();
        theirs.sort();
        if mine != theirs {
            cx.error(
                Diagnostic::new(
                    codes::E0208,
                    format!(
                        "environments `{}` and `{}` share a cluster but set `{name}` differently",
                        first_env.0, second_env.0
                    ),
                )
                .at(entry.span, format!("`{name}` as `{}` has it", second_env.0))
                .also(other.span, format!("`{name}` as `{}` has it", first_env.0))
                .help(format!(
                    "there is one `{name}` per cluster: set its options in the deployment's stack for both, or give the environments different targets"
                )),
            );
        }
    }
    for issuer in &second.issuers {
        if let Some(other) = first.issuers.iter().find(|i| i.name.value == issuer.name.value)
            && (&issuer.email, issuer.server) != (&other.email, other.server)
        {
            cx.error(
                Diagnostic::new(
                    codes::E0208,
                    format!(
                        "environments `{}` and `{}` share a cluster but define the issuer `{}` differently",
                        first_env.0, second_env.0, issuer.name.value
                    ),
                )
                .at(issuer.name.span, format!("`{}` as `{}` has it", issuer.name.value, second_env.0))
                .also(other.name.span, format!("`{}` as `{}` has it", other.name.value, first_env.0))
                .help("a ClusterIssuer belongs to the cluster: give the issuers different names, or define it once in the deployment"),
            );
        }
    }
}
