//! Rules that read GitHub (`facts.github`): met, not_met and unknown (forbidden,
//! rate_limited) for each, asserting what the verdict says, not only its status.

mod common;

use common::*;
use evident_core::Status::{self, *};
use serde_json::{Value, json};

/// The verdict of `criterion` for `web` (a team or estate row carries the shared
/// finding's summary): its status, reason and summary + missing.
fn verdict(input: &Value, criterion: &str) -> (Status, Option<String>, String) {
    verdict_of(input, criterion, "web")
}

fn verdict_of(input: &Value, criterion: &str, service: &str) -> (Status, Option<String>, String) {
    let results = evaluate(&evaluator(), input);
    let r = results
        .iter()
        .find(|r| r.criterion == criterion && r.service == service)
        .unwrap_or_else(|| panic!("no result for {criterion}/{service}"));
    (
        r.status,
        r.reason.clone(),
        format!(
            "{} | missing: {:?} | evidence: {:?}",
            r.summary, r.missing, r.evidence
        ),
    )
}

#[track_caller]
fn expect(input: &Value, criterion: &str, status: Status, reason: Option<&str>, says: &[&str]) {
    let (got, why, text) = verdict(input, criterion);
    assert_eq!(got, status, "{criterion}: {text}");
    assert_eq!(why.as_deref(), reason, "{criterion}: {text}");
    for s in says {
        assert!(text.contains(s), "{criterion}: {s:?} not in {text}");
    }
}

fn github() -> Value {
    let mut i = base_input();
    with_github(&mut i);
    i
}

fn no_deploy_jobs(i: &mut Value) {
    let jobs = i["facts"]["git"]["repos"]["web"]["ci"]["jobs"]
        .as_array_mut()
        .expect("jobs");
    jobs.retain(|j| {
        !j["kinds"]
            .as_array()
            .is_some_and(|k| k.contains(&json!("deploy")))
    });
    i["facts"]["git"]["repos"]["web"]["inventory"]["config_as_code"] = json!([]);
}

// --- ds.process.ci-all / ds.smell.limited-ci ---------------------------------------

#[test]
fn ci_with_github_needs_a_recent_run_and_a_required_check() {
    let i = github();
    expect(
        &i,
        "ds.process.ci-all",
        Met,
        None,
        &[
            "CI ran in the last 30 days and the default branch requires status checks (acme/web: test)",
            "github:acme/web:protection",
            "github:acme/web:runs",
        ],
    );
    expect(
        &i,
        "ds.smell.limited-ci",
        Met,
        None,
        &["workflows ran in the last 30 days: acme/web .github/workflows/ci.yaml (42 runs)"],
    );

    let mut idle = github();
    gh_web(&mut idle)["runs"]["workflows"][0]["last_run_at"] = json!(gh_ago(24 * 40));
    expect(
        &idle,
        "ds.process.ci-all",
        NotMet,
        None,
        &["a workflow run in the last 30 days in acme/web"],
    );
    expect(
        &idle,
        "ds.smell.limited-ci",
        NotMet,
        None,
        &["no workflow ran in the last 30 days in acme/web"],
    );

    let mut unprotected = github();
    gh_web(&mut unprotected)["protection"]["required_checks"] = json!([]);
    expect(
        &unprotected,
        "ds.process.ci-all",
        NotMet,
        None,
        &["a required status check on main of acme/web"],
    );
    expect(&unprotected, "ds.smell.limited-ci", Met, None, &[]);
}

#[test]
fn protection_a_token_may_not_read_is_unknown_forbidden_never_not_met() {
    let mut i = github();
    gh_unread(&mut i, "protection", "forbidden");
    expect(
        &i,
        "ds.process.ci-all",
        Unknown,
        Some("forbidden"),
        &[
            "GitHub protection of acme/web not read (forbidden: protection: forbidden by GitHub)",
            "github.protection of acme/web",
        ],
    );
    // limited-ci does not read protection.
    expect(&i, "ds.smell.limited-ci", Met, None, &[]);
}

#[test]
fn a_rate_limited_repository_makes_only_its_own_services_unknown() {
    let mut i = github();
    with_coupled_api(&mut i);
    gh_unread(&mut i, "all", "rate_limited");
    for c in [
        "ds.process.ci-all",
        "ds.smell.limited-ci",
        "ds.process.small-deliverables",
        "ds.smell.coupled-releases",
    ] {
        let (status, reason, text) = verdict(&i, c);
        assert_eq!(
            (status, reason.as_deref()),
            (Unknown, Some("rate_limited")),
            "{c}: {text}"
        );
        assert!(
            text.contains("of acme/web not read (rate_limited"),
            "{c}: {text}"
        );
    }
    let (status, _, text) = verdict_of(&i, "ds.smell.limited-ci", "api");
    assert_eq!(status, Met, "{text}");
}

#[test]
fn a_repository_not_on_github_keeps_its_git_verdict_and_says_so() {
    let mut i = github();
    i["facts"]["github"]["repos"]
        .as_object_mut()
        .expect("repos")
        .remove("web");
    expect(
        &i,
        "ds.process.ci-all",
        Met,
        None,
        &["recent CI runs and required status checks not checked (no GitHub record of web)"],
    );
    expect(
        &i,
        "ds.smell.release-handovers",
        Unknown,
        Some("not_configured"),
        &["production approvals not checked (no GitHub record of web)"],
    );
}

// --- deploys: auto-deploy, manual-routines ---------------------------------------------

#[test]
fn automated_github_deployments_are_automatic_deploys_and_deployments_by_people_are_not() {
    let mut i = github();
    no_deploy_jobs(&mut i);
    expect(
        &i,
        "ds.devops.auto-deploy",
        Met,
        None,
        &[
            "GitHub deployments by automation in the last 90 days: acme/web #100 (production) by github-actions[bot]",
            "github:acme/web:deployment:100",
        ],
    );
    expect(
        &i,
        "ds.smell.manual-routines",
        Met,
        None,
        &["GitHub deployments by automation"],
    );

    for d in gh_web(&mut i)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["by_automation"] = json!(false);
        d["creator"] = json!("alice");
    }
    expect(
        &i,
        "ds.devops.auto-deploy",
        NotMet,
        None,
        &[
            "every GitHub deployment in the last 90 days was created by a person: acme/web #100 (production) by alice",
        ],
    );
    expect(
        &i,
        "ds.smell.manual-routines",
        NotMet,
        None,
        &["deployments only by people"],
    );

    let mut forbidden = github();
    no_deploy_jobs(&mut forbidden);
    gh_unread(&mut forbidden, "deployments", "forbidden");
    expect(
        &forbidden,
        "ds.devops.auto-deploy",
        Unknown,
        Some("forbidden"),
        &[
            "GitHub deployments could show one",
            "GitHub deployments of acme/web not read (forbidden",
        ],
    );
    expect(
        &forbidden,
        "ds.smell.manual-routines",
        Unknown,
        Some("forbidden"),
        &["github.deployments of acme/web"],
    );
}

// --- reusable workflows ----------------------------------------------------------------

#[test]
fn a_job_calling_a_reusable_workflow_is_judged_by_what_the_workflow_does() {
    let mut i = base_input();
    for j in i["facts"]["git"]["repos"]["web"]["ci"]["jobs"]
        .as_array_mut()
        .expect("jobs")
    {
        if j["name"] == "deploy" {
            j["kinds"] = json!([]);
            j["deploy_targets"] = json!([]);
        }
    }
    i["facts"]["git"]["repos"]["web"]["inventory"]["config_as_code"] = json!([]);
    let key = "web/.github/workflows/ci.yaml#deploy";
    let mut called = i.clone();
    called["index"] = json!({"reused_jobs": {key: {
        "reuses": ["acme/templates/.github/workflows/deploy.yml@v1"], "kinds": ["deploy"], "deploy_targets": ["helm"],
        "evidence": ["E-templates-deploy"], "jobs": ["templates/.github/workflows/deploy.yml#deploy"], "unresolved": []}}});
    called["facts"]["git"]["repos"]["templates"] = json!({"key": "templates", "ci": {"files": [], "jobs": [
        {"id": ".github/workflows/deploy.yml#deploy", "evidence": "E-templates-deploy"}]}});
    expect(
        &called,
        "ds.devops.auto-deploy",
        Met,
        None,
        &[
            "deployed automatically by deploy (.github/workflows/ci.yaml:40-49)",
            "E-templates-deploy",
        ],
    );

    let mut unread = i.clone();
    unread["index"] = json!({"reused_jobs": {key: {
        "reuses": ["acme/templates/.github/workflows/deploy.yml@v1"], "kinds": [], "deploy_targets": [],
        "evidence": [], "jobs": [], "unresolved": [{"reuses": "acme/templates/.github/workflows/deploy.yml@v1", "why": "acme/templates is not in this scan"}]}}});
    expect(
        &unread,
        "ds.devops.auto-deploy",
        Unknown,
        Some("not_configured"),
        &[
            "what a reused workflow does is not known: deploy (.github/workflows/ci.yaml:40-49) uses acme/templates/.github/workflows/deploy.yml@v1 (acme/templates is not in this scan)",
        ],
    );
    // A met the repository proves stands.
    expect(&unread, "ds.process.ci-all", Met, None, &[]);
}

// --- team criteria ---------------------------------------------------------------------

#[test]
fn team_size_comes_from_the_github_team() {
    expect(
        &github(),
        "ds.org.small-teams",
        Met,
        None,
        &[
            "GitHub team acme/web has 2 members (at most 10)",
            "github:acme:team:web",
        ],
    );
    let mut big = github();
    big["facts"]["github"]["teams"]["acme/web"]["member_count"] = json!(14);
    expect(
        &big,
        "ds.org.small-teams",
        NotMet,
        None,
        &["GitHub team acme/web has 14 members, more than 10"],
    );
    let mut unread = github();
    unread["facts"]["github"]["teams_read"] = json!(false);
    unread["facts"]["github"]["unread"] =
        json!({"teams": {"status": "forbidden", "detail": "403: read:org scope missing"}});
    expect(
        &unread,
        "ds.org.small-teams",
        Unknown,
        Some("forbidden"),
        &["GitHub teams not read (403: read:org scope missing)"],
    );
    let mut untied = github();
    untied["teams"]["team-web"]
        .as_object_mut()
        .expect("team")
        .remove("github_team");
    expect(
        &untied,
        "ds.org.small-teams",
        Unknown,
        Some("not_configured"),
        &["team team-web is not tied to a GitHub team"],
    );
    let mut withheld = github();
    withheld["facts"]["github"]["teams"]["acme/web"]["member_count"] = json!(0);
    withheld["facts"]["github"]["teams"]["acme/web"]["members"] = json!([]);
    withheld["facts"]["github"]["teams"]["acme/web"]["members_complete"] = json!(false);
    expect(
        &withheld,
        "ds.org.small-teams",
        Unknown,
        Some("partial"),
        &["GitHub did not give the members of team acme/web, so its size is not known"],
    );
}

#[test]
fn cross_functional_needs_code_tests_and_deploy_config_changed_by_the_team() {
    expect(
        &github(),
        "ds.org.cross-functional",
        Met,
        None,
        &[
            "members of acme/web changed application code, tests and deployment config of web in the last 90 days (14 pull requests)",
            "github:acme/web:pull:10",
        ],
    );
    let mut app_only = github();
    for p in gh_web(&mut app_only)["pull_requests"]["items"]
        .as_array_mut()
        .expect("pulls")
    {
        p["files"] = json!(["src/server.go", "README.md"]);
    }
    expect(
        &app_only,
        "ds.org.cross-functional",
        NotMet,
        None,
        &[
            "web: no pull request merged by a member in the last 90 days changed tests, deployment or infrastructure configuration",
        ],
    );
    let mut outsider = github();
    for p in gh_web(&mut outsider)["pull_requests"]["items"]
        .as_array_mut()
        .expect("pulls")
    {
        p["author"] = json!("zed");
    }
    expect(
        &outsider,
        "ds.org.cross-functional",
        NotMet,
        None,
        &["changed application code, tests, deployment or infrastructure configuration"],
    );
    let mut cut = app_only.clone();
    gh_web(&mut cut)["pull_requests"]["complete"] = json!(false);
    expect(
        &cut,
        "ds.org.cross-functional",
        Unknown,
        Some("partial"),
        &["not_met would need a complete read"],
    );
    let mut limited = github();
    gh_unread(&mut limited, "pull_requests", "rate_limited");
    expect(
        &limited,
        "ds.org.cross-functional",
        Unknown,
        Some("rate_limited"),
        &[
            "pull requests of team team-web's services: GitHub pull_requests of acme/web not read (rate_limited",
        ],
    );
}

#[test]
fn independent_cd_needs_a_recent_own_automated_deploy_per_service() {
    expect(
        &github(),
        "ds.org.independent-cd",
        Met,
        None,
        &[
            "team team-web deployed each of its services in the last 30 days from runs that deployed only its own services: acme/web #100 (production)",
        ],
    );
    let mut coupled = github();
    with_coupled_api(&mut coupled);
    expect(
        &coupled,
        "ds.org.independent-cd",
        NotMet,
        None,
        &[
            "web: every deploy in the last 30 days ran in a pipeline that also deployed another team's service (run 9000, run 9001",
        ],
    );
    let mut stale = github();
    for d in gh_web(&mut stale)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["created_at"] = json!(gh_ago(24 * 40));
    }
    expect(
        &stale,
        "ds.org.independent-cd",
        NotMet,
        None,
        &["web: no successful deployment in the last 30 days"],
    );
    let mut forbidden = github();
    gh_unread(&mut forbidden, "deployments", "forbidden");
    expect(
        &forbidden,
        "ds.org.independent-cd",
        Unknown,
        Some("forbidden"),
        &[
            "deploys of team team-web's services: GitHub deployments of acme/web not read (forbidden",
        ],
    );
}

// --- process ---------------------------------------------------------------------------

#[test]
fn min_bureaucracy_measures_merge_to_production_and_approval_waits() {
    expect(
        &github(),
        "ds.process.min-bureaucracy",
        Met,
        None,
        &[
            "median merge to production 2 hours (14 pull requests); approval gates on production wait a median of at most 4 hours",
        ],
    );
    let mut slow = github();
    for d in gh_web(&mut slow)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        let created = d["created_at"].as_str().expect("created").to_owned();
        let t = chrono::DateTime::parse_from_rfc3339(&created).expect("time")
            + chrono::Duration::hours(30);
        d["succeeded_at"] = json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    }
    expect(
        &slow,
        "ds.process.min-bureaucracy",
        NotMet,
        None,
        &[
            "merged changes reach production within a day (median)",
            "environment production of acme/web: approval waits a median of 30 hours (14 deployments)",
        ],
    );
    let mut forbidden = github();
    gh_unread(&mut forbidden, "environments", "forbidden");
    expect(
        &forbidden,
        "ds.process.min-bureaucracy",
        Unknown,
        Some("forbidden"),
        &["GitHub environments of acme/web not read (forbidden"],
    );
    let mut none = github();
    gh_web(&mut none)["deployments"] = json!([]);
    expect(
        &none,
        "ds.process.min-bureaucracy",
        Unknown,
        Some("insufficient_data"),
        &["no production deployment in the last 90 days"],
    );
}

#[test]
fn small_deliverables_needs_small_pull_requests_and_weekly_deploys() {
    expect(
        &github(),
        "ds.process.small-deliverables",
        Met,
        None,
        &[
            "median merged pull request 46 lines (14 pull requests), 14 production deploys in 90 days",
        ],
    );
    let mut big = github();
    for p in gh_web(&mut big)["pull_requests"]["items"]
        .as_array_mut()
        .expect("pulls")
    {
        p["lines"] = json!(450);
    }
    expect(
        &big,
        "ds.process.small-deliverables",
        NotMet,
        None,
        &[
            "median merged pull request 450 lines",
            "a median merged change under 200 lines",
        ],
    );
    let mut rare = github();
    gh_web(&mut rare)["deployments"]
        .as_array_mut()
        .expect("deployments")
        .truncate(5);
    expect(
        &rare,
        "ds.process.small-deliverables",
        NotMet,
        None,
        &[
            "5 production deploys in 90 days",
            "at least 12 production deploys in 90 days (weekly)",
        ],
    );
    let mut limited = github();
    gh_unread(&mut limited, "pull_requests", "rate_limited");
    expect(
        &limited,
        "ds.process.small-deliverables",
        Unknown,
        Some("rate_limited"),
        &["GitHub pull_requests of acme/web not read (rate_limited"],
    );
}

#[test]
fn small_deliverables_falls_back_to_the_history_for_the_size_without_github() {
    let mut i = base_input();
    i["sources"]["git_history"] = json!({"status": "ok", "detail": ""});
    i["facts"]["git_history"] = json!({"repos": {"web": {"key": "web", "evidence": "E-history",
        "changes_90d": {"days": 90, "count": 3, "measured": 3, "median_lines": 40, "p90_lines": 300},
        "truncated": null, "sampled": null}}});
    expect(
        &i,
        "ds.process.small-deliverables",
        Unknown,
        Some("not_configured"),
        &[
            "median merged change 40 lines over 90 days (git history, within 200); deploy frequency (GitHub deployments) not checked (github: not_configured)",
        ],
    );
    i["facts"]["git_history"]["repos"]["web"]["changes_90d"]["median_lines"] = json!(700);
    expect(
        &i,
        "ds.process.small-deliverables",
        NotMet,
        None,
        &[
            "median merged change 700 lines over 90 days (git history)",
            "deploy frequency not checked",
        ],
    );
}

// --- smells ----------------------------------------------------------------------------

#[test]
fn release_handovers_are_approvals_from_outside_the_owning_team() {
    expect(
        &github(),
        "ds.smell.release-handovers",
        Met,
        None,
        &["production deploys are approved within acme/web: team acme/web, user alice"],
    );
    let mut outside = github();
    gh_web(&mut outside)["environments"][0]["reviewers"] = json!([{"type": "user", "login": "mallory"}, {"type": "team", "team": "acme/release-board"}]);
    expect(
        &outside,
        "ds.smell.release-handovers",
        NotMet,
        None,
        &[
            "production environment production of acme/web requires approval by user mallory, outside acme/web",
            "requires approval by team acme/release-board, outside acme/web",
        ],
    );
    let mut ungated = github();
    gh_web(&mut ungated)["environments"][0]["reviewers"] = json!([]);
    expect(
        &ungated,
        "ds.smell.release-handovers",
        Met,
        None,
        &["no production environment requires an approval (1 production environments)"],
    );
    let mut forbidden = github();
    gh_unread(&mut forbidden, "environments", "forbidden");
    expect(
        &forbidden,
        "ds.smell.release-handovers",
        Unknown,
        Some("forbidden"),
        &["who approves production deploys: GitHub environments of acme/web not read (forbidden"],
    );
    let mut untied = github();
    untied["teams"]["team-web"]["github_team"] = Value::Null;
    expect(
        &untied,
        "ds.smell.release-handovers",
        Unknown,
        Some("not_configured"),
        &["team team-web is not tied to a GitHub team"],
    );
}

#[test]
fn coupled_releases_are_deploy_runs_shared_with_other_services() {
    expect(
        &github(),
        "ds.smell.coupled-releases",
        Met,
        None,
        &["0 of 14 deploys (0%) were released together with other services (at most 80%)"],
    );
    let mut coupled = github();
    with_coupled_api(&mut coupled);
    expect(
        &coupled,
        "ds.smell.coupled-releases",
        NotMet,
        None,
        &[
            "14 of 14 deploys (100%) ran in a pipeline run that also deployed other services: run 9000 (acme/web #100 (production))",
        ],
    );
    let mut forbidden = github();
    gh_unread(&mut forbidden, "deployments", "forbidden");
    expect(
        &forbidden,
        "ds.smell.coupled-releases",
        Unknown,
        Some("forbidden"),
        &["GitHub deployments of acme/web not read (forbidden"],
    );
}

#[test]
fn in_a_monorepo_a_deployment_belongs_to_the_service_its_environment_names() {
    let mut i = github();
    // A second service `api` in the same repository; web's deployments name web.
    let mut api = i["services"]["web"].clone();
    api["id"] = json!("api");
    api["name"] = json!("api");
    i["services"]["api"] = api;
    i["services"]["web"]["name"] = json!("web");
    i["teams"]["team-web"]["services"] = json!(["api", "web"]);
    for d in gh_web(&mut i)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["environment"] = json!("production-web");
    }
    gh_web(&mut i)["environments"][0]["name"] = json!("production-web");
    expect(
        &i,
        "ds.smell.coupled-releases",
        Met,
        None,
        &["0 of 14 deploys"],
    );
    let (status, reason, text) = verdict_of(&i, "ds.smell.coupled-releases", "api");
    assert_eq!(
        (status, reason.as_deref()),
        (Unknown, Some("insufficient_data")),
        "{text}"
    );
    // Deployments naming no service are shared: neither can be told apart.
    for d in gh_web(&mut i)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["environment"] = json!("production");
    }
    let (status, reason, text) = verdict_of(&i, "ds.smell.coupled-releases", "web");
    assert_eq!(
        (status, reason.as_deref()),
        (Unknown, Some("insufficient_data")),
        "{text}"
    );
    assert!(
        text.contains("14 deployments of its repositories name no service"),
        "{text}"
    );
}

#[test]
fn periodic_big_releases_reads_production_deploys_as_releases() {
    expect(
        &github(),
        "ds.smell.periodic-big-releases",
        Met,
        None,
        &[
            "median interval between production deploys 6 days, median size 46 lines of merged pull requests (14 deploys)",
        ],
    );
    let mut big = github();
    let deps: Vec<Value> = (0..3)
        .map(|n| {
            gh_deployment(
                "web",
                200 + n,
                "production",
                24 + 24 * 40 * n as i64,
                7000 + n,
            )
        })
        .collect();
    gh_web(&mut big)["deployments"] = json!(deps);
    let pulls: Vec<Value> = (0..3)
        .map(|n| {
            gh_pull(
                "web",
                50 + n,
                "alice",
                30 + 24 * 40 * n as i64,
                2500,
                &["src/a.go"],
            )
        })
        .collect();
    gh_web(&mut big)["pull_requests"]["items"] = json!(pulls);
    expect(
        &big,
        "ds.smell.periodic-big-releases",
        NotMet,
        None,
        &[
            "production deploys every 40 days (median) with 2500 lines of merged pull requests each (median, 3 deploys)",
        ],
    );
    let mut forbidden = github();
    gh_unread(&mut forbidden, "deployments", "forbidden");
    expect(
        &forbidden,
        "ds.smell.periodic-big-releases",
        Unknown,
        Some("forbidden"),
        &["production deploys are releases: GitHub deployments of acme/web not read (forbidden"],
    );
}

#[test]
fn cross_team_tooling_counts_merged_contributions_from_other_teams() {
    expect(
        &github(),
        "cams.sharing.cross-team-tooling",
        Met,
        None,
        &[
            "1 pull requests by members of other teams merged into tooling repositories in 180 days: acme/tools#7 by alice",
            "github:acme/tools:pull:7",
        ],
    );
    let mut own = github();
    own["facts"]["github"]["repos"]["tools"]["pull_requests"]["items"][0]["author"] =
        json!("carol");
    expect(
        &own,
        "cams.sharing.cross-team-tooling",
        NotMet,
        None,
        &[
            "no pull request by a member of another team merged into the tooling repositories in 180 days: acme/tools",
        ],
    );
    let mut limited = github();
    let tools = &mut limited["facts"]["github"]["repos"]["tools"];
    tools["unread"]["pull_requests"] =
        json!({"status": "rate_limited", "detail": "secondary rate limit"});
    tools
        .as_object_mut()
        .expect("tools")
        .remove("pull_requests");
    expect(
        &limited,
        "cams.sharing.cross-team-tooling",
        Unknown,
        Some("rate_limited"),
        &["GitHub pull_requests of acme/tools not read (rate_limited: secondary rate limit)"],
    );
    let mut no_platform = github();
    no_platform["facts"]["github"]["teams"]
        .as_object_mut()
        .expect("teams")
        .remove("acme/platform");
    expect(
        &no_platform,
        "cams.sharing.cross-team-tooling",
        NotApplicable,
        None,
        &["no platform or tooling team"],
    );
}

#[test]
fn the_compiled_vm_and_the_interpreter_agree_on_github_inputs() {
    // regorus' RVM has differed from its interpreter on keyed multi-value rules and
    // undefined function values: every GitHub shape the rules branch on, on both.
    let interpreter = evaluator().with_vm_threshold(usize::MAX);
    let vm = evaluator().with_vm_threshold(0);
    let mut inputs = vec![github()];
    let mut coupled = github();
    with_coupled_api(&mut coupled);
    inputs.push(coupled);
    for (part, status) in [
        ("all", "rate_limited"),
        ("protection", "forbidden"),
        ("environments", "forbidden"),
        ("pull_requests", "rate_limited"),
    ] {
        let mut i = github();
        gh_unread(&mut i, part, status);
        inputs.push(i);
    }
    let mut people = github();
    no_deploy_jobs(&mut people);
    for d in gh_web(&mut people)["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["by_automation"] = json!(false);
    }
    inputs.push(people);
    let mut untied = github();
    untied["teams"]["team-web"]["github_team"] = Value::Null;
    untied["facts"]["github"]["teams_read"] = json!(false);
    inputs.push(untied);
    for input in &inputs {
        let a = evaluate_full(&interpreter, input).results;
        let b = evaluate_full(&vm, input).results;
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert_eq!(
                x, y,
                "{} / {} differs between interpreter and RVM",
                x.criterion, x.service
            );
        }
        assert_eq!(
            a.scoped, b.scoped,
            "shared entries differ between interpreter and RVM"
        );
    }
}

#[test]
fn a_team_finding_gives_each_service_its_own_part() {
    let mut i = github();
    with_coupled_api(&mut i);
    // api joins team-web: two services, one finding, each row its own part.
    i["services"]["api"]["team"] = json!("team-web");
    i["teams"]["team-web"]["services"] = json!(["api", "web"]);
    i["teams"]
        .as_object_mut()
        .expect("teams")
        .remove("team-api");
    for d in i["facts"]["github"]["repos"]["api"]["deployments"]
        .as_array_mut()
        .expect("deployments")
    {
        d["run_id"] = json!(1);
        d["created_at"] = json!(gh_ago(24 * 45));
    }
    for p in i["facts"]["github"]["repos"]["api"]["pull_requests"]["items"]
        .as_array_mut()
        .expect("pulls")
    {
        p["author"] = json!("dave");
    }
    let out = evaluate_full(&evaluator(), &i);
    let row = |sid: &str| {
        out.results
            .rows
            .iter()
            .find(|r| r.criterion == "ds.org.independent-cd" && r.service == sid)
            .expect("row")
            .clone()
    };
    let (web, api) = (row("web"), row("api"));
    assert_eq!(web.status, NotMet);
    assert_eq!(web.scoped, api.scoped, "one shared finding");
    assert!(
        web.summary
            .starts_with("web deployed on its own: acme/web #100"),
        "{}",
        web.summary
    );
    assert_eq!(
        api.summary,
        "api: no successful deployment in the last 30 days"
    );
    assert_eq!(
        api.missing,
        ["api: no successful deployment in the last 30 days"]
    );
    let cf = out
        .results
        .rows
        .iter()
        .find(|r| r.criterion == "ds.org.cross-functional" && r.service == "api")
        .expect("row");
    assert!(
        cf.summary
            .starts_with("api: the team's merged pull requests in 90 days did not change"),
        "{}",
        cf.summary
    );
}
