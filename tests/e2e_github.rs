//! `evident scan --github` end to end: the built binary against the mock GitHub, with
//! repositories cloned for real through `git http-backend`.

mod support;

use evident_github_mock::{
    Deployment, Environment, Faults, MockGithub, MockRepo, Org, Permission, PullRequest, Reviewer,
    Run, Status, Team,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::CANARY;
use support::github::{TOKEN, ago, repo, run, scan_with, source};

const CI: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n  deploy:\n    needs: test\n    if: github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n";

fn shop(git: &Path) -> MockRepo {
    let mut r = repo(
        git,
        "shop",
        &[
            (".github/workflows/ci.yml", CI),
            (
                "Dockerfile",
                "FROM rust:1\nHEALTHCHECK CMD curl -f localhost\n",
            ),
            (".github/CODEOWNERS", "* @acme/web\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
    )
    .with_protection(&["test"], 1);
    r.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("alice".into())],
        wait_timer: 0,
    });
    r.workflow_runs = (0..4)
        .map(|i| Run {
            id: 500 + i,
            created_at: ago(i as i64 + 1),
            ..Run::default()
        })
        .collect();
    r.deployments = (0..4)
        .map(|i| Deployment {
            id: 70 + i,
            created_at: ago(i as i64 + 1),
            sha: format!("{:040x}", i + 1),
            statuses: vec![Status {
                state: "success".into(),
                created_at: ago(i as i64 + 1),
                log_url: Some(format!(
                    "https://github.com/acme/shop/actions/runs/{}/job/1",
                    500 + i
                )),
            }],
            ..Deployment::default()
        })
        .collect();
    r.pull_requests = vec![PullRequest {
        number: 3,
        created_at: ago(4),
        merged_at: Some(ago(3)),
        first_commit_at: Some(ago(5)),
        additions: 20,
        deletions: 4,
        author: Some("alice".into()),
        files: vec!["src/main.rs".into()],
        ..PullRequest::default()
    }];
    r
}

fn estate(git: &Path) -> Org {
    let mut web = Team::new("web");
    web.members = vec!["alice".into(), "bob".into()];
    web.repos = vec![
        ("shop".into(), Permission::Admin),
        ("docs".into(), Permission::Write),
    ];
    Org::new("acme")
        .with_repo(shop(git))
        .with_repo(repo(git, "docs", &[("README.md", "# docs\n")]))
        .with_team(web)
}

/// A running mock of the estate with `faults`, its runtime, and the directories the
/// test keeps alive (bare repositories, the cache).
struct Setup {
    gh: MockGithub,
    cache: tempfile::TempDir,
    _git: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn setup(faults: Faults) -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(estate(git.path()))
                .token(TOKEN, true)
                .faults(faults)
                .start(),
        )
        .unwrap();
    Setup {
        gh,
        cache,
        _git: git,
        _rt: rt,
    }
}

#[test]
fn an_organisation_is_cloned_scanned_and_judged_with_githubs_records() {
    let Setup {
        gh,
        cache,
        _git,
        _rt,
    } = setup(Faults::default());
    let (result, _) = scan_with(&gh, cache.path(), &[]);
    let ids: Vec<&str> = result["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(&"shop") && ids.contains(&"docs"), "{ids:?}");
    let github = source(&result, "github");
    assert_eq!(github[0]["status"], "ok", "{github:?}");
    // Both clones were real: the git probe read their files at HEAD.
    for s in source(&result, "git") {
        assert_eq!(s["status"], "ok", "{s}");
    }
    let evidence = result["evidence"].as_object().unwrap();
    assert!(evidence.contains_key("github:acme/shop:protection"));
    assert!(evidence.contains_key("github:acme/shop:deployment:70"));
    // A scan's quota: listing, one GraphQL and one runs page per repository, the teams.
    let stats = gh.stats();
    let api = stats.requests - stats.route("git").requests;
    assert!(api <= 2 + 2 * 2, "{stats:?}");
}

#[test]
fn a_rescan_of_an_unchanged_organisation_spends_no_quota() {
    let Setup {
        gh,
        cache,
        _git,
        _rt,
    } = setup(Faults::default());
    let (first, _) = scan_with(&gh, cache.path(), &[]);
    let before = gh.stats();
    let (second, _) = scan_with(&gh, cache.path(), &[]);
    let after = gh.stats();
    assert_eq!(after.counted, before.counted, "a rescan counted: {after:?}");
    assert_eq!(
        after.route("git").requests,
        before.route("git").requests,
        "unchanged repositories are not fetched again"
    );
    assert!(after.not_modified > before.not_modified);
    // ...and judges the same.
    let statuses = |r: &Value| -> Vec<(String, String)> {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["criterion"].to_string() + &v["service"].to_string(),
                    v["status"].to_string(),
                )
            })
            .collect()
    };
    assert_eq!(statuses(&first), statuses(&second));
}

#[test]
fn quota_exhausted_mid_scan_finishes_and_says_when_it_resets() {
    let Setup {
        gh,
        cache,
        _git,
        _rt,
    } = setup(Faults {
        core_limit: 2,
        ..Faults::default()
    });
    let (result, _) = scan_with(&gh, cache.path(), &[]);
    let unreadable = result["unreadable"].as_array().unwrap();
    let limited: Vec<&Value> = unreadable
        .iter()
        .filter(|u| {
            u["probe"] == "github" && u["reason"].as_str().unwrap_or("").contains("rate_limited")
        })
        .collect();
    assert!(!limited.is_empty(), "{unreadable:?}");
    assert!(
        limited[0]["reason"].as_str().unwrap().contains("until"),
        "says when the quota resets: {limited:?}"
    );
}

#[test]
fn a_token_a_server_echoes_never_reaches_the_output() {
    let Setup {
        gh,
        cache,
        _git,
        _rt,
    } = setup(Faults {
        echo_canary: true,
        ..Faults::default()
    });
    let out = run(
        cache.path(),
        &[
            "scan",
            "--github",
            "acme",
            "--github-url",
            gh.url(),
            "--format",
            "json",
            "-v",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(TOKEN), "token in stdout");
    assert!(!stderr.contains(TOKEN), "token in stderr: {stderr}");
    let _ = CANARY;
}

#[test]
fn a_checkout_whose_origin_is_the_repository_is_scanned_in_place_with_githubs_records() {
    let Setup {
        gh,
        cache,
        _git,
        _rt,
    } = setup(Faults::default());
    let checkout = support::Repo::new("shop");
    checkout.write(".github/workflows/ci.yml", CI);
    checkout.commit("ci");
    // As actions/checkout leaves it: origin is the repository on the API's host.
    let host = gh.url().trim_start_matches("http://").to_owned();
    checkout
        .repo
        .remote("origin", &format!("http://{host}/acme/shop.git"))
        .unwrap();
    let path = checkout.path();
    let out = run(
        cache.path(),
        &[
            "scan",
            path.to_str().unwrap(),
            "--github",
            "acme/shop",
            "--github-url",
            gh.url(),
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(gh.stats().route("git").requests, 0, "nothing cloned");
    let ci = support::result_of(&result, "ds.process.ci-all", "shop");
    assert_eq!(ci["status"], "met", "{ci}");
    assert!(
        ci["summary"]
            .as_str()
            .unwrap()
            .contains("CI ran in the last 30 days"),
        "judged with GitHub's runs: {ci}"
    );
}

#[test]
fn a_github_app_installation_reads_with_the_token_github_mints_and_never_shows_it() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let key = cache.path().join("app.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg("2048")
        .output()
        .expect("openssl (Debian package openssl) makes the App's test key");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(estate(git.path()))
                .app(evident_github_mock::AppSpec {
                    app_id: 42,
                    installation_id: 7,
                    admin: true,
                })
                .faults(Faults {
                    echo_canary: true,
                    ..Faults::default()
                })
                .start(),
        )
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .args([
            "scan",
            "--github",
            "acme",
            "--github-url",
            gh.url(),
            "--format",
            "json",
            "-v",
        ])
        .env("NO_COLOR", "1")
        .env("EVIDENT_CACHE_DIR", cache.path())
        .env("EVIDENT_GITHUB_APP_ID", "42")
        .env("EVIDENT_GITHUB_APP_INSTALLATION_ID", "7")
        .env("EVIDENT_GITHUB_APP_PRIVATE_KEY_FILE", &key)
        .env_remove("EVIDENT_GITHUB_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .expect("run evident");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("ghs_mockinstallation"),
        "the minted token reached the result"
    );
    assert!(
        !stderr.contains("ghs_mockinstallation"),
        "the minted token reached the log: {stderr}"
    );
    let result: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(source(&result, "github")[0]["status"], "ok", "{stderr}");
    assert!(
        result["evidence"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.ends_with(":protection")),
        "read with the installation's rights"
    );
    assert_eq!(
        gh.stats().route("app.token").requests,
        1,
        "one token a scan"
    );
}
