//! The PagerDuty probe against the PagerDuty mock on 127.0.0.1: a full read checked field
//! by field, paging, and every fault of the truth matrix, each landing on the part it hit.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use evident_core::{Probe, ProbeOutput, ScanContext, SourceStatus};
use evident_oncall::{OncallFacts, email_key};
use evident_oncall_mock::pagerduty::{PagerdutyApi, PagerdutyModel};
use evident_oncall_mock::{Fault, Faults, MockServer, RouteFault};
use evident_probe_pagerduty::{PagerdutyConfig, PagerdutyProbe};
use std::time::Duration as StdDuration;

const NOW: &str = "2026-03-01T12:00:00Z";
const TOKEN: &str = PagerdutyModel::TOKEN;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ago(hours: i64) -> String {
    (now() - Duration::hours(hours)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn k(id: &str) -> String {
    format!("pagerduty/{id}")
}

async fn server(faults: Faults) -> MockServer {
    match MockServer::start(PagerdutyApi::new(PagerdutyModel::small(now())), faults).await {
        Ok(s) => s,
        Err(e) => panic!("mock starts: {e}"),
    }
}

fn config(url: &str, token: &str) -> PagerdutyConfig {
    PagerdutyConfig {
        api_url: Some(url.to_owned()),
        token: Some(token.to_owned()),
        request_timeout: StdDuration::from_secs(5),
        ..PagerdutyConfig::none()
    }
}

struct Run {
    out: ProbeOutput,
    facts: OncallFacts,
    requests: usize,
}

async fn run(config: PagerdutyConfig) -> Run {
    run_at(config, NOW).await
}

/// A run at `observed_at` (the window ends there).
async fn run_at(config: PagerdutyConfig, observed_at: &str) -> Run {
    let probe = PagerdutyProbe::new(config);
    let ctx = ScanContext::new(vec![], observed_at.to_owned());
    let out = probe.collect(&ctx).await;
    let facts = match OncallFacts::from_value(&out.facts) {
        Ok(Some(f)) => f,
        other => panic!("facts read back through the typed shape: {other:?}"),
    };
    Run {
        out,
        facts,
        requests: probe.requests_sent(),
    }
}

async fn run_with(faults: Faults) -> (Run, MockServer) {
    let s = server(faults).await;
    let r = run(config(s.url(), TOKEN)).await;
    (r, s)
}

fn faults(route: &str, fault: Fault) -> Faults {
    Faults {
        routes: vec![RouteFault::new(route, fault)],
        ..Faults::default()
    }
}

impl Run {
    fn status(&self) -> SourceStatus {
        self.out.sources[0].status
    }
    fn part(&self, part: &str) -> SourceStatus {
        self.out.sources[0]
            .parts
            .get(part)
            .map_or(SourceStatus::NotConfigured, |p| p.status)
    }
    fn unread(&self, part: &str) -> Option<(String, String)> {
        self.facts.accounts["pagerduty"]
            .unread
            .get(part)
            .map(|u| (u.status.clone(), u.detail.clone()))
    }
    fn only_unread(&self, part: &str) {
        let unread: Vec<&String> = self.facts.accounts["pagerduty"].unread.keys().collect();
        assert_eq!(unread, [part], "only {part} is unread");
        for p in evident_oncall::PARTS.iter().filter(|p| **p != part) {
            assert_eq!(self.part(p), SourceStatus::Ok, "part {p}");
        }
        assert_eq!(self.status(), SourceStatus::Ok, "the source stands");
    }
}

#[tokio::test]
async fn a_full_read_of_a_small_estate() {
    let (r, s) = run_with(Faults::default()).await;
    let f = &r.facts;
    assert_eq!(r.status(), SourceStatus::Ok, "{:?}", r.out.sources);
    let acct = &f.accounts["pagerduty"];
    assert_eq!((acct.now.as_str(), acct.window_days), (NOW, 90));
    assert_eq!(acct.since, ago(90 * 24));
    assert!(acct.unread.is_empty() && acct.partial.is_empty());
    assert!(
        evident_oncall::PARTS
            .iter()
            .all(|p| r.part(p) == SourceStatus::Ok)
    );

    let svc = &f.services[&k("PSVC1")];
    assert_eq!(
        (svc.id.as_str(), svc.name.as_str(), svc.account.as_str()),
        ("PSVC1", "checkout", "pagerduty")
    );
    assert_eq!(svc.escalation_policy.as_deref(), Some("pagerduty/PEP1"));
    assert_eq!(svc.teams, [k("PT1")]);
    assert_eq!(
        svc.integration_key_hashes,
        [evident_core::sha256_hex(
            b"a1b2c3d4e5f60718293a4b5c6d7e8f90"
        )]
    );
    assert_eq!(svc.status.as_deref(), Some("active"));
    assert_eq!(svc.evidence, "oncall:pagerduty:service:PSVC1");
    let search = &f.services[&k("PSVC2")];
    assert_eq!(
        (search.escalation_policy.clone(), search.status.as_deref()),
        (None, Some("disabled"))
    );
    assert!(search.integration_key_hashes.is_empty() && search.teams.is_empty());

    let ep = &f.escalation_policies[&k("PEP1")];
    assert_eq!(
        (ep.users.clone(), ep.schedules.clone(), ep.teams.clone()),
        (vec![k("PU3")], vec![k("PS1")], vec![k("PT1")])
    );
    assert_eq!(ep.name, "Checkout escalation");

    let sch = &f.schedules[&k("PS1")];
    assert!(sch.rendered);
    assert_eq!(
        sch.participants,
        [k("PU1"), k("PU2"), k("PU3")],
        "the override's PU3 is a participant"
    );
    assert_eq!(sch.on_call_now, [k("PU1")]);
    assert_eq!(sch.teams, [k("PT1")]);

    let alice = &f.users[&k("PU1")];
    assert_eq!(alice.name, "Alice Example");
    assert_eq!(alice.email_hash, Some(email_key("alice@example.com")));
    assert_eq!(f.users.len(), 3);

    let team = &f.teams[&k("PT1")];
    assert_eq!(
        (team.members.clone(), team.members_complete),
        (vec![k("PU1"), k("PU2")], true)
    );

    let ids: Vec<&str> = f.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["PI1", "PI2", "PI3"], "oldest first");
    let (i1, i2, i3) = (&f.incidents[0], &f.incidents[1], &f.incidents[2]);
    assert_eq!(
        (i1.created_at.clone(), i1.resolved_at.clone()),
        (ago(48), Some(ago(46)))
    );
    assert_eq!(
        (i1.status.as_str(), i1.urgency.as_deref()),
        ("resolved", Some("high"))
    );
    assert_eq!(i1.services, [k("PSVC1")]);
    assert_eq!(
        i1.acknowledged_at, None,
        "PagerDuty lists no acknowledgements once resolved"
    );
    assert_eq!(
        (i2.acknowledged_at.clone(), i2.resolved_at.clone()),
        (Some(ago(4)), None)
    );
    assert_eq!(
        (i3.status.as_str(), i3.services.clone()),
        ("triggered", vec![k("PSVC2")])
    );

    assert_eq!(f.change_events.len(), 1);
    let ce = &f.change_events[0];
    assert_eq!(
        (ce.timestamp.clone(), ce.services.clone()),
        (ago(50), vec![k("PSVC1")])
    );

    let ev = r
        .out
        .evidence
        .iter()
        .find(|e| e.id == "oncall:pagerduty:schedule:PS1");
    let Some(ev) = ev else {
        panic!("schedule evidence")
    };
    assert!(
        ev.locator.starts_with("GET /schedules/PS1?since="),
        "{}",
        ev.locator
    );
    assert_eq!(ev.sha256.as_ref().map(String::len), Some(64));
    assert!(ev.excerpt.contains("PU3"), "{}", ev.excerpt);
    for id in [
        &svc.evidence,
        &ep.evidence,
        &alice.evidence,
        &team.evidence,
        &i1.evidence,
        &ce.evidence,
    ] {
        assert!(
            r.out.evidence.iter().any(|e| &e.id == id),
            "evidence {id} exists"
        );
    }
    let mut shown = r.out.facts.clone();
    shown["accounts"]["pagerduty"]["api"] = "http://127.0.0.1:[port]".into();
    insta::assert_json_snapshot!("small_estate_facts", shown);
    let all = format!("{} {:?} {:?}", r.out.facts, r.out.evidence, r.out.sources);
    assert!(!all.contains("example.com"), "no email in clear");
    assert!(!all.contains("a1b2c3d4e5f6"), "no integration key in clear");
    // services, users, policies, teams, 1 member list, schedules, 1 schedule, 9 incident
    // chunks of 10 days, change events.
    assert_eq!(r.requests, 17);
    assert_eq!(s.stats().route("incidents"), 9);
}

#[tokio::test]
async fn offset_paging_reads_every_page_and_a_bound_leaves_the_part_partial() {
    let s = server(Faults::default()).await;
    let mut c = config(s.url(), TOKEN);
    c.page_size = 1;
    let r = run(c.clone()).await;
    assert_eq!(r.facts.users.len(), 3);
    assert_eq!(r.facts.incidents.len(), 3);
    assert_eq!(
        s.stats().route("users"),
        3,
        "one page per user, the last says more: false"
    );
    assert!(r.facts.accounts["pagerduty"].partial.is_empty());

    c.max_pages = 2;
    let r = run(c).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.facts.users.len(), 2);
    let partial = &r.facts.accounts["pagerduty"].partial;
    assert!(
        partial
            .get("users")
            .is_some_and(|p| p.contains("stopped at 2 pages")),
        "{partial:?}"
    );
    assert!(
        r.out.sources[0]
            .incomplete
            .iter()
            .any(|i| i.reason.contains("stopped at 2 pages"))
    );
    assert!(r.out.sources[0].parts["users"].incomplete.len() == 1);
}

#[tokio::test]
async fn a_wrong_token_fails_the_source_as_forbidden() {
    let s = server(Faults::default()).await;
    let r = run(config(s.url(), "not-the-token")).await;
    assert_eq!(r.status(), SourceStatus::Forbidden);
    let detail = r.out.sources[0].detail.clone().unwrap_or_default();
    assert!(detail.contains("401"), "{detail}");
    for p in evident_oncall::PARTS {
        assert!(
            r.unread(p).is_some(),
            "{p} is unread, never empty and complete"
        );
    }
    assert_eq!(
        r.unread("services").map(|u| u.0).as_deref(),
        Some("forbidden")
    );
    assert!(r.facts.services.is_empty());
}

#[tokio::test]
async fn a_403_on_schedules_marks_only_schedules() {
    let (r, _s) = run_with(faults("schedules", Fault::Status(403))).await;
    r.only_unread("schedules");
    assert_eq!(r.part("schedules"), SourceStatus::Forbidden);
    let (status, detail) = r.unread("schedules").unwrap_or_default();
    assert_eq!(status, "forbidden");
    assert!(
        detail.contains("GET /schedules answered HTTP 403"),
        "{detail}"
    );
    assert!(r.facts.schedules.is_empty());
    assert_eq!(r.facts.services.len(), 2);
}

#[tokio::test]
async fn a_429_then_success_is_retried() {
    let f = Faults {
        routes: vec![
            RouteFault::new(
                "services",
                Fault::RateLimited {
                    retry_after_secs: 0,
                },
            )
            .times(2),
        ],
        ..Faults::default()
    };
    let (r, s) = run_with(f).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.facts.services.len(), 2);
    assert_eq!(s.stats().route("services"), 3);
}

#[tokio::test]
async fn a_429_forever_is_rate_limited() {
    let (r, s) = run_with(faults(
        "users",
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    ))
    .await;
    assert_eq!(r.status(), SourceStatus::RateLimited);
    assert_eq!(
        r.unread("users").map(|u| u.0).as_deref(),
        Some("rate_limited")
    );
    assert_eq!(
        s.stats().route("users"),
        4,
        "three retries, then the 429 is the answer"
    );
    assert_eq!(r.facts.services.len(), 2, "what was read is kept");
    assert!(
        r.unread("incidents").is_some(),
        "parts never read are unread"
    );
}

#[tokio::test]
async fn a_500_on_incidents_marks_only_incidents() {
    let (r, _s) = run_with(faults("incidents", Fault::Status(500))).await;
    r.only_unread("incidents");
    assert_eq!(r.unread("incidents").map(|u| u.0).as_deref(), Some("error"));
}

#[tokio::test]
async fn a_hang_beyond_the_request_timeout_is_a_timeout() {
    let s = server(faults("services", Fault::Hang { ms: 5_000 })).await;
    let mut c = config(s.url(), TOKEN);
    c.request_timeout = StdDuration::from_millis(200);
    let r = run(c).await;
    assert_eq!(r.status(), SourceStatus::Timeout);
    assert_eq!(
        r.unread("services").map(|u| u.0).as_deref(),
        Some("timeout")
    );
}

#[tokio::test]
async fn not_json_on_users_fails_the_source() {
    let (r, _s) = run_with(faults("users", Fault::NotJson)).await;
    assert_eq!(r.status(), SourceStatus::Error);
    let (status, detail) = r.unread("users").unwrap_or_default();
    assert_eq!(status, "error");
    assert!(detail.contains("did not answer JSON"), "{detail}");
}

#[tokio::test]
async fn a_truncated_answer_marks_its_part() {
    let (r, _s) = run_with(faults("escalation_policies", Fault::Truncated)).await;
    r.only_unread("escalation_policies");
    assert!(r.facts.escalation_policies.is_empty());
}

#[tokio::test]
async fn a_wrong_shape_marks_its_part() {
    let (r, _s) = run_with(faults("teams", Fault::WrongShape)).await;
    r.only_unread("teams");
    let detail = r.unread("teams").map(|u| u.1).unwrap_or_default();
    assert!(detail.contains("wrong shape"), "{detail}");
    let (r, _s) = run_with(faults("schedules.get", Fault::WrongShape)).await;
    r.only_unread("schedules");
}

#[tokio::test]
async fn an_error_body_on_a_200_marks_its_part() {
    let (r, _s) = run_with(faults("incidents", Fault::ErrorBody200)).await;
    r.only_unread("incidents");
    let detail = r.unread("incidents").map(|u| u.1).unwrap_or_default();
    assert!(detail.contains("HTTP 200 with an error body"), "{detail}");
}

#[tokio::test]
async fn endless_pages_are_bounded_and_partial() {
    let s = server(faults("users", Fault::EndlessPages)).await;
    let mut c = config(s.url(), TOKEN);
    c.page_size = 1;
    let r = run(c).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.facts.users.len(), 3);
    assert!(
        s.stats().route("users") <= 4,
        "stopped at the first page with nothing new"
    );
    let partial = r.facts.accounts["pagerduty"]
        .partial
        .get("users")
        .cloned()
        .unwrap_or_default();
    assert!(partial.contains("does not end"), "{partial}");
    assert!(!r.out.sources[0].incomplete.is_empty());
}

#[tokio::test]
async fn a_404_on_change_events_is_not_available_for_that_part_only() {
    let (r, _s) = run_with(faults("change_events", Fault::Status(404))).await;
    r.only_unread("change_events");
    assert_eq!(
        r.unread("change_events").map(|u| u.0).as_deref(),
        Some("not_available")
    );
    assert!(r.facts.change_events.is_empty());
    let (r, _s) = run_with(faults("change_events", Fault::Status(403))).await;
    r.only_unread("change_events");
    assert_eq!(
        r.unread("change_events").map(|u| u.0).as_deref(),
        Some("forbidden")
    );
}

#[tokio::test]
async fn an_echoed_token_never_leaves_the_probe() {
    let f = Faults {
        echo_canary: true,
        routes: vec![RouteFault::new("schedules", Fault::Status(403))],
        ..Faults::default()
    };
    let (r, _s) = run_with(f).await;
    let facts = r.out.facts.to_string();
    let evidence = format!("{:?}", r.out.evidence);
    let sources = format!("{:?}", r.out.sources);
    for (what, text) in [
        ("facts", &facts),
        ("evidence", &evidence),
        ("sources", &sources),
    ] {
        assert!(!text.contains(TOKEN), "the token leaked into {what}");
        assert!(
            text.contains("[redacted]"),
            "the echo reached {what} and was redacted"
        );
    }
}

#[tokio::test]
async fn a_401_on_a_later_part_fails_the_whole_source() {
    let (r, _s) = run_with(faults("teams.members", Fault::Status(401))).await;
    assert_eq!(r.status(), SourceStatus::Forbidden);
    assert_eq!(r.unread("teams").map(|u| u.0).as_deref(), Some("forbidden"));
    assert_eq!(r.facts.services.len(), 2, "what was read is kept");
    assert_eq!(r.part("services"), SourceStatus::Ok);
}

#[tokio::test]
async fn one_schedule_that_cannot_be_rendered_leaves_the_others_and_the_part_partial() {
    let model = PagerdutyModel::sample(4, 3, 10, 90);
    let f = Faults {
        routes: vec![RouteFault::new("schedules.get", Fault::Status(500)).times(1)],
        ..Faults::default()
    };
    let s = match MockServer::start(PagerdutyApi::new(model), f).await {
        Ok(s) => s,
        Err(e) => panic!("mock starts: {e}"),
    };
    // The sample is built around the real time.
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let r = run_at(config(s.url(), TOKEN), &at).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.part("schedules"), SourceStatus::Ok);
    let rendered: Vec<bool> = r.facts.schedules.values().map(|s| s.rendered).collect();
    assert_eq!(rendered.iter().filter(|r| **r).count(), 2, "{rendered:?}");
    let unrendered = r.facts.schedules.values().find(|s| !s.rendered);
    assert!(unrendered.is_some_and(|s| s.participants.is_empty()));
    let partial = r.facts.accounts["pagerduty"]
        .partial
        .get("schedules")
        .cloned()
        .unwrap_or_default();
    assert!(partial.contains("HTTP 500"), "{partial}");
    assert!(
        r.facts
            .schedules
            .values()
            .filter(|s| s.rendered)
            .all(|s| !s.participants.is_empty())
    );
}

/// Records what a read told the progress bar.
#[derive(Debug, Default)]
struct Recorded(std::sync::Mutex<Vec<(String, String, u64)>>);

impl evident_core::Progress for Recorded {
    fn begin(&self, phase: &str, total: u64) {
        self.push("begin", phase, total);
    }
    fn advance(&self, phase: &str) {
        self.push("advance", phase, 1);
    }
    fn end(&self, phase: &str) {
        self.push("end", phase, 0);
    }
}

impl Recorded {
    fn push(&self, what: &str, phase: &str, n: u64) {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        v.push((what.to_owned(), phase.to_owned(), n));
    }
}

#[tokio::test]
async fn a_read_counts_each_part_on_the_progress_bar_as_it_finishes() {
    let s = server(Faults::default()).await;
    let recorded = std::sync::Arc::new(Recorded::default());
    let mut ctx = ScanContext::new(vec![], NOW.to_owned());
    ctx.progress = recorded.clone();
    let out = PagerdutyProbe::new(config(s.url(), TOKEN))
        .collect(&ctx)
        .await;
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
    let v = recorded.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let total = evident_oncall::PARTS.len() as u64;
    assert_eq!(
        v.first(),
        Some(&("begin".into(), "Reading PagerDuty".into(), total))
    );
    assert_eq!(
        v.last(),
        Some(&("end".into(), "Reading PagerDuty".into(), 0))
    );
    let steps = v.iter().filter(|(w, _, _)| w == "advance").count() as u64;
    assert_eq!(steps, total, "{v:?}");
}
