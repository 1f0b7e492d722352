//! `service` blocks: image and contract, ports, replicas, resources, probes, routes, volumes,
//! egress and exceptions.

use super::*;

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
        "drain",
        "shutdown",
        "metrics",
        "build",
        "dockerfile",
    ],
    blocks: &["ports", "autoscale", "env", "dapr", "annotations", "labels", "volume", "slo"],
    bare: false,
};

pub(super) const AUTOSCALE: Schema<'static> =
    Schema { what: "autoscale", attrs: &["cpu", "memory"], blocks: &[], bare: false };

pub(super) const DAPR: Schema<'static> =
    Schema { what: "dapr", attrs: &["app_id", "app_port", "metrics_port"], blocks: &[], bare: false };

pub(super) const SLO: Schema<'static> =
    Schema { what: "slo", attrs: &["objective", "window", "threshold", "metric"], blocks: &[], bare: false };

pub(super) const VOLUME: Schema<'static> =
    Schema { what: "volume", attrs: &["size", "mount"], blocks: &[], bare: false };

/// Default CPU and memory when a service sets none, so that every pod has requests and limits.
pub const DEFAULT_CPU: (u64, u64) = (100, 500);

pub const DEFAULT_MEMORY_MI: (u64, u64) = (128, 256);

pub(super) fn read_service(cx: &mut Cx, block: &Block, lib: &Library) -> Option<Service> {
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
    let build = read_build(cx, &r);
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
    let drain = r.get("drain").and_then(|v| bounded_duration(cx, v, "drain", (0, MAX_DRAIN_SECONDS), "10s"));
    // At least a second: a grace period of 0 kills the pod at once, which Kubernetes calls
    // unsafe for a StatefulSet (its docs: "should not specify a
    // pod.Spec.TerminationGracePeriodSeconds of 0").
    let shutdown =
        r.get("shutdown").and_then(|v| bounded_duration(cx, v, "shutdown", (1, MAX_SHUTDOWN_SECONDS), "30s"));
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
    let metrics = r.get("metrics").and_then(|v| cx.string(v, "metrics")).and_then(|path| {
        if path.value.starts_with('/') && !path.value.contains(char::is_whitespace) {
            return Some(path);
        }
        cx.error(
            Diagnostic::new(codes::E0328, format!("metrics path `{}` is not an absolute URL path", path.value))
                .at(path.span, "must start with `/`, without spaces")
                .help("write the path the app serves its metrics on, such as `metrics = \"/metrics\"`"),
        );
        None
    });
    let mut slos: Vec<Spanned<Slo>> = Vec::new();
    let read: Vec<Spanned<Slo>> = r.blocks("slo").into_iter().filter_map(|b| read_slo(cx, b)).collect();
    for slo in read {
        if let Some(first) = slos.iter().find(|s| s.value.kind_name() == slo.value.kind_name()) {
            cx.error(
                Diagnostic::new(codes::E0202, format!("`{}` has two {} objectives", name.value, slo.value.kind_name()))
                    .at(slo.span, "a second objective of this kind")
                    .also(first.span, "the first")
                    .help("keep one: its rules and alerts are named `<service>-<kind>`"),
            );
            continue;
        }
        slos.push(slo);
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
        build,
        locked_digest: None,
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
        drain,
        shutdown,
        egress,
        exceptions,
        annotations,
        labels,
        volumes,
        metrics,
        slos,
    })
}

/// `build = "./api"` and `dockerfile = "…"`: the build context, a directory at or below the
/// `.deploy` file's, and the Dockerfile inside it. A `dockerfile` without `build` is E0302.
fn read_build(cx: &mut Cx, r: &Reader) -> Option<Build> {
    let dockerfile = r.get("dockerfile").and_then(|v| cx.string(v, "dockerfile"));
    let Some(context) = r.get("build").and_then(|v| cx.string(v, "build")) else {
        if let Some(dockerfile) = dockerfile {
            cx.error(
                Diagnostic::new(codes::E0302, "`dockerfile` without `build`")
                    .at(dockerfile.span, "names a Dockerfile in no build context")
                    .help("add `build = \"./DIR\"`, the directory the image is built from; `dockerfile` is relative to it"),
            );
        }
        return None;
    };
    let Some(normal) = relative_inside(&context.value) else {
        cx.error(
            Diagnostic::new(
                codes::E0328,
                format!("build context `{}` is not a directory inside the project", context.value),
            )
            .at(context.span, "an absolute path, or one that leaves the deployment file's directory")
            .help("write a directory relative to the `.deploy` file, at or below it, such as `build = \"./api\"`"),
        );
        return None;
    };
    let dockerfile = match dockerfile {
        Some(file) => match relative_inside(&file.value).filter(|f| f != ".") {
            Some(normal) => Some(normal),
            None => {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("dockerfile `{}` is not a file inside the build context", file.value))
                        .at(file.span, "must be a relative path inside the context")
                        .help("write the Dockerfile's path relative to the build context, such as `dockerfile = \"Dockerfile.prod\"`"),
                );
                return None;
            }
        },
        None => None,
    };
    Some(Build { context: normal, dockerfile, span: context.span })
}

/// `path` normalised (`./api/` → `api`, `.` for the directory itself) when it is relative and
/// stays at or below its directory; `None` otherwise. Control characters are refused too, so
/// the path is one line in every output.
fn relative_inside(path: &str) -> Option<String> {
    if path.is_empty()
        || path.starts_with(['/', '\\', '~'])
        || path.contains('\\')
        || path.get(1..2) == Some(":")
        || path.chars().any(char::is_control)
    {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(if parts.is_empty() { ".".to_string() } else { parts.join("/") })
}

/// The contract of a service's image: the one `based_on` names, else the one whose
/// repositories list the image's.
pub(super) fn image_contract(
    cx: &mut Cx,
    r: &Reader,
    lib: &Library,
    image: &Spanned<String>,
) -> Option<Box<AppliedContract>> {
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
pub(super) fn read_exceptions(cx: &mut Cx, allows: &[&crate::syntax::ast::Allow]) -> Vec<Exception> {
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
pub(super) fn read_egress(cx: &mut Cx, text: Spanned<String>) -> Option<Egress> {
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

#[allow(clippy::too_many_arguments)]
pub(super) fn resource<T: Copy + PartialOrd + std::fmt::Debug>(
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

pub(super) fn read_probe(cx: &mut Cx, value: &Value, what: &str) -> Option<Probe> {
    let call = call_of(cx, value, what, &["http", "tcp", "exec"], "http(\"/health\")")?;
    let kind = match call.name.name.as_str() {
        "http" => {
            if !arity(cx, call, value.span, 1, &HTTP_ARGS, "http(\"/path\", port = 8080, period = 30s)") {
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
            if !arity(cx, call, value.span, 1, &TIMINGS, "tcp(5432, period = 30s)") {
                return None;
            }
            ProbeKind::Tcp { port: cx.port(call.args.first()?, "tcp")? }
        }
        _ => {
            if !arity(cx, call, value.span, 1, &TIMINGS, "exec([\"cmd\", \"arg\"], period = 30s)") {
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
    let timing = probe_timing(cx, call)?;
    Some(Probe { kind, timing, span: value.span })
}

/// The longest `drain` accepted: the endpoint is gone from every ingress controller and
/// kube-proxy within seconds (notes/release-mechanics-research.md §2), so minutes are a mistake.
const MAX_DRAIN_SECONDS: u64 = 300;
/// The longest `shutdown` accepted: a pod that takes over an hour to stop blocks node drains and
/// rollouts for that long.
const MAX_SHUTDOWN_SECONDS: u64 = 3600;

/// A duration of `least` to `most` seconds, or E0314.
fn bounded_duration(
    cx: &mut Cx,
    value: &Value,
    what: &str,
    (least, most): (u64, u64),
    example: &str,
) -> Option<Spanned<u64>> {
    let duration = cx.duration(value, what)?;
    if duration.value < least || duration.value > most {
        cx.error(
            Diagnostic::new(codes::E0314, format!("`{what}` is out of range"))
                .at(duration.span, format!("{} seconds", duration.value))
                .help(format!("write a `{what}` of {least} to {most} seconds, such as `{what} = {example}`")),
        );
        return None;
    }
    Some(duration)
}

/// The timing arguments every probe call takes, and `http`'s (its port, then the timings).
const TIMINGS: [&str; 4] = ["period", "timeout", "failures", "delay"];
const HTTP_ARGS: [&str; 5] = ["port", "period", "timeout", "failures", "delay"];

/// The longest probe timing accepted: a probe that waits longer than a day is a mistake, and
/// this keeps every value well inside the API's 32-bit seconds.
const MAX_PROBE_SECONDS: u64 = 86_400;

/// `period`, `timeout` and `delay` (durations) and `failures` (a count) of a probe call.
/// Kubernetes requires `periodSeconds`, `timeoutSeconds` and `failureThreshold` of at least 1
/// (core/v1 Probe; `delay` may be 0).
fn probe_timing(cx: &mut Cx, call: &Call) -> Option<ProbeTiming> {
    let mut timing = ProbeTiming::default();
    let mut ok = true;
    for (key, value) in &call.named {
        let name = key.name.as_str();
        let (slot, read) = match name {
            "period" => (&mut timing.period, cx.duration(value, name).map(|d| (d.value, d.span))),
            "timeout" => (&mut timing.timeout, cx.duration(value, name).map(|d| (d.value, d.span))),
            "delay" => (&mut timing.delay, cx.duration(value, name).map(|d| (d.value, d.span))),
            "failures" => (&mut timing.failures, cx.count(value, name).map(|c| (u64::from(c.value), c.span))),
            _ => continue,
        };
        let Some((number, span)) = read else {
            ok = false;
            continue;
        };
        let least = u64::from(name != "delay");
        let most = if name == "failures" { 1000 } else { MAX_PROBE_SECONDS };
        if number < least || number > most {
            let unit = if name == "failures" { "" } else { " seconds" };
            cx.error(
                Diagnostic::new(codes::E0314, format!("probe `{name}` is out of range"))
                    .at(span, format!("{number}{unit}"))
                    .help(format!(
                        "write a `{name}` from {least} to {most}{unit}, such as `{name} = {}`",
                        match name {
                            "failures" => "3",
                            "delay" => "10s",
                            _ => "30s",
                        }
                    )),
            );
            ok = false;
            continue;
        }
        *slot = u32::try_from(number).ok();
    }
    // Kubernetes accepts a timeout longer than the period, but each probe then overlaps the next
    // and a slow app is probed several times at once.
    let period = timing.period.unwrap_or(crate::vocab::PROBE_PERIOD_SECONDS);
    if let Some(timeout) = timing.timeout.filter(|t| *t > period)
        && let Some((_, value)) = call.named.iter().find(|(k, _)| k.name == "timeout")
    {
        cx.error(
            Diagnostic::new(
                codes::W0310,
                format!("probe timeout of {timeout} s is longer than its period of {period} s"),
            )
            .at(value.span, "a probe may still run when the next one starts")
            .help(format!("lower `timeout` to at most the period, or probe less often: `period = {timeout}s`")),
        );
    }
    ok.then_some(timing)
}

pub(super) fn read_route(cx: &mut Cx, value: &Value) -> Option<Route> {
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

pub(super) fn valid_host(host: &str) -> bool {
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

/// `slo availability { objective = 99.9% }` or `slo latency { objective = 99%, threshold =
/// 300ms }`, with `window` (30 days) and `metric` (the Prometheus client libraries' names).
fn read_slo(cx: &mut Cx, block: &Block) -> Option<Spanned<Slo>> {
    let kinds = ["availability", "latency"];
    let Some(label) = block.label.as_ref().filter(|l| kinds.contains(&l.name.as_str())) else {
        let (span, found) = match &block.label {
            Some(label) => (label.span, format!("`{}`", label.name)),
            None => (block.kind.span, "nothing".to_string()),
        };
        cx.error(
            Diagnostic::new(codes::E0301, format!("`slo` expects `availability` or `latency`, found {found}"))
                .at(span, "not a kind of objective")
                .help("write `slo availability { objective = 99.9% }` or `slo latency { objective = 99%, threshold = 300ms }`"),
        );
        return None;
    };
    let r = Reader::new(cx, block, None, &SLO, &format!("slo `{}`", label.name));
    let objective = r.required(cx, "objective", "99.9%").and_then(|v| cx.objective(v, "objective"));
    let window = match r.get("window") {
        Some(v) => cx.slo_window(v, "window").map(|w| w.value),
        None => Some(crate::vocab::SLO_WINDOW_DAYS),
    };
    let metric = match r.get("metric") {
        Some(v) => cx.string(v, "metric").and_then(|m| {
            let valid = m
                .value
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()));
            if valid && !m.value.is_empty() {
                return Some(m.value);
            }
            cx.error(
                Diagnostic::new(codes::E0328, format!("`{}` is not a Prometheus metric name", m.value))
                    .at(m.span, "letters, digits, `_` and `:`, not starting with a digit")
                    .help("write the metric's name as the app exposes it, such as `\"http_requests_total\"`"),
            );
            None
        }),
        None => Some(String::new()),
    };
    let kind = if label.name == "latency" {
        let threshold = r.required(cx, "threshold", "300ms").and_then(|v| cx.latency(v, "threshold"))?;
        SloKind::Latency { threshold: threshold.value }
    } else {
        if let Some(v) = r.get("threshold") {
            cx.error(
                Diagnostic::new(codes::E0301, "an availability objective has no `threshold`")
                    .at(v.span, "only a latency objective has a threshold")
                    .help("remove it, or write `slo latency { objective = 99%, threshold = 300ms }`"),
            );
            return None;
        }
        SloKind::Availability
    };
    let (objective, window_days, metric) = (objective?, window?, metric?);
    let metric = match (&kind, metric.is_empty()) {
        (_, false) => metric,
        (SloKind::Availability, true) => crate::vocab::SLO_REQUESTS_METRIC.to_string(),
        (SloKind::Latency { .. }, true) => crate::vocab::SLO_DURATION_METRIC.to_string(),
    };
    Some(Spanned::new(Slo { kind, objective: objective.value, window_days, metric }, block.head_span()))
}
