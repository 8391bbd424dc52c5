//! The on-call half of DORA: time to restore and change failure rate, from the typed
//! on-call facts (`facts.oncall`, [`evident_oncall::OncallFacts`]) and each service's
//! on-call join (`svc.oncall.services`, written by resolution).
//!
//! Read once per scan: incidents are indexed by on-call service key, so each service
//! looks up only its own; nothing is a product of services and incidents.

use chrono::{DateTime, Duration, Utc};
use evident_core::{DoraBand, DoraMeasure, DoraStatus};
use evident_oncall::{Incident, OncallFacts};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How time to restore is computed, as the result states it.
pub const TIME_TO_RESTORE_FORMULA: &str = "median over the service's incidents triggered in the on-call window (window_days) and resolved of (resolved_at - created_at), in hours; p90 by nearest rank; incidents still open counted in open";

/// How change failure rate is computed, as the result states it.
pub const CHANGE_FAILURE_FORMULA: &str = "successful production deployments in the last window_days days followed within 24 hours by an incident of the service's on-call services or by a rollback (a production deployment of a commit deployed to production before), divided by those deployments, in percent";

/// The hours after a deployment within which an incident or a rollback counts against it.
pub const FAILURE_HOURS: i64 = 24;

/// Band of a time to restore given in hours: DORA's failed deployment recovery time
/// clusters (2023): elite less than one hour, high less than one day, medium less than
/// one week, low a week or more.
pub fn restore_band(hours: f64) -> DoraBand {
    if hours < 1.0 {
        DoraBand::Elite
    } else if hours < 24.0 {
        DoraBand::High
    } else if hours < 24.0 * 7.0 {
        DoraBand::Medium
    } else {
        DoraBand::Low
    }
}

/// Band of a change failure rate given in percent: the 2023 clusters (elite 5%, high
/// 10%, medium 15%, low 64%) read as upper bounds: elite at most 5%, high at most 10%,
/// medium at most 15%, low above. Earlier reports put elite to medium at 0-15% alike.
pub fn failure_band(percent: f64) -> DoraBand {
    if percent <= 5.0 {
        DoraBand::Elite
    } else if percent <= 10.0 {
        DoraBand::High
    } else if percent <= 15.0 {
        DoraBand::Medium
    } else {
        DoraBand::Low
    }
}

/// Why a service's incidents cannot be used: status of the measures, reason, note.
#[derive(Debug, Clone)]
pub(crate) struct NoIncidents {
    pub status: DoraStatus,
    pub reason: String,
    pub note: String,
}

/// The on-call facts of one scan, indexed once.
pub(crate) struct OncallView {
    /// Why nothing can be read from on-call (not configured, failed, wrong shape).
    pub unavailable: Option<NoIncidents>,
    facts: OncallFacts,
    /// On-call service key → indexes into `facts.incidents`.
    by_service: HashMap<String, Vec<usize>>,
}

/// One service's incidents, when they can be read.
pub(crate) struct ServiceIncidents<'a> {
    pub incidents: Vec<&'a Incident>,
    pub window_days: u32,
    pub since: Option<DateTime<Utc>>,
    /// Why the incidents read may not be all (`account: part read in part`).
    pub partial: Vec<String>,
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl OncallView {
    /// Reads `sources.oncall` and `facts.oncall` of the rule input.
    pub fn read(input: &Value) -> Self {
        let status = input
            .get("sources")
            .and_then(|s| s.get("oncall"))
            .and_then(|s| s.get("status"))
            .and_then(Value::as_str)
            .unwrap_or("not_configured");
        let empty = |unavailable| OncallView {
            unavailable: Some(unavailable),
            facts: OncallFacts::default(),
            by_service: HashMap::new(),
        };
        if status != "ok" {
            let (dora_status, note) = if status == "not_configured" {
                (DoraStatus::NotComputed, "incidents come from an on-call source (PagerDuty, Opsgenie); configure one to measure this".to_owned())
            } else {
                (
                    DoraStatus::Unknown,
                    format!(
                        "the on-call source answered {}; evidence that could not be read is not taken for no incidents",
                        status.replace('_', " ")
                    ),
                )
            };
            return empty(NoIncidents {
                status: dora_status,
                reason: format!("needs an on-call source ({})", status.replace('_', " ")),
                note,
            });
        }
        let raw = input
            .get("facts")
            .and_then(|f| f.get("oncall"))
            .unwrap_or(&Value::Null);
        let facts = match OncallFacts::from_value(raw) {
            Ok(Some(f)) => f,
            Ok(None) => OncallFacts::default(),
            Err(e) => {
                return empty(NoIncidents {
                    status: DoraStatus::Unknown,
                    reason: "error".into(),
                    note: e,
                });
            }
        };
        let mut by_service: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, incident) in facts.incidents.iter().enumerate() {
            for k in &incident.services {
                by_service.entry(k.clone()).or_default().push(i);
            }
        }
        OncallView {
            unavailable: None,
            facts,
            by_service,
        }
    }

    /// The incidents of a service (its `oncall.services`), or why there are none to read.
    pub fn service(&self, svc: &Value) -> Result<ServiceIncidents<'_>, NoIncidents> {
        if let Some(u) = &self.unavailable {
            return Err(u.clone());
        }
        let keys: Vec<&str> = svc
            .get("oncall")
            .and_then(|o| o.get("services"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if keys.is_empty() {
            return Err(NoIncidents {
                status: DoraStatus::Unknown,
                reason: "no_oncall_join".into(),
                note: "no on-call service is tied to this service (catalog annotation, the plan's oncall override or the same name), so its incidents are not known".into(),
            });
        }
        let mut accounts: Vec<&str> = keys
            .iter()
            .map(|k| k.split('/').next().unwrap_or(k))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        let mut partial = Vec::new();
        for a in &accounts {
            let Some(account) = self.facts.accounts.get(*a) else {
                continue;
            };
            if let Some(u) = account.unread.get("incidents") {
                return Err(NoIncidents {
                    status: DoraStatus::Unknown,
                    reason: u.status.clone(),
                    note: format!(
                        "incidents of {a} could not be read ({}: {}); evidence that could not be read is not taken for no incidents",
                        u.status, u.detail
                    ),
                });
            }
            if let Some(why) = account.partial.get("incidents") {
                partial.push(format!("{a}: {why}"));
            }
        }
        let mut at: Vec<usize> = keys
            .iter()
            .filter_map(|k| self.by_service.get(*k))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        let first = accounts.first().and_then(|a| self.facts.accounts.get(*a));
        Ok(ServiceIncidents {
            incidents: at
                .iter()
                .filter_map(|&i| self.facts.incidents.get(i))
                .collect(),
            window_days: first.map_or(90, |a| a.window_days),
            since: first.and_then(|a| time(&a.since)),
            partial,
        })
    }
}

fn unavailable(n: NoIncidents, unit: &str, days: u32, formula: &str) -> DoraMeasure {
    DoraMeasure::without_value(n.status, unit, days, formula, Some(n.reason), n.note)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Time to restore of one service: the median of its resolved incidents' durations.
pub(crate) fn time_to_restore(incidents: Result<ServiceIncidents<'_>, NoIncidents>) -> DoraMeasure {
    const UNIT: &str = "hours";
    let s = match incidents {
        Ok(s) => s,
        Err(n) => return unavailable(n, UNIT, 90, TIME_TO_RESTORE_FORMULA),
    };
    let days = s.window_days;
    let in_window = |x: &&&Incident| {
        time(&x.created_at).is_some_and(|t| s.since.is_none_or(|since| t >= since))
    };
    let mut hours = Vec::new();
    let mut evidence = Vec::new();
    let mut open = 0u64;
    for x in s.incidents.iter().filter(in_window) {
        let resolved = x.resolved_at.as_deref().and_then(time);
        match (time(&x.created_at), resolved) {
            (Some(a), Some(b)) => {
                hours.push(((b - a).num_seconds() as f64 / 3600.0).max(0.0));
                evidence.push(x.evidence.clone());
            }
            _ => open += 1,
        }
    }
    let mut note = String::new();
    if open > 0 {
        note.push_str(&format!(
            "{open} incidents are still open and not in the median. "
        ));
    }
    if !s.partial.is_empty() {
        note.push_str(&format!(
            "Incidents were read in part ({}): the value is from a sample of the window. ",
            s.partial.join("; ")
        ));
    }
    let complete = s.partial.is_empty();
    if hours.is_empty() {
        return DoraMeasure {
            complete,
            details: BTreeMap::from([("open".to_owned(), open as f64)]),
            ..DoraMeasure::without_value(
                DoraStatus::InsufficientData,
                UNIT,
                days,
                TIME_TO_RESTORE_FORMULA,
                None,
                format!("No incident of the service was resolved in the last {days} days. {note}")
                    .trim_end()
                    .to_owned(),
            )
        };
    }
    hours.sort_by(f64::total_cmp);
    let med = crate::dora::median(&hours);
    DoraMeasure {
        status: DoraStatus::Measured,
        value: Some(round2(med)),
        unit: UNIT.into(),
        window_days: days,
        sample_size: hours.len() as u64,
        band: Some(restore_band(med)),
        formula: TIME_TO_RESTORE_FORMULA.into(),
        evidence,
        note: format!("{} resolved incidents in {days} days. {note}", hours.len())
            .trim_end()
            .to_owned(),
        reason: None,
        complete,
        details: BTreeMap::from([
            (
                "p90".to_owned(),
                round2(crate::dora::nearest_rank(&hours, 0.9)),
            ),
            ("open".to_owned(), open as f64),
        ]),
    }
}

/// One successful production deployment, as change failure rate counts it.
pub(crate) struct DeployEvent {
    pub succeeded: DateTime<Utc>,
    pub sha: Option<String>,
    pub evidence: Option<String>,
}

/// Change failure rate of one service: its production deployments in the window
/// followed within 24 hours by one of its incidents or by a rollback.
/// `deploys` is `Err((reason, note))` when GitHub's deployments could not be counted.
pub(crate) fn change_failure_rate(
    deploys: Result<(&[DeployEvent], bool), (String, String)>,
    incidents: Result<ServiceIncidents<'_>, NoIncidents>,
    now: DateTime<Utc>,
    days: u32,
) -> DoraMeasure {
    const UNIT: &str = "percent";
    let (deploys, deploys_complete) = match deploys {
        Ok(d) => d,
        Err((reason, note)) => {
            return DoraMeasure::without_value(
                DoraStatus::Unknown,
                UNIT,
                days,
                CHANGE_FAILURE_FORMULA,
                Some(reason),
                format!("{note}; change failure rate needs production deployments."),
            );
        }
    };
    let s = match incidents {
        Ok(s) => s,
        Err(n) => return unavailable(n, UNIT, days, CHANGE_FAILURE_FORMULA),
    };
    let mut starts: Vec<DateTime<Utc>> = s
        .incidents
        .iter()
        .filter_map(|x| time(&x.created_at))
        .collect();
    starts.sort_unstable();
    let mut ordered: Vec<&DeployEvent> = deploys.iter().collect();
    ordered.sort_by_key(|d| d.succeeded);
    let since = now - Duration::days(i64::from(days));
    let window = Duration::hours(FAILURE_HOURS);
    let (mut total, mut by_incident, mut by_rollback) = (0u64, 0u64, 0u64);
    let mut evidence = Vec::new();
    for (n, d) in ordered.iter().enumerate() {
        if d.succeeded <= since || d.succeeded > now {
            continue;
        }
        total += 1;
        let at = starts.partition_point(|t| *t <= d.succeeded);
        let incident = starts.get(at).is_some_and(|t| *t <= d.succeeded + window);
        let rollback = !incident && rolled_back(&ordered, n, window);
        if incident {
            by_incident += 1;
        } else if rollback {
            by_rollback += 1;
        }
        if incident || rollback {
            evidence.extend(d.evidence.clone());
        }
    }
    failure_measure(
        total,
        by_incident,
        by_rollback,
        evidence,
        &s.partial,
        deploys_complete,
        days,
    )
}

/// Whether a later deployment within `window` of deployment `n` shipped a commit that
/// was deployed to production before `n` (going back to an earlier version).
fn rolled_back(ordered: &[&DeployEvent], n: usize, window: Duration) -> bool {
    let d = ordered[n];
    let Some(later) = ordered.get(n + 1) else {
        return false;
    };
    if later.succeeded > d.succeeded + window {
        return false;
    }
    let Some(sha) = later.sha.as_deref() else {
        return false;
    };
    d.sha.as_deref() != Some(sha) && ordered[..n].iter().any(|e| e.sha.as_deref() == Some(sha))
}

fn failure_measure(
    total: u64,
    by_incident: u64,
    by_rollback: u64,
    evidence: Vec<String>,
    partial: &[String],
    deploys_complete: bool,
    days: u32,
) -> DoraMeasure {
    const UNIT: &str = "percent";
    let mut note = String::new();
    if !partial.is_empty() {
        note.push_str(&format!(
            "Incidents were read in part ({}): failures may be undercounted. ",
            partial.join("; ")
        ));
    }
    if !deploys_complete {
        note.push_str("Not every deployment of the window was read: the rate is from a sample. ");
    }
    let complete = partial.is_empty() && deploys_complete;
    if total == 0 {
        return DoraMeasure {
            complete,
            ..DoraMeasure::without_value(
                DoraStatus::InsufficientData,
                UNIT,
                days,
                CHANGE_FAILURE_FORMULA,
                None,
                format!(
                    "No successful production deployment in the last {days} days to fail. {note}"
                )
                .trim_end()
                .to_owned(),
            )
        };
    }
    let failed = by_incident + by_rollback;
    let percent = failed as f64 * 100.0 / total as f64;
    DoraMeasure {
        status: DoraStatus::Measured,
        value: Some(round2(percent)),
        unit: UNIT.into(),
        window_days: days,
        sample_size: total,
        band: Some(failure_band(percent)),
        formula: CHANGE_FAILURE_FORMULA.into(),
        evidence,
        note: format!(
            "{failed} of {total} production deployments in {days} days were followed within 24 hours by an incident ({by_incident}) or a rollback ({by_rollback}). {note}"
        )
        .trim_end()
        .to_owned(),
        reason: None,
        complete,
        details: BTreeMap::from([
            ("failed".to_owned(), failed as f64),
            ("by_incident".to_owned(), by_incident as f64),
            ("by_rollback".to_owned(), by_rollback as f64),
        ]),
    }
}
