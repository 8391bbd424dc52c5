//! The one list of probes: the scan runs them, the tests and docs iterate them.

use crate::ScanPlan;
use evident_core::Probe;
use std::sync::Arc;

/// Every probe of this build, configured from the plan. A probe with nothing to read
/// (no `--prometheus`, no cluster) still runs and reports `not_configured`, so the
/// criteria that need it say why they are unknown.
pub fn probes(
    plan: &ScanPlan,
    github: Option<evident_probe_github::GithubInput>,
) -> Vec<Arc<dyn Probe>> {
    let tape = || plan.snapshot.clone();
    vec![
        Arc::new(evident_probe_git::GitProbe::new().with_tape(tape())),
        Arc::new(evident_probe_git::GitHistoryProbe::new(plan.history.clone()).with_tape(tape())),
        Arc::new(
            evident_probe_prometheus::PrometheusProbe::new(plan.prometheus.clone())
                .with_tape(tape()),
        ),
        Arc::new(evident_probe_grafana::GrafanaProbe::new(plan.grafana.clone()).with_tape(tape())),
        Arc::new(
            evident_probe_kubernetes::KubernetesProbe::new(plan.kube_targets.clone())
                .with_options(plan.kube_read.clone())
                .with_tape(tape()),
        ),
        Arc::new(evident_probe_github::GithubProbe::new(github).with_tape(tape())),
        Arc::new(
            evident_probe_pagerduty::PagerdutyProbe::new(plan.pagerduty.clone()).with_tape(tape()),
        ),
        Arc::new(
            evident_probe_opsgenie::OpsgenieProbe::new(plan.opsgenie.clone()).with_tape(tape()),
        ),
        Arc::new(
            evident_probe_source_code::SourceCodeProbe::new(plan.source_code.clone())
                .with_tape(tape()),
        ),
    ]
}

/// Capabilities no probe of this build provides, and what a user should know about each.
/// They are reported as `not_configured`, which makes the criteria that need them
/// `unknown` instead of guessed.
pub const UNBUILT_CAPABILITIES: &[(&str, &str)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_is_provided_or_listed_as_unbuilt_never_both() {
        let plan = ScanPlan::for_repositories(vec![]);
        let provided: Vec<&str> = probes(&plan, None)
            .iter()
            .flat_map(|p| p.capabilities().iter().copied())
            .collect();
        for (cap, _) in UNBUILT_CAPABILITIES {
            assert!(!provided.contains(cap), "{cap} is built and listed unbuilt");
        }
        for cap in [
            "git",
            "git_history",
            "prometheus",
            "grafana",
            "kubernetes",
            "github",
            "oncall",
            "source_code",
        ] {
            assert!(provided.contains(&cap), "{cap}");
        }
        let oncall = provided.iter().filter(|c| **c == "oncall").count();
        assert_eq!(oncall, 2, "PagerDuty and Opsgenie both provide oncall");
    }
}
