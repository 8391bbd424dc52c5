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
    vec![
        Arc::new(evident_probe_git::GitProbe::new()),
        Arc::new(evident_probe_git::GitHistoryProbe::new(
            plan.history.clone(),
        )),
        Arc::new(evident_probe_prometheus::PrometheusProbe::new(
            plan.prometheus.clone(),
        )),
        Arc::new(evident_probe_grafana::GrafanaProbe::new(
            plan.grafana.clone(),
        )),
        Arc::new(
            evident_probe_kubernetes::KubernetesProbe::new(plan.kube_targets.clone())
                .with_options(plan.kube_read.clone()),
        ),
        Arc::new(evident_probe_github::GithubProbe::new(github)),
        Arc::new(evident_probe_pagerduty::PagerdutyProbe::new(
            plan.pagerduty.clone(),
        )),
        Arc::new(evident_probe_opsgenie::OpsgenieProbe::new(
            plan.opsgenie.clone(),
        )),
    ]
}

/// Capabilities no probe of this build provides, and what a user should know about each.
/// They are reported as `not_configured`, which makes the criteria that need them
/// `unknown` instead of guessed.
pub const UNBUILT_CAPABILITIES: &[(&str, &str)] = &[(
    "source_code",
    "not yet supported: package dependencies and code size are not read by this version of evident",
)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_is_provided_once_or_listed_as_unbuilt() {
        let plan = ScanPlan::for_repositories(vec![]);
        let mut provided: Vec<&str> = probes(&plan, None)
            .iter()
            .flat_map(|p| p.capabilities().iter().copied())
            .collect();
        provided.extend(UNBUILT_CAPABILITIES.iter().map(|(c, _)| *c));
        // `oncall` is the one capability two probes (PagerDuty, Opsgenie) provide at
        // once: their facts merge. Every other one has one provider.
        let mut sorted: Vec<&str> = provided
            .iter()
            .copied()
            .filter(|c| *c != "oncall")
            .collect();
        let single = sorted.len();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), single, "{provided:?}");
        for cap in [
            "git",
            "git_history",
            "prometheus",
            "grafana",
            "kubernetes",
            "github",
            "oncall",
        ] {
            assert!(provided.contains(&cap), "{cap}");
        }
    }
}
