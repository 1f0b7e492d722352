//! Library blocks: `provider` and `component`, read from the stdlib or a user library into
//! the typed model.

use super::model::*;
use super::reader::{Reader, Schema, free_pairs};
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;
use crate::syntax::ast::Block;

const PROVIDER: Schema<'static> = Schema {
    what: "provider",
    attrs: &[
        "title",
        "cli",
        "kind",
        "region_attribute",
        "regions",
        "versions",
        "default_version",
        "bundles",
        "control_plane_price",
        "prices_source",
        "prices_as_of",
        "templates",
        "kubeconfig",
        "node_images",
        "support_source",
        "registry_host",
        "pull_secret_prefix",
        "resource_groups",
        "leftovers",
    ],
    blocks: &["size", "load_balancer", "version", "registry_regions", "setting", "tool"],
    bare: false,
};

const SETTING: Schema<'static> =
    Schema { what: "setting", attrs: &["type", "help", "source"], blocks: &[], bare: false };

const TOOL: Schema<'static> = Schema { what: "tool", attrs: &["why", "install"], blocks: &[], bare: false };

const SIZE: Schema<'static> = Schema {
    what: "size",
    attrs: &["cpu", "memory", "allocatable_cpu", "allocatable_memory", "price", "retired", "successor"],
    blocks: &[],
    bare: false,
};

const VERSION: Schema<'static> = Schema { what: "version", attrs: &["end_of_life"], blocks: &[], bare: false };

const LOAD_BALANCER: Schema<'static> =
    Schema { what: "load_balancer", attrs: &["price", "location_annotation", "address"], blocks: &[], bare: false };

const COMPONENT: Schema<'static> = Schema {
    what: "component",
    attrs: &[
        "title",
        "namespace",
        "provides",
        "requires",
        "ready",
        "ingress_class",
        "deprecated",
        "service_annotations",
        "load_balancer_service",
    ],
    blocks: &["helm", "requests", "option", "sidecar"],
    bare: false,
};

const SIDECAR: Schema<'static> = Schema {
    what: "sidecar",
    attrs: &["cpu", "memory", "without_token", "shutdown", "source"],
    blocks: &["annotations", "ports"],
    bare: false,
};

/// The roles a sidecar's `annotations { … }` may name.
const SIDECAR_ANNOTATIONS: [&str; 6] =
    ["cpu_request", "cpu_limit", "memory_request", "memory_limit", "metrics_port", "block_shutdown"];

const IMAGE: Schema<'static> = Schema {
    what: "image",
    attrs: &[
        "title",
        "repositories",
        "source",
        "as_of",
        "user",
        "group",
        "any_user",
        "writes",
        "ports",
        "file_env",
        "requires_one_of",
    ],
    blocks: &["env", "variant"],
    bare: false,
};

const VARIANT: Schema<'static> = Schema {
    what: "variant",
    attrs: &["when", "user", "group", "any_user", "writes", "ports"],
    blocks: &["env"],
    bare: false,
};

const HELM: Schema<'static> =
    Schema { what: "helm", attrs: &["repo", "chart", "version"], blocks: &["values", "local_values"], bare: false };
const REQUESTS: Schema<'static> = Schema { what: "requests", attrs: &["cpu", "memory"], blocks: &[], bare: false };
const OPTION: Schema<'static> =
    Schema { what: "option", attrs: &["type", "default", "doc", "helm_value"], blocks: &[], bare: false };

fn label_or_error(cx: &mut Cx, block: &Block, what: &str) -> Option<String> {
    match &block.label {
        Some(label) => Some(label.name.clone()),
        None => {
            cx.error(
                Diagnostic::new(codes::E0206, format!("this {what} has no name"))
                    .at(block.kind.span, "needs a name")
                    .help(format!("write `{what} NAME {{ … }}`")),
            );
            None
        }
    }
}

/// Read a `provider NAME { … }` block.
pub fn read_provider(cx: &mut Cx, block: &Block) -> Option<Provider> {
    let name = label_or_error(cx, block, "provider")?;
    let r = Reader::new(cx, block, None, &PROVIDER, &format!("provider `{name}`"));
    let string = |cx: &mut Cx, key: &str, example: &str| {
        r.required(cx, key, example).and_then(|v| cx.string(v, key)).map(|s| s.value)
    };
    let title = string(cx, "title", "\"My Cloud\"");
    let cli = string(cx, "cli", "\"mycloud\"");
    let prices_source = string(cx, "prices_source", "\"https://…\"");
    let prices_as_of = string(cx, "prices_as_of", "\"2026-01-01\"");
    let default_version = string(cx, "default_version", "\"1.32\"");
    let templates =
        r.get("templates").and_then(|v| cx.string(v, "templates")).map(|s| s.value).unwrap_or_else(|| name.clone());
    if crate::stdlib::provider_template(&templates, "provision").is_none() {
        let span = r.get("templates").map(|v| v.span).unwrap_or(block.head_span());
        let sets: Vec<String> = crate::stdlib::PROVIDER_TEMPLATES
            .iter()
            .filter(|(_, part, _)| *part == "provision")
            .map(|(set, _, _)| set.to_string())
            .collect();
        cx.error(
            Diagnostic::new(codes::E0203, format!("no script templates named `{templates}`"))
                .at(span, "deployc ships no such template set")
                .help(format!("reuse the set of a provider that works the same way, such as `templates = \"doks\"`; the sets are {}", crate::diagnostics::suggest::one_of(&sets))),
        );
    }
    let kubeconfig = r.get("kubeconfig").and_then(|v| cx.string(v, "kubeconfig")).map(|s| s.value).unwrap_or_default();
    let node_images = match r.get("node_images") {
        Some(v) => cx.list(v, "node_images", |cx, item| cx.string(item, "node_images").map(|s| s.value)),
        None => Some(Vec::new()),
    };
    let kind = r.required(cx, "kind", "managed").and_then(|v| cx.word(v, "kind", &["managed", "k3s", "local"])).map(
        |w| match w.value.as_str() {
            "k3s" => ProviderKind::K3s,
            "local" => ProviderKind::Local,
            _ => ProviderKind::Managed,
        },
    );
    let region_attribute = r
        .required(cx, "region_attribute", "region")
        .and_then(|v| cx.word(v, "region_attribute", &["region", "location"]))
        .map(|w| w.value);
    let names = |cx: &mut Cx, key: &str, example: &str| {
        r.required(cx, key, example).and_then(|v| cx.list(v, key, |cx, item| cx.name(item, key).map(|s| s.value)))
    };
    let regions = names(cx, "regions", "[region-1]");
    let versions = names(cx, "versions", "[\"1.32\"]");
    let bundles = names(cx, "bundles", "[]");
    let control_plane_price =
        r.required(cx, "control_plane_price", "$0/mo").and_then(|v| cx.money(v, "control_plane_price"));
    let mut sizes = Vec::new();
    for size_block in r.blocks("size") {
        let Some(size_name) = label_or_error(cx, size_block, "size") else { continue };
        let s = Reader::new(cx, size_block, None, &SIZE, &format!("size `{size_name}`"));
        let cpu = s.required(cx, "cpu", "2").and_then(|v| cx.cpu(v, "cpu"));
        let memory = s.required(cx, "memory", "4Gi").and_then(|v| cx.memory(v, "memory"));
        let allocatable_cpu = s.required(cx, "allocatable_cpu", "1900m").and_then(|v| cx.cpu(v, "allocatable_cpu"));
        let allocatable_memory =
            s.required(cx, "allocatable_memory", "3Gi").and_then(|v| cx.memory(v, "allocatable_memory"));
        let price = s.required(cx, "price", "$24/mo").and_then(|v| cx.money(v, "price"));
        let retired = s.get("retired").and_then(|v| cx.string(v, "retired")).map(|r| r.value);
        let successor = s.get("successor").and_then(|v| cx.name(v, "successor")).map(|r| r.value);
        if let (Some(cpu), Some(memory), Some(allocatable_cpu), Some(allocatable_memory), Some(price)) =
            (cpu, memory, allocatable_cpu, allocatable_memory, price)
        {
            sizes.push(Size {
                name: size_name,
                cpu: cpu.value,
                memory: memory.value,
                allocatable_cpu: allocatable_cpu.value,
                allocatable_memory: allocatable_memory.value,
                price: price.value,
                retired,
                successor,
            });
        }
    }
    let mut end_of_life = Vec::new();
    for version_block in r.blocks("version") {
        let Some(version) = label_or_error(cx, version_block, "version") else { continue };
        let v = Reader::new(cx, version_block, None, &VERSION, &format!("version `{version}`"));
        let Some(date) = v.required(cx, "end_of_life", "\"2027-02-28\"").and_then(|x| cx.string(x, "end_of_life"))
        else {
            continue;
        };
        if crate::date::days(&date.value).is_none() {
            cx.error(
                Diagnostic::new(codes::E0301, format!("`{}` is not a date", date.value))
                    .at(date.span, "expected `YYYY-MM-DD`")
                    .help("write the date as `\"2027-02-28\"`"),
            );
            continue;
        }
        end_of_life.push((version, date.value));
    }
    let mut registry_regions = Vec::new();
    for b in r.blocks("registry_regions") {
        registry_regions.extend(free_pairs(cx, b, "registry_regions").into_iter().map(|(k, v, _, _)| (k, v)));
    }
    let registry_host = r.get("registry_host").and_then(|v| cx.string(v, "registry_host")).map(|s| s.value);
    let pull_secret_prefix =
        r.get("pull_secret_prefix").and_then(|v| cx.string(v, "pull_secret_prefix")).map(|s| s.value);
    let resource_groups = r.get("resource_groups").and_then(|v| cx.boolean(v, "resource_groups")).unwrap_or(false);
    let support_source =
        r.get("support_source").and_then(|v| cx.string(v, "support_source")).map(|s| s.value).unwrap_or_default();
    let settings = read_settings(cx, &r);
    let mut tools = Vec::new();
    for tool_block in r.blocks("tool") {
        let Some(tool) = label_or_error(cx, tool_block, "tool") else { continue };
        let t = Reader::new(cx, tool_block, None, &TOOL, &format!("tool `{tool}`"));
        let why = t.required(cx, "why", "\"creates the cluster\"").and_then(|v| cx.string(v, "why"));
        let install = t.required(cx, "install", "\"https://…\"").and_then(|v| cx.string(v, "install"));
        if let (Some(why), Some(install)) = (why, install) {
            tools.push(ProviderTool { name: tool, why: why.value, install: install.value });
        }
    }
    let leftovers = r.get("leftovers").and_then(|v| cx.string(v, "leftovers")).map(|s| s.value);
    let mut load_balancer_location_annotation = None;
    let mut load_balancer_on_service_address = false;
    let load_balancer_price = match r.blocks("load_balancer").first() {
        Some(lb) => {
            let l = Reader::new(cx, lb, None, &LOAD_BALANCER, "load_balancer");
            load_balancer_location_annotation =
                l.get("location_annotation").and_then(|v| cx.string(v, "location_annotation")).map(|s| s.value);
            // Where a local cluster's load balancers are reached: `localhost` (published ports,
            // the default) or `service` (the Service's own address, as cloud-provider-kind gives).
            if let Some(value) = l.get("address") {
                match cx.string(value, "address").map(|s| s.value).as_deref() {
                    Some("service") => load_balancer_on_service_address = true,
                    Some("localhost") | None => {}
                    Some(other) => cx.error(
                        Diagnostic::new(codes::E0301, format!("`address = \"{other}\"` is not `\"localhost\"` or `\"service\"`"))
                            .at(value.span, "not an address kind")
                            .help("`localhost`: the cluster publishes its ports on this machine; `service`: the Service's address is reachable"),
                    ),
                }
            }
            l.required(cx, "price", "$12/mo").and_then(|v| cx.money(v, "price")).map(|m| m.value)
        }
        None => {
            cx.error(
                Diagnostic::new(codes::E0302, format!("provider `{name}` is missing `load_balancer`"))
                    .at(block.head_span(), "needs `load_balancer { price = … }`")
                    .help("add `load_balancer { price = $12/mo }` inside this block"),
            );
            None
        }
    };
    Some(Provider {
        name,
        title: title?,
        cli: cli?,
        kind: kind?,
        region_attribute: region_attribute?,
        regions: regions?,
        versions: versions?,
        default_version: default_version?,
        bundles: bundles?,
        sizes,
        load_balancer_price: load_balancer_price?,
        control_plane_price: control_plane_price?.value,
        prices_source: prices_source?,
        prices_as_of: prices_as_of?,
        templates,
        kubeconfig,
        node_images: node_images?,
        end_of_life,
        support_source,
        registry_host,
        registry_regions,
        pull_secret_prefix,
        resource_groups,
        load_balancer_location_annotation,
        load_balancer_on_service_address,
        settings,
        tools,
        leftovers,
        span: block.head_span(),
    })
}

/// A provider's `setting NAME { type = …, help = "…", source = "…" }` blocks.
fn read_settings(cx: &mut Cx, r: &Reader) -> Vec<ProviderSetting> {
    let words: Vec<&str> = SettingKind::WORDS.iter().map(|(w, _)| *w).collect();
    let mut settings = Vec::new();
    for block in r.blocks("setting") {
        let Some(name) = label_or_error(cx, block, "setting") else { continue };
        let s = Reader::new(cx, block, None, &SETTING, &format!("setting `{name}`"));
        let kind = s
            .required(cx, "type", "uuid")
            .and_then(|v| cx.word(v, "type", &words))
            .and_then(|w| SettingKind::WORDS.iter().find(|(word, _)| *word == w.value).map(|(_, k)| *k));
        let help = s.required(cx, "help", "\"the VPC the nodes join\"").and_then(|v| cx.string(v, "help"));
        let source = s.required(cx, "source", "\"mycloud v1.0 --vpc flag\"").and_then(|v| cx.string(v, "source"));
        if let (Some(kind), Some(help), Some(source)) = (kind, help, source) {
            settings.push(ProviderSetting { name, kind, help: help.value, source: source.value });
        }
    }
    settings
}

/// Read a `component NAME { … }` block.
pub fn read_component(cx: &mut Cx, block: &Block) -> Option<Component> {
    let name = label_or_error(cx, block, "component")?;
    let r = Reader::new(cx, block, None, &COMPONENT, &format!("component `{name}`"));
    let title = r.get("title").and_then(|v| cx.string(v, "title")).map(|s| s.value).unwrap_or_else(|| name.clone());
    let namespace = r.required(cx, "namespace", "\"my-component\"").and_then(|v| cx.string(v, "namespace"));
    let strings = |cx: &mut Cx, key: &str| match r.get(key) {
        Some(v) => cx.list(v, key, |cx, item| cx.string(item, key).map(|s| s.value)),
        None => Some(Vec::new()),
    };
    let provides = strings(cx, "provides");
    let ready = strings(cx, "ready");
    let requires = match r.get("requires") {
        Some(v) => cx.list(v, "requires", |cx, item| cx.name(item, "requires").map(|s| s.value)),
        None => Some(Vec::new()),
    };
    let ingress_class = r.get("ingress_class").and_then(|v| cx.string(v, "ingress_class")).map(|s| s.value);
    let deprecated = r.get("deprecated").and_then(|v| cx.string(v, "deprecated")).map(|s| s.value);
    let load_balancer_service =
        r.get("load_balancer_service").and_then(|v| cx.string(v, "load_balancer_service")).map(|s| s.value);
    let service_annotations =
        r.get("service_annotations").and_then(|v| cx.string(v, "service_annotations")).map(|s| s.value);
    let helm = match r.blocks("helm").first() {
        Some(helm_block) => {
            let h = Reader::new(cx, helm_block, None, &HELM, "helm");
            let repo = h.required(cx, "repo", "\"https://charts.example.com\"").and_then(|v| cx.string(v, "repo"));
            let chart = h.required(cx, "chart", "\"chart\"").and_then(|v| cx.string(v, "chart"));
            let version = h.required(cx, "version", "\"1.0.0\"").and_then(|v| cx.string(v, "version"));
            let mut values = Vec::new();
            for b in h.blocks("values") {
                values.extend(free_pairs(cx, b, "values").into_iter().map(|(k, v, _, _)| (k, v)));
            }
            let mut local_values = Vec::new();
            for b in h.blocks("local_values") {
                local_values.extend(free_pairs(cx, b, "local_values").into_iter().map(|(k, v, _, _)| (k, v)));
            }
            match (repo, chart, version) {
                (Some(repo), Some(chart), Some(version)) => {
                    Some(Helm { repo: repo.value, chart: chart.value, version: version.value, values, local_values })
                }
                _ => None,
            }
        }
        None => {
            cx.error(
                Diagnostic::new(codes::E0302, format!("component `{name}` is missing `helm`"))
                    .at(block.head_span(), "needs `helm { repo, chart, version }`")
                    .help("add a `helm { … }` block naming the chart and its pinned version"),
            );
            None
        }
    };
    let (mut requests_cpu, mut requests_memory) = (Cpu { millis: 0 }, Memory { bytes: 0 });
    if let Some(requests) = r.blocks("requests").first() {
        let q = Reader::new(cx, requests, None, &REQUESTS, "requests");
        if let Some(cpu) = q.get("cpu").and_then(|v| cx.cpu(v, "cpu")) {
            requests_cpu = cpu.value;
        }
        if let Some(memory) = q.get("memory").and_then(|v| cx.memory(v, "memory")) {
            requests_memory = memory.value;
        }
    }
    let mut options = Vec::new();
    for option in r.blocks("option") {
        let Some(option_name) = label_or_error(cx, option, "option") else { continue };
        let o = Reader::new(cx, option, None, &OPTION, &format!("option `{option_name}`"));
        let ty = o
            .required(cx, "type", "count")
            .and_then(|v| cx.word(v, "type", &["count", "string", "bool", "memory", "cpu"]));
        let default = o.required(cx, "default", "1").and_then(|v| cx.scalar_text(v, "default"));
        let doc = o.get("doc").and_then(|v| cx.string(v, "doc")).map(|s| s.value).unwrap_or_default();
        let helm_value = o.get("helm_value").and_then(|v| cx.string(v, "helm_value")).map(|s| s.value);
        if let (Some(ty), Some(default)) = (ty, default) {
            let ty = match ty.value.as_str() {
                "count" => OptionType::Count,
                "bool" => OptionType::Bool,
                "memory" => OptionType::Memory,
                "cpu" => OptionType::Cpu,
                _ => OptionType::Str,
            };
            options.push(ComponentOption { name: option_name, ty, default, doc, helm_value });
        }
    }
    let sidecar = r.blocks("sidecar").first().and_then(|block| read_sidecar(cx, block));
    Some(Component {
        sidecar,
        name,
        title,
        namespace: namespace?.value,
        helm: helm?,
        provides: provides?,
        requires: requires?,
        ready: ready?,
        requests_cpu,
        requests_memory,
        ingress_class,
        deprecated,
        service_annotations,
        load_balancer_service,
        options,
        span: block.head_span(),
    })
}

/// Read a component's `sidecar NAME { … }`.
fn read_sidecar(cx: &mut Cx, block: &Block) -> Option<Sidecar> {
    let name = label_or_error(cx, block, "sidecar")?;
    let r = Reader::new(cx, block, None, &SIDECAR, &format!("sidecar `{name}`"));
    let cpu = r.required(cx, "cpu", "100m..300m").and_then(|v| cx.one_or_range(v, |cx, x| cx.cpu(x, "cpu")));
    let memory =
        r.required(cx, "memory", "250Mi..500Mi").and_then(|v| cx.one_or_range(v, |cx, x| cx.memory(x, "memory")));
    let source = r.required(cx, "source", "\"https://…\"").and_then(|v| cx.string(v, "source")).map(|s| s.value);
    let mut annotations = Vec::new();
    for b in r.blocks("annotations") {
        for (role, annotation, span, _) in free_pairs(cx, b, "annotations") {
            if SIDECAR_ANNOTATIONS.contains(&role.as_str()) {
                annotations.push((role, annotation));
            } else {
                cx.error(
                    Diagnostic::new(codes::E0201, format!("unknown sidecar annotation role `{role}`"))
                        .at(span, "deployc sets no such annotation")
                        .help(format!(
                            "the roles are {}",
                            crate::diagnostics::suggest::one_of(&SIDECAR_ANNOTATIONS.map(String::from))
                        )),
                );
            }
        }
    }
    let mut ports = Vec::new();
    for b in r.blocks("ports") {
        for member in &b.members {
            if let crate::syntax::ast::Member::Attr(attr) = member
                && let Some(port) = cx.port(&attr.value, &attr.key())
            {
                ports.push((attr.key().into_owned(), port.value));
            }
        }
    }
    let without_token = match r.get("without_token") {
        Some(v) => cx.list(v, "without_token", |cx, item| {
            let text = cx.string(item, "without_token")?;
            match text.value.split_once('=') {
                Some((key, value)) if !key.is_empty() => Some((key.to_string(), value.to_string())),
                _ => {
                    cx.error(
                        Diagnostic::new(codes::E0301, format!("`{}` is not an annotation", text.value))
                            .at(text.span, "expected `key=value`")
                            .help("write `\"dapr.io/disable-builtin-k8s-secret-store=true\"`"),
                    );
                    None
                }
            }
        }),
        None => Some(Vec::new()),
    };
    let shutdown = r.get("shutdown").and_then(|v| cx.duration(v, "shutdown")).map_or(0, |d| d.value);
    let ((cpu_request, cpu_limit, _), (memory_request, memory_limit, _)) = (cpu?, memory?);
    Some(Sidecar {
        name,
        shutdown,
        cpu: (cpu_request.value, cpu_limit.value),
        memory: (memory_request.value, memory_limit.value),
        annotations,
        ports,
        without_token: without_token?,
        source: source?,
    })
}

/// Read an `image NAME { … }` block: an image's run-time contract.
pub fn read_image(cx: &mut Cx, block: &Block) -> Option<ImageContract> {
    let name = label_or_error(cx, block, "image")?;
    let r = Reader::new(cx, block, None, &IMAGE, &format!("image `{name}`"));
    let title = r.get("title").and_then(|v| cx.string(v, "title")).map(|s| s.value).unwrap_or_else(|| name.clone());
    let strings = |cx: &mut Cx, r: &Reader, key: &str| {
        r.get(key).map(|v| cx.list(v, key, |cx, item| cx.string(item, key).map(|s| s.value)))
    };
    let repositories = r
        .required(cx, "repositories", "[\"postgres\"]")
        .and_then(|v| cx.list(v, "repositories", |cx, item| cx.string(item, "repositories").map(|s| s.value)));
    let source = r.required(cx, "source", "\"https://…\"").and_then(|v| cx.string(v, "source")).map(|s| s.value);
    let as_of = r.required(cx, "as_of", "\"2026-12-01\"").and_then(|v| cx.string(v, "as_of")).map(|s| s.value);
    let id = |cx: &mut Cx, r: &Reader, key: &str| r.get(key).and_then(|v| cx.count(v, key)).map(|n| n.value);
    let user = r.required(cx, "user", "999").and_then(|v| cx.count(v, "user")).map(|n| n.value);
    let group = id(cx, &r, "group");
    let any_user = r.get("any_user").and_then(|v| cx.boolean(v, "any_user")).unwrap_or(false);
    let ports = |cx: &mut Cx, r: &Reader| {
        r.get("ports").map(|v| cx.list(v, "ports", |cx, item| cx.port(item, "ports").map(|p| p.value)))
    };
    let env = |cx: &mut Cx, r: &Reader| -> Vec<(String, String)> {
        r.blocks("env").iter().flat_map(|b| free_pairs(cx, b, "env")).map(|(k, v, _, _)| (k, v)).collect()
    };
    let absolute = |cx: &mut Cx, paths: Option<Option<Vec<String>>>, r: &Reader| -> Option<Option<Vec<String>>> {
        let paths = paths?;
        if let (Some(list), Some(value)) = (&paths, r.get("writes"))
            && list.iter().any(|p| !p.starts_with('/'))
        {
            cx.error(
                Diagnostic::new(codes::E0328, "`writes` holds absolute paths")
                    .at(value.span, "a path here is not absolute")
                    .help("write paths such as `\"/var/run/postgresql\"`"),
            );
            return Some(None);
        }
        Some(paths)
    };
    let listed = strings(cx, &r, "writes");
    let writes = absolute(cx, listed, &r);
    let facts = ImageFacts {
        user: user?,
        group: group.or(user)?,
        any_user,
        writes: writes.unwrap_or(Some(Vec::new()))?,
        env: env(cx, &r),
        ports: ports(cx, &r).unwrap_or(Some(Vec::new()))?,
    };
    let mut variants = Vec::new();
    for variant in r.blocks("variant") {
        let Some(variant_name) = label_or_error(cx, variant, "variant") else { continue };
        let v = Reader::new(cx, variant, None, &VARIANT, &format!("variant `{variant_name}`"));
        let user = id(cx, &v, "user");
        let listed = strings(cx, &v, "writes");
        let writes = absolute(cx, listed, &v);
        let read = ImageVariant {
            user,
            group: id(cx, &v, "group").or(user),
            any_user: v.get("any_user").and_then(|x| cx.boolean(x, "any_user")),
            writes: writes.flatten(),
            env: env(cx, &v),
            ports: ports(cx, &v).flatten(),
        };
        let when = match v.get("when") {
            Some(value) => cx.list(value, "when", |cx, item| cx.name(item, "when").map(|s| s.value)),
            None => Some(vec![variant_name]),
        };
        if let Some(when) = when {
            variants.push((when, read));
        }
    }
    let file_env = strings(cx, &r, "file_env").unwrap_or(Some(Vec::new()));
    let requires_one_of = strings(cx, &r, "requires_one_of").unwrap_or(Some(Vec::new()));
    Some(ImageContract {
        name,
        title,
        repositories: repositories?,
        source: source?,
        as_of: as_of?,
        facts,
        variants,
        file_env: file_env?,
        requires_one_of: requires_one_of?,
        span: block.head_span(),
    })
}
