//! REST bodies in the shapes of GitHub's OpenAPI description (`simple-user`,
//! `minimal-repository`, `full-repository`, `workflow-run`, `rate-limit-overview`,
//! `basic-error`), filled from the model.

use serde_json::{Map, Value, json};

use crate::model::{MockRepo, Org, Run};
use crate::names;

/// Where the served URLs point: the mock's API base and its git server.
pub(crate) struct Bases<'a> {
    /// `http://127.0.0.1:port` of the API.
    pub api: &'a str,
    /// `http://127.0.0.1:port` of the git server.
    pub git: &'a str,
    /// The caller's token when the echo canary is on.
    pub canary: Option<&'a str>,
    /// Whether the caller's token is an admin one (`permissions.admin`, `maintain`).
    pub admin: bool,
}

/// A `simple-user` for an account (organisation, user or bot).
pub(crate) fn simple_user(api: &str, login: &str, id: u64, kind: &str) -> Value {
    let u = format!("{api}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": names::node_id(if kind == "Organization" { "O_" } else { "U_" }, id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": u,
        "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{u}/followers"),
        "following_url": format!("{u}/following{{/other_user}}"),
        "gists_url": format!("{u}/gists{{/gist_id}}"),
        "starred_url": format!("{u}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{u}/subscriptions"),
        "organizations_url": format!("{u}/orgs"),
        "repos_url": format!("{u}/repos"),
        "events_url": format!("{u}/events{{/privacy}}"),
        "received_events_url": format!("{u}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

fn owner_kind(model_is_org: bool) -> &'static str {
    if model_is_org { "Organization" } else { "User" }
}

/// A `minimal-repository` (what list routes return).
pub(crate) fn minimal_repo(b: &Bases, org: &Org, is_org: bool, repo: &MockRepo) -> Value {
    let name = names::display(&repo.name, b.canary);
    let full = format!("{}/{}", org.login, name);
    let r = format!("{}/repos/{full}", b.api);
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("id", json!(repo.id));
    put("node_id", json!(names::node_id("R_", repo.id)));
    put("name", json!(name));
    put("full_name", json!(full));
    put(
        "private",
        json!(repo.visibility != crate::model::Visibility::Public),
    );
    put(
        "owner",
        simple_user(b.api, &org.login, org.id, owner_kind(is_org)),
    );
    put("html_url", json!(format!("https://github.com/{full}")));
    put(
        "description",
        b.canary
            .map_or(Value::Null, |t| json!(format!("canary {t}"))),
    );
    put("fork", json!(repo.fork));
    put("url", json!(r));
    for (k, suffix) in URL_TEMPLATES {
        put(k, json!(format!("{r}{suffix}")));
    }
    put("git_url", json!(format!("git://github.com/{full}.git")));
    put("ssh_url", json!(format!("git@github.com:{full}.git")));
    put("clone_url", json!(format!("{}/{full}.git", b.git)));
    put("svn_url", json!(format!("https://github.com/{full}")));
    put("mirror_url", Value::Null);
    put(
        "homepage",
        b.canary.map_or(Value::Null, |t| {
            json!(format!("https://example.invalid/{t}"))
        }),
    );
    put("language", Value::Null);
    for k in [
        "forks_count",
        "stargazers_count",
        "watchers_count",
        "size",
        "open_issues_count",
        "forks",
        "open_issues",
        "watchers",
    ] {
        put(k, json!(0));
    }
    put("default_branch", json!(repo.default_branch));
    for (k, v) in [
        ("is_template", false),
        ("has_issues", true),
        ("has_projects", true),
        ("has_wiki", true),
        ("has_pages", false),
        ("has_downloads", true),
        ("has_discussions", false),
        ("disabled", false),
        ("allow_forking", true),
        ("web_commit_signoff_required", false),
    ] {
        put(k, json!(v));
    }
    put("archived", json!(repo.archived));
    put("topics", json!([]));
    put("visibility", json!(repo.visibility.as_str()));
    put("pushed_at", json!(repo.pushed_at));
    put("created_at", json!(repo.created_at));
    put("updated_at", json!(repo.pushed_at));
    put(
        "permissions",
        json!({"admin": b.admin, "maintain": b.admin, "push": true, "triage": true, "pull": true}),
    );
    put("license", Value::Null);
    Value::Object(m)
}

/// The `..._url` fields every repository carries, as suffixes of its API URL.
const URL_TEMPLATES: [(&str, &str); 36] = [
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
];

/// A `full-repository` (`GET /repos/{owner}/{repo}`).
pub(crate) fn full_repo(b: &Bases, org: &Org, is_org: bool, repo: &MockRepo) -> Value {
    let mut v = minimal_repo(b, org, is_org, repo);
    if let Value::Object(m) = &mut v {
        m.insert("network_count".into(), json!(0));
        m.insert("subscribers_count".into(), json!(0));
        m.insert("temp_clone_token".into(), json!(""));
        for (k, val) in [
            ("allow_squash_merge", true),
            ("allow_merge_commit", true),
            ("allow_rebase_merge", true),
            ("allow_auto_merge", false),
            ("delete_branch_on_merge", false),
            ("allow_update_branch", false),
            ("use_squash_pr_title_as_default", false),
        ] {
            m.insert(k.into(), json!(val));
        }
        if is_org {
            m.insert(
                "organization".into(),
                simple_user(b.api, &org.login, org.id, "Organization"),
            );
        }
    }
    v
}

/// A `workflow-run`.
pub(crate) fn workflow_run(
    b: &Bases,
    org: &Org,
    is_org: bool,
    repo: &MockRepo,
    run: &Run,
) -> Value {
    let full = format!("{}/{}", org.login, names::display(&repo.name, b.canary));
    let u = format!("{}/repos/{full}/actions/runs/{}", b.api, run.id);
    let sha = if run.head_sha.is_empty() {
        names::fake_oid(&format!("run:{}", run.id))
    } else {
        run.head_sha.clone()
    };
    let workflow_id = names::fake_oid(&run.path)
        .bytes()
        .take(6)
        .fold(0u64, |a, c| a * 31 + u64::from(c));
    let actor = simple_user(b.api, &run.actor, 1, "User");
    let repository = minimal_repo(b, org, is_org, repo);
    json!({
        "id": run.id,
        "name": run.name,
        "node_id": names::node_id("WFR_", run.id),
        "check_suite_id": run.id * 10,
        "check_suite_node_id": names::node_id("CS_", run.id * 10),
        "head_branch": run.head_branch,
        "head_sha": sha,
        "path": run.path,
        "display_title": run.name,
        "run_number": run.id % 100_000,
        "run_attempt": 1,
        "referenced_workflows": [],
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": workflow_id,
        "url": u,
        "html_url": format!("https://github.com/{full}/actions/runs/{}", run.id),
        "pull_requests": [],
        "created_at": run.created_at,
        "updated_at": run.created_at,
        "run_started_at": run.created_at,
        "actor": actor,
        "triggering_actor": actor,
        "jobs_url": format!("{u}/jobs"),
        "logs_url": format!("{u}/logs"),
        "check_suite_url": format!("{}/repos/{full}/check-suites/{}", b.api, run.id * 10),
        "artifacts_url": format!("{u}/artifacts"),
        "cancel_url": format!("{u}/cancel"),
        "rerun_url": format!("{u}/rerun"),
        "previous_attempt_url": null,
        "workflow_url": format!("{}/repos/{full}/actions/workflows/{workflow_id}", b.api),
        "head_commit": {
            "id": sha,
            "tree_id": names::fake_oid(&format!("tree:{sha}")),
            "message": "commit",
            "timestamp": run.created_at,
            "author": {"name": run.actor, "email": format!("{}@users.noreply.github.com", run.actor)},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repository,
        "head_repository": repository,
    })
}

/// One `rate-limit` entry.
pub(crate) fn rate(limit: u64, used: u64, reset: u64) -> Value {
    json!({"limit": limit, "used": used, "remaining": limit.saturating_sub(used), "reset": reset})
}

/// A `rate-limit-overview` for a token with these uses.
pub(crate) fn rate_limit_overview(core: Value, graphql: Value, reset: u64) -> Value {
    let spare = |limit: u64| rate(limit, 0, reset);
    json!({
        "resources": {
            "core": core,
            "graphql": graphql,
            "search": spare(30),
            "code_search": spare(10),
            "integration_manifest": spare(5000),
            "code_scanning_upload": spare(1000),
            "actions_runner_registration": spare(10000),
            "scim": spare(15000),
            "dependency_snapshots": spare(100),
            "audit_log": spare(1750),
        },
        "rate": core,
    })
}

/// A `basic-error` body.
pub(crate) fn error(message: &str, status: u16) -> Value {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()})
}
