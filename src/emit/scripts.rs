//! Plan to lifecycle scripts (`scripts/provision.sh`, `deploy.sh`, `verify.sh`, `teardown.sh`, and
//! `rollback.sh`),
//! rendered by [`super::template`] from the shared templates in `src/emit/templates/` and the
//! provider's template set in `stdlib/providers/<set>/` (handlebars syntax).
//!
//! Every value from the `.deploy` file reaches a script shell-quoted: the context given to the
//! templates holds quoted strings (built with [`sh_quote`]), HTML escaping is off, and the
//! scripts copy the values into `readonly` variables before using them.

use serde::Serialize;
use serde_json::{Value, json};

use super::objects::EmitError;
use super::template::Templates;
use crate::lower::plan::{Plan, TemplateSet};
use crate::vocab::{Criterion, HttpTls, ProviderKind, SettingValue};

/// Quote `text` for bash: single quotes, with each `'` written as `'\''`.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A duration for people: `90s`, `10m`, `2h`.
pub fn human_duration(seconds: u64) -> String {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

pub use crate::vocab::dollars;

/// Hand each script, then each component's Helm values, to `put` as it is made. A template
/// error names the template that failed (a bug in a template, not in the user's file).
pub fn emit_scripts(plan: &Plan, put: &mut dyn FnMut(String, String) -> std::io::Result<()>) -> Result<(), EmitError> {
    let templates = script_templates(&plan.target.templates).map_err(EmitError::Internal)?;
    let context = context(plan);
    // An environment on another's cluster deploys and verifies; the other provisions the
    // cluster and tears it down for both.
    let shares_cluster = plan.cluster_host().is_some();
    // Each script is handed on as soon as it is made, so that one large deployment's scripts
    // are not all in memory at once.
    for script in SCRIPTS {
        if shares_cluster && CLUSTER_SCRIPTS.contains(&script) {
            continue;
        }
        let text = templates.render(script, &context).map_err(EmitError::Internal)?;
        put(format!("scripts/{script}"), tidy(&text)).map_err(EmitError::Io)?;
    }
    if plan.services.iter().any(|s| s.build.is_some()) {
        let text = templates.render("build-images.sh", &context).map_err(EmitError::Internal)?;
        put("scripts/build-images.sh".to_string(), tidy(&text)).map_err(EmitError::Io)?;
    }
    for component in plan.stack.iter().filter(|c| !c.values.is_empty()) {
        let values = helm_values(plan, component).map_err(EmitError::Internal)?;
        put(values_file(&component.name), values).map_err(EmitError::Io)?;
    }
    Ok(())
}

/// Where a component's chart values go: a file `deploy.sh` passes with `--values`, so that no
/// value is an argument Helm splits at commas or reads as an option (`--set`).
pub fn values_file(component: &str) -> String {
    format!("helm/{component}.values.yaml")
}

/// A component's values as the YAML document `helm --values` reads: dotted keys nested
/// (`\.` is a literal dot, as in `--set`), each value typed as `--set` would type it
/// (helm v3.21.4 pkg/strvals/parser.go `typedVal`: `true`/`false`, `null`, integers without a
/// leading zero; everything else a string).
pub fn helm_values(plan: &Plan, component: &crate::lower::plan::StackComponent) -> Result<String, String> {
    let mut root = serde_json::Map::new();
    for (key, value) in &component.values {
        let path = split_key(key);
        if path.iter().any(|p| p.is_empty() || p.contains(['[', ']'])) {
            return Err(format!(
                "component `{}`: the chart value `{key}` is not a dotted key (list indexes are not supported)",
                component.name
            ));
        }
        let mut map = &mut root;
        for (i, part) in path.iter().enumerate() {
            if i + 1 == path.len() {
                map.insert(part.clone(), typed(value));
            } else {
                let next = map.entry(part.clone()).or_insert_with(|| Value::Object(serde_json::Map::new()));
                if !next.is_object() {
                    *next = Value::Object(serde_json::Map::new());
                }
                // A key set both as a value and as a map (`a = 1`, `a.b = 2`): the map wins, as in Helm.
                match next {
                    Value::Object(inner) => map = inner,
                    _ => return Err(format!("component `{}`: chart value `{key}` is not a map", component.name)),
                }
            }
        }
    }
    let body = super::yaml::to_string(&Value::Object(root)).map_err(|e| e.to_string())?;
    Ok(format!("{}---\n{body}", super::objects::header(plan, "#")))
}

/// `a.b\.c` → [`a`, `b.c`].
fn split_key(key: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                if let Some(last) = parts.last_mut() {
                    last.push('.');
                }
            }
            '.' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

/// What `--set` makes of a value (helm's `typedVal`).
fn typed(value: &str) -> Value {
    if value.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if value.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if value.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if value == "0" {
        return json!(0);
    }
    if !value.starts_with('0')
        && let Ok(n) = value.parse::<i64>()
    {
        return json!(n);
    }
    Value::String(value.to_string())
}

/// The four lifecycle scripts, in the order they are run, and `rollback.sh`, run only to undo
/// the last release.
pub const SCRIPTS: [&str; 5] = ["provision.sh", "deploy.sh", "verify.sh", "teardown.sh", "rollback.sh"];

/// The scripts that make and remove the cluster, written once per cluster.
pub const CLUSTER_SCRIPTS: [&str; 2] = ["provision.sh", "teardown.sh"];

/// The shared templates (`prelude` and one per script) and the provider template set `set` as
/// the partials `provider_<part>`, parsed.
pub fn script_templates(set: &TemplateSet) -> Result<Templates<'static>, String> {
    let mut templates = Templates::new();
    for (name, text) in SHARED_TEMPLATES {
        templates.register(name, text)?;
    }
    for (part, text) in &set.parts {
        let text = text.ok_or_else(|| format!("provider template set `{}` has no `{part}`", set.name))?;
        templates.register(&format!("provider_{part}"), text)?;
    }
    Ok(templates)
}

/// The templates every provider shares: (name, source).
pub const SHARED_TEMPLATES: [(&str, &str); 7] = [
    ("prelude", include_str!("templates/prelude.hbs")),
    ("provision.sh", include_str!("templates/provision.sh.hbs")),
    ("deploy.sh", include_str!("templates/deploy.sh.hbs")),
    ("verify.sh", include_str!("templates/verify.sh.hbs")),
    ("teardown.sh", include_str!("templates/teardown.sh.hbs")),
    ("rollback.sh", include_str!("templates/rollback.sh.hbs")),
    ("build-images.sh", include_str!("templates/build-images.sh.hbs")),
];

/// Collapse runs of blank lines left by template conditionals.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A comment-safe rendering of text from the file: one line, nothing forbidden
/// ([`crate::text::one_line`]).
fn comment_safe(text: &str) -> String {
    crate::text::one_line(text)
}

/// The hosts the routes serve, and where their address comes from: the ingress controller's
/// LoadBalancer Service, or this machine on a local cluster (`*.localhost` needs nothing).
fn dns(plan: &Plan) -> Option<DnsContext> {
    let local = plan.target.kind == ProviderKind::Local;
    // On this machine's published ports (k3d), or at the Service's own address (kind).
    let localhost = local && !plan.target.lb_on_service_address;
    let mut hosts = plan.route_hosts();
    if localhost {
        hosts.retain(|h| *h != "localhost" && !h.ends_with(".localhost"));
    }
    if hosts.is_empty() {
        return None;
    }
    let namespace = plan.network.ingress_namespace.as_deref()?;
    let service = plan.ingress_service.as_deref()?;
    Some(DnsContext {
        local,
        localhost,
        managed: plan.target.dns_domain.as_deref().map(sh_quote),
        hosts: hosts.iter().map(|h| sh_quote(h)).collect(),
        namespace: sh_quote(namespace),
        service: sh_quote(service),
    })
}

/// Something the file names that the user creates before deploying.
pub(crate) struct Prerequisite {
    /// What kind of thing it is (`the TLS Secret`).
    pub noun: &'static str,
    /// Its name.
    pub name: String,
    /// The read-only command that succeeds when it exists.
    pub check: Vec<String>,
    /// How to create it, a sentence that [`Prerequisite::command`] completes when there is one.
    pub create: &'static str,
    /// The command that creates it.
    pub command: Option<String>,
}

impl Prerequisite {
    /// What it is, for messages: ``the TLS Secret `api-tls` ``.
    pub fn what(&self) -> String {
        format!("{} `{}`", self.noun, self.name)
    }

    /// How to create it, for messages.
    pub fn how(&self) -> String {
        match &self.command {
            Some(command) => format!("{} `{command}`", self.create),
            None => self.create.to_string(),
        }
    }
}

/// The TLS Secrets routes name with `tls = secret(…)` and the ClusterSecretStores `external(…)`
/// reads from: deployc creates neither.
pub(crate) fn prerequisites(plan: &Plan) -> Vec<Prerequisite> {
    let mut out: Vec<Prerequisite> = Vec::new();
    for service in &plan.services {
        let Some(route) = &service.route else { continue };
        let (Some(secret), None) = (&route.tls_secret, &route.issuer) else { continue };
        if out.iter().any(|p| p.name == *secret) {
            continue;
        }
        out.push(Prerequisite {
            noun: "the TLS Secret",
            name: secret.clone(),
            check: ["kubectl", "--namespace", &plan.namespace, "get", "secret", secret].map(String::from).to_vec(),
            create: "create it with",
            command: Some(format!(
                "kubectl --namespace {} create secret tls {secret} --cert=CERT.pem --key=KEY.pem",
                plan.namespace
            )),
        });
    }
    for secret in &plan.secrets {
        for key in &secret.external {
            if out.iter().any(|p| p.name == key.store) {
                continue;
            }
            out.push(Prerequisite {
                noun: "the ClusterSecretStore",
                name: key.store.clone(),
                check: ["kubectl", "get", "clustersecretstore", &key.store].map(String::from).to_vec(),
                create: "create it once per cluster for your secret backend (https://external-secrets.io/latest/introduction/getting-started/)",
                command: None,
            });
        }
    }
    out
}

/// Whether teardown deletes `component`'s namespace after uninstalling it: the stack made it
/// (`--create-namespace`), it is not one of Kubernetes' own, and `component` is the last release
/// in it to go (teardown runs the install order backwards, so the first one installed).
fn deletes_namespace(plan: &Plan, component: &crate::lower::plan::StackComponent) -> bool {
    const SYSTEM: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];
    !SYSTEM.contains(&component.namespace.as_str())
        && component.namespace != plan.namespace
        && plan.stack.iter().find(|c| c.namespace == component.namespace).is_some_and(|c| c.name == component.name)
}

/// The context the script templates are rendered with: every text that reaches a script
/// shell-quoted (`sh_quote`), except the comment texts (one line, [`comment_safe`]), the
/// numbers and the booleans. The fields are the templates' names.
#[derive(Serialize)]
struct ScriptContext {
    /// The script that makes the cluster, from this one's directory (another environment's on
    /// a shared cluster), for messages: fixed text and DNS labels.
    provision_script: String,
    /// The other environments' manifests on this cluster, from the output directory, which
    /// the cluster's teardown deletes first (their volumes and load balancers).
    other_manifests: Vec<String>,
    /// Where the scripts keep state, from the output directory (an environment on another's
    /// cluster uses that one's: its kubeconfig).
    state_dir: String,
    source_comment: String,
    deployment_comment: String,
    deployment: String,
    namespace: String,
    part_of: String,
    dns: Option<DnsContext>,
    kafka_topics: bool,
    kafka: Option<String>,
    prerequisites: Vec<PrerequisiteContext>,
    cluster: String,
    resource_group: Option<String>,
    /// The provider's settings, keyed by the provider file's names (see [`settings`]).
    settings: Value,
    region: Option<String>,
    version: String,
    cli: String,
    pools: Vec<PoolContext>,
    has_workers: bool,
    node_image: Option<String>,
    registry_region: Option<String>,
    pull_secret: Option<String>,
    /// k3s's bundled components that the stack replaces, switched off on every server.
    displaced: Vec<String>,
    registry: Option<String>,
    local_registry: Option<String>,
    local_registry_host: String,
    servers: u32,
    agents: u32,
    ports: Vec<String>,
    stages: Vec<StageContext>,
    stages_reversed: Vec<StageContext>,
    bundled: Option<String>,
    secrets: Vec<SecretContext>,
    secret_key_count: usize,
    services: Vec<WorkloadContext>,
    rollout_seconds: u64,
    /// The Argo CD Application that syncs the manifests automatically: `rollback.sh` refuses
    /// and says to revert the commit.
    argo: Option<ArgoContext>,
    nodes_seconds: u64,
    teardown_cost: String,
    criteria: Vec<CriterionContext>,
    /// `build-images.sh`: each image built from source, the registries it logs in to, and the
    /// lock's file name (next to the `.deploy` file).
    builds: Vec<BuildContext>,
    /// Services built from source whose image the lock did not pin (quoted names).
    unpinned_builds: Vec<String>,
    logins: Vec<LoginContext>,
    lock_name: String,
    source_quoted: String,
    /// The `.deploy` file's directory relative to the output directory of these scripts,
    /// when the output sits in it (`..`; `../../..` for an environment's).
    source_from_out: &'static str,
}

/// One image `build-images.sh` builds; every field shell-quoted.
#[derive(Serialize)]
struct BuildContext {
    service: String,
    /// As the pods pull it (the lock's key).
    image: String,
    /// As this machine pushes it: the same but for a k3d registry, pushed through `localhost`.
    push: String,
    context: String,
    dockerfile: String,
}

/// How `build-images.sh` logs in to one registry host: `doctl registry login` (DigitalOcean),
/// `az acr login --name` (Azure; `acr` is the quoted registry name), none for a registry on
/// this machine, or a note to log in first.
#[derive(Serialize)]
struct LoginContext {
    host: String,
    doctl: bool,
    acr: Option<String>,
    local: bool,
    other: bool,
}

#[derive(Serialize)]
struct PoolContext {
    index: usize,
    name: String,
    size: String,
    count: u32,
    min: u32,
    max: u32,
    autoscale: bool,
    control_plane: bool,
}

/// One install stage: its number from 1, its components' names and the components.
#[derive(Serialize)]
struct StageContext {
    number: usize,
    names: String,
    components: Vec<ComponentContext>,
}

#[derive(Serialize)]
struct ComponentContext {
    name: String,
    chart: String,
    repo: String,
    version: String,
    namespace: String,
    instance: String,
    delete_namespace: bool,
    values_file: Option<String>,
    ready: Vec<String>,
}

#[derive(Serialize)]
struct SecretContext {
    name: String,
    keys: Vec<SecretKeyContext>,
}

#[derive(Serialize)]
struct SecretKeyContext {
    key_quoted: String,
    /// The variable's name, a checked identifier (reviewed in `tests/scripts.rs`).
    env: String,
    env_quoted: String,
}

#[derive(Serialize)]
struct PrerequisiteContext {
    check: String,
    help: String,
}

#[derive(Serialize)]
struct WorkloadContext {
    workload: String,
}

#[derive(Serialize)]
struct ArgoContext {
    repo: String,
    path: String,
    revision: String,
}

/// The routes' hosts and where their address comes from (see [`dns`]).
#[derive(Serialize)]
struct DnsContext {
    local: bool,
    localhost: bool,
    managed: Option<String>,
    hosts: Vec<String>,
    namespace: String,
    service: String,
}

/// One verify step: `check` is bash that prints one PASS or FAIL line.
#[derive(Serialize)]
struct CriterionContext {
    title: String,
    check: String,
    dry: String,
}

/// The context the script templates are rendered with.
pub(crate) fn context(plan: &Plan) -> Value {
    // Plain structs of strings, numbers and maps: serialising cannot fail.
    serde_json::to_value(script_context(plan)).unwrap_or(Value::Null)
}

fn script_context(plan: &Plan) -> ScriptContext {
    let q = |s: &str| sh_quote(s);
    let target = &plan.target;
    let pools = target
        .pools
        .iter()
        .enumerate()
        .map(|(index, p)| PoolContext {
            index,
            name: q(&p.name),
            size: q(&p.size),
            count: p.count,
            min: p.min,
            max: p.max,
            autoscale: p.autoscale,
            control_plane: p.control_plane,
        })
        .collect();
    let stage = |number: usize, components: Vec<&crate::lower::plan::StackComponent>| {
        let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
        StageContext {
            number,
            names: q(&names.join(", ")),
            components: components
                .iter()
                .map(|c| ComponentContext {
                    name: q(&c.name),
                    chart: q(&c.chart),
                    repo: q(&c.repo),
                    version: q(&c.version),
                    namespace: q(&c.namespace),
                    instance: q(&format!("app.kubernetes.io/instance={}", c.name)),
                    delete_namespace: deletes_namespace(plan, c),
                    values_file: (!c.values.is_empty()).then(|| q(&values_file(&c.name))),
                    ready: c.ready.iter().map(|r| q(r)).collect(),
                })
                .collect(),
        }
    };
    let stage_count = plan.stack.iter().map(|c| c.stage + 1).max().unwrap_or(0);
    let stages = (0..stage_count).map(|n| stage(n + 1, plan.stack.iter().filter(|c| c.stage == n).collect())).collect();
    // Teardown is the exact reverse of the install order, inside each stage too.
    let stages_reversed = (0..stage_count)
        .rev()
        .map(|n| stage(n + 1, plan.stack.iter().filter(|c| c.stage == n).rev().collect()))
        .collect();
    let secrets = plan
        .secrets
        .iter()
        .filter(|s| !s.keys.is_empty())
        .map(|s| SecretContext {
            name: q(&s.name),
            keys: s
                .keys
                .iter()
                .map(|(key, env)| SecretKeyContext { key_quoted: q(key), env: env.clone(), env_quoted: q(env) })
                .collect(),
        })
        .collect();
    let secret_key_count: usize = plan.secrets.iter().map(|s| s.keys.len()).sum();
    let rollout_seconds = plan
        .criteria
        .iter()
        .find_map(|c| match c {
            Criterion::Rollout { within_seconds } => Some(*within_seconds),
            _ => None,
        })
        .unwrap_or(300);
    let nodes_seconds = plan
        .criteria
        .iter()
        .find_map(|c| match c {
            Criterion::NodesReady { within_seconds } => Some(*within_seconds),
            _ => None,
        })
        .unwrap_or(600);
    let teardown_cost = plan
        .criteria
        .iter()
        .find_map(|c| match c {
            Criterion::Teardown { cost } => Some(dollars(cost.cents)),
            _ => None,
        })
        .map(|cost| sh_quote(&cost))
        .unwrap_or_else(|| sh_quote("$0"));
    let local_registry_host =
        target.local_registry.as_deref().map(|r| q(r.split(':').next().unwrap_or(r))).unwrap_or_default();
    ScriptContext {
        source_comment: comment_safe(&plan.source_name),
        deployment_comment: comment_safe(&plan.deployment),
        deployment: q(&plan.deployment),
        namespace: q(&plan.namespace),
        part_of: q(&format!("app.kubernetes.io/part-of={}", plan.deployment)),
        dns: dns(plan),
        kafka_topics: plan.kafka.as_ref().is_some_and(|k| !k.topics.is_empty()),
        kafka: plan.kafka.as_ref().map(|k| q(&format!("kafka.kafka.strimzi.io/{}", k.name))),
        prerequisites: prerequisites(plan)
            .into_iter()
            .map(|p| PrerequisiteContext {
                check: p.check.iter().map(|w| q(w)).collect::<Vec<_>>().join(" "),
                help: q(&format!("{} does not exist: {}", p.what(), p.how())),
            })
            .collect(),
        cluster: q(&target.cluster),
        provision_script: match plan.cluster_host() {
            Some(host) => format!("../../{host}/scripts/provision.sh"),
            None => "./provision.sh".to_string(),
        },
        other_manifests: match plan.environment.as_ref() {
            Some(environment) if environment.owns_cluster() => {
                environment.cluster_group.iter().skip(1).map(|other| format!("../{other}/manifests")).collect()
            }
            _ => Vec::new(),
        },
        // An environment's state stays in the output's one `.deployc-state/` (which a build
        // carries over), under the name of the environment that owns the cluster. Not quoted:
        // an environment's name is a DNS label (E0313), and the rest is fixed text.
        state_dir: match plan.environment.as_ref() {
            Some(environment) => format!("../../{}/{}", crate::output::STATE_DIR, environment.cluster_owner()),
            None => crate::output::STATE_DIR.to_string(),
        },
        resource_group: target.resource_group.as_deref().map(q),
        settings: settings(&target.settings),
        region: target.region.as_deref().map(q),
        version: q(&target.version),
        cli: q(&target.cli),
        pools,
        has_workers: target.pools.iter().any(|p| !p.control_plane),
        node_image: target.node_image.as_deref().map(q),
        registry_region: target.registry_region.as_deref().map(q),
        pull_secret: target.pull_secret.as_deref().map(q),
        displaced: target.displaced.iter().map(|d| q(&format!("--disable={d}@server:*"))).collect(),
        registry: plan.registry.as_deref().map(q),
        local_registry: target.local_registry.as_deref().map(q),
        local_registry_host,
        servers: target.servers,
        agents: target.agents,
        ports: target.ports.iter().map(|p| q(p)).collect(),
        stages,
        stages_reversed,
        bundled: (!plan.bundled.is_empty()).then(|| q(&plan.bundled.join(", "))),
        secrets,
        secret_key_count,
        services: plan.services.iter().map(|s| WorkloadContext { workload: q(&s.workload()) }).collect(),
        rollout_seconds,
        argo: plan.argo_application.as_ref().map(|a| ArgoContext {
            repo: q(&a.repo),
            path: q(&a.path),
            revision: q(&a.revision),
        }),
        nodes_seconds,
        teardown_cost,
        criteria: criteria(plan),
        builds: builds(plan),
        unpinned_builds: plan
            .services
            .iter()
            .filter(|s| s.build.is_some() && !s.image.contains("@sha256:"))
            .map(|s| q(&s.name))
            .collect(),
        logins: logins(plan),
        lock_name: q(&format!("{}.lock", plan.source_name)),
        source_quoted: q(&plan.source_name),
        source_from_out: if plan.environment.is_some() { "../../.." } else { ".." },
    }
}

/// The images built from source, with the reference each is pushed by: a k3d registry
/// (`k3d-registry:5000/shop/api:1.0.0`) is reached from this machine at `localhost:5000`
/// (k3d v5.9.0 docs/usage/registries.md, read 2026-12-02).
fn builds(plan: &Plan) -> Vec<BuildContext> {
    let q = |s: &str| sh_quote(s);
    plan.services
        .iter()
        .filter_map(|service| {
            let build = service.build.as_ref()?;
            Some(BuildContext {
                service: q(&service.name),
                image: q(&build.image),
                push: q(&push_reference(plan, &build.image)),
                context: q(&build.context),
                dockerfile: q(&build.dockerfile),
            })
        })
        .collect()
}

/// `image` as this machine pushes it (see [`builds`]).
pub fn push_reference(plan: &Plan, image: &str) -> String {
    if let Some(registry) = plan.target.local_registry.as_deref()
        && let Some(rest) = image.strip_prefix(registry).and_then(|r| r.strip_prefix('/'))
        && let Some((host, port)) = registry.rsplit_once(':')
        && host.starts_with("k3d-")
    {
        return format!("localhost:{port}/{rest}");
    }
    image.to_string()
}

/// The registry hosts of the images built from source, each once, in order.
fn logins(plan: &Plan) -> Vec<LoginContext> {
    registry_hosts(plan)
        .into_iter()
        .map(|host| {
            let name = host.split(':').next().unwrap_or(&host);
            let local = ["localhost", "127.0.0.1"].contains(&name);
            let doctl = host == "registry.digitalocean.com";
            let acr = host.strip_suffix(".azurecr.io").map(sh_quote);
            LoginContext { other: !local && !doctl && acr.is_none(), host: sh_quote(&host), doctl, acr, local }
        })
        .collect()
}

/// The hosts `build-images.sh` pushes the images built from source to, each once, in order
/// (`docker.io` for an image that names no registry).
pub fn registry_hosts(plan: &Plan) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for build in plan.services.iter().filter_map(|s| s.build.as_ref()) {
        let pushed = push_reference(plan, &build.image);
        let host = pushed.split_once('/').map_or("docker.io", |(first, _)| first).to_string();
        let host = if crate::vocab::names_registry(&pushed) { host } else { "docker.io".to_string() };
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// The target's provider settings for the templates, every text shell-quoted: a text is
/// `settings.NAME`; a list is `settings.NAME.joined` (`a,b`), `settings.NAME.items` and `.count`; tags are
/// `settings.tags.items` (`key`, `value`, `pair` = `key=value`, `colon` = `key:value`) and
/// `settings.tags.joined` (`k=v,k2=v2`); a window is `settings.NAME.day` (`saturday`),
/// `.day_title` (`Saturday`), `.byday` (`SA`) and `.start` (`02:00`); a boolean is `true` or
/// `false` (`settings.NAME.set` is true either way).
fn settings(settings: &[(String, SettingValue)]) -> Value {
    let q = |s: &str| sh_quote(s);
    let mut out = serde_json::Map::new();
    for (name, value) in settings {
        let v = match value {
            SettingValue::Text(text) => json!(q(text)),
            SettingValue::List(items) => json!({
                "count": items.len(),
                "joined": q(&items.join(",")),
                "items": items.iter().map(|i| q(i)).collect::<Vec<_>>(),
            }),
            SettingValue::Pairs(pairs) => json!({
                "joined": q(&pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")),
                "items": pairs.iter().map(|(k, v)| json!({
                    "key": q(k),
                    "value": q(v),
                    "pair": q(&format!("{k}={v}")),
                    "colon": q(&format!("{k}:{v}")),
                })).collect::<Vec<_>>(),
            }),
            SettingValue::Bool(b) => json!({ "set": true, "value": b }),
            SettingValue::Window { day, start } => {
                let mut title = day.clone();
                if let Some(first) = title.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                json!({
                    "day": q(day),
                    "day_title": q(&title),
                    "byday": q(&day.get(0..2).unwrap_or("").to_ascii_uppercase()),
                    "start": q(start),
                })
            }
        };
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// One verify step per criterion: `check` is bash that prints one PASS or FAIL line.
fn criteria(plan: &Plan) -> Vec<CriterionContext> {
    let q = |s: &str| sh_quote(s);
    let mut out = Vec::new();
    let duration_check = |file: &str, what: &str, seconds: u64| {
        format!(
            "if [ -f \"$STATE_DIR/{file}\" ]; then\n  took=\"$(cat \"$STATE_DIR/{file}\")\"\n  if [ \"$took\" -le {seconds} ]; then pass \"{what} took ${{took}}s (limit {seconds}s)\"; else fail \"{what} took ${{took}}s (limit {seconds}s)\"; fi\nfi"
        )
    };
    for criterion in &plan.criteria {
        let (title, check) = match criterion {
            Criterion::NodesReady { within_seconds } => (
                format!("nodes ready within {}", human_duration(*within_seconds)),
                format!(
                    "if within {s} kubectl wait --for=condition=Ready nodes --all --timeout=10s >/dev/null 2>&1; then pass 'all nodes Ready'; else fail 'nodes not Ready within {h}'; fi\n{d}",
                    s = within_seconds,
                    h = human_duration(*within_seconds),
                    d = duration_check("provision.seconds", "provisioning", *within_seconds)
                ),
            ),
            Criterion::Rollout { within_seconds } => {
                let mut lines: Vec<String> = plan
                    .services
                    .iter()
                    .map(|s| {
                        let workload = s.workload();
                        format!(
                            "if kubectl --namespace \"$NAMESPACE\" rollout status {w} --timeout={s}s >/dev/null 2>&1; then pass {ok}; else fail {bad}; fi",
                            w = q(&workload),
                            s = within_seconds,
                            ok = q(&format!("{workload} rolled out")),
                            bad = q(&format!("{workload} not rolled out within {}", human_duration(*within_seconds))),
                        )
                    })
                    .collect();
                lines.push(duration_check("deploy.seconds", "deployment", *within_seconds));
                (format!("rollouts complete within {}", human_duration(*within_seconds)), lines.join("\n"))
            }
            Criterion::Http { url, status, tls, within_seconds, contains, .. } => {
                let tls_word = match tls {
                    HttpTls::Valid => "valid",
                    HttpTls::Insecure => "insecure",
                    HttpTls::None => "none",
                };
                let what = match (tls, contains) {
                    (HttpTls::Valid, _) if url.starts_with("https://") => {
                        format!("{url} returns {status} with a valid certificate")
                    }
                    _ => format!("{url} returns {status}"),
                };
                (
                    format!("{what} within {}", human_duration(*within_seconds)),
                    format!(
                        "if within {s} http_check {u} {status} {t} {c}; then pass {ok}; else fail {bad}; fi",
                        s = within_seconds,
                        u = q(url),
                        t = tls_word,
                        c = q(contains.as_deref().unwrap_or("")),
                        ok = q(&what),
                        bad = q(&match contains {
                            Some(text) => format!(
                                "{url} did not return {status} with `{text}` in the page within {}",
                                human_duration(*within_seconds)
                            ),
                            None => format!("{url} did not return {status} within {}", human_duration(*within_seconds)),
                        }),
                    ),
                )
            }
            Criterion::Certificate { name, within_seconds } => (
                format!("certificate {name} Ready within {}", human_duration(*within_seconds)),
                format!(
                    "if kubectl --namespace \"$NAMESPACE\" wait --for=condition=Ready {n} --timeout={s}s >/dev/null 2>&1; then pass {ok}; else fail {bad}; fi",
                    n = q(&format!("certificate/{name}")),
                    s = within_seconds,
                    ok = q(&format!("certificate {name} is Ready")),
                    bad = q(&format!(
                        "certificate {name} not Ready within {}: is DNS pointing at the load balancer?",
                        human_duration(*within_seconds)
                    )),
                ),
            ),
            Criterion::Teardown { cost } => (
                format!("teardown leaves {} billing", dollars(cost.cents)),
                format!(
                    "echo {}",
                    q(&format!("SKIP  teardown cost = {} is checked by ./teardown.sh", dollars(cost.cents)))
                ),
            ),
        };
        out.push(CriterionContext { title: comment_safe(&title), check, dry: q(&format!("would check: {title}")) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_hostile_text_inert() {
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(sh_quote("`id`;\"x\""), "'`id`;\"x\"'");
    }

    #[test]
    fn durations_and_dollars_read_well() {
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(90), "90s");
        assert_eq!(dollars(2400), "$24");
        assert_eq!(dollars(459), "$4.59");
    }
}
