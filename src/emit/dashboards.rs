//! A Grafana dashboard per service, as a ConfigMap in the service's file, when `prometheus` is
//! in the stack: request rate, errors and duration (for a service whose metrics are scraped),
//! each objective's burn rate and error budget left, and saturation (CPU and memory against the
//! limits, for every service).
//!
//! kube-prometheus-stack 77.13.0 turns on Grafana's dashboard sidecar with `label:
//! grafana_dashboard`, `labelValue: "1"` and `searchNamespace: ALL` (its `values.yaml:1362-1368`),
//! so a ConfigMap with that label in the deployment's namespace is loaded; the Prometheus
//! datasource it provisions has `uid: prometheus` (`values.yaml:1383-1389`).
//! notes/observability-research.md §3 and §11.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Value, json};

use super::objects::meta;
use crate::lower::plan::{Plan, Service};
use crate::vocab;

/// The label and value the sidecar loads ConfigMaps by.
pub const SIDECAR_LABEL: (&str, &str) = ("grafana_dashboard", "1");

/// The datasource every panel queries: the one kube-prometheus-stack provisions.
const DATASOURCE_UID: &str = "prometheus";

/// The dashboard JSON model version written (Grafana migrates older models when it loads them;
/// kube-prometheus-stack's own dashboards are at 39).
const SCHEMA_VERSION: u32 = 39;

/// The service's dashboard ConfigMap, `<service>-dashboard`, or `None` without Prometheus.
pub fn dashboard_config_map(plan: &Plan, service: &Service) -> Option<ConfigMap> {
    plan.monitoring.as_ref()?;
    let mut metadata = meta(plan, &format!("{}-dashboard", service.name), &service.name);
    metadata.labels.get_or_insert_with(BTreeMap::new).insert(SIDECAR_LABEL.0.into(), SIDECAR_LABEL.1.into());
    // On one line: the manifests' YAML writer (and serde_yaml) then quote it as one scalar.
    let text = serde_json::to_string(&dashboard(plan, service)).ok()?;
    Some(ConfigMap {
        metadata,
        data: Some(BTreeMap::from([(format!("{}.json", service.name), text)])),
        ..ConfigMap::default()
    })
}

/// A stable dashboard uid of at most 40 characters (Grafana's limit): `deployc-` and the
/// FNV-1a hash of the namespace and service, so that re-provisioning updates it in place.
pub fn dashboard_uid(namespace: &str, service: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in namespace.bytes().chain([b'/']).chain(service.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("deployc-{hash:016x}")
}

/// Panel `id` (from 1): a time series of `exprs` (each with its legend), `unit` on the axis, in
/// a two-column grid of 8-row panels.
fn panel(id: usize, title: &str, unit: &str, exprs: &[(String, &str)]) -> Value {
    let column = (id - 1) % 2;
    let row = (id - 1) / 2;
    let targets: Vec<Value> = exprs
        .iter()
        .zip('A'..)
        .map(|((expr, legend), ref_id)| {
            json!({
                "datasource": { "type": "prometheus", "uid": DATASOURCE_UID },
                "expr": expr,
                "legendFormat": legend,
                "refId": ref_id.to_string(),
            })
        })
        .collect();
    json!({
        "datasource": { "type": "prometheus", "uid": DATASOURCE_UID },
        "fieldConfig": { "defaults": { "unit": unit }, "overrides": [] },
        "gridPos": { "h": 8, "w": 12, "x": column * 12, "y": row * 8 },
        "id": id,
        "targets": targets,
        "title": title,
        "type": "timeseries",
    })
}

/// A panel's title, the unit of its axis, and its queries with their legends.
pub type PanelQueries = (String, &'static str, Vec<(String, &'static str)>);

/// The panels' queries, in their order: what [`dashboard`] draws and what the tests check with
/// promtool.
pub fn panels(plan: &Plan, service: &Service) -> Vec<PanelQueries> {
    let ns = &plan.namespace;
    let name = &service.name;
    let mut out = Vec::new();
    if service.metrics.is_some() {
        // The ServiceMonitor's targets carry `namespace` and `service`; the metric names are the
        // objectives' (or the Prometheus client libraries' defaults, notes/slo-research.md §2).
        let requests = service
            .slos
            .iter()
            .find(|s| s.kind == vocab::SloKind::Availability)
            .map_or(vocab::SLO_REQUESTS_METRIC, |s| s.metric.as_str());
        let duration = service
            .slos
            .iter()
            .find(|s| matches!(s.kind, vocab::SloKind::Latency { .. }))
            .map_or(vocab::SLO_DURATION_METRIC, |s| s.metric.as_str());
        let target = format!("namespace=\"{ns}\", service=\"{name}\"");
        out.push((
            "Request rate".to_string(),
            "reqps",
            vec![(format!("sum by (code) (rate({requests}{{{target}}}[5m]))"), "{{code}}")],
        ));
        out.push((
            "Errors (5xx share)".to_string(),
            "percentunit",
            vec![(
                format!("sum(rate({requests}{{{target}, code=~\"5..\"}}[5m])) / sum(rate({requests}{{{target}}}[5m]))"),
                "5xx",
            )],
        ));
        let quantile =
            |q: &str| format!("histogram_quantile({q}, sum by (le) (rate({duration}_bucket{{{target}}}[5m])))");
        out.push((
            "Duration".to_string(),
            "s",
            vec![(quantile("0.5"), "p50"), (quantile("0.95"), "p95"), (quantile("0.99"), "p99")],
        ));
    }
    // Each objective's recording rules (the stack module's `slo:sli_error:ratio_rate<window>`,
    // labelled `slo`): the burn rate over the fast-burn alert's windows, and the budget left
    // over the objective's window.
    for slo in &service.slos {
        let slo_name = super::stack::slo_name(service, slo);
        let budget = slo.budget().text();
        let ratio = |window: &str| format!("slo:sli_error:ratio_rate{window}{{slo=\"{slo_name}\"}}");
        out.push((
            format!("Burn rate: {slo_name}"),
            "short",
            vec![
                (format!("{} / {budget}", ratio("5m")), "5m"),
                (format!("{} / {budget}", ratio("1h")), "1h"),
                (format!("{} / {budget}", ratio("6h")), "6h"),
            ],
        ));
        out.push((
            format!("Error budget left: {slo_name} ({} days)", slo.window_days),
            "percentunit",
            vec![(format!("1 - {} / {budget}", ratio(&format!("{}d", slo.window_days))), "left")],
        ));
    }
    // cAdvisor's and kube-state-metrics' series, by the container named after the service.
    let container = format!("namespace=\"{ns}\", container=\"{name}\"");
    out.push((
        "CPU (cores)".to_string(),
        "short",
        vec![
            (format!("sum by (pod) (rate(container_cpu_usage_seconds_total{{{container}}}[5m]))"), "{{pod}}"),
            (format!("max(kube_pod_container_resource_limits{{{container}, resource=\"cpu\"}})"), "limit"),
        ],
    ));
    out.push((
        "Memory".to_string(),
        "bytes",
        vec![
            (format!("sum by (pod) (container_memory_working_set_bytes{{{container}}})"), "{{pod}}"),
            (format!("max(kube_pod_container_resource_limits{{{container}, resource=\"memory\"}})"), "limit"),
        ],
    ));
    out
}

/// The deployment's capacity dashboard, `<deployment>-capacity-dashboard`, or `None` without
/// Prometheus: what the cluster's nodes offer, what every pod requests, and what the plan's
/// capacity analysis counted, so that a cluster filling up beyond the plan shows.
pub fn capacity_config_map(plan: &Plan) -> Option<ConfigMap> {
    let monitoring = plan.monitoring.as_ref()?;
    let mut metadata = super::objects::in_wave(
        ObjectMeta {
            name: Some(format!("{}-capacity-dashboard", plan.deployment)),
            namespace: Some(plan.namespace.clone()),
            labels: Some(BTreeMap::from([
                ("app.kubernetes.io/managed-by".to_string(), "deployc".to_string()),
                ("app.kubernetes.io/part-of".to_string(), plan.deployment.clone()),
            ])),
            ..ObjectMeta::default()
        },
        Plan::wave_after(monitoring.stage),
    );
    metadata.labels.get_or_insert_with(BTreeMap::new).insert(SIDECAR_LABEL.0.into(), SIDECAR_LABEL.1.into());
    let panels: Vec<Value> = capacity_panels(plan)
        .iter()
        .enumerate()
        .map(|(i, (title, unit, exprs))| panel(i + 1, title, unit, exprs))
        .collect();
    let model = json!({
        "annotations": { "list": [] },
        "editable": false,
        "graphTooltip": 1,
        "links": [],
        "panels": panels,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["deployc", plan.deployment, "capacity"],
        "templating": { "list": [] },
        "time": { "from": "now-24h", "to": "now" },
        "timepicker": {},
        "timezone": "browser",
        "title": format!("{} / capacity", plan.deployment),
        "uid": dashboard_uid(&plan.namespace, "capacity"),
        "version": 1,
    });
    let text = serde_json::to_string(&model).ok()?;
    Some(ConfigMap {
        metadata,
        data: Some(BTreeMap::from([(format!("{}-capacity.json", plan.deployment), text)])),
        ..ConfigMap::default()
    })
}

/// The capacity dashboard's panels. kube-state-metrics v2.17.0 (the version kube-prometheus-
/// stack 77.13.0 runs) exports `kube_node_status_allocatable` and
/// `kube_pod_container_resource_requests` with `resource` and `unit` labels (`core`, `byte`;
/// `internal/store/node.go:309`, `pod.go:234`) and `kube_node_status_condition`.
pub fn capacity_panels(plan: &Plan) -> Vec<PanelQueries> {
    let Some(monitoring) = plan.monitoring.as_ref() else { return Vec::new() };
    let ns = &plan.namespace;
    let (cpu_millis, memory_bytes) = monitoring.planned_requests;
    let cores = format!("{}.{:03}", cpu_millis / 1000, cpu_millis % 1000);
    let nodes: u32 = plan.target.pools.iter().map(|p| p.count).sum();
    let max_nodes: u32 = plan.target.pools.iter().map(|p| p.max).sum();
    let resource = |name: &str, unit: &str, planned: String| -> Vec<(String, &'static str)> {
        vec![
            (
                format!("sum(kube_node_status_allocatable{{resource=\"{name}\", unit=\"{unit}\"}})"),
                "allocatable (every node)",
            ),
            (
                format!("sum(kube_pod_container_resource_requests{{resource=\"{name}\", unit=\"{unit}\"}})"),
                "requested (every pod)",
            ),
            (
                format!(
                    "sum(kube_pod_container_resource_requests{{namespace=\"{ns}\", resource=\"{name}\", unit=\"{unit}\"}})"
                ),
                "requested (this namespace)",
            ),
            (format!("vector({planned})"), "planned (replica maximums, stack included)"),
        ]
    };
    vec![
        ("CPU requests against allocatable (cores)".to_string(), "short", resource("cpu", "core", cores)),
        (
            "Memory requests against allocatable".to_string(),
            "bytes",
            resource("memory", "byte", memory_bytes.to_string()),
        ),
        (
            "Nodes".to_string(),
            "short",
            vec![
                ("sum(kube_node_status_condition{condition=\"Ready\", status=\"true\"})".to_string(), "ready"),
                (format!("vector({nodes})"), "declared count"),
                (format!("vector({max_nodes})"), "autoscaling maximum"),
            ],
        ),
    ]
}

/// The dashboard's JSON model: the fields Grafana's provisioning needs (a title; a stable uid;
/// the schema version; panels with type, title, grid position and id) and the usual rest.
fn dashboard(plan: &Plan, service: &Service) -> Value {
    let panels: Vec<Value> = panels(plan, service)
        .iter()
        .enumerate()
        .map(|(i, (title, unit, exprs))| panel(i + 1, title, unit, exprs))
        .collect();
    json!({
        "annotations": { "list": [] },
        "editable": false,
        "graphTooltip": 1,
        "links": [],
        "panels": panels,
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["deployc", plan.deployment],
        "templating": { "list": [] },
        "time": { "from": "now-6h", "to": "now" },
        "timepicker": {},
        "timezone": "browser",
        "title": format!("{} / {}", plan.deployment, service.name),
        "uid": dashboard_uid(&plan.namespace, &service.name),
        "version": 1,
    })
}
