//! The Prometheus probe: what a running Prometheus shows about each service.
//!
//! Reads, per server and with a fixed number of bounded requests whatever the server's
//! size: build info, active targets, alerting and recording rules, metric names per
//! service (one aggregated query, never a series dump), `up` history over a window,
//! blackbox `probe_success`, and service-graph edges from mesh or tracing metrics. A
//! part that fails (timeout, 503, a label set too large to read) is reported as such in
//! `parts`, so rules needing it say `unknown` while everything else is kept.

/// The client moved to `evident-http` (probes never depend on one another); the path
/// stays so callers naming `evident_probe_prometheus::http::Auth` keep building.
pub use evident_http as http;
pub mod api;
pub mod mapping;

use api::{Item, QueryData, Sample, Series};
use async_trait::async_trait;
use evident_core::{
    Evidence, PartReport, Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus, UnreadItem,
};
use evident_http::{Auth, CallError, JsonClient};
use mapping::{Family, Mapping, family, map_target, url_service};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable holding a bearer token for every `--prometheus` server.
pub const TOKEN_ENV: &str = "EVIDENT_PROMETHEUS_TOKEN";
/// Environment variables holding basic-auth credentials.
pub const USER_ENV: &str = "EVIDENT_PROMETHEUS_USER";
/// See [`USER_ENV`].
pub const PASSWORD_ENV: &str = "EVIDENT_PROMETHEUS_PASSWORD";

/// The parts of a server the probe reads; each has its own status in its source
/// report's `parts`, which criteria name as `prometheus.<part>` in their sources.
pub const PARTS: &[&str] = &[
    "targets",
    "rules",
    "metrics",
    "availability",
    "synthetic",
    "edges",
];

/// Where and how to read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PrometheusConfig {
    /// Base URLs of the servers (`http://prometheus:9090`); written with any
    /// `user:password@` hidden.
    #[serde(serialize_with = "evident_core::hidden::url_list")]
    pub urls: Vec<String>,
    /// Credentials from the environment.
    pub auth: Auth,
    /// Extra CA certificate (PEM) for servers with a private CA.
    pub ca_cert: Option<PathBuf>,
    /// How far back `up` history is read (zero downtime); 30 days by default.
    pub window: Duration,
    /// How far back service-graph traffic counts; 7 days by default, as the criterion says.
    pub edge_window: Duration,
    /// Bound of one request.
    pub request_timeout: Duration,
    /// Bound of one response body, so a huge label set cannot exhaust memory.
    pub max_body: usize,
    /// Most (job, service, metric) groups read; above it metric names are `unknown`.
    pub max_groups: usize,
}

impl PrometheusConfig {
    /// A configuration with the default bounds.
    pub fn new(urls: Vec<String>, auth: Auth) -> Self {
        Self {
            urls,
            auth,
            ca_cert: None,
            window: Duration::from_secs(30 * 24 * 3600),
            edge_window: Duration::from_secs(7 * 24 * 3600),
            request_timeout: Duration::from_secs(20),
            max_body: 32 * 1024 * 1024,
            max_groups: 50_000,
        }
    }

    /// Credentials from `EVIDENT_PROMETHEUS_TOKEN`, else `EVIDENT_PROMETHEUS_USER` and
    /// `EVIDENT_PROMETHEUS_PASSWORD`, else none.
    pub fn auth_from_env() -> Auth {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(token) = var(TOKEN_ENV) {
            Auth::Bearer(token)
        } else if let (Some(user), Some(password)) = (var(USER_ENV), var(PASSWORD_ENV)) {
            Auth::Basic { user, password }
        } else {
            Auth::None
        }
    }
}

/// The probe. Holds a request counter across servers, read by tests and the benchmark.
#[derive(Debug)]
pub struct PrometheusProbe {
    config: PrometheusConfig,
    requests: Arc<AtomicUsize>,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl PrometheusProbe {
    /// A probe for the configured servers.
    pub fn new(config: PrometheusConfig) -> Self {
        Self {
            config,
            requests: Arc::new(AtomicUsize::new(0)),
            tape: Default::default(),
        }
    }

    /// Records every raw answer into, or replays them from, `tape` (`--snapshot`,
    /// `evident replay`); off by default.
    pub fn with_tape(mut self, tape: evident_snapshot::Tape) -> Self {
        self.tape = tape;
        self
    }

    /// Requests sent by the last `collect` (all servers).
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Probe for PrometheusProbe {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["prometheus"]
    }

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        if self.config.urls.is_empty() {
            return ProbeOutput::failed(
                "prometheus",
                "prometheus",
                SourceStatus::NotConfigured,
                format!(
                    "no Prometheus server given; pass --prometheus URL (credentials from {TOKEN_ENV}, or {USER_ENV} and {PASSWORD_ENV})"
                ),
            );
        }
        let mut servers = Vec::new();
        for url in &self.config.urls {
            let shown = ctx.redactor.redact(url);
            // A replay reads no file, the CA certificate neither: nothing is sent.
            let ca_cert = match self.tape.is_replaying() {
                true => None,
                false => self.config.ca_cert.as_deref(),
            };
            let client = match JsonClient::new(
                url,
                &self.config.auth,
                ca_cert,
                self.config.request_timeout,
                self.config.max_body,
            ) {
                Ok(c) => c.with_tape(
                    self.tape.clone(),
                    format!("prometheus:{}", evident_http::without_userinfo(url)),
                ),
                Err(e) => {
                    servers.push(ServerRead::failed(
                        &shown,
                        SourceStatus::Error,
                        e.to_string(),
                    ));
                    continue;
                }
            };
            let read = read_server(&client, &shown, &self.config, ctx).await;
            self.requests
                .fetch_add(client.requests(), Ordering::Relaxed);
            servers.push(read);
        }
        assemble(servers, &self.config, ctx)
    }
}

/// What one server answered, part by part.
#[derive(Debug, Default)]
struct ServerRead {
    url: String,
    status: Option<(SourceStatus, String)>,
    version: Option<String>,
    /// Why the version could not be read, when the build info answered junk.
    version_note: Option<String>,
    parts: BTreeMap<&'static str, PartReport>,
    /// Names of the series the server's recording rules write: never a service's own.
    recorded: BTreeSet<String>,
    targets: Vec<Target>,
    rules: Vec<Value>,
    groups: Vec<(Option<String>, String)>,
    availability: Vec<(Option<String>, Value)>,
    synthetic: Vec<Value>,
    edges: Vec<Value>,
    evidence: Vec<Evidence>,
}

impl ServerRead {
    fn failed(url: &str, status: SourceStatus, detail: String) -> Self {
        Self {
            url: url.to_owned(),
            status: Some((status, detail)),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone)]
struct Target {
    job: String,
    instance: String,
    health: String,
    namespace: Option<String>,
    mapping: Option<Mapping>,
    evidence: String,
}

fn host_key(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.trim_end_matches('/').to_owned()
}

fn evidence(
    ctx: &ScanContext,
    server: &str,
    locator: String,
    sha256: Option<&str>,
    excerpt: &str,
) -> Evidence {
    Evidence {
        id: format!("prometheus:{}:{}", host_key(server), locator),
        probe: "prometheus".into(),
        source: server.to_owned(),
        locator,
        location: None,
        observed_at: ctx.observed_at.clone(),
        revision: None,
        sha256: sha256.map(str::to_owned),
        excerpt: ctx
            .redactor
            .redact(&excerpt.chars().take(600).collect::<String>()),
    }
}

/// A sample's value as a number (`"NaN"` and junk are none).
fn sample_value(v: &Sample) -> Option<f64> {
    v.value.1.parse().ok()
}

/// A duration as PromQL writes it (`30d`, `7d`, `10m`), also readable in summaries.
fn secs(d: Duration) -> String {
    let s = d.as_secs().max(1);
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// An instant query's rows and the body's hash; any other result type is an error.
async fn query(client: &JsonClient, promql: &str) -> Result<(Vec<Sample>, String), CallError> {
    let path = "/api/v1/query";
    let (data, sha) =
        api::get::<QueryData<Sample>>(client, path, &[("query", promql.to_owned())]).await?;
    Ok((api::rows(path, data, "vector")?, sha))
}

/// Reads one server in three phases: build info (a refusal here ends the read), then
/// targets, rules, synthetic checks and service-graph edges at once, then metric names
/// and availability, which aggregate by the labels the targets were mapped by.
async fn read_server(
    client: &JsonClient,
    url: &str,
    config: &PrometheusConfig,
    ctx: &ScanContext,
) -> ServerRead {
    let mut out = ServerRead {
        url: url.to_owned(),
        ..ServerRead::default()
    };
    if let Err(e) = read_buildinfo(client, url, ctx, &mut out).await {
        out.status = Some((e.status(), e.to_string()));
        return out;
    }
    read_inventory(client, config, ctx, &mut out).await;
    if out.parts.get("targets").map(|p| p.status) != Some(SourceStatus::Ok) {
        for part in ["metrics", "availability"] {
            out.parts.insert(
                part,
                PartReport {
                    status: SourceStatus::Error,
                    detail: Some("not read because the targets could not be read".into()),
                    incomplete: vec![],
                },
            );
        }
        return out;
    }
    read_series(client, config, ctx, &mut out).await;
    out
}

/// Records how one part of a server read went: ok with the items it could not read,
/// or the failure.
fn record_part(
    out: &mut ServerRead,
    part: &'static str,
    result: Result<Vec<UnreadItem>, CallError>,
) {
    let report = match result {
        Ok(incomplete) => PartReport {
            status: SourceStatus::Ok,
            detail: None,
            incomplete,
        },
        Err(e) => PartReport {
            status: e.status(),
            detail: Some(e.to_string()),
            incomplete: vec![],
        },
    };
    out.parts.insert(part, report);
}

/// The server's version. A 404 is no failure (a proxy exposing only the query API),
/// nor is an answer of the wrong shape (the version is not evidence any rule reads; the
/// detail says it was not read); a refusal or an outage ends the server's read.
async fn read_buildinfo(
    client: &JsonClient,
    url: &str,
    ctx: &ScanContext,
    out: &mut ServerRead,
) -> Result<(), CallError> {
    let path = "/api/v1/status/buildinfo";
    match api::get::<api::BuildInfo>(client, path, &[]).await {
        Ok((info, sha)) => {
            out.version = info.version;
            out.evidence.push(evidence(
                ctx,
                url,
                path.into(),
                Some(&sha),
                &format!("version {}", out.version.as_deref().unwrap_or("unknown")),
            ));
            Ok(())
        }
        Err(e) if e.http_code() == Some(404) => Ok(()),
        Err(
            e @ (CallError::Shape { .. } | CallError::NotJson { .. } | CallError::Answer { .. }),
        ) => {
            out.version_note = Some(e.to_string());
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Targets, rules, synthetic checks and service-graph edges, asked for at once; each
/// part fails on its own.
async fn read_inventory(
    client: &JsonClient,
    config: &PrometheusConfig,
    ctx: &ScanContext,
    out: &mut ServerRead,
) {
    let edge_range = secs(config.edge_window);
    let istio = format!(
        "sum by (source_workload, source_workload_namespace, destination_workload, destination_workload_namespace, destination_service_name) (increase(istio_requests_total[{edge_range}])) > 0"
    );
    let linkerd = format!(
        "sum by (deployment, namespace, dst_deployment, dst_namespace) (increase(response_total{{direction=\"outbound\"}}[{edge_range}])) > 0"
    );
    let tempo = format!(
        "sum by (client, server) (increase(traces_service_graph_request_total[{edge_range}])) > 0"
    );
    let synthetic_q = "avg by (job, instance) (avg_over_time(probe_success[1h]))".to_owned();
    let active = [("state", "active".to_owned())];
    let (targets, rules, synthetic, e_istio, e_linkerd, e_tempo) = tokio::join!(
        api::get::<api::TargetsData>(client, "/api/v1/targets", &active),
        api::get::<api::RulesData>(client, "/api/v1/rules", &[]),
        query(client, &synthetic_q),
        query(client, &istio),
        query(client, &linkerd),
        query(client, &tempo),
    );

    // Targets first: metric names and availability aggregate by what they show.
    let read = targets.map(|(data, sha)| read_targets(out, data, &sha, ctx));
    record_part(out, "targets", read);
    let read = rules.map(|(data, sha)| read_rules(out, data, &sha, ctx));
    record_part(out, "rules", read);
    let read = synthetic.map(|(rows, sha)| read_synthetic(out, rows, &sha, &synthetic_q, ctx));
    record_part(out, "synthetic", read);
    let mut edge_error = None;
    for (metric, q, result, from, to) in [
        (
            "istio_requests_total",
            &istio,
            e_istio,
            "source_workload",
            "destination_workload",
        ),
        (
            "response_total",
            &linkerd,
            e_linkerd,
            "deployment",
            "dst_deployment",
        ),
        (
            "traces_service_graph_request_total",
            &tempo,
            e_tempo,
            "client",
            "server",
        ),
    ] {
        match result {
            Ok((rows, sha)) => read_edges(out, rows, &sha, (metric, q, from, to), ctx),
            Err(e) => {
                edge_error.get_or_insert(e);
            }
        }
    }
    record_part(out, "edges", edge_error.map_or(Ok(vec![]), Err));
}

/// Metric names per service and the availability of its targets over the window,
/// grouped by `job` and every label a target was mapped by.
async fn read_series(
    client: &JsonClient,
    config: &PrometheusConfig,
    ctx: &ScanContext,
    out: &mut ServerRead,
) {
    let series_labels: BTreeSet<&str> = out
        .targets
        .iter()
        .filter_map(|t| t.mapping.as_ref().and_then(|m| m.series_label))
        .filter(|l| *l != "job")
        .collect();
    let by: Vec<&str> = std::iter::once("job")
        .chain(series_labels.iter().copied())
        .collect();
    let by = by.join(", ");
    let metrics_q = format!("count by (__name__, {by}) ({{__name__!=\"\"}})");
    // Each point takes the minimum over at least its own step (and two minutes), so a
    // short outage between two points is still seen.
    let step = (config.window.as_secs() / 720).max(15);
    let points = (config.window.as_secs() / step).max(1);
    let end = observed_secs(&ctx.observed_at) + 1;
    let start = end.saturating_sub(step * points);
    let lookback = step.max(120);
    let up_q = format!("min by ({by}) (min_over_time(up[{lookback}s]))");
    let range = [
        ("query", up_q.clone()),
        ("start", start.to_string()),
        ("end", end.to_string()),
        ("step", step.to_string()),
    ];
    let range_path = "/api/v1/query_range";
    let (metrics, up) = tokio::join!(
        query(client, &metrics_q),
        api::get::<QueryData<Series>>(client, range_path, &range),
    );
    let read = metrics
        .and_then(|(rows, sha)| read_metrics(out, &rows, &sha, &metrics_q, config.max_groups, ctx));
    record_part(out, "metrics", read);
    let read = up
        .and_then(|(data, sha)| Ok((api::rows(range_path, data, "matrix")?, sha)))
        .map(|(rows, sha)| read_availability(out, &rows, &sha, &up_q, config.window, ctx));
    record_part(out, "availability", read);
}

/// The scan's observation time in Unix seconds: the range ends there, so a replayed
/// scan asks exactly what the recorded one asked. The system clock only when the time
/// given is not RFC 3339 (it always is from the CLI).
fn observed_secs(observed_at: &str) -> u64 {
    match chrono::DateTime::parse_from_rfc3339(observed_at) {
        Ok(t) => u64::try_from(t.timestamp()).unwrap_or(0),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}

/// The active targets, each mapped to a service; a target of the wrong shape is left
/// out and listed.
fn read_targets(
    out: &mut ServerRead,
    data: api::TargetsData,
    sha: &str,
    ctx: &ScanContext,
) -> Vec<UnreadItem> {
    let locator = "/api/v1/targets?state=active";
    let id = format!("prometheus:{}:{locator}", host_key(&out.url));
    let mut unread = Vec::new();
    for (i, t) in data.active_targets.into_iter().enumerate() {
        let t = match t {
            Item::Read(t) => t,
            Item::Unreadable { reason, .. } => {
                unread.push(UnreadItem::new(
                    format!("/api/v1/targets activeTargets[{i}]"),
                    reason,
                ));
                continue;
            }
        };
        let job = t
            .labels
            .get("job")
            .cloned()
            .or(t.scrape_pool)
            .unwrap_or_default();
        out.targets.push(Target {
            instance: t.labels.get("instance").cloned().unwrap_or_default(),
            health: t.health.unwrap_or_else(|| "unknown".into()),
            namespace: t
                .labels
                .get("namespace")
                .or_else(|| t.discovered_labels.get("__meta_kubernetes_namespace"))
                .cloned(),
            mapping: map_target(&t.labels, &t.discovered_labels),
            job,
            evidence: id.clone(),
        });
    }
    let up = out.targets.iter().filter(|t| t.health == "up").count();
    out.evidence.push(evidence(
        ctx,
        &out.url.clone(),
        locator.into(),
        Some(sha),
        &format!("{} active targets, {up} up", out.targets.len()),
    ));
    unread
}

/// Metric names and label matchers of an expression; `None` when it does not parse.
#[allow(clippy::type_complexity)]
fn parse_expr(expr: &str) -> Option<(Vec<String>, Vec<(String, String, String)>)> {
    let s = evident_promql::select(expr).ok()?;
    let matchers = s
        .matchers
        .into_iter()
        .map(|m| (m.label, m.op, m.value))
        .collect();
    Some((s.metrics.into_iter().collect(), matchers))
}

/// Which SLO tool a recording rule comes from, by its labels and name.
fn slo_tool(name: &str, labels: &BTreeMap<String, String>) -> Option<&'static str> {
    if labels.contains_key("sloth_service")
        || labels.contains_key("sloth_slo")
        || labels.contains_key("sloth_id")
    {
        Some("sloth")
    } else if labels.contains_key("slo") && (name.contains("burnrate") || name.starts_with("pyrra"))
    {
        Some("pyrra")
    } else if labels.keys().any(|k| k.starts_with("openslo")) {
        Some("openslo")
    } else if name.starts_with("slo:") {
        Some("slo naming")
    } else {
        None
    }
}

fn service_hint(labels: &BTreeMap<String, String>) -> Option<(String, String)> {
    for l in [
        "sloth_service",
        "service",
        "app_kubernetes_io_name",
        "app",
        "service_name",
        "job",
    ] {
        if let Some(v) = labels.get(l).filter(|v| !v.is_empty()) {
            return Some((v.clone(), format!("rule label {l}")));
        }
    }
    None
}

/// Every loaded rule; a group or a rule of the wrong shape is left out and listed.
fn read_rules(
    out: &mut ServerRead,
    data: api::RulesData,
    sha: &str,
    ctx: &ScanContext,
) -> Vec<UnreadItem> {
    let mut unread = Vec::new();
    for (i, g) in data.groups.into_iter().enumerate() {
        let g = match g {
            Item::Read(g) => g,
            Item::Unreadable { name, reason } => {
                let which = name.map_or_else(|| format!("groups[{i}]"), |n| format!("group {n}"));
                unread.push(UnreadItem::new(format!("/api/v1/rules {which}"), reason));
                continue;
            }
        };
        for (j, r) in g.rules.into_iter().enumerate() {
            match r {
                Item::Read(r) => read_rule(out, &g.name, &g.file, r, sha, ctx),
                Item::Unreadable { name, reason } => {
                    let which = name.map_or_else(|| format!("rules[{j}]"), |n| format!("rule {n}"));
                    unread.push(UnreadItem::new(
                        format!("/api/v1/rules group {} {which}", g.name),
                        reason,
                    ));
                }
            }
        }
    }
    unread
}

/// One loaded rule as a fact, with its service hint, SLO tool and evidence.
fn read_rule(
    out: &mut ServerRead,
    group: &str,
    file: &str,
    r: api::Rule,
    sha: &str,
    ctx: &ScanContext,
) {
    let url = out.url.clone();
    let name = r.name.as_str();
    let expr = r.query.as_str();
    let kind = if r.kind == "alerting" {
        "alert"
    } else {
        "record"
    };
    if kind == "record" {
        out.recorded.insert(r.name.clone());
    }
    let labels = &r.labels;
    let runbook = r
        .annotations
        .get("runbook_url")
        .or_else(|| r.annotations.get("runbook"))
        .cloned();
    let parsed = parse_expr(expr);
    let mut hint = service_hint(labels);
    if hint.is_none()
        && let Some((_, matchers)) = &parsed
    {
        hint = matchers
            .iter()
            .find(|(l, op, _)| {
                op == "=" && (l == "job" || mapping::SERVICE_LABELS.contains(&l.as_str()))
            })
            .map(|(l, _, v)| (v.clone(), format!("matcher {l}=\"{v}\" in the expression")));
    }
    let ev = evidence(
        ctx,
        &url,
        format!("/api/v1/rules#{group}/{name}"),
        Some(sha),
        &format!(
            "{kind} {name} in group {group} ({file}): {expr}{}",
            runbook
                .as_deref()
                .map(|r| format!(" runbook_url={r}"))
                .unwrap_or_default()
        ),
    );
    let burn = kind == "alert"
        && (expr.contains("slo:")
            || expr.to_lowercase().contains("burn")
            || name.to_lowercase().contains("burn")
            || labels.contains_key("sloth_severity"));
    out.rules.push(json!({
        "server": url, "group": group, "file": file, "name": name, "kind": kind,
        "expr": ctx.redactor.redact(expr), "labels": labels, "runbook_url": runbook,
        "service_hint": hint.as_ref().map(|h| h.0.clone()),
        "service_hint_from": hint.as_ref().map(|h| h.1.clone()),
        "metrics": parsed.as_ref().map(|(m, _)| m.clone()),
        "health": r.health,
        "state": r.state,
        "slo_tool": if kind == "record" { slo_tool(name, labels) } else { None },
        "burn_rate": burn,
        "evidence": ev.id,
    }));
    out.evidence.push(ev);
}

fn read_synthetic(
    out: &mut ServerRead,
    rows: Vec<Sample>,
    sha: &str,
    q: &str,
    ctx: &ScanContext,
) -> Vec<UnreadItem> {
    let url = out.url.clone();
    for row in rows {
        let instance = row.metric.get("instance").cloned().unwrap_or_default();
        let job = row.metric.get("job").cloned().unwrap_or_default();
        let ratio = sample_value(&row);
        let ev = evidence(
            ctx,
            &url,
            format!("{q}#{job}/{instance}"),
            Some(sha),
            &format!("probe_success of {instance} (job {job}) averaged {ratio:?} over 1h"),
        );
        out.synthetic.push(json!({
            "server": url, "job": job, "instance": instance,
            "service": url_service(&instance),
            "success_ratio": ratio, "evidence": ev.id,
        }));
        out.evidence.push(ev);
    }
    vec![]
}

/// Service-graph edges of one metric: `(metric, query, source label, destination label)`.
fn read_edges(
    out: &mut ServerRead,
    rows: Vec<Sample>,
    sha: &str,
    (metric, q, from, to): (&str, &str, &str, &str),
    ctx: &ScanContext,
) {
    let url = out.url.clone();
    for row in rows {
        let labels = &row.metric;
        let source = labels
            .get(from)
            .cloned()
            .filter(|s| !s.is_empty() && s != "unknown");
        let destination = labels
            .get(to)
            .cloned()
            .filter(|s| !s.is_empty() && s != "unknown")
            .or_else(|| {
                labels
                    .get("destination_service_name")
                    .map(|s| s.split('.').next().unwrap_or(s).to_owned())
            });
        let (Some(source), Some(destination)) = (source, destination) else {
            continue;
        };
        let requests = sample_value(&row).unwrap_or(0.0);
        let ev = evidence(
            ctx,
            &url,
            format!("{q}#{source}->{destination}"),
            Some(sha),
            &format!("{source} -> {destination}: {requests:.0} requests ({metric})"),
        );
        out.edges.push(json!({
            "server": url, "source": source, "destination": destination, "metric": metric,
            "requests": requests, "evidence": ev.id,
        }));
        out.evidence.push(ev);
    }
}

/// The service a series row belongs to: a service label on it, else the only service
/// the targets of its job map to.
fn row_service(labels: &BTreeMap<String, String>, targets: &[Target]) -> Option<String> {
    for &l in mapping::SERVICE_LABELS {
        if let Some(v) = labels.get(l).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
    }
    let job = labels.get("job")?;
    let services: BTreeSet<&str> = targets
        .iter()
        .filter(|t| &t.job == job)
        .filter_map(|t| t.mapping.as_ref().map(|m| m.service.as_str()))
        .collect();
    match services.len() {
        1 => services.into_iter().next().map(str::to_owned),
        _ => None,
    }
}

fn read_metrics(
    out: &mut ServerRead,
    rows: &[Sample],
    sha: &str,
    q: &str,
    max_groups: usize,
    ctx: &ScanContext,
) -> Result<Vec<UnreadItem>, CallError> {
    if rows.len() > max_groups {
        return Err(CallError::answer(
            SourceStatus::Error,
            format!(
                "{} metric groups exceed the bound of {max_groups} (a huge label set); metric names not read",
                rows.len()
            ),
        ));
    }
    for row in rows {
        let Some(name) = row.metric.get("__name__").cloned() else {
            continue;
        };
        out.groups
            .push((row_service(&row.metric, &out.targets), name));
    }
    let url = out.url.clone();
    out.evidence.push(evidence(
        ctx,
        &url,
        q.to_owned(),
        Some(sha),
        &format!("{} (service, metric) groups", rows.len()),
    ));
    Ok(vec![])
}

fn read_availability(
    out: &mut ServerRead,
    rows: &[Series],
    sha: &str,
    q: &str,
    window: Duration,
    ctx: &ScanContext,
) -> Vec<UnreadItem> {
    let url = out.url.clone();
    // Per service: points, down points, first down time, jobs.
    type Tally = (usize, usize, Option<f64>, Vec<String>);
    let mut per: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    for row in rows {
        let service = row_service(&row.metric, &out.targets);
        let entry = per.entry(service).or_default();
        for (t, v) in &row.values {
            entry.0 += 1;
            if v.parse::<f64>().ok() == Some(0.0) {
                entry.1 += 1;
                if entry.2.is_none() {
                    entry.2 = Some(*t);
                }
            }
        }
        entry
            .3
            .push(row.metric.get("job").cloned().unwrap_or_default());
    }
    for (service, (points, down, first_down, jobs)) in per {
        let key = service.clone().unwrap_or_else(|| "(unmapped)".into());
        let ev = evidence(
            ctx,
            &url,
            format!("query_range {q} over {}#{key}", secs(window)),
            Some(sha),
            &format!(
                "{key}: up was 0 at {down} of {points} points (jobs {})",
                jobs.join(", ")
            ),
        );
        out.availability.push((
            service,
            json!({"server": url, "window": secs(window), "points": points, "down_points": down,
                   "first_down": first_down, "evidence": ev.id}),
        ));
        out.evidence.push(ev);
    }
    vec![]
}

/// The period `up` history is read over: `window` before the scan's observation time.
fn evidence_window(window: Duration, observed_at: &str) -> Option<evident_core::TimeWindow> {
    let to = chrono::DateTime::parse_from_rfc3339(observed_at).ok()?;
    let from = to - chrono::Duration::seconds(i64::try_from(window.as_secs()).ok()?);
    Some(evident_core::TimeWindow {
        from: from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to: to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        what: format!("target availability (`up`) over {}", secs(window)),
    })
}

/// Joins every server's read into `facts.prometheus` (shape in docs/facts.md).
fn assemble(servers: Vec<ServerRead>, config: &PrometheusConfig, ctx: &ScanContext) -> ProbeOutput {
    let mut joined = Assembly::default();
    for s in servers {
        joined.add_server(s, ctx);
    }
    joined.fill_services();
    // The availability history covers the window before the scan: say so on each
    // server that answered, so the report shows the period the evidence covers.
    let window = evidence_window(config.window, &ctx.observed_at);
    for report in joined.sources.iter_mut() {
        if report.status == evident_core::SourceStatus::Ok {
            report.window = window.clone();
        }
    }
    let facts = json!({
        "servers": joined.server_facts,
        "window": secs(config.window),
        "edge_window": secs(config.edge_window),
        "targets": joined.targets,
        "services": joined.services.into_iter().map(|(k, v)| (k, Value::Object(v))).collect::<Map<_, _>>(),
        "rules": joined.rules,
        "synthetic": joined.synthetic,
        "edges": joined.edges,
    });
    ProbeOutput {
        facts,
        evidence: joined.evidence,
        sources: joined.sources,
    }
}

/// Every server's read, joined server by server, before the per-service facts are
/// filled in from what all servers showed.
#[derive(Default)]
struct Assembly {
    sources: Vec<SourceReport>,
    evidence: Vec<Evidence>,
    server_facts: Vec<Value>,
    /// Series every server's recording rules write.
    recorded: BTreeSet<String>,
    services: BTreeMap<String, Map<String, Value>>,
    targets: Vec<Value>,
    rules: Vec<Value>,
    synthetic: Vec<Value>,
    edges: Vec<Value>,
    metric_owners: BTreeMap<String, BTreeSet<String>>,
    service_metrics: BTreeMap<String, BTreeSet<String>>,
    availability: BTreeMap<String, Vec<Value>>,
}

/// Every part of a server that answered, for its source report: each detail names the
/// server (the scan merges parts over servers, keeping the first failure), a part never
/// reached is an error.
fn part_reports(s: &ServerRead, ctx: &ScanContext) -> BTreeMap<String, PartReport> {
    PARTS
        .iter()
        .map(|part| {
            let mut report = s.parts.get(part).cloned().unwrap_or(PartReport {
                status: SourceStatus::Error,
                detail: Some("not read".into()),
                incomplete: vec![],
            });
            report.detail = report
                .detail
                .map(|d| format!("{}: {}", s.url, ctx.redactor.redact(&d)));
            for item in &mut report.incomplete {
                item.reason = ctx.redactor.redact(&item.reason);
            }
            ((*part).to_owned(), report)
        })
        .collect()
}

/// How a server answered, for its source report: the failure that ended the read, or
/// ok with the parts it could not read.
fn server_status(s: &ServerRead) -> (SourceStatus, String) {
    match &s.status {
        Some((st, d)) => (*st, d.clone()),
        None => {
            let failed: Vec<String> = s
                .parts
                .iter()
                .filter(|(_, p)| p.status != SourceStatus::Ok)
                .map(|(name, p)| {
                    format!(
                        "{name}: {} ({})",
                        p.status,
                        p.detail.as_deref().unwrap_or_default()
                    )
                })
                .collect();
            let mut detail = if failed.is_empty() {
                format!("Prometheus {} answered", s.version.as_deref().unwrap_or(""))
            } else {
                format!("answered, but not every part: {}", failed.join("; "))
            };
            if let Some(note) = &s.version_note {
                detail.push_str(&format!("; version not read: {note}"));
            }
            (SourceStatus::Ok, detail)
        }
    }
}

impl Assembly {
    /// Adds one server: its source report, its parts, targets, metric groups,
    /// availability, rules, checks, edges and evidence.
    fn add_server(&mut self, s: ServerRead, ctx: &ScanContext) {
        let (status, detail) = server_status(&s);
        let detail = ctx.redactor.redact(&detail);
        let mut report =
            SourceReport::new("prometheus", s.url.clone(), status, Some(detail.clone()));
        if s.status.is_none() {
            report.parts = part_reports(&s, ctx);
        }
        self.sources.push(report);
        self.recorded.extend(s.recorded.iter().cloned());
        self.server_facts.push(
            json!({"url": s.url, "version": s.version, "status": status.as_str(),
                                 "detail": detail,
                                 "evidence": s.evidence.first().map(|e| e.id.clone())}),
        );
        self.add_targets(&s);
        for (service, name) in &s.groups {
            if mapping::is_prometheus_own(name) {
                continue;
            }
            if let Some(service) = service {
                self.metric_owners
                    .entry(name.clone())
                    .or_default()
                    .insert(service.clone());
                self.service_metrics
                    .entry(service.clone())
                    .or_default()
                    .insert(name.clone());
            }
        }
        for (service, a) in s.availability {
            if let Some(service) = service {
                self.availability.entry(service).or_default().push(a);
            }
        }
        self.rules.extend(s.rules);
        self.synthetic.extend(s.synthetic);
        self.edges.extend(s.edges);
        self.evidence.extend(s.evidence);
    }

    /// Target counts per service, and target rows (unmapped ones always, mapped ones
    /// for small servers only).
    fn add_targets(&mut self, s: &ServerRead) {
        for t in &s.targets {
            let Some(m) = &t.mapping else {
                self.targets.push(json!({"server": s.url, "job": t.job, "instance": t.instance,
                    "health": t.health, "namespace": t.namespace, "service": null, "mapped_by": null,
                    "evidence": t.evidence}));
                continue;
            };
            let svc = self.services.entry(m.service.clone()).or_default();
            push_set(svc, "jobs", &t.job);
            push_set(svc, "mapped_by", &m.how);
            if let Some(ns) = &t.namespace {
                push_set(svc, "namespaces", ns);
            }
            push_set(svc, "evidence", &t.evidence);
            let total = svc
                .get("targets_total")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            svc.insert("targets_total".into(), json!(total + 1));
            let up = svc.get("targets_up").and_then(Value::as_u64).unwrap_or(0);
            svc.insert("targets_up".into(), json!(up + u64::from(t.health == "up")));
        }
        // Per-target rows only for small servers: 1,000 targets would swamp the facts;
        // per-service counts above carry what rules need.
        if s.targets.len() <= 200 {
            for t in &s.targets {
                if let Some(m) = &t.mapping {
                    self.targets.push(
                        json!({"server": s.url, "job": t.job, "instance": t.instance,
                        "health": t.health, "namespace": t.namespace, "service": m.service,
                        "mapped_by": m.how, "evidence": t.evidence}),
                    );
                }
            }
        }
    }

    /// Every service seen by a target or a metric group: its metrics by family, the
    /// ones only it exports, request counters, latency histograms and availability.
    fn fill_services(&mut self) {
        let metrics_ev: Vec<String> = self
            .evidence
            .iter()
            .filter(|e| e.locator.starts_with("count by (__name__"))
            .map(|e| e.id.clone())
            .collect();
        // What recording rules write is Prometheus' arithmetic over a service's series,
        // not something the service exports.
        for metrics in self.service_metrics.values_mut() {
            metrics.retain(|m| !self.recorded.contains(m));
        }
        let all_services: BTreeSet<String> = self
            .services
            .keys()
            .cloned()
            .chain(
                self.service_metrics
                    .iter()
                    .filter(|(_, m)| !m.is_empty())
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        for name in all_services {
            let metrics = self.service_metrics.remove(&name).unwrap_or_default();
            let avail = self.availability.remove(&name).unwrap_or_default();
            let svc = self.services.entry(name).or_default();
            fill_service(svc, &metrics, &self.metric_owners, &metrics_ev, &avail);
        }
    }
}

/// One service's metric and availability facts, with empty defaults for a service
/// that only a metric group showed.
fn fill_service(
    svc: &mut Map<String, Value>,
    metrics: &BTreeSet<String>,
    metric_owners: &BTreeMap<String, BTreeSet<String>>,
    metrics_ev: &[String],
    avail: &[Value],
) {
    let mut families: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for m in metrics {
        families.entry(family(m).as_str()).or_default().push(m);
    }
    let own: Vec<&String> = metrics
        .iter()
        .filter(|m| metric_owners.get(*m).is_some_and(|o| o.len() == 1))
        .filter(|m| family(m) != Family::Runtime)
        .collect();
    svc.insert("metrics".into(), json!(metrics));
    svc.insert(
        "families".into(),
        json!({
            "runtime": families.get("runtime").cloned().unwrap_or_default(),
            "http": families.get("http").cloned().unwrap_or_default(),
            "infra": families.get("infra").cloned().unwrap_or_default(),
            "domain": families.get("domain").cloned().unwrap_or_default(),
        }),
    );
    svc.insert("own_metrics".into(), json!(own));
    svc.insert(
        "request_counters".into(),
        json!(
            metrics
                .iter()
                .filter(|m| mapping::is_request_counter(m))
                .collect::<Vec<_>>()
        ),
    );
    svc.insert(
        "latency_histograms".into(),
        json!(
            metrics
                .iter()
                .filter(|m| mapping::is_latency_histogram(m))
                .collect::<Vec<_>>()
        ),
    );
    svc.insert("metrics_evidence".into(), json!(metrics_ev));
    let down: u64 = avail
        .iter()
        .filter_map(|a| a.get("down_points").and_then(Value::as_u64))
        .sum();
    let points: u64 = avail
        .iter()
        .filter_map(|a| a.get("points").and_then(Value::as_u64))
        .sum();
    svc.insert(
        "availability".into(),
        if avail.is_empty() {
            Value::Null
        } else {
            json!({"points": points, "down_points": down,
                   "evidence": avail.iter().filter_map(|a| a.get("evidence").cloned()).collect::<Vec<_>>()})
        },
    );
    for key in ["jobs", "mapped_by", "namespaces", "evidence"] {
        svc.entry(key).or_insert_with(|| json!([]));
    }
    svc.entry("targets_total").or_insert(json!(0));
    svc.entry("targets_up").or_insert(json!(0));
}

fn push_set(obj: &mut Map<String, Value>, key: &str, value: &str) {
    let list = obj.entry(key).or_insert_with(|| json!([]));
    if let Value::Array(a) = list
        && !a.iter().any(|v| v.as_str() == Some(value))
    {
        a.push(json!(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_tools_are_told_apart_by_labels_and_names() {
        let l = |k: &str| BTreeMap::from([(k.to_owned(), "x".to_owned())]);
        assert_eq!(
            slo_tool("slo:sli_error:ratio_rate5m", &l("sloth_service")),
            Some("sloth")
        );
        assert_eq!(
            slo_tool("pyrra_errors:burnrate5m", &l("slo")),
            Some("pyrra")
        );
        assert_eq!(
            slo_tool("slo:objective:ratio", &BTreeMap::new()),
            Some("slo naming")
        );
        assert_eq!(slo_tool("job:http_requests:rate5m", &BTreeMap::new()), None);
    }

    #[test]
    fn expressions_yield_metrics_and_matchers() {
        let (m, matchers) =
            parse_expr(r#"sum(rate(http_requests_total{job="checkout",code=~"5.."}[5m]))"#)
                .unwrap_or_default();
        assert_eq!(m, vec!["http_requests_total".to_owned()]);
        assert!(matchers.contains(&("job".into(), "=".into(), "checkout".into())));
        assert!(parse_expr("sum(").is_none());
    }

    #[tokio::test]
    async fn no_url_is_not_configured_and_names_the_flag() {
        let probe = PrometheusProbe::new(PrometheusConfig::new(vec![], Auth::None));
        let out = probe
            .collect(&ScanContext::new(vec![], "2026-01-01T00:00:00Z".into()))
            .await;
        assert_eq!(out.sources[0].status, SourceStatus::NotConfigured);
        assert!(
            out.sources[0]
                .detail
                .as_deref()
                .unwrap_or_default()
                .contains("--prometheus")
        );
    }
}
