//! Root fields (`rateLimit`, `repository`, `organization`) resolved from the model into rich
//! values: every field of GitHub's schema types the mock knows, connections as
//! `{"$conn": [...]}`, fields the token may not read as `{"$forbidden": true}`. Connection
//! arguments other than `first`/`after` (orderBy, states, refPrefix...) are not interpreted:
//! the lists are already in the order and filter the probe's queries ask for.

use serde_json::{Value, json};

use super::Ctx;
use super::parse::Field;
use crate::model::{
    Deployment, Environment, MockRepo, Org, PullRequest, Reviewer, Rule, Ruleset, Tag, Team,
};
use crate::names;

/// A root field's resolution.
pub(super) enum Root {
    /// Resolved (rich value).
    Value(Value),
    /// Not found: error type and message.
    NotFound(&'static str, String),
    /// Not a root field the mock knows.
    Unknown,
}

/// Resolves one root field.
pub(super) fn root(f: &Field, ctx: &Ctx) -> Root {
    let arg = |k: &str| {
        f.args
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let suffix = ctx
        .canary
        .map(|t| format!(" (token {t})"))
        .unwrap_or_default();
    match f.name.as_str() {
        "rateLimit" => Root::Value(json!({
            "__typename": "RateLimit",
            "cost": ctx.rate.cost,
            "limit": ctx.rate.limit,
            "remaining": ctx.rate.remaining,
            "used": ctx.rate.used,
            "resetAt": ctx.rate.reset_at,
            "nodeCount": 0,
        })),
        "repository" => {
            let (owner, name) = (arg("owner"), arg("name"));
            let real = names::strip_canary(&name, ctx.canary);
            match ctx.model.repo(&owner, real) {
                Some((org, repo)) => Root::Value(repository(org, repo, ctx)),
                None => Root::NotFound(
                    "NOT_FOUND",
                    format!(
                        "Could not resolve to a Repository with the name '{owner}/{name}'.{suffix}"
                    ),
                ),
            }
        }
        "organization" => {
            let login = arg("login");
            match ctx
                .model
                .orgs
                .iter()
                .find(|o| o.login.eq_ignore_ascii_case(&login))
            {
                Some(org) => Root::Value(organization(org, ctx)),
                None => Root::NotFound(
                    "NOT_FOUND",
                    format!(
                        "Could not resolve to an Organization with the login of '{login}'.{suffix}"
                    ),
                ),
            }
        }
        _ => Root::Unknown,
    }
}

fn conn(type_name: &str, items: Vec<Value>) -> Value {
    json!({"__typename": type_name, "$conn": items})
}

fn guarded(ctx: &Ctx, v: Value) -> Value {
    if ctx.admin {
        v
    } else {
        json!({"$forbidden": true})
    }
}

fn commit(oid: &str, date: Option<&str>) -> Value {
    json!({"__typename": "Commit", "$implements": ["GitObject", "Node"], "oid": oid, "committedDate": date})
}

fn repository(org: &Org, repo: &MockRepo, ctx: &Ctx) -> Value {
    let name = names::display(&repo.name, ctx.canary);
    let full = format!("{}/{}", org.login, name);
    let head = names::head_oid(&org.login, repo);
    let protection = repo.protection.as_ref().map(|p| {
        json!({
            "__typename": "BranchProtectionRule",
            "pattern": repo.default_branch,
            "requiresStatusChecks": !p.required_checks.is_empty(),
            "requiredStatusCheckContexts": p.required_checks,
            "requiresApprovingReviews": p.required_reviews > 0,
            "requiredApprovingReviewCount": p.required_reviews,
            "isAdminEnforced": false,
            "requiresStrictStatusChecks": false,
            "requiresCodeOwnerReviews": false,
            "allowsForcePushes": false,
            "allowsDeletions": false,
        })
    });
    let mut target = commit(&head, Some(&repo.pushed_at));
    target["history"] = conn("CommitHistoryConnection", history(repo));
    let default_ref = json!({
        "__typename": "Ref",
        "name": repo.default_branch,
        "prefix": "refs/heads/",
        "target": target,
        "branchProtectionRule": guarded(ctx, protection.unwrap_or(Value::Null)),
    });
    json!({
        "__typename": "Repository",
        "$implements": ["Node", "RepositoryInfo"],
        "id": names::node_id("R_", repo.id),
        "databaseId": repo.id,
        "name": name,
        "nameWithOwner": full,
        "url": format!("https://github.com/{full}"),
        "description": ctx.canary.map(|t| format!("canary {t}")),
        "isArchived": repo.archived,
        "isFork": repo.fork,
        "isPrivate": repo.visibility != crate::model::Visibility::Public,
        "visibility": repo.visibility.as_str().to_uppercase(),
        "createdAt": repo.created_at,
        "pushedAt": repo.pushed_at,
        "owner": {"__typename": "Organization", "login": org.login},
        "defaultBranchRef": default_ref,
        "rulesets": guarded(ctx, conn("RepositoryRulesetConnection", repo.rulesets.iter().map(ruleset).collect())),
        "environments": conn("EnvironmentConnection", repo.environments.iter().map(|e| environment(org, e, ctx)).collect()),
        "deployments": conn("DeploymentConnection", deployments(repo)),
        "releases": conn("ReleaseConnection", releases(repo)),
        "refs": conn("RefConnection", tags(repo)),
        "pullRequests": conn("PullRequestConnection", pull_requests(repo)),
    })
}

/// The default branch's history: one commit per modelled author, newest first.
fn history(repo: &MockRepo) -> Vec<Value> {
    repo.commit_authors
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut c = commit(&format!("{:040x}", i + 1), Some(&repo.pushed_at));
            c["author"] = json!({
                "__typename": "GitActor",
                "name": a.name,
                "email": a.email,
                "date": repo.pushed_at,
                "user": a.login.as_ref().map(|l| json!({"__typename": "User", "login": l})),
            });
            c
        })
        .collect()
}

fn ruleset(r: &Ruleset) -> Value {
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|rule| {
            let (kind, params) = match rule {
                Rule::RequiredStatusChecks(checks) => (
                    "REQUIRED_STATUS_CHECKS".to_string(),
                    json!({
                        "__typename": "RequiredStatusChecksParameters",
                        "requiredStatusChecks": checks.iter().map(|c| json!({"__typename": "StatusCheckConfiguration", "context": c, "integrationId": null})).collect::<Vec<_>>(),
                        "strictRequiredStatusChecksPolicy": false,
                    }),
                ),
                Rule::PullRequest(n) => (
                    "PULL_REQUEST".to_string(),
                    json!({
                        "__typename": "PullRequestParameters",
                        "requiredApprovingReviewCount": n,
                        "dismissStaleReviewsOnPush": false,
                        "requireCodeOwnerReview": false,
                        "requireLastPushApproval": false,
                        "requiredReviewThreadResolution": false,
                    }),
                ),
                Rule::Other(kind) => (kind.clone(), Value::Null),
            };
            json!({"__typename": "RepositoryRule", "type": kind, "parameters": params})
        })
        .collect();
    json!({
        "__typename": "RepositoryRuleset",
        "name": r.name,
        "enforcement": r.enforcement,
        "target": r.target,
        "conditions": {
            "__typename": "RepositoryRuleConditions",
            "refName": {"__typename": "RefNameConditionTarget", "include": r.include, "exclude": r.exclude},
        },
        "rules": conn("RepositoryRuleConnection", rules),
    })
}

fn environment(org: &Org, e: &Environment, ctx: &Ctx) -> Value {
    let mut rules = Vec::new();
    if !e.reviewers.is_empty() {
        let reviewers: Vec<Value> = e
            .reviewers
            .iter()
            .map(|r| match r {
                Reviewer::User(login) => {
                    json!({"__typename": "User", "$implements": ["Actor", "Node"], "login": login})
                }
                Reviewer::Team(slug) => json!({
                    "__typename": "Team",
                    "$implements": ["Node"],
                    "slug": slug,
                    "organization": {"__typename": "Organization", "login": org.login},
                }),
            })
            .collect();
        rules.push(json!({
            "__typename": "DeploymentProtectionRule",
            "type": "REQUIRED_REVIEWERS",
            "timeout": 0,
            "preventSelfReview": false,
            "reviewers": conn("DeploymentReviewerConnection", reviewers),
        }));
    }
    if e.wait_timer > 0 {
        rules.push(json!({
            "__typename": "DeploymentProtectionRule",
            "type": "WAIT_TIMER",
            "timeout": e.wait_timer,
            "preventSelfReview": false,
            "reviewers": conn("DeploymentReviewerConnection", Vec::new()),
        }));
    }
    json!({
        "__typename": "Environment",
        "name": e.name,
        "protectionRules": guarded(ctx, conn("DeploymentProtectionRuleConnection", rules)),
    })
}

fn deployments(repo: &MockRepo) -> Vec<Value> {
    let mut list: Vec<&Deployment> = repo.deployments.iter().collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    list.into_iter()
        .map(|d| {
            let mut statuses: Vec<_> = d.statuses.iter().collect();
            statuses.sort_by(|a, b| b.created_at.cmp(&a.created_at));
            let statuses: Vec<Value> = statuses
                .iter()
                .map(|s| {
                    json!({"__typename": "DeploymentStatus", "state": s.state.to_uppercase(), "createdAt": s.created_at, "logUrl": s.log_url})
                })
                .collect();
            let state = statuses.first().and_then(|s| s.get("state").cloned()).unwrap_or(json!("PENDING"));
            json!({
                "__typename": "Deployment",
                "databaseId": d.id,
                "environment": d.environment,
                "createdAt": d.created_at,
                "task": d.task,
                "commitOid": d.sha,
                "state": state,
                "creator": {"__typename": d.creator_type, "$implements": ["Actor"], "login": d.creator_login},
                "statuses": conn("DeploymentStatusConnection", statuses),
            })
        })
        .collect()
}

fn releases(repo: &MockRepo) -> Vec<Value> {
    let mut list: Vec<_> = repo.releases.iter().collect();
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    list.into_iter()
        .map(|r| {
            json!({
                "__typename": "Release",
                "name": r.tag_name,
                "tagName": r.tag_name,
                "createdAt": r.created_at,
                "publishedAt": r.published_at,
                "isDraft": r.draft,
                "isPrerelease": r.prerelease,
            })
        })
        .collect()
}

fn tags(repo: &MockRepo) -> Vec<Value> {
    let mut list: Vec<&Tag> = repo.tags.iter().collect();
    list.sort_by(|a, b| b.committed_date.cmp(&a.committed_date));
    list.into_iter()
        .map(|t| {
            let c = commit(&t.commit_oid, Some(&t.committed_date));
            let target = match &t.tag_oid {
                Some(oid) => json!({"__typename": "Tag", "$implements": ["GitObject", "Node"], "oid": oid, "name": t.name, "target": c}),
                None => c,
            };
            json!({"__typename": "Ref", "name": t.name, "prefix": "refs/tags/", "target": target})
        })
        .collect()
}

fn pull_requests(repo: &MockRepo) -> Vec<Value> {
    let mut list: Vec<&PullRequest> = repo
        .pull_requests
        .iter()
        .filter(|p| p.merged_at.is_some())
        .collect();
    list.sort_by(|a, b| b.merged_at.cmp(&a.merged_at));
    list.into_iter()
        .map(|p| {
            let commits: Vec<Value> = p
                .first_commit_at
                .iter()
                .map(|d| json!({"__typename": "PullRequestCommit", "commit": commit(&names::fake_oid(d), Some(d))}))
                .collect();
            let files: Vec<Value> =
                p.files.iter().map(|f| json!({"__typename": "PullRequestChangedFile", "path": f})).collect();
            json!({
                "__typename": "PullRequest",
                "number": p.number,
                "state": "MERGED",
                "createdAt": p.created_at,
                "mergedAt": p.merged_at,
                "additions": p.additions,
                "deletions": p.deletions,
                "changedFiles": p.files.len(),
                "author": p.author.as_ref().map(|a| json!({"__typename": p.author_type, "$implements": ["Actor"], "login": a})),
                "mergeCommit": p.merge_sha.as_ref().map(|s| commit(s, None)),
                "commits": conn("PullRequestCommitConnection", commits),
                "files": conn("PullRequestChangedFileConnection", files),
            })
        })
        .collect()
}

fn organization(org: &Org, ctx: &Ctx) -> Value {
    let teams: Vec<Value> = org.teams.iter().map(|t| team(org, t, ctx)).collect();
    json!({
        "__typename": "Organization",
        "login": org.login,
        "databaseId": org.id,
        "teams": conn("TeamConnection", teams),
    })
}

fn team(org: &Org, t: &Team, ctx: &Ctx) -> Value {
    let members: Vec<Value> = t
        .members
        .iter()
        .map(|m| json!({"__typename": "User", "$implements": ["Actor"], "login": m}))
        .collect();
    let repos: Vec<Value> = t
        .repos
        .iter()
        .map(|(name, perm)| {
            let name = names::display(name, ctx.canary);
            json!({
                "$edge": {"permission": perm.as_str()},
                "$node": {"__typename": "Repository", "name": name, "nameWithOwner": format!("{}/{}", org.login, name)},
            })
        })
        .collect();
    json!({
        "__typename": "Team",
        "slug": t.slug,
        "name": t.name,
        "organization": {"__typename": "Organization", "login": org.login},
        "members": conn("TeamMemberConnection", members),
        "repositories": conn("TeamRepositoryConnection", repos),
    })
}
