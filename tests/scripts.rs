//! The generated scripts, run against stand-in executables (`doctl`, `kubectl`, `helm`, …) on
//! `PATH` that record their arguments: the order of calls, `DRY_RUN=1` calling nothing, a
//! missing secret stopping `deploy.sh` before anything is applied, and hostile strings staying
//! inert. (A leftover that teardown reports is `tests/cloud.rs`'s: it needs state.)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use deployc::testing::{RECORDER, compile_path, recorded_calls};

const CLIS: [&str; 11] =
    ["doctl", "kubectl", "helm", "curl", "az", "hetzner-k3s", "hcloud", "k3d", "docker", "eksctl", "gcloud"];

struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    /// A temporary directory holding the built output of `example` and the stand-ins.
    fn new(example: &str, tag: &str) -> Sandbox {
        let root = std::env::temp_dir().join(format!("deployc-scripts-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let result = compile_path(Path::new(example));
        let tree = result.output.unwrap_or_else(|| panic!("{example} must compile:\n{}", result.rendered));
        deployc::output::write_atomically(&tree, &root.join("out")).expect("write output");
        deployc::testing::install_stand_ins(&root.join("bin"), RECORDER, &CLIS);
        fs::create_dir_all(root.join("cwd")).expect("cwd");
        if let Some(plan) = &result.plan {
            deployc::testing::operator_keys(&root.join("cwd"), plan);
        }
        Sandbox { root }
    }

    fn run(&self, script: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
        let path = format!("{}:/usr/bin:/bin", self.root.join("bin").display());
        let mut command = Command::new("bash");
        command
            .arg(self.root.join("out/scripts").join(script))
            .args(args)
            .current_dir(self.root.join("cwd"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.root.join("cwd"))
            .env("CALLS", self.root.join("calls.log"))
            .env("VERIFY_INTERVAL", "0")
            .env("DNS_INTERVAL", "0");
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("bash runs")
    }

    fn calls(&self) -> Vec<String> {
        recorded_calls(&self.root.join("calls.log")).into_iter().map(|words| words.join(" ")).collect()
    }

    fn clear_calls(&self) {
        let _ = fs::remove_file(self.root.join("calls.log"));
    }

    /// Files whose name starts with `PWNED` anywhere in the sandbox.
    fn pwned(&self) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path.clone());
                }
                if entry.file_name().to_string_lossy().starts_with("PWNED") {
                    found.push(path.display().to_string());
                }
            }
        }
        found
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// `expected` appear in `calls` in this order (other calls may come between).
fn assert_in_order(calls: &[String], expected: &[&str]) {
    let mut position = 0;
    for want in expected {
        match calls.iter().skip(position).position(|c| c.starts_with(want)) {
            Some(offset) => position += offset + 1,
            None => {
                panic!("expected a call starting `{want}` after call {position}; calls were:\n{}", calls.join("\n"))
            }
        }
    }
}

#[test]
fn doks_scripts_call_the_tools_in_order() {
    let sandbox = Sandbox::new("examples/task-api-doks.deploy", "order");
    let output = sandbox.run("provision.sh", &[], &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert_in_order(
        &sandbox.calls(),
        &[
            "doctl account get",
            "doctl kubernetes cluster get task-api-prod",
            "doctl kubernetes options versions",
            "doctl kubernetes cluster create task-api-prod --region nyc1 --version 1.36.2-do.0 --ha=false --tag team:platform --tag service:task-api --tag environment:production --auto-upgrade=true --maintenance-window saturday=02:00 --node-pool name=default;size=s-2vcpu-4gb;count=3;auto-scale=true;min-nodes=2;max-nodes=5 --wait",
            "doctl kubernetes cluster kubeconfig save task-api-prod",
            "kubectl wait --for=condition=Ready nodes --all",
        ],
    );
    sandbox.clear_calls();
    let output = sandbox.run("deploy.sh", &[], &[("TASK_API_DATABASE_URL", "postgres://dummy")]);
    assert!(output.status.success(), "{}", text(&output));
    assert_in_order(
        &sandbox.calls(),
        &[
            "kubectl cluster-info",
            "kubectl apply -f",
            "helm upgrade --install cert-manager cert-manager --repo https://charts.jetstack.io --version",
            "kubectl --namespace cert-manager rollout status deployment/cert-manager-webhook",
            "helm upgrade --install traefik traefik",
            "kubectl create secret generic task-api-db --namespace task-api-prod",
            "kubectl apply -k",
            "kubectl --namespace task-api-prod rollout status deployment/task-api",
        ],
    );
    assert!(!text(&output).contains("postgres://dummy"), "a secret value was printed:\n{}", text(&output));
    sandbox.clear_calls();
    let output = sandbox.run("verify.sh", &[], &[]);
    assert!(output.status.success(), "{}", text(&output));
    let out = text(&output);
    assert!(out.contains("PASS  all nodes Ready"), "{out}");
    assert!(out.contains("PASS  https://tasks.example.com/health returns 200 with a valid certificate"), "{out}");
    sandbox.clear_calls();
    let output = sandbox.run("teardown.sh", &["--yes"], &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert_in_order(
        &sandbox.calls(),
        &[
            // What the cluster made is recorded before anything is deleted.
            "kubectl get services --all-namespaces",
            "kubectl delete -k",
            "helm uninstall traefik",
            "helm uninstall cert-manager",
            "doctl kubernetes cluster get task-api-prod",
        ],
    );
}

#[test]
fn dry_run_calls_nothing_and_writes_nothing() {
    /// Every file under `dir` with its contents.
    fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push((path.clone(), fs::read(&path).unwrap_or_default()));
                }
            }
        }
        files.sort();
        files
    }
    for (index, example) in deployc::testing::single_environment_examples().iter().enumerate() {
        let example = example.to_string_lossy().to_string();
        let sandbox = Sandbox::new(&example, &format!("dry{index}"));
        let plan = compile_path(Path::new(&example)).plan.expect("the example compiles");
        let mut env: Vec<(String, String)> =
            plan.secrets.iter().flat_map(|s| s.keys.iter().map(|(_, v)| (v.clone(), "x".to_string()))).collect();
        env.extend([("DRY_RUN", "1"), ("HCLOUD_TOKEN", "dummy")].map(|(k, v)| (k.to_string(), v.to_string())));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let before = snapshot(&sandbox.root);
        for (script, args) in
            [("provision.sh", &[][..]), ("deploy.sh", &[][..]), ("verify.sh", &[][..]), ("teardown.sh", &["--yes"][..])]
                .into_iter()
                .chain(plan.argo_application.is_none().then_some(("rollback.sh", &["--yes"][..])))
        {
            let output = sandbox.run(script, args, &env);
            assert!(output.status.success(), "{example} {script} failed in a dry run:\n{}", text(&output));
            assert!(
                sandbox.calls().is_empty(),
                "{example} {script} called tools in a dry run:\n{}",
                sandbox.calls().join("\n")
            );
            let after = snapshot(&sandbox.root);
            let changed: Vec<String> = after
                .iter()
                .filter(|f| !before.contains(f))
                .chain(before.iter().filter(|f| !after.contains(f)))
                .map(|(p, _)| p.display().to_string())
                .collect();
            assert!(changed.is_empty(), "{example} {script} wrote files in a dry run:\n{}", changed.join("\n"));
        }
    }
}

#[test]
fn a_missing_secret_stops_deploy_before_anything_is_applied() {
    let sandbox = Sandbox::new("examples/todo-app-doks.deploy", "missing");
    let output = sandbox.run("deploy.sh", &[], &[("OPENAI_API_KEY", "sk-dummy")]);
    assert!(!output.status.success(), "deploy.sh went on without its secrets:\n{}", text(&output));
    let out = text(&output);
    assert!(out.contains("TODO_DATABASE_URL") && out.contains("REDIS_PASSWORD"), "{out}");
    assert!(!out.contains("OPENAI_API_KEY"), "a present variable was reported missing:\n{out}");
    assert!(
        !sandbox.calls().iter().any(|c| c.starts_with("helm") || c.starts_with("kubectl apply")),
        "something was applied:\n{}",
        sandbox.calls().join("\n")
    );
}

#[test]
fn teardown_without_yes_asks_and_deletes_nothing_unconfirmed() {
    let sandbox = Sandbox::new("examples/task-api-doks.deploy", "confirm");
    let output = sandbox.run("teardown.sh", &[], &[]);
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        !sandbox.calls().iter().any(|c| c.contains("delete") || c.contains("uninstall")),
        "{}",
        sandbox.calls().join("\n")
    );
}

#[test]
fn hostile_strings_stay_inert() {
    for (index, example) in
        ["tests/fixtures/hostile-doks.deploy", "tests/fixtures/hostile-k3d.deploy"].iter().enumerate()
    {
        let sandbox = Sandbox::new(example, &format!("hostile{index}"));
        for (script, args) in [
            ("provision.sh", &[][..]),
            ("deploy.sh", &[][..]),
            ("verify.sh", &[][..]),
            ("teardown.sh", &["--yes"][..]),
            ("rollback.sh", &["--yes"][..]),
        ] {
            for dry in ["0", "1"] {
                let _ = sandbox.run(script, args, &[("DRY_RUN", dry), ("HOSTILE_TOKEN", "$(touch PWNED-env)")]);
            }
        }
        assert!(sandbox.pwned().is_empty(), "{example}: a hostile string ran: {:?}", sandbox.pwned());
        let calls = sandbox.calls().join("\n");
        assert!(calls.contains("$(touch PWNED"), "{example}: the hostile strings never reached a tool:\n{calls}");
    }
}

/// Every example, built and deployed (against the stand-ins) with a known dummy value in each
/// secret's environment variable: no value appears in the output tree, on the terminal or in
/// any tool's arguments.
#[test]
fn no_secret_value_reaches_output_or_logs() {
    let examples = deployc::testing::single_environment_examples();
    for (index, example) in examples.iter().enumerate() {
        let source = fs::read_to_string(example).expect("example");
        // Every env("VAR") in the file.
        let variables: Vec<String> = source
            .split("env(\"")
            .skip(1)
            .filter_map(|rest| rest.split_once('"').map(|(var, _)| var.to_string()))
            .collect();
        if variables.is_empty() {
            continue;
        }
        let dummies: Vec<(String, String)> =
            variables.iter().map(|v| (v.clone(), format!("DUMMY-SECRET-{v}-7f3a"))).collect();
        let sandbox = Sandbox::new(&example.to_string_lossy(), &format!("secrets{index}"));
        let env: Vec<(&str, &str)> = dummies.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let output = sandbox.run("deploy.sh", &[], &env);
        assert!(output.status.success(), "{}: {}", example.display(), text(&output));
        let tree = deployc::output::read_tree(&sandbox.root.join("out")).expect("tree");
        let calls = sandbox.calls().join("\n");
        for (_, dummy) in &dummies {
            assert!(!text(&output).contains(dummy), "{}: a secret value was printed", example.display());
            assert!(!calls.contains(dummy), "{}: a secret value was passed as an argument", example.display());
            for (path, content) in &tree {
                assert!(!content.contains(dummy), "{}: a secret value is in {path}", example.display());
            }
        }
        assert!(calls.contains("kubectl create secret generic"), "{}: no Secret was created", example.display());
    }
}

/// Quoting by construction: every string the script templates receive is a shell-quoted word
/// (`sh_quote`), except the few reviewed raw values below, each held to the check that makes it
/// inert where the templates put it. A value from the file, an imported library or the stdlib
/// (a provider's `cli`) cannot reach a script unquoted without failing here.
#[test]
fn every_string_the_script_templates_get_is_quoted_or_a_reviewed_raw_value() {
    fn identifier(s: &str) -> bool {
        s.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }
    fn one_line(s: &str) -> bool {
        !s.contains(['\n', '\r'])
    }
    // (path in the context, why it may be raw)
    fn quoted_words(s: &str) -> bool {
        s.split(' ')
            .all(|w| w.len() >= 2 && w.starts_with('\'') && w.ends_with('\'') && !w[1..w.len() - 1].contains('\''))
    }
    fn composed(_: &str) -> bool {
        true
    }
    type Review = (&'static str, fn(&str) -> bool);
    // A path made of fixed text and DNS labels (an environment's name, E0313), written inside
    // double quotes.
    fn state_path(text: &str) -> bool {
        text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-./".contains(c))
    }
    let reviewed: [Review; 11] = [
        (".state_dir", state_path),
        // `..` or `../../..`, written inside double quotes (build-images.sh's SOURCE_DIR).
        (".source_from_out", state_path),
        (".provision_script", state_path),
        (".other_manifests[]", state_path),
        // `${NAME:-}`: the checker allows only environment variable names (E0314).
        (".secrets[].keys[].env", identifier),
        // Written after `# `: one line, so nothing leaves the comment.
        (".criteria[].title", one_line),
        (".source_comment", one_line),
        (".deployment_comment", one_line),
        // Shell the emitter composes from quoted words (`criteria` in src/emit/scripts.rs);
        // `hostile_strings_stay_inert` runs it with hostile values.
        (".criteria[].check", composed),
        // A command line of quoted words.
        (".prerequisites[].check", quoted_words),
        // Empty when the target has no local registry; quoted otherwise.
        (".local_registry_host", str::is_empty),
    ];
    fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, &format!("{path}.{k}"), out)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, &format!("{path}[]"), out)),
            serde_json::Value::String(s) => out.push((path.to_string(), s.clone())),
            _ => {}
        }
    }
    let quoted = |s: &str| {
        s.len() >= 2
            && s.starts_with('\'')
            && s.ends_with('\'')
            && !s[1..s.len() - 1].replace(r"'\''", "").contains('\'')
    };
    let mut files = deployc::testing::single_environment_examples();
    files.extend(["tests/fixtures/hostile-doks.deploy", "tests/fixtures/hostile-k3d.deploy"].map(PathBuf::from));
    let mut problems = Vec::new();
    for file in files {
        let Some(contexts) = deployc::testing::template_contexts(&file) else { continue };
        let mut strings = Vec::new();
        walk(&contexts.scripts, "", &mut strings);
        for (path, value) in strings {
            if quoted(&value) {
                continue;
            }
            match reviewed.iter().find(|(p, _)| *p == path) {
                Some((_, check)) if check(&value) => {}
                Some(_) => problems.push(format!("{}: {path} = {value:?} fails its review check", file.display())),
                None => problems.push(format!("{}: {path} = {value:?} reaches the scripts unquoted", file.display())),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Issue #17, finding 8: secret values stay out of `bash -x` traces, a variable named like one of
/// the script's own (`NAMESPACE`) is read from the environment, and the plaintext files go even
/// when kubectl fails.
#[test]
fn secrets_survive_xtrace_name_collisions_and_a_failing_kubectl() {
    let value = "DUMMY-SECRET-xtrace-5c1d";
    let sandbox = Sandbox::new("examples/task-api-k3d.deploy", "xtrace");
    let output = sandbox.run("deploy.sh", &[], &[("TASK_API_DATABASE_URL", value), ("SHELLOPTS", "xtrace")]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("+ "), "xtrace was not on: {}", text(&output));
    assert!(!text(&output).contains(value), "bash -x printed a secret value");

    let collision = Sandbox::new("tests/fixtures/secret-variable-named-namespace.deploy", "collision");
    let output = collision.run("deploy.sh", &[], &[]);
    assert!(!output.status.success(), "NAMESPACE unset in the environment, yet deploy.sh went on");
    assert!(text(&output).contains("must be set") && text(&output).contains("NAMESPACE"), "{}", text(&output));

    let failing = Sandbox::new("examples/task-api-k3d.deploy", "failing");
    let tmp = failing.root.join("tmp");
    fs::create_dir_all(&tmp).expect("tmp");
    let tmp_text = tmp.to_string_lossy().to_string();
    let output =
        failing.run("deploy.sh", &[], &[("TASK_API_DATABASE_URL", value), ("FAIL_APPLY", "1"), ("TMPDIR", &tmp_text)]);
    assert!(!output.status.success(), "kubectl failed, yet deploy.sh succeeded");
    let left: Vec<_> = fs::read_dir(&tmp).expect("tmp").flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "plaintext secret files left behind: {left:?}");
}

/// `contains` on a page larger than a pipe's buffer: grep stops reading at the first match, so
/// curl writing into the closed pipe failed, and with `pipefail` a page that held the text
/// was reported as a FAIL (issue 20, finding 11).
#[test]
fn a_contains_check_passes_on_a_large_page() {
    let sandbox = Sandbox::new("tests/fixtures/verify-contains.deploy", "large-page");
    // A curl that serves the text first, then two megabytes, as a large page does.
    let curl = "#!/usr/bin/env bash\nfor a in \"$@\"; do [ \"$a\" = --write-out ] && { printf 200; exit 0; }; done\nprintf 'podinfo\\n'\nhead -c 2000000 /dev/zero | tr '\\0' x\necho\n";
    fs::write(sandbox.root.join("bin/curl"), curl).expect("curl stand-in");
    let output = sandbox.run("verify.sh", &[], &[]);
    let out = text(&output);
    assert!(out.contains("PASS  http://page.localhost:8080/ returns 200"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

/// `rollback.sh` checks every service for a previous revision, then undoes each and waits for
/// each rollout, in the plan's order (a StatefulSet included).
#[test]
fn rollback_undoes_each_service_then_waits_for_each_rollout() {
    let sandbox = Sandbox::new("examples/shop-k3d.deploy", "rollback");
    let output = sandbox.run("rollback.sh", &["--yes"], &[("REVISIONS", "3")]);
    assert!(output.status.success(), "{}", text(&output));
    let calls = sandbox.calls();
    assert_in_order(
        &calls,
        &[
            "kubectl cluster-info",
            "kubectl --namespace shop rollout history statefulset/postgres",
            "kubectl --namespace shop rollout history deployment/web",
            "kubectl --namespace shop rollout undo statefulset/postgres",
            "kubectl --namespace shop rollout undo deployment/redis",
            "kubectl --namespace shop rollout undo deployment/api",
            "kubectl --namespace shop rollout undo deployment/web",
            "kubectl --namespace shop rollout status statefulset/postgres",
            "kubectl --namespace shop rollout status deployment/web",
        ],
    );
    // Nothing else changes: no apply, no Secret, no Helm.
    assert!(
        !calls.iter().any(|c| c.starts_with("helm") || c.contains(" apply ") || c.contains(" create ")),
        "{}",
        calls.join("\n")
    );
    let undone = calls.iter().filter(|c| c.contains(" rollout undo ")).count();
    assert_eq!(undone, 4, "{}", calls.join("\n"));
}

/// A first release has nothing to return to: `rollback.sh` names the services and undoes none;
/// without `--yes` and without an answer it changes nothing either.
#[test]
fn rollback_refuses_without_a_previous_revision() {
    let sandbox = Sandbox::new("examples/shop-k3d.deploy", "rollback-none");
    let output = sandbox.run("rollback.sh", &["--yes"], &[("REVISIONS", "1")]);
    assert!(!output.status.success(), "rolled back with nothing to return to:\n{}", text(&output));
    let out = text(&output);
    assert!(out.contains("nothing to roll back to") && out.contains("deployment/api"), "{out}");
    assert!(!sandbox.calls().iter().any(|c| c.contains(" rollout undo ")), "{}", sandbox.calls().join("\n"));
    sandbox.clear_calls();
    let output = sandbox.run("rollback.sh", &[], &[("REVISIONS", "2")]);
    assert!(!output.status.success(), "rolled back unconfirmed:\n{}", text(&output));
    assert!(!sandbox.calls().iter().any(|c| c.contains(" rollout undo ")), "{}", sandbox.calls().join("\n"));
}

/// Under Argo CD's automated sync a rollback is a reverted commit: the script says so and calls
/// nothing that changes the cluster.
#[test]
fn rollback_under_argo_cd_says_to_revert_the_commit() {
    let sandbox = Sandbox::new("examples/platform-aks.deploy", "rollback-argo");
    let output = sandbox.run("rollback.sh", &["--yes"], &[("REVISIONS", "3")]);
    assert!(!output.status.success(), "{}", text(&output));
    let out = text(&output);
    assert!(out.contains("revert the commit") && out.contains("Argo CD"), "{out}");
    assert!(!sandbox.calls().iter().any(|c| c.contains(" rollout ")), "{}", sandbox.calls().join("\n"));
}
