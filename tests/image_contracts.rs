//! The pods every example emits honour the run-time contracts of the images they run
//! (`stdlib/images/`) and of the sidecars injected into them (`sidecar` in
//! `stdlib/components/dapr.deploy`). The facts come from the plan; the pod specs are read
//! back from the emitted YAML, so this checks what a cluster would be given.

use serde::Deserialize;
use serde_yaml::Value;

use deployc::lower::plan::{Plan, Service};
use deployc::testing::{compile_path, deploy_files};

/// Every Deployment and StatefulSet of an example, by name.
fn workloads(tree: &std::collections::BTreeMap<String, String>) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, text) in tree.iter().filter(|(p, _)| p.starts_with("manifests/") && p.ends_with(".yaml")) {
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = Value::deserialize(document).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
            let kind = value["kind"].as_str().unwrap_or("");
            if kind == "Deployment" || kind == "StatefulSet" {
                let name = value["metadata"]["name"].as_str().unwrap_or("").to_string();
                out.push((name, value));
            }
        }
    }
    out
}

fn strings(value: &Value) -> &[Value] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// What one pod of a service is given, read from its workload.
struct Pod<'v> {
    spec: &'v Value,
    container: &'v Value,
    annotations: &'v Value,
}

impl<'v> Pod<'v> {
    fn new(workload: &'v Value, service: &str) -> Pod<'v> {
        let template = &workload["spec"]["template"];
        let container = strings(&template["spec"]["containers"])
            .iter()
            .find(|c| c["name"].as_str() == Some(service))
            .unwrap_or_else(|| panic!("{service}: no container named after the service"));
        Pod { spec: &template["spec"], container, annotations: &template["metadata"]["annotations"] }
    }

    fn env(&self) -> Vec<(&str, &Value)> {
        strings(&self.container["env"]).iter().filter_map(|e| Some((e["name"].as_str()?, e))).collect()
    }

    /// The mount that holds `path`, if any: its volume's name and whether it is writable.
    fn mount_of(&self, path: &str) -> Option<(&str, bool)> {
        strings(&self.container["volumeMounts"])
            .iter()
            .filter_map(|m| Some((m["mountPath"].as_str()?, m)))
            .filter(|(mount, _)| {
                path.strip_prefix(mount.trim_end_matches('/'))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(mount, _)| mount.len())
            .and_then(|(_, m)| Some((m["name"].as_str()?, m["readOnly"].as_bool() != Some(true))))
    }

    fn volume(&self, name: &str) -> Option<&Value> {
        strings(&self.spec["volumes"]).iter().find(|v| v["name"].as_str() == Some(name))
    }

    /// `runAsUser` as the container sees it (its own, else the pod's).
    fn user(&self) -> Option<i64> {
        self.container["securityContext"]["runAsUser"].as_i64().or(self.spec["securityContext"]["runAsUser"].as_i64())
    }

    fn read_only_root(&self) -> bool {
        self.container["securityContext"]["readOnlyRootFilesystem"].as_bool() == Some(true)
    }

    /// A file path is readable when a secret volume mounted above it projects its key.
    fn file_exists(&self, path: &str) -> bool {
        let Some((volume, _)) = self.mount_of(path) else { return false };
        let Some(volume) = self.volume(volume) else { return false };
        let key = path.rsplit('/').next().unwrap_or("");
        volume["secret"].is_mapping()
            && strings(&volume["secret"]["items"]).iter().any(|item| item["key"].as_str() == Some(key))
    }
}

fn check_service(example: &str, service: &Service, workload: &Value, failures: &mut Vec<String>) {
    let pod = Pod::new(workload, &service.name);
    let mut fail = |fact: String| failures.push(format!("{example}: service `{}`: {fact}", service.name));
    let env = pod.env();
    let root_allowed = service.allows("run_as_root");
    if !root_allowed && pod.user().is_none_or(|u| u == 0) {
        fail("runs as root without `allow run_as_root`".into());
    }
    // Ports below 1024 as non-root need the unprivileged-port sysctl (Kubernetes 1.22 safe sysctl).
    if let (Some(user), Some(low)) = (pod.user(), service.ports.iter().map(|p| p.1).filter(|p| *p < 1024).min())
        && user != 0
    {
        let start = strings(&pod.spec["securityContext"]["sysctls"])
            .iter()
            .find(|s| s["name"].as_str() == Some("net.ipv4.ip_unprivileged_port_start"))
            .and_then(|s| s["value"].as_str()?.parse::<u16>().ok());
        if start.is_none_or(|start| start > low) {
            fail(format!("binds port {low} as UID {user} without net.ipv4.ip_unprivileged_port_start <= {low}"));
        }
    }
    // Every `X_FILE` the pod is given names a file that is mounted.
    for (name, var) in &env {
        if name.ends_with("_FILE")
            && let Some(path) = var["value"].as_str()
            && path.starts_with("/var/run/secrets/")
            && !pod.file_exists(path)
        {
            fail(format!("{name} names {path}, which no secret volume projects"));
        }
    }
    // A terminating pod keeps serving until its endpoint is gone, inside its grace period, and a
    // rollout never takes more pods away than the disruption budget allows.
    let drain = pod.container["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64();
    let grace = pod.spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    // `drain = 0s` in the file is the one way to a pod with ports and no drain.
    if !service.ports.is_empty() && service.release.drain > 0 && drain != Some(u64::from(service.release.drain)) {
        fail(format!(
            "has ports but no preStop drain of {} s: requests in flight when its endpoint is removed fail",
            service.release.drain
        ));
    }
    if drain.is_some_and(|d| d >= grace) {
        fail(format!("drains for {drain:?} s, which leaves nothing of its {grace} s grace period for the app"));
    }
    if workload["kind"].as_str() == Some("Deployment") {
        let unavailable = workload["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as_u64();
        let replicas = service.replicas.min();
        let budget = match service.min_available {
            Some(deployc::lower::plan::PodBudget::MinAvailable(m)) => replicas.saturating_sub(m),
            Some(deployc::lower::plan::PodBudget::MaxUnavailable(k)) => k,
            None => replicas,
        };
        if unavailable.is_none_or(|u| u > u64::from(budget)) {
            fail(format!("a rollout may take {unavailable:?} pods away, more than its disruption budget's {budget}"));
        }
    }
    if let Some(contract) = &service.contract {
        let source = format!("({} per {}, read {})", contract.title, contract.source, contract.as_of);
        let facts = &contract.facts;
        if pod.read_only_root() {
            for path in &facts.writes {
                match pod.mount_of(path) {
                    Some((_, true)) => {}
                    _ => fail(format!("the image writes {path}, which is not writable in the pod {source}")),
                }
            }
        }
        if !facts.any_user && !root_allowed && pod.user() != Some(i64::from(facts.user)) {
            fail(format!("the image starts only as UID {}, but the pod runs as {:?} {source}", facts.user, pod.user()));
        }
        let reads = |variable: &str| {
            env.iter().any(|(name, _)| *name == variable)
                || (contract.file_env.iter().any(|f| f == variable)
                    && env.iter().any(|(name, _)| *name == format!("{variable}_FILE")))
        };
        if !contract.requires_one_of.is_empty() && !contract.requires_one_of.iter().any(|v| reads(v)) {
            fail(format!("the entrypoint needs one of {:?} and gets none {source}", contract.requires_one_of));
        }
        for (key, value) in &facts.env {
            if !env.iter().any(|(name, _)| name == key) {
                fail(format!("the contract sets {key}={value}, which the pod lacks {source}"));
            }
        }
    }
    if let Some(sidecar) = &service.sidecar {
        let source = format!("({} per {})", sidecar.name, sidecar.source);
        let annotation = |key: &str| pod.annotations[key].as_str();
        if pod.spec["automountServiceAccountToken"].as_bool() != Some(true) {
            for (key, value) in &sidecar.without_token {
                if annotation(key) != Some(value.as_str()) {
                    fail(format!(
                        "the service-account token is not mounted, so the pod needs {key}={value}: daprd's built-in Kubernetes secret store needs the token and daprd exits without it {source}"
                    ));
                }
            }
        }
        for (role, want) in [
            ("cpu_request", sidecar.cpu.0.to_k8s()),
            ("cpu_limit", sidecar.cpu.1.to_k8s()),
            ("memory_request", sidecar.memory.0.to_k8s()),
            ("memory_limit", sidecar.memory.1.to_k8s()),
        ] {
            if let Some(key) = sidecar.annotation(role)
                && annotation(key) != Some(want.as_str())
            {
                fail(format!(
                    "{key} is {:?}, not {want}, the value `deployc check` counts; without a CPU request an HPA cannot scale the pod {source}",
                    annotation(key)
                ));
            }
        }
        // While the pod drains, the app still calls daprd: daprd must outlast the drain and
        // finish its own shutdown inside the grace period.
        let drain = pod.container["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64().unwrap_or(0);
        let grace = pod.spec["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
        if let Some(key) = sidecar.annotation("block_shutdown") {
            let block = annotation(key).and_then(|v| v.strip_suffix('s')?.parse::<u64>().ok());
            if block.is_none_or(|b| b < drain || b + sidecar.shutdown > grace) {
                fail(format!(
                    "{key} is {:?}: daprd must keep serving for the {drain} s drain and stop within the {grace} s grace period {source}",
                    annotation(key)
                ));
            }
        }
        let metrics = sidecar.annotation("metrics_port").and_then(annotation).and_then(|p| p.parse::<u16>().ok());
        for (name, port) in &sidecar.ports {
            let port = if name == "metrics" { metrics.unwrap_or(*port) } else { *port };
            let app_ports = strings(&pod.container["ports"]);
            if app_ports.iter().any(|p| p["containerPort"].as_u64() == Some(u64::from(port))) {
                fail(format!("the app binds {port}, which daprd binds too ({name}) {source}"));
            }
        }
    }
}

fn check_plan(example: &str, plan: &Plan, tree: &std::collections::BTreeMap<String, String>) -> Vec<String> {
    let mut failures = Vec::new();
    let workloads = workloads(tree);
    for service in &plan.services {
        match workloads.iter().find(|(name, _)| *name == service.name) {
            Some((_, workload)) => check_service(example, service, workload, &mut failures),
            None => failures.push(format!("{example}: no workload for `{}`", service.name)),
        }
    }
    failures
}

#[test]
fn every_example_pod_honours_its_image_and_sidecar_contracts() {
    let mut failures = Vec::new();
    let mut contracts = 0;
    let mut sidecars = 0;
    for example in deploy_files("examples") {
        let units = match deployc::testing::compile_units(&example) {
            Ok(units) => units,
            Err(rendered) => {
                failures.push(format!("{} did not compile:\n{rendered}", example.display()));
                continue;
            }
        };
        // Each environment's pods, when the deployment declares environments.
        for (plan, tree) in &units {
            let name = match &plan.environment {
                Some(environment) => format!("{} (environment {})", example.display(), environment.name),
                None => example.display().to_string(),
            };
            contracts += plan.services.iter().filter(|s| s.contract.is_some()).count();
            sidecars += plan.services.iter().filter(|s| s.sidecar.is_some()).count();
            failures.extend(check_plan(&name, plan, tree));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The examples exercise the mechanism: contracts (postgres, redis, nginx) and Dapr pods.
    assert!(contracts >= 4 && sidecars >= 4, "only {contracts} contract and {sidecars} sidecar pods checked");
}

/// The checks see a broken pod: each mutation of an emitted manifest names its fact.
#[test]
fn a_broken_pod_is_reported_with_its_fact_and_source() {
    let example = std::path::Path::new("examples/humor-game-k3d.deploy");
    let result = compile_path(example);
    let (Some(tree), Some(plan)) = (result.output, result.plan) else { panic!("{}", result.rendered) };
    let mutations: [(&str, &str, &str, &str); 3] = [
        (
            "manifests/20-postgres.yaml",
            "        - mountPath: /var/run/postgresql\n          name: scratch-var-run-postgresql\n",
            "",
            "writes /var/run/postgresql",
        ),
        ("manifests/20-postgres.yaml", "POSTGRES_PASSWORD_FILE", "DB_PASSWORD_FILE", "POSTGRES_PASSWORD"),
        ("manifests/20-frontend.yaml", "value: '80'", "value: '1024'", "net.ipv4.ip_unprivileged_port_start"),
    ];
    for (file, from, to, fact) in mutations {
        let mut broken = tree.clone();
        let text = broken.get_mut(file).expect("the file exists");
        assert!(text.contains(from), "{file} no longer contains {from:?}");
        *text = text.replacen(from, to, 1);
        let failures = check_plan("humor-game", &plan, &broken);
        assert!(
            failures.iter().any(|f| f.contains(fact)),
            "removing {from:?} from {file} went unnoticed: {failures:?}"
        );
    }
    let dapr = compile_path(std::path::Path::new("examples/task-api-k3d.deploy"));
    let (Some(tree), Some(plan)) = (dapr.output, dapr.plan) else { panic!("{}", dapr.rendered) };
    for (from, fact) in [
        ("        dapr.io/disable-builtin-k8s-secret-store: 'true'\n", "dapr.io/disable-builtin-k8s-secret-store"),
        ("        dapr.io/sidecar-cpu-request: 100m\n", "HPA"),
        ("        dapr.io/block-shutdown-duration: 25s\n", "daprd must keep serving"),
        ("          preStop:\n            sleep:\n              seconds: 10\n", "no preStop drain"),
        ("      maxUnavailable: 0\n", "more than its disruption budget"),
    ] {
        let mut broken = tree.clone();
        let text = broken.get_mut("manifests/20-task-api.yaml").expect("the file exists");
        assert!(text.contains(from), "the manifest no longer contains {from:?}");
        *text = text.replacen(from, "", 1);
        let failures = check_plan("task-api-k3d", &plan, &broken);
        assert!(failures.iter().any(|f| f.contains(fact)), "removing {from:?} went unnoticed: {failures:?}");
    }
}
