//! The schedule loop: a cron expression (croner), one scan at a time, never two at once.

use crate::{ScanRunner, ScanStore};
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// When scans run: a cron expression of five fields (minute first) or six (seconds
/// first), in UTC.
#[derive(Debug, Clone)]
pub struct Schedule {
    pattern: String,
    cron: croner::Cron,
}

impl Schedule {
    /// Parses a cron expression; the error says what is wrong with it, for a usage
    /// error that names the flag or config key.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let cron: croner::Cron = pattern
            .trim()
            .parse()
            .map_err(|e| format!("{pattern:?} is not a cron expression: {e}"))?;
        // A pattern that parses but never fires (February 30th) would leave the server
        // idle forever without a word.
        if cron.find_next_occurrence(&Utc::now(), false).is_err() {
            return Err(format!("{pattern:?} never fires"));
        }
        Ok(Self {
            pattern: pattern.trim().to_owned(),
            cron,
        })
    }

    /// The first time strictly after `after` that the schedule fires.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.pattern)
    }
}

/// What the scheduler did since the process started, for `/metrics` and the page.
#[derive(Debug, Default)]
pub struct ScanStats {
    /// A scan is running now.
    pub running: AtomicBool,
    /// Scans that produced a stored result.
    pub ok: AtomicU64,
    /// Scans that failed (or whose result could not be stored).
    pub failed: AtomicU64,
    /// Ticks that came while a scan was still running, and so started nothing.
    pub skipped: AtomicU64,
}

/// Resets the running flag however the scan task ends (done, panicked, aborted).
struct Running(Arc<ScanStats>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::SeqCst);
    }
}

/// RFC 3339 in UTC, to the millisecond, as the store keeps times.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Starts one scan unless one is running (then the tick is counted as skipped).
/// Answers whether a scan started.
pub(crate) fn start_scan(
    runner: &Arc<dyn ScanRunner>,
    store: &Arc<dyn ScanStore>,
    stats: &Arc<ScanStats>,
) -> Option<tokio::task::JoinHandle<()>> {
    if stats.running.swap(true, Ordering::SeqCst) {
        stats.skipped.fetch_add(1, Ordering::SeqCst);
        tracing::warn!("a scan is still running: this tick is skipped");
        return None;
    }
    let guard = Running(stats.clone());
    let (runner, store, stats) = (runner.clone(), store.clone(), stats.clone());
    Some(tokio::spawn(async move {
        let _guard = guard;
        run_once(runner.as_ref(), store.as_ref(), &stats).await;
    }))
}

/// Runs one scan and stores what came of it: the result, or the failure and why.
async fn run_once(runner: &dyn ScanRunner, store: &dyn ScanStore, stats: &ScanStats) {
    let started = Utc::now();
    let clock = Instant::now();
    tracing::info!("scan started");
    let outcome = runner.run().await;
    let finished = Utc::now();
    let secs = clock.elapsed().as_secs_f64();
    let failure = match outcome {
        Ok(json) => match store.save(&json).await {
            Ok(id) => {
                stats.ok.fetch_add(1, Ordering::SeqCst);
                tracing::info!("scan {id} stored ({secs:.1} s)");
                None
            }
            Err(e) => Some(format!(
                "the scan ran but its result could not be stored: {e}"
            )),
        },
        Err(e) => Some(e),
    };
    if let Some(error) = failure {
        stats.failed.fetch_add(1, Ordering::SeqCst);
        tracing::error!("scan failed after {secs:.1} s: {error}");
        if let Err(e) = store
            .save_failure(&rfc3339(started), &rfc3339(finished), &error)
            .await
        {
            tracing::error!("the failure could not be stored either: {e}");
        }
    }
}

/// Fires scans on `schedule` until `stop` turns true; one at start-up first when
/// `scan_now`.
pub(crate) async fn run_loop(
    schedule: Schedule,
    scan_now: bool,
    runner: Arc<dyn ScanRunner>,
    store: Arc<dyn ScanStore>,
    stats: Arc<ScanStats>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    if scan_now {
        start_scan(&runner, &store, &stats);
    }
    let mut last = Utc::now();
    loop {
        // Never the same tick twice, even if the timer wakes a little early.
        let from = Utc::now().max(last);
        let Some(next) = schedule.next_after(from) else {
            tracing::error!("the schedule {schedule} fires no more: no further scans");
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = tokio::time::sleep(wait) => {},
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        }
        if *stop.borrow() {
            return;
        }
        last = next;
        start_scan(&runner, &store, &stats);
    }
}
