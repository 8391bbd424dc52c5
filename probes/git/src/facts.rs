//! The shapes this probe emits, exactly as docs/facts.md defines them.
//!
//! Kept apart from the parsers so that the contract with the rules can be read (and
//! reviewed against the document) in one place.

use crate::ci::CiFacts;
use serde::Serialize;
use std::collections::BTreeMap;

/// A file the probe wanted but could not use, and why. Rules read these to say
/// `unknown` rather than `not_met` when the file that would decide was unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// A file recognised by path or content: `{ path, tool, evidence }`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InventoryEntry {
    pub path: String,
    pub tool: String,
    pub evidence: String,
}

/// `Repo.inventory`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Inventory {
    pub config_as_code: Vec<InventoryEntry>,
    pub dependency_updates: Vec<InventoryEntry>,
    pub api_definitions: Vec<InventoryEntry>,
    pub contracts: Vec<InventoryEntry>,
    pub migrations: Vec<InventoryEntry>,
    pub runbooks: Vec<InventoryEntry>,
    pub soap_esb: Vec<InventoryEntry>,
    pub deploy_scripts: Vec<InventoryEntry>,
    pub ops_as_code: Vec<InventoryEntry>,
}

/// A Helm chart. Its templates are not rendered (that needs Helm and the values a
/// release uses), so what they would produce is unknown; the chart and its values files
/// are reported so a reader knows what was left unjudged.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HelmChart {
    pub path: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub app_version: Option<String>,
    pub values_files: Vec<String>,
    /// Top-level keys of the chart's `values.yaml`.
    pub values_keys: Vec<String>,
    pub templates: usize,
    pub rendered: bool,
    pub evidence: String,
}

/// A Kubernetes-project style OWNERS file (`approvers`, `reviewers`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct OwnersFile {
    pub path: String,
    pub approvers: Vec<String>,
    pub reviewers: Vec<String>,
    pub evidence: String,
}

/// One Dockerfile.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Dockerfile {
    pub path: String,
    pub healthcheck: bool,
    pub base_images: Vec<String>,
    pub user: Option<String>,
    pub evidence: String,
}

/// One service of a compose file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ComposeService {
    pub name: String,
    pub healthcheck: bool,
    pub restart: Option<String>,
    /// The image it runs, when named: resolution ties a compose service to the service
    /// that runs the same image.
    pub image: Option<String>,
}

/// One compose file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ComposeFile {
    pub path: String,
    pub services: Vec<ComposeService>,
    pub evidence: String,
}

/// One CODEOWNERS rule.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CodeownersRule {
    pub pattern: String,
    pub owners: Vec<String>,
    pub line: u32,
}

/// The CODEOWNERS file GitHub would use.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Codeowners {
    pub path: String,
    pub default_owners: Vec<String>,
    pub rules: Vec<CodeownersRule>,
    pub evidence: String,
}

/// One Backstage catalog entity.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CatalogEntry {
    pub name: String,
    pub kind: String,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub annotations: BTreeMap<String, String>,
    /// `User` entities: `evident_oncall::email_key` of `spec.profile.email`, the join
    /// key to on-call users; the address itself is never written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    /// `Group` entities: `spec.members` (User entity references), the team's members.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    pub evidence: String,
}

/// `facts.git.repos[key]`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RepoFacts {
    pub key: String,
    pub root: String,
    pub head: Option<String>,
    pub default_branch: Option<String>,
    pub ci: CiFacts,
    pub dockerfiles: Vec<Dockerfile>,
    pub compose_files: Vec<ComposeFile>,
    pub inventory: Inventory,
    pub codeowners: Option<Codeowners>,
    pub owners_files: Vec<OwnersFile>,
    pub helm_charts: Vec<HelmChart>,
    pub catalog: Vec<CatalogEntry>,
    /// Grafana dashboards kept as code, reduced by the grafana crate's extraction.
    pub dashboards: Vec<serde_json::Value>,
    pub unreadable: Vec<Unreadable>,
}
