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
    /// Terminal width to wrap lines at (never cut); `None` leaves lines whole.
    pub width: Option<usize>,
    /// Every criterion with its reason and every source's detail (`--details`); off, a
    /// summary that fits one screen: levels, blockers, unknowns by source, next steps.
    pub details: bool,
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

/// Wraps `text` at word boundaries to `width`, after `first` on the first line and an
/// indent as wide as `first` on the others: a long reason is read whole, never cut.
fn wrap(first: &str, text: &str, width: Option<usize>) -> String {
    let lead = first.chars().count();
    let Some(w) = width.filter(|w| *w > lead + 20) else {
        return format!("{first}{text}");
    };
    let room = w - lead;
    let indent = " ".repeat(lead);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(&indent);
        } else {
            out.push_str(first);
        }
        out.push_str(l);
    }
    out
}

/// `probe source`, or the name once when both are the same (`prometheus`).
fn source_name(s: &evident_core::SourceReport) -> String {
    if s.probe == s.source {
        s.probe.clone()
    } else {
        format!("{} {}", s.probe, s.source)
    }
}

/// Whether a source's detail says this version has no probe for it.
fn unbuilt(s: &evident_core::SourceReport) -> bool {
    s.detail
        .as_deref()
        .is_some_and(|d| d.starts_with("not yet supported"))
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
        "{}",
        wrap(
            "",
            &format!(
                "evident {} · scan {} · {}",
                result.scan.tool.version,
                result.scan.id,
                result.scan.targets.join(", ")
            ),
            options.width
        )
    );
    write_sources(result, options, &mut out);
    if !result.unreadable.is_empty() {
        let _ = writeln!(out, "could not read {} item(s):", result.unreadable.len());
        let shown = if options.details { usize::MAX } else { 3 };
        for u in result.unreadable.iter().take(shown) {
            let line = format!("{}: {}", u.location, u.reason);
            let _ = writeln!(out, "{}", wrap("  ", &line, options.width));
        }
        if result.unreadable.len() > shown {
            let _ = writeln!(
                out,
                "  and {} more (--details lists them)",
                result.unreadable.len() - shown
            );
        }
    }
    if !result.warnings.is_empty() {
        let _ = writeln!(out, "warning: {} input(s) not used:", result.warnings.len());
        for w in &result.warnings {
            let _ = writeln!(out, "{}", wrap("  ", w, options.width));
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
    let line = format!(
        "{} service(s): {}",
        result.services.len(),
        summary.join(", ")
    );
    let _ = writeln!(out, "\n{}", wrap("", &line, options.width));
    if !options.details {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                "",
                "every criterion: --details; one verdict in full: evident explain SERVICE CRITERION --scan scan.json",
                options.width
            )
        );
    }
    out
}

/// The sources: in the summary one line for those that answered, one for those nobody
/// configured, and a line with the detail of each that was configured and failed; with
/// `--details` every source that did not answer with its detail.
fn write_sources(result: &ScanResult, options: TableOptions, out: &mut String) {
    let names = |f: &dyn Fn(&evident_core::SourceReport) -> bool| -> Vec<String> {
        let mut v: Vec<String> = result
            .sources
            .iter()
            .filter(|s| f(s))
            .map(source_name)
            .collect();
        v.dedup();
        v
    };
    let ok = names(&|s| s.status == SourceStatus::Ok);
    let unset = names(&|s| s.status == SourceStatus::NotConfigured && !unbuilt(s));
    let later = names(&|s| s.status == SourceStatus::NotConfigured && unbuilt(s));
    let mut line = format!("sources: {} ok ({})", ok.len(), ok.join(", "));
    if !unset.is_empty() {
        let _ = write!(line, "; not configured: {}", unset.join(", "));
    }
    if !later.is_empty() {
        let _ = write!(line, "; not yet supported: {}", later.join(", "));
    }
    let _ = writeln!(out, "{}", wrap("", &line, options.width));
    for s in &result.sources {
        let shown = match s.status {
            SourceStatus::Ok => false,
            SourceStatus::NotConfigured => options.details,
            _ => true,
        };
        if shown {
            let text = format!(
                "{} ({}): {}",
                source_name(s),
                s.status,
                s.detail.as_deref().unwrap_or_default()
            );
            let _ = writeln!(out, "{}", wrap("  ", &text, options.width));
        }
    }
}

/// The summary of one gated verdict: `needs prometheus (not_configured)` rather than the
/// source's whole detail on every line that needs it (the sources list carries it once).
fn short_summary(r: &CriterionResult) -> String {
    if r.status == Status::Unknown
        && r.reason.as_deref() == Some("not_configured")
        && r.summary.starts_with("needs ")
        && let Some(cut) = r.summary.find(" (not_configured")
    {
        return format!("{} (not configured)", &r.summary[..cut]);
    }
    r.summary.clone()
}

/// Every service with its levels and, per model, what blocks the next level, the
/// unknowns by the source that would decide them and the next steps; with `--details`
/// every criterion too. A criterion that is part of a team or estate finding shows the
/// service's own part; the finding is listed once after the services.
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
        write_dora(result, &service.id, options, out);
        let rows = by_service
            .get(service.id.as_str())
            .cloned()
            .unwrap_or_default();
        for report in levels_of.get(service.id.as_str()).into_iter().flatten() {
            let model_name = &report.model;
            let head = format!("  {model_name}: ");
            let _ = writeln!(
                out,
                "{}",
                wrap(&head, &level_line(report, false), options.width).bold_if(color)
            );
            let mut in_model: Vec<&CriterionResult> = rows
                .iter()
                .copied()
                .filter(|r| &r.model == model_name)
                .collect();
            // Lowest level first (smells, then Baseline, ...), the model's order within a level.
            in_model.sort_by_key(|r| result.criteria.get(&r.criterion).and_then(|c| c.level));
            if options.details {
                for r in &in_model {
                    write_row(result, r, options, out);
                }
            }
            write_blockers(report, &in_model, result, options, out);
            write_unknowns(&in_model, result, options, out);
            let next = next_steps(report, &in_model, result);
            if !next.is_empty() {
                let _ = writeln!(out, "    next:");
                for (i, line) in next.iter().take(3).enumerate() {
                    let _ = writeln!(
                        out,
                        "{}",
                        wrap(&format!("      {}. ", i + 1), line, options.width)
                    );
                }
            }
        }
    }
}

/// The two DORA lines of a service, when it has measures.
fn write_dora(result: &ScanResult, service: &str, options: TableOptions, out: &mut String) {
    let Some(dora) = result.dora.get(service) else {
        return;
    };
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
    let _ = writeln!(out, "{}", wrap("  ", &line, options.width));
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
    let _ = writeln!(out, "{}", wrap("  ", &line, options.width));
}

/// One criterion line of the `--details` view.
fn write_row(result: &ScanResult, r: &CriterionResult, options: TableOptions, out: &mut String) {
    let level = result
        .criteria
        .get(&r.criterion)
        .and_then(|c| c.level)
        .map_or_else(String::new, |l| format!("L{l} "));
    let head = format!("    {} {:<14} ", symbol(r.status), r.status.as_str());
    let text = format!("{level}{}  {}", r.criterion, short_summary(r));
    let wrapped = wrap(&head, &text, options.width);
    let painted = match wrapped.split_once(head.as_str()) {
        Some((_, rest)) => format!("{}{rest}", paint(&head, r.status, options.color)),
        None => wrapped,
    };
    let _ = writeln!(out, "{painted}");
}

/// The criteria with evidence that they are not met and that block the next level.
fn write_blockers(
    report: &LevelReport,
    rows: &[&CriterionResult],
    result: &ScanResult,
    options: TableOptions,
    out: &mut String,
) {
    if report.blocked_by.not_met.is_empty() {
        return;
    }
    let next = report
        .next
        .and_then(|n| report.shares.iter().find(|s| s.level == Some(n)))
        .map_or_else(|| "the next level".to_owned(), |s| s.name.clone());
    let _ = writeln!(out, "    blocks {next}:");
    for id in &report.blocked_by.not_met {
        let summary = rows
            .iter()
            .find(|r| &r.criterion == id)
            .map_or_else(String::new, |r| r.summary.clone());
        let head = format!("      {} ", symbol(Status::NotMet));
        let _ = writeln!(
            out,
            "{}",
            wrap(&head, &format!("{id}  {summary}"), options.width)
        );
    }
    let _ = result;
}

/// The capability that would decide an unknown verdict, and how it failed.
fn deciding_source(r: &CriterionResult) -> (String, String) {
    let status = r.reason.clone().unwrap_or_else(|| "unknown".into());
    let cap = r
        .missing
        .first()
        .map(|m| m.split('.').next().unwrap_or(m).to_owned())
        .unwrap_or_else(|| "a source".into());
    (cap, status)
}

/// What to pass so that `cap` is read; for alternatives (`github or git_history`) each.
fn how_to_read(cap: &str, result: &ScanResult) -> String {
    if cap.contains(" or ") {
        return cap
            .split(" or ")
            .map(|c| how_to_read_one(c, result))
            .collect::<Vec<_>>()
            .join("; or ");
    }
    how_to_read_one(cap, result)
}

/// [`how_to_read`] of one capability.
fn how_to_read_one(cap: &str, result: &ScanResult) -> String {
    if result
        .sources
        .iter()
        .any(|s| s.probe == cap && s.status == SourceStatus::Ok)
    {
        return format!(
            "{cap} answered, but not with what decides them (see what could not be read)"
        );
    }
    if result.sources.iter().any(|s| s.probe == cap && unbuilt(s)) {
        return "not yet supported by this version of evident".into();
    }
    match cap {
        "github" => "--github ORG (or OWNER/REPO)".into(),
        "kubernetes" => "--kube-context NAME, --kube or --kube-dump FILE".into(),
        "prometheus" => "--prometheus URL".into(),
        "grafana" => "--grafana URL".into(),
        "oncall" | "pagerduty" | "opsgenie" => "--pagerduty or --opsgenie".into(),
        "git" => "a repository path".into(),
        "git_history" => "a git clone with its history (a plain directory has none)".into(),
        _ => format!("configure {cap}"),
    }
}

/// The unknown verdicts of one model, counted by the source that would decide them.
fn unknown_groups(rows: &[&CriterionResult]) -> Vec<((String, String), usize)> {
    let mut groups: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == Status::Unknown) {
        *groups.entry(deciding_source(r)).or_default() += 1;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

/// `12 need github: --github ORG` lines, biggest first.
fn write_unknowns(
    rows: &[&CriterionResult],
    result: &ScanResult,
    options: TableOptions,
    out: &mut String,
) {
    let groups = unknown_groups(rows);
    if groups.is_empty() {
        return;
    }
    let total: usize = groups.iter().map(|g| g.1).sum();
    let _ = writeln!(
        out,
        "    {total} unknown, by the source that would decide them:"
    );
    for ((cap, status), n) in groups {
        let line = if status == "not_configured" {
            format!("{n} need {cap}: {}", how_to_read(&cap, result))
        } else {
            format!("{n} need {cap}, which answered {status} (see sources)")
        };
        let _ = writeln!(out, "{}", wrap("      ", &line, options.width));
    }
}

/// Team and estate findings that are not met (and with `--details` unknown), each once.
fn write_shared(result: &ScanResult, options: TableOptions, out: &mut String) {
    let open: Vec<_> = result
        .results
        .scoped
        .iter()
        .filter(|x| x.status == Status::NotMet || (options.details && x.status == Status::Unknown))
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
        let summary = if x.reason.as_deref() == Some("not_configured") {
            x.summary
                .find(" (not_configured")
                .filter(|_| x.summary.starts_with("needs "))
                .map_or_else(
                    || x.summary.clone(),
                    |cut| format!("{} (not configured)", &x.summary[..cut]),
                )
        } else {
            x.summary.clone()
        };
        let text = format!("{} ({subject})  {summary}", x.criterion);
        let lead = format!("  {head} ");
        let wrapped = wrap(&lead, &text, options.width);
        let painted = match wrapped.split_once(lead.as_str()) {
            Some((_, rest)) => format!("  {} {rest}", paint(&head, x.status, options.color)),
            None => wrapped,
        };
        let _ = writeln!(out, "{painted}");
    }
}

/// The three things to do next: the criteria that block the next level with their
/// remediation, then the sources that would decide the most unknowns.
fn next_steps(report: &LevelReport, rows: &[&CriterionResult], result: &ScanResult) -> Vec<String> {
    let mut lines = Vec::new();
    for id in &report.blocked_by.not_met {
        if let Some(c) = result.criteria.get(id) {
            lines.push(format!("{id}: {}", c.remediation));
        }
    }
    if report.attained.is_none() {
        for r in rows.iter().filter(|r| r.status == Status::NotMet) {
            if let Some(c) = result.criteria.get(&r.criterion)
                && !report.blocked_by.not_met.contains(&r.criterion)
            {
                lines.push(format!("{}: {}", r.criterion, c.remediation));
            }
        }
    }
    // A capability no probe of this version reads cannot be configured: it is no step.
    for ((cap, status), n) in unknown_groups(rows) {
        let how = how_to_read(&cap, result);
        if how.starts_with("not yet supported") {
            continue;
        }
        lines.push(if status == "not_configured" {
            format!("read {cap} ({how}): decides {n} unknown")
        } else {
            format!("fix the {cap} source ({status}, see sources): decides {n} unknown")
        });
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
