//! Each part of an Opsgenie account: how it is asked for, and what its answer becomes
//! in [`evident_oncall::OncallFacts`].
//!
//! The reads run concurrently and return what they got ([`Raw`]); the answers are then
//! folded into the facts one part after another ([`apply`]), so the truth rules live in
//! one place ([`crate::build::Build`]).

use crate::build::{Build, key};
use crate::read::{Listing, Read, fan_out, get_data, list_paged};
use crate::wire;
use chrono::{DateTime, SecondsFormat, Utc};
use evident_core::{Progress, counted};
use evident_http::{CallError, JsonClient};
use evident_oncall::{EscalationPolicy, OncallService, OncallTeam, OncallUser, email_key};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The read's bounds and window.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub now: DateTime<Utc>,
    pub since: DateTime<Utc>,
    pub window_days: u32,
    pub page_size: usize,
    pub max_pages: usize,
    /// The per-team and per-schedule reads in flight at once, shared by both.
    pub permits: Arc<Semaphore>,
    /// How long the read may take: a part still reading past it is unread (`timeout`),
    /// so the scan's probe bound never takes the parts already read with it.
    pub budget: Duration,
}

/// A list and the single reads made for each of its objects.
pub(crate) type Fanned<L, G> =
    Result<(Read<Vec<L>>, Vec<(usize, Result<Read<G>, CallError>)>), CallError>;

/// Every answer of one read of the account.
pub(crate) struct Raw {
    pub users: Listing<wire::User>,
    pub teams: Fanned<wire::Team, wire::Team>,
    pub schedules: Fanned<wire::Schedule, wire::ScheduleTimeline>,
    pub escalations: Result<Read<Vec<wire::Escalation>>, CallError>,
    pub services: Listing<wire::Service>,
    pub incidents: Listing<wire::Incident>,
}

/// RFC 3339 UTC, to the second.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time of the API as RFC 3339 UTC, `None` when it does not parse.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The progress phase of a read: one step per list as it finishes.
pub(crate) const PROGRESS: &str = "Reading Opsgenie";

/// The parts [`read_all`] reads, for the progress bar's total.
pub(crate) const LISTS: u64 = 6;

/// Reads every part, the parts at once, each within its bounds and the read's budget.
pub(crate) async fn read_all(client: &JsonClient, plan: &Plan, progress: &dyn Progress) -> Raw {
    let n = plan.page_size;
    let pages = plan.max_pages;
    let users_q = [
        ("sortField", "username".to_owned()),
        ("order", "asc".to_owned()),
    ];
    let incidents_q = [
        (
            "query",
            format!("createdAt>{}", plan.since.timestamp_millis()),
        ),
        ("sort", "createdAt".to_owned()),
        ("order", "asc".to_owned()),
    ];
    let b = plan.budget;
    let users = list_paged(client, "/v2/users", &users_q, n, pages);
    let escalations = get_data::<Vec<wire::Escalation>>(client, "/v2/escalations", &[]);
    let services = list_paged(client, "/v1/services", &[], n, pages);
    let incidents = list_paged(client, "/v1/incidents", &incidents_q, n, pages);
    let p = PROGRESS;
    let (users, teams, schedules, escalations, services, incidents) = tokio::join!(
        counted(progress, p, within(b, "/v2/users", users)),
        counted(
            progress,
            p,
            within(b, "/v2/teams", read_teams(client, plan))
        ),
        counted(
            progress,
            p,
            within(b, "/v2/schedules", read_schedules(client, plan))
        ),
        counted(progress, p, within(b, "/v2/escalations", escalations)),
        counted(progress, p, within(b, "/v1/services", services)),
        counted(progress, p, within(b, "/v1/incidents", incidents)),
    );
    Raw {
        users,
        teams,
        schedules,
        escalations: escalations.map(|(r, _, _)| r),
        services,
        incidents,
    }
}

/// What a part that ran out of the read's budget answers.
trait Late {
    fn late(e: CallError) -> Self;
}

impl<T> Late for Listing<T> {
    fn late(e: CallError) -> Self {
        Listing {
            pages: Vec::new(),
            cut: None,
            error: Some(e),
        }
    }
}

impl<T> Late for Result<T, CallError> {
    fn late(e: CallError) -> Self {
        Err(e)
    }
}

/// `fut`, or a `timeout` failure of `path` when it outlasts `budget`.
async fn within<T: Late>(budget: Duration, path: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(budget, fut).await {
        Ok(v) => v,
        Err(_) => T::late(CallError::answer(
            evident_core::SourceStatus::Timeout,
            format!(
                "reading {path} did not finish within the probe's budget of {} s",
                budget.as_secs_f32()
            ),
        )),
    }
}

/// `/v2/teams`, then `/v2/teams/{id}?identifierType=id` of each (the list holds no
/// members).
async fn read_teams(client: &JsonClient, plan: &Plan) -> Fanned<wire::Team, wire::Team> {
    let (list, _, _) = get_data::<Vec<wire::Team>>(client, "/v2/teams", &[]).await?;
    let ids: Vec<Option<String>> = list.data.iter().map(|t| t.id.clone()).collect();
    let got = fan_out(ids, &plan.permits, |id| {
        let client = client.clone();
        async move {
            let id = id.ok_or_else(no_id)?;
            let path = format!("/v2/teams/{id}");
            get_data::<wire::Team>(&client, &path, &[("identifierType", "id".to_owned())])
                .await
                .map(|(r, _, _)| r)
        }
    })
    .await;
    Ok((list, got))
}

/// An object listed without an id is not asked for (it is reported as skipped).
fn no_id() -> CallError {
    CallError::answer(
        evident_core::SourceStatus::Error,
        "listed without an id; not asked for",
    )
}

/// The timeline query of a schedule: from the window's start, one day past its end, so
/// the period covering the scan's time is in it.
pub(crate) fn timeline_query(plan: &Plan) -> Vec<(&'static str, String)> {
    vec![
        ("identifierType", "id".to_owned()),
        ("date", rfc3339(plan.since)),
        ("interval", (plan.window_days + 1).to_string()),
        ("intervalUnit", "days".to_owned()),
    ]
}

/// `/v2/schedules?expand=rotation`, then each schedule's `/timeline` over the window.
async fn read_schedules(
    client: &JsonClient,
    plan: &Plan,
) -> Fanned<wire::Schedule, wire::ScheduleTimeline> {
    let q = [("expand", "rotation".to_owned())];
    let (list, _, _) = get_data::<Vec<wire::Schedule>>(client, "/v2/schedules", &q).await?;
    let ids: Vec<Option<String>> = list.data.iter().map(|s| s.id.clone()).collect();
    let query = timeline_query(plan);
    let got = fan_out(ids, &plan.permits, |id| {
        let client = client.clone();
        let query = query.clone();
        async move {
            let id = id.ok_or_else(no_id)?;
            let path = format!("/v2/schedules/{id}/timeline");
            get_data::<wire::ScheduleTimeline>(&client, &path, &query)
                .await
                .map(|(r, _, _)| r)
        }
    })
    .await;
    Ok((list, got))
}

/// Folds every answer into the facts.
pub(crate) fn apply(b: &mut Build<'_>, raw: Raw, plan: &Plan) {
    apply_users(b, raw.users);
    apply_teams(b, raw.teams);
    crate::schedules::apply_schedules(b, raw.schedules, plan);
    apply_escalations(b, raw.escalations);
    apply_services(b, raw.services);
    crate::incidents::apply_incidents(b, raw.incidents, plan);
}

/// The end of a paged list: its failure, its cut, and the objects it skipped.
pub(crate) fn close_listing<T>(
    b: &mut Build<'_>,
    part: &str,
    path: &str,
    listing: &Listing<T>,
    skipped: usize,
) {
    if let Some(e) = &listing.error {
        b.fail(part, e);
    }
    if let Some(cut) = &listing.cut {
        b.cut(part, path, cut);
    }
    if skipped > 0 {
        b.cut(
            part,
            path,
            &format!("{skipped} object(s) without an id, a name or a creation time were not read"),
        );
    }
}

fn apply_users(b: &mut Build<'_>, listing: Listing<wire::User>) {
    let mut skipped = 0;
    for page in &listing.pages {
        for u in &page.data {
            let (Some(id), Some(name)) = (u.id.as_deref(), u.full_name.as_deref()) else {
                skipped += 1;
                continue;
            };
            let excerpt = format!("user {id}: {name:?}");
            let evidence = b.evidence("user", id, &page.locator, &page.sha256, &excerpt);
            let k = key(id);
            b.facts.users.insert(
                k.clone(),
                OncallUser {
                    key: k,
                    account: crate::ACCOUNT.to_owned(),
                    id: id.to_owned(),
                    name: name.to_owned(),
                    email_hash: u
                        .username
                        .as_deref()
                        .filter(|e| !e.trim().is_empty())
                        .map(email_key),
                    evidence,
                },
            );
        }
    }
    close_listing(b, "users", "/v2/users", &listing, skipped);
}

fn apply_teams(b: &mut Build<'_>, teams: Fanned<wire::Team, wire::Team>) {
    let (list, got) = match teams {
        Ok(t) => t,
        Err(e) => return b.fail("teams", &e),
    };
    let mut answers: Vec<Option<Result<Read<wire::Team>, CallError>>> =
        list.data.iter().map(|_| None).collect();
    for (i, r) in got {
        if let Some(slot) = answers.get_mut(i) {
            *slot = Some(r);
        }
    }
    let mut failures: Vec<(String, CallError)> = Vec::new();
    let mut skipped = 0;
    for (t, answer) in list.data.iter().zip(answers) {
        let (Some(id), Some(name)) = (t.id.as_deref(), t.name.as_deref()) else {
            skipped += 1;
            continue;
        };
        let path = format!("/v2/teams/{id}");
        let (members, complete, evidence) = match answer {
            Some(Ok(read)) => {
                let (members, cut) = members_of(&read.data);
                let excerpt = format!(
                    "team {id} {name:?}: {} member(s): {}",
                    members.len(),
                    members.join(", ")
                );
                let ev = b.evidence("team", id, &read.locator, &read.sha256, &excerpt);
                if cut > 0 {
                    b.cut(
                        "teams",
                        &path,
                        &format!("{cut} member(s) without a user id not read"),
                    );
                }
                (members, cut == 0, ev)
            }
            other => {
                let e = other.and_then(Result::err).unwrap_or_else(|| {
                    CallError::answer(
                        evident_core::SourceStatus::Error,
                        format!("GET {path} ended without an answer"),
                    )
                });
                failures.push((path.clone(), e));
                let excerpt = format!("team {id} {name:?} (members not read)");
                let ev = b.evidence("team", id, &list.locator, &list.sha256, &excerpt);
                (Vec::new(), false, ev)
            }
        };
        let k = key(id);
        b.facts.teams.insert(
            k.clone(),
            OncallTeam {
                key: k,
                account: crate::ACCOUNT.to_owned(),
                id: id.to_owned(),
                name: name.to_owned(),
                members,
                members_complete: complete,
                evidence,
            },
        );
    }
    let total = list.data.len() - skipped;
    close_fan_out(b, "teams", total, failures);
    if skipped > 0 {
        b.cut(
            "teams",
            "/v2/teams",
            &format!("{skipped} team(s) without an id or a name were not read"),
        );
    }
}

/// Member user keys of a team answer, sorted, and how many members had no user id.
fn members_of(team: &wire::Team) -> (Vec<String>, usize) {
    let mut cut = 0;
    let mut members: Vec<String> = Vec::new();
    for m in team.members.iter().flatten() {
        match m.user.as_ref().and_then(|u| u.id.as_deref()) {
            Some(id) => members.push(key(id)),
            None => cut += 1,
        }
    }
    members.sort();
    members.dedup();
    (members, cut)
}

/// The failures of the single reads of a part: all of them (or a refused key) fail the
/// part with the first failure; some of them make it partial, one entry each.
pub(crate) fn close_fan_out(
    b: &mut Build<'_>,
    part: &str,
    total: usize,
    failures: Vec<(String, CallError)>,
) {
    if failures.is_empty() {
        return;
    }
    if failures.len() >= total {
        let n = failures.len();
        if let Some((_, e)) = failures.into_iter().next() {
            let detail = b
                .ctx
                .redactor
                .redact(&format!("none of {n} read; the first: {e}"));
            b.fail_with(part, e.status(), detail, e.http_code() == Some(401));
        }
        return;
    }
    for (path, e) in failures {
        if e.http_code() == Some(401) {
            b.fail(part, &e);
        }
        b.cut(part, &path, &e.to_string());
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn apply_escalations(
    b: &mut Build<'_>,
    escalations: Result<Read<Vec<wire::Escalation>>, CallError>,
) {
    let read = match escalations {
        Ok(r) => r,
        Err(e) => return b.fail("escalation_policies", &e),
    };
    let mut skipped = 0;
    for e in &read.data {
        // `rules` and each rule's `recipient` (with its id) are required by the
        // description: an escalation missing them is not one that pages nobody, it is
        // unread, and the part is partial.
        let recipients: Option<Vec<&wire::Recipient>> = e.rules.as_ref().and_then(|rules| {
            rules
                .iter()
                .map(|r| r.recipient.as_ref().filter(|r| r.id.is_some()))
                .collect()
        });
        let (Some(id), Some(name), Some(recipients)) =
            (e.id.as_deref(), e.name.as_deref(), recipients)
        else {
            skipped += 1;
            continue;
        };
        let (mut users, mut schedules, mut teams) = (Vec::new(), Vec::new(), Vec::new());
        for r in recipients {
            let Some(rid) = r.id.as_deref() else { continue };
            match r.kind.as_deref() {
                Some("user") => users.push(key(rid)),
                Some("schedule") => schedules.push(key(rid)),
                Some("team") => teams.push(key(rid)),
                _ => {}
            }
        }
        teams.extend(e.owner_team.as_ref().and_then(|t| t.id.as_deref()).map(key));
        let (users, schedules, teams) = (sorted(users), sorted(schedules), sorted(teams));
        let excerpt = format!(
            "escalation {id} {name:?}: users [{}], schedules [{}], teams [{}]",
            users.join(", "),
            schedules.join(", "),
            teams.join(", ")
        );
        let evidence = b.evidence("escalation", id, &read.locator, &read.sha256, &excerpt);
        let k = key(id);
        b.facts.escalation_policies.insert(
            k.clone(),
            EscalationPolicy {
                key: k,
                account: crate::ACCOUNT.to_owned(),
                id: id.to_owned(),
                name: name.to_owned(),
                users,
                schedules,
                teams,
                evidence,
            },
        );
    }
    if skipped > 0 {
        b.cut(
            "escalation_policies",
            "/v2/escalations",
            &format!(
                "{skipped} escalation(s) without an id, a name, rules or a recipient in every rule were not read"
            ),
        );
    }
}

/// Services of the Service API. Opsgenie routes a service's alerts through its team, so
/// `escalation_policy` is null and the team is in `teams`.
fn apply_services(b: &mut Build<'_>, listing: Listing<wire::Service>) {
    let mut skipped = 0;
    for page in &listing.pages {
        for s in &page.data {
            let (Some(id), Some(name)) = (s.id.as_deref(), s.name.as_deref()) else {
                skipped += 1;
                continue;
            };
            let teams: Vec<String> = s
                .team_id
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(key)
                .into_iter()
                .collect();
            let tags = s.tags.clone().unwrap_or_default();
            let excerpt = format!(
                "service {id} {name:?}: team [{}], tags [{}]",
                teams.join(", "),
                tags.join(", ")
            );
            let evidence = b.evidence("service", id, &page.locator, &page.sha256, &excerpt);
            let k = key(id);
            b.facts.services.insert(
                k.clone(),
                OncallService {
                    key: k,
                    account: crate::ACCOUNT.to_owned(),
                    id: id.to_owned(),
                    name: name.to_owned(),
                    escalation_policy: None,
                    teams,
                    integration_key_hashes: Vec::new(),
                    tags,
                    status: None,
                    evidence,
                },
            );
        }
    }
    close_listing(b, "services", "/v1/services", &listing, skipped);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print_in_utc() {
        let t = parse_time("2026-11-23T12:00:00.123+02:00");
        assert_eq!(t.map(rfc3339).as_deref(), Some("2026-11-23T10:00:00Z"));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn an_escalation_without_its_required_rules_is_unread_not_one_paging_nobody() {
        let ctx = evident_core::ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
        let mut b = Build::new(&ctx, "https://api.opsgenie.com".into(), Default::default());
        let data: Vec<wire::Escalation> = serde_json::from_value(serde_json::json!([
            {"id": "e1", "name": "paged", "rules": [{"recipient": {"type": "user", "id": "u1"}}]},
            {"id": "e2", "name": "no rules"},
            {"id": "e3", "name": "a rule without a recipient", "rules": [{"delay": {}}]}
        ]))
        .unwrap_or_default();
        assert_eq!(data.len(), 3);
        let read = Read {
            data,
            locator: "GET /v2/escalations".into(),
            sha256: String::new(),
        };
        apply_escalations(&mut b, Ok(read));
        assert_eq!(b.facts.escalation_policies.len(), 1);
        assert_eq!(
            b.facts.escalation_policies[&key("e1")].users,
            vec![key("u1")]
        );
        let partial = b
            .facts
            .accounts
            .values()
            .filter_map(|a| a.partial.get("escalation_policies"))
            .next();
        assert!(
            partial.is_some_and(|p| p.contains("2 escalation(s)")),
            "{partial:?}"
        );
    }

    #[test]
    fn members_without_a_user_id_are_counted() {
        let team: wire::Team = serde_json::from_value(serde_json::json!({
            "id": "t", "name": "n",
            "members": [{"user": {"id": "b", "username": "b@x"}}, {"user": {"id": "a"}}, {"role": "user"}]
        }))
        .unwrap_or_default();
        assert_eq!(
            members_of(&team),
            (vec!["opsgenie/a".to_owned(), "opsgenie/b".to_owned()], 1)
        );
    }
}
