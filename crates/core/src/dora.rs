//! DORA measurements as the scan result carries them: reported beside the levels, never
//! gating them (docs: criteria "DORA measurements (reported, not gated)").
//!
//! The types live here, not in the engine, because every renderer and the store read
//! them from a saved result without the engine.

use serde::{Deserialize, Serialize};

/// The four DORA keys of one service.
///
/// Each key is a [`DoraMeasure`] that says what it is, how it was computed and how sure
/// it is, so a reader never mistakes a measure that could not be taken for a bad one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoraMeasures {
    /// The repository keys (`facts.github.repos`) the measures were read from, so a
    /// reader sees which repositories a service's numbers pool.
    pub repos: Vec<String>,
    /// How often the service reaches production.
    pub deployment_frequency: DoraMeasure,
    /// How long a change takes from its first commit to production.
    pub lead_time_for_changes: DoraMeasure,
    /// Share of production deployments followed within 24 hours by an incident or a
    /// rollback (needs GitHub deployments and on-call incidents).
    pub change_failure_rate: DoraMeasure,
    /// How long restoring service takes after a failure: incident trigger to resolve
    /// (needs on-call incidents).
    pub time_to_restore: DoraMeasure,
}

/// What kind of answer a measure is: a number, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoraStatus {
    /// A value was computed from the evidence read (see `complete` for a lower bound or
    /// a sample).
    Measured,
    /// Everything needed was read but the window holds nothing to measure (no merged
    /// change, no production deployment): absence of events, not of evidence.
    InsufficientData,
    /// The evidence could not be read (forbidden, rate limited, no production
    /// environment to count): `reason` says which, and nothing is guessed.
    Unknown,
    /// This version does not compute the measure from the sources it had.
    NotComputed,
}

impl DoraStatus {
    /// The snake_case name, as in JSON, for renderers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Measured => "measured",
            Self::InsufficientData => "insufficient_data",
            Self::Unknown => "unknown",
            Self::NotComputed => "not_computed",
        }
    }
}

/// A DORA performance band (State of DevOps 2023/2024 clusters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoraBand {
    /// Elite performers.
    Elite,
    /// High performers.
    High,
    /// Medium performers.
    Medium,
    /// Low performers.
    Low,
}

impl DoraBand {
    /// The snake_case name, as in JSON, for renderers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

/// One DORA key for one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoraMeasure {
    /// Whether there is a value, and if not why.
    pub status: DoraStatus,
    /// The value in `unit`; `None` unless `status` is `measured`.
    pub value: Option<f64>,
    /// The unit of `value` (`deployments/week`, `hours`, `percent`).
    pub unit: String,
    /// Days counted back from the observation time.
    pub window_days: u32,
    /// How many events the value is made of (deployments counted, changes measured).
    pub sample_size: u64,
    /// The DORA performance band of `value`, when there is a value.
    pub band: Option<DoraBand>,
    /// How the value is computed, in words, so a reader can redo it.
    pub formula: String,
    /// Evidence ids of the events counted.
    pub evidence: Vec<String>,
    /// What a reader must know about this value (lower bound, shared deployments,
    /// changes not yet deployed), in plain words.
    pub note: String,
    /// For `unknown` and `not_computed`: the source status or cause (`forbidden`,
    /// `no_production_environment`, `needs an on-call source (not configured)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// False when the events read were a page-bounded part of the window: the value is
    /// then a lower bound (counts) or a sample (durations), and `note` says which.
    #[serde(default = "yes")]
    pub complete: bool,
    /// Secondary figures of the same measure (`per_day` for deployment frequency,
    /// `p90` and `not_deployed` for lead time, `p90` and `open` for time to restore,
    /// `failed`, `by_incident` and `by_rollback` for change failure rate), named so the
    /// JSON reads on its own.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub details: std::collections::BTreeMap<String, f64>,
}

fn yes() -> bool {
    true
}

impl DoraMeasure {
    /// A measure without a value, for `unknown`, `insufficient_data` and `not_computed`.
    pub fn without_value(
        status: DoraStatus,
        unit: &str,
        window_days: u32,
        formula: &str,
        reason: Option<String>,
        note: String,
    ) -> Self {
        Self {
            status,
            value: None,
            unit: unit.to_owned(),
            window_days,
            sample_size: 0,
            band: None,
            formula: formula.to_owned(),
            evidence: vec![],
            note,
            reason,
            complete: true,
            details: Default::default(),
        }
    }
}
