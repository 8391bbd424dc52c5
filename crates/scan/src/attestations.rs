//! `.evident/attestations.yaml` of every scanned repository.

use crate::EvidenceMap;
use crate::shard::AttestationFile;
use evident_core::{ScanContext, SourceReport, SourceStatus};
use evident_engine::ATTESTATION_PATH;
use evident_engine::attest::{AttestationOrigin, AttestationSet};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What reading one repository's attestation file found, as a snapshot keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Read {
    /// No file.
    Missing,
    /// The file at that revision.
    File {
        revision: Option<String>,
        text: String,
    },
    /// It could not be read.
    Error(String),
}

/// The snapshot source of a repository's attestation file.
fn source_key(repo_key: &str) -> String {
    format!("attestations:{repo_key}")
}

/// The snapshot request of the attestation file.
const REQUEST: &str = "value:attestations";

/// Reads every repository's attestation file where the scan reads (the commit at HEAD
/// unless `--worktree`), at collection time: the repository may not be on the machine
/// that judges. An unreadable file is a source problem; the scan goes on. With a
/// recording `tape` what was read is kept; with a replaying one it comes from the
/// snapshot, and the repository is not opened (a read the snapshot lacks is a source
/// problem, never "no attestations").
pub fn read(
    facts: &Value,
    ctx: &ScanContext,
    tape: &evident_snapshot::Tape,
) -> (Vec<AttestationFile>, Vec<SourceReport>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let Some(repos) = facts.pointer("/git/repos").and_then(Value::as_object) else {
        return (files, problems);
    };
    for (key, repo) in repos {
        let Some(root) = repo.get("root").and_then(Value::as_str) else {
            continue;
        };
        let path = PathBuf::from(root).join(ATTESTATION_PATH);
        let read = if tape.is_replaying() {
            tape.replay_value::<Read>(&source_key(key), REQUEST)
                .unwrap_or_else(|e| Read::Error(e.to_string()))
        } else {
            let read = match evident_probe_git::read_committed(
                Path::new(root),
                ATTESTATION_PATH,
                ctx.worktree,
            ) {
                Ok(Some(file)) => Read::File {
                    revision: file.revision,
                    text: file.text,
                },
                Ok(None) => Read::Missing,
                Err(e) => Read::Error(e.to_string()),
            };
            tape.record_value(&source_key(key), REQUEST, &read);
            read
        };
        match read {
            Read::File { revision, text } => files.push(AttestationFile {
                key: key.clone(),
                root: root.to_owned(),
                revision,
                text,
            }),
            Read::Missing => {}
            Read::Error(e) => problems.push(SourceReport::new(
                "attestations",
                path.display().to_string(),
                SourceStatus::Error,
                Some(format!(
                    "could not read {ATTESTATION_PATH}: {e}; attestations of this repository are ignored"
                )),
            )),
        }
    }
    (files, problems)
}

/// Parses the attestation files read at collection time (in repository-key order, so
/// the set does not depend on how shards were merged); their evidence goes into
/// `evidence`. A malformed file is a source problem and is ignored.
///
/// An uncommitted attestation has no author, date or review trail, so it must not turn
/// `manual` into `attested`; the evidence cites the revision that was actually read.
pub fn parse(
    files: &[AttestationFile],
    ctx: &ScanContext,
    evidence: &mut EvidenceMap,
) -> (AttestationSet, Vec<SourceReport>) {
    let mut set = AttestationSet::default();
    let mut problems = Vec::new();
    let mut files: Vec<&AttestationFile> = files.iter().collect();
    files.sort_by(|a, b| a.key.cmp(&b.key));
    for file in files {
        let path = PathBuf::from(&file.root).join(ATTESTATION_PATH);
        let short = file
            .revision
            .as_deref()
            .map_or_else(|| "worktree".to_owned(), |h| h.chars().take(7).collect());
        let origin = AttestationOrigin {
            id_prefix: format!("git:{}@{short}:", file.key),
            source: file.root.clone(),
            revision: file.revision.clone(),
            observed_at: ctx.observed_at.clone(),
        };
        match AttestationSet::parse(&file.text, &origin, &ctx.redactor) {
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
