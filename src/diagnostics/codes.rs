//! The code registry: every diagnostic code, its title, its phase and its explain page.
//!
//! Codes are never reused or renumbered. The hundreds digit names the phase:
//! E01xx syntax, E02xx names and structure (resolve), E03xx types and checks.

/// One registered code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub title: &'static str,
    pub phase: &'static str,
    pub explanation: &'static str,
}

/// A registered code: only this module makes one, so a call site cannot name a code that is
/// not in the registry (a typo does not compile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(&'static str);

impl Code {
    /// The code's text (`E0301`).
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Warnings are the `W` codes of the registry; everything else is an error.
    pub fn is_warning(self) -> bool {
        lookup(self.0).is_some_and(|info| info.severity == "warning")
    }
}

macro_rules! codes {
    ($( $code:ident, $severity:literal, $phase:literal, $title:literal; )*) => {
        /// Every code `deployc` can emit, in order.
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: stringify!($code),
                severity: $severity,
                title: $title,
                phase: $phase,
                explanation: include_str!(concat!("explain/", stringify!($code), ".md")),
            }, )*
        ];
        $(
            #[doc = $title]
            pub const $code: Code = Code(stringify!($code));
        )*
    };
}

codes! {
    E0101, "error", "syntax", "syntax error";
    E0102, "error", "syntax", "source file is not UTF-8";
    E0103, "error", "syntax", "invisible control or bidirectional character";
    E0201, "error", "resolve", "unknown attribute or block";
    E0202, "error", "resolve", "duplicate definition";
    E0203, "error", "resolve", "undefined name";
    E0204, "error", "resolve", "cannot import file";
    E0205, "error", "resolve", "no deployment to build";
    E0206, "error", "resolve", "block without a name";
    E0207, "error", "resolve", "two environments in one namespace of one cluster";
    E0208, "error", "resolve", "environments on one cluster install a component differently";
    E0301, "error", "types", "wrong type";
    E0302, "error", "types", "missing required attribute";
    E0303, "error", "types", "not offered by the provider";
    E0304, "error", "types", "request greater than limit";
    E0305, "error", "types", "range minimum above maximum";
    E0306, "error", "types", "probe on a port the service does not expose";
    E0307, "error", "types", "route host outside the domain";
    E0308, "error", "types", "TLS route without a certificate source";
    E0309, "error", "types", "Dapr sidecar without Dapr in the stack";
    E0310, "error", "types", "secret value written in the file";
    E0311, "error", "types", "route without an ingress controller";
    E0312, "error", "types", "disruption budget blocks every eviction";
    E0313, "error", "types", "name is not a valid Kubernetes name";
    E0314, "error", "types", "value out of range";
    E0315, "error", "types", "dependency cycle in the stack";
    E0316, "error", "types", "image not pinned";
    E0317, "error", "analysis", "workload does not fit the node pools";
    E0318, "error", "analysis", "pod larger than any node";
    E0319, "error", "analysis", "cost over budget";
    E0320, "error", "types", "external secret without External Secrets in the stack";
    E0321, "error", "types", "image started without what its entrypoint requires";
    E0322, "error", "types", "app port taken by an injected sidecar";
    E0323, "error", "types", "image pulled from localhost on a local cluster";
    E0324, "error", "types", "Kubernetes version past its end of life";
    E0325, "error", "types", "Let's Encrypt certificate on a local cluster";
    E0326, "error", "types", "certificate check that can never pass";
    E0327, "error", "types", "localhost route where the load balancer is not on localhost";
    E0328, "error", "types", "text not in the form the attribute takes";
    E0329, "error", "types", "not an environment variable name";
    E0330, "error", "types", "exception without a reason";
    E0331, "error", "types", "node pool does not split evenly over the zones";
    E0332, "error", "types", "objective not between 0% and 100%";
    E0333, "error", "types", "objective on metrics nothing scrapes";
    E0334, "error", "types", "objective window out of range";
    E0335, "error", "types", "unknown alert severity";
    E0336, "error", "types", "alert expression is not PromQL";
    E0337, "error", "types", "alert named like a built-in alert";
    E0338, "error", "types", "receiver without a destination";
    E0339, "error", "types", "alert credential written in the file";
    E0340, "error", "types", "malformed line in the image lock";
    E0341, "error", "types", "malformed digest in the image lock";
    E0342, "error", "types", "image locked twice";
    E0343, "error", "types", "lock entry for an image no service runs";
    E0344, "error", "types", "image pinned to two digests";
    E0360, "error", "types", "pipeline path outside the repository";
    E0361, "error", "types", "deployc for CI not pinned to a commit";
    E0362, "error", "types", "not a branch name";
    E0363, "error", "types", "pipeline releases where Argo CD does not look";
    E0501, "error", "emit", "internal error while writing the output";
    W0301, "warning", "types", "image tag is not a pinned version";
    W0302, "warning", "types", "deprecated component";
    W0303, "warning", "types", "component already bundled by the provider";
    W0304, "warning", "analysis", "workload fits only after the autoscaler adds nodes";
    W0305, "warning", "analysis", "cost over budget at maximum scale";
    W0306, "warning", "types", "secrets reach the app as files";
    W0307, "warning", "types", "Kubernetes version near its end of life";
    W0308, "warning", "types", "provider prices older than 180 days";
    W0309, "warning", "analysis", "rollout at maximum scale does not fit the node pools";
    W0310, "warning", "types", "probe timeout longer than its period";
    W0311, "warning", "types", "image built from source has no digest in the lock";
    W0312, "warning", "types", "image pinned by tag has no digest in the lock";
    W0318, "warning", "types", "CI cannot push to a registry on this machine";
}

/// The registry entry for `code` (case-insensitive).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|info| info.code.eq_ignore_ascii_case(code))
}
