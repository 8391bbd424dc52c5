//! One way in for every object, live or dumped: parse only what facts need, keep nothing
//! secret, and keep memory bounded.
//!
//! A cluster with 50,000 pods cannot be held as JSON trees, and most of what an object
//! carries (managedFields, `last-applied-configuration`, env values) is either useless to
//! the rules or must never be kept. Each item is reduced as it arrives, page by page: pods
//! a controller owns become a few fields (owner, restarts, readiness); ConfigMaps keep
//! their keys only; Secrets are dropped unread. Live lists and `--kube-dump` files go
//! through this same function, which is what makes a live scan and a dump of the same
//! objects give the same facts.

use evident_kube_facts::OwnedPod;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

/// How a resource type is read, and how much of each item is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The whole object (minus what [`ingest`] always drops).
    Full,
    /// Metadata only: the API is asked for `PartialObjectMetadataList`.
    Metadata,
    /// ConfigMaps: names of `data` / `binaryData` keys, never values.
    Keys,
}

/// One object reduced to what facts need.
#[derive(Debug, Clone)]
pub enum Ingest {
    /// An object kept (reduced) for extraction.
    Object(Ingested),
    /// A pod a controller owns: only what its workload's live status needs.
    OwnedPod(OwnedPod),
}

/// One object reduced to what facts need.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The reduced object, with `apiVersion` and `kind` set.
    pub object: Value,
    /// `Kind/namespace/name` (namespace `default` for namespaced kinds without one; `-` for
    /// cluster-scoped objects).
    pub locator: String,
    /// metadata.resourceVersion, when the object has one.
    pub resource_version: Option<String>,
    /// Whether the object is worth an evidence record (owned pods, ReplicaSets and Jobs
    /// feed a workload's live status and are never cited).
    pub cited: bool,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize, Default)]
struct OwnerRefLite {
    kind: Option<String>,
    name: Option<String>,
    controller: Option<bool>,
}

#[derive(Deserialize, Default)]
struct MetaLite {
    name: Option<String>,
    namespace: Option<String>,
    #[serde(rename = "resourceVersion")]
    resource_version: Option<String>,
    #[serde(rename = "ownerReferences", default)]
    owner_references: Vec<OwnerRefLite>,
}

#[derive(Deserialize, Default)]
struct ConditionLite {
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize, Default)]
struct ContainerStatusLite {
    #[serde(rename = "restartCount")]
    restart_count: Option<i64>,
}

#[derive(Deserialize, Default)]
struct PodStatusLite {
    #[serde(default)]
    conditions: Vec<ConditionLite>,
    #[serde(rename = "containerStatuses", default)]
    container_statuses: Vec<ContainerStatusLite>,
    #[serde(rename = "initContainerStatuses", default)]
    init_container_statuses: Vec<ContainerStatusLite>,
}

/// A pod, as far as its owner's live status needs it. Unknown fields (the whole spec)
/// are skipped by the parser without being built.
#[derive(Deserialize, Default)]
struct PodLite {
    #[serde(default)]
    metadata: MetaLite,
    #[serde(default)]
    status: PodStatusLite,
}

/// Annotations that hold a copy of the whole object (env values included) and must not
/// be kept.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// An item that is no readable Kubernetes object: kept out of the facts and listed, so
/// that what it might have shown is never taken as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Junk {
    /// `Kind/namespace/name` when the item got that far.
    pub locator: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

impl Junk {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            locator: None,
            reason: reason.into(),
        }
    }
}

/// Reads one list item. `api_version` / `kind` name the list's resource (live list items
/// carry neither); a dump's items carry their own and `None` is passed. Returns
/// `Ok(None)` for objects that are never kept (Secrets), and [`Junk`] for an item that is
/// not a readable object (not a JSON object, no name, a workload without containers).
pub fn ingest(
    raw: &RawValue,
    api_version: Option<&str>,
    kind: Option<&str>,
    keep: Keep,
) -> Result<Option<Ingest>, Junk> {
    let head: Head =
        serde_json::from_str(raw.get()).map_err(|e| Junk::new(format!("not an object: {e}")))?;
    let Some(kind) = kind.map(str::to_owned).or(head.kind) else {
        return Err(Junk::new("it has no kind"));
    };
    if kind == "PartialObjectMetadata" {
        return Err(Junk::new(
            "a metadata-only item where a full object was asked for",
        ));
    }
    let Some(api_version) = api_version.map(str::to_owned).or(head.api_version) else {
        return Err(Junk::new(format!("the {kind} has no apiVersion")));
    };
    if kind == "Secret" {
        return Ok(None);
    }
    if matches!(kind.as_str(), "Pod" | "ReplicaSet" | "Job") {
        let lite: PodLite = serde_json::from_str(raw.get())
            .map_err(|e| Junk::new(format!("the {kind}'s metadata or status: {e}")))?;
        if !lite.metadata.owner_references.is_empty() {
            // Owned pods feed their owner's live status; owned ReplicaSets and Jobs only
            // link pods to their top owner.
            return Ok(Some(if kind == "Pod" {
                owned_pod(lite)
            } else {
                owned_link(&api_version, &kind, lite.metadata)
            }));
        }
    }
    let mut object: Value =
        serde_json::from_str(raw.get()).map_err(|e| Junk::new(format!("not JSON: {e}")))?;
    let Some(map) = object.as_object_mut() else {
        return Err(Junk::new("not an object"));
    };
    map.insert("apiVersion".into(), Value::String(api_version));
    map.insert("kind".into(), Value::String(kind.clone()));
    if keep == Keep::Keys || kind == "ConfigMap" {
        keys_only(map);
    }
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        reduce_metadata(meta);
    }
    let meta = map.get("metadata").cloned().unwrap_or(Value::Null);
    let text = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_owned);
    let Some(name) = text("name").or_else(|| text("generateName")) else {
        return Err(Junk::new(format!("the {kind} has no metadata.name")));
    };
    let locator = locator(&kind, text("namespace").as_deref(), &name);
    if keep == Keep::Full
        && let Some(problem) = evident_kube_facts::container_problem(&kind, &object)
    {
        return Err(Junk {
            locator: Some(locator),
            reason: problem,
        });
    }
    let owned = meta
        .get("ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let cited = CITED_KINDS.contains(&kind.as_str())
        && !(owned && matches!(kind.as_str(), "ReplicaSet" | "Job" | "Pod"));
    Ok(Some(Ingest::Object(Ingested {
        locator,
        resource_version: text("resourceVersion"),
        object,
        cited,
    })))
}

/// An owned ReplicaSet or Job: name and owner, nothing else.
fn owned_link(api_version: &str, kind: &str, m: MetaLite) -> Ingest {
    let owners: Vec<Value> = m
        .owner_references
        .iter()
        .map(|o| json!({"kind": o.kind, "name": o.name, "controller": o.controller}))
        .collect();
    let name = m.name.clone().unwrap_or_else(|| "-".into());
    Ingest::Object(Ingested {
        locator: locator(kind, m.namespace.as_deref(), &name),
        resource_version: m.resource_version.clone(),
        object: json!({"apiVersion": api_version, "kind": kind,
                       "metadata": {"name": m.name, "namespace": m.namespace, "ownerReferences": owners}}),
        cited: false,
    })
}

/// `Kind/namespace/name`, as evidence locators and fact keys name objects.
pub fn locator(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None if CLUSTER_SCOPED.contains(&kind) => format!("{kind}/-/{name}"),
        None => format!("{kind}/default/{name}"),
    }
}

/// Kinds whose objects facts cite (and so get an evidence record). Decided by kind, not by
/// how the object was read, so a live read and a dump cite the same objects.
const CITED_KINDS: [&str; 17] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "Job",
    "CronJob",
    "Service",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Rollout",
    "PrometheusRule",
    "ScaledObject",
    "VerticalPodAutoscaler",
    "Canary",
];

const CLUSTER_SCOPED: [&str; 6] = [
    "Namespace",
    "Node",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
];

fn owned_pod(lite: PodLite) -> Ingest {
    let m = lite.metadata;
    let namespace = m.namespace.unwrap_or_else(|| "default".into());
    let controller = m
        .owner_references
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| m.owner_references.first());
    let owner = controller.map_or_else(String::new, |o| {
        format!(
            "{}/{namespace}/{}",
            o.kind.as_deref().unwrap_or_default(),
            o.name.as_deref().unwrap_or_default()
        )
    });
    let restarts = lite
        .status
        .container_statuses
        .iter()
        .chain(&lite.status.init_container_statuses)
        .filter_map(|c| c.restart_count)
        .sum();
    let ready = lite
        .status
        .conditions
        .iter()
        .any(|c| c.kind.as_deref() == Some("Ready") && c.status.as_deref() == Some("True"));
    Ingest::OwnedPod(OwnedPod {
        owner,
        namespace,
        restarts,
        ready,
    })
}

/// Keeps the manager and operation of each managedFields entry (the field sets are large
/// and say nothing rules use) and drops annotations that copy the whole object.
fn reduce_metadata(meta: &mut Map<String, Value>) {
    if let Some(fields) = meta.get_mut("managedFields").and_then(Value::as_array_mut) {
        for f in fields.iter_mut() {
            let manager = f.get("manager").cloned().unwrap_or(Value::Null);
            let operation = f.get("operation").cloned().unwrap_or(Value::Null);
            *f = json!({"manager": manager, "operation": operation});
        }
    }
    if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
        for a in DROPPED_ANNOTATIONS {
            annotations.remove(a);
        }
    }
}

/// Replaces `data` / `binaryData` by the list of their keys.
fn keys_only(map: &mut Map<String, Value>) {
    let mut keys: Vec<String> = Vec::new();
    for field in ["data", "binaryData"] {
        if let Some(Value::Object(m)) = map.remove(field) {
            keys.extend(m.keys().cloned());
        }
    }
    keys.sort();
    map.insert("data_keys".into(), json!(keys));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(v: &Value) -> Box<RawValue> {
        RawValue::from_string(v.to_string()).expect("valid json")
    }

    fn object(i: Result<Option<Ingest>, Junk>) -> Ingested {
        match i {
            Ok(Some(Ingest::Object(o))) => o,
            other => panic!("expected an object, got {other:?}"),
        }
    }

    #[test]
    fn secrets_are_dropped_and_configmaps_keep_keys_only() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}});
        assert!(matches!(
            ingest(&raw(&secret), None, None, Keep::Full),
            Ok(None)
        ));
        let cm = json!({"metadata": {"name": "cfg", "namespace": "shop"}, "data": {"DB_PASSWORD": "hunter2"}});
        let got = object(ingest(&raw(&cm), Some("v1"), Some("ConfigMap"), Keep::Keys));
        assert_eq!(got.object["data_keys"], json!(["DB_PASSWORD"]));
        assert!(!got.object.to_string().contains("hunter2"));
        assert!(!got.cited);
    }

    #[test]
    fn owned_pods_are_reduced_and_bare_pods_kept_whole() {
        let pod = json!({"metadata": {"name": "web-1", "namespace": "shop", "resourceVersion": "7",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d", "uid": "u", "controller": true}]},
            "spec": {"containers": [{"name": "app", "image": "x", "env": [{"name": "TOKEN", "value": "hunter2"}]}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "app", "restartCount": 4, "image": "x"}]}});
        match ingest(&raw(&pod), Some("v1"), Some("Pod"), Keep::Full) {
            Ok(Some(Ingest::OwnedPod(p))) => {
                assert_eq!(p.owner, "ReplicaSet/shop/web-5d");
                assert_eq!((p.restarts, p.ready), (4, true));
            }
            other => panic!("expected an owned pod, got {other:?}"),
        }
        let mut bare = pod.clone();
        bare["metadata"]["ownerReferences"] = json!([]);
        let got = object(ingest(&raw(&bare), Some("v1"), Some("Pod"), Keep::Full));
        assert!(got.object.get("spec").is_some());
        assert!(got.cited);
        assert_eq!(got.locator, "Pod/shop/web-1");
    }

    #[test]
    fn last_applied_and_managed_field_sets_are_dropped() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:1"}]}}},
            "metadata": {"name": "web",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"env\":\"hunter2\"}", "keep": "me"},
            "managedFields": [{"manager": "helm", "operation": "Update", "fieldsV1": {"f:spec": {}}}]}});
        let got = object(ingest(&raw(&d), None, None, Keep::Full));
        assert!(!got.object.to_string().contains("hunter2"));
        assert_eq!(got.object["metadata"]["annotations"]["keep"], "me");
        assert_eq!(
            got.object["metadata"]["managedFields"],
            json!([{"manager": "helm", "operation": "Update"}])
        );
        assert_eq!(got.locator, "Deployment/default/web");
    }

    #[test]
    fn junk_items_are_refused_with_a_reason_and_never_judged_as_empty() {
        let deployment = |containers: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "cart", "namespace": "shop"},
                   "spec": {"template": {"spec": {"containers": containers}}}})
        };
        let junk = |v: &Value| ingest(&raw(v), None, None, Keep::Full).err();
        let oops = junk(&deployment(json!("oops"))).expect("junk");
        assert_eq!(oops.locator.as_deref(), Some("Deployment/shop/cart"));
        assert_eq!(
            oops.reason,
            "the Deployment's containers is a string, not a list"
        );
        let empty = junk(&deployment(json!([]))).expect("junk");
        assert_eq!(empty.reason, "the Deployment's containers list is empty");
        let unnamed = junk(&deployment(json!([{"image": "x"}]))).expect("junk");
        assert_eq!(
            unnamed.reason,
            "the Deployment's container 0 is not a named object"
        );
        assert_eq!(junk(&json!("just a string")).map(|j| j.locator), Some(None));
        assert_eq!(
            junk(&json!({"apiVersion": "v1", "kind": "Service"})).map(|j| j.reason),
            Some("the Service has no metadata.name".to_owned())
        );
        let good = object(ingest(
            &raw(&deployment(json!([{"name": "app", "image": "x"}]))),
            None,
            None,
            Keep::Full,
        ));
        assert_eq!(good.locator, "Deployment/shop/cart");
        let generated = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"generateName": "migrate-", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "m", "image": "x"}]}}}});
        assert_eq!(
            object(ingest(&raw(&generated), None, None, Keep::Full)).locator,
            "Job/shop/migrate-"
        );
    }
}
