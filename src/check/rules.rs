//! Cross-cutting checks on a read deployment: references between services, secrets and
//! issuers; ports; routes against the domain and the stack; the stack against the provider.

use std::collections::BTreeMap;

use super::deployment::{check_k8s_name, duplicate};
use super::model::*;
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;
use crate::source::Span;

/// Run every check on `deployment` (its `ingress` already resolved).
pub fn check_deployment(cx: &mut Cx, deployment: &Deployment) {
    check_k8s_name(cx, &deployment.name.value, deployment.name.span, "deployment");

    let mut services: BTreeMap<&str, &Service> = BTreeMap::new();
    for service in &deployment.services {
        if let Some(first) = services.get(service.name.value.as_str()) {
            duplicate(cx, "service", &service.name.value, service.name.span, first.name.span);
            continue;
        }
        services.insert(&service.name.value, service);
    }
    let mut secrets: BTreeMap<&str, &Secret> = BTreeMap::new();
    for secret in &deployment.secrets {
        if let Some(first) = secrets.get(secret.name.value.as_str()) {
            duplicate(cx, "secret", &secret.name.value, secret.name.span, first.name.span);
            continue;
        }
        secrets.insert(&secret.name.value, secret);
    }
    for receiver in deployment.stack.iter().flat_map(|e| &e.receivers) {
        for (secret, key) in &receiver.refs {
            check_secret_key(cx, deployment, &secrets, secret, key);
        }
    }
    if let Some(pipeline) = &deployment.pipeline {
        check_pipeline(cx, deployment, pipeline);
    }
    let in_stack = |name: &str| deployment.stack.iter().any(|e| e.component.name == name);
    let cert_manager = deployment.stack.iter().find(|e| e.component.provides_kind("ClusterIssuer"));
    let ingress = deployment.ingress.clone();

    for service in &deployment.services {
        for secret in &service.secrets {
            if !secrets.contains_key(secret.value.as_str()) && !deployment.declared.contains(&secret.value) {
                undefined(
                    cx,
                    "secret",
                    &secret.value,
                    secret.span,
                    secrets.keys().copied(),
                    "secret NAME { KEY = env(\"VAR\") }",
                );
            }
        }
        for used in &service.uses {
            match services.get(used.value.as_str()) {
                None if deployment.declared.contains(&used.value) => {}
                None => {
                    undefined(cx, "service", &used.value, used.span, services.keys().copied(), "service NAME { … }")
                }
                Some(other) if other.ports.is_empty() && !other.ports_incomplete => cx.error(
                    Diagnostic::new(
                        codes::E0306,
                        format!("`{}` uses `{}`, which exposes no port", service.name.value, used.value),
                    )
                    .at(used.span, "nothing to connect to")
                    .also(other.name.span, "declared here without `port`")
                    .help(format!("give `{}` a `port = …`, or remove it from `uses`", used.value)),
                ),
                Some(_) if used.value == service.name.value => cx.error(
                    Diagnostic::new(codes::E0203, format!("`{}` uses itself", used.value))
                        .at(used.span, "a service does not depend on itself")
                        .help("remove it from `uses`"),
                ),
                Some(_) => {}
            }
        }
        if !service.ports_incomplete {
            check_ports(cx, service);
        }
        if let Some(min) = &service.min_available
            && min.value >= service.replicas.min()
            && !service.incomplete
        {
            cx.error(
                Diagnostic::new(codes::E0312, format!("`min_available = {}` blocks every eviction of `{}`", min.value, service.name.value))
                    .at(min.span, format!("with {} replica(s), no pod may ever be evicted", service.replicas.min()))
                    .help(format!(
                        "set `min_available` below the replica count ({}), or raise `replicas`; node drains and upgrades wait forever otherwise",
                        service.replicas.min()
                    )),
            );
        }
        if let Some(dapr) = &service.dapr
            && !in_stack("dapr")
        {
            cx.error(
                Diagnostic::new(
                    codes::E0309,
                    format!("`{}` asks for a Dapr sidecar, but Dapr is not in the stack", service.name.value),
                )
                .at(dapr.span, "needs Dapr")
                .help("add `dapr` to `stack { … }`, or remove the `dapr` block"),
            );
        }
        // The image's checks need an image, the sidecar's the ports (a mistake there is
        // already reported).
        if !service.image.value.is_empty() {
            check_image(cx, service);
            check_pull_address(cx, deployment, service);
            check_secret_delivery(cx, deployment, service, &secrets);
        }
        check_certificate_source(cx, deployment, service);
        check_localhost_route(cx, deployment, service);
        check_slo_scraped(cx, deployment, service);
        if let (Some(dapr), Some(sidecar), false) =
            (&service.dapr, deployment.sidecar("dapr"), service.ports_incomplete)
        {
            check_sidecar_ports(cx, service, dapr, sidecar);
        }
        if let Some(route) = &service.route {
            check_route(cx, deployment, service, route, cert_manager, ingress.as_ref());
        }
    }
    check_trusted_certificates(cx, deployment);
    let external_secrets = deployment.stack.iter().any(|e| e.component.provides_kind("ExternalSecret"));
    for secret in &deployment.secrets {
        if let (Some(first), false) = (secret.external.first(), external_secrets) {
            cx.error(
                Diagnostic::new(codes::E0320, format!("secret `{}` reads from an external store, but External Secrets is not in the stack", secret.name.value))
                    .at(first.span, "needs the External Secrets operator")
                    .help("add `external-secrets` to `stack { … }`, or read the value at deploy time with `env(\"VARIABLE\")`"),
            );
        }
    }
    for entry in &deployment.stack {
        for required in &entry.component.requires {
            if !in_stack(required) && !deployment.provider.bundles.contains(required) {
                cx.error(
                    Diagnostic::new(
                        codes::E0203,
                        format!(
                            "component `{}` requires `{required}`, which is not in the stack",
                            entry.component.name
                        ),
                    )
                    .at(entry.span, format!("needs `{required}`"))
                    .help(format!("add `{required}` to `stack {{ … }}`")),
                );
            }
        }
    }
}

/// How many days before a version's end of life `check` starts to warn.
const END_OF_LIFE_WARNING_DAYS: i64 = 60;

/// The cluster's Kubernetes version against the provider's support windows on `today`.
pub fn check_support(cx: &mut Cx, deployment: &Deployment, today: &str) {
    let provider = &deployment.provider;
    let version = &deployment.target.version;
    let Some(today_days) = crate::date::days(today) else { return };
    let Some((_, end)) = provider.end_of_life.iter().find(|(v, _)| v == version) else { return };
    let Some(end_days) = crate::date::days(end) else { return };
    let supported: Vec<String> = provider
        .versions
        .iter()
        .filter(|v| {
            provider
                .end_of_life
                .iter()
                .find(|(x, _)| x == *v)
                .and_then(|(_, d)| crate::date::days(d))
                .is_none_or(|d| d > today_days)
        })
        .map(|v| format!("`\"{v}\"`"))
        .collect();
    let source = format!("support windows: {}", provider.support_source);
    if end_days <= today_days {
        cx.error(
            Diagnostic::new(
                codes::E0324,
                format!("Kubernetes {version} reached its end of life on {} on {end}", provider.title),
            )
            .at(
                deployment.target.version_span,
                "no longer supported: no security fixes, and new clusters may be refused",
            )
            .help(match supported.as_slice() {
                [] => "the provider data lists no supported version: update the provider's `versions`".to_string(),
                list => format!("use a supported version: {}", list.join(", ")),
            })
            .note(source),
        );
    } else if end_days - today_days <= END_OF_LIFE_WARNING_DAYS {
        cx.error(
            Diagnostic::new(
                codes::W0307,
                format!("Kubernetes {version} reaches its end of life on {} on {end}", provider.title),
            )
            .at(deployment.target.version_span, format!("{} days of support left", end_days - today_days))
            .help(format!("plan the upgrade; supported now: {}", supported.join(", ")))
            .note(source),
        );
    }
}

/// How old a provider's prices may be before `check` says so: prices change (Hetzner changed
/// its twice in 2026), and an estimate from old data is not a budget check.
const PRICES_MAX_AGE_DAYS: i64 = 180;

/// The provider's prices against their date, when the deployment checks a budget: a warning
/// when they are older than [`PRICES_MAX_AGE_DAYS`], naming the data and where it came from. A
/// provider whose every price is zero (a local cluster) has nothing to go stale; without a
/// budget the prices only reach the runbook's cost table, which states their date.
pub fn check_data_age(cx: &mut Cx, deployment: &Deployment, today: &str) {
    let provider = &deployment.provider;
    let priced = provider.sizes.iter().any(|s| s.price.cents > 0)
        || provider.load_balancer_price.cents > 0
        || provider.control_plane_price.cents > 0;
    let (Some(today_days), Some(as_of)) = (crate::date::days(today), crate::date::days(&provider.prices_as_of)) else {
        return;
    };
    let age = today_days - as_of;
    if !priced || age <= PRICES_MAX_AGE_DAYS || deployment.budget.is_none() {
        return;
    }
    cx.error(
        Diagnostic::new(codes::W0308,
            format!("the {} prices deployc uses are {age} days old", provider.title),
        )
        .at(deployment.budget.as_ref().map_or(deployment.target.span, |b| b.span), format!("checked with prices as of {}", provider.prices_as_of))
        .help(format!(
            "treat cost figures and budget checks as estimates; compare with {} and update `prices_as_of` and the sizes' prices in the `{}` provider",
            provider.prices_source, provider.name
        ))
        .note(format!(
            "data: `provider {}` ({}), prices_as_of = \"{}\"; deployc warns after {PRICES_MAX_AGE_DAYS} days",
            provider.name,
            crate::stdlib::provider_file(&provider.name).map_or_else(|| "your library".to_string(), |f| format!("stdlib/{f}")),
            provider.prices_as_of
        )),
    );
}

/// The ingress controllers the provider bundles that the chosen one (`ingress`) replaces.
pub fn displaced_controllers(
    deployment: &Deployment,
    components: &BTreeMap<String, Component>,
    ingress: Option<&(String, String)>,
) -> Vec<String> {
    let Some((chosen, _)) = ingress else { return Vec::new() };
    deployment
        .provider
        .bundles
        .iter()
        .filter(|b| *b != chosen && components.get(*b).is_some_and(|c| c.ingress_class.is_some()))
        .cloned()
        .collect()
}

/// The ingress class in use: a controller in the stack, else one the provider bundles.
pub fn ingress_controller(
    deployment: &Deployment,
    components: &BTreeMap<String, Component>,
) -> Option<(String, String)> {
    deployment
        .stack
        .iter()
        .find_map(|e| e.component.ingress_class.clone().map(|c| (e.component.name.clone(), c)))
        .or_else(|| {
            deployment.provider.bundles.iter().find_map(|b| {
                components.get(b).and_then(|c| c.ingress_class.clone().map(|class| (c.name.clone(), class)))
            })
        })
}

fn undefined<'a>(
    cx: &mut Cx,
    what: &str,
    name: &str,
    span: Span,
    known: impl ExactSizeIterator<Item = &'a str>,
    form: &str,
) {
    let near = cx.did_you_mean(name, known);
    cx.error(
        Diagnostic::new(codes::E0203, format!("undefined {what} `{name}`"))
            .at(span, format!("no {what} with this name"))
            .help(match near {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("define it in the deployment: `{form}`"),
            }),
    );
}

/// The pipeline lands releases on a branch: Argo CD, when the stack has it syncing this
/// deployment, must follow that branch and the directory the pipeline builds into (E0363).
/// Images CI builds must go to a registry CI can reach (W0318).
fn check_pipeline(cx: &mut Cx, deployment: &Deployment, pipeline: &Pipeline) {
    if let Some(argo) = deployment.stack.iter().find(|e| e.component.provides_kind("Application"))
        && argo.option("repo").is_some_and(|r| !r.is_empty())
    {
        let join = |dir: &str, rest: &str| if dir.is_empty() { rest.to_string() } else { format!("{dir}/{rest}") };
        let output = join(&pipeline.directory, &pipeline.output.value);
        let manifests = match &deployment.environment {
            Some(environment) => {
                format!("{output}/{}/manifests", crate::emit::environments::directory(&environment.name))
            }
            None => format!("{output}/manifests"),
        };
        let written_path = argo.options.iter().find(|(k, _)| k == "path").map(|(_, v)| v.trim_end_matches('/'));
        if let Some(path) = written_path
            && path != manifests
        {
            cx.error(
                Diagnostic::new(codes::E0363, format!("Argo CD syncs `{path}`, but the pipeline releases the manifests to `{manifests}`"))
                    .at(argo.span, "argo-cd's `path` is another directory")
                    .also(pipeline.output.span, "the pipeline builds here")
                    .help(format!("set argo-cd's `path = \"{manifests}\"`, the manifests' directory from the repository's root, or change the pipeline's `directory` and `output`")),
            );
        }
        if let Some(revision) = argo.option("revision")
            && revision != "HEAD"
            && revision != pipeline.branch.value
        {
            cx.error(
                Diagnostic::new(
                    codes::E0363,
                    format!("Argo CD follows `{revision}`, but the pipeline releases to `{}`", pipeline.branch.value),
                )
                .at(argo.span, "argo-cd's `revision` is another branch, tag or commit")
                .also(pipeline.branch.span, "the pipeline releases here")
                .help(format!(
                    "set argo-cd's `revision = \"{}\"`, or the pipeline's `branch` to the one Argo CD follows",
                    pipeline.branch.value
                )),
            );
        }
    }
    if deployment.target.registry.is_some()
        && let Some(service) = deployment.services.iter().find(|s| s.build.is_some())
    {
        cx.error(
            Diagnostic::new(codes::W0318, "CI cannot push to this cluster's registry: the pipeline builds no images")
                .at(pipeline.span, "the images are built on this machine")
                .also(service.name.span, "built from source")
                .help("run scripts/build-images.sh on the machine that runs the cluster and commit the lock; the pipeline checks and releases the rest"),
        );
    }
}

fn check_ports(cx: &mut Cx, service: &Service) {
    let mut seen: BTreeMap<u16, Span> = BTreeMap::new();
    for port in &service.ports {
        if let Some(first) = seen.get(&port.number) {
            cx.error(
                Diagnostic::new(
                    codes::E0202,
                    format!("port {} is declared twice in `{}`", port.number, service.name.value),
                )
                .at(port.span, "declared again here")
                .also(*first, "first declared here")
                .help("give each port a different number"),
            );
        }
        seen.insert(port.number, port.span);
    }
    let mut names: BTreeMap<&str, Span> = BTreeMap::new();
    for port in service.ports.iter().filter(|p| !p.name.is_empty()) {
        let valid = port.name.len() <= 15
            && port.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && port.name.chars().any(|c| c.is_ascii_lowercase());
        if !valid {
            cx.error(
                Diagnostic::new(codes::E0313, format!("`{}` cannot be a Kubernetes port name", port.name))
                    .at(port.span, "port names are IANA service names")
                    .help("use at most 15 lowercase letters, digits and `-`, with at least one letter, such as `http`"),
            );
        }
        if let Some(first) = names.get(port.name.as_str()) {
            cx.error(
                Diagnostic::new(
                    codes::E0202,
                    format!("port name `{}` is used twice in `{}`", port.name, service.name.value),
                )
                .at(port.span, "named again here")
                .also(*first, "first named here")
                .help("give each port its own name"),
            );
        }
        names.insert(&port.name, port.span);
    }
    // `port = N` is named `http` or `tcp` when lowered; a named port must not take that name.
    if service.ports.iter().any(|p| p.name.is_empty())
        && let Some(clash) = service.ports.iter().find(|p| p.name == "http" || p.name == "tcp")
    {
        cx.error(
            Diagnostic::new(codes::E0202, format!("port name `{}` clashes with the name given to `port`", clash.name))
                .at(clash.span, "`port = …` is already named `http` or `tcp`")
                .help("list every port in `ports { … }` with its own name instead of using `port` as well"),
        );
    }
    let exposed = &service.ports;
    for probe in [&service.liveness, &service.readiness, &service.startup].into_iter().flatten() {
        let port = match &probe.kind {
            ProbeKind::Http { port: Some(port), .. } | ProbeKind::Tcp { port } => port,
            ProbeKind::Http { port: None, .. } => {
                if exposed.is_empty() {
                    cx.error(
                        Diagnostic::new(
                            codes::E0306,
                            format!("HTTP probe on `{}`, which exposes no port", service.name.value),
                        )
                        .at(probe.span, "which port should this probe call?")
                        .help("add `port = …` to the service, or write `http(\"/health\", port = 8080)`"),
                    );
                }
                continue;
            }
            ProbeKind::Exec { .. } => continue,
        };
        if !exposed.iter().any(|p| p.number == port.value) {
            let list: Vec<String> = exposed.iter().map(|p| p.number.to_string()).collect();
            cx.error(
                Diagnostic::new(
                    codes::E0306,
                    format!("probe on port {}, which `{}` does not expose", port.value, service.name.value),
                )
                .at(port.span, "not a port of this service")
                .help(if list.is_empty() {
                    format!("add `port = {}` to the service", port.value)
                } else {
                    format!("probe one of the exposed ports ({}), or expose {}", list.join(", "), port.value)
                }),
            );
        }
    }
}

/// An objective reads the service's request metrics: Prometheus must be in the stack and the
/// service must say where its metrics are (`metrics = "/path"` or a port named `metrics`).
fn check_slo_scraped(cx: &mut Cx, deployment: &Deployment, service: &Service) {
    let Some(slo) = service.slos.first() else { return };
    let prometheus = deployment.stack.iter().any(|e| e.component.provides_kind("ServiceMonitor"));
    // `metrics = "/path"` is served on a port: without one, nothing can be scraped.
    let endpoint =
        (service.metrics.is_some() && !service.ports.is_empty()) || service.ports.iter().any(|p| p.name == "metrics");
    if prometheus && (endpoint || service.ports_incomplete) {
        return;
    }
    let (message, label, help) = if prometheus {
        (
            format!("`{}` has an objective, but Prometheus does not scrape its metrics", service.name.value),
            "reads metrics nothing scrapes",
            format!(
                "say where `{}` serves its metrics: `metrics = \"/metrics\"` (on its main port) or `ports {{ metrics = 9090 }}`",
                service.name.value
            ),
        )
    } else {
        (
            format!("`{}` has an objective, but Prometheus is not in the stack", service.name.value),
            "reads metrics nothing scrapes",
            "add `prometheus` to `stack { … }` (kube-prometheus-stack scrapes the service and evaluates the rules)"
                .to_string(),
        )
    };
    let mut diagnostic = Diagnostic::new(codes::E0333, message).at(slo.span, label).help(help);
    if let Some(metrics) = &service.metrics {
        diagnostic = diagnostic.also(metrics.span, "metrics served here");
    }
    cx.error(diagnostic);
}

/// `*.localhost` always resolves to this machine (RFC 6761 §6.3; glibc, curl and browsers answer
/// it without DNS), so a route under it reaches the ingress controller only where the cluster
/// publishes its load balancer on localhost (k3d). Where the load balancer is the Service's own
/// address (kind with cloud-provider-kind), nothing listens there.
fn check_localhost_route(cx: &mut Cx, deployment: &Deployment, service: &Service) {
    if !deployment.provider.load_balancer_on_service_address {
        return;
    }
    let Some(route) = &service.route else { return };
    let host = route.host.value.to_ascii_lowercase();
    if host != "localhost" && !host.ends_with(".localhost") {
        return;
    }
    let suggestion = format!("{}.test", host.trim_end_matches("localhost").trim_end_matches('.'));
    let suggestion = if suggestion == ".test" { "app.test".to_string() } else { suggestion };
    cx.error(
        Diagnostic::new(codes::E0327,
            format!("`{}` resolves to 127.0.0.1, where {} has no load balancer", route.host.value, deployment.provider.title),
        )
        .at(route.host.span, "every *.localhost name is this machine")
        .help(format!(
            "the load balancer is the Service's own address: use a name such as `{suggestion}` (RFC 6761 reserves .test) and add the /etc/hosts line deploy.sh prints"
        )),
    );
}

/// Let's Encrypt validates over HTTP-01 from the internet: it never reaches a local cluster.
fn check_certificate_source(cx: &mut Cx, deployment: &Deployment, service: &Service) {
    if deployment.provider.kind != ProviderKind::Local {
        return;
    }
    let Some(route) = &service.route else { return };
    let RouteTls::Issuer(name) = &route.tls else { return };
    let Some(issuer) = deployment.issuers.iter().find(|i| i.name.value == name.value) else { return };
    if issuer.server.is_acme() {
        cx.error(
            Diagnostic::new(codes::E0325,
                format!("Let's Encrypt cannot issue a certificate for `{}` on a local cluster", route.host.value),
            )
            .at(name.span, "its HTTP-01 challenge must reach this cluster from the internet")
            .also(issuer.name.span, "a Let's Encrypt issuer")
            .help(format!(
                "on {}, use an issuer with `server = self_signed` (and `tls = insecure` in `success`), or a certificate of your own with `tls = secret(\"NAME\")` (mkcert makes one your browser trusts)",
                deployment.provider.title
            )),
        );
    }
}

/// A `tls = valid` check of a host whose certificate no client trusts can never pass.
fn check_trusted_certificates(cx: &mut Cx, deployment: &Deployment) {
    for criterion in &deployment.success {
        let Criterion::Http { url, tls: HttpTls::Valid, span, .. } = criterion else { continue };
        let host = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let host = host.split(['/', ':', '?']).next().unwrap_or(host);
        let issuer = deployment.services.iter().filter_map(|s| s.route.as_ref()).find_map(|route| match &route.tls {
            RouteTls::Issuer(name) if route.host.value == host => {
                deployment.issuers.iter().find(|i| i.name.value == name.value)
            }
            _ => None,
        });
        let Some(issuer) = issuer else { continue };
        let why = match issuer.server {
            IssuerServer::Staging => "Let's Encrypt's staging certificates are signed by a CA no client trusts",
            IssuerServer::SelfSigned => "a self-signed certificate is trusted by no client",
            IssuerServer::Production => continue,
        };
        cx.error(
            Diagnostic::new(codes::E0326, format!("`tls = valid` can never pass for `{host}`"))
                .at(*span, why)
                .also(issuer.name.span, format!("`{}` issues its certificate", issuer.name.value))
                .help("write `tls = insecure` in this check, or use an issuer with `server = production`"),
        );
    }
}

/// On a local cluster, `localhost` in an image is the node container, not the machine the
/// image was pushed from: pods pull through the cluster's registry under its own name.
fn check_pull_address(cx: &mut Cx, deployment: &Deployment, service: &Service) {
    if deployment.provider.kind != ProviderKind::Local {
        return;
    }
    let image = &service.image.value;
    let Some((host, rest)) = image.split_once('/') else { return };
    let name = host.split(':').next().unwrap_or(host);
    if !["localhost", "127.0.0.1", "[::1]"].contains(&name) {
        return;
    }
    let help = match &deployment.target.registry {
        Some(registry) => {
            let port = registry.rsplit_once(':').map_or("5000", |(_, p)| p);
            format!(
                "name it as the cluster pulls it, `\"{registry}/{rest}\"`, and push it from this machine to `localhost:{port}/{rest}`"
            )
        }
        None => format!(
            "give the target a registry (`registry = \"k3d-registry:5000\"`), push the image to `localhost:5000/{rest}` and name it `\"k3d-registry:5000/{rest}\"`"
        ),
    };
    cx.error(
        Diagnostic::new(codes::E0323, format!("pods of `{}` cannot pull `{image}`", service.name.value))
            .at(service.image.span, format!("`{host}` inside the cluster is the node, not this machine"))
            .help(help),
    );
}

fn check_image(cx: &mut Cx, service: &Service) {
    let image = &service.image.value;
    if image.is_empty() || image.chars().any(|c| c.is_whitespace()) {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{image}` is not an image reference"))
                .at(service.image.span, "not an image reference")
                .help("write an image such as `\"registry.example.com/team/app:1.4.2\"`"),
        );
        return;
    }
    if image.contains("@sha256:") {
        return;
    }
    let allows_latest = service.allows("latest_tag");
    let last = image.rsplit('/').next().unwrap_or(image);
    let tag = last.split_once(':').map(|(_, tag)| tag);
    match tag {
        None | Some("latest") if !allows_latest => cx.error(
            Diagnostic::new(codes::E0316,
                match tag {
                    None => format!("image `{image}` has no tag"),
                    Some(_) => format!("image `{image}` uses the `latest` tag"),
                },
            )
            .at(service.image.span, "runs whatever `latest` is at pull time")
            .help(format!(
                "pin a version (`\"{}:1.4.2\"`) or a digest (`@sha256:…`), or write `allow latest_tag because \"…\"` in the service",
                image.rsplit_once(':').filter(|(_, t)| !t.contains('/')).map(|(name, _)| name).unwrap_or(image)
            )),
        ),
        None | Some("latest") => {}
        // A tag without a `major.minor` version (`7-alpine`, `stable`) moves under you.
        Some(tag) if !has_version(tag) => cx.error(
            Diagnostic::new(codes::W0301, format!("image tag `{tag}` is not a pinned version"))
                .at(service.image.span, "this tag can point at a different image tomorrow")
                .help("pin a full version such as `:7.4.2-alpine`, or a digest `@sha256:…`"),
        ),
        Some(_) => {}
    }
}

/// Whether a tag holds a `major.minor` version (`1.4.2`, `v1.0.0`, `15.8-alpine`).
fn has_version(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    bytes.windows(3).any(|w| matches!(w, [a, b'.', c] if a.is_ascii_digit() && c.is_ascii_digit()))
}

fn check_route(
    cx: &mut Cx,
    deployment: &Deployment,
    service: &Service,
    route: &Route,
    cert_manager: Option<&StackEntry>,
    ingress: Option<&(String, String)>,
) {
    if service.ports.is_empty() && !service.ports_incomplete {
        cx.error(
            Diagnostic::new(codes::E0306, format!("route to `{}`, which exposes no port", service.name.value))
                .at(route.span, "nothing to route to")
                .help("add `port = …` to the service"),
        );
    }
    if let Some(domain) = &deployment.domain {
        let host = &route.host.value;
        if !in_domain(host, &domain.value) {
            cx.error(
                Diagnostic::new(codes::E0307, format!("route host `{host}` is outside the domain `{}`", domain.value))
                    .at(route.host.span, "not in the deployment's domain")
                    // A note, not a second label: miette heads the snippet with the earliest
                    // label, and the route must be the location a user clicks through to.
                    .note(format!("the deployment's `domain` is `{}`", domain.value))
                    .help(format!(
                        "use `{}` or a subdomain such as `api.{}`, or change `domain`",
                        domain.value, domain.value
                    )),
            );
        }
    }
    // A provider setting naming the DNS domain its scripts keep the routes' records in.
    for setting in deployment.provider.settings.iter().filter(|s| s.kind == SettingKind::Domain) {
        let Some((_, SettingValue::Text(zone))) = deployment.target.settings.iter().find(|(n, _)| *n == setting.name)
        else {
            continue;
        };
        let host = &route.host.value;
        if !in_domain(host, zone) {
            cx.error(
                Diagnostic::new(codes::E0307, format!("route host `{host}` is outside the DNS domain `{zone}`"))
                    .at(route.host.span, format!("`{}` keeps records only in `{zone}`", setting.name))
                    .note(format!("`{}`: {}", setting.name, setting.help))
                    .help(format!(
                        "use a host in `{zone}`, or set `{}` to the domain that holds `{host}`",
                        setting.name
                    )),
            );
        }
    }
    if ingress.is_none() {
        cx.error(
            Diagnostic::new(
                codes::E0311,
                format!("route on `{}`, but no ingress controller is installed", service.name.value),
            )
            .at(route.span, "nothing will serve this route")
            .help(format!(
                "add `traefik` to `stack {{ … }}`; {} does not bundle an ingress controller",
                deployment.provider.title
            )),
        );
    }
    if let RouteTls::Issuer(issuer) = &route.tls {
        match cert_manager {
            None => cx.error(
                Diagnostic::new(codes::E0308, format!("route uses issuer `{}`, but cert-manager is not in the stack", issuer.value))
                    .at(issuer.span, "no cert-manager to issue this certificate")
                    .help(format!(
                        "add `cert-manager {{ issuer {} {{ email = \"…\", server = production }} }}` to `stack`, or use `tls = secret(\"name\")`",
                        issuer.value
                    )),
            ),
            Some(_) => {
                if !deployment.issuers.iter().any(|i| i.name.value == issuer.value) {
                    let known: Vec<&str> = deployment.issuers.iter().map(|i| i.name.value.as_str()).collect();
                    undefined(
                        cx,
                        "issuer",
                        &issuer.value,
                        issuer.span,
                        known.into_iter(),
                        "issuer NAME { email = \"…\" } inside cert-manager",
                    );
                }
            }
        }
    }
}

/// The variables a service's secrets arrive in, with whether each arrives as a file
/// (`VAR_FILE`) rather than as the variable itself.
fn secret_variables<'s>(service: &'s Service, secrets: &BTreeMap<&str, &'s Secret>) -> Vec<(&'s str, bool)> {
    let as_env = service.allows("secret_env");
    let mut out: Vec<(&str, bool)> = Vec::new();
    for name in &service.secrets {
        if let Some(secret) = secrets.get(name.value.as_str()) {
            out.extend(secret.key_names().map(|k| (k, !as_env)));
        }
    }
    out.extend(service.secret_vars.iter().map(|v| (v.variable.as_str(), !as_env)));
    out
}

/// `secret(NAME, KEY)` names a secret of the deployment and one of its keys (E0203 otherwise).
fn check_secret_key(
    cx: &mut Cx,
    deployment: &Deployment,
    secrets: &BTreeMap<&str, &Secret>,
    secret_name: &Spanned<String>,
    key: &Spanned<String>,
) {
    match secrets.get(secret_name.value.as_str()) {
        None if deployment.declared.contains(&secret_name.value) => {}
        None => undefined(
            cx,
            "secret",
            &secret_name.value,
            secret_name.span,
            secrets.keys().copied(),
            "secret NAME { KEY = env(\"VAR\") }",
        ),
        Some(secret) => {
            let keys: Vec<&str> = secret.key_names().collect();
            if !keys.contains(&key.value.as_str()) && !secret.unreadable.contains(&key.value) {
                let near = cx.did_you_mean(&key.value, keys.iter().copied());
                cx.error(
                    Diagnostic::new(codes::E0203, format!("secret `{}` has no key `{}`", secret_name.value, key.value))
                        .at(key.span, "no such key")
                        .also(secret.name.span, "the secret is defined here")
                        .help(match near {
                            Some(n) => format!("did you mean `{n}`?"),
                            None => format!(
                                "its keys are {}",
                                crate::diagnostics::suggest::one_of(
                                    &keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()
                                )
                            ),
                        }),
                );
            }
        }
    }
}

/// `env { VAR = secret(NAME, KEY) }` names a real key; the image gets the variables its
/// contract requires; secrets that arrive as files are a visible choice.
fn check_secret_delivery(cx: &mut Cx, deployment: &Deployment, service: &Service, secrets: &BTreeMap<&str, &Secret>) {
    for var in &service.secret_vars {
        check_secret_key(cx, deployment, secrets, &var.secret, &var.key);
    }
    let delivered = secret_variables(service, secrets);
    if let Some(contract) = &service.contract {
        let reads = |variable: &str| {
            service.env.iter().any(|(k, _)| k == variable)
                || contract.facts.env.iter().any(|(k, _)| k == variable)
                || delivered
                    .iter()
                    .any(|(v, file)| *v == variable && (!file || contract.file_env.iter().any(|f| f == variable)))
        };
        if !contract.requires_one_of.is_empty() && !contract.requires_one_of.iter().any(|v| reads(v)) {
            let wanted = contract.requires_one_of.first().map(String::as_str).unwrap_or("");
            // A key that looks like the credential, in the service's secrets first.
            let candidate = service
                .secrets
                .iter()
                .filter_map(|n| secrets.get(n.value.as_str()).copied())
                .chain(deployment.secrets.iter())
                .find_map(|s| s.key_names().find(|k| k.contains("PASSWORD")).map(|k| (s.name.value.as_str(), k)));
            let options: Vec<String> = contract.requires_one_of.iter().map(|v| format!("`{v}`")).collect();
            cx.error(
                Diagnostic::new(
                    codes::E0321,
                    format!(
                        "`{}` runs {}, which needs {} to start",
                        service.name.value,
                        contract.title,
                        options.join(" or ")
                    ),
                )
                .at(service.image.span, "its entrypoint exits on an empty data directory without it")
                .help(match candidate {
                    Some((secret, key)) => {
                        format!("give it the password from a secret: `env {{ {wanted} = secret({secret}, {key}) }}`")
                    }
                    None => format!(
                        "add `secret db {{ {wanted} = env(\"{wanted}\") }}` and `secrets = [db]` to the service"
                    ),
                })
                .note(format!("source: {} (read {})", contract.source, contract.as_of)),
            );
        }
    } else if let Some((variable, true)) = delivered.first()
        && service.secrets_as.is_none()
    {
        let span = service.secrets.first().map(|s| s.span).or(service.secret_vars.first().map(|v| v.span));
        if let Some(span) = span {
            cx.error(
                Diagnostic::new(codes::W0306, format!("`{}` gets its secrets as files: it sees `{variable}_FILE`, not `{variable}`", service.name.value))
                    .at(span, "mounted as files under /var/run/secrets/deployc")
                    .help(format!(
                        "if the app reads `{variable}_FILE`, say so with `secrets_as = files`; if it reads `{variable}` itself, write `allow secret_env because \"…\"`"
                    )),
            );
        }
    }
}

/// An app port must not be a port the sidecar binds in the same pod.
fn check_sidecar_ports(cx: &mut Cx, service: &Service, dapr: &Dapr, sidecar: &Sidecar) {
    for port in &service.ports {
        let Some((name, number)) = dapr.sidecar_ports(sidecar).find(|(_, p)| *p == port.number) else {
            continue;
        };
        let help = if name == "metrics" {
            format!(
                "move the sidecar's metrics server with `dapr {{ metrics_port = {} }}`, or use another app port",
                free_port(service, sidecar, number)
            )
        } else {
            format!("use another app port; the `{}` sidecar binds {}", sidecar.name, sidecar_port_list(sidecar, dapr))
        };
        cx.error(
            Diagnostic::new(
                codes::E0322,
                format!(
                    "port {number} of `{}` is taken by its `{}` sidecar ({name})",
                    service.name.value, sidecar.name
                ),
            )
            .at(port.span, "both would bind this port in one pod")
            .also(dapr.span, "the sidecar is injected here")
            .help(help)
            .note(format!("source: {}", sidecar.source)),
        );
    }
}

fn sidecar_port_list(sidecar: &Sidecar, dapr: &Dapr) -> String {
    dapr.sidecar_ports(sidecar).map(|(n, p)| format!("{p} ({n})")).collect::<Vec<_>>().join(", ")
}

/// The first port after `from` that neither the app nor the sidecar uses.
fn free_port(service: &Service, sidecar: &Sidecar, from: u16) -> u16 {
    (from.saturating_add(1)..u16::MAX)
        .find(|p| !service.ports.iter().any(|x| x.number == *p) && !sidecar.ports.iter().any(|(_, x)| x == p))
        .unwrap_or(from)
}

/// Whether `host` is `domain` or a name under it.
fn in_domain(host: &str, domain: &str) -> bool {
    host == domain || host.strip_suffix(domain).is_some_and(|sub| sub.ends_with('.'))
}
