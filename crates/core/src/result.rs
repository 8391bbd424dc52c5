//! The scan result: one versioned JSON document that every renderer, the store and the
//! evidence bundle work from.
//!
//! It is self-describing (it carries the criteria it judged and the evidence it cites) so
//! that `evident report` can render it years later without the models or the systems.

use crate::evidence::Evidence;
use crate::probe::SourceReport;
use crate::status::Status;
use serde::{Deserialize, Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};

/// The value of the `schema` field; bumped only with an incompatible change, so scripts
/// can refuse documents they do not understand. Version 2 stores team and estate
/// verdicts once (`scoped_results`) instead of on every service's row.
pub const SCAN_RESULT_SCHEMA: &str = "evident/scan-result/v2";

/// One scan, whole.
///
/// In JSON, `results` holds [`Verdicts::rows`] and `scoped_results` holds
/// [`Verdicts::scoped`]. Reading accepts [`SCAN_RESULT_SCHEMA`] and
/// [`SCAN_RESULT_SCHEMA_V1`]; a version 1 document is upgraded in memory (its team and
/// estate rows folded into shared entries), so results saved by older versions still
/// render.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ScanResultDoc")]
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
    /// One verdict per model × criterion × service, and the team and estate verdicts
    /// they reference, each stored once.
    pub results: Verdicts,
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
    /// DORA measurements per service id, reported beside the levels and never gating
    /// them; empty (and absent from JSON) when neither a GitHub nor an on-call source
    /// was configured, so a scan without either reads as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dora: BTreeMap<String, crate::dora::DoraMeasures>,
    /// What the scan read but did not use and the reader should know, each saying where
    /// and why (an attestation for a criterion no model has, or whose source is
    /// configured); every format shows them, and `--strict` fails on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
    /// For team- and estate-scoped criteria: the [`ScopedResult::id`] of the shared
    /// verdict this row is part of. The row then carries that verdict's status and
    /// reason, and in summary, evidence and missing only this service's part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scoped: Option<String>,
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

/// The value of `schema` in results written before team and estate verdicts were stored
/// once (every service's row carried the whole estate finding). Still read: such a
/// document is upgraded in memory (see [`ScanResult`]'s `Deserialize`), so `evident
/// report` renders results saved by older versions.
pub const SCAN_RESULT_SCHEMA_V1: &str = "evident/scan-result/v1";

/// Every schema this version reads, newest first.
pub const SCAN_RESULT_SCHEMAS_READ: [&str; 2] = [SCAN_RESULT_SCHEMA, SCAN_RESULT_SCHEMA_V1];

/// The longest summary a service's row repeats from a shared verdict that gave the
/// service no part of its own. A shared summary can name every service of the estate;
/// repeating it on every row would make the result grow with the square of the estate.
pub const MAX_ROW_SUMMARY: usize = 160;

/// What a team- or estate-scoped verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedScope {
    /// One verdict per owning team; `subject` is the team id.
    Team,
    /// One verdict for the whole scan; `subject` is `estate`.
    Estate,
}

impl SharedScope {
    /// The snake_case name, as in JSON and in `CriterionInfo::scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Estate => "estate",
        }
    }

    /// The scope named by `CriterionInfo::scope`, when it is a shared one.
    pub fn parse(scope: &str) -> Option<Self> {
        match scope {
            "team" => Some(Self::Team),
            "estate" => Some(Self::Estate),
            _ => None,
        }
    }
}

/// The `subject` of every estate-scoped verdict.
pub const ESTATE_SUBJECT: &str = "estate";

/// A team- or estate-scoped verdict: judged once per team or once per estate and stored
/// once, so the result grows linearly with the estate. Every service it covers has a
/// row in `results` that references it by [`ScopedResult::id`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedResult {
    /// `<criterion>@estate` or `<criterion>@team:<team id>`: unique in a result, stable
    /// across scans, so a finding keeps its identity (SARIF fingerprints, history).
    pub id: String,
    /// Model id.
    pub model: String,
    /// Criterion id.
    pub criterion: String,
    /// Team or estate.
    pub scope: SharedScope,
    /// The team id, or `estate`.
    pub subject: String,
    /// The verdict; every row that references this entry carries the same status.
    pub status: Status,
    /// As [`CriterionResult::reason`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The whole finding, in one line.
    pub summary: String,
    /// Evidence ids that support the verdict.
    pub evidence: Vec<String>,
    /// Everything missing for `met`, across all the services covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The services this verdict covers (the team's services, or every service).
    pub services: Vec<String>,
}

impl ScopedResult {
    /// The id of the entry for `criterion` about `subject` in `scope`.
    pub fn id_for(criterion: &str, scope: SharedScope, subject: &str) -> String {
        match scope {
            SharedScope::Estate => format!("{criterion}@{ESTATE_SUBJECT}"),
            SharedScope::Team => format!("{criterion}@team:{subject}"),
        }
    }

    /// The summary a covered service's row carries when the rule gave it no part of its
    /// own: the shared summary, cut at [`MAX_ROW_SUMMARY`] characters.
    pub fn row_summary(&self) -> String {
        shorten(&self.summary, MAX_ROW_SUMMARY)
    }
}

/// Cuts `text` to at most `max` characters (on a character boundary), marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text.chars().count() > max => format!("{}…", &text[..at]),
        _ => text.to_owned(),
    }
}

/// The verdicts of a scan: one row per model × criterion × service, and the team- and
/// estate-scoped verdicts those rows reference, each stored once.
///
/// It dereferences to the rows, so code that walks per-service verdicts (levels, gates,
/// renderers) reads it as the list it always was. In JSON the two parts are the
/// top-level `results` and `scoped_results`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// One verdict per model × criterion × service.
    pub rows: Vec<CriterionResult>,
    /// Team- and estate-scoped verdicts, in criterion then subject order.
    pub scoped: Vec<ScopedResult>,
}

impl Verdicts {
    /// The shared entries by id, for looking up the entry of many rows (build it once per
    /// rendering, not once per row).
    pub fn scoped_by_id(&self) -> HashMap<&str, &ScopedResult> {
        self.scoped.iter().map(|s| (s.id.as_str(), s)).collect()
    }
}

impl std::ops::Deref for Verdicts {
    type Target = Vec<CriterionResult>;
    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl std::ops::DerefMut for Verdicts {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.rows
    }
}

impl<'a> IntoIterator for &'a Verdicts {
    type Item = &'a CriterionResult;
    type IntoIter = std::slice::Iter<'a, CriterionResult>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<'a> IntoIterator for &'a mut Verdicts {
    type Item = &'a mut CriterionResult;
    type IntoIter = std::slice::IterMut<'a, CriterionResult>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter_mut()
    }
}

impl From<Vec<CriterionResult>> for Verdicts {
    fn from(rows: Vec<CriterionResult>) -> Self {
        Self {
            rows,
            scoped: vec![],
        }
    }
}

impl ScopedResult {
    /// The row of a covered `service` when the rule gave it no part of its own: the
    /// shared status and reason, the summary cut to [`MAX_ROW_SUMMARY`], no evidence,
    /// and for `unknown` the first missing item (the source to configure), so levels
    /// can say what would decide it.
    pub fn row_for(&self, service: &str) -> CriterionResult {
        CriterionResult {
            model: self.model.clone(),
            criterion: self.criterion.clone(),
            service: service.to_owned(),
            status: self.status,
            reason: self.reason.clone(),
            summary: self.row_summary(),
            evidence: vec![],
            missing: if self.status == Status::Unknown {
                self.missing.iter().take(1).cloned().collect()
            } else {
                vec![]
            },
            scoped: Some(self.id.clone()),
        }
    }
}

/// Why a document could not be read as a scan result.
#[derive(Debug, thiserror::Error)]
pub enum ScanResultError {
    /// The `schema` field names a version this build does not read.
    #[error("unsupported scan result schema {found:?}; this version of evident reads {}", SCAN_RESULT_SCHEMAS_READ.join(" and "))]
    UnsupportedSchema {
        /// What the document said.
        found: String,
    },
}

impl Serialize for ScanResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ScanResultRef {
            schema: &self.schema,
            scan: &self.scan,
            sources: &self.sources,
            services: &self.services,
            criteria: &self.criteria,
            results: &self.results.rows,
            scoped_results: &self.results.scoped,
            levels: &self.levels,
            evidence: &self.evidence,
            unreadable: &self.unreadable,
            unresolved: &self.unresolved,
            dora: &self.dora,
            warnings: &self.warnings,
        }
        .serialize(serializer)
    }
}

/// The JSON shape of a scan result, borrowed for writing.
#[derive(Serialize)]
struct ScanResultRef<'a> {
    schema: &'a str,
    scan: &'a ScanInfo,
    sources: &'a [SourceReport],
    services: &'a [Service],
    criteria: &'a BTreeMap<String, CriterionInfo>,
    results: &'a [CriterionResult],
    scoped_results: &'a [ScopedResult],
    levels: &'a [LevelReport],
    evidence: &'a BTreeMap<String, Evidence>,
    unreadable: &'a [Unreadable],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unresolved: &'a [crate::resolution::UnresolvedItem],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    dora: &'a BTreeMap<String, crate::dora::DoraMeasures>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [String],
}

/// The JSON shape of a scan result of any version this build reads.
#[derive(Deserialize)]
struct ScanResultDoc {
    schema: String,
    scan: ScanInfo,
    sources: Vec<SourceReport>,
    services: Vec<Service>,
    criteria: BTreeMap<String, CriterionInfo>,
    results: Vec<CriterionResult>,
    #[serde(default)]
    scoped_results: Vec<ScopedResult>,
    levels: Vec<LevelReport>,
    evidence: BTreeMap<String, Evidence>,
    #[serde(default)]
    unreadable: Vec<Unreadable>,
    #[serde(default)]
    unresolved: Vec<crate::resolution::UnresolvedItem>,
    #[serde(default)]
    dora: BTreeMap<String, crate::dora::DoraMeasures>,
    #[serde(default)]
    warnings: Vec<String>,
}

impl TryFrom<ScanResultDoc> for ScanResult {
    type Error = ScanResultError;

    fn try_from(mut doc: ScanResultDoc) -> Result<Self, Self::Error> {
        let scoped = match doc.schema.as_str() {
            SCAN_RESULT_SCHEMA => std::mem::take(&mut doc.scoped_results),
            SCAN_RESULT_SCHEMA_V1 => upgrade_v1(&doc.services, &doc.criteria, &mut doc.results),
            _ => return Err(ScanResultError::UnsupportedSchema { found: doc.schema }),
        };
        Ok(ScanResult {
            schema: SCAN_RESULT_SCHEMA.to_owned(),
            scan: doc.scan,
            sources: doc.sources,
            services: doc.services,
            criteria: doc.criteria,
            results: Verdicts {
                rows: doc.results,
                scoped,
            },
            levels: doc.levels,
            evidence: doc.evidence,
            unreadable: doc.unreadable,
            unresolved: doc.unresolved,
            dora: doc.dora,
            warnings: doc.warnings,
        })
    }
}

/// Folds the team and estate rows of a version 1 result into shared entries: one per
/// criterion and team (the service's team) or per criterion for the estate, made from
/// the first row (in v1 every row of one subject carried the same verdict). The rows
/// keep their status and reference the entry, as a version 2 scan writes them without
/// parts. Left as they are: manual and attested rows (judged per service from
/// attestations) and team rows of services without a team (their own finding).
fn upgrade_v1(
    services: &[Service],
    criteria: &BTreeMap<String, CriterionInfo>,
    rows: &mut [CriterionResult],
) -> Vec<ScopedResult> {
    let team_of: HashMap<&str, Option<&str>> = services
        .iter()
        .map(|s| (s.id.as_str(), s.team.as_deref()))
        .collect();
    let mut scoped: Vec<ScopedResult> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows.iter_mut() {
        let Some(scope) = criteria
            .get(&row.criterion)
            .and_then(|c| SharedScope::parse(&c.scope))
        else {
            continue;
        };
        if matches!(row.status, Status::Manual | Status::Attested) {
            continue;
        }
        let subject = match scope {
            SharedScope::Estate => ESTATE_SUBJECT,
            SharedScope::Team => match team_of.get(row.service.as_str()) {
                Some(Some(team)) => team,
                _ => continue,
            },
        };
        let id = ScopedResult::id_for(&row.criterion, scope, subject);
        let at = *index.entry(id.clone()).or_insert_with(|| {
            scoped.push(ScopedResult {
                id,
                model: row.model.clone(),
                criterion: row.criterion.clone(),
                scope,
                subject: subject.to_owned(),
                status: row.status,
                reason: row.reason.clone(),
                summary: row.summary.clone(),
                evidence: std::mem::take(&mut row.evidence),
                missing: std::mem::take(&mut row.missing),
                services: vec![],
            });
            scoped.len() - 1
        });
        let entry = &mut scoped[at];
        entry.services.push(row.service.clone());
        let own = entry.row_for(&row.service);
        *row = CriterionResult {
            status: row.status,
            reason: row.reason.take(),
            ..own
        };
    }
    scoped.sort_by(|a, b| a.id.cmp(&b.id));
    scoped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(criterion: &str, service: &str, summary: &str) -> CriterionResult {
        CriterionResult {
            model: "m".into(),
            criterion: criterion.into(),
            service: service.into(),
            status: Status::NotMet,
            reason: None,
            summary: summary.into(),
            evidence: vec!["e1".into()],
            missing: vec!["service a has no owning team".into()],
            scoped: None,
        }
    }

    fn info(scope: &str) -> CriterionInfo {
        CriterionInfo {
            model: "m".into(),
            title: "t".into(),
            level: Some(1),
            dimension: "D".into(),
            scope: scope.into(),
            observability: "direct".into(),
            met_when: "w".into(),
            remediation: "r".into(),
        }
    }

    #[test]
    fn v1_estate_and_team_rows_fold_into_one_shared_entry_each() {
        let services = vec![
            Service {
                id: "a".into(),
                team: None,
                team_source: None,
                resolved_from: "workload".into(),
                found_in: vec![],
                ..Default::default()
            },
            Service {
                id: "b".into(),
                team: Some("t1".into()),
                team_source: None,
                resolved_from: "workload".into(),
                found_in: vec![],
                ..Default::default()
            },
        ];
        let criteria = BTreeMap::from([
            ("c.estate".to_owned(), info("estate")),
            ("c.team".to_owned(), info("team")),
            ("c.service".to_owned(), info("service")),
        ]);
        let long = "x".repeat(400);
        let mut rows = vec![
            row("c.estate", "a", &long),
            row("c.estate", "b", &long),
            row("c.team", "a", "no owning team"),
            row("c.team", "b", "team t1 is small"),
            row("c.service", "a", "own"),
        ];
        let scoped = upgrade_v1(&services, &criteria, &mut rows);
        let ids: Vec<&str> = scoped.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["c.estate@estate", "c.team@team:t1"]);
        assert_eq!(scoped[0].services, ["a", "b"]);
        assert_eq!(scoped[0].missing, ["service a has no owning team"]);
        assert_eq!(
            scoped[0].summary, long,
            "the shared entry keeps the whole finding"
        );
        // Rows reference the entry and carry no copy of its lists.
        assert_eq!(rows[1].scoped.as_deref(), Some("c.estate@estate"));
        assert!(rows[1].evidence.is_empty() && rows[1].missing.is_empty());
        assert_eq!(rows[1].status, Status::NotMet);
        assert_eq!(rows[1].summary.chars().count(), MAX_ROW_SUMMARY);
        // A service without a team keeps its own team finding; service rows are untouched.
        assert_eq!(rows[2].scoped, None);
        assert_eq!(rows[2].summary, "no owning team");
        assert_eq!(rows[4].scoped, None);
        assert_eq!(rows[4].evidence, ["e1"]);
    }

    #[test]
    fn unknown_schemas_are_refused_by_name() {
        let doc = serde_json::json!({"schema": "evident/scan-result/v9", "scan": {"id": "x", "started_at": "", "finished_at": "", "tool": {"name": "evident", "version": "0"}, "targets": [], "strict": false},
            "sources": [], "services": [], "criteria": {}, "results": [], "levels": [], "evidence": {}});
        let err = serde_json::from_value::<ScanResult>(doc)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("evident/scan-result/v9"), "{err}");
        assert!(err.contains(SCAN_RESULT_SCHEMA_V1), "{err}");
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("ééééé", 3), "éé…");
        assert_eq!(shorten("abcd", 4), "abcd");
    }
}
