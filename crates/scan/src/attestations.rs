//! `.evident/attestations.yaml` of every scanned repository.

use crate::EvidenceMap;
use evident_core::{ScanContext, SourceReport, SourceStatus};
use evident_engine::ATTESTATION_PATH;
use evident_engine::attest::{AttestationOrigin, AttestationSet};
use serde_json::Value;
use std::path::PathBuf;

/// Reads every repository's attestations; their evidence goes into `evidence`. A
/// malformed file is a source problem and is ignored; the scan goes on.
pub fn load(
    facts: &Value,
    ctx: &ScanContext,
    evidence: &mut EvidenceMap,
) -> (AttestationSet, Vec<SourceReport>) {
    let mut set = AttestationSet::default();
    let mut problems = Vec::new();
    let Some(repos) = facts.pointer("/git/repos").and_then(Value::as_object) else {
        return (set, problems);
    };
    for (key, repo) in repos {
        let Some(root) = repo.get("root").and_then(Value::as_str) else {
            continue;
        };
        let path = PathBuf::from(root).join(ATTESTATION_PATH);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let head = repo.get("head").and_then(Value::as_str);
        let short = head.map_or_else(|| "worktree".to_owned(), |h| h.chars().take(7).collect());
        let origin = AttestationOrigin {
            id_prefix: format!("git:{key}@{short}:"),
            source: root.to_owned(),
            revision: head.map(str::to_owned),
            observed_at: ctx.observed_at.clone(),
        };
        match AttestationSet::parse(&text, &origin, &ctx.redactor) {
            Ok((s, records)) => {
                set.items.extend(s.items);
                for e in records {
                    evidence.entry(e.id.clone()).or_insert(e);
                }
            }
            Err(message) => problems.push(SourceReport::new(
                "attestations",
                path.display().to_string(),
                SourceStatus::Error,
                Some(format!(
                    "{message}; attestations of this repository are ignored"
                )),
            )),
        }
    }
    (set, problems)
}
