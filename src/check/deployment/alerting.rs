//! The alerting blocks of the `prometheus` component: `alert NAME { … }` (a rule in the
//! deployment's PrometheusRule) and `receiver NAME { … }` (where the AlertmanagerConfig sends
//! alerts), with E0335–E0339.

use super::*;
use crate::vocab::{Destination, SecretKeyRef, Severity, UserAlert};

pub(super) const ALERT: Schema<'static> =
    Schema { what: "alert", attrs: &["expr", "for", "severity", "summary", "description"], blocks: &[], bare: false };

pub(super) const RECEIVER: Schema<'static> =
    Schema { what: "receiver", attrs: &["severities"], blocks: &["slack", "email", "webhook"], bare: false };

const SLACK: Schema<'static> = Schema { what: "slack", attrs: &["channel", "url"], blocks: &[], bare: false };
const EMAIL: Schema<'static> =
    Schema { what: "email", attrs: &["to", "from", "smarthost", "username", "password"], blocks: &[], bare: false };
const WEBHOOK: Schema<'static> = Schema { what: "webhook", attrs: &["url"], blocks: &[], bare: false };

/// The severities a receiver gets when it names none: `info` alerts are for dashboards, not
/// for anyone's inbox.
const DEFAULT_SEVERITIES: [Severity; 2] = [Severity::Critical, Severity::Warning];

/// `alert NAME { expr = "…", for = 5m, severity = warning, summary = "…", description = "…" }`.
pub(super) fn read_alert(cx: &mut Cx, block: &Block) -> Option<Spanned<UserAlert>> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this alert has no name")
                .at(block.kind.span, "needs a name")
                .help("write `alert QueueBacklog { expr = \"…\", severity = warning, summary = \"…\" }`"),
        );
        return None;
    };
    let r = Reader::new(cx, block, None, &ALERT, &format!("alert `{}`", label.name));
    let valid_name = label.name.starts_with(|c: char| c.is_ascii_alphabetic())
        && label.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{}` is not an alert name", label.name))
                .at(label.span, "letters, digits and `_`, starting with a letter")
                .help("name the alert in CamelCase, as Prometheus alerts are: `QueueBacklog`"),
        );
    }
    if crate::emit::alerts::BUILT_IN_NAMES.contains(&label.name.as_str()) {
        cx.error(
            Diagnostic::new(codes::E0337, format!("`{}` is the name of a built-in alert", label.name))
                .at(label.span, "already an alert deployc writes")
                .help(format!(
                    "give the alert a name of its own, such as `{}Custom`: the name is its `alertname` and its runbook section",
                    label.name
                )),
        );
    }
    let expr = r.required(cx, "expr", "\"rate(http_requests_total[5m]) > 100\"").and_then(|v| cx.string(v, "expr"));
    let expr = expr.and_then(|expr| match expression_problem(&expr.value) {
        None => Some(expr.value),
        Some(problem) => {
            cx.error(
                Diagnostic::new(codes::E0336, format!("the expression of alert `{}` is not PromQL", label.name))
                    .at(expr.span, problem)
                    .help("write the PromQL condition the alert fires on, such as `\"sum by (namespace) (rate(jobs_failed_total{namespace=\\\"shop\\\"}[5m])) > 0\"`"),
            );
            None
        }
    });
    let for_seconds = match r.get("for") {
        Some(v) => Some(cx.duration(v, "for").map(|d| d.value)),
        None => Some(None),
    };
    let severity = r.required(cx, "severity", "warning").and_then(|v| severity(cx, v));
    let summary = r.required(cx, "summary", "\"Jobs are failing\"").and_then(|v| cx.string(v, "summary"));
    let description = match r.get("description") {
        Some(v) => cx.string(v, "description").map(|d| d.value),
        None => summary.as_ref().map(|s| s.value.clone()),
    };
    if !valid_name {
        return None;
    }
    Some(Spanned::new(
        UserAlert {
            name: label.name.clone(),
            expr: expr?,
            for_seconds: for_seconds?,
            severity: severity?,
            summary: summary?.value,
            description: description?,
        },
        block.head_span(),
    ))
}

/// `critical`, `warning` or `info`; anything else is E0335.
fn severity(cx: &mut Cx, value: &Value) -> Option<Severity> {
    let name = cx.name(value, "severity")?;
    if let Some(severity) = Severity::from_name(&name.value) {
        return Some(severity);
    }
    let names: Vec<&str> = Severity::ALL.iter().map(|s| s.name()).collect();
    // The SRE workbook's words for the two kinds of alert.
    let near = match name.value.as_str() {
        "page" => Some("critical".to_string()),
        "ticket" => Some("warning".to_string()),
        _ => cx.did_you_mean(&name.value, names.iter().copied()),
    };
    cx.error(
        Diagnostic::new(codes::E0335, format!("unknown severity `{}`", name.value))
            .at(name.span, "not `critical`, `warning` or `info`")
            .help(match near {
                Some(n) => format!("did you mean `{n}`? Alertmanager's inhibit rules and the routes know `critical`, `warning` and `info`"),
                None => "write `critical` (pages), `warning` or `info`: the severities Alertmanager's inhibit rules and the routes know".to_string(),
            }),
    );
    None
}

/// What makes `expr` unreadable as PromQL, found without a PromQL parser: nothing written,
/// brackets that do not pair up, or a string left open. `None` when it looks whole.
pub(super) fn expression_problem(expr: &str) -> Option<&'static str> {
    if expr.trim().is_empty() {
        return Some("an empty expression");
    }
    let mut open: Vec<char> = Vec::new();
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let quote = c;
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    if inner == '\\' && quote != '`' {
                        chars.next();
                    } else if inner == quote {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Some("a string that is never closed");
                }
            }
            '(' | '{' | '[' => open.push(c),
            ')' | '}' | ']' => {
                let want = match c {
                    ')' => '(',
                    '}' => '{',
                    _ => '[',
                };
                if open.pop() != Some(want) {
                    return Some("a closing bracket without its opening one");
                }
            }
            _ => {}
        }
    }
    if open.is_empty() { None } else { Some("a bracket that is never closed") }
}

/// `receiver NAME { severities = [critical], slack { … } email { … } webhook { … } }`.
pub(super) fn read_receiver(cx: &mut Cx, block: &Block) -> Option<Receiver> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this receiver has no name")
                .at(block.kind.span, "needs a name")
                .help("write `receiver on-call { severities = [critical], slack { … } }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "receiver");
    let r = Reader::new(cx, block, None, &RECEIVER, &format!("receiver `{}`", label.name));
    let severities = match r.get("severities") {
        Some(v) => cx
            .list(v, "severities", |cx, item| severity(cx, item).map(|s| Spanned::new(s, item.span)))
            .filter(|list| {
                if list.is_empty() {
                    cx.error(
                        Diagnostic::new(codes::E0314, "`severities` names no severity")
                            .at(v.span, "an empty list")
                            .help("list the severities the receiver is sent, such as `[critical]`, or leave `severities` out for `[critical, warning]`"),
                    );
                }
                !list.is_empty()
            }),
        None => Some(DEFAULT_SEVERITIES.iter().map(|s| Spanned::new(*s, block.head_span())).collect()),
    };
    let mut refs = Vec::new();
    let mut destinations = Vec::new();
    let mut ok = true;
    for child in r.blocks("slack").into_iter().chain(r.blocks("email")).chain(r.blocks("webhook")) {
        match read_destination(cx, child, &mut refs) {
            Some(destination) => destinations.push(destination),
            None => ok = false,
        }
    }
    if destinations.is_empty() && ok {
        cx.error(
            Diagnostic::new(codes::E0338, format!("receiver `{}` sends alerts nowhere", label.name))
                .at(block.head_span(), "no `slack`, `email` or `webhook` block")
                .help("add where its alerts go, such as `slack { channel = \"#ops\", url = secret(alerting, SLACK_URL) }`"),
        );
        return None;
    }
    let mut severities: Vec<Severity> = severities?.into_iter().map(|s| s.value).collect();
    severities.sort();
    severities.dedup();
    if !ok {
        return None;
    }
    Some(Receiver {
        name: Spanned::new(label.name.clone(), label.span),
        receiver: crate::vocab::Receiver { name: label.name.clone(), severities, destinations },
        refs,
    })
}

fn read_destination(
    cx: &mut Cx,
    block: &Block,
    refs: &mut Vec<(Spanned<String>, Spanned<String>)>,
) -> Option<Destination> {
    if let Some(label) = &block.label {
        cx.error(
            Diagnostic::new(codes::E0301, format!("`{}` takes no label", block.kind.name))
                .at(label.span, "unexpected label")
                .help(format!("write `{} {{ … }}`", block.kind.name)),
        );
        return None;
    }
    let kind = block.kind.name.as_str();
    let schema = match kind {
        "slack" => &SLACK,
        "email" => &EMAIL,
        _ => &WEBHOOK,
    };
    let r = Reader::new(cx, block, None, schema, &format!("`{kind}`"));
    let mut secret = |cx: &mut Cx, key: &str, example: &str, required: bool| -> Option<Option<SecretKeyRef>> {
        let value = if required { r.required(cx, key, example) } else { r.get(key) };
        let Some(value) = value else { return if required { None } else { Some(None) } };
        let reference = secret_ref(cx, value, key, kind)?;
        refs.push(reference.clone());
        Some(Some(SecretKeyRef { secret: reference.0.value, key: reference.1.value }))
    };
    match kind {
        "slack" => {
            let url = secret(cx, "url", "secret(alerting, SLACK_URL)", true);
            let channel = r.required(cx, "channel", "\"#ops\"").and_then(|v| cx.string(v, "channel"));
            Some(Destination::Slack { channel: channel?.value, url: url?? })
        }
        "email" => {
            let password = secret(cx, "password", "secret(alerting, SMTP_PASSWORD)", false);
            let address = |cx: &mut Cx, key: &str| {
                let value = r.required(cx, key, "\"ops@example.com\"").and_then(|v| cx.string(v, key))?;
                if valid_email(&value.value) {
                    return Some(value.value);
                }
                cx.error(
                    Diagnostic::new(codes::E0328, format!("`{}` is not an e-mail address", value.value))
                        .at(value.span, "not an e-mail address")
                        .help(format!("write the address to use as `{key}`, such as `\"ops@example.com\"`")),
                );
                None
            };
            let to = address(cx, "to");
            let from = address(cx, "from");
            let smarthost = r.required(cx, "smarthost", "\"smtp.example.com:587\"").and_then(|v| {
                let host = cx.string(v, "smarthost")?;
                let valid = host.value.rsplit_once(':').is_some_and(|(name, port)| {
                    !name.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) && !name.contains(char::is_whitespace)
                });
                if valid {
                    return Some(host.value);
                }
                cx.error(
                    Diagnostic::new(codes::E0328, format!("`{}` is not an SMTP `host:port`", host.value))
                        .at(host.span, "needs a host and a port")
                        .help("write the mail server and its submission port, such as `\"smtp.example.com:587\"`"),
                );
                None
            });
            let username = r.get("username").map(|v| cx.string(v, "username").map(|u| u.value));
            let password = password?;
            if password.is_some() && username.is_none() {
                cx.error(
                    Diagnostic::new(codes::E0302, "an e-mail `password` needs a `username`")
                        .at(block.head_span(), "has a password but no username")
                        .help("add `username = \"…\"`, the account the password belongs to"),
                );
                return None;
            }
            // A username that did not read (not a string) was reported: no destination.
            let username = match username {
                Some(read) => Some(read?),
                None => None,
            };
            Some(Destination::Email { to: to?, from: from?, smarthost: smarthost?, username, password })
        }
        _ => {
            let url = secret(cx, "url", "secret(alerting, WEBHOOK_URL)", true);
            Some(Destination::Webhook { url: url?? })
        }
    }
}

/// `secret(NAME, KEY)`: a credential read from a Secret. A string is E0339, since the
/// value would be written into the manifests.
fn secret_ref(cx: &mut Cx, value: &Value, key: &str, kind: &str) -> Option<(Spanned<String>, Spanned<String>)> {
    match &value.kind {
        ValueKind::Call(call) if call.name.name == "secret" => {
            if call.args.len() != 2 || !call.named.is_empty() {
                cx.error(
                    Diagnostic::new(codes::E0301, "`secret` takes the secret's name and one of its keys")
                        .at(value.span, "wrong arguments")
                        .help(format!(
                            "write `{key} = secret(NAME, KEY)`, such as `{key} = secret(alerting, SLACK_URL)`"
                        )),
                );
                return None;
            }
            let secret = cx.name(call.args.first()?, "secret")?;
            let secret_key = cx.name(call.args.get(1)?, "key")?;
            Some((secret, secret_key))
        }
        ValueKind::Str(_) => {
            cx.error(
                Diagnostic::new(codes::E0339, format!("the {kind} `{key}` is a credential written in the file"))
                    .at(value.span, "would be written into the manifests")
                    .help({
                        let name = format!("{kind}_{key}").to_ascii_uppercase();
                        format!(
                            "keep it in a secret and refer to it: `secret alerting {{ {name} = env(\"…\") }}`, then `{key} = secret(alerting, {name})`"
                        )
                    }),
            );
            None
        }
        _ => {
            cx.wrong_type(value, key, "a secret reference", "secret(alerting, SLACK_URL)");
            None
        }
    }
}
