//! Rules an on-call source decides (facts.oncall, svc.oncall, index.people, team
//! members): each asserts what the verdict says, not only its status.

mod common;

use common::*;
use evident_core::Status::{self, *};
use serde_json::{Value, json};

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
fn expect_of(
    input: &Value,
    criterion: &str,
    service: &str,
    status: Status,
    reason: Option<&str>,
    says: &[&str],
) {
    let (got, why, text) = verdict_of(input, criterion, service);
    assert_eq!(got, status, "{criterion}/{service}: {text}");
    assert_eq!(why.as_deref(), reason, "{criterion}/{service}: {text}");
    for s in says {
        assert!(
            text.contains(s),
            "{criterion}/{service}: {s:?} not in {text}"
        );
    }
}

#[track_caller]
fn expect(input: &Value, criterion: &str, status: Status, reason: Option<&str>, says: &[&str]) {
    expect_of(input, criterion, "web", status, reason, says)
}

fn oncall() -> Value {
    let mut i = base_input();
    with_oncall(&mut i);
    i
}

fn oncall_github() -> Value {
    let mut i = oncall();
    with_github(&mut i);
    i
}

// --- ds.devops.team-on-call / cams.culture.devs-on-call ------------------------------

#[test]
fn a_team_fully_on_call_is_met_and_cites_the_on_call_records() {
    let i = oncall();
    for c in ["ds.devops.team-on-call", "cams.culture.devs-on-call"] {
        expect(
            &i,
            c,
            Met,
            None,
            &[
                "2 of 2 members of team-web (catalog Group web) are on call for web (100%, at least 80%)",
                "oncall:pagerduty:schedule:PS1",
                "oncall:pagerduty:user:PU1",
                "resolve:web:oncall:pagerduty/PWEB",
            ],
        );
    }
    // The service's own row names who of its team it reaches.
    let out = evaluate_full(&evaluator(), &i);
    let row = out
        .results
        .rows
        .iter()
        .find(|r| r.criterion == "ds.devops.team-on-call" && r.service == "web")
        .expect("row");
    assert_eq!(
        row.summary,
        "2 of 2 members of team-web on the on-call of web: alice, bob"
    );
}

#[test]
fn members_from_the_github_team_count_when_resolution_gave_none() {
    let mut i = oncall_github();
    for k in ["members", "members_source", "members_complete"] {
        i["teams"]["team-web"]
            .as_object_mut()
            .expect("team")
            .remove(k);
    }
    expect(
        &i,
        "ds.devops.team-on-call",
        Met,
        None,
        &[
            "2 of 2 members of team-web (github team acme/web)",
            "github:acme:team:web",
        ],
    );
    // Neither a catalog Group nor a GitHub team: the members are unknown.
    let mut i = oncall();
    for k in ["members", "members_source", "members_complete"] {
        i["teams"]["team-web"]
            .as_object_mut()
            .expect("team")
            .remove(k);
    }
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("not_configured"),
        &["the members of team team-web are not known"],
    );
}

#[test]
fn users_no_login_joins_are_listed_and_leave_the_team_short() {
    let mut i = oncall();
    oc_unjoined(&mut i, "PU2");
    expect(
        &i,
        "ds.devops.team-on-call",
        NotMet,
        None,
        &[
            "1 of 2 members of team-web (catalog Group web) are on call for web (50%, fewer than 80%); not on call: bob",
            "on-call users not joined to a GitHub login (they may be members): Bob Example (pagerduty/PU2)",
            "bob on call for a service of team-web",
            "a GitHub login for on-call user Bob Example (pagerduty/PU2)",
        ],
    );
    // One member reached is enough for the feedback loop.
    expect(
        &i,
        "cams.feedback.ops-to-dev",
        Met,
        None,
        &[
            "the escalation policies of web (Web (pagerduty/PEP1)) reach members of team team-web: alice",
        ],
    );
}

#[test]
fn a_join_not_complete_makes_a_short_share_partial_never_not_met() {
    let mut i = oncall();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU1"]);
    web_oncall(&mut i)["complete"] = json!(false);
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("partial"),
        &[
            "not_met would need a complete read, but the on-call join of web is not complete",
            "1 of 2 members",
        ],
    );
    // An account that read schedules only in part says so too.
    let mut i = oncall();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU1"]);
    oc_facts(&mut i)["accounts"]["pagerduty"]["partial"] =
        json!({"schedules": "stopped at 100 pages"});
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("partial"),
        &["pagerduty schedules: stopped at 100 pages"],
    );
    // Complete, and short: not met.
    let mut i = oncall();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU1"]);
    expect(
        &i,
        "ds.devops.team-on-call",
        NotMet,
        None,
        &["not on call: bob"],
    );
}

#[test]
fn a_team_whose_services_have_no_on_call_join_is_unknown() {
    let mut i = oncall();
    i["services"]["web"]
        .as_object_mut()
        .expect("web")
        .remove("oncall");
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("not_configured"),
        &[
            "no on-call service of pagerduty is tied to a service of team team-web (web)",
            "on-call services that joined nothing are listed as unresolved",
        ],
    );
    for c in [
        "cams.feedback.ops-to-dev",
        "ops.ttr-measured",
        "cams.measurement.rca",
        "ds.org.vertical-splits",
    ] {
        expect(&i, c, Unknown, Some("not_configured"), &["is tied to web"]);
    }
}

#[test]
fn unread_on_call_parts_are_unknown_with_their_status() {
    // As the facts say it (a policy or a probe that reports no parts).
    let mut i = oncall();
    oc_unread(&mut i, "schedules", "forbidden", false);
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("forbidden"),
        &[
            "pagerduty schedules not read (forbidden: GET /schedules answered forbidden)",
            "oncall.schedules of pagerduty",
        ],
    );
    expect(
        &i,
        "ds.smell.few-responsible",
        Unknown,
        Some("forbidden"),
        &["who carries the pager: pagerduty schedules not read"],
    );
    // ttr does not read schedules.
    expect(&i, "ops.ttr-measured", Met, None, &[]);
    // As the source reports it: the gate answers before the rule.
    let mut i = oncall();
    oc_unread(&mut i, "schedules", "forbidden", true);
    expect(
        &i,
        "ds.devops.team-on-call",
        Unknown,
        Some("forbidden"),
        &["needs oncall.schedules (forbidden: GET /schedules answered forbidden)"],
    );
}

// --- ds.smell.few-responsible --------------------------------------------------------

#[test]
fn one_person_on_every_schedule_is_the_few_responsible_smell() {
    let i = oncall();
    expect(
        &i,
        "ds.smell.few-responsible",
        Met,
        None,
        &[
            "4 people are on call across 2 schedules; nobody is on more than half (most: 1)",
            "oncall:pagerduty:schedule:PS2",
        ],
    );
    let mut i = oncall();
    for (k, s) in oc_facts(&mut i)["schedules"]
        .as_object_mut()
        .expect("schedules")
        .iter_mut()
    {
        let extra = if k.ends_with("PS1") {
            "pagerduty/PU2"
        } else {
            "pagerduty/PU3"
        };
        s["participants"] = json!(["pagerduty/PU1", extra]);
    }
    oc_facts(&mut i)["schedules"]["pagerduty/PS3"] = oc_schedule(
        "pagerduty",
        "PS3",
        "Data",
        &["pagerduty/PU1", "pagerduty/PU4"],
    );
    expect(
        &i,
        "ds.smell.few-responsible",
        NotMet,
        None,
        &[
            "one person is on more than half of the 3 on-call schedules: alice is on 3 of 3 schedules",
            "the duty spread over more people (alice is on 3 of 3 schedules)",
        ],
    );
    // Two people in all: present.
    let mut i = oncall();
    oc_facts(&mut i)["schedules"]["pagerduty/PS1"]["participants"] = json!(["pagerduty/PU1"]);
    oc_facts(&mut i)["schedules"]["pagerduty/PS2"]["participants"] = json!(["pagerduty/PU1"]);
    oc_facts(&mut i)["schedules"]["pagerduty/PS3"] =
        oc_schedule("pagerduty", "PS3", "Data", &["pagerduty/PU2"]);
    oc_facts(&mut i)["schedules"]["pagerduty/PS4"] =
        oc_schedule("pagerduty", "PS4", "Ops", &["pagerduty/PU2"]);
    expect(
        &i,
        "ds.smell.few-responsible",
        NotMet,
        None,
        &["4 on-call schedule(s) have 2 distinct people on call in the window: alice, bob"],
    );
}

#[test]
fn an_unrendered_schedule_is_never_taken_as_empty() {
    let mut i = oncall();
    oc_facts(&mut i)["schedules"]["pagerduty/PS2"]["rendered"] = json!(false);
    oc_facts(&mut i)["schedules"]["pagerduty/PS2"]["participants"] = json!([]);
    expect(
        &i,
        "ds.smell.few-responsible",
        Unknown,
        Some("partial"),
        &[
            "1 schedule(s) not rendered, their participants unknown (Platform primary)",
            "the participants of schedule pagerduty/PS2",
        ],
    );
}

#[test]
fn pagerduty_and_opsgenie_both_count_and_one_login_is_one_person() {
    let mut i = oncall_github();
    // Opsgenie: an api service on call for team-api (dave), whose schedule also has alice.
    with_coupled_api(&mut i);
    let og = oc_facts(&mut i);
    og["accounts"]["opsgenie"] = oc_account("opsgenie");
    og["services"]["opsgenie/S-api"] = json!({"key": "opsgenie/S-api", "account": "opsgenie", "id": "S-api", "name": "api",
        "escalation_policy": null, "teams": ["opsgenie/T1"], "integration_key_hashes": [], "tags": ["api"], "status": null,
        "evidence": "oncall:opsgenie:service:S-api"});
    og["escalation_policies"]["opsgenie/E1"] = json!({"key": "opsgenie/E1", "account": "opsgenie", "id": "E1", "name": "API escalation",
        "users": [], "schedules": ["opsgenie/SC1"], "teams": ["opsgenie/T1"], "evidence": "oncall:opsgenie:escalation_policy:E1"});
    og["schedules"]["opsgenie/SC1"] = oc_schedule(
        "opsgenie",
        "SC1",
        "API rota",
        &["opsgenie/U1", "opsgenie/U2"],
    );
    og["users"]["opsgenie/U1"] = oc_user("opsgenie", "U1", "Alice E.");
    og["users"]["opsgenie/U2"] = oc_user("opsgenie", "U2", "Dave E.");
    og["incidents"]
        .as_array_mut()
        .expect("incidents")
        .push(oc_incident("opsgenie", "I1", "opsgenie/S-api", 48, Some(3)));
    i["index"]["people"]["opsgenie/U1"] =
        json!({"login": "alice", "by": "catalog User alice", "name": "Alice E."});
    i["index"]["people"]["opsgenie/U2"] =
        json!({"login": "dave", "by": "people mapping", "name": "Dave E."});
    i["services"]["api"]["oncall"] = json!({
        "services": ["opsgenie/S-api"], "escalation_policies": ["opsgenie/E1"], "schedules": ["opsgenie/SC1"],
        "responders": ["opsgenie/U1", "opsgenie/U2"], "complete": true,
        "evidence": ["oncall:opsgenie:service:S-api", "oncall:opsgenie:escalation_policy:E1", "oncall:opsgenie:schedule:SC1"]});
    i["services"]["api"]["joins"] = json!([]);
    i["teams"]["team-api"]["members"] = json!(["dave"]);
    i["teams"]["team-api"]["members_source"] = json!("github team acme/api");
    // alice (PagerDuty PU1 and Opsgenie U1) is one person on 2 of 3 schedules.
    expect(
        &i,
        "ds.smell.few-responsible",
        NotMet,
        None,
        &["alice is on 2 of 3 schedules"],
    );
    expect_of(
        &i,
        "ds.devops.team-on-call",
        "api",
        Met,
        None,
        &[
            "1 of 1 members of team-api (github team acme/api) are on call for api (100%",
            "oncall:opsgenie:user:U2",
        ],
    );
    expect(
        &i,
        "ds.devops.team-on-call",
        Met,
        None,
        &["2 of 2 members of team-web"],
    );
    expect_of(
        &i,
        "ops.ttr-measured",
        "api",
        Met,
        None,
        &[
            "1 incident(s) of api (opsgenie/S-api) resolved in the last 90 days; median time to resolve 3 h",
            "oncall:opsgenie:incident:I1",
        ],
    );
    // An Opsgenie failure on incidents leaves PagerDuty's services judged.
    oc_facts(&mut i)["accounts"]["opsgenie"]["unread"]["incidents"] =
        json!({"status": "rate_limited", "detail": "GET /v1/incidents answered 429"});
    expect_of(
        &i,
        "ops.ttr-measured",
        "api",
        Unknown,
        Some("rate_limited"),
        &["opsgenie incidents not read"],
    );
    expect(&i, "ops.ttr-measured", Met, None, &[]);
}

// --- cams.feedback.ops-to-dev ---------------------------------------------------------

#[test]
fn a_service_without_an_escalation_policy_does_not_feed_back_to_dev() {
    let i = oncall();
    expect(
        &i,
        "cams.feedback.ops-to-dev",
        Met,
        None,
        &[
            "reach members of team team-web: alice, bob",
            "oncall:pagerduty:escalation_policy:PEP1",
        ],
    );
    let mut i = oncall();
    web_oncall(&mut i)["escalation_policies"] = json!([]);
    web_oncall(&mut i)["schedules"] = json!([]);
    web_oncall(&mut i)["responders"] = json!([]);
    oc_facts(&mut i)["services"]["pagerduty/PWEB"]["escalation_policy"] = Value::Null;
    expect(
        &i,
        "cams.feedback.ops-to-dev",
        NotMet,
        None,
        &[
            "on-call services of web have no escalation policy: alerts and incidents page nobody (web (pagerduty/PWEB))",
        ],
    );
    // A policy that pages only other people.
    let mut i = oncall();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU3"]);
    expect(
        &i,
        "cams.feedback.ops-to-dev",
        NotMet,
        None,
        &["reach carol, no member of team team-web (catalog Group web)"],
    );
}

// --- ops.ttr-measured -----------------------------------------------------------------

#[test]
fn resolved_incidents_give_a_median_and_a_trend() {
    let i = oncall();
    expect(
        &i,
        "ops.ttr-measured",
        Met,
        None,
        &[
            "3 incident(s) of web (pagerduty/PWEB) resolved in the last 90 days; median time to resolve 2 h",
            "trend improving: first half median 4 h (1), second half 1 h (2)",
            "oncall:pagerduty:incident:PI1",
        ],
    );
    // Open incidents only: nothing measured.
    let mut i = oncall();
    oc_facts(&mut i)["incidents"] = json!([
        oc_incident("pagerduty", "PI9", "pagerduty/PWEB", 5, None),
        oc_incident("pagerduty", "PI8", "pagerduty/PWEB", 3, None)
    ]);
    expect(
        &i,
        "ops.ttr-measured",
        NotMet,
        None,
        &["2 incident(s) of web (pagerduty/PWEB) in the last 90 days, none resolved yet"],
    );
    // One resolved, in the second half: no trend, said so.
    let mut i = oncall();
    oc_facts(&mut i)["incidents"] = json!([oc_incident(
        "pagerduty",
        "PI9",
        "pagerduty/PWEB",
        50,
        Some(6)
    )]);
    expect(
        &i,
        "ops.ttr-measured",
        Met,
        None,
        &[
            "median time to resolve 6 h; trend not computed: no resolved incident triggered in the first half of the window",
        ],
    );
    // None at all.
    let mut i = oncall();
    oc_facts(&mut i)["incidents"] = json!([]);
    expect(
        &i,
        "ops.ttr-measured",
        NotMet,
        None,
        &["no incident of web (pagerduty/PWEB) in the last 90 days"],
    );
    // Read in part and none resolved: partial.
    let mut i = oncall();
    oc_facts(&mut i)["incidents"] = json!([]);
    oc_facts(&mut i)["accounts"]["pagerduty"]["partial"] =
        json!({"incidents": "stopped at 100 pages"});
    expect(
        &i,
        "ops.ttr-measured",
        Unknown,
        Some("partial"),
        &["pagerduty incidents: stopped at 100 pages"],
    );
}

#[test]
fn unread_incidents_are_unknown_never_none() {
    let mut i = oncall_github();
    oc_unread(&mut i, "incidents", "forbidden", false);
    for c in ["ops.ttr-measured", "cams.measurement.ops"] {
        expect(
            &i,
            c,
            Unknown,
            Some("forbidden"),
            &["pagerduty incidents not read (forbidden: GET /incidents answered forbidden)"],
        );
    }
    // Change events prove rca on their own.
    expect(
        &i,
        "cams.measurement.rca",
        Met,
        None,
        &["1 change event(s) were sent to web (pagerduty/PWEB)"],
    );
    let mut i = oncall();
    oc_unread(&mut i, "incidents", "timeout", true);
    expect(
        &i,
        "ops.ttr-measured",
        Unknown,
        Some("timeout"),
        &["needs oncall.incidents (timeout: GET /incidents answered timeout)"],
    );
}

// --- cams.measurement.ops / cams.measurement.rca --------------------------------------

#[test]
fn deployments_and_incidents_both_available_measure_ops() {
    let i = oncall_github();
    expect(
        &i,
        "cams.measurement.ops",
        Met,
        None,
        &[
            "14 production deployments (GitHub) and 3 incidents (web (pagerduty/PWEB)) of web in the last 90 days",
            "github:acme/web:deployment:100",
        ],
    );
    let mut i = oncall_github();
    gh_web(&mut i)["deployments"] = json!([]);
    expect(
        &i,
        "cams.measurement.ops",
        NotMet,
        None,
        &["GitHub holds no successful production deployment of it in the last 90 days"],
    );
    // Without GitHub the deployments are not known.
    expect(
        &oncall(),
        "cams.measurement.ops",
        Unknown,
        Some("not_configured"),
        &["needs github"],
    );
}

#[test]
fn incidents_link_to_changes_by_change_events_or_by_the_deploy_before_them() {
    expect(
        &oncall(),
        "cams.measurement.rca",
        Met,
        None,
        &[
            "1 change event(s) were sent to web (pagerduty/PWEB)",
            "oncall:pagerduty:change_event:PC1",
        ],
    );
    // No change events: an incident 3 hours after deployment 100 (47 h ago) is attributed.
    let mut i = oncall_github();
    oc_facts(&mut i)["change_events"] = json!([]);
    oc_facts(&mut i)["incidents"] = json!([oc_incident(
        "pagerduty",
        "PI7",
        "pagerduty/PWEB",
        44,
        Some(1)
    )]);
    expect(
        &i,
        "cams.measurement.rca",
        Met,
        None,
        &[
            "1 incident(s) followed a production deploy of web within 24 hours and are attributed to it: pagerduty/PI7 3 h after acme/web #100 (production)",
            "github:acme/web:deployment:100",
        ],
    );
    // Neither; without GitHub the deploy part is named as not checked.
    let mut i = oncall();
    oc_facts(&mut i)["change_events"] = json!([]);
    expect(
        &i,
        "cams.measurement.rca",
        NotMet,
        None,
        &[
            "no change event reached web (pagerduty/PWEB) and none of its 3 incident(s) followed a production deploy (0) within 24 hours; incidents following a deploy not checked (github: not_configured)",
        ],
    );
    // Change events unread and nothing linked: unknown.
    let mut i = oncall();
    oc_unread(&mut i, "change_events", "not_available", false);
    expect(
        &i,
        "cams.measurement.rca",
        Unknown,
        Some("not_available"),
        &["pagerduty change_events not read"],
    );
}

// --- ds.process.own-production / cams.culture.build-run --------------------------------

#[test]
fn own_production_needs_the_team_on_call_and_holding_deploy_rights() {
    let i = oncall_github();
    for c in ["ds.process.own-production", "cams.culture.build-run"] {
        expect(
            &i,
            c,
            Met,
            None,
            &[
                "team team-web is on call for web (alice, bob) and production deploys are approved within the team (team acme/web, user alice)",
                "github:acme/web:environment:production",
            ],
        );
    }
    // No reviewers: the team's admin rights on the repository are pipeline ownership.
    let mut i = oncall_github();
    gh_web(&mut i)["environments"][0]["reviewers"] = json!([]);
    expect(
        &i,
        "ds.process.own-production",
        Met,
        None,
        &[
            "no production environment requires reviewers and the team owns the pipeline (acme/web rights on acme/web)",
        ],
    );
    // Approved only outside the team.
    let mut i = oncall_github();
    gh_web(&mut i)["environments"][0]["reviewers"] = json!([{"type": "team", "team": "acme/sre"}]);
    expect(
        &i,
        "ds.process.own-production",
        NotMet,
        None,
        &[
            "team team-web is on call for web, but production deploys are approved only outside team team-web (team acme/sre)",
        ],
    );
    // Nobody of the team on call.
    let mut i = oncall_github();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU3", "pagerduty/PU4"]);
    expect(
        &i,
        "ds.process.own-production",
        NotMet,
        None,
        &[
            "no member of team team-web (catalog Group web) is on the on-call of web (web (pagerduty/PWEB))",
        ],
    );
    // Environments GitHub did not give: unknown.
    let mut i = oncall_github();
    gh_unread(&mut i, "environments", "forbidden");
    expect(
        &i,
        "ds.process.own-production",
        Unknown,
        Some("forbidden"),
        &["GitHub environments of acme/web not read (forbidden"],
    );
}

// --- ds.org.vertical-splits ------------------------------------------------------------

#[test]
fn vertical_splits_are_decided_by_who_is_on_call() {
    expect(
        &oncall(),
        "ds.org.vertical-splits",
        Met,
        None,
        &[
            "team-web owns the code and the workload (no split in CODEOWNERS or labels) and is on call for it (alice, bob)",
            "E-codeowners",
            "oncall:pagerduty:schedule:PS1",
        ],
    );
    let mut i = oncall();
    web_oncall(&mut i)["responders"] = json!(["pagerduty/PU3"]);
    expect(
        &i,
        "ds.org.vertical-splits",
        NotMet,
        None,
        &[
            "team-web owns the code and the workload, but its on-call (web (pagerduty/PWEB)) reaches nobody of the team",
        ],
    );
}

// --- snapshot, and both engines ------------------------------------------------------

/// The criteria an on-call source decides, for web with PagerDuty and GitHub read.
const ONCALL_CRITERIA: &[&str] = &[
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

#[test]
fn rule_outputs_with_oncall_snapshot() {
    let results = evaluate(&evaluator(), &oncall_github());
    let lines: Vec<String> = results
        .iter()
        .filter(|r| ONCALL_CRITERIA.contains(&r.criterion.as_str()))
        .map(|r| {
            format!(
                "{} [{}] {} | evidence: {}",
                r.criterion,
                r.status,
                r.summary,
                r.evidence.join(" ")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn on_call_rules_agree_on_the_compiled_vm_and_the_interpreter() {
    let interpreter = evaluator().with_vm_threshold(usize::MAX);
    let vm = evaluator().with_vm_threshold(0);
    let mut unjoined = oncall();
    oc_unjoined(&mut unjoined, "PU2");
    let mut unrendered = oncall();
    oc_facts(&mut unrendered)["schedules"]["pagerduty/PS2"]["rendered"] = json!(false);
    let mut unread = oncall_github();
    oc_unread(&mut unread, "incidents", "forbidden", false);
    for input in [oncall(), oncall_github(), unjoined, unrendered, unread] {
        let a = evaluate_full(&interpreter, &input).results;
        let b = evaluate_full(&vm, &input).results;
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert_eq!(x, y, "{} / {} differs", x.criterion, x.service);
        }
        assert_eq!(a.scoped, b.scoped, "shared entries differ");
    }
}
