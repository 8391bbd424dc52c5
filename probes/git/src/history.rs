//! Commit history: how often and how big changes land, how releases are spaced, which
//! branches are left to rot.
//!
//! History is its own capability (`git_history`), separate from the files at HEAD: a
//! shallow clone, a plain directory or a walk cut short by the time bound makes only the
//! criteria that need history `unknown`, never the ones the files decide.
//!
//! Decisions an auditor can check:
//! - A *merged change* is a commit on the default branch's first-parent line: a merge
//!   commit (a pull request merged with a merge commit), a squashed pull request or a
//!   direct push. Its size is the lines added plus deleted against its first parent, so a
//!   merge counts what it brought in and nothing twice.
//! - A *release* is a tag whose name looks like a version (`v1.2.3`, `1.4`,
//!   `release-2.0`, `api/v3.1.0`); other tags (`latest`, `deployed`) are not releases. Its
//!   diff is the lines between it and the release before it.
//! - A branch's age is the age of its oldest commit that the default branch does not have.
//! - Windows are counted back from the scan's time, not from the last commit, so a
//!   dormant repository shows as dormant.
//! - Shallow clones are refused (status `error`): their history is cut, and counting it
//!   would understate every figure.
//!
//! Why git2 and not gix: `benches/history-walks` times the same walks in both. On
//! rust-lang/cargo (23,077 commits, a 365-day window) gix walks the window in 14 ms to
//! git2's 24 ms, the first-parent line in 0.9 ms to 10.5 ms, and the whole reachable set in
//! 114 ms to 178 ms; on a 2,669-commit repository the difference is under 15 ms. The cost
//! that matters is measuring change sizes (diffs), which both libraries pay alike and
//! which is kept between scans; gix would add about 130 crates to every cold build.

use crate::repo::default_branch;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use evident_core::{Evidence, ScanContext, SourceReport, SourceStatus};
use git2::{Commit, Diff, DiffOptions, ErrorCode, Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

/// The probe name (and capability) of history facts: `input.facts.git_history`.
pub const HISTORY_PROBE_NAME: &str = "git_history";

/// Bounds that keep a walk of a huge history inside the scan's time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HistoryLimits {
    /// How far back to look, in days.
    pub window_days: u32,
    /// Commits walked at most; past it the figures say they are partial.
    pub max_commits: usize,
    /// Merged changes whose size is measured (the newest ones); diffs are the costly part.
    pub max_measured_changes: usize,
    /// Branches examined for unmerged commits.
    pub max_branches: usize,
    /// Wall time the walk may take before it stops and says so.
    pub time_budget: Duration,
    /// Where measured change sizes are kept between scans (`None`: not kept). A size is
    /// a property of immutable commits, so a kept one is never stale; it spares a warm
    /// scan the diffs, which are most of the cost of reading history.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self {
            window_days: 180,
            max_commits: 300_000,
            max_measured_changes: 500,
            max_branches: 500,
            time_budget: Duration::from_secs(30),
            cache_dir: None,
        }
    }
}

/// Size statistics of merged changes over a span of time.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct ChangeStats {
    /// Days the statistics cover.
    pub days: u32,
    /// Merged changes in the span.
    pub count: usize,
    /// How many of them had their size measured.
    pub measured: usize,
    /// Median lines (added + deleted) of the measured changes.
    pub median_lines: Option<u64>,
    /// 90th percentile of the same.
    pub p90_lines: Option<u64>,
}

/// A release tag.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Release {
    pub tag: String,
    pub commit: String,
    pub time: String,
    /// Days since the release before it (absent for the oldest one known).
    pub interval_days: Option<f64>,
    /// Lines between this release and the one before it.
    pub diff_lines: Option<u64>,
}

/// A branch holding commits the default branch does not have.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct StaleBranch {
    pub name: String,
    pub unmerged_commits: usize,
    pub oldest_unmerged: String,
    pub age_days: u32,
    pub evidence: String,
}

/// A branch set aside from the stale-branch count because it is never meant to be merged:
/// a publishing branch (`gh-pages`, GitHub Pages' own) or a branch that shares no commit
/// with the default branch (an orphan branch of built docs, charts or assets). Its
/// commits are not a project waiting to land.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ExcludedBranch {
    pub name: String,
    pub why: String,
}

/// Branch names that publish and are never merged into the default branch.
const PUBLISHING_BRANCHES: [&str; 1] = ["gh-pages"];

/// `facts.git_history.repos.<key>` (docs/facts.md).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct HistoryFacts {
    pub key: String,
    pub root: String,
    pub default_branch: String,
    pub head: String,
    pub window_days: u32,
    pub since: String,
    /// False when the walk was cut by a bound; `truncated` says which.
    pub complete: bool,
    pub truncated: Option<String>,
    /// Set when only the newest merged changes were measured (statistics are over them).
    pub sampled: Option<String>,
    pub commits: usize,
    pub commits_per_week: f64,
    pub authors: usize,
    pub weeks_with_commits: usize,
    pub changes: ChangeStats,
    pub changes_90d: ChangeStats,
    /// Sizes (lines) of the measured merged changes in the window, newest first, so an
    /// estate-wide median can be pooled across repositories.
    pub change_lines: Vec<u64>,
    pub largest_changes: Vec<ChangeRef>,
    pub releases: Vec<Release>,
    pub median_release_interval_days: Option<f64>,
    pub median_release_diff_lines: Option<u64>,
    pub stale_branches: Vec<StaleBranch>,
    pub branches_examined: usize,
    /// Branches not counted as stale, and why (publishing or unrelated history).
    pub excluded_branches: Vec<ExcludedBranch>,
    pub evidence: String,
    pub release_evidence: Option<String>,
}

/// One merged change, cited by commit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ChangeRef {
    pub commit: String,
    pub lines: u64,
    pub evidence: String,
}

/// What reading one repository's history gave: facts (when it could be read), evidence
/// and the source report.
pub(crate) struct HistoryScan {
    pub facts: Option<HistoryFacts>,
    pub evidence: Vec<Evidence>,
    pub report: SourceReport,
}

struct Change {
    oid: Oid,
    time: i64,
    lines: Option<u64>,
}

/// What a snapshot keeps of one repository's history read: the summary the walk built
/// (the facts, with the commit ids they cite, and their evidence) and the status, so a
/// replay neither opens the repository nor reads or writes the size cache.
#[derive(Serialize, Deserialize)]
struct RecordedHistory {
    facts: Option<HistoryFacts>,
    evidence: Vec<Evidence>,
    status: SourceStatus,
    detail: Option<String>,
    /// The period the walk covered, as the source report shows it.
    #[serde(default)]
    window: Option<evident_core::TimeWindow>,
}

/// What stands for the repository's local path in a recorded message.
pub(crate) const ROOT_MARK: &str = "<repository>";

/// The snapshot request of a repository's history summary (source `git:<key>`).
const HISTORY_REQUEST: &str = "value:history";

/// Reads the history of the repository at `path`, or replays what a snapshot kept of
/// it (the path is then never looked at). Never fails: problems become the source
/// report; a history the snapshot lacks is an `error` source, never an empty history.
pub(crate) fn scan_history(
    path: &Path,
    key: &str,
    ctx: &ScanContext,
    limits: &HistoryLimits,
    tape: &evident_snapshot::Tape,
) -> HistoryScan {
    let source = path.display().to_string();
    let source_key = crate::repo::source_key(key);
    if tape.is_replaying() {
        let (facts, evidence, status, detail, window) =
            match tape.replay_value::<RecordedHistory>(&source_key, HISTORY_REQUEST) {
                Ok(mut r) => {
                    // The snapshot keeps no local path: the repository's is the plan's.
                    if let Some(facts) = r.facts.as_mut() {
                        facts.root.clone_from(&source);
                    }
                    for e in &mut r.evidence {
                        e.source.clone_from(&source);
                    }
                    let detail = r.detail.map(|d| d.replace(ROOT_MARK, &source));
                    (r.facts, r.evidence, r.status, detail, r.window)
                }
                Err(e) => (
                    None,
                    Vec::new(),
                    SourceStatus::Error,
                    Some(e.to_string()),
                    None,
                ),
            };
        return HistoryScan {
            facts,
            evidence,
            report: SourceReport {
                window,
                ..SourceReport::new(HISTORY_PROBE_NAME.to_owned(), source, status, detail)
            },
        };
    }
    let scan = scan_history_live(path, key, ctx, limits);
    if tape.is_recording() {
        let mut recorded = RecordedHistory {
            facts: scan.facts.clone(),
            evidence: scan.evidence.clone(),
            status: scan.report.status,
            detail: scan
                .report
                .detail
                .as_ref()
                .map(|d| d.replace(&source, ROOT_MARK)),
            window: scan.report.window.clone(),
        };
        // The local path is machine-specific (a temporary directory for clones): kept
        // out of the snapshot, and put back from the plan on replay.
        if let Some(facts) = recorded.facts.as_mut() {
            facts.root.clear();
        }
        for e in &mut recorded.evidence {
            e.source.clear();
        }
        tape.record_value(&source_key, HISTORY_REQUEST, &recorded);
    }
    scan
}

/// Reads the history of the repository at `path` (no tape).
fn scan_history_live(
    path: &Path,
    key: &str,
    ctx: &ScanContext,
    limits: &HistoryLimits,
) -> HistoryScan {
    let source = path.display().to_string();
    let failed = |status: SourceStatus, detail: String| HistoryScan {
        facts: None,
        evidence: Vec::new(),
        report: SourceReport::new(
            HISTORY_PROBE_NAME.to_owned(),
            source.clone(),
            status,
            Some(detail),
        ),
    };
    let repo = match Repository::open(path) {
        Ok(repo) => repo,
        Err(e) if e.code() == ErrorCode::NotFound => {
            return failed(
                SourceStatus::NotConfigured,
                format!("{source} is not a git repository, so it has no history to read"),
            );
        }
        Err(e) => {
            return failed(
                SourceStatus::Error,
                format!("could not open the repository: {}", e.message()),
            );
        }
    };
    if repo.is_shallow() {
        return failed(
            SourceStatus::Error,
            "the clone is shallow, so its history is cut; fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` for actions/checkout)".to_owned(),
        );
    }
    let branch = default_branch(&repo);
    let Some(tip) = branch_tip(&repo, &branch) else {
        return failed(
            SourceStatus::Error,
            format!("the default branch {branch} has no commits"),
        );
    };
    // Windows count back from the scan's observation time, never the system clock: a
    // replay (fixed to the recorded time) and a re-run must place them the same.
    let Ok(now) = DateTime::parse_from_rfc3339(&ctx.observed_at).map(|t| t.with_timezone(&Utc))
    else {
        return failed(
            SourceStatus::Error,
            format!(
                "the scan's observation time {:?} is not an RFC 3339 time, so the history window cannot be placed",
                ctx.observed_at
            ),
        );
    };
    match read_history(&repo, key, &source, &branch, tip, now, ctx, limits) {
        Ok((facts, evidence)) => HistoryScan {
            report: SourceReport {
                window: Some(evident_core::TimeWindow {
                    from: (now - ChronoDuration::days(i64::from(limits.window_days)))
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    to: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    what: format!(
                        "commits and merges on {branch}, {} days",
                        limits.window_days
                    ),
                }),
                ..SourceReport::new(
                    HISTORY_PROBE_NAME.to_owned(),
                    source.clone(),
                    SourceStatus::Ok,
                    facts.truncated.clone(),
                )
            },
            facts: Some(facts),
            evidence,
        },
        Err(e) => failed(
            SourceStatus::Error,
            format!("could not read the history: {}", e.message()),
        ),
    }
}

/// Every commit reachable from `tip`, or `None` when there are more than `cap` or the
/// budget runs out (the caller then says the branch figures are missing).
fn reachable_set(
    repo: &Repository,
    tip: Oid,
    cap: usize,
    budget: &Budget,
) -> Result<Option<HashSet<Oid>>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    let mut set = HashSet::new();
    for oid in walk {
        if set.len() >= cap || (set.len() % 4096 == 0 && budget.spent()) {
            return Ok(None);
        }
        set.insert(oid?);
    }
    Ok(Some(set))
}

/// What a branch holds that the default branch lacks.
struct Unmerged {
    ahead: usize,
    oldest: i64,
    /// False only when the whole walk (not cut by the cap) met no commit of the default
    /// branch: the branch has no common ancestor with it.
    shares_history: bool,
}

/// The cache key of whether a branch tip shares history with the default branch tip.
fn shared_key(branch: Oid, tip: Oid) -> String {
    format!("bs:{branch}..{tip}")
}

/// Commits reachable from `branch` that `merged` lacks: how many (up to `cap`), the
/// oldest commit time among them, and whether the walk reached the default branch's
/// history. `None` when the branch is fully merged.
fn unmerged(
    repo: &Repository,
    branch: Oid,
    merged: &HashSet<Oid>,
    cap: usize,
) -> Result<Option<Unmerged>, git2::Error> {
    let mut stack = vec![branch];
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut oldest = i64::MAX;
    let mut met_default = false;
    let mut cut = false;
    while let Some(oid) = stack.pop() {
        if merged.contains(&oid) {
            met_default = true;
            continue;
        }
        if !seen.insert(oid) {
            continue;
        }
        if seen.len() > cap {
            cut = true;
            break;
        }
        let commit = repo.find_commit(oid)?;
        oldest = oldest.min(commit.time().seconds());
        stack.extend(commit.parent_ids());
    }
    Ok((!seen.is_empty()).then_some(Unmerged {
        ahead: seen.len(),
        oldest,
        shares_history: met_default || cut,
    }))
}

fn branch_tip(repo: &Repository, branch: &str) -> Option<Oid> {
    for name in [
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
        "HEAD".to_owned(),
    ] {
        if let Ok(reference) = repo.find_reference(&name)
            && let Ok(commit) = reference.peel_to_commit()
        {
            return Some(commit.id());
        }
    }
    None
}

fn iso(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Sizes already measured, by key (`c:<sha>` a commit against its first parent,
/// `r:<old>..<new>` between two releases), read from and written back to one file per
/// repository. Any problem with the file only means measuring again.
#[derive(Default)]
struct SizeCache {
    file: Option<std::path::PathBuf>,
    sizes: std::collections::HashMap<String, u64>,
    dirty: bool,
}

impl SizeCache {
    /// Most entries kept per repository; beyond it the file is started afresh.
    const MAX_ENTRIES: usize = 200_000;

    fn open(dir: Option<&Path>, repo: &Repository) -> Self {
        let Some(dir) = dir else {
            return Self::default();
        };
        let id = evident_core::sha256_hex(repo.path().to_string_lossy().as_bytes());
        let file = dir.join("history-sizes").join(format!("{}.tsv", &id[..16]));
        let mut sizes = std::collections::HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&file) {
            for line in text.lines() {
                if let Some((key, n)) = line.split_once('\t')
                    && let Ok(n) = n.parse::<u64>()
                {
                    sizes.insert(key.to_owned(), n);
                }
            }
        }
        Self {
            file: Some(file),
            sizes,
            dirty: false,
        }
    }

    fn get(&self, key: &str) -> Option<u64> {
        self.sizes.get(key).copied()
    }

    fn put(&mut self, key: String, lines: u64) {
        if self.file.is_some() {
            self.sizes.insert(key, lines);
            self.dirty = true;
        }
    }

    fn save(&self) {
        let Some(file) = &self.file else { return };
        if !self.dirty || self.sizes.len() > Self::MAX_ENTRIES {
            return;
        }
        let mut text = String::with_capacity(self.sizes.len() * 50);
        for (k, v) in &self.sizes {
            text.push_str(&format!("{k}\t{v}\n"));
        }
        let written = file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let tmp = file.with_extension("tmp");
                std::fs::write(&tmp, text)?;
                std::fs::rename(&tmp, file)
            });
        if let Err(e) = written {
            tracing::debug!(file = %file.display(), "history size cache not written: {e}");
        }
    }
}

/// Measures changes on as many threads as there are cores (each with its own handle on
/// the repository: libgit2 handles are not shared across threads). Diffs are the
/// costly part of reading history.
fn measure_changes(repo: &Repository, changes: &mut [Change], budget: &Budget) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let path = repo.path().to_path_buf();
    if threads == 1 || changes.len() < 16 {
        measure_slice(repo, changes, budget);
        return;
    }
    let chunk = changes.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in changes.chunks_mut(chunk) {
            let path = path.clone();
            scope.spawn(move || {
                if let Ok(own) = Repository::open(&path) {
                    measure_slice(&own, part, budget);
                }
            });
        }
    });
}

fn measure_slice(repo: &Repository, changes: &mut [Change], budget: &Budget) {
    for change in changes {
        if budget.spent() {
            return;
        }
        let Ok(commit) = repo.find_commit(change.oid) else {
            continue;
        };
        let parent = commit.parent(0).ok();
        change.lines = diff_lines(repo, parent.as_ref(), &commit);
    }
}

/// Lines added plus deleted between two trees (no rename detection, binary files count
/// nothing: what a reviewer reads).
fn diff_lines(repo: &Repository, old: Option<&Commit<'_>>, new: &Commit<'_>) -> Option<u64> {
    let new_tree = new.tree().ok()?;
    let old_tree = match old {
        Some(c) => Some(c.tree().ok()?),
        None => None,
    };
    let mut options = DiffOptions::new();
    options.context_lines(0).ignore_submodules(true);
    let diff: Diff<'_> = repo
        .diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), Some(&mut options))
        .ok()?;
    let stats = diff.stats().ok()?;
    Some((stats.insertions() + stats.deletions()) as u64)
}

fn median(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

fn percentile(values: &mut [u64], p: f64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((values.len() as f64) * p).ceil() as usize;
    Some(values[rank.clamp(1, values.len()) - 1])
}

fn median_f64(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted[(sorted.len() - 1) / 2])
}

fn stats(changes: &[Change], since: i64, days: u32) -> ChangeStats {
    let in_span: Vec<&Change> = changes.iter().filter(|c| c.time >= since).collect();
    let mut sizes: Vec<u64> = in_span.iter().filter_map(|c| c.lines).collect();
    ChangeStats {
        days,
        count: in_span.len(),
        measured: sizes.len(),
        median_lines: median(&mut sizes),
        p90_lines: percentile(&mut sizes, 0.9),
    }
}

/// Whether a tag name reads as a version: an optional prefix (a path, `v`, `release-`)
/// then digits with at least one dot.
pub(crate) fn is_release_tag(name: &str) -> bool {
    let last = name.rsplit('/').next().unwrap_or(name);
    let start = last.find(|c: char| c.is_ascii_digit());
    let Some(start) = start else {
        return false;
    };
    let prefix = &last[..start];
    let prefix_ok = prefix.is_empty()
        || prefix.eq_ignore_ascii_case("v")
        || prefix.ends_with('-')
        || prefix.ends_with('_')
        || prefix.ends_with("-v")
        || prefix.ends_with("_v");
    let core: String = last[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    prefix_ok && core.contains('.') && core.split('.').all(|p| !p.is_empty())
}

struct Budget {
    started: Instant,
    limit: Duration,
}

impl Budget {
    fn spent(&self) -> bool {
        self.started.elapsed() >= self.limit
    }
}

/// Counts of the default branch's commits in the window.
struct Activity {
    commits: usize,
    authors: HashSet<Vec<u8>>,
    weeks: BTreeSet<i64>,
}

/// The state every phase of one history read shares: one time budget, one size cache
/// and one list of cuts, so a walk cut short in one phase is reported with the others.
struct HistoryWalk<'a> {
    repo: &'a Repository,
    key: &'a str,
    source: &'a str,
    branch: &'a str,
    tip: Oid,
    /// The window's start, in seconds since the epoch.
    since: i64,
    ctx: &'a ScanContext,
    limits: &'a HistoryLimits,
    budget: Budget,
    cache: SizeCache,
    cuts: Vec<String>,
    evidence: Vec<Evidence>,
}

#[allow(clippy::too_many_arguments)]
fn read_history(
    repo: &Repository,
    key: &str,
    source: &str,
    branch: &str,
    tip: Oid,
    now: DateTime<Utc>,
    ctx: &ScanContext,
    limits: &HistoryLimits,
) -> Result<(HistoryFacts, Vec<Evidence>), git2::Error> {
    let budget = Budget {
        started: Instant::now(),
        limit: limits.time_budget,
    };
    let since = (now - ChronoDuration::days(i64::from(limits.window_days))).timestamp();
    let since_90 = (now - ChronoDuration::days(90)).timestamp();
    let head = tip.to_string();
    let short: String = head.chars().take(7).collect();
    let mut walk = HistoryWalk {
        repo,
        key,
        source,
        branch,
        tip,
        since,
        ctx,
        limits,
        budget,
        cache: SizeCache::open(limits.cache_dir.as_deref(), repo),
        cuts: Vec::new(),
        evidence: Vec::new(),
    };

    let activity = walk.count_commits()?;
    tracing::debug!(
        repo = key,
        elapsed_ms = walk.elapsed_ms(),
        commits = activity.commits,
        "history: commits counted"
    );
    let changes = walk.merged_changes()?;
    let unmeasured = changes.iter().filter(|c| c.lines.is_none()).count();
    let sampled = (unmeasured > 0).then(|| {
        format!(
            "sizes measured for the newest {} of {} merged changes",
            changes.len() - unmeasured,
            changes.len()
        )
    });
    let largest_changes = walk.largest_changes(&changes);
    tracing::debug!(
        repo = key,
        elapsed_ms = walk.elapsed_ms(),
        changes = changes.len(),
        "history: merged changes measured"
    );
    let releases = walk.releases()?;
    let release_evidence = walk.release_evidence(&releases, &short, &head);
    tracing::debug!(
        repo = key,
        elapsed_ms = walk.elapsed_ms(),
        releases = releases.len(),
        "history: releases read"
    );
    let (stale_branches, branches_examined, excluded_branches) =
        walk.stale_branches(now.timestamp())?;
    tracing::debug!(
        repo = key,
        elapsed_ms = walk.elapsed_ms(),
        branches = branches_examined,
        "history: branches examined"
    );
    walk.cache.save();

    let read = Read {
        activity,
        changes,
        sampled,
        largest_changes,
        releases,
        release_evidence,
        stale_branches,
        branches_examined,
        excluded_branches,
    };
    Ok(walk.summarize(read, since_90, head, &short))
}

/// What the phases of one history read found, before it is summed up.
struct Read {
    activity: Activity,
    changes: Vec<Change>,
    sampled: Option<String>,
    largest_changes: Vec<ChangeRef>,
    releases: Vec<Release>,
    release_evidence: Option<String>,
    stale_branches: Vec<StaleBranch>,
    branches_examined: usize,
    excluded_branches: Vec<ExcludedBranch>,
}

impl HistoryWalk<'_> {
    /// The history facts and their summary evidence, from what the phases found.
    fn summarize(
        mut self,
        read: Read,
        since_90: i64,
        head: String,
        short: &str,
    ) -> (HistoryFacts, Vec<Evidence>) {
        let Read {
            activity,
            changes,
            sampled,
            largest_changes,
            releases,
            release_evidence,
            stale_branches,
            branches_examined,
            excluded_branches,
        } = read;
        let (key, branch, since, limits) = (self.key, self.branch, self.since, self.limits);
        let changes_all = stats(&changes, since, limits.window_days);
        let changes_90d = stats(&changes, since_90, 90.min(limits.window_days));
        let intervals: Vec<f64> = releases.iter().filter_map(|r| r.interval_days).collect();
        let mut release_diffs: Vec<u64> = releases.iter().filter_map(|r| r.diff_lines).collect();
        let id = format!("git_history:{key}@{short}");
        let summary = format!(
            "{} commit(s) by {} author(s) on {branch} since {}; {} merged change(s), median {} lines; {} release(s); {} branch(es) with unmerged commits over 30 days old",
            activity.commits,
            activity.authors.len(),
            &iso(since)[..10],
            changes_all.count,
            changes_all
                .median_lines
                .map_or_else(|| "n/a".to_owned(), |m| m.to_string()),
            releases.len(),
            stale_branches.len(),
        );
        self.record(
            id.clone(),
            format!(
                "git log --first-parent {branch} --since={}",
                &iso(since)[..10]
            ),
            Some(head.clone()),
            summary,
        );
        let weeks_in_window = (f64::from(limits.window_days) / 7.0).max(1.0);
        let truncated = (!self.cuts.is_empty()).then(|| self.cuts.join("; "));
        let commits = activity.commits;
        let facts = HistoryFacts {
            key: key.to_owned(),
            root: self.source.to_owned(),
            default_branch: branch.to_owned(),
            head,
            window_days: limits.window_days,
            since: iso(since),
            complete: truncated.is_none(),
            truncated,
            sampled,
            commits,
            commits_per_week: ((commits as f64 / weeks_in_window) * 10.0).round() / 10.0,
            authors: activity.authors.len(),
            weeks_with_commits: activity.weeks.len(),
            changes: changes_all,
            changes_90d,
            change_lines: changes.iter().filter_map(|c| c.lines).collect(),
            largest_changes,
            median_release_interval_days: median_f64(&intervals),
            median_release_diff_lines: median(&mut release_diffs),
            releases,
            stale_branches,
            branches_examined,
            excluded_branches,
            evidence: id,
            release_evidence,
        };
        (facts, self.evidence)
    }

    /// Adds one evidence record of this history read, its excerpt redacted.
    fn record(&mut self, id: String, locator: String, revision: Option<String>, excerpt: String) {
        self.evidence.push(Evidence {
            id,
            probe: HISTORY_PROBE_NAME.to_owned(),
            source: self.source.to_owned(),
            locator,
            location: None,
            observed_at: self.ctx.observed_at.clone(),
            revision,
            sha256: None,
            excerpt: self.ctx.redactor.redact(&excerpt),
        });
    }

    /// Milliseconds since the read began, for the debug log after each phase.
    fn elapsed_ms(&self) -> u64 {
        self.budget.started.elapsed().as_millis() as u64
    }

    /// Phase 1, every commit of the default branch in the window: activity and authors.
    fn count_commits(&mut self) -> Result<Activity, git2::Error> {
        let mut walk = self.repo.revwalk()?;
        walk.push(self.tip)?;
        // libgit2's default order is git's: newest first by commit date, produced as it
        // walks. Sort::TIME would first load the whole history.
        let mut activity = Activity {
            commits: 0,
            authors: HashSet::new(),
            weeks: BTreeSet::new(),
        };
        for (seen, oid) in walk.enumerate() {
            if seen >= self.limits.max_commits {
                self.cuts.push(format!(
                    "stopped counting commits after {} (--history-max-commits)",
                    self.limits.max_commits
                ));
                break;
            }
            if seen % 1024 == 0 && self.budget.spent() {
                self.cuts.push(format!(
                    "stopped counting commits after {seen} when the time budget ran out"
                ));
                break;
            }
            let commit = self.repo.find_commit(oid?)?;
            let time = commit.time().seconds();
            if time < self.since {
                break;
            }
            activity.commits += 1;
            activity
                .authors
                .insert(commit.author().email_bytes().to_ascii_lowercase());
            activity.weeks.insert((time - self.since) / (7 * 86_400));
        }
        Ok(activity)
    }

    /// Phase 2, merged changes: the first-parent line, newest first, sizes for the
    /// newest ones (from the cache when known, measured within the budget otherwise).
    fn merged_changes(&mut self) -> Result<Vec<Change>, git2::Error> {
        let mut walk = self.repo.revwalk()?;
        walk.push(self.tip)?;
        walk.simplify_first_parent()?;
        let mut changes: Vec<Change> = Vec::new();
        for oid in walk {
            let commit = self.repo.find_commit(oid?)?;
            let time = commit.time().seconds();
            if time < self.since {
                break;
            }
            changes.push(Change {
                oid: commit.id(),
                time,
                lines: None,
            });
            if changes.len() >= self.limits.max_commits {
                self.cuts.push(format!(
                    "stopped listing merged changes after {}",
                    self.limits.max_commits
                ));
                break;
            }
        }
        let measure = changes.len().min(self.limits.max_measured_changes);
        for change in &mut changes[..measure] {
            change.lines = self.cache.get(&format!("c:{}", change.oid));
        }
        let mut missing: Vec<Change> = changes[..measure]
            .iter()
            .filter(|c| c.lines.is_none())
            .map(|c| Change {
                oid: c.oid,
                time: c.time,
                lines: None,
            })
            .collect();
        measure_changes(self.repo, &mut missing, &self.budget);
        let measured: std::collections::HashMap<Oid, u64> = missing
            .iter()
            .filter_map(|c| c.lines.map(|n| (c.oid, n)))
            .collect();
        for change in &mut changes[..measure] {
            if change.lines.is_none()
                && let Some(n) = measured.get(&change.oid)
            {
                change.lines = Some(*n);
                self.cache.put(format!("c:{}", change.oid), *n);
            }
        }
        Ok(changes)
    }

    /// The five largest measured changes, each cited by its commit.
    fn largest_changes(&mut self, changes: &[Change]) -> Vec<ChangeRef> {
        let mut largest: Vec<&Change> = changes.iter().filter(|c| c.lines.is_some()).collect();
        largest.sort_by_key(|c| std::cmp::Reverse(c.lines));
        let mut refs = Vec::new();
        for c in largest.into_iter().take(5) {
            let sha = c.oid.to_string();
            let id = format!("git_history:{}@{}", self.key, &sha[..sha.len().min(12)]);
            let subject = self
                .repo
                .find_commit(c.oid)
                .ok()
                .and_then(|commit| {
                    commit
                        .summary_bytes()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                })
                .unwrap_or_default();
            let lines = c.lines.unwrap_or(0);
            self.record(
                id.clone(),
                format!("git show --stat {sha}"),
                Some(sha.clone()),
                format!("{} {subject} ({lines} lines)", iso(c.time)),
            );
            refs.push(ChangeRef {
                commit: sha,
                lines,
                evidence: id,
            });
        }
        refs
    }

    /// Phase 3, releases: version-like tags, oldest first, with intervals and diffs.
    fn releases(&mut self) -> Result<Vec<Release>, git2::Error> {
        let mut tagged: Vec<(i64, String, Oid)> = Vec::new();
        for reference in self.repo.references_glob("refs/tags/*")?.flatten() {
            let Ok(name) = reference.shorthand().map(str::to_owned) else {
                continue;
            };
            if !is_release_tag(&name) {
                continue;
            }
            if let Ok(commit) = reference.peel_to_commit() {
                tagged.push((commit.time().seconds(), name, commit.id()));
            }
        }
        tagged.sort();
        // The release just before the window gives the first interval inside it.
        let mut releases = Vec::new();
        let Some(first) = tagged.iter().position(|(t, _, _)| *t >= self.since) else {
            return Ok(releases);
        };
        let start = first.saturating_sub(1);
        for i in start..tagged.len() {
            let (time, name, oid) = &tagged[i];
            let previous = i.checked_sub(1).map(|p| &tagged[p]);
            let interval = previous.map(|(pt, _, _)| (time - pt) as f64 / 86_400.0);
            let diff = match previous {
                Some((_, _, poid)) if i >= first => self.release_diff(*poid, *oid)?,
                _ => None,
            };
            if i >= first {
                releases.push(Release {
                    tag: name.clone(),
                    commit: oid.to_string(),
                    time: iso(*time),
                    interval_days: interval.map(|d| (d * 10.0).round() / 10.0),
                    diff_lines: diff,
                });
            }
        }
        Ok(releases)
    }

    /// Lines between two releases: from the cache, else measured while the budget lasts.
    fn release_diff(&mut self, previous: Oid, oid: Oid) -> Result<Option<u64>, git2::Error> {
        let key = format!("r:{previous}..{oid}");
        Ok(match self.cache.get(&key) {
            Some(n) => Some(n),
            None if !self.budget.spent() => {
                let old = self.repo.find_commit(previous).ok();
                let new = self.repo.find_commit(oid)?;
                let n = diff_lines(self.repo, old.as_ref(), &new);
                if let Some(n) = n {
                    self.cache.put(key, n);
                }
                n
            }
            None => None,
        })
    }

    /// The newest ten releases as one evidence record, when there are any.
    fn release_evidence(
        &mut self,
        releases: &[Release],
        short: &str,
        head: &str,
    ) -> Option<String> {
        if releases.is_empty() {
            return None;
        }
        let id = format!("git_history:{}@{short}:releases", self.key);
        let listing: Vec<String> = releases
            .iter()
            .rev()
            .take(10)
            .map(|r| {
                format!(
                    "{} {} {}",
                    &r.time[..10.min(r.time.len())],
                    r.tag,
                    r.diff_lines
                        .map_or_else(String::new, |d| format!("({d} lines)"))
                )
            })
            .collect();
        self.record(
            id.clone(),
            "git tag --sort=creatordate".to_owned(),
            Some(head.to_owned()),
            listing.join("\n"),
        );
        Some(id)
    }

    /// Every branch but the default one, local and remote (a local branch of the same
    /// name wins), with its tip.
    fn branch_tips(&self) -> Result<BTreeMap<String, Oid>, git2::Error> {
        let mut branch_tips: BTreeMap<String, Oid> = BTreeMap::new();
        for (glob, prefix) in [
            ("refs/heads/*", "refs/heads/"),
            ("refs/remotes/*", "refs/remotes/"),
        ] {
            for reference in self.repo.references_glob(glob)?.flatten() {
                let Ok(full) = reference.name() else {
                    continue;
                };
                let mut name = full.trim_start_matches(prefix).to_owned();
                if prefix == "refs/remotes/" {
                    // origin/feature → feature; a local branch of the same name wins.
                    match name.split_once('/') {
                        Some((_, rest)) => name = rest.to_owned(),
                        None => continue,
                    }
                }
                if name == "HEAD" || name == self.branch {
                    continue;
                }
                if let Ok(commit) = reference.peel_to_commit() {
                    branch_tips.entry(name).or_insert(commit.id());
                }
            }
        }
        Ok(branch_tips)
    }

    /// Phase 4, branches with commits the default branch lacks, 30 days old or more;
    /// returns them, how many branches were examined, and the branches set aside
    /// (publishing branches by name, and branches sharing no commit with the default
    /// branch).
    fn stale_branches(
        &mut self,
        now_s: i64,
    ) -> Result<(Vec<StaleBranch>, usize, Vec<ExcludedBranch>), git2::Error> {
        let mut branch_tips = self.branch_tips()?;
        let mut excluded: Vec<ExcludedBranch> = Vec::new();
        branch_tips.retain(|name, _| {
            let publishing = PUBLISHING_BRANCHES.contains(&name.as_str());
            if publishing {
                excluded.push(ExcludedBranch {
                    name: name.clone(),
                    why: "publishing branch (GitHub Pages), never merged".to_owned(),
                });
            }
            !publishing
        });
        let tip = self.tip;
        // One walk of the default branch's whole history, shared by every branch: asking
        // libgit2 for ahead/behind per branch repeats that walk for each old branch.
        // What a branch holds that the default branch lacks is fixed by the two tips, so
        // it is kept between scans like change sizes; when every branch is known, the
        // walk of the default branch's history is not needed at all.
        let keys_of = |b: &Oid| (format!("ba:{b}..{tip}"), format!("bo:{b}..{tip}"));
        let all_known = branch_tips
            .values()
            .take(self.limits.max_branches)
            .all(|b| {
                self.cache.get(&keys_of(b).0).is_some()
                    && self.cache.get(&shared_key(*b, tip)).is_some()
            });
        let on_default = if branch_tips.is_empty() || all_known {
            Some(HashSet::new())
        } else {
            reachable_set(self.repo, tip, self.limits.max_commits, &self.budget)?
        };
        if on_default.is_none() && !branch_tips.is_empty() {
            self.cuts.push(format!(
                "branches were not examined: the default branch has more than {} commits or the time budget ran out",
                self.limits.max_commits
            ));
        }
        let on_default = on_default.unwrap_or_default();
        let examine = if on_default.is_empty() && !branch_tips.is_empty() && !all_known {
            0
        } else {
            branch_tips.len()
        };
        let mut stale_branches = Vec::new();
        let mut branches_examined = 0usize;
        for (name, branch_oid) in branch_tips.iter().take(examine) {
            if branches_examined >= self.limits.max_branches || self.budget.spent() {
                self.cuts.push(format!(
                    "examined {branches_examined} of {} branches",
                    branch_tips.len()
                ));
                break;
            }
            branches_examined += 1;
            let (ahead_key, oldest_key) = keys_of(branch_oid);
            let Some((ahead, oldest, shares_history)) =
                self.unmerged_cached(*branch_oid, &on_default, ahead_key, oldest_key)?
            else {
                continue;
            };
            if !shares_history {
                excluded.push(ExcludedBranch {
                    name: name.clone(),
                    why: format!(
                        "shares no commit with {}: unrelated history, never merged",
                        self.branch
                    ),
                });
                continue;
            }
            let age_days = ((now_s - oldest).max(0) / 86_400) as u32;
            if age_days < 30 {
                continue;
            }
            stale_branches.push(self.stale_branch(name, *branch_oid, ahead, oldest, age_days));
        }
        Ok((stale_branches, branches_examined, excluded))
    }

    /// What `branch` holds that the default branch lacks (count, oldest commit time,
    /// whether it shares any history with the default branch), from the cache when both tips were seen before; `None` when nothing.
    fn unmerged_cached(
        &mut self,
        branch: Oid,
        on_default: &HashSet<Oid>,
        ahead_key: String,
        oldest_key: String,
    ) -> Result<Option<(usize, i64, bool)>, git2::Error> {
        Ok(
            match (self.cache.get(&ahead_key), self.cache.get(&oldest_key)) {
                (Some(0), _) => None,
                (Some(ahead), Some(oldest))
                    if self.cache.get(&shared_key(branch, self.tip)).is_some() =>
                {
                    let shared = self.cache.get(&shared_key(branch, self.tip)) != Some(0);
                    Some((ahead as usize, oldest as i64, shared))
                }
                _ => {
                    let walked = unmerged(self.repo, branch, on_default, 10_000)?;
                    let shared = walked.as_ref().is_none_or(|w| w.shares_history);
                    self.cache
                        .put(shared_key(branch, self.tip), u64::from(shared));
                    match &walked {
                        None => self.cache.put(ahead_key, 0),
                        Some(w) => {
                            self.cache.put(ahead_key, w.ahead as u64);
                            self.cache.put(oldest_key, w.oldest.max(0) as u64);
                        }
                    }
                    walked.map(|w| (w.ahead, w.oldest, w.shares_history))
                }
            },
        )
    }

    /// One stale branch, cited by its tip.
    fn stale_branch(
        &mut self,
        name: &str,
        tip: Oid,
        ahead: usize,
        oldest: i64,
        age_days: u32,
    ) -> StaleBranch {
        let branch = self.branch;
        let id = format!("git_history:{}:branch/{name}", self.key);
        self.record(
            id.clone(),
            format!("git log {branch}..{name}"),
            Some(tip.to_string()),
            format!(
                "branch {name}: {ahead} commit(s) not on {branch}, oldest from {}",
                iso(oldest)
            ),
        );
        StaleBranch {
            name: name.to_owned(),
            unmerged_commits: ahead,
            oldest_unmerged: iso(oldest),
            age_days,
            evidence: id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_tags_are_releases_and_others_are_not() {
        for yes in [
            "v1.2.3",
            "1.4",
            "release-2.0",
            "api/v3.1.0",
            "v0.10.0-rc.1",
            "chart_v1.0",
        ] {
            assert!(is_release_tag(yes), "{yes}");
        }
        for no in ["latest", "deployed", "v1", "build-123", "1.", "foo1.2"] {
            assert!(!is_release_tag(no), "{no}");
        }
    }

    #[test]
    fn median_takes_the_lower_middle() {
        assert_eq!(median(&mut [5, 1, 3]), Some(3));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median(&mut []), None);
        assert_eq!(
            percentile(&mut [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9),
            Some(9)
        );
    }
}
