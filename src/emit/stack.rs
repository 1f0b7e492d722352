//! Custom resources of the platform stack (`manifests/10-stack.yaml`): ClusterIssuers, the
//! Kafka cluster with its node pool and topics, the Dapr pub/sub component, alert rules and
//! the Argo CD Application; and a ServiceMonitor for each service with a `metrics` port. Each
//! object sits in the Argo CD sync wave after the component that provides its kind.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::crd::*;
use super::objects::{Docs, in_wave, labels, meta, selector};
use crate::lower::plan::{self, Plan};

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
    for issuer in &plan.issuers {
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

/// The built-in alerts. Every alert keeps the `namespace` label: an AlertmanagerConfig in the
/// deployment's namespace routes only alerts that carry it (prometheus-operator v0.85 adds a
/// `namespace` matcher to its routes; notes/observability-research.md §2).
fn alert_rules(plan: &Plan, monitoring: &plan::Monitoring) -> Custom<PrometheusRuleSpec> {
    let ns = &plan.namespace;
    let rule = |alert: &str, expr: String, for_: &str, summary: &str| AlertRule {
        alert: alert.into(),
        expr,
        for_: for_.into(),
        labels: BTreeMap::from([("severity".to_string(), "warning".to_string())]),
        annotations: BTreeMap::from([("summary".to_string(), summary.to_string())]),
    };
    let mut metadata = object_meta(plan, &format!("{}-alerts", plan.deployment), Some(ns), monitoring.stage);
    metadata.labels.get_or_insert_with(BTreeMap::new).insert("release".into(), monitoring.release.clone());
    Custom {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata,
        spec: PrometheusRuleSpec {
            groups: vec![RuleGroup {
                name: format!("{}.rules", plan.deployment),
                rules: vec![
                    rule(
                        "PodCrashLooping",
                        format!("increase(kube_pod_container_status_restarts_total{{namespace=\"{ns}\"}}[15m]) > 3"),
                        "5m",
                        "A container restarted more than 3 times in 15 minutes: check its logs (kubectl logs --previous).",
                    ),
                    rule(
                        "PodNotReady",
                        format!(
                            "sum by (namespace, pod) (kube_pod_status_ready{{namespace=\"{ns}\", condition=\"false\"}}) > 0"
                        ),
                        "10m",
                        "A pod has not been ready for 10 minutes: check its readiness probe and events.",
                    ),
                    rule(
                        "HighMemory",
                        format!(
                            "sum by (namespace, pod) (container_memory_working_set_bytes{{namespace=\"{ns}\", container!=\"\"}}) / sum by (namespace, pod) (kube_pod_container_resource_limits{{namespace=\"{ns}\", resource=\"memory\"}}) > 0.9"
                        ),
                        "10m",
                        "A pod uses more than 90% of its memory limit: raise `memory` or fix a leak before it is OOM-killed.",
                    ),
                ],
            }],
        },
    }
}

/// A ServiceMonitor for a service with a port named `metrics`, when Prometheus is in the stack.
pub fn service_monitor(plan: &Plan, service: &plan::Service) -> Option<Custom<ServiceMonitorSpec>> {
    let monitoring = plan.monitoring.as_ref()?;
    service.ports.iter().find(|(name, _)| name == "metrics")?;
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
                port: "metrics".into(),
                path: "/metrics".into(),
                interval: "30s".into(),
            }],
        },
    })
}
