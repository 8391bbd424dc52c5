//! A mock GitHub to scan by hand or benchmark against: `cargo run -p evident-github-mock
//! --example serve -- --repos 1000 --latency-ms 50 --git DIR`. Prints the API URL and
//! the token, then serves until killed.
//!
//! Each repository gets a real bare git repository under `--git DIR` (a workflow, a
//! Dockerfile, a manifest), deployments, runs and merged pull requests dated relative
//! to now, so every window of the probe holds records.

use chrono::{Duration, SecondsFormat, Utc};
use evident_github_mock::{
    BareRepo, Deployment, Environment, Faults, MockGithub, MockRepo, Org, Permission, PullRequest,
    Reviewer, Run, Status, Team,
};
use std::path::PathBuf;

fn ago(hours: i64) -> String {
    (Utc::now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

const CI: &str = "on:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n  deploy:\n    needs: test\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n";

fn repo(i: usize, teams: usize, git: &Option<PathBuf>) -> MockRepo {
    let name = format!("svc-{i:04}");
    let mut r = MockRepo::new(&name).with_protection(&["test"], 1);
    if let Some(dir) = git {
        let deploy = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/{name}:1.0\n"
        );
        let files = [
            (".github/workflows/ci.yml", CI),
            ("Dockerfile", "FROM alpine:3\n"),
            ("k8s/deploy.yaml", deploy.as_str()),
        ];
        match BareRepo::with_files(dir, &name, &files, &ago(48)) {
            Ok(bare) => r = r.with_git(bare.path.clone()),
            Err(e) => eprintln!("{name}: {e}"),
        }
    }
    r.pushed_at = ago(48);
    r.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::Team(format!("team-{}", i % teams))],
        wait_timer: 0,
    });
    for j in 0..5u64 {
        let at = ago(24 * j as i64 + 2);
        r.workflow_runs.push(Run {
            id: i as u64 * 100 + j,
            created_at: at.clone(),
            ..Run::default()
        });
        r.deployments.push(Deployment {
            id: i as u64 * 100 + j,
            created_at: at.clone(),
            sha: format!("{:040x}", i as u64 * 100 + j),
            statuses: vec![Status {
                state: "success".into(),
                created_at: at.clone(),
                log_url: Some(format!(
                    "https://github.com/acme/{name}/actions/runs/{}/job/1",
                    i as u64 * 100 + j
                )),
            }],
            ..Deployment::default()
        });
        r.pull_requests.push(PullRequest {
            number: j + 1,
            created_at: ago(24 * j as i64 + 8),
            merged_at: Some(ago(24 * j as i64 + 4)),
            first_commit_at: Some(ago(24 * j as i64 + 10)),
            additions: 40,
            deletions: 10,
            author: Some(format!("user-{}-{}", i % teams, j % 3)),
            files: vec![
                "src/main.rs".into(),
                "tests/it.rs".into(),
                "k8s/deploy.yaml".into(),
            ],
            ..PullRequest::default()
        });
    }
    r
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let repos: usize = value("--repos").and_then(|v| v.parse().ok()).unwrap_or(12);
    let teams: usize = value("--teams")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let latency: u64 = value("--latency-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let git = value("--git").map(PathBuf::from);
    let token = value("--token").unwrap_or_else(|| "ghp_mock_token".into());
    let mut org = Org::new("acme");
    for i in 0..repos {
        org = org.with_repo(repo(i, teams, &git));
    }
    for k in 0..teams {
        let mut team = Team::new(format!("team-{k}"));
        team.members = (0..3).map(|m| format!("user-{k}-{m}")).collect();
        team.repos = (0..repos)
            .filter(|i| i % teams == k)
            .map(|i| (format!("svc-{i:04}"), Permission::Admin))
            .collect();
        org = org.with_team(team);
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let gh = MockGithub::builder()
            .org(org)
            .token(&token, true)
            .faults(Faults {
                latency_ms: latency,
                core_limit: 1_000_000,
                graphql_limit: 1_000_000,
                ..Faults::default()
            })
            .start()
            .await?;
        println!("{}", gh.url());
        println!("token {token}");
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            let s = gh.stats();
            eprintln!(
                "requests {} counted {} not_modified {} git {}",
                s.requests,
                s.counted,
                s.not_modified,
                s.route("git").requests
            );
        }
    })
}
