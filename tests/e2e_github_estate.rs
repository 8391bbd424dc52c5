//! `evident scan --github` on a 12-repository, 3-team organisation built so that the
//! criteria GitHub's records decide come out met, not_met and unknown across its services;
//! then the same estate read with a token without admin rights, through a secondary limit,
//! with the quota running out, rescanned unchanged; a reusable workflow of another
//! repository; and team ownership from admin rights.
//!
//! Teams: `web` (3 members) owns `shop` (everything in order); `data` (12 members) owns
//! `cart` (deploys by hand, an outside approver, big rare releases), the monorepo `mono`
//! (services `orders` and `billing` deployed by the same runs) and `etl` (its runs route
//! fails); `platform` (2 members) owns `platform` (a reusable deploy workflow, pull
//! requests from `web`), `tools` (by admin rights only) and `search`. `legacy` and
//! `worker` belong to `ops`, a catalog owner that is no GitHub team; `api` calls
//! platform's workflow; `docs` has nothing; `old` is archived.

mod support;

use evident_github_mock::{
    Deployment, Environment, Fault, Faults, MockGithub, MockRepo, Org, Permission, PullRequest,
    Reviewer, RouteFault, Run, SecondaryLimit, Status, Team,
};
use serde_json::Value;
use std::path::Path;
use support::github::{
    TOKEN, ago, ago_h, expect, plus_min, repo, runtime, scan_with, source, srs, table,
};

const CI: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n  deploy:\n    needs: test\n    if: github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n";

const TEST_ONLY: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n";

const MANUAL_DEPLOY: &str = "name: Deploy\non:\n  workflow_dispatch:\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: kubectl apply -f k8s/\n";

const REUSED_DEPLOY: &str = "name: Deploy\non:\n  workflow_call:\njobs:\n  rollout:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: kubectl apply -f k8s/\n";

const CALLS_PLATFORM: &str = "name: Release\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    uses: acme/platform/.github/workflows/deploy.yml@main\n";

const CALLS_MISSING: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    uses: acme/missing/.github/workflows/test.yml@main\n";

const DOCKERFILE: &str = "FROM rust:1\nHEALTHCHECK CMD curl -f localhost\n";

fn catalog(components: &[(&str, &str)]) -> String {
    components
        .iter()
        .map(|(name, owner)| {
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn bot_deploy(owner_repo: &str, id: u64, env: &str, at: &str, run: u64) -> Deployment {
    Deployment {
        id,
        environment: env.into(),
        created_at: at.to_owned(),
        sha: format!("{id:040x}"),
        statuses: vec![Status {
            state: "success".into(),
            created_at: plus_min(at, 5),
            log_url: Some(format!(
                "https://github.com/{owner_repo}/actions/runs/{run}/job/1"
            )),
        }],
        ..Deployment::default()
    }
}

fn person_deploy(id: u64, at: &str) -> Deployment {
    Deployment {
        id,
        environment: "production".into(),
        created_at: at.to_owned(),
        sha: format!("{id:040x}"),
        creator_login: "dana".into(),
        creator_type: "User".into(),
        statuses: vec![Status {
            state: "success".into(),
            created_at: plus_min(at, 10),
            log_url: None,
        }],
        ..Deployment::default()
    }
}

fn pr(number: u64, merged: &str, lines: u64, author: &str, files: &[&str]) -> PullRequest {
    PullRequest {
        number,
        created_at: plus_min(merged, -600),
        merged_at: Some(merged.to_owned()),
        first_commit_at: Some(plus_min(merged, -900)),
        additions: lines,
        deletions: 0,
        author: Some(author.into()),
        files: files.iter().map(|f| f.to_string()).collect(),
        ..PullRequest::default()
    }
}

fn runs(first_id: u64, n: u64, path: &str) -> Vec<Run> {
    (0..n)
        .map(|i| Run {
            id: first_id + i,
            path: path.into(),
            created_at: ago_h(i as i64 * 24 + 2),
            ..Run::default()
        })
        .collect()
}

/// `shop`: tests and an automatic deploy on push, a required check, runs this month, 12
/// automated production deploys in the last 12 days each 2 hours after a small pull
/// request by the team, the approver a team member.
fn shop(git: &Path) -> MockRepo {
    let mut r = repo(
        git,
        "shop",
        &[
            (".github/workflows/ci.yml", CI),
            ("Dockerfile", DOCKERFILE),
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
    r.workflow_runs = runs(5000, 6, ".github/workflows/ci.yml");
    for i in 0..12u64 {
        let at = ago_h(i as i64 * 24 + 1);
        r.deployments.push(bot_deploy(
            "acme/shop",
            100 + i,
            "production",
            &at,
            5100 + i,
        ));
        let merged = ago_h(i as i64 * 24 + 3);
        r.pull_requests.push(pr(
            10 + i,
            &merged,
            40,
            if i % 2 == 0 { "alice" } else { "bob" },
            &["src/main.rs", "tests/shop_test.rs", "k8s/deploy.yaml"],
        ));
    }
    r
}

/// `cart`: a deploy workflow started by hand, deployments by a person 35 days apart, each
/// after a 1,500-line pull request merged days before, an approver outside the team, no
/// branch protection, no runs in 30 days.
fn cart(git: &Path) -> MockRepo {
    let mut r = repo(
        git,
        "cart",
        &[
            (".github/workflows/deploy.yml", MANUAL_DEPLOY),
            (".github/CODEOWNERS", "* @acme/data\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
    );
    r.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("zed".into())],
        wait_timer: 0,
    });
    for (i, d) in [80i64, 45, 10].iter().enumerate() {
        r.deployments.push(person_deploy(200 + i as u64, &ago(*d)));
        r.pull_requests.push(pr(
            20 + i as u64,
            &ago(d + 5),
            1500,
            "d01",
            &["src/main.rs", "src/lib.rs"],
        ));
    }
    r
}

/// `mono`: services `orders` and `billing` (two catalog Components), deployed to their
/// own production environments by the same three runs.
fn mono(git: &Path) -> MockRepo {
    let cat = catalog(&[("orders", "data"), ("billing", "data")]);
    let mut r = repo(
        git,
        "mono",
        &[
            (".github/workflows/ci.yml", CI),
            ("catalog-info.yaml", &cat),
            ("orders/main.go", "package main\n"),
            ("billing/main.go", "package main\n"),
        ],
    );
    r.environments.push(Environment::new("production-orders"));
    r.environments.push(Environment::new("production-billing"));
    r.workflow_runs = runs(6000, 3, ".github/workflows/ci.yml");
    for i in 0..3u64 {
        let at = ago(i as i64 * 3 + 2);
        r.deployments.push(bot_deploy(
            "acme/mono",
            300 + i,
            "production-orders",
            &at,
            6000 + i,
        ));
        r.deployments.push(bot_deploy(
            "acme/mono",
            310 + i,
            "production-billing",
            &at,
            6000 + i,
        ));
    }
    r
}

/// `etl`: a CI with tests; its runs route fails (the test's fault).
fn etl(git: &Path) -> MockRepo {
    let mut r = repo(
        git,
        "etl",
        &[
            (".github/workflows/ci.yml", TEST_ONLY),
            (".github/CODEOWNERS", "* @acme/data\n"),
            ("src/main.py", "print()\n"),
        ],
    )
    .with_protection(&["test"], 1);
    r.workflow_runs = runs(7000, 2, ".github/workflows/ci.yml");
    r
}

/// `platform`: the reusable deploy workflow; pull requests from `web` and its own team.
fn platform(git: &Path) -> MockRepo {
    let mut r = repo(
        git,
        "platform",
        &[
            (".github/workflows/deploy.yml", REUSED_DEPLOY),
            (".github/CODEOWNERS", "* @acme/platform\n"),
            ("README.md", "# platform\n"),
        ],
    );
    r.pull_requests = vec![
        pr(1, &ago(20), 30, "alice", &["actions/deploy.sh"]),
        pr(2, &ago(10), 10, "pat", &["actions/deploy.sh"]),
    ];
    r
}

fn api(git: &Path) -> MockRepo {
    repo(
        git,
        "api",
        &[
            (".github/workflows/release.yml", CALLS_PLATFORM),
            ("src/main.rs", "fn main() {}\n"),
        ],
    )
}

fn members(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i:02}")).collect()
}

fn estate(git: &Path) -> Org {
    let mut web = Team::new("web");
    web.members = vec!["alice".into(), "bob".into(), "carol".into()];
    web.repos = vec![("shop".into(), Permission::Admin)];
    let mut data = Team::new("data");
    data.members = members("d", 12);
    data.repos = vec![
        ("cart".into(), Permission::Admin),
        ("mono".into(), Permission::Admin),
        ("etl".into(), Permission::Admin),
    ];
    let mut plat = Team::new("platform");
    plat.members = vec!["pat".into(), "pia".into()];
    plat.repos = vec![
        ("platform".into(), Permission::Admin),
        ("tools".into(), Permission::Admin),
        ("search".into(), Permission::Maintain),
    ];
    let legacy_cat = catalog(&[("legacy", "ops")]);
    let mut legacy = repo(
        git,
        "legacy",
        &[
            ("catalog-info.yaml", &legacy_cat),
            ("Dockerfile", DOCKERFILE),
        ],
    );
    legacy.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("alice".into())],
        wait_timer: 0,
    });
    let worker_cat = catalog(&[("worker", "ops")]);
    let worker = repo(
        git,
        "worker",
        &[
            ("catalog-info.yaml", &worker_cat),
            (".github/workflows/ci.yml", CALLS_MISSING),
        ],
    );
    let mut old = repo(git, "old", &[("README.md", "# old\n")]);
    old.archived = true;
    Org::new("acme")
        .with_repo(shop(git))
        .with_repo(cart(git))
        .with_repo(mono(git))
        .with_repo(etl(git))
        .with_repo(platform(git))
        .with_repo(api(git))
        .with_repo(repo(git, "tools", &[("Makefile", "all:\n\ttrue\n")]))
        .with_repo(repo(
            git,
            "search",
            &[
                (".github/workflows/ci.yml", TEST_ONLY),
                ("src/lib.rs", "\n"),
            ],
        ))
        .with_repo(legacy)
        .with_repo(worker)
        .with_repo(repo(git, "docs", &[("README.md", "# docs\n")]))
        .with_repo(old)
        .with_team(web)
        .with_team(data)
        .with_team(plat)
}

/// The faults of the estate: every runs request of `etl` fails, and (below) every GraphQL
/// request of `worker`.
fn etl_runs_fail() -> RouteFault {
    RouteFault::new("actions.runs", Fault::Status(500)).on_repo("acme/etl")
}

fn start(org: Org, admin: bool, mut faults: Faults) -> MockGithub {
    faults.routes.push(etl_runs_fail());
    faults
        .routes
        .push(RouteFault::new("graphql", Fault::Status(500)).on_repo("acme/worker"));
    runtime_handle()
        .block_on(
            MockGithub::builder()
                .org(org)
                .token(TOKEN, admin)
                .faults(faults)
                .start(),
        )
        .expect("mock")
}

/// One runtime for the whole test binary: the mock's servers live on it.
fn runtime_handle() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(runtime)
}

fn dump(name: &str, result: &Value) {
    if std::env::var_os("EVIDENT_E2E_DUMP").is_some() {
        let dir = std::env::temp_dir().join("evident-e2e-dump");
        std::fs::create_dir_all(&dir).expect("dump dir");
        std::fs::write(dir.join(format!("{name}.json")), result.to_string()).expect("dump");
        std::fs::write(dir.join(format!("{name}.txt")), table(result)).expect("dump");
    }
}

fn statuses(r: &Value) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            (s("criterion"), s("service"), s("status"), s("reason"))
        })
        .collect();
    v.sort();
    v
}

/// The criteria this file is about.
const GITHUB_CRITERIA: &[&str] = &[
    "ds.process.ci-all",
    "ds.smell.limited-ci",
    "ds.devops.auto-deploy",
    "ds.smell.manual-routines",
    "ds.smell.release-handovers",
    "ds.smell.coupled-releases",
    "ds.smell.periodic-big-releases",
    "ds.org.cross-functional",
    "ds.org.small-teams",
    "ds.org.independent-cd",
    "ds.process.min-bureaucracy",
    "ds.process.small-deliverables",
    "cams.sharing.cross-team-tooling",
];

#[test]
fn every_github_criterion_is_met_not_met_and_unknown_somewhere_in_the_estate() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = start(estate(git.path()), true, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("estate", &r);
    let all = table(&r);
    assert_eq!(
        source(&r, "github")[0]["status"],
        "ok",
        "{:?}",
        source(&r, "github")
    );

    // ds.process.ci-all
    expect(
        &r,
        "ds.process.ci-all",
        "shop",
        "met",
        None,
        &["CI ran in the last 30 days", "acme/shop: test"],
    );
    expect(
        &r,
        "ds.process.ci-all",
        "cart",
        "not_met",
        None,
        &["no job runs tests"],
    );
    // Tests run, but GitHub requires no status check on the monorepo's main.
    expect(
        &r,
        "ds.process.ci-all",
        "orders",
        "not_met",
        None,
        &["required status check on main of acme/mono"],
    );
    expect(
        &r,
        "ds.process.ci-all",
        "etl",
        "unknown",
        Some("error"),
        &["runs of acme/etl not read", "HTTP 500"],
    );
    // worker: its test job calls a workflow nothing in the scan holds (and its GraphQL
    // record failed): unknown, never not_met.
    expect(&r, "ds.process.ci-all", "worker", "unknown", None, &[]);
    // ds.smell.limited-ci
    expect(
        &r,
        "ds.smell.limited-ci",
        "shop",
        "met",
        None,
        &["acme/shop .github/workflows/ci.yml (6 runs)"],
    );
    expect(
        &r,
        "ds.smell.limited-ci",
        "cart",
        "not_met",
        None,
        &["no workflow ran in the last 30 days in acme/cart"],
    );
    expect(
        &r,
        "ds.smell.limited-ci",
        "etl",
        "unknown",
        Some("error"),
        &["runs of acme/etl not read"],
    );
    // ds.devops.auto-deploy
    expect(
        &r,
        "ds.devops.auto-deploy",
        "shop",
        "met",
        None,
        &["deployed automatically", "ci.yml"],
    );
    expect(
        &r,
        "ds.devops.auto-deploy",
        "cart",
        "not_met",
        None,
        &["started by hand", "deploy.yml"],
    );
    expect(
        &r,
        "ds.devops.auto-deploy",
        "docs",
        "unknown",
        Some("not_configured"),
        &["no deploy job"],
    );
    // ds.smell.manual-routines
    expect(
        &r,
        "ds.smell.manual-routines",
        "shop",
        "met",
        None,
        &["deploys run automatically"],
    );
    expect(
        &r,
        "ds.smell.manual-routines",
        "cart",
        "not_met",
        None,
        &["every deploy is started by hand"],
    );
    expect(
        &r,
        "ds.smell.manual-routines",
        "docs",
        "unknown",
        Some("not_configured"),
        &["no deploy job"],
    );
    // ds.smell.release-handovers
    expect(
        &r,
        "ds.smell.release-handovers",
        "shop",
        "met",
        None,
        &["within acme/web", "alice"],
    );
    expect(
        &r,
        "ds.smell.release-handovers",
        "cart",
        "not_met",
        None,
        &["user zed", "outside acme/data", "acme/cart"],
    );
    expect(
        &r,
        "ds.smell.release-handovers",
        "legacy",
        "unknown",
        Some("not_configured"),
        &["team ops is not tied to a GitHub team"],
    );
    // ds.smell.coupled-releases
    expect(
        &r,
        "ds.smell.coupled-releases",
        "shop",
        "met",
        None,
        &["0 of 12 deploys"],
    );
    expect(
        &r,
        "ds.smell.coupled-releases",
        "orders",
        "not_met",
        None,
        &["3 of 3 deploys", "run 6000", "production-orders"],
    );
    expect(
        &r,
        "ds.smell.coupled-releases",
        "billing",
        "not_met",
        None,
        &["3 of 3 deploys", "production-billing"],
    );
    expect(
        &r,
        "ds.smell.coupled-releases",
        "docs",
        "unknown",
        Some("insufficient_data"),
        &["no successful deployment of docs"],
    );
    // ds.smell.periodic-big-releases
    expect(
        &r,
        "ds.smell.periodic-big-releases",
        "shop",
        "met",
        None,
        &["12 deploys"],
    );
    expect(
        &r,
        "ds.smell.periodic-big-releases",
        "cart",
        "not_met",
        None,
        &["every 35 days", "1500 lines"],
    );
    expect(
        &r,
        "ds.smell.periodic-big-releases",
        "docs",
        "unknown",
        Some("insufficient_data"),
        &["fewer than two"],
    );
    // ds.process.min-bureaucracy
    expect(
        &r,
        "ds.process.min-bureaucracy",
        "shop",
        "met",
        None,
        &["12 pull requests"],
    );
    expect(
        &r,
        "ds.process.min-bureaucracy",
        "cart",
        "not_met",
        None,
        &["120.", "hours"],
    );
    expect(
        &r,
        "ds.process.min-bureaucracy",
        "docs",
        "unknown",
        Some("insufficient_data"),
        &["no production deployment"],
    );
    // ds.process.small-deliverables
    expect(
        &r,
        "ds.process.small-deliverables",
        "shop",
        "met",
        None,
        &["40 lines", "12 production deploys"],
    );
    expect(
        &r,
        "ds.process.small-deliverables",
        "cart",
        "not_met",
        None,
        &["1500 lines", "3 production deploys"],
    );
    expect(
        &r,
        "ds.process.small-deliverables",
        "docs",
        "unknown",
        Some("insufficient_data"),
        &["no pull request merged"],
    );
    // Team-scoped: web met, data not_met, ops (no GitHub team) unknown not_configured.
    expect(
        &r,
        "ds.org.small-teams",
        "shop",
        "met",
        None,
        &["acme/web has 3 members"],
    );
    expect(
        &r,
        "ds.org.small-teams",
        "cart",
        "not_met",
        None,
        &["acme/data has 12 members, more than 10"],
    );
    expect(
        &r,
        "ds.org.small-teams",
        "legacy",
        "unknown",
        Some("not_configured"),
        &["team ops is not tied"],
    );
    expect(
        &r,
        "ds.org.cross-functional",
        "shop",
        "met",
        None,
        &["application code, tests and deployment config"],
    );
    expect(
        &r,
        "ds.org.cross-functional",
        "cart",
        "not_met",
        None,
        &["did not change tests, deployment"],
    );
    expect(
        &r,
        "ds.org.cross-functional",
        "legacy",
        "unknown",
        Some("not_configured"),
        &["team ops is not tied"],
    );
    expect(
        &r,
        "ds.org.independent-cd",
        "shop",
        "met",
        None,
        &["deployed on its own", "acme/shop #100"],
    );
    expect(
        &r,
        "ds.org.independent-cd",
        "cart",
        "not_met",
        None,
        &["created by people", "acme/cart #202"],
    );
    // ops is no GitHub team, but its deployments are per service: judged (not_met, none).
    // The unknown is ops': the deployments of its repository worker were not read.
    expect(
        &r,
        "ds.org.independent-cd",
        "worker",
        "unknown",
        Some("error"),
        &["acme/worker"],
    );
    expect(
        &r,
        "ds.org.independent-cd",
        "legacy",
        "unknown",
        Some("error"),
        &[],
    );
    // Estate-scoped: one verdict per scan, so met here; not_met and unknown are the
    // scans of the tests below (an estate cannot be two things at once).
    expect(
        &r,
        "cams.sharing.cross-team-tooling",
        "shop",
        "met",
        None,
        &["acme/platform#1 by alice"],
    );
    // No verdict rests on an unread part: whatever cites "not read" is unknown.
    for line in all.lines().filter(|l| l.contains("not read (")) {
        assert!(line.contains("| unknown |"), "{line}");
    }
}

#[test]
fn a_token_without_admin_makes_protection_and_environments_unknown_forbidden() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = start(estate(git.path()), false, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("no-admin", &r);
    // Protection-reading: ci-all; environment-reading: release-handovers, and the
    // production deploys the deployment rules read through environments.
    for svc in ["shop", "cart"] {
        let (st, re, sum) = srs(&r, "ds.smell.release-handovers", svc);
        assert_eq!(
            (st.as_str(), re.as_str()),
            ("unknown", "forbidden"),
            "{svc}: {sum}"
        );
    }
    expect(
        &r,
        "ds.process.ci-all",
        "shop",
        "unknown",
        Some("forbidden"),
        &["protection of acme/shop not read (forbidden"],
    );
    expect(
        &r,
        "ds.process.min-bureaucracy",
        "shop",
        "unknown",
        Some("forbidden"),
        &["environments of acme/shop not read (forbidden"],
    );
    expect(
        &r,
        "ds.smell.release-handovers",
        "cart",
        "unknown",
        Some("forbidden"),
        &["environments of acme/cart not read"],
    );
    // Never not_met for what could not be read.
    for row in r["results"].as_array().unwrap() {
        if row["reason"] == "forbidden" {
            assert_eq!(row["status"], "unknown", "{row}");
        }
    }
    // Other criteria still judged.
    expect(
        &r,
        "ds.smell.limited-ci",
        "shop",
        "met",
        None,
        &["acme/shop .github/workflows/ci.yml (6 runs)"],
    );
    expect(&r, "ds.smell.limited-ci", "cart", "not_met", None, &[]);
    expect(
        &r,
        "ds.devops.auto-deploy",
        "shop",
        "met",
        None,
        &["deployed automatically", "ci.yml"],
    );
    expect(
        &r,
        "ds.smell.coupled-releases",
        "orders",
        "not_met",
        None,
        &["3 of 3 deploys"],
    );
    expect(
        &r,
        "ds.org.small-teams",
        "cart",
        "not_met",
        None,
        &["12 members"],
    );
    expect(
        &r,
        "ds.process.small-deliverables",
        "cart",
        "not_met",
        None,
        &["1500 lines"],
    );
}

#[test]
fn a_secondary_limit_mid_scan_is_waited_out_and_changes_no_verdict() {
    let git = tempfile::tempdir().unwrap();
    let plain = {
        let cache = tempfile::tempdir().unwrap();
        let gh = start(estate(git.path()), true, Faults::default());
        scan_with(&gh, cache.path(), &[]).0
    };
    let git2 = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let faults = Faults {
        secondary: Some(SecondaryLimit {
            after: 6,
            count: 3,
            retry_after_secs: 1,
            status: 403,
        }),
        ..Faults::default()
    };
    let gh = start(estate(git2.path()), true, faults);
    let t0 = std::time::Instant::now();
    let (limited, stderr) = scan_with(&gh, cache.path(), &[]);
    assert!(gh.stats().secondary_limited >= 1, "{:?}", gh.stats());
    assert!(
        t0.elapsed() >= std::time::Duration::from_secs(1),
        "did not wait"
    );
    assert!(
        stderr.contains("retry-after") || stderr.contains("secondary"),
        "{stderr}"
    );
    assert_eq!(statuses(&plain), statuses(&limited));
}

#[test]
fn quota_exhausted_mid_scan_judges_what_was_read_and_says_when_it_resets() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // The listing and three repositories' runs pass; GraphQL points run out after four
    // repositories. Concurrency 1 keeps the order.
    let faults = Faults {
        core_limit: 4,
        graphql_limit: 4,
        ..Faults::default()
    };
    let gh = start(estate(git.path()), true, faults);
    let (r, _) = scan_with(&gh, cache.path(), &["--github-concurrency", "1"]);
    dump("quota", &r);
    // Once GitHub said a quota is spent, nothing more is sent on it: one refusal per
    // resource (core, graphql) reaches the server, however many requests were queued.
    let stats = gh.stats();
    assert!(
        stats.rate_limited <= 2,
        "requests sent after the quota was spent: {stats:?}"
    );
    let limited: Vec<&Value> = r["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["probe"] == "github" && u["reason"].as_str().unwrap_or("").contains("rate_limited")
        })
        .collect();
    assert!(!limited.is_empty(), "{}", r["unreadable"]);
    for u in &limited {
        assert!(
            u["reason"].as_str().unwrap().contains("until"),
            "says when: {u}"
        );
    }
    let rows = r["results"].as_array().unwrap();
    let limited_rows: Vec<&Value> = rows
        .iter()
        .filter(|v| v["reason"] == "rate_limited")
        .collect();
    assert!(!limited_rows.is_empty(), "{}", table(&r));
    for v in &limited_rows {
        assert_eq!(v["status"], "unknown", "{v}");
        // A service's own verdict names what was not read (summaries are cut at a bound,
        // often before the reset time; the unreadable entries above carry it). A team row
        // carries the team's status with only this service's part of the finding.
        if v.get("scoped").is_none() {
            assert!(
                v["summary"].as_str().unwrap_or("").contains("not read"),
                "{v}"
            );
        }
    }
    // Repositories read before the quota ran out are judged from GitHub.
    let judged = rows.iter().any(|v| {
        GITHUB_CRITERIA.contains(&v["criterion"].as_str().unwrap_or(""))
            && (v["status"] == "met" || v["status"] == "not_met")
            && v["service"] != "docs"
    });
    assert!(judged, "{}", table(&r));
}

#[test]
fn an_unchanged_rescan_sends_no_counted_request_and_no_git_fetch() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = start(estate(git.path()), true, Faults::default());
    let (first, _) = scan_with(&gh, cache.path(), &[]);
    let before = gh.stats();
    let (second, _) = scan_with(&gh, cache.path(), &[]);
    let after = gh.stats();
    assert_eq!(after.counted, before.counted, "{after:?}");
    assert_eq!(after.route("git").requests, before.route("git").requests);
    assert_eq!(statuses(&first), statuses(&second));
}

#[test]
fn a_reusable_workflow_of_another_repository_decides_auto_deploy() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let org = Org::new("acme")
        .with_repo(api(git.path()))
        .with_repo(platform(git.path()));
    let gh = start(org, true, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("reused", &r);
    let v = support::github::verdict(&r, "ds.devops.auto-deploy", "api").expect("verdict");
    assert_eq!(v["status"], "met", "{v}");
    let cites = serde_json::to_string(&v["evidence"]).unwrap();
    let summary = v["summary"].as_str().unwrap_or("");
    assert!(
        cites.contains("platform") || summary.contains("platform"),
        "cites platform's job: {v}"
    );
    // In its own repository the reusable workflow is started by its callers: neither
    // an automatic deploy nor one by hand.
    for criterion in ["ds.devops.auto-deploy", "ds.smell.manual-routines"] {
        let v = support::github::verdict(&r, criterion, "platform").expect("verdict");
        assert_ne!(v["status"], "not_met", "{criterion}: {v}");
        assert!(
            v["summary"]
                .as_str()
                .unwrap_or("")
                .contains("workflow_call")
                || v["status"] == "met",
            "{criterion}: {v}"
        );
    }

    // platform archived: skipped, so the call points at nothing the scan holds.
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut p = platform(git.path());
    p.archived = true;
    let org = Org::new("acme").with_repo(api(git.path())).with_repo(p);
    let gh = start(org, true, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("reused-missing", &r);
    let (st, _, sum) = srs(&r, "ds.devops.auto-deploy", "api");
    assert_eq!(st, "unknown", "{sum}");
    assert!(sum.contains("acme/platform"), "names the call: {sum}");
}

#[test]
fn a_repository_without_codeowners_is_owned_by_the_team_with_admin_rights() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = start(estate(git.path()), true, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    let tools = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "tools")
        .expect("service tools");
    assert_eq!(tools["team_source"], "github admin", "{tools}");
    assert!(
        tools["team"].as_str().unwrap_or("").contains("platform"),
        "{tools}"
    );
}

#[test]
fn cross_team_tooling_is_not_met_and_unknown_in_estates_that_say_so() {
    // not_met: the platform repository's only pull requests are its own team's.
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut p = platform(git.path());
    p.pull_requests
        .retain(|pr| pr.author.as_deref() == Some("pat"));
    let mut plat = Team::new("platform");
    plat.members = vec!["pat".into()];
    plat.repos = vec![("platform".into(), Permission::Admin)];
    let mut web = Team::new("web");
    web.members = vec!["alice".into()];
    web.repos = vec![("shop".into(), Permission::Admin)];
    let org = Org::new("acme")
        .with_repo(p)
        .with_repo(shop(git.path()))
        .with_team(plat.clone())
        .with_team(web.clone());
    let gh = start(org, true, Faults::default());
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("tooling-not-met", &r);
    expect(
        &r,
        "cams.sharing.cross-team-tooling",
        "platform",
        "not_met",
        None,
        &[],
    );

    // unknown: the platform repository's GraphQL record (its pull requests) not read.
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let org = Org::new("acme")
        .with_repo(platform(git.path()))
        .with_repo(shop(git.path()))
        .with_team(plat)
        .with_team(web);
    let faults = Faults {
        routes: vec![RouteFault::new("graphql", Fault::Status(500)).on_repo("acme/platform")],
        ..Faults::default()
    };
    let gh = start(org, true, faults);
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    dump("tooling-unknown", &r);
    let (st, re, sum) = srs(&r, "cams.sharing.cross-team-tooling", "platform");
    assert_eq!(st, "unknown", "{re} {sum}");
    assert_eq!(re, "error", "{sum}");
}

/// Product bug (crates/engine/rules/cams.sharing.cross-team-tooling.rego): an unread
/// tooling repository makes the verdict unknown even when another tooling repository
/// already holds a pull request by another team's member, which proves `met` whatever the
/// unread one holds. Unread parts must only stop a not_met.
#[test]
fn cross_team_tooling_is_met_when_one_tooling_repository_proves_it_and_another_is_unread() {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut plat = Team::new("platform");
    plat.members = vec!["pat".into()];
    plat.repos = vec![
        ("platform".into(), Permission::Admin),
        ("tools".into(), Permission::Admin),
    ];
    let mut web = Team::new("web");
    web.members = vec!["alice".into()];
    web.repos = vec![("shop".into(), Permission::Admin)];
    let org = Org::new("acme")
        .with_repo(platform(git.path()))
        .with_repo(repo(git.path(), "tools", &[("Makefile", "all:\n")]))
        .with_repo(shop(git.path()))
        .with_team(plat)
        .with_team(web);
    let faults = Faults {
        routes: vec![RouteFault::new("graphql", Fault::Status(500)).on_repo("acme/tools")],
        ..Faults::default()
    };
    let gh = start(org, true, faults);
    let (r, _) = scan_with(&gh, cache.path(), &[]);
    expect(
        &r,
        "cams.sharing.cross-team-tooling",
        "shop",
        "met",
        None,
        &["acme/platform#1 by alice"],
    );
}
