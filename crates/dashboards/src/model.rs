//! A dashboard JSON model reduced while it is parsed: only what extraction needs (uid,
//! title, version, panels with their titles, types, datasources and query
//! expressions, nested panels and old-style rows) is kept; every other field is skipped
//! by the parser without being built. A 50 MB dashboard whose bulk is panel options,
//! field configs or embedded images then costs its bytes plus its queries, not the
//! gigabytes a `serde_json::Value` of it takes.
//!
//! Structure is strict (a `panels` that is not a list is the wrong shape, and the
//! whole dashboard cannot be read); scalars are lenient (a numeric title, a string id)
//! because real dashboards vary there and nothing is judged on them.

use crate::{Dashboard, Panel, Query, finish, parse_query};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Most PromQL queries parsed per dashboard. Each one is parsed and kept in the facts;
/// past this bound the dashboard is read in part and says so ([`Extracted::skipped`]).
/// Ten times the largest real dashboards seen (a few hundred queries).
pub const MAX_QUERIES: usize = 5_000;

/// The top of a dashboard model.
#[derive(Debug, Default, Deserialize)]
pub struct Model {
    /// Grafana uid.
    #[serde(default, deserialize_with = "text")]
    pub uid: Option<String>,
    /// Title.
    #[serde(default, deserialize_with = "text")]
    pub title: Option<String>,
    /// Version (a number in Grafana's models), as text.
    #[serde(default, deserialize_with = "text")]
    pub version: Option<String>,
    /// Panels (schema 16 and later), rows included; only those with queries or nested
    /// panels are kept.
    #[serde(default, deserialize_with = "kept_panels")]
    pub panels: Option<Vec<RawPanel>>,
    /// Rows of panels (before schema 16).
    #[serde(default)]
    pub rows: Option<Vec<RawRow>>,
}

/// An old-style row.
#[derive(Debug, Default, Deserialize)]
pub struct RawRow {
    /// Its panels, those with queries or nested panels.
    #[serde(default, deserialize_with = "kept_panels")]
    pub panels: Option<Vec<RawPanel>>,
}

/// One panel, reduced.
#[derive(Debug, Default, Deserialize)]
pub struct RawPanel {
    /// Panel id.
    #[serde(default, deserialize_with = "integer")]
    pub id: Option<i64>,
    /// Title.
    #[serde(default, deserialize_with = "text")]
    pub title: Option<String>,
    /// Visualisation.
    #[serde(default, rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    /// The datasource type, when the panel names one by object.
    #[serde(default, deserialize_with = "datasource_type")]
    pub datasource: Option<String>,
    /// Its queries.
    #[serde(default)]
    pub targets: Option<Vec<RawTarget>>,
    /// Panels of a collapsed row, those with queries or nested panels.
    #[serde(default, deserialize_with = "kept_panels")]
    pub panels: Option<Vec<RawPanel>>,
}

/// One query of a panel, reduced.
#[derive(Debug, Default, Deserialize)]
pub struct RawTarget {
    /// refId.
    #[serde(default, rename = "refId", deserialize_with = "text")]
    pub ref_id: Option<String>,
    /// The PromQL expression (Prometheus and Loki keep queries here).
    #[serde(default, deserialize_with = "text")]
    pub expr: Option<String>,
    /// The query's own datasource type.
    #[serde(default, deserialize_with = "datasource_type")]
    pub datasource: Option<String>,
}

/// What a model yields, and what it left out.
#[derive(Debug)]
pub struct Extracted {
    /// The dashboard, reduced as [`crate::extract_dashboard`] reduces one.
    pub dashboard: Dashboard,
    /// PromQL queries past [`MAX_QUERIES`], not parsed.
    pub skipped: usize,
}

/// Extracts the PromQL panels of a typed model (the same reduction as
/// [`crate::extract_dashboard`] on a `Value`), parsing at most [`MAX_QUERIES`] queries.
pub fn extract_model(model: &Model) -> Extracted {
    let mut all: Vec<&RawPanel> = Vec::new();
    walk(model.panels.as_deref().unwrap_or_default(), &mut all);
    for row in model.rows.as_deref().unwrap_or_default() {
        walk(row.panels.as_deref().unwrap_or_default(), &mut all);
    }
    let mut budget = MAX_QUERIES;
    let mut skipped = 0;
    let mut panels = Vec::new();
    for p in all {
        let mut queries: Vec<Query> = Vec::new();
        for t in p.targets.as_deref().unwrap_or_default() {
            let ds = t.datasource.as_deref().or(p.datasource.as_deref());
            let Some(expr) = t.expr.as_deref().filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            if !crate::is_promql_type(ds) {
                continue;
            }
            if budget == 0 {
                skipped += 1;
                continue;
            }
            budget -= 1;
            queries.push(parse_query(expr, t.ref_id.clone()));
        }
        if queries.is_empty() {
            continue;
        }
        panels.push(Panel {
            id: p.id,
            title: p.title.clone().unwrap_or_default(),
            kind: p.kind.clone().unwrap_or_default(),
            queries,
        });
    }
    Extracted {
        dashboard: finish(
            model.uid.clone(),
            model.title.clone().unwrap_or_default(),
            panels,
        ),
        skipped,
    }
}

fn walk<'a>(panels: &'a [RawPanel], out: &mut Vec<&'a RawPanel>) {
    for p in panels {
        out.push(p);
        walk(p.panels.as_deref().unwrap_or_default(), out);
    }
}

/// A list of panels, keeping only those extraction can use (with queries, or with
/// nested panels) as they are parsed: a dashboard of 300,000 text panels then holds
/// none of them. `null` is no list; anything but a list is the wrong shape.
fn kept_panels<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<RawPanel>>, D::Error> {
    d.deserialize_option(KeptPanels)
}

struct KeptPanels;

impl<'de> Visitor<'de> for KeptPanels {
    type Value = Option<Vec<RawPanel>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of panels")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        while let Some(p) = seq.next_element::<RawPanel>()? {
            let queries = p.targets.as_ref().is_some_and(|t| !t.is_empty());
            let nested = p.panels.as_ref().is_some_and(|n| !n.is_empty());
            if queries || nested {
                kept.push(p);
            }
        }
        Ok(Some(kept))
    }
}

/// A scalar as text: strings as they are, numbers written out, anything else none
/// (skipped by the parser, never built). Public for `deserialize_with` in other
/// readers of Grafana's API (search hits), which vary the same way.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Scalar).map(|s| match s {
        Some(Lenient::Text(t)) => Some(t),
        Some(Lenient::Int(i)) => Some(i.to_string()),
        Some(Lenient::Float(f)) => Some(f.to_string()),
        None => None,
    })
}

/// A scalar as an integer: integers (and integral floats or numeric strings) as they
/// are, anything else none.
fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(Scalar).map(|s| match s {
        Some(Lenient::Int(i)) => Some(i),
        #[allow(clippy::cast_possible_truncation)]
        Some(Lenient::Float(f)) if f.fract() == 0.0 && f.abs() < 9e15 => Some(f as i64),
        Some(Lenient::Text(t)) => t.parse().ok(),
        _ => None,
    })
}

/// A datasource reference's type: `{"type": "prometheus", "uid": ...}` gives
/// `prometheus`; a name string (old models) or anything else gives none, which
/// extraction reads as "any datasource whose queries live in `expr`".
fn datasource_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Datasource)
}

enum Lenient {
    Text(String),
    Int(i64),
    Float(f64),
}

struct Scalar;

impl<'de> Visitor<'de> for Scalar {
    type Value = Option<Lenient>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Lenient::Text(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Lenient::Text(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Lenient::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok().map(Lenient::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Lenient::Float(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct Datasource;

impl<'de> Visitor<'de> for Datasource {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a datasource reference")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "type" {
                kind = map.next_value_seed(TextSeed)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(kind)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct TextSeed;

impl<'de> de::DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        text(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_reading_matches_the_value_reading() {
        let json = r#"{
            "uid": "u", "title": "T", "schemaVersion": 39, "version": 7,
            "templating": {"list": [{"name": "x", "options": [1, 2, 3]}]},
            "panels": [
                {"type": "row", "title": "r", "id": "9", "panels": [
                    {"id": 2, "type": "timeseries", "title": "RPS",
                     "datasource": {"type": "prometheus", "uid": "p"},
                     "fieldConfig": {"defaults": {"unit": "reqps"}},
                     "targets": [{"refId": "A", "expr": "sum(rate(http_requests_total{job=\"checkout\"}[5m]))"}]}
                ]},
                {"id": 3, "type": "logs", "title": "Logs",
                 "targets": [{"datasource": {"type": "loki"}, "expr": "{app=\"x\"}"}]},
                {"id": 4, "title": 12, "datasource": "Prometheus",
                 "targets": [{"refId": "B", "expr": "up{job=\"checkout\"}"}]}
            ]
        }"#;
        let model: Model = serde_json::from_str(json).unwrap_or_default();
        let typed = extract_model(&model);
        let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        let untyped = crate::extract_dashboard(&value);
        assert_eq!(model.version.as_deref(), Some("7"));
        assert_eq!(typed.skipped, 0);
        assert_eq!(typed.dashboard.metrics, untyped.metrics);
        assert_eq!(typed.dashboard.matchers, untyped.matchers);
        assert_eq!(typed.dashboard.panels.len(), 2);
        assert_eq!(typed.dashboard.panels[1].title, "12");
    }

    #[test]
    fn a_panels_field_that_is_not_a_list_is_the_wrong_shape() {
        assert!(serde_json::from_str::<Model>(r#"{"title":"x","panels":"oops"}"#).is_err());
        assert!(
            serde_json::from_str::<Model>(r#"{"title":"x","panels":[{"targets":{}}]}"#).is_err()
        );
        assert!(serde_json::from_str::<Model>(r#"{"title":"x","panels":null}"#).is_ok());
    }

    #[test]
    fn queries_past_the_bound_are_counted_not_parsed() {
        let panel = r#"{"title":"p","targets":[{"expr":"up"}]}"#;
        let panels = vec![panel; MAX_QUERIES + 3].join(",");
        let model: Model =
            serde_json::from_str(&format!(r#"{{"title":"big","panels":[{panels}]}}"#))
                .unwrap_or_default();
        let e = extract_model(&model);
        assert_eq!(e.skipped, 3);
        assert_eq!(e.dashboard.panels.len(), MAX_QUERIES);
    }
}
