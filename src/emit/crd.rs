//! Custom resources as typed structs, serialised like `k8s-openapi` objects (camelCase,
//! `apiVersion` and `kind` first). Each is validated against its CRD schema by
//! `../shared/tools/validate-output` in the golden tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

/// cert-manager.io/v1 ClusterIssuer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuer {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    pub spec: ClusterIssuerSpec,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIssuerSpec {
    pub acme: AcmeIssuer,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcmeIssuer {
    pub email: String,
    pub server: String,
    pub private_key_secret_ref: SecretKeySelector,
    pub solvers: Vec<AcmeSolver>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretKeySelector {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AcmeSolver {
    pub http01: Http01Solver,
}

#[derive(Debug, Clone, Serialize)]
pub struct Http01Solver {
    pub ingress: Http01Ingress,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Http01Ingress {
    pub ingress_class_name: String,
}

impl ClusterIssuer {
    pub fn new(metadata: ObjectMeta, spec: ClusterIssuerSpec) -> Self {
        ClusterIssuer { api_version: "cert-manager.io/v1", kind: "ClusterIssuer", metadata, spec }
    }
}

/// kustomize.config.k8s.io/v1beta1 Kustomization: the apply order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub resources: Vec<String>,
}

impl Kustomization {
    pub fn new(resources: Vec<String>) -> Self {
        Kustomization { api_version: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources }
    }
}
