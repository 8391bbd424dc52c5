//! Every network fault the mock GitHub offers, on every route the github probe reads,
//! against the built binary: it exits 0 and never panics; a fault on the organisation
//! listing makes the github source non-ok and leaves nothing GitHub-judged; a fault on one
//! repository's GraphQL record or runs makes that repository's GitHub verdicts unknown
//! (error or timeout, never not_met) while the other repository is judged; a clone fault
//! makes that repository's git source error. And a token a server echoes never reaches any
//! output.
//!
//! Two repositories (`alpha` faulted, `beta` healthy), `--request-timeout 2`, the cases
//! run in parallel so the whole matrix stays well under a minute.

mod support;

use evident_github_mock::{
    Deployment, Environment, Fault, Faults, MockGithub, MockRepo, Org, Permission, PullRequest,
    Reviewer, RouteFault, Run, Status, Team,
};
use serde_json::Value;
use std::path::Path;
use support::github::{TOKEN, ago, ago_h, plus_min, repo, run, runtime, source, table};

const CI: &str = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n";

/// A repository with a CI, a required check, runs, a gated production environment,
/// deployments by automation and merged pull requests: every GitHub part has something.
fn service(git: &Path, name: &str, base: u64) -> MockRepo {
    let owners = "* @acme/web\n";
    let mut r = repo(
        git,
        name,
        &[
            (".github/workflows/ci.yml", CI),
            (".github/CODEOWNERS", owners),
            ("src/main.rs", "fn main() {}\n"),
        ],
    )
    .with_protection(&["test"], 1);
    r.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("alice".into())],
        wait_timer: 0,
    });
    r.workflow_runs = (0..3)
        .map(|i| Run {
            id: base + i,
            created_at: ago_h(i as i64 * 24 + 2),
            ..Run::default()
        })
        .collect();
    for i in 0..3u64 {
        let at = ago_h(i as i64 * 24 + 1);
        r.deployments.push(Deployment {
            id: base + 100 + i,
            created_at: at.clone(),
            sha: format!("{:040x}", base + i),
            statuses: vec![Status {
                state: "success".into(),
                created_at: plus_min(&at, 5),
                log_url: Some(format!(
                    "https://github.com/acme/{name}/actions/runs/{}/job/1",
                    base + i
                )),
            }],
            ..Deployment::default()
        });
        r.pull_requests.push(PullRequest {
            number: i + 1,
            created_at: ago(i as i64 + 2),
            merged_at: Some(ago_h(i as i64 * 24 + 3)),
            additions: 30,
            author: Some("alice".into()),
            files: vec!["src/main.rs".into()],
            ..PullRequest::default()
        });
    }
    r
}

fn org(git: &Path) -> Org {
    let mut web = Team::new("web");
    web.members = vec!["alice".into(), "bob".into()];
    web.repos = vec![
        ("alpha".into(), Permission::Admin),
        ("beta".into(), Permission::Admin),
    ];
    Org::new("acme")
        .with_repo(service(git, "alpha", 1000))
        .with_repo(service(git, "beta", 2000))
        .with_team(web)
}

/// Criteria that read GitHub's repository records (GraphQL) or runs, and can only be
/// judged from them or from files the two repositories hold alike.
const GRAPHQL_READING: &[&str] = &[
    "ds.smell.release-handovers",
    "ds.smell.coupled-releases",
    "ds.process.min-bureaucracy",
    "ds.process.small-deliverables",
    "ds.process.ci-all",
];
/// Criteria only GitHub's records decide.
const GITHUB_ONLY: &[&str] = &[
    "ds.smell.release-handovers",
    "ds.smell.coupled-releases",
    "ds.process.min-bureaucracy",
    "ds.org.small-teams",
    "ds.org.cross-functional",
    "ds.org.independent-cd",
];
const RUNS_READING: &[&str] = &["ds.smell.limited-ci", "ds.process.ci-all"];
const GIT_READING: &[&str] = &["ds.process.ci-all", "ds.smell.limited-ci"];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Route {
    Listing,
    Graphql,
    Runs,
    Git,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Listing => "orgs.repos",
            Route::Graphql => "graphql",
            Route::Runs => "actions.runs",
            Route::Git => "git",
        }
    }
}

/// What a case expects of `alpha` (or of the whole source, for the listing).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// The fault reaches the probe: the part is unread.
    Unread,
    /// The mock does not apply this fault to this route (GraphQL has no list shape and no
    /// pagination; the git server knows status, reset and delay only): judged as usual.
    NotApplied,
    /// Endless pagination on a list: the page bound stops it, nothing is lost but the
    /// listing is incomplete.
    Bounded,
}

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("500", Fault::Status(500)),
        ("502", Fault::Status(502)),
        ("404", Fault::Status(404)),
        ("error object 200", Fault::ErrorObject200),
        ("wrong shape", Fault::WrongShape),
        ("non-JSON", Fault::NonJson),
        ("truncated", Fault::Truncated),
        ("slow", Fault::Delay(3_000)),
        ("reset", Fault::Reset),
        ("endless pagination", Fault::EndlessPagination),
        ("HTML error", Fault::HtmlError),
    ]
}

fn expectation(route: Route, fault: &Fault) -> Expect {
    match (route, fault) {
        (Route::Graphql, Fault::WrongShape | Fault::EndlessPagination) => Expect::NotApplied,
        (Route::Git, Fault::Status(_) | Fault::Reset) => Expect::Unread,
        (Route::Git, _) => Expect::NotApplied,
        (Route::Listing | Route::Runs, Fault::EndlessPagination) => Expect::Bounded,
        _ => Expect::Unread,
    }
}

struct Case {
    label: String,
    route: Route,
    expect: Expect,
    out: std::process::Output,
    stats: evident_github_mock::Stats,
}

fn run_case(rt: &tokio::runtime::Runtime, label: &str, route: Route, fault: Fault) -> Case {
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let expect = expectation(route, &fault);
    let mut rf = RouteFault::new(route.name(), fault);
    if route != Route::Listing {
        rf = rf.on_repo("acme/alpha");
    }
    let faults = Faults {
        routes: vec![rf],
        ..Faults::default()
    };
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(org(git.path()))
                .token(TOKEN, true)
                .faults(faults)
                .start(),
        )
        .expect("mock");
    // A fault on the listing leaves no GitHub repository: a local checkout keeps a
    // service whose GitHub-reading verdicts can be looked at.
    let local = support::Repo::new("gamma");
    local
        .write(".github/workflows/ci.yml", CI)
        .write(".github/CODEOWNERS", "* @acme/web\n")
        .write("src/main.rs", "fn main() {}\n");
    local.commit("initial");
    let local_path = local.path();
    let mut args = vec!["scan"];
    if route == Route::Listing {
        args.push(local_path.to_str().expect("utf-8 path"));
    }
    args.extend([
        "--github",
        "acme",
        "--github-url",
        gh.url(),
        "--format",
        "json",
        "--request-timeout",
        "2",
    ]);
    let out = run(cache.path(), &args);
    Case {
        label: format!("{label} on {}", route.name()),
        route,
        expect,
        out,
        stats: gh.stats(),
    }
}

fn rows_of<'a>(r: &'a Value, service: &str, criteria: &[&str]) -> Vec<&'a Value> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            v["service"] == service && criteria.contains(&v["criterion"].as_str().unwrap_or(""))
        })
        .collect()
}

/// Checks one case; the failures, in words.
fn check(c: &Case) -> Vec<String> {
    let mut bad = Vec::new();
    let stderr = String::from_utf8_lossy(&c.out.stderr);
    if c.out.status.code() != Some(0) {
        bad.push(format!("exit {:?}: {stderr}", c.out.status.code()));
        return bad;
    }
    if stderr.contains("panicked") {
        bad.push(format!("panicked: {stderr}"));
    }
    let Ok(r) = serde_json::from_slice::<Value>(&c.out.stdout) else {
        bad.push("no JSON on stdout".into());
        return bad;
    };
    if c.stats.faults == 0 {
        bad.push(format!("the fault never fired: {:?}", c.stats));
    }
    let github = source(&r, "github");
    let gh_status = github
        .first()
        .map(|s| s["status"].clone())
        .unwrap_or(Value::Null);
    let rows = r["results"].as_array().cloned().unwrap_or_default();
    match (c.route, c.expect) {
        (Route::Listing, Expect::Unread) => {
            if gh_status == "ok" {
                bad.push(format!("github source ok: {github:?}"));
            }
            // Nothing was listed: no verdict may rest on GitHub records.
            if rows_of(&r, "gamma", GITHUB_ONLY).is_empty() {
                bad.push(format!("no verdicts for the local service:\n{}", table(&r)));
            }
            for v in rows_of(&r, "gamma", GITHUB_ONLY) {
                if v["status"] != "unknown" {
                    bad.push(format!("local service judged without GitHub: {v}"));
                }
            }
            for v in &rows {
                let crit = v["criterion"].as_str().unwrap_or("");
                if GRAPHQL_READING.contains(&crit)
                    && crit != "ds.process.ci-all"
                    && v["status"] != "unknown"
                {
                    bad.push(format!("judged without a listing: {v}"));
                }
            }
        }
        (Route::Listing, Expect::Bounded) => {
            let incomplete = github
                .first()
                .and_then(|s| s["incomplete"].as_array())
                .is_some_and(|a| !a.is_empty());
            if gh_status == "ok" && !incomplete {
                bad.push(format!(
                    "endless listing neither non-ok nor incomplete: {github:?}"
                ));
            }
        }
        (Route::Graphql | Route::Runs, Expect::Unread) => {
            let criteria = if c.route == Route::Graphql {
                GRAPHQL_READING
            } else {
                RUNS_READING
            };
            let alpha = rows_of(&r, "alpha", criteria);
            if alpha.is_empty() {
                bad.push(format!("no verdicts for alpha:\n{}", table(&r)));
            }
            for v in alpha {
                let reason = v["reason"].as_str().unwrap_or("");
                if v["status"] != "unknown" || !matches!(reason, "error" | "timeout") {
                    bad.push(format!("alpha not unknown error/timeout: {v}"));
                }
            }
            let beta = rows_of(&r, "beta", criteria);
            if !beta
                .iter()
                .any(|v| v["status"] == "met" || v["status"] == "not_met")
            {
                bad.push(format!("beta not judged:\n{}", table(&r)));
            }
        }
        (Route::Git, Expect::Unread) => {
            let git = source(&r, "git");
            let alpha_git = git
                .iter()
                .find(|s| s["source"].as_str().unwrap_or("").contains("alpha"));
            match alpha_git {
                Some(s) if s["status"] == "error" => {}
                other => bad.push(format!(
                    "alpha's git source not error: {other:?} of {git:?}"
                )),
            }
            for v in rows_of(&r, "alpha", GIT_READING) {
                if v["status"] != "unknown" {
                    bad.push(format!("alpha judged without its clone: {v}"));
                }
            }
            if git
                .iter()
                .filter(|s| s["source"].as_str().unwrap_or("").contains("beta"))
                .any(|s| s["status"] != "ok")
            {
                bad.push(format!("beta's git source not ok: {git:?}"));
            }
        }
        (_, _) => {
            // Not applied or bounded: never a not_met for alpha that beta does not share.
            for v in rows_of(&r, "alpha", GRAPHQL_READING) {
                let crit = v["criterion"].as_str().unwrap_or("");
                let beta = rows_of(&r, "beta", &[crit]);
                if v["status"] == "not_met"
                    && beta.first().is_some_and(|b| b["status"] != "not_met")
                {
                    bad.push(format!("alpha not_met where beta is not: {v}"));
                }
            }
        }
    }
    bad
}

#[test]
fn every_fault_on_every_route_leaves_a_finished_scan_and_honest_unknowns() {
    let rt = runtime();
    let t0 = std::time::Instant::now();
    let mut cases = Vec::new();
    for route in [Route::Listing, Route::Graphql, Route::Runs, Route::Git] {
        for (label, fault) in faults() {
            cases.push((label, route, fault));
        }
    }
    let mut done: Vec<Case> = Vec::new();
    for chunk in cases.chunks(8) {
        let rt = &rt;
        let results: Vec<Case> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(label, route, fault)| {
                    let fault = fault.clone();
                    s.spawn(move || run_case(rt, label, *route, fault))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("case thread"))
                .collect()
        });
        done.extend(results);
    }
    let mut failures = Vec::new();
    for c in &done {
        if std::env::var_os("EVIDENT_E2E_DUMP").is_some()
            && let Ok(r) = serde_json::from_slice::<Value>(&c.out.stdout)
        {
            let gh = source(&r, "github");
            eprintln!(
                "== {} ({:?}): github {} {}\n{}",
                c.label,
                c.expect,
                gh.first()
                    .map(|s| s["status"].to_string())
                    .unwrap_or_default(),
                gh.first()
                    .map(|s| s["incomplete"].to_string())
                    .unwrap_or_default(),
                table(&r)
                    .lines()
                    .filter(|l| l.contains("| alpha |") || l.contains("| gamma |"))
                    .filter(|l| GRAPHQL_READING
                        .iter()
                        .chain(RUNS_READING)
                        .chain(GITHUB_ONLY)
                        .any(|c| l.starts_with(c)))
                    .map(|l| l.chars().take(220).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        for f in check(c) {
            failures.push(format!("[{}] {f}", c.label));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{} cases in {:?}", done.len(), t0.elapsed());
}

#[test]
fn a_bad_token_is_a_non_ok_source_and_nothing_github_judged() {
    let rt = runtime();
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(org(git.path()))
                .token("another-token", true)
                .start(),
        )
        .expect("mock");
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
            "--request-timeout",
            "2",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let github = source(&r, "github");
    assert_ne!(github[0]["status"], "ok", "{github:?}");
    assert!(gh.stats().unauthorized >= 1);
    for v in r["results"].as_array().unwrap() {
        let crit = v["criterion"].as_str().unwrap_or("");
        if GRAPHQL_READING.contains(&crit) && crit != "ds.process.ci-all" {
            assert_eq!(v["status"], "unknown", "{v}");
        }
    }
}

#[test]
fn a_token_the_server_echoes_reaches_no_output() {
    let rt = runtime();
    let git = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // The canary in names and error messages, and errors on every route so the messages
    // are logged and reach the unreadable list.
    let faults = Faults {
        echo_canary: true,
        routes: vec![
            RouteFault::new("graphql", Fault::Status(500)).on_repo("acme/alpha"),
            RouteFault::new("actions.runs", Fault::NonJson).on_repo("acme/beta"),
        ],
        ..Faults::default()
    };
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(org(git.path()))
                .token(TOKEN, true)
                .faults(faults)
                .start(),
        )
        .expect("mock");
    let saved = cache.path().join("result.json");
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
            "--output",
            saved.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains(TOKEN), "token in stdout");
    assert!(!stderr.contains(TOKEN), "token in stderr: {stderr}");
    if let Ok(s) = std::fs::read_to_string(&saved) {
        assert!(!s.contains(TOKEN), "token in the saved JSON");
    }
    // Nothing under the cache either (answers and clones are kept there).
    for entry in walk(cache.path()) {
        if let Ok(bytes) = std::fs::read(&entry) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(TOKEN),
                "token in {}",
                entry.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
