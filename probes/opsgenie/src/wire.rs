//! The parts of Opsgenie's answers the probe keeps, as `opsgenie-oas` names them
//! (`definitions/*.yaml`), plus the Service API (`/v1/services`, not in the description:
//! Opsgenie's documented Service API, docs.opsgenie.com/docs/service-api, gives
//! `id`, `name`, `description`, `teamId`, `tags`, paged like the v1 incident list) and
//! the incident list's `impactedServices` (in the documented Incident API, not in the
//! description's `BaseIncident`).
//!
//! Every field is optional so one odd object is skipped and reported, never a reason to
//! drop a page; a field of the wrong type (a list that is an object) is the page's
//! failure ([`evident_http::CallError::Shape`]), never an empty list.

use serde::Deserialize;

/// `BaseResponse` with `data`, and the paging of the lists that page. `data` is optional
/// here so an answer without it (an `ErrorResponse` sent with 200) is told apart from a
/// shape error and reported with its `message`.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default = "Option::default")]
    pub data: Option<T>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub paging: Option<Paging>,
    #[serde(default, rename = "totalCount")]
    pub total_count: Option<u64>,
}

/// `PageDetails`: only whether `next` is given matters; the probe never follows the URL
/// itself (it could name another host, which would then receive the key), it asks the
/// next `offset` of the same path.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Paging {
    #[serde(default)]
    pub next: Option<String>,
}

/// Objects a list holds, by their id, so paging can tell a new page from a repeated one.
pub(crate) trait Identified {
    fn id(&self) -> Option<&str>;
}

macro_rules! identified {
    ($($t:ty),*) => {$(
        impl Identified for $t {
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
        }
    )*};
}

/// `User` (`username` is the login email: hashed, never kept).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct User {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, rename = "fullName")]
    pub full_name: Option<String>,
}

/// `Team` of `/v2/teams` (no members there) and of `/v2/teams/{id}` (with members).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Team {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub members: Option<Vec<TeamMember>>,
}

/// `TeamMember`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TeamMember {
    #[serde(default)]
    pub user: Option<UserMeta>,
}

/// `UserMeta`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct UserMeta {
    #[serde(default)]
    pub id: Option<String>,
}

/// `TeamMeta`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TeamMeta {
    #[serde(default)]
    pub id: Option<String>,
}

/// `Schedule` (rotations are not kept: who was on call comes from the timeline).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Schedule {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "ownerTeam")]
    pub owner_team: Option<TeamMeta>,
}

/// `ScheduleTimeline`: only `finalTimeline` (overrides and forwarding applied).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScheduleTimeline {
    #[serde(default, rename = "finalTimeline")]
    pub final_timeline: Option<Timeline>,
}

/// `Timeline`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Timeline {
    #[serde(default)]
    pub rotations: Option<Vec<TimelineRotation>>,
}

/// `TimelineRotation`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TimelineRotation {
    #[serde(default)]
    pub periods: Option<Vec<TimelinePeriod>>,
}

/// `TimelinePeriod`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TimelinePeriod {
    #[serde(default, rename = "startDate")]
    pub start_date: Option<String>,
    #[serde(default, rename = "endDate")]
    pub end_date: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub recipient: Option<Recipient>,
    #[serde(default, rename = "flattenedRecipients")]
    pub flattened_recipients: Option<Vec<Recipient>>,
}

/// `Recipient` / `TimelineRecipient`: `type` and `id`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Recipient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `Escalation`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Escalation {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "ownerTeam")]
    pub owner_team: Option<TeamMeta>,
    #[serde(default)]
    pub rules: Option<Vec<EscalationRule>>,
}

/// `EscalationRule`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct EscalationRule {
    #[serde(default)]
    pub recipient: Option<Recipient>,
}

/// A service of the Service API.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Service {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "teamId")]
    pub team_id: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// `BaseIncident` plus `impactedServices`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Incident {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "tinyId")]
    pub tiny_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(default, rename = "updatedAt")]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default, rename = "impactedServices")]
    pub impacted_services: Option<Vec<String>>,
}

identified!(User, Team, Schedule, Escalation, Service, Incident);
