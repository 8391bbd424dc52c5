//! `.evident/attestations.yaml` of every scanned repository.

use crate::EvidenceMap;
use evident_core::{ScanContext, SourceReport, SourceStatus};
use evident_engine::ATTESTATION_PATH;
use evident_engine::attest::{AttestationOrigin, AttestationSet};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Reads every repository's attestations; their evidence goes into `evidence`. A
/// malformed file is a source problem and is ignored; the scan goes on.
///
/// The file is read from the commit at HEAD (as the git probe reads every file) unless
/// the scan reads the working tree (`--worktree`, or a plain directory): an uncommitted
/// attestation has no author, date or review trail, so it must not turn `manual` into
/// `attested`, and the evidence cites the revision that was actually read.
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
        // Read where the scan reads (the commit at HEAD unless --worktree), and cite
        // the revision it was read at: an attestation nobody committed is not one.
        let file = match evident_probe_git::read_committed(
            Path::new(root),
            ATTESTATION_PATH,
            ctx.worktree,
        ) {
            Ok(Some(file)) => file,
            Ok(None) => continue,
            Err(e) => {
                problems.push(SourceReport::new(
                    "attestations",
                    path.display().to_string(),
                    SourceStatus::Error,
                    Some(format!(
                        "could not read {ATTESTATION_PATH}: {e}; attestations of this repository are ignored"
                    )),
                ));
                continue;
            }
        };
        let revision = file.revision;
        let short = revision
            .as_deref()
            .map_or_else(|| "worktree".to_owned(), |h| h.chars().take(7).collect());
        let origin = AttestationOrigin {
            id_prefix: format!("git:{key}@{short}:"),
            source: root.to_owned(),
            revision,
            observed_at: ctx.observed_at.clone(),
        };
        let text = file.text;
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
