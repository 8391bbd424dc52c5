//! Bounded, conditional, rate-limit aware requests over octocrab.

use crate::cache::EtagCache;
use crate::limits::{RateState, clock};
use crate::tape::{self, Got};
use crate::{GithubConfig, GithubError};
use evident_snapshot::Tape;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Retries of one request after a 5xx or a transport failure.
const SERVER_RETRIES: u32 = 2;
/// Retries of one request after a secondary rate limit.
const SECONDARY_RETRIES: u32 = 3;
/// The longest `retry-after` waited for without `--wait-for-rate-limit`.
const MAX_POLITE_WAIT: Duration = Duration::from_secs(60);
/// The longest reset waited for with `--wait-for-rate-limit` (GitHub resets hourly).
const MAX_RESET_WAIT: Duration = Duration::from_secs(3700);

/// Request accounting, shared by everything that reads GitHub in one scan: the summary
/// a person reads ("spent 36 requests, 120 answered 304") and the benchmark's proof.
#[derive(Debug, Default)]
pub struct Stats {
    sent: AtomicU64,
    not_modified: AtomicU64,
    graphql: AtomicU64,
    graphql_points: AtomicU64,
    reused: AtomicU64,
    waited_ms: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatsSnapshot {
    /// Requests sent.
    pub sent: u64,
    /// Of them, answered `304 Not Modified` (free of quota).
    pub not_modified: u64,
    /// Of them, GraphQL queries.
    pub graphql: u64,
    /// GraphQL points GitHub charged (`rateLimit.cost`).
    pub graphql_points: u64,
    /// GraphQL answers of unchanged repositories reused from the cache (not sent).
    pub reused: u64,
    /// Time spent waiting for rate limits, in milliseconds.
    pub waited_ms: u64,
}

impl StatsSnapshot {
    /// Requests that counted against the quota (sent and not answered 304).
    pub fn counted(&self) -> u64 {
        self.sent.saturating_sub(self.not_modified)
    }
}

/// A JSON answer and what it is proof of.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The parsed body.
    pub json: Value,
    /// Hex sha256 of the raw body.
    pub sha256: String,
    /// The ETag, when GitHub sent one.
    pub etag: Option<String>,
    /// Answered `304`: the body is the cached one.
    pub not_modified: bool,
    /// The `rel="next"` page, as a path relative to the API base.
    pub next: Option<String>,
}

/// Every page of a listing, and whether the listing was read to its end.
#[derive(Debug, Clone, Default)]
pub struct Pages {
    /// The items of every page, in order.
    pub items: Vec<Value>,
    /// Hex sha256 of each page's body.
    pub sha256: Vec<String>,
    /// Pages read.
    pub pages: usize,
    /// Every page answered `304`.
    pub unchanged: bool,
    /// `None` when the last page was reached; else why the listing stopped short.
    pub cut: Option<String>,
}

/// One entry of a GraphQL answer's `errors[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlError {
    /// `FORBIDDEN`, `NOT_FOUND`, `RATE_LIMITED`, ... (empty when GitHub gave none).
    pub kind: String,
    /// The field path, joined with dots (`repository.defaultBranchRef`).
    pub path: String,
    /// GitHub's message, cut to 200 characters.
    pub message: String,
}

/// A GraphQL answer: the data (possibly partial) and the errors GitHub sent beside it.
#[derive(Debug, Clone)]
pub struct GraphqlAnswer {
    /// `data`, `null` when GitHub sent none.
    pub data: Value,
    /// `errors[]`.
    pub errors: Vec<GraphqlError>,
    /// Hex sha256 of the raw body.
    pub sha256: String,
}

/// The shared GitHub client of one scan.
pub struct Client {
    rest: Octocrab,
    graphql: Octocrab,
    graphql_path: String,
    api: String,
    config: GithubConfig,
    cache: Option<EtagCache>,
    rate: Mutex<RateState>,
    permits: Semaphore,
    stats: Stats,
    /// Records every answer (`--snapshot`) or gives them back (`evident replay`).
    tape: Tape,
    /// Replaces the client's own token in what is recorded (the tape's redactor may
    /// not know a token minted for a GitHub App installation during the scan).
    scrubber: evident_core::Redactor,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("api", &self.api).finish()
    }
}

fn build_octocrab(base: &str, config: &GithubConfig) -> Result<Octocrab, GithubError> {
    let mut builder = Octocrab::builder()
        .base_uri(base)
        .map_err(|e| GithubError::error(base, format!("not a usable API URL: {e}")))?
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
        .set_connect_timeout(Some(config.request_timeout.min(Duration::from_secs(10))))
        .set_read_timeout(Some(config.request_timeout))
        .add_header(
            http::header::ACCEPT,
            "application/vnd.github+json".to_owned(),
        )
        .add_header(
            http::HeaderName::from_static("x-github-api-version"),
            "2022-11-28".to_owned(),
        );
    if let Some(token) = config.token.clone() {
        builder = builder.personal_token(token);
    }
    builder
        .build()
        .map_err(|e| GithubError::error(base, format!("could not build the client: {e}")))
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

fn cut(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

/// GitHub's `message` of an error body, or the start of the body.
fn message_of(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => v
            .get("message")
            .and_then(Value::as_str)
            .map(cut)
            .unwrap_or_else(|| cut(&String::from_utf8_lossy(body))),
        Err(_) => cut(&String::from_utf8_lossy(body)),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `rel="next"` target of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = header_str(headers, "link")?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// What the server said in one raw exchange.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

enum Verdict {
    Done(Raw),
    Retry(Duration),
    Fail(GithubError),
}

impl Client {
    /// A client for `config`; fails only on an API URL that cannot be used.
    pub fn new(config: GithubConfig) -> Result<Self, GithubError> {
        let api = config.api_url.trim_end_matches('/').to_owned();
        let rest = build_octocrab(&api, &config)?;
        // Enterprise Server serves REST under /api/v3 and GraphQL at /api/graphql.
        let (graphql, graphql_path) = match api.strip_suffix("/api/v3") {
            Some(host) => (build_octocrab(&format!("{host}/api"), &config)?, "/graphql"),
            None => (rest.clone(), "/graphql"),
        };
        let cache = config
            .cache_dir
            .as_ref()
            .map(|d| EtagCache::new(&d.join("github"), &api, config.token.as_deref()));
        let scrubber = evident_core::Redactor::new().with_secrets(config.token.clone());
        Ok(Self {
            scrubber,
            rest,
            graphql,
            graphql_path: graphql_path.to_owned(),
            permits: Semaphore::new(config.concurrency.max(1)),
            api,
            config,
            cache,
            rate: Mutex::new(RateState::default()),
            stats: Stats::default(),
            tape: Tape::off(),
        })
    }

    /// Records every answer into, or replays them from, `tape`. While replaying the
    /// client opens no connection, reads and writes no cache, waits for no rate limit,
    /// and reads the API base the recorded scan read (so pagination links and the
    /// facts' `api` are those of the recording, wherever the plan points now).
    pub fn with_tape(mut self, tape: Tape) -> Self {
        if tape.is_replaying() {
            self.cache = None;
            match tape.replay_value::<String>(tape::SOURCE, tape::API_KEY) {
                Ok(api) => self.api = api,
                Err(e) => tracing::warn!("github replay: {e}; keeping {}", self.api),
            }
        } else if tape.is_recording() {
            tape.record_value(tape::SOURCE, tape::API_KEY, &self.api);
        }
        self.tape = tape;
        self
    }

    /// The tape this client records into or replays from.
    pub fn tape(&self) -> &Tape {
        &self.tape
    }

    /// Request accounting and quotas for the source report. Recorded when the scan is
    /// recorded, and given back on replay, so a replayed report says what the recorded
    /// scan spent (a replay spends nothing) and stays identical to it.
    pub fn summary(&self) -> (StatsSnapshot, Vec<String>) {
        if self.tape.is_replaying() {
            match self
                .tape
                .replay_value::<(StatsSnapshot, Vec<String>)>(tape::SOURCE, tape::SUMMARY_KEY)
            {
                Ok(summary) => return summary,
                Err(e) => tracing::warn!("github replay: {e}"),
            }
        }
        let summary = (self.stats(), self.quota_summary());
        self.tape
            .record_value(tape::SOURCE, tape::SUMMARY_KEY, &summary);
        summary
    }

    /// The API base this client reads.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &GithubConfig {
        &self.config
    }

    /// The on-disk cache, when the scan has one.
    pub fn cache(&self) -> Option<&EtagCache> {
        self.cache.as_ref()
    }

    /// Request accounting so far.
    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.stats;
        StatsSnapshot {
            sent: s.sent.load(Ordering::Relaxed),
            not_modified: s.not_modified.load(Ordering::Relaxed),
            graphql: s.graphql.load(Ordering::Relaxed),
            graphql_points: s.graphql_points.load(Ordering::Relaxed),
            reused: s.reused.load(Ordering::Relaxed),
            waited_ms: s.waited_ms.load(Ordering::Relaxed),
        }
    }

    /// Counts a GraphQL answer taken from the cache instead of asked for.
    pub fn note_reused(&self) {
        self.stats.reused.fetch_add(1, Ordering::Relaxed);
    }

    /// What GitHub last said about each quota: `core: 4,812 of 5,000 left, resets ...`.
    pub fn quota_summary(&self) -> Vec<String> {
        let rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        rate.all()
            .iter()
            .map(|(name, q)| {
                let left = q.remaining.map_or("?".to_owned(), |r| r.to_string());
                let limit = q.limit.map_or("?".to_owned(), |l| l.to_string());
                let reset = q.reset.map(clock).unwrap_or_else(|| "?".into());
                format!("{name}: {left} of {limit} left, resets {reset}")
            })
            .collect()
    }

    /// Waits until `resource` may be asked again, or says why it may not.
    async fn admit(&self, resource: &str, path: &str) -> Result<(), GithubError> {
        let sent = self.stats.sent.load(Ordering::Relaxed);
        if sent >= self.config.max_requests {
            return Err(GithubError::RateLimited {
                detail: format!(
                    "{path} not asked: the scan's budget of {} GitHub requests is spent (--github-max-requests)",
                    self.config.max_requests
                ),
            });
        }
        let quota = {
            let rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
            rate.quota(resource)
        };
        let (Some(0), Some(reset)) = (quota.remaining, quota.reset) else {
            return Ok(());
        };
        let wait = reset - now_unix();
        if wait <= 0 {
            return Ok(());
        }
        if !self.config.wait_for_rate_limit {
            return Err(GithubError::RateLimited {
                detail: format!(
                    "{path} not asked: the GitHub {resource} quota is spent until {} (give --wait-for-rate-limit to wait)",
                    clock(reset)
                ),
            });
        }
        let pause = Duration::from_secs(wait as u64 + 1).min(MAX_RESET_WAIT);
        tracing::warn!(
            "GitHub {resource} quota spent: waiting {} s until {} (--wait-for-rate-limit)",
            pause.as_secs(),
            clock(reset)
        );
        self.sleep(pause).await;
        Ok(())
    }

    async fn sleep(&self, pause: Duration) {
        self.stats
            .waited_ms
            .fetch_add(pause.as_millis() as u64, Ordering::Relaxed);
        tokio::time::sleep(pause).await;
    }

    /// Sends one request through octocrab and reads the body within its bounds (the
    /// caller holds a permit).
    async fn exchange(
        &self,
        path: &str,
        post: Option<&Value>,
        headers: Option<HeaderMap>,
    ) -> Result<Raw, GithubError> {
        self.stats.sent.fetch_add(1, Ordering::Relaxed);
        let bound = self.config.request_timeout;
        let send = async {
            let response = match post {
                Some(body) => {
                    let uri = self.graphql_path.as_str();
                    self.graphql._post(uri, Some(body)).await
                }
                None => self.rest._get_with_headers(path, headers).await,
            }
            .map_err(|e| {
                GithubError::error(path, format!("request failed: {}", cut(&e.to_string())))
            })?;
            let (parts, body) = response.into_parts();
            let limited = http_body_util::Limited::new(body, self.config.max_body);
            let bytes = limited.collect().await.map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    GithubError::error(
                        path,
                        format!(
                            "answered more than {} MiB; not read",
                            self.config.max_body >> 20
                        ),
                    )
                } else {
                    GithubError::error(
                        path,
                        format!("the answer was cut short: {}", cut(&e.to_string())),
                    )
                }
            })?;
            Ok(Raw {
                status: parts.status,
                headers: parts.headers,
                body: bytes.to_bytes().to_vec(),
            })
        };
        match tokio::time::timeout(bound, send).await {
            Ok(result) => result,
            Err(_) => Err(GithubError::Timeout {
                path: path.to_owned(),
                secs: bound.as_secs(),
            }),
        }
    }

    /// Decides what to do with one answer: keep it, wait and retry, or fail.
    fn judge(&self, path: &str, raw: Raw, resource: &str, attempt: u32) -> Verdict {
        let status = raw.status;
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Verdict::Done(raw);
        }
        let message = message_of(&raw.body);
        let remaining = header_str(&raw.headers, "x-ratelimit-remaining");
        let retry_after: Option<u64> =
            header_str(&raw.headers, "retry-after").and_then(|v| v.trim().parse().ok());
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (remaining == Some("0")
                    || retry_after.is_some()
                    || message.to_lowercase().contains("rate limit")));
        if limited {
            return self.judge_limit(path, &raw, resource, attempt, retry_after, &message);
        }
        match status.as_u16() {
            401 => Verdict::Fail(GithubError::Forbidden {
                path: path.to_owned(),
                message: format!("401 {message} (is the token valid and not expired?)"),
            }),
            403 => Verdict::Fail(GithubError::Forbidden {
                path: path.to_owned(),
                message: format!("403 {message} (does the token have the scope this needs?)"),
            }),
            404 => Verdict::Fail(GithubError::NotFound {
                path: path.to_owned(),
            }),
            code if code >= 500 && attempt < SERVER_RETRIES => {
                Verdict::Retry(Duration::from_millis(300 * u64::from(attempt + 1)))
            }
            code => Verdict::Fail(GithubError::error(
                path,
                format!("answered HTTP {code}: {message}"),
            )),
        }
    }

    fn judge_limit(
        &self,
        path: &str,
        raw: &Raw,
        resource: &str,
        attempt: u32,
        retry_after: Option<u64>,
        message: &str,
    ) -> Verdict {
        let primary =
            header_str(&raw.headers, "x-ratelimit-remaining") == Some("0") && retry_after.is_none();
        if primary {
            let reset = header_str(&raw.headers, "x-ratelimit-reset").and_then(|v| v.parse().ok());
            let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
            rate.exhaust(resource, reset);
            drop(rate);
            if self.config.wait_for_rate_limit && attempt < 1 {
                return Verdict::Retry(Duration::ZERO);
            }
            let when = reset.map(clock).unwrap_or_else(|| "an unknown time".into());
            return Verdict::Fail(GithubError::RateLimited {
                detail: format!(
                    "{path}: the GitHub {resource} quota is spent until {when}: {message}"
                ),
            });
        }
        let wait = Duration::from_secs(retry_after.unwrap_or(60));
        let may_wait = wait <= MAX_POLITE_WAIT || self.config.wait_for_rate_limit;
        if attempt < SECONDARY_RETRIES && may_wait {
            tracing::warn!(
                "GitHub secondary rate limit on {path}: waiting {} s as retry-after asks",
                wait.as_secs()
            );
            return Verdict::Retry(wait);
        }
        Verdict::Fail(GithubError::RateLimited {
            detail: format!(
                "{path}: GitHub's secondary rate limit asked to wait {} s: {message}",
                wait.as_secs()
            ),
        })
    }

    /// One request with its retries: the answer GitHub gave in the end.
    async fn request(
        &self,
        path: &str,
        post: Option<&Value>,
        conditional: Option<&str>,
        resource: &str,
    ) -> Result<Raw, GithubError> {
        let mut attempt = 0;
        loop {
            // The budget and the quota are asked under the permit: a request queued behind
            // the permits while the quota ran out must not be sent once it gets one.
            let permit = self
                .permits
                .acquire()
                .await
                .map_err(|_| GithubError::error(path, "the scan is shutting down"))?;
            self.admit(resource, path).await?;
            let mut headers = HeaderMap::new();
            if let Some(etag) = conditional.and_then(|e| HeaderValue::from_str(e).ok()) {
                headers.insert(http::header::IF_NONE_MATCH, etag);
            }
            let outcome = self
                .exchange(path, post, (!headers.is_empty()).then_some(headers))
                .await;
            drop(permit);
            let raw = match outcome {
                Ok(raw) => raw,
                Err(e @ (GithubError::Timeout { .. } | GithubError::Error { .. }))
                    if attempt < SERVER_RETRIES && !e.to_string().contains("MiB") =>
                {
                    attempt += 1;
                    self.sleep(Duration::from_millis(300 * u64::from(attempt)))
                        .await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            {
                let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
                rate.update(&raw.headers, resource);
            }
            match self.judge(path, raw, resource, attempt) {
                Verdict::Done(raw) => return Ok(raw),
                Verdict::Retry(pause) => {
                    attempt += 1;
                    self.sleep(pause).await;
                }
                Verdict::Fail(e) => return Err(e),
            }
        }
    }

    /// GETs `path` (relative to the API base), conditionally when the cache holds an
    /// ETag for it; a `304` answers the cached body and costs no quota.
    pub async fn get(&self, path: &str) -> Result<Answer, GithubError> {
        let got = self.ask(&tape::get_key(path), path, None, "core").await?;
        let not_modified = got.status == StatusCode::NOT_MODIFIED;
        if not_modified {
            self.stats.not_modified.fetch_add(1, Ordering::Relaxed);
        }
        let next = next_link(&got.headers)
            .map(|url| self.relative(path, &url))
            .transpose()?;
        let etag = header_str(&got.headers, "etag").map(str::to_owned);
        let json: Value = serde_json::from_slice(&got.body).map_err(|e| {
            GithubError::error(
                path,
                format!(
                    "did not answer JSON ({e}): {}",
                    cut(&String::from_utf8_lossy(&got.body))
                ),
            )
        })?;
        if !not_modified && let (Some(cache), Some(tag)) = (&self.cache, &etag) {
            cache.put(path, tag, &got.body);
        }
        Ok(Answer {
            sha256: got.sha256,
            json,
            etag,
            not_modified,
            next,
        })
    }

    /// One request as the rest of the client sees it: the answer after retries and
    /// after the ETag cache resolved a `304` (so a replay never needs the cache), or
    /// the error. Recorded when recording; taken from the tape when replaying.
    async fn ask(
        &self,
        key: &str,
        path: &str,
        post: Option<&Value>,
        resource: &str,
    ) -> Result<Got, GithubError> {
        // A path can carry the token when GitHub echoed it into a name the path is
        // built from; the key is scrubbed alike when recording and replaying.
        let key = &self.scrubber.redact_secrets(key);
        if self.tape.is_replaying() {
            let got = tape::replayed(&self.tape, key, path)?;
            let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
            rate.update(&got.headers, resource);
            return Ok(got);
        }
        let cached = match post {
            None => self.cache.as_ref().and_then(|c| c.get(path)),
            Some(_) => None,
        };
        let got = self
            .request(
                path,
                post,
                cached.as_ref().map(|c| c.etag.as_str()),
                resource,
            )
            .await
            .and_then(|raw| match (raw.status, cached) {
                (StatusCode::NOT_MODIFIED, Some(c)) => {
                    Ok(Got::new(raw.status, raw.headers, c.body))
                }
                (StatusCode::NOT_MODIFIED, None) => Err(GithubError::error(
                    path,
                    "answered 304 to a request that was not conditional",
                )),
                _ => Ok(Got::new(raw.status, raw.headers, raw.body)),
            });
        if self.tape.is_recording() {
            tape::record(&self.tape, &self.scrubber, key, &got);
        }
        got
    }

    /// A `Link` target as a path relative to the API base; a link that leaves the API
    /// is refused (it could carry the token elsewhere, and it is no page of ours).
    fn relative(&self, path: &str, url: &str) -> Result<String, GithubError> {
        match url.strip_prefix(&self.api) {
            Some(rest) if rest.starts_with('/') => Ok(rest.to_owned()),
            _ => Err(GithubError::error(
                path,
                format!(
                    "a pagination link leaves the API ({}); not followed",
                    cut(url)
                ),
            )),
        }
    }

    /// Every page of a listing, following `Link: rel="next"` up to the page bound.
    /// `items` takes a page's list out of its body (the body itself, or a field of it);
    /// a page of the wrong shape fails the listing.
    pub async fn get_pages(
        &self,
        first: &str,
        items: fn(&Value) -> Option<&Vec<Value>>,
    ) -> Result<Pages, GithubError> {
        let mut pages = Pages {
            unchanged: true,
            ..Pages::default()
        };
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(first.to_owned());
        while let Some(path) = next.take() {
            if pages.pages >= self.config.max_pages {
                pages.cut = Some(format!("stopped after {} pages at {path}", pages.pages));
                break;
            }
            if !seen.insert(path.clone()) {
                pages.cut = Some(format!("the pagination of {first} repeats {path}; stopped"));
                break;
            }
            let answer = self.get(&path).await?;
            let list = items(&answer.json).ok_or_else(|| {
                GithubError::error(
                    &path,
                    "answered JSON of the wrong shape (no list where the API documents one)",
                )
            })?;
            pages.items.extend(list.iter().cloned());
            pages.sha256.push(answer.sha256);
            pages.unchanged &= answer.not_modified;
            pages.pages += 1;
            next = answer.next;
        }
        Ok(pages)
    }

    /// Sends one GraphQL query (read-only: GraphQL queries are POSTed, mutations are
    /// never sent). A RATE_LIMITED error marks the GraphQL quota spent; other errors are
    /// handed back beside the (partial) data for the caller to classify by field.
    pub async fn graphql(
        &self,
        operation: &str,
        query: &str,
        variables: Value,
    ) -> Result<GraphqlAnswer, GithubError> {
        let path = format!("POST /graphql {operation}");
        let key = tape::graphql_key(operation, query, &variables);
        let body =
            serde_json::json!({"query": query, "variables": variables, "operationName": operation});
        let mut attempt = 0;
        loop {
            self.stats.graphql.fetch_add(1, Ordering::Relaxed);
            let raw = self.ask(&key, &path, Some(&body), "graphql").await?;
            let answer = parse_graphql(&path, &raw.body, raw.sha256.clone())?;
            let limited = answer.errors.iter().any(|e| e.kind == "RATE_LIMITED");
            if !limited {
                let cost = answer
                    .data
                    .pointer("/rateLimit/cost")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                self.stats.graphql_points.fetch_add(cost, Ordering::Relaxed);
                return Ok(answer);
            }
            let reset = header_str(&raw.headers, "x-ratelimit-reset").and_then(|v| v.parse().ok());
            {
                let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
                rate.exhaust("graphql", reset);
            }
            if !self.config.wait_for_rate_limit || attempt > 0 {
                let when = reset
                    .map(clock)
                    .unwrap_or_else(|| "the top of the hour".into());
                return Err(GithubError::RateLimited {
                    detail: format!("{path}: the GitHub graphql quota is spent until {when}"),
                });
            }
            attempt += 1;
        }
    }
}

/// Reads a GraphQL body: an object with `data` and/or `errors`, nothing else.
fn parse_graphql(path: &str, body: &[u8], sha256: String) -> Result<GraphqlAnswer, GithubError> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        GithubError::error(
            path,
            format!(
                "did not answer JSON ({e}): {}",
                cut(&String::from_utf8_lossy(body))
            ),
        )
    })?;
    let Some(object) = json.as_object() else {
        return Err(GithubError::error(
            path,
            "answered JSON of the wrong shape (not an object)",
        ));
    };
    let data = object.get("data").cloned().unwrap_or(Value::Null);
    let raw_errors = match object.get("errors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.clone(),
        Some(_) => {
            return Err(GithubError::error(
                path,
                "answered errors that are not a list",
            ));
        }
    };
    if !data.is_object() && raw_errors.is_empty() {
        return Err(GithubError::error(path, "answered neither data nor errors"));
    }
    let errors = raw_errors
        .iter()
        .map(|e| GraphqlError {
            kind: e
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            path: e
                .get("path")
                .and_then(Value::as_array)
                .map(|p| {
                    p.iter()
                        .map(|s| match s {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .unwrap_or_default(),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .map(cut)
                .unwrap_or_default(),
        })
        .collect();
    Ok(GraphqlAnswer {
        data,
        errors,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_the_others() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/orgs/a/repos?page=3>; rel=\"next\", <https://api.github.com/orgs/a/repos?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/orgs/a/repos?page=3")
        );
    }

    #[test]
    fn a_graphql_body_of_the_wrong_shape_is_an_error_not_empty_data() {
        assert!(parse_graphql("q", b"[1,2]", String::new()).is_err());
        assert!(parse_graphql("q", b"{}", String::new()).is_err());
        assert!(parse_graphql("q", b"<html>", String::new()).is_err());
        let a = parse_graphql(
            "q",
            br#"{"data":{"repository":null},"errors":[{"type":"NOT_FOUND","path":["repository"],"message":"no"}]}"#,
            String::new(),
        )
        .unwrap();
        assert_eq!(a.errors[0].path, "repository");
        assert_eq!(a.errors[0].kind, "NOT_FOUND");
    }
}
