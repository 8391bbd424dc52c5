//! A bounded, read-only JSON client for monitoring APIs (Prometheus, and Grafana, which
//! reuses it).
//!
//! Every call is a GET, has a time bound and a size bound, and turns each way a server
//! can fail into a [`SourceStatus`] with words a person can act on. Credentials live only
//! in the request headers; they are never formatted into an error or a log line.

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
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct CallError {
    /// How the source answered.
    pub status: SourceStatus,
    /// What went wrong, without credentials.
    pub detail: String,
}

impl CallError {
    fn new(status: SourceStatus, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
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
            return Err(CallError::new(
                kind,
                format!("GET {path} answered HTTP {code}{message}{hint}"),
            ));
        }
        let Some(json) = json else {
            return Err(CallError::new(
                SourceStatus::Error,
                format!("GET {path} did not answer JSON"),
            ));
        };
        Ok(Body {
            json,
            sha256: evident_core::sha256_hex(&bytes),
        })
    }
}

fn too_large(path: &str, max: usize) -> CallError {
    CallError::new(
        SourceStatus::Error,
        format!(
            "GET {path} answered more than {} MiB (a huge label set); not read",
            max / (1024 * 1024)
        ),
    )
}

fn transport_error(e: &reqwest::Error, path: &str) -> CallError {
    if e.is_timeout() {
        CallError::new(
            SourceStatus::Timeout,
            format!("GET {path} did not answer in time"),
        )
    } else if e.is_connect() {
        CallError::new(
            SourceStatus::Error,
            format!("could not connect for GET {path} (is the server up and the URL right?)"),
        )
    } else {
        // reqwest's message may hold the URL; the URL holds no credentials (they are in
        // headers), so it is safe to show.
        CallError::new(SourceStatus::Error, format!("GET {path} failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let a = Auth::Bearer("s3cr3t-token".into());
        assert!(!format!("{a:?}").contains("s3cr3t"));
    }
}
