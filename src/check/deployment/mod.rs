//! Reading a `deployment` block into the typed model, given the library (providers,
//! components) and the user's templates.

use std::collections::BTreeMap;

use super::model::*;
use super::reader::{Reader, Schema, free_pairs, free_pairs_except};
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;
use crate::syntax::ast::{Block, Call, Member, Value, ValueKind};

mod alerting;
mod pipeline;
mod secret;
mod service;
mod stack;
mod success;
mod target;

use self::{alerting::*, pipeline::*, secret::*, service::*, stack::*, success::*, target::*};
pub use secret::looks_like_secret;
pub use service::{DEFAULT_CPU, DEFAULT_MEMORY_MI, SERVICE};

/// Everything a deployment may refer to by name.
pub struct Library<'a> {
    pub providers: &'a BTreeMap<String, Provider>,
    pub components: &'a BTreeMap<String, Component>,
    /// Image contracts (`image NAME { … }`), by name.
    pub images: &'a BTreeMap<String, ImageContract>,
    pub templates: &'a BTreeMap<String, &'a Block>,
}

const DEPLOYMENT: Schema<'static> = Schema {
    what: "deployment",
    attrs: &["namespace", "domain", "budget", "registry"],
    blocks: &["target", "stack", "secret", "service", "success", "environment", "pipeline"],
    bare: false,
};

/// Read one deployment block. Returns `None` only when something the model cannot do without
/// (the provider) is missing; every other mistake is reported and skipped.
pub fn read_deployment(cx: &mut Cx, block: &Block, lib: &Library, source_name: &str) -> Option<Deployment> {
    let name = match &block.label {
        Some(label) => Spanned::new(label.name.clone(), label.span),
        None => {
            cx.error(
                Diagnostic::new(codes::E0206, "this deployment has no name")
                    .at(block.kind.span, "needs a name")
                    .help("write `deployment NAME { … }`; the name becomes the default namespace"),
            );
            Spanned::new(String::from("deployment"), block.kind.span)
        }
    };
    let r = Reader::new(cx, block, None, &DEPLOYMENT, &format!("deployment `{}`", name.value));
    let namespace = r.get("namespace").and_then(|v| cx.string(v, "namespace"));
    if let Some(ns) = &namespace {
        check_k8s_name(cx, &ns.value, ns.span, "namespace");
    }
    let domain = r.get("domain").and_then(|v| cx.string(v, "domain"));
    let budget = r.get("budget").and_then(|v| cx.money(v, "budget"));
    let registry = r.get("registry").and_then(|v| cx.string(v, "registry")).and_then(|s| {
        // Every `/`-separated part starts and ends with a letter or digit, as in the Docker
        // reference grammar (distribution/reference regexp.go: host labels and path
        // components), so no part can be read as a command-line option (`-rf`, `--token=…`).
        let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let valid = !s.value.is_empty()
            && s.value.chars().all(|c| alnum(c) || ".-_:/".contains(c))
            && s.value.split('/').all(|part| part.starts_with(alnum) && part.ends_with(alnum));
        if !valid {
            cx.error(
                Diagnostic::new(codes::E0328, format!("`{}` is not a registry address", s.value))
                    .at(s.span, "not a registry host and path")
                    .help("write a registry such as `\"registry.digitalocean.com/my-team\"`: lowercase host, optional port and path"),
            );
            return None;
        }
        Some(s.value)
    });

    let targets = r.blocks("target");
    if let [first, second, ..] = targets.as_slice() {
        cx.error(
            Diagnostic::new(codes::E0202, "a deployment has one `target`")
                .at(second.head_span(), "second target here")
                .also(first.head_span(), "first target here")
                .help("keep one `target` block; make another deployment file for another cluster"),
        );
    }
    let (provider, target) = match targets.first() {
        Some(target_block) => read_target(cx, target_block, lib)?,
        None => {
            cx.error(
                Diagnostic::new(codes::E0302, format!("deployment `{}` is missing `target`", name.value))
                    .at(block.head_span(), "needs a `target` block")
                    .help("add `target doks { region = nyc1 … }` (or hetzner, aks, k3d) inside this block"),
            );
            return None;
        }
    };

    let mut stack = Vec::new();
    let mut issuers = Vec::new();
    for stack_block in r.blocks("stack") {
        read_stack(cx, stack_block, lib, &mut stack, &mut issuers);
    }
    let declared = r
        .blocks("secret")
        .iter()
        .chain(r.blocks("service").iter())
        .filter_map(|b| b.label_name().map(String::from))
        .collect();
    let deployment_exceptions = read_exceptions(cx, &r.allows);
    let secrets = r.blocks("secret").into_iter().filter_map(|b| read_secret(cx, b)).collect();
    let services: Vec<Service> = r
        .blocks("service")
        .into_iter()
        .filter_map(|b| read_service(cx, b, lib))
        .map(|mut service| {
            for exception in &deployment_exceptions {
                if !service.exceptions.iter().any(|e| e.name == exception.name) {
                    service.exceptions.push(exception.clone());
                }
            }
            service
        })
        .collect();
    let mut success = Vec::new();
    for success_block in r.blocks("success") {
        read_success(cx, success_block, &mut success);
    }
    let pipelines = r.blocks("pipeline");
    if let [first, second, ..] = pipelines.as_slice() {
        cx.error(
            Diagnostic::new(codes::E0202, "a deployment has one `pipeline`")
                .at(second.head_span(), "second pipeline here")
                .also(first.head_span(), "first pipeline here")
                .help("keep one `pipeline` block: one workflow checks, builds and releases the deployment"),
        );
    }
    let pipeline = pipelines.first().and_then(|b| read_pipeline(cx, b));
    Some(Deployment {
        namespace: namespace.map(|n| n.value).unwrap_or_else(|| name.value.clone()),
        name,
        source_name: source_name.to_string(),
        provider,
        target,
        domain,
        budget,
        registry,
        stack,
        issuers,
        secrets,
        services,
        success,
        declared,
        ingress: None,
        displaced: Vec::new(),
        ingress_service: None,
        exceptions: deployment_exceptions,
        stages: Vec::new(),
        environment: None,
        pipeline,
    })
}

fn not_offered(cx: &mut Cx, what: &str, value: &Spanned<String>, offered: &[String], provider: &Provider) {
    let nearest = crate::diagnostics::suggest::nearest(&value.value, offered.iter().map(String::as_str), 3);
    let all: Vec<String> = offered.iter().map(|o| format!("`{o}`")).collect();
    let help = if nearest.is_empty() {
        format!("use one of the values `{}` offers", provider.name)
    } else {
        format!("the nearest offered: {}", crate::diagnostics::suggest::one_of(&nearest))
    };
    cx.error(
        Diagnostic::new(codes::E0303, format!("{} does not offer {what} `{}`", provider.title, value.value))
            .at(value.span, format!("not a {what} of `{}`", provider.name))
            .help(help)
            .note(format!("`{}` offers {}", provider.name, all.join(", "))),
    );
}

pub fn range_backwards(
    cx: &mut Cx,
    span: crate::source::Span,
    what: &str,
    low: impl std::fmt::Display,
    high: impl std::fmt::Display,
) {
    cx.error(
        Diagnostic::new(codes::E0305, format!("`{what}` range starts above its end ({low} > {high})"))
            .at(span, "minimum is greater than maximum")
            .help(format!("write the smaller value first: `{high}..{low}`")),
    );
}

pub fn duplicate(cx: &mut Cx, what: &str, name: &str, again: crate::source::Span, first: crate::source::Span) {
    cx.error(
        Diagnostic::new(codes::E0202, format!("{what} `{name}` is defined twice"))
            .at(again, "defined again here")
            .also(first, "first defined here")
            .help(format!("rename one of them or merge them into one {what}")),
    );
}

/// Kubernetes object names must be DNS labels (RFC 1123): lowercase letters, digits and `-`.
pub fn check_k8s_name(cx: &mut Cx, name: &str, span: crate::source::Span, what: &str) -> bool {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !ok {
        let fixed: String =
            name.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        let fixed = fixed.trim_matches('-').to_string();
        cx.error(
            Diagnostic::new(codes::E0313, format!("`{name}` cannot be a Kubernetes name"))
                .at(span, format!("{what} names become Kubernetes object names"))
                .help(format!(
                    "use lowercase letters, digits and `-`, at most 63 characters, such as `{}`",
                    if fixed.is_empty() { "my-name" } else { &fixed }
                )),
        );
    }
    ok
}

fn member_span(member: &Member) -> crate::source::Span {
    match member {
        Member::Attr(a) => a.span,
        Member::Block(b) => b.head_span(),
        Member::Bare(v) => v.span,
        Member::Allow(a) => a.span,
    }
}

fn call_of<'v>(cx: &mut Cx, value: &'v Value, what: &str, allowed: &[&str], example: &str) -> Option<&'v Call> {
    match &value.kind {
        ValueKind::Call(call) if allowed.contains(&call.name.name.as_str()) => Some(call),
        ValueKind::Call(call) => {
            let near = cx.did_you_mean(&call.name.name, allowed.iter().copied());
            let list: Vec<String> = allowed.iter().map(|s| format!("{s}(…)")).collect();
            cx.error(
                Diagnostic::new(codes::E0203, format!("unknown function `{}` for `{what}`", call.name.name))
                    .at(call.name.span, "not allowed here")
                    .help(match near {
                        Some(n) => format!(
                            "did you mean `{n}(…)`? `{what}` accepts {}",
                            crate::diagnostics::suggest::one_of(&list)
                        ),
                        None => format!("`{what}` accepts {}", crate::diagnostics::suggest::one_of(&list)),
                    }),
            );
            None
        }
        other => {
            cx.error(
                Diagnostic::new(
                    codes::E0301,
                    format!("`{what}` expects a call such as `{example}`, found {}", other.describe()),
                )
                .at(value.span, format!("this is {}", other.describe()))
                .help(format!("write `{what} = {example}`")),
            );
            None
        }
    }
}

fn arity(cx: &mut Cx, call: &Call, span: crate::source::Span, positional: usize, named: &[&str], usage: &str) -> bool {
    let mut ok = call.args.len() == positional;
    for (key, _) in &call.named {
        if !named.contains(&key.name.as_str()) {
            let help = match super::reader::synonym_among(&key.name, named) {
                Some((ours, whose)) => {
                    format!(
                        "`{}` is {whose} word; here it is `{ours}`: write `{}(…, {ours} = …)`",
                        key.name, call.name.name
                    )
                }
                None => match cx.did_you_mean(&key.name, named.iter().copied()) {
                    Some(n) => format!("did you mean `{n}`? Usage: `{usage}`"),
                    None => format!("usage: `{usage}`"),
                },
            };
            cx.error(
                Diagnostic::new(codes::E0201, format!("`{}` takes no argument `{}`", call.name.name, key.name))
                    .at(key.span, "unknown argument")
                    .help(help),
            );
            ok = false;
        }
    }
    if call.args.len() != positional {
        cx.error(
            Diagnostic::new(
                codes::E0301,
                format!("`{}` takes {positional} positional argument(s), found {}", call.name.name, call.args.len()),
            )
            .at(span, "wrong number of arguments")
            .help(format!("usage: `{usage}`")),
        );
    }
    ok
}

fn named<'c>(call: &'c Call, key: &str) -> Option<&'c Value> {
    call.named.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
}
