//! PagerDuty's answers, reduced while parsed to the fields the facts need (the rest of each
//! object is skipped), as `reference/REST/openapiv3.json` describes them.
//!
//! Optional lists are nullable in practice (`"teams": null`), so they read null as empty;
//! lists the description requires (a policy's `escalation_rules`, a rule's `targets`) and
//! ids are required, so an object without them is a wrong shape, not an empty record.

use serde::{Deserialize, Deserializer};

/// Reads a list that may be `null` as empty.
fn nullable<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A `*_reference` object (`{"id", "type", "summary"}`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Ref {
    pub id: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// The fields every list item is deduplicated by.
pub(crate) trait HasId {
    /// The item's id.
    fn id(&self) -> &str;
}

/// `/services` item (with `include[]=integrations`).
#[derive(Debug, Deserialize)]
pub(crate) struct Service {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub escalation_policy: Option<Ref>,
    #[serde(default, deserialize_with = "nullable")]
    pub teams: Vec<Ref>,
    #[serde(default, deserialize_with = "nullable")]
    pub integrations: Vec<Integration>,
}

/// An integration of a service; `integration_key` is what PagerDuty's live API gives for
/// Events API integrations (the published description lists no such field).
#[derive(Debug, Deserialize)]
pub(crate) struct Integration {
    #[serde(default)]
    pub integration_key: Option<String>,
}

/// `/escalation_policies` item.
#[derive(Debug, Deserialize)]
pub(crate) struct Policy {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Required by PagerDuty's description: a policy without it is a wrong shape (the
    /// page is unread), never a policy that pages nobody.
    pub escalation_rules: Vec<Rule>,
    #[serde(default, deserialize_with = "nullable")]
    pub teams: Vec<Ref>,
}

/// One escalation rule.
#[derive(Debug, Deserialize)]
pub(crate) struct Rule {
    /// Required, as `escalation_rules` is: absent or null is a wrong shape.
    pub targets: Vec<Ref>,
}

/// `/schedules` item.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleItem {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub teams: Vec<Ref>,
}

/// The schedule of `/schedules/{id}`, its final layer rendered.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleDetail {
    #[serde(default)]
    pub final_schedule: Option<SubSchedule>,
}

/// `final_schedule` (or `overrides_subschedule`).
#[derive(Debug, Deserialize)]
pub(crate) struct SubSchedule {
    #[serde(default)]
    pub rendered_schedule_entries: Option<Vec<Entry>>,
}

/// One rendered entry; `user` is null for a gap.
#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    #[serde(default)]
    pub user: Option<Ref>,
    pub start: String,
    pub end: String,
}

/// `/users` item.
#[derive(Debug, Deserialize)]
pub(crate) struct User {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `/teams` item.
#[derive(Debug, Deserialize)]
pub(crate) struct Team {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `/teams/{id}/members` item.
#[derive(Debug, Deserialize)]
pub(crate) struct Member {
    pub user: Ref,
}

/// `/incidents` item.
#[derive(Debug, Deserialize)]
pub(crate) struct Incident {
    pub id: String,
    pub created_at: String,
    pub status: String,
    #[serde(default)]
    pub urgency: Option<String>,
    #[serde(default)]
    pub service: Option<Ref>,
    #[serde(default)]
    pub resolved_at: Option<String>,
    #[serde(default)]
    pub last_status_change_at: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub acknowledgements: Vec<Acknowledgement>,
}

/// One acknowledgement of an incident.
#[derive(Debug, Deserialize)]
pub(crate) struct Acknowledgement {
    pub at: String,
}

/// `/change_events` item.
#[derive(Debug, Deserialize)]
pub(crate) struct ChangeEvent {
    pub id: String,
    pub timestamp: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub services: Vec<Ref>,
}

macro_rules! has_id {
    ($($t:ty),*) => { $(impl HasId for $t { fn id(&self) -> &str { &self.id } })* };
}
has_id!(
    Service,
    Policy,
    ScheduleItem,
    User,
    Team,
    Incident,
    ChangeEvent
);

impl HasId for Member {
    fn id(&self) -> &str {
        &self.user.id
    }
}

/// One page of a classic (offset) paged list: its items, `more`, and the error body a
/// 200 may carry instead.
pub(crate) trait PageOf: serde::de::DeserializeOwned + Send + 'static {
    /// The item type.
    type Item: HasId + Send + 'static;
    /// The list's field name (`services`).
    const FIELD: &'static str;
    /// Items (`None` when the field is absent), `more`, and an error message.
    fn parts(self) -> (Option<Vec<Self::Item>>, bool, Option<String>);
}

/// PagerDuty's error body, `{"error": {"message", "code", "errors"}}`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorObject {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub code: Option<serde_json::Value>,
}

/// The message of an error body, whatever its shape.
pub(crate) fn error_message(e: &serde_json::Value) -> String {
    let parsed: ErrorObject = serde_json::from_value(e.clone()).unwrap_or_default();
    let message = parsed
        .message
        .or_else(|| e.as_str().map(str::to_owned))
        .unwrap_or_else(|| "no message".to_owned());
    match parsed.code {
        Some(code) => format!("{message} (code {code})"),
        None => message,
    }
}

macro_rules! page {
    ($name:ident, $field:ident, $item:ty) => {
        /// A page of the list.
        #[derive(Debug, Deserialize)]
        pub(crate) struct $name {
            #[serde(default)]
            $field: Option<Vec<$item>>,
            #[serde(default)]
            more: Option<bool>,
            #[serde(default)]
            error: Option<serde_json::Value>,
        }
        impl PageOf for $name {
            type Item = $item;
            const FIELD: &'static str = stringify!($field);
            fn parts(self) -> (Option<Vec<$item>>, bool, Option<String>) {
                (
                    self.$field,
                    self.more.unwrap_or(false),
                    self.error.as_ref().map(error_message),
                )
            }
        }
    };
}

page!(ServicesPage, services, Service);
page!(PoliciesPage, escalation_policies, Policy);
page!(SchedulesPage, schedules, ScheduleItem);
page!(UsersPage, users, User);
page!(TeamsPage, teams, Team);
page!(MembersPage, members, Member);
page!(IncidentsPage, incidents, Incident);
page!(ChangeEventsPage, change_events, ChangeEvent);

/// `/schedules/{id}` may also carry an error body on a 200.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleOrError {
    #[serde(default)]
    pub schedule: Option<ScheduleDetail>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_lists_are_empty_and_ids_are_required() {
        let s: Result<Service, _> =
            serde_json::from_str(r#"{"id":"P1","teams":null,"integrations":null}"#);
        assert!(s.is_ok_and(|s| s.teams.is_empty() && s.integrations.is_empty()));
        let s: Result<Service, _> = serde_json::from_str(r#"{"name":"x"}"#);
        assert!(s.is_err());
    }

    #[test]
    fn a_policy_without_its_required_rules_or_targets_is_a_wrong_shape_not_empty() {
        for body in [
            r#"{"id":"PEP1"}"#,
            r#"{"id":"PEP1","escalation_rules":null}"#,
            r#"{"id":"PEP1","escalation_rules":[{}]}"#,
            r#"{"id":"PEP1","escalation_rules":[{"targets":null}]}"#,
        ] {
            let p: Result<Policy, _> = serde_json::from_str(body);
            assert!(p.is_err(), "{body}");
        }
        let p: Result<Policy, _> =
            serde_json::from_str(r#"{"id":"PEP1","escalation_rules":[{"targets":[]}]}"#);
        assert!(p.is_ok_and(|p| p.escalation_rules.len() == 1));
    }

    #[test]
    fn a_page_gives_items_more_and_error_bodies() {
        let p: Result<UsersPage, _> =
            serde_json::from_str(r#"{"users":[{"id":"PU1"}],"more":true,"offset":0}"#);
        let Ok(p) = p else { panic!("parses") };
        let (items, more, err) = p.parts();
        assert_eq!((items.map(|i| i.len()), more, err), (Some(1), true, None));
        let p: Result<UsersPage, _> =
            serde_json::from_str(r#"{"error":{"message":"Internal Error","code":2000}}"#);
        let Ok(p) = p else { panic!("parses") };
        let (items, _, err) = p.parts();
        assert!(items.is_none());
        assert_eq!(err.as_deref(), Some("Internal Error (code 2000)"));
        let p: Result<UsersPage, _> = serde_json::from_str(r#"{"users":{"id":"x"}}"#);
        assert!(
            p.is_err(),
            "an object where the list belongs is a wrong shape"
        );
    }
}
