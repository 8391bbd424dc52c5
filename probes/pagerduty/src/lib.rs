//! The PagerDuty probe: schedules, escalation policies, users, teams and incidents of one
//! PagerDuty account, as [`evident_oncall::OncallFacts`] under the capability `oncall`.

#![warn(missing_docs)]

use async_trait::async_trait;
use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable holding the credential.
pub const TOKEN_ENV: &str = "EVIDENT_PAGERDUTY_TOKEN";

/// The API hosts PagerDuty runs, by region: one list, the CLI's `--pagerduty-region` and the
/// docs iterate it.
pub const REGIONS: &[(&str, &str)] = &[
    ("us", "https://api.pagerduty.com"),
    ("eu", "https://api.eu.pagerduty.com"),
];

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct PagerdutyConfig {
    /// API base URL; `None` when PagerDuty was not asked for.
    pub api_url: Option<String>,
    /// The credential, from [`TOKEN_ENV`].
    pub token: Option<String>,
    /// How far back schedules and incidents are read, in days.
    pub window_days: u32,
    /// Bound of one request.
    pub request_timeout: Duration,
    /// Extra CA certificate (PEM).
    pub ca_cert: Option<PathBuf>,
}

impl PagerdutyConfig {
    /// Not configured: the probe reports `not_configured`.
    pub fn none() -> Self {
        Self {
            api_url: None,
            token: None,
            window_days: 90,
            request_timeout: Duration::from_secs(20),
            ca_cert: None,
        }
    }

    /// Reads `api_url` with the credential from [`TOKEN_ENV`].
    pub fn new(api_url: impl Into<String>) -> Self {
        Self {
            api_url: Some(api_url.into()),
            token: std::env::var(TOKEN_ENV)
                .ok()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            ..Self::none()
        }
    }
}

/// The probe.
#[derive(Debug)]
pub struct PagerdutyProbe {
    config: PagerdutyConfig,
}

impl PagerdutyProbe {
    /// A probe for the configured account.
    pub fn new(config: PagerdutyConfig) -> Self {
        Self { config }
    }
}

#[async_trait]
impl Probe for PagerdutyProbe {
    fn name(&self) -> &'static str {
        "pagerduty"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["oncall"]
    }

    async fn collect(&self, _ctx: &ScanContext) -> ProbeOutput {
        let Some(_url) = &self.config.api_url else {
            return ProbeOutput::failed(
                "pagerduty",
                "pagerduty",
                SourceStatus::NotConfigured,
                format!("no PagerDuty given; pass --pagerduty (credential from {TOKEN_ENV})"),
            );
        };
        ProbeOutput::failed(
            "pagerduty",
            "pagerduty",
            SourceStatus::Error,
            "reading PagerDuty is not built yet",
        )
    }
}
