//! `secret` blocks, `env("VARIABLE")` and `external(…)` sources, `secret(NAME, KEY)` values,
//! and the credential heuristics of E0310.

use super::*;

pub(super) fn read_secret(cx: &mut Cx, block: &Block) -> Option<Secret> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this secret has no name")
                .at(block.kind.span, "needs a name")
                .help("write `secret NAME { KEY = env(\"VARIABLE\") }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "secret");
    let mut keys = Vec::new();
    let mut external: Vec<ExternalKey> = Vec::new();
    let mut unreadable = Vec::new();
    for member in &block.members {
        let Member::Attr(attr) = member else {
            cx.error(
                Diagnostic::new(codes::E0201, format!("unexpected member in secret `{}`", label.name))
                    .at(member_span(member), "a secret holds `KEY = env(\"VARIABLE\")` pairs")
                    .help("write each key as `KEY = env(\"VARIABLE\")`"),
            );
            continue;
        };
        let key = attr.key().into_owned();
        let seen = keys.iter().any(|(k, _): &(String, String)| *k == key)
            || external.iter().any(|e| e.key == key)
            || unreadable.contains(&key);
        if seen {
            cx.error(
                Diagnostic::new(codes::E0202, format!("`{key}` is set twice in secret `{}`", label.name))
                    .at(attr.key_span(), "set again here")
                    .help(format!("keep one `{key}`")),
            );
            continue;
        }
        match &attr.value.kind {
            ValueKind::Call(call) if call.name.name == "env" => match env_call(cx, call, attr.value.span) {
                Some(variable) => keys.push((key, variable)),
                None => unreadable.push(key),
            },
            ValueKind::Call(call) if call.name.name == "external" => {
                match external_call(cx, call, key.clone(), attr.value.span) {
                    Some(external_key) => external.push(external_key),
                    None => unreadable.push(key),
                }
            }
            ValueKind::Str(_) | ValueKind::Number(..) => {
                unreadable.push(key.clone());
                cx.error(
                    Diagnostic::new(codes::E0310, format!("secret value for `{key}` written in the file"))
                        .at(attr.value.span, "a secret value in source control")
                        .help(format!(
                            "read it at deploy time instead: `{key} = env(\"{}\")`, and keep the value out of git",
                            env_name(&label.name, &key)
                        )),
                )
            }
            _ => {
                unreadable.push(key.clone());
                cx.error(
                    Diagnostic::new(
                        codes::E0301,
                        format!("`{key}` expects a secret source, found {}", attr.value.kind.describe()),
                    )
                    .at(attr.value.span, "not a secret source")
                    .help(format!("write `{key} = env(\"VARIABLE\")` to read it from the environment at deploy time")),
                )
            }
        }
    }
    if let Some(other) = external.iter().find(|e| external.first().is_some_and(|first| first.store != e.store)) {
        cx.error(
            Diagnostic::new(codes::E0301, format!("secret `{}` reads from more than one store", label.name))
                .at(other.span, "a second store")
                .help("an ExternalSecret reads from one store: split the keys into one secret per store"),
        );
    }
    if !keys.is_empty()
        && let Some(first) = external.first()
    {
        cx.error(
            Diagnostic::new(codes::E0301, format!("secret `{}` mixes `env(…)` and `external(…)` keys", label.name))
                .at(first.span, "read from an external store")
                .help("a Secret is either created at deploy time from the environment or synced by External Secrets: split it into two secrets"),
        );
    }
    Some(Secret { name: Spanned::new(label.name.clone(), label.span), keys, external, unreadable })
}

/// `external("store", "path")` or `external("store", "path", property = "field")`.
pub(super) fn external_call(cx: &mut Cx, call: &Call, key: String, span: crate::source::Span) -> Option<ExternalKey> {
    let usage = "external(\"store\", \"path/in/store\", property = \"field\")";
    if call.args.len() != 2 || call.named.iter().any(|(k, _)| k.name != "property") {
        cx.error(
            Diagnostic::new(codes::E0301, "`external` takes a store and a path, and optionally `property`")
                .at(span, "wrong arguments")
                .help(format!("write `{key} = {usage}`")),
        );
        return None;
    }
    let store = cx.string(call.args.first()?, "store")?;
    check_k8s_name(cx, &store.value, store.span, "secret store");
    let path = cx.string(call.args.get(1)?, "path")?;
    let property = match call.named.first() {
        Some((_, value)) => Some(cx.string(value, "property")?.value),
        None => None,
    };
    Some(ExternalKey { key, store: store.value, path: path.value, property, span })
}

pub(super) fn env_name(secret: &str, key: &str) -> String {
    format!("{}_{}", secret.to_ascii_uppercase().replace('-', "_"), key.to_ascii_uppercase())
}

pub(super) fn env_call(cx: &mut Cx, call: &Call, span: crate::source::Span) -> Option<String> {
    let variable = match (call.args.as_slice(), call.named.is_empty()) {
        ([only], true) => cx.string(only, "env").map(|s| s.value),
        _ => {
            cx.error(
                Diagnostic::new(codes::E0301, "`env` takes one argument, the variable's name")
                    .at(span, "wrong arguments")
                    .help("write `env(\"VARIABLE\")`"),
            );
            return None;
        }
    }?;
    let valid = !variable.is_empty()
        && variable.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !variable.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        cx.error(
            Diagnostic::new(codes::E0329, format!("`{variable}` is not an environment variable name"))
                .at(span, "invalid variable name")
                .help("use letters, digits and `_`, not starting with a digit, such as `DATABASE_URL`"),
        );
        return None;
    }
    Some(variable)
}

/// `VAR = secret(NAME, KEY)` in `env`: the variable gets one key of a secret.
pub(super) fn secret_var(cx: &mut Cx, attr: &crate::syntax::ast::Attr, call: &Call) -> Option<SecretVar> {
    let variable = attr.key().into_owned();
    if call.args.len() != 2 || !call.named.is_empty() {
        cx.error(
            Diagnostic::new(codes::E0301, "`secret` takes the secret's name and one of its keys")
                .at(attr.value.span, "wrong arguments")
                .help(format!("write `{variable} = secret(NAME, KEY)`, such as `{variable} = secret(db, PASSWORD)`")),
        );
        return None;
    }
    if !valid_env_name(&variable) {
        cx.error(
            Diagnostic::new(codes::E0329, format!("`{variable}` is not an environment variable name"))
                .at(attr.key_span(), "invalid variable name")
                .help("use letters, digits and `_`, not starting with a digit"),
        );
        return None;
    }
    let secret = cx.name(call.args.first()?, "secret")?;
    let key = cx.name(call.args.get(1)?, "key")?;
    Some(SecretVar { variable, secret, key, span: attr.span })
}

pub(super) fn valid_env_name(name: &str) -> bool {
    // Bytes, not chars: every accepted character is ASCII, and no byte of another character is.
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Whether a plain `env` entry looks like a credential: a secret-sounding key with a
/// non-trivial value, or a value shaped like a well-known token or a URL with a password.
pub fn looks_like_secret(key: &str, value: &str) -> bool {
    // Names that hold credentials (matched anywhere in the key, any case).
    const KEYS: [&str; 20] = [
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "SIGNING_KEY",
        "ENCRYPTION_KEY",
        "CREDENTIAL",
        "AUTH_KEY",
        "SESSION_KEY",
        "MASTER_KEY",
        "CONNECTION_STRING",
        "CONN_STR",
        "DSN",
        "WEBHOOK_URL",
        "LICENSE_KEY",
    ];
    // Token formats by their documented prefixes (each vendor's token format page, as collected
    // by gitleaks v8 config/gitleaks.toml rules; read 2026-12-02): OpenAI and Anthropic, Stripe
    // secret and restricted keys, GitHub (classic, OAuth, user-to-server, server-to-server,
    // refresh, fine-grained), GitLab, AWS access key IDs (long-term and temporary), Slack bot,
    // user, app, refresh and config tokens, Google API keys, SendGrid, npm, PyPI, DigitalOcean
    // personal, OAuth and refresh tokens, Docker Hub, HashiCorp Vault service and batch tokens,
    // Shopify, Hugging Face, and any PEM private key.
    const PREFIXES: [&str; 35] = [
        "sk-",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
        "glpat-",
        "AKIA",
        "ASIA",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxr-",
        "xoxe-",
        "xapp-",
        "AIza",
        "SG.",
        "npm_",
        "pypi-",
        "dop_v1_",
        "doo_v1_",
        "dor_v1_",
        "dckr_pat_",
        "hvs.",
        "hvb.",
        "shpat_",
        "shpss_",
        "hf_",
        "-----BEGIN",
        "Bearer ",
        "Basic ",
    ];
    // Connection-string fields that carry a password or key (ADO.NET, Azure Storage and
    // Service Bus, ODBC), matched case-insensitively.
    const FIELDS: [&str; 5] = ["password=", "pwd=", "accountkey=", "sharedaccesskey=", "sharedaccesssignature="];
    // `key.to_ascii_uppercase().contains(k)` for any `k`, without the copy or the substring
    // searcher's set-up (which cost more than the search on keys this short): at each byte
    // that can start one of them, compare in place.
    let bytes = key.as_bytes();
    let starts_one_at = |at: usize| {
        let rest = bytes.get(at..).unwrap_or(&[]);
        matches!(
            rest.first().map(u8::to_ascii_uppercase),
            Some(b'P' | b'S' | b'T' | b'A' | b'C' | b'E' | b'D' | b'W' | b'M' | b'L')
        ) && KEYS.iter().any(|k| rest.get(..k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k.as_bytes())))
    };
    let secret_key = (0..bytes.len()).any(starts_one_at);
    // A value long enough to be a token: a prefix alone (`sk-`) or a word (`Basic auth`) is not.
    let token_value =
        PREFIXES.iter().any(|p| value.strip_prefix(p).is_some_and(|rest| rest.len() >= 8 && !rest.contains(' ')))
            || value.starts_with("-----BEGIN");
    let after_scheme = value.as_bytes().windows(3).position(|w| w == b"://").and_then(|at| value.get(at + 3..));
    let url_password = after_scheme.is_some_and(|rest| {
        rest.split('/')
            .next()
            .is_some_and(|authority| authority.split_once('@').is_some_and(|(user, _)| user.contains(':')))
    });
    // A JSON Web Token: three base64url parts, the first a JSON object (`eyJ` is `{"`).
    let jwt = value.starts_with("eyJ")
        && value.split('.').count() == 3
        && value
            .split('.')
            .all(|p| p.len() >= 4 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let lower = value.to_ascii_lowercase();
    let connection_field = FIELDS.iter().any(|f| {
        lower.match_indices(f).any(|(at, _)| {
            (at == 0 || matches!(lower.as_bytes().get(at - 1), Some(b';' | b' ')))
                && lower.get(at + f.len()..).is_some_and(|v| !v.is_empty() && !v.starts_with(';'))
        })
    });
    // Slack and Discord incoming webhooks hold their secret in the path.
    let webhook = value.starts_with("https://hooks.slack.com/services/") || value.contains("discord.com/api/webhooks/");
    (secret_key && !value.is_empty()) || token_value || url_password || jwt || connection_field || webhook
}
