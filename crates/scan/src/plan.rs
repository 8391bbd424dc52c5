//! The plan: everything a scan needs, decided by the caller before it starts.

use crate::ScanError;
use evident_core::Redactor;
use evident_probe_git::HistoryLimits;
use evident_probe_grafana::GrafanaConfig;
use evident_probe_grafana::TOKEN_ENV as GRAFANA_TOKEN_ENV;
use evident_probe_kubernetes::Target;
use evident_probe_prometheus::PrometheusConfig;
use evident_probe_prometheus::http::Auth;
use evident_probe_prometheus::{
    PASSWORD_ENV as PROMETHEUS_PASSWORD_ENV, TOKEN_ENV as PROMETHEUS_TOKEN_ENV,
    USER_ENV as PROMETHEUS_USER_ENV,
};
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Judging {
    /// Models to judge (all when empty).
    pub models: Vec<String>,
    /// Policy directories loaded over the built-in models.
    pub policies: Vec<PathBuf>,
    /// Manual criteria gate levels.
    pub strict: bool,
    /// Values rules read from `input.config`.
    pub rules: RuleConfig,
    /// Read the policy files from the replayed snapshot, not from `policies` on disk: set
    /// by a replay that was not given other policies.
    #[serde(skip)]
    pub policies_from_snapshot: bool,
}

/// One scan, fully decided: targets per probe, credentials already resolved by the
/// caller (the CLI reads the environment; an estate config reads files), options and
/// rule configuration. The scan reads nothing else from the process environment.
///
/// Serialisable so a snapshot keeps the plan it was recorded with (`run.json`) and a
/// replay judges with the same one: every credential is written as `[redacted]` (present,
/// never its value), URLs lose their `user:password@`, paths stay as given; the progress
/// sink and the snapshot tape are not written (a read plan has neither).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Bounds of each cluster read: page size and bound, per-request timeout, retries.
    pub kube_read: evident_probe_kubernetes::ReadOptions,
    /// What resolution is told besides the facts: explicit joins (estate config
    /// `services:`, including on-call services) and the people mapping (`--people FILE`)
    /// that ties on-call users to GitHub logins. Written with the people mapping's
    /// emails hashed (`sha256:<hash>`, which resolution joins the same way).
    #[serde(serialize_with = "hashed_people")]
    pub resolve: ResolveConfig,
    /// Models, policies and rule configuration.
    pub judging: Judging,
    /// Where to write the rule input, for policy authors.
    pub dump_input: Option<PathBuf>,
    /// Secret values the caller found beside the plan's own credentials (kubeconfig
    /// tokens, passwords and client keys; see
    /// [`evident_probe_kubernetes::credential_secrets`]), so they are redacted from every
    /// output although the scan never reads them itself. Written hidden.
    #[serde(serialize_with = "evident_core::hidden::secret_list")]
    pub secrets: Vec<String>,
    /// Organisations and repositories to read from GitHub (and clone for the git probe).
    pub github: Option<crate::github::GithubPlan>,
    /// Where long reads report progress (the CLI's progress bar); not serialised.
    #[serde(skip)]
    pub progress: ProgressSink,
    /// The PagerDuty account and its token.
    pub pagerduty: evident_probe_pagerduty::PagerdutyConfig,
    /// The Opsgenie account and its key.
    pub opsgenie: evident_probe_opsgenie::OpsgenieConfig,
    /// What the source_code probe is told: package prefixes that mark a dependency
    /// internal (`--internal-package-prefix`) beside what the scanned repositories publish.
    pub source_code: evident_probe_source_code::SourceCodeConfig,
    /// The shard [`crate::collect_shard`] collects (`--shard I/N`); `None`: everything.
    pub shard: Option<crate::Shard>,
    /// Where target identities of local paths start from (the estate config's
    /// directory), so a shard is the same on every machine; `None`: absolute paths.
    pub identity_root: Option<PathBuf>,
    /// The observation time of the scan (RFC 3339), when the caller fixes it: every
    /// shard of one run then stamps the same time, and DORA windows end there. `None`:
    /// the time collection starts.
    pub observed_at: Option<String>,
    /// Records every raw answer the probes read (`--snapshot DIR`), or replays a recorded
    /// scan from them (`evident replay`); off by default, and not serialised.
    #[serde(skip)]
    pub snapshot: evident_snapshot::Tape,
}

/// A [`evident_core::Progress`] the plan can carry (cloned, printed in debug output).
#[derive(Clone)]
pub struct ProgressSink(pub std::sync::Arc<dyn evident_core::Progress>);

impl Default for ProgressSink {
    fn default() -> Self {
        Self(std::sync::Arc::new(evident_core::NoProgress))
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
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
            kube_read: evident_probe_kubernetes::ReadOptions::default(),
            resolve: ResolveConfig::default(),
            judging: Judging::default(),
            dump_input: None,
            secrets: Vec::new(),
            github: None,
            progress: ProgressSink::default(),
            pagerduty: evident_probe_pagerduty::PagerdutyConfig::none(),
            opsgenie: evident_probe_opsgenie::OpsgenieConfig::none(),
            source_code: evident_probe_source_code::SourceCodeConfig::default(),
            shard: None,
            identity_root: None,
            observed_at: None,
            snapshot: evident_snapshot::Tape::off(),
        }
    }

    /// Every secret the plan carries, so every output can be scrubbed of them: the
    /// Prometheus token or basic-auth user and password, the Grafana token, the user and
    /// password written into any server URL, the credentials of ready kube client
    /// configurations and the caller's [`ScanPlan::secrets`].
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.secrets.clone();
        match &self.prometheus.auth {
            Auth::None => {}
            Auth::Bearer(token) | Auth::Header { secret: token, .. } => out.push(token.clone()),
            Auth::Basic { user, password } => {
                out.push(password.clone());
                out.push(format!("{user}:{password}"));
                if is_secret_user(user) {
                    out.push(user.clone());
                }
            }
        }
        out.extend(self.grafana.token.clone());
        out.extend(self.pagerduty.token.clone());
        out.extend(self.opsgenie.token.clone());
        for url in self
            .pagerduty
            .api_url
            .iter()
            .chain(self.opsgenie.api_url.iter())
        {
            if let Some((user, password)) = url_credentials(url) {
                url_secrets(user, password, &mut out);
            }
        }
        if let Some(github) = &self.github {
            out.extend(github.config.token.clone());
            if let Some(app) = &github.config.app {
                out.push(app.private_key_pem.clone());
                out.extend(
                    app.private_key_pem
                        .lines()
                        .filter(|l| l.len() > 20)
                        .map(str::to_owned),
                );
            }
            if let Some((user, password)) = url_credentials(&github.config.api_url) {
                url_secrets(user, password, &mut out);
            }
        }
        for url in self.prometheus.urls.iter().chain(self.grafana.url.iter()) {
            if let Some((user, password)) = url_credentials(url) {
                url_secrets(user, password, &mut out);
            }
        }
        let configs: Vec<Target> = self
            .kube_targets
            .iter()
            .filter(|t| matches!(t, Target::Config { .. }))
            .cloned()
            .collect();
        out.extend(evident_probe_kubernetes::credential_secrets(&configs));
        // A plan read back from a snapshot holds placeholders, not secrets.
        out.retain(|s| !s.is_empty() && !s.contains(evident_core::REDACTED));
        out.sort();
        out.dedup();
        out
    }

    /// A redactor that knows every secret of the plan (see [`ScanPlan::secrets`]).
    pub fn redactor(&self) -> Redactor {
        Redactor::new().with_secrets(self.secrets())
    }

    /// Refuses a source given two credentials: a URL with `user:password@` and a token
    /// (or user and password) from the environment. The HTTP client would send both
    /// and the server would silently use one; the message names the source and the two
    /// kinds, never a value.
    pub fn check_credentials(&self) -> Result<(), ScanError> {
        let redactor = self.redactor();
        for url in &self.prometheus.urls {
            let env = match &self.prometheus.auth {
                Auth::None => continue,
                Auth::Bearer(_) | Auth::Header { .. } => {
                    format!("a bearer token from {PROMETHEUS_TOKEN_ENV}")
                }
                Auth::Basic { .. } => {
                    format!(
                        "a user and password from {PROMETHEUS_USER_ENV} and {PROMETHEUS_PASSWORD_ENV}"
                    )
                }
            };
            if url_credentials(url).is_some() {
                return Err(conflict(
                    "--prometheus",
                    &redactor.redact_secrets(url),
                    &env,
                ));
            }
        }
        if let (Some(url), Some(_)) = (&self.grafana.url, &self.grafana.token)
            && url_credentials(url).is_some()
        {
            let env = format!("a service-account token from {GRAFANA_TOKEN_ENV}");
            return Err(conflict("--grafana", &redactor.redact_secrets(url), &env));
        }
        Ok(())
    }
}

/// The resolve configuration with every email of the people mapping as its hash: emails
/// are compared hashed and never written out, a snapshot's plan included.
fn hashed_people<S: serde::Serializer>(config: &ResolveConfig, s: S) -> Result<S::Ok, S::Error> {
    use evident_resolve::EMAIL_HASH_PREFIX;
    let mut hashed = config.clone();
    for person in &mut hashed.people {
        for email in &mut person.emails {
            if !email.starts_with(EMAIL_HASH_PREFIX) {
                *email = format!("{EMAIL_HASH_PREFIX}{}", evident_oncall::email_key(email));
            }
        }
    }
    hashed.serialize(s)
}

fn conflict(flag: &str, shown_url: &str, env: &str) -> ScanError {
    ScanError::Config(format!(
        "{flag} {shown_url}: two credentials for one source: a user and password in the URL and {env}; give only one (remove the user:password@ from the URL or unset the variable)"
    ))
}

/// User names every installation shares name an account, not a secret; redacting them
/// would blank words such as `admin` in every report.
fn is_secret_user(user: &str) -> bool {
    const COMMON: &[&str] = &[
        "admin",
        "root",
        "user",
        "guest",
        "prometheus",
        "grafana",
        "viewer",
        "reader",
        "monitor",
        "monitoring",
        "default",
        "anonymous",
        "api_key",
        "apikey",
        "token",
    ];
    user.len() >= 4 && !COMMON.contains(&user.to_ascii_lowercase().as_str())
}

/// The user and password (and their decoded forms, and `user:password`, which basic
/// authentication sends base64-encoded) of a URL's `user:password@`.
fn url_secrets(user: &str, password: &str, out: &mut Vec<String>) {
    let decoded_user = percent_decode(user);
    if is_secret_user(&decoded_user) {
        out.push(user.to_owned());
        out.push(decoded_user);
    }
    out.push(password.to_owned());
    out.push(percent_decode(password));
    if !password.is_empty() {
        out.push(format!("{user}:{password}"));
        out.push(format!(
            "{}:{}",
            percent_decode(user),
            percent_decode(password)
        ));
    }
}

/// The `user` and `password` of `scheme://user:password@host/...` (password empty when
/// only a user is given); `None` when the URL carries no credentials.
pub(crate) fn url_credentials(url: &str) -> Option<(&str, &str)> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (!user.is_empty() || !password.is_empty()).then_some((user, password))
}

/// Decodes `%XX` escapes (invalid ones are kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every credential field of a plan holds a canary; the plan's JSON holds none of
    /// them, says which were configured, and reads back to the same JSON.
    #[test]
    fn a_serialised_plan_hides_every_credential_and_reads_back() {
        let mut plan = ScanPlan::for_repositories(vec!["/srv/repos/shop".into()]);
        plan.prometheus.urls = vec!["http://canary-user-1:canary-pw-1@127.0.0.1:1/prom".into()];
        plan.prometheus.auth = Auth::Basic {
            user: "canary-user-2".into(),
            password: "canary-pw-2".into(),
        };
        plan.grafana.url = Some("http://g:canary-pw-3@127.0.0.1:1".into());
        plan.grafana.token = Some("canary-token-4".into());
        plan.pagerduty.api_url = Some("http://p:canary-pw-5@127.0.0.1:1".into());
        plan.pagerduty.token = Some("canary-token-6".into());
        plan.opsgenie.api_url = Some("http://o:canary-pw-7@127.0.0.1:1".into());
        plan.opsgenie.token = Some("canary-token-8".into());
        plan.secrets = vec!["canary-kube-9".into()];
        plan.resolve.people = vec![evident_resolve::PersonMapping {
            login: "alice".into(),
            emails: vec!["canary-alice@example.com".into()],
            oncall: vec![],
        }];
        let mut config = evident_github::GithubConfig::new(
            "http://gh:canary-pw-10@127.0.0.1:1/api/v3",
            Some("canary-token-11".into()),
        );
        config.app = Some(evident_github::GithubApp {
            app_id: 1,
            installation_id: 2,
            private_key_pem: "-----BEGIN PRIVATE KEY-----canary-key-12".into(),
        });
        plan.github = Some(crate::github::GithubPlan {
            config,
            targets: vec![evident_github::Target::Owner("acme".into())],
            include_archived: false,
            include_forks: false,
            clone_concurrency: 4,
        });
        let mut kube = kube::Config::new("https://127.0.0.1:1".parse().unwrap());
        kube.auth_info.token = Some("canary-token-13".to_owned().into());
        plan.kube_targets = vec![Target::Config {
            name: "prod".into(),
            config: Box::new(kube),
        }];
        let json = serde_json::to_string_pretty(&plan).unwrap();
        assert!(!json.contains("canary"), "{json}");
        assert!(
            json.contains("/srv/repos/shop"),
            "paths stay as given: {json}"
        );
        assert!(
            json.contains("http://[redacted]@127.0.0.1:1/prom"),
            "{json}"
        );
        assert!(json.contains(r#""token": "[redacted]""#), "{json}");
        let back: ScanPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string_pretty(&back).unwrap(), json);
        assert!(
            back.pagerduty.token.is_some(),
            "configured stays configured"
        );
        assert!(
            back.secrets().iter().all(|s| !s.contains("[redacted]")),
            "placeholders are not secrets to look for: {:?}",
            back.secrets()
        );
        assert!(!back.snapshot.is_replaying() && !back.snapshot.is_recording());
    }

    #[test]
    fn url_credentials_are_found_only_in_the_authority() {
        assert_eq!(
            url_credentials("http://bob:pw%40x@h:9/a"),
            Some(("bob", "pw%40x"))
        );
        assert_eq!(url_credentials("http://h:9/a@b"), None);
        assert_eq!(url_credentials("http://tok3n@h"), Some(("tok3n", "")));
        assert_eq!(percent_decode("pw%40x%zz"), "pw@x%zz");
    }

    #[test]
    fn a_plan_collects_url_users_passwords_and_tokens() {
        let mut plan = ScanPlan::for_repositories(vec![]);
        plan.prometheus.urls = vec!["http://svc-user-77:pa%2Fss-99@127.0.0.1:1".into()];
        plan.grafana.token = Some("graf-token-123".into());
        plan.secrets = vec!["kube-token-456".into()];
        let secrets = plan.secrets();
        for s in [
            "svc-user-77",
            "pa%2Fss-99",
            "pa/ss-99",
            "svc-user-77:pa/ss-99",
            "graf-token-123",
            "kube-token-456",
        ] {
            assert!(secrets.iter().any(|x| x == s), "{s}: {secrets:?}");
        }
        let mut admin = ScanPlan::for_repositories(vec![]);
        admin.prometheus.urls = vec!["http://admin:longpassword@h".into()];
        assert!(!admin.secrets().iter().any(|s| s == "admin"));
    }

    #[test]
    fn url_credentials_and_a_token_for_one_source_are_refused_without_the_values() {
        let mut plan = ScanPlan::for_repositories(vec![]);
        plan.prometheus.urls = vec!["http://bob:hunter2222@127.0.0.1:1".into()];
        plan.prometheus.auth = Auth::Bearer("tok-abcdef".into());
        let err = plan.check_credentials().err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(
            err.contains("--prometheus") && err.contains(PROMETHEUS_TOKEN_ENV),
            "{err}"
        );
        assert!(
            !err.contains("hunter2222") && !err.contains("tok-abcdef"),
            "{err}"
        );
        plan.prometheus.auth = Auth::None;
        assert!(plan.check_credentials().is_ok());
        plan.grafana.url = Some("http://g:graf-pass@h".into());
        plan.grafana.token = Some("graf-tok-1".into());
        let err = plan
            .check_credentials()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("--grafana") && err.contains(GRAFANA_TOKEN_ENV),
            "{err}"
        );
        assert!(!err.contains("graf-pass"), "{err}");
    }
}
