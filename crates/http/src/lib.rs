//! A bounded, read-only JSON client for the HTTP APIs probes read (Prometheus, Grafana,
//! and the incident and code-hosting APIs to come).
//!
//! A crate of its own because probes never depend on one another, yet every probe that
//! speaks HTTP needs the same guarantees: every call is a GET, has a time bound and a
//! size bound, and turns each way a server can fail into a [`SourceStatus`] with words
//! a person can act on. Credentials live only in the request headers; they are never
//! formatted into an error or a log line.

#![warn(missing_docs)]

use evident_core::SourceStatus;
use evident_snapshot::{Answer, Replayed, Tape};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How to authenticate, from the environment only (never from flags, which end up in
/// shell history and process lists).
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: <prefix><secret>`, for APIs with a scheme of their own
    /// (PagerDuty `Token token=`, Opsgenie `GenieKey `).
    Header {
        /// What comes before the secret, spaces included.
        prefix: String,
        /// The secret.
        secret: String,
    },
    /// HTTP basic authentication.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output must never carry the secret itself.
        f.write_str(match self {
            Self::None => "Auth::None",
            Self::Bearer(_) => "Auth::Bearer([redacted])",
            Self::Header { .. } => "Auth::Header([redacted])",
            Self::Basic { .. } => "Auth::Basic([redacted])",
        })
    }
}

/// Written as its kind with every secret hidden (`{"kind": "bearer", "token":
/// "[redacted]"}`): a plan is kept in snapshots, and the credential's value never is.
impl serde::Serialize for Auth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use evident_core::REDACTED;
        use serde::ser::SerializeStruct as _;
        match self {
            Self::None => {
                let mut st = s.serialize_struct("Auth", 1)?;
                st.serialize_field("kind", "none")?;
                st.end()
            }
            Self::Bearer(_) => {
                let mut st = s.serialize_struct("Auth", 2)?;
                st.serialize_field("kind", "bearer")?;
                st.serialize_field("token", REDACTED)?;
                st.end()
            }
            Self::Header { prefix, .. } => {
                let mut st = s.serialize_struct("Auth", 3)?;
                st.serialize_field("kind", "header")?;
                st.serialize_field("prefix", prefix)?;
                st.serialize_field("secret", REDACTED)?;
                st.end()
            }
            Self::Basic { .. } => {
                // The user too: a service account's name can be as telling as a token.
                let mut st = s.serialize_struct("Auth", 3)?;
                st.serialize_field("kind", "basic")?;
                st.serialize_field("user", REDACTED)?;
                st.serialize_field("password", REDACTED)?;
                st.end()
            }
        }
    }
}

/// Reads what [`Auth`]'s `Serialize` writes (a replayed plan's credentials are the
/// `[redacted]` placeholders: the kind of credential is kept, its value is not).
impl<'de> serde::Deserialize<'de> for Auth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Shape {
            None,
            Bearer { token: String },
            Header { prefix: String, secret: String },
            Basic { user: String, password: String },
        }
        Ok(match Shape::deserialize(d)? {
            Shape::None => Self::None,
            Shape::Bearer { token } => Self::Bearer(token),
            Shape::Header { prefix, secret } => Self::Header { prefix, secret },
            Shape::Basic { user, password } => Self::Basic { user, password },
        })
    }
}

impl Auth {
    /// The secret values, so the scan's redactor can replace them wherever they appear.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Self::None => vec![],
            Self::Bearer(t) | Self::Header { secret: t, .. } => vec![t.clone()],
            Self::Basic { password, .. } => vec![password.clone()],
        }
    }
}

/// A credential from the environment variable `name`, trimmed; `None` when unset or blank
/// (an empty `EVIDENT_..._TOKEN=` is no credential, not an empty one to send).
pub fn credential_from_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Why a call failed, already classified for the source report.
///
/// Typed so a caller can tell a missing endpoint (`Status` with code 404) from an
/// outage without reading the message; the message itself is what the source report
/// shows, and never carries credentials.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The request or the body did not complete within the time bound.
    #[error("GET {path} did not answer in time")]
    Timeout {
        /// The API path asked for.
        path: String,
    },
    /// No connection could be made.
    #[error("could not connect for GET {path} (is the server up and the URL right?)")]
    Connect {
        /// The API path asked for.
        path: String,
    },
    /// Any other transport failure.
    #[error("GET {path} failed: {reason}")]
    Transport {
        /// The API path asked for.
        path: String,
        /// The client's message, with any user:password of the URL redacted.
        reason: String,
    },
    /// The body exceeded the size bound and was not read.
    #[error("GET {path} answered more than {max_mib} MiB (a huge label set); not read")]
    TooLarge {
        /// The API path asked for.
        path: String,
        /// The bound, in MiB.
        max_mib: usize,
    },
    /// The server answered with a non-success HTTP status.
    #[error("GET {path} answered HTTP {code}{message}{hint}")]
    Status {
        /// The API path asked for.
        path: String,
        /// The HTTP status code.
        code: u16,
        /// How the source answered (forbidden, rate limited, timeout, error).
        status: SourceStatus,
        /// `: <the server's error message>` (at most 200 characters), or empty.
        message: String,
        /// What to check, for 401 and 403; empty otherwise.
        hint: &'static str,
    },
    /// The body was not JSON (or was cut short).
    #[error("GET {path} did not answer JSON{reason}")]
    NotJson {
        /// The API path asked for.
        path: String,
        /// `: <where the parse stopped>`, or empty.
        reason: String,
    },
    /// The body was JSON, but not of the shape the API documents (an object where a list
    /// belongs, a string for the data): nothing in it can be read as evidence.
    #[error("GET {path} answered JSON of the wrong shape: {reason}")]
    Shape {
        /// The API path asked for.
        path: String,
        /// What did not fit, as the parser says it.
        reason: String,
    },
    /// A replayed scan asked something its snapshot does not hold (a newer evident asks
    /// more, or a blob is missing): the source could not be read, as if it were down.
    #[error("{detail}")]
    NotRecorded {
        /// What the snapshot lacks.
        detail: String,
    },
    /// The server answered JSON the caller cannot use (a failed query, a missing field,
    /// more rows than the caller's bound).
    #[error("{detail}")]
    Answer {
        /// How the source answered.
        status: SourceStatus,
        /// What was wrong with the answer.
        detail: String,
    },
}

impl CallError {
    /// An answer the caller cannot use, classified by the caller.
    pub fn answer(status: SourceStatus, detail: impl Into<String>) -> Self {
        Self::Answer {
            status,
            detail: detail.into(),
        }
    }

    /// How the source answered, for its source report.
    pub fn status(&self) -> SourceStatus {
        match self {
            Self::Timeout { .. } => SourceStatus::Timeout,
            Self::Status { status, .. } | Self::Answer { status, .. } => *status,
            Self::Connect { .. }
            | Self::NotRecorded { .. }
            | Self::Transport { .. }
            | Self::TooLarge { .. }
            | Self::NotJson { .. }
            | Self::Shape { .. } => SourceStatus::Error,
        }
    }

    /// The HTTP status code, when the server answered with one that is not a success.
    pub fn http_code(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Could not build the client (bad CA file, bad header value).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The CA certificate could not be read or parsed.
    #[error("could not use CA certificate {path}: {reason}")]
    Ca {
        /// The file given with --ca-cert.
        path: String,
        /// Why it failed.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Build(String),
}

/// A response body that was read in full, with the bytes' hash for evidence.
#[derive(Debug, Clone)]
pub struct Body {
    /// The parsed JSON.
    pub json: serde_json::Value,
    /// Hex sha256 of the raw bytes.
    pub sha256: String,
}

/// One server's client: base URL, auth, bounds and a request counter (the benchmark and
/// the tests read it to prove the probe stays within its request budget).
#[derive(Debug, Clone)]
pub struct JsonClient {
    base: String,
    client: reqwest::Client,
    auth: Auth,
    max_body: usize,
    requests: Arc<AtomicUsize>,
    headers: reqwest::header::HeaderMap,
    retry: Retry,
    tape: Tape,
    source: String,
}

/// How a client retries answers that say "try again": 429 (after the wait the server
/// asks for, `Retry-After` or PagerDuty's `ratelimit-reset`), and 502/503/504 and
/// transport failures (after a short backoff). Off by default: Prometheus and Grafana
/// scans fail fast, the incident APIs, which rate-limit per minute, opt in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Retry {
    /// Retries after the first attempt; 0 is none.
    pub attempts: u32,
    /// The longest single wait; a server asking for more is not waited for, and the
    /// answer is reported (rate limited, with the wait it asked for).
    pub max_wait: Duration,
}

impl Retry {
    /// No retries.
    pub const NONE: Retry = Retry {
        attempts: 0,
        max_wait: Duration::ZERO,
    };
}

impl JsonClient {
    /// A client for `base` (no trailing slash needed). `timeout` bounds each request,
    /// `max_body` each response body.
    pub fn new(
        base: &str,
        auth: &Auth,
        ca_cert: Option<&Path>,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Self, ClientError> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("evident/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(3));
        if let Some(path) = ca_cert {
            let pem = std::fs::read(path).map_err(|e| ClientError::Ca {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| ClientError::Ca {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
            auth: auth.clone(),
            max_body,
            requests: Arc::new(AtomicUsize::new(0)),
            headers: reqwest::header::HeaderMap::new(),
            retry: Retry::NONE,
            tape: Tape::off(),
            source: String::new(),
        })
    }

    /// Sends `name: value` with every request (PagerDuty's versioned `Accept`).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Result<Self, ClientError> {
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|e| ClientError::Build(format!("header {name}: {e}")))?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Retries as `retry` says; see [`Retry`].
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Records every answer into, or replays them from, `tape` under the source key
    /// `source` (`prometheus:<url>`, never holding a secret), so a scan can be judged
    /// again offline. While replaying the client sends nothing and waits for nothing.
    pub fn with_tape(mut self, tape: Tape, source: String) -> Self {
        self.tape = tape;
        self.source = source;
        self
    }

    /// The base URL, as given.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many requests this client sent.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs `path` with `query` parameters and parses the JSON body into a
    /// `serde_json::Value`; for small answers whose shape the caller checks itself.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Body, CallError> {
        let raw = self.get_raw(path, query).await?;
        let json = parse_json(path, &raw.bytes)?;
        Ok(Body {
            json,
            sha256: raw.sha256,
        })
    }

    /// GETs `path` and deserializes the body straight into `T`, so a large answer is
    /// reduced to what `T` keeps while it is parsed (never built as a `Value` first),
    /// and an answer of the wrong shape is a [`CallError::Shape`] rather than defaults.
    pub async fn get_typed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Typed<T>, CallError> {
        let raw = self.get_raw(path, query).await?;
        let value = parse_typed(path, &raw.bytes)?;
        Ok(Typed {
            value,
            sha256: raw.sha256,
        })
    }

    /// GETs `path` and returns the bytes of a 2xx answer within the size bound; any
    /// other answer is classified into a [`CallError`].
    pub async fn get_raw(&self, path: &str, query: &[(&str, String)]) -> Result<Raw, CallError> {
        let mut attempt = 0;
        loop {
            let (result, wait) = self.attempt(path, query).await;
            match (result, wait) {
                (Err(e), Some(wait))
                    if attempt < self.retry.attempts && wait <= self.retry.max_wait =>
                {
                    attempt += 1;
                    tracing::debug!(
                        path,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying: {e}"
                    );
                    // A replayed answer is already there: waiting would only slow it.
                    if !self.tape.is_replaying() {
                        tokio::time::sleep(wait).await;
                    }
                }
                (result, _) => return result,
            }
        }
    }

    /// One request, and how long to wait before trying again when the answer says so.
    /// Recorded when the tape records; answered from the tape, without a connection,
    /// when it replays.
    async fn attempt(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> (Result<Raw, CallError>, Option<Duration>) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        // The key holds only the path and the query, so it is built on a fixed base: a
        // replayed plan's URL (its password redacted) never has to parse.
        let key = match build_url(KEY_BASE, path, query) {
            Ok(u) => request_key(path, &u),
            Err(e) => return (Err(e), None),
        };
        if self.tape.is_replaying() {
            return match self.tape.replay_answer(&self.source, &key) {
                Ok(Replayed::Response {
                    status,
                    headers,
                    body,
                    raw_sha256,
                }) => self.classify(path, status, header_wait(&headers), body, raw_sha256),
                Ok(Replayed::Failure { class, message }) => self.failure(path, &class, message),
                Err(e) => (
                    Err(CallError::NotRecorded {
                        detail: e.to_string(),
                    }),
                    None,
                ),
            };
        }
        let url = match build_url(&self.base, path, query) {
            Ok(u) => u,
            Err(e) => {
                let (class, message) = failure_class(&e);
                self.tape
                    .record_failure(&self.source, &key, class, &message);
                return (Err(e), None);
            }
        };
        let (outcome, wait) = match self.send(path, url).await {
            Ok(read) => read,
            Err(e) => {
                let (class, message) = failure_class(&e);
                self.tape
                    .record_failure(&self.source, &key, class, &message);
                return self.failure(path, class, message);
            }
        };
        let headers: Vec<(&str, &str)> = outcome
            .1
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.tape.record_answer(
            &self.source,
            &key,
            Answer {
                status: outcome.0,
                headers: &headers,
                body: &outcome.2,
            },
        );
        let sha256 = evident_core::sha256_hex(&outcome.2);
        self.classify(path, outcome.0, wait, outcome.2, sha256)
    }

    /// Sends the request and reads the answer in full: its status, its headers (those
    /// that can be shown as text), its wait header and its bytes.
    async fn send(
        &self,
        path: &str,
        url: reqwest::Url,
    ) -> Result<(Sent, Option<String>), CallError> {
        let mut request = self.client.get(url).headers(self.headers.clone());
        // reqwest marks both headers sensitive, so they never appear in its Debug output.
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Header { prefix, secret } => {
                match reqwest::header::HeaderValue::from_str(&format!("{prefix}{secret}")) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        request.header(reqwest::header::AUTHORIZATION, value)
                    }
                    Err(_) => {
                        return Err(CallError::answer(
                            SourceStatus::Error,
                            format!(
                                "GET {path} not sent: the credential is not a valid header value"
                            ),
                        ));
                    }
                }
            }
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
        };
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&e, path))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let wait = header_wait_of(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        if let Some(len) = response.content_length()
            && len as usize > self.max_body
        {
            return Err(too_large(path, self.max_body));
        }
        let bytes = self.read_body(response, path).await?;
        Ok(((status, headers, bytes), wait))
    }

    /// A failure before any answer (live or replayed), and whether to try again: a
    /// body over the bound is final, anything else may pass.
    fn failure(
        &self,
        path: &str,
        class: &str,
        message: String,
    ) -> (Result<Raw, CallError>, Option<Duration>) {
        let path = path.to_owned();
        let e = match class {
            "timeout" => CallError::Timeout { path },
            "connect" => CallError::Connect { path },
            "too_large" => too_large(&path, self.max_body),
            "answer" => CallError::answer(SourceStatus::Error, message),
            _ => CallError::Transport {
                path,
                reason: message,
            },
        };
        let wait = match e {
            CallError::Timeout { .. } | CallError::Connect { .. } | CallError::Transport { .. } => {
                Some(self.backoff())
            }
            _ => None,
        };
        (Err(e), wait)
    }

    /// An answer (live or replayed) classified: a 2xx is the body with `sha256`, the
    /// digest of the bytes as read; anything else a [`CallError`], with the wait before
    /// trying again when the status says to.
    fn classify(
        &self,
        path: &str,
        status: u16,
        retry_after: Option<String>,
        bytes: Vec<u8>,
        sha256: String,
    ) -> (Result<Raw, CallError>, Option<Duration>) {
        if bytes.len() > self.max_body {
            return (Err(too_large(path, self.max_body)), None);
        }
        if !(200..300).contains(&status) {
            let wait = match status {
                429 => Some(Duration::from_secs(
                    retry_after
                        .as_deref()
                        .and_then(retry_after_secs)
                        .unwrap_or(1),
                )),
                502..=504 => Some(self.backoff()),
                _ => None,
            };
            let e = status_error(path, status, &bytes, retry_after.as_deref());
            return (Err(e), wait);
        }
        (Ok(Raw { bytes, sha256 }), None)
    }

    /// The short wait before retrying a gateway error or a transport failure.
    fn backoff(&self) -> Duration {
        Duration::from_millis(500).min(self.retry.max_wait)
    }

    /// The body, chunk by chunk, stopping as soon as it passes the size bound.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        path: &str,
    ) -> Result<Vec<u8>, CallError> {
        // Reserve what the server announced (already checked against the bound), so a
        // large body is not copied through every doubling of the buffer.
        let announced = response.content_length().map_or(0, |l| l as usize);
        let mut bytes: Vec<u8> = Vec::with_capacity(announced.min(self.max_body));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > self.max_body {
                        return Err(too_large(path, self.max_body));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(bytes),
                Err(e) => return Err(transport_error(&e, path)),
            }
        }
    }
}

/// What a server sent: status, headers as text, body bytes.
type Sent = (u16, Vec<(String, String)>, Vec<u8>);

/// The base request keys are built on (never sent to).
const KEY_BASE: &str = "http://request-key.invalid";

/// The URL a request goes to: `base` + `path`, with `query` appended in the order given,
/// form-urlencoded (what is sent, and what the request key repeats).
fn build_url(base: &str, path: &str, query: &[(&str, String)]) -> Result<reqwest::Url, CallError> {
    let mut url =
        reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| CallError::Transport {
            path: path.to_owned(),
            reason: format!("not a valid URL: {e}"),
        })?;
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    Ok(url)
}

/// The key a request is recorded under: `GET <path>?<query as sent>`. Only the path the
/// caller asked for and the query, so the key holds neither the host nor a password of
/// the base URL, and a replay against another address finds it.
pub fn request_key(path: &str, url: &reqwest::Url) -> String {
    let path = path.split('?').next().unwrap_or(path);
    match url.query() {
        Some(q) if !q.is_empty() => format!("GET {path}?{q}"),
        _ => format!("GET {path}"),
    }
}

/// `url` without its `user:password@` (or the `[redacted]@` a redacted plan holds) and
/// trailing slash: what a source key of a tape holds, so no password reaches a snapshot
/// and a replayed plan finds the keys its recording wrote.
pub fn without_userinfo(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}://{host}{tail}")
}

/// The wait header of an answer: `Retry-After`, else PagerDuty's `ratelimit-reset`.
fn header_wait_of<'a>(headers: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Option<String> {
    let find = |name: &str| {
        headers
            .clone()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_owned())
    };
    find("retry-after").or_else(|| find("ratelimit-reset"))
}

/// The wait header of a replayed answer (its kept headers are lower case).
fn header_wait(headers: &std::collections::BTreeMap<String, String>) -> Option<String> {
    header_wait_of(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// The class and message a failure is recorded with; [`JsonClient::failure`] turns
/// them back into the same error.
fn failure_class(e: &CallError) -> (&'static str, String) {
    match e {
        CallError::Timeout { .. } => ("timeout", String::new()),
        CallError::Connect { .. } => ("connect", String::new()),
        CallError::TooLarge { .. } => ("too_large", String::new()),
        CallError::Transport { reason, .. } => ("transport", reason.clone()),
        other => ("answer", other.to_string()),
    }
}

/// A 2xx body as bytes, with their hash for evidence.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The body.
    pub bytes: Vec<u8>,
    /// Hex sha256 of the body.
    pub sha256: String,
}

/// A body deserialized into the caller's type, with the raw bytes' hash for evidence.
#[derive(Debug, Clone)]
pub struct Typed<T> {
    /// The answer, reduced to what `T` keeps.
    pub value: T,
    /// Hex sha256 of the raw bytes.
    pub sha256: String,
}

/// How far into a body a parse error is shown: line and column, never the content
/// (which may hold anything the server holds).
fn parse_reason(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => format!(
            "the body ends early (line {}, column {}): cut short",
            e.line(),
            e.column()
        ),
        _ => format!("at line {}, column {}", e.line(), e.column()),
    }
}

/// Parses `bytes` as any JSON value.
pub fn parse_json(path: &str, bytes: &[u8]) -> Result<serde_json::Value, CallError> {
    serde_json::from_slice(bytes).map_err(|e| CallError::NotJson {
        path: path.to_owned(),
        reason: format!(": {}", parse_reason(&e)),
    })
}

/// Deserializes `bytes` into `T`: a body that is not JSON is [`CallError::NotJson`],
/// JSON that does not fit `T` is [`CallError::Shape`] with serde's words for what did not
/// fit (a type and a position, never the values).
pub fn parse_typed<T: serde::de::DeserializeOwned>(
    path: &str,
    bytes: &[u8],
) -> Result<T, CallError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => CallError::Shape {
            path: path.to_owned(),
            reason: shape_reason(&e),
        },
        _ => CallError::NotJson {
            path: path.to_owned(),
            reason: format!(": {}", parse_reason(&e)),
        },
    })
}

/// serde's message for a data error, cut to 200 characters: it names the expected type
/// and the field (`invalid type: string "oops", expected struct X`); a quoted value from
/// the body is dropped, so nothing the server holds is repeated.
fn shape_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match (text.find('"'), text.rfind('"')) {
        (Some(a), Some(b)) if b > a => format!("{}[value]{}", &text[..a], &text[b + 1..]),
        _ => text,
    };
    text.chars().take(200).collect()
}

/// The fields of an error body that say what went wrong (Prometheus: `error`,
/// `errorType`; Grafana and Opsgenie: `message`; PagerDuty: `error.message`); everything
/// else is skipped while parsing.
#[derive(Debug, Default, serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default, rename = "errorType")]
    error_type: Option<serde_json::Value>,
}

/// A non-2xx answer, classified: 401/403 forbidden, 429 rate limited (with the wait the
/// server asked for), a Prometheus query timeout, else error.
fn status_error(path: &str, code: u16, bytes: &[u8], retry_after: Option<&str>) -> CallError {
    let body: ErrorBody = serde_json::from_slice(bytes).unwrap_or_default();
    let text =
        |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_str()).map(str::to_owned);
    // PagerDuty nests it: `{"error": {"message": "...", "code": 2006}}`.
    let nested = body
        .error
        .as_ref()
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
        .map(str::to_owned);
    let mut message = text(&body.error)
        .or(nested)
        .or_else(|| text(&body.message))
        .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let kind = match code {
        401 | 403 => SourceStatus::Forbidden,
        429 => SourceStatus::RateLimited,
        503 | 504 if text(&body.error_type).as_deref() == Some("timeout") => SourceStatus::Timeout,
        _ => SourceStatus::Error,
    };
    if code == 429 {
        message.push_str(&match retry_after.and_then(retry_after_secs) {
            Some(s) => format!(" (the server asked to retry after {s} s)"),
            None => " (the server gave no Retry-After)".to_owned(),
        });
    }
    let hint = match code {
        401 => " (check the token or user/password in the environment)",
        403 => " (the credentials lack permission)",
        _ => "",
    };
    CallError::Status {
        path: path.to_owned(),
        code,
        status: kind,
        message,
        hint,
    }
}

/// Seconds to wait from a `Retry-After` header: delay-seconds, or an HTTP date (then
/// the seconds from now, at least 0).
pub fn retry_after_secs(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(s) = value.parse::<u64>() {
        return Some(s);
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = when.timestamp() - chrono::Utc::now().timestamp();
    Some(u64::try_from(secs).unwrap_or(0))
}

fn too_large(path: &str, max: usize) -> CallError {
    CallError::TooLarge {
        path: path.to_owned(),
        max_mib: max / (1024 * 1024),
    }
}

fn transport_error(e: &reqwest::Error, path: &str) -> CallError {
    if e.is_timeout() {
        CallError::Timeout {
            path: path.to_owned(),
        }
    } else if e.is_connect() {
        CallError::Connect {
            path: path.to_owned(),
        }
    } else {
        // reqwest's message may hold the URL; credentials go in headers, but a URL given
        // as `https://user:password@host` would carry them, so its userinfo is redacted.
        CallError::Transport {
            path: path.to_owned(),
            reason: redact_userinfo(&e.to_string()),
        }
    }
}

/// Replaces the `user:password@` of every URL in `text` by `[redacted]@`, with the
/// redactor every output of evident goes through (one pattern, not a twin of it).
fn redact_userinfo(text: &str) -> String {
    evident_core::Redactor::new().redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let a = Auth::Bearer("s3cr3t-token".into());
        assert!(!format!("{a:?}").contains("s3cr3t"));
    }

    #[test]
    fn userinfo_is_redacted_from_messages() {
        assert_eq!(
            redact_userinfo(
                "error sending request for url (http://bob:hunter2@host:9090/api/v1/x)"
            ),
            "error sending request for url (http://[redacted]@host:9090/api/v1/x)"
        );
        assert_eq!(
            redact_userinfo("for url (http://host/a@b) and https://x.example"),
            "for url (http://host/a@b) and https://x.example"
        );
    }

    #[test]
    fn errors_keep_their_messages_and_statuses() {
        let e = CallError::Status {
            path: "/api/v1/targets".into(),
            code: 401,
            status: SourceStatus::Forbidden,
            message: String::new(),
            hint: " (check the token or user/password in the environment)",
        };
        assert_eq!(e.http_code(), Some(401));
        assert_eq!(e.status(), SourceStatus::Forbidden);
        assert_eq!(
            e.to_string(),
            "GET /api/v1/targets answered HTTP 401 (check the token or user/password in the environment)"
        );
        let t = too_large("/api/v1/series", 64 * 1024 * 1024);
        assert_eq!(t.status(), SourceStatus::Error);
        assert_eq!(
            t.to_string(),
            "GET /api/v1/series answered more than 64 MiB (a huge label set); not read"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        // Bind then drop a listener, so the port is very likely closed.
        let port = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await;
            let Ok(l) = l else { return };
            let Ok(addr) = l.local_addr() else { return };
            addr.port()
        };
        let Ok(client) = JsonClient::new(
            &format!("http://127.0.0.1:{port}"),
            &Auth::None,
            None,
            Duration::from_secs(2),
            1024,
        ) else {
            panic!("client builds");
        };
        let e = client.get("/x", &[]).await.err();
        assert!(matches!(e, Some(CallError::Connect { .. })), "{e:?}");
        assert_eq!(client.requests(), 1);
    }

    /// Serves one raw HTTP answer per connection (`head` holds the status line and any
    /// headers; a Content-Length is added unless `announce` is given), on a free port.
    async fn raw_server(head: &'static str, body: Vec<u8>, announce: Option<usize>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            panic!("bind");
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("addr");
        };
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let len = announce.unwrap_or(body.len());
                let head = format!("{head}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            }
        });
        format!("http://{addr}")
    }

    fn client(base: &str) -> JsonClient {
        match JsonClient::new(base, &Auth::None, None, Duration::from_secs(2), 1 << 20) {
            Ok(c) => c,
            Err(e) => panic!("client builds: {e}"),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Envelope {
        #[allow(dead_code)]
        status: String,
        #[allow(dead_code)]
        data: Vec<u32>,
    }

    #[tokio::test]
    async fn a_429_is_rate_limited_and_says_how_long_to_wait() {
        let base = raw_server(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30",
            b"{}".to_vec(),
            None,
        )
        .await;
        let e = client(&base).get("/api/search", &[]).await.err();
        let Some(e) = e else {
            panic!("a 429 is an error")
        };
        assert_eq!(e.status(), SourceStatus::RateLimited);
        assert!(e.to_string().contains("retry after 30 s"), "{e}");
        let base = raw_server(
            "HTTP/1.1 429 Too Many Requests",
            b"slow down".to_vec(),
            None,
        )
        .await;
        let e = client(&base).get("/api/search", &[]).await.err();
        let Some(e) = e else {
            panic!("a 429 is an error")
        };
        assert_eq!(e.status(), SourceStatus::RateLimited);
        assert!(e.to_string().contains("no Retry-After"), "{e}");
    }

    /// Answers 429 (Retry-After: 0) to the first `failures` connections, then 200.
    async fn flaky_server(failures: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
            panic!("bind");
        };
        let Ok(addr) = listener.local_addr() else {
            panic!("addr");
        };
        tokio::spawn(async move {
            let mut seen = 0;
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                seen += 1;
                let answer = if seen <= failures {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]"
                };
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            }
        });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn a_429_is_retried_within_the_bound_and_reported_past_it() {
        let retry = Retry {
            attempts: 2,
            max_wait: Duration::from_secs(1),
        };
        let base = flaky_server(2).await;
        let c = client(&base).with_retry(retry);
        assert!(c.get("/incidents", &[]).await.is_ok());
        assert_eq!(c.requests(), 3);
        let base = flaky_server(3).await;
        let c = client(&base).with_retry(retry);
        let e = c.get("/incidents", &[]).await.err();
        assert_eq!(e.map(|e| e.status()), Some(SourceStatus::RateLimited));
        assert_eq!(c.requests(), 3, "two retries, then the 429 is the answer");
    }

    #[test]
    fn pagerduty_error_bodies_give_their_message() {
        let e = status_error(
            "/schedules",
            403,
            br#"{"error":{"message":"Access Denied","code":2010}}"#,
            None,
        );
        assert!(e.to_string().contains(": Access Denied"), "{e}");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after_secs("120"), Some(120));
        assert_eq!(retry_after_secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(0));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        assert!(retry_after_secs(&later).is_some_and(|s| (85..=90).contains(&s)));
        assert_eq!(retry_after_secs("soon"), None);
    }

    #[tokio::test]
    async fn forbidden_html_truncated_and_wrong_shapes_are_told_apart() {
        let base = raw_server(
            "HTTP/1.1 403 Forbidden",
            br#"{"message":"Access denied"}"#.to_vec(),
            None,
        )
        .await;
        let e = client(&base).get("/api/dashboards/uid/a", &[]).await.err();
        let Some(e) = e else { panic!("403") };
        assert_eq!(e.status(), SourceStatus::Forbidden);
        assert!(e.to_string().contains("Access denied"), "{e}");

        let base = raw_server(
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html",
            b"<html>bad gateway</html>".to_vec(),
            None,
        )
        .await;
        let e = client(&base).get("/api/v1/rules", &[]).await.err();
        let Some(e) = e else { panic!("502") };
        assert_eq!(
            (e.status(), e.http_code()),
            (SourceStatus::Error, Some(502))
        );
        assert_eq!(e.to_string(), "GET /api/v1/rules answered HTTP 502");

        // A body cut short: the server announces more than it sends.
        let base = raw_server(
            "HTTP/1.1 200 OK",
            br#"{"status":"success","data":[1,"#.to_vec(),
            None,
        )
        .await;
        let e = client(&base)
            .get_typed::<Envelope>("/api/v1/x", &[])
            .await
            .err();
        assert!(matches!(e, Some(CallError::NotJson { .. })), "{e:?}");
        assert!(e.is_some_and(|e| e.to_string().contains("cut short")));

        let base = raw_server(
            "HTTP/1.1 200 OK",
            br#"{"status":"success","data":"oops"}"#.to_vec(),
            None,
        )
        .await;
        let e = client(&base)
            .get_typed::<Envelope>("/api/v1/x", &[])
            .await
            .err();
        let Some(e) = e else { panic!("wrong shape") };
        assert!(matches!(e, CallError::Shape { .. }), "{e:?}");
        assert_eq!(e.status(), SourceStatus::Error);
        assert!(
            !e.to_string().contains("oops"),
            "the body's values are not repeated: {e}"
        );

        let base = raw_server(
            "HTTP/1.1 200 OK",
            br#"{"status":"success","data":[1,2]}"#.to_vec(),
            None,
        )
        .await;
        let ok = client(&base).get_typed::<Envelope>("/api/v1/x", &[]).await;
        assert!(ok.is_ok_and(|t| t.value.data == vec![1, 2] && t.sha256.len() == 64));
    }

    #[tokio::test]
    async fn a_body_over_the_bound_is_not_read() {
        let base = raw_server("HTTP/1.1 200 OK", vec![b' '; 2 << 20], None).await;
        let e = client(&base).get("/big", &[]).await.err();
        assert!(matches!(e, Some(CallError::TooLarge { .. })), "{e:?}");
    }

    fn run_meta() -> evident_snapshot::RunMeta {
        evident_snapshot::RunMeta {
            schema: String::new(),
            run: "r1".into(),
            tool_version: "test".into(),
            observed_at: "2026-12-01T00:00:00Z".into(),
            plan: serde_json::json!({}),
            scan_sha256: String::new(),
        }
    }

    /// What a call came to, comparable across a live and a replayed run (whose bodies
    /// come back redacted, with the digest of the bytes as read).
    fn outcome(r: &Result<Raw, CallError>) -> String {
        match r {
            Ok(raw) => format!(
                "ok {} {}",
                raw.sha256,
                String::from_utf8_lossy(&raw.bytes).replace("canary-s3cret", "[redacted]")
            ),
            Err(e) => format!("err {:?} {e}", e.status()),
        }
    }

    #[tokio::test]
    async fn answers_and_failures_replay_without_a_connection() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        let redactor = Arc::new(evident_core::Redactor::new().with_secret("canary-s3cret"));
        let Ok(tape) = Tape::record(dir.path(), redactor) else {
            panic!("record")
        };
        let ok = raw_server(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: canary-s3cret",
            br#"{"echo":"canary-s3cret"}"#.to_vec(),
            None,
        )
        .await;
        let broken = raw_server(
            "HTTP/1.1 500 Internal Server Error",
            br#"{"message":"db down"}"#.to_vec(),
            None,
        )
        .await;
        let big = raw_server("HTTP/1.1 200 OK", vec![b' '; 2 << 20], None).await;
        let flaky = flaky_server(1).await;
        let retry = Retry {
            attempts: 2,
            max_wait: Duration::from_secs(1),
        };
        let q = [
            ("query", "up{job=\"a b\"}".to_owned()),
            ("time", "1".to_owned()),
        ];
        let calls = [
            (ok.clone(), "/api/v1/query"),
            (broken, "/api/health"),
            (big, "/big"),
            (flaky, "/incidents"),
            ("http://127.0.0.1:1".to_owned(), "/closed"),
        ];
        let mut live = Vec::new();
        for (i, (base, path)) in calls.iter().enumerate() {
            let c = client(base)
                .with_retry(retry)
                .with_tape(tape.clone(), format!("test:{i}"));
            live.push((outcome(&c.get_raw(path, &q).await), c.requests()));
        }
        let Ok(errors) = tape.finish(run_meta(), b"{}") else {
            panic!("finish")
        };
        assert!(errors.is_empty(), "{errors:?}");

        let Ok((replay, _)) = Tape::replay(dir.path(), None) else {
            panic!("replay")
        };
        let mut again = Vec::new();
        for (i, (_, path)) in calls.iter().enumerate() {
            let c = client("http://127.0.0.1:1")
                .with_retry(retry)
                .with_tape(replay.clone(), format!("test:{i}"));
            again.push((outcome(&c.get_raw(path, &q).await), c.requests()));
        }
        assert_eq!(live, again);
        assert!(
            live[0]
                .0
                .contains(&evident_core::sha256_hex(br#"{"echo":"canary-s3cret"}"#))
        );
        assert!(live[1].0.contains("HTTP 500: db down"), "{:?}", live[1]);
        assert!(live[2].0.contains("more than"), "{:?}", live[2]);
        assert_eq!(live[3].1, 2, "a 429, then the answer");
        assert!(live[4].0.contains("could not connect"), "{:?}", live[4]);

        let c = client("http://127.0.0.1:1").with_tape(replay.clone(), "test:0".into());
        let e = c.get_raw("/api/v1/query", &[]).await.err();
        let Some(e) = e else { panic!("never recorded") };
        assert_eq!(e.status(), SourceStatus::Error);
        assert!(e.to_string().contains("not in the snapshot"), "{e}");
        assert!(!walk(dir.path()).contains("canary-s3cret"));
    }

    #[test]
    fn source_keys_hold_no_password() {
        assert_eq!(
            without_userinfo("https://bob:hunter2@prom.example:9090/"),
            "https://prom.example:9090"
        );
        assert_eq!(
            without_userinfo("http://127.0.0.1:9090/prefix/"),
            "http://127.0.0.1:9090/prefix"
        );
        assert_eq!(
            without_userinfo("https://[redacted]@prom.example:9090/a@b"),
            "https://prom.example:9090/a@b"
        );
    }

    #[test]
    fn request_keys_are_the_path_and_the_query_as_sent() {
        let q = [
            ("query", "up{a=\"b c\"}".to_owned()),
            ("time", "5".to_owned()),
        ];
        let Ok(url) = build_url("http://u:pw@h:9090/prefix", "/api/v1/query", &q) else {
            panic!("url")
        };
        assert_eq!(
            request_key("/api/v1/query", &url),
            "GET /api/v1/query?query=up%7Ba%3D%22b+c%22%7D&time=5"
        );
        let Ok(url) = build_url("http://h", "/api/health", &[]) else {
            panic!("url")
        };
        assert_eq!(request_key("/api/health", &url), "GET /api/health");
    }

    fn walk(dir: &Path) -> String {
        let mut out = String::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push_str(&walk(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        out
    }
}
