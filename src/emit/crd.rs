//! Custom resources as typed structs, serialised like `k8s-openapi` objects (camelCase,
//! `apiVersion` and `kind` first). Each is validated against its CRD schema by
//! `../shared/tools/validate-output` in the golden tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// cert-manager.io/v1 ClusterIssuer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuer {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ClusterIssuerSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuerSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeIssuer>,
    /// `selfSigned: {}`: each certificate signed with its own key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_signed: Option<Empty>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcmeIssuer {
    pub email: String,
    pub server: String,
    pub private_key_secret_ref: SecretKeySelector,
    pub solvers: Vec<AcmeSolver>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretKeySelector {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AcmeSolver {
    pub http01: Http01Solver,
}

#[derive(Debug, Clone, Serialize)]
pub struct Http01Solver {
    pub ingress: Http01Ingress,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Http01Ingress {
    pub ingress_class_name: String,
}

impl ClusterIssuer {
    pub fn new(metadata: ObjectMeta, spec: ClusterIssuerSpec) -> Self {
        ClusterIssuer { api_version: "cert-manager.io/v1", kind: "ClusterIssuer", metadata, spec }
    }
}

/// kustomize.config.k8s.io/v1beta1 Kustomization: the apply order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The namespace kustomize sets on every resource (the environment's, over a shared base).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub resources: Vec<String>,
    /// `fifo`: apply in the order of `resources`, not kustomize's kind order.
    pub sort_options: SortOptions,
}

#[derive(Debug, Clone, Serialize)]
pub struct SortOptions {
    pub order: &'static str,
}

impl Kustomization {
    pub fn new(resources: Vec<String>) -> Self {
        Kustomization {
            api_version: "kustomize.config.k8s.io/v1beta1",
            kind: "Kustomization",
            namespace: None,
            resources,
            sort_options: SortOptions { order: "fifo" },
        }
    }
}

/// A custom resource: `apiVersion`, `kind`, `metadata` and a typed `spec`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Custom<S: Serialize> {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: S,
}

/// kafka.strimzi.io/v1beta2 Kafka (KRaft; brokers come from a KafkaNodePool).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaSpec {
    pub kafka: KafkaClusterSpec,
    pub entity_operator: EntityOperator,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaClusterSpec {
    pub listeners: Vec<KafkaListener>,
    pub config: std::collections::BTreeMap<String, u32>,
    /// `{type: strimziMetricsReporter}` when Prometheus is in the stack: the brokers serve
    /// their metrics on port 9404 (`tcp-prometheus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_config: Option<KafkaMetricsConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaMetricsConfig {
    #[serde(rename = "type")]
    pub type_: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaListener {
    pub name: String,
    pub port: u16,
    #[serde(rename = "type")]
    pub type_: String,
    pub tls: bool,
    /// Who may connect: the NetworkPolicy Strimzi writes for the listener allows every pod of
    /// every namespace when this is empty.
    pub network_policy_peers: Vec<k8s_openapi::api::networking::v1::NetworkPolicyPeer>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityOperator {
    pub topic_operator: Empty,
    pub user_operator: Empty,
}

/// `{}` in YAML.
#[derive(Debug, Clone, Serialize)]
pub struct Empty {}

/// kafka.strimzi.io/v1beta2 KafkaNodePool.
#[derive(Debug, Clone, Serialize)]
pub struct KafkaNodePoolSpec {
    pub replicas: u32,
    pub roles: Vec<String>,
    pub storage: KafkaStorage,
    pub resources: KafkaResources,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaResources {
    pub requests: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KafkaStorage {
    #[serde(rename = "type")]
    pub type_: String,
    pub volumes: Vec<KafkaVolume>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KafkaVolume {
    pub id: u32,
    #[serde(rename = "type")]
    pub type_: String,
    pub size: String,
    pub delete_claim: bool,
}

/// kafka.strimzi.io/v1beta2 KafkaTopic.
#[derive(Debug, Clone, Serialize)]
pub struct KafkaTopicSpec {
    pub partitions: u32,
    pub replicas: u32,
}

/// dapr.io/v1alpha1 Component.
#[derive(Debug, Clone, Serialize)]
pub struct DaprComponentSpec {
    #[serde(rename = "type")]
    pub type_: String,
    pub version: String,
    pub metadata: Vec<DaprMetadata>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DaprMetadata {
    pub name: String,
    pub value: String,
}

/// monitoring.coreos.com/v1 ServiceMonitor.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitorSpec {
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub endpoints: Vec<MonitorEndpoint>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorEndpoint {
    pub port: String,
    pub path: String,
    pub interval: String,
    /// Keep the scraped series' own labels where they clash with the target's (cert-manager's
    /// `namespace`, the Certificate's); `None` leaves the operator's default, false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honor_labels: Option<bool>,
}

/// monitoring.coreos.com/v1 PodMonitor.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMonitorSpec {
    pub selector: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    pub pod_metrics_endpoints: Vec<MonitorEndpoint>,
}

/// monitoring.coreos.com/v1alpha1 AlertmanagerConfig (prometheus-operator v0.85.0
/// `pkg/apis/monitoring/v1alpha1/alertmanager_config_types.go`).
#[derive(Debug, Clone, Serialize)]
pub struct AlertmanagerConfigSpec {
    pub route: AlertRoute,
    pub receivers: Vec<AlertReceiver>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRoute {
    pub receiver: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    pub matchers: Vec<AlertMatcher>,
    /// Try the next sibling route as well (several receivers for one severity).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub r#continue: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<AlertRoute>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertMatcher {
    pub name: String,
    pub value: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub match_type: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertReceiver {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slack_configs: Vec<SlackConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email_configs: Vec<EmailConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhook_configs: Vec<WebhookConfig>,
}

/// A key of a Secret in the AlertmanagerConfig's namespace (`core/v1` SecretKeySelector).
#[derive(Debug, Clone, Serialize)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlackConfig {
    #[serde(rename = "apiURL")]
    pub api_url: SecretKeyRef,
    pub channel: String,
    pub send_resolved: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfig {
    pub to: String,
    pub from: String,
    pub smarthost: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<SecretKeyRef>,
    pub send_resolved: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig {
    pub url_secret: SecretKeyRef,
    pub send_resolved: bool,
}

/// monitoring.coreos.com/v1 PrometheusRule.
#[derive(Debug, Clone, Serialize)]
pub struct PrometheusRuleSpec {
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleGroup {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// A recording or an alerting rule, written as its fields alone.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Rule {
    Record(RecordRule),
    Alert(AlertRule),
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordRule {
    pub record: String,
    pub expr: String,
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRule {
    pub alert: String,
    pub expr: String,
    /// None: the alert fires on the first evaluation that matches (the burn-rate alerts,
    /// whose short window already keeps them from flapping).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// argoproj.io/v1alpha1 Application.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    pub project: String,
    pub source: ApplicationSource,
    pub destination: ApplicationDestination,
    pub sync_policy: SyncPolicy,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub path: String,
    pub target_revision: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplicationDestination {
    pub server: String,
    pub namespace: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    pub automated: Automated,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    pub prune: bool,
    pub self_heal: bool,
}

/// external-secrets.io/v1 ExternalSecret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    pub refresh_interval: String,
    pub secret_store_ref: StoreRef,
    pub target: ExternalTarget,
    pub data: Vec<ExternalData>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StoreRef {
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalTarget {
    pub name: String,
    pub creation_policy: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalData {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Debug, Clone, Serialize)]
pub struct RemoteRef {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}
