//! `evident serve`: scans on a cron schedule, one at a time, kept in the history store, and
//! shown read-only over HTTP: a server-rendered page with trends (no JavaScript, no
//! external assets), a JSON API under `/api/`, `/metrics` in the Prometheus text
//! exposition format and `/healthz`.
//!
//! The library knows nothing of command-line flags: the binary hands it a [`ScanRunner`]
//! (run one scan, answer its JSON) and a [`ScanStore`] (the history), so the same server
//! runs over any plan and any store.

mod api;
mod auth;
mod charts;
mod metrics;
mod pages;
mod schedule;
mod state;
mod store;
#[cfg(test)]
mod tests;

pub use auth::{AuthPolicy, is_loopback_listen};
pub use metrics::render_metrics;
pub use schedule::{ScanStats, Schedule};
pub use store::{RetainedStore, ScanRecord, ScanStore};

use std::net::SocketAddr;
use std::sync::Arc;

/// Runs one scan for the server; the binary implements it over its scan plan, so the
/// server needs no knowledge of targets, credentials or flags.
#[async_trait::async_trait]
pub trait ScanRunner: Send + Sync + 'static {
    /// Runs one scan and answers the scan result as JSON (the exact bytes the store
    /// keeps), or why the scan could not run at all.
    async fn run(&self) -> Result<String, String>;
}

/// Everything `serve` needs besides the runner and the store.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (`127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// When scans run.
    pub schedule: Schedule,
    /// Run one scan at start-up, before the first tick.
    pub scan_now: bool,
    /// Who may read the page, the API and `/metrics`.
    pub auth: AuthPolicy,
    /// How many stored scans the trends and the scan list cover (newest first).
    pub trend_scans: u32,
}

/// What can stop `serve` before it serves.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound (in use, not ours, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The server stopped on an I/O error.
    #[error("serving: {0}")]
    Serve(std::io::Error),
    /// A page template did not compile (a bug of this build).
    #[error("page templates: {0}")]
    Template(#[from] minijinja::Error),
}

/// The router alone (no scheduler): every route, auth and the read-only guard, over
/// `store` with `stats` showing the scheduler's state. Exposed so tests and embedders
/// can drive it without a socket.
pub fn router(
    store: Arc<dyn ScanStore>,
    stats: Arc<ScanStats>,
    auth: AuthPolicy,
    trend_scans: u32,
) -> Result<axum::Router, ServeError> {
    let state = state::AppState::new(store, stats, trend_scans)?;
    Ok(state::routes(state, auth))
}

/// Serves until SIGTERM or Ctrl-C: binds `options.listen`, runs the schedule loop (one
/// scan at a time; a tick during a scan is skipped and counted; a failed scan is saved
/// with [`ScanStore::save_failure`] and the loop goes on) and answers HTTP. On the signal
/// it stops taking connections, lets open requests finish and abandons a scan in flight
/// (nothing half-written is saved).
pub async fn serve(
    options: ServeOptions,
    runner: Arc<dyn ScanRunner>,
    store: Arc<dyn ScanStore>,
) -> Result<(), ServeError> {
    let stats = Arc::new(ScanStats::default());
    let app = router(
        store.clone(),
        stats.clone(),
        options.auth.clone(),
        options.trend_scans,
    )?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })?;
    let bound = listener.local_addr().unwrap_or(options.listen);
    tracing::info!(
        "evident serve listening on http://{bound}, schedule {}",
        options.schedule
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(schedule::run_loop(
        options.schedule.clone(),
        options.scan_now,
        runner,
        store,
        stats,
        stop_rx,
    ));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new scans, finishing open requests");
            let _ = stop_tx.send(true);
        })
        .await;
    scheduler.abort();
    served.map_err(ServeError::Serve)
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM, the signal Kubernetes sends a pod.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
