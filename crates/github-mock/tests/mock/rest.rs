//! REST: shapes, headers, pagination, conditional requests, limits, errors.

use evident_github_mock::*;
use serde_json::Value;

use crate::common::*;

fn assert_github_headers(r: &Resp, resource: &str) {
    for h in [
        "etag",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-used",
        "x-ratelimit-reset",
        "x-github-request-id",
    ] {
        assert!(r.header(h).is_some(), "missing {h} in {:?}", r.headers);
    }
    assert_eq!(r.header("x-ratelimit-resource"), Some(resource));
}

#[tokio::test]
async fn every_rest_route_serves_the_described_shapes() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let base = gh.url();
    let cases = [
        ("/rate_limit", "rate-limit-overview"),
        (
            "/orgs/acme/repos?type=all&per_page=100",
            "minimal-repository-list",
        ),
        ("/users/octocat/repos", "minimal-repository-list"),
        ("/repos/acme/api", "full-repository"),
        ("/repos/acme/legacy", "full-repository"),
        ("/repos/octocat/dotfiles", "full-repository"),
        (
            "/repos/acme/api/actions/runs?per_page=2",
            "workflow-run-list",
        ),
        ("/repos/acme/nope", "basic-error"),
        ("/orgs/nope/repos", "basic-error"),
    ];
    for (path, def) in cases {
        let r = get(base, path, ADMIN).await;
        assert_github_headers(&r, "core");
        assert_eq!(
            r.status,
            if def == "basic-error" { 404 } else { 200 },
            "{path}"
        );
        assert_valid(def, &r.json());
    }
    let r = get(base, "/repos/acme/nope", ADMIN).await.json();
    assert_eq!(r["message"], "Not Found");
    assert_eq!(r["status"], "404");
    let repo = get(base, "/repos/acme/legacy", ADMIN).await.json();
    assert_eq!(
        (
            repo["archived"].clone(),
            repo["fork"].clone(),
            repo["visibility"].clone()
        ),
        (Value::Bool(true), Value::Bool(true), Value::from("private"))
    );
    assert_eq!(
        repo["clone_url"],
        format!("{}/acme/legacy.git", gh.git_url())
    );
    // Organisations list newest created first, as GitHub's default sort.
    let names: Vec<Value> = get(base, "/orgs/acme/repos", ADMIN)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(names, ["api", "web", "legacy"]);
    assert_eq!(repo["permissions"]["admin"], true);
    let as_reader = get(base, "/repos/acme/legacy", READER).await.json();
    assert_eq!(as_reader["permissions"]["admin"], false);
    let forks = get(base, "/orgs/acme/repos?type=forks", ADMIN).await.json();
    assert_eq!(forks.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn both_authorization_forms_work_and_others_get_401() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let ok = send(
        gh.url(),
        "GET",
        "/repos/acme/api",
        &[("Authorization", &format!("token {ADMIN}"))],
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    for headers in [vec![], vec![("Authorization", "Bearer wrong")]] {
        let r = send(gh.url(), "GET", "/repos/acme/api", &headers, b"").await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json(),
            serde_json::json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
        );
    }
    let s = gh.stats();
    assert_eq!((s.unauthorized, s.counted), (2, 1));
}

#[tokio::test]
async fn link_pagination_walks_250_repositories() {
    let mut org = Org::new("big");
    for i in 0..250 {
        let mut r = MockRepo::new(format!("repo-{i:03}"));
        r.created_at = format!("2020-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
        org.repos.push(r);
    }
    let gh = MockGithub::builder()
        .org(org)
        .token(ADMIN, true)
        .start()
        .await
        .unwrap();
    let first = get(gh.url(), "/orgs/big/repos?type=all&per_page=100", ADMIN).await;
    let link = first.header("link").unwrap().to_string();
    let org_id = gh.model().orgs[0].id;
    let at = |p: usize| {
        format!(
            "<{}/organizations/{org_id}/repos?type=all&per_page=100&page={p}>",
            gh.url()
        )
    };
    assert_eq!(
        link,
        format!("{}; rel=\"next\", {}; rel=\"last\"", at(2), at(3))
    );
    let mut seen: Vec<String> = first
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let mut next = Some(at(2));
    let mut pages = 1;
    while let Some(url) = next.take() {
        let path = url
            .trim_matches(['<', '>'])
            .strip_prefix(gh.url())
            .unwrap()
            .to_string();
        let r = get(gh.url(), &path, ADMIN).await;
        assert_valid("minimal-repository-list", &r.json());
        seen.extend(
            r.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
        pages += 1;
        let link = r.header("link").unwrap_or_default().to_string();
        if pages == 3 {
            assert_eq!(
                link,
                format!("{}; rel=\"prev\", {}; rel=\"first\"", at(2), at(1))
            );
        }
        next = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .map(|l| l.split(';').next().unwrap().to_string());
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 250);
    // per_page is capped at 100, as on GitHub.
    assert_eq!(
        get(gh.url(), "/orgs/big/repos?per_page=500", ADMIN)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

#[tokio::test]
async fn a_matching_etag_answers_304_and_is_not_counted() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let r = get(gh.url(), "/repos/acme/api", ADMIN).await;
    let etag = r.header("etag").unwrap().to_string();
    assert_eq!(
        get(gh.url(), "/repos/acme/api", ADMIN).await.header("etag"),
        Some(etag.as_str()),
        "stable"
    );
    let auth = format!("Bearer {ADMIN}");
    let r = send(
        gh.url(),
        "GET",
        "/repos/acme/api",
        &[("Authorization", &auth), ("If-None-Match", &etag)],
        b"",
    )
    .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("x-ratelimit-remaining"), Some("4998"));
    let s = gh.stats();
    assert_eq!(
        (s.counted, s.not_modified, s.route("repos.get").requests),
        (2, 1, 3)
    );
    assert_eq!(s.token(ADMIN).not_modified, 1);
    // A changed resource no longer matches.
    gh.update_model(|m| m.orgs[0].repos[0].archived = true);
    let r = send(
        gh.url(),
        "GET",
        "/repos/acme/api",
        &[("Authorization", &auth), ("If-None-Match", &etag)],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn primary_quota_exhaustion_answers_403_with_remaining_zero() {
    let mut model = estate();
    model.faults.core_limit = 2;
    let gh = MockGithub::start(model).await.unwrap();
    for _ in 0..2 {
        assert_eq!(get(gh.url(), "/repos/acme/api", ADMIN).await.status, 200);
    }
    let r = get(gh.url(), "/repos/acme/api", ADMIN).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(
        r.json()["message"],
        "API rate limit exceeded for user ID 1."
    );
    assert_eq!(
        r.json()["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    );
    // /rate_limit does not count and reports the exhaustion.
    let rl = get(gh.url(), "/rate_limit", ADMIN).await.json();
    assert_eq!(rl["resources"]["core"]["remaining"], 0);
    assert_eq!(rl["rate"]["used"], 2);
    // Another token has its own quota; GraphQL has its own.
    assert_eq!(get(gh.url(), "/repos/acme/api", READER).await.status, 200);
    let q = graphql(
        gh.url(),
        ADMIN,
        "query { rateLimit { remaining } }",
        Value::Null,
    )
    .await;
    assert_eq!(q.header("x-ratelimit-resource"), Some("graphql"));
    assert_eq!(q.json()["data"]["rateLimit"]["remaining"], 4999);
    // 429 variant, and a new window.
    gh.update_faults(|f| f.rate_limit_status = 429);
    assert_eq!(get(gh.url(), "/repos/acme/api", ADMIN).await.status, 429);
    gh.reset_quota();
    assert_eq!(get(gh.url(), "/repos/acme/api", ADMIN).await.status, 200);
    assert_eq!(gh.stats().rate_limited, 2);
}

#[tokio::test]
async fn runs_filter_by_created_date_and_paginate() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let r = get(
        gh.url(),
        "/repos/acme/api/actions/runs?created=%3E%3D2024-05-01&per_page=1",
        ADMIN,
    )
    .await;
    let v = r.json();
    assert_eq!(v["total_count"], 2);
    assert_eq!(v["workflow_runs"][0]["id"], 101, "newest first");
    let id = gh.model().orgs[0].repos[0].id;
    let next = format!(
        "<{}/repositories/{id}/actions/runs?created=%3E%3D2024-05-01&per_page=1&page=2>; rel=\"next\"",
        gh.url()
    );
    assert!(
        r.header("link").unwrap().starts_with(&next),
        "{:?}",
        r.header("link")
    );
    let all = get(
        gh.url(),
        "/repos/acme/api/actions/runs?created=2024-04-01..2024-05-01",
        ADMIN,
    )
    .await
    .json();
    assert_eq!(all["total_count"], 2);
    let page2 = get(
        gh.url(),
        &format!("/repositories/{id}/actions/runs?created=%3E%3D2024-05-01&per_page=1&page=2"),
        ADMIN,
    )
    .await
    .json();
    assert_eq!(page2["workflow_runs"][0]["id"], 100);
}

#[tokio::test]
async fn secondary_limit_answers_with_retry_after_then_clears() {
    let mut model = estate();
    model.faults.secondary = Some(SecondaryLimit {
        after: 2,
        count: 2,
        retry_after_secs: 7,
        status: 403,
    });
    let gh = MockGithub::start(model).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = get(gh.url(), "/repos/acme/api", ADMIN).await;
        if r.status == 403 {
            assert_eq!(r.header("retry-after"), Some("7"));
            assert!(
                r.json()["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("You have exceeded a secondary rate limit")
            );
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 200, 403, 403, 200]);
    gh.set_faults(Faults {
        secondary: Some(SecondaryLimit {
            status: 429,
            ..SecondaryLimit::default()
        }),
        ..Faults::default()
    });
    let r = get(gh.url(), "/repos/acme/api", ADMIN).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(gh.stats().secondary_limited, 3);
}

#[tokio::test]
async fn the_echo_canary_reflects_the_token() {
    let mut model = estate();
    model.faults.echo_canary = true;
    let gh = MockGithub::start(model).await.unwrap();
    let list = get(gh.url(), "/orgs/acme/repos", ADMIN).await.json();
    let name = list[0]["name"].as_str().unwrap().to_string();
    assert!(name.contains(ADMIN));
    assert_eq!(
        get(gh.url(), &format!("/repos/acme/{name}"), ADMIN)
            .await
            .status,
        200,
        "canary names resolve"
    );
    assert!(
        get(gh.url(), "/repos/acme/nope", ADMIN).await.json()["message"]
            .as_str()
            .unwrap()
            .contains(ADMIN)
    );
    let q = graphql(
        gh.url(),
        ADMIN,
        &repository_query(),
        serde_json::json!({"owner": "acme", "name": "api"}),
    )
    .await
    .json();
    assert!(
        q["data"]["repository"]["nameWithOwner"]
            .as_str()
            .unwrap()
            .contains(ADMIN)
    );
}

#[tokio::test]
async fn a_sampled_thousand_repository_organisation_pages_quickly() {
    let gh = MockGithub::builder()
        .org(Org::sample("bench", 1000, 5))
        .token(ADMIN, true)
        .start()
        .await
        .unwrap();
    let t = std::time::Instant::now();
    let mut total = 0;
    for page in 1..=10 {
        let r = get(
            gh.url(),
            &format!("/orgs/bench/repos?per_page=100&page={page}"),
            ADMIN,
        )
        .await;
        total += r.json().as_array().unwrap().len();
        if page == 10 {
            assert!(!r.header("link").unwrap().contains("rel=\"next\""));
        }
    }
    assert_eq!(total, 1000);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        t.elapsed()
    );
    let runs = get(gh.url(), "/repos/bench/svc-0007/actions/runs", ADMIN)
        .await
        .json();
    assert_valid("workflow-run-list", &runs);
    assert_eq!(runs["total_count"], 5);
    let teams = gh.model().orgs[0]
        .teams
        .iter()
        .map(|t| t.repos.len())
        .sum::<usize>();
    assert_eq!(teams, 1000, "every repository in one team");
}

#[test]
fn the_model_is_serde_constructible() {
    let text = serde_json::json!({
        "orgs": [{"login": "acme", "repos": [{
            "name": "api",
            "protection": {"required_checks": ["ci"], "required_reviews": 1},
            "environments": [{"name": "prod", "reviewers": [{"User": "alice"}, {"Team": "ops"}], "wait_timer": 5}],
            "rulesets": [{"name": "r", "rules": [{"pull_request": 2}, {"required_status_checks": ["ci"]}, {"other": "DELETION"}]}],
        }], "teams": [{"slug": "ops", "members": ["alice"], "repos": [["api", "ADMIN"]]}]}],
        "tokens": [{"token": "t", "admin": true}],
        "faults": {"core_limit": 10, "routes": [{"route": "graphql", "fault": {"status": 502}, "times": 1}]},
    });
    let model: Model = serde_json::from_value(text).unwrap();
    let repo = &model.orgs[0].repos[0];
    assert_eq!(
        repo.default_branch, "main",
        "defaults fill what is left out"
    );
    assert_eq!(model.orgs[0].teams[0].repos[0].1, Permission::Admin);
    assert_eq!(model.faults.routes[0].fault, Fault::Status(502));
    let again: Model = serde_json::from_value(serde_json::to_value(&model).unwrap()).unwrap();
    assert_eq!(
        serde_json::to_value(&again).unwrap(),
        serde_json::to_value(&model).unwrap()
    );
}
