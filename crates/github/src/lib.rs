//! The GitHub API client that the scan (which lists and clones an organisation's
//! repositories before any probe runs) and the github probe (which reads what GitHub
//! records about them) share.
//!
//! A crate of its own because probes never depend on one another, and because every
//! GitHub read must keep the same promises: a bounded number of requests and pages,
//! conditional requests that GitHub does not count against the quota (`If-None-Match`
//! answered `304`), the primary and secondary rate limits read from the headers and
//! honoured, a per-scan request budget, and every failure turned into a
//! [`SourceStatus`] with words a person can act on. The transport is octocrab (raw
//! `_get`/`_post`, so headers and bodies stay ours to read); credentials live only in
//! its request headers and are never formatted into an error, a log line or the cache.

#![warn(missing_docs)]

pub mod cache;
mod client;
mod limits;
mod listing;
pub mod tape;

pub use cache::EtagCache;
pub use client::{Answer, Client, GraphqlAnswer, GraphqlError, Pages, Stats, StatsSnapshot};
pub use listing::{Listing, RepoListing, Target, list};

use evident_core::SourceStatus;
use std::path::PathBuf;
use std::time::Duration;

/// The environment variables a token is read from, first match wins: evident's own name
/// first, so a CI job can give evident a token other than the one its other steps use.
pub const TOKEN_ENVS: &[&str] = &["EVIDENT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"];

/// The public API; `--github-url` points elsewhere for GitHub Enterprise Server.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Everything the client needs, decided by the caller (the CLI reads the environment).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct GithubConfig {
    /// API base: `https://api.github.com`, or `https://HOST/api/v3` for Enterprise Server.
    /// Written with any `user:password@` hidden.
    #[serde(serialize_with = "evident_core::hidden::url")]
    pub api_url: String,
    /// Personal access, fine-grained or workflow token (written hidden).
    #[serde(serialize_with = "evident_core::hidden::opt_secret")]
    pub token: Option<String>,
    /// At most this many requests in flight (default 8), as GitHub asks of integrators.
    pub concurrency: usize,
    /// Bound of each request, body included.
    pub request_timeout: Duration,
    /// Bound of pages followed by any one paginated listing.
    pub max_pages: usize,
    /// Bound of requests this scan may send to GitHub (counted or not); past it, what
    /// still needs GitHub is `unknown` (reason `rate_limited`).
    pub max_requests: u64,
    /// Wait for the primary rate limit to reset instead of giving up (logged, never
    /// silent).
    pub wait_for_rate_limit: bool,
    /// Where ETags, answers and clones are kept between scans (none: no cache).
    pub cache_dir: Option<PathBuf>,
    /// How long the GraphQL answer of a repository GitHub lists as unchanged (same
    /// `pushed_at`) is reused instead of asked again.
    pub refresh: Duration,
    /// Bound of one response body.
    pub max_body: usize,
    /// Authenticate as a GitHub App installation instead of with `token`.
    pub app: Option<GithubApp>,
}

/// A GitHub App installation to authenticate as: the scan signs a JWT with the App's
/// private key, asks GitHub for an installation token (valid an hour) and reads (and
/// clones) with that token, as a personal token would.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct GithubApp {
    /// The App's id.
    pub app_id: u64,
    /// The installation on the organisation.
    pub installation_id: u64,
    /// The App's private key, PEM (written hidden).
    #[serde(serialize_with = "evident_core::hidden::secret")]
    pub private_key_pem: String,
}

impl std::fmt::Debug for GithubApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubApp")
            .field("app_id", &self.app_id)
            .field("installation_id", &self.installation_id)
            .field("private_key_pem", &"[redacted]")
            .finish()
    }
}

/// Asks GitHub for an installation token of `app` (`POST
/// /app/installations/{id}/access_tokens`, authenticated by a JWT the App's key signs).
/// The token is a secret like any other: the caller adds it to the scan's redaction.
pub async fn installation_token(
    api_url: &str,
    app: &GithubApp,
    timeout: Duration,
) -> Result<String, GithubError> {
    use octocrab::secrecy::ExposeSecret;
    let path = format!(
        "POST /app/installations/{}/access_tokens",
        app.installation_id
    );
    let key = octocrab::EncodingKey::from_rsa_pem(app.private_key_pem.as_bytes()).map_err(|e| {
        GithubError::error(
            &path,
            format!("the GitHub App private key is not an RSA PEM key: {e}"),
        )
    })?;
    let client = octocrab::Octocrab::builder()
        .base_uri(api_url.trim_end_matches('/'))
        .map_err(|e| GithubError::error(&path, format!("not a usable API URL: {e}")))?
        .app(octocrab::models::AppId(app.app_id), key)
        .build()
        .map_err(|e| GithubError::error(&path, format!("could not build the client: {e}")))?;
    let ask = client.installation_and_token(octocrab::models::InstallationId(app.installation_id));
    match tokio::time::timeout(timeout, ask).await {
        Err(_) => Err(GithubError::Timeout {
            path,
            secs: timeout.as_secs(),
        }),
        Ok(Err(e)) => Err(GithubError::Forbidden {
            path,
            message: format!(
                "GitHub refused the App installation token (app {}, installation {}): {}",
                app.app_id,
                app.installation_id,
                e.to_string().chars().take(200).collect::<String>()
            ),
        }),
        Ok(Ok((_, token))) => Ok(token.expose_secret().to_owned()),
    }
}

impl std::fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token itself never reaches a Debug string.
        f.debug_struct("GithubConfig")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("concurrency", &self.concurrency)
            .field("request_timeout", &self.request_timeout)
            .field("max_pages", &self.max_pages)
            .field("max_requests", &self.max_requests)
            .field("wait_for_rate_limit", &self.wait_for_rate_limit)
            .field("cache_dir", &self.cache_dir)
            .field("refresh", &self.refresh)
            .field("app", &self.app)
            .finish()
    }
}

impl GithubConfig {
    /// The defaults for `api_url`: 8 in flight, 20 s a request, 100 pages a listing,
    /// 20,000 requests a scan, answers reused for an hour, bodies up to 32 MiB.
    pub fn new(api_url: &str, token: Option<String>) -> Self {
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            token,
            concurrency: 8,
            request_timeout: Duration::from_secs(20),
            max_pages: 100,
            max_requests: 20_000,
            wait_for_rate_limit: false,
            cache_dir: None,
            refresh: Duration::from_secs(3600),
            max_body: 32 << 20,
            app: None,
        }
    }

    /// The host people see (`github.com` for the public API), used in repository URLs.
    pub fn web_host(&self) -> String {
        let rest = self
            .api_url
            .split_once("://")
            .map_or(self.api_url.as_str(), |(_, r)| r);
        let host = rest.split('/').next().unwrap_or(rest);
        host.strip_prefix("api.").unwrap_or(host).to_owned()
    }
}

/// Why a GitHub read failed, classified for the source report and the facts' `unread`.
///
/// Messages carry the API path and GitHub's own message (cut short), never a credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GithubError {
    /// The quota (or the scan's own budget) is spent; `reset` says when it comes back.
    #[error("{detail}")]
    RateLimited {
        /// What ran out and when it resets, in words.
        detail: String,
    },
    /// The token may not read this (401, 403, or a GraphQL FORBIDDEN field).
    #[error("{path}: {message}")]
    Forbidden {
        /// The API path (or GraphQL field path).
        path: String,
        /// GitHub's message and what to check.
        message: String,
    },
    /// The resource does not exist (or the token may not see it).
    #[error("{path} answered 404 Not Found")]
    NotFound {
        /// The API path.
        path: String,
    },
    /// The request did not complete within its bound.
    #[error("{path} did not answer within {secs} s")]
    Timeout {
        /// The API path.
        path: String,
        /// The bound.
        secs: u64,
    },
    /// Anything else: a 5xx after retries, a transport failure, a body that is not JSON
    /// or not of the documented shape, an endless pagination.
    #[error("{path}: {reason}")]
    Error {
        /// The API path.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl GithubError {
    /// How the source answered, for its report.
    pub fn status(&self) -> SourceStatus {
        match self {
            Self::RateLimited { .. } => SourceStatus::RateLimited,
            Self::Forbidden { .. } => SourceStatus::Forbidden,
            Self::Timeout { .. } => SourceStatus::Timeout,
            Self::NotFound { .. } | Self::Error { .. } => SourceStatus::Error,
        }
    }

    fn error(path: &str, reason: impl Into<String>) -> Self {
        Self::Error {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}
