//! The github probe: what GitHub itself records about the repositories of a scan —
//! merge requirements, environments and who approves them, workflow runs, deployments
//! and who made them, releases, merged pull requests, teams and their rights.
//!
//! Files say what a pipeline would do; these records say what it did. The probe reads
//! the repositories the scan listed (and cloned for the git probe) with one GraphQL
//! query and one conditional REST listing each, plus one GraphQL query per 50 teams of
//! each organisation. A part GitHub would not let the token read is `unread` with its
//! status (forbidden, rate_limited, ...), never empty.

#![warn(missing_docs)]

pub mod facts;
mod repository;
mod runs;
mod teams;

use async_trait::async_trait;
use chrono::{DateTime, Duration as Days, SecondsFormat, Utc};
use evident_core::{
    Evidence, Probe, ProbeOutput, ScanContext, SourceReport, SourceStatus, UnreadItem,
};
use evident_github::tape::{SOURCE as TAPE_SOURCE, not_replayed};
use evident_github::{Client, GithubError, RepoListing};
use facts::{GithubFacts, GithubRepo, Skipped, Windows};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the scan found before the probes ran: the client, the repositories listed
/// (each with the git probe's key of its clone) and the organisations among them.
#[derive(Debug, Clone)]
pub struct GithubInput {
    /// The scan's shared client (its accounting covers listing, probe and all).
    pub client: Arc<Client>,
    /// `(repository key, listing)` of every repository to read.
    pub repos: Vec<(String, RepoListing)>,
    /// Organisations whose teams to read.
    pub orgs: Vec<String>,
    /// Repositories listed and set aside, and why.
    pub skipped: Vec<(String, String)>,
    /// Targets the listing could not read.
    pub failed: Vec<(String, GithubError)>,
    /// Listings cut short, and why.
    pub incomplete: Vec<(String, String)>,
}

/// The probe. Without input (`--github` not given) it reports `not_configured`.
#[derive(Debug, Default)]
pub struct GithubProbe {
    input: Option<GithubInput>,
    /// Where raw answers are recorded or replayed from ([`Self::with_tape`]).
    tape: evident_snapshot::Tape,
}

impl GithubProbe {
    /// A probe that reads what `input` lists, or nothing.
    pub fn new(input: Option<GithubInput>) -> Self {
        Self {
            input,
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

/// The windows and their starts, counted back from the scan's observation time.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub windows: Windows,
    pub runs_since_date: String,
    pub runs_since: String,
    pub deployments_since: String,
    pub pulls_since: String,
}

impl Window {
    fn at(now: DateTime<Utc>, windows: Windows) -> Self {
        let back = |days: u32| {
            (now - Days::days(i64::from(days))).to_rfc3339_opts(SecondsFormat::Secs, true)
        };
        Self {
            runs_since_date: (now - Days::days(i64::from(windows.runs_days)))
                .format("%Y-%m-%d")
                .to_string(),
            runs_since: back(windows.runs_days),
            deployments_since: back(windows.deployments_days),
            pulls_since: back(windows.pull_requests_days),
            windows,
        }
    }
}

/// A repository's GraphQL answer kept between scans.
#[derive(Debug, Serialize, Deserialize)]
struct CachedAnswer {
    pushed_at: Option<String>,
    fetched_at: i64,
    repository: Value,
    errors: Vec<(String, String, String)>,
}

#[async_trait]
impl Probe for GithubProbe {
    fn name(&self) -> &'static str {
        "github"
    }

    fn capabilities(&self) -> &'static [&'static str] {
        &["github"]
    }

    async fn collect(&self, ctx: &ScanContext) -> ProbeOutput {
        let Some(input) = &self.input else {
            return ProbeOutput::failed(
                "github",
                "github",
                SourceStatus::NotConfigured,
                "no --github given (an organisation or owner/repo; token from EVIDENT_GITHUB_TOKEN, GITHUB_TOKEN or GH_TOKEN)",
            );
        };
        let now = DateTime::parse_from_rfc3339(&ctx.observed_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        let window = Window::at(now, Windows::default());
        collect(input, ctx, &window, now).await
    }
}

async fn collect(
    input: &GithubInput,
    ctx: &ScanContext,
    window: &Window,
    now: DateTime<Utc>,
) -> ProbeOutput {
    let clock = std::time::Instant::now();
    let client = &input.client;
    let mut evidence = Vec::new();
    let mut facts = GithubFacts {
        api: client.api().to_owned(),
        now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        windows: window.windows,
        teams_read: true,
        skipped: input
            .skipped
            .iter()
            .map(|(repo, why)| Skipped {
                repo: repo.clone(),
                why: why.clone(),
            })
            .collect(),
        ..GithubFacts::default()
    };
    ctx.progress
        .begin("GitHub repositories", input.repos.len() as u64);
    let mut tasks = tokio::task::JoinSet::new();
    for (key, listing) in input.repos.iter().cloned() {
        let client = Arc::clone(client);
        let window = window.clone();
        let observed = ctx.observed_at.clone();
        tasks.spawn(async move { read_repo(&client, key, &listing, &window, &observed).await });
    }
    while let Some(done) = tasks.join_next().await {
        ctx.progress.advance("GitHub repositories");
        match done {
            Ok((repo, records)) => {
                evidence.extend(records);
                facts.repos.insert(repo.key.clone(), repo);
            }
            Err(e) => tracing::error!("a GitHub repository read stopped unexpectedly: {e}"),
        }
    }
    ctx.progress.end("GitHub repositories");
    let keys: BTreeMap<String, String> = input
        .repos
        .iter()
        .map(|(k, l)| (l.full_name.to_lowercase(), k.clone()))
        .collect();
    for org in &input.orgs {
        match teams::read(client, org, &keys, &ctx.observed_at).await {
            Ok((found, records)) => {
                facts.teams.extend(found);
                evidence.extend(records);
            }
            Err(e) => {
                facts.teams_read = false;
                facts.unread.insert(
                    "teams".into(),
                    facts::Unread {
                        status: e.status().as_str().to_owned(),
                        detail: format!("teams of {org}: {e}"),
                    },
                );
            }
        }
    }
    for e in &mut evidence {
        e.excerpt = ctx.redactor.redact(&e.excerpt);
    }
    // Repositories are read concurrently: their records are put in one order, so the
    // output of a scan (and of its replay) does not depend on which answered first.
    evidence.sort_by(|a, b| a.id.cmp(&b.id));
    let report = source_report(input, &facts);
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        repositories = facts.repos.len(),
        "GitHub records read"
    );
    let facts = serde_json::to_value(&facts).unwrap_or(Value::Null);
    ProbeOutput {
        facts,
        evidence,
        sources: vec![report],
    }
}

/// The source report: `ok` when every target was listed (repository-level gaps are in
/// the facts' `unread`, so they reach only those repositories' services), else the
/// status of the first target that failed. The detail is the request summary.
fn source_report(input: &GithubInput, facts: &GithubFacts) -> SourceReport {
    let (stats, quotas) = input.client.summary();
    let unread = facts
        .repos
        .values()
        .filter(|r| !r.unread.is_empty())
        .count();
    let mut detail = format!(
        "{} repositories read ({} skipped, {} with parts not read); {} requests sent, {} answered 304 Not Modified, {} GraphQL answers reused; quota spent: {} requests, {} GraphQL points",
        facts.repos.len(),
        facts.skipped.len(),
        unread,
        stats.sent,
        stats.not_modified,
        stats.reused,
        stats.counted(),
        stats.graphql_points,
    );
    for q in quotas {
        detail.push_str(&format!("; {q}"));
    }
    let mut status = SourceStatus::Ok;
    for (target, e) in &input.failed {
        if status == SourceStatus::Ok {
            status = e.status();
        }
        detail.push_str(&format!("; {target} could not be listed: {e}"));
    }
    let mut report = SourceReport::new("github", input.client.api(), status, Some(detail));
    for (listing, why) in &input.incomplete {
        report.incomplete.push(UnreadItem::new(listing, why));
    }
    report
}

/// A repository's GraphQL answer: reused when GitHub lists it as unchanged and the
/// cached answer is younger than the refresh bound, else asked for.
async fn answer_of(
    client: &Client,
    listing: &RepoListing,
) -> Result<(Value, Vec<(String, String, String)>, bool), GithubError> {
    let key = format!("graphql:{}", listing.full_name);
    let now = Utc::now().timestamp();
    // An answer the recorded scan reused from its cache was recorded as a value: the
    // replay takes it from there (it has no cache).
    let reused_key = format!("value:graphql-reused {}", listing.full_name);
    let tape = client.tape();
    if tape.is_replaying() {
        match tape.replay_value::<(Value, Vec<(String, String, String)>)>(TAPE_SOURCE, &reused_key)
        {
            Ok((repository, errors)) => {
                client.note_reused();
                return Ok((repository, errors, true));
            }
            Err(evident_snapshot::ReplayError::NotRecorded { .. }) => {}
            Err(e) => return Err(not_replayed(&reused_key, &e)),
        }
    }
    if let Some(cache) = client.cache()
        && let Some(cached) = cache.load::<CachedAnswer>(&key)
        && cached.pushed_at == listing.pushed_at
        && now - cached.fetched_at < client.config().refresh.as_secs() as i64
    {
        client.note_reused();
        tape.record_value(
            TAPE_SOURCE,
            &reused_key,
            &(&cached.repository, &cached.errors),
        );
        return Ok((cached.repository, cached.errors, true));
    }
    let variables = serde_json::json!({"owner": listing.owner, "name": listing.name});
    let answer = client
        .graphql(repository::OPERATION, repository::QUERY, variables)
        .await?;
    let repository = answer
        .data
        .get("repository")
        .cloned()
        .unwrap_or(Value::Null);
    let errors: Vec<(String, String, String)> = answer
        .errors
        .iter()
        .map(|e| (e.kind.clone(), e.path.clone(), e.message.clone()))
        .collect();
    if let Some(cache) = client.cache() {
        cache.store(
            &key,
            &CachedAnswer {
                pushed_at: listing.pushed_at.clone(),
                fetched_at: now,
                repository: repository.clone(),
                errors: errors.clone(),
            },
        );
    }
    Ok((repository, errors, false))
}

async fn read_repo(
    client: &Client,
    key: String,
    listing: &RepoListing,
    window: &Window,
    observed_at: &str,
) -> (GithubRepo, Vec<Evidence>) {
    let full = listing.full_name.clone();
    let mut repo = GithubRepo {
        key,
        full_name: full.clone(),
        url: listing.html_url.clone(),
        default_branch: listing.default_branch.clone(),
        pushed_at: listing.pushed_at.clone(),
        archived: listing.archived,
        fork: listing.fork,
        evidence: format!("github:{full}"),
        deployments_complete: true,
        ..GithubRepo::default()
    };
    let mut records = vec![listing_evidence(listing, observed_at)];
    match answer_of(client, listing).await {
        Ok((value, errors, _reused)) => {
            for (kind, path, message) in &errors {
                let part = repository::part_of_path(path);
                let status = if kind == "FORBIDDEN" {
                    "forbidden"
                } else {
                    "error"
                };
                let detail = format!(
                    "POST /graphql {} {path}: {kind} {message}",
                    repository::OPERATION
                );
                repository::mark_unread(&mut repo, part, status, detail);
            }
            match serde_json::from_value::<repository::Repository>(value.clone()) {
                Ok(parsed) if !value.is_null() => {
                    repository::fill(
                        &mut repo,
                        &parsed,
                        &window.deployments_since,
                        &window.pulls_since,
                    );
                }
                Ok(_) => repository::mark_unread(
                    &mut repo,
                    "all",
                    "error",
                    format!(
                        "POST /graphql {}: GitHub answered no repository {full}",
                        repository::OPERATION
                    ),
                ),
                Err(e) => repository::mark_unread(
                    &mut repo,
                    "all",
                    "error",
                    format!(
                        "POST /graphql {}: the answer for {full} is not of the documented shape: {e}",
                        repository::OPERATION
                    ),
                ),
            }
        }
        Err(e) => repository::mark_unread(&mut repo, "all", e.status().as_str(), e.to_string()),
    }
    match runs::read(client, &full, window).await {
        Ok((runs, events)) => {
            runs::join_deployments(&mut repo, &events);
            records.push(runs::evidence(&full, &runs, window, observed_at));
            repo.runs = Some(runs);
        }
        Err(e) => repository::mark_unread(&mut repo, "runs", e.status().as_str(), e.to_string()),
    }
    if repo.unread.contains_key("all") {
        repo.protection = None;
    }
    records.extend(records_of(&repo, observed_at));
    (repo, records)
}

fn listing_evidence(listing: &RepoListing, observed_at: &str) -> Evidence {
    Evidence {
        id: format!("github:{}", listing.full_name),
        probe: "github".into(),
        source: listing.html_url.clone(),
        locator: format!("GET {}", listing.listed_by),
        location: None,
        observed_at: observed_at.to_owned(),
        revision: None,
        sha256: Some(listing.sha256.clone()),
        excerpt: format!(
            "{}: default branch {}, pushed {}{}{}",
            listing.full_name,
            listing.default_branch.as_deref().unwrap_or("(none)"),
            listing.pushed_at.as_deref().unwrap_or("never"),
            if listing.archived { ", archived" } else { "" },
            if listing.fork { ", fork" } else { "" },
        ),
    }
}

fn record(
    repo: &GithubRepo,
    id: &str,
    locator: String,
    excerpt: String,
    observed_at: &str,
) -> Evidence {
    Evidence {
        id: id.to_owned(),
        probe: "github".into(),
        source: repo.url.clone(),
        locator,
        location: None,
        observed_at: observed_at.to_owned(),
        revision: None,
        sha256: None,
        excerpt,
    }
}

/// Evidence of every record the facts cite.
fn records_of(repo: &GithubRepo, observed_at: &str) -> Vec<Evidence> {
    let full = &repo.full_name;
    let gql = |field: &str| {
        format!(
            "POST /graphql {} {{owner, name}} repository.{field} ({full})",
            repository::OPERATION
        )
    };
    let mut out = Vec::new();
    if let Some(p) = &repo.protection {
        let excerpt = format!(
            "default branch {}: required checks [{}], required approving reviews {}, from {}",
            p.branch,
            p.required_checks.join(", "),
            p.required_reviews,
            if p.sources.is_empty() {
                "no rule".to_owned()
            } else {
                p.sources.join(", ")
            }
        );
        out.push(record(
            repo,
            &p.evidence,
            gql("defaultBranchRef.branchProtectionRule, rulesets"),
            excerpt,
            observed_at,
        ));
    }
    for e in repo.environments.iter().flatten() {
        let reviewers: Vec<String> = e
            .reviewers
            .iter()
            .map(|r| match r {
                facts::Reviewer::User { login } => login.clone(),
                facts::Reviewer::Team { team } => format!("team {team}"),
            })
            .collect();
        let excerpt = format!(
            "environment {}{}: reviewers [{}], wait timer {} min",
            e.name,
            if e.production { " (production)" } else { "" },
            reviewers.join(", "),
            e.wait_timer_minutes
        );
        out.push(record(
            repo,
            &e.evidence,
            format!("GET /repos/{full}/environments/{}", e.name),
            excerpt,
            observed_at,
        ));
    }
    for d in repo.deployments.iter().flatten() {
        let excerpt = format!(
            "deployment {} to {} at {} of {} by {} ({}){}, state {}",
            d.id,
            d.environment,
            d.created_at,
            d.sha.as_deref().map_or("?", |s| &s[..s.len().min(12)]),
            d.creator.as_deref().unwrap_or("?"),
            d.creator_type.as_deref().unwrap_or("?"),
            d.run_id
                .map(|r| format!(", workflow run {r}"))
                .unwrap_or_default(),
            d.state.as_deref().unwrap_or("none"),
        );
        out.push(record(
            repo,
            &d.evidence,
            format!("GET /repos/{full}/deployments/{}", d.id),
            excerpt,
            observed_at,
        ));
    }
    for r in repo.releases.iter().flatten() {
        let excerpt = format!("release {} created {}", r.tag, r.created_at);
        out.push(record(
            repo,
            &r.evidence,
            format!("GET /repos/{full}/releases/tags/{}", r.tag),
            excerpt,
            observed_at,
        ));
    }
    for p in repo.pull_requests.iter().flat_map(|p| p.items.iter()) {
        let excerpt = format!(
            "pull request #{} by {} opened {}, merged {}, +{} -{} in {} files",
            p.number,
            p.author.as_deref().unwrap_or("?"),
            p.created_at,
            p.merged_at,
            p.additions,
            p.deletions,
            p.files.len()
        );
        out.push(record(
            repo,
            &p.evidence,
            format!("GET /repos/{full}/pulls/{}", p.number),
            excerpt,
            observed_at,
        ));
    }
    out
}
