//! Reading a `deployment` block into the typed model, given the library (providers,
//! components) and the user's templates.

use std::collections::BTreeMap;

use super::model::*;
use super::reader::{Reader, Schema, free_pairs, free_pairs_except};
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;
use crate::syntax::ast::{Block, Call, Member, Value, ValueKind};

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
    blocks: &["target", "stack", "secret", "service", "success"],
    bare: false,
};

const TARGET_REGION: Schema<'static> = Schema {
    what: "target",
    attrs: &["region", "version", "cluster_name", "resource_group"],
    blocks: &["pool"],
    bare: false,
};
const TARGET_LOCATION: Schema<'static> = Schema {
    what: "target",
    attrs: &["location", "version", "cluster_name", "resource_group"],
    blocks: &["pool"],
    bare: false,
};
const TARGET_LOCAL: Schema<'static> = Schema {
    what: "target",
    attrs: &["servers", "agents", "ports", "registry", "version", "cluster_name"],
    blocks: &[],
    bare: false,
};
const POOL: Schema<'static> =
    Schema { what: "pool", attrs: &["size", "count", "autoscale", "role"], blocks: &[], bare: false };
const ISSUER: Schema<'static> = Schema { what: "issuer", attrs: &["email", "server"], blocks: &[], bare: false };

/// Service attributes (also the attributes a `template` may set).
pub const SERVICE: Schema<'static> = Schema {
    what: "service",
    attrs: &[
        "image",
        "port",
        "replicas",
        "cpu",
        "memory",
        "health",
        "liveness",
        "readiness",
        "startup",
        "secrets",
        "route",
        "uses",
        "command",
        "args",
        "min_available",
        "egress",
        "based_on",
        "secrets_as",
    ],
    blocks: &["ports", "autoscale", "env", "dapr", "annotations", "labels", "volume"],
    bare: false,
};
const AUTOSCALE: Schema<'static> = Schema { what: "autoscale", attrs: &["cpu", "memory"], blocks: &[], bare: false };
const DAPR: Schema<'static> =
    Schema { what: "dapr", attrs: &["app_id", "app_port", "metrics_port"], blocks: &[], bare: false };
const VOLUME: Schema<'static> = Schema { what: "volume", attrs: &["size", "mount"], blocks: &[], bare: false };
const SUCCESS: Schema<'static> = Schema {
    what: "success",
    attrs: &[],
    blocks: &["nodes_ready", "rollout", "http", "certificate", "teardown"],
    bare: false,
};
const WITHIN: Schema<'static> = Schema { what: "criterion", attrs: &["within"], blocks: &[], bare: false };
const HTTP_CHECK: Schema<'static> =
    Schema { what: "http check", attrs: &["status", "tls", "within", "contains"], blocks: &[], bare: false };
const TEARDOWN: Schema<'static> = Schema { what: "teardown", attrs: &["cost"], blocks: &[], bare: false };

/// The default time a success criterion may take.
const DEFAULT_WITHIN_SECONDS: u64 = 600;

/// Default CPU and memory when a service sets none, so that every pod has requests and limits.
pub const DEFAULT_CPU: (u64, u64) = (100, 500);
pub const DEFAULT_MEMORY_MI: (u64, u64) = (128, 256);

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
    })
}

/// The provider's settings the target sets, each checked against its kind.
fn read_settings(cx: &mut Cx, t: &Reader, provider: &Provider, region: Option<&str>) -> Vec<(String, SettingValue)> {
    let mut out = Vec::new();
    for setting in &provider.settings {
        let name = setting.name.as_str();
        let value = if setting.kind == SettingKind::Tags {
            let blocks = t.blocks(name);
            let Some(first) = blocks.first() else { continue };
            let mut pairs = Vec::new();
            for (key, value, span, _) in free_pairs(cx, first, name) {
                // GKE's label rule, the strictest of the providers' (cloud.google.com/compute/docs/labeling-resources,
                // read 2026-12-02): so one set of tags works on every provider.
                let key_ok = key.len() <= 63
                    && key.starts_with(|c: char| c.is_ascii_lowercase())
                    && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                let value_ok = value.len() <= 63
                    && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                if key_ok && value_ok {
                    pairs.push((key, value));
                } else {
                    cx.error(
                        Diagnostic::new(codes::E0328, format!("`{key} = \"{value}\"` is not a tag every provider accepts"))
                            .at(span, "keys and values: up to 63 lowercase letters, digits, `_` and `-`; keys start with a letter")
                            .help("write tags such as `team = \"payments\"` (GKE labels, the strictest rule, are lowercase)"),
                    );
                }
            }
            SettingValue::Pairs(pairs)
        } else {
            let Some(value) = t.get(name) else { continue };
            match read_setting(cx, value, setting, region) {
                Some(v) => v,
                None => continue,
            }
        };
        out.push((setting.name.clone(), value));
    }
    out
}

/// One setting's value, or a located diagnostic saying what it should look like.
fn read_setting(cx: &mut Cx, value: &Value, setting: &ProviderSetting, region: Option<&str>) -> Option<SettingValue> {
    let name = setting.name.as_str();
    let bad = |cx: &mut Cx, span: crate::source::Span, what: &str, shape: &str, example: &str| {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{what}` is not {shape}"))
                .at(span, format!("`{name}` takes {shape}"))
                .help(format!("{}: write `{name} = {example}`", setting.help)),
        );
    };
    match setting.kind {
        SettingKind::Bool => cx.boolean(value, name).map(SettingValue::Bool),
        SettingKind::Uuid
        | SettingKind::GcpProject
        | SettingKind::Name
        | SettingKind::Path
        | SettingKind::Window
        | SettingKind::Domain => {
            let text = cx.string(value, name)?;
            let parsed_window = if setting.kind == SettingKind::Window { window(&text.value) } else { None };
            let (ok, shape, example) = match setting.kind {
                SettingKind::Uuid => (is_uuid(&text.value), "a UUID", "\"3b2f1c9e-8d4a-4f6b-9c0d-1e2f3a4b5c6d\""),
                SettingKind::GcpProject => (
                    text.value.len() >= 6 && lowercase_label(&text.value, 30),
                    "a Google Cloud project ID (6-30 lowercase letters, digits and `-`)",
                    "\"task-api-prod\"",
                ),
                SettingKind::Name => (lowercase_label(&text.value, 63), "a lowercase name", "\"task-api-net\""),
                SettingKind::Path => (
                    // It lands in double-quoted YAML too (hetzner-k3s's config).
                    !text.value.is_empty() && !text.value.chars().any(|c| c.is_control() || c == '"' || c == '\\'),
                    "a file path (without `\"` or `\\`)",
                    "\"~/.ssh/id_ed25519.pub\"",
                ),
                SettingKind::Domain => (
                    // RFC 1035 labels: 1-63 letters, digits and `-`, at least two, 253 in all.
                    text.value.len() <= 253
                        && text.value.split('.').count() >= 2
                        && text.value.split('.').all(|l| {
                            !l.is_empty()
                                && l.len() <= 63
                                && !l.starts_with('-')
                                && !l.ends_with('-')
                                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        }),
                    "a DNS domain",
                    "\"example.com\"",
                ),
                _ => (parsed_window.is_some(), "a weekly window start in UTC", "\"saturday 02:00\""),
            };
            if !ok {
                bad(cx, text.span, &text.value, shape, example);
                return None;
            }
            if let Some((day, start)) = parsed_window {
                return Some(SettingValue::Window { day, start });
            }
            Some(SettingValue::Text(text.value))
        }
        SettingKind::AwsSubnets | SettingKind::Zones | SettingKind::Cidrs => {
            let items = cx.list(value, name, |cx, item| cx.name(item, name))?;
            let mut ok = true;
            for item in &items {
                let (fits, shape, example) = match setting.kind {
                    SettingKind::AwsSubnets => (
                        item.value.strip_prefix("subnet-").is_some_and(|hex| {
                            (hex.len() == 8 || hex.len() == 17)
                                && hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                        }),
                        "an AWS subnet ID",
                        "[\"subnet-0a1b2c3d4e5f67890\"]".to_string(),
                    ),
                    SettingKind::Zones => {
                        let region = region.unwrap_or("");
                        (
                            item.value
                                .strip_prefix(region)
                                .and_then(|rest| rest.strip_prefix('-'))
                                .is_some_and(|zone| zone.len() == 1 && zone.chars().all(|c| c.is_ascii_lowercase())),
                            "a zone of the target's region",
                            format!("[{region}-b, {region}-c]"),
                        )
                    }
                    _ => match network_of(&item.value) {
                        // Host bits set below the prefix: providers refuse it; say the network.
                        Some(network) if network != item.value => {
                            (false, "an address range (its host bits are set)", format!("[\"{network}\"]"))
                        }
                        _ => (is_cidr(&item.value), "an address range", "[\"203.0.113.0/24\"]".to_string()),
                    },
                };
                if !fits {
                    bad(cx, item.span, &item.value, shape, &example);
                    ok = false;
                }
            }
            if items.is_empty() {
                cx.error(
                    Diagnostic::new(codes::E0314, format!("`{name}` is empty"))
                        .at(value.span, "an empty list")
                        .help(format!("{}; leave `{name}` out for the provider's default", setting.help)),
                );
                ok = false;
            }
            ok.then(|| SettingValue::List(items.into_iter().map(|i| i.value).collect()))
        }
        SettingKind::Tags => None,
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An IPv4 (`a.b.c.d/n`, n ≤ 32) or IPv6 (`x::y/n`, n ≤ 128) address range.
fn is_cidr(text: &str) -> bool {
    // IPv4: the network address itself; providers refuse host bits set below the prefix.
    if let Some(network) = network_of(text) {
        return network == text;
    }
    let Some((address, bits)) = text.split_once('/') else { return false };
    address.parse::<std::net::Ipv6Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128)
}

/// 1 to `max` lowercase letters, digits and `-`, from a letter, not ending in `-` (a DNS label
/// as cluster names, GCP project IDs and Hetzner network names take it).
fn lowercase_label(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The network an IPv4 range with a valid prefix belongs to (`10.0.0.1/24` → `10.0.0.0/24`).
fn network_of(text: &str) -> Option<String> {
    let (address, bits) = text.split_once('/')?;
    let bits = bits.parse::<u8>().ok().filter(|b| *b <= 32)?;
    let v4 = address.parse::<std::net::Ipv4Addr>().ok()?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
    Some(format!("{}/{bits}", std::net::Ipv4Addr::from(u32::from(v4) & mask)))
}

/// `"saturday 02:00"` → (`saturday`, `02:00`).
fn window(text: &str) -> Option<(String, String)> {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let (day, start) = text.split_once(' ')?;
    let day = day.to_ascii_lowercase();
    let (hours, minutes) = start.split_once(':')?;
    let fits = |part: &str, max: u32| part.len() == 2 && part.parse::<u32>().is_ok_and(|n| n <= max);
    (DAYS.contains(&day.as_str()) && fits(hours, 23) && fits(minutes, 59)).then(|| (day, start.to_string()))
}

fn read_target(cx: &mut Cx, block: &Block, lib: &Library) -> Option<(Provider, Target)> {
    let Some(label) = &block.label else {
        let names: Vec<String> = lib.providers.keys().cloned().collect();
        cx.error(
            Diagnostic::new(codes::E0302, "this target names no provider")
                .at(block.kind.span, "needs a provider")
                .help(format!(
                    "write `target PROVIDER {{ … }}` with one of {}",
                    crate::diagnostics::suggest::one_of(&names)
                )),
        );
        return None;
    };
    let Some(provider) = lib.providers.get(&label.name) else {
        let near = cx.did_you_mean(&label.name, lib.providers.keys().map(String::as_str));
        let names: Vec<String> = lib.providers.keys().cloned().collect();
        cx.error(
            Diagnostic::new(codes::E0203, format!("unknown provider `{}`", label.name))
                .at(label.span, "no provider with this name")
                .help(match near {
                    Some(n) => {
                        format!("did you mean `{n}`? Known providers: {}", crate::diagnostics::suggest::one_of(&names))
                    }
                    None => format!("known providers: {}", crate::diagnostics::suggest::one_of(&names)),
                }),
        );
        return None;
    };
    let base = match (provider.kind, provider.region_attribute.as_str()) {
        (ProviderKind::Local, _) => &TARGET_LOCAL,
        (_, "location") => &TARGET_LOCATION,
        _ => &TARGET_REGION,
    };
    // The provider's own settings join the schema: `tags { … }` as a block, the rest as attributes.
    let mut attrs = base.attrs.to_vec();
    let mut blocks = base.blocks.to_vec();
    for setting in &provider.settings {
        if setting.kind == SettingKind::Tags { blocks.push(&setting.name) } else { attrs.push(&setting.name) }
    }
    let schema = Schema { what: base.what, attrs: &attrs, blocks: &blocks, bare: false };
    let what = format!("target `{}`", provider.name);
    let t = Reader::new(cx, block, None, &schema, &what);
    let version = t.get("version").and_then(|v| cx.string(v, "version"));
    let mut target = Target {
        region: None,
        version: provider.default_version.clone(),
        version_span: block.head_span(),
        pools: Vec::new(),
        servers: 1,
        agents: 0,
        ports: Vec::new(),
        registry: None,
        cluster_name: None,
        resource_group: None,
        settings: Vec::new(),
        span: block.head_span(),
    };
    target.cluster_name = t.get("cluster_name").and_then(|v| cx.string(v, "cluster_name")).and_then(|name| {
        // A DNS label: what every provider's cluster name accepts (AKS 1-63 characters, DOKS,
        // EKS, GKE 1-40 lowercase; k3d and kind name Docker containers after it).
        let ok = lowercase_label(&name.value, 40);
        if !ok {
            cx.error(
                Diagnostic::new(codes::E0328, format!("`{}` is not a cluster name", name.value))
                    .at(name.span, "not a lowercase DNS label of at most 40 characters")
                    .help("use lowercase letters, digits and `-`, starting with a letter, such as `task-api-prod`"),
            );
        }
        ok.then_some(name.value)
    });
    if let Some(value) = t.get("resource_group") {
        if provider.templates != "aks" {
            cx.error(
                Diagnostic::new(codes::E0201, format!("{} has no resource groups", provider.title))
                    .at(value.span, "only an AKS target takes `resource_group`")
                    .help("delete `resource_group`; the cluster is named by `cluster_name`"),
            );
        } else if let Some(group) = cx.string(value, "resource_group") {
            // Azure: 1-90 letters, digits, `_`, `-`, `.` and `()`, not ending in `.`
            // (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
            let ok = !group.value.is_empty()
                && group.value.len() <= 90
                && !group.value.ends_with('.')
                && group.value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.()".contains(c));
            if ok {
                target.resource_group = Some(group.value);
            } else {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("`{}` is not an Azure resource group name", group.value))
                        .at(group.span, "Azure allows 1-90 letters, digits, `_`, `-`, `.` and `()`")
                        .help("write a name such as `task-api-rg`"),
                );
            }
        }
    }
    if let Some(version) = version {
        if !provider.versions.contains(&version.value) {
            not_offered(cx, "Kubernetes version", &version, &provider.versions, provider);
        } else {
            target.version = version.value;
            target.version_span = version.span;
        }
    }
    // A provider that runs a node image per version must have one for the chosen version.
    if !provider.node_images.is_empty() && provider.node_image(&target.version).is_none() {
        cx.error(
            Diagnostic::new(
                codes::E0303,
                format!("{} has no node image for Kubernetes {}", provider.title, target.version),
            )
            .at(block.head_span(), "no image runs this version")
            .help(format!(
                "the stdlib pins {}; add an image to `node_images` in the provider",
                provider.node_images.join(", ")
            )),
        );
    }
    if provider.kind == ProviderKind::Local {
        target.servers = t.get("servers").and_then(|v| cx.count(v, "servers")).map(|c| c.value).unwrap_or(1);
        target.agents = t.get("agents").and_then(|v| cx.count(v, "agents")).map(|c| c.value).unwrap_or(0);
        target.ports = t
            .get("ports")
            .and_then(|v| cx.list(v, "ports", |cx, item| cx.string(item, "ports").map(|s| s.value)))
            .unwrap_or_default();
        target.registry = t.get("registry").and_then(|v| cx.string(v, "registry")).map(|s| s.value);
        target.settings = read_settings(cx, &t, provider, None);
        return Some((provider.clone(), target));
    }
    let attribute = provider.region_attribute.as_str();
    let example = provider.regions.first().map(String::as_str).unwrap_or("region-1");
    if let Some(region) = t.required(cx, attribute, example).and_then(|v| cx.name(v, attribute)) {
        if provider.regions.contains(&region.value) {
            target.region = Some(region);
        } else {
            not_offered(cx, attribute, &region, &provider.regions, provider);
        }
    }
    target.settings = read_settings(cx, &t, provider, target.region.as_ref().map(|r| r.value.as_str()));
    let pools = t.blocks("pool");
    if pools.is_empty() {
        cx.error(
            Diagnostic::new(codes::E0302, format!("{what} has no node pool"))
                .at(block.head_span(), "needs a `pool` block")
                .help(format!(
                    "add `pool default {{ size = {}, count = 3 }}` inside this block",
                    provider.sizes.first().map(|s| s.name.as_str()).unwrap_or("SIZE")
                )),
        );
    }
    if provider.kind == ProviderKind::K3s
        && !pools.is_empty()
        && !pools.iter().any(|p| {
            p.members.iter().any(|m| matches!(m, Member::Attr(a) if a.key() == "role" && matches!(&a.value.kind, ValueKind::Ident(r) if r == "control-plane")))
        })
    {
        cx.error(
            Diagnostic::new(codes::E0302, format!("{what} has no control-plane pool"))
                .at(block.head_span(), "k3s needs a pool for its servers")
                .help("add `pool master { role = control-plane, size = …, count = 1 }` (3 for high availability)"),
        );
    }
    let mut seen: BTreeMap<String, crate::source::Span> = BTreeMap::new();
    for pool_block in pools {
        let Some(label) = &pool_block.label else {
            cx.error(
                Diagnostic::new(codes::E0206, "this pool has no name")
                    .at(pool_block.kind.span, "needs a name")
                    .help("write `pool NAME { size = …, count = … }`"),
            );
            continue;
        };
        if let Some(first) = seen.get(&label.name) {
            duplicate(cx, "pool", &label.name, label.span, *first);
            continue;
        }
        seen.insert(label.name.clone(), label.span);
        check_k8s_name(cx, &label.name, label.span, "pool");
        let p = Reader::new(cx, pool_block, None, &POOL, &format!("pool `{}`", label.name));
        let example = provider.sizes.first().map(|s| s.name.as_str()).unwrap_or("SIZE");
        let size = p.required(cx, "size", example).and_then(|v| cx.name(v, "size"));
        let count = p.get("count").and_then(|v| cx.count(v, "count"));
        let autoscale = p
            .get("autoscale")
            .and_then(|v| cx.one_or_range(v, |cx, x| cx.count(x, "autoscale")).map(|(lo, hi, _)| (lo, hi, v.span)));
        let role = p.get("role").and_then(|v| cx.word(v, "role", &["control-plane", "worker"]));
        if let Some((lo, hi, span)) = &autoscale
            && lo.value > hi.value
        {
            range_backwards(cx, *span, "autoscale", lo.value, hi.value);
        }
        let Some(size) = size else { continue };
        let Some(offered) = provider.sizes.iter().find(|s| s.name == size.value) else {
            let names: Vec<String> =
                provider.sizes.iter().filter(|s| s.retired.is_none()).map(|s| s.name.clone()).collect();
            not_offered(cx, "size", &size, &names, provider);
            continue;
        };
        if let Some(retired) = &offered.retired {
            cx.error(
                Diagnostic::new(codes::E0303, format!("{} retired size `{}` on {retired}", provider.title, size.value))
                    .at(size.span, "no longer orderable")
                    .help(match &offered.successor {
                        Some(successor) => format!("use its successor `{successor}`"),
                        None => "use a current size of the provider".to_string(),
                    }),
            );
            continue;
        }
        let count_value = count.map(|c| c.value).or(autoscale.as_ref().map(|(lo, _, _)| lo.value)).unwrap_or(1);
        target.pools.push(Pool {
            name: label.name.clone(),
            size,
            count: count_value,
            autoscale: autoscale.map(|(lo, hi, _)| (lo.value, hi.value)),
            control_plane: role.is_some_and(|r| r.value == "control-plane"),
        });
    }
    // Zones split each pool's nodes evenly (gcloud counts nodes per zone).
    for setting in provider.settings.iter().filter(|s| s.kind == SettingKind::Zones) {
        let Some((_, SettingValue::List(zones))) = target.settings.iter().find(|(n, _)| *n == setting.name) else {
            continue;
        };
        let n = u32::try_from(zones.len()).unwrap_or(u32::MAX).max(1);
        let span = t.get(&setting.name).map(|v| v.span).unwrap_or(block.head_span());
        for pool in target.pools.iter().filter(|p| p.count % n != 0) {
            cx.error(
                Diagnostic::new(
                    codes::E0331,
                    format!("pool `{}` has {} nodes, which do not split evenly over {n} zones", pool.name, pool.count),
                )
                .at(span, format!("{n} zones: each gets the same number of nodes"))
                .help(format!(
                    "set the pool's count to a multiple of {n} (such as {}), or list fewer zones",
                    (pool.count / n + 1) * n
                )),
            );
        }
    }
    Some((provider.clone(), target))
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

fn read_stack(cx: &mut Cx, block: &Block, lib: &Library, stack: &mut Vec<StackEntry>, issuers: &mut Vec<Issuer>) {
    for member in &block.members {
        let (name, span, body) = match member {
            Member::Bare(Value { kind: ValueKind::Ident(name), span }) => (name.clone(), *span, None),
            Member::Block(child) if child.label.is_none() => (child.kind.name.clone(), child.kind.span, Some(child)),
            Member::Block(child) => {
                cx.error(
                    Diagnostic::new(codes::E0301, format!("component `{}` takes no label", child.kind.name))
                        .at(child.head_span(), "unexpected label")
                        .help(format!("write `{} {{ … }}`", child.kind.name)),
                );
                continue;
            }
            Member::Bare(value) => {
                cx.error(
                    Diagnostic::new(codes::E0301, "expected a component name in `stack`")
                        .at(value.span, "not a component name")
                        .help("list components by name, such as `dapr` or `cert-manager { … }`"),
                );
                continue;
            }
            Member::Allow(allow) => {
                cx.error(
                    Diagnostic::new(codes::E0201, "`allow` is not accepted in `stack`")
                        .at(allow.span, "exceptions belong to a service or the deployment")
                        .help("write `allow …` inside the `service` (or the `deployment`) it applies to"),
                );
                continue;
            }
            Member::Attr(attr) => {
                cx.error(
                    Diagnostic::new(codes::E0201, format!("unexpected attribute `{}` in `stack`", attr.key()))
                        .at(attr.key_span(), "`stack` lists components")
                        .help(format!("configure a component in its own block: `{} {{ … }}`", attr.key())),
                );
                continue;
            }
        };
        let Some(component) = lib.components.get(&name) else {
            let names: Vec<String> = lib.components.keys().cloned().collect();
            let near = cx.did_you_mean(&name, lib.components.keys().map(String::as_str));
            cx.error(
                Diagnostic::new(codes::E0203, format!("unknown component `{name}`"))
                    .at(span, "no component with this name")
                    .help(match near {
                        Some(n) => format!(
                            "did you mean `{n}`? Known components: {}",
                            crate::diagnostics::suggest::one_of(&names)
                        ),
                        None => format!(
                            "known components: {}; define your own with `component {name} {{ … }}`",
                            crate::diagnostics::suggest::one_of(&names)
                        ),
                    }),
            );
            continue;
        };
        if let Some(first) = stack.iter().find(|e| e.component.name == name) {
            let first_span = first.span;
            duplicate(cx, "component", &name, span, first_span);
            continue;
        }
        if let Some(message) = &component.deprecated {
            cx.error(
                Diagnostic::new(codes::W0302, format!("`{name}` is deprecated"))
                    .at(span, "deprecated component")
                    .help(message.clone()),
            );
        }
        let mut options = Vec::new();
        let mut topics = Vec::new();
        if let Some(body) = body {
            let option_names: Vec<&str> = component.options.iter().map(|o| o.name.as_str()).collect();
            let mut block_names: Vec<&str> = Vec::new();
            if component.provides_kind("ClusterIssuer") {
                block_names.push("issuer");
            }
            if component.provides_kind("KafkaTopic") {
                block_names.push("topic");
            }
            let blocks: &[&str] = &block_names;
            let what = format!("component `{name}`");
            let schema = Schema { what: &what, attrs: &option_names, blocks, bare: false };
            let o = Reader::new(cx, body, None, &schema, &what);
            for option in &component.options {
                let Some(value) = o.get(&option.name) else { continue };
                let text = match option.ty {
                    OptionType::Count => cx.count(value, &option.name).map(|c| c.value.to_string()),
                    OptionType::Str => cx.string(value, &option.name).map(|s| s.value),
                    OptionType::Bool => cx.boolean(value, &option.name).map(|b| b.to_string()),
                    OptionType::Memory => cx.memory(value, &option.name).map(|m| m.value.to_k8s()),
                    OptionType::Cpu => cx.cpu(value, &option.name).map(|c| c.value.to_k8s()),
                };
                if let Some(text) = text {
                    options.push((option.name.clone(), text));
                }
            }
            for topic_block in o.blocks("topic") {
                if let Some(topic) = read_topic(cx, topic_block) {
                    if topics.iter().any(|t: &Topic| t.name == topic.name) {
                        cx.error(
                            Diagnostic::new(codes::E0202, format!("topic `{}` is defined twice", topic.name))
                                .at(topic_block.head_span(), "defined again here")
                                .help("keep one `topic` block per name"),
                        );
                        continue;
                    }
                    topics.push(topic);
                }
            }
            for issuer_block in o.blocks("issuer") {
                if let Some(issuer) = read_issuer(cx, issuer_block) {
                    if let Some(first) = issuers.iter().find(|i: &&Issuer| i.name.value == issuer.name.value) {
                        duplicate(cx, "issuer", &issuer.name.value, issuer.name.span, first.name.span);
                        continue;
                    }
                    issuers.push(issuer);
                }
            }
        }
        stack.push(StackEntry { component: component.clone(), options, span, topics, origin: Origin::Listed });
    }
}

const TOPIC: Schema<'static> = Schema { what: "topic", attrs: &["partitions", "replicas"], blocks: &[], bare: false };

fn read_topic(cx: &mut Cx, block: &Block) -> Option<Topic> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this topic has no name")
                .at(block.kind.span, "needs a name")
                .help("write `topic task-events { partitions = 3, replicas = 3 }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "topic");
    let r = Reader::new(cx, block, None, &TOPIC, &format!("topic `{}`", label.name));
    let partitions = r.get("partitions").and_then(|v| cx.count(v, "partitions")).map(|c| c.value).unwrap_or(1);
    let replicas = r.get("replicas").and_then(|v| cx.count(v, "replicas")).map(|c| c.value).unwrap_or(1);
    for (what, value) in [("partitions", partitions), ("replicas", replicas)] {
        if value == 0 {
            cx.error(
                Diagnostic::new(codes::E0314, format!("a topic needs at least one of `{what}`"))
                    .at(block.head_span(), format!("`{what}` is 0"))
                    .help(format!("set `{what} = 1` or more")),
            );
            return None;
        }
    }
    Some(Topic { name: label.name.clone(), partitions, replicas })
}

fn read_issuer(cx: &mut Cx, block: &Block) -> Option<Issuer> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this issuer has no name")
                .at(block.kind.span, "needs a name")
                .help("write `issuer letsencrypt-prod { email = …, server = production }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "issuer");
    let r = Reader::new(cx, block, None, &ISSUER, &format!("issuer `{}`", label.name));
    let server = r.get("server").and_then(|v| cx.word(v, "server", &["production", "staging", "self_signed"]));
    let self_signed = server.as_ref().is_some_and(|s| s.value == "self_signed");
    // An ACME account needs an address for expiry notices; a self-signed issuer has none.
    let email = if self_signed {
        Some(Spanned::new(String::new(), block.head_span()))
    } else {
        r.required(cx, "email", "\"ops@example.com\"").and_then(|v| cx.string(v, "email"))
    };
    if let Some(email) = &email
        && !self_signed
        && !valid_email(&email.value)
    {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{}` is not an e-mail address", email.value))
                .at(email.span, "not an e-mail address")
                .help("Let's Encrypt sends expiry notices here: write an address such as `\"ops@example.com\"`"),
        );
    }
    Some(Issuer {
        name: Spanned::new(label.name.clone(), label.span),
        email: email?.value,
        server: match server.as_ref().map(|s| s.value.as_str()) {
            Some("staging") => IssuerServer::Staging,
            Some("self_signed") => IssuerServer::SelfSigned,
            _ => IssuerServer::Production,
        },
    })
}

fn valid_email(text: &str) -> bool {
    let mut parts = text.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || "@.-_+".contains(c))
        }
        _ => false,
    }
}

fn read_secret(cx: &mut Cx, block: &Block) -> Option<Secret> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this secret has no name")
                .at(block.kind.span, "needs a name")
                .help("write `secret NAME { KEY = env(\"VARIABLE\") }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "secret");
    let mut keys = Vec::new();
    let mut external: Vec<ExternalKey> = Vec::new();
    let mut unreadable = Vec::new();
    for member in &block.members {
        let Member::Attr(attr) = member else {
            cx.error(
                Diagnostic::new(codes::E0201, format!("unexpected member in secret `{}`", label.name))
                    .at(member_span(member), "a secret holds `KEY = env(\"VARIABLE\")` pairs")
                    .help("write each key as `KEY = env(\"VARIABLE\")`"),
            );
            continue;
        };
        let key = attr.key().into_owned();
        if let Some((_, _)) = keys.iter().find(|(k, _): &&(String, String)| *k == key) {
            cx.error(
                Diagnostic::new(codes::E0202, format!("`{key}` is set twice in secret `{}`", label.name))
                    .at(attr.key_span(), "set again here")
                    .help(format!("keep one `{key}`")),
            );
            continue;
        }
        match &attr.value.kind {
            ValueKind::Call(call) if call.name.name == "env" => match env_call(cx, call, attr.value.span) {
                Some(variable) => keys.push((key, variable)),
                None => unreadable.push(key),
            },
            ValueKind::Call(call) if call.name.name == "external" => {
                match external_call(cx, call, key.clone(), attr.value.span) {
                    Some(external_key) => external.push(external_key),
                    None => unreadable.push(key),
                }
            }
            ValueKind::Str(_) | ValueKind::Number(..) => {
                unreadable.push(key.clone());
                cx.error(
                    Diagnostic::new(codes::E0310, format!("secret value for `{key}` written in the file"))
                        .at(attr.value.span, "a secret value in source control")
                        .help(format!(
                            "read it at deploy time instead: `{key} = env(\"{}\")`, and keep the value out of git",
                            env_name(&label.name, &key)
                        )),
                )
            }
            _ => {
                unreadable.push(key.clone());
                cx.error(
                    Diagnostic::new(
                        codes::E0301,
                        format!("`{key}` expects a secret source, found {}", attr.value.kind.describe()),
                    )
                    .at(attr.value.span, "not a secret source")
                    .help(format!("write `{key} = env(\"VARIABLE\")` to read it from the environment at deploy time")),
                )
            }
        }
    }
    if let Some(other) = external.iter().find(|e| external.first().is_some_and(|first| first.store != e.store)) {
        cx.error(
            Diagnostic::new(codes::E0301, format!("secret `{}` reads from more than one store", label.name))
                .at(other.span, "a second store")
                .help("an ExternalSecret reads from one store: split the keys into one secret per store"),
        );
    }
    if !keys.is_empty()
        && let Some(first) = external.first()
    {
        cx.error(
            Diagnostic::new(codes::E0301, format!("secret `{}` mixes `env(…)` and `external(…)` keys", label.name))
                .at(first.span, "read from an external store")
                .help("a Secret is either created at deploy time from the environment or synced by External Secrets: split it into two secrets"),
        );
    }
    Some(Secret { name: Spanned::new(label.name.clone(), label.span), keys, external, unreadable })
}

/// `external("store", "path")` or `external("store", "path", property = "field")`.
fn external_call(cx: &mut Cx, call: &Call, key: String, span: crate::source::Span) -> Option<ExternalKey> {
    let usage = "external(\"store\", \"path/in/store\", property = \"field\")";
    if call.args.len() != 2 || call.named.iter().any(|(k, _)| k.name != "property") {
        cx.error(
            Diagnostic::new(codes::E0301, "`external` takes a store and a path, and optionally `property`")
                .at(span, "wrong arguments")
                .help(format!("write `{key} = {usage}`")),
        );
        return None;
    }
    let store = cx.string(call.args.first()?, "store")?;
    check_k8s_name(cx, &store.value, store.span, "secret store");
    let path = cx.string(call.args.get(1)?, "path")?;
    let property = match call.named.first() {
        Some((_, value)) => Some(cx.string(value, "property")?.value),
        None => None,
    };
    Some(ExternalKey { key, store: store.value, path: path.value, property, span })
}

fn env_name(secret: &str, key: &str) -> String {
    format!("{}_{}", secret.to_ascii_uppercase().replace('-', "_"), key.to_ascii_uppercase())
}

fn member_span(member: &Member) -> crate::source::Span {
    match member {
        Member::Attr(a) => a.span,
        Member::Block(b) => b.head_span(),
        Member::Bare(v) => v.span,
        Member::Allow(a) => a.span,
    }
}

fn env_call(cx: &mut Cx, call: &Call, span: crate::source::Span) -> Option<String> {
    let variable = match (call.args.as_slice(), call.named.is_empty()) {
        ([only], true) => cx.string(only, "env").map(|s| s.value),
        _ => {
            cx.error(
                Diagnostic::new(codes::E0301, "`env` takes one argument, the variable's name")
                    .at(span, "wrong arguments")
                    .help("write `env(\"VARIABLE\")`"),
            );
            return None;
        }
    }?;
    let valid = !variable.is_empty()
        && variable.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !variable.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        cx.error(
            Diagnostic::new(codes::E0329, format!("`{variable}` is not an environment variable name"))
                .at(span, "invalid variable name")
                .help("use letters, digits and `_`, not starting with a digit, such as `DATABASE_URL`"),
        );
        return None;
    }
    Some(variable)
}

fn read_service(cx: &mut Cx, block: &Block, lib: &Library) -> Option<Service> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this service has no name")
                .at(block.kind.span, "needs a name")
                .help("write `service NAME { image = \"…\" }`"),
        );
        return None;
    };
    let name = Spanned::new(label.name.clone(), label.span);
    check_k8s_name(cx, &name.value, name.span, "service");
    let base = match &block.template {
        Some(template) => match lib.templates.get(&template.name) {
            Some(t) => Some(*t),
            None => {
                let near = cx.did_you_mean(&template.name, lib.templates.keys().map(String::as_str));
                cx.error(
                    Diagnostic::new(codes::E0203, format!("undefined template `{}`", template.name))
                        .at(template.span, "no template with this name")
                        .help(match near {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => format!("define it with `template {} {{ … }}` at the top level", template.name),
                        }),
                );
                None
            }
        },
        None => None,
    };
    let r = Reader::new(cx, block, base, &SERVICE, &format!("service `{}`", name.value));
    let image = r.required(cx, "image", "\"registry/app:1.0.0\"").and_then(|v| cx.string(v, "image"));
    let mut ports = Vec::new();
    // A port with a mistake drops the service, so that port checks do not cascade from it.
    let mut ports_ok = true;
    if let Some(value) = r.get("port") {
        match cx.port(value, "port") {
            Some(port) => ports.push(Port { name: String::new(), number: port.value, span: port.span }),
            None => ports_ok = false,
        }
    }
    for ports_block in r.blocks("ports") {
        for member in &ports_block.members {
            if let Member::Attr(attr) = member {
                match cx.port(&attr.value, &attr.key()) {
                    Some(port) => {
                        ports.push(Port { name: attr.key().into_owned(), number: port.value, span: attr.span })
                    }
                    None => ports_ok = false,
                }
            } else {
                cx.error(
                    Diagnostic::new(codes::E0201, "`ports` holds `name = number` pairs")
                        .at(member_span(member), "not a named port")
                        .help("write `ports { http = 8080, metrics = 9090 }`"),
                );
            }
        }
    }
    let replicas = match r.get("replicas") {
        Some(v) => cx.one_or_range(v, |cx, x| cx.count(x, "replicas")).and_then(|(lo, hi, is_range)| {
            if lo.value > hi.value {
                range_backwards(cx, v.span, "replicas", lo.value, hi.value);
                None
            } else if hi.value == 0 {
                cx.error(
                    Diagnostic::new(codes::E0314, "`replicas` must be at least 1")
                        .at(v.span, "no replicas")
                        .help("run at least one replica; remove the service to run none"),
                );
                None
            } else if is_range {
                Some(Replicas::Range(lo.value.max(1), hi.value))
            } else {
                Some(Replicas::Fixed(lo.value))
            }
        }),
        None => Some(Replicas::Fixed(1)),
    };
    let cpu = resource(
        cx,
        r.get("cpu"),
        "cpu",
        |cx, v| cx.cpu(v, "cpu"),
        Cpu { millis: DEFAULT_CPU.0 },
        Cpu { millis: DEFAULT_CPU.1 },
        block,
    );
    let memory = resource(
        cx,
        r.get("memory"),
        "memory",
        |cx, v| cx.memory(v, "memory"),
        Memory { bytes: DEFAULT_MEMORY_MI.0 << 20 },
        Memory { bytes: DEFAULT_MEMORY_MI.1 << 20 },
        block,
    );
    let (mut autoscale_cpu, mut autoscale_memory) = (70, None);
    for autoscale in r.blocks("autoscale") {
        let a = Reader::new(cx, autoscale, None, &AUTOSCALE, "autoscale");
        if let Some(p) = a.get("cpu").and_then(|v| cx.percent(v, "cpu")) {
            autoscale_cpu = p.value;
        }
        autoscale_memory = a.get("memory").and_then(|v| cx.percent(v, "memory")).map(|p| p.value).or(autoscale_memory);
    }
    let probe = |cx: &mut Cx, key: &str| r.get(key).and_then(|v| read_probe(cx, v, key));
    let health = probe(cx, "health");
    let liveness = probe(cx, "liveness").or_else(|| health.clone());
    let readiness = probe(cx, "readiness").or_else(|| health.clone());
    let startup = probe(cx, "startup");
    let is_secret_call =
        |attr: &crate::syntax::ast::Attr| matches!(&attr.value.kind, ValueKind::Call(c) if c.name.name == "secret");
    let mut secret_vars = Vec::new();
    let mut env_pairs = Vec::new();
    for b in r.blocks("env") {
        env_pairs.extend(free_pairs_except(cx, b, "env", is_secret_call));
        for member in &b.members {
            if let Member::Attr(attr) = member
                && let ValueKind::Call(call) = &attr.value.kind
                && call.name.name == "secret"
                && let Some(var) = secret_var(cx, attr, call)
            {
                secret_vars.push(var);
            }
        }
    }
    let env = env_pairs
        .into_iter()
        .filter_map(|(k, v, span, _)| {
            if looks_like_secret(&k, &v) {
                cx.error(
                    Diagnostic::new(codes::E0310, format!("`{k}` looks like a secret value written in the file"))
                        .at(span, "a credential in plain text")
                        .help(format!(
                            "move it into a secret: `secret {} {{ {k} = env(\"{k}\") }}` and add it to `secrets = [...]`",
                            name.value
                        )),
                );
                None
            } else if !valid_env_name(&k) {
                cx.error(
                    Diagnostic::new(codes::E0329, format!("`{k}` is not an environment variable name"))
                        .at(span, "invalid variable name")
                        .help("use letters, digits and `_`, not starting with a digit"),
                );
                None
            } else {
                Some((k, v))
            }
        })
        .collect();
    let names = |cx: &mut Cx, key: &str| {
        r.get(key).and_then(|v| cx.list(v, key, |cx, item| cx.name(item, key))).unwrap_or_default()
    };
    let secrets = names(cx, "secrets");
    let uses = names(cx, "uses");
    let strings = |cx: &mut Cx, key: &str| {
        r.get(key).and_then(|v| cx.list(v, key, |cx, item| cx.scalar_text(item, key))).unwrap_or_default()
    };
    let command = strings(cx, "command");
    let args = strings(cx, "args");
    let min_available = r.get("min_available").and_then(|v| cx.count(v, "min_available"));
    let exceptions = read_exceptions(cx, &r.allows);
    let egress = r
        .get("egress")
        .and_then(|v| cx.list(v, "egress", |cx, item| cx.string(item, "egress").and_then(|s| read_egress(cx, s))))
        .unwrap_or_default();
    let route = r.get("route").and_then(|v| read_route(cx, v));
    let dapr = r.blocks("dapr").last().map(|d| {
        let a = Reader::new(cx, d, None, &DAPR, "dapr");
        let app_id =
            a.get("app_id").and_then(|v| cx.string(v, "app_id")).map(|s| s.value).unwrap_or_else(|| name.value.clone());
        let app_port = a.get("app_port").and_then(|v| cx.port(v, "app_port")).map(|p| p.value);
        let metrics_port = a.get("metrics_port").and_then(|v| cx.port(v, "metrics_port"));
        Dapr { app_id, app_port, metrics_port, span: d.kind.span }
    });
    let secrets_as = r.get("secrets_as").and_then(|v| cx.word(v, "secrets_as", &["files", "env"]));
    let contract = image.as_ref().and_then(|image| image_contract(cx, &r, lib, image));
    let pairs = |cx: &mut Cx, key: &str| -> Vec<(String, String)> {
        let mut out = Vec::new();
        for b in r.blocks(key) {
            out.extend(free_pairs(cx, b, key).into_iter().map(|(k, v, _, _)| (k, v)));
        }
        out
    };
    let annotations = pairs(cx, "annotations");
    let labels = pairs(cx, "labels");
    let mut volumes = Vec::new();
    for volume in r.blocks("volume") {
        let Some(volume_label) = &volume.label else {
            cx.error(
                Diagnostic::new(codes::E0206, "this volume has no name")
                    .at(volume.kind.span, "needs a name")
                    .help("write `volume data { size = 5Gi, mount = \"/data\" }`"),
            );
            continue;
        };
        check_k8s_name(cx, &volume_label.name, volume_label.span, "volume");
        let v = Reader::new(cx, volume, None, &VOLUME, &format!("volume `{}`", volume_label.name));
        let size = v.required(cx, "size", "5Gi").and_then(|x| cx.memory(x, "size"));
        let mount = v.required(cx, "mount", "\"/data\"").and_then(|x| cx.string(x, "mount"));
        if let (Some(size), Some(mount)) = (size, mount) {
            if !mount.value.starts_with('/') {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("mount path `{}` is not absolute", mount.value))
                        .at(mount.span, "must start with `/`")
                        .help("write an absolute path such as `\"/var/lib/data\"`"),
                );
                continue;
            }
            volumes.push(Volume { name: volume_label.name.clone(), size: size.value, mount: mount.value });
        }
    }
    // A mistake in one of these is reported; the service stays, with stand-ins, so that its
    // names and references are still checked (every independent error in one run).
    let incomplete = !ports_ok || image.is_none() || replicas.is_none() || cpu.is_none() || memory.is_none();
    let head = block.head_span();
    Some(Service {
        incomplete,
        ports_incomplete: !ports_ok,
        name,
        image: image.unwrap_or_else(|| Spanned::new(String::new(), head)),
        ports,
        replicas: replicas.unwrap_or(Replicas::Fixed(1)),
        autoscale_cpu,
        autoscale_memory,
        cpu: cpu.unwrap_or(Resource {
            request: Cpu { millis: DEFAULT_CPU.0 },
            limit: Cpu { millis: DEFAULT_CPU.1 },
            span: head,
        }),
        memory: memory.unwrap_or(Resource {
            request: Memory { bytes: DEFAULT_MEMORY_MI.0 << 20 },
            limit: Memory { bytes: DEFAULT_MEMORY_MI.1 << 20 },
            span: head,
        }),
        liveness,
        readiness,
        startup,
        env,
        secrets,
        secret_vars,
        secrets_as,
        contract,
        route,
        dapr,
        uses,
        command,
        args,
        min_available,
        egress,
        exceptions,
        annotations,
        labels,
        volumes,
    })
}

/// `VAR = secret(NAME, KEY)` in `env`: the variable gets one key of a secret.
fn secret_var(cx: &mut Cx, attr: &crate::syntax::ast::Attr, call: &Call) -> Option<SecretVar> {
    let variable = attr.key().into_owned();
    if call.args.len() != 2 || !call.named.is_empty() {
        cx.error(
            Diagnostic::new(codes::E0301, "`secret` takes the secret's name and one of its keys")
                .at(attr.value.span, "wrong arguments")
                .help(format!("write `{variable} = secret(NAME, KEY)`, such as `{variable} = secret(db, PASSWORD)`")),
        );
        return None;
    }
    if !valid_env_name(&variable) {
        cx.error(
            Diagnostic::new(codes::E0329, format!("`{variable}` is not an environment variable name"))
                .at(attr.key_span(), "invalid variable name")
                .help("use letters, digits and `_`, not starting with a digit"),
        );
        return None;
    }
    let secret = cx.name(call.args.first()?, "secret")?;
    let key = cx.name(call.args.get(1)?, "key")?;
    Some(SecretVar { variable, secret, key, span: attr.span })
}

/// The contract of a service's image: the one `based_on` names, else the one whose
/// repositories list the image's.
fn image_contract(cx: &mut Cx, r: &Reader, lib: &Library, image: &Spanned<String>) -> Option<Box<AppliedContract>> {
    let contract = match r.get("based_on") {
        Some(value) => {
            let wanted = cx.name(value, "based_on")?;
            match lib.images.get(&wanted.value) {
                Some(contract) => contract,
                None => {
                    let names: Vec<String> = lib.images.keys().cloned().collect();
                    let near = cx.did_you_mean(&wanted.value, lib.images.keys().map(String::as_str));
                    cx.error(
                        Diagnostic::new(codes::E0203, format!("no image contract named `{}`", wanted.value))
                            .at(wanted.span, "deployc knows no such image")
                            .help(match near {
                                Some(n) => format!("did you mean `{n}`? The contracts are {}", crate::diagnostics::suggest::one_of(&names)),
                                None => format!("name the image your image is built from: {}; or describe it with `image NAME {{ … }}` in a library", crate::diagnostics::suggest::one_of(&names)),
                            }),
                    );
                    return None;
                }
            }
        }
        None => lib.images.values().find(|c| c.matches(&image.value))?,
    };
    Some(Box::new(AppliedContract {
        name: contract.name.clone(),
        title: contract.title.clone(),
        source: contract.source.clone(),
        as_of: contract.as_of.clone(),
        facts: contract.facts_for(image_tag(&image.value)),
        file_env: contract.file_env.clone(),
        requires_one_of: contract.requires_one_of.clone(),
    }))
}

/// Check `allow NAME because "reason"` members against the known exceptions.
fn read_exceptions(cx: &mut Cx, allows: &[&crate::syntax::ast::Allow]) -> Vec<Exception> {
    let mut out: Vec<Exception> = Vec::new();
    for allow in allows {
        let name = &allow.name.name;
        if !EXCEPTIONS.iter().any(|(n, _, _)| n == name) {
            let names: Vec<String> = EXCEPTIONS.iter().map(|(n, _, _)| n.to_string()).collect();
            let near = cx.did_you_mean(name, EXCEPTIONS.iter().map(|(n, _, _)| *n));
            cx.error(
                Diagnostic::new(codes::E0201, format!("unknown exception `{name}`"))
                    .at(allow.name.span, "not an exception deployc knows")
                    .help(match near {
                        Some(n) => {
                            format!("did you mean `{n}`? Exceptions: {}", crate::diagnostics::suggest::one_of(&names))
                        }
                        None => format!("exceptions: {}", crate::diagnostics::suggest::one_of(&names)),
                    }),
            );
            continue;
        }
        let Some(reason) = cx.interpolate(&allow.reason) else { continue };
        if reason.trim().len() < 8 {
            cx.error(
                Diagnostic::new(codes::E0330, format!("the reason for `allow {name}` is too short"))
                    .at(allow.reason.span, "say why this exception is needed")
                    .help("write a sentence a reviewer can check, such as `because \"the postgres image runs its entrypoint as root\"`"),
            );
            continue;
        }
        if let Some(first) = out.iter().find(|e| &e.name == name) {
            let first_span = first.span;
            duplicate(cx, "exception", name, allow.span, first_span);
            continue;
        }
        out.push(Exception { name: name.clone(), reason, span: allow.span, chosen: false });
    }
    out
}

/// `host:port`, `a.b.c.d/n` or `a.b.c.d/n:port`.
fn read_egress(cx: &mut Cx, text: Spanned<String>) -> Option<Egress> {
    let bad = |cx: &mut Cx, why: &str| {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{}` is not an egress destination", text.value))
                .at(text.span, why.to_string())
                .help("write `\"api.example.com:443\"` (a host and port) or `\"10.0.0.0/8\"` (a CIDR, optionally `:port`)"),
        );
        None
    };
    let (address, port) = match text.value.rsplit_once(':') {
        Some((address, port)) => match port.parse::<u16>() {
            Ok(p) if p > 0 => (address.to_string(), Some(p)),
            _ => return bad(cx, "the port is not a number from 1 to 65535"),
        },
        None => (text.value.clone(), None),
    };
    if let Some((ip, bits)) = address.split_once('/') {
        let octets: Vec<&str> = ip.split('.').collect();
        let ip_ok = octets.len() == 4 && octets.iter().all(|o| o.parse::<u8>().is_ok());
        let bits_ok = bits.parse::<u8>().is_ok_and(|b| b <= 32);
        if !ip_ok || !bits_ok {
            return bad(cx, "not an IPv4 CIDR such as 10.0.0.0/8");
        }
        return Some(Egress { cidr: Some(address), host: None, port, text: text.value.clone() });
    }
    if port.is_none() {
        return bad(cx, "a host needs a port");
    }
    if !valid_host(&address) {
        return bad(cx, "not a host name");
    }
    Some(Egress { cidr: None, host: Some(address), port, text: text.value.clone() })
}

fn valid_env_name(name: &str) -> bool {
    // Bytes, not chars: every accepted character is ASCII, and no byte of another character is.
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Whether a plain `env` entry looks like a credential: a secret-sounding key with a
/// non-trivial value, or a value shaped like a well-known token or a URL with a password.
pub fn looks_like_secret(key: &str, value: &str) -> bool {
    // Names that hold credentials (matched anywhere in the key, any case).
    const KEYS: [&str; 20] = [
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "SIGNING_KEY",
        "ENCRYPTION_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "SESSION_KEY",
        "MASTER_KEY",
        "CONNECTION_STRING",
        "CONN_STR",
        "DSN",
        "WEBHOOK_URL",
        "LICENSE_KEY",
    ];
    // Token formats by their documented prefixes (each vendor's token format page, as collected
    // by gitleaks v8 config/gitleaks.toml rules; read 2026-12-02): OpenAI and Anthropic, Stripe
    // secret and restricted keys, GitHub (classic, OAuth, user-to-server, server-to-server,
    // refresh, fine-grained), GitLab, AWS access key IDs (long-term and temporary), Slack bot,
    // user, app, refresh and config tokens, Google API keys, SendGrid, npm, PyPI, DigitalOcean
    // personal, OAuth and refresh tokens, Docker Hub, HashiCorp Vault service and batch tokens,
    // Shopify, Hugging Face, and any PEM private key.
    const PREFIXES: [&str; 35] = [
        "sk-",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "AKIA",
        "ASIA",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxr-",
        "xoxe-",
        "xapp-",
        "AIza",
        "SG.",
        "npm_",
        "pypi-",
        "dop_v1_",
        "doo_v1_",
        "dor_v1_",
        "dckr_pat_",
        "hvs.",
        "hvb.",
        "shpat_",
        "shpss_",
        "hf_",
        "-----BEGIN",
        "Bearer ",
        "Basic ",
    ];
    // Connection-string fields that carry a password or key (ADO.NET, Azure Storage and
    // Service Bus, ODBC), matched case-insensitively.
    const FIELDS: [&str; 5] = ["password=", "pwd=", "accountkey=", "sharedaccesskey=", "sharedaccesssignature="];
    // `key.to_ascii_uppercase().contains(k)` for any `k`, without the copy or the substring
    // searcher's set-up (which cost more than the search on keys this short): at each byte
    // that can start one of them, compare in place.
    let bytes = key.as_bytes();
    let starts_one_at = |at: usize| {
        let rest = bytes.get(at..).unwrap_or(&[]);
        matches!(
            rest.first().map(u8::to_ascii_uppercase),
            Some(b'P' | b'S' | b'T' | b'A' | b'C' | b'E' | b'D' | b'W' | b'M' | b'L')
        ) && KEYS.iter().any(|k| rest.get(..k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k.as_bytes())))
    };
    let secret_key = (0..bytes.len()).any(starts_one_at);
    // A value long enough to be a token: a prefix alone (`sk-`) or a word (`Basic auth`) is not.
    let token_value =
        PREFIXES.iter().any(|p| value.strip_prefix(p).is_some_and(|rest| rest.len() >= 8 && !rest.contains(' ')))
            || value.starts_with("-----BEGIN");
    let after_scheme = value.as_bytes().windows(3).position(|w| w == b"://").and_then(|at| value.get(at + 3..));
    let url_password = after_scheme.is_some_and(|rest| {
        rest.split('/')
            .next()
            .is_some_and(|authority| authority.split_once('@').is_some_and(|(user, _)| user.contains(':')))
    });
    // A JSON Web Token: three base64url parts, the first a JSON object (`eyJ` is `{"`).
    let jwt = value.starts_with("eyJ")
        && value.split('.').count() == 3
        && value
            .split('.')
            .all(|p| p.len() >= 4 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let lower = value.to_ascii_lowercase();
    let connection_field = FIELDS.iter().any(|f| {
        lower.match_indices(f).any(|(at, _)| {
            (at == 0 || matches!(lower.as_bytes().get(at - 1), Some(b';' | b' ')))
                && lower.get(at + f.len()..).is_some_and(|v| !v.is_empty() && !v.starts_with(';'))
        })
    });
    // Slack and Discord incoming webhooks hold their secret in the path.
    let webhook = value.starts_with("https://hooks.slack.com/services/") || value.contains("discord.com/api/webhooks/");
    (secret_key && !value.is_empty()) || token_value || url_password || jwt || connection_field || webhook
}

#[allow(clippy::too_many_arguments)]
fn resource<T: Copy + PartialOrd + std::fmt::Debug>(
    cx: &mut Cx,
    value: Option<&Value>,
    what: &str,
    mut each: impl FnMut(&mut Cx, &Value) -> Option<Spanned<T>>,
    default_request: T,
    default_limit: T,
    block: &Block,
) -> Option<Resource<T>> {
    let Some(value) = value else {
        return Some(Resource { request: default_request, limit: default_limit, span: block.head_span() });
    };
    let (request, limit, _) = cx.one_or_range(value, &mut each)?;
    if request.value > limit.value {
        cx.error(
            Diagnostic::new(codes::E0304, format!("`{what}` request is greater than its limit"))
                .at(request.span, "this request")
                .also(limit.span, "is more than this limit")
                .help("write `request..limit` with the smaller value first"),
        );
        return None;
    }
    Some(Resource { request: request.value, limit: limit.value, span: value.span })
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
            let near = cx.did_you_mean(&key.name, named.iter().copied());
            cx.error(
                Diagnostic::new(codes::E0201, format!("`{}` takes no argument `{}`", call.name.name, key.name))
                    .at(key.span, "unknown argument")
                    .help(match near {
                        Some(n) => format!("did you mean `{n}`? Usage: `{usage}`"),
                        None => format!("usage: `{usage}`"),
                    }),
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

fn read_probe(cx: &mut Cx, value: &Value, what: &str) -> Option<Probe> {
    let call = call_of(cx, value, what, &["http", "tcp", "exec"], "http(\"/health\")")?;
    let kind = match call.name.name.as_str() {
        "http" => {
            if !arity(cx, call, value.span, 1, &["port"], "http(\"/path\", port = 8080)") {
                return None;
            }
            let path = cx.string(call.args.first()?, "path")?;
            if !path.value.starts_with('/') {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("probe path `{}` must start with `/`", path.value))
                        .at(path.span, "not an absolute path")
                        .help(format!("write `http(\"/{}\")`", path.value)),
                );
                return None;
            }
            let port = named(call, "port").and_then(|v| cx.port(v, "port"));
            ProbeKind::Http { path: path.value, port }
        }
        "tcp" => {
            if !arity(cx, call, value.span, 1, &[], "tcp(5432)") {
                return None;
            }
            ProbeKind::Tcp { port: cx.port(call.args.first()?, "tcp")? }
        }
        _ => {
            if !arity(cx, call, value.span, 1, &[], "exec([\"cmd\", \"arg\"])") {
                return None;
            }
            let command = cx.list(call.args.first()?, "exec", |cx, item| cx.scalar_text(item, "exec"))?;
            if command.is_empty() {
                cx.error(
                    Diagnostic::new(codes::E0314, "`exec` needs a command")
                        .at(value.span, "empty command")
                        .help("write `exec([\"pg_isready\", \"-U\", \"app\"])`"),
                );
                return None;
            }
            ProbeKind::Exec { command }
        }
    };
    Some(Probe { kind, span: value.span })
}

fn read_route(cx: &mut Cx, value: &Value) -> Option<Route> {
    let call = call_of(cx, value, "route", &["https", "http"], "https(\"app.example.com\", path = \"/\")")?;
    let https = call.name.name == "https";
    let allowed: &[&str] = if https { &["path", "issuer", "tls"] } else { &["path"] };
    let usage = if https { "https(\"host\", path = \"/\", issuer = NAME)" } else { "http(\"host\", path = \"/\")" };
    if !arity(cx, call, value.span, 1, allowed, usage) {
        return None;
    }
    let host = cx.string(call.args.first()?, "host")?;
    if !valid_host(&host.value) {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{}` is not a host name", host.value))
                .at(host.span, "not a DNS name")
                .help("write a host such as `\"app.example.com\"`, without scheme, port or path"),
        );
        return None;
    }
    let path = match named(call, "path") {
        Some(v) => {
            let p = cx.string(v, "path")?;
            if !p.value.starts_with('/') {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("route path `{}` must start with `/`", p.value))
                        .at(p.span, "not an absolute path")
                        .help(format!("write `path = \"/{}\"`", p.value)),
                );
                return None;
            }
            p.value
        }
        None => "/".to_string(),
    };
    let tls = if !https {
        RouteTls::None
    } else {
        match (named(call, "issuer"), named(call, "tls")) {
            (Some(issuer), None) => RouteTls::Issuer(cx.name(issuer, "issuer")?),
            (None, Some(tls)) => {
                let inner = call_of(cx, tls, "tls", &["secret"], "secret(\"my-tls\")")?;
                if !arity(cx, inner, tls.span, 1, &[], "secret(\"my-tls\")") {
                    return None;
                }
                let secret = cx.string(inner.args.first()?, "secret")?;
                check_k8s_name(cx, &secret.value, secret.span, "TLS secret");
                RouteTls::Secret(secret.value)
            }
            (Some(_), Some(tls)) => {
                cx.error(
                    Diagnostic::new(codes::E0301, "a route takes `issuer` or `tls`, not both")
                        .at(tls.span, "second certificate source")
                        .help("use `issuer = NAME` for a cert-manager certificate, or `tls = secret(\"name\")` for an existing one"),
                );
                return None;
            }
            (None, None) => {
                cx.error(
                    Diagnostic::new(codes::E0308, "HTTPS route has no certificate source")
                        .at(value.span, "no `issuer` or `tls`")
                        .help("add `issuer = NAME` (a cert-manager issuer in `stack`) or `tls = secret(\"name\")`"),
                );
                return None;
            }
        }
    };
    Some(Route { host, path, tls, span: value.span })
}

fn valid_host(host: &str) -> bool {
    // Bytes, not chars: every accepted character is ASCII, and no byte of another character is.
    !host.is_empty()
        && host.len() <= 253
        && host.as_bytes().split(|&b| b == b'.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && label.first() != Some(&b'-')
                && label.last() != Some(&b'-')
        })
}

fn read_success(cx: &mut Cx, block: &Block, out: &mut Vec<Criterion>) {
    let r = Reader::new(cx, block, None, &SUCCESS, "success");
    for bare in &r.bares {
        if let ValueKind::Ident(name) = &bare.kind {
            match name.as_str() {
                "nodes_ready" => out.push(Criterion::NodesReady { within_seconds: DEFAULT_WITHIN_SECONDS }),
                "rollout" => out.push(Criterion::Rollout { within_seconds: DEFAULT_WITHIN_SECONDS }),
                other => cx.error(
                    Diagnostic::new(codes::E0302, format!("`{other}` needs a block"))
                        .at(bare.span, "missing `{ … }`")
                        .help(format!("write `{other} {{ … }}`")),
                ),
            }
        }
    }
    for child in &block.members {
        let Member::Block(child) = child else { continue };
        let within = |cx: &mut Cx, r: &Reader| {
            r.get("within").and_then(|v| cx.duration(v, "within")).map(|d| d.value).unwrap_or(DEFAULT_WITHIN_SECONDS)
        };
        match child.kind.name.as_str() {
            "nodes_ready" | "rollout" => {
                let c = Reader::new(cx, child, None, &WITHIN, &child.kind.name);
                let within_seconds = within(cx, &c);
                out.push(if child.kind.name == "rollout" {
                    Criterion::Rollout { within_seconds }
                } else {
                    Criterion::NodesReady { within_seconds }
                });
            }
            "http" => {
                let Some(label) = child.label.as_ref().filter(|l| l.is_string) else {
                    cx.error(
                        Diagnostic::new(codes::E0206, "this http check names no URL")
                            .at(child.kind.span, "needs a URL")
                            .help("write `http \"https://app.example.com/health\" { status = 200 }`"),
                    );
                    continue;
                };
                if !(label.name.starts_with("https://") || label.name.starts_with("http://")) {
                    cx.error(
                        Diagnostic::new(codes::E0328, format!("`{}` is not an http(s) URL", label.name))
                            .at(label.span, "not a URL")
                            .help("write a full URL such as `\"https://app.example.com/health\"`"),
                    );
                    continue;
                }
                let c = Reader::new(cx, child, None, &HTTP_CHECK, "http check");
                let status = c.get("status").and_then(|v| cx.count(v, "status")).map(|s| s.value).unwrap_or(200);
                if !(100..=599).contains(&status) {
                    if let Some(v) = c.get("status") {
                        cx.error(
                            Diagnostic::new(codes::E0314, format!("HTTP status {status} does not exist"))
                                .at(v.span, "not between 100 and 599")
                                .help("write a status such as `200`"),
                        );
                    }
                    continue;
                }
                let tls = match c.get("tls").and_then(|v| cx.word(v, "tls", &["valid", "insecure", "none"])) {
                    Some(w) if w.value == "insecure" => HttpTls::Insecure,
                    Some(w) if w.value == "none" => HttpTls::None,
                    _ => HttpTls::Valid,
                };
                let contains = c.get("contains").and_then(|v| cx.string(v, "contains")).map(|s| s.value);
                let within_seconds = within(cx, &c);
                out.push(Criterion::Http {
                    url: label.name.clone(),
                    status: status as u16,
                    tls,
                    within_seconds,
                    contains,
                    span: label.span,
                });
            }
            "certificate" => {
                let Some(label) = &child.label else {
                    cx.error(
                        Diagnostic::new(codes::E0206, "this certificate check names no certificate")
                            .at(child.kind.span, "needs a name")
                            .help("write `certificate \"api-tls\" { within = 10m }`"),
                    );
                    continue;
                };
                check_k8s_name(cx, &label.name, label.span, "certificate");
                let c = Reader::new(cx, child, None, &WITHIN, "certificate");
                let within_seconds = within(cx, &c);
                out.push(Criterion::Certificate { name: label.name.clone(), within_seconds });
            }
            "teardown" => {
                let c = Reader::new(cx, child, None, &TEARDOWN, "teardown");
                let cost =
                    c.get("cost").and_then(|v| cx.money(v, "cost")).map(|m| m.value).unwrap_or(Money { cents: 0 });
                out.push(Criterion::Teardown { cost });
            }
            _ => {}
        }
    }
}
