//! Facts of several scopes (clusters, repositories) in one document, keys qualified.
//!
//! Two clusters can run a Deployment of the same name, and two repositories can each
//! declare one. Extraction links Services, PDBs and autoscalers to workloads within one
//! scope only; merging then prefixes every key the facts hold (workloads, Services, PDBs,
//! autoscalers, bare pods) with `<scope>/` so that nothing collides across scopes and
//! each fact names the scope it was seen in (a `cluster` or `repo` field).

use serde_json::{Map, Value, json};

/// Keyed sections: maps whose keys and cross-references are qualified.
pub const KEYED_SECTIONS: [&str; 4] = ["workloads", "services", "pdbs", "hpas"];

/// Listed sections: arrays appended in scope order; their items' `key` is qualified.
pub const LISTED_SECTIONS: [&str; 6] = [
    "bare_pods",
    "prometheus_rules",
    "log_shippers",
    "mesh_control_planes",
    "gitops_controllers",
    "skipped",
];

/// An empty merged document: every section present, so rules never meet a missing one.
pub fn empty_document() -> Map<String, Value> {
    let mut into = Map::new();
    for section in KEYED_SECTIONS {
        into.insert(section.into(), json!({}));
    }
    for section in LISTED_SECTIONS {
        into.insert(section.into(), json!([]));
    }
    into
}

fn prefix_str(v: &mut Value, prefix: &str) {
    if let Some(s) = v.as_str() {
        *v = Value::String(format!("{prefix}{s}"));
    }
}

fn prefix_list(v: Option<&mut Value>, prefix: &str) {
    if let Some(items) = v.and_then(Value::as_array_mut) {
        for item in items {
            prefix_str(item, prefix);
        }
    }
}

/// Moves one scope's extracted facts (the serialised [`crate::ClusterFacts`]) into the
/// merged document: keys get the prefix `<scope>/`, and every item a field
/// `scope_field: scope` (`cluster: prod`, `repo: shop`).
pub fn merge_scope(into: &mut Map<String, Value>, scope_field: &str, scope: &str, facts: Value) {
    let prefix = format!("{scope}/");
    let Value::Object(mut facts) = facts else {
        return;
    };
    for section in KEYED_SECTIONS {
        let mut target = into
            .entry(section)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(Value::Object(items)) = facts.remove(section) {
            for (key, mut item) in items {
                if let Some(obj) = item.as_object_mut() {
                    if let Some(k) = obj.get_mut("key") {
                        prefix_str(k, &prefix);
                    }
                    if let Some(t) = obj.get_mut("target") {
                        prefix_str(t, &prefix);
                    }
                    for list in ["selected_by_services", "pdbs", "hpas"] {
                        prefix_list(obj.get_mut(list), &prefix);
                    }
                    obj.insert(scope_field.into(), json!(scope));
                }
                target.insert(format!("{prefix}{key}"), item);
            }
        }
        into.insert(section.into(), Value::Object(target));
    }
    for section in LISTED_SECTIONS {
        let mut items = match facts.remove(section) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        for item in &mut items {
            if section == "bare_pods" {
                prefix_str(item, &prefix);
            } else if let Some(obj) = item.as_object_mut() {
                if let Some(k) = obj.get_mut("key") {
                    prefix_str(k, &prefix);
                }
                obj.insert(scope_field.into(), json!(scope));
            }
        }
        if let Some(list) = into
            .entry(section)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.extend(items);
        }
    }
}

/// Sums what one scope held (`kinds` of the serialised facts) into `total`: the
/// repositories' manifests together, as `facts.git.kinds` reports them.
pub fn add_kinds(total: &mut Map<String, Value>, facts: &Value) {
    let Some(kinds) = facts.get("kinds").and_then(Value::as_object) else {
        return;
    };
    for (kind, n) in kinds {
        let sum = total.get(kind).and_then(Value::as_u64).unwrap_or(0) + n.as_u64().unwrap_or(0);
        total.insert(kind.clone(), json!(sum));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_references_are_qualified_and_items_name_their_scope() {
        let mut into = empty_document();
        merge_scope(
            &mut into,
            "repo",
            "shop",
            json!({
                "workloads": {"Deployment/default/web": {"key": "Deployment/default/web", "pdbs": ["PodDisruptionBudget/default/web"]}},
                "hpas": {"HorizontalPodAutoscaler/default/web": {"key": "HorizontalPodAutoscaler/default/web", "target": "Deployment/default/web"}},
                "bare_pods": ["Pod/default/debug"],
                "skipped": [{"evidence": "x", "reason": "y"}]
            }),
        );
        merge_scope(
            &mut into,
            "repo",
            "cart",
            json!({"workloads": {"Deployment/default/web": {"key": "Deployment/default/web"}}}),
        );
        let w = &into["workloads"];
        assert_eq!(w["shop/Deployment/default/web"]["repo"], "shop");
        assert_eq!(
            w["shop/Deployment/default/web"]["pdbs"],
            json!(["shop/PodDisruptionBudget/default/web"])
        );
        assert_eq!(
            w["cart/Deployment/default/web"]["key"],
            "cart/Deployment/default/web"
        );
        assert_eq!(
            into["hpas"]["shop/HorizontalPodAutoscaler/default/web"]["target"],
            "shop/Deployment/default/web"
        );
        assert_eq!(into["bare_pods"], json!(["shop/Pod/default/debug"]));
        assert_eq!(into["skipped"][0]["repo"], "shop");
        let mut kinds = Map::new();
        add_kinds(&mut kinds, &json!({"kinds": {"apps/v1 Deployment": 1}}));
        add_kinds(&mut kinds, &json!({"kinds": {"apps/v1 Deployment": 2}}));
        assert_eq!(kinds["apps/v1 Deployment"], 3);
    }
}
