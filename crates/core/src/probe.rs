//! The probe contract: how a system's reader hands facts to the rest of evident.

use crate::evidence::Evidence;
use crate::redact::Redactor;
use crate::status::SourceStatus;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How one source answered, as shown in `sources[]` of a scan result.
///
/// Rules read these to decide `unknown`; people read `detail` to learn what to fix
/// ("no --prometheus given", "403 on pods in namespace shop").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    /// The probe that tried the source.
    pub probe: String,
    /// The source itself: a path, URL or cluster context.
    pub source: String,
    /// How it answered.
    pub status: SourceStatus,
    /// What went wrong or what was skipped, in words a person can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What the source answered but evident could not read (a dashboard that did not
    /// parse, a junk object, a pagination cut at its bound), one entry each. A source with
    /// entries here is `ok` for what it did read: that can prove `met`, but `not_met`
    /// needs a complete read, so the engine turns a `not_met` or `not_applicable` of a
    /// criterion reading this source into `unknown` (reason `partial`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<UnreadItem>,
    /// How each part of the source answered (Prometheus' targets, rules, history), when
    /// the source has parts a criterion can name (`sources: [prometheus.rules]`): one
    /// part failing then only takes the criteria that read it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, PartReport>,
    /// The stretch of time the source's evidence covers (commit history over N days,
    /// a Prometheus range query), when it reads over time: the report shows this as the
    /// evidence's time window instead of the scan's own start and end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<TimeWindow>,
}

/// A time range evidence was read over, as an auditor asks for it ("which period does
/// this cover?").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Start, RFC 3339.
    pub from: String,
    /// End, RFC 3339.
    pub to: String,
    /// What was read over it, in words ("commits on main, 180 days").
    pub what: String,
}

impl SourceReport {
    /// A report with no parts and nothing incomplete: what most sources give.
    pub fn new(
        probe: impl Into<String>,
        source: impl Into<String>,
        status: SourceStatus,
        detail: Option<String>,
    ) -> Self {
        Self {
            probe: probe.into(),
            source: source.into(),
            status,
            detail,
            incomplete: Vec::new(),
            parts: BTreeMap::new(),
            window: None,
        }
    }
}

/// How one part of a source answered; see [`SourceReport::parts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartReport {
    /// How the part answered.
    pub status: SourceStatus,
    /// What went wrong, with the API path, in words a person can act on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What the part answered but could not be read; see [`SourceReport::incomplete`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<UnreadItem>,
}

/// One item a source answered that could not be read, so a person can open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadItem {
    /// The object, file or API path (`/api/dashboards/uid/abc`, `Deployment shop/cart`).
    pub location: String,
    /// Why it could not be read (`HTTP 500`, `containers is not a list`, `truncated at
    /// 100 pages`).
    pub reason: String,
}

impl UnreadItem {
    /// An item at `location` that could not be read for `reason`.
    pub fn new(location: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            reason: reason.into(),
        }
    }
}

/// How far a failed source reaches: the whole capability, or only what came from it.
///
/// A cluster or a Prometheus that failed could hold part of any service, so every
/// criterion reading the capability is `unknown`. A repository that failed holds only its
/// own services (resolution makes none from it and lists it as unresolved), so the other
/// repositories are still judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureScope {
    /// One failed source fails the capability for every service.
    Capability,
    /// A failed source takes only the services made from it.
    Source,
}

/// Everything one probe learned: facts for the rules, the evidence they cite, and how each
/// source answered. A failure is a source status, never an error that aborts the scan.
#[derive(Debug, Clone, Default)]
pub struct ProbeOutput {
    /// The probe's section of the facts document (`input.facts.<probe>`).
    pub facts: serde_json::Value,
    /// Evidence records the facts cite by id.
    pub evidence: Vec<Evidence>,
    /// One report per source the probe tried.
    pub sources: Vec<SourceReport>,
}

impl ProbeOutput {
    /// The output of a probe that could not run at all: no facts, one source status.
    pub fn failed(
        probe: &str,
        source: &str,
        status: SourceStatus,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            facts: serde_json::Value::Null,
            evidence: Vec::new(),
            sources: vec![SourceReport::new(
                probe,
                source,
                status,
                Some(detail.into()),
            )],
        }
    }
}

/// What a probe is asked to look at, and the bounds it must keep.
///
/// One context per scan, shared by every probe, so that all evidence carries the same
/// observation time and all probes redact with the same known secrets.
#[derive(Debug, Clone)]
pub struct ScanContext {
    /// Local repositories (or plain directories) to read.
    pub repositories: Vec<PathBuf>,
    /// Read the working tree instead of HEAD.
    pub worktree: bool,
    /// The longest any single probe may run before its sources are reported `timeout`.
    pub probe_timeout: Duration,
    /// RFC 3339 time stamped on every evidence record of this scan.
    pub observed_at: String,
    /// Redaction every excerpt goes through.
    pub redactor: Arc<Redactor>,
    /// Where long reads (hundreds of repositories) report how far they are.
    pub progress: Arc<dyn Progress>,
    /// The key of each of `repositories` (same order), when the caller decided them over
    /// a larger list than this context holds (a shard of an estate: keys stay those of
    /// the whole estate). Empty: the probes derive keys from `repositories` alone.
    pub repo_keys: Vec<String>,
}

/// How a long read tells the person waiting how far it is: the CLI draws a progress bar
/// on a terminal, and nothing when output is piped. A trait so the scan library owns no
/// UI and `serve` can count instead of draw.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// A phase with `total` steps starts.
    fn begin(&self, phase: &str, total: u64);
    /// One step of `phase` is done.
    fn advance(&self, phase: &str);
    /// `phase` is over.
    fn end(&self, phase: &str);
}

/// Awaits `work`, then counts one step of `phase`: how a probe that reads its parts side
/// by side (`tokio::join!`) reports each part as it finishes, in whatever order.
pub async fn counted<F: std::future::Future>(
    progress: &dyn Progress,
    phase: &str,
    work: F,
) -> F::Output {
    let out = work.await;
    progress.advance(phase);
    out
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _phase: &str, _total: u64) {}
    fn advance(&self, _phase: &str) {}
    fn end(&self, _phase: &str) {}
}

impl ScanContext {
    /// A context for the given repositories with the default bounds (60 s per probe).
    pub fn new(repositories: Vec<PathBuf>, observed_at: String) -> Self {
        Self {
            repositories,
            worktree: false,
            probe_timeout: Duration::from_secs(60),
            observed_at,
            redactor: Arc::new(Redactor::new()),
            progress: Arc::new(NoProgress),
            repo_keys: Vec::new(),
        }
    }
}

/// A reader of one kind of system.
///
/// Probes are read-only by construction: they hold no client that can write.
#[async_trait]
pub trait Probe: Send + Sync {
    /// Stable name, used in facts (`input.facts.<name>`) and in evidence ids.
    fn name(&self) -> &'static str;
    /// The capabilities it provides (`input.sources.<capability>`), primary first: its
    /// facts are filed under the primary one (`input.facts.<capability>`), and facts of
    /// several probes providing one capability merge (PagerDuty and Opsgenie both give
    /// `oncall`). Rules ask for capabilities, never for probes.
    fn capabilities(&self) -> &'static [&'static str];
    /// How far one of its sources failing reaches; see [`FailureScope`].
    fn failure_scope(&self) -> FailureScope {
        FailureScope::Capability
    }
    /// Collect facts. Never panics on bad input; a failure is a source status.
    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput;
}

/// Runs one probe within the context's time bound, turning a timeout or a panic into a
/// source status so that one broken probe never takes the scan down with it.
pub async fn run_probe(probe: Arc<dyn Probe>, ctx: Arc<ScanContext>) -> ProbeOutput {
    let name = probe.name();
    let limit = ctx.probe_timeout;
    let task = {
        let ctx = Arc::clone(&ctx);
        tokio::spawn(async move { probe.collect(&ctx).await })
    };
    let abort = task.abort_handle();
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(output)) => output,
        Ok(Err(join_error)) => {
            tracing::error!(probe = name, "probe stopped unexpectedly: {join_error}");
            ProbeOutput::failed(
                name,
                name,
                SourceStatus::Error,
                format!("the {name} probe stopped unexpectedly; please report this as a bug"),
            )
        }
        Err(_) => {
            abort.abort();
            ProbeOutput::failed(
                name,
                name,
                SourceStatus::Timeout,
                format!(
                    "the {name} probe did not finish within {}s",
                    limit.as_secs_f32()
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sleepy;
    #[async_trait]
    impl Probe for Sleepy {
        fn name(&self) -> &'static str {
            "sleepy"
        }
        fn capabilities(&self) -> &'static [&'static str] {
            &["sleepy"]
        }
        async fn collect(&self, _ctx: &ScanContext) -> ProbeOutput {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            ProbeOutput::default()
        }
    }

    struct Panicky;
    #[async_trait]
    impl Probe for Panicky {
        fn name(&self) -> &'static str {
            "panicky"
        }
        fn capabilities(&self) -> &'static [&'static str] {
            &["panicky"]
        }
        async fn collect(&self, _ctx: &ScanContext) -> ProbeOutput {
            panic!("boom")
        }
    }

    fn ctx() -> Arc<ScanContext> {
        let mut c = ScanContext::new(vec![], "2026-01-01T00:00:00Z".into());
        c.probe_timeout = Duration::from_millis(50);
        Arc::new(c)
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_past_its_time_bound_is_reported_as_timeout() {
        let out = run_probe(Arc::new(Sleepy), ctx()).await;
        assert_eq!(out.sources[0].status, SourceStatus::Timeout);
    }

    #[tokio::test]
    async fn a_panicking_probe_becomes_an_error_status() {
        let out = run_probe(Arc::new(Panicky), ctx()).await;
        assert_eq!(out.sources[0].status, SourceStatus::Error);
        assert!(out.facts.is_null());
    }
}
