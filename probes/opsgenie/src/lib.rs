//! The Opsgenie probe: schedules, escalations, users, teams, services and incidents of
//! one Opsgenie account, as [`evident_oncall::OncallFacts`] under the capability `oncall`.
//!
//! Reads (all GET, `Authorization: GenieKey <key>`): `/v2/users` (paged), `/v2/teams` and
//! each `/v2/teams/{id}` (members), `/v2/schedules?expand=rotation` and each schedule's
//! `/timeline` over the window (the final timeline, overrides applied, gives who was on
//! call), `/v2/escalations`, `/v1/services` (paged; the Service API, not in
//! `opsgenie-oas`: its documented shape) and `/v1/incidents?query=createdAt>...` (paged).
//! Opsgenie has no change-event API: `change_events` is unread, `not_available`.
//!
//! Every list has a page bound, endless paging is detected, 429 and 5xx are retried
//! within a bound, the per-team and per-schedule reads run at a bounded concurrency, and
//! each part that fails is reported as unread (see [`build`]), never as empty.

#![warn(missing_docs)]

mod build;
mod incidents;
mod parts;
mod read;
mod schedules;
mod wire;

use async_trait::async_trait;
use chrono::{DateTime, Duration as Days, Utc};
use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use evident_http::{Auth, JsonClient, Retry};
use evident_oncall::{Account, OncallFacts, Tool};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable holding the credential.
pub const TOKEN_ENV: &str = "EVIDENT_OPSGENIE_KEY";

/// The API hosts Opsgenie runs, by region: one list, the CLI's `--opsgenie-region` and the
/// docs iterate it.
pub const REGIONS: &[(&str, &str)] = &[
    ("us", "https://api.opsgenie.com"),
    ("eu", "https://api.eu.opsgenie.com"),
];

/// The account key of every Opsgenie object (`opsgenie/<id>`) and the probe's name.
const ACCOUNT: &str = "opsgenie";

/// Most pages read of one list by default: 10,000 users, services or incidents at 100 a
/// page. Past it the list is cut and the part reported partial.
pub const MAX_PAGES: usize = 100;

/// Where and how to read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OpsgenieConfig {
    /// API base URL; `None` when Opsgenie was not asked for. Written with any
    /// `user:password@` hidden.
    #[serde(serialize_with = "evident_core::hidden::opt_url")]
    pub api_url: Option<String>,
    /// The credential, from [`TOKEN_ENV`] (written hidden).
    #[serde(serialize_with = "evident_core::hidden::opt_secret")]
    pub token: Option<String>,
    /// How far back schedules and incidents are read, in days.
    pub window_days: u32,
    /// Bound of one request.
    pub request_timeout: Duration,
    /// Extra CA certificate (PEM).
    pub ca_cert: Option<PathBuf>,
    /// Objects asked per page (`limit`; Opsgenie allows at most 100).
    pub page_size: usize,
    /// Most pages read of one list; see [`MAX_PAGES`].
    pub max_pages: usize,
    /// Per-team and per-schedule reads at once.
    pub concurrency: usize,
    /// How 429 (Opsgenie rate-limits per minute) and 5xx answers are retried.
    pub retry: Retry,
}

impl OpsgenieConfig {
    /// Not configured: the probe reports `not_configured`.
    pub fn none() -> Self {
        Self {
            api_url: None,
            token: None,
            window_days: 90,
            request_timeout: Duration::from_secs(20),
            ca_cert: None,
            page_size: 100,
            max_pages: MAX_PAGES,
            concurrency: 8,
            retry: Retry {
                attempts: 3,
                max_wait: Duration::from_secs(30),
            },
        }
    }

    /// Reads `api_url` with the credential from [`TOKEN_ENV`].
    pub fn new(api_url: impl Into<String>) -> Self {
        Self {
            api_url: Some(api_url.into()),
            token: evident_http::credential_from_env(TOKEN_ENV),
            ..Self::none()
        }
    }
}

/// The probe.
#[derive(Debug)]
pub struct OpsgenieProbe {
    config: OpsgenieConfig,
    requests: Arc<AtomicUsize>,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl OpsgenieProbe {
    /// A probe for the configured account.
    pub fn new(config: OpsgenieConfig) -> Self {
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

    /// Requests sent by every `collect` so far (the benchmark and tests read it to hold
    /// the probe to its request budget).
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

/// The scan's time, and the window's start `days` before it. An observation time that
/// does not parse (it always does when the scan sets it) falls back to the clock.
fn window(observed_at: &str, days: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = parts::parse_time(observed_at).unwrap_or_else(Utc::now);
    (now, now - Days::days(i64::from(days)))
}

/// The read's budget within the scan's probe bound: nine tenths of it, so the parts
/// still reading are reported `timeout` and the parts read are kept, before the scan
/// stops the whole probe (which would keep nothing).
fn budget(probe_timeout: Duration) -> Duration {
    (probe_timeout / 10 * 9).max(Duration::from_millis(100))
}

#[async_trait]
impl Probe for OpsgenieProbe {
    fn name(&self) -> &'static str {
        "opsgenie"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["oncall"]
    }

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let Some(url) = &self.config.api_url else {
            return ProbeOutput::failed(
                ACCOUNT,
                ACCOUNT,
                SourceStatus::NotConfigured,
                format!("no Opsgenie given; pass --opsgenie (credential from {TOKEN_ENV})"),
            );
        };
        let shown = ctx.redactor.redact(url);
        let Some(token) = &self.config.token else {
            return ProbeOutput::failed(
                ACCOUNT,
                &shown,
                SourceStatus::Forbidden,
                format!("no Opsgenie API key: set {TOKEN_ENV} to a key with read access"),
            );
        };
        let auth = Auth::Header {
            prefix: "GenieKey ".to_owned(),
            secret: token.clone(),
        };
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
            Ok(c) => c.with_retry(self.config.retry).with_tape(
                self.tape.clone(),
                format!("opsgenie:{}", evident_http::without_userinfo(url)),
            ),
            Err(e) => {
                let detail = ctx.redactor.redact(&e.to_string());
                return ProbeOutput::failed(ACCOUNT, &shown, SourceStatus::Error, detail);
            }
        };
        let out = self.read(&client, shown, ctx).await;
        self.requests
            .fetch_add(client.requests(), Ordering::Relaxed);
        out
    }
}

impl OpsgenieProbe {
    async fn read(&self, client: &JsonClient, shown: String, ctx: &ScanContext) -> ProbeOutput {
        let c = &self.config;
        let (now, since) = window(&ctx.observed_at, c.window_days);
        let plan = parts::Plan {
            now,
            since,
            window_days: c.window_days,
            page_size: c.page_size.clamp(1, 100),
            max_pages: c.max_pages.max(1),
            permits: Arc::new(tokio::sync::Semaphore::new(c.concurrency.max(1))),
            budget: budget(ctx.probe_timeout),
        };
        let mut facts = OncallFacts::default();
        facts.accounts.insert(
            ACCOUNT.to_owned(),
            Account {
                tool: Some(Tool::Opsgenie),
                api: shown.clone(),
                now: parts::rfc3339(now),
                since: parts::rfc3339(since),
                window_days: c.window_days,
                ..Account::default()
            },
        );
        ctx.progress.begin(parts::PROGRESS, parts::LISTS);
        let raw = parts::read_all(client, &plan, &*ctx.progress).await;
        ctx.progress.end(parts::PROGRESS);
        let mut b = build::Build::new(ctx, shown, facts);
        parts::apply(&mut b, raw, &plan);
        let mut out = b.finish();
        // The alerts and incidents read cover this period; the report says so.
        for report in &mut out.sources {
            if report.status == SourceStatus::Ok {
                report.window = Some(evident_core::TimeWindow {
                    from: parts::rfc3339(since),
                    to: parts::rfc3339(now),
                    what: "alerts and incidents".into(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_url_or_a_key_nothing_is_read() {
        let ctx = ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
        let out = OpsgenieProbe::new(OpsgenieConfig::none())
            .collect(&ctx)
            .await;
        assert_eq!(out.sources[0].status, SourceStatus::NotConfigured);
        let mut c = OpsgenieConfig::none();
        c.api_url = Some("http://127.0.0.1:9".into());
        let out = OpsgenieProbe::new(c).collect(&ctx).await;
        assert_eq!(out.sources[0].status, SourceStatus::Forbidden);
        assert!(
            out.sources[0]
                .detail
                .as_deref()
                .is_some_and(|d| d.contains(TOKEN_ENV))
        );
    }

    #[test]
    fn the_window_counts_back_from_the_scan() {
        let (now, since) = window("2026-11-23T10:00:00Z", 90);
        assert_eq!(parts::rfc3339(now), "2026-11-23T10:00:00Z");
        assert_eq!(parts::rfc3339(since), "2026-08-25T10:00:00Z");
    }
}
