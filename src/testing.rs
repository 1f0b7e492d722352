//! Helpers for the tests in `tests/` (not part of the stable API). Unlike the rest of the
//! library these read files, as `main.rs` does.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::diagnostics::render::{Style, render_all};
use crate::output::OutputTree;
use crate::source::SourceMap;
use crate::{CompileOptions, compile};

/// The `.deploy` files directly in `dir` (relative to the repository root), sorted; none when
/// the directory cannot be read.
pub fn deploy_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|entry| entry.path()).collect();
    files.retain(|path| path.extension().is_some_and(|e| e == "deploy"));
    files.sort();
    files
}

/// The examples the script and cloud harnesses run whole: those whose deployment declares no
/// environments (an example with environments has one output directory per environment,
/// checked by its golden, `validate-output` and `kubectl kustomize`).
pub fn single_environment_examples() -> Vec<PathBuf> {
    deploy_files("examples")
        .into_iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .is_ok_and(|text| !text.lines().any(|l| l.trim_start().starts_with("environment ")))
        })
        .collect()
}

/// A fresh, empty directory under the system's temporary directory, named after the test
/// process and `name`, and removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    #[allow(clippy::panic)]
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("deployc-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(error) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {error}", dir.display());
        }
        TempDir(dir)
    }

    /// The directory as text, for command lines.
    #[allow(clippy::panic)]
    pub fn path(&self) -> &str {
        self.0.to_str().unwrap_or_else(|| panic!("{} is not UTF-8", self.0.display()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The date the tests check support windows against, so that a golden does not change
/// when a version reaches its end of life; the binary's tests pass it as `SOURCE_DATE_EPOCH`.
pub const TEST_TODAY: &str = "2026-12-01";

/// `SOURCE_DATE_EPOCH` for [`TEST_TODAY`].
pub fn test_epoch() -> String {
    (crate::date::days(TEST_TODAY).unwrap_or(0) * 86_400).to_string()
}

/// The options the tests compile with: [`TEST_TODAY`] as today.
pub fn test_options() -> CompileOptions {
    CompileOptions { deployment: None, today: Some(TEST_TODAY.to_string()), environment: None, lock: None }
}

/// The result of compiling one file as the tests see it.
pub struct TestCompilation {
    pub output: Option<OutputTree>,
    pub diagnostics: Diagnostics,
    /// Diagnostics rendered without colour at width 80.
    pub rendered: String,
    /// The plan the output was made from, when the file compiled (the first environment's,
    /// when it declares environments).
    pub plan: Option<crate::lower::plan::Plan>,
}

/// Compile a file on disk, named by its path relative to the repository root.
pub fn compile_path(path: &Path) -> TestCompilation {
    let name = path.to_string_lossy().replace('\\', "/");
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut diagnostics = Diagnostics::new();
    let sources = SourceMap::new();
    let Some(text) = crate::source::decode(&name, bytes, &mut diagnostics) else {
        let rendered = render_all(&diagnostics, &sources, Style::Plain);
        return TestCompilation { output: None, diagnostics, rendered, plan: None };
    };
    compile_text_with_lock(&name, &text, lock_of(path))
}

/// The image lock next to a file on disk (`NAME.deploy.lock`), as `deployc` reads it.
pub fn lock_of(path: &Path) -> Option<crate::LockFile> {
    let name = format!("{}.lock", path.to_string_lossy().replace('\\', "/"));
    let text = std::fs::read_to_string(&name).ok()?;
    Some(crate::LockFile { name, text })
}

/// [`test_options`] with the lock next to `path`.
pub fn options_for(path: &Path) -> CompileOptions {
    CompileOptions { lock: lock_of(path), ..test_options() }
}

/// Each output unit of a file on disk that compiles: the deployment's plan and tree, or, for a
/// deployment with environments, each environment's plan with the files it would have in a
/// directory of its own (paths relative to `environments/NAME/`; environments on one cluster
/// share a kustomize base in the build, which these files do not); the rendered diagnostics
/// when it does not compile.
pub fn compile_units(path: &Path) -> Result<Vec<(crate::lower::plan::Plan, OutputTree)>, String> {
    let name = path.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let mut sources = SourceMap::new();
    let root = sources.add(&name, &text);
    let compilation = compile(&mut sources, root, &read_import, &options_for(path));
    let Some(tree) = compilation.output else {
        return Err(render_all(&compilation.diagnostics, &sources, Style::Plain));
    };
    let plans = compilation.retained.plan;
    match plans.as_slice() {
        [only] if only.environment.is_none() => Ok(plans.into_iter().map(|plan| (plan, tree.clone())).collect()),
        _ => plans
            .into_iter()
            .map(|plan| {
                let alone = crate::output::Collect::default();
                crate::emit::emit_to(&plan, &alone, 1).map_err(|e| format!("{e:?}"))?;
                Ok((plan, alone.into_tree()))
            })
            .collect(),
    }
}

/// The tests' import loader: reads `relative` next to the importing file, names it with `/`.
fn read_import(importer: &str, relative: &str) -> Result<(String, String), String> {
    let base = Path::new(importer).parent().unwrap_or(Path::new(""));
    let path = base.join(relative);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok((path.to_string_lossy().replace('\\', "/"), text))
}

/// Compile source text under a display name; imports are read relative to that name.
pub fn compile_text(name: &str, text: &str) -> TestCompilation {
    compile_text_with_lock(name, text, None)
}

/// [`compile_text`] with an image lock.
pub fn compile_text_with_lock(name: &str, text: &str, lock: Option<crate::LockFile>) -> TestCompilation {
    let mut sources = SourceMap::new();
    let root = sources.add(name, text);
    let compilation = compile(&mut sources, root, &read_import, &CompileOptions { lock, ..test_options() });
    let rendered = render_all(&compilation.diagnostics, &sources, Style::Plain);
    TestCompilation {
        output: compilation.output,
        diagnostics: compilation.diagnostics,
        rendered,
        plan: compilation.retained.plan.into_iter().next(),
    }
}

/// What the script and runbook templates of one file are rendered with, for
/// `tests/template_engine.rs`.
pub struct TemplateContexts {
    /// The provider's template set (`stdlib/providers/<set>/`).
    pub set: String,
    /// The context of the four scripts.
    pub scripts: serde_json::Value,
    /// The context of `RUNBOOK.md`.
    pub runbook: serde_json::Value,
}

/// The template contexts of a file on disk that compiles, or `None`.
pub fn template_contexts(path: &Path) -> Option<TemplateContexts> {
    let name = path.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).ok()?;
    template_contexts_of(&name, &text)
}

/// The template contexts of source text under a display name, when it compiles.
pub fn template_contexts_of(name: &str, text: &str) -> Option<TemplateContexts> {
    let mut sources = SourceMap::new();
    let root = sources.add(name, text);
    let mut sink = Diagnostics::new();
    let model = crate::check::check(&mut sink, &mut sources, root, &read_import, &test_options()).into_iter().next()?;
    if sink.has_errors() {
        return None;
    }
    let plan = crate::lower::lower(model);
    Some(TemplateContexts {
        set: plan.target.templates.name.clone(),
        scripts: crate::emit::scripts::context(&plan),
        runbook: crate::emit::runbook::context(&plan),
    })
}

/// The oracle of the `parse_check` fuzz target, shared with `tests/fuzz_regressions.rs` so that
/// every saved input is replayed by `cargo test`: arbitrary bytes are decoded (non-UTF-8 is
/// E0102), parsed, and compiled (imports refused); a build
/// has output exactly when it has no errors, and its diagnostics render. Panics (with the
/// input) when an invariant breaks; a hang or a stack overflow shows as one.
#[allow(clippy::panic)]
pub fn parse_check_oracle(data: &[u8]) {
    let mut sink = Diagnostics::new();
    let Some(text) = crate::source::decode("fuzz.deploy", data.to_vec(), &mut sink) else {
        if sink.is_empty() {
            panic!("non-UTF-8 input without a diagnostic");
        }
        return;
    };
    let mut sources = SourceMap::new();
    let root = sources.add("fuzz.deploy", text);
    let loader = |_: &str, path: &str| -> Result<(String, String), String> { Err(format!("no file {path}")) };
    let compilation = compile(&mut sources, root, &loader, &CompileOptions::default());
    if compilation.output.is_some() == compilation.diagnostics.has_errors() {
        panic!("a build with both output and errors, or with neither");
    }
    let _ = render_all(&compilation.diagnostics, &sources, Style::Plain);
}

/// A stand-in for a command-line tool: it logs each call as one line of shell words
/// (`printf %q`, in one write, so the two sides of a pipe do not interleave) to `$CALLS`, and
/// answers the read-only queries the scripts make so that they take their create paths. In
/// teardown (`$PHASE`) the resources that provision made exist. With `FAIL_APPLY` set,
/// `kubectl apply -f -` fails.
pub const RECORDER: &str = r#"#!/usr/bin/env bash
name="$(basename "$0")"
line="$(printf '%q' "$name"; printf ' %q' "$@")"
printf '%s\n' "$line" >> "$CALLS"
case "$name $*" in
  # A test's kubectl that cannot apply what it reads on stdin.
  "kubectl apply -f -") [ -n "${FAIL_APPLY:-}" ] && exit 1 ;;
  "doctl kubernetes cluster get"*|"doctl registry get"*) exit 1 ;;
  "doctl kubernetes options versions"*) printf '%s\n' "Slug           Kubernetes Version    Supported Features" "1.36.2-do.0    1.36.2                cluster-autoscaler" ;;
  "hetzner-k3s releases"*) printf '%s\n' v1.35.4+k3s1 v1.35.10+k3s1 v1.36.2+k3s1 ;;
  "k3d cluster get"*|"k3d registry get"*) exit 1 ;;
  "az group exists"*) if [ "${PHASE:-}" = teardown.sh ]; then echo true; else echo false; fi ;;
  "az aks show"*|"az acr show"*|"az aks nodepool show"*) exit 1 ;;
  "eksctl get cluster"*|"eksctl get nodegroup"*|"gcloud container clusters describe"*|"gcloud container node-pools describe"*)
    if [ "${PHASE:-}" = teardown.sh ]; then exit 0; else exit 1; fi ;;
  "aws ecr describe-repositories"*|"gcloud artifacts repositories describe"*) exit 1 ;;
  # Teardown's inventory: one load balancer and one volume, so the leftover checks run.
  "kubectl get services --all-namespaces"*) echo "uid-1 203.0.113.10" ;;
  "kubectl get persistentvolumes"*) echo "pvc-1" ;;
  "gcloud auth list"*) echo standin@example.com ;;
  "gcloud config get-value"*) echo standin-project ;;
  "curl "*) echo 200 ;;
  # `kubectl rollout history` as kubectl prints it: a header, then one line per revision
  # (REVISIONS of them; none by default, a workload's first release has one).
  "kubectl --namespace "*" rollout history "*)
    printf 'REVISION  CHANGE-CAUSE\n'
    for revision in $(seq "${REVISIONS:-0}"); do printf '%s         <none>\n' "$revision"; done ;;
  # The ingress controller's load balancer has an address.
  "kubectl --namespace "*" get service "*) echo 203.0.113.10 ;;
esac
exit 0
"#;

/// The project's virtual environment of real clients (`target/clients/bin`, absolute), installed
/// by `tools/install-clients.sh` when missing: azure-cli and awscli at pinned versions, and the
/// Python (with PyYAML, which awscli needs) the stand-in cloud of `tests/cloud.rs` runs on.
pub fn client_venv() -> PathBuf {
    clients_with(&["az", "aws", "python"])
}

/// The real promtool (Debian's prometheus 2.42.0 package, amd64), installed into
/// `target/clients/bin` by `tools/install-clients.sh` when missing, for `tests/promtool.rs`.
pub fn promtool() -> PathBuf {
    clients_with(&["promtool"]).join("promtool")
}

/// The directory holding actionlint, check-jsonschema and shellcheck, installed into
/// `target/clients/bin` by `tools/install-clients.sh` when missing, for `tests/pipeline.rs`
/// (actionlint finds shellcheck on `PATH` there).
pub fn workflow_linters() -> PathBuf {
    clients_with(&["actionlint", "check-jsonschema", "shellcheck"])
}

#[allow(clippy::panic)]
fn clients_with(tools: &[&str]) -> PathBuf {
    let venv = Path::new("target/clients/bin");
    let install = "tools/install-clients.sh";
    if tools.iter().any(|tool| !venv.join(tool).exists()) {
        let status = std::process::Command::new("bash").arg(install).status();
        if !status.is_ok_and(|s| s.success()) {
            panic!("installing the real clients failed: run `{install}` and read its output");
        }
    }
    venv.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", venv.display()))
}

/// Write `script` as an executable named after each of `tools` into `bin`.
#[allow(clippy::panic)]
pub fn install_stand_ins(bin: &Path, script: &str, tools: &[&str]) {
    if let Err(error) = std::fs::create_dir_all(bin) {
        panic!("cannot create {}: {error}", bin.display());
    }
    for tool in tools {
        let path = bin.join(tool);
        if let Err(error) = std::fs::write(&path, script) {
            panic!("cannot write {}: {error}", path.display());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        }
    }
}

/// The calls a [`RECORDER`] logged to `log`, each split back into its exact words by bash.
pub fn recorded_calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let split = std::process::Command::new("bash")
                .args(["-c", &format!("for word in {line}; do printf '%s\\0' \"$word\"; done")])
                .output()
                .ok()?;
            let words: Vec<String> = String::from_utf8_lossy(&split.stdout)
                .split('\0')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect();
            (!words.is_empty()).then_some(words)
        })
        .collect()
}

/// The operator's SSH key pair in the run's home: the default one, and the one a target's
/// `ssh_key` names (hetzner-k3s refuses to start without both files).
pub fn operator_keys(home: &Path, plan: &crate::lower::plan::Plan) {
    let mut public = vec!["~/.ssh/id_ed25519.pub".to_string()];
    for (name, value) in &plan.target.settings {
        if let ("ssh_key", crate::check::model::SettingValue::Text(path)) = (name.as_str(), value) {
            public.push(path.clone());
        }
    }
    for path in public {
        let file = home.join(path.trim_start_matches("~/"));
        // A failure here shows as the script's own "SSH key … does not exist".
        if let Some(dir) = file.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(&file, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIStandin operator\n");
        let _ = std::fs::write(file.with_extension(""), "standin private key\n");
    }
}

/// The provider tables of `docs/language.md` §7.1, made from the stdlib: each provider's title,
/// kind, regions, versions and bundles, then its sizes with their prices. `tests/tidy.rs`
/// holds the document to this text (between the `stdlib:providers` markers) and writes it
/// with `DEPLOYC_BLESS=1`.
pub fn stdlib_provider_tables() -> String {
    use crate::check::model::ProviderKind;
    use crate::vocab::dollars;
    let providers = crate::check::stdlib_providers();
    let code_list = |items: &[String], sep: &str| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(sep)
        }
    };
    let mut out = String::from(
        "| Provider | Title | Kind | Region attribute | Regions | Versions (default) | Bundles |\n|---|---|---|---|---|---|---|\n",
    );
    for p in providers {
        let kind = match p.kind {
            ProviderKind::Managed => "managed",
            ProviderKind::K3s => "k3s",
            ProviderKind::Local => "local",
        };
        let region_attribute =
            if p.regions.is_empty() { "none".to_string() } else { format!("`{}`", p.region_attribute) };
        out.push_str(&format!(
            "| `{}` | {} | {kind} | {region_attribute} | {} | {} ({}) | {} |\n",
            p.name,
            p.title,
            code_list(&p.regions, " "),
            p.versions.join(", "),
            p.default_version,
            code_list(&p.bundles, ", "),
        ));
    }
    out.push_str(
        "\nNode sizes (vCPUs, memory, price per month in USD). Capacity uses each size's allocatable CPU\n\
         and memory, recorded next to it in `stdlib/providers/NAME.deploy`:\n\n| Provider | Sizes |\n|---|---|\n",
    );
    for p in providers {
        let offered: Vec<String> = p
            .sizes
            .iter()
            .filter(|s| s.retired.is_none())
            .map(|s| format!("`{}` {}/{} {}", s.name, s.cpu.to_k8s(), s.memory.to_k8s(), dollars(s.price.cents)))
            .collect();
        let retired: Vec<String> = p.sizes.iter().filter(|s| s.retired.is_some()).map(|s| s.name.clone()).collect();
        let retired = if retired.is_empty() {
            String::new()
        } else {
            format!("; retired (E0303 with the successor): {}", code_list(&retired, ", "))
        };
        out.push_str(&format!("| `{}` | {}{retired} |\n", p.name, offered.join(" · ")));
    }
    out
}
