//! The probe contract: how a system's reader hands facts to the rest of evident.

use crate::evidence::Evidence;
use crate::redact::Redactor;
use crate::status::SourceStatus;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
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
            sources: vec![SourceReport {
                probe: probe.to_owned(),
                source: source.to_owned(),
                status,
                detail: Some(detail.into()),
            }],
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
