//! Indexes the embedded data, so that no Rust list names a provider, a component or an image:
//! every `stdlib/{providers,components,images}/*.deploy`, every script-template set
//! `stdlib/providers/<set>/` and every `deployc init` starter `src/init/<provider>.deploy` is
//! found here and embedded with `include_str!` by `src/stdlib.rs` and `src/init.rs`.
//! Adding a provider is adding its files: this script picks them up.

use std::fmt::Write as _;
use std::path::Path;

/// The parts of a provider's script templates, each a handlebars partial of the shared scripts
/// (see `deployc::stdlib::TEMPLATE_PARTS`).
const TEMPLATE_PARTS: [&str; 7] = ["preflight", "provision", "deploy", "inventory", "delete", "leftovers", "dns"];

/// The names of the `*.deploy` files in `dir`, sorted, without the extension.
fn deploy_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "deploy").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

/// The subdirectories of `dir`, sorted.
fn subdirectories(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry.file_type().ok()?.is_dir().then(|| entry.file_name().to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
}

fn include(path: &str) -> String {
    format!("include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{path}\"))")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=stdlib");
    println!("cargo:rerun-if-changed=src/init");
    println!("cargo:rerun-if-changed=build.rs");

    let mut out = String::new();
    out.push_str("/// Every embedded stdlib file: (pseudo-path, source), providers, components, then images.\n");
    out.push_str("pub static FILES: &[(&str, &str)] = &[\n");
    for kind in ["providers", "components", "images"] {
        for name in deploy_files(&root.join("stdlib").join(kind)) {
            let _ =
                writeln!(out, "    (\"{kind}/{name}.deploy\", {}),", include(&format!("stdlib/{kind}/{name}.deploy")));
        }
    }
    out.push_str("];\n\n");

    let providers = deploy_files(&root.join("stdlib/providers"));
    out.push_str("/// The stdlib's providers (`stdlib/providers/NAME.deploy`), sorted.\n");
    let _ = writeln!(out, "pub static PROVIDERS: &[&str] = &{providers:?};\n");
    // Each provider's `title = "…"` line, for the CLI's `--provider` help without reading the
    // stdlib at start-up (`tests/tidy.rs` holds them to the checked titles).
    out.push_str("/// (provider, title) as its file writes it, for the CLI.\n");
    out.push_str("pub static PROVIDER_TITLES: &[(&str, &str)] = &[\n");
    for name in &providers {
        let text = std::fs::read_to_string(root.join(format!("stdlib/providers/{name}.deploy"))).expect("read");
        let title = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix("title"))
            .filter_map(|rest| rest.trim_start().strip_prefix('='))
            .filter_map(|rest| rest.trim().strip_prefix('"')?.split('"').next())
            .next()
            .unwrap_or_else(|| panic!("stdlib/providers/{name}.deploy has no `title = \"…\"` line"));
        let _ = writeln!(out, "    ({name:?}, {title:?}),");
    }
    out.push_str("];\n\n");

    out.push_str("/// The parts of a provider's script templates (`stdlib/providers/<set>/<part>.hbs`), each a\n");
    out.push_str("/// handlebars partial of the shared scripts.\n");
    out.push_str("/// `inventory` runs in teardown before anything is deleted and records what the cluster made,\n");
    out.push_str("/// so that `leftovers` checks exactly those and never the rest of the account. `dns` runs in\n");
    out.push_str("/// deploy.sh once the load balancer has its address (`$lb_address`, the hosts in\n");
    out.push_str("/// `route_hosts`), for a provider that keeps the routes' records.\n");
    let _ = writeln!(out, "pub const TEMPLATE_PARTS: [&str; {}] = {TEMPLATE_PARTS:?};\n", TEMPLATE_PARTS.len());

    out.push_str("/// Embedded script-template sets: (set, part, handlebars source).\n");
    out.push_str("pub static PROVIDER_TEMPLATES: &[(&str, &str, &str)] = &[\n");
    for set in subdirectories(&root.join("stdlib/providers")) {
        for part in TEMPLATE_PARTS {
            let path = format!("stdlib/providers/{set}/{part}.hbs");
            assert!(root.join(&path).is_file(), "the template set `{set}` has no {path}");
            let _ = writeln!(out, "    (\"{set}\", \"{part}\", {}),", include(&path));
        }
    }
    out.push_str("];\n");

    let mut starters = String::new();
    starters.push_str("/// The `deployc init` starters (`src/init/PROVIDER.deploy`): (provider, text), sorted.\n");
    starters.push_str("pub static STARTERS: &[(&str, &str)] = &[\n");
    for name in deploy_files(&root.join("src/init")) {
        let _ = writeln!(starters, "    (\"{name}\", {}),", include(&format!("src/init/{name}.deploy")));
    }
    starters.push_str("];\n\n");
    starters.push_str("/// The providers `init` has a starter for, sorted (`tests/tidy.rs`: exactly the stdlib's).\n");
    let _ = writeln!(starters, "pub static PROVIDERS: &[&str] = &{:?};", deploy_files(&root.join("src/init")));

    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("stdlib_index.rs"), out).expect("write stdlib_index.rs");
    std::fs::write(Path::new(&out_dir).join("starters.rs"), starters).expect("write starters.rs");
}
