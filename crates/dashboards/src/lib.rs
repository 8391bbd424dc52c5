//! Panels and the PromQL they run, from a Grafana dashboard JSON model.
//!
//! A crate of its own because two probes read dashboards: the Grafana probe (from the
//! HTTP API) and the git probe (dashboards kept as code), and probes never depend on
//! one another. One function for every place a dashboard comes from (the Grafana API, a
//! JSON file in a repository, a ConfigMap for the Grafana sidecar, a GrafanaDashboard
//! object), so a panel means the same thing wherever it was found. Queries are parsed
//! with a real PromQL parser after Grafana's template variables are replaced by
//! stand-ins the parser accepts; a matcher whose value came from a variable is marked
//! `templated`.

#![warn(missing_docs)]

pub mod model;

use regex::Regex;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// One label matcher of a panel query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Matcher {
    /// Label name.
    pub label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub op: String,
    /// The value, with template variables shown as `$name`.
    pub value: String,
    /// The value comes from a dashboard variable, so it selects whatever the viewer picks.
    pub templated: bool,
}

/// One query of a panel.
#[derive(Debug, Clone, Serialize)]
pub struct Query {
    /// Grafana's refId (`A`, `B`, ...).
    pub ref_id: Option<String>,
    /// The expression as written in the dashboard.
    pub expr: String,
    /// Metric names it selects (empty when it does not parse).
    pub metrics: Vec<String>,
    /// Label matchers of its selectors.
    pub matchers: Vec<Matcher>,
    /// Why the parser refused it, when it did.
    pub parse_error: Option<String>,
}

/// One panel with PromQL queries (panels without any are left out).
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// Panel id within the dashboard.
    pub id: Option<i64>,
    /// Title as shown.
    pub title: String,
    /// Visualisation (`timeseries`, `stat`, ...).
    pub kind: String,
    /// Its queries.
    pub queries: Vec<Query>,
}

/// A dashboard reduced to what rules need.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// Grafana uid, when the model has one.
    pub uid: Option<String>,
    /// Title.
    pub title: String,
    /// Panels with PromQL.
    pub panels: Vec<Panel>,
    /// Every metric the panels select.
    pub metrics: Vec<String>,
    /// Every matcher the panels use, deduplicated.
    pub matchers: Vec<Matcher>,
    /// Number of queries that did not parse.
    pub unparsed: usize,
}

fn re(pattern: &str) -> Regex {
    // The patterns are literals below, compiled by every test run.
    Regex::new(pattern).unwrap_or_else(|_| unreachable!("literal regex compiles"))
}

fn range_var() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| re(r"\[\s*(\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_]+)?\}?|\[\[[A-Za-z_][A-Za-z0-9_]*\]\])\s*(:\s*(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[0-9]+[smhdwy]))?\s*\]"))
}

fn any_var() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| re(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z_]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]"))
}

const STAND_IN: &str = "__evident_var_";

/// Replaces Grafana variables by stand-ins the PromQL parser accepts: ranges become
/// `[5m]`, other variables `__evident_var_<name>__` (a valid label value and identifier).
pub fn substitute(expr: &str) -> String {
    let ranged = range_var().replace_all(expr, "[5m]");
    let ranged = ranged.replace("offset $__range", "offset 5m");
    any_var()
        .replace_all(&ranged, |c: &regex::Captures<'_>| {
            let name = c
                .get(1)
                .or_else(|| c.get(2))
                .or_else(|| c.get(3))
                .map_or("", |m| m.as_str());
            format!("{STAND_IN}{name}__")
        })
        .into_owned()
}

fn restore(value: &str) -> (String, bool) {
    if !value.contains(STAND_IN) {
        return (value.to_owned(), false);
    }
    let mut out = value.to_owned();
    while let Some(start) = out.find(STAND_IN) {
        let rest = &out[start + STAND_IN.len()..];
        let Some(end) = rest.find("__") else { break };
        let name = rest[..end].to_owned();
        out.replace_range(start..start + STAND_IN.len() + end + 2, &format!("${name}"));
    }
    (out, true)
}

/// Parses one panel query.
pub fn parse_query(expr: &str, ref_id: Option<String>) -> Query {
    let prepared = substitute(expr);
    match evident_promql::select(&prepared) {
        Ok(selection) => {
            // A metric name built from a variable is not a name; it is left out.
            let metrics: BTreeSet<String> = selection
                .metrics
                .iter()
                .map(|m| restore(m))
                .filter(|(_, templated)| !templated)
                .map(|(name, _)| name)
                .collect();
            let matchers: BTreeSet<Matcher> = selection
                .matchers
                .into_iter()
                .map(|m| {
                    let (value, templated) = restore(&m.value);
                    Matcher {
                        label: m.label,
                        op: m.op,
                        value,
                        templated,
                    }
                })
                .collect();
            Query {
                ref_id,
                expr: expr.to_owned(),
                metrics: metrics.into_iter().collect(),
                matchers: matchers.into_iter().collect(),
                parse_error: None,
            }
        }
        Err(e) => Query {
            ref_id,
            expr: expr.to_owned(),
            metrics: vec![],
            matchers: vec![],
            parse_error: Some(e.chars().take(200).collect()),
        },
    }
}

fn is_promql_target(panel_ds: Option<&serde_json::Value>, target: &serde_json::Value) -> bool {
    let ds_type = |v: Option<&serde_json::Value>| {
        v.and_then(|d| d.get("type"))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let t = ds_type(target.get("datasource")).or_else(|| ds_type(panel_ds));
    is_promql_type(t.as_deref())
}

/// Whether a query of this datasource type is PromQL. No datasource type (old models,
/// `-- Mixed --` by uid) with an `expr`: Prometheus is the only datasource whose
/// queries live in `expr`, besides Loki (LogQL starts with `{` and a stream selector,
/// handled by the parser failing).
pub(crate) fn is_promql_type(t: Option<&str>) -> bool {
    matches!(
        t,
        Some("prometheus") | Some("grafana-amazonprometheus-datasource") | None
    )
}

fn walk_panels<'a>(panels: &'a [serde_json::Value], out: &mut Vec<&'a serde_json::Value>) {
    for p in panels {
        out.push(p);
        if let Some(inner) = p.get("panels").and_then(serde_json::Value::as_array) {
            walk_panels(inner, out);
        }
    }
}

/// Extracts the PromQL panels of a dashboard JSON model (the `dashboard` object of
/// Grafana's API, or a dashboard file's content).
pub fn extract_dashboard(model: &serde_json::Value) -> Dashboard {
    let mut all = Vec::new();
    if let Some(panels) = model.get("panels").and_then(serde_json::Value::as_array) {
        walk_panels(panels, &mut all);
    }
    // Dashboards older than schema 16 keep panels in rows.
    for row in model
        .get("rows")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(panels) = row.get("panels").and_then(serde_json::Value::as_array) {
            walk_panels(panels, &mut all);
        }
    }
    let mut panels = Vec::new();
    for p in all {
        let queries: Vec<Query> = p
            .get("targets")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter(|t| is_promql_target(p.get("datasource"), t))
            .filter_map(|t| {
                let expr = t.get("expr").and_then(serde_json::Value::as_str)?;
                (!expr.trim().is_empty()).then(|| {
                    parse_query(
                        expr,
                        t.get("refId")
                            .and_then(serde_json::Value::as_str)
                            .map(str::to_owned),
                    )
                })
            })
            .collect();
        if queries.is_empty() {
            continue;
        }
        panels.push(Panel {
            id: p.get("id").and_then(serde_json::Value::as_i64),
            title: p
                .get("title")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            kind: p
                .get("type")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            queries,
        });
    }
    finish(
        model
            .get("uid")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        model
            .get("title")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        panels,
    )
}

/// A dashboard from its panels: the metrics and matchers they use, and how many of
/// their queries did not parse. One place for both the `Value` and the typed reading.
pub(crate) fn finish(uid: Option<String>, title: String, panels: Vec<Panel>) -> Dashboard {
    let metrics: BTreeSet<String> = panels
        .iter()
        .flat_map(|p| p.queries.iter().flat_map(|q| q.metrics.iter().cloned()))
        .collect();
    let matchers: BTreeSet<Matcher> = panels
        .iter()
        .flat_map(|p| p.queries.iter().flat_map(|q| q.matchers.iter().cloned()))
        .collect();
    let unparsed = panels
        .iter()
        .flat_map(|p| &p.queries)
        .filter(|q| q.parse_error.is_some())
        .count();
    Dashboard {
        uid,
        title,
        panels,
        metrics: metrics.into_iter().collect(),
        matchers: matchers.into_iter().collect(),
        unparsed,
    }
}

/// The dashboard models a YAML or JSON document holds when it is dashboards-as-code:
/// a dashboard JSON file itself, a ConfigMap labelled for the Grafana sidecar
/// (`grafana_dashboard`), or a `GrafanaDashboard` object (grafana-operator, `spec.json`
/// or `spec.dashboard`). Returns `(how it was recognised, model)` pairs.
pub fn dashboards_in_document(doc: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    let kind = doc.get("kind").and_then(serde_json::Value::as_str);
    if kind == Some("ConfigMap") {
        let labels = doc
            .pointer("/metadata/labels")
            .and_then(serde_json::Value::as_object);
        let labelled = labels.is_some_and(|l| l.contains_key("grafana_dashboard"));
        if labelled {
            for (key, value) in doc
                .get("data")
                .and_then(serde_json::Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(text) = value.as_str()
                    && let Ok(model) = serde_json::from_str::<serde_json::Value>(text)
                    && looks_like_dashboard(&model)
                {
                    out.push((
                        format!("ConfigMap with label grafana_dashboard, key {key}"),
                        model,
                    ));
                }
            }
        }
    } else if kind == Some("GrafanaDashboard") {
        let spec = doc.get("spec");
        let model = spec
            .and_then(|s| s.get("json"))
            .and_then(serde_json::Value::as_str)
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .or_else(|| spec.and_then(|s| s.get("dashboard")).cloned());
        if let Some(model) = model.filter(looks_like_dashboard) {
            out.push(("GrafanaDashboard object".into(), model));
        }
    } else if looks_like_dashboard(doc) {
        out.push(("dashboard JSON".into(), doc.clone()));
    }
    out
}

/// A dashboard model has panels (or rows) and a title or schemaVersion.
pub fn looks_like_dashboard(v: &serde_json::Value) -> bool {
    (v.get("panels").is_some_and(serde_json::Value::is_array)
        || v.get("rows").is_some_and(serde_json::Value::is_array))
        && (v.get("schemaVersion").is_some() || v.get("title").is_some())
}

/// A dashboard as facts: the extraction plus where it came from and its evidence id.
///
/// Both probes build their dashboard facts here so the rules see one shape whether a
/// dashboard was read from Grafana or from a repository.
pub fn dashboard_fact(
    d: &Dashboard,
    origin: serde_json::Value,
    evidence: &str,
) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or(serde_json::Value::Null);
    if let (serde_json::Value::Object(o), serde_json::Value::Object(extra)) = (&mut v, origin) {
        o.extend(extra);
        o.insert("evidence".into(), serde_json::Value::from(evidence));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grafana_variables_become_parseable_and_are_marked_templated() {
        let q = parse_query(
            r#"sum by (span_name) (rate(traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR", service_name=~"(${service:regex})"}[$__rate_interval]))"#,
            Some("A".into()),
        );
        assert_eq!(q.parse_error, None);
        assert_eq!(q.metrics, vec!["traces_span_metrics_calls_total"]);
        assert!(q.matchers.contains(&Matcher {
            label: "service_name".into(),
            op: "=~".into(),
            value: "($service)".into(),
            templated: true
        }));
        assert!(
            q.matchers
                .iter()
                .any(|m| m.label == "status_code" && !m.templated)
        );
    }

    #[test]
    fn nested_rows_and_non_prometheus_targets() {
        let d = extract_dashboard(&json!({
            "uid": "u", "title": "T", "schemaVersion": 39,
            "panels": [
                {"type": "row", "title": "r", "panels": [
                    {"id": 2, "type": "timeseries", "title": "RPS",
                     "datasource": {"type": "prometheus", "uid": "p"},
                     "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"checkout\"}[5m]))"}]}
                ]},
                {"id": 3, "type": "logs", "title": "Logs",
                 "targets": [{"datasource": {"type": "loki"}, "expr": "{app=\"x\"}"}]}
            ]
        }));
        assert_eq!(d.panels.len(), 1);
        assert_eq!(d.metrics, vec!["http_requests_total"]);
        assert_eq!(d.matchers[0].value, "checkout");
    }

    #[test]
    fn configmaps_and_crds_hold_dashboards() {
        let model = json!({"title": "x", "panels": []});
        let cm = json!({"kind": "ConfigMap", "metadata": {"labels": {"grafana_dashboard": "1"}},
                        "data": {"x.json": model.to_string()}});
        assert_eq!(dashboards_in_document(&cm).len(), 1);
        let unlabelled = json!({"kind": "ConfigMap", "data": {"x.json": model.to_string()}});
        assert!(dashboards_in_document(&unlabelled).is_empty());
        let crd = json!({"kind": "GrafanaDashboard", "spec": {"json": model.to_string()}});
        assert_eq!(dashboards_in_document(&crd).len(), 1);
    }
}
