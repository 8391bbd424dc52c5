//! Probes run concurrently; their outputs merge per capability.

use crate::EvidenceMap;
use evident_core::{
    FailureScope, PartReport, Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus,
    UnreadItem, Unreadable, run_probe,
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
    pub capabilities: BTreeMap<String, CapabilityState>,
    /// `facts.<capability>`: each probe's facts under the first capability it declares;
    /// facts of several probes under one capability merge.
    pub facts: Value,
    /// Every evidence record, by id.
    pub evidence: EvidenceMap,
}

/// How one capability answered, merged over every probe and source providing it: what
/// the engine's source gate reads (`input.sources.<capability>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityState {
    /// The merged status: a configured provider that failed makes it failed.
    pub status: SourceStatus,
    /// What went wrong or what to pass, for people.
    pub detail: String,
    /// Items answered but not readable, over every source: a `not_met` reading this
    /// capability needs a complete read.
    pub incomplete: Vec<UnreadItem>,
    /// Per-part states, the worst over the sources that report the part.
    pub parts: BTreeMap<String, PartReport>,
}

impl CapabilityState {
    /// A capability with a status and detail only.
    pub fn new(status: SourceStatus, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            incomplete: Vec::new(),
            parts: BTreeMap::new(),
        }
    }

    /// The shape rules and the source gate read.
    pub fn to_input(&self) -> Value {
        let mut v = serde_json::json!({"status": self.status.as_str(), "detail": self.detail});
        // Built field by field: a conversion that could fail would drop unread items
        // silently, and the gate would then take a partial read as complete.
        let items = |items: &[UnreadItem]| -> Value {
            items
                .iter()
                .map(|i| serde_json::json!({"location": i.location, "reason": i.reason}))
                .collect()
        };
        if !self.incomplete.is_empty() {
            v["incomplete"] = items(&self.incomplete);
        }
        if !self.parts.is_empty() {
            let parts: Map<String, Value> = self
                .parts
                .iter()
                .map(|(name, p)| {
                    let mut part = serde_json::json!({"status": p.status.as_str()});
                    if let Some(detail) = &p.detail {
                        part["detail"] = Value::String(detail.clone());
                    }
                    if !p.incomplete.is_empty() {
                        part["incomplete"] = items(&p.incomplete);
                    }
                    (name.clone(), part)
                })
                .collect();
            v["parts"] = Value::Object(parts);
        }
        v
    }
}

/// Runs every probe within the context's bounds; one output per probe, in the order
/// given, not yet merged (a shard hands them on as they are).
pub async fn run(probes: &[Arc<dyn Probe>], ctx: &Arc<ScanContext>) -> Vec<(String, ProbeOutput)> {
    let handles: Vec<_> = probes
        .iter()
        .map(|p| {
            let caps = p.capabilities();
            let fut = run_probe(Arc::clone(p), Arc::clone(ctx));
            (p.name(), caps, tokio::spawn(fut))
        })
        .collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for (name, caps, handle) in handles {
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
        outputs.push((name.to_owned(), output));
    }
    outputs
}

/// One probe's run: the capabilities it declared, how far its failures reach, its output.
pub(crate) type ProbeRun = (&'static [&'static str], FailureScope, ProbeOutput);

/// Merges the probes' outputs per capability: statuses, parts, facts, evidence.
pub(crate) fn merge(outputs: Vec<ProbeRun>) -> Collected {
    let mut collected = Collected::default();
    let mut facts = Map::new();
    let mut per_cap: BTreeMap<String, Vec<(SourceStatus, String)>> = BTreeMap::new();
    let mut read_state: BTreeMap<String, CapabilityState> = BTreeMap::new();
    for (caps, scope, output) in outputs {
        let status = probe_status(&output.sources, scope);
        for cap in caps {
            per_cap
                .entry((*cap).to_owned())
                .or_default()
                .push(status.clone());
            let state = read_state
                .entry((*cap).to_owned())
                .or_insert_with(|| CapabilityState::new(SourceStatus::Ok, ""));
            for report in &output.sources {
                merge_read_state(state, report);
            }
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
        let (status, mut detail) = capability_status(&statuses);
        if detail == NOTHING_TRIED
            && let Some(hint) = how_to_configure(&cap)
        {
            detail = hint.to_owned();
        }
        let mut state = read_state
            .remove(&cap)
            .unwrap_or_else(|| CapabilityState::new(status, ""));
        state.status = status;
        state.detail = detail;
        collected.capabilities.insert(cap, state);
    }
    for (cap, detail) in crate::UNBUILT_CAPABILITIES {
        collected.capabilities.insert(
            (*cap).to_owned(),
            CapabilityState::new(SourceStatus::NotConfigured, *detail),
        );
        collected.sources.push(SourceReport::new(
            (*cap).to_owned(),
            (*cap).to_owned(),
            SourceStatus::NotConfigured,
            Some((*detail).to_owned()),
        ));
    }
    collected.facts = Value::Object(facts);
    grafana_as_code(&mut collected);
    check_oncall(&mut collected);
    collected
}

/// The check at the consumer of the on-call facts: two probes write `facts.oncall` and
/// resolution reads it back through `evident_oncall::OncallFacts`. A merged document that
/// does not fit those types is a failed capability (every criterion reading `oncall` is
/// `unknown`, reason `error`), never an empty one that reads as "nobody is on call".
fn check_oncall(collected: &mut Collected) {
    let Some(value) = collected.facts.get("oncall") else {
        return;
    };
    let Err(why) = evident_oncall::OncallFacts::from_value(value) else {
        return;
    };
    tracing::error!("{why}");
    let state = collected
        .capabilities
        .entry("oncall".to_owned())
        .or_insert_with(|| CapabilityState::new(SourceStatus::Error, ""));
    state.status = SourceStatus::Error;
    state.detail = why;
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

/// Adds one source's unread items and parts to its capability's state. A part keeps the
/// worst status any source gave it, so a part is ok only when every source that has it
/// answered it. A source without the part (`not_configured`: Opsgenie has no change
/// events) neither fails it nor hides another source's failure; the part is
/// `not_configured` only when no source has it.
fn merge_read_state(state: &mut CapabilityState, report: &SourceReport) {
    state.incomplete.extend(report.incomplete.iter().cloned());
    for (name, part) in &report.parts {
        match state.parts.get_mut(name) {
            Some(existing) => {
                let failed =
                    |s: SourceStatus| !matches!(s, SourceStatus::Ok | SourceStatus::NotConfigured);
                let replace = (!failed(existing.status) && failed(part.status))
                    || (existing.status == SourceStatus::NotConfigured
                        && part.status == SourceStatus::Ok);
                if replace {
                    existing.status = part.status;
                    existing.detail.clone_from(&part.detail);
                }
                existing.incomplete.extend(part.incomplete.iter().cloned());
            }
            None => {
                state.parts.insert(name.clone(), part.clone());
            }
        }
    }
}

/// One probe's status. A probe whose failures reach the whole capability (a cluster, a
/// Prometheus) is failed when any configured source failed: what the failed one holds
/// could belong to any service. A probe whose failures stay with their source (a
/// repository) is usable when one of its sources answered; else the first failure.
fn probe_status(reports: &[SourceReport], scope: FailureScope) -> (SourceStatus, String) {
    if scope == FailureScope::Capability
        && let Some(failed) = reports
            .iter()
            .find(|r| !matches!(r.status, SourceStatus::Ok | SourceStatus::NotConfigured))
    {
        return (
            failed.status,
            format!(
                "{}: {}",
                failed.source,
                failed.detail.clone().unwrap_or_default()
            ),
        );
    }
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
        .is_some_and(|c| c.status == SourceStatus::NotConfigured);
    if as_code > 0 && unconfigured {
        collected.capabilities.insert(
            "grafana".into(),
            CapabilityState::new(
                SourceStatus::Ok,
                format!("no --grafana given; {as_code} dashboard(s) kept as code read from the repositories"),
            ),
        );
    }
}

/// Every item a source answered that could not be read (`SourceReport::incomplete`, its
/// own and its parts'), so that `unreadable[]` lists it beside the files.
pub fn incomplete_items(sources: &[SourceReport]) -> Vec<Unreadable> {
    let mut out = Vec::new();
    for report in sources {
        let parts = report
            .parts
            .iter()
            .flat_map(|(name, part)| part.incomplete.iter().map(move |i| (Some(name), i)));
        for (part, item) in report.incomplete.iter().map(|i| (None, i)).chain(parts) {
            out.push(Unreadable {
                probe: report.probe.clone(),
                source: report.source.clone(),
                location: item.location.clone(),
                reason: match part {
                    Some(p) => format!("{p}: {}", item.reason),
                    None => item.reason.clone(),
                },
            });
        }
    }
    out
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
    // Workload manifests set aside as unreadable (no list of named containers).
    for item in facts
        .pointer("/git/skipped")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("workload").is_some_and(Value::is_string))
    {
        let repo = text(item, "repo");
        let root = repos
            .and_then(|r| r.get(&repo))
            .map_or(repo.clone(), |r| text(r, "root"));
        out.push(Unreadable {
            probe: "git".into(),
            source: root,
            location: text(item, "evidence"),
            reason: text(item, "reason"),
        });
    }
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
    github_unreadable(facts, &mut out);
    out
}

/// Parts of GitHub repositories (and of organisations) that were not read, each with
/// its status and what failed, so a person sees which services they leave `unknown`.
fn github_unreadable(facts: &Value, out: &mut Vec<Unreadable>) {
    let status = |u: &Value| {
        format!(
            "{}: {}",
            u.get("status").and_then(Value::as_str).unwrap_or("error"),
            u.get("detail").and_then(Value::as_str).unwrap_or("")
        )
    };
    let repos = facts.pointer("/github/repos").and_then(Value::as_object);
    for repo in repos.into_iter().flat_map(|r| r.values()) {
        let name = repo.get("full_name").and_then(Value::as_str).unwrap_or("?");
        for (part, u) in repo
            .get("unread")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            out.push(Unreadable {
                probe: "github".into(),
                source: name.to_owned(),
                location: format!("{name} {part}"),
                reason: status(u),
            });
        }
    }
    for (part, u) in facts
        .pointer("/github/unread")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        out.push(Unreadable {
            probe: "github".into(),
            source: "github".into(),
            location: part.clone(),
            reason: status(u),
        });
    }
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

    fn source(status: SourceStatus) -> SourceReport {
        SourceReport::new("kubernetes", "cluster-a", status, Some("refused".into()))
    }

    #[test]
    fn one_failed_cluster_fails_the_capability_but_one_failed_repository_does_not() {
        let reports = [source(SourceStatus::Ok), source(SourceStatus::Forbidden)];
        let s = probe_status(&reports, FailureScope::Capability);
        assert_eq!(s.0, SourceStatus::Forbidden);
        assert!(s.1.contains("cluster-a: refused"), "{}", s.1);
        let s = probe_status(&reports, FailureScope::Source);
        assert_eq!(s.0, SourceStatus::Ok);
    }

    #[test]
    fn a_part_keeps_the_worst_status_and_every_unread_item() {
        let mut a = source(SourceStatus::Ok);
        a.parts.insert(
            "rules".into(),
            PartReport {
                status: SourceStatus::Ok,
                detail: None,
                incomplete: vec![UnreadItem::new("/api/v1/rules group g", "not an object")],
            },
        );
        let mut b = source(SourceStatus::Ok);
        b.parts.insert(
            "rules".into(),
            PartReport {
                status: SourceStatus::Error,
                detail: Some("HTTP 500 on /api/v1/rules".into()),
                incomplete: vec![],
            },
        );
        let outputs = vec![(
            &["prometheus"][..],
            FailureScope::Capability,
            ProbeOutput {
                sources: vec![a, b],
                ..ProbeOutput::default()
            },
        )];
        let collected = merge(outputs);
        let state = &collected.capabilities["prometheus"];
        assert_eq!(state.parts["rules"].status, SourceStatus::Error);
        assert_eq!(state.parts["rules"].incomplete.len(), 1);
        let listed = incomplete_items(&collected.sources);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].reason, "rules: not an object");
    }

    #[test]
    fn on_call_facts_of_the_wrong_shape_fail_the_capability() {
        let output = |facts| ProbeOutput {
            facts,
            sources: vec![source(SourceStatus::Ok)],
            ..ProbeOutput::default()
        };
        let ok = merge(vec![(
            &["oncall"][..],
            FailureScope::Capability,
            output(serde_json::json!({"users": {}})),
        )]);
        assert_eq!(ok.capabilities["oncall"].status, SourceStatus::Ok);
        let bad = merge(vec![(
            &["oncall"][..],
            FailureScope::Capability,
            output(serde_json::json!({"users": [1]})),
        )]);
        let state = &bad.capabilities["oncall"];
        assert_eq!(state.status, SourceStatus::Error);
        assert!(
            state.detail.contains("documented shape"),
            "{}",
            state.detail
        );
    }

    #[test]
    fn a_part_one_provider_lacks_is_the_other_providers() {
        let part = |status| PartReport {
            status,
            detail: Some(format!("{status:?}")),
            incomplete: vec![],
        };
        let with = |status| {
            let mut r = source(SourceStatus::Ok);
            r.parts.insert("change_events".into(), part(status));
            r
        };
        let merged = |a, b| {
            let outputs = vec![(
                &["oncall"][..],
                FailureScope::Capability,
                ProbeOutput {
                    sources: vec![with(a), with(b)],
                    ..ProbeOutput::default()
                },
            )];
            merge(outputs).capabilities["oncall"].parts["change_events"].status
        };
        use SourceStatus::{Forbidden, NotConfigured, Ok};
        assert_eq!(merged(NotConfigured, Ok), Ok);
        assert_eq!(merged(Ok, NotConfigured), Ok);
        assert_eq!(merged(NotConfigured, NotConfigured), NotConfigured);
        assert_eq!(merged(NotConfigured, Forbidden), Forbidden);
        assert_eq!(merged(Forbidden, NotConfigured), Forbidden);
        assert_eq!(merged(Ok, Forbidden), Forbidden);
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
