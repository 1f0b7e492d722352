//! The code registry: every diagnostic code, its title, its phase and its explain page.
//!
//! Codes are never reused or renumbered. The hundreds digit names the phase:
//! E01xx syntax, E02xx names and structure (resolve), E03xx types and checks.

/// One registered code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    pub phase: &'static str,
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $code:literal, $phase:literal, $title:literal; )*) => {
        /// Every code `deployc` can emit, in order.
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: $code,
                title: $title,
                phase: $phase,
                explanation: include_str!(concat!("explain/", $code, ".md")),
            }, )*
        ];
    };
}

codes! {
    "E0101", "syntax", "syntax error";
    "E0102", "syntax", "source file is not UTF-8";
    "E0103", "syntax", "invisible control or bidirectional character";
    "E0201", "resolve", "unknown attribute or block";
    "E0202", "resolve", "duplicate definition";
    "E0203", "resolve", "undefined name";
    "E0204", "resolve", "cannot import file";
    "E0205", "resolve", "no deployment to build";
    "E0301", "types", "wrong type";
    "E0302", "types", "missing required attribute";
    "E0303", "types", "not offered by the provider";
    "E0304", "types", "request greater than limit";
    "E0305", "types", "range minimum above maximum";
    "E0306", "types", "probe on a port the service does not expose";
    "E0307", "types", "route host outside the domain";
    "E0308", "types", "TLS route without a certificate source";
    "E0309", "types", "Dapr sidecar without Dapr in the stack";
    "E0310", "types", "secret value written in the file";
    "E0311", "types", "route without an ingress controller";
    "E0312", "types", "disruption budget blocks every eviction";
    "E0313", "types", "name is not a valid Kubernetes name";
    "E0314", "types", "value out of range";
    "E0315", "types", "dependency cycle in the stack";
    "E0316", "types", "image not pinned";
    "E0317", "analysis", "workload does not fit the node pools";
    "E0318", "analysis", "pod larger than any node";
    "E0319", "analysis", "cost over budget";
    "E0320", "types", "external secret without External Secrets in the stack";
    "E0321", "types", "image started without what its entrypoint requires";
    "E0322", "types", "app port taken by an injected sidecar";
    "E0323", "types", "image pulled from localhost on a local cluster";
    "E0324", "types", "Kubernetes version past its end of life";
    "E0325", "types", "Let's Encrypt certificate on a local cluster";
    "E0326", "types", "certificate check that can never pass";
    "E0327", "types", "localhost route where the load balancer is not on localhost";
    "E0501", "emit", "internal error while writing the output";
    "W0301", "types", "image tag is not a pinned version";
    "W0302", "types", "deprecated component";
    "W0303", "types", "component already bundled by the provider";
    "W0304", "analysis", "workload fits only after the autoscaler adds nodes";
    "W0305", "analysis", "cost over budget at maximum scale";
    "W0306", "types", "secrets reach the app as files";
    "W0307", "types", "Kubernetes version near its end of life";
    "W0308", "types", "provider prices older than 180 days";
}

/// The registry entry for `code` (case-insensitive).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|info| info.code.eq_ignore_ascii_case(code))
}
