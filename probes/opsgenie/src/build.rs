//! What was read, as facts, evidence and part reports: the one place that decides what a
//! failure means, so every part follows the same truth rules.
//!
//! - A part that failed is in `Account.unread[part]` and in the source's
//!   `parts[part]` with the failure's status; what it read before failing stays in the
//!   facts, never presented as complete.
//! - A part read only in part (a bound, endless paging, objects that did not parse) is in
//!   `Account.partial[part]` and its `parts[part].incomplete`.
//! - A failure of `services`, `teams` or `users`, or a 401 on any part, fails the source.

use crate::ACCOUNT;
use evident_core::{
    Evidence, PartReport, ProbeOutput, ScanContext, SourceReport, SourceStatus, UnreadItem,
};
use evident_http::CallError;
use evident_oncall::{OncallFacts, PARTS, Unread};
use std::collections::{BTreeMap, HashSet};

/// Parts whose failure fails the whole source: without them the rest cannot be tied to
/// services or people.
const FATAL_PARTS: &[&str] = &["services", "teams", "users"];

/// The read so far.
pub(crate) struct Build<'a> {
    pub ctx: &'a ScanContext,
    /// The API base as shown (redacted).
    pub api: String,
    pub facts: OncallFacts,
    pub evidence: Vec<Evidence>,
    /// Ids of `evidence`, so an object listed twice (a page repeated) is cited once.
    cited: HashSet<String>,
    parts: BTreeMap<String, PartReport>,
    fatal: Option<(SourceStatus, String)>,
    /// Said in the source's detail when it answered.
    pub notes: Vec<String>,
}

/// `opsgenie/<id>`.
pub(crate) fn key(id: &str) -> String {
    format!("{ACCOUNT}/{id}")
}

impl<'a> Build<'a> {
    /// An empty read of the account at `api`.
    pub fn new(ctx: &'a ScanContext, api: String, facts: OncallFacts) -> Self {
        Self {
            ctx,
            api,
            facts,
            evidence: Vec::new(),
            cited: HashSet::new(),
            parts: BTreeMap::new(),
            fatal: None,
            notes: Vec::new(),
        }
    }

    fn account(&mut self) -> &mut evident_oncall::Account {
        self.facts.accounts.entry(ACCOUNT.to_owned()).or_default()
    }

    /// Records an evidence record and returns its id (`oncall:opsgenie:<kind>:<id>`).
    pub fn evidence(
        &mut self,
        kind: &str,
        id: &str,
        locator: &str,
        sha256: &str,
        excerpt: &str,
    ) -> String {
        let r = &self.ctx.redactor;
        let ev = Evidence {
            id: r.redact_secrets(&format!("oncall:{ACCOUNT}:{kind}:{id}")),
            probe: ACCOUNT.to_owned(),
            source: self.api.clone(),
            locator: r.redact_secrets(locator),
            location: None,
            observed_at: self.ctx.observed_at.clone(),
            revision: None,
            sha256: Some(sha256.to_owned()),
            excerpt: r.redact(excerpt),
        };
        let id = ev.id.clone();
        if self.cited.insert(id.clone()) {
            self.evidence.push(ev);
        }
        id
    }

    /// `part` failed with `e`: unread, and the source's failure when the part is one
    /// the rest depends on or the key was refused.
    pub fn fail(&mut self, part: &str, e: &CallError) {
        let status = e.status();
        let detail = self.ctx.redactor.redact(&e.to_string());
        self.fail_with(part, status, detail, e.http_code() == Some(401));
    }

    /// `part` failed with `status` and `detail` (already redacted).
    pub fn fail_with(&mut self, part: &str, status: SourceStatus, detail: String, refused: bool) {
        if refused || FATAL_PARTS.contains(&part) {
            self.fatal.get_or_insert((status, detail.clone()));
        }
        self.account()
            .unread
            .entry(part.to_owned())
            .or_insert(Unread {
                status: status.as_str().to_owned(),
                detail: detail.clone(),
            });
        let report = self.part(part);
        if report.status == SourceStatus::Ok {
            report.status = status;
            report.detail = Some(detail);
        }
    }

    /// `part` was read only in part: `location` was not (fully) read, for `reason`.
    pub fn cut(&mut self, part: &str, location: &str, reason: &str) {
        let reason = self.ctx.redactor.redact(reason);
        let location = self.ctx.redactor.redact_secrets(location);
        let account = self.account();
        let entry = account.partial.entry(part.to_owned()).or_default();
        let line = format!("{location}: {reason}");
        if entry.is_empty() {
            *entry = line;
        } else if entry.len() < 2000 {
            entry.push_str("; ");
            entry.push_str(&line);
        }
        self.part(part)
            .incomplete
            .push(UnreadItem::new(location, reason));
    }

    fn part(&mut self, part: &str) -> &mut PartReport {
        self.parts.entry(part.to_owned()).or_insert(PartReport {
            status: SourceStatus::Ok,
            detail: None,
            incomplete: Vec::new(),
        })
    }

    /// Change events: Opsgenie has no change-event API, so the part is `not_available`
    /// (the source's part `not_configured`: nothing failed, nothing can be read).
    fn change_events_not_available(&mut self) {
        let detail = "Opsgenie has no change-event (deploy marker) API; change events are not read from Opsgenie".to_owned();
        self.account().unread.insert(
            "change_events".to_owned(),
            Unread {
                status: "not_available".to_owned(),
                detail: detail.clone(),
            },
        );
        let report = self.part("change_events");
        report.status = SourceStatus::NotConfigured;
        report.detail = Some(detail);
    }

    /// The probe's output: facts (redacted once more, whole), evidence, and one source
    /// report with every part of [`PARTS`].
    pub fn finish(mut self) -> ProbeOutput {
        self.change_events_not_available();
        for part in PARTS {
            self.part(part);
        }
        let summary = self.summary();
        let (status, detail) = match self.fatal.take() {
            Some((status, detail)) => (status, format!("{detail}; {summary}")),
            None => (SourceStatus::Ok, summary),
        };
        let mut facts = self.facts.to_value();
        self.ctx.redactor.redact_json(&mut facts);
        let mut report = SourceReport::new(
            ACCOUNT,
            self.api.clone(),
            status,
            Some(self.ctx.redactor.redact(&detail)),
        );
        report.parts = self.parts;
        ProbeOutput {
            facts,
            evidence: self.evidence,
            sources: vec![report],
        }
    }

    fn summary(&self) -> String {
        let f = &self.facts;
        let rendered = f.schedules.values().filter(|s| s.rendered).count();
        let mut s = format!(
            "{} service(s), {} escalation(s), {} schedule(s) ({rendered} rendered), {} user(s), {} team(s), {} incident(s) read",
            f.services.len(),
            f.escalation_policies.len(),
            f.schedules.len(),
            f.users.len(),
            f.teams.len(),
            f.incidents.len()
        );
        for note in &self.notes {
            s.push_str("; ");
            s.push_str(note);
        }
        let failed: Vec<&str> = self
            .parts
            .iter()
            .filter(|(_, p)| {
                p.status != SourceStatus::Ok && p.status != SourceStatus::NotConfigured
            })
            .map(|(k, _)| k.as_str())
            .collect();
        if !failed.is_empty() {
            s.push_str(&format!("; not read: {}", failed.join(", ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn ctx() -> ScanContext {
        let mut c = ScanContext::new(vec![], "2026-11-23T10:00:00Z".into());
        c.redactor = Arc::new(evident_core::Redactor::new().with_secret("sekrit-key-123"));
        c
    }

    #[test]
    fn a_failed_part_is_unread_and_only_fatal_parts_fail_the_source() {
        let c = ctx();
        let mut b = Build::new(
            &c,
            "https://api.opsgenie.com".into(),
            OncallFacts::default(),
        );
        let e = CallError::answer(
            SourceStatus::Forbidden,
            "GET /v2/schedules/x/timeline answered HTTP 403 sekrit-key-123",
        );
        b.fail("schedules", &e);
        b.cut("incidents", "/v1/incidents", "stopped at 100 pages");
        let out = b.finish();
        let r = &out.sources[0];
        assert_eq!(r.status, SourceStatus::Ok);
        assert_eq!(r.parts["schedules"].status, SourceStatus::Forbidden);
        assert!(
            !r.parts["schedules"]
                .detail
                .clone()
                .unwrap_or_default()
                .contains("sekrit")
        );
        assert_eq!(r.parts["incidents"].incomplete.len(), 1);
        assert_eq!(r.parts["change_events"].status, SourceStatus::NotConfigured);
        assert_eq!(r.parts.len(), PARTS.len());
        let facts = OncallFacts::from_value(&out.facts)
            .ok()
            .flatten()
            .unwrap_or_default();
        let acc = &facts.accounts["opsgenie"];
        assert_eq!(acc.unread["schedules"].status, "forbidden");
        assert_eq!(acc.unread["change_events"].status, "not_available");
        assert!(acc.partial["incidents"].contains("100 pages"));

        let mut b = Build::new(
            &c,
            "https://api.opsgenie.com".into(),
            OncallFacts::default(),
        );
        b.fail(
            "users",
            &CallError::answer(SourceStatus::Error, "GET /v2/users answered HTTP 500"),
        );
        assert_eq!(b.finish().sources[0].status, SourceStatus::Error);
    }
}
