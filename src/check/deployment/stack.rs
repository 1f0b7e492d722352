//! The `stack` block: components, their options, Kafka topics and cert-manager issuers.

use super::*;

pub(super) const ISSUER: Schema<'static> =
    Schema { what: "issuer", attrs: &["email", "server"], blocks: &[], bare: false };

pub(super) fn read_stack(
    cx: &mut Cx,
    block: &Block,
    lib: &Library,
    stack: &mut Vec<StackEntry>,
    issuers: &mut Vec<Issuer>,
) {
    for member in &block.members {
        let (name, span, body) = match member {
            Member::Bare(Value { kind: ValueKind::Ident(name), span }) => (name.clone(), *span, None),
            Member::Block(child) if child.label.is_none() => (child.kind.name.clone(), child.kind.span, Some(child)),
            Member::Block(child) => {
                cx.error(
                    Diagnostic::new(codes::E0301, format!("component `{}` takes no label", child.kind.name))
                        .at(child.head_span(), "unexpected label")
                        .help(format!("write `{} {{ … }}`", child.kind.name)),
                );
                continue;
            }
            Member::Bare(value) => {
                cx.error(
                    Diagnostic::new(codes::E0301, "expected a component name in `stack`")
                        .at(value.span, "not a component name")
                        .help("list components by name, such as `dapr` or `cert-manager { … }`"),
                );
                continue;
            }
            Member::Allow(allow) => {
                cx.error(
                    Diagnostic::new(codes::E0201, "`allow` is not accepted in `stack`")
                        .at(allow.span, "exceptions belong to a service or the deployment")
                        .help("write `allow …` inside the `service` (or the `deployment`) it applies to"),
                );
                continue;
            }
            Member::Attr(attr) => {
                cx.error(
                    Diagnostic::new(codes::E0201, format!("unexpected attribute `{}` in `stack`", attr.key()))
                        .at(attr.key_span(), "`stack` lists components")
                        .help(format!("configure a component in its own block: `{} {{ … }}`", attr.key())),
                );
                continue;
            }
        };
        let Some(component) = lib.components.get(&name) else {
            let names: Vec<String> = lib.components.keys().cloned().collect();
            let near = cx.did_you_mean(&name, lib.components.keys().map(String::as_str));
            cx.error(
                Diagnostic::new(codes::E0203, format!("unknown component `{name}`"))
                    .at(span, "no component with this name")
                    .help(match near {
                        Some(n) => format!(
                            "did you mean `{n}`? Known components: {}",
                            crate::diagnostics::suggest::one_of(&names)
                        ),
                        None => format!(
                            "known components: {}; define your own with `component {name} {{ … }}`",
                            crate::diagnostics::suggest::one_of(&names)
                        ),
                    }),
            );
            continue;
        };
        if let Some(first) = stack.iter().find(|e| e.component.name == name) {
            let first_span = first.span;
            duplicate(cx, "component", &name, span, first_span);
            continue;
        }
        if let Some(message) = &component.deprecated {
            cx.error(
                Diagnostic::new(codes::W0302, format!("`{name}` is deprecated"))
                    .at(span, "deprecated component")
                    .help(message.clone()),
            );
        }
        let mut options = Vec::new();
        let mut topics = Vec::new();
        let mut alerts: Vec<Spanned<crate::vocab::UserAlert>> = Vec::new();
        let mut receivers: Vec<Receiver> = Vec::new();
        if let Some(body) = body {
            let option_names: Vec<&str> = component.options.iter().map(|o| o.name.as_str()).collect();
            let mut block_names: Vec<&str> = Vec::new();
            if component.provides_kind("ClusterIssuer") {
                block_names.push("issuer");
            }
            if component.provides_kind("KafkaTopic") {
                block_names.push("topic");
            }
            if component.provides_kind("PrometheusRule") {
                block_names.push("alert");
            }
            if component.provides_kind("AlertmanagerConfig") {
                block_names.push("receiver");
            }
            let blocks: &[&str] = &block_names;
            let what = format!("component `{name}`");
            let schema = Schema { what: &what, attrs: &option_names, blocks, bare: false };
            let o = Reader::new(cx, body, None, &schema, &what);
            for option in &component.options {
                let Some(value) = o.get(&option.name) else { continue };
                let text = match option.ty {
                    OptionType::Count => cx.count(value, &option.name).map(|c| c.value.to_string()),
                    OptionType::Str => cx.string(value, &option.name).map(|s| s.value),
                    OptionType::Bool => cx.boolean(value, &option.name).map(|b| b.to_string()),
                    OptionType::Memory => cx.memory(value, &option.name).map(|m| m.value.to_k8s()),
                    OptionType::Cpu => cx.cpu(value, &option.name).map(|c| c.value.to_k8s()),
                };
                if let Some(text) = text {
                    options.push((option.name.clone(), text));
                }
            }
            for topic_block in o.blocks("topic") {
                if let Some(topic) = read_topic(cx, topic_block) {
                    if topics.iter().any(|t: &Topic| t.name == topic.name) {
                        cx.error(
                            Diagnostic::new(codes::E0202, format!("topic `{}` is defined twice", topic.name))
                                .at(topic_block.head_span(), "defined again here")
                                .help("keep one `topic` block per name"),
                        );
                        continue;
                    }
                    topics.push(topic);
                }
            }
            for alert_block in o.blocks("alert") {
                let Some(alert) = read_alert(cx, alert_block) else { continue };
                if let Some(first) = alerts.iter().find(|a| a.value.name == alert.value.name) {
                    duplicate(cx, "alert", &alert.value.name, alert.span, first.span);
                    continue;
                }
                alerts.push(alert);
            }
            for receiver_block in o.blocks("receiver") {
                let Some(receiver) = read_receiver(cx, receiver_block) else { continue };
                if let Some(first) = receivers.iter().find(|r| r.name.value == receiver.name.value) {
                    duplicate(cx, "receiver", &receiver.name.value, receiver.name.span, first.name.span);
                    continue;
                }
                receivers.push(receiver);
            }
            for issuer_block in o.blocks("issuer") {
                if let Some(issuer) = read_issuer(cx, issuer_block) {
                    if let Some(first) = issuers.iter().find(|i: &&Issuer| i.name.value == issuer.name.value) {
                        duplicate(cx, "issuer", &issuer.name.value, issuer.name.span, first.name.span);
                        continue;
                    }
                    issuers.push(issuer);
                }
            }
        }
        stack.push(StackEntry {
            component: component.clone(),
            options,
            span,
            topics,
            alerts,
            receivers,
            origin: Origin::Listed,
        });
    }
}

pub(super) const TOPIC: Schema<'static> =
    Schema { what: "topic", attrs: &["partitions", "replicas"], blocks: &[], bare: false };

pub(super) fn read_topic(cx: &mut Cx, block: &Block) -> Option<Topic> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this topic has no name")
                .at(block.kind.span, "needs a name")
                .help("write `topic task-events { partitions = 3, replicas = 3 }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "topic");
    let r = Reader::new(cx, block, None, &TOPIC, &format!("topic `{}`", label.name));
    let partitions = r.get("partitions").and_then(|v| cx.count(v, "partitions")).map(|c| c.value).unwrap_or(1);
    let replicas = r.get("replicas").and_then(|v| cx.count(v, "replicas")).map(|c| c.value).unwrap_or(1);
    for (what, value) in [("partitions", partitions), ("replicas", replicas)] {
        if value == 0 {
            cx.error(
                Diagnostic::new(codes::E0314, format!("a topic needs at least one of `{what}`"))
                    .at(block.head_span(), format!("`{what}` is 0"))
                    .help(format!("set `{what} = 1` or more")),
            );
            return None;
        }
    }
    Some(Topic { name: label.name.clone(), partitions, replicas })
}

pub(super) fn read_issuer(cx: &mut Cx, block: &Block) -> Option<Issuer> {
    let Some(label) = &block.label else {
        cx.error(
            Diagnostic::new(codes::E0206, "this issuer has no name")
                .at(block.kind.span, "needs a name")
                .help("write `issuer letsencrypt-prod { email = …, server = production }`"),
        );
        return None;
    };
    check_k8s_name(cx, &label.name, label.span, "issuer");
    let r = Reader::new(cx, block, None, &ISSUER, &format!("issuer `{}`", label.name));
    let server = r.get("server").and_then(|v| cx.word(v, "server", &["production", "staging", "self_signed"]));
    let self_signed = server.as_ref().is_some_and(|s| s.value == "self_signed");
    // An ACME account needs an address for expiry notices; a self-signed issuer has none.
    let email = if self_signed {
        Some(Spanned::new(String::new(), block.head_span()))
    } else {
        r.required(cx, "email", "\"ops@example.com\"").and_then(|v| cx.string(v, "email"))
    };
    if let Some(email) = &email
        && !self_signed
        && !valid_email(&email.value)
    {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{}` is not an e-mail address", email.value))
                .at(email.span, "not an e-mail address")
                .help("Let's Encrypt sends expiry notices here: write an address such as `\"ops@example.com\"`"),
        );
    }
    Some(Issuer {
        name: Spanned::new(label.name.clone(), label.span),
        email: email?.value,
        server: match server.as_ref().map(|s| s.value.as_str()) {
            Some("staging") => IssuerServer::Staging,
            Some("self_signed") => IssuerServer::SelfSigned,
            _ => IssuerServer::Production,
        },
    })
}

pub(super) fn valid_email(text: &str) -> bool {
    let mut parts = text.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || "@.-_+".contains(c))
        }
        _ => false,
    }
}
