//! `deployc init`: a commented starter file for each provider.
//!
//! Input: a provider and a deployment name. Output: the text of `NAME.deploy`, which checks
//! without a diagnostic and is already formatted (`tests/cli.rs` checks both).

// `STARTERS` and `PROVIDERS`, made by `build.rs` from `src/init/*.deploy`.
include!(concat!(env!("OUT_DIR"), "/starters.rs"));

/// The provider `deployc init` starts with when none is given (a local cluster: nothing to pay
/// and no account needed).
pub const DEFAULT_PROVIDER: &str = "k3d";

/// The starter for `provider`, with the deployment (and the names derived from it) called
/// `name`; `None` for a provider without a starter.
pub fn starter(provider: &str, name: &str) -> Option<String> {
    let template = STARTERS.iter().find(|(p, _)| *p == provider).map(|(_, text)| *text)?;
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
