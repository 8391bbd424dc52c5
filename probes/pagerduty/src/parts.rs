//! One reader per part of the account (see [`evident_oncall::PARTS`]): each lists what it
//! needs, turns every item into a fact and an evidence record, and reports what failed
//! or was cut, so the caller can mark exactly that part.

use crate::list::{Listed, PageRef, list, locator};
use crate::read::{PartOut, Reader, ts, utc};
use crate::wire;
use chrono::Duration;
use evident_core::{Evidence, SourceStatus, UnreadItem};
use evident_http::CallError;
use evident_oncall::{
    ChangeEvent, EscalationPolicy, Incident, OncallService, OncallTeam, OncallUser, Schedule,
    email_key,
};
use std::collections::BTreeSet;
use tokio::task::JoinSet;

/// PagerDuty caps the `since`..`until` range of `/incidents`, so the window is read in
/// chunks; 10 days rather than the 30 the cap would allow, because offset paging is
/// sequential within a chunk: nine chunks of a 90-day window page side by side (a busy
/// account's read takes a third of the time), and each chunk has its own page bound and
/// PagerDuty's 10,000-offset ceiling, so a busy account is cut later, if at all.
pub(crate) const CHUNK_DAYS: i64 = 10;

/// A list's items as facts of `part`, its bound and failure carried over.
fn from_list<I, T>(
    r: &Reader,
    part: &'static str,
    listed: Listed<I>,
    f: impl Fn(&Reader, I, &PageRef) -> (T, Evidence),
) -> PartOut<T> {
    let mut out = PartOut::new(part);
    for (item, page) in listed.items {
        let (fact, ev) = f(r, item, &page);
        out.items.push(fact);
        out.evidence.push(ev);
    }
    if let Some(reason) = listed.partial {
        out.partial.push(UnreadItem::new(part, reason));
    }
    out.error = listed.error;
    out
}

fn keys(r: &Reader, refs: &[wire::Ref]) -> Vec<String> {
    let set: BTreeSet<String> = refs.iter().map(|x| r.key(&x.id)).collect();
    set.into_iter().collect()
}

/// `/services?include[]=integrations`: integration keys kept only as hashes.
pub(crate) async fn services(r: &Reader) -> PartOut<OncallService> {
    let q = [("include[]", "integrations".to_owned())];
    let listed = list::<wire::ServicesPage>(&r.client, "/services", &q, r.paging).await;
    from_list(r, "services", listed, |r, s, page| {
        let name = s.name.or(s.summary).unwrap_or_default();
        let hashes: BTreeSet<String> = s
            .integrations
            .iter()
            .filter_map(|i| i.integration_key.as_deref())
            .filter(|k| !k.trim().is_empty())
            .map(|k| evident_core::sha256_hex(k.trim().as_bytes()))
            .collect();
        let policy = s.escalation_policy.as_ref().map(|p| r.key(&p.id));
        let teams = keys(r, &s.teams);
        let excerpt = format!(
            "service {name:?} ({}): status {}, escalation policy {}, teams [{}], {} integration key(s)",
            s.id,
            s.status.as_deref().unwrap_or("-"),
            s.escalation_policy
                .as_ref()
                .map_or("none", |p| p.id.as_str()),
            s.teams
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            hashes.len()
        );
        let ev = r.evidence("service", &s.id, page, &excerpt);
        let fact = OncallService {
            key: r.key(&s.id),
            account: crate::read::ACCOUNT.into(),
            id: s.id,
            name,
            escalation_policy: policy,
            teams,
            integration_key_hashes: hashes.into_iter().collect(),
            tags: Vec::new(),
            status: s.status,
            evidence: ev.id.clone(),
        };
        (fact, ev)
    })
}

/// `/users`: emails kept only as [`email_key`].
pub(crate) async fn users(r: &Reader) -> PartOut<OncallUser> {
    let listed = list::<wire::UsersPage>(&r.client, "/users", &[], r.paging).await;
    from_list(r, "users", listed, |r, u, page| {
        let name = u.name.unwrap_or_default();
        let ev = r.evidence("user", &u.id, page, &format!("user {name:?} ({})", u.id));
        let fact = OncallUser {
            key: r.key(&u.id),
            account: crate::read::ACCOUNT.into(),
            email_hash: u
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(email_key),
            id: u.id,
            name,
            evidence: ev.id.clone(),
        };
        (fact, ev)
    })
}

/// `/escalation_policies`: the users and schedules its rules page, its teams.
pub(crate) async fn policies(r: &Reader) -> PartOut<EscalationPolicy> {
    let listed = list::<wire::PoliciesPage>(&r.client, "/escalation_policies", &[], r.paging).await;
    from_list(r, "escalation_policies", listed, |r, p, page| {
        let name = p.name.unwrap_or_default();
        let mut users = BTreeSet::new();
        let mut schedules = BTreeSet::new();
        let mut rules = Vec::new();
        for (i, rule) in p.escalation_rules.iter().enumerate() {
            let mut said = Vec::new();
            for t in &rule.targets {
                match t.kind.as_deref() {
                    Some("user" | "user_reference") => {
                        users.insert(r.key(&t.id));
                        said.push(format!("user {}", t.id));
                    }
                    Some("schedule" | "schedule_reference" | "schedule_v3_reference") => {
                        schedules.insert(r.key(&t.id));
                        said.push(format!("schedule {}", t.id));
                    }
                    other => said.push(format!("{} {}", other.unwrap_or("target"), t.id)),
                }
            }
            rules.push(format!("rule {} -> {}", i + 1, said.join(", ")));
        }
        let excerpt = format!(
            "escalation policy {name:?} ({}): {}",
            p.id,
            rules.join("; ")
        );
        let ev = r.evidence("escalation_policy", &p.id, page, &excerpt);
        let fact = EscalationPolicy {
            key: r.key(&p.id),
            account: crate::read::ACCOUNT.into(),
            teams: keys(r, &p.teams),
            id: p.id,
            name,
            users: users.into_iter().collect(),
            schedules: schedules.into_iter().collect(),
            evidence: ev.id.clone(),
        };
        (fact, ev)
    })
}

/// `/change_events?since=&until=`: a 403 or 404 here is the account's plan, and marks only
/// this part (forbidden / not_available).
pub(crate) async fn change_events(r: &Reader) -> PartOut<ChangeEvent> {
    let q = [("since", ts(r.since)), ("until", ts(r.now))];
    let listed = list::<wire::ChangeEventsPage>(&r.client, "/change_events", &q, r.paging).await;
    let mut out = from_list(r, "change_events", listed, |r, c, page| {
        let services: Vec<&str> = c.services.iter().map(|s| s.id.as_str()).collect();
        let excerpt = format!(
            "change event {} on [{}] at {}: {:?}",
            c.id,
            services.join(", "),
            c.timestamp,
            c.summary.as_deref().unwrap_or("")
        );
        let ev = r.evidence("change_event", &c.id, page, &excerpt);
        let fact = ChangeEvent {
            key: r.key(&c.id),
            account: crate::read::ACCOUNT.into(),
            services: keys(r, &c.services),
            timestamp: utc(&c.timestamp),
            id: c.id,
            evidence: ev.id.clone(),
        };
        (fact, ev)
    });
    if out.error.as_ref().and_then(CallError::http_code) == Some(404) {
        out.unread_status = Some("not_available");
    }
    out
}

/// The window in chunks of at most [`CHUNK_DAYS`], oldest first.
pub(crate) fn chunks(r: &Reader) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut start = r.since;
    while start < r.now {
        let end = (start + Duration::days(CHUNK_DAYS)).min(r.now);
        out.push((ts(start), ts(end)));
        start = end;
    }
    out
}

/// `/incidents` over the window, chunk by chunk, every status; deduplicated and sorted
/// oldest first. The chunks (four for the default 90 days) are read side by side; each
/// is one paged list, so they take none of the detail fetches' permits.
pub(crate) async fn incidents(r: &Reader) -> PartOut<Incident> {
    let mut set = JoinSet::new();
    for (i, (since, until)) in chunks(r).into_iter().enumerate() {
        let r = r.clone();
        set.spawn(async move {
            let q = [
                ("since", since),
                ("until", until),
                ("statuses[]", "triggered".to_owned()),
                ("statuses[]", "acknowledged".to_owned()),
                ("statuses[]", "resolved".to_owned()),
                ("time_zone", "UTC".to_owned()),
            ];
            (
                i,
                list::<wire::IncidentsPage>(&r.client, "/incidents", &q, r.paging).await,
            )
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(done) => results.push(done),
            Err(_) => results.push((usize::MAX, failed_chunk())),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let mut out = PartOut::new("incidents");
    let mut seen = BTreeSet::new();
    for (_, listed) in results {
        let part = from_list(r, "incidents", listed, incident_of);
        for (fact, ev) in part.items.into_iter().zip(part.evidence) {
            if seen.insert(fact.id.clone()) {
                out.items.push(fact);
                out.evidence.push(ev);
            }
        }
        out.partial.extend(part.partial);
        if out.error.is_none() {
            out.error = part.error;
        }
    }
    out.items
        .sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    out
}

fn failed_chunk() -> Listed<wire::Incident> {
    Listed {
        items: Vec::new(),
        partial: None,
        error: Some(CallError::answer(
            SourceStatus::Error,
            "GET /incidents: a chunk's read stopped unexpectedly",
        )),
    }
}

/// One incident. `resolved_at` is PagerDuty's field; when an answer lacks it, a resolved
/// incident's `last_status_change_at` stands in (its last change is the resolution).
/// `acknowledged_at` is the earliest of `acknowledgements`, which PagerDuty lists only
/// while the incident is acknowledged: for resolved incidents it is null (unknown).
fn incident_of(r: &Reader, i: wire::Incident, page: &PageRef) -> (Incident, Evidence) {
    let resolved_at = i.resolved_at.as_deref().map(utc).or_else(|| {
        (i.status == "resolved")
            .then(|| i.last_status_change_at.as_deref().map(utc))
            .flatten()
    });
    let acknowledged_at = i.acknowledgements.iter().map(|a| utc(&a.at)).min();
    let service = i.service.as_ref().map(|s| s.id.as_str()).unwrap_or("-");
    let excerpt = format!(
        "incident {} on {service}: created {}, status {}, urgency {}, acknowledged {}, resolved {}",
        i.id,
        i.created_at,
        i.status,
        i.urgency.as_deref().unwrap_or("-"),
        acknowledged_at.as_deref().unwrap_or("-"),
        resolved_at.as_deref().unwrap_or("-"),
    );
    let ev = r.evidence("incident", &i.id, page, &excerpt);
    let fact = Incident {
        key: r.key(&i.id),
        account: crate::read::ACCOUNT.into(),
        services: i.service.iter().map(|s| r.key(&s.id)).collect(),
        created_at: utc(&i.created_at),
        acknowledged_at,
        resolved_at,
        status: i.status,
        urgency: i.urgency,
        id: i.id,
        evidence: ev.id.clone(),
    };
    (fact, ev)
}

/// `/teams`, then each team's `/teams/{id}/members` (within the reader's permits). A team
/// whose members could not be read in full keeps `members_complete: false` and is listed
/// as partial; a 401 on members is the part's failure.
pub(crate) async fn teams(r: &Reader) -> PartOut<OncallTeam> {
    let listed = list::<wire::TeamsPage>(&r.client, "/teams", &[], r.paging).await;
    let mut out = from_list(r, "teams", listed, |r, t, page| {
        let name = t.name.unwrap_or_default();
        let ev = r.evidence("team", &t.id, page, &format!("team {name:?} ({})", t.id));
        let fact = OncallTeam {
            key: r.key(&t.id),
            account: crate::read::ACCOUNT.into(),
            id: t.id,
            name,
            members: Vec::new(),
            members_complete: false,
            evidence: ev.id.clone(),
        };
        (fact, ev)
    });
    let mut set = JoinSet::new();
    for (i, team) in out.items.iter().enumerate() {
        let r = r.clone();
        let path = format!("/teams/{}/members", team.id);
        set.spawn(async move {
            let _permit = r.permits.clone().acquire_owned().await;
            (
                i,
                list::<wire::MembersPage>(&r.client, &path, &[], r.paging).await,
                path,
            )
        });
    }
    while let Some(joined) = set.join_next().await {
        let Ok((i, listed, path)) = joined else {
            continue;
        };
        let Some(team) = out.items.get_mut(i) else {
            continue;
        };
        let members: BTreeSet<String> = listed
            .items
            .iter()
            .map(|(m, _)| r.key(&m.user.id))
            .collect();
        team.members = members.into_iter().collect();
        team.members_complete = listed.partial.is_none() && listed.error.is_none();
        if let Some(ev) = out.evidence.get_mut(i) {
            // The members are the point of a team record: cite the GET that lists them.
            if let Some((_, page)) = listed.items.first() {
                ev.locator = page.locator.clone();
                ev.sha256 = Some(page.sha256.clone());
            }
            let more = if team.members_complete { "" } else { " (cut)" };
            let excerpt = format!("{}: {} member(s){more}", ev.excerpt, team.members.len());
            ev.excerpt = r.redactor.redact(&excerpt);
        }
        if let Some(reason) = listed.partial {
            out.partial.push(UnreadItem::new(path.clone(), reason));
        }
        if let Some(e) = listed.error {
            if e.http_code() == Some(401) && out.error.is_none() {
                out.error = Some(e);
            } else {
                out.partial
                    .push(UnreadItem::new(path, r.redactor.redact(&e.to_string())));
            }
        }
    }
    out
}

/// `/schedules`, then each one's `/schedules/{id}?since=&until=` (within the reader's
/// permits): participants from the rendered final schedule, on call now from the entry
/// covering the scan's time.
pub(crate) async fn schedules(r: &Reader) -> PartOut<Schedule> {
    let listed = list::<wire::SchedulesPage>(&r.client, "/schedules", &[], r.paging).await;
    let mut out = from_list(r, "schedules", listed, |r, s, page| {
        let name = s.name.unwrap_or_default();
        let ev = r.evidence(
            "schedule",
            &s.id,
            page,
            &format!("schedule {name:?} ({}): not rendered", s.id),
        );
        let fact = Schedule {
            key: r.key(&s.id),
            account: crate::read::ACCOUNT.into(),
            teams: keys(r, &s.teams),
            id: s.id,
            name,
            participants: Vec::new(),
            on_call_now: Vec::new(),
            rendered: false,
            evidence: ev.id.clone(),
        };
        (fact, ev)
    });
    let mut set = JoinSet::new();
    for (i, s) in out.items.iter().enumerate() {
        let r = r.clone();
        let id = s.id.clone();
        set.spawn(async move {
            let _permit = r.permits.clone().acquire_owned().await;
            let rendered = render(&r, &id).await;
            (i, id, rendered)
        });
    }
    let mut failures: Vec<(String, CallError)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        let Ok((i, id, rendered)) = joined else {
            continue;
        };
        let (Some(s), Some(ev)) = (out.items.get_mut(i), out.evidence.get_mut(i)) else {
            continue;
        };
        match rendered {
            Ok(x) => {
                s.participants = x.participants;
                s.on_call_now = x.on_call_now;
                s.rendered = true;
                *ev = r.evidence(
                    "schedule",
                    &s.id,
                    &x.page,
                    &format!(
                        "schedule {:?} ({}), final schedule: {}",
                        s.name, s.id, x.excerpt
                    ),
                );
            }
            Err(e) => failures.push((id, e)),
        }
    }
    detail_failures(r, &mut out, failures);
    out
}

/// A schedule detail that failed: a 401, or every detail failing, fails the part;
/// otherwise each is listed as partial (its schedule stays `rendered: false`).
fn detail_failures(r: &Reader, out: &mut PartOut<Schedule>, failures: Vec<(String, CallError)>) {
    let all = !out.items.is_empty() && failures.len() == out.items.len();
    for (id, e) in failures {
        let fatal = e.http_code() == Some(401) || all;
        if fatal && out.error.is_none() {
            out.error = Some(e);
        } else if !fatal {
            out.partial.push(UnreadItem::new(
                format!("/schedules/{id}"),
                r.redactor.redact(&e.to_string()),
            ));
        }
    }
}

/// A schedule's rendered final layer, reduced.
struct Rendered {
    participants: Vec<String>,
    on_call_now: Vec<String>,
    page: PageRef,
    excerpt: String,
}

async fn render(r: &Reader, id: &str) -> Result<Rendered, CallError> {
    let path = format!("/schedules/{id}");
    let q = [
        ("since", ts(r.since)),
        ("until", ts(r.now)),
        ("time_zone", "UTC".to_owned()),
    ];
    let answer = r
        .client
        .get_typed::<wire::ScheduleOrError>(&path, &q)
        .await?;
    let page = PageRef {
        locator: locator(&path, &q),
        sha256: answer.sha256,
    };
    let value = answer.value;
    if let Some(e) = value.error.as_ref() {
        let message = wire::error_message(e);
        return Err(CallError::answer(
            SourceStatus::Error,
            format!("GET {path} answered HTTP 200 with an error body: {message}"),
        ));
    }
    let entries = value
        .schedule
        .and_then(|s| s.final_schedule)
        .and_then(|f| f.rendered_schedule_entries)
        .ok_or_else(|| CallError::Shape {
            path: path.clone(),
            reason: "no final_schedule.rendered_schedule_entries in the answer".into(),
        })?;
    Ok(reduce_entries(r, entries, page))
}

fn reduce_entries(r: &Reader, entries: Vec<wire::Entry>, page: PageRef) -> Rendered {
    let mut participants = BTreeSet::new();
    let mut now = BTreeSet::new();
    let mut said = Vec::new();
    for e in &entries {
        let Some(user) = &e.user else { continue };
        let (start, end) = (
            crate::read::parse_time(&e.start),
            crate::read::parse_time(&e.end),
        );
        let in_window = match (start, end) {
            (Some(s), Some(t)) => t > r.since && s < r.now,
            _ => true,
        };
        if !in_window {
            continue;
        }
        participants.insert(r.key(&user.id));
        if let (Some(s), Some(t)) = (start, end)
            && s <= r.now
            && t >= r.now
        {
            now.insert(r.key(&user.id));
        }
        if said.len() < 12 {
            said.push(format!("{} {}..{}", user.id, utc(&e.start), utc(&e.end)));
        }
    }
    let more = entries.len().saturating_sub(said.len());
    let mut excerpt = said.join("; ");
    if more > 0 {
        excerpt.push_str(&format!("; and {more} more entries"));
    }
    Rendered {
        participants: participants.into_iter().collect(),
        on_call_now: now.into_iter().collect(),
        page,
        excerpt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::tests::reader;

    #[test]
    fn the_window_is_read_in_contiguous_chunks_of_at_most_ten_days() {
        let r = reader();
        let c = chunks(&r);
        assert_eq!(c.len(), 9);
        assert_eq!(c[0].0, ts(r.since));
        assert_eq!(c[8].1, ts(r.now));
        for w in c.windows(2) {
            assert_eq!(w[0].1, w[1].0);
        }
    }

    fn entry(user: Option<&str>, start: &str, end: &str) -> wire::Entry {
        wire::Entry {
            user: user.map(|u| wire::Ref {
                id: u.into(),
                kind: Some("user_reference".into()),
            }),
            start: start.into(),
            end: end.into(),
        }
    }

    #[test]
    fn participants_are_the_window_s_users_and_on_call_now_covers_the_scan_time() {
        let r = reader();
        let page = PageRef {
            locator: "GET /schedules/PS1".into(),
            sha256: String::new(),
        };
        let entries = vec![
            entry(Some("POLD"), "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"),
            entry(None, "2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"),
            entry(Some("PU2"), "2026-02-20T00:00:00Z", "2026-02-27T00:00:00Z"),
            entry(
                Some("PU1"),
                "2026-02-27T07:00:00-05:00",
                "2026-03-01T12:00:00Z",
            ),
        ];
        let x = reduce_entries(&r, entries, page);
        assert_eq!(x.participants, ["pagerduty/PU1", "pagerduty/PU2"]);
        assert_eq!(x.on_call_now, ["pagerduty/PU1"]);
        assert!(
            x.excerpt
                .contains("PU1 2026-02-27T12:00:00Z..2026-03-01T12:00:00Z")
        );
    }

    #[test]
    fn resolved_at_falls_back_to_the_last_status_change_of_a_resolved_incident() {
        let r = reader();
        let page = PageRef {
            locator: "GET /incidents".into(),
            sha256: String::new(),
        };
        let json = r#"{"id":"PI9","created_at":"2026-02-01T00:00:00Z","status":"resolved",
            "last_status_change_at":"2026-02-01T01:00:00Z","acknowledgements":null}"#;
        let Ok(i) = serde_json::from_str::<wire::Incident>(json) else {
            panic!("parses")
        };
        let (fact, ev) = incident_of(&r, i, &page);
        assert_eq!(fact.resolved_at.as_deref(), Some("2026-02-01T01:00:00Z"));
        assert_eq!((fact.acknowledged_at, fact.urgency), (None, None));
        assert!(fact.services.is_empty());
        assert_eq!(ev.id, "oncall:pagerduty:incident:PI9");
    }
}
