//! The vocabulary the checker, the plan and the backends share: value types that mean the
//! same in the typed model and in the plan (replica counts, success criteria, target setting
//! values, money and the cost estimate, the exceptions a file may write).
//!
//! It depends on nothing but `crate::source::Span`, so `check` and `lower` both build on it and
//! `emit` reads it without reaching into `check` (`check::model` re-exports these names).

use crate::source::Span;

/// Money per month in cents (an hourly rate is converted at 730 hours a month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    pub cents: u64,
}

/// A checked target setting value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Text(String),
    List(Vec<String>),
    Pairs(Vec<(String, String)>),
    Bool(bool),
    /// Day of the week (`saturday`) and start (`02:00`), UTC.
    Window {
        day: String,
        start: String,
    },
}

/// How a provider makes clusters: a managed service, k3s on servers, or on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Managed,
    K3s,
    Local,
}

/// The exceptions a file may write: name, the checkov checks each waives, what it does.
pub const EXCEPTIONS: &[(&str, &[&str], &str)] = &[
    (
        "run_as_root",
        &["CKV_K8S_23", "CKV_K8S_25", "CKV_K8S_40"],
        "the container may run as root, with the capabilities a root entrypoint needs to drop privileges",
    ),
    ("writable_root_fs", &["CKV_K8S_22"], "the container's root filesystem is writable"),
    ("secret_env", &["CKV_K8S_35"], "secrets are passed as environment variables instead of files"),
    ("image_tags", &["CKV_K8S_43"], "images are pinned by tag instead of by digest"),
    ("latest_tag", &[], "an image may use the `latest` tag or no tag"),
    (
        "image_user",
        &["CKV_K8S_40"],
        "the container runs as the image's own user, whose UID is below 10000, because its entrypoint needs that user",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicas {
    Fixed(u32),
    Range(u32, u32),
}

impl Replicas {
    pub fn min(self) -> u32 {
        match self {
            Replicas::Fixed(n) | Replicas::Range(n, _) => n,
        }
    }

    pub fn max(self) -> u32 {
        match self {
            Replicas::Fixed(n) | Replicas::Range(_, n) => n,
        }
    }
}

/// A success criterion.
#[derive(Debug, Clone)]
pub enum Criterion {
    NodesReady {
        within_seconds: u64,
    },
    Rollout {
        within_seconds: u64,
    },
    /// `span`: the URL as written.
    Http {
        url: String,
        status: u16,
        tls: HttpTls,
        within_seconds: u64,
        contains: Option<String>,
        span: Span,
    },
    Certificate {
        name: String,
        within_seconds: u64,
    },
    Teardown {
        cost: Money,
    },
}

/// A probe's `periodSeconds` and `timeoutSeconds` when the file sets none (the kubelet's own
/// defaults are 10 s and 1 s; one second is short for an app under load).
pub const PROBE_PERIOD_SECONDS: u32 = 10;
pub const PROBE_TIMEOUT_SECONDS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpTls {
    Valid,
    Insecure,
    None,
}

/// What the exception `name` does, in one sentence (empty for a name deployc does not know).
pub fn exception_effect(name: &str) -> &'static str {
    EXCEPTIONS.iter().find(|(n, _, _)| *n == name).map(|(_, _, what)| *what).unwrap_or("")
}

/// One line of the cost estimate.
#[derive(Debug, Clone)]
pub struct CostLine {
    pub what: String,
    pub at_count: u64,
    pub at_max: u64,
}

/// The monthly cost at the declared node counts and at the autoscaled maximum, in cents.
#[derive(Debug, Clone)]
pub struct Cost {
    pub lines: Vec<CostLine>,
    pub at_count: u64,
    pub at_max: u64,
}

/// A node pool as the cost estimate reads it.
#[derive(Debug, Clone, Copy)]
pub struct PoolPrice<'a> {
    pub pool: &'a str,
    pub size: &'a str,
    pub count: u32,
    /// The autoscaled maximum (the count when the pool does not autoscale).
    pub max: u32,
    pub price_cents: u64,
}

/// The monthly cost of `pools`, the control plane and, when the routes need one, the ingress
/// controller's load balancer. The one formula behind `check`'s budget (E0318, E0319), the
/// plan's `cost`, `deployc cost` and the runbook. The arithmetic saturates (see
/// `check::analysis`).
pub fn monthly_cost<'a>(
    pools: impl IntoIterator<Item = PoolPrice<'a>>,
    control_plane_cents: u64,
    load_balancer_cents: Option<u64>,
) -> Cost {
    let mut lines = Vec::new();
    for pool in pools {
        let max = pool.max.max(pool.count);
        lines.push(CostLine {
            what: format!("pool {} ({} × {} at {}/mo)", pool.pool, pool.count, pool.size, dollars(pool.price_cents)),
            at_count: pool.price_cents.saturating_mul(u64::from(pool.count)),
            at_max: pool.price_cents.saturating_mul(u64::from(max)),
        });
    }
    if control_plane_cents > 0 {
        lines.push(CostLine {
            what: "control plane".into(),
            at_count: control_plane_cents,
            at_max: control_plane_cents,
        });
    }
    if let Some(c) = load_balancer_cents {
        lines.push(CostLine { what: "load balancer of the ingress controller".into(), at_count: c, at_max: c });
    }
    let at_count = lines.iter().fold(0u64, |sum, l| sum.saturating_add(l.at_count));
    let at_max = lines.iter().fold(0u64, |sum, l| sum.saturating_add(l.at_max));
    Cost { lines, at_count, at_max }
}

/// `≥` before an amount that saturated: at least that much.
pub fn at_least(amount: u64) -> &'static str {
    if amount == u64::MAX { "≥" } else { "" }
}

/// Dollars from cents: `$24`, `$4.59`.
pub fn dollars(cents: u64) -> String {
    let at_least = at_least(cents);
    if cents.is_multiple_of(100) {
        format!("{at_least}${}", cents / 100)
    } else {
        format!("{at_least}${}.{:02}", cents / 100, cents % 100)
    }
}

/// One environment of a deployment (`environment NAME { … }`): which it is, and the cluster
/// it shares with others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// The environments on this one's cluster (this one included), in the order written: the
    /// first provisions and tears the cluster down for all of them.
    pub cluster_group: Vec<String>,
    /// Some environment on this cluster routes through an ingress controller, so the cluster
    /// has its load balancer (and each environment's cost counts it), whichever declares it.
    pub cluster_load_balancer: bool,
    /// The cluster issuers an earlier environment on this cluster writes: this one's manifests
    /// leave them out, so that each cluster-scoped object has one owner (one Argo CD
    /// Application, one `kubectl delete -k`); E0208 has checked that the definitions agree.
    pub issuers_elsewhere: Vec<String>,
    /// An earlier environment on this cluster writes the ServiceMonitor of the cluster's
    /// cert-manager (in cert-manager's namespace): this one leaves it out, as it does the issuers.
    pub cert_manager_monitor_elsewhere: bool,
}

impl Environment {
    /// The environment that provisions and tears down this one's cluster (itself, or the
    /// first environment written on the same target).
    pub fn cluster_owner(&self) -> &str {
        self.cluster_group.first().map(String::as_str).unwrap_or(&self.name)
    }

    /// Whether this environment provisions its cluster (it comes first on its target).
    pub fn owns_cluster(&self) -> bool {
        self.cluster_owner() == self.name
    }
}

/// A service-level objective (`slo availability { … }`, `slo latency { … }`): what the checker
/// reads, the plan carries and the backends turn into recording rules, alerts and the runbook's
/// error budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slo {
    pub kind: SloKind,
    /// The objective as a ratio, exactly as written: `99.9%` is `Decimal { units: 999, scale: 3 }`.
    pub objective: Decimal,
    /// The window the objective holds over, in whole days (30 unless `window` is set).
    pub window_days: u32,
    /// The metric, without the `_bucket`/`_count` suffix for a latency objective.
    pub metric: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SloKind {
    /// The share of requests answered without a 5xx status (the metric's `code` label).
    Availability,
    /// The share of requests faster than `threshold`: the histogram bucket `le` it reads, as
    /// Prometheus 3 stores it (`0.3`, `1.0`).
    Latency { threshold: Decimal },
}

/// The default counter of an availability objective, with a `code` label (the Prometheus
/// client libraries' and the instrumentation guide's convention, notes/slo-research.md §2).
pub const SLO_REQUESTS_METRIC: &str = "http_requests_total";
/// The default histogram of a latency objective (`_bucket` and `_count` series).
pub const SLO_DURATION_METRIC: &str = "http_request_duration_seconds";
/// The default objective window.
pub const SLO_WINDOW_DAYS: u32 = 30;
/// The windows an objective may have, in days: the longest alert window (3 days) must fit in
/// it at least twice, and Prometheus keeps 10 days by default but a quarter is the longest
/// window reviews use (notes/slo-research.md §1).
pub const SLO_WINDOW_RANGE_DAYS: (u32, u32) = (7, 90);

/// One row of the Google SRE workbook's multi-window, multi-burn-rate alerts ("Alerting on
/// SLOs", the final recommendation; notes/slo-research.md §1): the alert fires while the error
/// ratio over both windows exceeds `burn_rate` times the error budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurnRateTier {
    /// `page` (the fast-burn alert) or `ticket` (the slow-burn alert).
    pub severity: &'static str,
    /// The long window, in Prometheus duration syntax.
    pub long: &'static str,
    /// The short window, 1/12 of the long one.
    pub short: &'static str,
    /// The burn rate, as the workbook writes it.
    pub burn_rate: &'static str,
}

/// The workbook's four tiers, in its order: two that page, two that open a ticket.
pub const BURN_RATE_TIERS: [BurnRateTier; 4] = [
    BurnRateTier { severity: "page", long: "1h", short: "5m", burn_rate: "14.4" },
    BurnRateTier { severity: "page", long: "6h", short: "30m", burn_rate: "6" },
    BurnRateTier { severity: "ticket", long: "1d", short: "2h", burn_rate: "3" },
    BurnRateTier { severity: "ticket", long: "3d", short: "6h", burn_rate: "1" },
];

/// A non-negative decimal held exactly: `units / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub units: u64,
    pub scale: u32,
}

impl Decimal {
    /// The decimal a number's text spells (`99.9`, `300`), or `None` past 12 digits.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && fraction.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if whole.len() + fraction.len() > 12 {
            return None;
        }
        let digits = format!("{whole}{fraction}");
        let units = digits.parse().ok()?;
        Some(Decimal { units, scale: u32::try_from(fraction.len()).ok()? }.trimmed())
    }

    /// `self / 10^shift`, exactly.
    pub fn shifted(self, shift: u32) -> Decimal {
        Decimal { units: self.units, scale: self.scale + shift }.trimmed()
    }

    /// `self * factor`, exactly (`None` on overflow).
    pub fn times(self, factor: u64) -> Option<Decimal> {
        Some(Decimal { units: self.units.checked_mul(factor)?, scale: self.scale }.trimmed())
    }

    /// `1 - self` for a ratio below 1.
    pub fn complement(self) -> Option<Decimal> {
        let one = 10u64.checked_pow(self.scale)?;
        Some(Decimal { units: one.checked_sub(self.units)?, scale: self.scale }.trimmed())
    }

    /// Whether the decimal is below `1`.
    pub fn below_one(self) -> bool {
        10u64.checked_pow(self.scale).is_none_or(|one| self.units < one)
    }

    fn trimmed(mut self) -> Decimal {
        while self.scale > 0 && self.units.is_multiple_of(10) {
            self.units /= 10;
            self.scale -= 1;
        }
        self
    }

    /// The shortest text (`0.001`, `43.2`, `3`).
    pub fn text(self) -> String {
        let digits = self.units.to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return digits;
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        format!("{whole}.{fraction}")
    }

    /// The text with at least one decimal (`1.0`, `0.25`): how Prometheus 3 writes a
    /// histogram's `le` label (notes/slo-research.md §3).
    pub fn float_text(self) -> String {
        let text = self.text();
        if text.contains('.') { text } else { format!("{text}.0") }
    }
}

impl Slo {
    /// The error budget: `1 - objective`.
    pub fn budget(&self) -> Decimal {
        self.objective.complement().unwrap_or(Decimal { units: 0, scale: 0 })
    }

    /// The error budget in minutes over the window (`43.2` for 99.9% over 30 days).
    pub fn budget_minutes(&self) -> String {
        self.budget().times(u64::from(self.window_days) * 1440).map(Decimal::text).unwrap_or_default()
    }

    /// `availability` or `latency`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            SloKind::Availability => "availability",
            SloKind::Latency { .. } => "latency",
        }
    }
}

/// An alert's `severity` label: the three kube-prometheus-stack 77.13.0's default inhibit
/// rules know (critical silences warning and info; notes/observability-research.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    /// The label value.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The severity a label value names.
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// An alert written in the file (`alert NAME { … }` in the `prometheus` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAlert {
    pub name: String,
    /// The PromQL condition, as written.
    pub expr: String,
    /// How long it must hold before the alert fires; `None` fires at once.
    pub for_seconds: Option<u64>,
    pub severity: Severity,
    pub summary: String,
    pub description: String,
}

/// A key of a Secret in the deployment's namespace (`secret(NAME, KEY)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRef {
    pub secret: String,
    pub key: String,
}

/// Where a receiver sends its notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A Slack incoming webhook, whose URL is the credential.
    Slack { channel: String, url: SecretKeyRef },
    /// E-mail through an SMTP server (`host:port`); a password only with a username.
    Email { to: String, from: String, smarthost: String, username: Option<String>, password: Option<SecretKeyRef> },
    /// An HTTP POST of Alertmanager's webhook payload; the URL may hold a token, so it is a secret.
    Webhook { url: SecretKeyRef },
}

impl Destination {
    /// `slack`, `email` or `webhook`: the block's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Slack { .. } => "slack",
            Destination::Email { .. } => "email",
            Destination::Webhook { .. } => "webhook",
        }
    }
}

/// A receiver (`receiver NAME { … }`): the severities it is sent and where to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub name: String,
    pub severities: Vec<Severity>,
    pub destinations: Vec<Destination>,
}

/// Whether an image reference names its registry: its first path segment has a `.` or `:`,
/// or is `localhost` (Docker's rule; `acme/api` is on Docker Hub).
pub fn names_registry(image: &str) -> bool {
    image.split_once('/').is_some_and(|(first, _)| first.contains('.') || first.contains(':') || first == "localhost")
}

/// How the pipeline lands the rebuilt output and lock on the release branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// A pull request from a branch of its own, reviewed and merged by a person.
    PullRequest,
    /// A commit pushed to the branch directly.
    Commit,
}

/// `pipeline github { … }` as the plan carries it: the CI workflow deployc writes (issue 19).
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The `.deploy` file's directory in the repository (`deploy/todo`; empty for the root).
    pub directory: String,
    /// The build output, relative to the `.deploy` file's directory (`out`).
    pub output: String,
    /// The branch that releases (`main`).
    pub branch: String,
    pub release: Release,
    /// The severities that fail the image scan, as trivy's `--severity` takes them.
    pub scan: String,
    /// Where CI installs deployc from: a git repository at a commit.
    pub deployc_git: String,
    pub deployc_rev: String,
}
