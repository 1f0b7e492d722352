//! The standard library: providers, components and image contracts written in the `.deploy` language,
//! embedded in the binary and shown in diagnostics as `<stdlib/NAME.deploy>`.

/// Every embedded stdlib file: (pseudo-path, source).
pub static FILES: &[(&str, &str)] = &[
    ("providers/aks.deploy", include_str!("../stdlib/providers/aks.deploy")),
    ("providers/doks.deploy", include_str!("../stdlib/providers/doks.deploy")),
    ("providers/eks.deploy", include_str!("../stdlib/providers/eks.deploy")),
    ("providers/gke.deploy", include_str!("../stdlib/providers/gke.deploy")),
    ("providers/hetzner.deploy", include_str!("../stdlib/providers/hetzner.deploy")),
    ("providers/k3d.deploy", include_str!("../stdlib/providers/k3d.deploy")),
    ("providers/kind.deploy", include_str!("../stdlib/providers/kind.deploy")),
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
    ("images/mariadb.deploy", include_str!("../stdlib/images/mariadb.deploy")),
    ("images/mongo.deploy", include_str!("../stdlib/images/mongo.deploy")),
    ("images/mysql.deploy", include_str!("../stdlib/images/mysql.deploy")),
    ("images/nginx.deploy", include_str!("../stdlib/images/nginx.deploy")),
    ("images/nginx-unprivileged.deploy", include_str!("../stdlib/images/nginx-unprivileged.deploy")),
    ("images/postgres.deploy", include_str!("../stdlib/images/postgres.deploy")),
    ("images/rabbitmq.deploy", include_str!("../stdlib/images/rabbitmq.deploy")),
    ("images/redis.deploy", include_str!("../stdlib/images/redis.deploy")),
    ("images/valkey.deploy", include_str!("../stdlib/images/valkey.deploy")),
];

/// The parts of a provider's script templates (`stdlib/providers/<set>/<part>.hbs`), each a
/// handlebars partial of the shared scripts.
/// `inventory` runs in teardown before anything is deleted and records what the cluster made,
/// so that `leftovers` checks exactly those and never the rest of the account. `dns` runs in
/// deploy.sh once the load balancer has its address (`$lb_address`, the hosts in
/// `route_hosts`), for a provider that keeps the routes' records.
pub const TEMPLATE_PARTS: [&str; 7] = ["preflight", "provision", "deploy", "inventory", "delete", "leftovers", "dns"];

macro_rules! template_sets {
    ($($set:literal),* $(,)?) => {
        /// Embedded script-template sets: (set, part, handlebars source).
        pub static PROVIDER_TEMPLATES: &[(&str, &str, &str)] = &[
            $(
                ($set, "preflight", include_str!(concat!("../stdlib/providers/", $set, "/preflight.hbs"))),
                ($set, "provision", include_str!(concat!("../stdlib/providers/", $set, "/provision.hbs"))),
                ($set, "deploy", include_str!(concat!("../stdlib/providers/", $set, "/deploy.hbs"))),
                ($set, "inventory", include_str!(concat!("../stdlib/providers/", $set, "/inventory.hbs"))),
                ($set, "delete", include_str!(concat!("../stdlib/providers/", $set, "/delete.hbs"))),
                ($set, "leftovers", include_str!(concat!("../stdlib/providers/", $set, "/leftovers.hbs"))),
                ($set, "dns", include_str!(concat!("../stdlib/providers/", $set, "/dns.hbs"))),
            )*
        ];
    };
}

template_sets!["aks", "doks", "eks", "gke", "hetzner", "k3d", "kind"];

/// The stdlib file that defines the provider `name`, if the stdlib has one.
pub fn provider_file(name: &str) -> Option<&'static str> {
    let wanted = format!("providers/{name}.deploy");
    FILES.iter().map(|(path, _)| *path).find(|path| *path == wanted)
}

/// The source of one template part, if the set exists.
pub fn provider_template(set: &str, part: &str) -> Option<&'static str> {
    PROVIDER_TEMPLATES.iter().find(|(s, p, _)| *s == set && *p == part).map(|(_, _, text)| *text)
}
