//! On-call end to end: the built binary against a mock PagerDuty and a mock Opsgenie on
//! 127.0.0.1 (crates/oncall-mock, shaped on the vendors' published API descriptions) and a
//! real git repository whose catalog names the services, groups and users.
//!
//! The estate: `checkout` (team web: alice, bob) is paged by PagerDuty service PSVC1
//! (catalog annotation) and Opsgenie service `checkout` (name); `search` (team solo: sam)
//! by PagerDuty PSVC2, which has no escalation policy; `reports` (team data: carol, erin)
//! by the Opsgenie team `data` (catalog annotation). Carol is on call, erin never; dave
//! is on call in Opsgenie but is nobody the catalog knows. Both accounts feed `oncall`.

mod support;

use chrono::Utc;
use evident_oncall_mock::opsgenie::{KEY as OPSGENIE_KEY, OpsgenieApi, OpsgenieModel};
use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Fault, Faults, MockServer, RouteFault};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use support::Repo;
use support::github::{expect, runtime, source, table};

const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  annotations:
    pagerduty.com/service-id: PSVC1
spec: {type: service, lifecycle: production, owner: group:web}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: search
spec: {type: service, lifecycle: production, owner: group:solo}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: reports
  annotations:
    opsgenie.com/team: data
spec: {type: service, lifecycle: production, owner: group:data}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: web}
spec: {type: team, children: [], members: [alice, bob]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: solo}
spec: {type: team, children: [], members: [sam]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: data}
spec: {type: team, children: [], members: [carol, erin]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: alice, annotations: {github.com/user-login: alice}}
spec: {profile: {email: alice@example.com}, memberOf: [web]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob, annotations: {github.com/user-login: bob}}
spec: {profile: {email: bob@example.com}, memberOf: [web]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: carol}
spec: {profile: {email: carol@example.com}, memberOf: [data]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: erin}
spec: {profile: {email: erin@example.com}, memberOf: [data]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: sam}
spec: {profile: {email: sam@example.com}, memberOf: [solo]}
"#;

/// The repository the catalog lives in.
fn shop() -> Repo {
    let repo = Repo::new("shop");
    repo.write("catalog-info.yaml", CATALOG);
    repo.write("src/main.rs", "fn main() {}\n");
    repo.commit("shop");
    repo
}

/// Both mock accounts, running.
struct Accounts {
    pagerduty: MockServer,
    opsgenie: MockServer,
}

async fn accounts(pd: PagerdutyModel, og: OpsgenieModel, faults: [Faults; 2]) -> Accounts {
    let [pd_faults, og_faults] = faults;
    let pagerduty = MockServer::start(PagerdutyApi::new(pd), pd_faults)
        .await
        .expect("PagerDuty mock");
    let opsgenie = MockServer::start(OpsgenieApi::new(og), og_faults)
        .await
        .expect("Opsgenie mock");
    Accounts {
        pagerduty,
        opsgenie,
    }
}

/// What one scan printed: the result, stderr, and the rule input it dumped.
struct Scan {
    out: Output,
    result: Value,
    input: Value,
    raw: String,
}

fn scan(repo: &Path, acc: &Accounts, extra: &[&str]) -> Scan {
    let dir = tempfile::tempdir().expect("tempdir");
    let dump = dir.path().join("input.json");
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("scan")
        .arg(repo)
        .args(["--pagerduty-url", acc.pagerduty.url()])
        .args(["--opsgenie-url", acc.opsgenie.url()])
        .args(["--format", "json", "--request-timeout", "2", "--no-cache"])
        .arg("--dump-input")
        .arg(&dump)
        .args(extra)
        .env("EVIDENT_PAGERDUTY_TOKEN", PagerdutyModel::TOKEN)
        .env("EVIDENT_OPSGENIE_KEY", OPSGENIE_KEY)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "debug")
        .output()
        .expect("run evident");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let result: Value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    let dumped = std::fs::read_to_string(&dump).unwrap_or_default();
    let input: Value = serde_json::from_str(&dumped).unwrap_or(Value::Null);
    let raw = format!(
        "{stdout}\n{}\n{dumped}",
        String::from_utf8_lossy(&out.stderr)
    );
    Scan {
        out,
        result,
        input,
        raw,
    }
}

fn healthy() -> (PagerdutyModel, OpsgenieModel) {
    let now = Utc::now();
    (PagerdutyModel::small(now), OpsgenieModel::small(now))
}

fn echoing() -> [Faults; 2] {
    let f = Faults {
        echo_canary: true,
        ..Faults::default()
    };
    [f.clone(), f]
}

#[test]
fn both_accounts_feed_oncall_and_decide_the_on_call_criteria() {
    let rt = runtime();
    let repo = shop();
    let (pd, og) = healthy();
    let acc = rt.block_on(accounts(pd, og, Default::default()));
    let s = scan(&repo.path(), &acc, &[]);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.raw);
    support::assert_valid(&s.result);
    println!("{}", table(&s.result));
    for probe in ["pagerduty", "opsgenie"] {
        let sources = source(&s.result, probe);
        assert_eq!(sources.len(), 1, "{probe}");
        assert_eq!(sources[0]["status"], "ok", "{probe}: {}", sources[0]);
    }
    // The on-call tools' emails are hashed; the catalog file's own lines, quoted as its
    // evidence, are the repository's words and may hold addresses.
    let mut without_excerpts = s.result.clone();
    if let Some(evidence) = without_excerpts["evidence"].as_object_mut() {
        for e in evidence.values_mut() {
            e["excerpt"] = Value::Null;
        }
    }
    let outside = format!(
        "{without_excerpts}{}",
        String::from_utf8_lossy(&s.out.stderr)
    );
    for email in [
        "alice@example.com",
        "carol@example.com",
        "Alice@Example.com",
        "dave@example.com",
    ] {
        assert!(
            !outside.contains(email),
            "an email was written out: {email}"
        );
    }
    assert!(
        !s.raw.contains("dave@example.com"),
        "an on-call email was written out"
    );
    let checkout = &s.input["services"]["checkout"]["oncall"];
    let on_call: Vec<&str> = checkout["services"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        on_call,
        ["opsgenie/svc-checkout", "pagerduty/PSVC1"],
        "{checkout}"
    );
    assert_eq!(
        s.input["index"]["people"]["pagerduty/PU1"]["login"],
        "alice"
    );
    let unresolved = s.input["index"]["unresolved_people"].to_string();
    assert!(unresolved.contains("opsgenie/u-dave"), "{unresolved}");
    assert!(
        s.raw.contains("Dave Example"),
        "the unresolved person is named"
    );
    let r = &s.result;
    // A team fully on call; a team with a member never on call.
    let words = ["2 of 2 members of group:web", "alice, bob"];
    expect(r, "ds.devops.team-on-call", "checkout", "met", None, &words);
    expect(
        r,
        "cams.culture.devs-on-call",
        "checkout",
        "met",
        None,
        &words,
    );
    expect(
        r,
        "ds.devops.team-on-call",
        "reports",
        "not_met",
        None,
        &["1 of 2"],
    );
    let data = r["scoped_results"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|x| x["id"] == "ds.devops.team-on-call@team:group:data")
        })
        .map(Value::to_string)
        .unwrap_or_default();
    assert!(data.contains("not on call: erin"), "{data}");
    assert!(data.contains("Dave Example (opsgenie/u-dave)"), "{data}");
    // A service with no escalation policy feeds nothing back to its developers.
    expect(
        r,
        "cams.feedback.ops-to-dev",
        "checkout",
        "met",
        None,
        &["alice, bob"],
    );
    expect(
        r,
        "cams.feedback.ops-to-dev",
        "search",
        "not_met",
        None,
        &["no escalation policy"],
    );
    // Incidents with and without resolution.
    expect(
        r,
        "ops.ttr-measured",
        "checkout",
        "met",
        None,
        &["median time to resolve"],
    );
    expect(
        r,
        "ops.ttr-measured",
        "search",
        "not_met",
        None,
        &["none resolved"],
    );
    let ttr = &r["dora"]["checkout"]["time_to_restore"];
    assert_eq!(ttr["status"], "measured", "{ttr}");
    assert_eq!(ttr["sample_size"], 3, "{ttr}");
    assert_eq!(ttr["details"]["open"], 1.0, "{ttr}");
    // Change events reached checkout in PagerDuty: incidents can be tied to changes.
    expect(
        r,
        "cams.measurement.rca",
        "checkout",
        "met",
        None,
        &["change event"],
    );
}

#[test]
fn credentials_the_servers_echo_never_leave() {
    let rt = runtime();
    let repo = shop();
    let (pd, og) = healthy();
    let acc = rt.block_on(accounts(pd, og, echoing()));
    let s = scan(&repo.path(), &acc, &[]);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.raw);
    assert!(
        s.raw.contains("[redacted]"),
        "the servers echoed something to redact"
    );
    for secret in [PagerdutyModel::TOKEN, OPSGENIE_KEY] {
        assert!(!s.raw.contains(secret), "an echoed credential leaked");
    }
    let mut errors = Faults {
        echo_canary: true,
        routes: vec![RouteFault::new("*", Fault::Status(403))],
        ..Faults::default()
    };
    acc.pagerduty.set_faults(errors.clone());
    errors.routes = vec![RouteFault::new("*", Fault::Status(500))];
    acc.opsgenie.set_faults(errors);
    let s = scan(&repo.path(), &acc, &[]);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.raw);
    for secret in [PagerdutyModel::TOKEN, OPSGENIE_KEY] {
        assert!(
            !s.raw.contains(secret),
            "a credential echoed in an error body leaked"
        );
    }
}

/// PagerDuty gains two one-person schedules (erin's, sam's), so four schedules have five
/// people and nobody is on more than half of them.
fn spread_out() -> (PagerdutyModel, OpsgenieModel) {
    use evident_oncall_mock::pagerduty::{PdSchedule, PdShift, PdUser};
    let (mut pd, og) = healthy();
    let now = Utc::now();
    for (id, user, name, email) in [
        ("PS2", "PU4", "Erin Example", "erin@example.com"),
        ("PS3", "PU5", "Sam Example", "sam@example.com"),
    ] {
        pd.users.push(PdUser {
            id: user.into(),
            name: name.into(),
            email: email.into(),
        });
        pd.schedules.push(PdSchedule {
            id: id.into(),
            name: format!("{name} alone"),
            teams: vec![],
            users: vec![user.into()],
            shifts: vec![PdShift {
                user: user.into(),
                start: now - chrono::Duration::days(30),
                end: now + chrono::Duration::days(7),
            }],
            overrides: vec![],
        });
    }
    (pd, og)
}

#[test]
fn one_person_on_every_schedule_is_the_few_responsible_smell() {
    let rt = runtime();
    let repo = shop();
    let (pd, og) = spread_out();
    let acc = rt.block_on(accounts(pd.clone(), og.clone(), Default::default()));
    let s = scan(&repo.path(), &acc, &[]);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.raw);
    expect(
        &s.result,
        "ds.smell.few-responsible",
        "checkout",
        "met",
        None,
        &[],
    );

    // Now alice covers every shift of every schedule, overrides included.
    let (mut pd, mut og) = (pd, og);
    for schedule in &mut pd.schedules {
        for shift in schedule
            .shifts
            .iter_mut()
            .chain(schedule.overrides.iter_mut())
        {
            shift.user = "PU1".into();
        }
    }
    for schedule in &mut og.schedules {
        for rotation in &mut schedule.rotations {
            for period in &mut rotation.periods {
                period.user = "u-alice".into();
                period.from_user = None;
            }
        }
    }
    let acc = rt.block_on(accounts(pd, og, Default::default()));
    let s = scan(&repo.path(), &acc, &[]);
    assert_eq!(s.out.status.code(), Some(0), "{}", s.raw);
    expect(
        &s.result,
        "ds.smell.few-responsible",
        "search",
        "not_met",
        None,
        &["alice is on 4 of 4 schedules"],
    );
}

/// Criteria that read `oncall` (the rest must not move when an on-call part fails).
const ONCALL_READERS: &[&str] = &[
    "ds.devops.team-on-call",
    "cams.culture.devs-on-call",
    "ds.smell.few-responsible",
    "ds.process.own-production",
    "cams.culture.build-run",
    "cams.feedback.ops-to-dev",
    "ops.ttr-measured",
    "cams.measurement.ops",
    "cams.measurement.rca",
    "ds.org.vertical-splits",
];

/// `(criterion, service) -> (status, reason)` of a result.
fn verdicts(result: &Value) -> std::collections::BTreeMap<(String, String), (String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    result["results"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let key = (text(&r["criterion"]), text(&r["service"]));
                    (key, (text(&r["status"]), text(&r["reason"])))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One cell of the fault matrix: which account, which route, which fault.
struct Cell {
    vendor: &'static str,
    route: &'static str,
    fault: Fault,
}

fn cells() -> Vec<Cell> {
    let kinds = || {
        vec![
            Fault::Status(500),
            Fault::Status(403),
            Fault::Status(401),
            Fault::RateLimited {
                retry_after_secs: 0,
            },
            Fault::Hang { ms: 3_000 },
            Fault::NotJson,
            Fault::Truncated,
            Fault::WrongShape,
            Fault::ErrorBody200,
            Fault::EndlessPages,
        ]
    };
    let mut out = Vec::new();
    for fault in kinds() {
        // One schedule's rendering is one object, not a page: endless paging goes to a list.
        let route = if fault == Fault::EndlessPages {
            "incidents"
        } else {
            "schedules.get"
        };
        out.push(Cell {
            vendor: "pagerduty",
            route,
            fault,
        });
    }
    for fault in kinds() {
        out.push(Cell {
            vendor: "opsgenie",
            route: "incidents",
            fault,
        });
    }
    for route in [
        "services",
        "escalation_policies",
        "schedules",
        "users",
        "teams",
        "teams.members",
        "incidents",
        "change_events",
    ] {
        out.push(Cell {
            vendor: "pagerduty",
            route,
            fault: Fault::Status(502),
        });
    }
    for route in [
        "teams",
        "teams.get",
        "users",
        "schedules",
        "schedules.timeline",
        "escalations",
        "services",
    ] {
        out.push(Cell {
            vendor: "opsgenie",
            route,
            fault: Fault::Status(502),
        });
    }
    out
}

#[test]
fn every_on_call_fault_makes_only_the_criteria_reading_it_unknown() {
    let rt = runtime();
    let repo = shop();
    let (pd, og) = healthy();
    let base_acc = rt.block_on(accounts(pd.clone(), og.clone(), Default::default()));
    let base = verdicts(&scan(&repo.path(), &base_acc, &[]).result);
    assert!(!base.is_empty());
    let cells = cells();
    // A few scans at a time: each cell has its own pair of mocks.
    let mut failures = Vec::new();
    for chunk in cells.chunks(6) {
        let runs: Vec<_> = chunk
            .iter()
            .map(|cell| {
                let fault = Faults {
                    routes: vec![RouteFault::new(cell.route, cell.fault.clone())],
                    ..Faults::default()
                };
                let faults = if cell.vendor == "pagerduty" {
                    [fault, Faults::default()]
                } else {
                    [Faults::default(), fault]
                };
                rt.block_on(accounts(pd.clone(), og.clone(), faults))
            })
            .collect();
        let path = repo.path();
        let scans: Vec<Scan> = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .iter()
                .map(|acc| scope.spawn(|| scan(&path, acc, &[])))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scan thread"))
                .collect()
        });
        for (cell, s) in chunk.iter().zip(scans) {
            let name = format!("{} {} {:?}", cell.vendor, cell.route, cell.fault);
            if s.out.status.code() != Some(0) {
                failures.push(format!("{name}: exit {:?}", s.out.status.code()));
                continue;
            }
            let status = source(&s.result, cell.vendor)[0]["status"].clone();
            let now = verdicts(&s.result);
            let mut moved_to_unknown = 0;
            for (key, was) in &base {
                let Some(is) = now.get(key) else {
                    failures.push(format!("{name}: {key:?} vanished"));
                    continue;
                };
                if is == was {
                    continue;
                }
                let reads_oncall = ONCALL_READERS.contains(&key.0.as_str());
                let to_unknown = is.0 == "unknown";
                if !(reads_oncall && to_unknown) {
                    failures.push(format!("{name}: {key:?} moved {was:?} -> {is:?}"));
                }
                moved_to_unknown += 1;
            }
            if moved_to_unknown == 0 {
                failures.push(format!("{name}: no verdict changed (source {status})"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// An organisation `acme` whose repository `checkout` is owned by team `web` (alice,
/// bob: admin), gated by a production environment alice reviews, deployed by automation
/// four times in the last days, with commits GitHub ties to alice's and bob's logins.
fn github_org(git: &Path) -> evident_github_mock::Org {
    use evident_github_mock::{
        CommitAuthor, Deployment, Environment, Org, Permission, Reviewer, Status, Team,
    };
    use support::github::{ago_h, plus_min, repo};
    let ci = "name: CI\non:\n  push:\n    branches: [main]\n  pull_request:\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo test\n";
    let files = [
        (".github/workflows/ci.yml", ci),
        (".github/CODEOWNERS", "* @acme/web\n"),
        ("src/main.rs", "fn main() {}\n"),
    ];
    let mut r = repo(git, "checkout", &files);
    r.environments.push(Environment {
        name: "production".into(),
        reviewers: vec![Reviewer::User("alice".into())],
        wait_timer: 0,
    });
    for i in 0..4u64 {
        let at = ago_h(i as i64 * 20 + 60);
        r.deployments.push(Deployment {
            id: 500 + i,
            created_at: at.clone(),
            sha: format!("{:040x}", 77 + i),
            statuses: vec![Status {
                state: "success".into(),
                created_at: plus_min(&at, 5),
                log_url: Some(format!(
                    "https://github.com/acme/checkout/actions/runs/{}/job/1",
                    900 + i
                )),
            }],
            ..Deployment::default()
        });
    }
    for (name, email) in [("Alice", "alice@example.com"), ("Bob", "bob@example.com")] {
        r.commit_authors.push(CommitAuthor {
            name: name.into(),
            email: email.into(),
            login: Some(name.to_lowercase()),
        });
    }
    let mut web = Team::new("web");
    web.members = vec!["alice".into(), "bob".into()];
    web.repos = vec![("checkout".into(), Permission::Admin)];
    Org::new("acme").with_repo(r).with_team(web)
}

#[test]
fn github_teams_and_commit_emails_join_people_and_decide_own_production() {
    use evident_github_mock::MockGithub;
    let rt = runtime();
    let git = tempfile::tempdir().expect("tempdir");
    let cache = tempfile::tempdir().expect("tempdir");
    let gh = rt
        .block_on(
            MockGithub::builder()
                .org(github_org(git.path()))
                .token(support::github::TOKEN, true)
                .start(),
        )
        .expect("GitHub mock");
    let (pd, _) = healthy();
    let pagerduty = rt
        .block_on(MockServer::start(PagerdutyApi::new(pd), Faults::default()))
        .expect("PagerDuty mock");
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .args(["scan", "--github", "acme", "--github-url", gh.url()])
        .args(["--pagerduty-url", pagerduty.url(), "--format", "json"])
        .env("EVIDENT_GITHUB_TOKEN", support::github::TOKEN)
        .env("EVIDENT_PAGERDUTY_TOKEN", PagerdutyModel::TOKEN)
        .env("EVIDENT_CACHE_DIR", cache.path())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .expect("run evident");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    support::assert_valid(&r);
    println!("{}", table(&r));
    // PagerDuty's checkout joins the repository's service by name; alice and bob are
    // joined to their logins by the commit emails GitHub ties to them.
    let words = ["2 of 2 members of @acme/web", "alice, bob"];
    expect(
        &r,
        "ds.devops.team-on-call",
        "checkout",
        "met",
        None,
        &words,
    );
    expect(
        &r,
        "ds.process.own-production",
        "checkout",
        "met",
        None,
        &[],
    );
    expect(&r, "cams.culture.build-run", "checkout", "met", None, &[]);
    expect(&r, "cams.measurement.ops", "checkout", "met", None, &[]);
    let cfr = &r["dora"]["checkout"]["change_failure_rate"];
    assert_eq!(cfr["status"], "measured", "{cfr}");
}
