//! The typed model: what the checker produces and `lower` consumes. Every value here has been
//! type-checked; spans remain so that semantic checks can point at the user's text.

use crate::source::Span;

// The vocabulary the plan and the backends share, defined in `crate::vocab` and named here
// too so that the checker reads as before.
pub use crate::vocab::{
    Criterion, Decimal, EXCEPTIONS, HttpTls, Money, ProviderKind, Release, Replicas, SettingValue, Slo, SloKind,
};

/// A value with the span of the text it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// CPU in millicores, with the canonical Kubernetes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpu {
    pub millis: u64,
}

impl Cpu {
    /// `2` for whole cores, `250m` otherwise.
    pub fn to_k8s(self) -> String {
        if self.millis.is_multiple_of(1000) { format!("{}", self.millis / 1000) } else { format!("{}m", self.millis) }
    }
}

/// Memory in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Memory {
    pub bytes: u64,
}

impl Memory {
    /// The largest binary unit that divides exactly (`512Mi`, `2Gi`), else bytes.
    pub fn to_k8s(self) -> String {
        const UNITS: [(&str, u64); 4] = [("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)];
        for (unit, size) in UNITS {
            if self.bytes >= size && self.bytes.is_multiple_of(size) {
                return format!("{}{unit}", self.bytes / size);
            }
        }
        format!("{}", self.bytes)
    }
}

/// A request..limit pair (equal when one value was written).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource<T> {
    pub request: T,
    pub limit: T,
    pub span: Span,
}

/// A provider from the stdlib or a user library.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub title: String,
    pub cli: String,
    pub kind: ProviderKind,
    pub region_attribute: String,
    pub regions: Vec<String>,
    pub versions: Vec<String>,
    pub default_version: String,
    pub bundles: Vec<String>,
    pub sizes: Vec<Size>,
    pub load_balancer_price: Money,
    pub control_plane_price: Money,
    pub prices_source: String,
    pub prices_as_of: String,
    /// The embedded script-template set (`stdlib/providers/<templates>/`).
    pub templates: String,
    /// How the kubeconfig is obtained, in one sentence (for the runbook).
    pub kubeconfig: String,
    /// Node images by Kubernetes version (local clusters: `rancher/k3s:v1.33.7-k3s3`); the
    /// one whose tag starts with `v<version>.` runs the declared version.
    pub node_images: Vec<String>,
    /// The annotation a LoadBalancer Service needs to get a load balancer in the target's
    /// region (Hetzner: `load-balancer.hetzner.cloud/location`).
    pub load_balancer_location_annotation: Option<String>,
    /// A local cluster's load balancers are reached at the Service's address (kind with
    /// cloud-provider-kind), not on this machine's published ports (k3d).
    pub load_balancer_on_service_address: bool,
    /// (version, `YYYY-MM-DD`): the day each version's support ends on this provider.
    pub end_of_life: Vec<(String, String)>,
    /// Where the support windows come from, and when they were read.
    pub support_source: String,
    /// The provider's container registry (`registry.digitalocean.com`), the region a cluster's
    /// registry goes to for each cluster region, and the prefix of the pull Secret its CLI
    /// writes for a registry (`registry-`).
    pub registry_host: Option<String>,
    pub registry_regions: Vec<(String, String)>,
    pub pull_secret_prefix: Option<String>,
    /// The provider keeps a cluster in a named resource group that a target may choose
    /// (`resource_groups = true`: Azure).
    pub resource_groups: bool,
    /// The target settings this provider's users expect (`setting NAME { … }`), in order.
    pub settings: Vec<ProviderSetting>,
    /// The provider's own tools (`tool NAME { why, install }`), in the order the runbook lists
    /// them before `kubectl`; when it declares none, those of the stdlib provider whose
    /// template set it uses (`check::inherit_tools`).
    pub tools: Vec<ProviderTool>,
    /// What teardown's leftover check looks for, in a phrase (`leftovers`, for the runbook;
    /// inherited like `tools`).
    pub leftovers: Option<String>,
    pub span: Span,
}

/// A command-line tool the provider's scripts run (`tool doctl { … }` in its stdlib file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderTool {
    pub name: String,
    /// What the scripts use it for.
    pub why: String,
    /// Where to get it: a URL or a short instruction.
    pub install: String,
}

/// A target setting a provider offers (`setting vpc { type = uuid … }` in its stdlib file):
/// the user's value is checked against `kind` and handed to the provider's scripts.
#[derive(Debug, Clone)]
pub struct ProviderSetting {
    pub name: String,
    pub kind: SettingKind,
    /// What it does, in one sentence, for diagnostics and the runbook.
    pub help: String,
    /// The tool flag or config key it becomes, and where that was read.
    pub source: String,
}

/// The value types of target settings; each has one checking rule in `check::deployment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// A UUID (DigitalOcean VPC and project IDs).
    Uuid,
    /// A Google Cloud project ID: 6-30 lowercase letters, digits and `-`, from a letter.
    GcpProject,
    /// A lowercase name: 1-63 letters, digits and `-`, from a letter (a Hetzner network).
    Name,
    /// A list of AWS subnet IDs (`subnet-0abc…`).
    AwsSubnets,
    /// A list of zones of the target's region (`europe-west1-b`).
    Zones,
    /// A list of IPv4 or IPv6 address ranges (`203.0.113.0/24`).
    Cidrs,
    /// A `tags { key = "value" }` block.
    Tags,
    /// `true` or `false`.
    Bool,
    /// A weekly window start in UTC: `"saturday 02:00"`.
    Window,
    /// A file path on the operator's machine (`~/.ssh/id_ed25519.pub`).
    Path,
    /// A DNS domain (`example.com`) every route host must be in or under.
    Domain,
}

impl SettingKind {
    /// The word a provider file writes for this kind.
    pub const WORDS: [(&'static str, SettingKind); 11] = [
        ("uuid", SettingKind::Uuid),
        ("gcp_project", SettingKind::GcpProject),
        ("name", SettingKind::Name),
        ("aws_subnets", SettingKind::AwsSubnets),
        ("zones", SettingKind::Zones),
        ("cidrs", SettingKind::Cidrs),
        ("tags", SettingKind::Tags),
        ("bool", SettingKind::Bool),
        ("window", SettingKind::Window),
        ("path", SettingKind::Path),
        ("domain", SettingKind::Domain),
    ];
}

/// A node size a provider offers.
#[derive(Debug, Clone)]
pub struct Size {
    pub name: String,
    pub cpu: Cpu,
    pub memory: Memory,
    pub allocatable_cpu: Cpu,
    pub allocatable_memory: Memory,
    pub price: Money,
    /// When the provider stopped offering it (its successor, if it has one).
    pub retired: Option<String>,
    pub successor: Option<String>,
}

/// A platform component from the stdlib or a user library.
#[derive(Debug, Clone)]
pub struct Component {
    pub name: String,
    pub title: String,
    pub namespace: String,
    pub helm: Helm,
    pub provides: Vec<String>,
    pub requires: Vec<String>,
    pub ready: Vec<String>,
    pub requests_cpu: Cpu,
    pub requests_memory: Memory,
    pub ingress_class: Option<String>,
    pub deprecated: Option<String>,
    /// The chart value that holds the annotations of its LoadBalancer Service
    /// (`service.annotations`), for providers whose load balancers need one.
    pub service_annotations: Option<String>,
    /// The name of its LoadBalancer Service, whose address the routes' hosts must resolve to.
    pub load_balancer_service: Option<String>,
    pub options: Vec<ComponentOption>,
    /// The sidecar the component injects into the pods that ask for it (Dapr's `daprd`).
    pub sidecar: Option<Sidecar>,
    pub span: Span,
}

/// A container a component's admission webhook injects into app pods, and how its injector
/// is told what to do (`sidecar NAME { … }` in a component).
#[derive(Debug, Clone)]
pub struct Sidecar {
    pub name: String,
    pub cpu: (Cpu, Cpu),
    pub memory: (Memory, Memory),
    /// The pod annotations that set its requests and limits and move its ports, by role:
    /// `cpu_request`, `cpu_limit`, `memory_request`, `memory_limit`, `metrics_port`, and
    /// `block_shutdown`, which keeps it serving the app while the pod drains.
    pub annotations: Vec<(String, String)>,
    /// The ports it binds inside the pod, by name; an app port must not be one of them.
    pub ports: Vec<(String, u16)>,
    /// Annotations (`key=value`) a pod gets when its service-account token is not mounted.
    pub without_token: Vec<(String, String)>,
    /// Seconds it takes to shut down once it starts to (`shutdown`).
    pub shutdown: u64,
    pub source: String,
}

impl Sidecar {
    /// The annotation with `role`, if the injector has one.
    pub fn annotation(&self, role: &str) -> Option<&str> {
        self.annotations.iter().find(|(r, _)| r == role).map(|(_, a)| a.as_str())
    }
}

/// What an image needs at run time (`image NAME { … }`, `stdlib/images/`): the facts a pod
/// spec must honour for the image's entrypoint to start.
#[derive(Debug, Clone)]
pub struct ImageContract {
    pub name: String,
    pub title: String,
    /// The repository names that select this contract (`postgres`, `docker.io/library/postgres`).
    pub repositories: Vec<String>,
    /// Where the facts were read, and when.
    pub source: String,
    pub as_of: String,
    pub facts: ImageFacts,
    /// Tag variants whose facts differ, in order, each with the tag words it applies to: a
    /// name (`alpine`) applies when a word of the tag (split at `-` and `.`) is that name,
    /// alone or followed by digits (`alpine3`); a number (`"17"`) when it is the tag's major.
    pub variants: Vec<(Vec<String>, ImageVariant)>,
    /// The variables the entrypoint also reads from a file named by `VAR_FILE`.
    pub file_env: Vec<String>,
    /// The entrypoint exits on an empty data directory unless one of these is set.
    pub requires_one_of: Vec<String>,
    pub span: Span,
}

/// The facts of one variant of an image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageFacts {
    /// The image's own user and group.
    pub user: u32,
    pub group: u32,
    /// Whether the entrypoint also starts under an arbitrary non-root UID (so deployc's own
    /// high UID works); when false, the pod runs as `user`.
    pub any_user: bool,
    /// Paths the process writes at run time: each needs a volume or an `emptyDir`.
    pub writes: Vec<String>,
    /// Variables the pod sets unless the service sets them.
    pub env: Vec<(String, String)>,
    pub ports: Vec<u16>,
}

/// A variant's changes to the facts; `None` keeps the image's.
#[derive(Debug, Clone, Default)]
pub struct ImageVariant {
    pub user: Option<u32>,
    pub group: Option<u32>,
    pub any_user: Option<bool>,
    pub writes: Option<Vec<String>>,
    pub env: Vec<(String, String)>,
    pub ports: Option<Vec<u16>>,
}

impl ImageContract {
    /// Whether `image` (a reference such as `docker.io/library/postgres:17-alpine`) is one of
    /// this contract's repositories.
    pub fn matches(&self, image: &str) -> bool {
        let repository = image_repository(image);
        self.repositories.iter().any(|r| r == repository)
    }

    /// The facts for an image with `tag`: the image's, changed by each variant that applies.
    pub fn facts_for(&self, tag: &str) -> ImageFacts {
        let mut facts = self.facts.clone();
        for (names, variant) in &self.variants {
            let applies = tag.split(['-', '.']).enumerate().any(|(index, word)| {
                names.iter().any(|name| {
                    if name.bytes().all(|b| b.is_ascii_digit()) {
                        // A version names the major: the tag's first word.
                        index == 0 && word == name
                    } else {
                        word.strip_prefix(name.as_str()).is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()))
                    }
                })
            });
            if !applies {
                continue;
            }
            facts.user = variant.user.unwrap_or(facts.user);
            facts.group = variant.group.unwrap_or(facts.group);
            facts.any_user = variant.any_user.unwrap_or(facts.any_user);
            if let Some(writes) = &variant.writes {
                facts.writes.clone_from(writes);
            }
            if let Some(ports) = &variant.ports {
                facts.ports.clone_from(ports);
            }
            for (key, value) in &variant.env {
                match facts.env.iter_mut().find(|(k, _)| k == key) {
                    Some(slot) => slot.1.clone_from(value),
                    None => facts.env.push((key.clone(), value.clone())),
                }
            }
        }
        facts
    }
}

/// The repository of an image reference: without its tag and digest.
pub fn image_repository(image: &str) -> &str {
    let without_digest = image.split_once('@').map_or(image, |(r, _)| r);
    match without_digest.rsplit_once(':') {
        // A `:` after the last `/` starts the tag; one before it is a registry's port.
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => without_digest,
    }
}

/// The tag of an image reference (empty when it has none).
pub fn image_tag(image: &str) -> &str {
    let without_digest = image.split_once('@').map_or(image, |(r, _)| r);
    match without_digest.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => "",
    }
}

impl Component {
    pub fn provides_kind(&self, kind: &str) -> bool {
        self.provides.iter().any(|p| p.rsplit('/').next() == Some(kind))
    }
}

#[derive(Debug, Clone)]
pub struct Helm {
    pub repo: String,
    pub chart: String,
    pub version: String,
    /// Dotted key to value, as written (`crds.enabled` = `true`).
    pub values: Vec<(String, String)>,
    /// Values added on local clusters, whose nodes are containers (k3d, kind).
    pub local_values: Vec<(String, String)>,
}

/// A setting users may give a component (`kafka { brokers = 3 }`).
#[derive(Debug, Clone)]
pub struct ComponentOption {
    pub name: String,
    pub ty: OptionType,
    pub default: String,
    pub doc: String,
    /// The Helm value the option sets (`master.persistence.size`), if it maps to one.
    pub helm_value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionType {
    Count,
    Str,
    Bool,
    Memory,
    Cpu,
}

/// One checked deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub name: Spanned<String>,
    /// The file it came from as outputs name it: the file name without directories, on one
    /// line, with control and bidirectional characters escaped ([`crate::text::source_name`]).
    pub source_name: String,
    pub provider: Provider,
    pub target: Target,
    pub namespace: String,
    pub domain: Option<Spanned<String>>,
    pub budget: Option<Spanned<Money>>,
    pub registry: Option<String>,
    pub stack: Vec<StackEntry>,
    pub issuers: Vec<Issuer>,
    pub secrets: Vec<Secret>,
    pub services: Vec<Service>,
    pub success: Vec<Criterion>,
    /// Every service and secret name declared, including those whose blocks had errors, so
    /// that references to them are not reported as undefined as well.
    pub declared: std::collections::BTreeSet<String>,
    /// The ingress controller that serves routes and its class: one in the stack, else one
    /// the provider bundles (set by `rules::check_deployment`).
    pub ingress: Option<(String, String)>,
    /// Ingress controllers the provider bundles that another controller in the stack
    /// replaces: they are switched off, or they would hold ports 80 and 443.
    pub displaced: Vec<String>,
    /// The ingress controller's LoadBalancer Service (set with `ingress`).
    pub ingress_service: Option<String>,
    /// Deployment-level exceptions (also copied into every service's `exceptions`).
    pub exceptions: Vec<Exception>,
    /// Install stages: indexes into `stack`, each stage after the ones it depends on
    /// (set by `order::install_order`).
    pub stages: Vec<Vec<usize>>,
    /// The environment this is, when the deployment declares environments.
    pub environment: Option<crate::vocab::Environment>,
    /// The CI workflow deployc writes (`pipeline github { … }`).
    pub pipeline: Option<Pipeline>,
}

/// `pipeline github { … }`: the GitHub Actions workflow that checks, builds images, and
/// releases the output through git (issue 19).
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The block's head, for diagnostics about the pipeline as a whole.
    pub span: Span,
    /// The `.deploy` file's directory in the repository (`deploy/todo`; empty for the root).
    pub directory: String,
    /// The build output, relative to the `.deploy` file's directory (`out`).
    pub output: Spanned<String>,
    /// The branch that releases (`main`).
    pub branch: Spanned<String>,
    /// How a release reaches the branch.
    pub release: Release,
    /// The lowest vulnerability severity that fails the image scan (`HIGH`).
    pub scan: String,
    /// Where CI installs deployc from: a git repository at a commit.
    pub deployc_git: String,
    pub deployc_rev: String,
}

impl Pipeline {
    /// The pipeline as the plan carries it, without the spans.
    pub fn lowered(&self) -> crate::vocab::Pipeline {
        crate::vocab::Pipeline {
            directory: self.directory.clone(),
            output: self.output.value.clone(),
            branch: self.branch.value.clone(),
            release: self.release,
            scan: self.scan.clone(),
            deployc_git: self.deployc_git.clone(),
            deployc_rev: self.deployc_rev.clone(),
        }
    }
}

impl Provider {
    /// The node image that runs Kubernetes `version` (`rancher/k3s:v1.33.7-k3s3` for `1.33`).
    pub fn node_image(&self, version: &str) -> Option<&str> {
        let prefix = format!("v{version}.");
        self.node_images
            .iter()
            .find(|image| {
                let without_digest = image.split('@').next().unwrap_or(image);
                without_digest.rsplit_once(':').is_some_and(|(_, tag)| tag.starts_with(&prefix))
            })
            .map(String::as_str)
    }
}

impl Deployment {
    /// The sidecar of the stack component `component`, when it is in the stack and has one.
    pub fn sidecar(&self, component: &str) -> Option<&Sidecar> {
        self.stack.iter().find(|e| e.component.name == component).and_then(|e| e.component.sidecar.as_ref())
    }
}

/// `receiver NAME { … }`, with the spans of its name and of every `secret(NAME, KEY)` it reads,
/// which `rules::check_deployment` checks against the deployment's secrets.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub name: Spanned<String>,
    pub receiver: crate::vocab::Receiver,
    /// (secret, key) of each credential.
    pub refs: Vec<(Spanned<String>, Spanned<String>)>,
}

/// The `target` block.
#[derive(Debug, Clone)]
pub struct Target {
    pub region: Option<Spanned<String>>,
    pub version: String,
    /// Where the version was written (the target's head when it is the provider's default).
    pub version_span: Span,
    pub pools: Vec<Pool>,
    pub servers: u32,
    pub agents: u32,
    pub ports: Vec<String>,
    pub registry: Option<String>,
    /// `cluster_name`: the cluster's name at the provider, when it is not the deployment's.
    pub cluster_name: Option<String>,
    /// `resource_group` (AKS): the Azure resource group, when it is not `<cluster>-rg`.
    pub resource_group: Option<String>,
    /// The provider's settings the user set (`vpc`, `tags { … }`, …), in the provider's order.
    pub settings: Vec<(String, SettingValue)>,
    /// The `target PROVIDER` head, for diagnostics about the target as a whole.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    pub size: Spanned<String>,
    pub count: u32,
    pub autoscale: Option<(u32, u32)>,
    pub control_plane: bool,
}

/// A component in the stack, with the user's option values.
#[derive(Debug, Clone)]
pub struct StackEntry {
    pub component: Component,
    pub options: Vec<(String, String)>,
    pub span: Span,
    /// Kafka topics declared inside the component's block (`topic NAME { … }`).
    pub topics: Vec<Topic>,
    /// Alerts declared inside the block of the component that provides PrometheusRule
    /// (`alert NAME { … }`), with the span of each block's head.
    pub alerts: Vec<Spanned<crate::vocab::UserAlert>>,
    /// Receivers declared inside the block of the component that provides
    /// AlertmanagerConfig (`receiver NAME { … }`).
    pub receivers: Vec<Receiver>,
    /// How it got into the stack.
    pub origin: Origin,
}

impl StackEntry {
    /// The value of an option: the user's, else the component's default.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .or_else(|| self.component.options.iter().find(|o| o.name == name).map(|o| o.default.as_str()))
    }
}

/// Why a component is in the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Listed in `stack { }`.
    Listed,
    /// Listed, but the provider's distribution already runs it: nothing is installed.
    Bundled,
    /// Added by the compiler, with the reason.
    Added(String),
}

/// A `topic NAME { partitions, replicas }` in a component that provides KafkaTopic.
#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replicas: u32,
}

/// A cert-manager `issuer` block.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub name: Spanned<String>,
    /// The ACME account's address (empty for a self-signed issuer).
    pub email: String,
    pub server: IssuerServer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerServer {
    /// Let's Encrypt.
    Production,
    /// Let's Encrypt's staging environment: certificates no client trusts.
    Staging,
    /// cert-manager signs each certificate with its own key: for local clusters.
    SelfSigned,
}

impl IssuerServer {
    /// Whether certificates come from Let's Encrypt, which must reach the route over HTTP-01.
    pub fn is_acme(self) -> bool {
        matches!(self, IssuerServer::Production | IssuerServer::Staging)
    }
}

/// A `secret` block: keys read from the environment at deploy time.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: Spanned<String>,
    /// Key in the Kubernetes Secret, and the environment variable it is read from.
    pub keys: Vec<(String, String)>,
    /// Keys read from an external store through External Secrets.
    pub external: Vec<ExternalKey>,
    /// Keys written in the file whose source was reported as an error: a reference to one is
    /// not reported again as a missing key.
    pub unreadable: Vec<String>,
}

impl Secret {
    /// The keys of the Kubernetes Secret, read from the environment or from a store.
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| k.as_str()).chain(self.external.iter().map(|e| e.key.as_str()))
    }
}

/// `KEY = external("store", "path", property = "field")`.
#[derive(Debug, Clone)]
pub struct ExternalKey {
    pub key: String,
    /// The ClusterSecretStore to read from.
    pub store: String,
    pub path: String,
    pub property: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Service {
    /// A mistake in its image, ports, replicas, CPU or memory (already reported): those hold
    /// stand-ins, so the checks of the service's names and references still run, and the checks
    /// and analyses that need those values skip it.
    pub incomplete: bool,
    /// A port had a mistake: `ports` may lack it, so port checks skip the service.
    pub ports_incomplete: bool,
    pub name: Spanned<String>,
    pub image: Spanned<String>,
    /// `build = "./dir"` (and `dockerfile`): the image is built from this context and pushed.
    pub build: Option<Build>,
    /// The digest the lock file records for the image (set by `check::lock`).
    pub locked_digest: Option<String>,
    pub ports: Vec<Port>,
    pub replicas: Replicas,
    pub autoscale_cpu: u32,
    pub autoscale_memory: Option<u32>,
    pub cpu: Resource<Cpu>,
    pub memory: Resource<Memory>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
    pub env: Vec<(String, String)>,
    pub secrets: Vec<Spanned<String>>,
    /// `env { VAR = secret(NAME, KEY) }`: a variable filled from one key of a secret.
    pub secret_vars: Vec<SecretVar>,
    /// `secrets_as = files | env`, as written.
    pub secrets_as: Option<Spanned<String>>,
    /// The image's run-time contract: named by `based_on`, else found by its repository.
    /// Boxed: most services run an image without one, and a plan may hold thousands.
    pub contract: Option<Box<AppliedContract>>,
    pub route: Option<Route>,
    pub dapr: Option<Dapr>,
    pub uses: Vec<Spanned<String>>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub min_available: Option<Spanned<u32>>,
    /// `drain`: how long a terminating pod keeps serving while the endpoint is removed.
    pub drain: Option<Spanned<u64>>,
    /// `shutdown`: how long the app needs after SIGTERM to finish its work.
    pub shutdown: Option<Spanned<u64>>,
    /// Destinations outside the cluster this service may call.
    pub egress: Vec<Egress>,
    /// Written exceptions to the secure defaults (the service's own, then the deployment's).
    pub exceptions: Vec<Exception>,
    pub annotations: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub volumes: Vec<Volume>,
    /// `metrics = "/path"`: the path Prometheus scrapes, on the port named `metrics` when there
    /// is one, else on the main port.
    pub metrics: Option<Spanned<String>>,
    /// `slo availability { … }` and `slo latency { … }`, with the span of each block's head.
    pub slos: Vec<Spanned<Slo>>,
}

impl Service {
    /// Whether the file allows the exception `name` for this service.
    pub fn allows(&self, name: &str) -> bool {
        self.exceptions.iter().any(|e| e.name == name)
    }
}

/// Where a service's image is built from: `build = "./api"`, `dockerfile = "Dockerfile"`.
#[derive(Debug, Clone)]
pub struct Build {
    /// The build context, a directory relative to the `.deploy` file's, normalised
    /// (`api`, `services/web`; `.` for the file's own directory).
    pub context: String,
    /// The Dockerfile, relative to the context; `None` is the context's `Dockerfile`.
    pub dockerfile: Option<String>,
    pub span: Span,
}

/// `VAR = secret(NAME, KEY)` in a service's `env`.
#[derive(Debug, Clone)]
pub struct SecretVar {
    pub variable: String,
    pub secret: Spanned<String>,
    pub key: Spanned<String>,
    pub span: Span,
}

/// An image contract as it applies to one service's image.
#[derive(Debug, Clone)]
pub struct AppliedContract {
    pub name: String,
    pub title: String,
    pub source: String,
    pub as_of: String,
    pub facts: ImageFacts,
    pub file_env: Vec<String>,
    pub requires_one_of: Vec<String>,
}

/// `allow NAME because "reason"`.
#[derive(Debug, Clone)]
pub struct Exception {
    pub name: String,
    pub reason: String,
    pub span: Span,
    /// Made by deployc to satisfy an image contract, not written in the file.
    pub chosen: bool,
}

impl Exception {
    /// The checkov checks this exception waives.
    pub fn waives(&self) -> &'static [&'static str] {
        EXCEPTIONS.iter().find(|(n, _, _)| *n == self.name).map(|(_, w, _)| *w).unwrap_or(&[])
    }
}

/// An allowed destination outside the cluster: a host (any public address, on a port) or a CIDR.
#[derive(Debug, Clone)]
pub struct Egress {
    pub cidr: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    /// As written, for comments and the runbook.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Port {
    pub name: String,
    pub number: u16,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub kind: ProbeKind,
    pub timing: ProbeTiming,
    pub span: Span,
}

/// The timings a probe call sets (`http("/health", period = 30s)`), in seconds; `None` keeps the
/// default of the probe's role (liveness, readiness or startup).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeTiming {
    /// `periodSeconds`: how often the kubelet probes.
    pub period: Option<u32>,
    /// `timeoutSeconds`: how long one probe may take.
    pub timeout: Option<u32>,
    /// `failureThreshold`: failures in a row before the probe counts as failed.
    pub failures: Option<u32>,
    /// `initialDelaySeconds`: the wait after the container starts.
    pub delay: Option<u32>,
}

#[derive(Debug, Clone)]
pub enum ProbeKind {
    Http { path: String, port: Option<Spanned<u16>> },
    Tcp { port: Spanned<u16> },
    Exec { command: Vec<String> },
}

#[derive(Debug, Clone)]
pub struct Route {
    pub host: Spanned<String>,
    pub path: String,
    pub tls: RouteTls,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum RouteTls {
    /// Plain HTTP.
    None,
    /// A certificate from a cert-manager issuer.
    Issuer(Spanned<String>),
    /// An existing TLS secret.
    Secret(String),
}

#[derive(Debug, Clone)]
pub struct Dapr {
    pub app_id: String,
    pub app_port: Option<u16>,
    /// `metrics_port = …`: where the sidecar serves its metrics instead of its default.
    pub metrics_port: Option<Spanned<u16>>,
    pub span: Span,
}

impl Dapr {
    /// The ports `sidecar` binds in this service's pods, by name (`metrics` moved by
    /// `metrics_port`).
    pub fn sidecar_ports<'s>(&self, sidecar: &'s Sidecar) -> impl Iterator<Item = (&'s str, u16)> {
        let metrics = self.metrics_port.as_ref().map(|p| p.value);
        sidecar.ports.iter().map(move |(name, port)| {
            let port = if name == "metrics" { metrics.unwrap_or(*port) } else { *port };
            (name.as_str(), port)
        })
    }
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub size: Memory,
    pub mount: String,
}
