//! One extraction of facts from Kubernetes objects.
//!
//! A Deployment read from a manifest in a repository and the same Deployment read from a
//! live cluster must yield the same facts, or the two probes would disagree about the same
//! service. Both call [`extract`].
//!
//! (Skeleton: the types and the function's signature are the contract; see
//! `docs/facts.md`. The extraction itself is being written.)

use serde::Serialize;
use std::collections::BTreeMap;

/// A Kubernetes object as JSON, with the id of the evidence record that shows it
/// (file and lines for a manifest, `kind/ns/name@resourceVersion` for a live object).
#[derive(Debug, Clone)]
pub struct SourcedObject {
    /// The object, as `kubectl get -o json` or a YAML manifest converted to JSON shows it.
    pub object: serde_json::Value,
    /// Evidence id that points at where the object was read.
    pub evidence: String,
}

/// Everything [`extract`] learned from a set of objects, shaped as `docs/facts.md` says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClusterFacts {
    /// Workloads keyed by `Kind/namespace/name`.
    pub workloads: BTreeMap<String, serde_json::Value>,
    /// Services keyed by `Service/namespace/name`.
    pub services: BTreeMap<String, serde_json::Value>,
    /// PodDisruptionBudgets keyed by `PodDisruptionBudget/namespace/name`.
    pub pdbs: BTreeMap<String, serde_json::Value>,
    /// HPAs keyed by `HorizontalPodAutoscaler/namespace/name`.
    pub hpas: BTreeMap<String, serde_json::Value>,
    /// Keys of pods no controller owns.
    pub bare_pods: Vec<String>,
    /// Alerting and recording rules from PrometheusRule objects.
    pub prometheus_rules: Vec<serde_json::Value>,
}

/// Extracts facts from objects (skeleton: returns nothing yet).
pub fn extract(objects: &[SourcedObject]) -> ClusterFacts {
    let _ = objects;
    ClusterFacts::default()
}
