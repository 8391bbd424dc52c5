//! Injected faults, each as GitHub (or the network) would produce it, flipped at runtime.

use std::time::{Duration, Instant};

use evident_github_mock::*;

use crate::common::*;

fn on(route: &str, fault: Fault) -> Faults {
    Faults {
        routes: vec![RouteFault::new(route, fault)],
        ..Faults::default()
    }
}

#[tokio::test]
async fn server_errors_and_bad_bodies() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let url = gh.url();
    for code in [500, 502] {
        gh.set_faults(on("repos.get", Fault::Status(code)));
        let r = get(url, "/repos/acme/api", ADMIN).await;
        assert_eq!(r.status, code);
        assert_valid("basic-error", &r.json());
    }
    gh.set_faults(on("orgs.repos", Fault::WrongShape));
    assert!(
        get(url, "/orgs/acme/repos", ADMIN).await.json().is_object(),
        "object where a list belongs"
    );
    gh.set_faults(on("orgs.repos", Fault::ErrorObject200));
    let r = get(url, "/orgs/acme/repos", ADMIN).await;
    assert_eq!(r.status, 200);
    assert!(r.json()["message"].is_string());
    gh.set_faults(on("repos.get", Fault::NonJson));
    let r = get(url, "/repos/acme/api", ADMIN).await;
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    gh.set_faults(on("*", Fault::HtmlError));
    let r = get(url, "/repos/acme/api", ADMIN).await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (503, Some("text/html; charset=utf-8"))
    );
    // Other routes are untouched; clearing the faults heals the route.
    gh.set_faults(on("graphql", Fault::Status(502)));
    assert_eq!(get(url, "/repos/acme/api", ADMIN).await.status, 200);
    assert_eq!(
        graphql(
            url,
            ADMIN,
            "query { rateLimit { cost } }",
            serde_json::Value::Null
        )
        .await
        .status,
        502
    );
    assert_eq!(gh.stats().faults, 7);
}

#[tokio::test]
async fn cut_bodies_resets_and_delays() {
    let gh = MockGithub::start(estate()).await.unwrap();
    let url = gh.url();
    gh.set_faults(on("repos.get", Fault::Truncated));
    let r = get(url, "/repos/acme/api", ADMIN).await;
    let declared: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(r.body.len() < declared, "{} of {declared}", r.body.len());
    gh.set_faults(on("repos.get", Fault::Reset));
    assert!(get(url, "/repos/acme/api", ADMIN).await.no_response);
    gh.set_faults(on("repos.get", Fault::Delay(300)));
    let t = Instant::now();
    assert_eq!(get(url, "/repos/acme/api", ADMIN).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    gh.set_faults(Faults {
        latency_ms: 50,
        ..Faults::default()
    });
    let t = Instant::now();
    get(url, "/rate_limit", ADMIN).await;
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn faults_fire_after_skip_for_a_number_of_times() {
    let gh = MockGithub::start(estate()).await.unwrap();
    gh.set_faults(Faults {
        routes: vec![RouteFault {
            route: "repos.get".into(),
            fault: Fault::Status(500),
            skip: 1,
            times: Some(2),
            repo: None,
        }],
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(gh.url(), "/repos/acme/api", ADMIN).await.status);
    }
    assert_eq!(statuses, [200, 500, 500, 200]);
}

#[tokio::test]
async fn endless_pagination_always_links_a_next_page() {
    let gh = MockGithub::start(estate()).await.unwrap();
    gh.set_faults(on("orgs.repos", Fault::EndlessPagination));
    for page in [1, 2, 50] {
        let r = get(
            gh.url(),
            &format!("/orgs/acme/repos?per_page=1&page={page}"),
            ADMIN,
        )
        .await;
        let link = r.header("link").unwrap();
        assert!(
            link.contains(&format!("page={}>; rel=\"next\"", page + 1)),
            "{link}"
        );
    }
}
