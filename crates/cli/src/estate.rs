//! `--config estate.yaml` mapped onto the flags and the plan: the config fills what the
//! command line left out (a flag given wins; lists add), and its credential references
//! are read here, so the scan library sees only a plan.

use crate::cli::{Region, SourceArgs, given};
use evident_estate::Estate;
use evident_probe_prometheus::http::Auth;
use evident_scan::ScanPlan;

fn region(r: evident_estate::Region) -> Region {
    match r {
        evident_estate::Region::Us => Region::Us,
        evident_estate::Region::Eu => Region::Eu,
    }
}

/// The flags with the estate's sources and scan options filled in.
pub fn merge_sources(args: &SourceArgs, estate: &Estate) -> anyhow::Result<SourceArgs> {
    let f = &estate.file;
    let s = &f.sources;
    let mut out = args.clone();
    for repo in estate.repositories() {
        if !repo.is_dir() {
            return Err(estate
                .at_key(
                    "repositories",
                    format!(
                        "`sources.repositories`: {} is not a directory",
                        repo.display()
                    ),
                )
                .into());
        }
        out.paths.push(repo);
    }
    if let Some(g) = &s.github {
        out.github.extend(g.orgs.iter().cloned());
        out.github.extend(g.repos.iter().cloned());
        if out.github_url.is_none() {
            out.github_url.clone_from(&g.url);
        }
        out.github_include_archived |= g.include_archived;
        out.github_include_forks |= g.include_forks;
        fill(
            &mut out.github_max_requests,
            "github_max_requests",
            g.max_requests,
        );
        fill(
            &mut out.github_concurrency,
            "github_concurrency",
            g.concurrency,
        );
    }
    if let Some(k) = &s.kubernetes {
        // With a kubeconfig of its own the contexts are built in `apply_sources`.
        if k.kubeconfig.is_none() {
            out.kube_contexts.extend(k.contexts.iter().cloned());
        }
        for dump in &k.dumps {
            out.kube_dumps.push(estate.resolve(dump));
        }
    }
    out.prometheus
        .extend(s.prometheus.iter().map(|p| p.url.clone()));
    if out.grafana.is_none() {
        out.grafana = s.grafana.as_ref().map(|g| g.url.clone());
    }
    if let Some(p) = &s.pagerduty {
        out.pagerduty = true;
        if out.pagerduty_url.is_none() {
            out.pagerduty_url.clone_from(&p.url);
        }
        if let Some(r) = p.region.filter(|_| !given("pagerduty_region")) {
            out.pagerduty_region = region(r);
        }
    }
    if let Some(o) = &s.opsgenie {
        out.opsgenie = true;
        if out.opsgenie_url.is_none() {
            out.opsgenie_url.clone_from(&o.url);
        }
        if let Some(r) = o.region.filter(|_| !given("opsgenie_region")) {
            out.opsgenie_region = region(r);
        }
    }
    if out.ca_cert.is_none() {
        out.ca_cert = s.ca_cert.as_ref().map(|p| estate.resolve(p));
    }
    if out.people.is_none() {
        out.people = f.people.as_ref().map(|p| estate.resolve(p));
    }
    let o = &f.scan;
    fill(&mut out.history_days, "history_days", o.history_days);
    fill(&mut out.oncall_days, "oncall_days", o.oncall_days);
    fill(&mut out.timeout, "timeout", o.timeout);
    fill(
        &mut out.request_timeout,
        "request_timeout",
        o.request_timeout,
    );
    out.worktree |= o.worktree;
    out.no_cache |= o.no_cache;
    Ok(out)
}

/// Sets `slot` from the config unless its flag was given.
fn fill<T>(slot: &mut T, id: &str, value: Option<T>) {
    if let Some(v) = value
        && !given(id)
    {
        *slot = v;
    }
}

/// The estate's credentials, clusters of its own kubeconfig, joins and the identity
/// root of its shards, on a plan built from the merged flags.
pub fn apply_sources(
    plan: &mut ScanPlan,
    args: &SourceArgs,
    estate: &Estate,
) -> anyhow::Result<()> {
    let f = &estate.file;
    let s = &f.sources;
    // The config says what to read: no repository unless it or the command line names one.
    if args.paths.is_empty() && s.repositories.is_empty() {
        plan.repositories.clear();
    }
    plan.identity_root = Some(estate.dir.clone());
    if let Some(g) = &s.github
        && let Some(token) =
            estate.secret("token", g.token_env.as_deref(), g.token_file.as_deref())?
        && let Some(gh) = &mut plan.github
    {
        gh.config.token = Some(token);
    }
    if let Some(server) = s.prometheus.first() {
        if let Some(token) = estate.secret(
            "token",
            server.token_env.as_deref(),
            server.token_file.as_deref(),
        )? {
            plan.prometheus.auth = Auth::Bearer(token);
        }
        if let Some(user) = estate.secret("user", server.user_env.as_deref(), None)?
            && let Some(password) = estate.secret(
                "password",
                server.password_env.as_deref(),
                server.password_file.as_deref(),
            )?
        {
            plan.prometheus.auth = Auth::Basic { user, password };
        }
    }
    if let Some(g) = &s.grafana
        && let Some(token) =
            estate.secret("token", g.token_env.as_deref(), g.token_file.as_deref())?
    {
        plan.grafana.token = Some(token);
    }
    if let Some(p) = &s.pagerduty
        && let Some(token) =
            estate.secret("token", p.token_env.as_deref(), p.token_file.as_deref())?
    {
        plan.pagerduty.token = Some(token);
    }
    if let Some(o) = &s.opsgenie
        && let Some(token) =
            estate.secret("token", o.token_env.as_deref(), o.token_file.as_deref())?
    {
        plan.opsgenie.token = Some(token);
    }
    if let Some(k) = &s.kubernetes
        && let Some(file) = &k.kubeconfig
    {
        let targets = kube_contexts(estate, &estate.resolve(file), &k.contexts)?;
        plan.secrets
            .extend(evident_probe_kubernetes::credential_secrets(&targets));
        plan.kube_targets.extend(targets);
    }
    plan.resolve
        .overrides
        .extend(f.services.iter().map(|e| evident_resolve::ServiceOverride {
            service: e.service.clone(),
            kubernetes: e.kubernetes.clone(),
            prometheus: e.prometheus.clone(),
            team: e.team.clone(),
            oncall: e.oncall.clone(),
        }));
    crate::logs::use_redactor(plan.redactor());
    plan.check_credentials()?;
    Ok(())
}

/// Client configurations for contexts of a kubeconfig the estate names.
fn kube_contexts(
    estate: &Estate,
    file: &std::path::Path,
    contexts: &[String],
) -> anyhow::Result<Vec<evident_probe_kubernetes::Target>> {
    let kubeconfig = kube::config::Kubeconfig::read_from(file).map_err(|e| {
        estate.at_key(
            "kubeconfig",
            format!("`kubeconfig`: {}: {e}", file.display()),
        )
    })?;
    let mut out = Vec::new();
    for context in contexts {
        let options = kube::config::KubeConfigOptions {
            context: Some(context.clone()),
            ..Default::default()
        };
        let config = crate::plan::block_on(kube::Config::from_custom_kubeconfig(
            kubeconfig.clone(),
            &options,
        ))?
        .map_err(|e| {
            estate.at_key(
                "contexts",
                format!("`contexts`: {context} in {}: {e}", file.display()),
            )
        })?;
        out.push(evident_probe_kubernetes::Target::Config {
            name: context.clone(),
            config: Box::new(config),
        });
    }
    Ok(out)
}

/// The estate's models, policies and rule values, after the flags'.
pub fn apply_judging(plan: &mut ScanPlan, estate: &Estate) -> anyhow::Result<()> {
    let f = &estate.file;
    for m in &f.models {
        if !plan.judging.models.contains(m) {
            plan.judging.models.push(m.clone());
        }
    }
    for dir in &f.policies {
        let dir = estate.resolve(dir);
        if !dir.is_dir() {
            return Err(estate
                .at_key(
                    "policies",
                    format!("`policies`: {} is not a directory", dir.display()),
                )
                .into());
        }
        plan.judging.policies.push(dir);
    }
    plan.judging.strict |= f.strict;
    if let Some(share) = f.rules.on_call_share
        && !given("on_call_share")
    {
        plan.judging.rules.on_call_share = share;
    }
    if let Some(size) = f.rules.max_team_size {
        plan.judging.rules.max_team_size = size;
    }
    Ok(())
}

/// The history store a scan saves to: `--store`, `--keep-last` and `--keep-days` win;
/// the estate config's `store` (a path relative to the config's directory, `sqlite:PATH`
/// or a PostgreSQL URL) and `retention` fill what they leave out, so a scheduled
/// `scan --config` keeps history with no flags.
pub fn store_args(
    args: &crate::cli::StoreArgs,
    config: Option<&std::path::Path>,
) -> anyhow::Result<crate::cli::StoreArgs> {
    let mut out = args.clone();
    let Some(path) = config else {
        return Ok(out);
    };
    let estate = evident_estate::load(path)?;
    if out.store.is_none() {
        out.store = estate
            .file
            .store
            .as_deref()
            .map(|s| store_location(&estate, s));
    }
    if out.keep_last.is_none() {
        out.keep_last = estate.file.retention.keep_last;
    }
    if out.keep_days.is_none() {
        out.keep_days = estate.file.retention.max_age_days;
    }
    Ok(out)
}

/// A store location from the config: URLs as written, files beside the config.
fn store_location(estate: &Estate, location: &str) -> String {
    if location.contains("://") {
        return location.to_owned();
    }
    let (prefix, path) = match location.strip_prefix("sqlite:") {
        Some(rest) => ("sqlite:", rest),
        None => ("", location),
    };
    format!(
        "{prefix}{}",
        estate.resolve(std::path::Path::new(path)).display()
    )
}
