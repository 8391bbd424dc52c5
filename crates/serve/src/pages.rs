//! The server-rendered pages: the estate overview, one page per service, the scan list.
//! minijinja escapes every value (the templates' names end in `.html`); only the SVG
//! charts, escaped where they are drawn, are marked safe.

use crate::charts::{Series, line_chart};
use crate::state::{AppError, AppState, html};
use axum::extract::{Path, State};
use axum::response::Response;
use evident_core::{CriterionResult, ScanResult};
use minijinja::Value as Jv;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const BASE: &str = include_str!("../templates/base.html");
const OVERVIEW: &str = include_str!("../templates/overview.html");
const SERVICE: &str = include_str!("../templates/service.html");
const SCANS: &str = include_str!("../templates/scans.html");
const DIFF: &str = include_str!("../templates/diff.html");

/// The page templates, compiled once.
pub(crate) fn environment() -> Result<minijinja::Environment<'static>, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    // Strings get the five characters that matter in text and in double-quoted attributes
    // escaped; minijinja's default would also encode `/`, which makes links unreadable.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == minijinja::AutoEscape::Html
            && !value.is_safe()
            && let Some(text) = value.as_str()
        {
            return out
                .write_str(&crate::charts::xml(text))
                .map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.add_template("base.html", BASE)?;
    env.add_template("overview.html", OVERVIEW)?;
    env.add_template("service.html", SERVICE)?;
    env.add_template("scans.html", SCANS)?;
    env.add_template("diff.html", DIFF)?;
    Ok(env)
}

/// Renders `name` with `context` as an HTML answer.
fn render(state: &AppState, name: &str, context: Value) -> Result<Response, AppError> {
    let template = state
        .pages
        .get_template(name)
        .map_err(|e| AppError::Render(e.to_string()))?;
    let body = template
        .render(Jv::from_serialize(&context))
        .map_err(|e| AppError::Render(e.to_string()))?;
    Ok(html(body))
}

/// The link to a service's page (its id percent-encoded as one path segment).
pub(crate) fn service_href(id: &str) -> String {
    let mut out = String::from("/services/");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A time as the charts label it: `MM-DD HH:MM` (UTC), or the text as given.
fn short_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// Level numbers to names, per model, from every result given ("none" for 0).
fn level_names(
    results: &[(crate::ScanRecord, Arc<ScanResult>)],
) -> BTreeMap<String, BTreeMap<u8, String>> {
    let mut names: BTreeMap<String, BTreeMap<u8, String>> = BTreeMap::new();
    for (_, r) in results {
        for l in &r.levels {
            let m = names.entry(l.model.clone()).or_default();
            m.entry(0).or_insert_with(|| "none".to_owned());
            for s in &l.shares {
                if let Some(level) = s.level {
                    m.entry(level).or_insert_with(|| s.name.clone());
                }
            }
            if let (Some(a), Some(n)) = (l.attained, &l.attained_name) {
                m.entry(a).or_insert_with(|| n.clone());
            }
        }
    }
    names
}

/// The name of `level` in `model`.
fn level_text(
    names: &BTreeMap<String, BTreeMap<u8, String>>,
    model: &str,
    level: Option<u8>,
) -> String {
    let level = level.unwrap_or(0);
    names
        .get(model)
        .and_then(|m| m.get(&level))
        .cloned()
        .unwrap_or_else(|| {
            if level == 0 {
                "none".into()
            } else {
                format!("level {level}")
            }
        })
}

/// Per model: how many services were at each level at each scan.
fn model_charts(results: &[(crate::ScanRecord, Arc<ScanResult>)]) -> Vec<(String, String)> {
    let names = level_names(results);
    let labels: Vec<String> = results
        .iter()
        .map(|(r, _)| short_time(&r.finished_at))
        .collect();
    names
        .iter()
        .map(|(model, levels)| {
            let series: Vec<Series> = levels
                .iter()
                .map(|(level, name)| Series {
                    name: if *level == 0 {
                        name.clone()
                    } else {
                        format!("{level} {name}")
                    },
                    values: results
                        .iter()
                        .map(|(_, r)| {
                            let n = r
                                .levels
                                .iter()
                                .filter(|l| &l.model == model && l.attained.unwrap_or(0) == *level)
                                .count();
                            Some(n as f64)
                        })
                        .collect(),
                    colour: usize::from(*level),
                })
                // A level no service reached in any scan is a flat line at 0 that hides
                // the others: left out.
                .filter(|s: &Series| s.values.iter().any(|v| v.is_some_and(|n| n > 0.0)))
                .collect();
            let svg = line_chart(
                &format!("{model}: services at each level"),
                &labels,
                &series,
                1.0,
                &|v| format!("{v:.0}"),
            );
            (model.clone(), svg)
        })
        .collect()
}

/// `/`: the estate.
pub(crate) async fn overview(State(state): State<AppState>) -> Result<Response, AppError> {
    let records = state.records().await?;
    let results = state.results(&records).await?;
    let names = level_names(&results);
    let latest = results.last().map(|(_, r)| r.clone());
    let newest_failed = records.first().filter(|r| !r.ok);
    let mut context = json!({
        "title": "estate",
        "running": state.stats.running.load(std::sync::atomic::Ordering::SeqCst),
        "scans": records.len(),
        "failure": newest_failed.map(|r| json!({"finished_at": r.finished_at, "error": r.error})),
    });
    if let Some(latest) = &latest {
        let models: Vec<String> = names.keys().cloned().collect();
        context["latest"] = json!({
            "id": latest.scan.id,
            "finished_at": latest.scan.finished_at,
            "targets": latest.scan.targets.len(),
            "services": latest.services.len(),
        });
        context["models"] = json!(models);
        context["teams"] = teams(latest, &models, &names);
        context["source_errors"] = json!(latest
            .sources
            .iter()
            .filter(|s| !matches!(s.status, evident_core::SourceStatus::Ok | evident_core::SourceStatus::NotConfigured))
            .map(|s| json!({"probe": s.probe, "source": s.source, "status": s.status, "detail": s.detail}))
            .collect::<Vec<_>>());
    }
    if results.len() >= 2 {
        let (before, after) = (&results[results.len() - 2].1, &results[results.len() - 1].1);
        context["diff"] = diff_view(before, after);
    }
    let charts = model_charts(&results);
    render_with_charts(&state, "overview.html", context, charts)
}

/// Renders with the SVG charts passed as safe strings (they are escaped where drawn).
fn render_with_charts(
    state: &AppState,
    name: &str,
    context: Value,
    charts: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let template = state
        .pages
        .get_template(name)
        .map_err(|e| AppError::Render(e.to_string()))?;
    let charts: Vec<Jv> = charts
        .into_iter()
        .map(|(model, svg)| {
            Jv::from_iter([
                ("model", Jv::from(model)),
                ("svg", Jv::from_safe_string(svg)),
            ])
        })
        .collect();
    let mut ctx: BTreeMap<String, Jv> = match context {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, Jv::from_serialize(&v)))
            .collect(),
        _ => BTreeMap::new(),
    };
    ctx.insert("charts".into(), Jv::from(charts));
    let body = template
        .render(Jv::from(ctx))
        .map_err(|e| AppError::Render(e.to_string()))?;
    Ok(html(body))
}

/// The teams of `result`, each with its services and their levels per model.
fn teams(
    result: &ScanResult,
    models: &[String],
    names: &BTreeMap<String, BTreeMap<u8, String>>,
) -> Value {
    let mut by_team: BTreeMap<(bool, String), Vec<Value>> = BTreeMap::new();
    for s in &result.services {
        let levels: Vec<Value> = models
            .iter()
            .map(|m| {
                let attained = result
                    .levels
                    .iter()
                    .find(|l| &l.model == m && l.service == s.id)
                    .and_then(|l| l.attained);
                json!({"model": m, "level": attained.unwrap_or(0), "text": level_text(names, m, attained)})
            })
            .collect();
        let key = match &s.team {
            Some(t) => (false, t.clone()),
            None => (true, "(no team)".to_owned()),
        };
        by_team.entry(key).or_default().push(json!({
            "id": s.id,
            "href": service_href(&s.id),
            "levels": levels,
        }));
    }
    Value::Array(
        by_team
            .into_iter()
            .map(|((_, name), services)| json!({"name": name, "services": services}))
            .collect(),
    )
}

/// The evidence a verdict cites: its own, else that of the shared verdict it refers to.
fn evidence_of(result: &ScanResult, row: &CriterionResult) -> Vec<Value> {
    let mut ids: Vec<&String> = row.evidence.iter().collect();
    if ids.is_empty()
        && let Some(scoped) = &row.scoped
        && let Some(shared) = result.results.scoped.iter().find(|s| &s.id == scoped)
    {
        ids = shared.evidence.iter().collect();
    }
    ids.into_iter()
        .map(|id| match result.evidence.get(id) {
            Some(e) => json!({"probe": e.probe, "source": e.source, "locator": e.locator}),
            None => json!({"probe": "", "source": "", "locator": id}),
        })
        .collect()
}

/// `/services/{id}`: one service's verdicts, reasons, evidence and level trend.
pub(crate) async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let records = state.records().await?;
    let results = state.results(&records).await?;
    let Some((_, latest)) = results
        .iter()
        .rev()
        .find(|(_, r)| r.services.iter().any(|s| s.id == id))
    else {
        return Err(AppError::NotFound(format!(
            "service {id} in the stored scans"
        )));
    };
    let names = level_names(&results);
    let seen: Vec<&(crate::ScanRecord, Arc<ScanResult>)> = results.iter().collect();
    let labels: Vec<String> = seen
        .iter()
        .map(|(r, _)| short_time(&r.finished_at))
        .collect();
    let svc = latest.services.iter().find(|s| s.id == id);
    let models: BTreeSet<&str> = latest
        .levels
        .iter()
        .filter(|l| l.service == id)
        .map(|l| l.model.as_str())
        .collect();
    let mut charts = Vec::new();
    let mut sections = Vec::new();
    for model in models {
        let values: Vec<Option<f64>> = seen
            .iter()
            .map(|(_, r)| {
                r.levels
                    .iter()
                    .find(|l| l.model == model && l.service == id)
                    .map(|l| f64::from(l.attained.unwrap_or(0)))
            })
            .collect();
        let top = names
            .get(model)
            .and_then(|m| m.keys().max())
            .copied()
            .unwrap_or(1);
        let names_m = names.get(model).cloned().unwrap_or_default();
        let svg = line_chart(
            &format!("{id}: {model} level over the stored scans"),
            &labels,
            &[Series {
                name: id.clone(),
                values,
                colour: 3,
            }],
            f64::from(top),
            &|v| {
                names_m
                    .get(&(v as u8))
                    .cloned()
                    .unwrap_or_else(|| format!("{v:.0}"))
            },
        );
        charts.push((model.to_owned(), svg));
        let attained = latest
            .levels
            .iter()
            .find(|l| l.model == model && l.service == id)
            .and_then(|l| l.attained);
        let criteria: Vec<Value> = latest
            .results
            .iter()
            .filter(|r| r.service == id && r.model == model)
            .map(|r| {
                let info = latest.criteria.get(&r.criterion);
                json!({
                    "id": r.criterion,
                    "title": info.map(|i| i.title.as_str()).unwrap_or(""),
                    "level": info.and_then(|i| i.level),
                    "status": r.status,
                    "reason": r.reason,
                    "summary": r.summary,
                    "missing": r.missing,
                    "evidence": evidence_of(latest, r),
                })
            })
            .collect();
        sections.push(json!({"model": model, "level": level_text(&names, model, attained), "criteria": criteria}));
    }
    let context = json!({
        "title": id,
        "service": {
            "id": id,
            "team": svc.and_then(|s| s.team.clone()),
            "environments": svc.map(|s| s.environments.clone()).unwrap_or_default(),
        },
        "scan": {"id": latest.scan.id, "finished_at": latest.scan.finished_at},
        "models": sections,
    });
    render_with_charts(&state, "service.html", context, charts)
}

/// A scan as the scan list shows it.
#[derive(Serialize)]
struct ScanRow<'a> {
    id: &'a str,
    started_at: &'a str,
    finished_at: &'a str,
    ok: bool,
    error: Option<&'a str>,
    duration: String,
}

/// `/scans`: the newest scans, failures with their reason.
pub(crate) async fn scans(State(state): State<AppState>) -> Result<Response, AppError> {
    let records = state.records().await?;
    let rows: Vec<ScanRow<'_>> = records
        .iter()
        .map(|r| ScanRow {
            id: &r.id,
            started_at: &r.started_at,
            finished_at: &r.finished_at,
            ok: r.ok,
            error: r.error.as_deref(),
            duration: format!("{:.1} s", r.duration_ms as f64 / 1000.0),
        })
        .collect();
    render(
        &state,
        "scans.html",
        json!({"title": "scans", "scans": rows}),
    )
}

/// The diff between two results for the page: every criterion change (regressions
/// first), level changes with level names, services added and removed.
pub(crate) fn diff_view(before: &ScanResult, after: &ScanResult) -> Value {
    let d = diff_json(before, after);
    let status = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let mut changes = Vec::new();
    for (key, kind, class) in [
        ("regressions", "regression", "reg"),
        ("improvements", "improvement", "imp"),
        ("changes", "change", ""),
    ] {
        for c in d[key].as_array().into_iter().flatten() {
            changes.push(json!({
                "kind": kind,
                "class": class,
                "service": c["service"],
                "href": c["service"].as_str().map(service_href),
                "model": c["model"],
                "criterion": c["criterion"],
                "before": status(&c["before"]),
                "after": status(&c["after"]),
                "summary": c["summary"],
            }));
        }
    }
    let level = |v: &Value| {
        v.as_u64()
            .map_or_else(|| "none".to_owned(), |n| n.to_string())
    };
    let levels: Vec<Value> = d["levels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            json!({
                "service": l["service"],
                "model": l["model"],
                "before": level(&l["before"]),
                "after": level(&l["after"]),
                "class": if l["direction"] == "regression" { "reg" } else { "imp" },
            })
        })
        .collect();
    json!({
        "before": before.scan.id,
        "after": after.scan.id,
        "diff": {
            "changes": changes,
            "levels": levels,
            "services_added": d["services_added"],
            "services_removed": d["services_removed"],
        },
    })
}

/// The diff between two results as JSON (`evident_store::diff::ScanDiff`).
pub(crate) fn diff_json(before: &ScanResult, after: &ScanResult) -> Value {
    serde_json::to_value(evident_store::diff::diff(before, after)).unwrap_or(Value::Null)
}
