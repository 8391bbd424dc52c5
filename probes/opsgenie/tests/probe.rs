//! The Opsgenie probe against the Opsgenie mock (`evident_oncall_mock::opsgenie`) on
//! 127.0.0.1: a full read asserted field by field, paging, and every fault of the truth
//! matrix, each reported as the part (or the source) it takes, never as empty facts.

use chrono::{DateTime, Duration as Days, SecondsFormat, Utc};
use evident_core::{Probe, ProbeOutput, Redactor, ScanContext, SourceStatus};
use evident_http::Retry;
use evident_oncall::{OncallFacts, email_key};
use evident_oncall_mock::opsgenie::{KEY, OpsgenieApi, OpsgenieModel};
use evident_oncall_mock::{Fault, Faults, MockServer, RouteFault};
use evident_probe_opsgenie::{OpsgenieConfig, OpsgenieProbe};
use std::sync::Arc;
use std::time::Duration;

fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

struct Run {
    out: ProbeOutput,
    facts: OncallFacts,
    server: MockServer,
    requests: usize,
}

fn config(url: &str) -> OpsgenieConfig {
    let mut c = OpsgenieConfig::none();
    c.api_url = Some(url.to_owned());
    c.token = Some(KEY.to_owned());
    c.request_timeout = Duration::from_secs(2);
    c.retry = Retry {
        attempts: 3,
        max_wait: Duration::from_secs(30),
    };
    c
}

async fn run_with(faults: Faults, tune: impl FnOnce(&mut OpsgenieConfig)) -> Run {
    run_full(faults, tune, |_| {}).await
}

async fn run_full(
    faults: Faults,
    tune: impl FnOnce(&mut OpsgenieConfig),
    tune_ctx: impl FnOnce(&mut ScanContext),
) -> Run {
    let t = now();
    let api = OpsgenieApi::new(OpsgenieModel::small(t));
    let server = match MockServer::start(api, faults).await {
        Ok(s) => s,
        Err(e) => panic!("mock starts: {e}"),
    };
    let mut c = config(server.url());
    tune(&mut c);
    let mut ctx = ScanContext::new(vec![], t.to_rfc3339_opts(SecondsFormat::Secs, true));
    ctx.redactor = Arc::new(Redactor::new().with_secret(KEY));
    tune_ctx(&mut ctx);
    let probe = OpsgenieProbe::new(c);
    let out = probe.collect(&ctx).await;
    let facts = match OncallFacts::from_value(&out.facts) {
        Ok(Some(f)) => f,
        other => panic!("facts read back through the typed shape: {other:?}"),
    };
    Run {
        out,
        facts,
        server,
        requests: probe.requests_sent(),
    }
}

async fn run(faults: Faults) -> Run {
    run_with(faults, |_| {}).await
}

fn on(route: &str, fault: Fault) -> Faults {
    Faults {
        routes: vec![RouteFault::new(route, fault)],
        ..Faults::default()
    }
}

fn k(id: &str) -> String {
    format!("opsgenie/{id}")
}

fn keys(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|i| k(i)).collect()
}

impl Run {
    fn status(&self) -> SourceStatus {
        self.out.sources[0].status
    }
    fn part(&self, p: &str) -> SourceStatus {
        self.out.sources[0].parts[p].status
    }
    fn unread(&self, p: &str) -> Option<&evident_oncall::Unread> {
        self.facts.accounts["opsgenie"].unread.get(p)
    }
    fn all_text(&self) -> String {
        let ev = serde_json::to_string(&self.out.evidence).unwrap_or_default();
        let src = serde_json::to_string(&self.out.sources).unwrap_or_default();
        format!("{}\n{ev}\n{src}", self.out.facts)
    }
}

#[tokio::test]
async fn a_small_estate_is_read_field_by_field() {
    let r = run(Faults::default()).await;
    assert_eq!(r.status(), SourceStatus::Ok, "{:?}", r.out.sources);
    let f = &r.facts;
    let acc = &f.accounts["opsgenie"];
    assert_eq!(acc.tool, Some(evident_oncall::Tool::Opsgenie));
    assert_eq!(acc.api, r.server.url());
    assert_eq!(acc.window_days, 90);
    assert_eq!(acc.unread.keys().collect::<Vec<_>>(), ["change_events"]);
    assert_eq!(acc.unread["change_events"].status, "not_available");
    assert!(acc.partial.is_empty(), "{:?}", acc.partial);

    let alice = &f.users[&k("u-alice")];
    assert_eq!(
        (alice.id.as_str(), alice.name.as_str()),
        ("u-alice", "Alice Example")
    );
    assert_eq!(
        alice.email_hash.as_deref(),
        Some(email_key("alice@example.com").as_str())
    );
    assert_eq!(alice.evidence, "oncall:opsgenie:user:u-alice");
    assert_eq!(f.users.len(), 4);

    let web = &f.teams[&k("t-web")];
    assert_eq!((web.name.as_str(), web.members_complete), ("web", true));
    assert_eq!(web.members, keys(&["u-alice", "u-bob"]));
    assert_eq!(f.teams[&k("t-data")].members, keys(&["u-carol"]));

    let s = &f.schedules[&k("s-web")];
    assert_eq!((s.name.as_str(), s.rendered), ("web on call", true));
    assert_eq!(s.teams, keys(&["t-web"]));
    assert_eq!(
        s.participants,
        keys(&["u-alice", "u-bob", "u-dave"]),
        "dave only by override"
    );
    assert_eq!(s.on_call_now, keys(&["u-alice"]));

    let e = &f.escalation_policies[&k("e-web")];
    assert_eq!(e.name, "web escalation");
    assert_eq!(
        (e.users.clone(), e.schedules.clone()),
        (keys(&["u-carol"]), keys(&["s-web"]))
    );
    assert_eq!(e.teams, keys(&["t-data", "t-web"]));

    let checkout = &f.services[&k("svc-checkout")];
    assert_eq!(checkout.name, "checkout");
    assert_eq!(
        (checkout.escalation_policy.clone(), checkout.teams.clone()),
        (None, keys(&["t-web"]))
    );
    assert_eq!(
        (checkout.tags.clone(), checkout.status.clone()),
        (vec!["payments".to_owned()], None)
    );
    assert_eq!(f.services[&k("svc-reports")].teams, keys(&["t-data"]));

    let ids: Vec<&str> = f.incidents.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        ["i-1", "i-2", "i-3"],
        "the incident before the window is not read"
    );
    let i1 = &f.incidents[0];
    assert_eq!(
        (i1.status.as_str(), i1.urgency.as_deref()),
        ("resolved", Some("P2"))
    );
    let created = DateTime::parse_from_rfc3339(&i1.created_at).map(|t| t.with_timezone(&Utc));
    let resolved = i1
        .resolved_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
    match (created, resolved) {
        (Ok(c), Some(r)) => assert_eq!(r.with_timezone(&Utc) - c, Days::hours(3)),
        other => panic!("times parse: {other:?}"),
    }
    assert_eq!(
        f.incidents[1].services,
        keys(&["svc-checkout", "svc-reports"])
    );
    assert_eq!(
        (
            f.incidents[2].status.as_str(),
            f.incidents[2].resolved_at.clone()
        ),
        ("open", None)
    );
    assert!(f.incidents.iter().all(|i| i.acknowledged_at.is_none()));
    assert!(f.change_events.is_empty());

    let report = &r.out.sources[0];
    assert_eq!(report.parts.len(), evident_oncall::PARTS.len());
    assert_eq!(
        report.parts["change_events"].status,
        SourceStatus::NotConfigured
    );
    assert!(
        report
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("updatedAt"))
    );
    for part in [
        "services",
        "escalation_policies",
        "schedules",
        "users",
        "teams",
        "incidents",
    ] {
        assert_eq!(r.part(part), SourceStatus::Ok, "{part}");
    }
    let cited: Vec<&str> = f
        .users
        .values()
        .map(|u| u.evidence.as_str())
        .chain(f.teams.values().map(|t| t.evidence.as_str()))
        .chain(f.schedules.values().map(|s| s.evidence.as_str()))
        .chain(f.services.values().map(|s| s.evidence.as_str()))
        .chain(f.escalation_policies.values().map(|s| s.evidence.as_str()))
        .chain(f.incidents.iter().map(|s| s.evidence.as_str()))
        .collect();
    for id in cited {
        let ev = r.out.evidence.iter().find(|e| e.id == id);
        let Some(ev) = ev else {
            panic!("evidence {id} is recorded")
        };
        assert!(ev.locator.starts_with("GET /"), "{}", ev.locator);
        assert_eq!(ev.sha256.as_deref().map(str::len), Some(64));
    }
    let sched_ev = r
        .out
        .evidence
        .iter()
        .find(|e| e.id == "oncall:opsgenie:schedule:s-web");
    assert!(sched_ev.is_some_and(
        |e| e.locator.starts_with("GET /v2/schedules/s-web/timeline?")
            && e.excerpt.contains("1 override")
    ));
    let text = r.all_text().to_lowercase();
    assert!(!text.contains("@example.com"), "no email in clear");
    let stats = r.server.stats();
    assert_eq!(stats.route("teams.get"), 2);
    assert_eq!(stats.route("schedules.timeline"), 1);
    assert_eq!(stats.total as usize, r.requests);
}

#[tokio::test]
async fn lists_are_read_across_pages() {
    let r = run_with(Faults::default(), |c| c.page_size = 1).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.facts.users.len(), 4);
    assert_eq!(r.facts.services.len(), 2);
    assert_eq!(r.facts.incidents.len(), 3);
    let stats = r.server.stats();
    assert_eq!(
        (
            stats.route("users"),
            stats.route("services"),
            stats.route("incidents")
        ),
        (4, 2, 3)
    );
    assert!(r.facts.accounts["opsgenie"].partial.is_empty());
    let pages: std::collections::BTreeSet<&str> = r
        .out
        .evidence
        .iter()
        .filter(|e| e.id.starts_with("oncall:opsgenie:user:"))
        .map(|e| e.locator.as_str())
        .collect();
    assert_eq!(pages.len(), 4, "each user cites its own page: {pages:?}");
}

#[tokio::test]
async fn a_refused_key_fails_the_source() {
    let t = now();
    let api = OpsgenieApi::new(OpsgenieModel::small(t)).with_keys(&["another-key-0000"]);
    let server = match MockServer::start(api, Faults::default()).await {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut ctx = ScanContext::new(vec![], t.to_rfc3339_opts(SecondsFormat::Secs, true));
    ctx.redactor = Arc::new(Redactor::new().with_secret(KEY));
    let out = OpsgenieProbe::new(config(server.url())).collect(&ctx).await;
    let report = &out.sources[0];
    assert_eq!(report.status, SourceStatus::Forbidden);
    assert!(
        report.detail.as_deref().is_some_and(|d| d.contains("401")),
        "{report:?}"
    );
    let facts = OncallFacts::from_value(&out.facts)
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(facts.users.is_empty() && facts.services.is_empty());
    assert_eq!(
        facts.accounts["opsgenie"].unread["users"].status,
        "forbidden"
    );
    assert_eq!(
        facts.accounts["opsgenie"].unread["incidents"].status,
        "forbidden"
    );
}

#[tokio::test]
async fn a_401_on_any_part_fails_the_source() {
    let r = run(on("incidents", Fault::Status(401))).await;
    assert_eq!(r.status(), SourceStatus::Forbidden);
    assert_eq!(r.part("incidents"), SourceStatus::Forbidden);
    assert_eq!(r.part("services"), SourceStatus::Ok);
    assert_eq!(r.facts.services.len(), 2, "what was read is still there");
    assert!(
        r.unread("incidents")
            .is_some_and(|u| u.detail.contains("/v1/incidents"))
    );
}

#[tokio::test]
async fn a_403_on_timelines_takes_only_the_schedules() {
    let r = run(on("schedules.timeline", Fault::Status(403))).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.part("schedules"), SourceStatus::Forbidden);
    assert_eq!(r.part("services"), SourceStatus::Ok);
    let u = r.unread("schedules");
    assert!(
        u.is_some_and(
            |u| u.status == "forbidden" && u.detail.contains("/v2/schedules/s-web/timeline")
        ),
        "{u:?}"
    );
    let s = &r.facts.schedules[&k("s-web")];
    assert!(!s.rendered && s.participants.is_empty());
    assert_eq!(r.facts.services.len(), 2);
}

#[tokio::test]
async fn a_429_is_waited_for_and_then_read() {
    let faults = Faults {
        routes: vec![
            RouteFault::new(
                "users",
                Fault::RateLimited {
                    retry_after_secs: 0,
                },
            )
            .times(2),
        ],
        ..Faults::default()
    };
    let r = run(faults).await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.facts.users.len(), 4);
    assert_eq!(r.server.stats().route("users"), 3);
}

#[tokio::test]
async fn a_429_that_lasts_is_rate_limited() {
    let r = run(on(
        "incidents",
        Fault::RateLimited {
            retry_after_secs: 0,
        },
    ))
    .await;
    assert_eq!(
        r.status(),
        SourceStatus::Ok,
        "incidents are not needed to read the rest"
    );
    assert_eq!(r.part("incidents"), SourceStatus::RateLimited);
    assert_eq!(
        r.unread("incidents").map(|u| u.status.as_str()),
        Some("rate_limited")
    );
    assert!(r.facts.incidents.is_empty());
    assert_eq!(
        r.server.stats().route("incidents"),
        4,
        "three retries, then reported"
    );
}

#[tokio::test]
async fn a_500_on_services_fails_the_source() {
    let r = run(on("services", Fault::Status(500))).await;
    assert_eq!(r.status(), SourceStatus::Error);
    assert_eq!(r.part("services"), SourceStatus::Error);
    assert!(
        r.out.sources[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("/v1/services"))
    );
    assert_eq!(r.facts.users.len(), 4, "what was read is still there");
}

#[tokio::test]
async fn a_hang_past_the_request_bound_is_a_timeout() {
    let r = run_with(on("escalations", Fault::Hang { ms: 3_000 }), |c| {
        c.request_timeout = Duration::from_millis(300);
    })
    .await;
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.part("escalation_policies"), SourceStatus::Timeout);
    assert_eq!(
        r.unread("escalation_policies").map(|u| u.status.as_str()),
        Some("timeout")
    );
    assert!(r.facts.escalation_policies.is_empty());
}

#[tokio::test]
async fn a_part_past_the_probe_budget_is_a_timeout_and_the_rest_is_kept() {
    let started = std::time::Instant::now();
    let r = run_full(
        on("incidents", Fault::Hang { ms: 10_000 }),
        |c| c.request_timeout = Duration::from_secs(20),
        |ctx| ctx.probe_timeout = Duration::from_millis(1_500),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.status(), SourceStatus::Ok);
    assert_eq!(r.part("incidents"), SourceStatus::Timeout);
    assert!(
        r.unread("incidents")
            .is_some_and(|u| u.detail.contains("budget"))
    );
    assert_eq!(r.facts.services.len(), 2);
    assert!(r.facts.schedules.values().all(|s| s.rendered));
}

#[tokio::test]
async fn html_on_teams_fails_the_source() {
    let r = run(on("teams", Fault::NotJson)).await;
    assert_eq!(r.status(), SourceStatus::Error);
    assert_eq!(r.part("teams"), SourceStatus::Error);
    assert!(
        r.unread("teams")
            .is_some_and(|u| u.detail.contains("did not answer JSON"))
    );
}

#[tokio::test]
async fn a_truncated_incident_page_is_unread() {
    let r = run(on("incidents", Fault::Truncated)).await;
    assert_eq!(r.part("incidents"), SourceStatus::Error);
    assert!(r.facts.incidents.is_empty());
    assert_eq!(r.status(), SourceStatus::Ok);
}

#[tokio::test]
async fn a_wrong_shape_is_unread_not_empty() {
    let r = run(on("escalations", Fault::WrongShape)).await;
    assert_eq!(r.part("escalation_policies"), SourceStatus::Error);
    assert!(
        r.unread("escalation_policies")
            .is_some_and(|u| u.detail.contains("wrong shape"))
    );
    let r = run(on("teams.get", Fault::WrongShape)).await;
    assert_eq!(r.part("teams"), SourceStatus::Error);
    assert_eq!(
        r.status(),
        SourceStatus::Error,
        "no team's members could be read"
    );
    assert!(r.facts.teams.values().all(|t| !t.members_complete));
}

#[tokio::test]
async fn an_error_body_sent_with_200_is_unread() {
    let r = run(on("schedules", Fault::ErrorBody200)).await;
    assert_eq!(r.part("schedules"), SourceStatus::Error);
    assert!(
        r.unread("schedules")
            .is_some_and(|u| u.detail.contains("without data"))
    );
    assert!(r.facts.schedules.is_empty());
    assert_eq!(r.status(), SourceStatus::Ok);
}

#[tokio::test]
async fn endless_paging_stops_and_says_partial() {
    let r = run(on("incidents", Fault::EndlessPages)).await;
    assert_eq!(r.part("incidents"), SourceStatus::Ok);
    assert_eq!(r.facts.incidents.len(), 3, "what was read holds");
    let partial = &r.facts.accounts["opsgenie"].partial;
    assert!(
        partial
            .get("incidents")
            .is_some_and(|p| p.contains("endless")),
        "{partial:?}"
    );
    assert_eq!(r.out.sources[0].parts["incidents"].incomplete.len(), 1);
    assert!(r.server.stats().route("incidents") <= 3);

    let r = run_with(on("users", Fault::EndlessPages), |c| {
        c.page_size = 1;
        c.max_pages = 3;
    })
    .await;
    assert_eq!(r.server.stats().route("users"), 3, "the page bound holds");
    assert_eq!(r.facts.users.len(), 3);
    assert!(
        r.facts.accounts["opsgenie"]
            .partial
            .get("users")
            .is_some_and(|p| p.contains("3 pages"))
    );
    assert_eq!(r.status(), SourceStatus::Ok);
}

#[tokio::test]
async fn a_key_the_server_echoes_never_leaves_the_probe() {
    let faults = Faults {
        echo_canary: true,
        routes: vec![
            RouteFault::new("schedules.timeline", Fault::Status(403)),
            RouteFault::new("incidents", Fault::Status(500)),
        ],
        ..Faults::default()
    };
    let r = run(faults).await;
    let text = r.all_text();
    assert!(
        text.contains("[redacted]"),
        "the echoed key was seen and replaced"
    );
    assert!(
        !text.contains(KEY),
        "the key is nowhere in facts, evidence or sources"
    );
    assert_eq!(r.part("schedules"), SourceStatus::Forbidden);
}

/// The Opsgenie mock behind a change of its answers, for servers that misbehave in ways
/// the generic faults do not: ignoring `offset`, a page shorter than `totalCount` says.
struct Bent {
    inner: OpsgenieApi,
    ignore_offset: bool,
    drop_last_user: bool,
}

impl evident_oncall_mock::Api for Bent {
    fn route(&self, req: &evident_oncall_mock::MockRequest) -> Option<&'static str> {
        self.inner.route(req)
    }
    fn authorized(&self, req: &evident_oncall_mock::MockRequest) -> bool {
        self.inner.authorized(req)
    }
    fn error(
        &self,
        status: u16,
        message: &str,
        req: &evident_oncall_mock::MockRequest,
    ) -> evident_oncall_mock::MockAnswer {
        self.inner.error(status, message, req)
    }
    fn answer(
        &self,
        route: &'static str,
        req: &evident_oncall_mock::MockRequest,
    ) -> evident_oncall_mock::MockAnswer {
        let mut req = req.clone();
        if self.ignore_offset {
            req.query.retain(|(k, _)| k != "offset");
        }
        let mut a = self.inner.answer(route, &req);
        if self.drop_last_user && route == "users" {
            let mut body: serde_json::Value = serde_json::from_slice(&a.body).unwrap_or_default();
            if let Some(data) = body.get_mut("data").and_then(|d| d.as_array_mut()) {
                data.pop();
            }
            a.body = serde_json::to_vec(&body).unwrap_or_default();
        }
        a
    }
}

async fn run_bent(
    ignore_offset: bool,
    drop_last_user: bool,
    page_size: usize,
) -> (OncallFacts, ProbeOutput, MockServer) {
    let t = now();
    let api = Bent {
        inner: OpsgenieApi::new(OpsgenieModel::small(t)),
        ignore_offset,
        drop_last_user,
    };
    let server = match MockServer::start(api, Faults::default()).await {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut c = config(server.url());
    c.page_size = page_size;
    let ctx = ScanContext::new(vec![], t.to_rfc3339_opts(SecondsFormat::Secs, true));
    let out = OpsgenieProbe::new(c).collect(&ctx).await;
    let facts = OncallFacts::from_value(&out.facts)
        .ok()
        .flatten()
        .unwrap_or_default();
    (facts, out, server)
}

#[tokio::test]
async fn a_server_that_ignores_offset_is_stopped_on_the_repeated_page() {
    let (facts, out, server) = run_bent(true, false, 2).await;
    assert_eq!(
        server.stats().route("users"),
        2,
        "the repeated page stops the read"
    );
    assert_eq!(facts.users.len(), 2);
    let partial = &facts.accounts["opsgenie"].partial;
    assert!(
        partial
            .get("users")
            .is_some_and(|p| p.contains("nothing new")),
        "{partial:?}"
    );
    assert_eq!(out.sources[0].parts["users"].incomplete.len(), 1);
    let ids: std::collections::BTreeSet<&str> =
        out.evidence.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), out.evidence.len(), "each object is cited once");
}

#[tokio::test]
async fn a_list_shorter_than_its_total_count_is_partial() {
    let (facts, out, _server) = run_bent(false, true, 100).await;
    assert_eq!(facts.users.len(), 3);
    let partial = &facts.accounts["opsgenie"].partial;
    assert!(
        partial
            .get("users")
            .is_some_and(|p| p.contains("totalCount")),
        "{partial:?}"
    );
    assert_eq!(out.sources[0].status, SourceStatus::Ok);
}
