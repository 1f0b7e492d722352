//! Every example from an empty cluster to a verified endpoint and back to nothing, against a
//! stateful stand-in cloud (`tests/cloud/standin.py`).
//!
//! The stand-in keeps the account and its clusters in a state file, answers `get` and `list`
//! from it, fails as the real tools fail for what does not exist, and models the controllers
//! whose behaviour the review's defects lived in (load-balancer addresses, volumes, CRDs,
//! finalizers, certificates; see its header). Each example runs provision → deploy → verify →
//! teardown as a user would: when `deploy.sh` stops at a prerequisite it names, the user
//! creates it and runs `deploy.sh` again. Then the test asserts that every script passed, that
//! nothing this run created is left (billable or holding a local cluster), and that everything
//! that was in the account before provision is still there.
//!
//! Also here: the review's defects, reintroduced into the emitted scripts one at a time, each
//! failing with the fact that catches it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use deployc::testing::{TempDir, client_venv, compile_path, operator_keys};
use serde_json::{Value as Json, json};

/// The tools the stand-in cloud answers for; a call it does not model fails loudly (exit 64).
const TOOLS: [&str; 15] = [
    "cloud-provider-kind",
    "doctl",
    "az",
    "hetzner-k3s",
    "hcloud",
    "k3d",
    "kind",
    "helm",
    "kubectl",
    "curl",
    "docker",
    "aws",
    "eksctl",
    "gcloud",
    "gke-gcloud-auth-plugin",
];

/// What is in the account before provision: resources of other projects, which teardown must
/// neither delete nor report, and (for `reuse`) the things provision finds and uses.
fn seeds(plan: &deployc::lower::plan::Plan, reuse: bool) -> Vec<Json> {
    let templates = plan.target.templates.name.as_str();
    let seed = |provider: &str, kind: &str, name: &str, extra: Json| {
        let mut r = json!({"provider": provider, "type": kind, "name": name, "billable": true, "origin": "seed"});
        if let (Some(r), Some(extra)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(extra.clone());
        }
        r
    };
    let mut out = match templates {
        "doks" => vec![
            seed("doks", "load_balancer", "a0123456789abcdef", json!({"tags": ["k8s:other-cluster-id"]})),
            seed("doks", "volume", "pvc-other", json!({"tags": ["k8s:other-cluster-id"]})),
            seed("doks", "snapshot", "nightly-db", json!({})),
            seed("doks", "reserved_ip", "198.51.100.7", json!({})),
        ],
        "aks" => vec![
            seed("aks", "group", "shared-rg", json!({"billable": false})),
            seed("aks", "volume", "shared-disk", json!({"group": "shared-rg"})),
            seed("aks", "public_ip", "shared-ip", json!({"group": "shared-rg"})),
        ],
        "hetzner" => vec![
            seed("hetzner", "server", "web-1", json!({"labels": {"team": "web"}})),
            seed("hetzner", "load_balancer", "web-lb", json!({"labels": {"team": "web"}})),
            seed("hetzner", "volume", "web-data", json!({"labels": {"team": "web"}})),
            seed("hetzner", "primary_ip", "web-ip", json!({})),
            seed("hetzner", "snapshot", "web-image", json!({})),
        ],
        "k3d" => vec![seed("k3d", "registry", "k3d-other", json!({"billable": false, "local": true}))],
        "kind" => vec![seed(
            "kind",
            "lb_container",
            "kindccm-other",
            json!({"billable": false, "local": true, "labels": {"io.x-k8s.cloud-provider-kind.cluster": "other"}}),
        )],
        "eks" => vec![
            seed(
                "eks",
                "load_balancer",
                "other-app-lb",
                json!({"address": "other-app-lb-1.us-east-1.elb.amazonaws.com"}),
            ),
            seed("eks", "volume", "vol-0other", json!({"pv": "pvc-other"})),
            seed("eks", "stack", "eksctl-other-cluster", json!({"labels": {"alpha.eksctl.io/cluster-name": "other"}})),
        ],
        "gke" => vec![
            seed("gke", "load_balancer", "a-other-rule", json!({"address": "198.51.100.200"})),
            seed("gke", "volume", "pvc-other", json!({})),
        ],
        _ => vec![],
    };
    // What the target's settings name must exist before provisioning (a VPC, a project,
    // subnets, a network): the user made them.
    for (name, value) in &plan.target.settings {
        use deployc::check::model::SettingValue;
        let region = plan.target.region.clone().unwrap_or_default();
        match (templates, name.as_str(), value) {
            ("doks", "vpc", SettingValue::Text(id)) => {
                out.push(seed("doks", "vpc", id, json!({"billable": false, "region": region})))
            }
            ("doks", "project", SettingValue::Text(id)) => {
                out.push(seed("doks", "project", id, json!({"billable": false})))
            }
            // The user's domain, with a record of another service that must be left alone.
            ("doks", "dns_domain", SettingValue::Text(zone)) => out.push(seed(
                "doks",
                "domain",
                zone,
                json!({"billable": false, "records": [{"id": 1, "type": "A", "name": "www", "data": "198.51.100.80"}]}),
            )),
            ("eks", "private_subnets" | "public_subnets", SettingValue::List(ids)) => {
                out.extend(ids.iter().map(|id| seed("eks", "subnet", id, json!({"billable": false}))))
            }
            ("hetzner", "network", SettingValue::Text(network)) => {
                out.push(seed("hetzner", "network", network, json!({"billable": false})))
            }
            _ => {}
        }
    }
    if reuse {
        // What provision finds and uses instead of creating: the AKS resource group (with
        // another project's disk in it), the local or DigitalOcean registry.
        match templates {
            "aks" => {
                let group = plan.target.resource_group.clone().unwrap_or_else(|| format!("{}-rg", plan.target.cluster));
                out.push(seed("aks", "group", &group, json!({"billable": false})));
                out.push(seed("aks", "volume", "their-disk", json!({"group": group})));
            }
            "k3d" if plan.target.local_registry.is_some() => {
                let host =
                    plan.target.local_registry.as_deref().unwrap_or_default().split(':').next().unwrap_or_default();
                out.push(seed("k3d", "registry", host, json!({"billable": false, "local": true})));
            }
            "doks" if plan.registry.is_some() => {
                let name =
                    plan.registry.as_deref().unwrap_or_default().trim_start_matches("registry.digitalocean.com/");
                out.push(seed("doks", "registry", name.split('/').next().unwrap_or_default(), json!({})));
            }
            _ => {}
        }
    }
    out
}

/// Whether `seeds(plan, true)` has anything to reuse for this plan.
fn reusable(plan: &deployc::lower::plan::Plan) -> bool {
    match plan.target.templates.name.as_str() {
        "aks" => true,
        "k3d" => plan.target.local_registry.is_some(),
        "doks" => plan.registry.is_some(),
        _ => false,
    }
}

struct Run {
    dir: TempDir,
    log: String,
}

impl Run {
    fn root(&self) -> &Path {
        Path::new(self.dir.path())
    }

    fn state(&self) -> Json {
        let text = fs::read_to_string(self.root().join("cloud/state.json")).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Json::Null)
    }

    /// `program` run in the run's working directory with only the stand-ins on PATH and the
    /// stand-in cloud's state.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let root = self.root();
        let mut command = Command::new(program);
        command
            .current_dir(root.join("cwd"))
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", root.join("bin").display()))
            .env("HOME", root.join("cwd"))
            .env("CLOUD_DIR", root.join("cloud"))
            .env("REAL_KUBECTL", which("kubectl"));
        command
    }

    /// Run one script; its exit status and output (also kept in the run's log).
    fn script(&mut self, script: &str, args: &[&str], env: &[(String, String)]) -> (bool, String) {
        let output = self
            .command("bash")
            // `deploy.sh`, or a path under the output (`environments/dev/scripts/deploy.sh`).
            .arg(if script.contains('/') {
                self.root().join("out").join(script)
            } else {
                self.root().join("out/scripts").join(script)
            })
            .args(args)
            .env("VERIFY_INTERVAL", "0")
            .env("DNS_INTERVAL", "0")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("bash runs");
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        self.log.push_str(&format!("\n$ {script} {}\n{text}", args.join(" ")));
        (output.status.success(), text)
    }

    /// Run a stand-in tool directly, as the user would at a prompt, with kubectl pointed at
    /// `config`.
    fn user_in(&mut self, config: &Path, tool: &str, args: &[&str], stdin: &str) {
        use std::io::Write;
        let mut child = self
            .command(self.root().join("bin").join(tool))
            .args(args)
            .env("KUBECONFIG", config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("stand-in runs");
        if let Some(mut input) = child.stdin.take() {
            let _ = input.write_all(stdin.as_bytes());
        }
        let output = child.wait_with_output().expect("stand-in runs");
        self.log.push_str(&format!(
            "\n$ (user) {tool} {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
}

fn which(tool: &str) -> String {
    let out = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().expect("sh runs");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "`{tool}` is not installed; this machine image should carry it (notes/test-harness.md)");
    path
}

/// The kubeconfig the scripts leave: hetzner-k3s writes it into the state directory.
fn kubeconfig(root: &Path) -> PathBuf {
    let state = root.join("out/.deployc-state/kubeconfig");
    if state.exists() { state } else { root.join("cwd/.kube/config") }
}

/// The stand-ins on PATH: each tool runs the model; `date` and `sleep` share a virtual clock, so
/// that a check which can never pass times out at once instead of polling for minutes.
fn install_cloud(root: &Path, seeds: &[Json]) {
    let bin = root.join("bin");
    fs::create_dir_all(&bin).expect("bin");
    fs::create_dir_all(root.join("cloud")).expect("cloud");
    fs::create_dir_all(root.join("cwd")).expect("cwd");
    let python = client_venv().join("python");
    let model = Path::new("tests/cloud/standin.py").canonicalize().expect("tests/cloud/standin.py");
    let wrapper =
        format!("#!/usr/bin/env bash\nexec {} {} \"$(basename \"$0\")\" \"$@\"\n", python.display(), model.display());
    let clock = root.join("cloud/clock");
    fs::write(&clock, "0").expect("clock");
    let date = format!(
        "#!/usr/bin/env bash\nif [ \"$*\" = +%s ]; then echo $(( $(/bin/date +%s) + $(cat {c}) )); else exec /bin/date \"$@\"; fi\n",
        c = clock.display()
    );
    let sleep = format!("#!/usr/bin/env bash\necho $(( $(cat {c}) + 60 )) > {c}\n", c = clock.display());
    for (name, text) in
        TOOLS.iter().map(|t| (*t, wrapper.as_str())).chain([("date", date.as_str()), ("sleep", sleep.as_str())])
    {
        let path = bin.join(name);
        fs::write(&path, text).expect("stand-in");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o755));
        }
    }
    let state = json!({"resources": seeds, "clusters": {}, "next_id": 1000});
    fs::write(root.join("cloud/state.json"), state.to_string()).expect("state");
}

/// Build `example`, apply `edit` to each emitted script, and run it end to end. Returns the run
/// and the first failure, if any.
fn run_example(example: &Path, tag: &str, reuse: bool, edit: &dyn Fn(&str, String) -> String) -> (Run, Option<String>) {
    run_example_with(example, tag, reuse, edit, &[])
}

/// [`run_example`] in a cloud that also holds `extra` (a scenario's own seeds).
fn run_example_with(
    example: &Path,
    tag: &str,
    reuse: bool,
    edit: &dyn Fn(&str, String) -> String,
    extra: &[Json],
) -> (Run, Option<String>) {
    let result = compile_path(example);
    let (Some(tree), Some(plan)) = (result.output, result.plan) else {
        panic!("{} must compile:\n{}", example.display(), result.rendered)
    };
    let stem = example.file_stem().unwrap_or_default().to_string_lossy().to_string();
    let mut run = Run { dir: TempDir::new(&format!("cloud-{stem}-{tag}")), log: String::new() };
    let root = run.root().to_path_buf();
    deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
    for script in ["provision.sh", "deploy.sh", "verify.sh", "teardown.sh"] {
        let path = root.join("out/scripts").join(script);
        let text = fs::read_to_string(&path).expect("script");
        fs::write(&path, edit(script, text)).expect("edit");
    }
    let mut seeded = seeds(&plan, reuse);
    seeded.extend(extra.iter().cloned());
    install_cloud(&root, &seeded);
    operator_keys(&root.join("cwd"), &plan);
    let mut env: Vec<(String, String)> =
        plan.secrets.iter().flat_map(|s| s.keys.iter().map(|(_, v)| (v.clone(), "x".to_string()))).collect();
    env.push(("HCLOUD_TOKEN".into(), "x".into()));
    env.push(("ADMIN_CIDRS".into(), "203.0.113.7/32".into()));

    let (ok, out) = run.script("provision.sh", &[], &env);
    if !ok {
        return (run, Some(format!("provision.sh failed:\n{}", tail(&out))));
    }
    // deploy.sh, and again after each prerequisite it names is created, as its message says.
    let mut attempts = 0;
    loop {
        let (ok, out) = run.script("deploy.sh", &[], &env);
        if ok {
            break;
        }
        attempts += 1;
        let created = attempts < 4 && user_creates_prerequisite(&mut run, &out, &plan.namespace);
        if !created {
            return (run, Some(format!("deploy.sh failed:\n{}", tail(&out))));
        }
    }
    let (ok, out) = run.script("verify.sh", &[], &env);
    if !ok {
        return (run, Some(format!("verify.sh failed:\n{}", tail(&out))));
    }
    let (ok, out) = run.script("teardown.sh", &["--yes"], &env);
    if !ok {
        return (run, Some(format!("teardown.sh failed:\n{}", tail(&out))));
    }
    let left = what_teardown_left(&run, &plan, reuse);
    (run, left)
}

/// What a teardown left: anything this run created that bills or runs locally, anything that
/// existed before (a seed) that is gone, a domain's records not back to the seeds'.
fn what_teardown_left(run: &Run, plan: &deployc::lower::plan::Plan, reuse: bool) -> Option<String> {
    let state = run.state();
    let resources = state["resources"].as_array().cloned().unwrap_or_default();
    let left: Vec<String> = resources
        .iter()
        .filter(|r| r["origin"] == "run" && (r["billable"] == true || r["local"] == true))
        .map(|r| format!("{} {} {}", r["provider"], r["type"], r["name"]))
        .collect();
    if !left.is_empty() {
        return Some(format!("teardown passed but left what this run created: {left:?}"));
    }
    let gone: Vec<String> = seeds(plan, reuse)
        .iter()
        .filter(|s| {
            !resources.iter().any(|r| r["origin"] == "seed" && r["type"] == s["type"] && r["name"] == s["name"])
        })
        .map(|s| format!("{} {}", s["type"], s["name"]))
        .collect();
    if !gone.is_empty() {
        return Some(format!("teardown deleted what existed before provision: {gone:?}"));
    }
    // A domain's records are back to those it had: the run's gone, the user's kept.
    for seed in seeds(plan, reuse).iter().filter(|s| s.get("records").is_some()) {
        let now = resources.iter().find(|r| r["type"] == seed["type"] && r["name"] == seed["name"]);
        if now.map(|r| &r["records"]) != Some(&seed["records"]) {
            let records = now.map(|r| r["records"].to_string()).unwrap_or_default();
            return Some(format!("teardown left the records of {} as {records}", seed["name"]));
        }
    }
    None
}

/// The user's part: create the TLS Secret or ClusterSecretStore that `deploy.sh` says is missing.
fn user_creates_prerequisite(run: &mut Run, output: &str, namespace: &str) -> bool {
    let config = kubeconfig(run.root());
    user_creates_prerequisite_in(run, &config, output, namespace)
}

/// [`user_creates_prerequisite`] in the cluster `config` names.
fn user_creates_prerequisite_in(run: &mut Run, config: &Path, output: &str, namespace: &str) -> bool {
    let named = |what: &str| {
        let start = output.find(&format!("the {what} `"))? + what.len() + 6;
        let end = output[start..].find('`')? + start;
        Some(output[start..end].to_string())
    };
    if let Some(secret) = named("TLS Secret") {
        run.user_in(
            config,
            "kubectl",
            &["--namespace", namespace, "create", "secret", "tls", &secret, "--cert=c.pem", "--key=k.pem"],
            "",
        );
        return true;
    }
    if let Some(store) = named("ClusterSecretStore") {
        let manifest = format!(
            "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\nmetadata:\n  name: {store}\nspec:\n  provider: {{}}\n"
        );
        run.user_in(config, "kubectl", &["apply", "-f", "-"], &manifest);
        return true;
    }
    false
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

#[test]
fn every_example_comes_up_passes_verify_and_goes_away() {
    let mut failures = Vec::new();
    let examples = deployc::testing::single_environment_examples();
    for example in &examples {
        let (run, failure) = run_example(example, "e2e", false, &|_, text| text);
        if let Some(why) = failure {
            failures.push(format!("{}: {why}\n--- the run ---{}", example.display(), run.log));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(examples.len() >= 11, "the examples are missing: {examples:?}");
}

/// A defect of the review reintroduced into one example's scripts must fail the run with the
/// fact that catches it.
fn assert_caught(example: &str, script: &str, replacements: &[(&str, &str)], fact: &str) {
    let edit = |name: &str, mut text: String| {
        if name != script {
            return text;
        }
        for (from, to) in replacements {
            assert!(text.contains(from), "{example} {script} no longer contains `{from}`: update the mutation");
            text = text.replace(from, to);
        }
        text
    };
    let (run, failure) = run_example(Path::new(example), "mutant", false, &edit);
    let Some(why) = failure else { panic!("{example}: {replacements:?} in {script} went unnoticed:{}", run.log) };
    assert!(
        why.contains(fact) || run.log.contains(fact),
        "{example}: the mutation failed, but not with `{fact}`:\n{why}"
    );
    eprintln!("{example}: {replacements:?} in {script}: {}", why.lines().last().unwrap_or_default());
}

#[test]
fn k3d_with_ingress_nginx_needs_the_bundled_traefik_disabled() {
    assert_caught(
        "examples/humor-game-k3d.deploy",
        "provision.sh",
        &[("args+=(--k3s-arg '--disable=traefik@server:*')", ":")],
        "are held by another LoadBalancer Service (servicelb)",
    );
}

#[test]
fn hetzner_needs_deletion_protection_off_and_the_lb_location() {
    assert_caught(
        "examples/task-api-hetzner.deploy",
        "provision.sh",
        &[("protect_against_deletion: false", "protect_against_deletion: true")],
        "deletion protection is enabled",
    );
}

#[test]
fn hetzner_provision_stops_before_creating_anything_when_a_server_type_is_out_of_stock() {
    // Hetzner takes cx23 out of stock in fsn1: without the check, hetzner-k3s fails only when
    // it creates the servers, after the network and firewall.
    let out_of_stock = json!({"provider": "hetzner", "type": "unavailable_server_type", "name": "cx23@fsn1",
                              "billable": false, "origin": "seed"});
    let example = Path::new("examples/task-api-hetzner.deploy");
    let (run, failure) =
        run_example_with(example, "out-of-stock", false, &|_, text| text, std::slice::from_ref(&out_of_stock));
    let why = failure.expect("provision must stop on a server type Hetzner cannot supply");
    assert!(why.contains("Hetzner cannot supply server type cx23 in fsn1"), "another failure:\n{why}");
    let made: Vec<String> = run.state()["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["origin"] == "run")
        .map(|r| format!("{} {}", r["type"], r["name"]))
        .collect();
    assert!(made.is_empty(), "provision created {made:?} before stopping");
    // The mutation: without the check, hetzner-k3s fails late and leaves what it made first.
    let unchecked = |name: &str, text: String| {
        if name == "provision.sh" {
            text.replace("elif [[ \" $availability \" != *\" $REGION=true \"* ]]; then", "elif false; then")
        } else {
            text
        }
    };
    let (_, failure) = run_example_with(example, "unchecked", false, &unchecked, &[out_of_stock]);
    assert!(
        failure.is_some_and(|why| why.contains("resource_unavailable")),
        "the stand-in did not model the late failure"
    );
}

#[test]
fn teardown_must_delete_the_claims_helm_leaves() {
    // Dapr's scheduler claims carry only `app: dapr-scheduler-server`; Hetzner volumes outlive
    // `hetzner-k3s delete`.
    assert_caught(
        "examples/task-api-hetzner.deploy",
        "teardown.sh",
        &[(
            "run kubectl delete namespace 'dapr-system' --ignore-not-found --wait=true --timeout=5m",
            "run kubectl delete pvc --namespace 'dapr-system' --selector 'app.kubernetes.io/instance=dapr' --ignore-not-found --wait=true --timeout=5m",
        )],
        "teardown leaves billable resources",
    );
}

#[test]
fn eks_claims_need_the_ebs_csi_driver_and_a_default_storage_class() {
    // EKS 1.30+ has no default StorageClass and eksctl installs no EBS CSI driver: the database's
    // claim stays Pending without provision.sh's storage steps.
    assert_caught(
        "examples/task-api-eks.deploy",
        "provision.sh",
        &[("for addon in eks-pod-identity-agent aws-ebs-csi-driver; do", "for addon in eks-pod-identity-agent; do")],
        "ebs.csi.aws.com",
    );
}

#[test]
fn doks_routes_resolve_only_through_the_records_deploy_creates_and_teardown_removes() {
    // The domain's name resolves only through its A records (the stand-in's DNS): without the
    // record deploy.sh's wait runs out; without the delete, teardown leaves it.
    assert_caught(
        "examples/task-api-doks.deploy",
        "deploy.sh",
        &[("id=\"$(doctl compute domain records create", "id=\"$(: doctl compute domain records create")],
        "does not resolve yet",
    );
    assert_caught(
        "examples/task-api-doks.deploy",
        "teardown.sh",
        &[("run doctl compute domain records delete 'example.com' \"$id\" --force", ":")],
        "DNS record tasks in example.com",
    );
}

#[test]
fn kafka_topics_go_before_their_namespace() {
    assert_caught(
        "examples/platform-aks.deploy",
        "teardown.sh",
        &[("run kubectl delete kafkatopics.kafka.strimzi.io", ": kubectl delete kafkatopics.kafka.strimzi.io")],
        "finalizers: nothing removes them",
    );
}

#[test]
fn teardown_reports_a_load_balancer_the_cluster_left() {
    // The ingress controller's load balancer outlives the cluster when neither its release nor
    // `--dangerous` removes it; the leftover check finds it by the ID the inventory recorded,
    // and still ignores the account's other load balancers.
    assert_caught(
        "examples/task-api-doks.deploy",
        "teardown.sh",
        &[
            ("run helm uninstall 'traefik'", ": helm uninstall 'traefik'"),
            ("run kubectl delete namespace 'traefik'", ": kubectl delete namespace 'traefik'"),
            ("--dangerous --force", "--force"),
        ],
        "FAIL  teardown leaves billable resources (criterion: cost = $0):\n  - load balancer 10",
    );
}

#[test]
fn kind_needs_cloud_provider_kind_for_its_ingress_controller() {
    assert_caught(
        "examples/task-api-kind.deploy",
        "provision.sh",
        &[("nohup cloud-provider-kind >", ": cloud-provider-kind >")],
        "cloud-provider-kind is not running",
    );
}

#[test]
fn what_provision_reuses_is_kept_at_teardown() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for example in deployc::testing::single_environment_examples() {
        let Some(plan) = compile_path(&example).plan else { continue };
        if !reusable(&plan) {
            continue;
        }
        ran += 1;
        let (run, failure) = run_example(&example, "reuse", true, &|_, text| text);
        if let Some(why) = failure {
            failures.push(format!("{}: {why}\n--- the run ---{}", example.display(), run.log));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 3, "only {ran} examples reuse something");
}

/// Two environments on one cluster (seed 000's Task API, dev beside prod): dev's scripts make
/// the cluster, both deploy into it with their own namespaces and DNS records, both verify, and
/// dev's teardown removes the cluster with every record either made.
#[test]
fn environments_on_one_cluster_share_its_provision_and_teardown() {
    let example = Path::new("examples/task-api-environments-doks.deploy");
    let units = deployc::testing::compile_units(example).unwrap_or_else(|rendered| panic!("must compile:\n{rendered}"));
    let result = compile_path(example);
    let (Some(tree), Some(plan)) = (result.output, result.plan) else { panic!("must compile:\n{}", result.rendered) };
    assert_eq!(units.len(), 2, "dev and prod");
    assert!(tree.contains_key("environments/dev/scripts/provision.sh"), "dev provisions the cluster");
    for script in ["provision.sh", "teardown.sh"] {
        assert!(
            !tree.contains_key(&format!("environments/prod/scripts/{script}")),
            "prod is on dev's cluster: no {script}"
        );
    }
    let mut run = Run { dir: TempDir::new("cloud-environments"), log: String::new() };
    let root = run.root().to_path_buf();
    deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
    install_cloud(&root, &seeds(&plan, false));
    operator_keys(&root.join("cwd"), &plan);
    let env: Vec<(String, String)> = units
        .iter()
        .flat_map(|(plan, _)| {
            plan.secrets.iter().flat_map(|s| s.keys.iter().map(|(_, v)| (v.clone(), "x".to_string())))
        })
        .collect();
    for (script, args) in [
        ("environments/dev/scripts/provision.sh", &[][..]),
        ("environments/dev/scripts/deploy.sh", &[][..]),
        ("environments/prod/scripts/deploy.sh", &[][..]),
        ("environments/dev/scripts/verify.sh", &[][..]),
        ("environments/prod/scripts/verify.sh", &[][..]),
    ] {
        let (ok, out) = run.script(script, args, &env);
        assert!(ok, "{script} failed:\n{}", tail(&out));
    }
    let state = run.state();
    let clusters: Vec<&Json> = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["origin"] == "run" && r["type"] == "cluster")
        .collect();
    assert_eq!(clusters.len(), 1, "one cluster for both environments: {clusters:?}");
    let (ok, out) = run.script("environments/dev/scripts/teardown.sh", &["--yes"], &env);
    assert!(ok, "teardown.sh failed:\n{}", tail(&out));
    if let Some(left) = what_teardown_left(&run, &plan, false) {
        panic!("{left}");
    }
}

/// Environments on their own targets (seed 004's humor game: dev on k3d, staging and prod each
/// on a DigitalOcean cluster): each provisions its own cluster, and each environment's scripts
/// talk to their own cluster although the last `provision.sh` made another context current;
/// each teardown removes its own cluster and nothing of the others'.
#[test]
fn environments_on_their_own_targets_get_a_cluster_each() {
    let example = Path::new("examples/humor-game-environments.deploy");
    let units = deployc::testing::compile_units(example).unwrap_or_else(|rendered| panic!("must compile:\n{rendered}"));
    let result = compile_path(example);
    let Some(tree) = result.output else { panic!("must compile:\n{}", result.rendered) };
    let names: Vec<String> =
        units.iter().filter_map(|(plan, _)| plan.environment.as_ref().map(|e| e.name.clone())).collect();
    assert_eq!(names, ["dev", "staging", "prod"]);
    let mut run = Run { dir: TempDir::new("cloud-environments-apart"), log: String::new() };
    let root = run.root().to_path_buf();
    deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
    let mut seeded: Vec<Json> = Vec::new();
    for (plan, _) in &units {
        for seed in seeds(plan, false) {
            if !seeded.contains(&seed) {
                seeded.push(seed);
            }
        }
    }
    install_cloud(&root, &seeded);
    let mut env: Vec<(String, String)> = Vec::new();
    for (plan, _) in &units {
        operator_keys(&root.join("cwd"), plan);
        env.extend(plan.secrets.iter().flat_map(|s| s.keys.iter().map(|(_, v)| (v.clone(), "x".to_string()))));
    }
    let cluster_count = |run: &Run| run.state()["clusters"].as_object().map_or(0, |clusters| clusters.len());
    // Every cluster first, so that the current context is prod's when dev and staging deploy.
    for name in &names {
        let script = format!("environments/{name}/scripts/provision.sh");
        let (ok, out) = run.script(&script, &[], &env);
        assert!(ok, "{script} failed:\n{}\n--- the run ---{}", tail(&out), run.log);
    }
    assert_eq!(cluster_count(&run), 3, "one cluster per distinct target");
    for (name, (plan, _)) in names.iter().zip(&units) {
        let script = format!("environments/{name}/scripts/deploy.sh");
        let mut attempts = 0;
        loop {
            let (ok, out) = run.script(&script, &[], &env);
            if ok {
                break;
            }
            attempts += 1;
            // The user creates what deploy.sh names, in that environment's cluster.
            let kubeconfig = root.join(format!("out/.deployc-state/{name}/kubeconfig"));
            let created = attempts < 4 && user_creates_prerequisite_in(&mut run, &kubeconfig, &out, &plan.namespace);
            assert!(created, "{script} failed:\n{}\n--- the run ---{}", tail(&out), run.log);
        }
        let script = format!("environments/{name}/scripts/verify.sh");
        let (ok, out) = run.script(&script, &[], &env);
        assert!(ok, "{script} failed:\n{}\n--- the run ---{}", tail(&out), run.log);
    }
    for (index, name) in names.iter().enumerate() {
        let script = format!("environments/{name}/scripts/teardown.sh");
        let (ok, out) = run.script(&script, &["--yes"], &env);
        assert!(ok, "{script} failed:\n{}\n--- the run ---{}", tail(&out), run.log);
        assert_eq!(cluster_count(&run), names.len() - index - 1, "{name}'s teardown removes its cluster alone");
    }
    for (plan, _) in &units {
        if let Some(left) = what_teardown_left(&run, plan, false) {
            panic!("{left}\n--- the run ---{}", run.log);
        }
    }
}
