//! One verdict in full, for `evident explain SERVICE CRITERION --scan FILE`: what the
//! table's summary leaves out (the `missing` list, which container lacks which probe,
//! every piece of evidence with its file and line) without reading the JSON.

use evident_core::{CriterionResult, ScanResult};
use std::fmt::Write as _;

/// Renders one verdict of `result` as plain text: the criterion, the verdict and its
/// reason, what is missing for `met`, the shared finding it belongs to, and each piece
/// of evidence (source, file and lines, revision, excerpt).
pub fn explain_verdict(result: &ScanResult, r: &CriterionResult) -> String {
    let mut out = String::new();
    let info = result.criteria.get(&r.criterion);
    let title = info.map_or("", |c| c.title.as_str());
    let _ = writeln!(out, "{}  {title}", r.criterion);
    let _ = writeln!(out, "service:   {}", r.service);
    let _ = writeln!(out, "model:     {}", r.model);
    if let Some(level) = info.and_then(|c| c.level) {
        let _ = writeln!(out, "level:     {level}");
    }
    let _ = writeln!(out, "status:    {}", r.status.as_str());
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "reason:    {reason}");
    }
    let _ = writeln!(out, "summary:   {}", r.summary);
    if let Some(id) = &r.scoped
        && let Some(x) = result.results.scoped.iter().find(|x| &x.id == id)
    {
        let _ = writeln!(
            out,
            "part of:   {} finding for {} ({} service(s)): {}",
            x.scope.as_str(),
            x.subject,
            x.services.len(),
            x.summary
        );
    }
    if !r.missing.is_empty() {
        let _ = writeln!(out, "\nmissing for met ({}):", r.missing.len());
        for m in &r.missing {
            let _ = writeln!(out, "  - {m}");
        }
    }
    if let Some(c) = info {
        let _ = writeln!(out, "\nmet when:\n  {}", c.met_when);
        if r.status != evident_core::Status::Met {
            let _ = writeln!(out, "\nremediation:\n  {}", c.remediation);
        }
    }
    write_evidence(result, r, &mut out);
    out
}

/// Each piece of evidence the verdict cites.
fn write_evidence(result: &ScanResult, r: &CriterionResult, out: &mut String) {
    if r.evidence.is_empty() {
        let _ = writeln!(out, "\nevidence: none cited");
        return;
    }
    let _ = writeln!(out, "\nevidence ({}):", r.evidence.len());
    for id in &r.evidence {
        let Some(e) = result.evidence.get(id) else {
            let _ = writeln!(out, "  - {id} (not in this result)");
            continue;
        };
        let place = match &e.location {
            Some(l) if l.start_line == l.end_line => format!("{} line {}", l.path, l.start_line),
            Some(l) => format!("{} lines {}-{}", l.path, l.start_line, l.end_line),
            None => e.locator.clone(),
        };
        let revision = e
            .revision
            .as_deref()
            .map_or_else(String::new, |r| format!(" at {r}"));
        let _ = writeln!(out, "  - {} {}: {place}{revision}", e.probe, e.source);
        for line in e.excerpt.lines().take(12) {
            let _ = writeln!(out, "      | {line}");
        }
    }
}
