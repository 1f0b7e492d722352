//! The standard library: providers, components and image contracts written in the `.deploy` language,
//! embedded in the binary and shown in diagnostics as `<stdlib/NAME.deploy>`.

// `FILES`, `PROVIDERS`, `TEMPLATE_PARTS` and `PROVIDER_TEMPLATES`, made by `build.rs` from the
// files under `stdlib/`: no Rust list names a provider, component or image.
include!(concat!(env!("OUT_DIR"), "/stdlib_index.rs"));

/// The stdlib file that defines the provider `name`, if the stdlib has one.
pub fn provider_file(name: &str) -> Option<&'static str> {
    let wanted = format!("providers/{name}.deploy");
    FILES.iter().map(|(path, _)| *path).find(|path| *path == wanted)
}

/// The source of one template part, if the set exists.
pub fn provider_template(set: &str, part: &str) -> Option<&'static str> {
    PROVIDER_TEMPLATES.iter().find(|(s, p, _)| *s == set && *p == part).map(|(_, _, text)| *text)
}
