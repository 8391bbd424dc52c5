//! `evident replay`: a recorded scan's plan read back from its snapshot, and what a
//! replayed result changed against the recorded one.
//!
//! The replay itself is an ordinary [`crate::scan`] of the recorded plan with the tape
//! replaying: the same library call, so the same result, field for field, but
//! [`MAY_DIFFER`].

use crate::{ScanError, ScanPlan};
use evident_snapshot::{RunMeta, Tape};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The fields of a scan result (JSON pointers) a replay of the same evident writes anew:
/// the scan's own id and times. Every other byte must be the recorded one.
pub const MAY_DIFFER: &[&str] = &["/scan/id", "/scan/started_at", "/scan/finished_at"];

/// The most differing fields (other than verdicts) a comparison lists.
pub const MAX_LISTED_FIELDS: usize = 50;

/// A recorded run, ready to be judged again.
pub struct Recorded {
    /// The plan it was recorded with, its observation time fixed to the recorded one
    /// and its tape replaying the run.
    pub plan: ScanPlan,
    /// `run.json`.
    pub meta: RunMeta,
    /// The bytes of the `scan.json` the recorded run wrote.
    pub scan_json: Vec<u8>,
}

/// What to judge differently from the recording ("what would last night's estate get
/// under these rules?"). `None` keeps what was recorded.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Policy directories instead of the recorded ones.
    pub policies: Option<Vec<PathBuf>>,
    /// Models instead of the recorded ones.
    pub models: Option<Vec<String>>,
}

impl Overrides {
    /// Whether anything is judged differently.
    pub fn any(&self) -> bool {
        self.policies.is_some() || self.models.is_some()
    }
}

/// Opens run `run` of `dir` (the latest when `None`) for a replay: reads its index,
/// `run.json` and `scan.json`, and the plan inside. The plan writes no rule input file
/// (`--dump-input` is not replayed).
pub fn open(dir: &Path, run: Option<&str>, overrides: &Overrides) -> Result<Recorded, ScanError> {
    let snapshot = |e: evident_snapshot::SnapshotError| ScanError::Snapshot(e.to_string());
    let (tape, meta) = Tape::replay(dir, run).map_err(snapshot)?;
    let scan_path = dir.join("runs").join(&meta.run).join("scan.json");
    let scan_json = std::fs::read(&scan_path)
        .map_err(|e| ScanError::Snapshot(format!("{}: {e}", scan_path.display())))?;
    let mut plan: ScanPlan = serde_json::from_value(meta.plan.clone()).map_err(|e| {
        ScanError::Snapshot(format!(
            "{}: the recorded plan is not one this evident reads: {e}",
            dir.join("runs").join(&meta.run).join("run.json").display()
        ))
    })?;
    plan.observed_at = Some(meta.observed_at.clone());
    plan.snapshot = tape;
    plan.dump_input = None;
    plan.shard = None;
    match &overrides.policies {
        Some(p) => plan.judging.policies = p.clone(),
        None => plan.judging.policies_from_snapshot = true,
    }
    if let Some(m) = &overrides.models {
        plan.judging.models = m.clone();
    }
    Ok(Recorded {
        plan,
        meta,
        scan_json,
    })
}

/// One verdict that is not the same in two results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerdictChange {
    /// The model.
    pub model: String,
    /// The service.
    pub service: String,
    /// The criterion.
    pub criterion: String,
    /// Its status in the recorded result (`None`: not judged there).
    pub recorded: Option<String>,
    /// Its status in the replayed result (`None`: not judged there).
    pub replayed: Option<String>,
}

impl std::fmt::Display for VerdictChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} ({}): {} -> {}",
            self.service,
            self.criterion,
            self.model,
            self.recorded.as_deref().unwrap_or("(not judged)"),
            self.replayed.as_deref().unwrap_or("(not judged)")
        )
    }
}

/// How a replayed result compares with the recorded one.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Equal in every field but [`MAY_DIFFER`].
    pub identical: bool,
    /// Verdicts whose status differs, or that only one result holds.
    pub verdicts: Vec<VerdictChange>,
    /// JSON pointers of the other differing fields (at most [`MAX_LISTED_FIELDS`]).
    pub fields: Vec<String>,
}

/// Compares two scan results (as JSON): identical but for [`MAY_DIFFER`], which verdicts
/// changed, and where else they differ.
pub fn compare(recorded: &Value, replayed: &Value) -> Comparison {
    let mut a = recorded.clone();
    let mut b = replayed.clone();
    for doc in [&mut a, &mut b] {
        for pointer in MAY_DIFFER {
            remove(doc, pointer);
        }
    }
    if a == b {
        return Comparison {
            identical: true,
            ..Comparison::default()
        };
    }
    let (va, vb) = (verdicts(&a), verdicts(&b));
    let mut keys: Vec<&(String, String, String)> = va.keys().chain(vb.keys()).collect();
    keys.sort();
    keys.dedup();
    let verdicts = keys
        .into_iter()
        .filter(|k| va.get(*k) != vb.get(*k))
        .map(|k| VerdictChange {
            model: k.0.clone(),
            service: k.1.clone(),
            criterion: k.2.clone(),
            recorded: va.get(k).cloned(),
            replayed: vb.get(k).cloned(),
        })
        .collect();
    let mut fields = Vec::new();
    diff_fields(&a, &b, String::new(), &mut fields);
    Comparison {
        identical: false,
        verdicts,
        fields,
    }
}

/// Removes the field `pointer` names, when present.
fn remove(doc: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = doc.pointer_mut(parent) {
        map.remove(key);
    }
}

/// (model, service, criterion) -> status of every verdict row.
fn verdicts(doc: &Value) -> BTreeMap<(String, String, String), String> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    doc.get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            (
                (text(r, "model"), text(r, "service"), text(r, "criterion")),
                text(r, "status"),
            )
        })
        .collect()
}

/// The pointers where `a` and `b` differ, deepest first found, bounded.
fn diff_fields(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    if out.len() >= MAX_LISTED_FIELDS || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff_fields(p, q, path, out),
                    _ if out.len() < MAX_LISTED_FIELDS => out.push(path),
                    _ => return,
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_fields(p, q, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(if at.is_empty() { "/".into() } else { at }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(id: &str, status: &str, summary: &str) -> Value {
        json!({
            "schema": "evident/scan-result/v2",
            "scan": {"id": id, "started_at": id, "finished_at": id, "tool": {"name": "evident", "version": "0.1.0"}},
            "results": [
                {"model": "m", "service": "shop", "criterion": "c.one", "status": status, "summary": summary},
                {"model": "m", "service": "shop", "criterion": "c.two", "status": "met", "summary": "ok"}
            ]
        })
    }

    #[test]
    fn only_the_scans_id_and_times_may_differ() {
        let c = compare(&result("a", "met", "s"), &result("b", "met", "s"));
        assert!(c.identical && c.verdicts.is_empty(), "{c:?}");

        let c = compare(&result("a", "met", "s"), &result("b", "met", "other words"));
        assert!(!c.identical && c.verdicts.is_empty(), "{c:?}");
        assert_eq!(c.fields, ["/results/0/summary"]);

        let mut moved = result("b", "met", "s");
        moved["scan"]["tool"]["version"] = json!("0.2.0");
        let c = compare(&result("a", "met", "s"), &moved);
        assert_eq!(
            c.fields,
            ["/scan/tool/version"],
            "the version is not exempt"
        );
    }

    #[test]
    fn a_changed_verdict_is_named_with_both_statuses() {
        let c = compare(&result("a", "met", "s"), &result("b", "not_met", "s"));
        assert!(!c.identical);
        assert_eq!(c.verdicts.len(), 1);
        assert_eq!(c.verdicts[0].to_string(), "shop c.one (m): met -> not_met");
        let mut fewer = result("b", "met", "s");
        fewer["results"].as_array_mut().unwrap().pop();
        let c = compare(&result("a", "met", "s"), &fewer);
        assert_eq!(
            c.verdicts[0].to_string(),
            "shop c.two (m): met -> (not judged)"
        );
    }
}
