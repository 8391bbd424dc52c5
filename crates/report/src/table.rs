//! The terminal table: what a developer reads after `evident scan .`.
//!
//! Grouped by service, then model: the attained level and what blocks the next one
//! (evidence that something is missing shown apart from what could not be seen), every
//! criterion with a one-line reason, and the next criteria to meet with what to do.

use evident_core::{CriterionResult, LevelReport, ScanResult, SharedScope, SourceStatus, Status};
use owo_colors::OwoColorize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// How to draw the table.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// ANSI colours (off for `NO_COLOR`, pipes and files).
    pub color: bool,
    /// Terminal width to truncate reasons at; `None` leaves lines whole.
    pub width: Option<usize>,
}

fn symbol(status: Status) -> &'static str {
    match status {
        Status::Met => "✓",
        Status::NotMet => "✗",
        Status::Unknown => "?",
        Status::NotApplicable => "–",
        Status::Manual => "✎",
        Status::Attested => "✓",
    }
}

fn paint(text: &str, status: Status, color: bool) -> String {
    if !color {
        return text.to_owned();
    }
    match status {
        Status::Met | Status::Attested => text.green().to_string(),
        Status::NotMet => text.red().to_string(),
        Status::Unknown => text.yellow().to_string(),
        Status::NotApplicable | Status::Manual => text.dimmed().to_string(),
    }
}

fn truncate(text: &str, width: Option<usize>) -> String {
    match width {
        Some(w) if text.chars().count() > w && w > 1 => {
            let mut s: String = text.chars().take(w - 1).collect();
            s.push('…');
            s
        }
        _ => text.to_owned(),
    }
}

fn level_line(report: &LevelReport, color: bool) -> String {
    let mut line = String::new();
    match (report.attained, &report.attained_name) {
        (Some(level), Some(name)) => {
            let _ = write!(line, "level {level} {name}");
            if let Some(next) = report.next {
                let next_name = report
                    .shares
                    .iter()
                    .find(|s| s.level == Some(next))
                    .map_or_else(|| format!("level {next}"), |s| s.name.clone());
                let b = &report.blocked_by;
                if report.next_undetermined {
                    let reasons: Vec<String> = b.unknown.iter().map(|u| u.reason.clone()).collect();
                    let mut uniq = reasons.clone();
                    uniq.sort();
                    uniq.dedup();
                    let _ = write!(
                        line,
                        "; {next_name} undetermined: blocked by {} unknown ({})",
                        b.unknown.len(),
                        uniq.join(", ")
                    );
                } else {
                    let _ = write!(line, "; {next_name} blocked by {} not met", b.not_met.len());
                    if !b.unknown.is_empty() {
                        let _ = write!(line, " and {} unknown", b.unknown.len());
                    }
                    if !b.manual.is_empty() {
                        let _ = write!(line, " and {} manual (strict)", b.manual.len());
                    }
                }
            }
        }
        _ => line.push_str("practice profile"),
    }
    let shares: Vec<String> = report
        .shares
        .iter()
        .map(|s| format!("{} {}/{}", s.name, s.met, s.total))
        .collect();
    let _ = write!(line, "  [{}]", shares.join(" · "));
    if color { line.bold().to_string() } else { line }
}

/// Renders the table.
pub fn render_table(result: &ScanResult, options: TableOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "evident {} · scan {} · {}",
        result.scan.tool.version,
        result.scan.id,
        result.scan.targets.join(", ")
    );
    let problems: Vec<_> = result
        .sources
        .iter()
        .filter(|s| s.status != SourceStatus::Ok)
        .collect();
    let ok: Vec<_> = result
        .sources
        .iter()
        .filter(|s| s.status == SourceStatus::Ok)
        .collect();
    let _ = writeln!(
        out,
        "sources: {} ok{}",
        ok.len(),
        if problems.is_empty() {
            String::new()
        } else {
            format!(", {} not available", problems.len())
        }
    );
    for s in &problems {
        let detail = s.detail.as_deref().unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} {} ({}): {}",
            s.probe,
            s.source,
            s.status,
            truncate(detail, options.width)
        );
    }
    if !result.unreadable.is_empty() {
        let _ = writeln!(out, "could not read {} item(s):", result.unreadable.len());
        for u in &result.unreadable {
            let _ = writeln!(
                out,
                "  {}: {}",
                u.location,
                truncate(&u.reason, options.width)
            );
        }
    }
    if result.services.is_empty() {
        let _ = writeln!(out, "\nNo service was found in the scanned targets.");
        return out;
    }

    write_services(result, options, &mut out);
    write_shared(result, options, &mut out);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &result.results {
        *counts.entry(r.status.as_str()).or_default() += 1;
    }
    let summary: Vec<String> = Status::ALL
        .iter()
        .filter_map(|s| {
            counts
                .get(s.as_str())
                .map(|n| format!("{n} {}", s.as_str()))
        })
        .collect();
    let _ = writeln!(
        out,
        "\n{} service(s): {}",
        result.services.len(),
        summary.join(", ")
    );
    out
}

/// Every service with its levels, criteria and next steps. A criterion that is part of
/// a team or estate finding shows the service's own part; the finding is listed once
/// after the services.
fn write_services(result: &ScanResult, options: TableOptions, out: &mut String) {
    let color = options.color;
    let mut by_service: BTreeMap<&str, Vec<&CriterionResult>> = BTreeMap::new();
    for r in &result.results {
        by_service.entry(r.service.as_str()).or_default().push(r);
    }
    // Indexed once: filtering every level report per service is quadratic in the estate.
    let mut levels_of: HashMap<&str, Vec<&LevelReport>> = HashMap::new();
    for l in &result.levels {
        levels_of.entry(l.service.as_str()).or_default().push(l);
    }
    for service in &result.services {
        let team = service.team.as_deref().unwrap_or("no owning team");
        let _ = writeln!(
            out,
            "\n{} · {} ({})",
            service.id.bold_if(color),
            team,
            service.resolved_from
        );
        if let Some(dora) = result.dora.get(&service.id) {
            let df = &dora.deployment_frequency;
            let lt = &dora.lead_time_for_changes;
            let line = format!(
                "DORA ({} d): deploys {} (n={}) · lead time {} (n={})",
                df.window_days,
                crate::view::dora_value(df),
                df.sample_size,
                crate::view::dora_value(lt),
                lt.sample_size
            );
            let _ = writeln!(out, "  {}", truncate(&line, options.width));
            let cfr = &dora.change_failure_rate;
            let ttr = &dora.time_to_restore;
            let line = format!(
                "DORA incidents: change failure rate ({} d, within 24 hours) {} (n={}) · time to restore ({} d) {} (n={})",
                cfr.window_days,
                crate::view::dora_value(cfr),
                cfr.sample_size,
                ttr.window_days,
                crate::view::dora_value(ttr),
                ttr.sample_size
            );
            let _ = writeln!(out, "  {}", truncate(&line, options.width));
        }
        let rows = by_service
            .get(service.id.as_str())
            .cloned()
            .unwrap_or_default();
        for report in levels_of.get(service.id.as_str()).into_iter().flatten() {
            let model_name = &report.model;
            let _ = writeln!(out, "  {model_name}: {}", level_line(report, color));
            let mut in_model: Vec<&&CriterionResult> =
                rows.iter().filter(|r| &r.model == model_name).collect();
            // Lowest level first (smells, then Baseline, ...), the model's order within a level.
            in_model.sort_by_key(|r| result.criteria.get(&r.criterion).and_then(|c| c.level));
            for r in in_model {
                let level = result
                    .criteria
                    .get(&r.criterion)
                    .and_then(|c| c.level)
                    .map_or_else(String::new, |l| format!("L{l} "));
                let head = format!("{} {:<14}", symbol(r.status), r.status.as_str());
                let text = format!("{level}{}  {}", r.criterion, r.summary);
                let _ = writeln!(
                    out,
                    "    {} {}",
                    paint(&head, r.status, color),
                    truncate(&text, options.width)
                );
            }
            let next = next_steps(report, &rows, result);
            if !next.is_empty() {
                let _ = writeln!(out, "    next:");
                for line in next {
                    let _ = writeln!(out, "      → {}", truncate(&line, options.width));
                }
            }
        }
    }
}

/// Team and estate findings that are not met or unknown, each once.
fn write_shared(result: &ScanResult, options: TableOptions, out: &mut String) {
    let open: Vec<_> = result
        .results
        .scoped
        .iter()
        .filter(|x| matches!(x.status, Status::NotMet | Status::Unknown))
        .collect();
    if open.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nteam and estate findings:");
    for x in open {
        let head = format!("{} {:<14}", symbol(x.status), x.status.as_str());
        let subject = match x.scope {
            SharedScope::Estate => format!("estate, {} service(s)", x.services.len()),
            SharedScope::Team => format!("team {}, {} service(s)", x.subject, x.services.len()),
        };
        let text = format!("{} ({subject})  {}", x.criterion, x.summary);
        let _ = writeln!(
            out,
            "  {} {}",
            paint(&head, x.status, options.color),
            truncate(&text, options.width)
        );
    }
}

/// The criteria to meet next: those blocking the next level, not-met first (with the
/// remediation), then the sources to configure for the unknown ones.
fn next_steps(report: &LevelReport, rows: &[&CriterionResult], result: &ScanResult) -> Vec<String> {
    let mut lines = Vec::new();
    for id in &report.blocked_by.not_met {
        if let Some(c) = result.criteria.get(id) {
            lines.push(format!("{id}: {}", c.remediation));
        }
    }
    let mut sources: Vec<String> = report
        .blocked_by
        .unknown
        .iter()
        .map(|u| u.reason.clone())
        .collect();
    sources.sort();
    sources.dedup();
    // A capability no probe of this version reads cannot be configured: say so, instead
    // of sending the user to look for a flag that does not exist.
    let unbuilt: Vec<&str> = result
        .sources
        .iter()
        .filter(|s| {
            s.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("not yet supported"))
        })
        .map(|s| s.probe.as_str())
        .collect();
    let (later, now): (Vec<String>, Vec<String>) = sources.into_iter().partition(|reason| {
        let capability = reason.split_whitespace().next().unwrap_or_default();
        unbuilt.contains(&capability)
    });
    if !now.is_empty() {
        lines.push(format!("to decide the rest, configure: {}", now.join(", ")));
    }
    if !later.is_empty() {
        let names: Vec<&str> = later
            .iter()
            .filter_map(|r| r.split_whitespace().next())
            .collect();
        lines.push(format!(
            "not yet supported by this version of evident: {}",
            names.join(", ")
        ));
    }
    if report.attained.is_none() {
        for r in rows
            .iter()
            .filter(|r| r.model == report.model && r.status == Status::NotMet)
            .take(3)
        {
            if let Some(c) = result.criteria.get(&r.criterion) {
                lines.push(format!("{}: {}", r.criterion, c.remediation));
            }
        }
    }
    lines
}

trait BoldIf {
    fn bold_if(&self, on: bool) -> String;
}

impl BoldIf for String {
    fn bold_if(&self, on: bool) -> String {
        if on {
            self.bold().to_string()
        } else {
            self.clone()
        }
    }
}
