//! NetworkPolicies (`manifests/15-network.yaml`): default-deny for every pod deployc manages in
//! the namespace, DNS for all of them, and per service the allows the plan implies: the ingress
//! controller to routed ports, `uses` edges in both directions, Prometheus to the port it scrapes,
//! Dapr sidecars to their control plane and to each other, Kafka brokers for Dapr pub/sub, and
//! the service's declared `egress`. Pods deployc does not manage (Kafka brokers, ACME solvers)
//! are left alone.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::objects::{Docs, meta, selector};
use crate::lower::plan::{self, Plan};

/// Dapr's sidecar-to-sidecar gRPC port.
const DAPR_INTERNAL_PORT: i32 = 50002;

/// Addresses that are never "the internet": a host egress allows any address except these.
const PRIVATE: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"];

fn labels(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        ..LabelSelector::default()
    }
}

fn managed(plan: &Plan) -> LabelSelector {
    labels(&[("app.kubernetes.io/managed-by", "deployc"), ("app.kubernetes.io/part-of", &plan.deployment)])
}

fn namespace_peer(namespace: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(labels(&[("kubernetes.io/metadata.name", namespace)])),
        ..NetworkPolicyPeer::default()
    }
}

fn pods_peer(selector: LabelSelector) -> NetworkPolicyPeer {
    NetworkPolicyPeer { pod_selector: Some(selector), ..NetworkPolicyPeer::default() }
}

fn tcp(port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(port)),
        protocol: Some("TCP".into()),
        ..NetworkPolicyPort::default()
    }
}

fn policy(plan: &Plan, name: &str, service: &str, spec: NetworkPolicySpec) -> NetworkPolicy {
    let mut metadata = meta(plan, name, service);
    if service.is_empty() {
        metadata.labels = Some(BTreeMap::from([
            ("app.kubernetes.io/managed-by".to_string(), "deployc".to_string()),
            ("app.kubernetes.io/part-of".to_string(), plan.deployment.clone()),
        ]));
    }
    NetworkPolicy { metadata, spec: Some(spec) }
}

/// Push every NetworkPolicy of the plan into `docs`.
pub fn emit_network(docs: &mut Docs, plan: &Plan) {
    if plan.services.is_empty() {
        return;
    }
    docs.push(&policy(
        plan,
        "default-deny",
        "",
        NetworkPolicySpec {
            pod_selector: Some(managed(plan)),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            ..NetworkPolicySpec::default()
        },
    ));
    let dns_pods = NetworkPolicyPeer {
        namespace_selector: Some(labels(&[("kubernetes.io/metadata.name", "kube-system")])),
        pod_selector: Some(labels(&[("k8s-app", "kube-dns")])),
        ..NetworkPolicyPeer::default()
    };
    docs.push(&policy(
        plan,
        "allow-dns",
        "",
        NetworkPolicySpec {
            pod_selector: Some(managed(plan)),
            policy_types: Some(vec!["Egress".into()]),
            egress: Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![dns_pods]),
                ports: Some(vec![
                    NetworkPolicyPort {
                        port: Some(IntOrString::Int(53)),
                        protocol: Some("UDP".into()),
                        ..NetworkPolicyPort::default()
                    },
                    tcp(53),
                ]),
            }]),
            ..NetworkPolicySpec::default()
        },
    ));
    let peers = Peers::new(plan);
    for service in &plan.services {
        docs.push(&service_policy(plan, &peers, service));
    }
}

/// Who calls whom, indexed once so that each policy is linear in its own peers rather than in
/// the number of services.
struct Peers<'p> {
    /// Index in `plan.services` by name.
    index: BTreeMap<&'p str, usize>,
    /// The services that `use` a service, in plan order, by its name.
    callers: BTreeMap<&'p str, Vec<&'p plan::Service>>,
}

impl<'p> Peers<'p> {
    fn new(plan: &'p Plan) -> Peers<'p> {
        let index = plan.services.iter().enumerate().map(|(i, s)| (s.name.as_str(), i)).collect();
        let mut callers: BTreeMap<&str, Vec<&plan::Service>> = BTreeMap::new();
        for service in &plan.services {
            let mut used: Vec<&str> = service.uses.iter().map(String::as_str).collect();
            used.sort_unstable();
            used.dedup();
            for name in used {
                callers.entry(name).or_default().push(service);
            }
        }
        Peers { index, callers }
    }

    /// The services `service` uses, in plan order, each once.
    fn used(&self, plan: &'p Plan, service: &plan::Service) -> Vec<&'p plan::Service> {
        let mut indices: Vec<usize> =
            service.uses.iter().filter_map(|name| self.index.get(name.as_str()).copied()).collect();
        indices.sort_unstable();
        indices.dedup();
        indices.into_iter().filter_map(|i| plan.services.get(i)).collect()
    }
}

fn ports_of(service: &plan::Service) -> Vec<NetworkPolicyPort> {
    service.ports.iter().map(|(_, n)| tcp(i32::from(*n))).collect()
}

fn service_policy<'p>(plan: &'p Plan, peers: &Peers<'p>, service: &plan::Service) -> NetworkPolicy {
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    if let (Some(route), Some(namespace)) = (&service.route, &plan.network.ingress_namespace) {
        ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![namespace_peer(namespace)]),
            ports: Some(vec![tcp(i32::from(route.port))]),
        });
    }
    let callers: &[&plan::Service] = peers.callers.get(service.name.as_str()).map_or(&[], Vec::as_slice);
    if !callers.is_empty() && !service.ports.is_empty() {
        ingress.push(NetworkPolicyIngressRule {
            from: Some(
                callers
                    .iter()
                    .map(|c| {
                        pods_peer(LabelSelector { match_labels: Some(selector(&c.name)), ..LabelSelector::default() })
                    })
                    .collect(),
            ),
            ports: Some(ports_of(service)),
        });
    }
    if let (Some(namespace), Some(metrics)) = (&plan.network.monitoring_namespace, &service.metrics) {
        ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![namespace_peer(namespace)]),
            ports: Some(vec![tcp(i32::from(metrics.number))]),
        });
    }
    for used in peers.used(plan, service).into_iter().filter(|s| !s.ports.is_empty()) {
        egress.push(NetworkPolicyEgressRule {
            to: Some(vec![pods_peer(LabelSelector {
                match_labels: Some(selector(&used.name)),
                ..LabelSelector::default()
            })]),
            ports: Some(ports_of(used)),
        });
    }
    if service.dapr.is_some() {
        let sidecars: Vec<NetworkPolicyPeer> = plan
            .services
            .iter()
            .filter(|s| s.dapr.is_some())
            .map(|s| pods_peer(LabelSelector { match_labels: Some(selector(&s.name)), ..LabelSelector::default() }))
            .collect();
        ingress.push(NetworkPolicyIngressRule {
            from: Some(sidecars.clone()),
            ports: Some(vec![tcp(DAPR_INTERNAL_PORT)]),
        });
        egress.push(NetworkPolicyEgressRule { to: Some(sidecars), ports: Some(vec![tcp(DAPR_INTERNAL_PORT)]) });
        if let Some(namespace) = &plan.network.dapr_namespace {
            egress.push(NetworkPolicyEgressRule { to: Some(vec![namespace_peer(namespace)]), ports: None });
        }
        if let Some(kafka) = &plan.kafka {
            egress.push(NetworkPolicyEgressRule {
                to: Some(vec![pods_peer(labels(&[("strimzi.io/cluster", &kafka.name)]))]),
                ports: Some(vec![tcp(9092)]),
            });
        }
    }
    for destination in &service.egress {
        let block = match (&destination.cidr, &destination.host) {
            (Some(cidr), _) => IPBlock { cidr: cidr.clone(), except: None },
            // A host's addresses are not known ahead of time: allow the public internet on its port.
            _ => IPBlock { cidr: "0.0.0.0/0".into(), except: Some(PRIVATE.iter().map(|s| s.to_string()).collect()) },
        };
        egress.push(NetworkPolicyEgressRule {
            to: Some(vec![NetworkPolicyPeer { ip_block: Some(block), ..NetworkPolicyPeer::default() }]),
            ports: destination.port.map(|p| vec![tcp(i32::from(p))]),
        });
    }
    let mut types = Vec::new();
    if !ingress.is_empty() {
        types.push("Ingress".to_string());
    }
    if !egress.is_empty() {
        types.push("Egress".to_string());
    }
    if types.is_empty() {
        // Nothing beyond the defaults: the policy still names the pod, so it is visibly covered.
        types.push("Ingress".to_string());
    }
    policy(
        plan,
        &format!("{}-allow", service.name),
        &service.name,
        NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector(&service.name)),
                ..LabelSelector::default()
            }),
            policy_types: Some(types),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        },
    )
}
