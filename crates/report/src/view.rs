//! Views every renderer shares: results grouped by service in a stable order, and
//! counts per status, so all formats list things the same way.

use evident_core::{CriterionResult, ScanResult, Status};
use std::collections::{BTreeMap, HashMap};

/// The results of one service, in report order: models as the scan listed them, then
/// level (unleveled last), then criterion id.
pub(crate) fn results_by_service(result: &ScanResult) -> HashMap<&str, Vec<&CriterionResult>> {
    let mut model_order: HashMap<&str, usize> = HashMap::new();
    for r in &result.results {
        let n = model_order.len();
        model_order.entry(r.model.as_str()).or_insert(n);
    }
    let mut by_service: HashMap<&str, Vec<&CriterionResult>> = HashMap::new();
    for r in &result.results {
        by_service.entry(r.service.as_str()).or_default().push(r);
    }
    for rows in by_service.values_mut() {
        rows.sort_by(|a, b| {
            let key = |r: &CriterionResult| {
                let level = result
                    .criteria
                    .get(&r.criterion)
                    .and_then(|c| c.level)
                    .map_or(u16::MAX, u16::from);
                (
                    model_order
                        .get(r.model.as_str())
                        .copied()
                        .unwrap_or(usize::MAX),
                    level,
                )
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.criterion.cmp(&b.criterion))
        });
    }
    by_service
}

/// Count of results per status, in [`Status::ALL`] order.
pub(crate) fn status_counts<'a>(
    results: impl IntoIterator<Item = &'a CriterionResult>,
) -> [usize; 6] {
    let mut counts = [0usize; 6];
    for r in results {
        if let Some(i) = Status::ALL.iter().position(|s| *s == r.status) {
            counts[i] += 1;
        }
    }
    counts
}

/// Models in the order the scan listed them, with their results.
pub(crate) fn results_by_model(result: &ScanResult) -> Vec<(&str, Vec<&CriterionResult>)> {
    let mut order: Vec<&str> = Vec::new();
    let mut map: BTreeMap<&str, Vec<&CriterionResult>> = BTreeMap::new();
    for r in &result.results {
        if !map.contains_key(r.model.as_str()) {
            order.push(r.model.as_str());
        }
        map.entry(r.model.as_str()).or_default().push(r);
    }
    order
        .into_iter()
        .map(|m| (m, map.remove(m).unwrap_or_default()))
        .collect()
}

/// Status label a person reads (`not met` rather than `not_met`).
pub(crate) fn status_label(status: Status) -> &'static str {
    match status {
        Status::Met => "met",
        Status::NotMet => "not met",
        Status::Unknown => "unknown",
        Status::NotApplicable => "not applicable",
        Status::Manual => "manual",
        Status::Attested => "attested",
    }
}

/// Cuts `text` to at most `max` characters, marking the cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The four DORA keys of a service in report order, with the name a person reads, so
/// every renderer lists them alike.
pub(crate) fn dora_keys(
    m: &evident_core::DoraMeasures,
) -> [(&'static str, &evident_core::DoraMeasure); 4] {
    [
        ("deployment frequency", &m.deployment_frequency),
        ("lead time for changes", &m.lead_time_for_changes),
        ("change failure rate", &m.change_failure_rate),
        ("time to restore", &m.time_to_restore),
    ]
}

/// One DORA measure as a short phrase (`2.33 deployments/week, high`, `unknown:
/// forbidden`), plain text: each renderer escapes it.
pub(crate) fn dora_value(m: &evident_core::DoraMeasure) -> String {
    use evident_core::DoraStatus;
    match (m.status, m.value) {
        (DoraStatus::Measured, Some(v)) => {
            let mut text = format!("{v} {}", m.unit);
            if let Some(p90) = m.details.get("p90") {
                text = format!("median {text}, p90 {p90} {}", m.unit);
            }
            if let Some(band) = m.band {
                text.push_str(&format!(", {}", band.as_str()));
            }
            if !m.complete {
                text.push_str(", partial read");
            }
            text
        }
        (status, _) => match &m.reason {
            Some(reason) => format!("{}: {reason}", status.as_str().replace('_', " ")),
            None => status.as_str().replace('_', " "),
        },
    }
}
