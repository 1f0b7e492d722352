//! Reading a block against its schema: the set of attribute and child-block names it allows.
//! Unknown names (E0201, with did-you-mean and the valid set), duplicates (E0202, both spans)
//! and missing required attributes (E0302) are reported here, once, for every block kind.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;
use crate::syntax::ast::{Attr, Block, Member, Value};

/// What a block kind accepts.
pub struct Schema<'s> {
    /// The block kind in words, for messages (`service`, `target doks`).
    pub what: &'s str,
    pub attrs: &'s [&'s str],
    pub blocks: &'s [&'s str],
    /// Whether bare members (`dapr` inside `stack`) are allowed.
    pub bare: bool,
}

/// A block whose members have been checked against a [`Schema`].
pub struct Reader<'b> {
    pub block: &'b Block,
    what: String,
    /// The attributes set, by key: a handful per block, so a list.
    attrs: Vec<(Cow<'b, str>, &'b Attr)>,
    blocks: Vec<&'b Block>,
    pub bares: Vec<&'b Value>,
    /// `allow NAME because "…"` members (services and deployments only).
    pub allows: Vec<&'b crate::syntax::ast::Allow>,
}

impl<'b> Reader<'b> {
    /// Read `block`, with the members of `base` (a template) first; the block's own win.
    pub fn new(cx: &mut Cx, block: &'b Block, base: Option<&'b Block>, schema: &Schema<'_>, what: &str) -> Self {
        let mut reader = Reader {
            block,
            what: what.to_string(),
            attrs: Vec::with_capacity(block.members.len()),
            blocks: Vec::new(),
            bares: Vec::new(),
            allows: Vec::new(),
        };
        let mut own_blocks: Vec<&'b Block> = Vec::new();
        for (index, member) in block.members.iter().enumerate() {
            // `cpu = 500mi`: a number and a word with nothing between them is a quantity whose
            // unit is misspelt (the word parses as a member of its own).
            if let Member::Bare(value) = member
                && let crate::syntax::ast::ValueKind::Ident(word) = &value.kind
                && let Some(Member::Attr(attr)) = index.checked_sub(1).and_then(|i| block.members.get(i))
                && let crate::syntax::ast::ValueKind::Number(_, number) = &attr.value.kind
                && attr.value.span.end == value.span.start
                && attr.value.span.file == value.span.file
            {
                let key = attr.key();
                reader.attrs.retain(|(k, _)| *k != key);
                cx.error(
                    Diagnostic::new(
                        codes::E0301,
                        format!("`{number}{word}` is not a quantity: `{word}` is not a unit"),
                    )
                    .at(attr.value.span.to(value.span), "unknown unit")
                    .help(unit_help(&key, number, word)),
                );
                continue;
            }
            match member {
                Member::Allow(allow) => {
                    if schema.what == "service" || schema.what == "deployment" {
                        reader.allows.push(allow);
                    } else {
                        cx.error(
                            Diagnostic::new(codes::E0201, format!("`allow` is not accepted in {}", schema.what))
                                .at(allow.span, "exceptions belong to a service or the deployment")
                                .help("write `allow …` inside the `service` (or the `deployment`) it applies to"),
                        );
                    }
                }
                Member::Attr(attr) => {
                    let key = attr.key();
                    if !schema.attrs.contains(&key.as_ref()) {
                        unknown(cx, &key, attr.key_span(), schema, "attribute");
                        continue;
                    }
                    if let Some(first) = reader.attr(&key) {
                        cx.error(
                            Diagnostic::new(codes::E0202, format!("`{key}` is set twice in this {}", schema.what))
                                .at(attr.key_span(), "set again here")
                                .also(first.key_span(), "first set here")
                                .help(format!("keep one `{key}` and delete the other")),
                        );
                        continue;
                    }
                    reader.attrs.push((key, attr));
                }
                Member::Block(child) => {
                    if schema.blocks.contains(&child.kind.name.as_str()) {
                        own_blocks.push(child);
                    } else if schema.attrs.contains(&child.kind.name.as_str()) {
                        cx.error(
                            Diagnostic::new(
                                codes::E0301,
                                format!("`{}` is an attribute, not a block", child.kind.name),
                            )
                            .at(child.head_span(), "written as a block")
                            .help(format!("write `{} = …`", child.kind.name)),
                        );
                    } else {
                        unknown(cx, &child.kind.name, child.kind.span, schema, "block");
                    }
                }
                Member::Bare(value) => {
                    if schema.bare {
                        reader.bares.push(value);
                    } else {
                        let text = match &value.kind {
                            crate::syntax::ast::ValueKind::Ident(name) => name.clone(),
                            crate::syntax::ast::ValueKind::Call(call) => call.name.name.clone(),
                            _ => String::new(),
                        };
                        if schema.blocks.contains(&text.as_str()) {
                            // A child block written without a body (`nodes_ready`): an empty block.
                            reader.bares.push(value);
                            continue;
                        }
                        let help = if schema.attrs.contains(&text.as_str()) {
                            format!("`{text}` needs a value: `{text} = …`")
                        } else {
                            match cx.did_you_mean(&text, schema.attrs.iter().copied()) {
                                Some(near) => format!("did you mean `{near} = …`?"),
                                None => format!(
                                    "write attributes as `name = value`; {} accepts {}",
                                    schema.what,
                                    valid_set(schema)
                                ),
                            }
                        };
                        cx.error(
                            Diagnostic::new(codes::E0201, format!("unexpected `{text}` in {}", schema.what))
                                .at(value.span, "not an attribute or block here")
                                .help(help),
                        );
                    }
                }
            }
        }
        if let Some(base) = base {
            for member in &base.members {
                match member {
                    // A template's exceptions apply unless the service writes its own of that name.
                    Member::Allow(allow) if !reader.allows.iter().any(|a| a.name.name == allow.name.name) => {
                        reader.allows.push(allow);
                    }
                    Member::Attr(attr) if schema.attrs.contains(&attr.key().as_ref()) => {
                        let key = attr.key();
                        if reader.attr(&key).is_none() {
                            reader.attrs.push((key, attr));
                        }
                    }
                    Member::Block(child)
                        if schema.blocks.contains(&child.kind.name.as_str())
                            && !own_blocks
                                .iter()
                                .any(|b| b.kind.name == child.kind.name && b.label_name() == child.label_name()) =>
                    {
                        reader.blocks.push(child);
                    }
                    _ => {}
                }
            }
        }
        reader.blocks.extend(own_blocks);
        reader
    }

    pub fn get(&self, name: &str) -> Option<&'b Value> {
        self.attr(name).map(|a| &a.value)
    }

    pub fn attr(&self, name: &str) -> Option<&'b Attr> {
        self.attrs.iter().find(|(key, _)| key == name).map(|(_, attr)| *attr)
    }

    /// The value of a required attribute, or E0302 at the block's head.
    pub fn required(&self, cx: &mut Cx, name: &str, example: &str) -> Option<&'b Value> {
        let value = self.get(name);
        // Written under another tool's word (`vm_size` for `size`): E0201 already says so.
        let synonym_written = self.block.members.iter().any(|m| match m {
            Member::Attr(attr) => SYNONYMS.iter().any(|(theirs, ours, _)| *ours == name && attr.key() == *theirs),
            _ => false,
        });
        if value.is_none() && !synonym_written {
            cx.error(
                Diagnostic::new(codes::E0302, format!("{} is missing `{name}`", self.what))
                    .at(self.block.head_span(), format!("needs `{name}`"))
                    .help(format!("add `{name} = {example}` inside this block")),
            );
        }
        value
    }

    /// Child blocks of one kind, template blocks first.
    pub fn blocks(&self, kind: &str) -> Vec<&'b Block> {
        self.blocks.iter().copied().filter(|b| b.kind.name == kind).collect()
    }
}

fn valid_set(schema: &Schema<'_>) -> String {
    let mut names: Vec<String> = schema.attrs.iter().map(|a| format!("`{a}`")).collect();
    names.extend(schema.blocks.iter().map(|b| format!("`{b} {{ }}`")));
    if names.is_empty() { String::from("no attributes or blocks") } else { names.join(", ") }
}

/// Words the providers' own tools use, and ours for them: (their word, ours, whose word).
/// Spelling distance cannot find these (`vm_size` is nowhere near `size`).
const SYNONYMS: [(&str, &str, &str); 40] = [
    ("location", "region", "az's and gcloud's"),
    ("zone", "region", "gcloud's"),
    ("node_count", "count", "az's (`--node-count`)"),
    ("nodes", "count", "eksctl's (`--nodes`)"),
    ("num_nodes", "count", "gcloud's (`--num-nodes`)"),
    ("instance_count", "count", "hetzner-k3s's"),
    ("replicas_count", "count", "a common"),
    ("vm_size", "size", "az's (`--node-vm-size`)"),
    ("node_vm_size", "size", "az's"),
    ("machine_type", "size", "gcloud's (`--machine-type`)"),
    ("instance_type", "size", "hetzner-k3s's and eksctl's"),
    ("node_type", "size", "eksctl's (`--node-type`)"),
    ("min_count", "autoscale", "az's (`--min-count`)"),
    ("max_count", "autoscale", "az's (`--max-count`)"),
    ("min_nodes", "autoscale", "doctl's and gcloud's"),
    ("max_nodes", "autoscale", "doctl's and gcloud's"),
    ("kubernetes_version", "version", "az's and doctl's"),
    ("cluster_version", "version", "gcloud's"),
    ("k3s_version", "version", "hetzner-k3s's"),
    ("name", "cluster_name", "the providers'"),
    // Kubernetes, Helm, Compose and Terraform words for a service's and a pool's attributes.
    ("containerPort", "port", "Kubernetes'"),
    ("targetPort", "port", "Kubernetes'"),
    ("replicaCount", "replicas", "Helm charts'"),
    ("livenessProbe", "liveness", "Kubernetes'"),
    ("readinessProbe", "readiness", "Kubernetes'"),
    ("startupProbe", "startup", "Kubernetes'"),
    ("healthcheck", "health", "Compose's"),
    ("depends_on", "uses", "Compose's"),
    ("environment", "env", "Compose's"),
    ("desired_size", "count", "Terraform's (`aws_eks_node_group`)"),
    ("min_size", "autoscale", "Terraform's (`scaling_config`)"),
    ("max_size", "autoscale", "Terraform's (`scaling_config`)"),
    ("initial_node_count", "count", "Terraform's (`google_container_node_pool`)"),
    ("node_locations", "zones", "Terraform's and gcloud's"),
    // core/v1 Probe's fields, for the arguments of `http(…)`, `tcp(…)` and `exec(…)`.
    ("periodSeconds", "period", "Kubernetes'"),
    ("interval", "period", "Compose's (`healthcheck`)"),
    ("timeoutSeconds", "timeout", "Kubernetes'"),
    ("failureThreshold", "failures", "Kubernetes'"),
    ("retries", "failures", "Compose's (`healthcheck`)"),
    ("initialDelaySeconds", "delay", "Kubernetes'"),
];

/// Our word for `name` among `ours` (a call's arguments), when `name` is another tool's word
/// for it: (our word, whose word).
pub fn synonym_among(name: &str, ours: &[&str]) -> Option<(&'static str, &'static str)> {
    SYNONYMS
        .iter()
        .find(|(theirs, word, _)| *theirs == name && ours.contains(word))
        .map(|(_, word, whose)| (*word, *whose))
}

/// What a misspelt unit was probably meant to be, for the attribute `key`.
fn unit_help(key: &str, number: &str, word: &str) -> String {
    const MEMORY: [&str; 12] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E"];
    let memory_like = MEMORY.iter().find(|u| u.eq_ignore_ascii_case(word));
    match (key, memory_like) {
        ("cpu", _) if word.eq_ignore_ascii_case("m") || word.eq_ignore_ascii_case("mi") => {
            format!("CPU is a number of cores (`0.5`) or millicores with a lowercase `m`: `{number}m`")
        }
        ("cpu", _) => format!("CPU is a number of cores (`0.5`) or millicores: `{number}m`"),
        (_, Some(unit)) => format!(
            "units are case-sensitive: `{number}{unit}`{}",
            if unit.ends_with('i') { " (powers of 1024)" } else { " (powers of 1000)" }
        ),
        _ => format!(
            "write the unit the attribute takes right after the number: memory `{number}Mi` or `{number}Gi`, CPU `{number}m`, time `{number}s`"
        ),
    }
}

/// The help for a word another tool uses, if `name` is one.
fn synonym_help(name: &str, schema: &Schema<'_>) -> Option<String> {
    let (_, ours, whose) = SYNONYMS.iter().find(|(theirs, ours, _)| {
        *theirs == name
            && (schema.attrs.contains(ours)
                || schema.blocks.contains(ours)
                || (schema.what.starts_with("target") && POOL_WORDS.contains(ours)))
    })?;
    if schema.blocks.contains(ours) {
        return Some(format!("`{name}` is {whose} word; here it is the block `{ours} {{ KEY = \"value\" }}`"));
    }
    let example = if *ours == "autoscale" { "autoscale = 2..5".to_string() } else { format!("{ours} = …") };
    Some(if schema.attrs.contains(ours) {
        format!("`{name}` is {whose} word; here it is `{ours}`: write `{example}`")
    } else {
        format!("`{name}` is {whose} word; deployc sets it per node pool: `pool default {{ {example} }}`")
    })
}

/// The attributes of a node pool, which a user often writes on the target.
const POOL_WORDS: [&str; 3] = ["size", "count", "autoscale"];

fn unknown(cx: &mut Cx, name: &str, span: crate::source::Span, schema: &Schema<'_>, thing: &str) {
    if let Some(help) = synonym_help(name, schema) {
        cx.error(
            Diagnostic::new(codes::E0201, format!("unknown {thing} `{name}` in {}", schema.what))
                .at(span, format!("not a known {thing} here"))
                .help(help),
        );
        return;
    }
    let candidates = schema.attrs.iter().chain(schema.blocks.iter()).copied();
    let help = match crate::diagnostics::suggest::did_you_mean(name, candidates) {
        Some(near) => format!("did you mean `{near}`? {} accepts {}", capitalise(schema.what), valid_set(schema)),
        None => format!("{} accepts {}", capitalise(schema.what), valid_set(schema)),
    };
    cx.error(
        Diagnostic::new(codes::E0201, format!("unknown {thing} `{name}` in {}", schema.what))
            .at(span, format!("not a known {thing} here"))
            .help(help),
    );
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

/// Key/value pairs of a free-form block (`env { }`, `labels { }`, helm `values { }`), in order.
pub fn free_pairs(cx: &mut Cx, block: &Block, what: &str) -> Vec<(String, String, crate::source::Span, &'static str)> {
    free_pairs_except(cx, block, what, |_| false)
}

/// [`free_pairs`], leaving out (unread, for the caller) the attributes for which `skip` is
/// true; they still count as set, so a second `KEY` is a duplicate either way.
pub fn free_pairs_except(
    cx: &mut Cx,
    block: &Block,
    what: &str,
    skip: impl Fn(&crate::syntax::ast::Attr) -> bool,
) -> Vec<(String, String, crate::source::Span, &'static str)> {
    let mut out: Vec<(String, String, crate::source::Span, &'static str)> = Vec::with_capacity(block.members.len());
    let mut seen: BTreeMap<Cow<'_, str>, crate::source::Span> = BTreeMap::new();
    for member in &block.members {
        match member {
            Member::Attr(attr) => {
                let key = attr.key();
                if let Some(first) = seen.get(&key) {
                    cx.error(
                        Diagnostic::new(codes::E0202, format!("`{key}` is set twice in `{what}`"))
                            .at(attr.key_span(), "set again here")
                            .also(*first, "first set here")
                            .help(format!("keep one `{key}` and delete the other")),
                    );
                    continue;
                }
                if skip(attr) {
                } else if let Some(text) = cx.scalar_text(&attr.value, &key) {
                    out.push((key.to_string(), text, attr.span, ""));
                }
                seen.insert(key, attr.key_span());
            }
            Member::Allow(allow) => cx.error(
                Diagnostic::new(codes::E0201, format!("`allow` is not accepted in `{what}`"))
                    .at(allow.span, "exceptions belong to a service or the deployment")
                    .help("write `allow …` inside the `service` (or the `deployment`) it applies to"),
            ),
            Member::Block(child) => cx.error(
                Diagnostic::new(codes::E0201, format!("unexpected block `{}` in `{what}`", child.kind.name))
                    .at(child.head_span(), "blocks are not allowed here")
                    .help(format!("`{what}` holds `NAME = value` pairs")),
            ),
            Member::Bare(value) => cx.error(
                Diagnostic::new(codes::E0201, format!("unexpected bare value in `{what}`"))
                    .at(value.span, "needs a name and a value")
                    .help(format!("`{what}` holds `NAME = value` pairs")),
            ),
        }
    }
    out
}
