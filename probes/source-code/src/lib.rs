//! The source_code probe: what the code itself shows.
//!
//! Per deployable (a directory with a Dockerfile, Containerfile or catalog-info.yaml, or
//! the repository root when there is none) it counts lines of code by language with
//! tokei, generated and vendored files left out and counted apart, and reads the declared
//! dependencies from the ecosystems' own manifests. Over the estate it finds the internal
//! packages (published by a scanned repository, or under a configured prefix), how many
//! deployables use each and how large each is, ESB products and datastore drivers among
//! the dependencies. Every dependency cites its manifest line.
//!
//! It reads what the git probe reads (HEAD, or the working tree with `--worktree`) within
//! the same bounds, but on its own: probes never depend on one another.

mod catalog;
mod estate;
pub mod facts;
pub use estate::reassemble;
mod manifests;
mod scan;
mod tree;

use async_trait::async_trait;
use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The probe's name and capability: facts are `input.facts.source_code`.
pub const PROBE_NAME: &str = "source_code";

/// What the plan tells the probe beyond the repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceCodeConfig {
    /// Package name prefixes that mark a dependency internal although no scanned
    /// repository publishes it: an npm scope (`@acme/`), a Maven group (`com.acme`), a Go
    /// module path (`github.com/acme/`), a NuGet prefix (`Acme.`).
    pub internal_prefixes: Vec<String>,
}

/// Reads the code of every repository of the scan.
#[derive(Debug, Clone, Default)]
pub struct SourceCodeProbe {
    config: SourceCodeConfig,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl SourceCodeProbe {
    /// A probe with the plan's configuration.
    pub fn new(config: SourceCodeConfig) -> Self {
        Self {
            config,
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
impl Probe for SourceCodeProbe {
    fn name(&self) -> &'static str {
        PROBE_NAME
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &[PROBE_NAME]
    }

    /// Reads each repository on the blocking pool, one per core, then joins them into
    /// the estate's internal-package graph.
    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        if ctx.repositories.is_empty() {
            return ProbeOutput::failed(
                PROBE_NAME,
                PROBE_NAME,
                SourceStatus::NotConfigured,
                "no repository to read",
            );
        }
        // The scan's estate-wide keys when it gave them (a shard reads a part of the
        // estate, and its repositories keep the keys the whole estate gives them).
        // On replay a path is never resolved (it may not exist here): its last component
        // as written, which is what a canonical path resolves to.
        let keys = if ctx.repo_keys.len() == ctx.repositories.len() && !ctx.repo_keys.is_empty() {
            ctx.repo_keys.clone()
        } else if self.tape.is_replaying() {
            unique(ctx.repositories.iter().map(|p| name_as_given(p)).collect())
        } else {
            repo_keys(&ctx.repositories)
        };
        let shared = Arc::new(ctx.clone());
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
        let mut tasks = Vec::new();
        for (path, key) in ctx.repositories.iter().cloned().zip(keys) {
            let ctx = Arc::clone(&shared);
            let gate = Arc::clone(&gate);
            let tape = self.tape.clone();
            tasks.push((
                path.clone(),
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await.ok();
                    tokio::task::spawn_blocking(move || scan::scan_one(&path, &key, &ctx, &tape))
                        .await
                }),
            ));
        }
        let mut scans = Vec::new();
        for (path, task) in tasks {
            match task.await {
                Ok(Ok(scan)) => scans.push(scan),
                _ => scans.push(scan::RepoScan {
                    facts: None,
                    evidence: Vec::new(),
                    report: evident_core::SourceReport::new(
                        PROBE_NAME,
                        path.display().to_string(),
                        SourceStatus::Error,
                        Some(
                            "reading the code stopped unexpectedly; please report this as a bug"
                                .to_owned(),
                        ),
                    ),
                }),
            }
        }
        estate::assemble(scans, &self.config)
    }
}

/// Reads repositories synchronously, as [`SourceCodeProbe::collect`] would (for tests,
/// benchmarks and callers already on a blocking thread).
pub fn scan_repositories(
    paths: &[PathBuf],
    ctx: &ScanContext,
    config: &SourceCodeConfig,
) -> ProbeOutput {
    let scans = paths
        .iter()
        .zip(repo_keys(paths))
        .map(|(path, key)| scan::scan_one(path, &key, ctx, &evident_snapshot::Tape::off()))
        .collect();
    estate::assemble(scans, config)
}

/// Repository keys as the git probe makes them (directory name, `-2`, `-3` for
/// repeats), so that rules join `facts.source_code.repos` to `facts.git.repos` by key.
fn repo_keys(paths: &[PathBuf]) -> Vec<String> {
    unique(paths.iter().map(|p| name_of(p)).collect())
}

/// `names` with `-2`, `-3`... added to repeats.
fn unique(names: Vec<String>) -> Vec<String> {
    let mut used = std::collections::BTreeSet::new();
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

/// The last component of `p` as written, without looking at the file system.
fn name_as_given(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".to_owned())
}

fn name_of(p: &Path) -> String {
    p.canonicalize()
        .ok()
        .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repo".to_owned())
}
