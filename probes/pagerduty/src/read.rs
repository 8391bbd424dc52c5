//! The reader's shared state and the bookkeeping of what each part gave: facts, evidence,
//! and, for a part that failed or was cut, its `unread` / `partial` entry in the account
//! and its `parts` entry in the source report (the two always agree).

use crate::list::{PageRef, Paging};
use chrono::{DateTime, SecondsFormat, Utc};
use evident_core::{Evidence, PartReport, Redactor, SourceStatus, UnreadItem};
use evident_http::{CallError, JsonClient};
use evident_oncall::{OncallFacts, Unread};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The account key (one PagerDuty account per scan).
pub(crate) const ACCOUNT: &str = "pagerduty";

/// What every part reader needs; cheap to clone into tasks.
#[derive(Clone)]
pub(crate) struct Reader {
    pub client: JsonClient,
    pub paging: Paging,
    /// Bounds the detail fetches (schedules, team members) in flight.
    pub permits: Arc<Semaphore>,
    /// The API base as shown (redacted).
    pub source: String,
    pub observed_at: String,
    pub redactor: Arc<Redactor>,
    pub now: DateTime<Utc>,
    pub since: DateTime<Utc>,
}

impl Reader {
    /// `<account>/<id>`.
    pub fn key(&self, id: &str) -> String {
        format!("{ACCOUNT}/{id}")
    }

    /// An evidence record of `kind`/`id` read from `page`, its excerpt redacted.
    pub fn evidence(&self, kind: &str, id: &str, page: &PageRef, excerpt: &str) -> Evidence {
        Evidence {
            id: format!("oncall:{ACCOUNT}:{kind}:{id}"),
            probe: ACCOUNT.into(),
            source: self.source.clone(),
            locator: page.locator.clone(),
            location: None,
            observed_at: self.observed_at.clone(),
            revision: None,
            sha256: Some(page.sha256.clone()),
            excerpt: self.redactor.redact(excerpt),
        }
    }
}

/// A time as the facts hold it: RFC 3339 UTC, seconds.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// PagerDuty's time (any offset) in UTC; `None` when it does not parse.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time normalised to UTC, or as given when it does not parse.
pub(crate) fn utc(s: &str) -> String {
    parse_time(s).map_or_else(|| s.to_owned(), ts)
}

/// What one part gave.
pub(crate) struct PartOut<T> {
    pub part: &'static str,
    pub items: Vec<T>,
    pub evidence: Vec<Evidence>,
    /// The failure that made the part unread.
    pub error: Option<CallError>,
    /// Overrides how the unread part is named (`not_available` for a feature the
    /// account lacks); `None` takes the error's status.
    pub unread_status: Option<&'static str>,
    /// What was cut or could not be read.
    pub partial: Vec<UnreadItem>,
}

impl<T> PartOut<T> {
    /// An empty output of `part`.
    pub fn new(part: &'static str) -> Self {
        Self {
            part,
            items: Vec::new(),
            evidence: Vec::new(),
            error: None,
            unread_status: None,
            partial: Vec::new(),
        }
    }
}

/// Everything read so far, and how each part answered.
pub(crate) struct Collected {
    pub facts: OncallFacts,
    pub evidence: Vec<Evidence>,
    pub parts: BTreeMap<String, PartReport>,
    pub incomplete: Vec<UnreadItem>,
    /// The whole source's failure: services or users unreadable, or a 401 anywhere.
    pub fatal: Option<(SourceStatus, String)>,
    redactor: Arc<Redactor>,
}

impl Collected {
    /// Nothing read yet.
    pub fn new(facts: OncallFacts, redactor: Arc<Redactor>) -> Self {
        Self {
            facts,
            evidence: Vec::new(),
            parts: BTreeMap::new(),
            incomplete: Vec::new(),
            fatal: None,
            redactor,
        }
    }

    fn account(&mut self) -> &mut evident_oncall::Account {
        self.facts.accounts.entry(ACCOUNT.to_owned()).or_default()
    }

    /// Marks `part` unread with `status` (the facts' word) and `detail`.
    pub fn unread(&mut self, part: &str, status: SourceStatus, word: &str, detail: &str) {
        let detail = self.redactor.redact(detail);
        self.account().unread.insert(
            part.to_owned(),
            Unread {
                status: word.to_owned(),
                detail: detail.clone(),
            },
        );
        let report = self.parts.entry(part.to_owned()).or_insert(PartReport {
            status,
            detail: None,
            incomplete: Vec::new(),
        });
        report.status = status;
        report.detail = Some(detail);
    }

    /// Marks `part` read only in part: `item` is what was cut and why.
    pub fn partial(&mut self, part: &str, item: UnreadItem) {
        let item = UnreadItem::new(
            self.redactor.redact(&item.location),
            self.redactor.redact(&item.reason),
        );
        let account = self.account();
        account
            .partial
            .entry(part.to_owned())
            .and_modify(|r| {
                if !r.contains("more item") {
                    r.push_str("; and more items not read (see the source's incomplete)");
                }
            })
            .or_insert_with(|| {
                if item.location == part {
                    item.reason.clone()
                } else {
                    format!("{}: {}", item.location, item.reason)
                }
            });
        self.parts
            .entry(part.to_owned())
            .or_insert(PartReport {
                status: SourceStatus::Ok,
                detail: None,
                incomplete: Vec::new(),
            })
            .incomplete
            .push(item.clone());
        self.incomplete.push(item);
    }

    /// Takes a part's evidence and failures; returns its items for the caller to file.
    /// A 401 anywhere fails the whole source (the token is wrong for every part).
    pub fn absorb<T>(&mut self, out: PartOut<T>) -> Vec<T> {
        let PartOut {
            part,
            items,
            evidence,
            error,
            unread_status,
            partial,
        } = out;
        self.evidence.extend(evidence);
        self.parts.entry(part.to_owned()).or_insert(PartReport {
            status: SourceStatus::Ok,
            detail: None,
            incomplete: Vec::new(),
        });
        for item in partial {
            self.partial(part, item);
        }
        if let Some(e) = error {
            let status = match unread_status {
                Some("not_available") => SourceStatus::NotConfigured,
                _ => e.status(),
            };
            let word = unread_status.unwrap_or_else(|| e.status().as_str());
            let detail = e.to_string();
            self.unread(part, status, word, &detail);
            if e.http_code() == Some(401) && self.fatal.is_none() {
                self.fatal = Some((SourceStatus::Forbidden, self.redactor.redact(&detail)));
            }
        }
        items
    }

    /// Fails the source with `part`'s failure, when that part is one the source cannot
    /// stand without (services, users).
    pub fn require(&mut self, part: &str) {
        if self.fatal.is_some() {
            return;
        }
        if let Some(u) = self
            .facts
            .accounts
            .get(ACCOUNT)
            .and_then(|a| a.unread.get(part))
        {
            let status = self
                .parts
                .get(part)
                .map_or(SourceStatus::Error, |p| p.status);
            self.fatal = Some((status, format!("{part} could not be read: {}", u.detail)));
        }
    }

    /// Marks every part not yet reported as unread, because the source failed before it
    /// was read: an unread part is never left looking like an empty one.
    pub fn unread_rest(&mut self, parts: &[&str]) {
        let Some((status, detail)) = self.fatal.clone() else {
            return;
        };
        for part in parts {
            if !self.parts.contains_key(*part) {
                let detail = format!("not read: the source failed first ({detail})");
                self.unread(part, status, status.as_str(), &detail);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use evident_oncall::Account;

    /// A reader over a window of 90 days ending 2026-03-01T12:00:00Z; its client is never
    /// sent anything.
    pub(crate) fn reader() -> Reader {
        let now = parse_time("2026-03-01T12:00:00Z").unwrap_or_default();
        let client = JsonClient::new(
            "http://127.0.0.1:9",
            &evident_http::Auth::None,
            None,
            std::time::Duration::from_secs(1),
            1024,
        );
        let Ok(client) = client else {
            panic!("client builds")
        };
        Reader {
            client,
            paging: Paging {
                max_pages: 100,
                page_size: 100,
            },
            permits: Arc::new(Semaphore::new(8)),
            source: "https://api.pagerduty.com".into(),
            observed_at: ts(now),
            redactor: Arc::new(Redactor::new().with_secret("s3cr3t-token")),
            now,
            since: now - chrono::Duration::days(90),
        }
    }

    fn collected() -> Collected {
        let mut facts = OncallFacts::default();
        facts.accounts.insert(ACCOUNT.into(), Account::default());
        Collected::new(facts, reader().redactor)
    }

    #[test]
    fn times_are_normalised_to_utc() {
        assert_eq!(utc("2015-11-09T08:00:00-05:00"), "2015-11-09T13:00:00Z");
        assert_eq!(utc("yesterday"), "yesterday");
    }

    #[test]
    fn a_failed_part_is_unread_in_the_facts_and_the_report_alike() {
        let mut c = collected();
        let mut out: PartOut<u8> = PartOut::new("schedules");
        out.error = Some(CallError::answer(
            SourceStatus::Forbidden,
            "GET /schedules answered HTTP 403: token s3cr3t-token",
        ));
        c.absorb(out);
        let u = &c.facts.accounts[ACCOUNT].unread["schedules"];
        assert_eq!(u.status, "forbidden");
        assert!(!u.detail.contains("s3cr3t") && u.detail.contains("[redacted]"));
        assert_eq!(c.parts["schedules"].status, SourceStatus::Forbidden);
        assert_eq!(c.parts["schedules"].detail.as_ref(), Some(&u.detail));
        assert!(
            c.fatal.is_none(),
            "a 403 on one part leaves the source standing"
        );
    }

    #[test]
    fn a_partial_part_is_listed_three_times_and_unread_rest_fills_the_gaps() {
        let mut c = collected();
        let mut out: PartOut<u8> = PartOut::new("users");
        out.partial
            .push(UnreadItem::new("users", "stopped at 100 pages"));
        c.absorb(out);
        assert!(c.facts.accounts[ACCOUNT].partial["users"].contains("stopped at 100 pages"));
        assert_eq!(c.parts["users"].status, SourceStatus::Ok);
        assert_eq!(c.parts["users"].incomplete.len(), 1);
        assert_eq!(c.incomplete.len(), 1);
        c.fatal = Some((SourceStatus::Timeout, "services timed out".into()));
        c.unread_rest(evident_oncall::PARTS);
        let unread = &c.facts.accounts[ACCOUNT].unread;
        assert!(
            !unread.contains_key("users"),
            "a part that was read is not unread"
        );
        assert_eq!(unread.len(), evident_oncall::PARTS.len() - 1);
        assert_eq!(unread["incidents"].status, "timeout");
    }
}
