//! The git probe: what a repository can prove about how its software is delivered and
//! run.
//!
//! It reads a repository at HEAD (or its working tree) and emits `facts.git` as
//! docs/facts.md defines it: CI jobs with their triggers and what they do, Kubernetes
//! manifests (through the shared `evident_kube_facts::extract`), Dockerfiles and compose
//! files, infrastructure-as-code and other files recognised by path, and ownership.
//! Every fact cites an evidence record naming the file, the lines, the commit and the
//! file's digest, so an auditor can re-read exactly what was judged.
//!
//! Nothing a repository contains can crash a scan: unreadable files become notes, an
//! unreadable repository becomes an `error` source status.

mod ci;
mod containers;
mod evidence;
mod facts;
#[cfg(test)]
mod fuzz_tests;
/// Fuzz entry points (fuzz/ and crates/fuzz-harness): the private parsers, on bytes.
#[doc(hidden)]
pub mod fuzzing;
mod history;
mod inventory;
mod kustomize;
mod manifests;
mod ownership;
mod repo;
mod scan;
mod yaml_pos;

use async_trait::async_trait;
use evident_core::{Evidence, Probe, ProbeOutput, ScanContext};
use scan::RepoScan;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The probe's name: its facts are `input.facts.git`, its evidence ids start `git:`.
pub const PROBE_NAME: &str = "git";

/// Reads local repositories. Holds no state: every scan starts from the repositories
/// named in the [`ScanContext`], so the probe can be shared by concurrent scans.
#[derive(Debug, Clone, Default)]
pub struct GitProbe {
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl GitProbe {
    /// A probe ready to collect.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records every raw answer into, or replays them from, `tape` (`--snapshot`,
    /// `evident replay`); off by default.
    pub fn with_tape(mut self, tape: evident_snapshot::Tape) -> Self {
        self.tape = tape;
        self
    }
}

#[async_trait]
impl Probe for GitProbe {
    fn name(&self) -> &'static str {
        PROBE_NAME
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &[PROBE_NAME]
    }

    /// A repository that could not be read makes no service; the others are judged.
    fn failure_scope(&self) -> evident_core::FailureScope {
        evident_core::FailureScope::Source
    }

    /// Scans every repository of the context on the blocking pool (git2 and file reads
    /// are blocking), a few at a time, and merges the results into one `facts.git`.
    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let keys = keys_for(ctx, &self.tape);
        let shared = Arc::new(ctx.clone());
        let parallel = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(1);
        let limit = Arc::new(tokio::sync::Semaphore::new(parallel));
        let mut tasks = Vec::new();
        for (path, key) in ctx.repositories.iter().cloned().zip(keys) {
            let ctx = Arc::clone(&shared);
            let limit = Arc::clone(&limit);
            let tape = self.tape.clone();
            tasks.push((
                path.clone(),
                key.clone(),
                tokio::spawn(async move {
                    let _permit = limit.acquire_owned().await.ok();
                    tokio::task::spawn_blocking(move || scan::scan_one(&path, &key, &ctx, &tape))
                        .await
                }),
            ));
        }
        let mut scans = Vec::new();
        for (path, key, task) in tasks {
            match task.await {
                Ok(Ok(scan)) => scans.push(scan),
                _ => {
                    tracing::error!(repo = %path.display(), "repository scan stopped unexpectedly");
                    scans.push(RepoScan::failed(
                        path.display().to_string(),
                        &key,
                        "the scan of this repository stopped unexpectedly; please report this as a bug".to_owned(),
                    ));
                }
            }
        }
        assemble(scans)
    }
}

pub use history::{HISTORY_PROBE_NAME, HistoryLimits};
pub use repo::{CommittedFile, ReadError, read_committed};

/// Reads the commit history of local repositories: the `git_history` capability.
///
/// A probe of its own, so that a shallow clone or a walk cut by the time bound makes only
/// the history criteria `unknown` and leaves what the files at HEAD prove untouched.
#[derive(Debug, Clone, Default)]
pub struct GitHistoryProbe {
    limits: HistoryLimits,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl GitHistoryProbe {
    /// A probe that keeps within `limits`.
    pub fn new(limits: HistoryLimits) -> Self {
        Self {
            limits,
            tape: Default::default(),
        }
    }

    /// Records every raw answer into, or replays them from, `tape` (`--snapshot`,
    /// `evident replay`); off by default.
    pub fn with_tape(mut self, tape: evident_snapshot::Tape) -> Self {
        self.tape = tape;
        self
    }
}

#[async_trait]
impl Probe for GitHistoryProbe {
    fn name(&self) -> &'static str {
        HISTORY_PROBE_NAME
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &[HISTORY_PROBE_NAME]
    }

    /// Walks each repository's history on the blocking pool, one repository per core.
    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let keys = keys_for(ctx, &self.tape);
        let shared = Arc::new(ctx.clone());
        let mut limits = self.limits.clone();
        // Leave the scan a margin: the walk stops itself well before the probe's bound.
        limits.time_budget = limits.time_budget.min(ctx.probe_timeout.mul_f32(0.8));
        let parallel = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(1);
        let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
        let mut tasks = Vec::new();
        for (path, key) in ctx.repositories.iter().cloned().zip(keys) {
            let ctx = Arc::clone(&shared);
            let gate = Arc::clone(&gate);
            let limits = limits.clone();
            let tape = self.tape.clone();
            tasks.push((
                path.clone(),
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.ok();
                    tokio::task::spawn_blocking(move || {
                        history::scan_history(&path, &key, &ctx, &limits, &tape)
                    })
                    .await
                }),
            ));
        }
        let mut repos = Map::new();
        let mut evidence = Vec::new();
        let mut sources = Vec::new();
        for (path, task) in tasks {
            match task.await {
                Ok(Ok(scan)) => {
                    if let Some(facts) = scan.facts {
                        repos.insert(
                            facts.key.clone(),
                            serde_json::to_value(facts).unwrap_or(Value::Null),
                        );
                    }
                    evidence.extend(scan.evidence);
                    sources.push(scan.report);
                }
                _ => sources.push(evident_core::SourceReport::new(
                    HISTORY_PROBE_NAME.to_owned(),
                    path.display().to_string(),
                    evident_core::SourceStatus::Error,
                    Some(
                        "reading the history stopped unexpectedly; please report this as a bug"
                            .to_owned(),
                    ),
                )),
            }
        }
        ProbeOutput {
            facts: json!({ "repos": repos }),
            evidence,
            sources,
        }
    }
}

/// Scans one repository synchronously, as [`GitProbe::collect`] would (for tests,
/// benchmarks and callers that already run on a blocking thread).
pub fn scan_repository(path: &Path, ctx: &ScanContext) -> ProbeOutput {
    let key = repo_keys(std::slice::from_ref(&path.to_path_buf()))
        .pop()
        .unwrap_or_else(|| "repo".to_owned());
    assemble(vec![scan::scan_one(
        path,
        &key,
        ctx,
        &evident_snapshot::Tape::off(),
    )])
}

/// The keys of a context's repositories: those the caller decided
/// ([`ScanContext::repo_keys`]) when it gave one per repository, else [`repo_keys`].
pub fn keys_of(ctx: &ScanContext) -> Vec<String> {
    if ctx.repo_keys.len() == ctx.repositories.len() && !ctx.repo_keys.is_empty() {
        ctx.repo_keys.clone()
    } else {
        repo_keys(&ctx.repositories)
    }
}

/// The keys of a context's repositories as [`keys_of`] gives them, except that a replay
/// never looks at a repository path: without [`ScanContext::repo_keys`] it takes each
/// path's last component as written ([`repo_keys_as_given`]), which is the key recording
/// gave it when the plan held canonical paths (as the CLI's plans do).
pub fn keys_for(ctx: &ScanContext, tape: &evident_snapshot::Tape) -> Vec<String> {
    let given = ctx.repo_keys.len() == ctx.repositories.len() && !ctx.repo_keys.is_empty();
    if tape.is_replaying() && !given {
        repo_keys_as_given(&ctx.repositories)
    } else {
        keys_of(ctx)
    }
}

/// Repository keys from the paths as written, without resolving them (no file system
/// access): the last component, made unique as [`repo_keys`] makes it.
pub fn repo_keys_as_given(paths: &[PathBuf]) -> Vec<String> {
    unique_names(
        paths
            .iter()
            .map(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "repo".to_owned())
            })
            .collect(),
    )
}

/// `names` with `-2`, `-3`... added to repeats.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    names
        .into_iter()
        .map(|named| {
            let mut key = named.clone();
            let mut n = 2;
            while used.contains(&key) {
                key = format!("{named}-{n}");
                n += 1;
            }
            used.insert(key.clone());
            key
        })
        .collect()
}

/// Repository keys: the directory name, with `-2`, `-3`... when two share a name, so
/// keys (and the evidence ids built from them) stay unique within a scan. Public so the
/// scan can tell other probes (GitHub) the key the git probe gives each path.
pub fn repo_keys(paths: &[PathBuf]) -> Vec<String> {
    let mut used: BTreeSet<String> = BTreeSet::new();
    paths
        .iter()
        .map(|p| {
            let named = p
                .canonicalize()
                .ok()
                .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                .or_else(|| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "repo".to_owned());
            let mut key = named.clone();
            let mut n = 2;
            while used.contains(&key) {
                key = format!("{named}-{n}");
                n += 1;
            }
            used.insert(key.clone());
            key
        })
        .collect()
}

/// Merges repository scans into one output, extracting Kubernetes facts from all
/// manifests at once (a Service in one file selects a Deployment in another).
/// Builds the probe output from every repository's scan. Manifests are extracted per
/// repository (a PDB or Service of one repository never selects another's workload) and
/// their keys qualified by the repository key (`<repo>/Kind/ns/name`), as the kubernetes
/// probe qualifies by cluster.
fn assemble(scans: Vec<RepoScan>) -> ProbeOutput {
    let mut repos = Map::new();
    let mut facts = evident_kube_facts::scoped::empty_document();
    let mut set_aside = Vec::new();
    let mut evidence: BTreeMap<String, Evidence> = BTreeMap::new();
    let mut sources = Vec::new();
    let mut file_rules = Vec::new();
    let mut kinds = Map::new();
    for scan in scans {
        if let Some(repo_facts) = scan.facts {
            repos.insert(
                scan.key.clone(),
                serde_json::to_value(repo_facts).unwrap_or(Value::Null),
            );
        }
        let mut extracted =
            serde_json::to_value(evident_kube_facts::extract(&scan.objects)).unwrap_or(Value::Null);
        mark_unrendered(&mut extracted, &scan.overlay_gaps);
        evident_kube_facts::scoped::add_kinds(&mut kinds, &extracted);
        evident_kube_facts::scoped::merge_scope(&mut facts, "repo", &scan.key, extracted);
        file_rules.extend(scan.alert_rules.into_iter().map(|mut rule| {
            if let Some(obj) = rule.as_object_mut() {
                obj.insert("repo".into(), json!(scan.key));
            }
            rule
        }));
        set_aside.extend(scan.skipped.into_iter().map(|mut item| {
            if let Some(obj) = item.as_object_mut() {
                obj.insert("repo".into(), json!(scan.key));
            }
            item
        }));
        for record in scan.evidence {
            evidence.entry(record.id.clone()).or_insert(record);
        }
        sources.push(scan.report);
    }
    facts.insert("repos".to_owned(), Value::Object(repos));
    facts.insert("kinds".to_owned(), Value::Object(kinds));
    if let Some(Value::Array(rules)) = facts.get_mut("prometheus_rules") {
        rules.extend(file_rules);
    }
    if let Some(Value::Array(skipped)) = facts.get_mut("skipped") {
        skipped.extend(set_aside);
    }
    ProbeOutput {
        facts: Value::Object(facts),
        evidence: evidence.into_values().collect(),
        sources,
    }
}

/// Marks each workload an unrendered kustomize overlay patches or builds on with
/// `unrendered_overlay` (what was not rendered and why), so that rules about containers
/// and rollouts do not judge the base as if it were what is deployed.
fn mark_unrendered(extracted: &mut Value, gaps: &[kustomize::OverlayGap]) {
    if gaps.is_empty() {
        return;
    }
    let Some(workloads) = extracted
        .get_mut("workloads")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for w in workloads.values_mut() {
        let kind = w.get("kind").and_then(Value::as_str).unwrap_or_default();
        let name = w.get("name").and_then(Value::as_str).unwrap_or_default();
        let notes: BTreeSet<&str> = gaps
            .iter()
            .filter(|g| (g.kind.is_empty() || g.kind == kind) && g.name == name)
            .map(|g| g.note.as_str())
            .collect();
        if !notes.is_empty()
            && let Some(obj) = w.as_object_mut()
        {
            let joined: Vec<&str> = notes.into_iter().collect();
            obj.insert("unrendered_overlay".into(), json!(joined.join("; ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_directory_names_made_unique() {
        let keys = repo_keys(&[
            PathBuf::from("/nonexistent/a/shop"),
            PathBuf::from("/nonexistent/b/shop"),
            PathBuf::from("/nonexistent/cart"),
        ]);
        assert_eq!(keys, vec!["shop", "shop-2", "cart"]);
    }
}
