//! Per-service coverage: a criterion that needs a source is unknown for a service that
//! source never saw.
//!
//! A capability can be `ok` for the scan (another repository was read) while a service
//! found only in a cluster or in Prometheus has no repository at all: a rule reading its
//! CI would find nothing and say `not_met`, which would be absence taken from evidence
//! nobody read. So, after the rules: for each service-scoped verdict whose criterion
//! requires `git` (or `git_history`) and whose service has no repository, the verdict
//! becomes `unknown` (`not_configured`, "no repository of this service was read"). An
//! alternative (`git|kubernetes`) is covered when the service has a repository or a live
//! workload.
//!
//! A repository that was read and failed (no commits, no files, unreadable) is a failed
//! source for its own services only (the git probe's failures stay with their source):
//! every verdict of those services whose criterion names `git` becomes `unknown` with
//! the repository's status, even where another repository of the scan answered.

use evident_core::{CriterionResult, SourceReport, SourceStatus, Status};
use evident_engine::{Catalog, Scope};
use evident_resolve::{Resolution, ResolvedService};
use std::collections::HashMap;

fn covers(service: &ResolvedService, capability: &str) -> bool {
    match capability {
        "git" | "git_history" => !service.repos.is_empty(),
        "kubernetes" => !service.live_workloads.is_empty(),
        "prometheus" => !service.prometheus.is_empty(),
        _ => true,
    }
}

/// Where the service was seen, for the summary.
fn seen_in(service: &ResolvedService) -> String {
    let mut sources: Vec<&str> = service.joins.iter().map(|j| j.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    if sources.is_empty() {
        "nowhere".into()
    } else {
        sources.join(" and ")
    }
}

/// Repository keys (`facts.git.repos`) whose git source failed, with status and detail.
pub fn failed_repositories(
    sources: &[SourceReport],
    facts: &serde_json::Value,
) -> HashMap<String, (SourceStatus, String)> {
    let mut out = HashMap::new();
    let repos = facts
        .pointer("/git/repos")
        .and_then(serde_json::Value::as_object);
    for report in sources.iter().filter(|r| r.probe == "git") {
        if matches!(
            report.status,
            SourceStatus::Ok | SourceStatus::NotConfigured
        ) {
            continue;
        }
        for (key, repo) in repos.into_iter().flatten() {
            if repo.get("root").and_then(serde_json::Value::as_str) == Some(report.source.as_str())
            {
                out.insert(
                    key.clone(),
                    (report.status, report.detail.clone().unwrap_or_default()),
                );
            }
        }
    }
    out
}

/// Whether a criterion reads git at all (required, an alternative, or optional).
fn reads_git(sources: &[String], optional: &[String]) -> bool {
    sources
        .iter()
        .chain(optional)
        .flat_map(|s| s.split('|'))
        .any(|s| matches!(s, "git" | "git_history"))
}

/// Rewrites verdicts of services a required source did not cover, or whose own
/// repository failed.
pub fn apply(
    catalog: &Catalog,
    resolution: &Resolution,
    failed: &HashMap<String, (SourceStatus, String)>,
    results: &mut [CriterionResult],
) {
    let services: HashMap<&str, &ResolvedService> = resolution
        .services
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut requirements: HashMap<&str, (&Vec<String>, Scope)> = HashMap::new();
    let mut git_readers: std::collections::HashSet<&str> = Default::default();
    for m in &catalog.models {
        for c in &m.criteria {
            requirements.insert(c.id.as_str(), (&c.sources, c.scope));
            if reads_git(&c.sources, &c.read_when_present()) {
                git_readers.insert(c.id.as_str());
            }
        }
    }
    for r in results.iter_mut() {
        if matches!(r.status, Status::Manual | Status::Attested) {
            continue;
        }
        let (Some(svc), Some((sources, scope))) = (
            services.get(r.service.as_str()),
            requirements.get(r.criterion.as_str()),
        ) else {
            continue;
        };
        if *scope != Scope::Service {
            continue;
        }
        if git_readers.contains(r.criterion.as_str())
            && r.status != Status::Unknown
            && let Some((key, (status, detail))) =
                svc.repos.iter().find_map(|k| failed.get(k).map(|f| (k, f)))
        {
            r.status = Status::Unknown;
            r.reason = Some(status.as_str().to_owned());
            r.summary = format!(
                "reads git, and repository {key} of this service failed ({status}: {detail})"
            );
            r.evidence.clear();
            r.missing = vec!["git".into()];
            continue;
        }
        let uncovered = sources.iter().find(|required| {
            let alternatives: Vec<&str> = required.split('|').collect();
            alternatives
                .iter()
                .any(|a| matches!(*a, "git" | "git_history" | "kubernetes"))
                && !alternatives.iter().any(|a| covers(svc, a))
        });
        if let Some(required) = uncovered {
            let what = required.replace('|', " or ");
            r.status = Status::Unknown;
            r.reason = Some("not_configured".into());
            let gap = if required.contains('|') {
                "none of them saw this service"
            } else {
                "no repository of this service was read"
            };
            r.summary = format!("needs {what}: {gap} (seen only in {})", seen_in(svc));
            r.evidence.clear();
            r.missing = vec![what];
        }
    }
}
