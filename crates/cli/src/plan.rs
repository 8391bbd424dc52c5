//! Flags and environment mapped onto a scan plan; nothing else happens here.

use crate::cli::{ScanArgs, SourceArgs};
use anyhow::bail;
use evident_probe_kubernetes::Target;
use evident_scan::{Judging, ScanPlan, check_targets};
use std::path::PathBuf;
use std::time::Duration;

/// The per-user cache directory: `$EVIDENT_CACHE_DIR`, else `$XDG_CACHE_HOME/evident`,
/// else `~/.cache/evident`; `None` when none can be named.
pub fn default_cache_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("EVIDENT_CACHE_DIR")
        .or_else(|| from("XDG_CACHE_HOME").map(|d| d.join("evident")))
        .or_else(|| from("HOME").map(|d| d.join(".cache").join("evident")))
}

/// The clusters the kubernetes probe reads. Nothing unless a flag asks: a scan never
/// talks to whatever cluster the kubeconfig happens to point at.
fn kube_targets(args: &SourceArgs) -> anyhow::Result<Vec<Target>> {
    let mut targets: Vec<Target> = args
        .kube_contexts
        .iter()
        .map(|c| Target::Context(c.clone()))
        .collect();
    if args.kube_current {
        targets.push(Target::Current);
    }
    for dump in &args.kube_dumps {
        // The wrong file is a usage error (exit 2), said once, before any probe runs.
        if let Err(what) = evident_probe_kubernetes::dump::check_dump(dump) {
            bail!("--kube-dump {what}");
        }
        targets.push(Target::Dump {
            path: dump.clone(),
            name: None,
        });
    }
    Ok(targets)
}

/// Repositories to read: those given; else the current directory, unless the command
/// line names only clusters, dumps or servers (`evident scan --kube-dump x.json` reads
/// the dump alone, not whatever directory it was typed in).
fn repositories(args: &SourceArgs) -> anyhow::Result<Vec<PathBuf>> {
    let other_sources = !args.prometheus.is_empty()
        || !args.github.is_empty()
        || args.grafana.is_some()
        || oncall_asked(args)
        || !args.kube_contexts.is_empty()
        || args.kube_current
        || !args.kube_dumps.is_empty();
    let paths = if args.paths.is_empty() && !other_sources {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    Ok(check_targets(&paths, args.worktree)?)
}

/// Refuses a server URL that is not `http(s)://host...`: a malformed URL is a
/// configuration error naming the flag (exit 2), never a source that "failed".
fn http_url(flag: &str, url: &str, example: &str) -> anyhow::Result<()> {
    // The host: after the scheme, before any path, query or fragment, after any user@.
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .and_then(|authority| authority.rsplit('@').next());
    match host {
        Some(h) if !h.is_empty() && !h.starts_with(':') && !h.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => bail!(
            "{flag} {}: expected an http(s) URL such as {example}",
            crate::logs::redact(url)
        ),
    }
}

/// The plan for the sources flags and, with `--config`, the estate config (flags given
/// win; lists add). Credentials come from the environment, or from the variables and
/// files the estate config names.
pub fn source_plan(args: &SourceArgs) -> anyhow::Result<ScanPlan> {
    match &args.config {
        None => flags_plan(args),
        Some(path) => {
            let estate = evident_estate::load(path)?;
            let merged = crate::estate::merge_sources(args, &estate)?;
            let mut plan = flags_plan(&merged)?;
            crate::estate::apply_sources(&mut plan, args, &estate)?;
            Ok(plan)
        }
    }
}

/// The plan for the sources flags alone; credentials come from the environment only.
fn flags_plan(args: &SourceArgs) -> anyhow::Result<ScanPlan> {
    for url in &args.prometheus {
        http_url("--prometheus", url, "http://prometheus:9090")?;
    }
    if let Some(url) = &args.grafana {
        http_url("--grafana", url, "https://grafana.example.com")?;
    }
    if let Some(ca) = &args.ca_cert
        && !ca.is_file()
    {
        bail!("--ca-cert {} is not a readable file", ca.display());
    }
    let mut plan = ScanPlan::for_repositories(repositories(args)?);
    plan.worktree = args.worktree;
    plan.probe_timeout = Duration::from_secs(args.timeout.max(1));
    plan.history = evident_probe_git::HistoryLimits {
        window_days: args.history_days,
        cache_dir: (!args.no_cache).then(default_cache_dir).flatten(),
        ..Default::default()
    };
    plan.prometheus = evident_probe_prometheus::PrometheusConfig::new(
        args.prometheus.clone(),
        evident_probe_prometheus::PrometheusConfig::auth_from_env(),
    );
    plan.prometheus.ca_cert = args.ca_cert.clone();
    plan.prometheus.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    plan.grafana = evident_probe_grafana::GrafanaConfig::new(args.grafana.clone());
    plan.grafana.ca_cert = args.ca_cert.clone();
    plan.grafana.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    plan.kube_targets = kube_targets(args)?;
    plan.kube_read.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    plan.secrets = evident_probe_kubernetes::credential_secrets(&plan.kube_targets);
    plan.github = github_plan(args)?;
    plan.pagerduty = pagerduty_config(args)?;
    plan.opsgenie = opsgenie_config(args)?;
    plan.source_code.internal_prefixes = args.internal_package_prefix.clone();
    if let Some(file) = &args.people {
        plan.resolve.people = read_people(file)?;
    }
    crate::logs::use_redactor(plan.redactor());
    plan.check_credentials()?;
    Ok(plan)
}

/// The people mapping of `--people FILE`: a YAML list of `{login, emails, oncall}`
/// (or that list under `people:`). An unknown key is an error naming it, so a typo
/// (`email:`) is not silently a person without emails.
fn read_people(file: &std::path::Path) -> anyhow::Result<Vec<evident_resolve::PersonMapping>> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum PeopleFile {
        List(Vec<Person>),
        Wrapped { people: Vec<Person> },
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Person {
        login: String,
        #[serde(default)]
        emails: Vec<String>,
        #[serde(default)]
        oncall: Vec<String>,
    }
    let shown = file.display();
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("--people {shown}: {e}"))?;
    let parsed: PeopleFile = serde_yaml::from_str(&text).map_err(|e| {
        anyhow::anyhow!("--people {shown}: not a list of {{login, emails, oncall}} entries ({e})")
    })?;
    let (PeopleFile::List(people) | PeopleFile::Wrapped { people }) = parsed;
    Ok(people
        .into_iter()
        .map(|p| evident_resolve::PersonMapping {
            login: p.login.trim().trim_start_matches('@').to_lowercase(),
            emails: p.emails,
            oncall: p.oncall,
        })
        .collect())
}

/// Whether an on-call tool is to be read.
fn oncall_asked(args: &SourceArgs) -> bool {
    args.pagerduty || args.pagerduty_url.is_some() || args.opsgenie || args.opsgenie_url.is_some()
}

/// The API base of an on-call tool: the URL given, else the region's host; `None` when
/// the tool was not asked for.
fn oncall_api(
    flag: &str,
    asked: bool,
    url: Option<&String>,
    region: crate::cli::Region,
    regions: &[(&str, &str)],
) -> anyhow::Result<Option<String>> {
    if let Some(url) = url {
        http_url(&format!("--{flag}-url"), url, "https://api.example.com")?;
        return Ok(Some(url.trim_end_matches('/').to_owned()));
    }
    if !asked {
        return Ok(None);
    }
    let host = regions
        .iter()
        .find(|(name, _)| *name == region.as_str())
        .map(|(_, host)| (*host).to_owned());
    match host {
        Some(host) => Ok(Some(host)),
        None => bail!("--{flag}-region {}: no such region", region.as_str()),
    }
}

/// What `--pagerduty` asks for; the token from [`evident_probe_pagerduty::TOKEN_ENV`].
fn pagerduty_config(args: &SourceArgs) -> anyhow::Result<evident_probe_pagerduty::PagerdutyConfig> {
    use evident_probe_pagerduty::{PagerdutyConfig, REGIONS, TOKEN_ENV};
    let api = oncall_api(
        "pagerduty",
        args.pagerduty,
        args.pagerduty_url.as_ref(),
        args.pagerduty_region,
        REGIONS,
    )?;
    let Some(api) = api else {
        return Ok(PagerdutyConfig::none());
    };
    let mut config = PagerdutyConfig::new(api);
    if config.token.is_none() {
        tracing::warn!(
            "--pagerduty without a token in {TOKEN_ENV}: PagerDuty will refuse every request"
        );
    }
    config.window_days = args.oncall_days;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.ca_cert = args.ca_cert.clone();
    Ok(config)
}

/// What `--opsgenie` asks for; the key from [`evident_probe_opsgenie::TOKEN_ENV`].
fn opsgenie_config(args: &SourceArgs) -> anyhow::Result<evident_probe_opsgenie::OpsgenieConfig> {
    use evident_probe_opsgenie::{OpsgenieConfig, REGIONS, TOKEN_ENV};
    let api = oncall_api(
        "opsgenie",
        args.opsgenie,
        args.opsgenie_url.as_ref(),
        args.opsgenie_region,
        REGIONS,
    )?;
    let Some(api) = api else {
        return Ok(OpsgenieConfig::none());
    };
    let mut config = OpsgenieConfig::new(api);
    if config.token.is_none() {
        tracing::warn!(
            "--opsgenie without a key in {TOKEN_ENV}: Opsgenie will refuse every request"
        );
    }
    config.window_days = args.oncall_days;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.ca_cert = args.ca_cert.clone();
    Ok(config)
}

/// The first non-empty token of [`evident_github::TOKEN_ENVS`].
fn github_token() -> Option<String> {
    evident_github::TOKEN_ENVS
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .map(|v| v.trim().to_owned())
}

/// A GitHub App installation from `EVIDENT_GITHUB_APP_ID`,
/// `EVIDENT_GITHUB_APP_INSTALLATION_ID` and `EVIDENT_GITHUB_APP_PRIVATE_KEY_FILE` (or the PEM
/// itself in `EVIDENT_GITHUB_APP_PRIVATE_KEY`); all or none.
fn github_app() -> anyhow::Result<Option<evident_github::GithubApp>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let Some(app_id) = var("EVIDENT_GITHUB_APP_ID") else {
        return Ok(None);
    };
    let number = |name: &str, value: Option<String>| -> anyhow::Result<u64> {
        let Some(value) = value else {
            bail!("EVIDENT_GITHUB_APP_ID is set, so {name} is needed too");
        };
        value
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a number"))
    };
    let app_id = number("EVIDENT_GITHUB_APP_ID", Some(app_id))?;
    let installation_id = number(
        "EVIDENT_GITHUB_APP_INSTALLATION_ID",
        var("EVIDENT_GITHUB_APP_INSTALLATION_ID"),
    )?;
    let private_key_pem = match (
        var("EVIDENT_GITHUB_APP_PRIVATE_KEY"),
        var("EVIDENT_GITHUB_APP_PRIVATE_KEY_FILE"),
    ) {
        (Some(pem), _) => pem,
        (None, Some(file)) => std::fs::read_to_string(&file)
            .map_err(|e| anyhow::anyhow!("EVIDENT_GITHUB_APP_PRIVATE_KEY_FILE {file}: {e}"))?,
        (None, None) => bail!(
            "EVIDENT_GITHUB_APP_ID is set, so EVIDENT_GITHUB_APP_PRIVATE_KEY_FILE (or EVIDENT_GITHUB_APP_PRIVATE_KEY) is needed too"
        ),
    };
    Ok(Some(evident_github::GithubApp {
        app_id,
        installation_id,
        private_key_pem,
    }))
}

/// What `--github` asks for, or nothing.
fn github_plan(args: &SourceArgs) -> anyhow::Result<Option<evident_scan::github::GithubPlan>> {
    if args.github.is_empty() {
        if args.github_url.is_some() {
            bail!("--github-url needs --github ORG or --github OWNER/REPO");
        }
        return Ok(None);
    }
    let targets = args
        .github
        .iter()
        .map(|t| evident_github::Target::parse(t).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let api = args
        .github_url
        .clone()
        .unwrap_or_else(|| evident_github::DEFAULT_API_URL.to_owned());
    http_url("--github-url", &api, "https://github.example.com/api/v3")?;
    let mut config = evident_github::GithubConfig::new(&api, github_token());
    config.app = github_app()?;
    config.concurrency = args.github_concurrency as usize;
    config.max_requests = args.github_max_requests;
    config.wait_for_rate_limit = args.wait_for_rate_limit;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.cache_dir = (!args.no_cache).then(default_cache_dir).flatten();
    if config.token.is_none() && config.app.is_none() {
        tracing::warn!(
            "no GitHub token in EVIDENT_GITHUB_TOKEN, GITHUB_TOKEN or GH_TOKEN: GitHub allows 60 requests an hour without one, and private repositories, protection and teams stay unread"
        );
    }
    Ok(Some(evident_scan::github::GithubPlan {
        config,
        targets,
        include_archived: args.github_include_archived,
        include_forks: args.github_include_forks,
        clone_concurrency: 4,
    }))
}

/// A redactor for commands that read a saved result (`report`, `bundle`): the secrets
/// the environment holds now, on top of the token shapes, since the saved result may
/// come from an older version that redacted less.
pub fn env_redactor() -> evident_core::Redactor {
    let mut plan = ScanPlan::for_repositories(Vec::new());
    plan.prometheus.auth = evident_probe_prometheus::PrometheusConfig::auth_from_env();
    plan.grafana = evident_probe_grafana::GrafanaConfig::new(None);
    plan.secrets.extend(github_token());
    for env in [
        evident_probe_pagerduty::TOKEN_ENV,
        evident_probe_opsgenie::TOKEN_ENV,
    ] {
        plan.secrets
            .extend(std::env::var(env).ok().filter(|v| !v.trim().is_empty()));
    }
    let redactor = plan.redactor();
    crate::logs::use_redactor(redactor.clone());
    redactor
}

/// The plan for `evident scan`.
pub fn scan_plan(args: &ScanArgs) -> anyhow::Result<ScanPlan> {
    let mut plan = source_plan(&args.sources)?;
    plan.judging = Judging {
        models: args.models.clone(),
        policies: args.policies.clone(),
        strict: args.strict,
        rules: evident_scan::RuleConfig {
            on_call_share: args.on_call_share,
            ..Default::default()
        },
        policies_from_snapshot: false,
    };
    plan.dump_input = args.dump_input.clone();
    if let Some(path) = &args.sources.config {
        let estate = evident_estate::load(path)?;
        crate::estate::apply_judging(&mut plan, &estate)?;
    }
    plan.shard = args.shard;
    Ok(plan)
}

/// Runs a future of the scan library on a runtime of this process: the library owns none.
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    Ok(runtime.block_on(future))
}
