//! One repository's GraphQL answer (`queries/repository.graphql`), typed as GitHub's
//! schema documents it, and turned into the facts' parts.
//!
//! Fields GitHub may withhold (protection from a token without admin rights) arrive as
//! `null` with a FORBIDDEN error naming the field: those parts become `unread`, never
//! empty.

use crate::facts::{
    CommitAuthor, Deployment, Environment, GithubRepo, Protection, PullRequest, PullRequests,
    Release, Reviewer, Tag, Unread, is_production,
};
use serde::{Deserialize, Serialize};

/// The query text, sent as is.
pub const QUERY: &str = include_str!("queries/repository.graphql");
/// Its operation name.
pub const OPERATION: &str = "EvidentRepository";

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct Nodes<T> {
    pub nodes: Vec<Option<T>>,
}

impl<T> Nodes<T> {
    fn iter(&self) -> impl Iterator<Item = &T> {
        self.nodes.iter().flatten()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Repository {
    pub name_with_owner: String,
    pub default_branch_ref: Option<BranchRef>,
    pub rulesets: Option<Nodes<Ruleset>>,
    pub environments: Option<Nodes<Env>>,
    pub deployments: Option<Nodes<Deploy>>,
    pub releases: Option<Nodes<Rel>>,
    pub refs: Option<Nodes<TagRef>>,
    pub pull_requests: Option<Nodes<Pull>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct BranchRef {
    pub name: String,
    pub target: Option<HeadCommit>,
    pub branch_protection_rule: Option<BranchRule>,
}

/// The default branch's head commit and its history (authors only).
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct HeadCommit {
    pub history: Option<Nodes<HistoryCommit>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct HistoryCommit {
    pub author: Option<GitActor>,
}

/// A commit author as git recorded it, and the GitHub user GitHub ties the email to.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct GitActor {
    pub email: Option<String>,
    pub user: Option<Login>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct BranchRule {
    pub pattern: String,
    pub requires_status_checks: bool,
    pub required_status_check_contexts: Vec<Option<String>>,
    pub requires_approving_reviews: bool,
    pub required_approving_review_count: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Ruleset {
    pub name: String,
    pub enforcement: String,
    pub target: Option<String>,
    pub conditions: Option<Conditions>,
    pub rules: Option<Nodes<Rule>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Conditions {
    pub ref_name: Option<RefName>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct RefName {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Rule {
    #[serde(rename = "type")]
    pub kind: String,
    pub parameters: Option<RuleParameters>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct RuleParameters {
    pub required_status_checks: Option<Vec<Check>>,
    pub required_approving_review_count: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct Check {
    pub context: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Env {
    pub name: String,
    pub protection_rules: Option<Nodes<ProtectionRule>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ProtectionRule {
    #[serde(rename = "type")]
    pub kind: String,
    pub timeout: Option<u32>,
    pub reviewers: Option<Nodes<ReviewerNode>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ReviewerNode {
    #[serde(rename = "__typename")]
    pub typename: String,
    pub login: Option<String>,
    pub slug: Option<String>,
    pub organization: Option<Login>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct Login {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct Actor {
    #[serde(rename = "__typename")]
    pub typename: String,
    pub login: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Deploy {
    pub database_id: Option<u64>,
    pub environment: Option<String>,
    pub created_at: String,
    pub task: Option<String>,
    pub commit_oid: Option<String>,
    pub creator: Option<Actor>,
    pub statuses: Option<Nodes<DeployStatus>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct DeployStatus {
    pub state: String,
    pub created_at: String,
    pub log_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Rel {
    pub tag_name: String,
    pub created_at: String,
    pub published_at: Option<String>,
    pub is_draft: bool,
    pub is_prerelease: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct TagRef {
    pub name: String,
    pub target: Option<TagTarget>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct TagTarget {
    pub oid: Option<String>,
    pub committed_date: Option<String>,
    pub target: Option<Box<TagTarget>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct Pull {
    pub number: u64,
    pub created_at: String,
    pub merged_at: Option<String>,
    pub additions: u64,
    pub deletions: u64,
    pub changed_files: u64,
    pub author: Option<Actor>,
    pub merge_commit: Option<Oid>,
    pub commits: Option<Nodes<PullCommit>>,
    pub files: Option<Nodes<PathNode>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct Oid {
    pub oid: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct PullCommit {
    pub commit: Option<CommitDate>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct CommitDate {
    pub committed_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct PathNode {
    pub path: String,
}

/// Which part of the facts a GraphQL field path belongs to.
pub(crate) fn part_of_path(path: &str) -> &'static str {
    let rest = path.strip_prefix("repository.").unwrap_or("");
    let field = rest.split('.').next().unwrap_or("");
    match field {
        "defaultBranchRef" | "rulesets" => "protection",
        "environments" => "environments",
        "deployments" => "deployments",
        "releases" | "refs" => "releases",
        "pullRequests" => "pull_requests",
        _ => "all",
    }
}

/// Turns the typed answer into `repo`'s parts; `since` bounds deployments and pull
/// requests (RFC 3339, compared as text: GitHub's times are all `...Z`).
pub(crate) fn fill(
    repo: &mut GithubRepo,
    answer: &Repository,
    deploy_since: &str,
    pulls_since: &str,
) {
    let full = repo.full_name.clone();
    let ev = |part: &str| format!("github:{full}:{part}");
    // A connection GitHub answered null without saying why is no empty list: the part
    // is unread (error), so no rule reads absence from it.
    let missing = [
        ("environments", answer.environments.is_none()),
        ("deployments", answer.deployments.is_none()),
        (
            "releases",
            answer.releases.is_none() || answer.refs.is_none(),
        ),
        ("pull_requests", answer.pull_requests.is_none()),
    ];
    for (part, absent) in missing {
        if absent {
            mark_unread(
                repo,
                part,
                "error",
                format!(
                    "POST /graphql {OPERATION}: GitHub answered no {part} for {full} and no error saying why"
                ),
            );
        }
    }
    if !repo.unread.contains_key("protection") {
        repo.protection = Some(protection(answer, ev("protection")));
    }
    if !repo.unread.contains_key("environments")
        && let Some(envs) = &answer.environments
    {
        repo.environments = Some(environments(envs, &full));
    }
    if !repo.unread.contains_key("deployments")
        && let Some(list) = &answer.deployments
    {
        let all: Vec<&Deploy> = list.iter().collect();
        let kept: Vec<Deployment> = all
            .iter()
            .filter(|d| d.created_at.as_str() >= deploy_since)
            .map(|d| deployment(d, &full))
            .collect();
        // A full page whose oldest entry is still inside the window: more exist.
        repo.deployments_complete = !(all.len() >= 100 && kept.len() == all.len());
        repo.deployments = Some(kept);
    }
    if !repo.unread.contains_key("releases") {
        if let Some(list) = &answer.releases {
            repo.releases = Some(
                list.iter()
                    .filter(|r| !r.is_draft)
                    .map(|r| Release {
                        tag: r.tag_name.clone(),
                        created_at: r.created_at.clone(),
                        published_at: r.published_at.clone(),
                        prerelease: r.is_prerelease,
                        evidence: format!("github:{full}:release:{}", r.tag_name),
                    })
                    .collect(),
            );
        }
        if let Some(refs) = &answer.refs {
            repo.tags = tags(refs);
        }
    }
    if !repo.unread.contains_key("pull_requests")
        && let Some(list) = &answer.pull_requests
    {
        repo.pull_requests = Some(pulls(list, &full, pulls_since));
    }
    repo.commit_authors = commit_authors(answer);
}

/// Authors of the default branch's newest commits that GitHub ties to a login, each
/// email kept only as its hash ([`evident_oncall::email_key`]), sorted by login, unique: the
/// weakest join of an on-call user to a login.
fn commit_authors(answer: &Repository) -> Vec<CommitAuthor> {
    let history = answer
        .default_branch_ref
        .as_ref()
        .and_then(|b| b.target.as_ref())
        .and_then(|t| t.history.as_ref());
    let mut out: Vec<CommitAuthor> = history
        .into_iter()
        .flat_map(Nodes::iter)
        .filter_map(|c| c.author.as_ref())
        .filter_map(|a| {
            let email = a.email.as_deref().filter(|e| !e.trim().is_empty())?;
            let login = a.user.as_ref().map(|u| u.login.to_lowercase())?;
            (!login.is_empty()).then(|| CommitAuthor {
                email_hash: evident_oncall::email_key(email),
                login,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.login, &a.email_hash).cmp(&(&b.login, &b.email_hash)));
    out.dedup();
    out
}

fn protection(answer: &Repository, evidence: String) -> Protection {
    let branch = answer
        .default_branch_ref
        .as_ref()
        .map(|b| b.name.clone())
        .unwrap_or_default();
    let mut out = Protection {
        branch: branch.clone(),
        evidence,
        ..Protection::default()
    };
    if let Some(rule) = answer
        .default_branch_ref
        .as_ref()
        .and_then(|b| b.branch_protection_rule.as_ref())
    {
        out.sources
            .push(format!("branch protection rule {}", rule.pattern));
        if rule.requires_status_checks {
            out.required_checks.extend(
                rule.required_status_check_contexts
                    .iter()
                    .flatten()
                    .cloned(),
            );
        }
        if rule.requires_approving_reviews {
            out.required_reviews = rule.required_approving_review_count.unwrap_or(1);
        }
    }
    for set in answer.rulesets.iter().flat_map(Nodes::iter) {
        if !set.enforcement.eq_ignore_ascii_case("ACTIVE")
            || set
                .target
                .as_deref()
                .is_some_and(|t| !t.eq_ignore_ascii_case("BRANCH"))
            || !ruleset_covers(set, &branch)
        {
            continue;
        }
        out.sources.push(format!("ruleset {}", set.name));
        for rule in set.rules.iter().flat_map(Nodes::iter) {
            let Some(p) = &rule.parameters else { continue };
            if let Some(checks) = &p.required_status_checks {
                out.required_checks
                    .extend(checks.iter().map(|c| c.context.clone()));
            }
            if let Some(n) = p.required_approving_review_count {
                out.required_reviews = out.required_reviews.max(n);
            }
        }
    }
    out.required_checks.sort();
    out.required_checks.dedup();
    out
}

/// Whether a ruleset's ref conditions include the default branch: `~DEFAULT_BRANCH`,
/// `~ALL`, `refs/heads/<branch>`, or a `*` pattern matching it; excludes win.
fn ruleset_covers(set: &Ruleset, branch: &str) -> bool {
    let Some(names) = set.conditions.as_ref().and_then(|c| c.ref_name.as_ref()) else {
        return false;
    };
    let full = format!("refs/heads/{branch}");
    let hits = |p: &String| {
        p == "~DEFAULT_BRANCH"
            || p == "~ALL"
            || *p == full
            || *p == branch
            || p.strip_suffix('*').is_some_and(|pre| full.starts_with(pre))
    };
    names.include.iter().any(hits) && !names.exclude.iter().any(hits)
}

fn environments(envs: &Nodes<Env>, full: &str) -> Vec<Environment> {
    envs.iter()
        .map(|e| {
            let mut reviewers = Vec::new();
            let mut wait = 0;
            for rule in e.protection_rules.iter().flat_map(Nodes::iter) {
                if rule.kind.eq_ignore_ascii_case("WAIT_TIMER") {
                    wait = wait.max(rule.timeout.unwrap_or(0));
                }
                for r in rule.reviewers.iter().flat_map(Nodes::iter) {
                    match (r.typename.as_str(), &r.login, &r.slug) {
                        ("User", Some(login), _) => reviewers.push(Reviewer::User {
                            login: login.to_lowercase(),
                        }),
                        ("Team", _, Some(slug)) => {
                            let org = r.organization.as_ref().map(|o| o.login.as_str());
                            let owner = org.unwrap_or_else(|| full.split('/').next().unwrap_or(""));
                            reviewers.push(Reviewer::Team {
                                team: format!("{owner}/{slug}").to_lowercase(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Environment {
                production: is_production(&e.name),
                name: e.name.clone(),
                reviewers,
                wait_timer_minutes: wait,
                evidence: format!("github:{full}:environment:{}", e.name),
            }
        })
        .collect()
}

/// The run id in a status' log URL (`.../actions/runs/<id>/job/<id>`).
fn run_id(url: &str) -> Option<u64> {
    let rest = url.split("/actions/runs/").nth(1)?;
    rest.split(['/', '?', '#']).next()?.parse().ok()
}

fn deployment(d: &Deploy, full: &str) -> Deployment {
    let statuses: Vec<&DeployStatus> = d.statuses.iter().flat_map(Nodes::iter).collect();
    let run = statuses
        .iter()
        .find_map(|s| s.log_url.as_deref().and_then(run_id));
    let newest = statuses
        .iter()
        .max_by(|a, b| a.created_at.cmp(&b.created_at));
    let succeeded = statuses
        .iter()
        .filter(|s| s.state.eq_ignore_ascii_case("SUCCESS"))
        .map(|s| s.created_at.clone())
        .min();
    let environment = d.environment.clone().unwrap_or_default();
    let creator_type = d.creator.as_ref().map(|c| c.typename.clone());
    let id = d.database_id.unwrap_or_default();
    Deployment {
        id,
        production: is_production(&environment),
        environment,
        created_at: d.created_at.clone(),
        sha: d.commit_oid.clone(),
        task: d.task.clone(),
        creator: d.creator.as_ref().map(|c| c.login.to_lowercase()),
        by_automation: creator_type.as_deref() == Some("Bot") || run.is_some(),
        creator_type,
        run_id: run,
        run_event: None,
        state: newest.map(|s| s.state.to_lowercase()),
        succeeded_at: succeeded,
        evidence: format!("github:{full}:deployment:{id}"),
    }
}

fn tags(refs: &Nodes<TagRef>) -> Vec<Tag> {
    refs.iter()
        .map(|t| {
            let target = t.target.as_ref();
            // An annotated tag points at a Tag object that points at the commit.
            let commit = target.and_then(|x| x.target.as_deref()).or(target);
            Tag {
                name: t.name.clone(),
                sha: commit.and_then(|c| c.oid.clone()),
                committed_at: commit.and_then(|c| c.committed_date.clone()),
            }
        })
        .collect()
}

fn pulls(list: &Nodes<Pull>, full: &str, since: &str) -> PullRequests {
    let all: Vec<&Pull> = list.iter().collect();
    let items: Vec<PullRequest> = all
        .iter()
        .filter_map(|p| {
            let merged = p.merged_at.clone()?;
            (merged.as_str() >= since).then(|| {
                let files: Vec<String> = p
                    .files
                    .iter()
                    .flat_map(Nodes::iter)
                    .map(|f| f.path.clone())
                    .collect();
                PullRequest {
                    number: p.number,
                    author: p.author.as_ref().map(|a| a.login.to_lowercase()),
                    created_at: p.created_at.clone(),
                    first_commit_at: p
                        .commits
                        .iter()
                        .flat_map(Nodes::iter)
                        .find_map(|c| c.commit.as_ref()?.committed_date.clone()),
                    additions: p.additions,
                    deletions: p.deletions,
                    lines: p.additions + p.deletions,
                    merge_sha: p.merge_commit.as_ref().map(|m| m.oid.clone()),
                    files_complete: files.len() as u64 >= p.changed_files,
                    files,
                    merged_at: merged,
                    evidence: format!("github:{full}:pull:{}", p.number),
                }
            })
        })
        .collect();
    // Ordered by last update: a full page means older merges may lie beyond it.
    PullRequests {
        complete: all.len() < 100,
        items,
    }
}

/// Marks `part` of `repo` unread, keeping the first reason given.
pub(crate) fn mark_unread(repo: &mut GithubRepo, part: &str, status: &str, detail: String) {
    repo.unread.entry(part.to_owned()).or_insert(Unread {
        status: status.to_owned(),
        detail,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_answered_null_without_an_error_is_unread_not_empty() {
        let mut repo = GithubRepo {
            full_name: "acme/shop".into(),
            ..GithubRepo::default()
        };
        let answer = Repository {
            environments: Some(Nodes { nodes: vec![] }),
            ..Repository::default()
        };
        fill(
            &mut repo,
            &answer,
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(
            repo.environments.as_ref().map(Vec::len),
            Some(0),
            "an empty list is read"
        );
        for part in ["deployments", "releases", "pull_requests"] {
            assert_eq!(repo.unread[part].status, "error", "{part}");
        }
        assert!(repo.deployments.is_none() && repo.pull_requests.is_none());
    }

    #[test]
    fn a_run_id_comes_from_a_status_log_url() {
        assert_eq!(
            run_id("https://github.com/acme/shop/actions/runs/4242/job/17"),
            Some(4242)
        );
        assert_eq!(run_id("https://ci.example.com/build/3"), None);
    }

    #[test]
    fn forbidden_fields_name_their_part() {
        assert_eq!(
            part_of_path("repository.defaultBranchRef.branchProtectionRule"),
            "protection"
        );
        assert_eq!(
            part_of_path("repository.environments.nodes.0.protectionRules"),
            "environments"
        );
        assert_eq!(part_of_path("repository"), "all");
    }

    #[test]
    fn a_ruleset_on_the_default_branch_adds_its_checks() {
        let set = Ruleset {
            name: "main".into(),
            enforcement: "ACTIVE".into(),
            target: Some("BRANCH".into()),
            conditions: Some(Conditions {
                ref_name: Some(RefName {
                    include: vec!["~DEFAULT_BRANCH".into()],
                    exclude: vec![],
                }),
            }),
            rules: Some(Nodes {
                nodes: vec![Some(Rule {
                    kind: "REQUIRED_STATUS_CHECKS".into(),
                    parameters: Some(RuleParameters {
                        required_status_checks: Some(vec![Check {
                            context: "test".into(),
                        }]),
                        required_approving_review_count: None,
                    }),
                })],
            }),
        };
        let answer = Repository {
            default_branch_ref: Some(BranchRef {
                name: "main".into(),
                branch_protection_rule: None,
                target: None,
            }),
            rulesets: Some(Nodes {
                nodes: vec![Some(set)],
            }),
            ..Repository::default()
        };
        let p = protection(&answer, "e".into());
        assert_eq!(p.required_checks, vec!["test"]);
        assert_eq!(p.sources, vec!["ruleset main"]);
    }
}
