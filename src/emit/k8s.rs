//! Plan to Kubernetes manifests: Namespace, ClusterIssuers, and per service a ServiceAccount,
//! Service, Deployment (StatefulSet when it has volumes), HorizontalPodAutoscaler,
//! PodDisruptionBudget and Ingress, with secure pod defaults.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction, HTTPGetAction,
    KeyToPath, Lifecycle, LifecycleHandler, LocalObjectReference, Namespace, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SeccompProfile, SecretKeySelector, SecretVolumeSource, SecurityContext, Service, ServiceAccount, ServicePort,
    ServiceSpec, SleepAction, Sysctl, TCPSocketAction, TopologySpreadConstraint, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule, IngressServiceBackend, IngressSpec,
    IngressTLS, ServiceBackendPort,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::crd::Kustomization;
use super::objects::{Docs, in_wave, labels, meta, selector};
use crate::lower::plan::{self, Plan, PodBudget};
use crate::vocab::Replicas;

/// One file of `manifests/`, made on its own so that a build can make them on several threads.
#[derive(Clone, Copy)]
pub enum Manifest<'p> {
    Namespace,
    /// The platform stack's resources (`10-stack.yaml`); none when there is no stack.
    Stack,
    /// The AlertmanagerConfig routing the file's alerts to its receivers (`12-alerting.yaml`);
    /// none without receivers. A file of its own: no bundled schema of `validate-output` knows
    /// the kind, so CI validates it against prometheus-operator's CRD itself
    /// (`tests/crd_schemas.rs`).
    Alerting,
    /// The NetworkPolicies (`15-network.yaml`); none when there is nothing to allow.
    Network,
    Service(&'p plan::Service),
}

impl Manifest<'_> {
    /// The file's name under `manifests/`; the prefix orders the files for people.
    pub fn file_name(self) -> String {
        match self {
            Manifest::Namespace => "00-namespace.yaml".into(),
            Manifest::Stack => "10-stack.yaml".into(),
            Manifest::Alerting => "12-alerting.yaml".into(),
            Manifest::Network => "15-network.yaml".into(),
            Manifest::Service(service) => format!("20-{}.yaml", service.name),
        }
    }

    /// The file's text; `None` when the file would be empty.
    pub fn render(self, plan: &Plan) -> Option<String> {
        let mut docs = Docs::new(plan);
        match self {
            Manifest::Namespace => docs.push(&namespace(plan)),
            Manifest::Stack => {
                super::stack::emit_stack(&mut docs, plan);
                if let Some(dashboard) = super::dashboards::capacity_config_map(plan) {
                    docs.push(&dashboard);
                }
            }
            Manifest::Alerting => super::stack::emit_alerting(&mut docs, plan),
            Manifest::Network => super::network::emit_network(&mut docs, plan),
            Manifest::Service(service) => service_docs(&mut docs, plan, service),
        }
        (!docs.is_empty()).then(|| docs.finish())
    }
}

fn service_docs(docs: &mut Docs, plan: &Plan, service: &plan::Service) {
    docs.push(&service_account(plan, service));
    if !service.ports.is_empty() {
        docs.push(&kube_service(plan, service));
    }
    if service.volumes.is_empty() {
        docs.push(&deployment(plan, service));
    } else {
        docs.push(&stateful_set(plan, service));
    }
    if let Replicas::Range(min, max) = service.replicas {
        docs.push(&autoscaler(plan, service, min, max));
    }
    if let Some(budget) = service.min_available {
        docs.push(&disruption_budget(plan, service, budget));
    }
    if let Some(route) = &service.route {
        docs.push(&ingress(plan, service, route));
    }
    if let Some(monitor) = super::stack::service_monitor(plan, service) {
        docs.push(&monitor);
    }
    if let Some(dashboard) = super::dashboards::dashboard_config_map(plan, service) {
        docs.push(&dashboard);
    }
}

/// `manifests/kustomization.yaml`, listing `resources` (file names under `manifests/`) in
/// apply order.
pub fn kustomization(plan: &Plan, resources: Vec<String>) -> String {
    kustomization_in(plan, resources, None)
}

/// A kustomization of `resources` that puts every resource in `namespace` when given.
pub fn kustomization_in(plan: &Plan, resources: Vec<String>, namespace: Option<String>) -> String {
    let mut kustomization = Docs::new(plan);
    kustomization.push(&Kustomization { namespace, ..Kustomization::new(resources) });
    kustomization.finish()
}

fn namespace(plan: &Plan) -> Namespace {
    let mut labels = BTreeMap::from([
        ("app.kubernetes.io/part-of".to_string(), plan.deployment.clone()),
        ("app.kubernetes.io/managed-by".to_string(), "deployc".to_string()),
        // Pods meet the `restricted` profile; sidecars injected by the stack (Dapr) may not,
        // so `restricted` warns and audits while `baseline` is enforced.
        ("pod-security.kubernetes.io/enforce".to_string(), "baseline".to_string()),
        ("pod-security.kubernetes.io/warn".to_string(), "restricted".to_string()),
        ("pod-security.kubernetes.io/audit".to_string(), "restricted".to_string()),
    ]);
    labels.insert("kubernetes.io/metadata.name".to_string(), plan.namespace.clone());
    Namespace {
        metadata: in_wave(
            ObjectMeta { name: Some(plan.namespace.clone()), labels: Some(labels), ..ObjectMeta::default() },
            "0".into(),
        ),
        ..Namespace::default()
    }
}

fn service_account(plan: &Plan, service: &plan::Service) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(plan, &service.name, &service.name),
        automount_service_account_token: Some(false),
        // A private registry's pull Secret (created by deploy.sh), for every pod of the service.
        image_pull_secrets: plan
            .target
            .pull_secret
            .as_ref()
            .map(|name| vec![LocalObjectReference { name: name.clone() }]),
        ..ServiceAccount::default()
    }
}

fn kube_service(plan: &Plan, service: &plan::Service) -> Service {
    Service {
        metadata: meta(plan, &service.name, &service.name),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector(&service.name)),
            ports: Some(
                service
                    .ports
                    .iter()
                    .map(|(name, number)| ServicePort {
                        name: Some(name.clone()),
                        port: i32::from(*number),
                        target_port: Some(IntOrString::String(name.clone())),
                        protocol: Some("TCP".into()),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// A probe: what the file set, else the defaults (every 10 s, 3 s each or the period when it is
/// shorter, 3 failures, and the role's initial delay).
fn probe(probe: &plan::Probe, service: &plan::Service, initial_delay: i32) -> Probe {
    let port_ref = |port: u16| match service.ports.iter().find(|(_, n)| *n == port) {
        Some((name, _)) => IntOrString::String(name.clone()),
        None => IntOrString::Int(i32::from(port)),
    };
    let seconds = |set: Option<u32>, default: i32| set.and_then(|s| i32::try_from(s).ok()).unwrap_or(default);
    let timing = &probe.timing;
    let period = seconds(timing.period, crate::vocab::PROBE_PERIOD_SECONDS as i32);
    let mut out = Probe {
        initial_delay_seconds: Some(seconds(timing.delay, initial_delay)),
        period_seconds: Some(period),
        // A probe that may take longer than its period overlaps the next one.
        timeout_seconds: Some(seconds(timing.timeout, (crate::vocab::PROBE_TIMEOUT_SECONDS as i32).min(period))),
        failure_threshold: Some(seconds(timing.failures, 3)),
        ..Probe::default()
    };
    match &probe.action {
        plan::ProbeAction::Http { path, port } => {
            out.http_get =
                Some(HTTPGetAction { path: Some(path.clone()), port: port_ref(*port), ..HTTPGetAction::default() })
        }
        plan::ProbeAction::Tcp { port } => {
            out.tcp_socket = Some(TCPSocketAction { port: port_ref(*port), ..TCPSocketAction::default() })
        }
        plan::ProbeAction::Exec { command } => out.exec = Some(ExecAction { command: Some(command.clone()) }),
    }
    out
}

fn container(service: &plan::Service) -> Container {
    let mut env: Vec<EnvVar> = service
        .env
        .iter()
        .map(|(k, v)| EnvVar { name: k.clone(), value: Some(v.clone()), ..EnvVar::default() })
        .collect();
    let mut mounts = vec![VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..VolumeMount::default() }];
    mounts.extend(service.scratch.iter().map(|path| VolumeMount {
        name: scratch_volume(path),
        mount_path: path.clone(),
        ..VolumeMount::default()
    }));
    env.extend(service.secret_env.iter().map(|s| {
        if s.file {
            // A read-only file; `VARIABLE_FILE` names it (the `_FILE` convention).
            EnvVar {
                name: format!("{}_FILE", s.variable),
                value: Some(format!("{SECRETS_DIR}/{}/{}", s.secret, s.key)),
                ..EnvVar::default()
            }
        } else {
            EnvVar {
                name: s.variable.clone(),
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: s.secret.clone(),
                        key: s.key.clone(),
                        optional: Some(false),
                    }),
                    ..EnvVarSource::default()
                }),
                ..EnvVar::default()
            }
        }
    }));
    mounts.extend(secret_files(service).into_iter().map(|(secret, _)| VolumeMount {
        name: format!("secret-{secret}"),
        mount_path: format!("{SECRETS_DIR}/{secret}"),
        read_only: Some(true),
        ..VolumeMount::default()
    }));
    mounts.extend(service.volumes.iter().map(|(name, _, mount)| VolumeMount {
        name: name.clone(),
        mount_path: mount.clone(),
        ..VolumeMount::default()
    }));
    Container {
        name: service.name.clone(),
        image: Some(service.image.clone()),
        image_pull_policy: Some("Always".into()),
        command: (!service.command.is_empty()).then(|| service.command.clone()),
        args: (!service.args.is_empty()).then(|| service.args.clone()),
        ports: (!service.ports.is_empty()).then(|| {
            service
                .ports
                .iter()
                .map(|(name, number)| ContainerPort {
                    name: Some(name.clone()),
                    container_port: i32::from(*number),
                    protocol: Some("TCP".into()),
                    ..ContainerPort::default()
                })
                .collect()
        }),
        env: (!env.is_empty()).then_some(env),
        resources: Some(ResourceRequirements {
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity(service.cpu.0.clone())),
                ("memory".to_string(), Quantity(service.memory.0.clone())),
            ])),
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), Quantity(service.cpu.1.clone())),
                ("memory".to_string(), Quantity(service.memory.1.clone())),
            ])),
            ..ResourceRequirements::default()
        }),
        liveness_probe: service.liveness.as_ref().map(|p| probe(p, service, 10)),
        readiness_probe: service.readiness.as_ref().map(|p| probe(p, service, 5)),
        startup_probe: service.startup.as_ref().map(|p| probe(p, service, 0)),
        security_context: Some(container_security(service)),
        volume_mounts: Some(mounts),
        // The pod keeps serving while its endpoint leaves the ingress controllers and
        // kube-proxy, which Kubernetes does at the same time as it sends SIGTERM. `sleep` needs
        // no binary in the image (PodLifecycleSleepAction: beta and on from 1.30, GA in 1.34).
        lifecycle: (service.release.drain > 0).then(|| Lifecycle {
            pre_stop: Some(LifecycleHandler {
                sleep: Some(SleepAction { seconds: i64::from(service.release.drain) }),
                ..LifecycleHandler::default()
            }),
            ..Lifecycle::default()
        }),
        ..Container::default()
    }
}

/// Replicas spread over nodes, then zones, as evenly as the cluster allows: `ScheduleAnyway`,
/// because a cluster of one node, or one whose nodes carry no zone label (kind, k3d), would
/// otherwise leave pods Pending. A Deployment's spread counts only the pods of its current
/// ReplicaSet (`matchLabelKeys: [pod-template-hash]`), so a rollout is not skewed by the old one.
fn topology_spread(service: &plan::Service) -> Option<Vec<TopologySpreadConstraint>> {
    if !service.release.spread {
        return None;
    }
    let revision_key = service.volumes.is_empty().then(|| vec!["pod-template-hash".to_string()]);
    Some(
        ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
            .into_iter()
            .map(|key| TopologySpreadConstraint {
                max_skew: 1,
                topology_key: key.into(),
                when_unsatisfiable: "ScheduleAnyway".into(),
                label_selector: Some(LabelSelector {
                    match_labels: Some(selector(&service.name)),
                    ..LabelSelector::default()
                }),
                match_label_keys: revision_key.clone(),
                ..TopologySpreadConstraint::default()
            })
            .collect(),
    )
}

/// Where secrets are mounted as files, one directory per Secret.
const SECRETS_DIR: &str = "/var/run/secrets/deployc";

/// The Secrets a service reads as files, in order, each once, with the keys it reads.
fn secret_files(service: &plan::Service) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for s in service.secret_env.iter().filter(|s| s.file) {
        match out.iter_mut().find(|(name, _)| *name == s.secret) {
            Some((_, keys)) if !keys.contains(&s.key.as_str()) => keys.push(&s.key),
            Some(_) => {}
            None => out.push((&s.secret, vec![&s.key])),
        }
    }
    out
}

/// The name of the `emptyDir` for a path the image writes (`/var/run/postgresql` →
/// `scratch-var-run-postgresql`), within the 63 characters of a volume name.
fn scratch_volume(path: &str) -> String {
    let mut name = String::from("scratch");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        name.push('-');
        name.extend(part.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }));
    }
    if name.len() > 63 {
        // Keep the end, which tells paths apart; a hash of the whole keeps it unique.
        let hash = path.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let tail: String = name.chars().rev().take(50).collect::<Vec<_>>().into_iter().rev().collect();
        name = format!("scratch-{hash:08x}{}", if tail.starts_with('-') { tail } else { format!("-{tail}") });
        name.truncate(63);
    }
    name.trim_end_matches('-').to_string()
}

/// The capabilities a root entrypoint needs to set up and drop to its own user (postgres,
/// redis and most official images use gosu or su-exec).
const ROOT_ENTRYPOINT_CAPABILITIES: [&str; 5] = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"];

fn container_security(service: &plan::Service) -> SecurityContext {
    let root = service.run_as.is_none();
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(!service.allows("writable_root_fs")),
        run_as_non_root: (!root).then_some(true),
        run_as_user: service.run_as.map(|(user, _)| user),
        run_as_group: service.run_as.map(|(_, group)| group),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: root.then(|| ROOT_ENTRYPOINT_CAPABILITIES.iter().map(|c| c.to_string()).collect()),
        }),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() }),
        ..SecurityContext::default()
    }
}

/// checkov's skip annotations for the checks the service's exceptions waive.
fn waivers(service: &plan::Service) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut n = 0;
    for exception in &service.exceptions {
        for check in exception.waives() {
            n += 1;
            out.insert(
                format!("checkov.io/skip{n}"),
                format!("{check}={}", exception.reason.replace(['\n', '\r'], " ")),
            );
        }
    }
    out
}

/// A workload's metadata: the service's, plus the checkov waivers of its exceptions.
fn workload_meta(plan: &Plan, service: &plan::Service) -> ObjectMeta {
    let mut metadata = meta(plan, &service.name, &service.name);
    let waivers = waivers(service);
    if !waivers.is_empty() {
        metadata.annotations.get_or_insert_with(BTreeMap::new).extend(waivers);
    }
    metadata
}

fn pod_template(plan: &Plan, service: &plan::Service) -> PodTemplateSpec {
    let mut annotations: BTreeMap<String, String> = service.annotations.iter().cloned().collect();
    if let Some((app_id, app_port)) = &service.dapr {
        annotations.insert("dapr.io/enabled".into(), "true".into());
        annotations.insert("dapr.io/app-id".into(), app_id.clone());
        if let Some(app_port) = app_port {
            annotations.insert("dapr.io/app-port".into(), app_port.to_string());
        }
    }
    annotations.extend(service.sidecar_annotations.iter().cloned());
    let mut pod_labels = labels(plan, &service.name);
    pod_labels.extend(service.labels.iter().cloned());
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(pod_labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            service_account_name: Some(service.name.clone()),
            automount_service_account_token: Some(false),
            security_context: Some(PodSecurityContext {
                run_as_non_root: service.run_as.map(|_| true),
                run_as_user: service.run_as.map(|(user, _)| user),
                run_as_group: service.run_as.map(|(_, group)| group),
                fs_group: service.run_as.map(|(_, group)| group),
                seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..SeccompProfile::default() }),
                // A safe sysctl (Kubernetes 1.22+, allowed by the baseline and restricted Pod
                // Security profiles): lets the non-root process bind its port below 1024.
                sysctls: service.unprivileged_port_start.map(|port| {
                    vec![Sysctl { name: "net.ipv4.ip_unprivileged_port_start".into(), value: port.to_string() }]
                }),
                ..PodSecurityContext::default()
            }),
            containers: vec![container(service)],
            termination_grace_period_seconds: Some(i64::from(service.release.grace)),
            topology_spread_constraints: topology_spread(service),
            volumes: Some({
                let mut volumes = vec![Volume {
                    name: "tmp".into(),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Volume::default()
                }];
                volumes.extend(service.scratch.iter().map(|path| Volume {
                    name: scratch_volume(path),
                    empty_dir: Some(EmptyDirVolumeSource::default()),
                    ..Volume::default()
                }));
                volumes.extend(secret_files(service).into_iter().map(|(secret, keys)| {
                    Volume {
                        name: format!("secret-{secret}"),
                        secret: Some(SecretVolumeSource {
                            secret_name: Some(secret.to_string()),
                            default_mode: Some(0o440),
                            // Only the keys this service reads.
                            items: Some(
                                keys.into_iter()
                                    .map(|key| KeyToPath { key: key.to_string(), path: key.to_string(), mode: None })
                                    .collect(),
                            ),
                            ..SecretVolumeSource::default()
                        }),
                        ..Volume::default()
                    }
                }));
                volumes
            }),
            ..PodSpec::default()
        }),
    }
}

fn fixed_replicas(service: &plan::Service) -> Option<i32> {
    match service.replicas {
        Replicas::Fixed(n) => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        // The HorizontalPodAutoscaler owns the count; leaving it out keeps `kubectl apply`
        // from resetting it on every deploy.
        Replicas::Range(..) => None,
    }
}

fn deployment(plan: &Plan, service: &plan::Service) -> Deployment {
    Deployment {
        metadata: workload_meta(plan, service),
        spec: Some(DeploymentSpec {
            replicas: fixed_replicas(service),
            revision_history_limit: Some(5),
            selector: LabelSelector { match_labels: Some(selector(&service.name)), ..LabelSelector::default() },
            // A new pod before an old one goes; never more unavailable than the disruption
            // budget allows (a budget binds evictions, not rollouts).
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::String("25%".into())),
                    max_unavailable: Some(IntOrString::Int(
                        i32::try_from(service.release.max_unavailable).unwrap_or(i32::MAX),
                    )),
                }),
            }),
            template: pod_template(plan, service),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn stateful_set(plan: &Plan, service: &plan::Service) -> StatefulSet {
    let claims = service
        .volumes
        .iter()
        .map(|(name, size, _)| PersistentVolumeClaim {
            metadata: ObjectMeta { name: Some(name.clone()), ..ObjectMeta::default() },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size.clone()))])),
                    ..VolumeResourceRequirements::default()
                }),
                ..PersistentVolumeClaimSpec::default()
            }),
            ..PersistentVolumeClaim::default()
        })
        .collect();
    StatefulSet {
        metadata: workload_meta(plan, service),
        spec: Some(StatefulSetSpec {
            replicas: fixed_replicas(service),
            revision_history_limit: Some(5),
            service_name: Some(service.name.clone()),
            selector: LabelSelector { match_labels: Some(selector(&service.name)), ..LabelSelector::default() },
            template: pod_template(plan, service),
            volume_claim_templates: Some(claims),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

fn autoscaler(plan: &Plan, service: &plan::Service, min: u32, max: u32) -> HorizontalPodAutoscaler {
    let kind = if service.volumes.is_empty() { "Deployment" } else { "StatefulSet" };
    let metric = |name: &str, percent: u32| MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: name.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(i32::try_from(percent).unwrap_or(100)),
                ..MetricTarget::default()
            },
        }),
        ..MetricSpec::default()
    };
    let mut metrics = vec![metric("cpu", service.autoscale_cpu)];
    if let Some(memory) = service.autoscale_memory {
        metrics.push(metric("memory", memory));
    }
    HorizontalPodAutoscaler {
        metadata: meta(plan, &service.name, &service.name),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: kind.into(),
                name: service.name.clone(),
            },
            min_replicas: Some(i32::try_from(min).unwrap_or(1)),
            max_replicas: i32::try_from(max).unwrap_or(i32::MAX),
            metrics: Some(metrics),
            ..HorizontalPodAutoscalerSpec::default()
        }),
        ..HorizontalPodAutoscaler::default()
    }
}

fn disruption_budget(plan: &Plan, service: &plan::Service, budget: PodBudget) -> PodDisruptionBudget {
    let (min_available, max_unavailable) = match budget {
        PodBudget::MinAvailable(n) => (Some(IntOrString::Int(i32::try_from(n).unwrap_or(1))), None),
        PodBudget::MaxUnavailable(n) => (None, Some(IntOrString::Int(i32::try_from(n).unwrap_or(1)))),
    };
    PodDisruptionBudget {
        metadata: meta(plan, &service.name, &service.name),
        spec: Some(PodDisruptionBudgetSpec {
            min_available,
            max_unavailable,
            selector: Some(LabelSelector { match_labels: Some(selector(&service.name)), ..LabelSelector::default() }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    }
}

fn ingress(plan: &Plan, service: &plan::Service, route: &plan::Route) -> Ingress {
    let port_name = service.ports.iter().find(|(_, n)| *n == route.port).map(|(name, _)| name.clone());
    let mut metadata = meta(plan, &service.name, &service.name);
    if let Some(issuer) = &route.issuer {
        metadata
            .annotations
            .get_or_insert_with(BTreeMap::new)
            .insert("cert-manager.io/cluster-issuer".into(), issuer.clone());
    }
    Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: plan.ingress_class.clone(),
            tls: route.tls_secret.as_ref().map(|secret| {
                vec![IngressTLS { hosts: Some(vec![route.host.clone()]), secret_name: Some(secret.clone()) }]
            }),
            rules: Some(vec![IngressRule {
                host: Some(route.host.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: vec![HTTPIngressPath {
                        path: Some(route.path.clone()),
                        path_type: "Prefix".into(),
                        backend: IngressBackend {
                            service: Some(IngressServiceBackend {
                                name: service.name.clone(),
                                port: Some(ServiceBackendPort { name: port_name, ..ServiceBackendPort::default() }),
                            }),
                            ..IngressBackend::default()
                        },
                    }],
                }),
            }]),
            ..IngressSpec::default()
        }),
        ..Ingress::default()
    }
}
