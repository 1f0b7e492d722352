//! The `target` block: the provider, region or location, version, node pools and the
//! provider's typed settings.

use super::*;

pub(super) const TARGET_REGION: Schema<'static> = Schema {
    what: "target",
    attrs: &["region", "version", "cluster_name", "resource_group"],
    blocks: &["pool"],
    bare: false,
};

pub(super) const TARGET_LOCATION: Schema<'static> = Schema {
    what: "target",
    attrs: &["location", "version", "cluster_name", "resource_group"],
    blocks: &["pool"],
    bare: false,
};

pub(super) const TARGET_LOCAL: Schema<'static> = Schema {
    what: "target",
    attrs: &["servers", "agents", "ports", "registry", "version", "cluster_name"],
    blocks: &[],
    bare: false,
};

pub(super) const POOL: Schema<'static> =
    Schema { what: "pool", attrs: &["size", "count", "autoscale", "role"], blocks: &[], bare: false };

/// The provider's settings the target sets, each checked against its kind.
pub(super) fn read_settings(
    cx: &mut Cx,
    t: &Reader,
    provider: &Provider,
    region: Option<&str>,
) -> Vec<(String, SettingValue)> {
    let mut out = Vec::new();
    for setting in &provider.settings {
        let name = setting.name.as_str();
        let value = if setting.kind == SettingKind::Tags {
            let blocks = t.blocks(name);
            let Some(first) = blocks.first() else { continue };
            let mut pairs = Vec::new();
            for (key, value, span, _) in free_pairs(cx, first, name) {
                // GKE's label rule, the strictest of the providers' (cloud.google.com/compute/docs/labeling-resources,
                // read 2026-12-02): so one set of tags works on every provider.
                let key_ok = key.len() <= 63
                    && key.starts_with(|c: char| c.is_ascii_lowercase())
                    && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                let value_ok = value.len() <= 63
                    && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
                if key_ok && value_ok {
                    pairs.push((key, value));
                } else {
                    cx.error(
                        Diagnostic::new(codes::E0328, format!("`{key} = \"{value}\"` is not a tag every provider accepts"))
                            .at(span, "keys and values: up to 63 lowercase letters, digits, `_` and `-`; keys start with a letter")
                            .help("write tags such as `team = \"payments\"` (GKE labels, the strictest rule, are lowercase)"),
                    );
                }
            }
            SettingValue::Pairs(pairs)
        } else {
            let Some(value) = t.get(name) else { continue };
            match read_setting(cx, value, setting, region) {
                Some(v) => v,
                None => continue,
            }
        };
        out.push((setting.name.clone(), value));
    }
    out
}

/// One setting's value, or a located diagnostic saying what it should look like.
pub(super) fn read_setting(
    cx: &mut Cx,
    value: &Value,
    setting: &ProviderSetting,
    region: Option<&str>,
) -> Option<SettingValue> {
    let name = setting.name.as_str();
    let bad = |cx: &mut Cx, span: crate::source::Span, what: &str, shape: &str, example: &str| {
        cx.error(
            Diagnostic::new(codes::E0328, format!("`{what}` is not {shape}"))
                .at(span, format!("`{name}` takes {shape}"))
                .help(format!("{}: write `{name} = {example}`", setting.help)),
        );
    };
    match setting.kind {
        SettingKind::Bool => cx.boolean(value, name).map(SettingValue::Bool),
        SettingKind::Uuid
        | SettingKind::GcpProject
        | SettingKind::Name
        | SettingKind::Path
        | SettingKind::Window
        | SettingKind::Domain => {
            let text = cx.string(value, name)?;
            let parsed_window = if setting.kind == SettingKind::Window { window(&text.value) } else { None };
            let (ok, shape, example) = match setting.kind {
                SettingKind::Uuid => (is_uuid(&text.value), "a UUID", "\"3b2f1c9e-8d4a-4f6b-9c0d-1e2f3a4b5c6d\""),
                SettingKind::GcpProject => (
                    text.value.len() >= 6 && lowercase_label(&text.value, 30),
                    "a Google Cloud project ID (6-30 lowercase letters, digits and `-`)",
                    "\"task-api-prod\"",
                ),
                SettingKind::Name => (lowercase_label(&text.value, 63), "a lowercase name", "\"task-api-net\""),
                SettingKind::Path => (
                    // It lands in double-quoted YAML too (hetzner-k3s's config).
                    !text.value.is_empty() && !text.value.chars().any(|c| c.is_control() || c == '"' || c == '\\'),
                    "a file path (without `\"` or `\\`)",
                    "\"~/.ssh/id_ed25519.pub\"",
                ),
                SettingKind::Domain => (
                    // RFC 1035 labels: 1-63 letters, digits and `-`, at least two, 253 in all.
                    text.value.len() <= 253
                        && text.value.split('.').count() >= 2
                        && text.value.split('.').all(|l| {
                            !l.is_empty()
                                && l.len() <= 63
                                && !l.starts_with('-')
                                && !l.ends_with('-')
                                && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        }),
                    "a DNS domain",
                    "\"example.com\"",
                ),
                _ => (parsed_window.is_some(), "a weekly window start in UTC", "\"saturday 02:00\""),
            };
            if !ok {
                bad(cx, text.span, &text.value, shape, example);
                return None;
            }
            if let Some((day, start)) = parsed_window {
                return Some(SettingValue::Window { day, start });
            }
            Some(SettingValue::Text(text.value))
        }
        SettingKind::AwsSubnets | SettingKind::Zones | SettingKind::Cidrs => {
            let items = cx.list(value, name, |cx, item| cx.name(item, name))?;
            let mut ok = true;
            for item in &items {
                let (fits, shape, example) = match setting.kind {
                    SettingKind::AwsSubnets => (
                        item.value.strip_prefix("subnet-").is_some_and(|hex| {
                            (hex.len() == 8 || hex.len() == 17)
                                && hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                        }),
                        "an AWS subnet ID",
                        "[\"subnet-0a1b2c3d4e5f67890\"]".to_string(),
                    ),
                    SettingKind::Zones => {
                        let region = region.unwrap_or("");
                        (
                            item.value
                                .strip_prefix(region)
                                .and_then(|rest| rest.strip_prefix('-'))
                                .is_some_and(|zone| zone.len() == 1 && zone.chars().all(|c| c.is_ascii_lowercase())),
                            "a zone of the target's region",
                            format!("[{region}-b, {region}-c]"),
                        )
                    }
                    _ => match network_of(&item.value) {
                        // Host bits set below the prefix: providers refuse it; say the network.
                        Some(network) if network != item.value => {
                            (false, "an address range (its host bits are set)", format!("[\"{network}\"]"))
                        }
                        _ => (is_cidr(&item.value), "an address range", "[\"203.0.113.0/24\"]".to_string()),
                    },
                };
                if !fits {
                    bad(cx, item.span, &item.value, shape, &example);
                    ok = false;
                }
            }
            if items.is_empty() {
                cx.error(
                    Diagnostic::new(codes::E0314, format!("`{name}` is empty"))
                        .at(value.span, "an empty list")
                        .help(format!("{}; leave `{name}` out for the provider's default", setting.help)),
                );
                ok = false;
            }
            ok.then(|| SettingValue::List(items.into_iter().map(|i| i.value).collect()))
        }
        SettingKind::Tags => None,
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub(super) fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An IPv4 (`a.b.c.d/n`, n ≤ 32) or IPv6 (`x::y/n`, n ≤ 128) address range.
pub(super) fn is_cidr(text: &str) -> bool {
    // IPv4: the network address itself; providers refuse host bits set below the prefix.
    if let Some(network) = network_of(text) {
        return network == text;
    }
    let Some((address, bits)) = text.split_once('/') else { return false };
    address.parse::<std::net::Ipv6Addr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128)
}

/// 1 to `max` lowercase letters, digits and `-`, from a letter, not ending in `-` (a DNS label
/// as cluster names, GCP project IDs and Hetzner network names take it).
pub(super) fn lowercase_label(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The network an IPv4 range with a valid prefix belongs to (`10.0.0.1/24` → `10.0.0.0/24`).
pub(super) fn network_of(text: &str) -> Option<String> {
    let (address, bits) = text.split_once('/')?;
    let bits = bits.parse::<u8>().ok().filter(|b| *b <= 32)?;
    let v4 = address.parse::<std::net::Ipv4Addr>().ok()?;
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
    Some(format!("{}/{bits}", std::net::Ipv4Addr::from(u32::from(v4) & mask)))
}

/// `"saturday 02:00"` → (`saturday`, `02:00`).
pub(super) fn window(text: &str) -> Option<(String, String)> {
    const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let (day, start) = text.split_once(' ')?;
    let day = day.to_ascii_lowercase();
    let (hours, minutes) = start.split_once(':')?;
    let fits = |part: &str, max: u32| part.len() == 2 && part.parse::<u32>().is_ok_and(|n| n <= max);
    (DAYS.contains(&day.as_str()) && fits(hours, 23) && fits(minutes, 59)).then(|| (day, start.to_string()))
}

pub(super) fn read_target(cx: &mut Cx, block: &Block, lib: &Library) -> Option<(Provider, Target)> {
    let Some(label) = &block.label else {
        let names: Vec<String> = lib.providers.keys().cloned().collect();
        cx.error(
            Diagnostic::new(codes::E0302, "this target names no provider")
                .at(block.kind.span, "needs a provider")
                .help(format!(
                    "write `target PROVIDER {{ … }}` with one of {}",
                    crate::diagnostics::suggest::one_of(&names)
                )),
        );
        return None;
    };
    let Some(provider) = lib.providers.get(&label.name) else {
        let near = cx.did_you_mean(&label.name, lib.providers.keys().map(String::as_str));
        let names: Vec<String> = lib.providers.keys().cloned().collect();
        cx.error(
            Diagnostic::new(codes::E0203, format!("unknown provider `{}`", label.name))
                .at(label.span, "no provider with this name")
                .help(match near {
                    Some(n) => {
                        format!("did you mean `{n}`? Known providers: {}", crate::diagnostics::suggest::one_of(&names))
                    }
                    None => format!("known providers: {}", crate::diagnostics::suggest::one_of(&names)),
                }),
        );
        return None;
    };
    let base = match (provider.kind, provider.region_attribute.as_str()) {
        (ProviderKind::Local, _) => &TARGET_LOCAL,
        (_, "location") => &TARGET_LOCATION,
        _ => &TARGET_REGION,
    };
    // The provider's own settings join the schema: `tags { … }` as a block, the rest as attributes.
    let mut attrs = base.attrs.to_vec();
    let mut blocks = base.blocks.to_vec();
    for setting in &provider.settings {
        if setting.kind == SettingKind::Tags { blocks.push(&setting.name) } else { attrs.push(&setting.name) }
    }
    let schema = Schema { what: base.what, attrs: &attrs, blocks: &blocks, bare: false };
    let what = format!("target `{}`", provider.name);
    let t = Reader::new(cx, block, None, &schema, &what);
    let version = t.get("version").and_then(|v| cx.string(v, "version"));
    let mut target = Target {
        region: None,
        version: provider.default_version.clone(),
        version_span: block.head_span(),
        pools: Vec::new(),
        servers: 1,
        agents: 0,
        ports: Vec::new(),
        registry: None,
        cluster_name: None,
        resource_group: None,
        settings: Vec::new(),
        span: block.head_span(),
    };
    target.cluster_name = t.get("cluster_name").and_then(|v| cx.string(v, "cluster_name")).and_then(|name| {
        // A DNS label: what every provider's cluster name accepts (AKS 1-63 characters, DOKS,
        // EKS, GKE 1-40 lowercase; k3d and kind name Docker containers after it).
        let ok = lowercase_label(&name.value, 40);
        if !ok {
            cx.error(
                Diagnostic::new(codes::E0328, format!("`{}` is not a cluster name", name.value))
                    .at(name.span, "not a lowercase DNS label of at most 40 characters")
                    .help("use lowercase letters, digits and `-`, starting with a letter, such as `task-api-prod`"),
            );
        }
        ok.then_some(name.value)
    });
    if let Some(value) = t.get("resource_group") {
        if !provider.resource_groups {
            cx.error(
                Diagnostic::new(codes::E0201, format!("{} has no resource groups", provider.title))
                    .at(value.span, "this provider keeps no resource groups")
                    .help("delete `resource_group`; the cluster is named by `cluster_name`"),
            );
        } else if let Some(group) = cx.string(value, "resource_group") {
            // Azure: 1-90 letters, digits, `_`, `-`, `.` and `()`, not ending in `.`
            // (learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
            let ok = !group.value.is_empty()
                && group.value.len() <= 90
                && !group.value.ends_with('.')
                && group.value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.()".contains(c));
            if ok {
                target.resource_group = Some(group.value);
            } else {
                cx.error(
                    Diagnostic::new(codes::E0328, format!("`{}` is not an Azure resource group name", group.value))
                        .at(group.span, "Azure allows 1-90 letters, digits, `_`, `-`, `.` and `()`")
                        .help("write a name such as `task-api-rg`"),
                );
            }
        }
    }
    if let Some(version) = version {
        if !provider.versions.contains(&version.value) {
            not_offered(cx, "Kubernetes version", &version, &provider.versions, provider);
        } else {
            target.version = version.value;
            target.version_span = version.span;
        }
    }
    // A provider that runs a node image per version must have one for the chosen version.
    if !provider.node_images.is_empty() && provider.node_image(&target.version).is_none() {
        cx.error(
            Diagnostic::new(
                codes::E0303,
                format!("{} has no node image for Kubernetes {}", provider.title, target.version),
            )
            .at(block.head_span(), "no image runs this version")
            .help(format!(
                "the stdlib pins {}; add an image to `node_images` in the provider",
                provider.node_images.join(", ")
            )),
        );
    }
    if provider.kind == ProviderKind::Local {
        target.servers = t.get("servers").and_then(|v| cx.count(v, "servers")).map(|c| c.value).unwrap_or(1);
        target.agents = t.get("agents").and_then(|v| cx.count(v, "agents")).map(|c| c.value).unwrap_or(0);
        target.ports = t
            .get("ports")
            .and_then(|v| cx.list(v, "ports", |cx, item| cx.string(item, "ports").map(|s| s.value)))
            .unwrap_or_default();
        target.registry = t.get("registry").and_then(|v| cx.string(v, "registry")).map(|s| s.value);
        target.settings = read_settings(cx, &t, provider, None);
        return Some((provider.clone(), target));
    }
    let attribute = provider.region_attribute.as_str();
    let example = provider.regions.first().map(String::as_str).unwrap_or("region-1");
    if let Some(region) = t.required(cx, attribute, example).and_then(|v| cx.name(v, attribute)) {
        if provider.regions.contains(&region.value) {
            target.region = Some(region);
        } else {
            not_offered(cx, attribute, &region, &provider.regions, provider);
        }
    }
    target.settings = read_settings(cx, &t, provider, target.region.as_ref().map(|r| r.value.as_str()));
    let pools = t.blocks("pool");
    if pools.is_empty() {
        cx.error(
            Diagnostic::new(codes::E0302, format!("{what} has no node pool"))
                .at(block.head_span(), "needs a `pool` block")
                .help(format!(
                    "add `pool default {{ size = {}, count = 3 }}` inside this block",
                    provider.sizes.first().map(|s| s.name.as_str()).unwrap_or("SIZE")
                )),
        );
    }
    if provider.kind == ProviderKind::K3s
        && !pools.is_empty()
        && !pools.iter().any(|p| {
            p.members.iter().any(|m| matches!(m, Member::Attr(a) if a.key() == "role" && matches!(&a.value.kind, ValueKind::Ident(r) if r == "control-plane")))
        })
    {
        cx.error(
            Diagnostic::new(codes::E0302, format!("{what} has no control-plane pool"))
                .at(block.head_span(), "k3s needs a pool for its servers")
                .help("add `pool master { role = control-plane, size = …, count = 1 }` (3 for high availability)"),
        );
    }
    let mut seen: BTreeMap<String, crate::source::Span> = BTreeMap::new();
    for pool_block in pools {
        let Some(label) = &pool_block.label else {
            cx.error(
                Diagnostic::new(codes::E0206, "this pool has no name")
                    .at(pool_block.kind.span, "needs a name")
                    .help("write `pool NAME { size = …, count = … }`"),
            );
            continue;
        };
        if let Some(first) = seen.get(&label.name) {
            duplicate(cx, "pool", &label.name, label.span, *first);
            continue;
        }
        seen.insert(label.name.clone(), label.span);
        check_k8s_name(cx, &label.name, label.span, "pool");
        let p = Reader::new(cx, pool_block, None, &POOL, &format!("pool `{}`", label.name));
        let example = provider.sizes.first().map(|s| s.name.as_str()).unwrap_or("SIZE");
        let size = p.required(cx, "size", example).and_then(|v| cx.name(v, "size"));
        let count = p.get("count").and_then(|v| cx.count(v, "count"));
        let autoscale = p
            .get("autoscale")
            .and_then(|v| cx.one_or_range(v, |cx, x| cx.count(x, "autoscale")).map(|(lo, hi, _)| (lo, hi, v.span)));
        let role = p.get("role").and_then(|v| cx.word(v, "role", &["control-plane", "worker"]));
        if let Some((lo, hi, span)) = &autoscale
            && lo.value > hi.value
        {
            range_backwards(cx, *span, "autoscale", lo.value, hi.value);
        }
        let Some(size) = size else { continue };
        let Some(offered) = provider.sizes.iter().find(|s| s.name == size.value) else {
            let names: Vec<String> =
                provider.sizes.iter().filter(|s| s.retired.is_none()).map(|s| s.name.clone()).collect();
            not_offered(cx, "size", &size, &names, provider);
            continue;
        };
        if let Some(retired) = &offered.retired {
            cx.error(
                Diagnostic::new(codes::E0303, format!("{} retired size `{}` on {retired}", provider.title, size.value))
                    .at(size.span, "no longer orderable")
                    .help(match &offered.successor {
                        Some(successor) => format!("use its successor `{successor}`"),
                        None => "use a current size of the provider".to_string(),
                    }),
            );
            continue;
        }
        let count_value = count.map(|c| c.value).or(autoscale.as_ref().map(|(lo, _, _)| lo.value)).unwrap_or(1);
        target.pools.push(Pool {
            name: label.name.clone(),
            size,
            count: count_value,
            autoscale: autoscale.map(|(lo, hi, _)| (lo.value, hi.value)),
            control_plane: role.is_some_and(|r| r.value == "control-plane"),
        });
    }
    // Zones split each pool's nodes evenly (gcloud counts nodes per zone).
    for setting in provider.settings.iter().filter(|s| s.kind == SettingKind::Zones) {
        let Some((_, SettingValue::List(zones))) = target.settings.iter().find(|(n, _)| *n == setting.name) else {
            continue;
        };
        let n = u32::try_from(zones.len()).unwrap_or(u32::MAX).max(1);
        let span = t.get(&setting.name).map(|v| v.span).unwrap_or(block.head_span());
        for pool in target.pools.iter().filter(|p| p.count % n != 0) {
            cx.error(
                Diagnostic::new(
                    codes::E0331,
                    format!("pool `{}` has {} nodes, which do not split evenly over {n} zones", pool.name, pool.count),
                )
                .at(span, format!("{n} zones: each gets the same number of nodes"))
                .help(format!(
                    "set the pool's count to a multiple of {n} (such as {}), or list fewer zones",
                    (pool.count / n + 1) * n
                )),
            );
        }
    }
    Some((provider.clone(), target))
}
