//! `facts.kubernetes`: per-cluster extraction, keys qualified by cluster, merged.
//!
//! Several clusters can run a Deployment of the same name; every key the facts hold
//! (workloads, Services, PDBs, autoscalers, bare pods) is prefixed with `<cluster>/` so
//! that none collides and each fact says where it was seen. The shape of each fact is
//! kube-facts' own, plus a `cluster` field.

use crate::TargetResult;
use crate::ingest::Ingested;
use crate::read::{ClusterRead, Outcome};
use evident_core::{Evidence, ProbeOutput, ScanContext, SourceStatus, sha256_hex};
use evident_kube_facts::scoped::merge_scope;
use evident_kube_facts::{SourcedObject, extract_with_pods};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The evidence id of an object read from `cluster`.
pub fn evidence_id(cluster: &str, item: &Ingested) -> String {
    format!(
        "k8s:{cluster}:{}@{}",
        item.locator,
        item.resource_version.as_deref().unwrap_or("-")
    )
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |acc, k| acc.get(k))
        .and_then(Value::as_str)
}

/// A few fields that show the object: kind, name, version, containers and images, and
/// the replica status. Never env values, never data: it is redacted all the same.
fn excerpt(object: &Value) -> String {
    let mut out = format!(
        "{} {} {}/{} resourceVersion {}",
        text(object, &["apiVersion"]).unwrap_or("-"),
        text(object, &["kind"]).unwrap_or("-"),
        text(object, &["metadata", "namespace"]).unwrap_or("-"),
        text(object, &["metadata", "name"]).unwrap_or("-"),
        text(object, &["metadata", "resourceVersion"]).unwrap_or("-"),
    );
    let spec = object.get("spec").unwrap_or(&Value::Null);
    let pod_spec = spec
        .pointer("/template/spec")
        .or_else(|| spec.pointer("/jobTemplate/spec/template/spec"))
        .unwrap_or(spec);
    for c in pod_spec
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let probes: Vec<&str> = ["readinessProbe", "livenessProbe", "startupProbe"]
            .into_iter()
            .filter(|p| c.get(*p).is_some_and(|v| !v.is_null()))
            .collect();
        out.push_str(&format!(
            "\n  container {}: image {}{}",
            text(c, &["name"]).unwrap_or("-"),
            text(c, &["image"]).unwrap_or("-"),
            if probes.is_empty() {
                String::new()
            } else {
                format!(" ({})", probes.join(", "))
            }
        ));
    }
    if let Some(status) = object.get("status").and_then(Value::as_object) {
        let fields: Vec<String> = [
            "replicas",
            "readyReplicas",
            "availableReplicas",
            "desiredNumberScheduled",
            "numberReady",
        ]
        .iter()
        .filter_map(|k| status.get(*k).map(|v| format!("{k} {v}")))
        .collect();
        if !fields.is_empty() {
            out.push_str(&format!("\n  status: {}", fields.join(", ")));
        }
    }
    out
}

fn resource_name(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_owned()
    } else {
        format!("{group}/{plural}")
    }
}

/// Builds the probe output from every target's read.
pub(crate) fn assemble(results: Vec<TargetResult>, ctx: &ScanContext) -> ProbeOutput {
    let mut merged = evident_kube_facts::scoped::empty_document();
    let mut clusters = Map::new();
    let mut unread: Vec<Value> = Vec::new();
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut sources = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();

    for result in results {
        // Two targets with one name (a context and a dump of it) stay apart.
        let mut name = result.name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{}#{n}", result.name);
            n += 1;
        }
        names.insert(name.clone());
        let source_label = if result.kind == "dump" {
            result.source.clone()
        } else if result.source.is_empty() {
            format!("context {name}")
        } else {
            format!("context {name} ({})", result.source)
        };
        let mut read = match result.read {
            Ok(read) => read,
            Err(e) => {
                clusters.insert(
                    name.clone(),
                    json!({"name": name, "kind": result.kind, "source": result.source,
                           "status": e.status.as_str(), "detail": e.detail}),
                );
                // With another cluster read, this one is a gap for every resource: the
                // services it runs must not be judged as if it had been read.
                unread.push(json!({"cluster": name, "group": "", "resource": "*",
                                   "status": e.status.as_str(), "detail": e.detail}));
                sources.push(crate::report(&source_label, e.status, e.detail));
                continue;
            }
        };
        let (status, detail, resources) = summarise(&name, result.kind, &read);
        if result.kind == "dump" {
            unread.extend(crate::dump::kinds_not_held(&name, &read));
        }
        for r in &read.resources {
            if let Outcome::Failed { status, detail } = &r.outcome {
                unread.push(
                    json!({"cluster": name, "group": r.group, "resource": r.plural,
                                   "status": status.as_str(), "detail": detail}),
                );
                if *status == SourceStatus::Forbidden {
                    forbidden.insert(r.plural.clone());
                }
            }
        }
        let items = std::mem::take(&mut read.objects);
        let objects = cluster_objects(
            &name,
            (result.kind, &result.source),
            items,
            &read,
            ctx,
            &mut evidence,
        );
        let owned_pods = std::mem::take(&mut read.owned_pods);
        let extracted = extract_with_pods(&objects, &owned_pods);
        drop(objects);
        drop(owned_pods);
        let kinds = serde_json::to_value(&extracted.kinds).unwrap_or(Value::Null);
        merge_scope(
            &mut merged,
            "cluster",
            &name,
            serde_json::to_value(extracted).unwrap_or(Value::Null),
        );
        clusters.insert(
            name.clone(),
            json!({"name": name, "kind": result.kind, "source": result.source,
                   "status": status.as_str(), "detail": detail, "discovery": read.discovery,
                   "resources": resources, "kinds": kinds}),
        );
        let mut report = crate::report(&source_label, status, detail);
        report.incomplete = std::mem::take(&mut read.unreadable);
        sources.push(report);
    }
    merged.insert("clusters".into(), Value::Object(clusters));
    merged.insert("unread".into(), Value::Array(unread));
    merged.insert(
        "forbidden".into(),
        Value::Array(forbidden.into_iter().map(Value::String).collect()),
    );
    ProbeOutput {
        facts: Value::Object(merged),
        evidence,
        sources,
    }
}

fn cluster_objects(
    name: &str,
    (kind, source): (&str, &str),
    items: Vec<Ingested>,
    read: &ClusterRead,
    ctx: &ScanContext,
    evidence: &mut Vec<Evidence>,
) -> Vec<SourcedObject> {
    let mut objects = Vec::with_capacity(items.len());
    for item in items {
        let id = evidence_id(name, &item);
        if item.cited {
            let at = read
                .api_paths
                .get(&item.locator)
                .map(|p| format!(" (GET {p})"))
                .unwrap_or_else(|| format!(" in {source}"));
            let bytes = serde_json::to_vec(&item.object).unwrap_or_default();
            evidence.push(Evidence {
                id: id.clone(),
                probe: crate::PROBE.into(),
                source: if kind == "dump" {
                    source.to_owned()
                } else {
                    format!("cluster {name} {source}")
                },
                locator: format!(
                    "{}@{}{at}",
                    item.locator,
                    item.resource_version.as_deref().unwrap_or("-")
                ),
                location: None,
                observed_at: ctx.observed_at.clone(),
                revision: item.resource_version.clone(),
                sha256: Some(sha256_hex(&bytes)),
                excerpt: ctx.redactor.redact(&excerpt(&item.object)),
            });
        }
        objects.push(SourcedObject {
            object: item.object,
            evidence: id,
        });
    }
    objects
}

/// The cluster's source status, a one-line detail, and per-resource outcomes.
fn summarise(name: &str, kind: &str, read: &ClusterRead) -> (SourceStatus, String, Value) {
    let mut resources = Map::new();
    let mut gaps: Vec<String> = Vec::new();
    let mut first_failure: Option<SourceStatus> = None;
    let mut read_types = 0;
    for r in &read.resources {
        let entry = match &r.outcome {
            Outcome::Read {
                items,
                pages,
                restarts,
                truncated,
            } => {
                read_types += 1;
                if *truncated {
                    gaps.push(format!(
                        "{} truncated at {pages} pages",
                        resource_name(&r.group, &r.plural)
                    ));
                }
                json!({"status": "read", "items": items, "pages": pages, "restarts": restarts, "truncated": truncated})
            }
            Outcome::NotServed => json!({"status": "not_served"}),
            Outcome::Failed { status, detail } => {
                first_failure.get_or_insert(*status);
                gaps.push(format!(
                    "{} {} ({detail})",
                    resource_name(&r.group, &r.plural),
                    status.as_str()
                ));
                json!({"status": status.as_str(), "detail": detail})
            }
        };
        resources.insert(resource_name(&r.group, &r.plural), entry);
    }
    let what = if kind == "dump" {
        format!(
            "dump {name}: {} objects",
            read.objects.len() + read.owned_pods.len()
        )
    } else {
        format!(
            "cluster {name}: {} objects from {read_types} resource types ({} discovery)",
            read.objects.len() + read.owned_pods.len(),
            read.discovery
        )
    };
    let status = match first_failure {
        Some(s) if read_types == 0 && kind != "dump" => s,
        _ => SourceStatus::Ok,
    };
    let detail = if gaps.is_empty() {
        what
    } else {
        format!("{what}; not read: {}", gaps.join("; "))
    };
    (status, detail, Value::Object(resources))
}
