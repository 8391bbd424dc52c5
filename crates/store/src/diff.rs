//! What changed between two scan results, per service and criterion and per service and
//! model, classified so that an auditor and a CI gate can act on it.
//!
//! # The rule
//!
//! Each status has a rank: `met` = `attested` (2) > `unknown` = `manual` (1) > `not_met`
//! (0); `not_applicable` has none (it is neutral). For one service x model x criterion
//! judged in both scans:
//!
//! - a **regression** is a fall in rank: `met`/`attested` to anything ranked lower, and
//!   `unknown`/`manual` to `not_met` (what could not be seen is now seen missing);
//! - an **improvement** is a rise in rank *to* `met` or `attested`; `not_met` becoming
//!   `unknown` or `manual` is not one (evident merely stopped seeing the gap);
//! - any other change of status is a **change**: the same rank (`met` <-> `attested`,
//!   `unknown` <-> `manual`), `not_met` -> `unknown`/`manual`, anything to or from
//!   `not_applicable`, and a criterion judged in only one of the two scans for a service
//!   present in both (a model or policy added or removed).
//!
//! For one service x model, a level that fell (a lower level, or none where there was
//! one) is a regression and a level that rose an improvement. Services found in only one
//! scan are listed as added or removed, not judged criterion by criterion, and are not
//! regressions (a scope change is for people to read, not for a gate to fail on).
//!
//! [`ScanDiff::has_regression`] is what `evident diff` gates on (exit 1).

use evident_core::{CriterionResult, ScanResult, Status};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The value of [`ScanDiff::schema`], for scripts that read `evident diff --format json`.
pub const SCAN_DIFF_SCHEMA: &str = "evident/scan-diff/v1";

/// Which scan a diff side is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRef {
    /// `scan.id`.
    pub id: String,
    /// `scan.started_at`.
    pub started_at: String,
}

/// How a change is classified (see the module documentation for the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Worse, by the rule.
    Regression,
    /// Better, by the rule.
    Improvement,
    /// Different, neither worse nor better.
    Change,
}

/// One service x model x criterion whose status differs between the two scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionChange {
    /// Service id.
    pub service: String,
    /// Model id.
    pub model: String,
    /// Criterion id.
    pub criterion: String,
    /// The status before; `None` when the criterion was not judged then.
    pub before: Option<Status>,
    /// The status after; `None` when the criterion is no longer judged.
    pub after: Option<Status>,
    /// The verdict's `reason` after (the source status behind an `unknown`).
    pub reason: Option<String>,
    /// The verdict's summary after: why it is what it is now.
    pub summary: Option<String>,
    /// Regression, improvement or change.
    pub direction: Direction,
}

/// One service x model whose attained level differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelChange {
    /// Service id.
    pub service: String,
    /// Model id.
    pub model: String,
    /// The level before (`None`: none attained).
    pub before: Option<u8>,
    /// The level after.
    pub after: Option<u8>,
    /// Regression (fell) or improvement (rose).
    pub direction: Direction,
}

/// Everything that differs between two scans, each list in service, model, criterion
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanDiff {
    /// Always [`SCAN_DIFF_SCHEMA`].
    pub schema: String,
    /// The older scan.
    pub before: ScanRef,
    /// The newer scan.
    pub after: ScanRef,
    /// Criteria that got worse.
    pub regressions: Vec<CriterionChange>,
    /// Criteria that got better.
    pub improvements: Vec<CriterionChange>,
    /// Criteria whose status changed without getting worse or better.
    pub changes: Vec<CriterionChange>,
    /// Levels that rose or fell.
    pub levels: Vec<LevelChange>,
    /// Services only the newer scan found.
    pub services_added: Vec<String>,
    /// Services only the older scan found.
    pub services_removed: Vec<String>,
}

impl ScanDiff {
    /// True when any criterion or level regressed: what a CI gate fails on.
    pub fn has_regression(&self) -> bool {
        !self.regressions.is_empty()
            || self
                .levels
                .iter()
                .any(|l| l.direction == Direction::Regression)
    }

    /// True when nothing at all differs.
    pub fn is_empty(&self) -> bool {
        self.regressions.is_empty()
            && self.improvements.is_empty()
            && self.changes.is_empty()
            && self.levels.is_empty()
            && self.services_added.is_empty()
            && self.services_removed.is_empty()
    }
}

/// The rank of a status in the rule; `None` for `not_applicable` (neutral).
pub fn rank(status: Status) -> Option<u8> {
    match status {
        Status::Met | Status::Attested => Some(2),
        Status::Unknown | Status::Manual => Some(1),
        Status::NotMet => Some(0),
        Status::NotApplicable => None,
    }
}

/// Classifies a status change by the rule; `None` when the status is the same.
pub fn classify(before: Option<Status>, after: Option<Status>) -> Option<Direction> {
    if before == after {
        return None;
    }
    let (Some(b), Some(a)) = (before.and_then(rank), after.and_then(rank)) else {
        return Some(Direction::Change);
    };
    Some(if a < b {
        Direction::Regression
    } else if a > b && a == 2 {
        Direction::Improvement
    } else {
        Direction::Change
    })
}

/// Verdict rows by (service, model, criterion). Should a result carry one key twice,
/// the first row wins, as renderers show it first.
fn rows_by_key(result: &ScanResult) -> BTreeMap<(&str, &str, &str), &CriterionResult> {
    let mut map = BTreeMap::new();
    for row in &result.results.rows {
        map.entry((
            row.service.as_str(),
            row.model.as_str(),
            row.criterion.as_str(),
        ))
        .or_insert(row);
    }
    map
}

/// The service ids of a result: its services, and any service a verdict or level names.
fn service_ids(result: &ScanResult) -> BTreeSet<&str> {
    let mut ids: BTreeSet<&str> = result.services.iter().map(|s| s.id.as_str()).collect();
    ids.extend(result.results.rows.iter().map(|r| r.service.as_str()));
    ids.extend(result.levels.iter().map(|l| l.service.as_str()));
    ids
}

/// Compares `before` with `after` by the rule in the module documentation.
pub fn diff(before: &ScanResult, after: &ScanResult) -> ScanDiff {
    let services_before = service_ids(before);
    let services_after = service_ids(after);
    let both: BTreeSet<&str> = services_before
        .intersection(&services_after)
        .copied()
        .collect();
    let rows_before = rows_by_key(before);
    let rows_after = rows_by_key(after);
    let keys: BTreeSet<(&str, &str, &str)> = rows_before
        .keys()
        .chain(rows_after.keys())
        .filter(|k| both.contains(k.0))
        .copied()
        .collect();
    let mut out = ScanDiff {
        schema: SCAN_DIFF_SCHEMA.to_owned(),
        before: scan_ref(before),
        after: scan_ref(after),
        regressions: vec![],
        improvements: vec![],
        changes: vec![],
        levels: level_changes(before, after, &both),
        services_added: services_after
            .difference(&services_before)
            .map(|s| (*s).to_owned())
            .collect(),
        services_removed: services_before
            .difference(&services_after)
            .map(|s| (*s).to_owned())
            .collect(),
    };
    for key in keys {
        let b = rows_before.get(&key).map(|r| r.status);
        let now = rows_after.get(&key);
        let a = now.map(|r| r.status);
        let Some(direction) = classify(b, a) else {
            continue;
        };
        let change = CriterionChange {
            service: key.0.to_owned(),
            model: key.1.to_owned(),
            criterion: key.2.to_owned(),
            before: b,
            after: a,
            reason: now.and_then(|r| r.reason.clone()),
            summary: now.map(|r| r.summary.clone()),
            direction,
        };
        match direction {
            Direction::Regression => out.regressions.push(change),
            Direction::Improvement => out.improvements.push(change),
            Direction::Change => out.changes.push(change),
        }
    }
    out
}

/// The diff side of a result.
fn scan_ref(result: &ScanResult) -> ScanRef {
    ScanRef {
        id: result.scan.id.clone(),
        started_at: result.scan.started_at.clone(),
    }
}

/// Levels that rose or fell, for services in both scans and models in both.
fn level_changes(
    before: &ScanResult,
    after: &ScanResult,
    services: &BTreeSet<&str>,
) -> Vec<LevelChange> {
    let by_key = |r: &ScanResult| -> BTreeMap<(String, String), Option<u8>> {
        r.levels
            .iter()
            .filter(|l| services.contains(l.service.as_str()))
            .map(|l| ((l.service.clone(), l.model.clone()), l.attained))
            .collect()
    };
    let old = by_key(before);
    let new = by_key(after);
    let mut out = Vec::new();
    for ((service, model), was) in &old {
        let Some(now) = new.get(&(service.clone(), model.clone())) else {
            continue;
        };
        if was == now {
            continue;
        }
        // `None` (no level) orders below every level.
        let direction = if now < was {
            Direction::Regression
        } else {
            Direction::Improvement
        };
        out.push(LevelChange {
            service: service.clone(),
            model: model.clone(),
            before: *was,
            after: *now,
            direction,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_table() {
        use Direction::*;
        use Status::*;
        let cases = [
            (Met, NotMet, Some(Regression)),
            (Met, Unknown, Some(Regression)),
            (Attested, Manual, Some(Regression)),
            (Unknown, NotMet, Some(Regression)),
            (Manual, NotMet, Some(Regression)),
            (NotMet, Met, Some(Improvement)),
            (Unknown, Met, Some(Improvement)),
            (Manual, Attested, Some(Improvement)),
            (NotMet, Unknown, Some(Change)),
            (NotMet, Manual, Some(Change)),
            (Met, Attested, Some(Change)),
            (Unknown, Manual, Some(Change)),
            (Met, NotApplicable, Some(Change)),
            (NotApplicable, NotMet, Some(Change)),
            (Met, Met, None),
        ];
        for (b, a, want) in cases {
            assert_eq!(classify(Some(b), Some(a)), want, "{b} -> {a}");
        }
        assert_eq!(classify(None, Some(NotMet)), Some(Change));
        assert_eq!(classify(Some(Met), None), Some(Change));
    }
}
