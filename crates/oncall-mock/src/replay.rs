//! What the PagerDuty and Opsgenie record/replay tests share: a probe's output as the
//! scan writes it, every byte a snapshot holds as text (for the canary search), and a
//! recording ended as the CLI ends one.

use evident_core::{ProbeOutput, Redactor};
use evident_snapshot::{RunMeta, Tape};
use serde_json::Value;
use std::path::Path;

/// The output as the scan writes it: one document, after the last redaction pass.
pub fn written(out: &ProbeOutput, redactor: &Redactor) -> Value {
    let mut v = serde_json::json!({
        "facts": out.facts,
        "evidence": serde_json::to_value(&out.evidence).unwrap_or_default(),
        "sources": serde_json::to_value(&out.sources).unwrap_or_default(),
    });
    redactor.redact_json(&mut v);
    v
}

/// Every file under `dir`, as text (lossy), concatenated: where a leaked secret would be.
pub fn snapshot_text(dir: &Path) -> std::io::Result<String> {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&snapshot_text(&path)?);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&path)?));
        }
    }
    Ok(out)
}

/// Ends a recording on `tape` as run `run-1` observed at `now`; the errors the tape
/// met while writing (none expected).
pub fn finish(tape: &Tape, now: &str) -> Result<Vec<String>, evident_snapshot::SnapshotError> {
    let meta = RunMeta {
        schema: String::new(),
        run: "run-1".into(),
        tool_version: "test".into(),
        observed_at: now.into(),
        plan: serde_json::json!({}),
        scan_sha256: String::new(),
    };
    tape.finish(meta, b"{}")
}
