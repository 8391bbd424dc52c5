//! GraphQL: the probe's two queries answered with exactly what they select; forbidden fields,
//! unknown repositories, invalid queries, the GraphQL quota.

use evident_github_mock::graphql::parse::{self, Selection};
use evident_github_mock::*;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::common::*;

/// Checks that `v` has exactly the keys `sels` selects (fragments by `__typename` when it is
/// selected; without it, fragment fields are allowed but not required), recursively.
fn check_exact(v: &Value, sels: &[Selection], path: &str) {
    match v {
        Value::Null => {}
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_exact(item, sels, &format!("{path}[{i}]"));
            }
        }
        Value::Object(obj) => {
            let typename = obj.get("__typename").and_then(Value::as_str);
            let mut required = BTreeMap::new();
            let mut optional = BTreeMap::new();
            collect(sels, typename, &mut required, &mut optional);
            for key in obj.keys() {
                assert!(
                    required.contains_key(key) || optional.contains_key(key),
                    "{path}: unselected key {key}"
                );
            }
            for (key, subs) in required.iter().chain(optional.iter()) {
                match obj.get(key) {
                    Some(child) => check_exact(child, subs, &format!("{path}.{key}")),
                    None => assert!(!required.contains_key(key), "{path}: missing {key}"),
                }
            }
        }
        _ => assert!(
            sels.is_empty(),
            "{path}: scalar where an object was selected"
        ),
    }
}

type Keys = BTreeMap<String, Vec<Selection>>;

/// Each selected key with its sub-selections, split by whether its presence is required.
fn collect(sels: &[Selection], typename: Option<&str>, required: &mut Keys, optional: &mut Keys) {
    for sel in sels {
        match sel {
            Selection::Field(f) => required
                .entry(f.key().to_string())
                .or_default()
                .extend(f.selections.iter().cloned()),
            Selection::Inline { on, selections } => match (on, typename) {
                (Some(t), Some(actual)) if t != actual => {}
                (Some(_), None) => collect(selections, typename, optional, &mut Keys::new()),
                _ => collect(selections, typename, required, optional),
            },
        }
    }
}

fn selections(query: &str) -> Vec<Selection> {
    parse::parse(query, None, &Map::new()).unwrap().selections
}

#[tokio::test]
async fn the_repository_query_gets_exactly_what_it_selects() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let q = repository_query();
    let r = graphql(gh.url(), ADMIN, &q, json!({"owner": "acme", "name": "api"})).await;
    assert_eq!(
        (r.status, r.header("x-ratelimit-resource")),
        (200, Some("graphql"))
    );
    let v = r.json();
    assert!(v.get("errors").is_none(), "{v:#}");
    check_exact(&v["data"], &selections(&q), "data");
    let repo = &v["data"]["repository"];
    assert_eq!(repo["nameWithOwner"], "acme/api");
    assert_eq!(v["data"]["rateLimit"]["remaining"], 4999);
    let rule = &repo["defaultBranchRef"]["branchProtectionRule"];
    assert_eq!(
        rule,
        &json!({"pattern": "main", "requiresStatusChecks": true, "requiredStatusCheckContexts": ["ci/build", "ci/test"], "requiresApprovingReviews": true, "requiredApprovingReviewCount": 2})
    );
    let rules = &repo["rulesets"]["nodes"][0]["rules"]["nodes"];
    assert_eq!(
        rules[0],
        json!({"type": "REQUIRED_STATUS_CHECKS", "parameters": {"__typename": "RequiredStatusChecksParameters", "requiredStatusChecks": [{"context": "ci/build"}]}})
    );
    assert_eq!(
        rules[1]["parameters"],
        json!({"__typename": "PullRequestParameters", "requiredApprovingReviewCount": 1})
    );
    assert_eq!(rules[2], json!({"type": "DELETION", "parameters": null}));
    let prod = &repo["environments"]["nodes"][0]["protectionRules"]["nodes"];
    assert_eq!(
        prod[0]["reviewers"]["nodes"],
        json!([{"__typename": "User", "login": "alice"}, {"__typename": "Team", "slug": "platform", "organization": {"login": "acme"}}])
    );
    assert_eq!(
        prod[1],
        json!({"type": "WAIT_TIMER", "timeout": 15, "reviewers": {"nodes": []}})
    );
    let deps = &repo["deployments"]["nodes"];
    assert_eq!(deps[0]["databaseId"], 12, "newest first");
    assert_eq!(deps[1]["statuses"]["nodes"][0]["state"], "SUCCESS");
    assert_eq!(
        deps[1]["creator"],
        json!({"__typename": "Bot", "login": "github-actions[bot]"})
    );
    let tags = &repo["refs"]["nodes"];
    assert_eq!(tags[0]["target"]["__typename"], "Tag");
    assert_eq!(
        tags[0]["target"]["target"],
        json!({"oid": "c".repeat(40), "committedDate": "2024-04-01T00:00:00Z"})
    );
    assert_eq!(
        tags[1]["target"],
        json!({"__typename": "Commit", "oid": "e".repeat(40), "committedDate": "2024-03-01T00:00:00Z"})
    );
    let prs = &repo["pullRequests"]["nodes"];
    assert_eq!(
        prs.as_array().unwrap().len(),
        1,
        "only merged pull requests"
    );
    assert_eq!(prs[0]["changedFiles"], 2);
    assert_eq!(
        prs[0]["commits"]["nodes"][0]["commit"]["committedDate"],
        "2024-04-19T00:00:00Z"
    );
    assert_eq!(gh.stats().per_operation.get("EvidentRepository"), Some(&1));
}

#[tokio::test]
async fn the_teams_query_matches_the_expected_answer_and_pages() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let q = teams_query();
    let v = graphql(gh.url(), ADMIN, &q, json!({"org": "acme", "after": null}))
        .await
        .json();
    check_exact(&v["data"], &selections(&q), "data");
    let reset = v["data"]["rateLimit"]["resetAt"].clone();
    let expected = json!({"data": {
    "rateLimit": {"cost": 1, "remaining": 4999, "resetAt": reset},
    "organization": {"teams": {
        "pageInfo": {"hasNextPage": false, "endCursor": v["data"]["organization"]["teams"]["pageInfo"]["endCursor"]},
        "nodes": [
            {"slug": "platform", "name": "Platform",
             "members": {"totalCount": 2, "nodes": [{"login": "alice"}, {"login": "bob"}]},
             "repositories": {"totalCount": 2, "edges": [
                 {"permission": "ADMIN", "node": {"nameWithOwner": "acme/api"}},
                 {"permission": "WRITE", "node": {"nameWithOwner": "acme/legacy"}}]}},
            {"slug": "web", "name": "web",
             "members": {"totalCount": 1, "nodes": [{"login": "carol"}]},
             "repositories": {"totalCount": 1, "edges": [{"permission": "READ", "node": {"nameWithOwner": "acme/web"}}]}}
        ]}}}});
    assert_eq!(v, expected);
    // 120 teams: three pages of 50, 50, 20 through endCursor.
    gh.update_model(|m| {
        m.orgs[0].teams = (0..120).map(|i| Team::new(format!("t{i}"))).collect();
    });
    let (mut after, mut total, mut pages) = (Value::Null, 0, 0);
    loop {
        let v = graphql(gh.url(), ADMIN, &q, json!({"org": "acme", "after": after}))
            .await
            .json();
        let teams = &v["data"]["organization"]["teams"];
        total += teams["nodes"].as_array().unwrap().len();
        pages += 1;
        if teams["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = teams["pageInfo"]["endCursor"].clone();
    }
    assert_eq!((total, pages), (120, 3));
}

#[tokio::test]
async fn a_reader_token_gets_protection_fields_null_and_forbidden_errors() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let v = graphql(
        gh.url(),
        READER,
        &repository_query(),
        json!({"owner": "acme", "name": "api"}),
    )
    .await
    .json();
    let repo = &v["data"]["repository"];
    assert_eq!(repo["nameWithOwner"], "acme/api", "partial data");
    assert!(repo["defaultBranchRef"]["branchProtectionRule"].is_null());
    assert!(repo["rulesets"].is_null());
    assert!(repo["environments"]["nodes"][0]["protectionRules"].is_null());
    assert_eq!(repo["environments"]["nodes"][0]["name"], "production");
    let errors = v["errors"].as_array().unwrap();
    let paths: Vec<Value> = errors.iter().map(|e| e["path"].clone()).collect();
    assert_eq!(
        paths,
        [
            json!(["repository", "defaultBranchRef", "branchProtectionRule"]),
            json!(["repository", "rulesets"]),
            json!(["repository", "environments", "nodes", 0, "protectionRules"]),
            json!(["repository", "environments", "nodes", 1, "protectionRules"]),
        ]
    );
    for e in errors {
        assert_eq!(e["type"], "FORBIDDEN");
        assert_eq!(e["message"], "Resource not accessible by integration");
        assert!(e["locations"][0]["line"].as_u64().unwrap() > 0);
    }
}

#[tokio::test]
async fn unknown_repositories_and_invalid_queries_answer_as_github() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let v = graphql(
        gh.url(),
        ADMIN,
        &repository_query(),
        json!({"owner": "acme", "name": "gone"}),
    )
    .await
    .json();
    assert!(v["data"]["repository"].is_null());
    assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(v["errors"][0]["path"], json!(["repository"]));
    assert_eq!(
        v["errors"][0]["message"],
        "Could not resolve to a Repository with the name 'acme/gone'."
    );
    let r = graphql(
        gh.url(),
        ADMIN,
        "query Q { repository(owner: \"acme\", name: \"api\") { nope } }",
        Value::Null,
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v.get("data").is_none());
    assert_eq!(
        v["errors"][0]["message"],
        "Field 'nope' doesn't exist on type 'Repository'"
    );
    let v = graphql(gh.url(), ADMIN, "query { viewer { login } }", Value::Null)
        .await
        .json();
    assert_eq!(
        v["errors"][0]["message"],
        "Field 'viewer' doesn't exist on type 'Query'"
    );
    let v = graphql(gh.url(), ADMIN, "query {", Value::Null)
        .await
        .json();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Parse error")
    );
    let r = send(gh.url(), "POST", "/graphql", &[], b"{}").await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn graphql_quota_exhaustion_answers_rate_limited() {
    let mut model = estate();
    model.faults.graphql_limit = 1;
    let gh = MockGithub::start(model).await.unwrap();
    let q = teams_query();
    assert!(
        graphql(gh.url(), ADMIN, &q, json!({"org": "acme"}))
            .await
            .json()
            .get("errors")
            .is_none()
    );
    let r = graphql(gh.url(), ADMIN, &q, json!({"org": "acme"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(
        r.json(),
        json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]})
    );
    gh.update_faults(|f| {
        f.graphql_rate_limit_style = GraphqlRateLimitStyle::Code;
        f.graphql_rate_limit_status = 403;
    });
    let r = graphql(gh.url(), ADMIN, &q, json!({"org": "acme"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["errors"][0]["code"], "graphql_rate_limit");
    // REST still has its own quota.
    assert_eq!(get(gh.url(), "/repos/acme/api", ADMIN).await.status, 200);
}

#[tokio::test]
async fn sampled_repositories_answer_the_repository_query_exactly() {
    let gh = MockGithub::builder()
        .org(Org::sample("acme", 12, 3))
        .token(ADMIN, true)
        .start()
        .await
        .unwrap();
    let q = repository_query();
    let sels = selections(&q);
    for i in 0..12 {
        let v = graphql(
            gh.url(),
            ADMIN,
            &q,
            json!({"owner": "acme", "name": format!("svc-{i:04}")}),
        )
        .await
        .json();
        assert!(v.get("errors").is_none(), "{v:#}");
        check_exact(&v["data"], &sels, "data");
    }
    let v = graphql(gh.url(), ADMIN, &teams_query(), json!({"org": "acme"}))
        .await
        .json();
    let nodes = v["data"]["organization"]["teams"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 3);
    assert_eq!(nodes[0]["repositories"]["totalCount"], 4);
}
