//! What the server needs of the history store, as a trait: the binary hands it
//! `evident_store::Store`, tests an in-memory one.

use evident_core::ScanResult;
use serde::Serialize;

/// One stored scan, as the scan list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRecord {
    /// The scan id (for a failure, the id the store gave it).
    pub id: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// Whether the scan produced a result.
    pub ok: bool,
    /// Why a failed scan failed.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// The history the server reads and writes. Errors are the store's own words: the
/// server shows them (page, API, log) and never takes them as "no scans".
#[async_trait::async_trait]
pub trait ScanStore: Send + Sync + 'static {
    /// Saves a scan result (its exact JSON bytes); answers its id.
    async fn save(&self, result_json: &str) -> Result<String, String>;
    /// Records a scan that produced no result, and why.
    async fn save_failure(
        &self,
        started_at: &str,
        finished_at: &str,
        error: &str,
    ) -> Result<(), String>;
    /// The newest `limit` scans, newest first, failures included.
    async fn list(&self, limit: u32) -> Result<Vec<ScanRecord>, String>;
    /// One scan's result, parsed; `None` when no scan has that id.
    async fn load(&self, id: &str) -> Result<Option<ScanResult>, String>;
    /// One scan's result as stored, byte for byte; `None` when no scan has that id.
    async fn load_json(&self, id: &str) -> Result<Option<String>, String>;
}

/// The history store of `--store`: SQLite or PostgreSQL (errors in the store's words,
/// passwords redacted).
#[async_trait::async_trait]
impl ScanStore for evident_store::Store {
    async fn save(&self, result_json: &str) -> Result<String, String> {
        evident_store::Store::save(self, result_json)
            .await
            .map_err(|e| e.to_string())
    }

    async fn save_failure(
        &self,
        started_at: &str,
        finished_at: &str,
        error: &str,
    ) -> Result<(), String> {
        evident_store::Store::save_failure(self, started_at, finished_at, error)
            .await
            .map_err(|e| e.to_string())
    }

    async fn list(&self, limit: u32) -> Result<Vec<ScanRecord>, String> {
        let scans = evident_store::Store::list(self, limit)
            .await
            .map_err(|e| e.to_string())?;
        Ok(scans
            .into_iter()
            .map(|s| ScanRecord {
                id: s.id,
                started_at: s.started_at,
                finished_at: s.finished_at,
                ok: s.ok,
                error: s.error,
                duration_ms: s.duration_ms,
            })
            .collect())
    }

    async fn load(&self, id: &str) -> Result<Option<ScanResult>, String> {
        evident_store::Store::load(self, id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn load_json(&self, id: &str) -> Result<Option<String>, String> {
        evident_store::Store::load_json(self, id)
            .await
            .map_err(|e| e.to_string())
    }
}
