//! The plan: everything a scan needs, decided by the caller before it starts.

use evident_probe_git::HistoryLimits;
use evident_probe_grafana::GrafanaConfig;
use evident_probe_kubernetes::Target;
use evident_probe_prometheus::PrometheusConfig;
use evident_resolve::ResolveConfig;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Values the criteria text calls configurable, handed to every rule as `input.config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// Share of a team that must be on call (`ds.devops.team-on-call`).
    pub on_call_share: f64,
    /// Largest team that still counts as small (`ds.org.small-teams`).
    pub max_team_size: u32,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            on_call_share: 0.8,
            max_team_size: 10,
        }
    }
}

/// How verdicts are reached: which models, which extra policies, strict or not.
#[derive(Debug, Clone, Default)]
pub struct Judging {
    /// Models to judge (all when empty).
    pub models: Vec<String>,
    /// Policy directories loaded over the built-in models.
    pub policies: Vec<PathBuf>,
    /// Manual criteria gate levels.
    pub strict: bool,
    /// Values rules read from `input.config`.
    pub rules: RuleConfig,
}

/// One scan, fully decided: targets per probe, credentials already resolved by the
/// caller (the CLI reads the environment; an estate config reads files), options and
/// rule configuration. The scan reads nothing else from the process environment.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    /// Local repositories or directories (canonical paths; see [`crate::check_targets`]).
    pub repositories: Vec<PathBuf>,
    /// Read working trees instead of HEAD.
    pub worktree: bool,
    /// The longest any probe may run.
    pub probe_timeout: Duration,
    /// How much history the history probe reads, and where it keeps sizes.
    pub history: HistoryLimits,
    /// Prometheus servers and their credentials.
    pub prometheus: PrometheusConfig,
    /// Grafana and its token.
    pub grafana: GrafanaConfig,
    /// Clusters and dumps to read.
    pub kube_targets: Vec<Target>,
    /// Explicit joins for resolution.
    pub resolve: ResolveConfig,
    /// Models, policies and rule configuration.
    pub judging: Judging,
    /// Where to write the rule input, for policy authors.
    pub dump_input: Option<PathBuf>,
}

impl ScanPlan {
    /// A plan that reads the given repositories and nothing else, with default bounds.
    pub fn for_repositories(repositories: Vec<PathBuf>) -> Self {
        ScanPlan {
            repositories,
            worktree: false,
            probe_timeout: Duration::from_secs(60),
            history: HistoryLimits::default(),
            prometheus: PrometheusConfig::new(Vec::new(), Default::default()),
            grafana: GrafanaConfig {
                url: None,
                token: None,
                ..GrafanaConfig::new(None)
            },
            kube_targets: Vec::new(),
            resolve: ResolveConfig::default(),
            judging: Judging::default(),
            dump_input: None,
        }
    }

    /// Every secret the plan carries, so every output can be scrubbed of them.
    pub fn secrets(&self) -> Vec<String> {
        self.prometheus
            .auth
            .secrets()
            .into_iter()
            .chain(self.grafana.token.clone())
            .filter(|s| !s.is_empty())
            .collect()
    }
}
