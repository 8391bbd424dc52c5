//! The estate the mock serves: organisations, repositories, teams, tokens and faults, built in
//! code (or deserialised) by a test. Every type has a `Default` and small constructors so a
//! 12-repository organisation is a few lines and a 1,000-repository one is a loop.
//!
//! Timestamps are RFC 3339 UTC strings (`2024-05-01T12:00:00Z`), served as they are; the runs
//! route compares their date part, so keep them in that form.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::faults::Faults;

/// The whole estate: what the REST and GraphQL routes answer from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Model {
    /// Organisations (`/orgs/{org}/repos`, GraphQL `organization`).
    pub orgs: Vec<Org>,
    /// User accounts (`/users/{user}/repos`); their `teams` are ignored.
    pub users: Vec<Org>,
    /// The tokens the server accepts; any other (or none) answers 401.
    pub tokens: Vec<TokenSpec>,
    /// Whether the git server requires a known token as basic-auth password (as GitHub does for
    /// private repositories: `x-access-token:<token>`).
    pub git_auth: bool,
    /// Rate limits, secondary limits, per-route faults, latency, the echo canary.
    pub faults: Faults,
    /// A GitHub App installed on the model's organisations, if any: `POST
    /// /app/installations/{id}/access_tokens` with a JWT whose `iss` is the app id mints an
    /// installation token (`ghs_...`) that the server then accepts like any other.
    pub app: Option<AppSpec>,
}

/// A GitHub App and its one installation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSpec {
    /// The App id (the JWT's `iss`).
    pub app_id: u64,
    /// The installation id tokens are minted for.
    pub installation_id: u64,
    /// Whether installation tokens may read administration (protection, environments).
    pub admin: bool,
}

impl Model {
    /// Adds an organisation (builder style).
    pub fn with_org(mut self, org: Org) -> Self {
        self.orgs.push(org);
        self
    }

    /// Adds a user account with repositories (builder style).
    pub fn with_user(mut self, user: Org) -> Self {
        self.users.push(user);
        self
    }

    /// Adds an accepted token (builder style).
    pub fn with_token(mut self, token: impl Into<String>, admin: bool) -> Self {
        self.tokens.push(TokenSpec {
            token: token.into(),
            admin,
        });
        self
    }

    /// Finds an owner (organisation first, then user) by login, case-insensitively as GitHub does.
    pub fn owner(&self, login: &str) -> Option<&Org> {
        self.orgs
            .iter()
            .chain(self.users.iter())
            .find(|o| o.login.eq_ignore_ascii_case(login))
    }

    /// Finds a repository by owner and name, case-insensitively as GitHub does.
    pub fn repo(&self, owner: &str, name: &str) -> Option<(&Org, &MockRepo)> {
        let org = self.owner(owner)?;
        let repo = org
            .repos
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))?;
        Some((org, repo))
    }
}

/// A token the server accepts and what it may read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenSpec {
    /// The secret, as sent after `Bearer ` or `token `.
    pub token: String,
    /// Whether it may read branch protection, rulesets and environment protection rules.
    pub admin: bool,
}

/// An organisation (or a user account, in `Model::users`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Org {
    /// The login, as in URLs.
    pub login: String,
    /// The numeric id; 0 means "derive one from the position" (the server assigns ids).
    pub id: u64,
    /// Its repositories, in creation order (GitHub lists an organisation's repositories that way).
    pub repos: Vec<MockRepo>,
    /// Its teams.
    pub teams: Vec<Team>,
}

impl Org {
    /// An organisation with no repositories or teams.
    pub fn new(login: impl Into<String>) -> Self {
        Org {
            login: login.into(),
            ..Org::default()
        }
    }

    /// Adds a repository (builder style).
    pub fn with_repo(mut self, repo: MockRepo) -> Self {
        self.repos.push(repo);
        self
    }

    /// Adds a team (builder style).
    pub fn with_team(mut self, team: Team) -> Self {
        self.teams.push(team);
        self
    }
}

/// A repository's visibility, as REST's `visibility` field spells it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Visible to everyone.
    #[default]
    Public,
    /// Visible to collaborators.
    Private,
    /// Visible to the enterprise's members.
    Internal,
}

impl Visibility {
    /// The REST spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Internal => "internal",
        }
    }
}

/// A repository and everything the probe reads about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MockRepo {
    /// The name (without owner).
    pub name: String,
    /// The numeric id; 0 means "the server assigns one".
    pub id: u64,
    /// The default branch's name.
    pub default_branch: String,
    /// The default branch head's commit id (`defaultBranchRef.target.oid`); when empty and `git`
    /// is set, it is read from the bare repository.
    pub head_oid: String,
    /// Whether the repository is archived.
    pub archived: bool,
    /// Whether it is a fork.
    pub fork: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last push time (RFC 3339).
    pub pushed_at: String,
    /// Its visibility.
    pub visibility: Visibility,
    /// The bare repository served for cloning at `clone_url`, if any.
    pub git: Option<PathBuf>,
    /// The default branch's classic protection rule, if any.
    pub protection: Option<Protection>,
    /// Repository rulesets.
    pub rulesets: Vec<Ruleset>,
    /// Deployment environments.
    pub environments: Vec<Environment>,
    /// Deployments, any order (GraphQL serves them newest first).
    pub deployments: Vec<Deployment>,
    /// Releases, any order (served newest first).
    pub releases: Vec<Release>,
    /// Tags, any order (served by commit date, newest first).
    pub tags: Vec<Tag>,
    /// Merged pull requests.
    pub pull_requests: Vec<PullRequest>,
    /// Workflow runs, any order (served newest first).
    pub workflow_runs: Vec<Run>,
    /// Authors of the default branch's commits, newest first (`history` of
    /// `defaultBranchRef.target`); none by default.
    pub commit_authors: Vec<CommitAuthor>,
}

/// The author of one commit of the default branch's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CommitAuthor {
    /// The author name git recorded.
    pub name: String,
    /// The author email git recorded.
    pub email: String,
    /// The GitHub login the email belongs to (none: GitHub ties it to no user, served as
    /// `user: null`).
    pub login: Option<String>,
}

impl Default for CommitAuthor {
    fn default() -> Self {
        CommitAuthor {
            name: "Octo Cat".into(),
            email: "octocat@example.com".into(),
            login: Some("octocat".into()),
        }
    }
}

impl Default for MockRepo {
    fn default() -> Self {
        MockRepo {
            name: String::new(),
            id: 0,
            default_branch: "main".into(),
            head_oid: String::new(),
            archived: false,
            fork: false,
            created_at: "2020-01-01T00:00:00Z".into(),
            pushed_at: "2024-01-01T00:00:00Z".into(),
            visibility: Visibility::Public,
            git: None,
            protection: None,
            rulesets: Vec::new(),
            environments: Vec::new(),
            deployments: Vec::new(),
            releases: Vec::new(),
            tags: Vec::new(),
            pull_requests: Vec::new(),
            workflow_runs: Vec::new(),
            commit_authors: Vec::new(),
        }
    }
}

impl MockRepo {
    /// A public, unprotected repository with default branch `main`.
    pub fn new(name: impl Into<String>) -> Self {
        MockRepo {
            name: name.into(),
            ..MockRepo::default()
        }
    }

    /// Serves this bare repository for cloning (builder style).
    pub fn with_git(mut self, bare: impl Into<PathBuf>) -> Self {
        self.git = Some(bare.into());
        self
    }

    /// Protects the default branch (builder style).
    pub fn with_protection(mut self, checks: &[&str], reviews: u32) -> Self {
        self.protection = Some(Protection {
            required_checks: checks.iter().map(|c| c.to_string()).collect(),
            required_reviews: reviews,
        });
        self
    }
}

/// A classic branch protection rule on the default branch.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Protection {
    /// Required status check contexts (none: status checks not required).
    pub required_checks: Vec<String>,
    /// Required approving reviews (0: reviews not required).
    pub required_reviews: u32,
}

/// A repository ruleset.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Ruleset {
    /// Its name.
    pub name: String,
    /// `ACTIVE`, `EVALUATE` or `DISABLED` (GraphQL `RuleEnforcement`).
    pub enforcement: String,
    /// `BRANCH`, `TAG` or `PUSH` (GraphQL `RepositoryRulesetTarget`).
    pub target: String,
    /// Ref name patterns included (`~DEFAULT_BRANCH`, `refs/heads/main`, `~ALL`).
    pub include: Vec<String>,
    /// Ref name patterns excluded.
    pub exclude: Vec<String>,
    /// Its rules.
    pub rules: Vec<Rule>,
}

impl Default for Ruleset {
    fn default() -> Self {
        Ruleset {
            name: String::new(),
            enforcement: "ACTIVE".into(),
            target: "BRANCH".into(),
            include: vec!["~DEFAULT_BRANCH".into()],
            exclude: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// A ruleset rule (GraphQL `RepositoryRule`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// `REQUIRED_STATUS_CHECKS` with these contexts.
    RequiredStatusChecks(Vec<String>),
    /// `PULL_REQUEST` requiring this many approvals.
    PullRequest(u32),
    /// Any parameterless rule, by its `RepositoryRuleType` (`DELETION`, `NON_FAST_FORWARD`...).
    Other(String),
}

/// A deployment environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// Required reviewers (none: no `REQUIRED_REVIEWERS` rule).
    pub reviewers: Vec<Reviewer>,
    /// Wait timer in minutes (0: no `WAIT_TIMER` rule).
    pub wait_timer: u32,
}

impl Environment {
    /// An environment without protection rules.
    pub fn new(name: impl Into<String>) -> Self {
        Environment {
            name: name.into(),
            ..Environment::default()
        }
    }
}

/// A required reviewer of an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reviewer {
    /// A user, by login.
    User(String),
    /// A team of the owning organisation, by slug.
    Team(String),
}

/// A deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Deployment {
    /// Its database id.
    pub id: u64,
    /// The environment's name.
    pub environment: String,
    /// Creation time.
    pub created_at: String,
    /// The deployed commit.
    pub sha: String,
    /// The task (`deploy`).
    pub task: String,
    /// The creator's login.
    pub creator_login: String,
    /// `Bot` or `User` (the creator's `__typename`).
    pub creator_type: String,
    /// Its statuses, any order (served newest first).
    pub statuses: Vec<Status>,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            id: 0,
            environment: "production".into(),
            created_at: String::new(),
            sha: String::new(),
            task: "deploy".into(),
            creator_login: "github-actions[bot]".into(),
            creator_type: "Bot".into(),
            statuses: Vec::new(),
        }
    }
}

/// A deployment status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// `success`, `failure`, `error`, `in_progress`... (served upper-case in GraphQL).
    pub state: String,
    /// Creation time.
    pub created_at: String,
    /// The log URL, if any.
    pub log_url: Option<String>,
}

/// A release.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Release {
    /// Its tag.
    pub tag_name: String,
    /// Creation time.
    pub created_at: String,
    /// Publication time (none for drafts).
    pub published_at: Option<String>,
    /// Whether it is a draft.
    pub draft: bool,
    /// Whether it is a pre-release.
    pub prerelease: bool,
}

/// A tag.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tag {
    /// The tag name (without `refs/tags/`).
    pub name: String,
    /// The tagged commit.
    pub commit_oid: String,
    /// The tagged commit's committed date.
    pub committed_date: String,
    /// The annotated tag object's id; none for a lightweight tag.
    pub tag_oid: Option<String>,
}

/// A merged pull request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PullRequest {
    /// Its number.
    pub number: u64,
    /// Creation time.
    pub created_at: String,
    /// Merge time.
    pub merged_at: Option<String>,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// The author's login (none: a deleted account, served as `author: null`).
    pub author: Option<String>,
    /// The author's `__typename` (`User` or `Bot`).
    pub author_type: String,
    /// The merge commit.
    pub merge_sha: Option<String>,
    /// The first commit's committed date.
    pub first_commit_at: Option<String>,
    /// Changed file paths.
    pub files: Vec<String>,
}

impl Default for PullRequest {
    fn default() -> Self {
        PullRequest {
            number: 0,
            created_at: String::new(),
            merged_at: None,
            additions: 0,
            deletions: 0,
            author: Some("octocat".into()),
            author_type: "User".into(),
            merge_sha: None,
            first_commit_at: None,
            files: Vec::new(),
        }
    }
}

/// A workflow run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Run {
    /// Its id.
    pub id: u64,
    /// The workflow's name.
    pub name: String,
    /// The workflow file (`.github/workflows/ci.yml`).
    pub path: String,
    /// The triggering event (`push`, `pull_request`...).
    pub event: String,
    /// `queued`, `in_progress`, `completed`...
    pub status: String,
    /// `success`, `failure`... (none while running).
    pub conclusion: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// The head branch.
    pub head_branch: String,
    /// The head commit (derived from the id when empty).
    pub head_sha: String,
    /// The actor's login.
    pub actor: String,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            id: 0,
            name: "CI".into(),
            path: ".github/workflows/ci.yml".into(),
            event: "push".into(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            created_at: String::new(),
            head_branch: "main".into(),
            head_sha: String::new(),
            actor: "octocat".into(),
        }
    }
}

/// A team's permission on a repository (GraphQL `RepositoryPermission`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Permission {
    /// Full control.
    Admin,
    /// Manage without destructive rights.
    Maintain,
    /// Push.
    Write,
    /// Manage issues and pull requests.
    Triage,
    /// Read.
    #[default]
    Read,
}

impl Permission {
    /// The GraphQL enum spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Admin => "ADMIN",
            Permission::Maintain => "MAINTAIN",
            Permission::Write => "WRITE",
            Permission::Triage => "TRIAGE",
            Permission::Read => "READ",
        }
    }
}

/// A team of an organisation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Team {
    /// Its slug.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Member logins.
    pub members: Vec<String>,
    /// Repositories (by name, within the organisation) and the team's permission on each.
    pub repos: Vec<(String, Permission)>,
}

impl Team {
    /// A team whose name is its slug, without members or repositories.
    pub fn new(slug: impl Into<String>) -> Self {
        let slug = slug.into();
        Team {
            name: slug.clone(),
            slug,
            ..Team::default()
        }
    }
}

/// RFC 3339 (UTC, seconds) for epoch seconds; the epoch itself if out of range.
fn ts(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Org {
    /// A deterministic organisation of `repos` repositories (`svc-0000`...) and `teams` teams
    /// (`team-0`...) with the variety a scan meets: classic protection, rulesets, neither;
    /// archived repositories and forks; environments with reviewers and wait timers;
    /// deployments, releases, tags, merged pull requests, workflow runs; every repository in
    /// one team. For e2e tests (12 repositories, 3 teams) and benchmarks (1,000).
    pub fn sample(login: &str, repos: usize, teams: usize) -> Org {
        // 2024-01-01T00:00:00Z; repository i is created i hours later, active in May 2024.
        let base: i64 = 1_704_067_200;
        let mut org = Org::new(login);
        for i in 0..repos {
            org.repos.push(sample_repo(i, base, teams));
        }
        for k in 0..teams {
            let mut team = Team::new(format!("team-{k}"));
            team.name = format!("Team {k}");
            team.members = (0..3).map(|m| format!("user-{k}-{m}")).collect();
            let perms = [
                Permission::Admin,
                Permission::Write,
                Permission::Maintain,
                Permission::Read,
            ];
            team.repos = (0..repos)
                .filter(|i| i % teams == k)
                .map(|i| (format!("svc-{i:04}"), perms[i % perms.len()]))
                .collect();
            org.teams.push(team);
        }
        org
    }
}

fn sample_repo(i: usize, base: i64, teams: usize) -> MockRepo {
    let n = i as i64;
    let day = 86_400;
    let active = base + 121 * day + n * 60; // early May 2024
    let mut r = MockRepo::new(format!("svc-{i:04}"));
    r.created_at = ts(base + n * 3600);
    r.pushed_at = ts(active + 20 * day);
    r.archived = i % 10 == 9;
    r.fork = i % 7 == 6;
    r.visibility = if i % 5 == 4 {
        Visibility::Private
    } else {
        Visibility::Public
    };
    match i % 4 {
        0 => r = r.with_protection(&["ci/build", "ci/test"], 1),
        1 => r.rulesets.push(Ruleset {
            name: "default-branch".into(),
            rules: vec![
                Rule::RequiredStatusChecks(vec!["ci/build".into()]),
                Rule::PullRequest(2),
                Rule::Other("NON_FAST_FORWARD".into()),
            ],
            ..Ruleset::default()
        }),
        3 => r = r.with_protection(&[], 0),
        _ => {}
    }
    if i.is_multiple_of(3) {
        r.environments.push(Environment {
            name: "production".into(),
            reviewers: vec![
                Reviewer::Team(format!("team-{}", i % teams.max(1))),
                Reviewer::User("user-0-0".into()),
            ],
            wait_timer: 10,
        });
        r.environments.push(Environment::new("staging"));
    }
    let sha = |j: i64| format!("{:040x}", (n + 1) * 1000 + j);
    for j in 0..3 {
        let at = active + j * day;
        let state = if j == 1 { "failure" } else { "success" };
        r.deployments.push(Deployment {
            id: (n as u64 + 1) * 100 + j as u64,
            environment: if i.is_multiple_of(3) {
                "production".into()
            } else {
                "staging".into()
            },
            created_at: ts(at),
            sha: sha(j),
            statuses: vec![
                Status {
                    state: "in_progress".into(),
                    created_at: ts(at + 5),
                    log_url: None,
                },
                Status {
                    state: state.into(),
                    created_at: ts(at + 300),
                    log_url: Some(format!("https://example.invalid/logs/{i}/{j}")),
                },
            ],
            ..Deployment::default()
        });
        r.pull_requests.push(PullRequest {
            number: j as u64 + 1,
            created_at: ts(at - 2 * day),
            merged_at: Some(ts(at - 3600)),
            additions: 10 * (j as u64 + 1) + i as u64 % 50,
            deletions: j as u64 * 3,
            author: Some(format!("user-{}-{}", i % teams.max(1), j)),
            merge_sha: Some(sha(j)),
            first_commit_at: Some(ts(at - 3 * day)),
            files: (0..=j).map(|f| format!("src/file{f}.rs")).collect(),
            ..PullRequest::default()
        });
    }
    for j in 0..2 {
        let tag = format!("v1.{j}.0");
        r.releases.push(Release {
            tag_name: tag.clone(),
            created_at: ts(active + j * 7 * day),
            published_at: Some(ts(active + j * 7 * day + 60)),
            ..Release::default()
        });
        r.tags.push(Tag {
            name: tag,
            commit_oid: sha(j),
            committed_date: ts(active + j * 7 * day - 600),
            tag_oid: None,
        });
    }
    for j in 0..5 {
        r.workflow_runs.push(Run {
            id: (n as u64 + 1) * 1000 + j as u64,
            created_at: ts(active + j * day / 2),
            conclusion: Some(if j == 3 { "failure" } else { "success" }.into()),
            head_sha: sha(j),
            ..Run::default()
        });
    }
    r
}
