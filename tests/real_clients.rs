//! The generated scripts' calls, replayed through the real clients' argument parsers.
//!
//! Every example's four scripts run against recording stand-ins (as in `tests/scripts.rs`);
//! then each recorded call of `az`, `aws`, `gcloud` and `kubectl` is run again through the real
//! tool, with no credentials and no reachable cluster. A real client rejects an unknown flag,
//! a missing required argument or a bad value before it needs either, so a call that fails
//! that way is a defect in what we generate. `kubectl kustomize` also builds every example's
//! `manifests/` offline.
//!
//! `kubectl` and `gcloud` come with the machine image; `az` (azure-cli) and `aws` (awscli v1)
//! are installed at pinned versions into `target/clients` by `tools/install-clients.sh`, which
//! this test runs when they are missing.

use std::collections::BTreeSet;

use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use deployc::testing::{RECORDER, TempDir, compile_path, deploy_files, install_stand_ins, recorded_calls};

const RECORDED: [&str; 15] = [
    "cloud-provider-kind",
    "doctl",
    "kubectl",
    "helm",
    "curl",
    "az",
    "aws",
    "hetzner-k3s",
    "hcloud",
    "k3d",
    "docker",
    "eksctl",
    "gcloud",
    "gke-gcloud-auth-plugin",
    "kind",
];

/// The real clients, replayed. `kubectl` and `gcloud` are on the machine image.
struct Clients {
    az: PathBuf,
    aws: PathBuf,
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn clients() -> Clients {
    let venv = deployc::testing::client_venv();
    for tool in ["kubectl", "gcloud"] {
        assert!(
            on_path(tool),
            "`{tool}` is not installed; this machine image should carry it (see notes/test-harness.md)"
        );
    }
    // Absolute: the calls are replayed from the sandbox's working directory.
    Clients { az: venv.join("az"), aws: venv.join("aws") }
}

/// One example's output, its scripts run against the recorders; the calls they made.
fn calls_of(example: &Path, dir: &TempDir) -> Vec<Vec<String>> {
    let result = compile_path(example);
    let (Some(tree), Some(plan)) = (result.output, result.plan) else {
        panic!("{} must compile:\n{}", example.display(), result.rendered)
    };
    let root = Path::new(dir.path());
    deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
    let bin = root.join("bin");
    install_stand_ins(&bin, RECORDER, &RECORDED);
    let calls = root.join("calls.log");
    let cwd = root.join("cwd");
    fs::create_dir_all(&cwd).expect("cwd");
    deployc::testing::operator_keys(&cwd, &plan);
    // Every variable a secret reads, so that deploy.sh goes past its check.
    let mut variables: Vec<(String, String)> = plan
        .secrets
        .iter()
        .flat_map(|s| s.keys.iter().map(|(_, variable)| (variable.clone(), "x".to_string())))
        .collect();
    variables.push(("HCLOUD_TOKEN".into(), "x".into()));
    // hetzner: the operator's address range, instead of asking ipinfo.io.
    variables.push(("ADMIN_CIDRS".into(), "203.0.113.7/32".into()));
    for (script, args) in
        [("provision.sh", &[][..]), ("deploy.sh", &[][..]), ("verify.sh", &[][..]), ("teardown.sh", &["--yes"][..])]
    {
        let output = Command::new("bash")
            .arg(root.join("out/scripts").join(script))
            .args(args)
            .current_dir(&cwd)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", &cwd)
            .env("CALLS", &calls)
            .env("PHASE", script)
            .env("VERIFY_INTERVAL", "0")
            .env("DNS_INTERVAL", "0")
            .envs(variables.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("bash runs");
        assert!(
            output.status.success() || script == "teardown.sh",
            "{} {script} failed against the recorders:\n{}{}",
            example.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    recorded_calls(&calls)
}

/// Why the real client rejected `call` before it needed credentials or a cluster, if it did.
fn parser_rejection(clients: &Clients, call: &[String], scratch: &Path) -> Option<String> {
    let (tool, args) = call.split_first()?;
    let program: PathBuf = match tool.as_str() {
        "az" => clients.az.clone(),
        "aws" => clients.aws.clone(),
        "gcloud" | "kubectl" => PathBuf::from(tool),
        _ => return None,
    };
    let kubeconfig = scratch.join("kubeconfig");
    let _ = fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: x}}]\n",
    );
    let output = Command::new("timeout")
        .arg("120")
        .arg(&program)
        .args(args)
        .current_dir(scratch.join("cwd"))
        .stdin(Stdio::null())
        .env("AZURE_CONFIG_DIR", scratch.join("azure"))
        .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
        .env("AZURE_CORE_NO_COLOR", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("CLOUDSDK_CONFIG", scratch.join("gcloud"))
        .env("CLOUDSDK_CORE_DISABLE_PROMPTS", "1")
        .env("KUBECONFIG", &kubeconfig)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    // `timeout` itself: the client did not run (or hung), which proves nothing.
    assert!(![124, 125, 126, 127].contains(&code), "`{tool}` did not run to completion (exit {code}): {stderr}");
    let rejected = match tool.as_str() {
        // argparse (azure-cli's knack, aws v1) and gcloud's parser exit 2 on a usage error.
        "az" | "aws" | "gcloud" => code == 2,
        _ => [
            "unknown flag",
            "unknown shorthand flag",
            "unknown command",
            "invalid argument",
            "required flag",
            "accumulating resources",
            "must specify",
        ]
        .iter()
        .any(|needle| stderr.contains(needle)),
    };
    rejected.then(|| {
        let first: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).rev().take(3).collect();
        format!("exit {code}: {}", first.into_iter().rev().collect::<Vec<_>>().join(" | "))
    })
}

#[test]
fn every_generated_cloud_and_kubectl_call_passes_the_real_parsers() {
    let clients = clients();
    let mut failures = Vec::new();
    let mut replayed = BTreeSet::new();
    let mut counts = std::collections::BTreeMap::new();
    for example in deployc::testing::single_environment_examples() {
        let dir = TempDir::new(&format!("real-clients-{}", example.file_stem().unwrap_or_default().to_string_lossy()));
        let calls = calls_of(&example, &dir);
        let scratch = Path::new(dir.path());
        for call in calls {
            let Some(tool) = call.first() else { continue };
            if !["az", "aws", "gcloud", "kubectl"].contains(&tool.as_str()) {
                continue;
            }
            // Paths under the sandbox differ per example; the flags are what is checked.
            let key = call.iter().map(|w| w.replace(dir.path(), "SANDBOX")).collect::<Vec<_>>().join(" ");
            if !replayed.insert(key.clone()) {
                continue;
            }
            *counts.entry(tool.clone()).or_insert(0) += 1;
            if let Some(why) = parser_rejection(&clients, &call, scratch) {
                failures.push(format!("{}: `{key}` is rejected by the real {tool}: {why}", example.display()));
            }
        }
    }
    eprintln!("distinct calls replayed through the real clients: {counts:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for tool in ["az", "kubectl"] {
        assert!(counts.get(tool).copied().unwrap_or(0) > 0, "no {tool} call was replayed: {counts:?}");
    }
}

#[test]
fn every_example_kustomization_builds_with_kubectl() {
    assert!(on_path("kubectl"), "`kubectl` is not installed; this machine image should carry it");
    for example in deploy_files("examples") {
        let result = compile_path(&example);
        let Some(tree) = result.output else { panic!("{} must compile:\n{}", example.display(), result.rendered) };
        let dir = TempDir::new(&format!("kustomize-{}", example.file_stem().unwrap_or_default().to_string_lossy()));
        deployc::output::write_atomically(&tree, &Path::new(dir.path()).join("out")).expect("write output");
        // `manifests/`, or each environment's `environments/NAME/manifests/`.
        let kustomizations: Vec<&String> =
            tree.keys().filter(|k| k.ends_with("manifests/kustomization.yaml")).collect();
        assert!(!kustomizations.is_empty(), "{}: no kustomization.yaml", example.display());
        for kustomization in kustomizations {
            let manifests = kustomization.trim_end_matches("/kustomization.yaml");
            let output = Command::new("kubectl")
                .args(["kustomize", &format!("{}/out/{manifests}", dir.path())])
                .output()
                .expect("kubectl runs");
            assert!(
                output.status.success(),
                "{}: kubectl kustomize {manifests} failed:\n{}",
                example.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// The objects of a set of manifest files, each as canonical JSON, sorted.
fn objects(texts: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = texts
        .iter()
        .flat_map(|text| serde_yaml::Deserializer::from_str(text).map(serde_yaml::Value::deserialize))
        .filter_map(|v| v.ok().filter(|v| !v.is_null()))
        .map(|v| serde_json::to_value(&v).and_then(|v| serde_json::to_string(&v)).expect("YAML is JSON"))
        .collect();
    out.sort();
    out
}

/// Environments on one cluster share a kustomize base: `kubectl kustomize` of each one's
/// `manifests/` must build exactly the objects that environment has in a directory of its own.
#[test]
fn every_environment_overlay_builds_what_the_environment_would_alone() {
    assert!(on_path("kubectl"), "`kubectl` is not installed; this machine image should carry it");
    let mut bases = 0;
    for example in deploy_files("examples") {
        let result = compile_path(&example);
        let Some(tree) = result.output else { panic!("{} must compile:\n{}", example.display(), result.rendered) };
        if !tree.keys().any(|k| k.starts_with("environments/")) {
            continue;
        }
        bases += tree.keys().filter(|k| k.starts_with("base/") && k.ends_with("/kustomization.yaml")).count();
        let stem = example.file_stem().unwrap_or_default().to_string_lossy().to_string();
        let dir = TempDir::new(&format!("overlays-{stem}"));
        deployc::output::write_atomically(&tree, &Path::new(dir.path()).join("out")).expect("write output");
        let units = deployc::testing::compile_units(&example).unwrap_or_else(|e| panic!("{e}"));
        for (plan, alone) in units {
            let name = plan.environment.as_ref().map(|e| e.name.clone()).unwrap_or_default();
            let own: Vec<&str> = alone
                .iter()
                .filter(|(k, _)| k.starts_with("manifests/") && !k.ends_with("kustomization.yaml"))
                .map(|(_, v)| v.as_str())
                .collect();
            let output = Command::new("kubectl")
                .args(["kustomize", &format!("{}/out/environments/{name}/manifests", dir.path())])
                .output()
                .expect("kubectl runs");
            assert!(output.status.success(), "{stem}/{name}: {}", String::from_utf8_lossy(&output.stderr));
            let built = String::from_utf8_lossy(&output.stdout).to_string();
            let (expected, actual) = (objects(&own), objects(&[&built]));
            if expected != actual {
                let diff = similar::TextDiff::from_lines(&expected.join("\n"), &actual.join("\n"))
                    .unified_diff()
                    .header("alone", "kustomize overlay")
                    .to_string();
                panic!("{stem}/{name}: the overlay builds other objects than the environment alone:\n{diff}");
            }
        }
    }
    assert!(bases > 0, "no example shares a base: the test checks nothing");
}
