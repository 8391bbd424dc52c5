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

use evident_core::{CriterionResult, Status};
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

/// Rewrites verdicts of services a required source did not cover.
pub fn apply(catalog: &Catalog, resolution: &Resolution, results: &mut [CriterionResult]) {
    let services: HashMap<&str, &ResolvedService> = resolution
        .services
        .iter()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut requirements: HashMap<&str, (&Vec<String>, Scope)> = HashMap::new();
    for m in &catalog.models {
        for c in &m.criteria {
            requirements.insert(c.id.as_str(), (&c.sources, c.scope));
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
