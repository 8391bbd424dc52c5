//! The PagerDuty probe: schedules, escalation policies, users, teams and incidents of one
//! PagerDuty account, as [`evident_oncall::OncallFacts`] under the capability `oncall`.
//!
//! Everything is read with GETs (`Authorization: Token token=...`, the versioned
//! `Accept`), every list page by page within bounds, retries only for 429 and 5xx. What
//! could not be read is said part by part (`accounts.pagerduty.unread` / `partial` and the
//! source report's `parts`), never left as an empty list that looks complete; services and
//! users are what every on-call criterion needs, so their failure (or a 401 anywhere)
//! fails the whole source. Emails and integration keys are written only as hashes, and
//! every text that leaves the probe goes through the scan's redactor with the token added.

#![warn(missing_docs)]

mod list;
mod parts;
mod read;
mod wire;

use async_trait::async_trait;
use chrono::{DateTime, Duration as Days, Utc};
use evident_core::{
    Probe, ProbeOutput, Progress, Redactor, ScanContext, SourceReport, SourceStatus, counted,
};
use evident_http::{Auth, JsonClient, Retry};
use evident_oncall::{Account, OncallFacts, PARTS, Tool};
use read::{Collected, Reader};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable holding the credential.
pub const TOKEN_ENV: &str = "EVIDENT_PAGERDUTY_TOKEN";

/// The API hosts PagerDuty runs, by region: one list, the CLI's `--pagerduty-region` and the
/// docs iterate it.
pub const REGIONS: &[(&str, &str)] = &[
    ("us", "https://api.pagerduty.com"),
    ("eu", "https://api.eu.pagerduty.com"),
];

/// The versioned media type PagerDuty's REST API v2 asks for.
pub const ACCEPT: &str = "application/vnd.pagerduty+json;version=2";

/// Most pages read of one list (one chunk of incidents counts as one list): 10,000
/// items at 100 a page, which is also where PagerDuty's classic pagination ends.
pub const MAX_PAGES: usize = 100;

/// Detail fetches (schedules, team members) in flight at once.
pub const CONCURRENCY: usize = 8;

/// How 429 and 5xx answers are retried: three more tries, waiting at most 30 s each
/// (PagerDuty's `ratelimit-reset` or `Retry-After`); past that the part is rate limited.
pub const RETRY: Retry = Retry {
    attempts: 3,
    max_wait: Duration::from_secs(30),
};

/// Largest answer read (a page of 100 incidents is well under 1 MiB).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// Where and how to read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PagerdutyConfig {
    /// API base URL; `None` when PagerDuty was not asked for. Written with any
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
    /// Most pages of one list ([`MAX_PAGES`]); past it the part is partial.
    pub max_pages: usize,
    /// Items asked per page (PagerDuty serves at most 100).
    pub page_size: usize,
    /// Detail requests in flight ([`CONCURRENCY`]).
    pub concurrency: usize,
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
            max_pages: MAX_PAGES,
            page_size: 100,
            concurrency: CONCURRENCY,
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
pub struct PagerdutyProbe {
    config: PagerdutyConfig,
    requests: Arc<AtomicUsize>,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl PagerdutyProbe {
    /// A probe for the configured account.
    pub fn new(config: PagerdutyConfig) -> Self {
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

    /// Requests sent by `collect` so far (retries included): the benchmark and the tests
    /// read it to show the probe stays within its request budget.
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
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

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let Some(url) = &self.config.api_url else {
            return ProbeOutput::failed(
                "pagerduty",
                "pagerduty",
                SourceStatus::NotConfigured,
                format!("no PagerDuty given; pass --pagerduty (credential from {TOKEN_ENV})"),
            );
        };
        let shown = ctx.redactor.redact(url);
        let Some(token) = &self.config.token else {
            return ProbeOutput::failed(
                "pagerduty",
                &shown,
                SourceStatus::NotConfigured,
                format!("no PagerDuty token; set {TOKEN_ENV} (a read-only REST API key)"),
            );
        };
        let redactor = Arc::new((*ctx.redactor).clone().with_secret(token.clone()));
        let client = match self.client(url, token) {
            Ok(c) => c,
            Err(e) => {
                let detail = redactor.redact(&e.to_string());
                return ProbeOutput::failed("pagerduty", &shown, SourceStatus::Error, detail);
            }
        };
        let reader = self.reader(client.clone(), shown, ctx, redactor);
        ctx.progress.begin(PROGRESS, PARTS.len() as u64);
        let out = read_account(&reader, self.config.window_days, &*ctx.progress).await;
        ctx.progress.end(PROGRESS);
        self.requests
            .fetch_add(client.requests(), Ordering::Relaxed);
        out
    }
}

impl PagerdutyProbe {
    /// The read-only client: token header, versioned `Accept`, retries of 429 and 5xx.
    fn client(&self, url: &str, token: &str) -> Result<JsonClient, evident_http::ClientError> {
        let auth = Auth::Header {
            prefix: "Token token=".into(),
            secret: token.to_owned(),
        };
        // A replay reads no file, the CA certificate neither: nothing is sent.
        let ca_cert = match self.tape.is_replaying() {
            true => None,
            false => self.config.ca_cert.as_deref(),
        };
        Ok(
            JsonClient::new(url, &auth, ca_cert, self.config.request_timeout, MAX_BODY)?
                .with_header("accept", ACCEPT)?
                .with_retry(RETRY)
                .with_tape(
                    self.tape.clone(),
                    format!("pagerduty:{}", evident_http::without_userinfo(url)),
                ),
        )
    }

    /// The shared reader state; the window counts back from the scan's time.
    fn reader(
        &self,
        client: JsonClient,
        source: String,
        ctx: &ScanContext,
        redactor: Arc<Redactor>,
    ) -> Reader {
        let now = DateTime::parse_from_rfc3339(&ctx.observed_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        Reader {
            client,
            paging: list::Paging {
                max_pages: self.config.max_pages.max(1),
                page_size: self.config.page_size,
            },
            permits: Arc::new(tokio::sync::Semaphore::new(self.config.concurrency.max(1))),
            source,
            observed_at: ctx.observed_at.clone(),
            redactor,
            now,
            since: now - Days::days(i64::from(self.config.window_days)),
        }
    }
}

/// The progress phase of a read: one step per part of [`PARTS`] as it finishes.
const PROGRESS: &str = "Reading PagerDuty";

/// Reads the account: services and users first (the source cannot stand without them),
/// then the other parts side by side.
async fn read_account(r: &Reader, window_days: u32, progress: &dyn Progress) -> ProbeOutput {
    let mut facts = OncallFacts::default();
    facts.accounts.insert(
        read::ACCOUNT.to_owned(),
        Account {
            tool: Some(Tool::Pagerduty),
            api: r.source.clone(),
            now: read::ts(r.now),
            since: read::ts(r.since),
            window_days,
            ..Account::default()
        },
    );
    let mut c = Collected::new(facts, Arc::clone(&r.redactor));
    let (services, users) = tokio::join!(
        counted(progress, PROGRESS, parts::services(r)),
        counted(progress, PROGRESS, parts::users(r))
    );
    for s in c.absorb(services) {
        c.facts.services.insert(s.key.clone(), s);
    }
    for u in c.absorb(users) {
        c.facts.users.insert(u.key.clone(), u);
    }
    c.require("services");
    c.require("users");
    if c.fatal.is_none() {
        read_rest(r, &mut c, progress).await;
    }
    c.unread_rest(PARTS);
    finish(r, c)
}

/// Escalation policies, teams, schedules, incidents and change events, side by side.
async fn read_rest(r: &Reader, c: &mut Collected, progress: &dyn Progress) {
    let (policies, teams, schedules, incidents, changes) = tokio::join!(
        counted(progress, PROGRESS, parts::policies(r)),
        counted(progress, PROGRESS, parts::teams(r)),
        counted(progress, PROGRESS, parts::schedules(r)),
        counted(progress, PROGRESS, parts::incidents(r)),
        counted(progress, PROGRESS, parts::change_events(r))
    );
    for p in c.absorb(policies) {
        c.facts.escalation_policies.insert(p.key.clone(), p);
    }
    for t in c.absorb(teams) {
        c.facts.teams.insert(t.key.clone(), t);
    }
    for s in c.absorb(schedules) {
        c.facts.schedules.insert(s.key.clone(), s);
    }
    c.facts.incidents = c.absorb(incidents);
    c.facts.change_events = c.absorb(changes);
}

/// The facts (redacted), evidence and the one source report with every part.
fn finish(r: &Reader, c: Collected) -> ProbeOutput {
    let Collected {
        facts,
        evidence,
        mut parts,
        incomplete,
        fatal,
        ..
    } = c;
    for part in PARTS {
        parts
            .entry((*part).to_owned())
            .or_insert(evident_core::PartReport {
                status: SourceStatus::Ok,
                detail: None,
                incomplete: Vec::new(),
            });
    }
    let unread: Vec<String> = parts
        .iter()
        .filter(|(_, p)| p.status != SourceStatus::Ok)
        .map(|(k, p)| format!("{k} ({})", p.status))
        .collect();
    let summary = format!(
        "read {} service(s), {} escalation policy(ies), {} schedule(s), {} user(s), {} team(s), {} incident(s), {} change event(s) over {} day(s){}{}",
        facts.services.len(),
        facts.escalation_policies.len(),
        facts.schedules.len(),
        facts.users.len(),
        facts.teams.len(),
        facts.incidents.len(),
        facts.change_events.len(),
        (r.now - r.since).num_days(),
        if unread.is_empty() {
            String::new()
        } else {
            format!("; not read: {}", unread.join(", "))
        },
        if incomplete.is_empty() {
            String::new()
        } else {
            format!("; {} item(s) cut (see incomplete)", incomplete.len())
        },
    );
    let (status, detail) = match fatal {
        Some((status, why)) => (status, format!("{why}; {summary}")),
        None => (SourceStatus::Ok, summary),
    };
    let mut report = SourceReport::new(
        "pagerduty",
        r.source.clone(),
        status,
        Some(r.redactor.redact(&detail)),
    );
    report.incomplete = incomplete;
    report.parts = parts;
    if report.status == SourceStatus::Ok {
        report.window = Some(evident_core::TimeWindow {
            from: read::ts(r.since),
            to: read::ts(r.now),
            what: "incidents and change events".into(),
        });
    }
    let mut value = facts.to_value();
    r.redactor.redact_json(&mut value);
    let mut evidence = evidence;
    for ev in &mut evidence {
        ev.id = r.redactor.redact_secrets(&ev.id);
        ev.locator = r.redactor.redact_secrets(&ev.locator);
    }
    ProbeOutput {
        facts: value,
        evidence,
        sources: vec![report],
    }
}
