//! HTML: one self-contained page for auditors, readable on screen and printed to PDF.
//!
//! The page is rendered with `minijinja` from a template whose name ends in `.html`, so
//! every value is HTML-escaped by default: anything taken from a scanned system (a
//! workflow name, a label, an excerpt) shows as text. A Content-Security-Policy forbids
//! scripts and any external load as a second line of defence. With many services the
//! per-service sections and evidence records are collapsed `<details>` elements, so a
//! report of a thousand services opens quickly.

use crate::RenderError;
use crate::view::{results_by_model, results_by_service, status_counts, status_label};
use evident_core::{LevelReport, ScanResult, SourceStatus, Status};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const TEMPLATE: &str = include_str!("../templates/report.html");

/// Above this many services the sections start collapsed.
pub const COLLAPSE_ABOVE: usize = 20;

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn escaping_covers_text_and_quoted_attributes() {
        assert_eq!(
            escape_html("<a href=\"x\" onclick='y'>&</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape_html("k8s/app.yaml#L1"), "k8s/app.yaml#L1");
    }
}

#[derive(Serialize)]
struct Page<'a> {
    scan: ScanView<'a>,
    sources: Vec<SourceView<'a>>,
    unreadable: &'a [evident_core::Unreadable],
    warnings: &'a [String],
    /// The levels chart (inline SVG built from escaped text), shown first.
    levels_chart: Option<String>,
    /// The periods the evidence covers, per source that reads over time.
    windows: Vec<WindowView<'a>>,
    /// When the files and objects were read: the evidence's observation time, which a
    /// replay keeps from the recorded scan (its own start and end are not when anything
    /// was read).
    observed_at: &'a str,
    counts: Vec<Count>,
    models: Vec<ModelView<'a>>,
    services: Vec<ServiceView<'a>>,
    criteria: Vec<CriterionView<'a>>,
    shared: Vec<SharedView<'a>>,
    unknown_groups: Vec<UnknownGroup<'a>>,
    attested: Vec<AttestedView<'a>>,
    manual: Vec<ManualView<'a>>,
    evidence: Vec<EvidenceView<'a>>,
    many: bool,
}

/// The period one source's evidence covers.
#[derive(Serialize)]
struct WindowView<'a> {
    probe: &'a str,
    source: &'a str,
    from: &'a str,
    to: &'a str,
    what: &'a str,
}

#[derive(Serialize)]
struct ScanView<'a> {
    id: &'a str,
    tool: &'a str,
    version: &'a str,
    started_at: &'a str,
    finished_at: &'a str,
    targets: &'a [String],
    policies: &'a [String],
    strict: bool,
}

#[derive(Serialize)]
struct SourceView<'a> {
    probe: &'a str,
    source: &'a str,
    status: &'static str,
    detail: &'a str,
    ok: bool,
}

#[derive(Serialize)]
struct Count {
    status: &'static str,
    label: &'static str,
    n: usize,
}

#[derive(Serialize)]
struct ModelView<'a> {
    id: &'a str,
    counts: Vec<usize>,
}

#[derive(Serialize, Clone)]
struct Link<'a> {
    anchor: String,
    label: &'a str,
}

#[derive(Serialize)]
struct CritLink<'a> {
    anchor: String,
    id: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct RowView<'a> {
    status: &'static str,
    label: &'static str,
    reason: &'a str,
    criterion: &'a str,
    title: &'a str,
    anchor: String,
    level: String,
    summary: &'a str,
    missing: &'a [String],
    evidence: Vec<Link<'a>>,
    /// Anchor of the team or estate finding this row is part of.
    shared: Option<String>,
}

/// A team or estate finding, shown once. Its lists are cut for the page (the JSON
/// result has them whole): an estate finding can name every service.
#[derive(Serialize)]
struct SharedView<'a> {
    anchor: String,
    criterion: &'a str,
    criterion_anchor: String,
    scope: &'static str,
    subject: &'a str,
    status: &'static str,
    label: &'static str,
    reason: &'a str,
    summary: &'a str,
    missing: &'a [String],
    missing_more: usize,
    services: &'a [String],
    services_n: usize,
    services_more: usize,
    evidence: Vec<Link<'a>>,
}

/// The most items of a shared finding's lists shown on the page.
const SHARED_LIST_SHOWN: usize = 50;

#[derive(Serialize)]
struct ServiceModelView<'a> {
    model: &'a str,
    level: String,
    not_met: Vec<CritLink<'a>>,
    unknown: Vec<CritLink<'a>>,
    manual: Vec<CritLink<'a>>,
    rows: Vec<RowView<'a>>,
    /// With many services, verdicts without evidence are listed compactly instead of
    /// as table rows: unknown ones grouped by reason, then manual, then not applicable.
    brief: Vec<BriefGroup<'a>>,
    /// With many services, met verdicts as criterion links with their evidence anchors.
    brief_met: Vec<BriefLink<'a>>,
}

#[derive(Serialize)]
struct BriefLink<'a> {
    link: CritLink<'a>,
    evidence: Vec<String>,
}

#[derive(Serialize)]
struct BriefGroup<'a> {
    status: &'static str,
    label: String,
    criteria: Vec<CritLink<'a>>,
}

#[derive(Serialize)]
struct ServiceView<'a> {
    anchor: String,
    id: &'a str,
    team: Option<&'a str>,
    team_source: Option<&'a str>,
    resolved_from: &'a str,
    found_in: Vec<Link<'a>>,
    counts: Vec<Count>,
    level_cells: Vec<String>,
    models: Vec<ServiceModelView<'a>>,
    /// The service's DORA measures (empty without a GitHub or an on-call source).
    dora: Vec<DoraRow<'a>>,
}

/// One DORA measure of a service, as the page shows it.
#[derive(Serialize)]
struct DoraRow<'a> {
    name: &'static str,
    value: String,
    status: &'static str,
    window_days: u32,
    sample_size: u64,
    band: &'static str,
    note: &'a str,
    formula: &'a str,
    evidence: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct CriterionView<'a> {
    anchor: String,
    id: &'a str,
    title: &'a str,
    model: &'a str,
    level: Option<u8>,
    dimension: &'a str,
    scope: &'a str,
    observability: &'a str,
    met_when: &'a str,
    remediation: &'a str,
    manual: bool,
    counts: Vec<Count>,
}

#[derive(Serialize)]
struct UnknownGroup<'a> {
    reason: &'a str,
    n: usize,
    criteria: Vec<CritLink<'a>>,
}

#[derive(Serialize)]
struct AttestedView<'a> {
    service: &'a str,
    criterion: &'a str,
    anchor: String,
    summary: &'a str,
    evidence: Vec<Link<'a>>,
}

#[derive(Serialize)]
struct ManualView<'a> {
    criterion: &'a str,
    anchor: String,
    n: usize,
    summary: &'a str,
}

#[derive(Serialize)]
struct EvidenceView<'a> {
    anchor: String,
    id: &'a str,
    probe: &'a str,
    source: &'a str,
    locator: &'a str,
    revision: Option<&'a str>,
    observed_at: &'a str,
    sha256: Option<&'a str>,
    excerpt: &'a str,
}

fn counts_of(counts: [usize; 6]) -> Vec<Count> {
    Status::ALL
        .iter()
        .zip(counts)
        .map(|(s, n)| Count {
            status: s.as_str(),
            label: status_label(*s),
            n,
        })
        .collect()
}

fn level_text(report: &LevelReport) -> String {
    let mut text = match (report.attained, &report.attained_name) {
        (Some(l), Some(name)) => format!("level {l} {name}"),
        (Some(l), None) => format!("level {l}"),
        _ => {
            let shares: Vec<String> = report
                .shares
                .iter()
                .map(|s| format!("{} {}/{}", s.name, s.met, s.total))
                .collect();
            return format!("practice profile: {}", shares.join(", "));
        }
    };
    if let Some(next) = report.next {
        let name = report
            .shares
            .iter()
            .find(|s| s.level == Some(next))
            .map_or_else(|| format!("level {next}"), |s| s.name.clone());
        if report.next_undetermined {
            text.push_str(&format!("; {name} undetermined (blocked only by unknowns)"));
        } else if !report.blocked_by.not_met.is_empty()
            || !report.blocked_by.unknown.is_empty()
            || !report.blocked_by.manual.is_empty()
        {
            text.push_str(&format!("; {name} blocked"));
        }
    }
    text
}

/// Renders the page.
pub fn render_html(result: &ScanResult) -> Result<String, RenderError> {
    let page = build_page(result);
    let mut env = minijinja::Environment::new();
    // The name ends in .html: every value is escaped for HTML. Strings get the five
    // characters that matter in text and in the template's double-quoted attributes;
    // minijinja's default would also encode `/`, making path-heavy pages a third larger.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html
            && !value.is_safe()
            && let Some(text) = value.as_str()
        {
            return out
                .write_str(&escape_html(text))
                .map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.add_template("report.html", TEMPLATE)?;
    let template = env.get_template("report.html")?;
    Ok(template.render(&page)?)
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The team and estate findings, each once, with their lists cut to
/// [`SHARED_LIST_SHOWN`] items.
fn shared_views<'r>(
    result: &'r ScanResult,
    c_anchor: &dyn Fn(&str) -> String,
    e_link: &dyn Fn(&'r str) -> Option<Link<'r>>,
) -> Vec<SharedView<'r>> {
    result
        .results
        .scoped
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let missing = &x.missing[..x.missing.len().min(SHARED_LIST_SHOWN)];
            let services = &x.services[..x.services.len().min(SHARED_LIST_SHOWN)];
            SharedView {
                anchor: format!("x-{i}"),
                criterion: &x.criterion,
                criterion_anchor: c_anchor(&x.criterion),
                scope: x.scope.as_str(),
                subject: &x.subject,
                status: x.status.as_str(),
                label: status_label(x.status),
                reason: x.reason.as_deref().unwrap_or(""),
                summary: &x.summary,
                missing,
                missing_more: x.missing.len() - missing.len(),
                services,
                services_n: x.services.len(),
                services_more: x.services.len() - services.len(),
                evidence: x.evidence.iter().filter_map(|e| e_link(e)).collect(),
            }
        })
        .collect()
}

/// Evidence links shown per DORA measure: a busy service deploys hundreds of times a
/// month, and the evidence section below lists every record anyway.
const DORA_EVIDENCE_LINKS: usize = 10;

fn build_page<'r>(result: &'r ScanResult) -> Page<'r> {
    let criterion_anchor: HashMap<&str, String> = result
        .criteria
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), format!("c-{i}")))
        .collect();
    let evidence_anchor: HashMap<&str, String> = result
        .evidence
        .keys()
        .enumerate()
        .map(|(i, id)| (id.as_str(), format!("e-{i}")))
        .collect();
    let e_anchor = |id: &str| evidence_anchor.get(id).cloned();
    let c_anchor = |id: &str| {
        criterion_anchor
            .get(id)
            .cloned()
            .unwrap_or_else(|| "criteria".to_owned())
    };
    let e_link = |id: &'_ str| -> Option<Link<'_>> {
        let (key, anchor) = evidence_anchor.get_key_value(id)?;
        let label = result
            .evidence
            .get(*key)
            .map_or(*key, |e| e.locator.as_str());
        Some(Link {
            anchor: anchor.clone(),
            label,
        })
    };

    let shared_anchor: HashMap<&str, String> = result
        .results
        .scoped
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.as_str(), format!("x-{i}")))
        .collect();
    let shared = shared_views(result, &c_anchor, &e_link);
    let by_model = results_by_model(result);
    let model_ids: Vec<&str> = by_model.iter().map(|(m, _)| *m).collect();
    let models = by_model
        .iter()
        .map(|(m, rows)| ModelView {
            id: m,
            counts: status_counts(rows.iter().copied()).to_vec(),
        })
        .collect();

    let mut levels: HashMap<(&str, &str), &LevelReport> = HashMap::new();
    for l in &result.levels {
        levels.insert((l.service.as_str(), l.model.as_str()), l);
    }
    let by_service = results_by_service(result);
    let mut services = Vec::with_capacity(result.services.len());
    for (i, s) in result.services.iter().enumerate() {
        let rows = by_service.get(s.id.as_str()).cloned().unwrap_or_default();
        let mut model_views = Vec::new();
        for m in &model_ids {
            let in_model: Vec<_> = rows.iter().filter(|r| r.model == *m).collect();
            if in_model.is_empty() {
                continue;
            }
            let report = levels.get(&(s.id.as_str(), *m));
            let many = result.services.len() > COLLAPSE_ABOVE;
            let in_brief = |r: &evident_core::CriterionResult| {
                many && matches!(
                    r.status,
                    Status::Met | Status::Unknown | Status::Manual | Status::NotApplicable
                )
            };
            let mut brief: Vec<BriefGroup<'r>> = Vec::new();
            let mut brief_met: Vec<BriefLink<'r>> = Vec::new();
            if many {
                let mut by_reason: BTreeMap<&str, Vec<CritLink<'r>>> = BTreeMap::new();
                let mut met = Vec::new();
                let mut manual = Vec::new();
                let mut not_applicable = Vec::new();
                for r in in_model.iter().filter(|r| in_brief(r)) {
                    let link = CritLink {
                        anchor: c_anchor(&r.criterion),
                        id: &r.criterion,
                        reason: "",
                    };
                    match r.status {
                        Status::Unknown => by_reason
                            .entry(r.reason.as_deref().unwrap_or("unknown"))
                            .or_default()
                            .push(link),
                        Status::Manual => manual.push(link),
                        Status::Met => met.push(BriefLink {
                            link,
                            evidence: r.evidence.iter().filter_map(|e| e_anchor(e)).collect(),
                        }),
                        _ => not_applicable.push(CritLink {
                            reason: &r.summary,
                            ..link
                        }),
                    }
                }
                if !met.is_empty() {
                    brief_met = met;
                }
                for (reason, criteria) in by_reason {
                    brief.push(BriefGroup {
                        status: "unknown",
                        label: format!("unknown ({reason})"),
                        criteria,
                    });
                }
                if !manual.is_empty() {
                    brief.push(BriefGroup {
                        status: "manual",
                        label: "manual".into(),
                        criteria: manual,
                    });
                }
                if !not_applicable.is_empty() {
                    brief.push(BriefGroup {
                        status: "not_applicable",
                        label: "not applicable".into(),
                        criteria: not_applicable,
                    });
                }
            }
            let link = |id: &'r str, reason: &'r str| CritLink {
                anchor: c_anchor(id),
                id,
                reason,
            };
            model_views.push(ServiceModelView {
                model: m,
                level: report.map_or_else(|| "no level computed".to_owned(), |r| level_text(r)),
                not_met: report
                    .map(|r| r.blocked_by.not_met.iter().map(|c| link(c, "")).collect())
                    .unwrap_or_default(),
                unknown: report
                    .map(|r| {
                        r.blocked_by
                            .unknown
                            .iter()
                            .map(|u| link(&u.criterion, &u.reason))
                            .collect()
                    })
                    .unwrap_or_default(),
                manual: report
                    .map(|r| r.blocked_by.manual.iter().map(|c| link(c, "")).collect())
                    .unwrap_or_default(),
                brief,
                brief_met,
                rows: in_model
                    .iter()
                    .filter(|r| !in_brief(r))
                    .map(|r| {
                        let info = result.criteria.get(&r.criterion);
                        RowView {
                            status: r.status.as_str(),
                            label: status_label(r.status),
                            reason: r.reason.as_deref().unwrap_or(""),
                            criterion: &r.criterion,
                            title: if many {
                                ""
                            } else {
                                info.map_or("", |c| c.title.as_str())
                            },
                            anchor: c_anchor(&r.criterion),
                            level: info
                                .and_then(|c| c.level)
                                .map_or_else(String::new, |l| format!("L{l}")),
                            summary: &r.summary,
                            missing: &r.missing,
                            evidence: r.evidence.iter().filter_map(|e| e_link(e)).collect(),
                            shared: r
                                .scoped
                                .as_deref()
                                .and_then(|id| shared_anchor.get(id).cloned()),
                        }
                    })
                    .collect(),
            });
        }
        services.push(ServiceView {
            anchor: format!("s-{i}"),
            id: &s.id,
            team: s.team.as_deref(),
            team_source: s.team_source.as_deref(),
            resolved_from: &s.resolved_from,
            found_in: s.found_in.iter().filter_map(|e| e_link(e)).collect(),
            counts: counts_of(status_counts(rows.iter().copied())),
            level_cells: model_ids
                .iter()
                .map(|m| {
                    levels.get(&(s.id.as_str(), *m)).map_or_else(
                        || "–".to_owned(),
                        |r| match r.attained {
                            Some(l) => {
                                format!("L{l} {}", r.attained_name.as_deref().unwrap_or_default())
                            }
                            None => r
                                .shares
                                .iter()
                                .map(|x| format!("{} {}/{}", x.name, x.met, x.total))
                                .collect::<Vec<_>>()
                                .join(", "),
                        },
                    )
                })
                .collect(),
            models: model_views,
            dora: result
                .dora
                .get(&s.id)
                .map(|d| {
                    crate::view::dora_keys(d)
                        .into_iter()
                        .map(|(name, m)| DoraRow {
                            name,
                            value: crate::view::dora_value(m),
                            status: m.status.as_str(),
                            window_days: m.window_days,
                            sample_size: m.sample_size,
                            band: m.band.map_or("–", |b| b.as_str()),
                            note: &m.note,
                            formula: &m.formula,
                            evidence: m
                                .evidence
                                .iter()
                                .take(DORA_EVIDENCE_LINKS)
                                .filter_map(|e| e_link(e))
                                .collect(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }

    let mut per_criterion: HashMap<&str, [usize; 6]> = HashMap::new();
    let mut unknown: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    let mut manual: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    let mut attested = Vec::new();
    for r in &result.results {
        let counts = per_criterion.entry(r.criterion.as_str()).or_default();
        if let Some(i) = Status::ALL.iter().position(|s| *s == r.status) {
            counts[i] += 1;
        }
        match r.status {
            Status::Unknown => {
                let g = unknown
                    .entry(r.reason.as_deref().unwrap_or("unknown"))
                    .or_default();
                g.0 += 1;
                if !g.1.contains(&r.criterion.as_str()) {
                    g.1.push(r.criterion.as_str());
                }
            }
            Status::Manual => {
                let m = manual
                    .entry(r.criterion.as_str())
                    .or_insert((0, r.summary.as_str()));
                m.0 += 1;
            }
            Status::Attested => attested.push(AttestedView {
                service: &r.service,
                criterion: &r.criterion,
                anchor: c_anchor(&r.criterion),
                summary: &r.summary,
                evidence: r.evidence.iter().filter_map(|e| e_link(e)).collect(),
            }),
            _ => {}
        }
    }
    let criteria = result
        .criteria
        .iter()
        .map(|(id, c)| CriterionView {
            anchor: c_anchor(id),
            id,
            title: &c.title,
            model: &c.model,
            level: c.level,
            dimension: &c.dimension,
            scope: &c.scope,
            observability: &c.observability,
            met_when: &c.met_when,
            remediation: &c.remediation,
            manual: c.observability == "none",
            counts: counts_of(per_criterion.get(id.as_str()).copied().unwrap_or_default()),
        })
        .collect();

    Page {
        scan: ScanView {
            id: &result.scan.id,
            tool: &result.scan.tool.name,
            version: &result.scan.tool.version,
            started_at: &result.scan.started_at,
            finished_at: &result.scan.finished_at,
            targets: &result.scan.targets,
            policies: &result.scan.policies,
            strict: result.scan.strict,
        },
        sources: result
            .sources
            .iter()
            .map(|s| SourceView {
                probe: &s.probe,
                source: &s.source,
                status: s.status.as_str(),
                detail: s.detail.as_deref().unwrap_or(""),
                ok: s.status == SourceStatus::Ok,
            })
            .collect(),
        unreadable: &result.unreadable,
        warnings: &result.warnings,
        levels_chart: crate::chart::levels_svg(result),
        observed_at: result
            .evidence
            .values()
            .next()
            .map_or(result.scan.started_at.as_str(), |e| e.observed_at.as_str()),
        windows: result
            .sources
            .iter()
            .filter_map(|s| {
                s.window.as_ref().map(|w| WindowView {
                    probe: &s.probe,
                    source: &s.source,
                    from: &w.from,
                    to: &w.to,
                    what: &w.what,
                })
            })
            .collect(),
        counts: counts_of(status_counts(&result.results)),
        models,
        services,
        criteria,
        shared,
        unknown_groups: unknown
            .into_iter()
            .map(|(reason, (n, ids))| UnknownGroup {
                reason,
                n,
                criteria: ids
                    .into_iter()
                    .map(|id| CritLink {
                        anchor: c_anchor(id),
                        id,
                        reason: "",
                    })
                    .collect(),
            })
            .collect(),
        attested,
        manual: manual
            .into_iter()
            .map(|(id, (n, summary))| ManualView {
                criterion: id,
                anchor: c_anchor(id),
                n,
                summary,
            })
            .collect(),
        evidence: result
            .evidence
            .iter()
            .map(|(id, e)| EvidenceView {
                anchor: evidence_anchor
                    .get(id.as_str())
                    .cloned()
                    .unwrap_or_default(),
                id,
                probe: &e.probe,
                source: &e.source,
                locator: &e.locator,
                revision: e.revision.as_deref(),
                observed_at: &e.observed_at,
                sha256: e.sha256.as_deref(),
                excerpt: &e.excerpt,
            })
            .collect(),
        many: result.services.len() > COLLAPSE_ABOVE,
    }
}
