//! Schedules: who was on call, from each schedule's rendered final timeline.

use crate::build::{Build, key};
use crate::parts::{Fanned, Plan, close_fan_out, parse_time};
use crate::read::Read;
use crate::wire;
use evident_core::SourceStatus;
use evident_http::CallError;
use evident_oncall::Schedule;

/// Who a timeline puts on call: in the window, at the scan's time, and what it could
/// not place.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct OnCall {
    pub participants: Vec<String>,
    pub now: Vec<String>,
    /// Override periods in the window.
    pub overrides: usize,
    /// Periods whose dates do not parse.
    pub bad_dates: usize,
    /// Periods whose recipient is a team or an escalation with no users given.
    pub unplaced: usize,
}

/// The user ids a period puts on call: its `user` recipient, else the users of its
/// `flattenedRecipients` (a team or escalation recipient resolved by Opsgenie).
fn users_of(p: &wire::TimelinePeriod) -> Option<Vec<String>> {
    let is_user = |r: &&wire::Recipient| r.kind.as_deref() == Some("user");
    if let Some(r) = p.recipient.as_ref() {
        if r.kind.as_deref() == Some("none") {
            return Some(Vec::new());
        }
        if let (true, Some(id)) = (is_user(&r), r.id.as_deref()) {
            return Some(vec![id.to_owned()]);
        }
    }
    let flat: Vec<String> = p
        .flattened_recipients
        .iter()
        .flatten()
        .filter(is_user)
        .filter_map(|r| r.id.clone())
        .collect();
    (!flat.is_empty()).then_some(flat)
}

/// Reads the final timeline: participants are the users of every period that overlaps
/// the window (overrides included, as the final timeline applies them); on call now
/// are those of the periods covering the scan's time.
pub(crate) fn on_call(t: &wire::Timeline, plan: &Plan) -> OnCall {
    let mut out = OnCall::default();
    let periods = t
        .rotations
        .iter()
        .flatten()
        .flat_map(|r| r.periods.iter().flatten());
    for p in periods {
        let start = p.start_date.as_deref().and_then(parse_time);
        let end = p.end_date.as_deref().and_then(parse_time);
        let (Some(start), Some(end)) = (start, end) else {
            out.bad_dates += 1;
            continue;
        };
        if !(start < plan.now && end > plan.since) {
            continue;
        }
        let Some(users) = users_of(p) else {
            out.unplaced += 1;
            continue;
        };
        if p.kind.as_deref() == Some("override") {
            out.overrides += 1;
        }
        let keys: Vec<String> = users.iter().map(|u| key(u)).collect();
        if start <= plan.now && plan.now < end {
            out.now.extend(keys.iter().cloned());
        }
        out.participants.extend(keys);
    }
    for v in [&mut out.participants, &mut out.now] {
        v.sort();
        v.dedup();
    }
    out
}

/// Folds the schedules and their timelines into the facts. A schedule whose timeline
/// could not be read is listed with `rendered: false` (its participants say nothing);
/// every timeline failing makes the part unread, some failing make it partial.
pub(crate) fn apply_schedules(
    b: &mut Build<'_>,
    schedules: Fanned<wire::Schedule, wire::ScheduleTimeline>,
    plan: &Plan,
) {
    let (list, got) = match schedules {
        Ok(s) => s,
        Err(e) => return b.fail("schedules", &e),
    };
    let mut answers: Vec<Option<Result<Read<wire::ScheduleTimeline>, CallError>>> =
        list.data.iter().map(|_| None).collect();
    for (i, r) in got {
        if let Some(slot) = answers.get_mut(i) {
            *slot = Some(r);
        }
    }
    let mut failures = Vec::new();
    let mut skipped = 0;
    for (s, answer) in list.data.iter().zip(answers) {
        let (Some(id), Some(name)) = (s.id.as_deref(), s.name.as_deref()) else {
            skipped += 1;
            continue;
        };
        let path = format!("/v2/schedules/{id}/timeline");
        let teams: Vec<String> = s
            .owner_team
            .as_ref()
            .and_then(|t| t.id.as_deref())
            .map(key)
            .into_iter()
            .collect();
        let answer = answer.unwrap_or_else(|| {
            Err(CallError::answer(
                SourceStatus::Error,
                format!("GET {path} ended without an answer"),
            ))
        });
        let schedule = match answer {
            Ok(read) => rendered(b, id, name, teams, &read, plan),
            Err(e) => {
                failures.push((path, e));
                let excerpt = format!("schedule {id} {name:?} (timeline not read)");
                let evidence = b.evidence("schedule", id, &list.locator, &list.sha256, &excerpt);
                schedule_fact(id, name, teams, OnCall::default(), false, evidence)
            }
        };
        b.facts.schedules.insert(schedule.key.clone(), schedule);
    }
    close_fan_out(b, "schedules", list.data.len() - skipped, failures);
    if skipped > 0 {
        let reason = format!("{skipped} schedule(s) without an id or a name were not read");
        b.cut("schedules", "/v2/schedules", &reason);
    }
}

fn schedule_fact(
    id: &str,
    name: &str,
    teams: Vec<String>,
    on: OnCall,
    rendered: bool,
    evidence: String,
) -> Schedule {
    Schedule {
        key: key(id),
        account: crate::ACCOUNT.to_owned(),
        id: id.to_owned(),
        name: name.to_owned(),
        teams,
        participants: on.participants,
        on_call_now: on.now,
        rendered,
        evidence,
    }
}

/// A schedule whose timeline answered: rendered when it holds a final timeline.
fn rendered(
    b: &mut Build<'_>,
    id: &str,
    name: &str,
    teams: Vec<String>,
    read: &Read<wire::ScheduleTimeline>,
    plan: &Plan,
) -> Schedule {
    let path = format!("/v2/schedules/{id}/timeline");
    let Some(timeline) = read.data.final_timeline.as_ref() else {
        b.cut(
            "schedules",
            &path,
            "the timeline answered without a finalTimeline",
        );
        let excerpt = format!("schedule {id} {name:?}: no finalTimeline in the answer");
        let ev = b.evidence("schedule", id, &read.locator, &read.sha256, &excerpt);
        return schedule_fact(id, name, teams, OnCall::default(), false, ev);
    };
    let on = on_call(timeline, plan);
    if on.bad_dates > 0 {
        let reason = format!(
            "{} period(s) whose dates do not parse were not read",
            on.bad_dates
        );
        b.cut("schedules", &path, &reason);
    }
    if on.unplaced > 0 {
        let reason = format!(
            "{} period(s) name a team or escalation without its users (flattenedRecipients); their people are not counted",
            on.unplaced
        );
        b.cut("schedules", &path, &reason);
    }
    let excerpt = format!(
        "schedule {id} {name:?}, final timeline from {}: on call in the window: {} ({} override period(s)); on call now: {}",
        crate::parts::rfc3339(plan.since),
        on.participants.join(", "),
        on.overrides,
        on.now.join(", ")
    );
    let ev = b.evidence("schedule", id, &read.locator, &read.sha256, &excerpt);
    schedule_fact(id, name, teams, on, true, ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn overrides_count_and_periods_outside_the_window_do_not() {
        let now = Utc::now();
        let plan = Plan {
            now,
            since: now - Duration::days(90),
            window_days: 90,
            page_size: 100,
            max_pages: 100,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(8)),
            budget: std::time::Duration::from_secs(60),
        };
        let at = |d: i64| crate::parts::rfc3339(now + Duration::days(d));
        let t: wire::Timeline = serde_json::from_value(serde_json::json!({"rotations": [{"periods": [
            {"startDate": at(-200), "endDate": at(-100), "type": "default", "recipient": {"type": "user", "id": "old"}},
            {"startDate": at(-20), "endDate": at(-10), "type": "default", "recipient": {"type": "user", "id": "a"}},
            {"startDate": at(-10), "endDate": at(-9), "type": "override", "recipient": {"type": "user", "id": "o"}},
            {"startDate": at(-1), "endDate": at(2), "type": "default", "recipient": {"type": "team", "id": "t"},
             "flattenedRecipients": [{"type": "user", "id": "b"}, {"type": "user", "id": "c"}]},
            {"startDate": at(2), "endDate": at(3), "type": "default", "recipient": {"type": "user", "id": "future"}},
            {"startDate": "soon", "endDate": at(3), "recipient": {"type": "user", "id": "x"}},
            {"startDate": at(-5), "endDate": at(-4), "recipient": {"type": "escalation", "id": "e"}}
        ]}]}))
        .unwrap_or_default();
        let on = on_call(&t, &plan);
        let keys = |v: &[&str]| v.iter().map(|s| key(s)).collect::<Vec<_>>();
        assert_eq!(on.participants, keys(&["a", "b", "c", "o"]));
        assert_eq!(on.now, keys(&["b", "c"]));
        assert_eq!((on.overrides, on.bad_dates, on.unplaced), (1, 1, 1));
    }
}
