//! The two status vocabularies: how a source answered, and what a criterion's verdict is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How one source (a repository, an API, a cluster) answered a probe.
///
/// Kept separate from [`Status`] because a source failing is never a verdict on the
/// service: every status other than `Ok` turns the criteria that need the source into
/// `unknown`, carrying this value as the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// The source answered and its facts are complete.
    Ok,
    /// Nobody told evident where the source is (no flag, no token, no probe in this build).
    NotConfigured,
    /// The source answered with an error or could not be reached.
    Error,
    /// The source refused access (401/403, RBAC).
    Forbidden,
    /// The source did not answer within the probe's time bound.
    Timeout,
    /// The source asked us to slow down and the budget ran out before it let us continue.
    RateLimited,
}

impl SourceStatus {
    /// The snake_case name used in JSON and in Rego input.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotConfigured => "not_configured",
            Self::Error => "error",
            Self::Forbidden => "forbidden",
            Self::Timeout => "timeout",
            Self::RateLimited => "rate_limited",
        }
    }
}

impl fmt::Display for SourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one criterion for one service.
///
/// Six values rather than a boolean, because an auditor must be able to tell "we looked
/// and it is missing" (`NotMet`) from "we could not look" (`Unknown`) and from "no system
/// can show this" (`Manual`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Evidence was collected and satisfies the rule.
    Met,
    /// Evidence was collected and does not satisfy the rule.
    NotMet,
    /// A source the rule needs was not configured, unreachable or refused access.
    Unknown,
    /// The rule does not apply to this service.
    NotApplicable,
    /// No system holds proof and nobody attested it.
    Manual,
    /// No system holds proof, but a committed attestation asserts it.
    Attested,
}

impl Status {
    /// Every status, in the order reports list them.
    pub const ALL: [Status; 6] = [
        Status::Met,
        Status::NotMet,
        Status::Unknown,
        Status::NotApplicable,
        Status::Manual,
        Status::Attested,
    ];

    /// The snake_case name used in JSON, Rego output and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "not_met",
            Self::Unknown => "unknown",
            Self::NotApplicable => "not_applicable",
            Self::Manual => "manual",
            Self::Attested => "attested",
        }
    }

    /// Parses the snake_case name a rule returns; `None` for anything else, so a policy
    /// that invents a status is reported instead of silently mapped.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(Status::parse("passed"), None);
    }

    #[test]
    fn source_status_serialises_snake_case() {
        let json = serde_json::to_string(&SourceStatus::RateLimited).unwrap();
        assert_eq!(json, "\"rate_limited\"");
        assert_eq!(SourceStatus::NotConfigured.to_string(), "not_configured");
    }
}
