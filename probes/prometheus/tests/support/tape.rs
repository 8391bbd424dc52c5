//! Helpers of the snapshot (record and replay) tests: an output as one comparable
//! document, ending a recording, reading every file of a snapshot, and naming where two
//! outputs first differ. Kept apart from `support` so the CLI's tests that share
//! `support` need no snapshot crate.

#![allow(dead_code)]

use std::path::Path;

/// What a probe's output is, as one comparable document (facts, evidence, sources).
pub fn output_json(out: &evident_core::ProbeOutput) -> serde_json::Value {
    serde_json::json!({
        "facts": out.facts,
        "evidence": serde_json::to_value(&out.evidence).unwrap_or_default(),
        "sources": serde_json::to_value(&out.sources).unwrap_or_default(),
    })
}

/// Ends a recording into its directory, as the CLI would after the scan.
pub fn finish_tape(tape: &evident_snapshot::Tape) {
    let meta = evident_snapshot::RunMeta {
        schema: String::new(),
        run: "run-1".into(),
        tool_version: "test".into(),
        observed_at: "2026-11-23T10:00:00Z".into(),
        plan: serde_json::json!({}),
        scan_sha256: String::new(),
    };
    let errors = tape.finish(meta, b"{}").expect("finish");
    assert!(errors.is_empty(), "{errors:?}");
}

/// Every file under `dir`, as text, so a test can look for a secret anywhere in it.
pub fn walk(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push_str(&walk(&path));
        } else {
            out.push_str(&String::from_utf8_lossy(
                &std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

/// Where two documents first differ (a JSON pointer and both values), for a short
/// failure message instead of two whole outputs.
pub fn first_difference(a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                let (l, r) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                first_difference(l, r).map(|d| format!("/{k}{d}"))
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r).map(|d| format!("/{i}{d}"))),
        _ if a == b => None,
        _ => Some(format!(": {a} != {b}")),
    }
}

/// Asserts two outputs are the same document, naming where they first differ.
pub fn assert_same(recorded: &serde_json::Value, replayed: &serde_json::Value) {
    if let Some(d) = first_difference(recorded, replayed) {
        panic!("the replayed output differs at {d}");
    }
}
