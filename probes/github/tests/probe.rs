//! The probe against the mock GitHub: what it reads, what it spends, and how it reports
//! what it could not read.

use chrono::{Duration, SecondsFormat, Utc};
use evident_core::{Probe, ScanContext, SourceStatus};
use evident_github::{Client, GithubConfig, Target};
use evident_github_mock::{
    CommitAuthor, Deployment, Environment, Fault, MockGithub, MockRepo, Org, Permission,
    PullRequest, Reviewer, RouteFault, Run, Status, Team,
};
use evident_probe_github::{GithubInput, GithubProbe};
use serde_json::Value;
use std::sync::Arc;

const TOKEN: &str = "ghp_probe_test_token";
const READER: &str = "ghp_reader_token";

fn ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn shop() -> MockRepo {
    let mut repo = MockRepo::new("shop").with_protection(&["test"], 1);
    repo.pushed_at = ago(1);
    repo.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("Alice".into()), Reviewer::Team("ops".into())],
        wait_timer: 0,
    });
    repo.workflow_runs = (0..3)
        .map(|i| Run {
            id: 900 + i,
            created_at: ago(i as i64 + 1),
            event: if i == 2 {
                "workflow_dispatch".into()
            } else {
                "push".into()
            },
            ..Run::default()
        })
        .collect();
    repo.deployments = (0..3)
        .map(|i| Deployment {
            id: 10 + i,
            created_at: ago(i as i64 + 1),
            sha: format!("{:040x}", i + 1),
            statuses: vec![Status {
                state: "success".into(),
                created_at: ago(i as i64 + 1),
                log_url: Some(format!(
                    "https://github.com/acme/shop/actions/runs/{}/job/1",
                    900 + i
                )),
            }],
            ..Deployment::default()
        })
        .collect();
    repo.pull_requests = vec![PullRequest {
        number: 7,
        created_at: ago(3),
        merged_at: Some(ago(2)),
        first_commit_at: Some(ago(4)),
        additions: 30,
        deletions: 5,
        author: Some("Bob".into()),
        files: vec!["src/main.rs".into(), "k8s/deploy.yaml".into()],
        ..PullRequest::default()
    }];
    repo
}

fn org() -> Org {
    let mut team = Team::new("web");
    team.members = vec!["alice".into(), "bob".into()];
    team.repos = vec![("shop".into(), Permission::Admin)];
    Org::new("acme")
        .with_repo(shop())
        .with_repo(MockRepo::new("docs"))
        .with_team(team)
}

async fn read(gh: &MockGithub, token: &str) -> (Value, evident_core::ProbeOutput) {
    let mut config = GithubConfig::new(gh.url(), Some(token.to_owned()));
    config.concurrency = 4;
    let client = Arc::new(Client::new(config).unwrap());
    let listing =
        evident_github::list(&client, &[Target::Owner("acme".into())], false, false).await;
    assert!(listing.failed.is_empty(), "{:?}", listing.failed);
    let input = GithubInput {
        client,
        repos: listing
            .repos
            .iter()
            .map(|r| (r.name.clone(), r.clone()))
            .collect(),
        orgs: listing.orgs.clone(),
        skipped: listing.skipped.clone(),
        failed: listing.failed.clone(),
        incomplete: listing.incomplete.clone(),
    };
    let ctx = ScanContext::new(
        vec![],
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    );
    let out = GithubProbe::new(Some(input)).collect(&ctx).await;
    (out.facts.clone(), out)
}

#[tokio::test]
async fn an_admin_token_reads_protection_environments_runs_deployments_and_teams() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    let (facts, out) = read(&gh, TOKEN).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    let shop = &facts["repos"]["shop"];
    assert_eq!(
        shop["protection"]["required_checks"],
        serde_json::json!(["test"])
    );
    assert_eq!(shop["protection"]["required_reviews"], 1);
    let env = &shop["environments"][0];
    assert_eq!(env["production"], true);
    assert_eq!(
        env["reviewers"][0],
        serde_json::json!({"type": "user", "login": "alice"})
    );
    assert_eq!(
        env["reviewers"][1],
        serde_json::json!({"type": "team", "team": "acme/ops"})
    );
    assert_eq!(shop["runs"]["count"], 3);
    let deployments = shop["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 3);
    // The run a person started made its deployment by hand, whatever account created it.
    let by_hand: Vec<&Value> = deployments
        .iter()
        .filter(|d| d["by_automation"] == false)
        .collect();
    assert_eq!(by_hand.len(), 1);
    assert_eq!(by_hand[0]["run_event"], "workflow_dispatch");
    assert_eq!(shop["pull_requests"]["items"][0]["lines"], 35);
    assert_eq!(shop["pull_requests"]["items"][0]["author"], "bob");
    assert_eq!(facts["teams"]["acme/web"]["repos"]["shop"], "admin");
    assert_eq!(facts["teams"]["acme/web"]["member_count"], 2);
    assert!(shop["unread"].is_null(), "{}", shop["unread"]);
    // Every id the facts cite has a record.
    let ids: std::collections::HashSet<&str> = out.evidence.iter().map(|e| e.id.as_str()).collect();
    for id in [
        shop["protection"]["evidence"].as_str().unwrap(),
        deployments[0]["evidence"].as_str().unwrap(),
        "github:acme:team:web",
    ] {
        assert!(ids.contains(id), "{id}");
    }
    // Five repository-level requests at most: one GraphQL, one runs page each, plus the
    // listing and the teams.
    let stats = gh.stats();
    assert!(stats.requests <= 2 * 2 + 2, "{stats:?}");
}

#[tokio::test]
async fn a_token_without_admin_leaves_protection_unread_as_forbidden_never_empty() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .token(READER, false)
        .start()
        .await
        .unwrap();
    let (facts, _) = read(&gh, READER).await;
    let shop = &facts["repos"]["shop"];
    assert!(shop["protection"].is_null());
    assert_eq!(shop["unread"]["protection"]["status"], "forbidden");
    assert!(
        shop["unread"]["protection"]["detail"]
            .as_str()
            .unwrap()
            .contains("branchProtectionRule"),
        "{}",
        shop["unread"]
    );
    assert_eq!(shop["unread"]["environments"]["status"], "forbidden");
    assert!(shop["deployments"].is_array(), "other parts are still read");
}

#[tokio::test]
async fn a_failing_repository_is_unread_for_itself_and_the_others_are_read() {
    let gh = MockGithub::builder()
        .org(org())
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    gh.update_faults(|f| {
        f.routes
            .push(RouteFault::new("actions.runs", Fault::Status(500)));
    });
    let (facts, out) = read(&gh, TOKEN).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    for repo in ["shop", "docs"] {
        assert_eq!(
            facts["repos"][repo]["unread"]["runs"]["status"], "error",
            "{repo}"
        );
        assert!(facts["repos"][repo]["runs"].is_null());
    }
    assert!(facts["repos"]["shop"]["deployments"].is_array());
}

#[tokio::test]
async fn commit_authors_github_ties_to_a_login_are_kept_by_email_hash_only() {
    let mut repo = shop();
    let author = |email: &str, login: Option<&str>| CommitAuthor {
        name: "Someone".into(),
        email: email.into(),
        login: login.map(str::to_owned),
    };
    repo.commit_authors = vec![
        author("Alice@Example.com", Some("Alice")),
        author("ci@example.com", None),
        author("alice@example.com", Some("alice")),
        author("bob@example.com", Some("bob")),
    ];
    let org = Org::new("acme")
        .with_repo(repo)
        .with_repo(MockRepo::new("docs"));
    let gh = MockGithub::builder()
        .org(org)
        .token(TOKEN, true)
        .start()
        .await
        .unwrap();
    let (facts, out) = read(&gh, TOKEN).await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok, "{:?}", out.sources);
    assert_eq!(
        facts["repos"]["shop"]["commit_authors"],
        serde_json::json!([
            {"email_hash": evident_oncall::email_key("alice@example.com"), "login": "alice"},
            {"email_hash": evident_oncall::email_key("bob@example.com"), "login": "bob"}
        ]),
        "one per author GitHub ties to a login, sorted, unique"
    );
    assert!(
        facts["repos"]["docs"].get("commit_authors").is_none(),
        "absent when there are none"
    );
    let text = serde_json::to_string(&facts).unwrap();
    assert!(
        !text.to_lowercase().contains("example.com"),
        "no email in clear"
    );
}
