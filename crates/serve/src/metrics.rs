//! `/metrics` in the Prometheus text exposition format, version 0.0.4.

use crate::{ScanRecord, ScanStats};
use evident_core::{ScanResult, SourceStatus, Status};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Escapes a label value: backslash, double quote and line feed, as the format requires.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the `# HELP` and `# TYPE` lines of one metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Renders every metric: levels, criteria and source errors from `latest` (the newest
/// successful scan), duration and last success from `records` (newest first), counters
/// from `stats` (this process).
pub fn render_metrics(
    latest: Option<&ScanResult>,
    records: &[ScanRecord],
    stats: &ScanStats,
) -> String {
    let mut out = String::new();
    if let Some(result) = latest {
        result_metrics(&mut out, result);
    }
    if let Some(last) = records.first() {
        family(
            &mut out,
            "evident_scan_duration_seconds",
            "gauge",
            "How long the newest scan took, successful or not.",
        );
        let _ = writeln!(
            out,
            "evident_scan_duration_seconds {}",
            last.duration_ms as f64 / 1000.0
        );
    }
    let success = records
        .iter()
        .find(|r| r.ok)
        .and_then(|r| chrono::DateTime::parse_from_rfc3339(&r.finished_at).ok());
    if let Some(at) = success {
        family(
            &mut out,
            "evident_last_success_timestamp_seconds",
            "gauge",
            "When the newest successful scan finished, in Unix seconds.",
        );
        let _ = writeln!(
            out,
            "evident_last_success_timestamp_seconds {}",
            at.timestamp_millis() as f64 / 1000.0
        );
    }
    family(
        &mut out,
        "evident_scans_total",
        "counter",
        "Scans this process ran, by outcome (skipped: a tick came while a scan ran).",
    );
    for (outcome, n) in [
        ("ok", &stats.ok),
        ("failed", &stats.failed),
        ("skipped", &stats.skipped),
    ] {
        let _ = writeln!(
            out,
            "evident_scans_total{{outcome=\"{outcome}\"}} {}",
            n.load(Ordering::SeqCst)
        );
    }
    family(
        &mut out,
        "evident_scan_running",
        "gauge",
        "1 while a scan runs.",
    );
    let _ = writeln!(
        out,
        "evident_scan_running {}",
        u8::from(stats.running.load(Ordering::SeqCst))
    );
    out
}

/// The metrics read from one scan result.
fn result_metrics(out: &mut String, result: &ScanResult) {
    let teams: HashMap<&str, &str> = result
        .services
        .iter()
        .map(|s| (s.id.as_str(), s.team.as_deref().unwrap_or("")))
        .collect();
    family(
        out,
        "evident_service_level",
        "gauge",
        "Level attained per service and model in the newest successful scan (0: none).",
    );
    for l in &result.levels {
        let _ = writeln!(
            out,
            "evident_service_level{{service=\"{}\",team=\"{}\",model=\"{}\"}} {}",
            label(&l.service),
            label(teams.get(l.service.as_str()).copied().unwrap_or("")),
            label(&l.model),
            l.attained.unwrap_or(0)
        );
    }
    let mut counts: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for model in result.criteria.values().map(|c| c.model.as_str()) {
        let m = counts.entry(model).or_default();
        for s in Status::ALL {
            m.entry(s.as_str()).or_insert(0);
        }
    }
    for row in &result.results {
        let m = counts.entry(row.model.as_str()).or_default();
        *m.entry(row.status.as_str()).or_insert(0) += 1;
    }
    family(
        out,
        "evident_criteria",
        "gauge",
        "Verdicts (service x criterion) in the newest successful scan, by model and status.",
    );
    for (model, statuses) in &counts {
        for (status, n) in statuses {
            let _ = writeln!(
                out,
                "evident_criteria{{model=\"{}\",status=\"{status}\"}} {n}",
                label(model)
            );
        }
    }
    family(
        out,
        "evident_source_errors",
        "gauge",
        "1 per source that did not answer fully in the newest successful scan (error, forbidden, timeout, rate_limited); not_configured is not an error.",
    );
    // One series per probe and source, even if a source was reported twice: a duplicate
    // series makes Prometheus reject the whole scrape.
    let mut seen = std::collections::BTreeSet::new();
    for s in result
        .sources
        .iter()
        .filter(|s| !matches!(s.status, SourceStatus::Ok | SourceStatus::NotConfigured))
        .filter(|s| seen.insert((s.probe.as_str(), s.source.as_str())))
    {
        let _ = writeln!(
            out,
            "evident_source_errors{{probe=\"{}\",source=\"{}\",status=\"{}\"}} 1",
            label(&s.probe),
            label(&s.source),
            s.status.as_str()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
