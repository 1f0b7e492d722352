//! The calls and files the scripts hand to tools that cannot be installed here (hetzner-k3s,
//! k3d), checked against contracts recorded from those tools' source at a pinned version
//! (`tests/contracts/*.json`, each naming its source). The stand-ins record; this test rejects
//! what the real tool would reject or silently misread.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use deployc::testing::{RECORDER, TempDir, compile_path, install_stand_ins, recorded_calls};
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

const TOOLS: [&str; 15] = [
    "cloud-provider-kind",
    "hetzner-k3s",
    "hcloud",
    "k3d",
    "kubectl",
    "helm",
    "curl",
    "docker",
    "doctl",
    "az",
    "kind",
    "eksctl",
    "aws",
    "gcloud",
    "gke-gcloud-auth-plugin",
];

fn contract(name: &str) -> Json {
    let path = format!("tests/contracts/{name}.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn strings(json: &Json, key: &str) -> Vec<String> {
    json[key].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// An example built into `dir`, with `edit` applied to its scripts, then provisioned and torn
/// down against the recorders; the recorded calls, each as its words.
fn run_scripts(example: &str, dir: &TempDir, edit: &dyn Fn(&str, String) -> String) -> Vec<Vec<String>> {
    let result = compile_path(Path::new(example));
    let (Some(mut tree), Some(plan)) = (result.output, result.plan) else {
        panic!("{example} must compile:\n{}", result.rendered)
    };
    let secrets: Vec<(String, String)> =
        plan.secrets.iter().flat_map(|s| s.keys.iter().map(|(_, v)| (v.clone(), "x".to_string()))).collect();
    for (path, text) in tree.iter_mut() {
        if path.starts_with("scripts/") {
            *text = edit(path, std::mem::take(text));
        }
    }
    let root = Path::new(dir.path());
    deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
    deployc::testing::operator_keys(root, &plan);
    let bin = root.join("bin");
    install_stand_ins(&bin, RECORDER, &TOOLS);
    let calls = root.join("calls.log");
    for (script, args) in [("provision.sh", &[][..]), ("deploy.sh", &[][..]), ("teardown.sh", &["--yes"][..])] {
        let output = Command::new("bash")
            .arg(root.join("out/scripts").join(script))
            .args(args)
            .current_dir(root)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", root)
            .env("CALLS", &calls)
            .env("HCLOUD_TOKEN", "x")
            .env("ADMIN_CIDRS", "203.0.113.7/32")
            .env("VERIFY_INTERVAL", "0")
            .env("DNS_INTERVAL", "0")
            .envs(secrets.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("bash runs");
        // Teardown's leftover check may fail against stand-ins; the others must not.
        assert!(
            output.status.success() || script == "teardown.sh",
            "{example} {script}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    recorded_calls(&calls)
}

/// Every key path of a YAML mapping (`networking.ssh.port`; list items share their list's path).
fn key_paths(value: &Yaml, prefix: &str, out: &mut Vec<String>) {
    match value {
        Yaml::Mapping(map) => {
            for (key, child) in map {
                let Some(key) = key.as_str() else { continue };
                let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                out.push(path.clone());
                // Lists of scalars (allowed networks) have no keys below them.
                if !matches!(child, Yaml::Sequence(items) if items.iter().all(|i| !i.is_mapping())) {
                    key_paths(child, &path, out);
                }
            }
        }
        Yaml::Sequence(items) => {
            for item in items {
                key_paths(item, prefix, out);
            }
        }
        _ => {}
    }
}

/// What hetzner-k3s v2.6.0 would reject, misread or hang on, in the config and the calls.
fn hetzner_violations(config: &str, calls: &[Vec<String>]) -> Vec<String> {
    let c = contract("hetzner-k3s-2.6.0");
    let source = c["source"].as_str().unwrap_or("");
    let mut out = Vec::new();
    let mut fail = |fact: String| out.push(format!("{fact} [{source}]"));
    let yaml: Yaml = match serde_yaml::from_str(config) {
        Ok(yaml) => yaml,
        Err(e) => return vec![format!("the config is not YAML: {e}")],
    };
    let mut paths = Vec::new();
    key_paths(&yaml, "", &mut paths);
    let known = strings(&c, "config_keys");
    for path in &paths {
        if !known.contains(path) {
            fail(format!("`{path}` is not a hetzner-k3s key: it is silently ignored and its default applies"));
        }
    }
    for required in strings(&c, "required") {
        if !paths.contains(&required) {
            fail(format!("`{required}` is required"));
        }
    }
    if yaml["config_format_version"].as_str() != c["config_format_version"].as_str() {
        fail("`config_format_version` must be \"1\": every command exits 1 without it".into());
    }
    let masters = yaml["masters_pool"]["instance_count"].as_u64().unwrap_or(1);
    if masters.is_multiple_of(2) {
        fail(format!("{masters} masters: the count must be odd"));
    }
    let locations = yaml["masters_pool"]["locations"].as_sequence().map_or(0, Vec::len) as u64;
    if locations != masters {
        fail(format!("{locations} master locations for {masters} masters: they must be equal"));
    }
    let workers = yaml["worker_node_pools"].as_sequence().map_or(0, Vec::len);
    if workers == 0 && yaml["schedule_workloads_on_masters"].as_bool() != Some(true) {
        fail("no worker pool and schedule_workloads_on_masters is not true".into());
    }
    let open = c["allowed_networks_default"].as_str().unwrap_or("0.0.0.0/0");
    for list in ["ssh", "api"] {
        let networks = &yaml["networking"]["allowed_networks"][list];
        if networks.is_null() || networks.as_sequence().is_some_and(|n| n.iter().any(|x| x.as_str() == Some(open))) {
            fail(format!("allowed_networks.{list} is {open} (the default when unset): open to the internet"));
        }
    }
    let force = c["delete_skips_prompt_and_protection"].as_str().unwrap_or("--force");
    let hetzner_k3s = |c: &&Vec<String>| c.first().map(String::as_str) == Some("hetzner-k3s");
    for call in calls.iter().filter(hetzner_k3s).filter(|c| c.get(1).map(String::as_str) == Some("delete")) {
        if !call.iter().any(|w| w == force) {
            let protected = yaml["protect_against_deletion"].as_bool().unwrap_or(true);
            fail(format!(
                "`hetzner-k3s delete` without {force} reads the cluster name from stdin (and loops forever when stdin is closed){}",
                if protected { ", then refuses: protect_against_deletion defaults to true" } else { "" }
            ));
        }
    }
    // In the values file a release passes (`--values FILE`, read while the run's files exist).
    let annotation = format!("{}:", c["load_balancer_annotation"].as_str().unwrap_or(""));
    let ingress = calls.iter().filter(|c| c.first().map(String::as_str) == Some("helm")).any(|call| {
        call.iter()
            .position(|w| w == "--values")
            .and_then(|i| call.get(i + 1))
            .and_then(|file| fs::read_to_string(file).ok())
            .is_some_and(|text| text.contains(&annotation))
    });
    if !ingress {
        fail(format!(
            "no Helm release sets `{}` on its Service: the load balancer of the ingress controller is never created",
            c["load_balancer_annotation"].as_str().unwrap_or("")
        ));
    }
    out
}

/// What k3d v5.9.0 would reject, and what k3s then runs that clashes with the stack.
fn k3d_violations(calls: &[Vec<String>], version: &str, displaced_expected: &[&str]) -> Vec<String> {
    let c = contract("k3d-5.9.0");
    let source = c["source"].as_str().unwrap_or("");
    let mut out = Vec::new();
    let mut fail = |fact: String| out.push(format!("{fact} [{source}]"));
    for (verb, key) in [("cluster", "cluster_create_flags"), ("registry", "registry_create_flags")] {
        let allowed = strings(&c, key);
        let is_create = |c: &&Vec<String>| {
            c.first().map(String::as_str) == Some("k3d")
                && c.get(1).map(String::as_str) == Some(verb)
                && c.get(2).map(String::as_str) == Some("create")
        };
        for call in calls.iter().filter(is_create) {
            for flag in call.iter().filter(|w| w.starts_with('-')) {
                let name = flag.split('=').next().unwrap_or(flag);
                if !allowed.iter().any(|a| a == name) && !flag.starts_with("--disable=") {
                    fail(format!("`k3d {verb} create {name}` is not a flag of k3d 5.9.0"));
                }
            }
        }
    }
    let Some(create) = calls.iter().find(|c| {
        c.first().map(String::as_str) == Some("k3d")
            && c.get(1).map(String::as_str) == Some("cluster")
            && c.get(2).map(String::as_str) == Some("create")
    }) else {
        return vec!["no `k3d cluster create` call".into()];
    };
    let value_of = |flag: &str| create.windows(2).filter(|w| w[0] == flag).map(|w| w[1].clone()).collect::<Vec<_>>();
    if !value_of("--image").iter().any(|image| image.contains(&format!(":v{version}."))) {
        fail(format!(
            "no `--image rancher/k3s:v{version}.…`: k3d runs the k3s of its own build, not Kubernetes {version}"
        ));
    }
    let k3s_args = value_of("--k3s-arg");
    for arg in &k3s_args {
        if !arg.contains('@') {
            fail(format!("`--k3s-arg {arg}` has no node filter (`ARG@server:*`)"));
        }
    }
    let bundled = strings(&c, "k3s_bundled");
    for component in displaced_expected {
        assert!(bundled.iter().any(|b| b == component), "{component} is not one of k3s's packaged components");
        if !k3s_args.iter().any(|a| a.starts_with(&format!("--disable={component}@"))) {
            fail(format!(
                "k3s runs its packaged {component}, which holds ports 80 and 443 against the stack's ingress controller: pass `--k3s-arg --disable={component}@server:*`"
            ));
        }
    }
    out
}

fn hetzner_config(dir: &TempDir) -> String {
    fs::read_to_string(Path::new(dir.path()).join("out/.deployc-state/hetzner-k3s.yaml"))
        .expect("provision wrote the config")
}

#[test]
fn hetzner_scripts_honour_the_hetzner_k3s_contract() {
    let dir = TempDir::new("contract-hetzner");
    let calls = run_scripts("examples/task-api-hetzner.deploy", &dir, &|_, text| text);
    let violations = hetzner_violations(&hetzner_config(&dir), &calls);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn k3d_scripts_honour_the_k3d_contract() {
    for (example, displaced) in
        [("examples/humor-game-k3d.deploy", &["traefik"][..]), ("examples/task-api-k3d.deploy", &[][..])]
    {
        let version = compile_path(Path::new(example)).plan.map(|p| p.target.version).expect("compiles");
        let dir =
            TempDir::new(&format!("contract-{}", Path::new(example).file_stem().unwrap_or_default().to_string_lossy()));
        let calls = run_scripts(example, &dir, &|_, text| text);
        let violations = k3d_violations(&calls, &version, displaced);
        assert!(violations.is_empty(), "{example}:\n{}", violations.join("\n"));
    }
}

/// Replacements in the emitted scripts, and the fact the contract must then name.
type Mutation = (&'static [(&'static str, &'static str)], &'static str);

/// Reintroducing a defect the review found in what the scripts emit makes the contract fail,
/// with the fact and its source.
#[test]
fn reintroduced_defects_fail_with_their_fact() {
    // (replacements in the emitted scripts, the fact the contract must name)
    let mutations: BTreeMap<&str, Mutation> = BTreeMap::from([
        // With --force, hetzner-k3s deletes whatever the protection says; without both, it refuses.
        (
            "protection",
            (
                &[("protect_against_deletion: false\n", ""), (" --force", "")][..],
                "protect_against_deletion defaults to true",
            ),
        ),
        ("force", (&[(" --force", "")][..], "reads the cluster name from stdin")),
        ("open", (&[("admin_cidrs=\"$ADMIN_CIDRS\"", "admin_cidrs=\"0.0.0.0/0\"")][..], "open to the internet")),
        ("format", (&[("config_format_version: \"1\"\n", "")][..], "config_format_version")),
        (
            "locations",
            (&[("for _ in $(seq \"$POOL_0_COUNT\"); do", "for _ in 1 2; do")][..], "master locations for 1 masters"),
        ),
    ]);
    for (name, (replacements, fact)) in &mutations {
        let dir = TempDir::new(&format!("mutation-{name}"));
        let calls = run_scripts("examples/task-api-hetzner.deploy", &dir, &|path, mut text| {
            if path.ends_with("provision.sh") || path.ends_with("teardown.sh") {
                for (from, to) in replacements.iter() {
                    text = text.replace(from, to);
                }
            }
            text
        });
        let violations = hetzner_violations(&hetzner_config(&dir), &calls);
        assert!(violations.iter().any(|v| v.contains(fact) && v.contains("v2.6.0")), "{name}: {violations:?}");
    }
    let dir = TempDir::new("mutation-traefik");
    let calls = run_scripts("examples/humor-game-k3d.deploy", &dir, &|path, text| {
        if path.ends_with("provision.sh") {
            text.replace("  args+=(--k3s-arg '--disable=traefik@server:*')\n", "")
        } else {
            text
        }
    });
    let violations = k3d_violations(&calls, "1.35", &["traefik"]);
    assert!(violations.iter().any(|v| v.contains("--disable=traefik") && v.contains("v5.9.0")), "{violations:?}");
}

/// Every example's scripts run once against the recorders (for all the tests below that read
/// them): (example, its calls).
fn every_example_calls() -> &'static [(String, Vec<Vec<String>>)] {
    static CALLS: std::sync::OnceLock<Vec<(String, Vec<Vec<String>>)>> = std::sync::OnceLock::new();
    CALLS.get_or_init(|| {
        deployc::testing::single_environment_examples()
            .iter()
            .map(|example| {
                let name = example.to_string_lossy().to_string();
                let dir = TempDir::new(&format!("calls-{}", example.file_stem().unwrap_or_default().to_string_lossy()));
                let calls = run_scripts(&name, &dir, &|_, text| text);
                (name, calls)
            })
            .collect()
    })
}

/// Where a contract with a `commands` table (doctl, helm, kind, eksctl) rejects a call: an
/// unknown subcommand, or a flag the subcommand does not declare at the pinned version (cobra
/// exits with "unknown flag" for either).
fn flag_violations(contract: &Json, call: &[String]) -> Vec<String> {
    let (tool, version) = (contract["tool"].as_str().unwrap_or("?"), contract["version"].as_str().unwrap_or("?"));
    let Some(commands) = contract["commands"].as_object() else { return vec![format!("{tool}: no commands")] };
    let words: Vec<&str> = call[1..].iter().map(String::as_str).take_while(|w| !w.starts_with('-')).collect();
    // The longest command whose words start the call (the rest are positional arguments).
    let Some((name, flags)) = commands
        .iter()
        .filter(|(name, _)| {
            let parts: Vec<&str> = name.split(' ').collect();
            words.len() >= parts.len() && words[..parts.len()] == parts[..]
        })
        .max_by_key(|(name, _)| name.len())
    else {
        return vec![format!("`{}`: {tool} v{version} has no such command (tests/contracts)", call.join(" "))];
    };
    let declared: Vec<String> = flags
        .as_array()
        .into_iter()
        .flatten()
        .chain(contract["global_flags"].as_array().into_iter().flatten())
        .filter_map(|f| f.as_str().map(String::from))
        .collect();
    call[1..]
        .iter()
        .filter(|w| w.starts_with('-') && w.len() > 1)
        .map(|w| w.split('=').next().unwrap_or(w).to_string())
        .filter(|flag| !declared.contains(flag))
        .map(|flag| format!("`{}`: `{tool} {name}` has no flag {flag} at v{version} (tests/contracts)", call.join(" ")))
        .collect()
}

/// The contract file each tool's calls are checked against.
fn flag_contracts() -> BTreeMap<&'static str, Json> {
    BTreeMap::from([
        ("doctl", contract("doctl-1.166.0")),
        ("helm", contract("helm-3.21.4")),
        ("kind", contract("kind-0.32.0")),
        ("eksctl", contract("eksctl-0.230.0")),
    ])
}

#[test]
fn every_doctl_helm_kind_and_eksctl_call_is_one_the_pinned_tool_accepts() {
    let contracts = flag_contracts();
    let mut violations = Vec::new();
    let mut checked = BTreeMap::new();
    for (name, calls) in every_example_calls() {
        for call in calls {
            let Some(contract) = call.first().and_then(|tool| contracts.get(tool.as_str())) else { continue };
            *checked.entry(call[0].clone()).or_insert(0) += 1;
            violations.extend(flag_violations(contract, call).into_iter().map(|v| format!("{name}: {v}")));
        }
    }
    eprintln!("calls checked against pinned contracts: {checked:?}");
    violations.sort();
    violations.dedup();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    assert!(checked.contains_key("doctl") && checked.contains_key("helm"), "{checked:?}");
}

#[test]
fn the_doctl_defect_the_contract_caught_stays_caught() {
    // `kubernetes options versions` has no --format (doctl v1.166.0): provision would find no
    // version and stop on every new DOKS cluster.
    let contract = contract("doctl-1.166.0");
    let call: Vec<String> =
        ["doctl", "kubernetes", "options", "versions", "--format", "Slug", "--no-header"].map(String::from).to_vec();
    let violations = flag_violations(&contract, &call);
    assert!(violations.iter().any(|v| v.contains("has no flag --format at v1.166.0")), "{violations:?}");
}

/// Every key of the values file every `helm upgrade` the scripts run passes (`--values
/// "$OUT_DIR/helm/NAME.values.yaml"`) exists in the pinned chart's own values.yaml
/// (`tests/contracts/helm-chart-values.json`); a key below a map-typed value
/// (`service.annotations.<annotation>`) counts as that map's.
#[test]
fn every_helm_values_key_exists_in_the_pinned_chart() {
    /// The dotted paths of a values document's leaves, dots in keys escaped as `--set` writes them.
    fn leaves(value: &serde_yaml::Value, prefix: &str, out: &mut Vec<String>) {
        match value {
            serde_yaml::Value::Mapping(map) => {
                for (k, v) in map {
                    let key = k.as_str().unwrap_or_default().replace('.', "\\.");
                    leaves(v, &if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") }, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let values = contract("helm-chart-values");
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, calls) in every_example_calls() {
        let tree = compile_path(Path::new(name)).output.expect("the example compiles");
        for call in calls {
            if call.len() < 4 || call[0] != "helm" || call[1] != "upgrade" {
                continue;
            }
            // `helm upgrade --install RELEASE CHART …`: the chart is the second positional word.
            let positional: Vec<&String> = call[2..].iter().filter(|w| !w.starts_with('-')).collect();
            let Some(chart) = positional.get(1) else { continue };
            let version =
                call.iter().position(|w| w == "--version").and_then(|i| call.get(i + 1)).cloned().unwrap_or_default();
            let Some(keys) = values["charts"][format!("{chart}@{version}")]["keys"].as_object() else {
                problems.push(format!("{name}: chart {chart}@{version} has no recorded values.yaml (tests/contracts/helm-chart-values.json)"));
                continue;
            };
            if call.iter().any(|w| w == "--set" || w == "--set-string") {
                problems.push(format!("{name}: `helm upgrade` passes --set, which Helm splits at commas"));
            }
            let Some(file) = call.iter().position(|w| w == "--values").and_then(|i| call.get(i + 1)) else { continue };
            let relative = file.rsplit_once("/helm/").map(|(_, f)| format!("helm/{f}")).unwrap_or_default();
            let Some(text) = tree.get(&relative) else {
                problems.push(format!("{name}: `--values {file}` is not in the output"));
                continue;
            };
            let document: serde_yaml::Value =
                serde_yaml::from_str(text.split_once("---\n").map_or(text.as_str(), |(_, d)| d))
                    .expect("a values file is YAML");
            let mut keys_set = Vec::new();
            leaves(&document, "", &mut keys_set);
            for key in &keys_set {
                let key = key.as_str();
                checked += 1;
                let known = keys.iter().any(|(k, fact)| {
                    fact["exists"] == true
                        && (key == k || key.starts_with(&format!("{k}.")) && fact["default"].is_object())
                });
                if !known {
                    problems
                        .push(format!("{name}: `{key}` in {relative} is not a key of {chart}@{version}'s values.yaml"));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 0, "no chart value was checked");
}
