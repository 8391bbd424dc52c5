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
            Self::Basic { .. } => "Auth::Basic([redacted])",
        })
    }
}

impl Auth {
    /// The secret values, so the scan's redactor can replace them wherever they appear.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Self::None => vec![],
            Self::Bearer(t) => vec![t.clone()],
            Self::Basic { password, .. } => vec![password.clone()],
        }
    }
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
    /// The body was not JSON.
    #[error("GET {path} did not answer JSON")]
    NotJson {
        /// The API path asked for.
        path: String,
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
            | Self::Transport { .. }
            | Self::TooLarge { .. }
            | Self::NotJson { .. } => SourceStatus::Error,
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
        })
    }

    /// The base URL, as given.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// How many requests this client sent.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs `path` with `query` parameters and parses the JSON body.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Body, CallError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{}", self.base, path);
        let mut request = self.client.get(&url).query(query);
        // reqwest marks both headers sensitive, so they never appear in its Debug output.
        request = match &self.auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
        };
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&e, path))?;
        let status = response.status();
        if let Some(len) = response.content_length()
            && len as usize > self.max_body
        {
            return Err(too_large(path, self.max_body));
        }
        let mut bytes: Vec<u8> = Vec::new();
        let mut response = response;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > self.max_body {
                        return Err(too_large(path, self.max_body));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(transport_error(&e, path)),
            }
        }
        let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
        if !status.is_success() {
            let message = json
                .as_ref()
                .and_then(|j| j.get("error").or_else(|| j.get("message")))
                .and_then(serde_json::Value::as_str)
                .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
                .unwrap_or_default();
            let code = status.as_u16();
            let kind = match code {
                401 | 403 => SourceStatus::Forbidden,
                429 => SourceStatus::RateLimited,
                503 | 504
                    if json
                        .as_ref()
                        .and_then(|j| j.get("errorType"))
                        .and_then(serde_json::Value::as_str)
                        == Some("timeout") =>
                {
                    SourceStatus::Timeout
                }
                _ => SourceStatus::Error,
            };
            let hint = match code {
                401 => " (check the token or user/password in the environment)",
                403 => " (the credentials lack permission)",
                _ => "",
            };
            return Err(CallError::Status {
                path: path.to_owned(),
                code,
                status: kind,
                message,
                hint,
            });
        }
        let Some(json) = json else {
            return Err(CallError::NotJson {
                path: path.to_owned(),
            });
        };
        Ok(Body {
            json,
            sha256: evident_core::sha256_hex(&bytes),
        })
    }
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
}
