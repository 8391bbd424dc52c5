//! The Grafana probe: which dashboards exist and what each panel queries.
//!
//! Reads `/api/search?type=dash-db` page by page and each dashboard's JSON model from
//! `/api/dashboards/uid/<uid>`, then reduces every panel to the metric names and label
//! matchers its PromQL selects ([`evident_dashboards`]), the same reduction the git probe
//! applies to dashboards kept as code. Rules then ask "does a panel select this service?".

use async_trait::async_trait;
use evident_core::{
    Evidence, Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus, UnreadItem,
};
use evident_dashboards::dashboard_fact;
use evident_dashboards::model::{MAX_QUERIES, Model, extract_model, text};
use evident_http::{Auth, CallError, JsonClient};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable holding the Grafana service-account token.
pub const TOKEN_ENV: &str = "EVIDENT_GRAFANA_TOKEN";

/// Where and how to read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GrafanaConfig {
    /// Base URL (`https://grafana.example.com`); `None` when not given. Written with any
    /// `user:password@` hidden.
    #[serde(serialize_with = "evident_core::hidden::opt_url")]
    pub url: Option<String>,
    /// Service-account token from the environment (written hidden).
    #[serde(serialize_with = "evident_core::hidden::opt_secret")]
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
            max_dashboards: MAX_DASHBOARDS,
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// The probe.
#[derive(Debug)]
pub struct GrafanaProbe {
    config: GrafanaConfig,
    requests: Arc<AtomicUsize>,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl GrafanaProbe {
    /// A probe for the configured Grafana.
    pub fn new(config: GrafanaConfig) -> Self {
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
        // A replay reads no file, the CA certificate neither: nothing is sent.
        let ca_cert = match self.tape.is_replaying() {
            true => None,
            false => self.config.ca_cert.as_deref(),
        };
        let client = match JsonClient::new(
            url,
            &auth,
            ca_cert,
            self.config.request_timeout,
            64 * 1024 * 1024,
        ) {
            Ok(c) => c.with_tape(
                self.tape.clone(),
                format!("grafana:{}", evident_http::without_userinfo(url)),
            ),
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

/// Most search pages read. Grafana answers a page of `page_size` hits; past this many
/// pages (10,000 dashboards at the default page size, twice the dashboard bound) the
/// server is paging without end (or listing folders forever), and the read stops there
/// and says so.
pub const MAX_SEARCH_PAGES: usize = 100;

/// Most dashboards read by default: each costs one request, so this bounds the
/// requests of a scan (with [`MAX_SEARCH_PAGES`]) whatever the Grafana holds.
pub const MAX_DASHBOARDS: usize = 5_000;

/// Dashboard models fetched at once.
const CONCURRENT_FETCHES: usize = 8;

/// One hit of `/api/search`.
#[derive(Debug, Clone, Default, Deserialize)]
struct SearchHit {
    #[serde(default, deserialize_with = "text")]
    uid: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(default, rename = "folderTitle", deserialize_with = "text")]
    folder_title: Option<String>,
}

/// `/api/dashboards/uid/<uid>`: the model, reduced while parsed, and its meta.
#[derive(Debug, Deserialize)]
struct DashboardAnswer {
    dashboard: Model,
    #[serde(default)]
    meta: Meta,
    /// Hex sha256 of the answer's bytes (set after parsing).
    #[serde(skip)]
    sha256: String,
}

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default, deserialize_with = "text")]
    url: Option<String>,
    #[serde(default, rename = "folderTitle", deserialize_with = "text")]
    folder_title: Option<String>,
}

/// The dashboards a search listed, and what it could not list.
struct Listed {
    hits: Vec<SearchHit>,
    truncated: bool,
    incomplete: Vec<UnreadItem>,
}

/// Reads the dashboard list, then every dashboard's model (eight at a time), and
/// reduces each to its panels' PromQL. A dashboard that cannot be read is listed in
/// the source's `incomplete` (its API path and why), never fatal; a search that cannot
/// be read is the source's failure, and so is a Grafana where every listed dashboard
/// failed (with the first failure's status: a 403 on every model is forbidden).
async fn read(
    client: &JsonClient,
    url: &str,
    config: &GrafanaConfig,
    ctx: &ScanContext,
) -> ProbeOutput {
    let listed = match search(client, config).await {
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
    let fetched = fetch_models(client, &listed.hits).await;
    let Reduced {
        dashboards,
        evidence,
        incomplete,
        failed,
        first_failure,
    } = reduce(fetched, listed.hits.as_slice(), listed.incomplete, url, ctx);
    let (status, mut detail) = match first_failure {
        Some(e) if dashboards.is_empty() => (
            e.status(),
            format!(
                "no dashboard of {} listed could be read; the first: {e}",
                failed
            ),
        ),
        _ => (
            SourceStatus::Ok,
            format!("{} dashboard(s) read", dashboards.len()),
        ),
    };
    if !incomplete.is_empty() && status == SourceStatus::Ok {
        detail.push_str(&format!(
            "; {} item(s) not read (see incomplete)",
            incomplete.len()
        ));
    }
    let mut report = SourceReport::new(
        "grafana",
        url.to_owned(),
        status,
        Some(ctx.redactor.redact(&detail)),
    );
    if status == SourceStatus::Ok {
        report.incomplete = incomplete;
    }
    ProbeOutput {
        facts: json!({"server": url, "dashboards": dashboards, "truncated": listed.truncated,
                      "failed": failed}),
        evidence,
        sources: vec![report],
    }
}

/// Every fetched dashboard as facts and evidence, and what could not be read.
struct Reduced {
    dashboards: Vec<Value>,
    evidence: Vec<Evidence>,
    incomplete: Vec<UnreadItem>,
    /// Dashboards whose model could not be read.
    failed: usize,
    first_failure: Option<CallError>,
}

/// Reduces every answer to a dashboard fact; each one that failed, was read in part,
/// or never answered becomes an `incomplete` entry with its API path.
fn reduce(
    fetched: Vec<(usize, String, Result<DashboardAnswer, CallError>)>,
    hits: &[SearchHit],
    mut incomplete: Vec<UnreadItem>,
    url: &str,
    ctx: &ScanContext,
) -> Reduced {
    let mut out = Reduced {
        dashboards: Vec::new(),
        evidence: Vec::new(),
        incomplete: Vec::new(),
        failed: 0,
        first_failure: None,
    };
    // A fetch task that ended without an answer (it cannot, short of a panic) still
    // leaves its dashboard listed as not read, never silently dropped.
    let answered: HashSet<usize> = fetched.iter().map(|(i, _, _)| *i).collect();
    for (i, hit) in hits.iter().enumerate() {
        if let Some(uid) = &hit.uid
            && !answered.contains(&i)
        {
            out.failed += 1;
            incomplete.push(UnreadItem::new(
                format!("/api/dashboards/uid/{uid}"),
                "the fetch ended without an answer",
            ));
        }
    }
    for (i, uid, result) in fetched {
        let path = format!("/api/dashboards/uid/{uid}");
        match result {
            Ok(answer) => {
                let (fact, ev, skipped) = dashboard_of(answer, &path, hits.get(i), url, ctx);
                if skipped > 0 {
                    incomplete.push(UnreadItem::new(
                        path.clone(),
                        format!("{skipped} PromQL queries past the bound of {MAX_QUERIES} per dashboard not read"),
                    ));
                }
                out.dashboards.push(fact);
                out.evidence.push(ev);
            }
            Err(e) => {
                out.failed += 1;
                incomplete.push(UnreadItem::new(path, ctx.redactor.redact(&e.to_string())));
                out.first_failure.get_or_insert(e);
            }
        }
    }
    out.incomplete = incomplete;
    out
}

/// The dashboards `/api/search` lists, page by page, folders left out, at most
/// `max_dashboards` and [`MAX_SEARCH_PAGES`] pages. A page that is not a list is the
/// search's failure; a page that lists nothing new (a server ignoring `page`) ends the
/// read; every bound reached is an `incomplete` entry, so the dashboards not read are
/// never taken as absent.
async fn search(client: &JsonClient, config: &GrafanaConfig) -> Result<Listed, CallError> {
    let mut hits: Vec<SearchHit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut incomplete = Vec::new();
    let limit = config.page_size.max(1);
    let max = config.max_dashboards;
    let mut truncated = false;
    let mut page = 1;
    loop {
        if page > MAX_SEARCH_PAGES {
            truncated = true;
            incomplete.push(UnreadItem::new(
                "/api/search",
                format!("truncated at {MAX_SEARCH_PAGES} pages of {limit}: the search did not end"),
            ));
            break;
        }
        let params = [
            ("type", "dash-db".to_owned()),
            ("limit", limit.to_string()),
            ("page", page.to_string()),
        ];
        let batch = client
            .get_typed::<Vec<SearchHit>>("/api/search", &params)
            .await?
            .value;
        let n = batch.len();
        let mut new = 0;
        for hit in batch {
            let Some(uid) = hit.uid.clone() else { continue };
            if !seen.insert(uid) {
                continue;
            }
            new += 1;
            if hit.kind.as_deref() != Some("dash-folder") {
                hits.push(hit);
            }
        }
        if hits.len() >= max {
            truncated = n == limit || hits.len() > max;
            hits.truncate(max);
            if truncated {
                incomplete.push(UnreadItem::new(
                    "/api/search",
                    format!("truncated at {max} dashboards (the bound); the rest were not read"),
                ));
            }
            break;
        }
        if n < limit {
            break;
        }
        if new == 0 {
            truncated = true;
            incomplete.push(UnreadItem::new(
                "/api/search",
                format!(
                    "page {page} listed nothing new (the server ignores paging); stopped there"
                ),
            ));
            break;
        }
        page += 1;
    }
    Ok(Listed {
        hits,
        truncated,
        incomplete,
    })
}

/// Every listed dashboard's model, [`CONCURRENT_FETCHES`] requests at a time, in the
/// list's order: `(index in the list, uid, answer)`. Each body is reduced while it is
/// parsed and dropped before the next is read by the same task.
async fn fetch_models(
    client: &JsonClient,
    hits: &[SearchHit],
) -> Vec<(usize, String, Result<DashboardAnswer, CallError>)> {
    let mut set = tokio::task::JoinSet::new();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_FETCHES));
    for (i, hit) in hits.iter().enumerate() {
        let Some(uid) = hit.uid.clone() else {
            continue;
        };
        let client = client.clone();
        let semaphore = Arc::clone(&semaphore);
        set.spawn(async move {
            let _permit = semaphore.acquire().await;
            let path = format!("/api/dashboards/uid/{uid}");
            let answer = client
                .get_typed::<DashboardAnswer>(&path, &[])
                .await
                .map(|t| DashboardAnswer {
                    sha256: t.sha256,
                    ..t.value
                });
            (i, uid, answer)
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

/// One dashboard's fact and evidence from its answer, and how many of its queries were
/// past the per-dashboard bound.
fn dashboard_of(
    answer: DashboardAnswer,
    path: &str,
    hit: Option<&SearchHit>,
    url: &str,
    ctx: &ScanContext,
) -> (Value, Evidence, usize) {
    let extracted = extract_model(&answer.dashboard);
    let d = &extracted.dashboard;
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
        locator: path.to_owned(),
        location: None,
        observed_at: ctx.observed_at.clone(),
        revision: answer.dashboard.version.clone(),
        sha256: Some(answer.sha256.clone()),
        excerpt: ctx.redactor.redact(&excerpt),
    };
    let folder = answer
        .meta
        .folder_title
        .clone()
        .or_else(|| hit.and_then(|h| h.folder_title.clone()));
    let fact = dashboard_fact(
        d,
        json!({"source": "api", "folder": folder, "url": answer.meta.url}),
        &ev.id,
    );
    (fact, ev, extracted.skipped)
}
