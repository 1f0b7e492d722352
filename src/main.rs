//! The `deployc` command line: parse arguments (`cli.rs`), read files, call the library,
//! render diagnostics, set the exit code (0 ok, 1 errors in the input, drift or unformatted
//! files, 2 usage or I/O). Only this file and `src/output.rs` touch the disk.

mod cli;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use cli::{Cli, ColorChoice, Command, CostFormat, ExplainFormat, Format};
use deployc::diagnostics::render::{self, Style};
use deployc::diagnostics::sarif::{self, SarifFile, SarifOptions};
use deployc::diagnostics::{Diagnostics, codes};
use deployc::source::{FileId, SourceMap};
use deployc::{CompileOptions, output};

/// Errors in the input, drift, or unformatted files.
const FAILED: u8 = 1;
/// Usage or I/O error.
const IO_ERROR: u8 = 2;

use deployc::source::MAX_INPUT_BYTES;

fn main() -> ExitCode {
    // Output into a closed pipe (`deployc check --format sarif x | head`) ends the process
    // quietly, as Unix tools do: the default SIGPIPE action, which Rust's runtime replaces with
    // "ignore", after which every print into the pipe panicked with exit 101.
    #[cfg(unix)]
    // SAFETY: the first statement of `main`, before any thread exists; `SIG_DFL` is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let colour = Colour(cli.color);
    let code = match cli.command {
        Command::Check { files, name, env, format } => check(&files, name, env, format, colour),
        Command::Build { file, output, name, format, force } => build(&file, &output, name, format, colour, force),
        Command::Diff { file, dir, check, name, env, against } => match (dir, env, against) {
            (_, Some(env), Some(against)) => diff_environments(&file, &env, &against, check, name, colour),
            (Some(dir), _, _) => diff(&file, &dir, check, name, colour),
            // clap requires a directory or both environments.
            _ => IO_ERROR,
        },
        Command::Promote { file, dir, from, to, values, check, name } => {
            promote(&file, &dir, &Promote { from, to, values, check, name }, colour)
        }
        Command::Fmt { files, check } => fmt(&files, check, colour),
        Command::Explain { code, list, format } => explain(code.as_deref(), list, format),
        Command::Graph { file, name, env } => graph(&file, name, env, colour),
        Command::Cost { file, name, env, format } => cost(&file, name, env, format, colour),
        Command::Init { name, provider } => init(&name, &provider),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "deployc", &mut std::io::stdout());
            0
        }
        Command::Man { dir } => man(dir.as_deref()),
    };
    ExitCode::from(code)
}

/// The `--color` choice, resolved per stream.
#[derive(Clone, Copy)]
struct Colour(ColorChoice);

impl Colour {
    fn stderr(self) -> bool {
        self.on(std::io::stderr().is_terminal())
    }

    fn stdout(self) -> bool {
        self.on(std::io::stdout().is_terminal())
    }

    fn on(self, terminal: bool) -> bool {
        match self.0 {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// 1 for errors in the input, 0 otherwise.
fn exit_code(diagnostics: &Diagnostics) -> u8 {
    if diagnostics.has_errors() { FAILED } else { 0 }
}

/// One file's diagnostics, with the sources they point into.
struct Checked {
    name: String,
    diagnostics: Diagnostics,
    sources: SourceMap,
    output: Option<output::OutputTree>,
    /// The syntax trees, model or plan the compilation kept (see `deployc::Retained`): held
    /// for its drop, and read by `promote` for the images each environment runs.
    retained: deployc::Retained,
}

fn check(files: &[PathBuf], name: Option<String>, env: Option<String>, format: Format, colour: Colour) -> u8 {
    let mut worst = 0u8;
    let mut checked = Vec::new();
    for file in files {
        let options = CompileOptions { deployment: name.clone(), today: today(), environment: env.clone(), lock: None };
        let Some(result) = compile_file(file, &options, Mode::Check) else {
            worst = IO_ERROR;
            continue;
        };
        worst = worst.max(exit_code(&result.diagnostics));
        if format == Format::Sarif {
            checked.push(result);
        } else {
            print_diagnostics(&result, format, colour);
            // The process exits soon: skip freeing the syntax trees and the model one
            // allocation at a time (as rustc does); the OS takes the memory back at once.
            std::mem::forget(result);
        }
    }
    if format == Format::Sarif {
        print_sarif(&checked);
    }
    worst
}

fn build(file: &Path, output: &Path, name: Option<String>, format: Format, colour: Colour, force: bool) -> u8 {
    // Interrupted (Ctrl-C, SIGTERM, SIGHUP): no staging directory is left behind, and an output
    // being swapped in is first made whole (`output::interrupted`). 130 is 128 + SIGINT. Only a
    // build stages anything, so only a build starts the handler's thread.
    let _ = ctrlc::set_handler(|| {
        deployc::output::interrupted();
        std::process::exit(130);
    });
    let options = CompileOptions { deployment: name, today: today(), environment: None, lock: None };
    // One build at a time per output directory; then make sure it is ours to replace.
    let _lock = match output::OutputLock::acquire(output) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("error: cannot write {}: {error}", output.display());
            return IO_ERROR;
        }
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    if let Some(why) = output::refuse_output_dir(output, file, &cwd, force) {
        eprintln!("error: {why}");
        return IO_ERROR;
    }
    let Some(mut loaded) = load(file) else { return IO_ERROR };
    let options = CompileOptions { lock: loaded.lock.take(), ..options };
    // Files are written into a staging directory as they are made, never all held in memory;
    // the staging directory replaces `output` only when every file was written.
    let staging = output::Staging::new(output);
    // The CI workflow goes to the repository, after the output (`output::REPOSITORY_PREFIX`).
    let split = output::SplitRepository::new(&staging);
    let (written, retained) = match loaded.root {
        Some(root) => {
            let threads = output::worker_threads();
            let built = deployc::compile_to(&mut loaded.sources, root, &importer(), &options, &split, threads);
            loaded.diagnostics.extend(built.diagnostics);
            (built.written, built.retained)
        }
        None => (Ok(false), deployc::Retained::default()),
    };
    let repository_files = split.into_repository_files();
    // Where the workflow goes, found before anything is written, so that a pipeline whose
    // paths do not match the checkout writes nothing.
    let repository = match retained.plan.first().and_then(|p| p.pipeline.as_ref()) {
        Some(pipeline) if !repository_files.is_empty() => {
            match output::repository_root(file, &pipeline.directory, Some(output), &pipeline.output)
                .and_then(|root| output::refuse_foreign_files(&root, &repository_files, force).map(|()| root))
            {
                Ok(root) => Some(root),
                Err(why) => {
                    eprintln!("error: {why}");
                    return IO_ERROR;
                }
            }
        }
        _ => None,
    };
    let result = loaded.into_checked_retaining(None, retained);
    if format == Format::Sarif {
        print_sarif(std::slice::from_ref(&result));
    } else {
        print_diagnostics(&result, format, colour);
    }
    let count = staging.files();
    match written.and_then(|complete| if complete { staging.commit().map(|()| true) } else { Ok(false) }) {
        Ok(true) => {
            if format == Format::Human {
                eprintln!("wrote {count} files to {}", output.display());
            }
            if let Some(root) = &repository {
                if let Err(why) = output::write_repository_files(root, &repository_files, force) {
                    eprintln!("error: {why}");
                    return IO_ERROR;
                }
                if format == Format::Human {
                    for path in repository_files.keys() {
                        eprintln!("wrote {}", root.join(path).display());
                    }
                }
            }
            // The process exits next: skip freeing the plan, sources and diagnostics one
            // allocation at a time (as rustc does); the OS takes the memory back at once.
            std::mem::forget(result);
            0
        }
        Ok(false) => exit_code(&result.diagnostics).max(FAILED),
        Err(error) => {
            eprintln!("error: cannot write {}: {error}", output.display());
            IO_ERROR
        }
    }
}

fn diff(file: &Path, dir: &Path, check: bool, name: Option<String>, colour: Colour) -> u8 {
    let options = CompileOptions { deployment: name, today: today(), environment: None, lock: None };
    let Some(result) = compile_file(file, &options, Mode::Build) else { return IO_ERROR };
    print_diagnostics(&result, Format::Human, colour);
    let Some(compiled) = &result.output else { return FAILED };
    if !dir.exists() {
        eprintln!("note: {} does not exist; every file would be added", dir.display());
    }
    let mut on_disk = match output::read_tree(dir) {
        Ok(tree) => tree,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", dir.display());
            return IO_ERROR;
        }
    };
    // The workflow is compared with the one at the repository's root.
    let repository_paths = compiled.keys().filter(|k| k.starts_with(output::REPOSITORY_PREFIX));
    if let Some(pipeline) = result.retained.plan.first().and_then(|p| p.pipeline.as_ref())
        && repository_paths.clone().next().is_some()
    {
        let root = match output::repository_root(file, &pipeline.directory, Some(dir), &pipeline.output) {
            Ok(root) => root,
            Err(why) => {
                eprintln!("error: {why}");
                return IO_ERROR;
            }
        };
        match output::read_repository_files(&root, repository_paths) {
            Ok(files) => on_disk.extend(files),
            Err(error) => {
                eprintln!("error: cannot read {}: {error}", root.display());
                return IO_ERROR;
            }
        }
    }
    let changes = deployc::diff::diff(&on_disk, compiled);
    if changes.is_empty() {
        eprintln!("{} is up to date with {}", dir.display(), file.display());
        return 0;
    }
    let options = deployc::diff::RenderOptions {
        colour: colour.stdout(),
        dir: dir.display().to_string(),
        source: file.display().to_string(),
    };
    print!("{}", deployc::diff::render(&changes, &options));
    if check { FAILED } else { 0 }
}

/// What `deployc promote` was asked for.
struct Promote {
    from: String,
    to: String,
    values: Vec<String>,
    check: bool,
    name: Option<String>,
}

/// The files environment `name` of `plans` would have in a directory of its own.
fn alone(plans: &[deployc::lower::plan::Plan], name: &str) -> Option<output::OutputTree> {
    let plan = plans.iter().find(|p| p.environment.as_ref().is_some_and(|e| e.name == name))?;
    let files = output::Collect::default();
    deployc::emit::emit_to(plan, &files, 1).ok()?;
    Some(files.into_tree())
}

/// The files of one environment in an output tree, relative to its directory.
fn environment_files(tree: &output::OutputTree, environment: &str) -> output::OutputTree {
    let prefix = format!("{}/", deployc::emit::environments::directory(environment));
    tree.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_string(), v.clone()))).collect()
}

/// `deployc promote FILE DIR --from A --to B`: rewrite FILE so that B runs A's image versions
/// (or the `--value` paths), after checking that A's output in DIR is what FILE builds. The new
/// file is compiled before it is written: it must check, every other environment must build
/// the same files, and B's images must be the promised ones.
fn promote(file: &Path, dir: &Path, request: &Promote, colour: Colour) -> u8 {
    let options = CompileOptions { deployment: request.name.clone(), today: today(), environment: None, lock: None };
    let Some(result) = compile_file(file, &options, Mode::Build) else { return IO_ERROR };
    // Warnings are `check`'s and `build`'s to show; promote stops only for errors.
    if result.diagnostics.has_errors() {
        print_diagnostics(&result, Format::Human, colour);
    }
    let Some(before) = &result.output else { return FAILED };
    let Some(text) = result.sources.files().find(|(_, f)| f.name == result.name).map(|(_, f)| f.text.clone()) else {
        return FAILED;
    };
    let what = if request.values.is_empty() {
        deployc::promote::What::Images
    } else {
        deployc::promote::What::Values(request.values.clone())
    };
    let promotion = match deployc::promote::promote(
        deployc::source::FileId(0),
        &text,
        request.name.as_deref(),
        &request.from,
        &request.to,
        &what,
    ) {
        Ok(promotion) => promotion,
        Err(refusal) => {
            eprintln!("error: {refusal}");
            return match refusal {
                deployc::promote::Refusal::Usage(_) => IO_ERROR,
                deployc::promote::Refusal::Input(_) => FAILED,
            };
        }
    };
    // What was deployed and verified is what DIR holds: refuse to promote anything else.
    let on_disk = match output::read_tree(dir) {
        Ok(tree) => tree,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", dir.display());
            return IO_ERROR;
        }
    };
    let source_dir = format!("{}/{}", dir.display(), deployc::emit::environments::directory(&request.from));
    // The environment's own files, and the base it shares with the others on its cluster.
    let base = result
        .retained
        .plan
        .iter()
        .find(|p| p.environment.as_ref().is_some_and(|e| e.name == request.from))
        .map(|p| format!("{}/", deployc::emit::environments::base_directory(&p.target.cluster)));
    let built = |tree: &output::OutputTree| {
        let mut files = environment_files(tree, &request.from);
        if let Some(base) = &base {
            files
                .extend(tree.iter().filter(|(k, _)| k.starts_with(base.as_str())).map(|(k, v)| (k.clone(), v.clone())));
        }
        files
    };
    if !deployc::diff::diff(&built(&on_disk), &built(before)).is_empty() {
        eprintln!(
            "error: {source_dir} is stale: it is not what {} builds for `{}` now\n  = help: run `deployc build {} -o {}` and deploy and verify `{}` before promoting it (`deployc diff {} {} --check` shows the difference)",
            file.display(),
            request.from,
            file.display(),
            dir.display(),
            request.from,
            file.display(),
            dir.display()
        );
        return FAILED;
    }
    for path in &promotion.unchanged {
        eprintln!("note: `{}` already has {}'s {path}", request.to, request.from);
    }
    if promotion.changes.is_empty() {
        eprintln!("`{}` already has what `{}` has; nothing to promote", request.to, request.from);
        return 0;
    }

    // The rewritten file must check, and change only the target environment.
    let name = file.display().to_string();
    let mut sources = SourceMap::new();
    let root = sources.add(name.clone(), promotion.text.clone());
    let compiled = deployc::compile(&mut sources, root, &importer(), &options);
    let Some(_) = &compiled.output else {
        let checked = Checked {
            name,
            diagnostics: compiled.diagnostics,
            sources,
            output: None,
            retained: deployc::Retained::default(),
        };
        print_diagnostics(&checked, Format::Human, colour);
        eprintln!("error: the promoted file does not check; {} is unchanged", file.display());
        return FAILED;
    };
    for plan in result.retained.plan.iter().filter(|p| p.environment.as_ref().is_some_and(|e| e.name != request.to)) {
        let other = plan.environment.as_ref().map(|e| e.name.as_str()).unwrap_or_default();
        // Each environment's files as if alone: a shared kustomize base may move objects between
        // the base and the overlays without changing what any environment builds.
        let changed = match (alone(&result.retained.plan, other), alone(&compiled.retained.plan, other)) {
            (Some(old), Some(new)) => !deployc::diff::diff(&old, &new).is_empty(),
            _ => true,
        };
        if changed {
            eprintln!(
                "error: the promotion would change environment `{other}` (a bug in deployc); {} is unchanged",
                file.display()
            );
            return FAILED;
        }
    }
    if let deployc::promote::What::Images = what {
        let images = |models: &[deployc::check::model::Deployment]| -> Vec<(String, String)> {
            models
                .iter()
                .filter(|m| m.environment.as_ref().is_some_and(|e| e.name == request.to))
                .flat_map(|m| m.services.iter().map(|s| (s.name.value.clone(), s.image.value.clone())))
                .collect()
        };
        let expected: Vec<(String, String)> = images(&result.retained.model)
            .into_iter()
            .map(|(service, image)| {
                let path = format!("service.{service}.image");
                let promoted = promotion.changes.iter().find(|c| c.path == path);
                (service, promoted.map_or(image, |c| c.after.trim_matches('"').to_string()))
            })
            .collect();
        if images(&compiled.retained.model) != expected {
            eprintln!(
                "error: the promoted file does not give `{}` the promised images (a bug in deployc); {} is unchanged",
                request.to,
                file.display()
            );
            return FAILED;
        }
    }

    print!("{}", deployc::diff::unified(&text, &promotion.text, &name, &format!("{name} (promoted)"), colour.stdout()));
    for change in &promotion.changes {
        let before = if change.before.is_empty() { "(unset)" } else { &change.before };
        eprintln!("{}: {} {before} -> {}", request.to, change.path, change.after);
    }
    if request.check {
        eprintln!("{} would change (--check: nothing written)", file.display());
        return FAILED;
    }
    if let Err(error) = write_in_place(file, &promotion.text) {
        eprintln!("error: cannot write {}: {error}", file.display());
        return IO_ERROR;
    }
    eprintln!(
        "promoted {} of `{}` to `{}`; run `deployc build {} -o {}` to write its manifests",
        match promotion.changes.len() {
            1 => "1 value".to_string(),
            n => format!("{n} values"),
        },
        request.from,
        request.to,
        file.display(),
        dir.display()
    );
    0
}

/// `deployc diff FILE --env A --against B`: what environment A's output changes from B's.
fn diff_environments(file: &Path, env: &str, against: &str, check: bool, name: Option<String>, colour: Colour) -> u8 {
    let options = CompileOptions { deployment: name, today: today(), environment: None, lock: None };
    let Some(result) = compile_file(file, &options, Mode::Build) else { return IO_ERROR };
    print_diagnostics(&result, Format::Human, colour);
    let Some(compiled) = &result.output else { return FAILED };
    // Each as a directory of its own: a kustomize base shared on one cluster is part of both.
    let subtree =
        |environment: &str| -> output::OutputTree { alone(&result.retained.plan, environment).unwrap_or_default() };
    let (new, old) = (subtree(env), subtree(against));
    for (wanted, tree) in [(env, &new), (against, &old)] {
        if tree.is_empty() {
            let known: std::collections::BTreeSet<&str> =
                compiled.keys().filter_map(|k| k.strip_prefix("environments/")?.split('/').next()).collect();
            if known.is_empty() {
                eprintln!("error: {} declares no environments", file.display());
            } else {
                let known: Vec<&str> = known.into_iter().collect();
                eprintln!("error: no environment named `{wanted}`; {} declares {}", file.display(), known.join(", "));
            }
            return IO_ERROR;
        }
    }
    let changes = deployc::diff::diff(&old, &new);
    if changes.is_empty() {
        eprintln!("environments {env} and {against} build the same files");
        return 0;
    }
    let options = deployc::diff::RenderOptions {
        colour: colour.stdout(),
        dir: deployc::emit::environments::directory(against),
        source: format!("{} (environment {env})", file.display()),
    };
    print!("{}", deployc::diff::render(&changes, &options));
    if check { FAILED } else { 0 }
}

fn fmt(paths: &[PathBuf], check: bool, colour: Colour) -> u8 {
    let mut worst = 0u8;
    for path in expand_paths(paths, &mut worst) {
        let stdin = path.as_os_str() == "-";
        let display = if stdin { "<stdin>".to_string() } else { path.display().to_string() };
        let bytes = if stdin { read_capped(std::io::stdin().lock()) } else { read_input(&path) };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("error: cannot read {display}: {error}");
                worst = IO_ERROR;
                continue;
            }
        };
        let mut sources = SourceMap::new();
        let mut diagnostics = Diagnostics::new();
        let Some(text) = deployc::source::decode(&display, bytes, &mut diagnostics) else {
            eprint!("{}", render::render_all(&diagnostics, &sources, style(colour)));
            worst = worst.max(FAILED);
            continue;
        };
        let id: FileId = sources.add(display.clone(), text.clone());
        let formatted = match deployc::fmt::format(id, &text) {
            Ok(formatted) => formatted,
            Err(deployc::fmt::FormatError::Syntax(diagnostics)) => {
                eprint!("{}", render::render_all(&diagnostics, &sources, style(colour)));
                eprintln!("error: {display} was not formatted: it does not parse");
                worst = worst.max(FAILED);
                continue;
            }
            Err(deployc::fmt::FormatError::Internal(reason)) => {
                eprintln!(
                    "error: cannot format {display}: {reason}\n  this is a bug in deployc; the file was left unchanged"
                );
                worst = IO_ERROR;
                continue;
            }
        };
        if stdin {
            if check {
                if formatted != text {
                    println!("{display}");
                    worst = worst.max(FAILED);
                }
            } else {
                print!("{formatted}");
            }
            continue;
        }
        if formatted == text {
            continue;
        }
        println!("{display}");
        if check {
            worst = worst.max(FAILED);
        } else if let Err(error) = write_in_place(&path, &formatted) {
            eprintln!("error: cannot write {display}: {error}");
            worst = IO_ERROR;
        }
    }
    worst
}

/// Files as given, and the `.deploy` files under each directory (sorted; hidden directories
/// and `target` skipped).
fn expand_paths(paths: &[PathBuf], worst: &mut u8) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) => {
                    eprintln!("error: cannot read {}: {error}", dir.display());
                    *worst = IO_ERROR;
                    continue;
                }
            };
            for entry in entries.flatten() {
                let entry_path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if entry_path.is_dir() {
                    if !hidden && entry.file_name() != "target" {
                        stack.push(entry_path);
                    }
                } else if entry_path.extension().is_some_and(|e| e == "deploy") {
                    found.push(entry_path);
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    out
}

/// Replace a file's contents through a temporary sibling, so that a failed write leaves the
/// file as it was.
fn write_in_place(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.deployc-fmt-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn explain(code: Option<&str>, list: bool, format: ExplainFormat) -> u8 {
    if list {
        match format {
            ExplainFormat::Human => {
                for info in codes::CODES {
                    println!("{}  {:<8} {}", info.code, info.phase, info.title);
                }
            }
            ExplainFormat::Json => {
                let list: Vec<serde_json::Value> = codes::CODES
                    .iter()
                    .map(|info| {
                        serde_json::json!({
                            "code": info.code, "title": info.title, "phase": info.phase, "severity": info.severity,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
            }
        }
        return 0;
    }
    let code = code.unwrap_or_default();
    let Some(info) = codes::lookup(code) else {
        let near = deployc::diagnostics::suggest::did_you_mean(code, codes::CODES.iter().map(|c| c.code));
        let hint = near.map(|n| format!("did you mean `{n}`? ")).unwrap_or_default();
        eprintln!("error: no diagnostic code `{code}`; {hint}`deployc explain --list` shows them all");
        return IO_ERROR;
    };
    match format {
        ExplainFormat::Human => print!("{}", info.explanation),
        ExplainFormat::Json => {
            let value = serde_json::json!({
                "code": info.code,
                "title": info.title,
                "phase": info.phase,
                "severity": info.severity,
                "explanation": info.explanation,
            });
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        }
    }
    0
}

/// Check and lower `file`, printing its diagnostics: the plans (the deployment's, or one per
/// environment) and the exit code so far, or the exit code alone when there is no plan.
fn plans_of(
    file: &Path,
    name: Option<String>,
    env: Option<String>,
    colour: Colour,
) -> Result<(Vec<deployc::lower::plan::Plan>, u8), u8> {
    let options = CompileOptions { deployment: name, today: today(), environment: env, lock: None };
    let Some(mut loaded) = load(file) else { return Err(IO_ERROR) };
    let options = CompileOptions { lock: loaded.lock.take(), ..options };
    let Some(root) = loaded.root else {
        print_diagnostics(&loaded.into_checked(None), Format::Human, colour);
        return Err(FAILED);
    };
    let planned = deployc::inspect::plan(&mut loaded.sources, root, &importer(), &options);
    loaded.diagnostics.extend(planned.diagnostics);
    let code = exit_code(&loaded.diagnostics);
    print_diagnostics(&loaded.into_checked(None), Format::Human, colour);
    if planned.plans.is_empty() { Err(code.max(FAILED)) } else { Ok((planned.plans, code)) }
}

fn cost(file: &Path, name: Option<String>, env: Option<String>, format: CostFormat, colour: Colour) -> u8 {
    use deployc::vocab::dollars;
    let (plans, code) = match plans_of(file, name, env, colour) {
        Ok(planned) => planned,
        Err(code) => return code,
    };
    // An environment on another's cluster costs nothing of its own: its pods run on the
    // nodes the other pays for.
    let own_cluster = |plan: &deployc::lower::plan::Plan| plan.cluster_host().is_none();
    let environment = |plan: &deployc::lower::plan::Plan| plan.environment.as_ref().map(|e| e.name.clone());
    match format {
        CostFormat::Json => {
            let one = |plan: &deployc::lower::plan::Plan| {
                let cost = &plan.cost;
                serde_json::json!({
                    "deployment": plan.deployment,
                    "environment": environment(plan),
                    "cluster": plan.target.cluster,
                    "shares_cluster_of": plan.cluster_host(),
                    "provider": plan.target.provider,
                    "currency": "USD",
                    "period": "month",
                    "lines": cost.lines.iter().map(|l| serde_json::json!({
                        "item": l.what, "at_count_cents": l.at_count, "at_max_cents": l.at_max,
                    })).collect::<Vec<_>>(),
                    "total_at_count_cents": cost.at_count,
                    "total_at_max_cents": cost.at_max,
                    "budget_cents": plan.budget_cents,
                    "prices_source": plan.target.prices_source,
                    "prices_as_of": plan.target.prices_as_of,
                })
            };
            match plans.as_slice() {
                [only] if only.environment.is_none() => println!("{}", one(only)),
                _ => {
                    let value = serde_json::json!({
                        "environments": plans.iter().map(one).collect::<Vec<_>>(),
                        "currency": "USD",
                        "period": "month",
                        "total_at_count_cents": plans.iter().filter(|p| own_cluster(p)).map(|p| p.cost.at_count).sum::<u64>(),
                        "total_at_max_cents": plans.iter().filter(|p| own_cluster(p)).map(|p| p.cost.at_max).sum::<u64>(),
                    });
                    println!("{value}");
                }
            }
        }
        CostFormat::Human => {
            let several = plans.len() > 1;
            for (index, plan) in plans.iter().enumerate() {
                let cost = &plan.cost;
                if index > 0 {
                    println!();
                }
                if let Some(env) = environment(plan) {
                    println!("environment {env} (cluster {}, {})", plan.target.cluster, plan.target.provider);
                }
                if let Some(host) = plan.cluster_host() {
                    println!("runs on the cluster of environment {host}: no cost of its own");
                } else {
                    let width = cost.lines.iter().map(|l| l.what.chars().count()).max().unwrap_or(10).max(20);
                    println!("{:<width$}  {:>10}  {:>10}", "monthly cost", "at count", "at max");
                    for line in &cost.lines {
                        println!("{:<width$}  {:>10}  {:>10}", line.what, dollars(line.at_count), dollars(line.at_max));
                    }
                    println!("{:<width$}  {:>10}  {:>10}", "total", dollars(cost.at_count), dollars(cost.at_max));
                }
                if let Some(budget) = plan.budget_cents {
                    println!("{:<20}  {:>10}", "budget", dollars(budget));
                }
                println!("prices: {} as of {}", plan.target.prices_source, plan.target.prices_as_of);
            }
            if several {
                let at_count: u64 = plans.iter().filter(|p| own_cluster(p)).map(|p| p.cost.at_count).sum();
                let at_max: u64 = plans.iter().filter(|p| own_cluster(p)).map(|p| p.cost.at_max).sum();
                println!();
                println!("{:<20}  {:>10}  {:>10}", "all environments", dollars(at_count), dollars(at_max));
            }
        }
    }
    code
}

fn graph(file: &Path, name: Option<String>, env: Option<String>, colour: Colour) -> u8 {
    match plans_of(file, name, env, colour) {
        Ok((plans, code)) => {
            if let Some(plan) = plans.first() {
                print!("{}", deployc::graph::mermaid(plan));
            }
            code
        }
        Err(code) => code,
    }
}

fn init(name: &str, provider: &str) -> u8 {
    if let Some(reason) = deployc::init::invalid_name(name) {
        eprintln!("error: {reason}");
        return IO_ERROR;
    }
    let Some(text) = deployc::init::starter(provider, name) else {
        eprintln!("error: no starter for provider `{provider}`");
        return IO_ERROR;
    };
    let path = PathBuf::from(format!("{name}.deploy"));
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path);
    let result = file.and_then(|mut file| file.write_all(text.as_bytes()));
    match result {
        Ok(()) => {
            eprintln!("wrote {} (provider {provider}); next: deployc check {}", path.display(), path.display());
            0
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!("error: {} already exists; not overwriting it (choose another NAME)", path.display());
            IO_ERROR
        }
        Err(error) => {
            eprintln!("error: cannot write {}: {error}", path.display());
            IO_ERROR
        }
    }
}

/// The main page and one page per command, as (file name, roff).
fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let mut main_page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut main_page)?;
    pages.push(("deployc.1".to_string(), main_page));
    for subcommand in Cli::command().get_subcommands() {
        // clap names are `&'static str`; the process prints the pages and exits.
        let name: &'static str = Box::leak(format!("deployc-{}", subcommand.get_name()).into_boxed_str());
        let mut page = Vec::new();
        clap_mangen::Man::new(subcommand.clone().name(name)).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

fn man(dir: Option<&Path>) -> u8 {
    let result = man_pages().and_then(|pages| match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            for (name, page) in &pages {
                std::fs::write(dir.join(name), page)?;
            }
            eprintln!("wrote {} man pages to {}", pages.len(), dir.display());
            Ok(())
        }
        None => {
            let joined: Vec<u8> = pages.into_iter().map(|(_, page)| page).collect::<Vec<_>>().join(&b"\n"[..]);
            std::io::stdout().write_all(&joined)
        }
    });
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: cannot write the man pages: {error}");
            IO_ERROR
        }
    }
}

fn style(colour: Colour) -> Style {
    if colour.stderr() { Style::Colour } else { Style::Plain }
}

fn print_diagnostics(result: &Checked, format: Format, colour: Colour) {
    match format {
        Format::Json => print!("{}", render::render_json(&result.diagnostics, &result.sources)),
        Format::Human | Format::Sarif => {
            eprint!("{}", render::render_all(&result.diagnostics, &result.sources, style(colour)));
        }
    }
}

fn print_sarif(results: &[Checked]) {
    let files: Vec<SarifFile> =
        results.iter().map(|r| SarifFile { diagnostics: &r.diagnostics, sources: &r.sources, root: &r.name }).collect();
    let base = std::env::current_dir().ok().map(|dir| format!("{}/", dir.display().to_string().replace('\\', "/")));
    print!("{}", sarif::render_sarif(&files, &SarifOptions { base }));
}

/// A file read into a source map: `root` is `None` when it is not UTF-8 (then `diagnostics`
/// says so).
struct Loaded {
    name: String,
    sources: SourceMap,
    diagnostics: Diagnostics,
    root: Option<FileId>,
    /// The image lock next to the file (`NAME.deploy.lock`), when there is one.
    lock: Option<deployc::LockFile>,
}

impl Loaded {
    fn into_checked(self, output: Option<output::OutputTree>) -> Checked {
        self.into_checked_retaining(output, deployc::Retained::default())
    }

    fn into_checked_retaining(self, output: Option<output::OutputTree>, retained: deployc::Retained) -> Checked {
        Checked { name: self.name, diagnostics: self.diagnostics, sources: self.sources, output, retained }
    }
}

/// Read a file; `None` (after printing why) when it cannot be read.
fn load(path: &Path) -> Option<Loaded> {
    let name = path.display().to_string();
    let bytes = match read_input(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read {name}: {error}");
            return None;
        }
    };
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let root = deployc::source::decode(&name, bytes, &mut diagnostics).map(|text| sources.add(name.clone(), text));
    let lock = match read_lock(path) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("error: cannot read {name}.lock: {error}");
            return None;
        }
    };
    Some(Loaded { name, sources, diagnostics, root, lock })
}

/// The image lock next to `path` (`app.deploy` → `app.deploy.lock`): `None` when there is
/// none; an error when it exists and cannot be read, or is not UTF-8.
fn read_lock(path: &Path) -> std::io::Result<Option<deployc::LockFile>> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    if !lock_path.exists() {
        return Ok(None);
    }
    let bytes = read_input(&lock_path)?;
    let text =
        String::from_utf8(bytes).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))?;
    Ok(Some(deployc::LockFile { name: lock_path.display().to_string(), text }))
}

/// Reads imports relative to the importing file.
fn importer() -> impl Fn(&str, &str) -> Result<(String, String), String> {
    |importer: &str, relative: &str| {
        let base = Path::new(importer).parent().unwrap_or(Path::new(""));
        let path = base.join(relative);
        let bytes = read_input(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
        Ok((path.display().to_string(), text))
    }
}

/// An input file's bytes: a regular file (checked before it is opened, since opening a named
/// pipe waits for a writer and a device such as `/dev/zero` never ends) of at most
/// [`MAX_INPUT_BYTES`].
fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    let metadata = std::fs::metadata(path)?;
    refuse_unless_regular(&metadata)?;
    if metadata.len() > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)?;
    // The path may have been replaced between the two looks: check what was opened.
    refuse_unless_regular(&file.metadata()?)?;
    read_capped(file)
}

fn refuse_unless_regular(metadata: &std::fs::Metadata) -> std::io::Result<()> {
    if metadata.is_file() {
        return Ok(());
    }
    let kind = metadata.file_type();
    let what = if kind.is_dir() { "a directory" } else { special_file_kind(&kind) };
    Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("not a regular file ({what})")))
}

#[cfg(unix)]
fn special_file_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// Read to the end, refusing more than [`MAX_INPUT_BYTES`] (reading one byte more than the
/// cap, so a file that grows after it was looked at cannot pass it).
fn read_capped(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("larger than {} MiB, the most deployc reads", MAX_INPUT_BYTES >> 20),
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Check,
    Build,
}

/// Read, check and (for `Build`) compile one file; `None` (after printing why) when the file
/// cannot be read.
/// Today's date for support windows: from `SOURCE_DATE_EPOCH` (seconds since 1970, the
/// reproducible-builds convention) when it is set, else from the system clock.
fn today() -> Option<String> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value.trim().parse::<i64>().ok()?,
        Err(_) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?;
            i64::try_from(now.as_secs()).ok()?
        }
    };
    Some(deployc::date::from_days(seconds.div_euclid(86_400)))
}

fn compile_file(path: &Path, options: &CompileOptions, mode: Mode) -> Option<Checked> {
    let mut loaded = load(path)?;
    let options = &CompileOptions { lock: loaded.lock.take(), ..options.clone() };
    let Some(root) = loaded.root else { return Some(loaded.into_checked(None)) };
    let loader = importer();
    match mode {
        Mode::Build => {
            let compilation = deployc::compile(&mut loaded.sources, root, &loader, options);
            loaded.diagnostics.extend(compilation.diagnostics);
            Some(loaded.into_checked_retaining(compilation.output, compilation.retained))
        }
        Mode::Check => {
            let compilation = deployc::check_only(&mut loaded.sources, root, &loader, options);
            loaded.diagnostics.extend(compilation.diagnostics);
            Some(loaded.into_checked_retaining(None, compilation.retained))
        }
    }
}
