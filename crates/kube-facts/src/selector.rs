//! Kubernetes label selectors with the API's own semantics.
//!
//! Two shapes exist and they differ on emptiness: a Service's `spec.selector` is a plain
//! map where an empty or absent map selects nothing; a `LabelSelector` (PDBs, Deployments)
//! with no requirements selects everything, while an absent one selects nothing.

use serde_json::Value;
use std::collections::BTreeMap;

/// Labels of a pod template or object.
pub type Labels = BTreeMap<String, String>;

/// Reads a `map[string]string` (labels, Service selectors); non-string values are skipped.
pub fn labels_of(value: Option<&Value>) -> Labels {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A Service-style equality selector: every key must match; empty selects nothing.
pub fn service_selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A `LabelSelector` (`matchLabels` AND `matchExpressions`). `None` (absent or null)
/// selects nothing; `{}` selects everything.
pub fn label_selector_matches(selector: Option<&Value>, labels: &Labels) -> bool {
    let Some(sel) = selector.filter(|s| !s.is_null()) else {
        return false;
    };
    let Some(sel) = sel.as_object() else {
        return false;
    };
    let match_labels = labels_of(sel.get("matchLabels"));
    if !match_labels.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    let expressions = sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    expressions.iter().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let actual = labels.get(key).map(String::as_str);
        match e.get("operator").and_then(Value::as_str) {
            Some("In") => actual.is_some_and(|a| values.contains(&a)),
            Some("NotIn") => actual.is_none_or(|a| !values.contains(&a)),
            Some("Exists") => actual.is_some(),
            Some("DoesNotExist") => actual.is_none(),
            // An operator the API does not define matches nothing, rather than everything.
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn service_selector_is_and_and_empty_selects_nothing() {
        let pod = l(&[("app", "web"), ("tier", "front")]);
        assert!(service_selects(&l(&[("app", "web")]), &pod));
        assert!(!service_selects(
            &l(&[("app", "web"), ("tier", "back")]),
            &pod
        ));
        assert!(!service_selects(&Labels::new(), &pod));
    }

    #[test]
    fn match_expressions_follow_each_operator() {
        let pod = l(&[("app", "web"), ("env", "prod")]);
        let sel = |v: Value| label_selector_matches(Some(&v), &pod);
        assert!(sel(
            json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]})
        ));
        assert!(sel(
            json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]})
        ));
        assert!(
            sel(
                json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]})
            ),
            "NotIn holds for a missing key"
        );
        assert!(sel(
            json!({"matchExpressions": [{"key": "app", "operator": "Exists"}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]})
        ));
        assert!(sel(
            json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]})
        ));
        assert!(
            !sel(
                json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]})
            ),
            "AND"
        );
        assert!(!sel(
            json!({"matchExpressions": [{"key": "app", "operator": "Bogus"}]})
        ));
    }

    #[test]
    fn empty_selects_all_and_absent_selects_none() {
        let pod = l(&[("app", "web")]);
        assert!(label_selector_matches(Some(&json!({})), &pod));
        assert!(!label_selector_matches(None, &pod));
        assert!(!label_selector_matches(Some(&Value::Null), &pod));
    }
}
