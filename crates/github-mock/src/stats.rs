//! Counters a test reads to check what the probe asked for: requests per route and per token,
//! what counted against the quota, conditional hits, limits and faults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one route or one token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Requests received.
    pub requests: u64,
    /// Requests that counted against the primary quota (REST: one each; GraphQL: one per query,
    /// whatever its point cost).
    pub counted: u64,
    /// Conditional requests answered `304 Not Modified` (never counted).
    pub not_modified: u64,
}

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// All requests, API and git.
    pub requests: u64,
    /// Requests that counted against a primary quota.
    pub counted: u64,
    /// `304 Not Modified` answers.
    pub not_modified: u64,
    /// 401 answers (no or unknown token).
    pub unauthorized: u64,
    /// Primary rate-limit refusals.
    pub rate_limited: u64,
    /// Secondary rate-limit refusals.
    pub secondary_limited: u64,
    /// Injected faults that fired.
    pub faults: u64,
    /// Per route name (`orgs.repos`, `users.repos`, `repos.get`, `actions.runs`, `graphql`,
    /// `rate_limit`, `git`, `unknown`).
    pub per_route: BTreeMap<String, Counts>,
    /// Per token as presented (`<none>` without one).
    pub per_token: BTreeMap<String, Counts>,
    /// GraphQL requests per operation name (`<anonymous>` without one).
    pub per_operation: BTreeMap<String, u64>,
}

impl Stats {
    /// Requests received on a route.
    pub fn route(&self, route: &str) -> Counts {
        self.per_route.get(route).copied().unwrap_or_default()
    }

    /// Requests received with a token.
    pub fn token(&self, token: &str) -> Counts {
        self.per_token.get(token).copied().unwrap_or_default()
    }

    pub(crate) fn received(&mut self, route: &str, token: &str) {
        self.requests += 1;
        self.per_route
            .entry(route.to_string())
            .or_default()
            .requests += 1;
        self.per_token
            .entry(token.to_string())
            .or_default()
            .requests += 1;
    }

    pub(crate) fn counted(&mut self, route: &str, token: &str) {
        self.counted += 1;
        self.per_route.entry(route.to_string()).or_default().counted += 1;
        self.per_token.entry(token.to_string()).or_default().counted += 1;
    }

    pub(crate) fn not_modified(&mut self, route: &str, token: &str) {
        self.not_modified += 1;
        self.per_route
            .entry(route.to_string())
            .or_default()
            .not_modified += 1;
        self.per_token
            .entry(token.to_string())
            .or_default()
            .not_modified += 1;
    }
}
