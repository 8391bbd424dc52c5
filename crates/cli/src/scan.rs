//! One scan, end to end: probes → facts → services → rules → levels → scan result.

use anyhow::{Context, bail};
use chrono::{SecondsFormat, Utc};
use evident_core::{
    Evidence, Probe, ProbeOutput, SCAN_RESULT_SCHEMA, ScanContext, ScanInfo, ScanResult, Service,
    SourceReport, SourceStatus, ToolInfo, Unreadable, run_probe,
};
use evident_engine::attest::{AttestationOrigin, AttestationSet};
use evident_engine::{ATTESTATION_PATH, Catalog, Evaluator, infer_levels, resolve_services};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Repositories or directories.
    pub paths: Vec<PathBuf>,
    /// Models to judge (all when empty).
    pub models: Vec<String>,
    /// Extra policy directories.
    pub policies: Vec<PathBuf>,
    /// Manual criteria gate levels.
    pub strict: bool,
    /// Read working trees instead of HEAD.
    pub worktree: bool,
    /// Per-probe time bound.
    pub timeout: Duration,
    /// Days of commit history to read.
    pub history_days: u32,
    /// Where sizes of commits are kept between scans (`None`: not kept).
    pub cache_dir: Option<PathBuf>,
    /// Where to write the rule input, for policy authors.
    pub dump_input: Option<PathBuf>,
    /// Prometheus servers (`--prometheus`).
    pub prometheus: Vec<String>,
    /// Grafana (`--grafana`).
    pub grafana: Option<String>,
    /// Extra CA certificate for both (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// Kubeconfig contexts to read (`--kube-context`).
    pub kube_contexts: Vec<String>,
    /// Read the current context / in-cluster config (`--kube`).
    pub kube_current: bool,
    /// Cluster dumps to read (`--kube-dump`).
    pub kube_dumps: Vec<PathBuf>,
}

impl ScanOptions {
    /// The clusters the kubernetes probe reads. Nothing unless a flag asks: a scan never
    /// talks to whatever cluster the kubeconfig happens to point at.
    fn kube_targets(&self) -> Vec<evident_probe_kubernetes::Target> {
        use evident_probe_kubernetes::Target;
        let mut targets: Vec<Target> = self
            .kube_contexts
            .iter()
            .map(|c| Target::Context(c.clone()))
            .collect();
        if self.kube_current {
            targets.push(Target::Current);
        }
        targets.extend(self.kube_dumps.iter().map(|p| Target::Dump {
            path: p.clone(),
            name: None,
        }));
        targets
    }
}

/// Capabilities no probe of this build provides, and what a user should know about each.
/// They are reported as `not_configured`, which makes the criteria that need them
/// `unknown` instead of guessed.
const UNBUILT_CAPABILITIES: &[(&str, &str)] = &[
    ("github", "this version of evident has no GitHub probe"),
    (
        "oncall",
        "this version of evident has no PagerDuty or Opsgenie probe",
    ),
    (
        "source_code",
        "package dependencies and code size are not read by this version of evident",
    ),
];

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

/// Builds the catalog the scan judges with: built-ins, policy directories, model filter.
pub fn load_catalog(policies: &[PathBuf], models: &[String]) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::builtin().context("loading the built-in models")?;
    for dir in policies {
        if !dir.is_dir() {
            bail!("policy directory {} does not exist", dir.display());
        }
        catalog
            .load_policy_dir(dir)
            .with_context(|| format!("loading policy directory {}", dir.display()))?;
    }
    if !models.is_empty() {
        catalog.retain_models(models)?;
    }
    Ok(catalog)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Runs a scan and returns its result. Errors are configuration errors (exit 2); a
/// source that fails is part of the result, not an error.
pub fn run_scan(options: &ScanOptions) -> anyhow::Result<ScanResult> {
    let mut repositories = Vec::new();
    for path in &options.paths {
        if !path.exists() {
            bail!("{} does not exist", path.display());
        }
        if !path.is_dir() {
            bail!(
                "{} is not a directory; evident scans repositories and directories",
                path.display()
            );
        }
        repositories.push(
            path.canonicalize()
                .with_context(|| format!("resolving {}", path.display()))?,
        );
    }
    let clock = std::time::Instant::now();
    let catalog = load_catalog(&options.policies, &options.models)?;
    let policy_dirs = catalog.policy_dirs.clone();
    let evaluator = Evaluator::new(catalog).context("compiling the rules")?;

    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "rules compiled"
    );
    let started_at = now();
    let mut ctx = ScanContext::new(repositories.clone(), started_at.clone());
    ctx.worktree = options.worktree;
    ctx.probe_timeout = options.timeout;
    if let Some(ca) = &options.ca_cert
        && !ca.is_file()
    {
        bail!("--ca-cert {} is not a readable file", ca.display());
    }
    let mut prometheus = evident_probe_prometheus::PrometheusConfig::new(
        options.prometheus.clone(),
        evident_probe_prometheus::PrometheusConfig::auth_from_env(),
    );
    prometheus.ca_cert = options.ca_cert.clone();
    let mut grafana = evident_probe_grafana::GrafanaConfig::new(options.grafana.clone());
    grafana.ca_cert = options.ca_cert.clone();
    // Tokens are known secrets of this scan: replaced wherever they might appear.
    let mut redactor = (*ctx.redactor).clone();
    for secret in prometheus
        .auth
        .secrets()
        .into_iter()
        .chain(grafana.token.clone())
    {
        redactor = redactor.with_secret(secret);
    }
    ctx.redactor = Arc::new(redactor);
    let ctx = Arc::new(ctx);

    for dump in &options.kube_dumps {
        if !dump.is_file() {
            bail!("--kube-dump {} is not a file", dump.display());
        }
    }
    let history = evident_probe_git::HistoryLimits {
        window_days: options.history_days,
        cache_dir: options.cache_dir.clone(),
        ..Default::default()
    };
    let probes: Vec<Arc<dyn Probe>> = vec![
        Arc::new(evident_probe_git::GitProbe::new()),
        Arc::new(evident_probe_git::GitHistoryProbe::new(history)),
        Arc::new(evident_probe_prometheus::PrometheusProbe::new(prometheus)),
        Arc::new(evident_probe_grafana::GrafanaProbe::new(grafana)),
        Arc::new(evident_probe_kubernetes::KubernetesProbe::new(
            options.kube_targets(),
        )),
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outputs: Vec<(&'static str, ProbeOutput)> = {
        runtime.block_on(async {
            let handles: Vec<_> = probes
                .iter()
                .map(|p| {
                    let name = p.name();
                    let fut = run_probe(Arc::clone(p), Arc::clone(&ctx));
                    async move { (name, fut.await) }
                })
                .collect();
            futures_join(handles).await
        })
    };

    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "probes finished"
    );
    let mut sources: Vec<SourceReport> = Vec::new();
    let mut capabilities: BTreeMap<String, (SourceStatus, String)> = BTreeMap::new();
    let mut facts = serde_json::Map::new();
    let mut evidence: BTreeMap<String, Evidence> = BTreeMap::new();
    for (name, output) in outputs {
        let status = capability_status(&output.sources);
        capabilities.insert(name.to_owned(), status);
        sources.extend(output.sources);
        if !output.facts.is_null() {
            facts.insert(name.to_owned(), output.facts);
        }
        for e in output.evidence {
            evidence.entry(e.id.clone()).or_insert(e);
        }
    }
    for (cap, detail) in UNBUILT_CAPABILITIES {
        capabilities.insert(
            (*cap).to_owned(),
            (SourceStatus::NotConfigured, (*detail).to_owned()),
        );
        sources.push(SourceReport {
            probe: (*cap).to_owned(),
            source: (*cap).to_owned(),
            status: SourceStatus::NotConfigured,
            detail: Some((*detail).to_owned()),
        });
    }

    let facts = Value::Object(facts);
    // docs/facts.md: `grafana` is ok when a Grafana answered *or* dashboards kept as
    // code were read; without --grafana, the repositories' dashboards still count.
    let as_code = facts
        .pointer("/git/repos")
        .and_then(Value::as_object)
        .map_or(0, |repos| {
            repos
                .values()
                .filter_map(|r| r.get("dashboards").and_then(Value::as_array))
                .map(Vec::len)
                .sum::<usize>()
        });
    if as_code > 0
        && capabilities
            .get("grafana")
            .is_some_and(|(s, _)| *s == SourceStatus::NotConfigured)
    {
        capabilities.insert(
            "grafana".into(),
            (
                SourceStatus::Ok,
                format!("no --grafana given; {as_code} dashboard(s) kept as code read from the repositories"),
            ),
        );
    }
    let mut resolution = resolve_services(&facts);
    if resolution.services.is_empty()
        && capabilities
            .get("git")
            .is_some_and(|(s, _)| *s != SourceStatus::Ok)
    {
        // Nothing could be read: still report the targets, every criterion unknown.
        for repo in &repositories {
            let id = repo.file_name().map_or_else(
                || repo.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            resolution.input_services.insert(
                id.clone(),
                json!({"id": id, "team": null, "team_source": null, "resolved_from": "repository",
                       "repos": [], "workloads": [], "found_in": [], "rules": []}),
            );
            resolution.services.push(Service {
                id,
                team: None,
                team_source: None,
                resolved_from: "repository".into(),
                found_in: vec![],
            });
        }
    }

    let (attestations, attestation_evidence, attestation_problems) =
        load_attestations(&facts, &ctx);
    for e in attestation_evidence {
        evidence.entry(e.id.clone()).or_insert(e);
    }
    for problem in attestation_problems {
        sources.push(problem);
    }

    let input = json!({
        "config": {"on_call_share": 0.8, "max_team_size": 10},
        "sources": capabilities
            .iter()
            .map(|(k, (s, d))| (k.clone(), json!({"status": s.as_str(), "detail": d})))
            .collect::<serde_json::Map<_, _>>(),
        "services": resolution.input_services,
        "teams": resolution.teams,
        "index": {"rule_metrics": resolution.rule_metrics},
        "facts": facts,
    });
    let input_json = serde_json::to_string(&input).context("serialising the rule input")?;
    if let Some(path) = &options.dump_input {
        std::fs::write(path, &input_json)
            .with_context(|| format!("writing the rule input to {}", path.display()))?;
    }
    let known: HashSet<String> = evidence.keys().cloned().collect();
    let today = Utc::now().date_naive();
    let evaluation = evaluator
        .evaluate(&input, &input_json, &known, &attestations, today)
        .context("evaluating the rules")?;
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        services = resolution.services.len(),
        "rules evaluated"
    );
    for e in &evaluation.rule_errors {
        tracing::error!("{e}");
    }
    let levels = infer_levels(
        evaluator.catalog(),
        &evaluation.results,
        &resolution.services,
        options.strict,
    );

    let unreadable = collect_unreadable(&facts);
    Ok(ScanResult {
        schema: SCAN_RESULT_SCHEMA.to_owned(),
        scan: ScanInfo {
            id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at: now(),
            tool: ToolInfo {
                name: "evident".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            targets: repositories
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            strict: options.strict,
            policies: policy_dirs,
        },
        sources,
        services: resolution.services,
        criteria: evaluator.criteria_info(),
        results: evaluation.results,
        levels,
        evidence,
        unreadable,
    })
}

/// Everything the git probe could not read, from each repository's `unreadable` list,
/// and every resource type a cluster did not give the kubernetes probe.
fn collect_unreadable(facts: &Value) -> Vec<Unreadable> {
    let mut out = Vec::new();
    for u in facts
        .pointer("/kubernetes/unread")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or_default();
        let resource = if field("group").is_empty() {
            field("resource").to_owned()
        } else {
            format!("{}/{}", field("group"), field("resource"))
        };
        out.push(Unreadable {
            probe: "kubernetes".into(),
            source: format!("cluster {}", field("cluster")),
            location: resource,
            reason: format!("{}: {}", field("status"), field("detail")),
        });
    }
    let Some(repos) = facts.pointer("/git/repos").and_then(Value::as_object) else {
        return out;
    };
    for repo in repos.values() {
        let source = repo.get("root").and_then(Value::as_str).unwrap_or_default();
        for item in repo
            .get("unreadable")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(Unreadable {
                probe: "git".into(),
                source: source.to_owned(),
                location: item
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                reason: item
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    out
}

/// A probe's capability is usable when at least one of its sources answered; otherwise
/// the first failure names why.
fn capability_status(reports: &[SourceReport]) -> (SourceStatus, String) {
    if let Some(ok) = reports.iter().find(|r| r.status == SourceStatus::Ok) {
        return (SourceStatus::Ok, ok.detail.clone().unwrap_or_default());
    }
    reports.first().map_or(
        (SourceStatus::NotConfigured, "no source was tried".into()),
        |r| (r.status, r.detail.clone().unwrap_or_default()),
    )
}

async fn futures_join<T: Send + 'static>(
    futures: Vec<impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// Reads `.evident/attestations.yaml` of every scanned repository. A malformed file is
/// reported as a source problem and ignored; the scan goes on.
fn load_attestations(
    facts: &Value,
    ctx: &ScanContext,
) -> (AttestationSet, Vec<Evidence>, Vec<SourceReport>) {
    let mut set = AttestationSet::default();
    let mut evidence = Vec::new();
    let mut problems = Vec::new();
    let Some(repos) = facts.pointer("/git/repos").and_then(Value::as_object) else {
        return (set, evidence, problems);
    };
    for (key, repo) in repos {
        let Some(root) = repo.get("root").and_then(Value::as_str) else {
            continue;
        };
        let path = PathBuf::from(root).join(ATTESTATION_PATH);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let head = repo.get("head").and_then(Value::as_str);
        let short = head.map_or_else(|| "worktree".to_owned(), |h| h.chars().take(7).collect());
        let origin = AttestationOrigin {
            id_prefix: format!("git:{key}@{short}:"),
            source: root.to_owned(),
            revision: head.map(str::to_owned),
            observed_at: ctx.observed_at.clone(),
        };
        match AttestationSet::parse(&text, &origin, &ctx.redactor) {
            Ok((s, e)) => {
                set.items.extend(s.items);
                evidence.extend(e);
            }
            Err(message) => problems.push(SourceReport {
                probe: "attestations".into(),
                source: path.display().to_string(),
                status: SourceStatus::Error,
                detail: Some(format!(
                    "{message}; attestations of this repository are ignored"
                )),
            }),
        }
    }
    (set, evidence, problems)
}
