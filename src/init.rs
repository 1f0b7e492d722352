//! `deployc init`: a commented starter file for each provider.
//!
//! Input: a provider and a deployment name. Output: the text of `NAME.deploy`, which checks
//! without a diagnostic and is already formatted (`tests/cli.rs` checks both).

/// The providers `init` has a starter for, the default first.
pub const PROVIDERS: [&str; 7] = ["k3d", "doks", "hetzner", "aks", "eks", "gke", "kind"];

/// The starter for `provider`, with the deployment (and the names derived from it) called
/// `name`; `None` for a provider without a starter.
pub fn starter(provider: &str, name: &str) -> Option<String> {
    let template = match provider {
        "k3d" => include_str!("init/k3d.deploy"),
        "doks" => include_str!("init/doks.deploy"),
        "hetzner" => include_str!("init/hetzner.deploy"),
        "aks" => include_str!("init/aks.deploy"),
        "eks" => include_str!("init/eks.deploy"),
        "gke" => include_str!("init/gke.deploy"),
        "kind" => include_str!("init/kind.deploy"),
        _ => return None,
    };
    let env_name = name.to_ascii_uppercase().replace('-', "_");
    Some(template.replace("NAME_DATABASE_URL", &format!("{env_name}_DATABASE_URL")).replace("NAME", name))
}

/// Why `name` cannot name a deployment (it becomes a namespace and a file name), or `None`.
pub fn invalid_name(name: &str) -> Option<String> {
    let valid_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let starts = name.starts_with(|c: char| c.is_ascii_lowercase());
    let ends = name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() || name.len() > 63 || !valid_chars || !starts || !ends || name.contains("--") {
        Some(format!(
            "`{name}` is not a valid deployment name: use 1 to 63 lowercase letters, digits and single `-`, starting with a letter"
        ))
    } else {
        None
    }
}
