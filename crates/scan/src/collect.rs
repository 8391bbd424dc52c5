//! Probes run concurrently; their outputs merge per capability.

use crate::EvidenceMap;
use evident_core::{
    Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus, Unreadable, run_probe,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything the probes produced, merged.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// How every source answered.
    pub sources: Vec<SourceReport>,
    /// Status and detail per capability (`input.sources`).
    pub capabilities: BTreeMap<String, (SourceStatus, String)>,
    /// `facts.<capability>`: each probe's facts under the first capability it declares;
    /// facts of several probes under one capability merge.
    pub facts: Value,
    /// Every evidence record, by id.
    pub evidence: EvidenceMap,
}

/// Runs every probe within the context's bounds and merges what they found.
pub async fn collect(probes: &[Arc<dyn Probe>], ctx: &Arc<ScanContext>) -> Collected {
    let handles: Vec<_> = probes
        .iter()
        .map(|p| {
            let caps = p.capabilities();
            let fut = run_probe(Arc::clone(p), Arc::clone(ctx));
            (caps, tokio::spawn(fut))
        })
        .collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for (caps, handle) in handles {
        // run_probe turns panics and timeouts into statuses; a join error is a cancelled
        // runtime, and then the probe is reported as failed rather than dropped.
        let output = handle.await.unwrap_or_else(|e| {
            ProbeOutput::failed(
                caps.first().copied().unwrap_or("probe"),
                "scan",
                SourceStatus::Error,
                e.to_string(),
            )
        });
        outputs.push((caps, output));
    }
    merge(outputs)
}

fn merge(outputs: Vec<(&'static [&'static str], ProbeOutput)>) -> Collected {
    let mut collected = Collected::default();
    let mut facts = Map::new();
    let mut per_cap: BTreeMap<String, Vec<(SourceStatus, String)>> = BTreeMap::new();
    for (caps, output) in outputs {
        let status = probe_status(&output.sources);
        for cap in caps {
            per_cap
                .entry((*cap).to_owned())
                .or_default()
                .push(status.clone());
        }
        collected.sources.extend(output.sources);
        if let Some(primary) = caps.first()
            && !output.facts.is_null()
        {
            match facts.get_mut(*primary) {
                Some(existing) => merge_values(existing, output.facts),
                None => {
                    facts.insert((*primary).to_owned(), output.facts);
                }
            }
        }
        for e in output.evidence {
            collected.evidence.entry(e.id.clone()).or_insert(e);
        }
    }
    for (cap, statuses) in per_cap {
        let mut status = capability_status(&statuses);
        if status.1 == NOTHING_TRIED
            && let Some(hint) = how_to_configure(&cap)
        {
            status.1 = hint.to_owned();
        }
        collected.capabilities.insert(cap, status);
    }
    for (cap, detail) in crate::UNBUILT_CAPABILITIES {
        collected.capabilities.insert(
            (*cap).to_owned(),
            (SourceStatus::NotConfigured, (*detail).to_owned()),
        );
        collected.sources.push(SourceReport {
            probe: (*cap).to_owned(),
            source: (*cap).to_owned(),
            status: SourceStatus::NotConfigured,
            detail: Some((*detail).to_owned()),
        });
    }
    collected.facts = Value::Object(facts);
    grafana_as_code(&mut collected);
    collected
}

/// Facts of two probes under one capability: maps merge key by key, lists concatenate;
/// for anything else the first probe's value stays.
fn merge_values(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge_values(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        _ => {}
    }
}

/// The detail of a probe that was given nothing to read.
const NOTHING_TRIED: &str = "no source was tried";

/// What to pass so that a capability nobody was given a target for is read.
fn how_to_configure(capability: &str) -> Option<&'static str> {
    match capability {
        "git" | "git_history" => Some("no repository given; pass one or more PATHs"),
        "kubernetes" => {
            Some("no cluster given; pass --kube-context NAME, --kube or --kube-dump FILE")
        }
        _ => None,
    }
}

/// One probe's status: usable when one of its sources answered, else the first failure.
fn probe_status(reports: &[SourceReport]) -> (SourceStatus, String) {
    if let Some(ok) = reports.iter().find(|r| r.status == SourceStatus::Ok) {
        return (SourceStatus::Ok, ok.detail.clone().unwrap_or_default());
    }
    reports
        .first()
        .map_or((SourceStatus::NotConfigured, NOTHING_TRIED.into()), |r| {
            (r.status, r.detail.clone().unwrap_or_default())
        })
}

/// A capability several probes provide: a configured provider that failed makes it
/// failed (its evidence could not be read, so nothing may be judged as absent); else ok
/// when one answered; else not configured.
fn capability_status(statuses: &[(SourceStatus, String)]) -> (SourceStatus, String) {
    if let Some(failed) = statuses
        .iter()
        .find(|(s, _)| !matches!(s, SourceStatus::Ok | SourceStatus::NotConfigured))
    {
        return failed.clone();
    }
    statuses
        .iter()
        .find(|(s, _)| *s == SourceStatus::Ok)
        .or_else(|| statuses.first())
        .cloned()
        .unwrap_or((SourceStatus::NotConfigured, "no probe provides it".into()))
}

/// docs/facts.md: `grafana` is ok when a Grafana answered *or* dashboards kept as code
/// were read; without --grafana, the repositories' dashboards still count.
fn grafana_as_code(collected: &mut Collected) {
    let as_code = collected
        .facts
        .pointer("/git/repos")
        .and_then(Value::as_object)
        .map_or(0, |repos| {
            repos
                .values()
                .filter_map(|r| r.get("dashboards").and_then(Value::as_array))
                .map(Vec::len)
                .sum::<usize>()
        });
    let unconfigured = collected
        .capabilities
        .get("grafana")
        .is_some_and(|(s, _)| *s == SourceStatus::NotConfigured);
    if as_code > 0 && unconfigured {
        collected.capabilities.insert(
            "grafana".into(),
            (
                SourceStatus::Ok,
                format!("no --grafana given; {as_code} dashboard(s) kept as code read from the repositories"),
            ),
        );
    }
}

/// Everything the git probe could not read, from each repository's `unreadable` list,
/// and every resource type a cluster did not give the kubernetes probe.
pub fn unreadable(facts: &Value) -> Vec<Unreadable> {
    let mut out = Vec::new();
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for u in facts
        .pointer("/kubernetes/unread")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (group, resource) = (text(u, "group"), text(u, "resource"));
        out.push(Unreadable {
            probe: "kubernetes".into(),
            source: format!("cluster {}", text(u, "cluster")),
            location: if group.is_empty() {
                resource
            } else {
                format!("{group}/{resource}")
            },
            reason: format!("{}: {}", text(u, "status"), text(u, "detail")),
        });
    }
    let repos = facts.pointer("/git/repos").and_then(Value::as_object);
    for repo in repos.into_iter().flat_map(|r| r.values()) {
        let source = text(repo, "root");
        for item in repo
            .get("unreadable")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(Unreadable {
                probe: "git".into(),
                source: source.clone(),
                location: text(item, "path"),
                reason: text(item, "reason"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: SourceStatus) -> (SourceStatus, String) {
        (status, String::new())
    }

    #[test]
    fn a_failed_provider_fails_the_capability_even_beside_one_that_answered() {
        let s = capability_status(&[report(SourceStatus::Ok), report(SourceStatus::Error)]);
        assert_eq!(s.0, SourceStatus::Error);
        let s = capability_status(&[
            report(SourceStatus::NotConfigured),
            report(SourceStatus::Ok),
        ]);
        assert_eq!(s.0, SourceStatus::Ok);
        let s = capability_status(&[report(SourceStatus::NotConfigured)]);
        assert_eq!(s.0, SourceStatus::NotConfigured);
    }

    #[test]
    fn facts_of_two_probes_under_one_capability_merge() {
        let mut a = serde_json::json!({"services": {"x": 1}, "schedules": [1]});
        merge_values(
            &mut a,
            serde_json::json!({"services": {"y": 2}, "schedules": [2]}),
        );
        assert_eq!(
            a,
            serde_json::json!({"services": {"x": 1, "y": 2}, "schedules": [1, 2]})
        );
    }
}
