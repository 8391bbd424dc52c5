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

/// The history store with the estate's retention (`retention:`, `--keep-last`,
/// `--keep-days`) applied after every save, so a server scanning hourly keeps what the
/// retention says rather than every scan since it started. A prune that fails is logged
/// and the scan stays saved: losing a result to a failed clean-up would be worse.
pub struct RetainedStore {
    /// The store scans are saved in.
    pub store: evident_store::Store,
    /// What to keep; nothing is pruned when both bounds are `None`.
    pub retention: evident_store::Retention,
}

impl RetainedStore {
    async fn prune(&self) {
        let r = &self.retention;
        if r.keep_last.is_none() && r.max_age_days.is_none() {
            return;
        }
        match self.store.prune(r).await {
            Ok(pruned) => tracing::info!(pruned, "old scans pruned"),
            Err(e) => tracing::warn!("pruning the history store failed: {e}"),
        }
    }
}

#[async_trait::async_trait]
impl ScanStore for RetainedStore {
    async fn save(&self, result_json: &str) -> Result<String, String> {
        let id = ScanStore::save(&self.store, result_json).await?;
        self.prune().await;
        Ok(id)
    }

    async fn save_failure(
        &self,
        started_at: &str,
        finished_at: &str,
        error: &str,
    ) -> Result<(), String> {
        ScanStore::save_failure(&self.store, started_at, finished_at, error).await?;
        self.prune().await;
        Ok(())
    }

    async fn list(&self, limit: u32) -> Result<Vec<ScanRecord>, String> {
        ScanStore::list(&self.store, limit).await
    }

    async fn load(&self, id: &str) -> Result<Option<ScanResult>, String> {
        ScanStore::load(&self.store, id).await
    }

    async fn load_json(&self, id: &str) -> Result<Option<String>, String> {
        ScanStore::load_json(&self.store, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real SQLite store: three saves (a failure among them) under `keep_last: 2`
    /// leave the newest two.
    #[tokio::test]
    async fn every_save_applies_the_retention() {
        let dir = std::env::temp_dir().join(format!("evident-serve-retain-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let location = dir.join("h.db").display().to_string();
        let store = evident_store::Store::open(&location).await.expect("open");
        let retained = RetainedStore {
            store,
            retention: evident_store::Retention {
                keep_last: Some(2),
                max_age_days: None,
            },
        };
        let scan = |id: &str, at: &str| {
            let mut doc: serde_json::Value = serde_json::from_str(include_str!(
                "../../../fixtures/scan-results/all-statuses.json"
            ))
            .expect("fixture");
            doc["scan"]["id"] = id.into();
            doc["scan"]["started_at"] = at.into();
            doc["scan"]["finished_at"] = at.into();
            doc.to_string()
        };
        ScanStore::save(&retained, &scan("s1", "2026-12-01T01:00:00Z"))
            .await
            .expect("save 1");
        retained
            .save_failure("2026-12-01T02:00:00Z", "2026-12-01T02:00:01Z", "no answer")
            .await
            .expect("failure");
        ScanStore::save(&retained, &scan("s3", "2026-12-01T03:00:00Z"))
            .await
            .expect("save 3");
        let kept = retained.list(10).await.expect("list");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[0].id, "s3");
        assert!(!kept[1].ok, "the failure is the second newest");
    }
}
