//! How the scan tied what every source saw into services: the joins and what joined
//! nothing.
//!
//! A service seen by a repository, a cluster and Prometheus is one service only because
//! some key matched; the result keeps which, so a person can check the match (and an
//! auditor can refuse it). Items no key tied to a service are listed, never dropped.

use serde::{Deserialize, Serialize};

/// One source item tied to a service, and the key that tied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceJoin {
    /// The capability that saw the item (`git`, `kubernetes`, `prometheus`).
    pub source: String,
    /// The item: a workload key, a catalog entry, a Prometheus job.
    pub item: String,
    /// The key that matched, strongest first in resolution's order: `catalog annotation
    /// backstage.io/kubernetes-id=web`, `config`, `image gcr.io/x/web`, `label
    /// app.kubernetes.io/part-of=web`, `name web (matched by name)`, `declared in
    /// repository shop`.
    pub by: String,
    /// Evidence of the item itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// A source item that joined no service, or that several services claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnresolvedItem {
    /// The capability that saw it.
    pub source: String,
    /// The item.
    pub item: String,
    /// Why it is not part of a service: ambiguous (with the candidates), unreadable,
    /// a system namespace, a hook naming no service.
    pub reason: String,
    /// Evidence of the item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}
