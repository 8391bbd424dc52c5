//! The Prometheus HTTP API's answers as typed structures (shapes as
//! <https://prometheus.io/docs/prometheus/latest/querying/api/> documents them).
//!
//! Every answer is deserialized straight from the response bytes into these types, so
//! an envelope with `status: "error"` (whatever the HTTP status), a `data` of the wrong
//! shape, or a body that does not parse is a failed part with its reason, never an
//! empty list read as "nothing there". Items of a list that do not fit (one rule group,
//! one target) are kept as [`Item::Unreadable`] so the rest is still read and the part
//! says what it left out.

use evident_core::SourceStatus;
use evident_http::{CallError, JsonClient};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// The envelope every API answer comes in.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    /// `success` or `error`.
    pub status: String,
    /// The answer, when `status` is `success`.
    pub data: Option<T>,
    /// `timeout`, `bad_data`, `execution`, ... on errors.
    #[serde(default, rename = "errorType")]
    pub error_type: Option<String>,
    /// The error message on errors.
    #[serde(default)]
    pub error: Option<String>,
}

/// `/api/v1/status/buildinfo`.
#[derive(Debug, Deserialize)]
pub struct BuildInfo {
    /// The server's version.
    #[serde(default)]
    pub version: Option<String>,
}

/// `/api/v1/targets`.
#[derive(Debug, Deserialize)]
pub struct TargetsData {
    /// The active targets.
    #[serde(rename = "activeTargets")]
    pub active_targets: Vec<Item<ActiveTarget>>,
}

/// One active target.
#[derive(Debug, Deserialize)]
pub struct ActiveTarget {
    /// Labels after relabelling.
    pub labels: BTreeMap<String, String>,
    /// Labels before relabelling.
    #[serde(default, rename = "discoveredLabels")]
    pub discovered_labels: BTreeMap<String, String>,
    /// The scrape pool (the job, before relabelling).
    #[serde(default, rename = "scrapePool")]
    pub scrape_pool: Option<String>,
    /// `up`, `down` or `unknown`.
    #[serde(default)]
    pub health: Option<String>,
}

/// `/api/v1/rules`.
#[derive(Debug, Deserialize)]
pub struct RulesData {
    /// The rule groups.
    pub groups: Vec<Item<RuleGroup>>,
}

/// One rule group.
#[derive(Debug, Deserialize)]
pub struct RuleGroup {
    /// Group name.
    pub name: String,
    /// The rule file it was loaded from.
    #[serde(default)]
    pub file: String,
    /// Its rules.
    pub rules: Vec<Item<Rule>>,
}

/// One alerting or recording rule.
#[derive(Debug, Deserialize)]
pub struct Rule {
    /// Alert name or recorded series name.
    pub name: String,
    /// The PromQL expression.
    pub query: String,
    /// `alerting` or `recording`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Rule labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Alert annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `ok`, `err` or `unknown`.
    #[serde(default)]
    pub health: Option<String>,
    /// Alert state.
    #[serde(default)]
    pub state: Option<String>,
}

/// An instant or range query's `data`.
#[derive(Debug, Deserialize)]
pub struct QueryData<R> {
    /// `vector`, `matrix`, `scalar` or `string`.
    #[serde(rename = "resultType")]
    pub result_type: String,
    /// The rows.
    pub result: Vec<R>,
}

/// One row of an instant vector.
#[derive(Debug, Deserialize)]
pub struct Sample {
    /// The row's labels.
    #[serde(default)]
    pub metric: BTreeMap<String, String>,
    /// `[time, "value"]`.
    pub value: (f64, String),
}

/// One series of a range matrix.
#[derive(Debug, Deserialize)]
pub struct Series {
    /// The series' labels.
    #[serde(default)]
    pub metric: BTreeMap<String, String>,
    /// `[[time, "value"], ...]`.
    pub values: Vec<(f64, String)>,
}

/// One element of a list whose elements are read one by one: what fits, or why not.
#[derive(Debug)]
pub enum Item<T> {
    /// The element as typed.
    Read(T),
    /// An element of the wrong shape: its `name` when it has one, and serde's reason.
    Unreadable {
        /// The element's `name` field, when it has a string one.
        name: Option<String>,
        /// What did not fit.
        reason: String,
    },
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // One element at a time: its Value lives only while it is typed.
        let value = serde_json::Value::deserialize(d)?;
        Ok(match T::deserialize(&value) {
            Ok(t) => Item::Read(t),
            Err(e) => Item::Unreadable {
                name: value
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .map(|n| n.chars().take(120).collect()),
                reason: e.to_string().chars().take(200).collect(),
            },
        })
    }
}

/// GETs `path` and opens its envelope: `data` of an answer whose `status` is `success`,
/// else the error the envelope names (a Prometheus query timeout is `timeout`).
pub async fn get<T: DeserializeOwned>(
    client: &JsonClient,
    path: &str,
    query: &[(&str, String)],
) -> Result<(T, String), CallError> {
    let typed = client.get_typed::<Envelope<T>>(path, query).await?;
    open(path, typed.value).map(|data| (data, typed.sha256))
}

/// The `data` of an envelope, or why there is none.
pub fn open<T>(path: &str, envelope: Envelope<T>) -> Result<T, CallError> {
    if envelope.status != "success" {
        let status = if envelope.error_type.as_deref() == Some("timeout") {
            SourceStatus::Timeout
        } else {
            SourceStatus::Error
        };
        let message: String = envelope
            .error
            .as_deref()
            .unwrap_or("no error message")
            .chars()
            .take(200)
            .collect();
        return Err(CallError::answer(
            status,
            format!(
                "GET {path} answered status {:?}{}: {message}",
                envelope.status.chars().take(40).collect::<String>(),
                envelope
                    .error_type
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
        ));
    }
    envelope.data.ok_or_else(|| CallError::Shape {
        path: path.to_owned(),
        reason: "status success without data".into(),
    })
}

/// The rows of a query answer whose result type is `want` (`vector`, `matrix`).
pub fn rows<R>(path: &str, data: QueryData<R>, want: &str) -> Result<Vec<R>, CallError> {
    if data.result_type != want {
        return Err(CallError::Shape {
            path: path.to_owned(),
            reason: format!(
                "resultType {:?} where {want} was asked for",
                data.result_type.chars().take(40).collect::<String>()
            ),
        });
    }
    Ok(data.result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: DeserializeOwned>(body: &str) -> Result<T, CallError> {
        let env: Envelope<T> = evident_http::parse_typed("/api/v1/x", body.as_bytes())?;
        open("/api/v1/x", env)
    }

    #[test]
    fn an_error_envelope_is_an_error_even_with_status_200() {
        let e = parse::<TargetsData>(r#"{"status":"error","errorType":"bad_data","error":"nope"}"#)
            .err();
        let Some(e) = e else {
            panic!("an error envelope")
        };
        assert_eq!(e.status(), SourceStatus::Error);
        assert_eq!(
            e.to_string(),
            r#"GET /api/v1/x answered status "error" (bad_data): nope"#
        );
        let e = parse::<TargetsData>(r#"{"status":"error","errorType":"timeout"}"#).err();
        assert_eq!(e.map(|e| e.status()), Some(SourceStatus::Timeout));
    }

    #[test]
    fn data_of_the_wrong_shape_is_an_error_never_an_empty_list() {
        for body in [
            r#"{"status":"success","data":"oops"}"#,
            r#"{"status":"success","data":{"groups":"x"}}"#,
            r#"{"status":"success"}"#,
            r#"[]"#,
        ] {
            let e = parse::<RulesData>(body).err();
            assert!(matches!(e, Some(CallError::Shape { .. })), "{body}: {e:?}");
        }
        let e = parse::<QueryData<Sample>>(r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":"x"}]}}"#).err();
        assert!(matches!(e, Some(CallError::Shape { .. })), "{e:?}");
        let data = parse::<QueryData<Sample>>(
            r#"{"status":"success","data":{"resultType":"scalar","result":[]}}"#,
        );
        let e = data.and_then(|d| rows("/api/v1/query", d, "vector")).err();
        assert!(e.is_some_and(|e| e.to_string().contains("resultType \"scalar\"")));
    }

    #[test]
    fn one_unreadable_group_or_rule_keeps_the_rest() {
        let data = parse::<RulesData>(
            r#"{"status":"success","data":{"groups":[
              {"name":"bad","rules":"not a list"},
              {"name":"g","file":"f.yml","rules":[
                {"name":"A","query":"up == 0","type":"alerting"},
                {"name":"B","type":"alerting"}]}]}}"#,
        );
        let Ok(data) = data else { panic!("{data:?}") };
        assert!(matches!(&data.groups[0], Item::Unreadable { name: Some(n), .. } if n == "bad"));
        let Item::Read(g) = &data.groups[1] else {
            panic!("the good group is read")
        };
        assert!(matches!(&g.rules[0], Item::Read(r) if r.name == "A"));
        assert!(matches!(&g.rules[1], Item::Unreadable { reason, .. } if reason.contains("query")));
    }
}
