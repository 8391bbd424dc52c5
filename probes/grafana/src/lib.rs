//! The Grafana probe: which dashboards exist and what each panel queries.
//!
//! Reads `/api/search?type=dash-db` page by page and each dashboard's JSON model from
//! `/api/dashboards/uid/<uid>`, then reduces every panel to the metric names and label
//! matchers its PromQL selects ([`evident_dashboards`]), the same reduction the git probe
//! applies to dashboards kept as code. Rules then ask "does a panel select this service?".

use async_trait::async_trait;
use evident_core::{Evidence, Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus};
use evident_dashboards::{dashboard_fact, extract_dashboard};
use evident_http::{Auth, Body, CallError, JsonClient};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable holding the Grafana service-account token.
pub const TOKEN_ENV: &str = "EVIDENT_GRAFANA_TOKEN";

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct GrafanaConfig {
    /// Base URL (`https://grafana.example.com`); `None` when not given.
    pub url: Option<String>,
    /// Service-account token from the environment.
    pub token: Option<String>,
    /// Extra CA certificate (PEM).
    pub ca_cert: Option<PathBuf>,
    /// Search page size (`limit`).
    pub page_size: usize,
    /// Most dashboards read; the rest are reported as not read.
    pub max_dashboards: usize,
    /// Bound of one request.
    pub request_timeout: Duration,
}

impl GrafanaConfig {
    /// A configuration with the default bounds; the token is read from [`TOKEN_ENV`].
    pub fn new(url: Option<String>) -> Self {
        Self {
            url,
            token: std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()),
            ca_cert: None,
            page_size: 100,
            max_dashboards: 1000,
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// The probe.
#[derive(Debug)]
pub struct GrafanaProbe {
    config: GrafanaConfig,
    requests: Arc<AtomicUsize>,
}

impl GrafanaProbe {
    /// A probe for the configured Grafana.
    pub fn new(config: GrafanaConfig) -> Self {
        Self {
            config,
            requests: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Requests sent by the last `collect`.
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

fn host_key(url: &str) -> String {
    url.split_once("://")
        .map_or(url, |(_, r)| r)
        .trim_end_matches('/')
        .to_owned()
}

#[async_trait]
impl Probe for GrafanaProbe {
    fn name(&self) -> &'static str {
        "grafana"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["grafana"]
    }

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let Some(url) = &self.config.url else {
            return ProbeOutput::failed(
                "grafana",
                "grafana",
                SourceStatus::NotConfigured,
                format!(
                    "no Grafana given; pass --grafana URL (service-account token from {TOKEN_ENV}); dashboards kept as code in the repositories are still read"
                ),
            );
        };
        let shown = ctx.redactor.redact(url);
        let auth = self.config.token.clone().map_or(Auth::None, Auth::Bearer);
        let client = match JsonClient::new(
            url,
            &auth,
            self.config.ca_cert.as_deref(),
            self.config.request_timeout,
            64 * 1024 * 1024,
        ) {
            Ok(c) => c,
            Err(e) => {
                return ProbeOutput::failed("grafana", &shown, SourceStatus::Error, e.to_string());
            }
        };
        let out = read(&client, &shown, &self.config, ctx).await;
        self.requests
            .fetch_add(client.requests(), Ordering::Relaxed);
        out
    }
}

/// Reads the dashboard list, then every dashboard's model (eight at a time), and
/// reduces each to its panels' PromQL; a dashboard that cannot be read is counted and
/// named in the detail, never fatal.
async fn read(
    client: &JsonClient,
    url: &str,
    config: &GrafanaConfig,
    ctx: &ScanContext,
) -> ProbeOutput {
    let (hits, truncated) = match search(client, config).await {
        Ok(found) => found,
        Err(e) => {
            return ProbeOutput::failed(
                "grafana",
                url,
                e.status(),
                ctx.redactor.redact(&e.to_string()),
            );
        }
    };
    let fetched = fetch_models(client, &hits).await;

    let mut dashboards = Vec::new();
    let mut evidence = Vec::new();
    let mut failed = Vec::new();
    for (i, uid, result) in fetched {
        let body = match result {
            Ok(b) => b,
            Err(e) => {
                failed.push(format!("{uid}: {}", e));
                continue;
            }
        };
        match dashboard_of(&body, &uid, hits.get(i), url, ctx) {
            Some((fact, ev)) => {
                dashboards.push(fact);
                evidence.push(ev);
            }
            None => failed.push(format!("{uid}: no dashboard in the answer")),
        }
    }
    let status = SourceStatus::Ok;
    let mut detail = format!("{} dashboard(s) read", dashboards.len());
    if truncated {
        detail.push_str(&format!(
            "; stopped at {} dashboards",
            config.max_dashboards
        ));
    }
    if !failed.is_empty() {
        detail.push_str(&format!(
            "; {} could not be read: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    let detail = ctx.redactor.redact(&detail);
    ProbeOutput {
        facts: json!({"server": url, "dashboards": dashboards, "truncated": truncated,
                      "failed": failed.len()}),
        evidence,
        sources: vec![SourceReport::new(
            "grafana",
            url.to_owned(),
            status,
            Some(detail),
        )],
    }
}

/// The dashboards `/api/search` lists, page by page, folders left out, at most
/// `max_dashboards`; and whether more were left unread.
async fn search(
    client: &JsonClient,
    config: &GrafanaConfig,
) -> Result<(Vec<Value>, bool), CallError> {
    let mut hits: Vec<Value> = Vec::new();
    let mut truncated = false;
    let limit = config.page_size.max(1);
    for page in 1.. {
        let params = [
            ("type", "dash-db".to_owned()),
            ("limit", limit.to_string()),
            ("page", page.to_string()),
        ];
        let body = client.get("/api/search", &params).await?;
        let batch = body.json.as_array().cloned().unwrap_or_default();
        let n = batch.len();
        hits.extend(
            batch
                .into_iter()
                .filter(|h| h.get("type").and_then(Value::as_str) != Some("dash-folder")),
        );
        if hits.len() >= config.max_dashboards {
            truncated = n == limit;
            hits.truncate(config.max_dashboards);
            break;
        }
        if n < limit {
            break;
        }
    }
    Ok((hits, truncated))
}

/// Every listed dashboard's model, eight requests at a time, in the list's order:
/// `(index in the list, uid, answer)`.
async fn fetch_models(
    client: &JsonClient,
    hits: &[Value],
) -> Vec<(usize, String, Result<Body, CallError>)> {
    let mut set = tokio::task::JoinSet::new();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(8));
    for (i, hit) in hits.iter().enumerate() {
        let Some(uid) = hit.get("uid").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let client = client.clone();
        let semaphore = Arc::clone(&semaphore);
        set.spawn(async move {
            let _permit = semaphore.acquire().await;
            let path = format!("/api/dashboards/uid/{uid}");
            (i, uid, client.get(&path, &[]).await)
        });
    }
    let mut fetched = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(r) = joined {
            fetched.push(r);
        }
    }
    fetched.sort_by_key(|(i, _, _)| *i);
    fetched
}

/// One dashboard's fact and evidence from its `/api/dashboards/uid/<uid>` answer;
/// `None` when the answer holds no dashboard.
fn dashboard_of(
    body: &Body,
    uid: &str,
    hit: Option<&Value>,
    url: &str,
    ctx: &ScanContext,
) -> Option<(Value, Evidence)> {
    let model = body.json.get("dashboard")?;
    let d = extract_dashboard(model);
    let meta = body.json.get("meta").cloned().unwrap_or(Value::Null);
    let path = format!("/api/dashboards/uid/{uid}");
    let version = model.get("version").map(Value::to_string);
    let excerpt = format!(
        "dashboard {:?}: {} PromQL panel(s): {}",
        d.title,
        d.panels.len(),
        d.panels
            .iter()
            .take(8)
            .map(|p| p.title.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ev = Evidence {
        id: format!("grafana:{}:{path}", host_key(url)),
        probe: "grafana".into(),
        source: url.to_owned(),
        locator: path,
        location: None,
        observed_at: ctx.observed_at.clone(),
        revision: version,
        sha256: Some(body.sha256.clone()),
        excerpt: ctx.redactor.redact(&excerpt),
    };
    let folder = meta
        .get("folderTitle")
        .or_else(|| hit.and_then(|h| h.get("folderTitle")))
        .cloned()
        .unwrap_or(Value::Null);
    let fact = dashboard_fact(
        &d,
        json!({"source": "api", "folder": folder, "url": meta.get("url").cloned().unwrap_or(Value::Null)}),
        &ev.id,
    );
    Some((fact, ev))
}
