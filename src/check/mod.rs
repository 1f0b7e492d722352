//! Phase 2, check: name resolution, type checking and semantic checks.
//!
//! Input: the root file (already in the `SourceMap`), its imports (read through the caller's
//! loader) and the embedded stdlib. Output: a typed [`model::Deployment`], or `None` when
//! there is nothing to build. Every mistake is pushed to the sink; checking continues past
//! errors so that independent mistakes are all reported in one run.

pub mod analysis;
pub mod deployment;
pub mod environment;
pub mod library;
pub mod lock;
pub mod model;
pub mod order;
pub mod reader;
pub mod rules;
pub mod value;

use std::collections::BTreeMap;

use crate::diagnostics::codes;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{Block, Item, Let, Module};
use crate::{CompileOptions, Loader};
use model::{Component, Deployment, ImageContract, Provider};
use value::Cx;

/// How many imports deep a file may go (a guard against runaway chains).
const MAX_IMPORT_DEPTH: usize = 16;

/// The top-level kinds a file may hold.
const TOP_LEVEL: [&str; 5] = ["deployment", "template", "provider", "component", "image"];

/// The stdlib's syntax trees, parsed once: its files have the same ids in every `SourceMap`.
fn parsed_stdlib() -> &'static (Vec<(FileId, Module)>, Diagnostics) {
    static STDLIB: std::sync::OnceLock<(Vec<(FileId, Module)>, Diagnostics)> = std::sync::OnceLock::new();
    STDLIB.get_or_init(|| {
        let mut sink = Diagnostics::new();
        let modules = crate::stdlib::FILES
            .iter()
            .enumerate()
            .map(|(index, (_, text))| {
                let id = FileId(index as u32);
                (id, crate::syntax::parse(&mut sink, id, text))
            })
            .collect();
        (modules, sink)
    })
}

/// The stdlib's providers as the checker reads them, in the order of [`crate::stdlib::PROVIDERS`]
/// (for the documentation's tables, the tidy tests, and the tools a provider of one's own
/// inherits with the template set it reuses), read once.
pub fn stdlib_providers() -> &'static [Provider] {
    static PROVIDERS: std::sync::OnceLock<Vec<Provider>> = std::sync::OnceLock::new();
    PROVIDERS.get_or_init(read_stdlib_providers)
}

fn read_stdlib_providers() -> Vec<Provider> {
    let (stdlib_modules, _) = parsed_stdlib();
    let lets = BTreeMap::new();
    let mut sink = Diagnostics::new();
    let mut cx = Cx { sink: &mut sink, lets: &lets, suggestions: Default::default() };
    let mut providers: Vec<Provider> = stdlib_modules
        .iter()
        .flat_map(|(_, module)| module.items.iter())
        .filter_map(|item| match item {
            Item::Block(block) if block.kind.name == "provider" => library::read_provider(&mut cx, block),
            _ => None,
        })
        .collect();
    providers.sort_by(|a, b| a.name.cmp(&b.name));
    providers
}

/// A provider that declares no `tool` (or no `leftovers`) has those of the stdlib provider
/// whose script templates it uses: the scripts run that provider's tools.
fn inherit_tools(mut provider: Provider) -> Provider {
    if (provider.tools.is_empty() || provider.leftovers.is_none())
        && let Some(set_owner) = stdlib_providers().iter().find(|p| p.name == provider.templates)
    {
        if provider.tools.is_empty() {
            provider.tools = set_owner.tools.clone();
        }
        if provider.leftovers.is_none() {
            provider.leftovers = set_owner.leftovers.clone();
        }
    }
    provider
}

/// Check `root` and return what to build: the deployment, or each of its environments (in
/// the order written); nothing when there is nothing to build.
pub fn check(
    sink: &mut Diagnostics,
    sources: &mut SourceMap,
    root: FileId,
    loader: &Loader,
    options: &CompileOptions,
) -> Vec<Deployment> {
    check_keeping_syntax(sink, sources, root, loader, options).0
}

/// [`check`], also returning the syntax trees of the root and its imports instead of
/// freeing them (a caller about to exit may skip that: see `crate::Retained`).
pub fn check_keeping_syntax(
    sink: &mut Diagnostics,
    sources: &mut SourceMap,
    root: FileId,
    loader: &Loader,
    options: &CompileOptions,
) -> (Vec<Deployment>, Vec<(FileId, Module)>) {
    let user_modules = parse_files(sink, sources, root, loader);
    let mut model = check_modules(sink, sources, root, options, &user_modules);
    let file_has_errors = sink.has_errors();
    let entries = match &options.lock {
        Some(lock) => {
            let file = sources.add(lock.name.clone(), lock.text.clone());
            crate::syntax::check_characters(sink, file, &lock.text);
            lock::parse(sink, file, &lock.text)
        }
        None => BTreeMap::new(),
    };
    // Unused entries are not reported for one environment alone, nor when the file has
    // errors (a service with a mistake in its image is not matched against the lock).
    let check_unused = options.environment.is_none() && !file_has_errors;
    lock::apply(sink, &entries, options.lock.is_some(), check_unused, &mut model);
    (model, user_modules)
}

/// Parse the root and, transitively, its imports.
fn parse_files(
    sink: &mut Diagnostics,
    sources: &mut SourceMap,
    root: FileId,
    loader: &Loader,
) -> Vec<(FileId, Module)> {
    // The stdlib (parsed once per process), then the root and its imports.
    let (_, stdlib_diagnostics) = parsed_stdlib();
    sink.extend(stdlib_diagnostics.clone());
    let mut user_modules: Vec<(FileId, Module)> = Vec::new();
    // Each file's directory below the root file's (the project): imports stay inside it.
    let mut queue: Vec<(FileId, usize, Vec<String>)> = vec![(root, 0usize, Vec::new())];
    let mut loaded: Vec<String> = Vec::new();
    while let Some((id, depth, directory)) = queue.pop() {
        let Some(file) = sources.get(id) else { continue };
        let name = file.name.clone();
        loaded.push(name.clone());
        let module = crate::syntax::parse(sink, id, &file.text);
        crate::syntax::check_characters(sink, id, &file.text);
        for item in &module.items {
            let Item::Import(import) = item else { continue };
            let Some(path) = import.path.plain() else {
                sink.push(
                    Diagnostic::new(codes::E0204, "an import path cannot use `${}`")
                        .at(import.path.span, "interpolated path")
                        .help("write the path literally: `import \"lib/web.deploy\"`"),
                );
                continue;
            };
            let Some(imported_directory) = confined(&directory, &path) else {
                sink.push(
                    Diagnostic::new(codes::E0204, format!("cannot import `{path}`: it is outside the project"))
                        .at(import.path.span, "an absolute path, or one that leaves the deployment file's directory")
                        .help("import `.deploy` files from the deployment file's directory or below it, by a relative path such as `\"lib/web.deploy\"`"),
                );
                continue;
            };
            if depth >= MAX_IMPORT_DEPTH {
                sink.push(
                    Diagnostic::new(codes::E0204, format!("imports nested deeper than {MAX_IMPORT_DEPTH} files"))
                        .at(import.span, "too deep")
                        .help("import the library files directly from the deployment file"),
                );
                continue;
            }
            match loader(&name, &path) {
                Ok((imported_name, imported_text)) => {
                    if loaded.contains(&imported_name)
                        || user_modules.iter().any(|(m, _)| sources.name(*m) == imported_name)
                    {
                        continue;
                    }
                    let imported = sources.add(imported_name, imported_text);
                    queue.push((imported, depth + 1, imported_directory));
                }
                Err(reason) => sink.push(
                    Diagnostic::new(codes::E0204, format!("cannot import `{path}`"))
                        .at(import.path.span, reason)
                        .help("import paths are relative to the importing file"),
                ),
            }
        }
        user_modules.push((id, module));
    }
    user_modules
}

/// The directory (below the project's) of the file that `path`, imported from a file in
/// `directory`, names; `None` when the path is absolute, leaves the project (the root file's
/// directory) or does not name a `.deploy` file. Decided on the text alone, before anything is
/// read, so `import "/proc/self/environ"` or `"../../.ssh/id_rsa"` opens nothing.
fn confined(directory: &[String], path: &str) -> Option<Vec<String>> {
    if path.starts_with(['/', '\\']) || path.contains('\\') || path.get(1..2) == Some(":") || !path.ends_with(".deploy")
    {
        return None;
    }
    let mut parts: Vec<String> = directory.to_vec();
    let components: Vec<&str> = path.split('/').collect();
    let (_, dirs) = components.split_last()?;
    for part in dirs {
        match *part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name.to_string()),
        }
    }
    Some(parts)
}

/// Check the parsed user files (and the stdlib) and return the deployment to build.
fn check_modules(
    sink: &mut Diagnostics,
    sources: &SourceMap,
    root: FileId,
    options: &CompileOptions,
    user_modules: &[(FileId, Module)],
) -> Vec<Deployment> {
    let (stdlib_modules, _) = parsed_stdlib();
    // Collect top-level definitions. User definitions of providers and components replace
    // the stdlib's of the same name.
    let mut lets: BTreeMap<String, Let> = BTreeMap::new();
    let mut templates: BTreeMap<String, &Block> = BTreeMap::new();
    let mut provider_blocks: BTreeMap<String, &Block> = BTreeMap::new();
    let mut component_blocks: BTreeMap<String, &Block> = BTreeMap::new();
    let mut image_blocks: BTreeMap<String, &Block> = BTreeMap::new();
    let mut deployments: Vec<&Block> = Vec::new();
    let mut first_seen: BTreeMap<(String, String), Span> = BTreeMap::new();
    for (is_user, modules) in [(false, stdlib_modules.as_slice()), (true, user_modules)] {
        let mut seen_here: BTreeMap<(String, String), Span> = BTreeMap::new();
        for (id, module) in modules.iter() {
            for item in &module.items {
                match item {
                    Item::Import(_) => {}
                    Item::Let(binding) => {
                        if let Some(first) = lets.get(&binding.name.name) {
                            sink.push(
                                Diagnostic::new(
                                    codes::E0202,
                                    format!("constant `{}` is defined twice", binding.name.name),
                                )
                                .at(binding.name.span, "defined again here")
                                .also(first.name.span, "first defined here")
                                .help("rename one of them; constants cannot be redefined"),
                            );
                            continue;
                        }
                        lets.insert(binding.name.name.clone(), binding.clone());
                    }
                    Item::Block(block) => {
                        let kind = block.kind.name.as_str();
                        if !TOP_LEVEL.contains(&kind) {
                            let near = crate::diagnostics::suggest::did_you_mean(kind, TOP_LEVEL);
                            sink.push(
                                Diagnostic::new(codes::E0201, format!("unknown top-level block `{kind}`"))
                                    .at(block.kind.span, "not a top-level block")
                                    .help(match near {
                                        Some(n) => format!("did you mean `{n}`? A file holds `deployment`, `template`, `provider`, `component`, `image`, `let` and `import`"),
                                        None => "a file holds `deployment`, `template`, `provider`, `component`, `image`, `let` and `import`; everything else goes inside `deployment NAME { … }`".into(),
                                    }),
                            );
                            continue;
                        }
                        let Some(label) = block.label.as_ref() else {
                            sink.push(
                                Diagnostic::new(codes::E0206, format!("this {kind} has no name"))
                                    .at(block.kind.span, "needs a name")
                                    .help(format!("write `{kind} NAME {{ … }}`")),
                            );
                            continue;
                        };
                        if kind == "deployment" && *id != root {
                            continue;
                        }
                        let key = (kind.to_string(), label.name.clone());
                        if let Some(first) = seen_here.get(&key) {
                            sink.push(
                                Diagnostic::new(codes::E0202, format!("{kind} `{}` is defined twice", label.name))
                                    .at(label.span, "defined again here")
                                    .also(*first, "first defined here")
                                    .help(format!("rename one of them or merge them into one {kind}")),
                            );
                            continue;
                        }
                        seen_here.insert(key.clone(), label.span);
                        first_seen.insert(key, label.span);
                        match kind {
                            "template" => {
                                templates.insert(label.name.clone(), block);
                            }
                            "provider" => {
                                provider_blocks.insert(label.name.clone(), block);
                            }
                            "component" => {
                                component_blocks.insert(label.name.clone(), block);
                            }
                            "image" => {
                                image_blocks.insert(label.name.clone(), block);
                            }
                            _ if is_user => deployments.push(block),
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    let mut cx = Cx { sink, lets: &lets, suggestions: Default::default() };
    let providers: BTreeMap<String, Provider> = provider_blocks
        .iter()
        .filter_map(|(name, block)| library::read_provider(&mut cx, block).map(|p| (name.clone(), inherit_tools(p))))
        .collect();
    let components: BTreeMap<String, Component> = component_blocks
        .iter()
        .filter_map(|(name, block)| library::read_component(&mut cx, block).map(|c| (name.clone(), c)))
        .collect();
    let images: BTreeMap<String, ImageContract> = image_blocks
        .iter()
        .filter_map(|(name, block)| library::read_image(&mut cx, block).map(|c| (name.clone(), c)))
        .collect();
    // Templates are checked where they are applied; check unused ones against the service
    // schema so that their mistakes are not silent.
    for block in templates.values() {
        let _ = reader::Reader::new(
            &mut cx,
            block,
            None,
            &deployment::SERVICE,
            &format!("template `{}`", block.label_name().unwrap_or("")),
        );
    }

    let root_name = sources.name(root).to_string();
    let chosen = match (&options.deployment, deployments.as_slice()) {
        (Some(wanted), _) => match deployments.iter().find(|d| d.label_name() == Some(wanted.as_str())) {
            Some(found) => Some(*found),
            None => {
                let names: Vec<String> = deployments.iter().filter_map(|d| d.label_name().map(String::from)).collect();
                cx.error(
                    Diagnostic::new(codes::E0205, format!("no deployment named `{wanted}` in {root_name}"))
                        .help(format!("the file defines {}", crate::diagnostics::suggest::one_of(&names))),
                );
                None
            }
        },
        (None, []) => {
            if !cx.sink.has_errors() {
                cx.error(
                    Diagnostic::new(codes::E0205, format!("{root_name} defines no deployment"))
                        .help("add `deployment NAME { target … }`; a library file is imported, not built"),
                );
            }
            None
        }
        (None, [only]) => Some(*only),
        (None, [first, second, ..]) => {
            let names: Vec<String> = deployments.iter().filter_map(|d| d.label_name().map(String::from)).collect();
            cx.error(
                Diagnostic::new(codes::E0205, format!("{root_name} defines {} deployments", deployments.len()))
                    .at(second.head_span(), "second deployment")
                    .also(first.head_span(), "first deployment")
                    .help(format!("choose one with `--name`: {}", crate::diagnostics::suggest::one_of(&names))),
            );
            None
        }
    };
    let library =
        deployment::Library { providers: &providers, components: &components, images: &images, templates: &templates };
    let Some(block) = chosen else { return Vec::new() };
    let source_name = crate::text::source_name(&root_name);
    let declared = environment::environments(&mut cx, block);
    if declared.is_empty() {
        if let Some(wanted) = &options.environment {
            cx.error(
                Diagnostic::new(
                    codes::E0205,
                    format!("deployment `{}` declares no environments", block.label_name().unwrap_or("")),
                )
                .at(block.head_span(), format!("no `environment {wanted} {{ … }}` in here"))
                .help("build without `--env`, or declare `environment NAME { … }` blocks inside the deployment"),
            );
            return Vec::new();
        }
        return check_one(&mut cx, block, &library, &components, options, &source_name, true).into_iter().collect();
    }
    // Every environment is checked even with `--env`: clusters are grouped over all of them.
    if let Some(wanted) = &options.environment
        && !declared.iter().any(|e| e.label_name() == Some(wanted.as_str()))
    {
        let names: Vec<String> = declared.iter().filter_map(|e| e.label_name().map(String::from)).collect();
        cx.error(
            Diagnostic::new(codes::E0205, format!("no environment named `{wanted}`"))
                .at(block.head_span(), "declared in this deployment")
                .help(format!("the deployment declares {}", crate::diagnostics::suggest::one_of(&names))),
        );
        return Vec::new();
    }
    let mut per_environment = Vec::new();
    let mut models = Vec::new();
    let mut targets = Vec::new();
    // Which `per_environment` sink each model's environment has.
    let mut sinks = Vec::new();
    for environment_block in &declared {
        let name = environment_block.label_name().unwrap_or("").to_string();
        let mut environment_sink = Diagnostics::new();
        let mut ecx = Cx { sink: &mut environment_sink, lets: cx.lets, suggestions: Default::default() };
        let merged = environment::apply(&mut ecx, block, environment_block, &templates);
        let target = merged.members.iter().find_map(|m| match m {
            crate::syntax::ast::Member::Block(b) if b.kind.name == "target" => Some(environment::canonical(b)),
            _ => None,
        });
        // The budget is checked once the clusters are known (another environment's routes may
        // add the shared cluster's load balancer).
        if let Some(model) = check_one(&mut ecx, &merged, &library, &components, options, &source_name, false) {
            models.push(model);
            targets.push((name.clone(), target.unwrap_or_default(), environment_block.head_span()));
            sinks.push(per_environment.len());
        }
        per_environment.push((name, environment_sink));
    }
    environment::assign_clusters(&mut cx, &mut models, &targets);
    for (model, &index) in models.iter().zip(&sinks) {
        if let Some((_, sink)) = per_environment.get_mut(index) {
            let mut ecx = Cx { sink, lets: cx.lets, suggestions: Default::default() };
            analysis::check_budget(&mut ecx, model);
        }
    }
    environment::merge_diagnostics(cx.sink, per_environment, options.environment.as_deref());
    if let Some(wanted) = &options.environment {
        models.retain(|m| m.environment.as_ref().is_some_and(|e| &e.name == wanted));
    }
    models
}

/// Resolve, type-check and analyse one deployment block (a deployment, or one environment of
/// it as [`environment::apply`] made it).
fn check_one(
    cx: &mut Cx,
    block: &Block,
    library: &deployment::Library,
    components: &BTreeMap<String, Component>,
    options: &CompileOptions,
    source_name: &str,
    budget: bool,
) -> Option<Deployment> {
    let mut model = deployment::read_deployment(cx, block, library, source_name)?;
    order::install_order(cx, &mut model, components);
    model.ingress = rules::ingress_controller(&model, components);
    model.displaced = rules::displaced_controllers(&model, components, model.ingress.as_ref());
    model.ingress_service =
        model.ingress.as_ref().and_then(|(name, _)| components.get(name)).and_then(|c| c.load_balancer_service.clone());
    rules::check_deployment(cx, &model);
    if let Some(today) = &options.today {
        rules::check_support(cx, &model, today);
        rules::check_data_age(cx, &model, today);
    }
    analysis::check_capacity(cx, &model);
    if budget {
        analysis::check_budget(cx, &model);
    }
    Some(model)
}
