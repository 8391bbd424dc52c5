//! `facts.github`, typed where it is produced; the shape is docs/facts.md's
//! "GithubFacts" section, which the rules and resolution read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The probe's section of the facts document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GithubFacts {
    /// The API base read.
    pub api: String,
    /// The scan's observation time; every window counts back from it.
    pub now: String,
    /// How far back each kind of record was read.
    pub windows: Windows,
    /// Repositories by the git probe's repository key.
    pub repos: BTreeMap<String, GithubRepo>,
    /// Teams by `<org>/<slug>`.
    pub teams: BTreeMap<String, GithubTeam>,
    /// False when the teams of some organisation could not be read (see `unread`).
    pub teams_read: bool,
    /// Organisation-level parts not read (`teams`), with how they failed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread: BTreeMap<String, Unread>,
    /// Repositories listed and set aside.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
}

/// Window lengths in days.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Windows {
    /// Workflow runs.
    pub runs_days: u32,
    /// Deployments.
    pub deployments_days: u32,
    /// Merged pull requests.
    pub pull_requests_days: u32,
}

impl Default for Windows {
    fn default() -> Self {
        Self {
            runs_days: 30,
            deployments_days: 90,
            pull_requests_days: 180,
        }
    }
}

/// A repository listed but not scanned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Skipped {
    /// `owner/name`.
    pub repo: String,
    /// Why (archived, fork).
    pub why: String,
}

/// A part that was not read, and how it failed: rules answer `unknown` with `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    /// `forbidden`, `rate_limited`, `error` or `timeout`.
    pub status: String,
    /// What failed, with the API path.
    pub detail: String,
}

/// What GitHub records about one repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GithubRepo {
    /// The git probe's key of the same repository.
    pub key: String,
    /// `owner/name`.
    pub full_name: String,
    /// Where a person opens it.
    pub url: String,
    /// Its default branch.
    pub default_branch: Option<String>,
    /// Its last push.
    pub pushed_at: Option<String>,
    /// Archived on GitHub.
    pub archived: bool,
    /// A fork.
    pub fork: bool,
    /// Evidence of the repository as listed.
    pub evidence: String,
    /// Parts not read for this repository.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread: BTreeMap<String, Unread>,
    /// Merge requirements of the default branch (None when unread).
    pub protection: Option<Protection>,
    /// Deployment environments (None when unread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<Environment>>,
    /// Workflow runs of the window (None when unread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<Runs>,
    /// Deployments of the window, newest first (None when unread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployments: Option<Vec<Deployment>>,
    /// False when the window held more deployments than one page.
    pub deployments_complete: bool,
    /// Releases (None when unread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub releases: Option<Vec<Release>>,
    /// Tags, newest first.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Merged pull requests of the window (None when unread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_requests: Option<PullRequests>,
    /// Authors of the default branch's newest 100 commits GitHub ties to a login, so an
    /// on-call user can be joined to a login by email (hashed, never in clear).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commit_authors: Vec<CommitAuthor>,
}

/// A commit author GitHub ties to a login.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommitAuthor {
    /// `evident_oncall::email_key` of the author email: the join key, never the address.
    pub email_hash: String,
    /// The GitHub login, lower-cased.
    pub login: String,
}

/// What merging into the default branch requires.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Protection {
    /// The branch.
    pub branch: String,
    /// Status checks that must pass.
    pub required_checks: Vec<String>,
    /// Approving reviews required (largest of all rules), 0 when none.
    pub required_reviews: u32,
    /// The rules these come from.
    pub sources: Vec<String>,
    /// Evidence id.
    pub evidence: String,
}

/// One reviewer of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reviewer {
    /// A person.
    User {
        /// Lower-cased login.
        login: String,
    },
    /// A team, `<org>/<slug>`.
    Team {
        /// Team id.
        team: String,
    },
}

/// A deployment environment and its protection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Whether the name says production.
    pub production: bool,
    /// Required reviewers.
    pub reviewers: Vec<Reviewer>,
    /// Wait timer in minutes.
    pub wait_timer_minutes: u32,
    /// Evidence id.
    pub evidence: String,
}

/// Workflow runs of the window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Runs {
    /// Start of the window.
    pub since: String,
    /// Runs read.
    pub count: u64,
    /// False when the page bound cut the listing (count is a lower bound).
    pub complete: bool,
    /// Per workflow file.
    pub workflows: Vec<WorkflowRuns>,
    /// Evidence id.
    pub evidence: String,
}

/// The runs of one workflow.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkflowRuns {
    /// Workflow file.
    pub path: String,
    /// Workflow name.
    pub name: String,
    /// Runs in the window.
    pub runs: u64,
    /// Newest run's creation time.
    pub last_run_at: String,
    /// Events that started them, sorted.
    pub events: Vec<String>,
    /// Conclusions counted.
    pub conclusions: BTreeMap<String, u64>,
}

/// One deployment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deployment {
    /// GitHub's id.
    pub id: u64,
    /// Environment name.
    pub environment: String,
    /// Whether the environment is production.
    pub production: bool,
    /// Creation time.
    pub created_at: String,
    /// Deployed commit.
    pub sha: Option<String>,
    /// Task (`deploy`).
    pub task: Option<String>,
    /// Creator's login.
    pub creator: Option<String>,
    /// Creator's kind (`Bot`, `User`, ...).
    pub creator_type: Option<String>,
    /// Created by automation: see docs/facts.md.
    pub by_automation: bool,
    /// The workflow run that created it.
    pub run_id: Option<u64>,
    /// The event that started that run, when the run is in the runs window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_event: Option<String>,
    /// Newest status.
    pub state: Option<String>,
    /// First success.
    pub succeeded_at: Option<String>,
    /// Evidence id.
    pub evidence: String,
}

/// One release.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    /// Its tag.
    pub tag: String,
    /// Creation time.
    pub created_at: String,
    /// Publication time.
    pub published_at: Option<String>,
    /// Marked pre-release.
    pub prerelease: bool,
    /// Evidence id.
    pub evidence: String,
}

/// One tag.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    /// Tag name.
    pub name: String,
    /// The commit it names.
    pub sha: Option<String>,
    /// That commit's time.
    pub committed_at: Option<String>,
}

/// Merged pull requests of the window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PullRequests {
    /// False when the newest 100 were read and the window reaches further.
    pub complete: bool,
    /// Newest first.
    pub items: Vec<PullRequest>,
}

/// One merged pull request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Lower-cased author login.
    pub author: Option<String>,
    /// Opened.
    pub created_at: String,
    /// Merged.
    pub merged_at: String,
    /// Its first commit's time.
    pub first_commit_at: Option<String>,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Lines changed.
    pub lines: u64,
    /// The merge commit.
    pub merge_sha: Option<String>,
    /// Files changed (at most 100).
    pub files: Vec<String>,
    /// False when it changed more files than were read.
    pub files_complete: bool,
    /// Evidence id.
    pub evidence: String,
}

/// A team of an organisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GithubTeam {
    /// `<org>/<slug>`.
    pub id: String,
    /// Organisation login.
    pub org: String,
    /// Team slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Lower-cased member logins (at most 100).
    pub members: Vec<String>,
    /// GitHub's count of members.
    pub member_count: u64,
    /// False when there are more members than were read.
    pub members_complete: bool,
    /// Permission on each repository of the scan, by repository key.
    pub repos: BTreeMap<String, String>,
    /// Evidence id.
    pub evidence: String,
}

/// Whether an environment name says production: `prod`, `production`, `live`, or a
/// name that starts or ends with `prod-`/`-prod`/`production-`/`-production`
/// (`production-eu`, `web-prod`). Staging, preview and test environments are not.
pub fn is_production(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let exact = matches!(n.as_str(), "prod" | "production" | "live" | "prd");
    let words = ["prod", "production"];
    exact
        || words.iter().any(|w| {
            n.starts_with(&format!("{w}-"))
                || n.starts_with(&format!("{w}_"))
                || n.starts_with(&format!("{w}/"))
                || n.ends_with(&format!("-{w}"))
                || n.ends_with(&format!("_{w}"))
                || n.ends_with(&format!("/{w}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_is_read_from_the_environment_name() {
        for yes in [
            "production",
            "Prod",
            "prod-eu",
            "web-production",
            "live",
            "shop/prod",
        ] {
            assert!(is_production(yes), "{yes}");
        }
        for no in [
            "staging",
            "preview",
            "github-pages",
            "product-docs",
            "pr-123",
            "test",
        ] {
            assert!(!is_production(no), "{no}");
        }
    }
}
