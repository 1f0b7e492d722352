//! Capacity and cost, checked before anything is deployed.
//!
//! Capacity: the CPU and memory requests of every service at its maximum replica count (plus a
//! Dapr sidecar where one is injected), of every installed stack component and of the Kafka
//! brokers, against the node pools' allocatable resources at their declared and maximum node
//! counts. Cost: nodes, control plane and the ingress load balancer from the provider's dated
//! price table, against `budget`.
//!
//! The arithmetic saturates: a product or sum past `u64::MAX` (a million replicas of a pod
//! asking for a petabyte) stays at `u64::MAX`, which no pool can hold and no budget covers, so
//! absurd values are reported (E0317, E0318, E0319) instead of wrapping round to a small
//! number that fits.

use super::model::{Cpu, Deployment, Memory, Origin, ProviderKind, Replicas};
use super::value::Cx;
use crate::diagnostics::Diagnostic;
use crate::diagnostics::codes;

/// The requests of the sidecar a service's pods get (Dapr's `daprd`, from the component's
/// `sidecar` block: the same values the pods' annotations ask the injector for).
fn sidecar_requests(deployment: &Deployment, service: &super::model::Service) -> (u64, u64) {
    match (&service.dapr, deployment.sidecar("dapr")) {
        (Some(_), Some(sidecar)) => (sidecar.cpu.0.millis, sidecar.memory.0.bytes),
        _ => (0, 0),
    }
}

/// One line of the capacity arithmetic.
#[derive(Debug, Clone)]
pub struct Demand {
    pub what: String,
    pub cpu: Cpu,
    pub memory: Memory,
}

/// What the deployment asks for at maximum scale, line by line.
pub fn demand(deployment: &Deployment) -> Vec<Demand> {
    demand_lines(deployment, false)
}

/// [`demand`]'s lines, with each Deployment's rollout surge when `surge`.
fn demand_lines(deployment: &Deployment, surge: bool) -> Vec<Demand> {
    let mut lines = Vec::new();
    each_demand(deployment, surge, |what, cpu, memory| lines.push(Demand { what: what(), cpu, memory }));
    lines
}

/// The sum of [`demand`]'s lines, without writing their text (only an error shows them).
fn total_demand(deployment: &Deployment, surge: bool) -> (Cpu, Memory) {
    let (mut cpu, mut memory) = (0u64, 0u64);
    each_demand(deployment, surge, |_, line_cpu, line_memory| {
        cpu = cpu.saturating_add(line_cpu.millis);
        memory = memory.saturating_add(line_memory.bytes);
    });
    (Cpu { millis: cpu }, Memory { bytes: memory })
}

/// The requests the capacity analysis counts (every pod at its replica maximum), as CPU
/// millicores and memory bytes.
pub fn planned_requests(deployment: &Deployment) -> (u64, u64) {
    let (cpu, memory) = total_demand(deployment, false);
    (cpu.millis, memory.bytes)
}

/// Each line of [`demand`]: its text (written on request), CPU and memory.
fn each_demand(deployment: &Deployment, surge: bool, mut line: impl FnMut(&dyn Fn() -> String, Cpu, Memory)) {
    for service in &deployment.services {
        let n = u64::from(service.replicas.max());
        let what = || {
            let scale = match service.replicas {
                Replicas::Range(..) => format!("{n} (max)"),
                Replicas::Fixed(_) => n.to_string(),
            };
            format!("{} × {scale}", service.name.value)
        };
        line(
            &what,
            Cpu { millis: service.cpu.request.millis.saturating_mul(n) },
            Memory { bytes: service.memory.request.bytes.saturating_mul(n) },
        );
        let sidecar = sidecar_requests(deployment, service);
        if sidecar != (0, 0) {
            line(
                &|| format!("{} Dapr sidecars × {n}", service.name.value),
                Cpu { millis: sidecar.0.saturating_mul(n) },
                Memory { bytes: sidecar.1.saturating_mul(n) },
            );
        }
        // A Deployment's rollout starts its new pods before it stops old ones (`maxSurge: 25%`,
        // rounded up), and `kubectl apply -k` rolls every changed Deployment at once: the
        // nodes must hold those pods too, or the rollout waits on Pending pods.
        if surge && service.volumes.is_empty() {
            let surge = n.div_ceil(4);
            line(
                &|| format!("{} rollout surge × {surge}", service.name.value),
                Cpu { millis: service.cpu.request.millis.saturating_add(sidecar.0).saturating_mul(surge) },
                Memory { bytes: service.memory.request.bytes.saturating_add(sidecar.1).saturating_mul(surge) },
            );
        }
    }
    for entry in deployment.stack.iter().filter(|e| e.origin != Origin::Bundled) {
        line(
            &|| format!("stack: {}", entry.component.name),
            entry.component.requests_cpu,
            entry.component.requests_memory,
        );
        if entry.component.provides_kind("Kafka") {
            let brokers: u64 = entry.option("brokers").and_then(|b| b.parse().ok()).unwrap_or(1);
            let cpu = entry.option("broker_cpu").and_then(parse_cpu).unwrap_or(Cpu { millis: 250 });
            let memory = entry.option("broker_memory").and_then(parse_memory).unwrap_or(Memory { bytes: 1 << 30 });
            line(
                &|| format!("stack: kafka brokers × {brokers}"),
                Cpu { millis: cpu.millis.saturating_mul(brokers) },
                Memory { bytes: memory.bytes.saturating_mul(brokers) },
            );
        }
    }
}

/// `250m` or `2` (a component option's canonical text).
pub fn parse_cpu(text: &str) -> Option<Cpu> {
    match text.strip_suffix('m') {
        Some(m) => m.parse().ok().map(|millis| Cpu { millis }),
        None => text.parse::<u64>().ok().map(|cores| Cpu { millis: cores.saturating_mul(1000) }),
    }
}

/// `512Mi`, `2Gi` or bytes (a component option's canonical text).
pub fn parse_memory(text: &str) -> Option<Memory> {
    const UNITS: [(&str, u64); 4] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40)];
    for (unit, size) in UNITS {
        if let Some(n) = text.strip_suffix(unit) {
            return n.parse::<u64>().ok().map(|n| Memory { bytes: n.saturating_mul(size) });
        }
    }
    text.parse().ok().map(|bytes| Memory { bytes })
}

/// Allocatable CPU and memory of the pools that run workloads, at their declared counts and
/// at their maximum counts.
pub fn supply(deployment: &Deployment) -> ((Cpu, Memory), (Cpu, Memory), Vec<String>) {
    let provider = &deployment.provider;
    let mut at_count = (0u64, 0u64);
    let mut at_max = (0u64, 0u64);
    let mut lines = Vec::new();
    if provider.kind == ProviderKind::Local {
        if let Some(size) = provider.sizes.first() {
            // A local cluster shares one machine, however many nodes it has.
            at_count = (size.allocatable_cpu.millis, size.allocatable_memory.bytes);
            at_max = at_count;
            lines.push(format!("local machine share ({})", size.name));
        }
        return (
            (Cpu { millis: at_count.0 }, Memory { bytes: at_count.1 }),
            (Cpu { millis: at_max.0 }, Memory { bytes: at_max.1 }),
            lines,
        );
    }
    for pool in deployment.target.pools.iter().filter(|p| !p.control_plane) {
        let Some(size) = provider.sizes.iter().find(|s| s.name == pool.size.value) else { continue };
        let max = pool.autoscale.map(|(_, hi)| hi).unwrap_or(pool.count).max(pool.count);
        let (count, max) = (u64::from(pool.count), u64::from(max));
        at_count.0 = at_count.0.saturating_add(size.allocatable_cpu.millis.saturating_mul(count));
        at_count.1 = at_count.1.saturating_add(size.allocatable_memory.bytes.saturating_mul(count));
        at_max.0 = at_max.0.saturating_add(size.allocatable_cpu.millis.saturating_mul(max));
        at_max.1 = at_max.1.saturating_add(size.allocatable_memory.bytes.saturating_mul(max));
        lines.push(format!("pool {}: {} × {}", pool.name, pool.count, size.name));
    }
    (
        (Cpu { millis: at_count.0 }, Memory { bytes: at_count.1 }),
        (Cpu { millis: at_max.0 }, Memory { bytes: at_max.1 }),
        lines,
    )
}

fn gib(memory: Memory) -> String {
    let gib = memory.bytes as f64 / f64::from(1u32 << 30);
    let at_least = at_least(memory.bytes);
    if gib >= 1.0 { format!("{at_least}{gib:.1}Gi") } else { format!("{}Mi", memory.bytes >> 20) }
}

fn cores(cpu: Cpu) -> String {
    format!("{}{}m", at_least(cpu.millis), cpu.millis)
}

/// The arithmetic as a small table, for a diagnostic's notes.
fn table(demand: &[Demand], total: (Cpu, Memory), supply_rows: &[(String, Cpu, Memory)]) -> String {
    let width = demand
        .iter()
        .map(|d| d.what.chars().count())
        .chain(supply_rows.iter().map(|r| r.0.chars().count()))
        .max()
        .unwrap_or(10)
        .max(24);
    let mut out = format!("{:<width$}  {:>9}  {:>9}\n", "requests", "cpu", "memory");
    for line in demand {
        out.push_str(&format!("{:<width$}  {:>9}  {:>9}\n", line.what, cores(line.cpu), gib(line.memory)));
    }
    out.push_str(&format!("{:<width$}  {:>9}  {:>9}\n", "total requested", cores(total.0), gib(total.1)));
    for (what, cpu, memory) in supply_rows {
        out.push_str(&format!("{:<width$}  {:>9}  {:>9}\n", what, cores(*cpu), gib(*memory)));
    }
    out.trim_end().to_string()
}

/// Check capacity and budget; push E0317/E0318/W0304 and E0319/W0305.
pub fn check_capacity_and_cost(cx: &mut Cx, deployment: &Deployment) {
    check_capacity(cx, deployment);
    check_budget(cx, deployment);
}

/// Check that the workload fits the node pools; push E0317/E0318/W0304/W0309.
pub fn check_capacity(cx: &mut Cx, deployment: &Deployment) {
    let total = total_demand(deployment, false);
    let ((count_cpu, count_memory), (max_cpu, max_memory), _) = supply(deployment);
    let provider = &deployment.provider;
    let span =
        deployment.target.pools.iter().find(|p| !p.control_plane).map(|p| p.size.span).unwrap_or(deployment.name.span);
    if count_cpu.millis > 0 {
        let pools_text = |at_max: bool| {
            deployment
                .target
                .pools
                .iter()
                .filter(|p| !p.control_plane)
                .map(|p| {
                    format!(
                        "{} × {}",
                        if at_max { p.autoscale.map(|a| a.1).unwrap_or(p.count) } else { p.count },
                        p.size.value
                    )
                })
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let mut rows = vec![(format!("allocatable at {}", pools_text(false)), count_cpu, count_memory)];
        if (max_cpu, max_memory) != (count_cpu, count_memory) {
            rows.push((format!("allocatable at {} (max)", pools_text(true)), max_cpu, max_memory));
        }
        let fits_max = fits(total.0.millis, max_cpu.millis) && fits(total.1.bytes, max_memory.bytes);
        let fits_count = fits(total.0.millis, count_cpu.millis) && fits(total.1.bytes, count_memory.bytes);
        if provider.kind != ProviderKind::Local && !fits_max {
            cx.error(
                Diagnostic::new(codes::E0317, "the workload does not fit the node pools, even at maximum scale")
                    .at(span, "too small for what the services and stack request")
                    .help(smallest_fit(deployment, total).unwrap_or_else(|| {
                        "use larger nodes or more of them, or lower the requests or replica maximums".into()
                    }))
                    .note(format!("\n{}", table(&demand(deployment), total, &rows))),
            );
        } else if provider.kind != ProviderKind::Local && !fits_count {
            cx.error(
                Diagnostic::new(codes::W0304, "the workload fits only after the cluster autoscaler adds nodes")
                    .at(span, "too small at the declared node count")
                    .help("raise `count`, or accept that new nodes are added as the services scale out")
                    .note(format!("\n{}", table(&demand(deployment), total, &rows))),
            );
        }
        // One pod that no single node can hold never schedules.
        let largest = provider.sizes.iter().filter(|s| {
            deployment.target.pools.iter().any(|p| p.size.value == s.name) || provider.kind == ProviderKind::Local
        });
        let (node_cpu, node_memory) =
            largest.fold((0, 0), |acc, s| (acc.0.max(s.allocatable_cpu.millis), acc.1.max(s.allocatable_memory.bytes)));
        let mut oversized = false;
        for service in &deployment.services {
            let sidecar = sidecar_requests(deployment, service);
            let (cpu, memory) = (
                service.cpu.request.millis.saturating_add(sidecar.0),
                service.memory.request.bytes.saturating_add(sidecar.1),
            );
            if node_cpu > 0 && (cpu > node_cpu || memory > node_memory) {
                oversized = true;
                cx.error(
                    Diagnostic::new(codes::E0318, format!("one `{}` pod is larger than any node", service.name.value))
                        .at(service.cpu.span.to(service.memory.span), "requests more than a node can give")
                        .help(format!(
                            "a pod asks for {} and {}; the largest node offers {} and {} allocatable: lower the requests or use a larger size",
                            cores(Cpu { millis: cpu }),
                            gib(Memory { bytes: memory }),
                            cores(Cpu { millis: node_cpu }),
                            gib(Memory { bytes: node_memory })
                        )),
                );
            }
        }
        // A rollout at maximum scale needs room for every Deployment's new pods as well.
        let rolling = total_demand(deployment, true);
        // (Not when a pod fits no node: that is the error to fix first.)
        if provider.kind != ProviderKind::Local
            && fits_max
            && !oversized
            && !(fits(rolling.0.millis, max_cpu.millis) && fits(rolling.1.bytes, max_memory.bytes))
        {
            cx.error(
                Diagnostic::new(codes::W0309, "a rollout at maximum scale does not fit the node pools")
                    .at(span, "no room for the rollout's new pods at maximum scale")
                    .help(smallest_fit(deployment, rolling).map_or_else(
                        || "raise the pools' maximum, or lower the replica maximums".to_string(),
                        |fit| format!("{fit}; or accept that a rollout at peak load waits for pods to finish"),
                    ))
                    .note(format!("\n{}", table(&demand_lines(deployment, true), rolling, &rows))),
            );
        }
    }
}

/// The budget against the monthly cost. For an environment on a shared cluster this runs once
/// the clusters are known ([`super::environment::assign_clusters`]): another environment's
/// routes may add the cluster's load balancer.
pub fn check_budget(cx: &mut Cx, deployment: &Deployment) {
    let provider = &deployment.provider;
    if let Some(budget) = &deployment.budget {
        let cost = monthly_cost(deployment);
        let breakdown = cost
            .lines
            .iter()
            .map(|l| format!("{:<40} {:>10} {:>10}", l.what, dollars(l.at_count), dollars(l.at_max)))
            .collect::<Vec<_>>()
            .join("\n");
        let header = format!("{:<40} {:>10} {:>10}", "monthly cost", "at count", "at max");
        let totals = format!("{:<40} {:>10} {:>10}", "total", dollars(cost.at_count), dollars(cost.at_max));
        let note = format!(
            "\n{header}\n{breakdown}\n{totals}\nprices from {} as of {}",
            provider.prices_source, provider.prices_as_of
        );
        if cost.at_count > budget.value.cents {
            cx.error(
                Diagnostic::new(
                    codes::E0319,
                    format!(
                        "the deployment costs {}/mo, over its budget of {}/mo",
                        dollars(cost.at_count),
                        dollars(budget.value.cents)
                    ),
                )
                .at(budget.span, "budget exceeded at the declared node counts")
                .help("use fewer or cheaper nodes, or raise `budget`")
                .note(note),
            );
        } else if cost.at_max > budget.value.cents {
            cx.error(
                Diagnostic::new(
                    codes::W0305,
                    format!(
                        "at maximum scale the deployment costs {}/mo, over its budget of {}/mo",
                        dollars(cost.at_max),
                        dollars(budget.value.cents)
                    ),
                )
                .at(budget.span, "exceeded only when the autoscaler adds nodes")
                .help("lower the pools' `autoscale` maximum, or raise `budget` to what full scale costs")
                .note(note),
            );
        }
    }
}

/// Whether `demand` fits `supply`. A demand that saturated is more than any supply, even one
/// that saturated too.
fn fits(demand: u64, supply: u64) -> bool {
    demand < u64::MAX && demand <= supply
}

pub use crate::vocab::{Cost, CostLine, dollars};
use crate::vocab::{PoolPrice, at_least};

/// The monthly cost of `deployment` (pools of unknown sizes left out: they are E0303).
pub fn monthly_cost(deployment: &Deployment) -> Cost {
    let provider = &deployment.provider;
    let pools = deployment.target.pools.iter().filter_map(|pool| {
        let size = provider.sizes.iter().find(|s| s.name == pool.size.value)?;
        Some(PoolPrice {
            pool: &pool.name,
            size: &size.name,
            count: pool.count,
            max: pool.autoscale.map(|(_, hi)| hi).unwrap_or(pool.count),
            price_cents: size.price.cents,
        })
    });
    let load_balancer = cluster_has_load_balancer(deployment).then_some(provider.load_balancer_price.cents);
    crate::vocab::monthly_cost(pools, provider.control_plane_price.cents, load_balancer)
}

/// Whether the deployment's own routes give its cluster a cloud load balancer: an ingress
/// controller's Service on a provider that is not local.
pub fn has_load_balancer(deployment: &Deployment) -> bool {
    deployment.services.iter().any(|s| s.route.is_some())
        && deployment.provider.kind != ProviderKind::Local
        && deployment.ingress.is_some()
}

/// Whether the deployment's cluster bills a load balancer: its own routes give it one, or, on a
/// cluster shared by environments, another environment's do.
pub fn cluster_has_load_balancer(deployment: &Deployment) -> bool {
    let shared = deployment.environment.as_ref().is_some_and(|e| e.cluster_load_balancer);
    has_load_balancer(deployment) || shared && deployment.provider.kind != ProviderKind::Local
}

/// The cheapest single pool (size × count, up to 20 nodes) that fits at its count.
fn smallest_fit(deployment: &Deployment, total: (Cpu, Memory)) -> Option<String> {
    let mut best: Option<(u64, String)> = None;
    for size in &deployment.provider.sizes {
        for count in 1..=20u64 {
            if size.allocatable_cpu.millis.saturating_mul(count) >= total.0.millis
                && size.allocatable_memory.bytes.saturating_mul(count) >= total.1.bytes
            {
                let price = size.price.cents.saturating_mul(count);
                if best.as_ref().is_none_or(|(p, _)| price < *p) {
                    best = Some((price, format!("{count} × {}", size.name)));
                }
                break;
            }
        }
    }
    best.map(|(price, pool)| format!("the smallest pool that fits: {pool} ({}/mo)", dollars(price)))
}
