//! The store itself: opening (and migrating) the database, saving scans, listing, loading,
//! history queries, retention and the shards of sharded runs.

use crate::StoreError;
use crate::location::{Backend, Location};
use evident_core::{ScanResult, Status, sha256_hex};
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::collections::BTreeMap;
use std::sync::Once;
use std::time::Duration;

/// The schema, embedded so a binary migrates any database it opens without files beside it.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The most scans [`Store::list`] returns, whatever limit is asked for: a listing is for
/// people and pages, and must not read a whole store into memory.
pub const MAX_LIST: u32 = 10_000;

/// How many of the newest scans [`Store::history`] looks back over.
pub const DEFAULT_HISTORY_SCANS: u32 = 1_000;

/// The most shards one sharded run may have (an Indexed Job's completions).
const MAX_SHARDS: u32 = 10_000;

/// Rows per multi-row insert: few statements per scan, far below both databases' limit on
/// bound parameters (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 500;

/// One scan as the store lists it, without its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredScan {
    /// The scan's own id (`scan.id` of its result); a failed scan gets a fresh uuid.
    pub id: String,
    /// RFC 3339 start time, as the scan gave it.
    pub started_at: String,
    /// RFC 3339 end time, as the scan gave it.
    pub finished_at: String,
    /// True when the scan produced a result; false for a failed scan.
    pub ok: bool,
    /// Why a failed scan failed.
    pub error: Option<String>,
    /// How long it ran, from its start and end times (0 when they do not parse).
    pub duration_ms: u64,
}

/// How many scans to keep. Both bounds apply when both are given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep only the newest N scans (failed ones count); `Some(0)` keeps none.
    pub keep_last: Option<u32>,
    /// Drop scans that started more than this many days ago (and shards and run claims
    /// older than that).
    pub max_age_days: Option<u32>,
}

/// One scan's view of one service: its levels and its verdicts (all of them, or those of
/// one criterion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The scan id.
    pub scan_id: String,
    /// When the scan started.
    pub started_at: String,
    /// The level attained per model, in model order.
    pub levels: Vec<HistoryLevel>,
    /// The verdicts, in model then criterion order.
    pub verdicts: Vec<HistoryVerdict>,
}

/// A level in a [`HistoryPoint`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLevel {
    /// Model id.
    pub model: String,
    /// The level attained; `None` for none, or for an unleveled model.
    pub attained: Option<u8>,
}

/// A verdict in a [`HistoryPoint`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryVerdict {
    /// Model id.
    pub model: String,
    /// Criterion id.
    pub criterion: String,
    /// The verdict.
    pub status: Status,
    /// The verdict's reason (the source status behind an `unknown`).
    pub reason: Option<String>,
}

/// A connection pool to one history database, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    location: String,
}

/// Installs the `Any` drivers once per process, whoever opens a store first.
fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// Milliseconds since the epoch of an RFC 3339 time, if it is one.
fn epoch_ms(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The order key and duration of a scan from its times: the start (now, when it does not
/// parse, so the scan sorts where it was saved) and the non-negative run time.
fn timing(started_at: &str, finished_at: &str) -> (i64, i64) {
    let start = epoch_ms(started_at);
    let duration = match (start, epoch_ms(finished_at)) {
        (Some(s), Some(f)) => f.saturating_sub(s).max(0),
        _ => 0,
    };
    (start.unwrap_or_else(now_ms), duration)
}

/// `$first, $first+1, ...` for `count` parameters: the placeholder syntax both SQLite and
/// PostgreSQL accept.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A multi-row `INSERT INTO table (columns) VALUES (...), (...)` for `rows` rows.
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| format!("({})", placeholders(r * width + 1, width)))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

impl Store {
    /// Opens the store at `location` (a path or `sqlite:PATH`: a SQLite file, created with
    /// its directory when absent; `postgres://` or `postgresql://`: a PostgreSQL database)
    /// and applies any migration it lacks.
    pub async fn open(location: &str) -> Result<Store, StoreError> {
        install_drivers();
        let parsed = Location::parse(location)?;
        let shown = parsed.display();
        let db = |source| StoreError::Database {
            location: shown.clone(),
            source,
        };
        let sqlite = matches!(parsed.backend, Backend::Sqlite(_));
        if let Backend::Sqlite(path) = &parsed.backend
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Location {
                location: shown.clone(),
                reason: format!("cannot create {}: {e}", dir.display()),
            })?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Readers (the page) never wait for the nightly writer, and writers
                        // wait for one another instead of failing at once.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&parsed.url()?)
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                location: shown.clone(),
                source,
            })?;
        tracing::debug!(location = %shown, "store opened");
        Ok(Store {
            pool,
            location: shown,
        })
    }

    /// The location as it may be printed (no password).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Wraps a driver error with the (redacted) location.
    fn db(&self, source: sqlx::Error) -> StoreError {
        StoreError::Database {
            location: self.location.clone(),
            source,
        }
    }

    /// Saves one scan result: `result_json` byte for byte with its sha256, plus a row per
    /// verdict and per level. Returns the scan id (`scan.id`). Saving the same bytes
    /// again is a no-op; other bytes under a stored id are a [`StoreError::Conflict`].
    pub async fn save(&self, result_json: &str) -> Result<String, StoreError> {
        let result: ScanResult =
            serde_json::from_str(result_json).map_err(StoreError::InvalidResult)?;
        let id = result.scan.id.clone();
        if id.trim().is_empty() {
            return Err(StoreError::InvalidResult(serde::de::Error::custom(
                "scan.id is empty",
            )));
        }
        let sha = sha256_hex(result_json.as_bytes());
        let (started_ms, duration_ms) = timing(&result.scan.started_at, &result.scan.finished_at);
        let mut tx = self.pool.begin().await.map_err(|e| self.db(e))?;
        let existing: Option<Option<String>> =
            sqlx::query_scalar("SELECT result_sha256 FROM scans WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| self.db(e))?;
        if let Some(existing) = existing {
            return if existing.as_deref() == Some(sha.as_str()) {
                Ok(id)
            } else {
                Err(StoreError::Conflict { id })
            };
        }
        sqlx::query(
            "INSERT INTO scans (id, started_at, finished_at, started_ms, duration_ms, ok, error, \
             result_sha256, result_json) VALUES ($1, $2, $3, $4, $5, 1, NULL, $6, $7)",
        )
        .bind(&id)
        .bind(&result.scan.started_at)
        .bind(&result.scan.finished_at)
        .bind(started_ms)
        .bind(duration_ms)
        .bind(&sha)
        .bind(result_json)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db(e))?;
        let columns = [
            "scan_id",
            "service",
            "model",
            "criterion",
            "status",
            "reason",
        ];
        for chunk in result.results.rows.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql("verdicts", &columns, chunk.len());
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(&id)
                    .bind(&row.service)
                    .bind(&row.model)
                    .bind(&row.criterion)
                    .bind(row.status.as_str())
                    .bind(row.reason.clone());
            }
            query.execute(&mut *tx).await.map_err(|e| self.db(e))?;
        }
        let columns = ["scan_id", "service", "model", "attained"];
        for chunk in result.levels.chunks(ROWS_PER_INSERT) {
            let sql = insert_sql("levels", &columns, chunk.len());
            let mut query = sqlx::query(&sql);
            for level in chunk {
                query = query
                    .bind(&id)
                    .bind(&level.service)
                    .bind(&level.model)
                    .bind(level.attained.map(i64::from));
            }
            query.execute(&mut *tx).await.map_err(|e| self.db(e))?;
        }
        tx.commit().await.map_err(|e| self.db(e))?;
        tracing::debug!(scan = %id, verdicts = result.results.rows.len(), "scan saved");
        Ok(id)
    }

    /// Records a scan that produced no result, so history shows the gap and why.
    pub async fn save_failure(
        &self,
        started_at: &str,
        finished_at: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let (started_ms, duration_ms) = timing(started_at, finished_at);
        sqlx::query(
            "INSERT INTO scans (id, started_at, finished_at, started_ms, duration_ms, ok, error, \
             result_sha256, result_json) VALUES ($1, $2, $3, $4, $5, 0, $6, NULL, NULL)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(started_at)
        .bind(finished_at)
        .bind(started_ms)
        .bind(duration_ms)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(|e| self.db(e))?;
        Ok(())
    }

    /// The newest scans first, successful and failed, at most `limit` (and at most
    /// [`MAX_LIST`]).
    pub async fn list(&self, limit: u32) -> Result<Vec<StoredScan>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, started_at, finished_at, ok, error, duration_ms FROM scans \
             ORDER BY started_ms DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit.min(MAX_LIST)))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db(e))?;
        rows.iter().map(|r| self.stored_scan(r)).collect()
    }

    /// Reads one row of [`Store::list`]'s query.
    fn stored_scan(&self, row: &AnyRow) -> Result<StoredScan, StoreError> {
        let get = |e| self.db(e);
        let ok: i64 = row.try_get("ok").map_err(get)?;
        let duration: i64 = row.try_get("duration_ms").map_err(get)?;
        Ok(StoredScan {
            id: row.try_get("id").map_err(get)?,
            started_at: row.try_get("started_at").map_err(get)?,
            finished_at: row.try_get("finished_at").map_err(get)?,
            ok: ok != 0,
            error: row.try_get("error").map_err(get)?,
            duration_ms: u64::try_from(duration).unwrap_or(0),
        })
    }

    /// The result JSON of scan `id`, exactly as it was saved; `None` when no such scan
    /// is stored or it failed (a failed scan has no result).
    pub async fn load_json(&self, id: &str) -> Result<Option<String>, StoreError> {
        let json: Option<Option<String>> =
            sqlx::query_scalar("SELECT result_json FROM scans WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| self.db(e))?;
        Ok(json.flatten())
    }

    /// The result of scan `id`, parsed; `None` as for [`Store::load_json`].
    pub async fn load(&self, id: &str) -> Result<Option<ScanResult>, StoreError> {
        match self.load_json(id).await? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|source| StoreError::CorruptResult {
                        id: id.to_owned(),
                        source,
                    })
            }
        }
    }

    /// The id a reference names: `latest` (the newest successful scan), `previous` (the
    /// one before it) or a stored successful scan's id; `None` when there is none.
    pub async fn resolve(&self, reference: &str) -> Result<Option<String>, StoreError> {
        let offset = match reference {
            "latest" => 0,
            "previous" => 1,
            id => {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT id FROM scans WHERE id = $1 AND ok = 1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| self.db(e))?;
                return Ok(found);
            }
        };
        sqlx::query_scalar(
            "SELECT id FROM scans WHERE ok = 1 ORDER BY started_ms DESC, id DESC LIMIT 1 OFFSET $1",
        )
        .bind(offset as i64)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.db(e))
    }

    /// The history of `service` over the newest [`DEFAULT_HISTORY_SCANS`] scans that
    /// judged it, oldest first: its levels and its verdicts (only `criterion`'s, when
    /// given).
    pub async fn history(
        &self,
        service: &str,
        criterion: Option<&str>,
    ) -> Result<Vec<HistoryPoint>, StoreError> {
        self.history_limited(service, criterion, DEFAULT_HISTORY_SCANS)
            .await
    }

    /// As [`Store::history`], over the newest `scans` scans (at most [`MAX_LIST`]).
    pub async fn history_limited(
        &self,
        service: &str,
        criterion: Option<&str>,
        scans: u32,
    ) -> Result<Vec<HistoryPoint>, StoreError> {
        let window = sqlx::query(
            "SELECT id, started_at, started_ms FROM scans WHERE ok = 1 AND id IN \
             (SELECT scan_id FROM levels WHERE service = $1 \
              UNION SELECT scan_id FROM verdicts WHERE service = $1) \
             ORDER BY started_ms DESC, id DESC LIMIT $2",
        )
        .bind(service)
        .bind(i64::from(scans.min(MAX_LIST)))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db(e))?;
        let Some(oldest) = window.last() else {
            return Ok(vec![]);
        };
        let since: i64 = oldest.try_get("started_ms").map_err(|e| self.db(e))?;
        let mut points: BTreeMap<String, HistoryPoint> = BTreeMap::new();
        let mut order = Vec::with_capacity(window.len());
        for row in window.iter().rev() {
            let id: String = row.try_get("id").map_err(|e| self.db(e))?;
            let started_at: String = row.try_get("started_at").map_err(|e| self.db(e))?;
            order.push(id.clone());
            points.insert(
                id.clone(),
                HistoryPoint {
                    scan_id: id,
                    started_at,
                    levels: vec![],
                    verdicts: vec![],
                },
            );
        }
        self.history_levels(service, since, &mut points).await?;
        self.history_verdicts(service, criterion, since, &mut points)
            .await?;
        Ok(order
            .into_iter()
            .filter_map(|id| points.remove(&id))
            .collect())
    }

    /// Fills the levels of the history points (scans since `since`).
    async fn history_levels(
        &self,
        service: &str,
        since: i64,
        points: &mut BTreeMap<String, HistoryPoint>,
    ) -> Result<(), StoreError> {
        let rows = sqlx::query(
            "SELECT l.scan_id, l.model, l.attained FROM levels l JOIN scans s ON s.id = l.scan_id \
             WHERE l.service = $1 AND s.started_ms >= $2 ORDER BY l.model",
        )
        .bind(service)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db(e))?;
        for row in rows {
            let scan: String = row.try_get("scan_id").map_err(|e| self.db(e))?;
            let Some(point) = points.get_mut(&scan) else {
                continue;
            };
            let attained: Option<i64> = row.try_get("attained").map_err(|e| self.db(e))?;
            point.levels.push(HistoryLevel {
                model: row.try_get("model").map_err(|e| self.db(e))?,
                attained: attained.and_then(|a| u8::try_from(a).ok()),
            });
        }
        Ok(())
    }

    /// Fills the verdicts of the history points (scans since `since`, one criterion or all).
    async fn history_verdicts(
        &self,
        service: &str,
        criterion: Option<&str>,
        since: i64,
        points: &mut BTreeMap<String, HistoryPoint>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT v.scan_id, v.model, v.criterion, v.status, v.reason FROM verdicts v \
             JOIN scans s ON s.id = v.scan_id WHERE v.service = $1 AND s.started_ms >= $2{} \
             ORDER BY v.model, v.criterion",
            if criterion.is_some() {
                " AND v.criterion = $3"
            } else {
                ""
            }
        );
        let mut query = sqlx::query(&sql).bind(service).bind(since);
        if let Some(criterion) = criterion {
            query = query.bind(criterion);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(|e| self.db(e))?;
        for row in rows {
            let scan: String = row.try_get("scan_id").map_err(|e| self.db(e))?;
            let Some(point) = points.get_mut(&scan) else {
                continue;
            };
            let status: String = row.try_get("status").map_err(|e| self.db(e))?;
            let Some(status) = Status::parse(&status) else {
                tracing::warn!(scan = %scan, status = %status, "stored verdict has an unknown status; skipped");
                continue;
            };
            point.verdicts.push(HistoryVerdict {
                model: row.try_get("model").map_err(|e| self.db(e))?,
                criterion: row.try_get("criterion").map_err(|e| self.db(e))?,
                status,
                reason: row.try_get("reason").map_err(|e| self.db(e))?,
            });
        }
        Ok(())
    }

    /// Deletes the scans `retention` does not keep, with their verdict and level rows;
    /// with `max_age_days`, also shards and run claims older than that. Returns how many
    /// scans were deleted.
    pub async fn prune(&self, retention: &Retention) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(|e| self.db(e))?;
        let mut deleted = 0;
        if let Some(keep) = retention.keep_last {
            let boundary = sqlx::query(
                "SELECT started_ms, id FROM scans ORDER BY started_ms DESC, id DESC \
                 LIMIT 1 OFFSET $1",
            )
            .bind(i64::from(keep))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.db(e))?;
            if let Some(row) = boundary {
                let ms: i64 = row.try_get("started_ms").map_err(|e| self.db(e))?;
                let id: String = row.try_get("id").map_err(|e| self.db(e))?;
                let cond = "started_ms < $1 OR (started_ms = $1 AND id <= $2)";
                deleted += delete_scans(&mut tx, cond, ms, Some(&id))
                    .await
                    .map_err(|e| self.db(e))?;
            }
        }
        if let Some(days) = retention.max_age_days {
            let cutoff = now_ms().saturating_sub(i64::from(days) * 86_400_000);
            deleted += delete_scans(&mut tx, "started_ms < $1", cutoff, None)
                .await
                .map_err(|e| self.db(e))?;
            for sql in [
                "DELETE FROM shards WHERE saved_ms < $1",
                "DELETE FROM claimed_runs WHERE claimed_ms < $1",
            ] {
                sqlx::query(sql)
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| self.db(e))?;
            }
        }
        tx.commit().await.map_err(|e| self.db(e))?;
        if deleted > 0 {
            tracing::info!(deleted, "pruned old scans");
        }
        Ok(deleted)
    }

    /// Saves shard `index` of `total` of sharded run `run_id` (replacing what a retried
    /// pod saved before). Every shard of a run must give the same `total`.
    pub async fn save_shard(
        &self,
        run_id: &str,
        index: u32,
        total: u32,
        shard_json: &str,
    ) -> Result<(), StoreError> {
        let invalid = |reason: &str| StoreError::InvalidShard {
            run_id: run_id.to_owned(),
            index,
            total,
            reason: reason.to_owned(),
        };
        if total == 0 || index >= total {
            return Err(invalid("the index must be below the shard count"));
        }
        if total > MAX_SHARDS {
            return Err(invalid(&format!("more than {MAX_SHARDS} shards")));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(shard_json)
            .map_err(StoreError::InvalidResult)?;
        let mut tx = self.pool.begin().await.map_err(|e| self.db(e))?;
        let other: Option<i64> = sqlx::query_scalar(
            "SELECT total FROM shards WHERE run_id = $1 AND total <> $2 LIMIT 1",
        )
        .bind(run_id)
        .bind(i64::from(total))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| self.db(e))?;
        if let Some(other) = other {
            return Err(invalid(&format!(
                "other shards of the run were saved with {other} shards"
            )));
        }
        sqlx::query("DELETE FROM shards WHERE run_id = $1 AND shard_index = $2")
            .bind(run_id)
            .bind(i64::from(index))
            .execute(&mut *tx)
            .await
            .map_err(|e| self.db(e))?;
        sqlx::query(
            "INSERT INTO shards (run_id, shard_index, total, saved_ms, shard_json) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run_id)
        .bind(i64::from(index))
        .bind(i64::from(total))
        .bind(now_ms())
        .bind(shard_json)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.db(e))?;
        tx.commit().await.map_err(|e| self.db(e))
    }

    /// The shards saved for `run_id`, in index order.
    pub async fn load_shards(&self, run_id: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT shard_json FROM shards WHERE run_id = $1 ORDER BY shard_index LIMIT $2",
        )
        .bind(run_id)
        .bind(i64::from(MAX_SHARDS))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.db(e))
    }

    /// How many shards of `run_id` are saved and how many the run has (`None` when none
    /// is saved), so a pod can tell whether its shard completed the set.
    pub async fn shard_count(&self, run_id: &str) -> Result<Option<(u32, u32)>, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS saved, MAX(total) AS total FROM shards WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.db(e))?;
        let saved: i64 = row.try_get("saved").map_err(|e| self.db(e))?;
        let total: Option<i64> = row.try_get("total").map_err(|e| self.db(e))?;
        Ok(total.map(|t| {
            (
                u32::try_from(saved).unwrap_or(u32::MAX),
                u32::try_from(t).unwrap_or(u32::MAX),
            )
        }))
    }

    /// Claims `run_id` for merging: true for exactly one caller across every process
    /// sharing the store (a unique insert), false for everyone after it.
    pub async fn claim_run(&self, run_id: &str) -> Result<bool, StoreError> {
        let inserted = sqlx::query("INSERT INTO claimed_runs (run_id, claimed_ms) VALUES ($1, $2)")
            .bind(run_id)
            .bind(now_ms())
            .execute(&self.pool)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(self.db(e)),
        }
    }

    /// The ids of every stored scan, newest first, at most [`MAX_LIST`]; for tests and
    /// tools that check what retention kept.
    pub async fn ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .list(MAX_LIST)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect())
    }
}

/// Deletes the scans matching `cond` (binding `$1` = `ms`, `$2` = `id` when given) and
/// their verdict and level rows; returns how many scans went.
async fn delete_scans(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    cond: &str,
    ms: i64,
    id: Option<&str>,
) -> Result<u64, sqlx::Error> {
    for table in ["verdicts", "levels"] {
        let sql =
            format!("DELETE FROM {table} WHERE scan_id IN (SELECT id FROM scans WHERE {cond})");
        let mut query = sqlx::query(&sql).bind(ms);
        if let Some(id) = id {
            query = query.bind(id);
        }
        query.execute(&mut **tx).await?;
    }
    let sql = format!("DELETE FROM scans WHERE {cond}");
    let mut query = sqlx::query(&sql).bind(ms);
    if let Some(id) = id {
        query = query.bind(id);
    }
    Ok(query.execute(&mut **tx).await?.rows_affected())
}
