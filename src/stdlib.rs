//! The standard library: providers and components written in the `.deploy` language,
//! embedded in the binary and shown in diagnostics as `<stdlib/NAME.deploy>`.

/// Every embedded stdlib file: (pseudo-path, source).
pub static FILES: &[(&str, &str)] = &[
    ("providers/aks.deploy", include_str!("../stdlib/providers/aks.deploy")),
    ("providers/doks.deploy", include_str!("../stdlib/providers/doks.deploy")),
    ("providers/hetzner.deploy", include_str!("../stdlib/providers/hetzner.deploy")),
    ("providers/k3d.deploy", include_str!("../stdlib/providers/k3d.deploy")),
    ("components/argo-cd.deploy", include_str!("../stdlib/components/argo-cd.deploy")),
    ("components/argo-rollouts.deploy", include_str!("../stdlib/components/argo-rollouts.deploy")),
    ("components/cert-manager.deploy", include_str!("../stdlib/components/cert-manager.deploy")),
    ("components/cloudnative-pg.deploy", include_str!("../stdlib/components/cloudnative-pg.deploy")),
    ("components/dapr.deploy", include_str!("../stdlib/components/dapr.deploy")),
    ("components/external-secrets.deploy", include_str!("../stdlib/components/external-secrets.deploy")),
    ("components/ingress-nginx.deploy", include_str!("../stdlib/components/ingress-nginx.deploy")),
    ("components/kafka.deploy", include_str!("../stdlib/components/kafka.deploy")),
    ("components/metrics-server.deploy", include_str!("../stdlib/components/metrics-server.deploy")),
    ("components/prometheus.deploy", include_str!("../stdlib/components/prometheus.deploy")),
    ("components/redis.deploy", include_str!("../stdlib/components/redis.deploy")),
    ("components/traefik.deploy", include_str!("../stdlib/components/traefik.deploy")),
];
