//! Custom resources of the platform stack (`manifests/10-stack.yaml`): ClusterIssuers, the
//! Kafka cluster with its node pool and topics, the Dapr pub/sub component, alert rules and
//! the Argo CD Application, with each objective's recording rules and burn-rate alerts; and a
//! ServiceMonitor for each service whose metrics are scraped. Each
//! object sits in the Argo CD sync wave after the component that provides its kind.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::crd::*;
use super::objects::{Docs, in_wave, labels, meta, selector};
use crate::lower::plan::{self, Plan};
use crate::vocab;

fn object_meta(plan: &Plan, name: &str, namespace: Option<&str>, stage: usize) -> ObjectMeta {
    in_wave(
        ObjectMeta {
            name: Some(name.to_string()),
            namespace: namespace.map(String::from),
            labels: Some(BTreeMap::from([
                ("app.kubernetes.io/managed-by".to_string(), "deployc".to_string()),
                ("app.kubernetes.io/part-of".to_string(), plan.deployment.clone()),
            ])),
            ..ObjectMeta::default()
        },
        Plan::wave_after(stage),
    )
}

/// The install stage of the component providing `kind` (0 when the provider bundles it).
fn stage_of(plan: &Plan, kind: &str) -> usize {
    plan.stack
        .iter()
        .find(|c| c.provides.iter().any(|p| p.rsplit('/').next() == Some(kind)))
        .map(|c| c.stage)
        .unwrap_or(0)
}

/// Push every stack custom resource into `docs`, in install order.
pub fn emit_stack(docs: &mut Docs, plan: &Plan) {
    let issuer_stage = stage_of(plan, "ClusterIssuer");
    let elsewhere = plan.environment.as_ref().map(|e| e.issuers_elsewhere.as_slice()).unwrap_or_default();
    for issuer in plan.issuers.iter().filter(|i| !elsewhere.contains(&i.name)) {
        docs.push(&cluster_issuer(plan, issuer, issuer_stage));
    }
    if let Some(kafka) = &plan.kafka {
        emit_kafka(docs, plan, kafka);
    }
    if let Some(pubsub) = &plan.dapr_pubsub {
        docs.push(&Custom {
            api_version: "dapr.io/v1alpha1",
            kind: "Component",
            metadata: object_meta(plan, &pubsub.name, Some(&plan.namespace), pubsub.stage),
            spec: DaprComponentSpec {
                type_: "pubsub.kafka".into(),
                version: "v1".into(),
                metadata: vec![
                    DaprMetadata { name: "brokers".into(), value: pubsub.brokers.clone() },
                    DaprMetadata { name: "authType".into(), value: "none".into() },
                ],
            },
        });
    }
    if let Some(monitoring) = &plan.monitoring {
        docs.push(&alert_rules(plan, monitoring));
        if let Some(monitor) = cert_manager_monitor(plan, monitoring) {
            docs.push(&monitor);
        }
        if let Some(kafka) = &plan.kafka {
            docs.push(&kafka_monitor(plan, kafka, monitoring));
        }
    }
    let external_stage = stage_of(plan, "ExternalSecret");
    for secret in plan.secrets.iter().filter(|s| !s.external.is_empty()) {
        let store = secret.external.first().map(|e| e.store.clone()).unwrap_or_default();
        docs.push(&Custom {
            api_version: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: object_meta(plan, &secret.name, Some(&plan.namespace), external_stage),
            spec: ExternalSecretSpec {
                refresh_interval: "1h".into(),
                secret_store_ref: StoreRef { name: store, kind: "ClusterSecretStore".into() },
                target: ExternalTarget { name: secret.name.clone(), creation_policy: "Owner".into() },
                data: secret
                    .external
                    .iter()
                    .map(|e| ExternalData {
                        secret_key: e.key.clone(),
                        remote_ref: RemoteRef { key: e.path.clone(), property: e.property.clone() },
                    })
                    .collect(),
            },
        });
    }
    if let Some(app) = &plan.argo_application {
        docs.push(&Custom {
            api_version: "argoproj.io/v1alpha1",
            kind: "Application",
            metadata: object_meta(plan, &app.name, Some(&app.namespace), app.stage),
            spec: ApplicationSpec {
                project: "default".into(),
                source: ApplicationSource {
                    repo_url: app.repo.clone(),
                    path: app.path.clone(),
                    target_revision: app.revision.clone(),
                },
                destination: ApplicationDestination {
                    server: "https://kubernetes.default.svc".into(),
                    namespace: plan.namespace.clone(),
                },
                sync_policy: SyncPolicy { automated: Automated { prune: true, self_heal: true } },
            },
        });
    }
}

fn cluster_issuer(plan: &Plan, issuer: &plan::Issuer, stage: usize) -> ClusterIssuer {
    ClusterIssuer::new(
        object_meta(plan, &issuer.name, None, stage),
        ClusterIssuerSpec {
            acme: issuer.server.as_ref().map(|server| AcmeIssuer {
                email: issuer.email.clone(),
                server: server.clone(),
                private_key_secret_ref: SecretKeySelector { name: format!("{}-account-key", issuer.name) },
                solvers: vec![AcmeSolver {
                    http01: Http01Solver {
                        ingress: Http01Ingress { ingress_class_name: issuer.ingress_class.clone() },
                    },
                }],
            }),
            self_signed: issuer.server.is_none().then_some(crate::emit::crd::Empty {}),
        },
    )
}

fn emit_kafka(docs: &mut Docs, plan: &Plan, kafka: &plan::Kafka) {
    let cluster_label = |mut metadata: ObjectMeta| {
        metadata.labels.get_or_insert_with(BTreeMap::new).insert("strimzi.io/cluster".into(), kafka.name.clone());
        metadata
    };
    let mut cluster_meta = object_meta(plan, &kafka.name, Some(&plan.namespace), kafka.stage);
    let annotations = cluster_meta.annotations.get_or_insert_with(BTreeMap::new);
    annotations.insert("strimzi.io/kraft".into(), "enabled".into());
    annotations.insert("strimzi.io/node-pools".into(), "enabled".into());
    // Replication can be no larger than the number of brokers.
    let replication = kafka.brokers.clamp(1, 3);
    let config = BTreeMap::from([
        ("default.replication.factor".to_string(), replication),
        ("min.insync.replicas".to_string(), replication.saturating_sub(1).max(1)),
        ("offsets.topic.replication.factor".to_string(), replication),
        ("transaction.state.log.min.isr".to_string(), replication.saturating_sub(1).max(1)),
        ("transaction.state.log.replication.factor".to_string(), replication),
    ]);
    docs.push(&Custom {
        api_version: "kafka.strimzi.io/v1beta2",
        kind: "Kafka",
        metadata: cluster_meta,
        spec: KafkaSpec {
            kafka: KafkaClusterSpec {
                listeners: vec![KafkaListener {
                    name: "plain".into(),
                    port: 9092,
                    type_: "internal".into(),
                    tls: false,
                    // Only this deployment's pods (their Dapr sidecars publish and subscribe):
                    // "By default, Strimzi automatically creates a NetworkPolicy resource for
                    // every enabled Kafka listener, allowing connections from all namespaces"
                    // (Strimzi documentation, restricting access to listeners with network
                    // policies, 0.48; read 2026-12-01).
                    network_policy_peers: vec![k8s_openapi::api::networking::v1::NetworkPolicyPeer {
                        pod_selector: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                            match_labels: Some(BTreeMap::from([(
                                "app.kubernetes.io/part-of".to_string(),
                                plan.deployment.clone(),
                            )])),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }],
                }],
                config,
                metrics_config: plan
                    .monitoring
                    .is_some()
                    .then(|| KafkaMetricsConfig { type_: "strimziMetricsReporter".into() }),
            },
            entity_operator: EntityOperator { topic_operator: Empty {}, user_operator: Empty {} },
        },
    });
    docs.push(&Custom {
        api_version: "kafka.strimzi.io/v1beta2",
        kind: "KafkaNodePool",
        metadata: cluster_label(object_meta(plan, &format!("{}-pool", kafka.name), Some(&plan.namespace), kafka.stage)),
        spec: KafkaNodePoolSpec {
            replicas: kafka.brokers,
            roles: vec!["controller".into(), "broker".into()],
            storage: KafkaStorage {
                type_: "jbod".into(),
                volumes: vec![KafkaVolume {
                    id: 0,
                    type_: "persistent-claim".into(),
                    size: kafka.storage.clone(),
                    delete_claim: false,
                }],
            },
            resources: KafkaResources {
                requests: BTreeMap::from([
                    ("cpu".to_string(), kafka.broker_cpu.clone()),
                    ("memory".to_string(), kafka.broker_memory.clone()),
                ]),
            },
        },
    });
    for topic in &kafka.topics {
        docs.push(&Custom {
            api_version: "kafka.strimzi.io/v1beta2",
            kind: "KafkaTopic",
            metadata: cluster_label(object_meta(plan, &topic.name, Some(&plan.namespace), kafka.stage)),
            spec: KafkaTopicSpec { partitions: topic.partitions, replicas: topic.replicas.min(kafka.brokers.max(1)) },
        });
    }
}

/// The deployment's PrometheusRule: the alerts of [`super::alerts`] (built-in, then the file's
/// own), each with its severity, summary, description and runbook section, then each
/// objective's group. Every alert keeps the `namespace` label: an AlertmanagerConfig in the
/// deployment's namespace routes only alerts that carry it (prometheus-operator v0.85 adds a
/// `namespace` matcher to its routes; notes/observability-research.md §2).
fn alert_rules(plan: &Plan, monitoring: &plan::Monitoring) -> Custom<PrometheusRuleSpec> {
    let ns = &plan.namespace;
    let rules: Vec<Rule> = super::alerts::alerts(plan)
        .into_iter()
        .map(|alert| {
            let mut labels = BTreeMap::from([
                ("severity".to_string(), alert.severity.name().to_string()),
                (super::alerts::PART_OF_LABEL.to_string(), plan.deployment.clone()),
            ]);
            labels.extend(alert.labels.iter().cloned());
            Rule::Alert(AlertRule {
                expr: alert.expr.clone(),
                for_: alert.for_.clone(),
                labels,
                annotations: BTreeMap::from([
                    ("summary".to_string(), alert.summary.clone()),
                    ("description".to_string(), alert.description.clone()),
                    ("runbook_url".to_string(), alert.runbook_url()),
                ]),
                alert: alert.name,
            })
        })
        .collect();
    let mut metadata = object_meta(plan, &format!("{}-alerts", plan.deployment), Some(ns), monitoring.stage);
    metadata.labels.get_or_insert_with(BTreeMap::new).insert("release".into(), monitoring.release.clone());
    Custom {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata,
        spec: PrometheusRuleSpec {
            groups: std::iter::once(RuleGroup { name: format!("{}.rules", plan.deployment), rules })
                .chain(
                    plan.services
                        .iter()
                        .flat_map(|service| service.slos.iter().map(|slo| slo_group(plan, service, slo))),
                )
                .collect(),
        },
    }
}

/// Push the AlertmanagerConfig (`manifests/12-alerting.yaml`) when the file has receivers.
pub fn emit_alerting(docs: &mut Docs, plan: &Plan) {
    if let Some(monitoring) = plan.monitoring.as_ref().filter(|m| !m.receivers.is_empty()) {
        docs.push(&alertmanager_config(plan, monitoring));
    }
}

/// The receiver of alerts no receiver of the file takes: it has no destination, as
/// kube-prometheus-stack's own `null` receiver.
pub const UNROUTED_RECEIVER: &str = "unrouted";

/// The AlertmanagerConfig for the file's receivers, in the deployment's namespace, which
/// kube-prometheus-stack 77.13.0's Alertmanager selects with its default
/// `alertmanagerConfigSelector: {}` and `alertmanagerConfigNamespaceSelector: {}`
/// (notes/observability-research.md §2). Its route takes the deployment's alerts (the
/// [`super::alerts::PART_OF_LABEL`] label; the operator adds the `namespace` matcher) and sends
/// each severity to every receiver that lists it. Credentials are Secret keys, never values.
fn alertmanager_config(plan: &Plan, monitoring: &plan::Monitoring) -> Custom<AlertmanagerConfigSpec> {
    let secret = |r: &vocab::SecretKeyRef| SecretKeyRef { name: r.secret.clone(), key: r.key.clone() };
    let routes = monitoring
        .receivers
        .iter()
        .map(|receiver| AlertRoute {
            receiver: receiver.name.clone(),
            group_by: Vec::new(),
            matchers: vec![AlertMatcher {
                name: "severity".into(),
                value: receiver.severities.iter().map(|s| s.name()).collect::<Vec<_>>().join("|"),
                match_type: "=~",
            }],
            r#continue: true,
            routes: Vec::new(),
        })
        .collect();
    let mut receivers = vec![AlertReceiver {
        name: UNROUTED_RECEIVER.into(),
        slack_configs: Vec::new(),
        email_configs: Vec::new(),
        webhook_configs: Vec::new(),
    }];
    receivers.extend(monitoring.receivers.iter().map(|receiver| {
        let mut out = AlertReceiver {
            name: receiver.name.clone(),
            slack_configs: Vec::new(),
            email_configs: Vec::new(),
            webhook_configs: Vec::new(),
        };
        for destination in &receiver.destinations {
            match destination {
                vocab::Destination::Slack { channel, url } => out.slack_configs.push(SlackConfig {
                    api_url: secret(url),
                    channel: channel.clone(),
                    send_resolved: true,
                }),
                vocab::Destination::Email { to, from, smarthost, username, password } => {
                    out.email_configs.push(EmailConfig {
                        to: to.clone(),
                        from: from.clone(),
                        smarthost: smarthost.clone(),
                        auth_username: username.clone(),
                        auth_password: password.as_ref().map(secret),
                        send_resolved: true,
                    })
                }
                vocab::Destination::Webhook { url } => {
                    out.webhook_configs.push(WebhookConfig { url_secret: secret(url), send_resolved: true })
                }
            }
        }
        out
    }));
    Custom {
        api_version: "monitoring.coreos.com/v1alpha1",
        kind: "AlertmanagerConfig",
        metadata: object_meta(plan, &format!("{}-alerts", plan.deployment), Some(&plan.namespace), monitoring.stage),
        spec: AlertmanagerConfigSpec {
            route: AlertRoute {
                receiver: UNROUTED_RECEIVER.into(),
                group_by: vec!["alertname".into(), "namespace".into()],
                // `=~` rather than `=`: Alertmanager anchors the expression, and the deployment's
                // name (a DNS label) holds no metacharacter, so it matches that name alone. A
                // plain `=` is YAML 1.1's value tag, which `kubectl kustomize` writes unquoted
                // and PyYAML-based tools then refuse.
                matchers: vec![AlertMatcher {
                    name: super::alerts::PART_OF_LABEL.into(),
                    value: plan.deployment.clone(),
                    match_type: "=~",
                }],
                r#continue: false,
                routes,
            },
            receivers,
        },
    }
}

/// A ServiceMonitor for cert-manager's controller, in its namespace, when both it and
/// Prometheus are in the stack. The chart's own (`prometheus.servicemonitor.enabled`) is off by
/// default and carries no `release` label; and it would need the ServiceMonitor CRD before
/// cert-manager's install, which shares Prometheus's stage. The Service is the chart's
/// `cert-manager` (port `tcp-prometheus-servicemonitor`, 9402; cert-manager v1.18.2
/// `deploy/charts/cert-manager/templates/service.yaml`). `honorLabels` keeps the
/// certificates' own `namespace` label, which would otherwise become `exported_namespace`.
/// Every environment of a cluster writes the same object, so applying it twice is harmless.
fn cert_manager_monitor(plan: &Plan, monitoring: &plan::Monitoring) -> Option<Custom<ServiceMonitorSpec>> {
    // One owner per cluster-shared object: the first environment on the cluster that writes it.
    if plan.environment.as_ref().is_some_and(|e| e.cert_manager_monitor_elsewhere) {
        return None;
    }
    let component = plan.stack.iter().find(|c| c.name == super::alerts::CERT_MANAGER)?;
    let mut metadata =
        object_meta(plan, &format!("{}-metrics", component.name), Some(&component.namespace), monitoring.stage);
    let labels = metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.remove("app.kubernetes.io/part-of");
    labels.insert("release".into(), monitoring.release.clone());
    Some(Custom {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata,
        spec: ServiceMonitorSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([
                    ("app.kubernetes.io/component".to_string(), "controller".to_string()),
                    ("app.kubernetes.io/instance".to_string(), component.name.clone()),
                    ("app.kubernetes.io/name".to_string(), component.name.clone()),
                ])),
                ..LabelSelector::default()
            },
            endpoints: vec![MonitorEndpoint {
                port: "tcp-prometheus-servicemonitor".into(),
                path: "/metrics".into(),
                interval: "60s".into(),
                honor_labels: Some(true),
            }],
        },
    })
}

/// A PodMonitor for the Kafka brokers' metrics reporter (Strimzi 0.48.0: port `tcp-prometheus`,
/// 9404, which Strimzi's own NetworkPolicy opens when metrics are on; pods labelled
/// `strimzi.io/cluster` and `strimzi.io/kind: Kafka`).
fn kafka_monitor(plan: &Plan, kafka: &plan::Kafka, monitoring: &plan::Monitoring) -> Custom<PodMonitorSpec> {
    let mut metadata = object_meta(plan, &format!("{}-metrics", kafka.name), Some(&plan.namespace), monitoring.stage);
    metadata.labels.get_or_insert_with(BTreeMap::new).insert("release".into(), monitoring.release.clone());
    Custom {
        api_version: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata,
        spec: PodMonitorSpec {
            selector: LabelSelector {
                match_labels: Some(BTreeMap::from([
                    ("strimzi.io/cluster".to_string(), kafka.name.clone()),
                    ("strimzi.io/kind".to_string(), "Kafka".to_string()),
                ])),
                ..LabelSelector::default()
            },
            pod_metrics_endpoints: vec![MonitorEndpoint {
                port: "tcp-prometheus".into(),
                path: "/metrics".into(),
                interval: "30s".into(),
                honor_labels: None,
            }],
        },
    }
}

/// The window pairs of a severity's tiers, in words: `1h and 5m, or 6h and 30m`.
fn windows_text(severity: &str) -> String {
    vocab::BURN_RATE_TIERS
        .iter()
        .filter(|t| t.severity == severity)
        .map(|t| format!("{} and {}", t.long, t.short))
        .collect::<Vec<_>>()
        .join(", or ")
}

/// The burn rates of a severity's tiers, in words: `14.4 or 6 times`.
fn rates_text(severity: &str) -> String {
    let rates: Vec<&str> =
        vocab::BURN_RATE_TIERS.iter().filter(|t| t.severity == severity).map(|t| t.burn_rate).collect();
    format!("{} times", rates.join(" or "))
}

/// Prometheus durations in seconds, for ordering the windows.
fn window_seconds(window: &str) -> u64 {
    let (number, unit) = window.split_at(window.len().saturating_sub(1));
    let factor = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 1,
    };
    number.parse::<u64>().unwrap_or(0) * factor
}

/// The windows an objective's rules record: every window of the workbook's alerts and the
/// objective's own, shortest first.
pub fn slo_windows(slo: &vocab::Slo) -> Vec<String> {
    let mut windows: Vec<String> =
        vocab::BURN_RATE_TIERS.iter().flat_map(|t| [t.short.to_string(), t.long.to_string()]).collect();
    windows.push(format!("{}d", slo.window_days));
    windows.sort_by_key(|w| window_seconds(w));
    windows.dedup();
    windows
}

/// The name of an objective's rules, alerts and runbook section: `<service>-<kind>`.
pub fn slo_name(service: &plan::Service, slo: &vocab::Slo) -> String {
    format!("{}-{}", service.name, slo.kind_name())
}

/// The error ratio of an objective over `window`: the share of the service's requests that
/// failed it. The ServiceMonitor's targets carry `namespace` and `service` (the Service's
/// name; prometheus-operator v0.85 `promcfg.go`, notes/observability-research.md §7), which
/// select the service's series; `sum by (namespace)` keeps the label AlertmanagerConfig routes on.
fn error_ratio(plan: &Plan, service: &plan::Service, slo: &vocab::Slo, window: &str) -> String {
    let target = format!("namespace=\"{}\", service=\"{}\"", plan.namespace, service.name);
    let metric = &slo.metric;
    match &slo.kind {
        vocab::SloKind::Availability => format!(
            "sum by (namespace) (rate({metric}{{{target}, code=~\"5..\"}}[{window}])) / sum by (namespace) (rate({metric}{{{target}}}[{window}]))"
        ),
        vocab::SloKind::Latency { threshold } => format!(
            "1 - sum by (namespace) (rate({metric}_bucket{{{target}, le=\"{}\"}}[{window}])) / sum by (namespace) (rate({metric}_count{{{target}}}[{window}]))",
            threshold.float_text()
        ),
    }
}

/// One objective's rules: the error ratio over each window, then the workbook's two alerts
/// (page: 14.4× over 1h and 5m, or 6× over 6h and 30m; ticket: 3× over 1d and 2h, or 1× over
/// 3d and 6h), each pointing at the objective's section of the runbook.
fn slo_group(plan: &Plan, service: &plan::Service, slo: &vocab::Slo) -> RuleGroup {
    let name = slo_name(service, slo);
    let labels = BTreeMap::from([("service".to_string(), service.name.clone()), ("slo".to_string(), name.clone())]);
    let mut rules: Vec<Rule> = slo_windows(slo)
        .iter()
        .map(|window| {
            Rule::Record(RecordRule {
                record: format!("slo:sli_error:ratio_rate{window}"),
                expr: error_ratio(plan, service, slo, window),
                labels: labels.clone(),
            })
        })
        .collect();
    let budget = slo.budget().text();
    let objective = slo.objective.times(100).map(vocab::Decimal::text).unwrap_or_default();
    for (severity, alert, level, pace) in
        [("page", "ErrorBudgetFastBurn", "critical", "fast"), ("ticket", "ErrorBudgetSlowBurn", "warning", "slowly")]
    {
        let tiers: Vec<String> = vocab::BURN_RATE_TIERS
            .iter()
            .filter(|t| t.severity == severity)
            .map(|t| {
                let over = |window: &str| {
                    format!("slo:sli_error:ratio_rate{window}{{slo=\"{name}\"}} > ({} * {budget})", t.burn_rate)
                };
                format!("({} and {})", over(t.long), over(t.short))
            })
            .collect();
        rules.push(Rule::Alert(AlertRule {
            alert: alert.into(),
            expr: tiers.join(" or "),
            for_: None,
            labels: BTreeMap::from([
                (super::alerts::PART_OF_LABEL.to_string(), plan.deployment.clone()),
                ("service".to_string(), service.name.clone()),
                ("severity".to_string(), level.to_string()),
                ("slo".to_string(), name.clone()),
            ]),
            annotations: BTreeMap::from([
                (
                    "description".to_string(),
                    format!(
                        "The share of failed requests over {} is above {} the error budget of {}%: at that pace the budget is spent before the window ends.",
                        windows_text(severity),
                        rates_text(severity),
                        slo.budget().times(100).map(vocab::Decimal::text).unwrap_or_default()
                    ),
                ),
                (
                    "summary".to_string(),
                    format!(
                        "`{}` is spending its {} error budget {pace} ({objective}% over {} days).",
                        service.name,
                        slo.kind_name(),
                        slo.window_days
                    ),
                ),
                ("runbook_url".to_string(), format!("RUNBOOK.md#slo-{name}")),
            ]),
        }));
    }
    RuleGroup { name: format!("{name}.slo.rules"), rules }
}

/// A ServiceMonitor for a service whose metrics are scraped (`metrics = "/path"`, or a port
/// named `metrics`), Deployment or StatefulSet alike, when Prometheus is in the stack.
pub fn service_monitor(plan: &Plan, service: &plan::Service) -> Option<Custom<ServiceMonitorSpec>> {
    let monitoring = plan.monitoring.as_ref()?;
    let endpoint = service.metrics.as_ref()?;
    let mut metadata = meta(plan, &service.name, &service.name);
    metadata
        .labels
        .get_or_insert_with(|| labels(plan, &service.name))
        .insert("release".into(), monitoring.release.clone());
    Some(Custom {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata,
        spec: ServiceMonitorSpec {
            selector: LabelSelector { match_labels: Some(selector(&service.name)), ..LabelSelector::default() },
            endpoints: vec![MonitorEndpoint {
                port: endpoint.port.clone(),
                path: endpoint.path.clone(),
                interval: "30s".into(),
                honor_labels: None,
            }],
        },
    })
}
