//! Plan to `RUNBOOK.md`: the same plan as the scripts, for a person: architecture (Mermaid),
//! prerequisites, cost, the ordered steps with their commands, the success checklist,
//! troubleshooting for this stack, and teardown, rendered by [`super::template`] from
//! `src/emit/templates/RUNBOOK.md.hbs` (handlebars syntax).
//!
//! Every value from the plan reaches the runbook Markdown-escaped: the context holds strings
//! made by [`super::markdown`] (text, code spans, the HTML comment), composed with fixed text,
//! and the template adds no backticks around a value. The reviewed exceptions are the
//! environment variable names (E0329 allows only `[A-Z_][A-Z0-9_]*`), the Mermaid diagram
//! (escaped by `crate::graph`, in a fence longer than any backtick run in it) and numbers;
//! `tests/runbook_escape.rs` holds every string of the context to that.

use serde::Serialize;
use serde_json::Value;

use super::markdown::{cell_code, code, comment, fence, message, text};
use super::scripts::{dollars, human_duration};
use super::template::Templates;
use crate::lower::plan::Plan;
use crate::output::OutputTree;
use crate::vocab::{self, Criterion, ProviderKind, Replicas, exception_effect};

/// The runbook's template.
pub const TEMPLATE: &str = include_str!("templates/RUNBOOK.md.hbs");

/// Write `RUNBOOK.md` into `tree`.
pub fn emit_runbook(tree: &mut OutputTree, plan: &Plan) -> Result<(), String> {
    let mut templates = Templates::new();
    templates.register("RUNBOOK.md", TEMPLATE)?;
    let text = templates.render("RUNBOOK.md", &context(plan))?;
    let mut tidy = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        blank = if line.trim().is_empty() { blank + 1 } else { 0 };
        if blank <= 1 {
            tidy.push_str(line.trim_end());
            tidy.push('\n');
        }
    }
    tree.insert("RUNBOOK.md".into(), tidy);
    Ok(())
}

fn tools(plan: &Plan) -> Vec<ToolRow> {
    let mut out: Vec<(&str, &str, &str)> =
        plan.target.tools.iter().map(|t| (t.name.as_str(), t.why.as_str(), t.install.as_str())).collect();
    out.push(("kubectl", "applies manifests, waits for rollouts", "https://kubernetes.io/docs/tasks/tools/"));
    if !plan.stack.is_empty() {
        out.push(("helm", "installs the stack (v3.8 or newer)", "https://helm.sh/docs/intro/install/"));
    }
    out.push(("curl", "checks the HTTP criteria", "your package manager"));
    out.into_iter()
        .map(|(name, why, install)| ToolRow { name: cell_code(name), why: text(why), install: text(install) })
        .collect()
}

fn cost(plan: &Plan) -> (Vec<CostRow>, String, Option<String>) {
    let cost = &plan.cost;
    let rows = cost
        .lines
        .iter()
        .map(|l| CostRow {
            item: text(&l.what),
            total: if l.at_count == l.at_max {
                dollars(l.at_count)
            } else {
                format!("{} (up to {})", dollars(l.at_count), dollars(l.at_max))
            },
        })
        .collect();
    let total = if cost.at_count == cost.at_max {
        dollars(cost.at_count)
    } else {
        format!("{} (up to {} at maximum scale)", dollars(cost.at_count), dollars(cost.at_max))
    };
    let volumes = plan.services.iter().any(|s| !s.volumes.is_empty()) || plan.kafka.is_some();
    let note = match (plan.target.kind, volumes) {
        (ProviderKind::Local, _) => Some("A local cluster costs nothing beyond the machine it runs on.".to_string()),
        (_, true) => Some("Persistent volumes (StatefulSets, Kafka brokers) bill by size on top of this; their price is not in the provider data yet.".to_string()),
        _ => None,
    };
    (rows, total, note)
}

fn troubleshooting(plan: &Plan) -> Vec<TroubleRow> {
    let row = |symptom: &str, cause: &str, command: String| TroubleRow {
        symptom: symptom.to_string(),
        cause: cause.to_string(),
        command: cell_code(&command),
    };
    let ns = &plan.namespace;
    let mut rows = vec![
        row(
            "pods stuck in `ImagePullBackOff`",
            "image name or tag wrong, or the registry needs credentials",
            format!("kubectl -n {ns} describe pod -l app.kubernetes.io/part-of={}", plan.deployment),
        ),
        row(
            "pods in `CrashLoopBackOff`",
            "the app exits at start: missing configuration, or the read-only root filesystem",
            format!("kubectl -n {ns} logs deploy/NAME --previous"),
        ),
        row(
            "pods `Pending`",
            "requests do not fit the nodes, or a volume cannot be bound",
            format!("kubectl -n {ns} get events --sort-by=.lastTimestamp"),
        ),
    ];
    if !plan.secrets.is_empty() {
        rows.push(row(
            "`CreateContainerConfigError`",
            "a Secret or key is missing: deploy.sh was not run with every variable",
            format!("kubectl -n {ns} get secrets"),
        ));
    }
    if plan.services.iter().any(|s| s.route.is_some()) && plan.target.kind != ProviderKind::Local {
        rows.push(row(
            "ingress has no address",
            "the load balancer is still being created, or the quota is exhausted",
            "kubectl get svc -A --field-selector spec.type=LoadBalancer".to_string(),
        ));
    }
    if !plan.issuers.is_empty() {
        rows.push(row(
            "certificate stays not Ready",
            "DNS does not point at the load balancer yet, so the HTTP-01 challenge fails",
            format!("kubectl -n {ns} describe challenges"),
        ));
    }
    if plan.services.iter().any(|s| s.dapr.is_some()) {
        rows.push(row(
            "pod has 1/2 containers ready",
            "the Dapr sidecar cannot reach the control plane or the app port",
            format!("kubectl -n {ns} logs deploy/NAME -c daprd"),
        ));
    }
    if plan.services.iter().any(|s| matches!(s.replicas, Replicas::Range(..))) {
        rows.push(row(
            "HPA shows `<unknown>` targets",
            "metrics-server is not running or pods have no CPU requests",
            format!("kubectl -n {ns} describe hpa"),
        ));
    }
    if plan.kafka.is_some() {
        rows.push(row(
            "Kafka cluster not Ready",
            "broker volumes pending or the operator does not watch this namespace",
            format!("kubectl -n {ns} get kafka,kafkanodepool,pvc"),
        ));
    }
    rows
}

/// The context the runbook template is rendered with: Markdown, each value from the plan
/// escaped by [`super::markdown`] for where the template puts it.
pub(crate) fn context(plan: &Plan) -> Value {
    // Plain structs of strings, numbers and lists: serialising cannot fail.
    serde_json::to_value(runbook_context(plan)).unwrap_or(Value::Null)
}

fn runbook_context(plan: &Plan) -> RunbookContext {
    let target = &plan.target;
    let (cost_rows, cost_total, cost_note) = cost(plan);
    let pools: Vec<String> = target
        .pools
        .iter()
        .map(|p| {
            let scale = if p.autoscale { format!(", autoscaling {}..{}", p.min, p.max) } else { String::new() };
            format!("{} × {} in pool {}{scale}", p.count, code(&p.size), code(&p.name))
        })
        .collect();
    let provision_summary = match target.kind {
        ProviderKind::Local => format!(
            "Creates a local {} cluster {} with {} server(s) and {} agent(s){}.",
            text(&target.title),
            code(&plan.deployment),
            target.servers,
            target.agents,
            target.local_registry.as_deref().map(|r| format!(" and the registry {}", code(r))).unwrap_or_default()
        ),
        _ => format!(
            "Creates the {} cluster {}{} with {}{}, fetches the kubeconfig and waits for the nodes.",
            text(&target.title),
            code(&plan.deployment),
            target.region.as_deref().map(|r| format!(" in {}", code(r))).unwrap_or_default(),
            pools.join("; "),
            plan.registry.as_deref().map(|r| format!(", and the registry {}", code(r))).unwrap_or_default()
        ),
    };
    let checklist: Vec<String> = plan
        .criteria
        .iter()
        .map(|c| match c {
            Criterion::NodesReady { within_seconds } => {
                format!("all nodes Ready within {}", human_duration(*within_seconds))
            }
            Criterion::Rollout { within_seconds } => {
                format!("every rollout complete within {}", human_duration(*within_seconds))
            }
            Criterion::Http { url, status, within_seconds, .. } => {
                format!("{} returns {status} within {}", code(url), human_duration(*within_seconds))
            }
            Criterion::Certificate { name, within_seconds } => {
                format!("certificate {} Ready within {}", code(name), human_duration(*within_seconds))
            }
            Criterion::Teardown { cost } => {
                format!("teardown leaves {} billing (checked by `teardown.sh`)", dollars(cost.cents))
            }
        })
        .collect();
    let leftover_kinds = target.leftovers.as_str();
    // How the routes' names come to point at the load balancer (deploy.sh's DNS step).
    let hosts = plan.route_hosts();
    let host_list = hosts.iter().map(|h| code(h)).collect::<Vec<_>>().join(", ");
    let dns_step = (!hosts.is_empty()).then(|| match (&target.dns_domain, target.kind) {
        (Some(zone), _) => format!(
            "DNS: once the ingress controller's load balancer has an address, `deploy.sh` creates an A record for {host_list} in the DigitalOcean domain {} (or moves one it created before; it stops at a record of the same name it did not create), then waits until the names resolve. `teardown.sh` deletes those records only.",
            code(zone)
        ),
        (None, ProviderKind::Local) if !target.lb_on_service_address => {
            format!("DNS: {host_list} must resolve to this machine; `*.localhost` always does, other names need a line in `/etc/hosts`, which `deploy.sh` prints.")
        }
        (None, ProviderKind::Local) => format!(
            "DNS: {host_list} must resolve to the load balancer's address on the Docker network: `deploy.sh` prints the `/etc/hosts` line to add once the address is known."
        ),
        (None, _) => format!(
            "DNS: once the ingress controller's load balancer has an address, `deploy.sh` prints the record each of {host_list} needs (an A record for an IP, a CNAME for a hostname) and waits until they resolve (up to 15 minutes, `DNS_WAIT` seconds; `SKIP_DNS_WAIT=1` skips the wait). Create them at your DNS provider while it waits."
        ),
    });
    let mermaid = super::graph::mermaid(plan);
    let mermaid = mermaid.trim_end().to_string();
    let builds: Vec<BuildRow> = plan
        .services
        .iter()
        .filter_map(|s| {
            let build = s.build.as_ref()?;
            Some(BuildRow {
                service: cell_code(&s.name),
                image: cell_code(&build.image),
                context: cell_code(&format!("{}/{}", build.context, build.dockerfile)),
                pinned: text(if s.image.contains("@sha256:") { "yes" } else { "not yet (W0311)" }),
            })
        })
        .collect();
    let first = if builds.is_empty() { 3 } else { 4 };
    let step = StepNumbers { stack: first, secrets: first + 1, apply: first + 2, verify: first + 3 };
    RunbookContext {
        builds,
        lock_name: code(&format!("{}.lock", plan.source_name)),
        step,
        dns_step,
        source_comment: comment(&plan.source_name),
        source: code(&plan.source_name),
        deployment_comment: comment(&plan.deployment),
        deployment: text(&plan.deployment),
        namespace: code(&plan.namespace),
        title: text(&target.title),
        region: target.region.as_deref().map(code),
        version: text(&target.version),
        domain: plan.domain.as_deref().map(code),
        services_count: plan.services.len(),
        mermaid_fence: fence(&mermaid),
        mermaid,
        tools: tools(plan),
        env: plan
            .secrets
            .iter()
            .flat_map(|s| {
                s.keys.iter().map(move |(key, env)| EnvRow {
                    env: env.clone(),
                    key: cell_code(key),
                    secret: cell_code(&s.name),
                })
            })
            .collect(),
        prices_source: text(&target.prices_source),
        prices_as_of: text(&target.prices_as_of),
        cost_rows,
        cost_total,
        cost_note,
        budget: plan.budget_cents.map(|c| format!("{}/mo", dollars(c))),
        provision_summary,
        kubeconfig: if target.kubeconfig.is_empty() {
            "The provision script connects kubectl to the new cluster".to_string()
        } else {
            format!("The kubeconfig: {}", text(&target.kubeconfig))
        },
        stack_rows: plan
            .stack
            .iter()
            .map(|c| StackRow {
                stage: c.stage + 1,
                name: text(&c.title),
                chart: cell_code(&c.chart),
                version: cell_code(&c.version),
                namespace: cell_code(&c.namespace),
                ready: if c.ready.is_empty() {
                    "the release is deployed".to_string()
                } else {
                    c.ready.iter().map(|r| cell_code(r)).collect::<Vec<_>>().join(", ")
                },
            })
            .collect(),
        bundled: plan.bundled.iter().map(|b| format!("{} (bundled with {})", code(b), text(&target.title))).collect(),
        added: plan
            .stack
            .iter()
            .filter_map(|c| c.added_because.as_ref().map(|r| format!("{}: {}", code(&c.name), message(r))))
            .collect(),
        service_rows: plan
            .services
            .iter()
            .map(|s| ServiceRow {
                name: cell_code(&s.name),
                image: cell_code(&s.image),
                replicas: text(&s.replicas_text),
                route: s
                    .route
                    .as_ref()
                    .map(|r| {
                        text(&format!(
                            "{}://{}{}",
                            if r.tls_secret.is_some() { "https" } else { "http" },
                            r.host,
                            r.path
                        ))
                    })
                    .unwrap_or_else(|| "internal".into()),
            })
            .collect(),
        checklist,
        troubleshooting: troubleshooting(plan),
        exceptions: plan
            .services
            .iter()
            .flat_map(|s| {
                s.exceptions.iter().map(move |e| ExceptionRow {
                    service: cell_code(&s.name),
                    name: cell_code(&e.name),
                    what: text(exception_effect(&e.name)),
                    reason: text(&if e.chosen { format!("chosen by deployc: {}", e.reason) } else { e.reason.clone() }),
                    checks: if e.waives().is_empty() { "none".to_string() } else { text(&e.waives().join(", ")) },
                })
            })
            .collect(),
        contracts: plan
            .services
            .iter()
            .filter_map(|s| {
                let contract = s.contract.as_ref()?;
                let mut given: Vec<String> = Vec::new();
                given.push(match s.run_as {
                    Some((user, group)) => format!("runs as {user}:{group}"),
                    None => "runs as root (`allow run_as_root`)".to_string(),
                });
                if !s.scratch.is_empty() {
                    given.push(format!(
                        "an `emptyDir` at {}",
                        s.scratch.iter().map(|p| cell_code(p)).collect::<Vec<_>>().join(", ")
                    ));
                }
                // The contract's variables the service did not set itself.
                given.extend(
                    contract
                        .facts
                        .env
                        .iter()
                        .filter(|pair| s.env.contains(pair))
                        .map(|(k, v)| cell_code(&format!("{k}={v}"))),
                );
                if let Some(port) = s.unprivileged_port_start {
                    given.push(cell_code(&format!("net.ipv4.ip_unprivileged_port_start={port}")));
                }
                Some(ContractRow {
                    service: cell_code(&s.name),
                    contract: text(&contract.title),
                    given: given.join("; "),
                    source: text(&format!("{} (read {})", contract.source, contract.as_of)),
                })
            })
            .collect(),
        slos: slo_rows(plan),
        alerts: alert_rows(plan),
        receivers: receiver_rows(plan),
        sidecars: plan
            .services
            .iter()
            .filter(|s| !s.sidecar_annotations.is_empty())
            .map(|s| SidecarRow {
                service: cell_code(&s.name),
                annotations: s
                    .sidecar_annotations
                    .iter()
                    .map(|(k, v)| cell_code(&format!("{k}: {v}")))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        releases: release_rows(plan),
        rollback: code(&format!("kubectl -n {} rollout undo deployment/NAME", plan.namespace)),
        gitops: plan.argo_application.is_some(),
        prerequisites: super::scripts::prerequisites(plan)
            .into_iter()
            .map(|p| PrerequisiteRow {
                what: format!("{} {}", text(p.noun), code(&p.name)),
                create: match &p.command {
                    Some(command) => format!("{} {}", text(p.create), code(command)),
                    None => text(p.create),
                },
            })
            .collect(),
        leftover_kinds: text(leftover_kinds),
        pipeline: plan.pipeline.as_ref().map(|pipeline| {
            let plans = std::slice::from_ref(plan);
            PipelineSection {
                workflow: code(&super::pipeline::workflow_path(&plan.deployment)),
                branch: code(&pipeline.branch),
                pull_request: pipeline.release == crate::vocab::Release::PullRequest,
                images: plan.target.local_registry.is_none() && plan.services.iter().any(|s| s.build.is_some()),
                scan: text(&pipeline.scan.to_lowercase().replace(',', ", ")),
                promote: plan.environment.is_some(),
                settings: super::pipeline::repository_settings(plans)
                    .into_iter()
                    .map(|(name, place, what)| SettingRow {
                        name: cell_code(&name),
                        place: text(place),
                        what: text(what),
                    })
                    .collect(),
            }
        }),
        provision_command: cluster_script(plan, "provision.sh"),
        teardown_command: cluster_script(plan, "teardown.sh"),
    }
}

/// The context the runbook template is rendered with: Markdown, each value from the plan
/// escaped by [`super::markdown`] for where the template puts it (a table cell, a code span,
/// text, the HTML comment). The fields are the template's names.
#[derive(Serialize)]
struct RunbookContext {
    /// The commands that make and remove the cluster, from this runbook's directory (an
    /// environment on another's cluster names that one's scripts). Fixed text and DNS labels.
    provision_command: String,
    teardown_command: String,
    dns_step: Option<String>,
    source_comment: String,
    source: String,
    deployment_comment: String,
    deployment: String,
    namespace: String,
    title: String,
    region: Option<String>,
    version: String,
    domain: Option<String>,
    services_count: usize,
    mermaid_fence: String,
    mermaid: String,
    tools: Vec<ToolRow>,
    env: Vec<EnvRow>,
    prices_source: String,
    prices_as_of: String,
    cost_rows: Vec<CostRow>,
    cost_total: String,
    cost_note: Option<String>,
    budget: Option<String>,
    provision_summary: String,
    kubeconfig: String,
    stack_rows: Vec<StackRow>,
    bundled: Vec<String>,
    added: Vec<String>,
    service_rows: Vec<ServiceRow>,
    checklist: Vec<String>,
    troubleshooting: Vec<TroubleRow>,
    exceptions: Vec<ExceptionRow>,
    contracts: Vec<ContractRow>,
    sidecars: Vec<SidecarRow>,
    slos: Vec<SloRow>,
    alerts: Vec<AlertRow>,
    receivers: Vec<ReceiverRow>,
    releases: Vec<ReleaseRow>,
    rollback: String,
    /// Argo CD syncs the manifests automatically: a rollback is a reverted commit.
    gitops: bool,
    prerequisites: Vec<PrerequisiteRow>,
    leftover_kinds: String,
    /// The images built from source (`build-images.sh`), when there are any.
    builds: Vec<BuildRow>,
    /// The image lock's file name, as a code span.
    lock_name: String,
    /// The steps' numbers: a build step moves the ones after it.
    step: StepNumbers,
    /// The CI workflow (`pipeline github { … }`), when the deployment has one.
    pipeline: Option<PipelineSection>,
}

/// The runbook's account of the CI workflow: every value Markdown-escaped for where it goes.
#[derive(Serialize)]
struct PipelineSection {
    workflow: String,
    branch: String,
    pull_request: bool,
    /// Whether the release job builds images (a registry CI can reach).
    images: bool,
    scan: String,
    promote: bool,
    settings: Vec<SettingRow>,
}

#[derive(Serialize)]
struct SettingRow {
    name: String,
    place: String,
    what: String,
}

#[derive(Serialize)]
struct BuildRow {
    service: String,
    image: String,
    context: String,
    pinned: String,
}

#[derive(Serialize)]
struct StepNumbers {
    stack: usize,
    secrets: usize,
    apply: usize,
    verify: usize,
}

#[derive(Serialize)]
struct ToolRow {
    name: String,
    why: String,
    install: String,
}

#[derive(Serialize)]
struct EnvRow {
    /// The variable's name, a checked identifier.
    env: String,
    key: String,
    secret: String,
}

#[derive(Serialize)]
struct CostRow {
    item: String,
    total: String,
}

#[derive(Serialize)]
struct StackRow {
    stage: usize,
    name: String,
    chart: String,
    version: String,
    namespace: String,
    ready: String,
}

#[derive(Serialize)]
struct ServiceRow {
    name: String,
    image: String,
    replicas: String,
    route: String,
}

#[derive(Serialize)]
struct TroubleRow {
    symptom: String,
    cause: String,
    command: String,
}

#[derive(Serialize)]
struct ExceptionRow {
    service: String,
    name: String,
    what: String,
    reason: String,
    checks: String,
}

#[derive(Serialize)]
struct ContractRow {
    service: String,
    contract: String,
    given: String,
    source: String,
}

#[derive(Serialize)]
struct SloRow {
    /// The heading's text, `SLO <service>-<kind>`: its anchor is what the alerts' `runbook_url`
    /// names.
    heading: String,
    objective: String,
    budget: String,
    ratio: String,
    page: String,
    ticket: String,
}

/// Each objective: what it promises, its error budget in minutes over its window, the query
/// behind its error ratio and when its two alerts fire.
fn slo_rows(plan: &Plan) -> Vec<SloRow> {
    let mut rows = Vec::new();
    for service in &plan.services {
        for slo in &service.slos {
            let name = super::stack::slo_name(service, slo);
            let percent = slo.objective.times(100).map(vocab::Decimal::text).unwrap_or_default();
            let promise = match &slo.kind {
                vocab::SloKind::Availability => format!("{percent}% of requests answered without a 5xx status"),
                vocab::SloKind::Latency { threshold } => {
                    format!("{percent}% of requests answered within {} s", threshold.text())
                }
            };
            let window_hours = f64::from(slo.window_days) * 24.0;
            let tiers = |severity: &str| {
                vocab::BURN_RATE_TIERS
                    .iter()
                    .filter(|t| t.severity == severity)
                    .map(|t| {
                        let rate: f64 = t.burn_rate.parse().unwrap_or(0.0);
                        let long_hours = duration_hours(t.long);
                        let spent = rate * long_hours / window_hours * 100.0;
                        format!(
                            "{}× the budget over {} and {} ({}% of the budget spent)",
                            t.burn_rate,
                            t.long,
                            t.short,
                            trim_number(spent)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", or ")
            };
            rows.push(SloRow {
                heading: text(&format!("SLO {name}")),
                objective: text(&format!("{promise}, over {} days", slo.window_days)),
                budget: text(&format!(
                    "{}% of requests, or {} minutes of full outage over {} days",
                    slo.budget().times(100).map(vocab::Decimal::text).unwrap_or_default(),
                    slo.budget_minutes(),
                    slo.window_days
                )),
                ratio: code(&format!("slo:sli_error:ratio_rate{}d{{slo=\"{name}\"}}", slo.window_days)),
                page: text(&tiers("page")),
                ticket: text(&tiers("ticket")),
            });
        }
    }
    rows
}

#[derive(Serialize)]
struct AlertRow {
    /// `Alert <name>`: its anchor is what the alert's `runbook_url` names.
    heading: String,
    severity: String,
    expr: String,
    means: String,
    look: Vec<String>,
    act: Option<String>,
}

/// Each alert of the PrometheusRule, built-in and the file's own: when it fires, what that
/// means, the commands to look with and what to do. An alert of the file says what its
/// `description` says.
fn alert_rows(plan: &Plan) -> Vec<AlertRow> {
    super::alerts::alerts(plan)
        .into_iter()
        .map(|alert| {
            let after = match &alert.for_ {
                Some(for_) => format!(", once the condition has held for {for_}"),
                None => ", as soon as the condition holds".to_string(),
            };
            AlertRow {
                heading: text(&alert.heading()),
                severity: format!("{}{}", code(alert.severity.name()), text(&after)),
                expr: code(&alert.expr),
                means: if alert.user { text(&alert.means) } else { message(&alert.means) },
                look: alert.look.iter().map(|c| code(c)).collect(),
                act: (!alert.act.is_empty()).then(|| message(&alert.act)),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct ReceiverRow {
    name: String,
    severities: String,
    destinations: String,
}

/// Where each receiver of the file sends alerts, with the Secret keys its credentials come from.
fn receiver_rows(plan: &Plan) -> Vec<ReceiverRow> {
    let Some(monitoring) = &plan.monitoring else { return Vec::new() };
    monitoring
        .receivers
        .iter()
        .map(|receiver| ReceiverRow {
            name: cell_code(&receiver.name),
            severities: receiver.severities.iter().map(|s| cell_code(s.name())).collect::<Vec<_>>().join(", "),
            destinations: receiver
                .destinations
                .iter()
                .map(|d| {
                    let key = |r: &vocab::SecretKeyRef| cell_code(&format!("{}/{}", r.secret, r.key));
                    match d {
                        vocab::Destination::Slack { channel, url } => {
                            format!("Slack {} (webhook URL from {})", cell_code(channel), key(url))
                        }
                        vocab::Destination::Email { to, smarthost, password, .. } => format!(
                            "e-mail to {} through {}{}",
                            cell_code(to),
                            cell_code(smarthost),
                            password.as_ref().map(|p| format!(" (password from {})", key(p))).unwrap_or_default()
                        ),
                        vocab::Destination::Webhook { url } => format!("webhook (URL from {})", key(url)),
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect()
}

/// A Prometheus duration of the burn-rate table (`5m`, `1h`, `3d`) in hours.
fn duration_hours(window: &str) -> f64 {
    let (number, unit) = window.split_at(window.len().saturating_sub(1));
    let number: f64 = number.parse().unwrap_or(0.0);
    match unit {
        "m" => number / 60.0,
        "d" => number * 24.0,
        _ => number,
    }
}

/// A share rounded to one decimal, without a trailing `.0`.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

#[derive(Serialize)]
struct SidecarRow {
    service: String,
    annotations: String,
}

/// One row per distinct way of stopping and rolling out, naming the services that share it (a
/// deployment of many alike services gets a short table).
fn release_rows(plan: &Plan) -> Vec<ReleaseRow> {
    // The release, and whether the workload is a Deployment.
    type Policy = (crate::lower::plan::Release, bool);
    let mut groups: Vec<(Policy, Vec<&str>)> = Vec::new();
    for s in &plan.services {
        let key = (s.release, s.volumes.is_empty());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, names)) => names.push(&s.name),
            None => groups.push((key, vec![&s.name])),
        }
    }
    groups
        .into_iter()
        .map(
            |(
                (crate::lower::plan::Release { drain, grace, max_unavailable: unavailable, spread }, deployment),
                names,
            )| ReleaseRow {
                services: names.iter().map(|n| cell_code(n)).collect::<Vec<_>>().join(", "),
                drain: if drain == 0 { "none".into() } else { format!("{drain} s") },
                grace: format!("{grace} s"),
                rollout: match (deployment, unavailable) {
                    (true, 0) => "new pods first (up to 25% extra), none unavailable".into(),
                    (true, n) => format!("new pods first (up to 25% extra), at most {n} unavailable"),
                    // A StatefulSet replaces its pods one by one, in reverse order.
                    (false, _) => "one pod at a time, in reverse order".into(),
                },
                spread: if spread { "nodes, then zones".into() } else { "one replica".into() },
            },
        )
        .collect()
}

#[derive(Serialize)]
struct ReleaseRow {
    services: String,
    drain: String,
    grace: String,
    rollout: String,
    spread: String,
}

#[derive(Serialize)]
struct PrerequisiteRow {
    what: String,
    create: String,
}

/// `./scripts/SCRIPT`, or for an environment on another's cluster that environment's script,
/// from this environment's directory (names are DNS labels: nothing to escape in a code block).
pub(crate) fn cluster_script(plan: &Plan, script: &str) -> String {
    match plan.cluster_host() {
        Some(host) => format!("../{host}/scripts/{script}"),
        None => format!("./scripts/{script}"),
    }
}
