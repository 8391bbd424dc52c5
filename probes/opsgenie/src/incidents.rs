//! Incidents of the window, from `/v1/incidents`.
//!
//! Resolution time: the incident list (and the documented Get Incident) gives no
//! resolution time, only `updatedAt`. For an incident whose status is `resolved` or
//! `closed`, `resolved_at` is its `updatedAt`: the time of its last change, which is the
//! resolution when nothing changed since, and later otherwise (a note, the close after
//! the resolve). It is an upper bound, so a time to restore read from it is never
//! shorter than the real one. An incident still open has `resolved_at: null`, and so has
//! a resolved one whose `updatedAt` does not parse. Opsgenie incidents are not
//! acknowledged (alerts are), so `acknowledged_at` is null. The source's detail and
//! every incident's evidence say so.

use crate::build::{Build, key};
use crate::parts::{Plan, close_listing, parse_time, rfc3339};
use crate::read::Listing;
use crate::wire;
use evident_oncall::Incident;

/// What the source's detail says of `resolved_at`.
pub(crate) const RESOLVED_AT_NOTE: &str = "an Opsgenie incident's resolved_at is its updatedAt (the API gives no resolution time): an upper bound of the resolution";

/// One incident of the list as a fact, `None` when it has no id or no creation time,
/// or was created before the window (a server that ignores the query).
fn incident_of(
    b: &mut Build<'_>,
    i: &wire::Incident,
    locator: &str,
    sha256: &str,
    plan: &Plan,
) -> Result<Option<Incident>, ()> {
    let Some(id) = i.id.as_deref() else {
        return Err(());
    };
    let Some(created) = i.created_at.as_deref().and_then(parse_time) else {
        return Err(());
    };
    if created <= plan.since {
        return Ok(None);
    }
    let status = i.status.as_deref().unwrap_or("").trim().to_lowercase();
    let ended = matches!(status.as_str(), "resolved" | "closed");
    let resolved_at = i
        .updated_at
        .as_deref()
        .and_then(parse_time)
        .filter(|_| ended)
        .map(rfc3339);
    let services: Vec<String> = i
        .impacted_services
        .iter()
        .flatten()
        .map(|s| key(s))
        .collect();
    let excerpt = format!(
        "incident {id} (#{}) {status}, priority {}, created {}, resolved_at {} (updatedAt, an upper bound), impacted services [{}]",
        i.tiny_id.as_deref().unwrap_or("?"),
        i.priority.as_deref().unwrap_or("none"),
        rfc3339(created),
        resolved_at.as_deref().unwrap_or("none"),
        services.join(", ")
    );
    let evidence = b.evidence("incident", id, locator, sha256, &excerpt);
    Ok(Some(Incident {
        key: key(id),
        account: crate::ACCOUNT.to_owned(),
        id: id.to_owned(),
        services,
        created_at: rfc3339(created),
        acknowledged_at: None,
        resolved_at,
        status,
        urgency: i.priority.clone().filter(|p| !p.is_empty()),
        evidence,
    }))
}

/// Folds the incident pages into the facts, oldest first.
pub(crate) fn apply_incidents(b: &mut Build<'_>, listing: Listing<wire::Incident>, plan: &Plan) {
    let mut skipped = 0;
    let mut out: Vec<Incident> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for page in &listing.pages {
        for i in &page.data {
            match incident_of(b, i, &page.locator, &page.sha256, plan) {
                Ok(Some(inc)) if seen.insert(inc.key.clone()) => out.push(inc),
                Ok(_) => {}
                Err(()) => skipped += 1,
            }
        }
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    b.facts.incidents.extend(out);
    b.notes.push(RESOLVED_AT_NOTE.to_owned());
    close_listing(b, "incidents", "/v1/incidents", &listing, skipped);
}
