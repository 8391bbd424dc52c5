//! `facts.oncall`: what an on-call tool says about who is on call, who gets paged and how
//! fast incidents end, typed once for both tools.
//!
//! A crate of its own because probes never depend on one another: the PagerDuty and the
//! Opsgenie probe each write an [`OncallFacts`], the scan merges them under the one
//! capability `oncall` (maps key by key, lists appended), and resolution reads the merged
//! document back through the same types, so a probe that writes the wrong shape is caught
//! where the facts are consumed, not by a rule quietly reading nothing.
//!
//! Every key is `<account>/<id>` (`pagerduty/PABC123`, `opsgenie/4513b7ea-...`), so the
//! two tools' objects never collide when merged. People are never stored by email: an
//! email is kept only as [`email_key`], the join key resolution matches against the
//! emails it knows (the scan plan's people mapping, catalog `User` entities, commit
//! authors), which are hashed the same way.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The on-call tools evident reads. One list: the CLI, the probes' names and the docs
/// iterate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// PagerDuty REST API v2.
    Pagerduty,
    /// Opsgenie REST API v2 (and v1 for services and incidents).
    Opsgenie,
}

impl Tool {
    /// Every tool, in the order they are documented.
    pub const ALL: [Tool; 2] = [Tool::Pagerduty, Tool::Opsgenie];

    /// The name used in keys, facts and source reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Pagerduty => "pagerduty",
            Tool::Opsgenie => "opsgenie",
        }
    }
}

/// The join key of an email address: hex sha256 of the trimmed, lower-cased address.
/// On-call users, catalog `User` entities, the people mapping and commit authors are all
/// compared by this key, so no address is ever written in clear to facts or results.
pub fn email_key(email: &str) -> String {
    evident_core::sha256_hex(email.trim().to_lowercase().as_bytes())
}

/// The parts of an account that can fail on their own. A rule names the parts it reads
/// (`sources: [oncall.incidents]`), so a 403 on change events takes only the criteria
/// that read change events. One list: the probes report these and only these.
pub const PARTS: &[&str] = &[
    "services",
    "escalation_policies",
    "schedules",
    "users",
    "teams",
    "incidents",
    "change_events",
];

/// The merged `facts.oncall` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OncallFacts {
    /// The accounts read, by account key (`pagerduty`, `opsgenie`).
    #[serde(default)]
    pub accounts: BTreeMap<String, Account>,
    /// Services (PagerDuty services, Opsgenie services) by key.
    #[serde(default)]
    pub services: BTreeMap<String, OncallService>,
    /// Escalation policies (PagerDuty) and escalations (Opsgenie) by key.
    #[serde(default)]
    pub escalation_policies: BTreeMap<String, EscalationPolicy>,
    /// Schedules by key, with who was actually on call over the window.
    #[serde(default)]
    pub schedules: BTreeMap<String, Schedule>,
    /// Users by key.
    #[serde(default)]
    pub users: BTreeMap<String, OncallUser>,
    /// Teams by key.
    #[serde(default)]
    pub teams: BTreeMap<String, OncallTeam>,
    /// Incidents created in the window, oldest first per account.
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// Change events (deploy markers) sent to the tool in the window.
    #[serde(default)]
    pub change_events: Vec<ChangeEvent>,
}

/// One account of one tool: where it was read, over which window, and what of it could
/// not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The tool.
    pub tool: Option<Tool>,
    /// The API base read (`https://api.pagerduty.com`, `https://api.eu.opsgenie.com`).
    pub api: String,
    /// The scan's observation time (RFC 3339); the window counts back from it.
    pub now: String,
    /// Start of the window (RFC 3339).
    pub since: String,
    /// Window length in days.
    pub window_days: u32,
    /// Parts (see [`PARTS`]) that failed, with how: a rule reading the part answers
    /// `unknown` with this status, never `not_met`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread: BTreeMap<String, Unread>,
    /// Parts read only in part (a page bound hit, an object that did not parse): they can
    /// prove `met`, but a `not_met` they could undo is `unknown` (`partial`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial: BTreeMap<String, String>,
}

/// A part that was not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unread {
    /// `forbidden`, `rate_limited`, `timeout`, `error`, or `not_available` (the plan or
    /// the account has no such feature, e.g. change events on a plan without them).
    pub status: String,
    /// What failed, with the API path.
    pub detail: String,
}

/// A service of the on-call tool: what pages whom when it breaks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OncallService {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The escalation policy key (PagerDuty), `null` when it has none.
    #[serde(default)]
    pub escalation_policy: Option<String>,
    /// Team keys it belongs to (PagerDuty `teams`, Opsgenie `teamId`).
    #[serde(default)]
    pub teams: Vec<String>,
    /// [`email_key`]-style sha256 of each integration (routing) key, so a catalog
    /// `pagerduty.com/integration-key` annotation can name the service without the key
    /// itself being written out.
    #[serde(default)]
    pub integration_key_hashes: Vec<String>,
    /// Tags (Opsgenie), for `opsgenie.com/component-selector`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `active`, `disabled`, `maintenance`, `warning`, `critical` (PagerDuty), or null.
    #[serde(default)]
    pub status: Option<String>,
    /// Evidence id of the service record.
    pub evidence: String,
}

/// An escalation policy: who is paged, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationPolicy {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// User keys its rules page directly.
    #[serde(default)]
    pub users: Vec<String>,
    /// Schedule keys its rules page.
    #[serde(default)]
    pub schedules: Vec<String>,
    /// Team keys its rules page (Opsgenie team recipients), or that own it.
    #[serde(default)]
    pub teams: Vec<String>,
    /// Evidence id.
    pub evidence: String,
}

/// A schedule and who was on call on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Team keys that own it.
    #[serde(default)]
    pub teams: Vec<String>,
    /// User keys on call at some time in the window, from the rendered final schedule
    /// (PagerDuty `final_schedule`, Opsgenie `finalTimeline`): overrides included, people
    /// only configured but never on call left out.
    #[serde(default)]
    pub participants: Vec<String>,
    /// User keys on call at the scan's time.
    #[serde(default)]
    pub on_call_now: Vec<String>,
    /// False when the rendered schedule could not be read (then `participants` is empty
    /// and says nothing).
    pub rendered: bool,
    /// Evidence id of the rendered schedule read.
    pub evidence: String,
}

/// A person of the on-call tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OncallUser {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Display name, as the tool holds it (shown when the person cannot be joined).
    pub name: String,
    /// [`email_key`] of the login email; null when the tool did not give one.
    #[serde(default)]
    pub email_hash: Option<String>,
    /// Evidence id.
    pub evidence: String,
}

/// A team of the on-call tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OncallTeam {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// User keys of its members.
    #[serde(default)]
    pub members: Vec<String>,
    /// False when the member list was cut or could not be read.
    pub members_complete: bool,
    /// Evidence id.
    pub evidence: String,
}

/// An incident (PagerDuty incident, Opsgenie incident or alert).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Service keys it is on (PagerDuty: one; Opsgenie: impacted services).
    #[serde(default)]
    pub services: Vec<String>,
    /// When it was triggered (RFC 3339).
    pub created_at: String,
    /// First acknowledgement, when known.
    #[serde(default)]
    pub acknowledged_at: Option<String>,
    /// When it was resolved; null while open.
    #[serde(default)]
    pub resolved_at: Option<String>,
    /// `triggered`, `acknowledged`, `resolved` (PagerDuty); `open`, `resolved`, `closed`
    /// (Opsgenie).
    pub status: String,
    /// `high` / `low` (PagerDuty), `P1`..`P5` (Opsgenie), when given.
    #[serde(default)]
    pub urgency: Option<String>,
    /// Evidence id.
    pub evidence: String,
}

/// A change event (deploy marker) the tool received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEvent {
    /// `<account>/<id>`.
    pub key: String,
    /// Account key.
    pub account: String,
    /// The tool's id.
    pub id: String,
    /// Service keys it was sent to.
    #[serde(default)]
    pub services: Vec<String>,
    /// When the change happened (RFC 3339).
    pub timestamp: String,
    /// Evidence id.
    pub evidence: String,
}

impl OncallFacts {
    /// Reads `facts.oncall` back: the check at the consumer. `Ok(None)` when no on-call
    /// probe wrote anything; an `Err` names what did not fit, and the caller treats the
    /// capability as unreadable rather than empty.
    pub fn from_value(value: &serde_json::Value) -> Result<Option<Self>, String> {
        if value.is_null() {
            return Ok(None);
        }
        serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| format!("facts.oncall does not have the documented shape: {e}"))
    }

    /// The facts as the JSON the facts document holds.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_keys_ignore_case_and_spaces_and_hide_the_address() {
        let a = email_key(" Alice@Example.COM ");
        assert_eq!(a, email_key("alice@example.com"));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("alice"));
    }

    #[test]
    fn two_accounts_merge_into_one_document_and_read_back() {
        let mut pd = OncallFacts::default();
        pd.accounts.insert("pagerduty".into(), Account::default());
        pd.users.insert(
            "pagerduty/P1".into(),
            OncallUser {
                key: "pagerduty/P1".into(),
                ..OncallUser::default()
            },
        );
        let value = pd.to_value();
        let back = OncallFacts::from_value(&value);
        assert_eq!(back, Ok(Some(pd)));
        assert_eq!(OncallFacts::from_value(&serde_json::Value::Null), Ok(None));
    }

    #[test]
    fn a_wrong_shape_is_an_error_not_an_empty_document() {
        let bad = serde_json::json!({"users": [1, 2]});
        let e = OncallFacts::from_value(&bad);
        assert!(
            e.as_ref().is_err_and(|e| e.contains("documented shape")),
            "{e:?}"
        );
        let unknown_field = serde_json::json!({"accounts": {}, "pages": 3});
        assert!(OncallFacts::from_value(&unknown_field).is_err());
    }
}
