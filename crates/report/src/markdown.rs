//! Markdown: a compact summary for a pull-request comment or a CI step summary.
//!
//! Every value taken from a scanned system is escaped: Markdown punctuation gets a
//! backslash, `<`, `>` and `&` become entities (so no HTML reaches the page), table
//! pipes are escaped and line breaks flattened (so a value cannot break the table),
//! and identifiers go into code spans (so `@team` names do not notify anyone). The
//! output stays under GitHub's comment limit by listing at most [`MAX_ROWS`] rows per
//! table and saying how many were left out.

use crate::view::{
    results_by_model, results_by_service, status_counts, status_label, truncate_chars,
};
use evident_core::{LevelReport, ScanResult, SharedScope, SourceStatus, Status};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rows per table before the rest is summarised, keeping a comment well under GitHub's
/// 65,536-character limit.
pub const MAX_ROWS: usize = 50;

/// Longest summary of a team or estate finding in the table (an estate finding can name
/// every service).
const MAX_SUMMARY: usize = 300;

/// Escapes free text for a Markdown paragraph or table cell.
pub(crate) fn md_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '@' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An identifier in a code span: literal text, no HTML, no mentions; pipes escaped so
/// it can sit in a table cell (GitHub unescapes `\|` inside code spans in tables).
pub(crate) fn md_code(value: &str) -> String {
    let flat: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if flat.starts_with('`') || flat.ends_with('`') || longest > 0 {
        format!("{fence} {flat} {fence}")
    } else {
        format!("{fence}{flat}{fence}")
    }
}

fn level_cell(report: &LevelReport) -> String {
    let mut cell = match (report.attained, &report.attained_name) {
        (Some(l), Some(name)) => format!("L{l} {}", md_text(name)),
        (Some(l), None) => format!("L{l}"),
        _ => {
            let shares: Vec<String> = report
                .shares
                .iter()
                .map(|s| format!("{} {}/{}", md_text(&s.name), s.met, s.total))
                .collect();
            return shares.join(", ");
        }
    };
    if let Some(next) = report.next {
        let b = &report.blocked_by;
        let mut parts = Vec::new();
        if !b.not_met.is_empty() {
            parts.push(format!("{} not met", b.not_met.len()));
        }
        if !b.unknown.is_empty() {
            parts.push(format!("{} unknown", b.unknown.len()));
        }
        if !b.manual.is_empty() {
            parts.push(format!("{} manual", b.manual.len()));
        }
        if !parts.is_empty() {
            let word = if report.next_undetermined {
                "undetermined"
            } else {
                "blocked"
            };
            let _ = write!(cell, " · L{next} {word}: {}", parts.join(", "));
        }
    }
    cell
}

/// Renders the summary.
pub fn render_markdown(result: &ScanResult) -> String {
    let mut out = String::new();
    let counts = status_counts(&result.results);
    let _ = writeln!(
        out,
        "## evident: {} service(s), {} verdict(s)\n",
        result.services.len(),
        result.results.len()
    );
    let targets: Vec<String> = result.scan.targets.iter().map(|t| md_code(t)).collect();
    let _ = writeln!(
        out,
        "Scan {} · {} to {} · evident {} · targets: {}\n",
        md_code(&result.scan.id),
        md_text(&result.scan.started_at),
        md_text(&result.scan.finished_at),
        md_text(&result.scan.tool.version),
        targets.join(", ")
    );
    let line: Vec<String> = Status::ALL
        .iter()
        .zip(counts)
        .map(|(s, n)| format!("**{n}** {}", status_label(*s)))
        .collect();
    let _ = writeln!(out, "{}\n", line.join(" · "));

    let problems: Vec<_> = result
        .sources
        .iter()
        .filter(|s| s.status != SourceStatus::Ok)
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "**Sources not available** (criteria that need them are unknown, not failed):\n"
        );
        for s in problems.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "- {} {} ({}){}",
                md_text(&s.probe),
                md_code(&s.source),
                s.status,
                s.detail
                    .as_deref()
                    .map(|d| format!(": {}", md_text(d)))
                    .unwrap_or_default()
            );
        }
        if problems.len() > MAX_ROWS {
            let _ = writeln!(out, "- … and {} more", problems.len() - MAX_ROWS);
        }
        out.push('\n');
    }
    if !result.unreadable.is_empty() {
        let _ = writeln!(
            out,
            "**Could not read {} item(s)**; see the full report.\n",
            result.unreadable.len()
        );
    }
    if !result.warnings.is_empty() {
        let _ = writeln!(
            out,
            "**Warning: {} input(s) not used**\n",
            result.warnings.len()
        );
        for w in &result.warnings {
            let _ = writeln!(out, "- {}", md_text(w));
        }
        out.push('\n');
    }
    if result.services.is_empty() {
        let _ = writeln!(out, "No service was found in the scanned targets.");
        return out;
    }

    // Levels: one row per service, one column per model.
    let models: Vec<&str> = results_by_model(result)
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let mut levels: BTreeMap<(&str, &str), &LevelReport> = BTreeMap::new();
    for l in &result.levels {
        levels.insert((l.service.as_str(), l.model.as_str()), l);
    }
    let _ = writeln!(out, "### Levels\n");
    let mut header = String::from("| service | team |");
    let mut rule = String::from("|---|---|");
    for m in &models {
        let _ = write!(header, " {} |", md_text(m));
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for service in result.services.iter().take(MAX_ROWS) {
        let mut row = format!(
            "| {} | {} |",
            md_code(&service.id),
            service
                .team
                .as_deref()
                .map_or_else(|| "–".to_owned(), md_code)
        );
        for m in &models {
            let cell = levels
                .get(&(service.id.as_str(), *m))
                .map_or_else(|| "–".to_owned(), |l| level_cell(l));
            let _ = write!(row, " {cell} |");
        }
        let _ = writeln!(out, "{row}");
    }
    if result.services.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more service(s); see the full report.",
            result.services.len() - MAX_ROWS
        );
    }
    out.push('\n');

    dora_sections(result, &mut out);
    shared_findings(result, &mut out);

    // Not met: what to fix, per service (team and estate findings are listed once above).
    let by_service = results_by_service(result);
    let not_met: Vec<_> = result
        .services
        .iter()
        .flat_map(|s| by_service.get(s.id.as_str()).cloned().unwrap_or_default())
        .filter(|r| r.status == Status::NotMet && r.scoped.is_none())
        .collect();
    if !not_met.is_empty() {
        let _ = writeln!(
            out,
            "### Not met ({})\n\n| service | criterion | why | fix |\n|---|---|---|---|",
            not_met.len()
        );
        for r in not_met.iter().take(MAX_ROWS) {
            let fix = result
                .criteria
                .get(&r.criterion)
                .map(|c| md_text(&c.remediation))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {fix} |",
                md_code(&r.service),
                md_code(&r.criterion),
                md_text(&r.summary)
            );
        }
        if not_met.len() > MAX_ROWS {
            let _ = writeln!(out, "\n… and {} more.", not_met.len() - MAX_ROWS);
        }
        out.push('\n');
    }

    // Unknown: grouped by reason, so the reader sees which source to configure.
    let mut unknown: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    for r in result
        .results
        .iter()
        .filter(|r| r.status == Status::Unknown)
    {
        let entry = unknown
            .entry(r.reason.as_deref().unwrap_or("unknown"))
            .or_default();
        entry.0 += 1;
        if !entry.1.contains(&r.criterion.as_str()) {
            entry.1.push(r.criterion.as_str());
        }
    }
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "### Could not be judged\n\n| reason | verdicts | criteria |\n|---|---|---|"
        );
        for (reason, (n, criteria)) in unknown.iter().take(MAX_ROWS) {
            let mut names: Vec<String> = criteria.iter().take(10).map(|c| md_code(c)).collect();
            if criteria.len() > 10 {
                names.push(format!("… {} more", criteria.len() - 10));
            }
            let _ = writeln!(out, "| {} | {n} | {} |", md_text(reason), names.join(", "));
        }
        out.push('\n');
    }
    let manual = counts[4];
    let attested = counts[5];
    if manual + attested > 0 {
        let _ = writeln!(
            out,
            "{manual} verdict(s) are manual (no system can show them) and {attested} attested by a person; the full report lists who, when and why.\n"
        );
    }
    out
}

/// Services with DORA measures listed before the rest is summarised: four rows each,
/// so the comment stays well under GitHub's limit.
const MAX_DORA_SERVICES: usize = 20;

/// One DORA section per service that has measures: value, window, sample, band and the
/// note, escaped like every value from a scanned system. Nothing when the scan had no
/// GitHub source.
fn dora_sections(result: &ScanResult, out: &mut String) {
    if result.dora.is_empty() {
        return;
    }
    let _ = writeln!(out, "### DORA measurements (reported, not gated)\n");
    for (service, measures) in result.dora.iter().take(MAX_DORA_SERVICES) {
        let _ = writeln!(
            out,
            "#### {}\n\n| measure | value | window | sample | band | note |\n|---|---|---|---|---|---|",
            md_code(service)
        );
        for (name, m) in crate::view::dora_keys(measures) {
            let _ = writeln!(
                out,
                "| {name} | {} | {} days | {} | {} | {} |",
                md_text(&crate::view::dora_value(m)),
                m.window_days,
                m.sample_size,
                m.band.map_or("–", |b| b.as_str()),
                md_text(&truncate_chars(&m.note, MAX_SUMMARY))
            );
        }
        out.push('\n');
    }
    if result.dora.len() > MAX_DORA_SERVICES {
        let _ = writeln!(
            out,
            "… and {} more service(s) with DORA measures; see the full report.\n",
            result.dora.len() - MAX_DORA_SERVICES
        );
    }
}

/// Team and estate findings that are not met or could not be judged, each once, with
/// how many services it covers.
fn shared_findings(result: &ScanResult, out: &mut String) {
    let open: Vec<_> = result
        .results
        .scoped
        .iter()
        .filter(|x| matches!(x.status, Status::NotMet | Status::Unknown))
        .collect();
    if open.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Team and estate findings ({})\n\n| scope | criterion | status | services | why | fix |\n|---|---|---|---|---|---|",
        open.len()
    );
    for x in open.iter().take(MAX_ROWS) {
        let fix = result
            .criteria
            .get(&x.criterion)
            .map(|c| md_text(&c.remediation))
            .unwrap_or_default();
        let scope = match x.scope {
            SharedScope::Estate => "estate".to_owned(),
            SharedScope::Team => format!("team {}", md_code(&x.subject)),
        };
        let _ = writeln!(
            out,
            "| {scope} | {} | {} | {} | {} | {fix} |",
            md_code(&x.criterion),
            status_label(x.status),
            x.services.len(),
            md_text(&truncate_chars(&x.summary, MAX_SUMMARY))
        );
    }
    if open.len() > MAX_ROWS {
        let _ = writeln!(out, "\n… and {} more.", open.len() - MAX_ROWS);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping_neutralises_html_tables_and_emphasis() {
        let s = md_text("<img src=x onerror=alert(1)> | *b* `c`\nnext");
        assert!(!s.contains('<'));
        assert!(!s.contains('\n'));
        assert!(s.contains("\\|"));
        assert!(s.contains("\\`"));
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(md_code("cart"), "`cart`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_code("a|b"), "`a\\|b`");
    }
}
