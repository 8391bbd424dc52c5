//! Indexes the engine computes once over the facts, so rules need no text matching.
//!
//! Service resolution itself lives in `crates/resolve`; what stays here is what only the
//! rules need and only the engine can compute (PromQL parses of rule expressions).

use serde_json::{Value, json};

/// Metric names read by each of `git.prometheus_rules[i]` (`null` when unparseable), in
/// the order of the rules: the `input.index.rule_metrics` rules look up by index.
pub fn rule_metrics(git: &Value) -> Vec<Value> {
    git.get("prometheus_rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    r.get("expr")
                        .and_then(Value::as_str)
                        .and_then(crate::promql::metric_names)
                        .map_or(Value::Null, |names| json!(names))
                })
                .collect()
        })
        .unwrap_or_default()
}
