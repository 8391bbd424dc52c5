//! Replayable scans: the raw answers every probe read, kept so the same scan can be
//! judged again offline, and an auditor can re-derive each verdict from what was seen.
//!
//! A crate of its own because every probe records and replays the same way (probes never
//! depend on one another) and the CLI, the bundle and `verify --replay` read the same
//! layout. A [`Tape`] is handed to each probe: while recording it keeps every answer
//! the probe read (an HTTP status, the headers that matter and the body; a Kubernetes
//! list; a repository's tree listing and the bytes of the files read), while replaying
//! it gives them back, and no network or repository is touched.
//!
//! # Layout of a snapshot directory
//!
//! ```text
//! DIR/
//!   blobs/sha256/ab/cdef…     every body, once, named by the sha256 of its stored bytes
//!   runs/<run>/index.json     which request of which source produced which blob, in order
//!   runs/<run>/run.json       the tool version, the plan (redacted) and the scan's digest
//!   runs/<run>/scan.json      the scan result written by the recorded run
//!   latest                    the id of the last run recorded into DIR
//! ```
//!
//! Reusing one DIR for every scan of an estate stores a blob shared between scans (an
//! unchanged file, the same Kubernetes list) once.
//!
//! # Secrets
//!
//! Every stored body and value goes through [`Redactor::redact_secrets`], the same last
//! pass every output gets, before its bytes are hashed and written; request headers are
//! never recorded, and the response headers kept are only [`KEPT_HEADERS`]. When
//! redaction changed a body, the entry keeps the sha256 of the bytes as they were read
//! (`raw_sha256`), so replayed evidence cites the same digest as the recorded scan did.

#![warn(missing_docs)]

use evident_core::Redactor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The schema of `runs/<run>/index.json`.
pub const INDEX_SCHEMA: &str = "evident/snapshot-index/v1";
/// The schema of `runs/<run>/run.json`.
pub const RUN_SCHEMA: &str = "evident/snapshot-run/v1";
/// Response headers a recorded answer keeps (lower case): those a probe reads to decide
/// anything (a wait, a page, a cache validator, a content type). Everything else, and
/// every request header, is dropped: `set-cookie` and friends never reach a snapshot.
pub const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "retry-after",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-used",
    "x-ratelimit-resource",
    "link",
    "etag",
    "last-modified",
];
/// The most entries one run may record: a bound on a runaway loop, far above what a
/// 10,000-service estate asks (about 30 answers a service).
pub const MAX_ENTRIES: usize = 2_000_000;

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A file of the snapshot could not be written or read.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// A file of the snapshot is not what this version writes.
    #[error("{path}: not a snapshot file this evident can read: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What did not fit.
        reason: String,
    },
    /// `DIR` holds no recorded run (or not the one asked for).
    #[error("{dir}: no recorded run{which} (record one with `evident scan --snapshot {dir}`)")]
    NoRun {
        /// The directory.
        dir: String,
        /// ` named X`, or empty.
        which: String,
    },
    /// A value could not be turned into JSON.
    #[error("could not serialise {what}: {reason}")]
    Serialise {
        /// What was being recorded.
        what: String,
        /// serde's message.
        reason: String,
    },
    /// More than [`MAX_ENTRIES`] answers in one run.
    #[error("more than {MAX_ENTRIES} answers recorded in one run; the rest are not kept")]
    TooManyEntries,
}

impl SnapshotError {
    fn io(path: &Path, e: impl std::fmt::Display) -> Self {
        Self::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }
    }
}

/// Why a replayed request has no answer: the recorded scan never asked it (a newer
/// evident asks something else), or its blob is missing or altered. A probe reports it
/// like any failed read (the source is `error`, its criteria `unknown`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// Nothing was recorded for this request (or fewer times than it is asked now).
    #[error("not in the snapshot: {source_key} {request} (the recorded scan did not ask it)")]
    NotRecorded {
        /// The source.
        source_key: String,
        /// The request.
        request: String,
    },
    /// The blob of a recorded answer is missing or unreadable.
    #[error("the snapshot's blob {sha256} of {request} could not be read: {reason}")]
    Blob {
        /// The blob.
        sha256: String,
        /// The request it answers.
        request: String,
        /// Why.
        reason: String,
    },
    /// A recorded value does not have the shape this evident reads.
    #[error("the snapshot's value {request} of {source_key} could not be read: {reason}")]
    Shape {
        /// The source.
        source_key: String,
        /// The value's key.
        request: String,
        /// serde's message.
        reason: String,
    },
}

/// A stored body: where its bytes are, and what they were before redaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    /// sha256 of the stored bytes: the blob's name under `blobs/sha256/`.
    pub sha256: String,
    /// Size of the stored bytes.
    pub size: u64,
    /// sha256 of the bytes as read, when redaction changed them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sha256: Option<String>,
}

/// What one request got: an answer (any status), a failure before any answer (a
/// timeout, a refused connection), or a value a probe derived from what it read
/// (a tree listing, a history summary) and keeps as its raw observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The server answered.
    Response {
        /// HTTP status.
        status: u16,
        /// The [`KEPT_HEADERS`] it sent, lower case.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
        /// The body.
        body: BlobRef,
    },
    /// No answer: how the request failed, as the probe classified it.
    Failure {
        /// A probe-defined class (`timeout`, `connect`, `transport`, `too_large`).
        class: String,
        /// The message (redacted).
        message: String,
    },
    /// A value the probe recorded itself (JSON in the blob).
    Value {
        /// The JSON document.
        body: BlobRef,
    },
}

/// One recorded answer: which source and request produced it, and its place among the
/// answers to the same request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The source, as the probe names it (`prometheus:http://…`, `git:<repo key>`).
    pub source: String,
    /// The request (`GET /api/v1/query?query=…`, `file:path/in/repo`, `value:tree`).
    pub request: String,
    /// 0 for the first answer to this request, 1 for a retry, and so on.
    pub seq: u32,
    /// What it got.
    pub outcome: Outcome,
}

/// `runs/<run>/index.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    /// [`INDEX_SCHEMA`].
    pub schema: String,
    /// The run.
    pub run: String,
    /// Every answer, ordered by source, request and seq.
    pub entries: Vec<Entry>,
}

/// `runs/<run>/run.json`: what the replay needs besides the answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// [`RUN_SCHEMA`].
    pub schema: String,
    /// The run id (the scan's id).
    pub run: String,
    /// The evident version that recorded it.
    pub tool_version: String,
    /// The scan's observation time, which every replayed evidence record keeps.
    pub observed_at: String,
    /// The scan plan, redacted, as the CLI serialised it.
    pub plan: serde_json::Value,
    /// sha256 of `scan.json`, the result the recorded run wrote.
    pub scan_sha256: String,
}

/// What a replayed request gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// The recorded answer.
    Response {
        /// HTTP status.
        status: u16,
        /// The kept headers, lower case.
        headers: BTreeMap<String, String>,
        /// The stored body.
        body: Vec<u8>,
        /// sha256 of the body as it was read (before redaction): what evidence cites.
        raw_sha256: String,
    },
    /// The recorded failure.
    Failure {
        /// The probe's class.
        class: String,
        /// The message.
        message: String,
    },
}

/// What a recording has kept so far: the summary `scan --snapshot` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TapeStats {
    /// Answers, failures and values recorded.
    pub answers: u64,
    /// Blobs this recording wrote (those already in the directory are not counted).
    pub new_blobs: u64,
    /// Bytes of those new blobs.
    pub new_bytes: u64,
}

/// What a response to record holds; built by the probe's client.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// Every header the server sent (lower or mixed case); only [`KEPT_HEADERS`] are kept.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as read.
    pub body: &'a [u8],
}

/// Whether, and how, a scan keeps or reads raw answers. Cheap to clone (one `Arc`):
/// every probe and client of a scan holds the same tape.
#[derive(Clone, Default)]
pub struct Tape(Option<Arc<Deck>>);

enum Deck {
    Record(Recorder),
    Replay(Player),
}

impl std::fmt::Debug for Tape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0.as_deref() {
            None => "Tape::Off",
            Some(Deck::Record(_)) => "Tape::Record",
            Some(Deck::Replay(_)) => "Tape::Replay",
        })
    }
}

impl Tape {
    /// Neither records nor replays: a plain scan.
    pub fn off() -> Self {
        Self(None)
    }

    /// Records into `dir` (created when missing), redacting with `redactor`.
    pub fn record(dir: &Path, redactor: Arc<Redactor>) -> Result<Self, SnapshotError> {
        let blobs = dir.join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| SnapshotError::io(&blobs, e))?;
        Ok(Self(Some(Arc::new(Deck::Record(Recorder {
            dir: dir.to_owned(),
            redactor,
            state: Mutex::new(RecordState::default()),
        })))))
    }

    /// Replays run `run` of `dir` (the latest when `None`).
    pub fn replay(dir: &Path, run: Option<&str>) -> Result<(Self, RunMeta), SnapshotError> {
        let run = match run {
            Some(r) => r.to_owned(),
            None => latest_run(dir)?,
        };
        let index: Index = read_json(&run_dir(dir, &run).join("index.json"))?;
        let meta: RunMeta = read_json(&run_dir(dir, &run).join("run.json"))?;
        let mut queues: HashMap<(String, String), VecDeque<Outcome>> = HashMap::new();
        let mut entries = index.entries;
        entries.sort_by(|a, b| (&a.source, &a.request, a.seq).cmp(&(&b.source, &b.request, b.seq)));
        for e in entries {
            queues
                .entry((e.source, e.request))
                .or_default()
                .push_back(e.outcome);
        }
        let player = Player {
            dir: dir.to_owned(),
            queues: Mutex::new(queues),
        };
        Ok((Self(Some(Arc::new(Deck::Replay(player)))), meta))
    }

    /// Whether answers come from a snapshot: a probe then opens no connection, no
    /// repository and no file, and waits for no rate limit.
    pub fn is_replaying(&self) -> bool {
        matches!(self.0.as_deref(), Some(Deck::Replay(_)))
    }

    /// Whether answers are being recorded.
    pub fn is_recording(&self) -> bool {
        matches!(self.0.as_deref(), Some(Deck::Record(_)))
    }

    /// Records that `request` of `source` got `answer`. Failing to write the snapshot
    /// never fails the scan: it is logged, and [`Tape::finish`] reports it.
    pub fn record_answer(&self, source: &str, request: &str, answer: Answer<'_>) {
        let Some(Deck::Record(r)) = self.0.as_deref() else {
            return;
        };
        let headers = answer
            .headers
            .iter()
            .filter_map(|(name, value)| {
                let name = name.to_ascii_lowercase();
                KEPT_HEADERS
                    .contains(&name.as_str())
                    .then(|| (name, r.redactor.redact_secrets(value)))
            })
            .collect();
        let Some(body) = r.store(answer.body) else {
            return;
        };
        r.push(
            source,
            request,
            Outcome::Response {
                status: answer.status,
                headers,
                body,
            },
        );
    }

    /// Records that `request` of `source` failed before any answer.
    pub fn record_failure(&self, source: &str, request: &str, class: &str, message: &str) {
        let Some(Deck::Record(r)) = self.0.as_deref() else {
            return;
        };
        let outcome = Outcome::Failure {
            class: class.to_owned(),
            message: r.redactor.redact_secrets(message),
        };
        r.push(source, request, outcome);
    }

    /// Records a value the probe derived from what it read and will want back on replay
    /// (a tree listing, a summary of history walked through git2).
    pub fn record_value<T: Serialize + ?Sized>(&self, source: &str, key: &str, value: &T) {
        let Some(Deck::Record(r)) = self.0.as_deref() else {
            return;
        };
        let bytes = match serde_json::to_vec(value) {
            Ok(b) => b,
            Err(e) => {
                r.fail(SnapshotError::Serialise {
                    what: format!("{source} {key}"),
                    reason: e.to_string(),
                });
                return;
            }
        };
        if let Some(body) = r.store(&bytes) {
            r.push(source, key, Outcome::Value { body });
        }
    }

    /// What this recording has kept so far (all zero when not recording).
    pub fn stats(&self) -> TapeStats {
        let Some(Deck::Record(r)) = self.0.as_deref() else {
            return TapeStats::default();
        };
        r.state.lock().unwrap_or_else(|e| e.into_inner()).stats
    }

    /// The next recorded answer to `request` of `source`, in the order they were got.
    pub fn replay_answer(&self, source: &str, request: &str) -> Result<Replayed, ReplayError> {
        let p = self.player(source, request)?;
        match p.next(source, request)? {
            Outcome::Response {
                status,
                headers,
                body,
            } => {
                let bytes = p.blob(&body, request)?;
                Ok(Replayed::Response {
                    status,
                    headers,
                    raw_sha256: body.raw_sha256.unwrap_or(body.sha256),
                    body: bytes,
                })
            }
            Outcome::Failure { class, message } => Ok(Replayed::Failure { class, message }),
            Outcome::Value { .. } => Err(ReplayError::Shape {
                source_key: source.to_owned(),
                request: request.to_owned(),
                reason: "a value was recorded where an answer was asked".into(),
            }),
        }
    }

    /// The next recorded value under `key` of `source`.
    pub fn replay_value<T: DeserializeOwned>(
        &self,
        source: &str,
        key: &str,
    ) -> Result<T, ReplayError> {
        let p = self.player(source, key)?;
        let shape = |reason: String| ReplayError::Shape {
            source_key: source.to_owned(),
            request: key.to_owned(),
            reason,
        };
        match p.next(source, key)? {
            Outcome::Value { body } => {
                let bytes = p.blob(&body, key)?;
                serde_json::from_slice(&bytes).map_err(|e| shape(e.to_string()))
            }
            _ => Err(shape(
                "an answer was recorded where a value was asked".into(),
            )),
        }
    }

    fn player(&self, source: &str, request: &str) -> Result<&Player, ReplayError> {
        match self.0.as_deref() {
            Some(Deck::Replay(p)) => Ok(p),
            _ => Err(ReplayError::NotRecorded {
                source_key: source.to_owned(),
                request: request.to_owned(),
            }),
        }
    }

    /// Ends a recording: writes `scan.json` (the result's exact bytes), the index and
    /// `run.json`, and points `latest` at the run. Returns what could not be written
    /// along the way (an empty list when everything was kept).
    pub fn finish(
        &self,
        mut meta: RunMeta,
        scan_json: &[u8],
    ) -> Result<Vec<String>, SnapshotError> {
        let Some(Deck::Record(r)) = self.0.as_deref() else {
            return Ok(Vec::new());
        };
        let dir = run_dir(&r.dir, &meta.run);
        std::fs::create_dir_all(&dir).map_err(|e| SnapshotError::io(&dir, e))?;
        let mut state = r.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut entries = std::mem::take(&mut state.entries);
        entries.sort_by(|a, b| (&a.source, &a.request, a.seq).cmp(&(&b.source, &b.request, b.seq)));
        let index = Index {
            schema: INDEX_SCHEMA.into(),
            run: meta.run.clone(),
            entries,
        };
        write_file(&dir.join("scan.json"), scan_json)?;
        meta.schema = RUN_SCHEMA.into();
        meta.scan_sha256 = sha256_hex(scan_json);
        r.redactor.redact_json(&mut meta.plan);
        write_json(&dir.join("index.json"), &index)?;
        write_json(&dir.join("run.json"), &meta)?;
        write_file(&r.dir.join("latest"), format!("{}\n", meta.run).as_bytes())?;
        Ok(std::mem::take(&mut state.errors))
    }
}

#[derive(Default)]
struct RecordState {
    entries: Vec<Entry>,
    seqs: HashMap<(String, String), u32>,
    errors: Vec<String>,
    stats: TapeStats,
}

struct Recorder {
    dir: PathBuf,
    redactor: Arc<Redactor>,
    state: Mutex<RecordState>,
}

impl Recorder {
    /// Redacts, hashes and writes `bytes` once; `None` when it could not be written.
    fn store(&self, bytes: &[u8]) -> Option<BlobRef> {
        let stored = redact_bytes(&self.redactor, bytes);
        let sha = sha256_hex(&stored);
        let raw_sha256 =
            (stored.len() != bytes.len() || stored.as_slice() != bytes).then(|| sha256_hex(bytes));
        let path = blob_path(&self.dir, &sha);
        if !path.exists() {
            let written = path
                .parent()
                .map(std::fs::create_dir_all)
                .unwrap_or(Ok(()))
                .and_then(|()| write_atomically(&path, &stored));
            if let Err(e) = written {
                self.fail(SnapshotError::io(&path, e));
                return None;
            }
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.stats.new_blobs += 1;
            state.stats.new_bytes += stored.len() as u64;
        }
        Some(BlobRef {
            sha256: sha,
            size: stored.len() as u64,
            raw_sha256,
        })
    }

    fn push(&self, source: &str, request: &str, outcome: Outcome) {
        let source = self.redactor.redact_secrets(source);
        let request = self.redactor.redact_secrets(request);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.entries.len() >= MAX_ENTRIES {
            if state.errors.is_empty() {
                state.errors.push(SnapshotError::TooManyEntries.to_string());
            }
            return;
        }
        let seq = state
            .seqs
            .entry((source.clone(), request.clone()))
            .or_default();
        let entry = Entry {
            source,
            request,
            seq: *seq,
            outcome,
        };
        *seq += 1;
        state.entries.push(entry);
        state.stats.answers += 1;
    }

    fn fail(&self, error: SnapshotError) {
        tracing::warn!("snapshot: {error}");
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.errors.push(error.to_string());
    }
}

struct Player {
    dir: PathBuf,
    queues: Mutex<HashMap<(String, String), VecDeque<Outcome>>>,
}

impl Player {
    fn next(&self, source: &str, request: &str) -> Result<Outcome, ReplayError> {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues
            .get_mut(&(source.to_owned(), request.to_owned()))
            .and_then(VecDeque::pop_front)
            .ok_or_else(|| ReplayError::NotRecorded {
                source_key: source.to_owned(),
                request: request.to_owned(),
            })
    }

    /// The blob's bytes. An altered blob is read all the same (and logged): replaying
    /// what is there is how `verify --replay` names the verdicts a change would alter;
    /// [`check_blobs`] is what reports the alteration itself.
    fn blob(&self, blob: &BlobRef, request: &str) -> Result<Vec<u8>, ReplayError> {
        let path = blob_path(&self.dir, &blob.sha256);
        let bytes = std::fs::read(&path).map_err(|e| ReplayError::Blob {
            sha256: blob.sha256.clone(),
            request: request.to_owned(),
            reason: e.to_string(),
        })?;
        if sha256_hex(&bytes) != blob.sha256 {
            tracing::warn!(blob = %blob.sha256, request, "snapshot blob does not match its digest");
        }
        Ok(bytes)
    }
}

/// The blobs of run `run` whose bytes no longer match their names (altered), or that are
/// missing, as `(sha256, what is wrong)`.
pub fn check_blobs(dir: &Path, run: &str) -> Result<Vec<(String, String)>, SnapshotError> {
    let index: Index = read_json(&run_dir(dir, run).join("index.json"))?;
    let mut seen = std::collections::BTreeSet::new();
    let mut bad = Vec::new();
    for entry in &index.entries {
        let blob = match &entry.outcome {
            Outcome::Response { body, .. } | Outcome::Value { body } => body,
            Outcome::Failure { .. } => continue,
        };
        if !seen.insert(blob.sha256.clone()) {
            continue;
        }
        match std::fs::read(blob_path(dir, &blob.sha256)) {
            Ok(bytes) if sha256_hex(&bytes) == blob.sha256 => {}
            Ok(_) => bad.push((
                blob.sha256.clone(),
                format!("altered (answer to {} {})", entry.source, entry.request),
            )),
            Err(e) => bad.push((blob.sha256.clone(), format!("unreadable: {e}"))),
        }
    }
    Ok(bad)
}

/// Every file a run consists of, relative to `dir`: its three run files and the blobs it
/// refers to (what a bundle carries, and signs, of a snapshot).
pub fn run_files(dir: &Path, run: &str) -> Result<Vec<PathBuf>, SnapshotError> {
    let index: Index = read_json(&run_dir(dir, run).join("index.json"))?;
    let mut files: std::collections::BTreeSet<PathBuf> = ["index.json", "run.json", "scan.json"]
        .iter()
        .map(|f| Path::new("runs").join(run).join(f))
        .collect();
    for entry in &index.entries {
        if let Outcome::Response { body, .. } | Outcome::Value { body } = &entry.outcome {
            files.insert(blob_rel(&body.sha256));
        }
    }
    Ok(files.into_iter().collect())
}

/// The id of the last run recorded into `dir`.
pub fn latest_run(dir: &Path) -> Result<String, SnapshotError> {
    let path = dir.join("latest");
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(SnapshotError::NoRun {
            dir: dir.display().to_string(),
            which: String::new(),
        }),
    }
}

/// Reads `runs/<run>/run.json` of `dir`.
pub fn read_meta(dir: &Path, run: &str) -> Result<RunMeta, SnapshotError> {
    read_json(&run_dir(dir, run).join("run.json"))
}

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn run_dir(dir: &Path, run: &str) -> PathBuf {
    dir.join("runs").join(run)
}

fn blob_rel(sha: &str) -> PathBuf {
    let (head, tail) = sha.split_at(sha.len().min(2));
    Path::new("blobs").join("sha256").join(head).join(tail)
}

fn blob_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(blob_rel(sha))
}

/// Text gets the full last pass; bytes that are not UTF-8 get the known secrets replaced
/// byte for byte (a token can hide in a binary answer too).
fn redact_bytes(redactor: &Redactor, bytes: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(bytes) {
        Ok(text) => redactor.redact_secrets(text).into_bytes(),
        Err(_) => {
            let lossy = String::from_utf8_lossy(bytes);
            if redactor.redact_secrets(&lossy) == lossy {
                bytes.to_vec()
            } else {
                // A secret inside undecodable bytes: keep the decodable, redacted form
                // rather than the secret.
                redactor.redact_secrets(&lossy).into_bytes()
            }
        }
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, SnapshotError> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            SnapshotError::NoRun {
                dir: path
                    .ancestors()
                    .nth(3)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
                which: path
                    .parent()
                    .and_then(Path::file_name)
                    .map(|r| format!(" named {}", r.to_string_lossy()))
                    .unwrap_or_default(),
            }
        } else {
            SnapshotError::io(path, e)
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Format {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), SnapshotError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| SnapshotError::Serialise {
        what: path.display().to_string(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_file(path, &bytes)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    write_atomically(path, bytes).map_err(|e| SnapshotError::io(path, e))
}

/// Writes through a temporary file and a rename, so a reader (or a second scan into the
/// same DIR) never sees half a blob.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(run: &str) -> RunMeta {
        RunMeta {
            schema: String::new(),
            run: run.into(),
            tool_version: "0.1.0".into(),
            observed_at: "2026-12-01T00:00:00Z".into(),
            plan: serde_json::json!({"prometheus": ["http://u:canary-pw@127.0.0.1:1/"]}),
            scan_sha256: String::new(),
        }
    }

    #[test]
    fn answers_come_back_in_order_and_missing_ones_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let redactor = Arc::new(Redactor::new().with_secret("canary-token-123"));
        let tape = Tape::record(dir.path(), redactor).unwrap();
        let headers = [("Content-Type", "application/json"), ("Set-Cookie", "s=1")];
        for body in [
            &b"{\"n\":1}"[..],
            b"{\"n\":2,\"echo\":\"canary-token-123\"}",
        ] {
            tape.record_answer(
                "prom",
                "GET /q",
                Answer {
                    status: 200,
                    headers: &headers,
                    body,
                },
            );
        }
        tape.record_failure("prom", "GET /down", "timeout", "no answer in 5s");
        tape.record_value("git:r", "value:tree", &vec!["a", "b"]);
        let stats = tape.stats();
        assert_eq!((stats.answers, stats.new_blobs), (4, 3), "{stats:?}");
        tape.finish(meta("run1"), b"{}").unwrap();

        let everything = walk(dir.path());
        assert!(!everything.contains("canary-token-123"), "{everything}");
        assert!(!everything.contains("canary-pw"));
        assert!(!everything.contains("s=1"), "set-cookie is never kept");

        let (replay, meta) = Tape::replay(dir.path(), None).unwrap();
        assert_eq!(meta.run, "run1");
        let Replayed::Response {
            body,
            headers,
            raw_sha256,
            ..
        } = replay.replay_answer("prom", "GET /q").unwrap()
        else {
            panic!()
        };
        assert_eq!(body, b"{\"n\":1}");
        assert_eq!(raw_sha256, sha256_hex(b"{\"n\":1}"));
        assert_eq!(
            headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        let Replayed::Response {
            body, raw_sha256, ..
        } = replay.replay_answer("prom", "GET /q").unwrap()
        else {
            panic!()
        };
        assert_eq!(body, b"{\"n\":2,\"echo\":\"[redacted]\"}");
        assert_eq!(
            raw_sha256,
            sha256_hex(b"{\"n\":2,\"echo\":\"canary-token-123\"}")
        );
        assert!(matches!(
            replay.replay_answer("prom", "GET /q"),
            Err(ReplayError::NotRecorded { .. })
        ));
        assert_eq!(
            replay.replay_answer("prom", "GET /down").unwrap(),
            Replayed::Failure {
                class: "timeout".into(),
                message: "no answer in 5s".into()
            }
        );
        let tree: Vec<String> = replay.replay_value("git:r", "value:tree").unwrap();
        assert_eq!(tree, ["a", "b"]);
        assert!(check_blobs(dir.path(), "run1").unwrap().is_empty());
    }

    #[test]
    fn a_second_run_into_the_same_dir_stores_shared_blobs_once_and_tampering_is_found() {
        let dir = tempfile::tempdir().unwrap();
        for run in ["a", "b"] {
            let tape = Tape::record(dir.path(), Arc::new(Redactor::default())).unwrap();
            tape.record_answer(
                "s",
                "GET /",
                Answer {
                    status: 200,
                    headers: &[],
                    body: b"same",
                },
            );
            tape.finish(meta(run), b"{}").unwrap();
        }
        let blobs = std::fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
            .count();
        assert_eq!(
            blobs, 1,
            "one body, two runs, one blob (scan.json is not a blob)"
        );
        let files = run_files(dir.path(), "b").unwrap();
        assert_eq!(files.len(), 4);
        let blob = dir.path().join(&files[0]);
        std::fs::write(&blob, b"changed").unwrap();
        let bad = check_blobs(dir.path(), "b").unwrap();
        assert_eq!(bad.len(), 1);
        assert!(bad[0].1.contains("altered (answer to s GET /)"), "{bad:?}");
    }

    #[test]
    fn an_empty_dir_says_how_to_record() {
        let dir = tempfile::tempdir().unwrap();
        let err = Tape::replay(dir.path(), None).unwrap_err().to_string();
        assert!(err.contains("no recorded run"), "{err}");
        assert!(err.contains("evident scan --snapshot"), "{err}");
    }

    fn walk(dir: &Path) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push_str(&walk(&path));
            } else {
                out.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
        out
    }
}
