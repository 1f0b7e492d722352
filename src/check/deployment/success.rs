//! The `success` block: the criteria `verify.sh` checks.

use super::*;

pub(super) const SUCCESS: Schema<'static> = Schema {
    what: "success",
    attrs: &[],
    blocks: &["nodes_ready", "rollout", "http", "certificate", "teardown"],
    bare: false,
};

pub(super) const WITHIN: Schema<'static> = Schema { what: "criterion", attrs: &["within"], blocks: &[], bare: false };

pub(super) const HTTP_CHECK: Schema<'static> =
    Schema { what: "http check", attrs: &["status", "tls", "within", "contains"], blocks: &[], bare: false };

pub(super) const TEARDOWN: Schema<'static> = Schema { what: "teardown", attrs: &["cost"], blocks: &[], bare: false };

/// The default time a success criterion may take.
pub(super) const DEFAULT_WITHIN_SECONDS: u64 = 600;

pub(super) fn read_success(cx: &mut Cx, block: &Block, out: &mut Vec<Criterion>) {
    let r = Reader::new(cx, block, None, &SUCCESS, "success");
    for bare in &r.bares {
        if let ValueKind::Ident(name) = &bare.kind {
            match name.as_str() {
                "nodes_ready" => out.push(Criterion::NodesReady { within_seconds: DEFAULT_WITHIN_SECONDS }),
                "rollout" => out.push(Criterion::Rollout { within_seconds: DEFAULT_WITHIN_SECONDS }),
                other => cx.error(
                    Diagnostic::new(codes::E0302, format!("`{other}` needs a block"))
                        .at(bare.span, "missing `{ … }`")
                        .help(format!("write `{other} {{ … }}`")),
                ),
            }
        }
    }
    for child in &block.members {
        let Member::Block(child) = child else { continue };
        let within = |cx: &mut Cx, r: &Reader| {
            r.get("within").and_then(|v| cx.duration(v, "within")).map(|d| d.value).unwrap_or(DEFAULT_WITHIN_SECONDS)
        };
        match child.kind.name.as_str() {
            "nodes_ready" | "rollout" => {
                let c = Reader::new(cx, child, None, &WITHIN, &child.kind.name);
                let within_seconds = within(cx, &c);
                out.push(if child.kind.name == "rollout" {
                    Criterion::Rollout { within_seconds }
                } else {
                    Criterion::NodesReady { within_seconds }
                });
            }
            "http" => {
                let Some(label) = child.label.as_ref().filter(|l| l.is_string) else {
                    cx.error(
                        Diagnostic::new(codes::E0206, "this http check names no URL")
                            .at(child.kind.span, "needs a URL")
                            .help("write `http \"https://app.example.com/health\" { status = 200 }`"),
                    );
                    continue;
                };
                if !(label.name.starts_with("https://") || label.name.starts_with("http://")) {
                    cx.error(
                        Diagnostic::new(codes::E0328, format!("`{}` is not an http(s) URL", label.name))
                            .at(label.span, "not a URL")
                            .help("write a full URL such as `\"https://app.example.com/health\"`"),
                    );
                    continue;
                }
                let c = Reader::new(cx, child, None, &HTTP_CHECK, "http check");
                let status = c.get("status").and_then(|v| cx.count(v, "status")).map(|s| s.value).unwrap_or(200);
                if !(100..=599).contains(&status) {
                    if let Some(v) = c.get("status") {
                        cx.error(
                            Diagnostic::new(codes::E0314, format!("HTTP status {status} does not exist"))
                                .at(v.span, "not between 100 and 599")
                                .help("write a status such as `200`"),
                        );
                    }
                    continue;
                }
                let tls = match c.get("tls").and_then(|v| cx.word(v, "tls", &["valid", "insecure", "none"])) {
                    Some(w) if w.value == "insecure" => HttpTls::Insecure,
                    Some(w) if w.value == "none" => HttpTls::None,
                    _ => HttpTls::Valid,
                };
                let contains = c.get("contains").and_then(|v| cx.string(v, "contains")).map(|s| s.value);
                let within_seconds = within(cx, &c);
                out.push(Criterion::Http {
                    url: label.name.clone(),
                    status: status as u16,
                    tls,
                    within_seconds,
                    contains,
                    span: label.span,
                });
            }
            "certificate" => {
                let Some(label) = &child.label else {
                    cx.error(
                        Diagnostic::new(codes::E0206, "this certificate check names no certificate")
                            .at(child.kind.span, "needs a name")
                            .help("write `certificate \"api-tls\" { within = 10m }`"),
                    );
                    continue;
                };
                check_k8s_name(cx, &label.name, label.span, "certificate");
                let c = Reader::new(cx, child, None, &WITHIN, "certificate");
                let within_seconds = within(cx, &c);
                out.push(Criterion::Certificate { name: label.name.clone(), within_seconds });
            }
            "teardown" => {
                let c = Reader::new(cx, child, None, &TEARDOWN, "teardown");
                let cost =
                    c.get("cost").and_then(|v| cx.money(v, "cost")).map(|m| m.value).unwrap_or(Money { cents: 0 });
                out.push(Criterion::Teardown { cost });
            }
            _ => {}
        }
    }
}
