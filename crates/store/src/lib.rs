//! Scan history for evident: every scan kept with its result, in SQLite (a file, the
//! default) or PostgreSQL (for shared deployments), behind one set of portable migrations.
//!
//! A stored scan keeps its result JSON byte for byte (and the sha256 of those bytes), so
//! what the store hands back equals the file a user was given; beside it, one row per
//! verdict and per level answers history queries without parsing every result. Failed
//! scans are kept too, so a trend shows the nights nothing could be judged. The shards of a
//! sharded run are kept until one pod claims the run and merges them.
//!
//! [`diff`] compares two results (pure, no store needed) for `evident diff` and CI gates.

pub mod diff;
mod location;
mod store;

pub use location::{Backend, Location};
pub use store::{
    DEFAULT_HISTORY_SCANS, HistoryLevel, HistoryPoint, HistoryVerdict, MAX_LIST, Retention, Store,
    StoredScan,
};

/// Why a store operation failed. Messages never carry a password from the location.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The location is neither a path, `sqlite:PATH` nor a PostgreSQL URL.
    #[error("store location {location:?} is not a path, sqlite:PATH or postgres:// URL: {reason}")]
    Location {
        /// The location as given, password redacted.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened, migrated or queried.
    #[error("store {location}: {source}")]
    Database {
        /// The location, password redacted.
        location: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The migrations could not be applied.
    #[error("store {location}: migrating the schema failed: {source}")]
    Migrate {
        /// The location, password redacted.
        location: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// What was given to save is not a scan result this version reads.
    #[error("not a scan result: {0}")]
    InvalidResult(#[source] serde_json::Error),
    /// A stored result no longer parses (written by an incompatible version, or altered).
    #[error("stored scan {id} does not parse as a scan result: {source}")]
    CorruptResult {
        /// The scan id.
        id: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A scan with this id is already stored with different bytes.
    #[error("a different scan with id {id} is already stored")]
    Conflict {
        /// The scan id.
        id: String,
    },
    /// A shard's index or total makes no sense (index not below total, or a total that
    /// differs from the other shards of the run).
    #[error("shard {index}/{total} of run {run_id}: {reason}")]
    InvalidShard {
        /// The run id.
        run_id: String,
        /// The shard index given.
        index: u32,
        /// The shard count given.
        total: u32,
        /// What is wrong.
        reason: String,
    },
}
