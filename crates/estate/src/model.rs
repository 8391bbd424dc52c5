//! The typed `estate.yaml`: every key, its meaning and its default. Unknown keys are
//! errors (`deny_unknown_fields`) so a typo is never a silently ignored setting.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One estate: what to scan, how to judge it, when, and where results are kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "evident estate config, version 1")]
pub struct EstateFile {
    /// The format version: always 1 (a later format gets a new number, never a silent
    /// change of meaning).
    pub version: u32,
    /// The systems to read.
    #[serde(default)]
    pub sources: Sources,
    /// A people mapping file (`{login, emails, oncall}` entries, as `--people`), relative
    /// to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<PathBuf>,
    /// Explicit joins, for items no key in the systems ties to a service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceEntry>,
    /// Which clusters and namespaces are production.
    #[serde(default)]
    pub environments: Environments,
    /// Values the criteria call configurable.
    #[serde(default)]
    pub rules: Rules,
    /// Judge only these models (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Policy directories (your own Rego and model YAML), relative to this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PathBuf>,
    /// Let manual criteria gate levels.
    #[serde(default)]
    pub strict: bool,
    /// When `evident serve` scans: a cron expression (5 fields, or 6 with seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Where scan history is kept: a path (SQLite, relative to this file), `sqlite:PATH`
    /// or a `postgres://` URL (without a password: give it by `PGPASSWORD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// How much history the store keeps.
    #[serde(default)]
    pub retention: Retention,
    /// Scan options that are flags of `evident scan`.
    #[serde(default)]
    pub scan: ScanOptions,
}

/// The systems an estate scan reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Local repositories or directories, relative to this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<PathBuf>,
    /// GitHub organisations and repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<Github>,
    /// Clusters (kubeconfig contexts) and cluster dumps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<Kubernetes>,
    /// Prometheus servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prometheus: Vec<Server>,
    /// A Grafana.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafana: Option<Server>,
    /// A PagerDuty account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagerduty: Option<Oncall>,
    /// An Opsgenie account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opsgenie: Option<Oncall>,
    /// An extra CA certificate (PEM) trusted for every HTTP source, relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// A secret given by reference: the name of an environment variable, or a file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    /// The environment variable holding it (an upper-case name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// A file holding it (trailing whitespace trimmed), relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

/// GitHub: what to list and clone, and how to authenticate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Github {
    /// The API base (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Organisations to read whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orgs: Vec<String>,
    /// Single repositories, `owner/name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<String>,
    /// Environment variable holding the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// File holding the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Also scan archived repositories of the organisations.
    #[serde(default)]
    pub include_archived: bool,
    /// Also scan forks in the organisations.
    #[serde(default)]
    pub include_forks: bool,
    /// Most GitHub requests one scan may send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests: Option<u64>,
    /// GitHub requests in flight at once (1 to 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 64))]
    pub concurrency: Option<u64>,
}

/// Clusters: kubeconfig contexts and dumps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    /// The kubeconfig file the contexts are read from (default `$KUBECONFIG`, then
    /// `~/.kube/config`), relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<PathBuf>,
    /// Context names, each one cluster, read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<String>,
    /// `kubectl get -o json` (or YAML) List files, relative to this file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dumps: Vec<PathBuf>,
}

/// An HTTP server (Prometheus, Grafana) and its credential.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// The server's base URL, without `user:password@`.
    pub url: String,
    /// Environment variable holding a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// File holding a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Environment variable holding the basic-auth user (Prometheus only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_env: Option<String>,
    /// Environment variable holding the basic-auth password (Prometheus only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// File holding the basic-auth password (Prometheus only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
}

/// An on-call account (PagerDuty or Opsgenie).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Oncall {
    /// The vendor's service region: `us` or `eu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// An API base URL (a proxy, a test server); wins over `region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Environment variable holding the API token (PagerDuty) or key (Opsgenie).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// File holding the API token or key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
}

/// Where an on-call vendor hosts an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// The United States service region.
    Us,
    /// The European service region.
    Eu,
}

impl Region {
    /// The name the probes' region lists use.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }
}

/// An explicit join: items that belong to a service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEntry {
    /// The service the items belong to (an existing service's name, or a new one).
    pub service: String,
    /// Live workload names (app label or object name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kubernetes: Vec<String>,
    /// Prometheus service names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prometheus: Vec<String>,
    /// The owning team, over every other source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// On-call services (names or `<account>/<id>` keys) that page for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oncall: Vec<String>,
}

/// Which environments are production.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environments {
    /// Production environments as resolution names them, `CLUSTER/NAMESPACE`; `*` in
    /// either part matches any (`prod-eu/*`, `*/shop`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub production: Vec<String>,
}

/// Values the criteria call configurable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Share of a team that must be on call (0 to 1; default 0.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub on_call_share: Option<f64>,
    /// Largest team that still counts as small (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_team_size: Option<u32>,
}

/// How much scan history the store keeps; both bounds apply when both are given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Keep at most this many scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub keep_last: Option<u32>,
    /// Drop scans older than this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_age_days: Option<u32>,
}

/// Options of `evident scan` that belong with an estate; a flag given beside `--config`
/// wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanOptions {
    /// Days of commit history to read (1 to 3650; default 180).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub history_days: Option<u32>,
    /// Days of on-call schedules and incidents to read (1 to 365; default 90).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub oncall_days: Option<u32>,
    /// Longest time one probe may take, in seconds (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout: Option<u64>,
    /// Longest time one HTTP request may take, in seconds (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub request_timeout: Option<u64>,
    /// Read working trees instead of HEAD.
    #[serde(default)]
    pub worktree: bool,
    /// Do not keep measured change sizes between scans.
    #[serde(default)]
    pub no_cache: bool,
}
