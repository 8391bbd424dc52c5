//! The Opsgenie probe: schedules, escalation policies, users, teams and incidents of one
//! Opsgenie account, as [`evident_oncall::OncallFacts`] under the capability `oncall`.

#![warn(missing_docs)]

use async_trait::async_trait;
use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable holding the credential.
pub const TOKEN_ENV: &str = "EVIDENT_OPSGENIE_KEY";

/// The API hosts Opsgenie runs, by region: one list, the CLI's `--opsgenie-region` and the
/// docs iterate it.
pub const REGIONS: &[(&str, &str)] = &[
    ("us", "https://api.opsgenie.com"),
    ("eu", "https://api.eu.opsgenie.com"),
];

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct OpsgenieConfig {
    /// API base URL; `None` when Opsgenie was not asked for.
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

impl OpsgenieConfig {
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
pub struct OpsgenieProbe {
    config: OpsgenieConfig,
}

impl OpsgenieProbe {
    /// A probe for the configured account.
    pub fn new(config: OpsgenieConfig) -> Self {
        Self { config }
    }
}

#[async_trait]
impl Probe for OpsgenieProbe {
    fn name(&self) -> &'static str {
        "opsgenie"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["oncall"]
    }

    async fn collect(&self, _ctx: &ScanContext) -> ProbeOutput {
        let Some(_url) = &self.config.api_url else {
            return ProbeOutput::failed(
                "opsgenie",
                "opsgenie",
                SourceStatus::NotConfigured,
                format!("no Opsgenie given; pass --opsgenie (credential from {TOKEN_ENV})"),
            );
        };
        ProbeOutput::failed(
            "opsgenie",
            "opsgenie",
            SourceStatus::Error,
            "reading Opsgenie is not built yet",
        )
    }
}
