//! The deployment plan: the IR every backend reads, with defaults applied and names resolved
//! (full image references, port names, the ingress class, Secret key references).

use crate::check::model::{self, Criterion, Deployment, IssuerServer, Origin, ProbeKind, Replicas, RouteTls};
use crate::vocab::{PoolPrice, ProviderKind};

/// Everything the emitters need, and nothing from the syntax tree.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The input's file name, on one line, nothing forbidden ([`crate::text::source_name`]).
    pub source_name: String,
    pub deployment: String,
    pub namespace: String,
    pub provider: String,
    pub ingress_class: Option<String>,
    /// The component that serves routes (in the stack, or bundled by the provider).
    pub ingress_controller: Option<String>,
    /// Its LoadBalancer Service, in `network.ingress_namespace`.
    pub ingress_service: Option<String>,
    pub issuers: Vec<Issuer>,
    pub services: Vec<Service>,
    pub criteria: Vec<Criterion>,
    /// Components to install, in install order (stage by stage).
    pub stack: Vec<StackComponent>,
    /// Components the provider bundles and the plan uses as they are.
    pub bundled: Vec<String>,
    /// The number of install stages; manifests that need no component come after them.
    pub stage_count: usize,
    pub kafka: Option<Kafka>,
    /// The Dapr pub/sub component over Kafka, when both are in the stack.
    pub dapr_pubsub: Option<DaprPubsub>,
    /// kube-prometheus-stack: its release label and install stage.
    pub monitoring: Option<Monitoring>,
    pub argo_application: Option<ArgoApplication>,
    /// The CI workflow (`pipeline github { … }`), written once for the whole deployment.
    pub pipeline: Option<crate::vocab::Pipeline>,
    /// The environment this plan builds, when the deployment declares environments.
    pub environment: Option<crate::vocab::Environment>,
    pub target: TargetPlan,
    /// The registry images are pushed to (`registry = …`), if any.
    pub registry: Option<String>,
    pub secrets: Vec<SecretPlan>,
    pub domain: Option<String>,
    pub budget_cents: Option<u64>,
    pub network: NetworkPlan,
    /// The monthly cost estimate (the same figures `check` compares with `budget`).
    pub cost: crate::vocab::Cost,
}

/// Where the traffic the NetworkPolicies allow comes from and goes to.
#[derive(Debug, Clone, Default)]
pub struct NetworkPlan {
    /// The namespace of the ingress controller (routes are allowed in from it).
    pub ingress_namespace: Option<String>,
    /// The namespace of Prometheus (metrics ports are allowed in from it).
    pub monitoring_namespace: Option<String>,
    /// The namespace of the Dapr control plane (sidecars talk to it).
    pub dapr_namespace: Option<String>,
}

/// A provider's script-template set (`stdlib/providers/<name>/`): each part's handlebars
/// source, found when the plan is made so that the backends need not look it up.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    pub name: String,
    /// (part, source) for every part of [`crate::stdlib::TEMPLATE_PARTS`], in that order;
    /// `None` for a part the set lacks (the checker reports a missing set as E0203).
    pub parts: Vec<(&'static str, Option<&'static str>)>,
}

impl TemplateSet {
    /// The embedded set `name`.
    pub fn resolve(name: &str) -> TemplateSet {
        let parts = crate::stdlib::TEMPLATE_PARTS
            .iter()
            .map(|part| (*part, crate::stdlib::provider_template(name, part)))
            .collect();
        TemplateSet { name: name.to_string(), parts }
    }
}

/// The cluster to provision.
#[derive(Debug, Clone)]
pub struct TargetPlan {
    pub provider: String,
    pub title: String,
    pub cli: String,
    pub kind: ProviderKind,
    /// The provider's script templates, resolved against the stdlib.
    pub templates: TemplateSet,
    pub kubeconfig: String,
    pub region: Option<String>,
    pub version: String,
    pub pools: Vec<PoolPlan>,
    pub servers: u32,
    pub agents: u32,
    pub ports: Vec<String>,
    pub local_registry: Option<String>,
    /// The cluster's name at the provider (`cluster_name`, else the deployment's).
    pub cluster: String,
    /// The AKS resource group (`resource_group`, else `<cluster>-rg`); None elsewhere.
    pub resource_group: Option<String>,
    /// The provider settings the target sets (`vpc`, `tags`, `maintenance`, …), in the
    /// provider's order.
    pub settings: Vec<(String, model::SettingValue)>,
    /// The DNS domain the provider's scripts keep the routes' records in (a `domain` setting).
    pub dns_domain: Option<String>,
    /// Load balancers are reached at the Service's address, not on localhost (kind).
    pub lb_on_service_address: bool,
    /// The node image that runs the declared version (local clusters).
    pub node_image: Option<String>,
    /// Bundled components switched off because the stack replaces them.
    pub displaced: Vec<String>,
    /// Where the provider's registry is created for this cluster's region.
    pub registry_region: Option<String>,
    /// The Secret the pods pull the deployment's registry with (`registry-NAME` on DOCR).
    pub pull_secret: Option<String>,
    pub load_balancer_cents: u64,
    pub control_plane_cents: u64,
    pub prices_source: String,
    pub prices_as_of: String,
    /// The provider's tools, for the runbook's prerequisites.
    pub tools: Vec<model::ProviderTool>,
    /// What teardown's leftover check looks for, in a phrase.
    pub leftovers: String,
}

#[derive(Debug, Clone)]
pub struct PoolPlan {
    pub name: String,
    pub size: String,
    pub count: u32,
    pub min: u32,
    pub max: u32,
    pub autoscale: bool,
    pub control_plane: bool,
    pub cpu: String,
    pub memory: String,
    pub price_cents: u64,
}

/// A Kubernetes Secret created by `deploy.sh` from environment variables.
#[derive(Debug, Clone)]
pub struct SecretPlan {
    pub name: String,
    /// (key in the Secret, environment variable).
    pub keys: Vec<(String, String)>,
    /// Keys synced from an external store by External Secrets (then `keys` is empty).
    pub external: Vec<model::ExternalKey>,
}

/// A component to install with Helm.
#[derive(Debug, Clone)]
pub struct StackComponent {
    pub name: String,
    pub title: String,
    pub namespace: String,
    pub repo: String,
    pub chart: String,
    pub version: String,
    pub values: Vec<(String, String)>,
    pub ready: Vec<String>,
    pub provides: Vec<String>,
    /// 0-based install stage.
    pub stage: usize,
    /// Why the compiler added it, when the user did not list it.
    pub added_because: Option<String>,
}

/// A Strimzi Kafka cluster (KRaft, one node pool) and its topics.
#[derive(Debug, Clone)]
pub struct Kafka {
    pub name: String,
    pub brokers: u32,
    pub storage: String,
    pub broker_cpu: String,
    pub broker_memory: String,
    pub topics: Vec<model::Topic>,
    pub stage: usize,
}

#[derive(Debug, Clone)]
pub struct DaprPubsub {
    pub name: String,
    pub brokers: String,
    pub stage: usize,
}

/// The port (by name and number) and path a ServiceMonitor scrapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsEndpoint {
    pub port: String,
    pub number: u16,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Monitoring {
    pub release: String,
    pub stage: usize,
    /// The file's own alerts (`alert NAME { … }`), in its order.
    pub alerts: Vec<crate::vocab::UserAlert>,
    /// Where alerts are sent (`receiver NAME { … }`); none writes no AlertmanagerConfig.
    pub receivers: Vec<crate::vocab::Receiver>,
    /// What the capacity analysis counted: the requests of every pod at its replica maximum
    /// (services, sidecars and the stack), CPU in millicores and memory in bytes, for the
    /// capacity dashboard to draw against what the cluster has.
    pub planned_requests: (u64, u64),
}

#[derive(Debug, Clone)]
pub struct ArgoApplication {
    /// The Application's name: the deployment's, with the environment's after it.
    pub name: String,
    pub namespace: String,
    pub repo: String,
    pub path: String,
    pub revision: String,
    pub stage: usize,
}

impl Plan {
    /// The environment whose cluster this one runs on, when that is another environment's
    /// (then this one has no provision or teardown script of its own and pays for no nodes).
    pub fn cluster_host(&self) -> Option<&str> {
        self.environment.as_ref().filter(|e| !e.owns_cluster()).map(|e| e.cluster_owner())
    }

    /// The routes' hosts, sorted, each once.
    pub fn route_hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> =
            self.services.iter().filter_map(|s| s.route.as_ref().map(|r| r.host.as_str())).collect();
        hosts.sort_unstable();
        hosts.dedup();
        hosts
    }

    /// The Argo CD sync wave of objects provided by a component at `stage` (the namespace is
    /// wave 0; the app's own objects come after every stage).
    pub fn wave_after(stage: usize) -> String {
        (stage + 1).to_string()
    }

    /// The sync wave of the services' objects.
    pub fn app_wave(&self) -> String {
        (self.stage_count + 1).to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Issuer {
    pub name: String,
    pub email: String,
    /// The ACME directory; `None` for a self-signed issuer.
    pub server: Option<String>,
    pub ingress_class: String,
}

/// A service's image built from source: `image` (`registry/repo:tag`, as the pods pull it,
/// without the digest) is built from `context` and pushed, and its digest recorded in the lock.
#[derive(Debug, Clone)]
pub struct ImageBuild {
    pub image: String,
    /// The build context, relative to the `.deploy` file's directory (`.` for that directory).
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The image as the pods pull it: with the registry prefixed, and with the lock's digest
    /// (`repo:tag@sha256:…`) when the lock has one.
    pub image: String,
    /// (name, number); the first is the main port.
    pub ports: Vec<(String, u16)>,
    pub replicas: Replicas,
    pub autoscale_cpu: u32,
    pub autoscale_memory: Option<u32>,
    pub cpu: (String, String),
    pub memory: (String, String),
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
    pub env: Vec<(String, String)>,
    /// The variables filled from Secrets created at deploy time.
    pub secret_env: Vec<SecretEnv>,
    /// The user and group the containers run as; `None` when the file allows root.
    pub run_as: Option<(i64, i64)>,
    /// Paths the image writes that no volume covers: each gets an `emptyDir`.
    pub scratch: Vec<String>,
    /// The lowest port below 1024 the service binds as a non-root user: the pod lowers
    /// `net.ipv4.ip_unprivileged_port_start` to it.
    pub unprivileged_port_start: Option<u16>,
    /// Pod annotations that configure an injected sidecar (Dapr's resources, its secret store).
    pub sidecar_annotations: Vec<(String, String)>,
    /// The image contract applied, with the facts for this image's tag.
    pub contract: Option<Box<model::AppliedContract>>,
    /// The sidecar injected into the pods (Dapr's `daprd`), as its component describes it.
    pub sidecar: Option<Box<model::Sidecar>>,
    pub route: Option<Route>,
    /// Dapr app id, and the port Dapr calls the app on (none for an app without a port).
    pub dapr: Option<(String, Option<u16>)>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// `Some(min_available)` when a PodDisruptionBudget is emitted; `None` for a minimum of one
    /// replica, where any budget would block every eviction.
    pub min_available: Option<PodBudget>,
    /// How a pod stops: seconds it keeps serving while its endpoint is removed (a `preStop`
    /// sleep; 0 for none), the grace period, and the rolling update's `maxUnavailable`.
    pub release: Release,
    pub annotations: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub volumes: Vec<(String, String, String)>,
    /// Where Prometheus scrapes the service (`metrics = "/path"`, or a port named `metrics`).
    pub metrics: Option<MetricsEndpoint>,
    /// The service's objectives, in the file's order.
    pub slos: Vec<crate::vocab::Slo>,
    /// Services this one calls (`uses`).
    pub uses: Vec<String>,
    /// Destinations outside the cluster it may call.
    pub egress: Vec<model::Egress>,
    /// Where the image is built from (`build = …`), for `scripts/build-images.sh`.
    pub build: Option<ImageBuild>,
    /// Written exceptions to the secure defaults.
    pub exceptions: Vec<model::Exception>,
    pub replicas_text: String,
}

impl Service {
    /// Whether the file allows the exception `name` for this service.
    pub fn allows(&self, name: &str) -> bool {
        self.exceptions.iter().any(|e| e.name == name)
    }

    /// `deployment/NAME` or `statefulset/NAME`, for `kubectl rollout status`.
    pub fn workload(&self) -> String {
        let kind = if self.volumes.is_empty() { "deployment" } else { "statefulset" };
        format!("{kind}/{}", self.name)
    }
}

/// One variable filled from a key of a Secret.
#[derive(Debug, Clone)]
pub struct SecretEnv {
    pub variable: String,
    pub secret: String,
    pub key: String,
    /// Mounted as a file, with `VARIABLE_FILE` naming it, rather than set as the variable.
    pub file: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum PodBudget {
    MinAvailable(u32),
    MaxUnavailable(u32),
}

/// The release mechanics of one service, derived from its routes, ports and disruption budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The `preStop` sleep: how long a terminating pod keeps serving while every ingress
    /// controller and kube-proxy drops its endpoint (0: no `preStop`).
    pub drain: u32,
    /// `terminationGracePeriodSeconds`: the drain plus the app's own shutdown, which both count
    /// against it (the countdown starts before `preStop` runs).
    pub grace: u32,
    /// The rolling update's `maxUnavailable`: Kubernetes' default (25% of the replicas, rounded
    /// down), lowered so that a rollout never goes below the disruption budget, which
    /// Kubernetes does not apply to rollouts.
    pub max_unavailable: u32,
    /// Spread the replicas over nodes and zones (more than one replica).
    pub spread: bool,
}

/// The default `drain` of a service behind a route: ingress-nginx 1.13 applies an EndpointSlice
/// change at most every 3.3 s (`--sync-rate-limit` 0.3) and its workers re-read backends every
/// second; Traefik 3.5 throttles its Kubernetes provider for 2 s (notes/release-mechanics-
/// research.md §2). Ten seconds covers either with room for the watch itself.
pub const DRAIN_ROUTED_SECONDS: u32 = 10;
/// The default `drain` of a service only other pods call: kube-proxy reprograms each node's
/// rules about a second after the EndpointSlice changes.
pub const DRAIN_INTERNAL_SECONDS: u32 = 5;
/// The default `shutdown`: what the app gets after SIGTERM, so that the grace period is
/// Kubernetes' own default of 30 s for a routed service.
pub const SHUTDOWN_SECONDS: u32 = 20;

#[derive(Debug, Clone)]
pub struct Probe {
    pub action: ProbeAction,
    /// What the file set; emit fills the rest from the role's defaults.
    pub timing: model::ProbeTiming,
}

#[derive(Debug, Clone)]
pub enum ProbeAction {
    Http { path: String, port: u16 },
    Tcp { port: u16 },
    Exec { command: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct Route {
    pub host: String,
    pub path: String,
    pub port: u16,
    /// The TLS secret, `None` for plain HTTP.
    pub tls_secret: Option<String>,
    /// The cert-manager issuer that fills `tls_secret`.
    pub issuer: Option<String>,
}

/// Lower a checked deployment (no errors) to its plan. The model is consumed: its strings
/// move into the plan instead of being copied.
pub fn lower(mut deployment: Deployment) -> Plan {
    // The cost reads the services' routes: whether the load balancer bills is known before they
    // move into the plan.
    let load_balancer = crate::check::analysis::cluster_has_load_balancer(&deployment);
    // What the capacity analysis counted, for the capacity dashboard (before the services move).
    let planned_requests = crate::check::analysis::planned_requests(&deployment);
    let ingress_class = deployment.ingress.as_ref().map(|(_, class)| class.clone());
    let issuers = std::mem::take(&mut deployment.issuers)
        .into_iter()
        .map(|i| Issuer {
            name: i.name.value,
            email: i.email,
            server: match i.server {
                IssuerServer::Production => Some("https://acme-v02.api.letsencrypt.org/directory".into()),
                IssuerServer::Staging => Some("https://acme-staging-v02.api.letsencrypt.org/directory".into()),
                IssuerServer::SelfSigned => None,
            },
            ingress_class: ingress_class.clone().unwrap_or_else(|| "traefik".into()),
        })
        .collect();
    let services = std::mem::take(&mut deployment.services);
    let services = services.into_iter().map(|s| lower_service(&deployment, s)).collect();
    // Annotations a LoadBalancer Service needs on this provider, passed to the charts whose
    // Service takes them (`helm --set` keys escape the annotation's dots).
    let lb_annotations: Vec<(String, String)> =
        match (&deployment.provider.load_balancer_location_annotation, &deployment.target.region) {
            (Some(key), Some(region)) => vec![(key.replace('.', "\\."), region.value.clone())],
            _ => Vec::new(),
        };
    let local = deployment.provider.kind == model::ProviderKind::Local;
    let mut stack = Vec::new();
    let mut stage_of: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for (stage, indexes) in deployment.stages.iter().enumerate() {
        for entry in indexes.iter().filter_map(|i| deployment.stack.get(*i)) {
            let c = &entry.component;
            stage_of.insert(c.name.clone(), stage);
            stack.push(StackComponent {
                name: c.name.clone(),
                title: c.title.clone(),
                namespace: c.namespace.clone(),
                repo: c.helm.repo.clone(),
                chart: c.helm.chart.clone(),
                version: c.helm.version.clone(),
                values: c
                    .helm
                    .values
                    .iter()
                    .cloned()
                    .chain(c.options.iter().filter_map(|o| {
                        let key = o.helm_value.clone()?;
                        entry.option(&o.name).map(|v| (key, v.to_string()))
                    }))
                    .chain(c.helm.local_values.iter().filter(|_| local).cloned())
                    .chain(c.service_annotations.iter().flat_map(|path| {
                        lb_annotations.iter().map(move |(key, value)| (format!("{path}.{key}"), value.clone()))
                    }))
                    .collect(),
                ready: c.ready.clone(),
                provides: c.provides.clone(),
                stage,
                added_because: match &entry.origin {
                    Origin::Added(reason) => Some(reason.clone()),
                    _ => None,
                },
            });
        }
    }
    let bundled =
        deployment.stack.iter().filter(|e| e.origin == Origin::Bundled).map(|e| e.component.name.clone()).collect();
    // The stage a kind's provider is installed in; bundled providers count as stage 0.
    let provider_stage = |kind: &str| {
        deployment
            .stack
            .iter()
            .find(|e| e.component.provides_kind(kind))
            .map(|e| stage_of.get(&e.component.name).copied().unwrap_or(0))
    };
    let kafka = deployment.stack.iter().find(|e| e.component.provides_kind("Kafka")).map(|e| Kafka {
        name: "kafka".to_string(),
        brokers: e.option("brokers").and_then(|b| b.parse().ok()).unwrap_or(1),
        storage: e.option("storage").unwrap_or("10Gi").to_string(),
        broker_cpu: e.option("broker_cpu").unwrap_or("250m").to_string(),
        broker_memory: e.option("broker_memory").unwrap_or("1Gi").to_string(),
        topics: e.topics.clone(),
        stage: provider_stage("Kafka").unwrap_or(0),
    });
    let dapr_pubsub = match (&kafka, provider_stage("Component")) {
        (Some(k), Some(dapr_stage)) => Some(DaprPubsub {
            name: "pubsub".to_string(),
            brokers: format!("{}-kafka-bootstrap.{}.svc:9092", k.name, deployment.namespace),
            stage: dapr_stage.max(k.stage),
        }),
        _ => None,
    };
    let monitoring =
        deployment.stack.iter().find(|e| e.component.provides_kind("ServiceMonitor")).map(|e| Monitoring {
            release: e.component.name.clone(),
            stage: provider_stage("ServiceMonitor").unwrap_or(0),
            alerts: e.alerts.iter().map(|a| a.value.clone()).collect(),
            receivers: e.receivers.iter().map(|r| r.receiver.clone()).collect(),
            planned_requests,
        });
    let argo_application = deployment.stack.iter().find(|e| e.component.provides_kind("Application")).and_then(|e| {
        let repo = e.option("repo").unwrap_or("").to_string();
        let environment = deployment.environment.as_ref();
        // Each environment's manifests are built into `environments/NAME/manifests`.
        let written_path = e.options.iter().find(|(k, _)| k == "path").map(|(_, v)| v.clone());
        let path = match (written_path, environment) {
            (Some(path), _) => path,
            (None, Some(env)) => format!("environments/{}/manifests", env.name),
            (None, None) => e.option("path").unwrap_or(".").to_string(),
        };
        (!repo.is_empty()).then(|| ArgoApplication {
            name: match environment {
                Some(env) => format!("{}-{}", deployment.name.value, env.name),
                None => deployment.name.value.clone(),
            },
            namespace: e.component.namespace.clone(),
            repo,
            path,
            revision: e.option("revision").unwrap_or("HEAD").to_string(),
            stage: provider_stage("Application").unwrap_or(0),
        })
    });
    let provider = &deployment.provider;
    let target = TargetPlan {
        provider: provider.name.clone(),
        title: provider.title.clone(),
        cli: provider.cli.clone(),
        kind: provider.kind,
        templates: TemplateSet::resolve(&provider.templates),
        kubeconfig: provider.kubeconfig.clone(),
        region: deployment.target.region.as_ref().map(|r| r.value.clone()),
        version: deployment.target.version.clone(),
        pools: deployment
            .target
            .pools
            .iter()
            .map(|p| {
                let size = provider.sizes.iter().find(|s| s.name == p.size.value);
                let (min, max) = p.autoscale.unwrap_or((p.count, p.count));
                PoolPlan {
                    name: p.name.clone(),
                    size: p.size.value.clone(),
                    count: p.count,
                    min,
                    max,
                    autoscale: p.autoscale.is_some(),
                    control_plane: p.control_plane,
                    cpu: size.map(|s| s.cpu.to_k8s()).unwrap_or_default(),
                    memory: size.map(|s| s.memory.to_k8s()).unwrap_or_default(),
                    price_cents: size.map(|s| s.price.cents).unwrap_or(0),
                }
            })
            .collect(),
        servers: deployment.target.servers,
        agents: deployment.target.agents,
        ports: deployment.target.ports.clone(),
        local_registry: deployment.target.registry.clone(),
        lb_on_service_address: deployment.provider.load_balancer_on_service_address,
        cluster: deployment.target.cluster_name.clone().unwrap_or_else(|| deployment.name.value.clone()),
        resource_group: deployment.target.resource_group.clone(),
        dns_domain: deployment.target.settings.iter().find_map(|(name, value)| match value {
            model::SettingValue::Text(zone)
                if provider.settings.iter().any(|s| s.name == *name && s.kind == model::SettingKind::Domain) =>
            {
                Some(zone.clone())
            }
            _ => None,
        }),
        settings: std::mem::take(&mut deployment.target.settings),
        node_image: provider.node_image(&deployment.target.version).map(String::from),
        displaced: deployment.displaced.clone(),
        registry_region: deployment.target.region.as_ref().map(|region| {
            provider
                .registry_regions
                .iter()
                .find(|(from, _)| *from == region.value)
                .map_or_else(|| region.value.clone(), |(_, to)| to.clone())
        }),
        pull_secret: pull_secret(provider, deployment.registry.as_deref()),
        load_balancer_cents: provider.load_balancer_price.cents,
        control_plane_cents: provider.control_plane_price.cents,
        prices_source: provider.prices_source.clone(),
        prices_as_of: provider.prices_as_of.clone(),
        tools: provider.tools.clone(),
        leftovers: provider.leftovers.clone().unwrap_or_else(|| "clusters and registries".to_string()),
    };
    let cost = crate::vocab::monthly_cost(
        target.pools.iter().map(|p| PoolPrice {
            pool: &p.name,
            size: &p.size,
            count: p.count,
            max: p.max,
            price_cents: p.price_cents,
        }),
        target.control_plane_cents,
        load_balancer.then_some(target.load_balancer_cents),
    );
    let secrets = std::mem::take(&mut deployment.secrets)
        .into_iter()
        .map(|s| SecretPlan { name: s.name.value, keys: s.keys, external: s.external })
        .collect();
    let namespace_of = |kind: &str| {
        deployment.stack.iter().find(|e| e.component.provides_kind(kind) || e.component.name == kind).map(|e| {
            // k3s runs its bundled components in kube-system.
            if e.origin == Origin::Bundled { "kube-system".to_string() } else { e.component.namespace.clone() }
        })
    };
    // A controller the provider bundles (k3s' Traefik) runs in kube-system.
    let ingress_namespace = deployment.ingress.as_ref().map(|(component, _)| {
        deployment
            .stack
            .iter()
            .find(|e| &e.component.name == component && e.origin != Origin::Bundled)
            .map(|e| e.component.namespace.clone())
            .unwrap_or_else(|| "kube-system".to_string())
    });
    let network = NetworkPlan {
        ingress_namespace,
        monitoring_namespace: namespace_of("ServiceMonitor"),
        dapr_namespace: namespace_of("dapr"),
    };
    Plan {
        cost,
        network,
        target,
        registry: deployment.registry,
        secrets,
        domain: deployment.domain.map(|d| d.value),
        budget_cents: deployment.budget.map(|b| b.value.cents),
        stack,
        bundled,
        stage_count: deployment.stages.len(),
        kafka,
        dapr_pubsub,
        monitoring,
        argo_application,
        pipeline: deployment.pipeline.as_ref().map(|p| p.lowered()),
        environment: deployment.environment,
        source_name: deployment.source_name,
        deployment: deployment.name.value,
        namespace: deployment.namespace,
        provider: deployment.provider.name,
        ingress_controller: deployment.ingress.map(|(name, _)| name),
        ingress_service: deployment.ingress_service,
        ingress_class,
        issuers,
        services,
        criteria: deployment.success,
    }
}

/// The user and group every container runs as unless the image needs otherwise: a high,
/// unprivileged UID that no image's `/etc/passwd` maps to a system account.
pub const DEFAULT_USER: i64 = 10001;

/// One service of the plan. `deployment` is the rest of the model (its `services` taken out).
fn lower_service(deployment: &Deployment, service: model::Service) -> Service {
    let uses_http = service.route.is_some()
        || service.metrics.is_some()
        || [&service.liveness, &service.readiness]
            .iter()
            .any(|p| matches!(p, Some(model::Probe { kind: ProbeKind::Http { .. }, .. })));
    let ports: Vec<(String, u16)> = service
        .ports
        .into_iter()
        .map(|p| {
            let name = if !p.name.is_empty() {
                p.name
            } else if uses_http {
                "http".to_string()
            } else {
                "tcp".to_string()
            };
            (name, p.number)
        })
        .collect();
    let metrics_port = ports.iter().find(|p| p.0 == "metrics").or(ports.first()).cloned();
    let metrics = match (service.metrics, metrics_port) {
        (Some(path), Some((port, number))) => Some(MetricsEndpoint { port, number, path: path.value }),
        (None, Some((port, number))) if port == "metrics" => {
            Some(MetricsEndpoint { port, number, path: "/metrics".to_string() })
        }
        _ => None,
    };
    let first_port = ports.first().map(|p| p.1);
    let main_port = first_port.unwrap_or(80);
    let probe = |p: Option<model::Probe>| {
        p.map(|p| Probe {
            action: match p.kind {
                ProbeKind::Http { path, port } => {
                    ProbeAction::Http { path, port: port.map(|x| x.value).unwrap_or(main_port) }
                }
                ProbeKind::Tcp { port } => ProbeAction::Tcp { port: port.value },
                ProbeKind::Exec { command } => ProbeAction::Exec { command },
            },
            timing: p.timing,
        })
    };
    let as_file = !service.exceptions.iter().any(|e| e.name == "secret_env");
    let mut secret_env: Vec<SecretEnv> = service
        .secrets
        .iter()
        .filter_map(|name| deployment.secrets.iter().find(|s| s.name.value == name.value))
        .flat_map(|secret| {
            secret
                .key_names()
                .map(|key| SecretEnv {
                    variable: key.to_string(),
                    secret: secret.name.value.clone(),
                    key: key.to_string(),
                    file: as_file,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for var in &service.secret_vars {
        // `VAR = secret(NAME, KEY)` wins over a key of the same name from `secrets`.
        secret_env.retain(|s| s.variable != var.variable);
        secret_env.push(SecretEnv {
            variable: var.variable.clone(),
            secret: var.secret.value.clone(),
            key: var.key.value.clone(),
            file: as_file,
        });
    }
    let root = service.exceptions.iter().any(|e| e.name == "run_as_root");
    let mut exceptions = service.exceptions;
    let mut env = service.env;
    let mut scratch = Vec::new();
    let mut run_as = (!root).then_some((DEFAULT_USER, DEFAULT_USER));
    if let Some(contract) = &service.contract {
        for (key, value) in &contract.facts.env {
            if !env.iter().any(|(k, _)| k == key) {
                env.push((key.clone(), value.clone()));
            }
        }
        let covered = |path: &str| {
            path == "/tmp"
                || service.volumes.iter().any(|v| {
                    path.strip_prefix(v.mount.trim_end_matches('/'))
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                })
        };
        scratch = contract.facts.writes.iter().filter(|p| !covered(p)).cloned().collect();
        if !root && !contract.facts.any_user {
            let (user, group) = (i64::from(contract.facts.user), i64::from(contract.facts.group));
            run_as = Some((user, group));
            if user < DEFAULT_USER {
                exceptions.push(model::Exception {
                    name: "image_user".into(),
                    reason: format!(
                        "{} starts only as its own user {user} (group {group}), not under an arbitrary UID; source: {}",
                        contract.title, contract.source
                    ),
                    span: service.image.span,
                    chosen: true,
                });
            }
        }
    }
    let unprivileged_port_start = if root { None } else { ports.iter().map(|p| p.1).filter(|p| *p < 1024).min() };
    let min_available = match (service.min_available.as_ref(), service.replicas.min()) {
        (Some(min), _) => Some(PodBudget::MinAvailable(min.value)),
        (None, n) if n >= 2 => Some(PodBudget::MaxUnavailable(1)),
        _ => None,
    };
    let seconds = |d: Option<model::Spanned<u64>>| d.map(|d| u32::try_from(d.value).unwrap_or(u32::MAX));
    let drain = seconds(service.drain).unwrap_or(if service.route.is_some() {
        DRAIN_ROUTED_SECONDS
    } else if ports.is_empty() {
        0
    } else {
        DRAIN_INTERNAL_SECONDS
    });
    let replicas = service.replicas.min();
    let budget_allows = match min_available {
        Some(PodBudget::MinAvailable(min)) => replicas.saturating_sub(min),
        Some(PodBudget::MaxUnavailable(most)) => most,
        None => replicas,
    };
    // An injected sidecar's own shutdown (daprd: 5 s) must fit in the grace period after the
    // drain, or it is killed mid-shutdown.
    // The Dapr sidecar injected into this service's pods, if any.
    let sidecar = service.dapr.as_ref().and(deployment.sidecar("dapr"));
    let sidecar_shutdown = sidecar.map_or(0, |s| u32::try_from(s.shutdown).unwrap_or(u32::MAX));
    let release = Release {
        drain,
        grace: drain
            .saturating_add(seconds(service.shutdown).unwrap_or(SHUTDOWN_SECONDS))
            .max(drain.saturating_add(sidecar_shutdown)),
        max_unavailable: (replicas / 4).min(budget_allows),
        spread: service.replicas.max() >= 2,
    };
    let sidecar_annotations = match (&service.dapr, sidecar) {
        (Some(dapr), Some(sidecar)) => {
            let mut out = Vec::new();
            let mut set = |role: &str, value: String| {
                if let Some(annotation) = sidecar.annotation(role) {
                    out.push((annotation.to_string(), value));
                }
            };
            set("cpu_request", sidecar.cpu.0.to_k8s());
            set("cpu_limit", sidecar.cpu.1.to_k8s());
            set("memory_request", sidecar.memory.0.to_k8s());
            set("memory_limit", sidecar.memory.1.to_k8s());
            if let Some(port) = &dapr.metrics_port {
                set("metrics_port", port.value.to_string());
            }
            // daprd keeps serving the app while the pod drains and the app shuts down, and then
            // has its own shutdown inside the grace period (which leaves room for it).
            let block = release.grace.saturating_sub(sidecar_shutdown);
            if block > 0 {
                set("block_shutdown", format!("{block}s"));
            }
            // deployc never mounts the service-account token.
            out.extend(sidecar.without_token.iter().cloned());
            out
        }
        _ => Vec::new(),
    };
    let route = service.route.map(|r| Route {
        host: r.host.value,
        path: r.path,
        port: main_port,
        tls_secret: match &r.tls {
            RouteTls::None => None,
            RouteTls::Issuer(_) => Some(format!("{}-tls", service.name.value)),
            RouteTls::Secret(name) => Some(name.clone()),
        },
        issuer: match r.tls {
            RouteTls::Issuer(i) => Some(i.value),
            _ => None,
        },
    });
    let pulled = full_image_owned(deployment.registry.as_deref(), service.image.value);
    let build = service.build.map(|b| ImageBuild {
        image: pulled.clone(),
        context: b.context,
        dockerfile: b.dockerfile.unwrap_or_else(|| "Dockerfile".to_string()),
    });
    let image = match service.locked_digest {
        Some(digest) => format!("{pulled}@{digest}"),
        None => pulled,
    };
    Service {
        name: service.name.value,
        image,
        build,
        ports,
        replicas: service.replicas,
        autoscale_cpu: service.autoscale_cpu,
        autoscale_memory: service.autoscale_memory,
        cpu: (service.cpu.request.to_k8s(), service.cpu.limit.to_k8s()),
        memory: (service.memory.request.to_k8s(), service.memory.limit.to_k8s()),
        liveness: probe(service.liveness),
        readiness: probe(service.readiness),
        startup: probe(service.startup),
        env,
        secret_env,
        run_as,
        scratch,
        unprivileged_port_start,
        sidecar_annotations,
        contract: service.contract,
        sidecar: sidecar.cloned().map(Box::new),
        route,
        dapr: service.dapr.map(|d| (d.app_id, d.app_port.or(first_port))),
        command: service.command,
        args: service.args,
        min_available,
        release,
        annotations: service.annotations,
        labels: service.labels,
        volumes: service.volumes.into_iter().map(|v| (v.name, v.size.to_k8s(), v.mount)).collect(),
        metrics,
        slos: service.slos.into_iter().map(|s| s.value).collect(),
        uses: service.uses.into_iter().map(|u| u.value).collect(),
        egress: service.egress,
        exceptions,
        replicas_text: match service.replicas {
            Replicas::Fixed(n) => n.to_string(),
            Replicas::Range(a, b) => format!("{a}..{b}"),
        },
    }
}

/// The pull Secret of the deployment's registry, when it is the provider's own and the
/// provider's CLI writes one (`registry-todo-app-registry` for
/// `registry.digitalocean.com/todo-app-registry`).
fn pull_secret(provider: &model::Provider, registry: Option<&str>) -> Option<String> {
    let host = provider.registry_host.as_deref()?;
    let prefix = provider.pull_secret_prefix.as_deref()?;
    let name = registry?.strip_prefix(host)?.strip_prefix('/')?.split('/').next()?;
    (!name.is_empty()).then(|| format!("{prefix}{name}"))
}

/// Prefix the deployment's registry to an image that names none (`todo-backend:1.0.0`).
/// An image names a registry when its first path segment has a `.` or `:`, or is `localhost`.
pub fn full_image(registry: Option<&str>, image: &str) -> String {
    let names_registry = crate::vocab::names_registry(image);
    match registry {
        Some(registry) if !names_registry => format!("{}/{image}", registry.trim_end_matches('/')),
        _ => image.to_string(),
    }
}

/// [`full_image`], keeping `image` itself when it needs no prefix.
fn full_image_owned(registry: Option<&str>, image: String) -> String {
    match registry {
        Some(_) => full_image(registry, &image),
        None => image,
    }
}
