//! The scan result: one versioned JSON document that every renderer, the store and the
//! evidence bundle work from.
//!
//! It is self-describing (it carries the criteria it judged and the evidence it cites) so
//! that `evident report` can render it years later without the models or the systems.

use crate::evidence::Evidence;
use crate::probe::SourceReport;
use crate::status::Status;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The value of the `schema` field; bumped only with an incompatible change, so scripts
/// can refuse documents they do not understand.
pub const SCAN_RESULT_SCHEMA: &str = "evident/scan-result/v1";

/// One scan, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanResult {
    /// Always [`SCAN_RESULT_SCHEMA`].
    pub schema: String,
    /// When, what and with which tool.
    pub scan: ScanInfo,
    /// How every source answered.
    pub sources: Vec<SourceReport>,
    /// The services the scan found, with their owners.
    pub services: Vec<Service>,
    /// The criteria judged, with their metadata, keyed by criterion id.
    pub criteria: BTreeMap<String, CriterionInfo>,
    /// One verdict per model × criterion × service.
    pub results: Vec<CriterionResult>,
    /// Attained levels per model × service.
    pub levels: Vec<LevelReport>,
    /// Every evidence record, keyed by id.
    pub evidence: BTreeMap<String, Evidence>,
    /// What could not be read (a file that is not YAML, a file over the size limit, a
    /// symlink out of the repository), and where, so nothing is lost silently.
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
    /// Source items that joined no service (or that several claim), so nothing a source
    /// showed is dropped without a word.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<crate::resolution::UnresolvedItem>,
}

/// One thing a probe could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    /// The probe that tried.
    pub probe: String,
    /// The source (repository path, API base URL).
    pub source: String,
    /// The file or object inside the source.
    pub location: String,
    /// What went wrong, with the line when there is one.
    pub reason: String,
}

/// When and with what a scan ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanInfo {
    /// Unique id of this scan.
    pub id: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// Tool name and version, so a result can be traced to the rules that produced it.
    pub tool: ToolInfo,
    /// What was scanned, as given.
    pub targets: Vec<String>,
    /// Whether `manual` criteria gated levels (`--strict`).
    pub strict: bool,
    /// Policy directories loaded on top of the built-in models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// The tool that produced a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `evident` for results this project writes.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// A unit of assessment: one deployable application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Stable id (the resolved service name).
    pub id: String,
    /// Owning team, when one could be resolved.
    pub team: Option<String>,
    /// Where the owner was read from (`catalog-info.yaml`, `CODEOWNERS`, a label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_source: Option<String>,
    /// How the service was recognised (catalog entry, workload label, repository).
    pub resolved_from: String,
    /// Evidence ids for where it was found.
    pub found_in: Vec<String>,
    /// Where it runs: `cluster/namespace` of each live workload (one service deployed to
    /// several clusters or namespaces has several environments).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Every source item tied to it, and by which key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<crate::resolution::ServiceJoin>,
}

/// Metadata of one criterion, carried into the result so renderers need no model files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionInfo {
    /// The model it belongs to.
    pub model: String,
    /// The seed text it is based on.
    pub title: String,
    /// Level number, for leveled models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// Dimension (DevOps, Process, Culture, ...).
    pub dimension: String,
    /// `service`, `team` or `estate`.
    pub scope: String,
    /// `direct`, `proxy` or `none`.
    pub observability: String,
    /// What makes it met, in plain words.
    pub met_when: String,
    /// What to do when it is not met.
    pub remediation: String,
}

/// The verdict on one criterion for one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// Model id.
    pub model: String,
    /// Criterion id.
    pub criterion: String,
    /// Service id.
    pub service: String,
    /// The verdict.
    pub status: Status,
    /// For `unknown`: the source status that caused it (`not_configured`, `error`, ...);
    /// for `attested`: `attestation`; otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// One line a person reads first.
    pub summary: String,
    /// Evidence ids that support the verdict.
    pub evidence: Vec<String>,
    /// What is missing for `met` (containers without probes, parts not shown).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// Level attainment for one service in one leveled model (or the practice profile of an
/// unleveled one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelReport {
    /// Model id.
    pub model: String,
    /// Service id.
    pub service: String,
    /// Highest level attained without leap-frogging; `None` for unleveled models.
    pub attained: Option<u8>,
    /// Name of the attained level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attained_name: Option<String>,
    /// The level after `attained`, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u8>,
    /// True when the next level is blocked only by `unknown` criteria: it may already be
    /// attained, evident just could not see.
    pub next_undetermined: bool,
    /// What stands between the service and the next level.
    pub blocked_by: Blockers,
    /// Share of criteria met, per level (or per dimension for unleveled models).
    pub shares: Vec<LevelShare>,
}

/// The criteria that keep a service from its next level, split by why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blockers {
    /// Criteria with evidence that they are not met.
    pub not_met: Vec<String>,
    /// Criteria that could not be judged, with the source status behind each.
    pub unknown: Vec<UnknownBlocker>,
    /// Criteria that gate only in strict mode and have no attestation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual: Vec<String>,
}

/// One criterion that could not be judged, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownBlocker {
    /// Criterion id.
    pub criterion: String,
    /// The source status or explanation.
    pub reason: String,
}

/// Progress within one level or dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelShare {
    /// Level number (leveled models) or `None` (dimensions of unleveled models).
    pub level: Option<u8>,
    /// Level or dimension name.
    pub name: String,
    /// Criteria met (or attested, or not applicable).
    pub met: u32,
    /// Criteria counted.
    pub total: u32,
    /// `met / total`, 0 when there are none.
    pub share: f64,
}
