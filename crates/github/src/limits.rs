//! What GitHub said about the quota, per resource (`core`, `graphql`), from the
//! `x-ratelimit-*` headers of every answer.

use http::HeaderMap;
use std::collections::BTreeMap;

/// The quota of one resource as last reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quota {
    /// Requests (or GraphQL points) left.
    pub remaining: Option<u64>,
    /// The limit per hour.
    pub limit: Option<u64>,
    /// Unix time the quota resets.
    pub reset: Option<i64>,
}

/// Quotas by resource name.
#[derive(Debug, Default)]
pub struct RateState {
    quotas: BTreeMap<String, Quota>,
}

fn header<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl RateState {
    /// Reads the rate-limit headers of an answer; returns the resource they were about.
    pub fn update(&mut self, headers: &HeaderMap, default_resource: &str) -> String {
        let resource: String =
            header(headers, "x-ratelimit-resource").unwrap_or_else(|| default_resource.into());
        let remaining = header(headers, "x-ratelimit-remaining");
        if remaining.is_some() {
            let q = self.quotas.entry(resource.clone()).or_default();
            q.remaining = remaining;
            q.limit = header(headers, "x-ratelimit-limit").or(q.limit);
            q.reset = header(headers, "x-ratelimit-reset").or(q.reset);
        }
        resource
    }

    /// The quota of `resource`, as last reported.
    pub fn quota(&self, resource: &str) -> Quota {
        self.quotas.get(resource).copied().unwrap_or_default()
    }

    /// Marks `resource` as spent until `reset` (a GraphQL RATE_LIMITED error carries no
    /// headers that say so).
    pub fn exhaust(&mut self, resource: &str, reset: Option<i64>) {
        let q = self.quotas.entry(resource.to_owned()).or_default();
        q.remaining = Some(0);
        if reset.is_some() {
            q.reset = reset;
        }
    }

    /// Every resource's quota, for the scan's summary.
    pub fn all(&self) -> &BTreeMap<String, Quota> {
        &self.quotas
    }
}

/// A Unix time as people read it: `12:34:56 UTC`.
pub fn clock(reset: i64) -> String {
    chrono::DateTime::from_timestamp(reset, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("unix time {reset}"))
}
