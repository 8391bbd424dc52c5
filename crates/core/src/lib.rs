//! The vocabulary every part of evident shares.
//!
//! Probes, the rule engine, renderers and the CLI meet only through these types, so a
//! probe can be added without the engine knowing its internals, and a saved scan result
//! can be rendered long after the systems it describes have changed.

pub mod dora;
pub mod evidence;
pub mod hidden;
pub mod probe;
pub mod redact;
pub mod resolution;
pub mod result;
pub mod status;

pub use dora::{DoraBand, DoraMeasure, DoraMeasures, DoraStatus};
pub use evidence::{Evidence, EvidenceLocation, sha256_hex};
pub use probe::{
    FailureScope, NoProgress, PartReport, Probe, ProbeOutput, Progress, ScanContext, SourceReport,
    TimeWindow, UnreadItem, counted, run_probe,
};
pub use redact::{REDACTED, Redactor};
pub use resolution::{ServiceJoin, UnresolvedItem};
pub use result::{
    Blockers, CriterionInfo, CriterionResult, ESTATE_SUBJECT, LevelReport, LevelShare,
    MAX_ROW_SUMMARY, SCAN_RESULT_SCHEMA, SCAN_RESULT_SCHEMA_V1, SCAN_RESULT_SCHEMAS_READ, ScanInfo,
    ScanResult, ScanResultError, ScopedResult, Service, SharedScope, ToolInfo, UnknownBlocker,
    Unreadable, Verdicts, shorten,
};
pub use status::{SourceStatus, Status};
