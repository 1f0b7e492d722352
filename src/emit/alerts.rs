//! The alerts `prometheus` in the stack gives a plan: the built-in ones for what the plan holds
//! (pods, nodes, disruption budgets, autoscalers, volumes, certificates, Kafka) and the file's
//! own (`alert NAME { … }`), each with the runbook section its `runbook_url` names. The
//! PrometheusRule (the stack module) and the runbook's "Alerts" section (the runbook module)
//! both read [`alerts`], so an alert and its section cannot drift apart.
//!
//! Metric names and labels are kube-state-metrics v2.17.0's (the version kube-prometheus-stack
//! 77.13.0 bundles), the kubelet's, cert-manager v1.18.2's and Strimzi 0.48.0's
//! (notes/observability-research.md §10, read 2026-12-02).

use crate::lower::plan::Plan;
use crate::vocab::{self, Replicas};

/// The label every alert of the plan carries, with the deployment's name: the
/// AlertmanagerConfig routes on it, so kube-prometheus-stack's own alerts for the namespace
/// (KubePodCrashLooping beside our PodCrashLooping) do not notify twice.
pub const PART_OF_LABEL: &str = "part_of";

/// One alert and what the runbook says about it.
#[derive(Debug, Clone)]
pub struct Alert {
    pub name: String,
    pub expr: String,
    /// The Prometheus duration the condition must hold (`for`); `None` fires at once.
    pub for_: Option<String>,
    pub severity: vocab::Severity,
    pub summary: String,
    pub description: String,
    /// Labels set on the alert beyond `severity` and [`PART_OF_LABEL`] (a node alert's
    /// `namespace`, which it has no series of its own for).
    pub labels: Vec<(String, String)>,
    /// The runbook: what firing means, the commands that show more, what to do.
    pub means: String,
    pub look: Vec<String>,
    pub act: String,
    /// Written in the file (`alert NAME { … }`) rather than built in.
    pub user: bool,
}

impl Alert {
    /// The runbook heading's text; its GitHub anchor is [`Alert::anchor`].
    pub fn heading(&self) -> String {
        format!("Alert {}", self.name)
    }

    /// `alert-<lowercased name>`: the anchor GitHub gives the heading `Alert <name>` (names are
    /// letters, digits and `_`, which GitHub keeps).
    pub fn anchor(&self) -> String {
        format!("alert-{}", self.name.to_ascii_lowercase())
    }

    /// The `runbook_url` annotation: the section of the runbook the build writes beside the
    /// manifests.
    pub fn runbook_url(&self) -> String {
        format!("RUNBOOK.md#{}", self.anchor())
    }
}

/// The names of the built-in alerts: a user's alert may not take one (E0337).
pub const BUILT_IN_NAMES: [&str; 9] = [
    "PodCrashLooping",
    "PodNotReady",
    "HighMemory",
    "NodeNotReady",
    "BelowDisruptionBudget",
    "AutoscalerAtMaximum",
    "VolumeFillingUp",
    "CertificateExpiringSoon",
    "KafkaUnderReplicatedPartitions",
];

/// A regular expression matching exactly `names`: service names are DNS labels (letters,
/// digits and `-`), which hold no regular-expression metacharacter.
fn one_of(names: &[&str]) -> String {
    names.join("|")
}

/// Every alert of the plan, built-in first, in a fixed order; empty without Prometheus.
pub fn alerts(plan: &Plan) -> Vec<Alert> {
    let Some(monitoring) = &plan.monitoring else { return Vec::new() };
    let ns = &plan.namespace;
    let kubectl = format!("kubectl -n {ns}");
    let built_in = |name: &str, expr: String, for_: &str, severity: vocab::Severity| Alert {
        name: name.into(),
        expr,
        for_: Some(for_.into()),
        severity,
        summary: String::new(),
        description: String::new(),
        labels: Vec::new(),
        means: String::new(),
        look: Vec::new(),
        act: String::new(),
        user: false,
    };
    let mut out = Vec::new();

    let mut alert = built_in(
        "PodCrashLooping",
        format!("increase(kube_pod_container_status_restarts_total{{namespace=\"{ns}\"}}[15m]) > 3"),
        "5m",
        vocab::Severity::Warning,
    );
    alert.summary =
        "A container restarted more than 3 times in 15 minutes: check its logs (kubectl logs --previous).".into();
    alert.description = "Container {{ $labels.container }} of pod {{ $labels.pod }} keeps restarting.".into();
    alert.means = "A container exits or fails its liveness probe again and again; Kubernetes restarts it with a growing back-off (CrashLoopBackOff), and the pod serves nothing in between.".into();
    alert.look = vec![
        format!("{kubectl} get pods"),
        format!("{kubectl} logs POD -c CONTAINER --previous"),
        format!("{kubectl} describe pod POD"),
    ];
    alert.act = "Read the previous container's last lines: a missing variable or secret, a database it cannot reach, or an out-of-memory kill (`Last State: OOMKilled` in `describe`, then raise `memory`). If the last rollout brought it, roll back (section Releases).".into();
    out.push(alert);

    let mut alert = built_in(
        "PodNotReady",
        format!("sum by (namespace, pod) (kube_pod_status_ready{{namespace=\"{ns}\", condition=\"false\"}}) > 0"),
        "10m",
        vocab::Severity::Warning,
    );
    alert.summary = "A pod has not been ready for 10 minutes: check its readiness probe and events.".into();
    alert.description =
        "Pod {{ $labels.pod }} is running but fails its readiness probe, so its Service sends it no traffic.".into();
    alert.means = "The pod is out of its Service's endpoints: its readiness probe fails, or it is still waiting for a volume, an image or a node.".into();
    alert.look = vec![format!("{kubectl} describe pod POD"), format!("{kubectl} get events --sort-by=.lastTimestamp")];
    alert.act = "The events name the failing probe or the wait. A probe that fails because a dependency is down recovers with the dependency; a probe on the wrong path or port needs the service's `readiness` fixed.".into();
    out.push(alert);

    let mut alert = built_in(
        "HighMemory",
        format!(
            "sum by (namespace, pod) (container_memory_working_set_bytes{{namespace=\"{ns}\", container!=\"\"}}) / sum by (namespace, pod) (kube_pod_container_resource_limits{{namespace=\"{ns}\", resource=\"memory\"}}) > 0.9"
        ),
        "10m",
        vocab::Severity::Warning,
    );
    alert.summary =
        "A pod uses more than 90% of its memory limit: raise `memory` or fix a leak before it is OOM-killed.".into();
    alert.description = "Pod {{ $labels.pod }} works at {{ $value | humanizePercentage }} of its memory limit.".into();
    alert.means =
        "The kernel kills a container that reaches its memory limit (OOMKilled); at 90% one spike is enough.".into();
    alert.look = vec![format!("{kubectl} top pod POD --containers"), format!("{kubectl} describe pod POD")];
    alert.act = "If usage grows steadily it is a leak: restart the pod to buy time and fix the app. If it is the working size, raise the service's `memory` (its limit).".into();
    out.push(alert);

    // kube-state-metrics `kube_node_status_condition{node, condition, status}` (status is the
    // lowercased condition status) and `kube_node_spec_unschedulable{node}`: a cordoned node
    // is expected to go away. A node has no namespace, so the alert is given the deployment's:
    // the AlertmanagerConfig routes only alerts carrying it.
    let mut alert = built_in(
        "NodeNotReady",
        "kube_node_status_condition{condition=\"Ready\", status=\"true\"} == 0 and on (node) kube_node_spec_unschedulable == 0".into(),
        "5m",
        vocab::Severity::Warning,
    );
    alert.labels.push(("namespace".into(), ns.clone()));
    alert.summary = "A node has not been Ready for 5 minutes: its pods are being moved elsewhere.".into();
    alert.description = "Node {{ $labels.node }} is not Ready; after 5 minutes Kubernetes evicts its pods to the other nodes, if they have room.".into();
    alert.means = "The kubelet on the node stopped reporting (the machine is down or cut off) or reports a problem (disk, memory or PID pressure, a network plugin not ready).".into();
    alert.look = vec![
        "kubectl get nodes".to_string(),
        "kubectl describe node NODE".to_string(),
        format!("{kubectl} get pods -o wide"),
    ];
    alert.act = "The node's conditions say why. A machine that is gone is replaced by the provider's node pool (or by `./scripts/provision.sh` on a fixed pool); check the other nodes have room for the moved pods (`kubectl top nodes`).".into();
    out.push(alert);

    let budgeted: Vec<&str> =
        plan.services.iter().filter(|s| s.min_available.is_some()).map(|s| s.name.as_str()).collect();
    if !budgeted.is_empty() {
        // kube-state-metrics `kube_poddisruptionbudget_status_current_healthy` and
        // `…_desired_healthy`, labelled `namespace` and `poddisruptionbudget` (named after the
        // service).
        let select = format!("namespace=\"{ns}\", poddisruptionbudget=~\"{}\"", one_of(&budgeted));
        let mut alert = built_in(
            "BelowDisruptionBudget",
            format!(
                "kube_poddisruptionbudget_status_current_healthy{{{select}}} < kube_poddisruptionbudget_status_desired_healthy{{{select}}}"
            ),
            "10m",
            vocab::Severity::Critical,
        );
        alert.summary = "A service has fewer healthy pods than its disruption budget promises.".into();
        alert.description = "{{ $labels.poddisruptionbudget }} has fewer healthy pods than its PodDisruptionBudget's minimum; one more failure takes it below what it was sized for, and node drains are blocked.".into();
        alert.means = format!(
            "A PodDisruptionBudget's healthy pods are below its minimum ({}): pods crash or are not ready, or cannot be scheduled. Evictions (node drains, upgrades) wait until it recovers.",
            budgeted.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        );
        alert.look =
            vec![format!("{kubectl} get pdb"), format!("{kubectl} get pods"), format!("{kubectl} describe pod POD")];
        alert.act = "Find why the missing pods are not healthy (PodCrashLooping and PodNotReady usually fire too); pods that are Pending need room: `kubectl describe pod` names the resource the nodes lack.".into();
        out.push(alert);
    }

    let autoscaled: Vec<(&str, u32)> = plan
        .services
        .iter()
        .filter_map(|s| match s.replicas {
            Replicas::Range(_, max) => Some((s.name.as_str(), max)),
            Replicas::Fixed(_) => None,
        })
        .collect();
    if !autoscaled.is_empty() {
        // kube-state-metrics `kube_horizontalpodautoscaler_status_current_replicas` and
        // `…_spec_max_replicas`, labelled `namespace` and `horizontalpodautoscaler` (named after
        // the service).
        let names: Vec<&str> = autoscaled.iter().map(|(n, _)| *n).collect();
        let select = format!("namespace=\"{ns}\", horizontalpodautoscaler=~\"{}\"", one_of(&names));
        let mut alert = built_in(
            "AutoscalerAtMaximum",
            format!(
                "kube_horizontalpodautoscaler_status_current_replicas{{{select}}} >= kube_horizontalpodautoscaler_spec_max_replicas{{{select}}}"
            ),
            "15m",
            vocab::Severity::Warning,
        );
        alert.summary = "A service has run at its autoscaling maximum for 15 minutes.".into();
        alert.description =
            "{{ $labels.horizontalpodautoscaler }} runs at its maximum replicas; more load will not get more pods."
                .into();
        alert.means = format!(
            "The HorizontalPodAutoscaler has scaled the service to the top of its range ({}) and cannot add pods if the load grows.",
            autoscaled.iter().map(|(n, max)| format!("`{n}` up to {max}")).collect::<Vec<_>>().join(", ")
        );
        alert.look = vec![format!("{kubectl} get hpa"), format!("{kubectl} top pods")];
        alert.act = "If the load is real, raise the upper end of the service's `replicas` range (and check the budget, section Cost); if the pods are busy for another reason (a slow dependency, a loop), fix that instead.".into();
        out.push(alert);
    }

    if plan.services.iter().any(|s| !s.volumes.is_empty()) || plan.kafka.is_some() {
        // The kubelet's `kubelet_volume_stats_available_bytes` and `…_capacity_bytes`,
        // labelled `namespace` and `persistentvolumeclaim`; kube-prometheus-stack scrapes the
        // kubelet with `honorLabels: true`, so `namespace` is the claim's.
        let select = format!("namespace=\"{ns}\"");
        let mut alert = built_in(
            "VolumeFillingUp",
            format!(
                "kubelet_volume_stats_available_bytes{{{select}}} / kubelet_volume_stats_capacity_bytes{{{select}}} < 0.1"
            ),
            "5m",
            vocab::Severity::Warning,
        );
        alert.summary = "A persistent volume has less than 10% of its space left.".into();
        alert.description =
            "Volume {{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} of its space free."
                .into();
        alert.means = "A PersistentVolumeClaim is almost full; when it is full the database or broker on it stops accepting writes. On k3d's local-path volumes the figure is the host disk's, not the claim's size.".into();
        alert.look = vec![format!("{kubectl} get pvc"), format!("{kubectl} exec POD -- df -h")];
        alert.act = "Free space (old data, retention) or grow the volume: raise the volume's `size` (or Kafka's `storage`) and, where the StorageClass allows expansion, `kubectl edit pvc` to the new size.".into();
        out.push(alert);
    }

    let issued = plan.services.iter().any(|s| s.route.as_ref().is_some_and(|r| r.issuer.is_some()));
    if issued && cert_manager_scraped(plan) {
        // cert-manager v1.18.2 `certmanager_certificate_expiration_timestamp_seconds{name,
        // namespace, issuer_name, issuer_kind, issuer_group}`, scraped with `honorLabels`
        // (the ServiceMonitor the stack module writes) so that `namespace` is the
        // Certificate's. cert-manager renews at 2/3 of the lifetime (30 days before a 90-day
        // certificate expires): under 21 days means a week of failed renewals.
        let mut alert = built_in(
            "CertificateExpiringSoon",
            format!(
                "certmanager_certificate_expiration_timestamp_seconds{{namespace=\"{ns}\"}} - time() < 21 * 24 * 3600"
            ),
            "1h",
            vocab::Severity::Warning,
        );
        alert.summary = "A TLS certificate expires in less than 21 days: cert-manager has not renewed it.".into();
        alert.description = "Certificate {{ $labels.name }} expires in {{ $value | humanizeDuration }}; cert-manager should have renewed it at 30 days.".into();
        alert.means = "cert-manager renews a certificate when a third of its lifetime is left; this one is past that, so renewals are failing (an ACME challenge that cannot reach the route, a rate limit, an issuer that is not ready).".into();
        alert.look = vec![
            format!("{kubectl} get certificates"),
            format!("{kubectl} describe certificate NAME"),
            format!("{kubectl} get challenges,orders"),
            "kubectl get clusterissuers".to_string(),
        ];
        alert.act = "The Certificate's and the Challenge's events say what fails; an HTTP-01 challenge needs the host's DNS to point at the ingress controller (section DNS). After the fix, `cmctl renew NAME` or delete the Certificate's Secret to retry at once.".into();
        out.push(alert);
    }

    if plan.kafka.is_some() {
        // Strimzi 0.48.0's metrics reporter (the Kafka's `metricsConfig`, written by the stack module)
        // exports `kafka_server_replicamanager_underreplicatedpartitions` per broker; the
        // PodMonitor's targets carry `namespace`.
        let mut alert = built_in(
            "KafkaUnderReplicatedPartitions",
            format!(
                "sum by (namespace) (kafka_server_replicamanager_underreplicatedpartitions{{namespace=\"{ns}\"}}) > 0"
            ),
            "10m",
            vocab::Severity::Warning,
        );
        alert.summary = "Kafka has partitions with fewer in-sync replicas than their replication factor.".into();
        alert.description = "{{ $value }} partitions are under-replicated: a broker is down or falling behind, and one more failure can lose writes.".into();
        alert.means = "A partition's followers are not all in sync with its leader: a broker is down, restarting, or too slow (disk, network).".into();
        alert.look = vec![
            format!("{kubectl} get kafka,kafkanodepool"),
            format!("{kubectl} get pods -l strimzi.io/kind=Kafka"),
            format!("{kubectl} logs POD"),
        ];
        alert.act = "A broker that restarts catches up by itself; one that does not start needs its logs read (a full volume fires VolumeFillingUp too). If a broker is gone for good, add one (`brokers`) before the others run out of room.".into();
        out.push(alert);
    }

    // The file's alerts are the deployment's: they get its namespace, which the
    // AlertmanagerConfig routes on, whatever their expression keeps.
    out.extend(monitoring.alerts.iter().map(|user| Alert {
        name: user.name.clone(),
        expr: user.expr.clone(),
        for_: user.for_seconds.map(prometheus_duration),
        severity: user.severity,
        summary: user.summary.clone(),
        description: user.description.clone(),
        labels: vec![("namespace".into(), ns.clone())],
        means: user.description.clone(),
        look: Vec::new(),
        act: String::new(),
        user: true,
    }));
    out
}

/// Whether Prometheus scrapes cert-manager's metrics: both are in the stack (deployc writes the
/// ServiceMonitor; the chart's own is off by default and lacks the `release` label).
pub fn cert_manager_scraped(plan: &Plan) -> bool {
    plan.monitoring.is_some() && plan.stack.iter().any(|c| c.name == CERT_MANAGER)
}

/// The cert-manager component, its release and namespace (`stdlib/components/cert-manager.deploy`).
pub const CERT_MANAGER: &str = "cert-manager";

/// Seconds as the shortest Prometheus duration (`90s`, `5m`, `2h`, `1d`).
pub fn prometheus_duration(seconds: u64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if seconds >= size && seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}
