//! Faults the mock injects, so a test can check how the probe copes with what GitHub really does
//! when it is busy, broken or hostile. Settable in the model or at runtime through the handle.

use serde::{Deserialize, Serialize};

/// Everything that makes the mock misbehave (the default: a healthy GitHub, 5,000 requests an
/// hour on each of REST and GraphQL).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// The primary REST (`core`) limit per token; requests beyond it answer 403 (or
    /// `rate_limit_status`) with `x-ratelimit-remaining: 0`.
    pub core_limit: u64,
    /// The primary GraphQL limit per token, in points.
    pub graphql_limit: u64,
    /// The points one GraphQL query costs.
    pub graphql_cost: u64,
    /// The HTTP status of a primary rate-limit answer (GitHub documents 403 or 429).
    pub rate_limit_status: u16,
    /// The HTTP status of a GraphQL primary rate-limit answer (GitHub sends 200 with a
    /// `RATE_LIMITED` error; some deployments 403).
    pub graphql_rate_limit_status: u16,
    /// The body of a GraphQL primary rate-limit answer.
    pub graphql_rate_limit_style: GraphqlRateLimitStyle,
    /// A secondary (abuse) limit, if any.
    pub secondary: Option<SecondaryLimit>,
    /// Per-route faults, first match wins.
    pub routes: Vec<RouteFault>,
    /// Latency added to every REST and GraphQL answer, in milliseconds.
    pub latency_ms: u64,
    /// Reflect the caller's token into repository names, descriptions and error messages, so
    /// the probe's redaction can be tested.
    pub echo_canary: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            core_limit: 5000,
            graphql_limit: 5000,
            graphql_cost: 1,
            rate_limit_status: 403,
            graphql_rate_limit_status: 200,
            graphql_rate_limit_style: GraphqlRateLimitStyle::Documented,
            secondary: None,
            routes: Vec::new(),
            latency_ms: 0,
            echo_canary: false,
        }
    }
}

/// The two bodies GitHub has been seen to send when the GraphQL quota is spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphqlRateLimitStyle {
    /// As documented: `{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded
    /// for user ID 1."}]}`.
    #[default]
    Documented,
    /// As reported from 2026: `{"errors":[{"type":"RATE_LIMIT","code":"graphql_rate_limit",
    /// "message":"API rate limit already exceeded for user ID 1."}]}`.
    Code,
}

/// A secondary rate limit: requests number `after + 1` to `after + count` (counted over all
/// tokens and routes except `/rate_limit`) are refused with `retry-after`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SecondaryLimit {
    /// How many requests pass before the limit trips.
    pub after: u64,
    /// How many requests are refused once it has tripped (then it clears).
    pub count: u64,
    /// The `retry-after` header, in seconds.
    pub retry_after_secs: u64,
    /// 403 (GitHub's usual answer) or 429.
    pub status: u16,
}

impl Default for SecondaryLimit {
    fn default() -> Self {
        SecondaryLimit {
            after: 0,
            count: 1,
            retry_after_secs: 1,
            status: 403,
        }
    }
}

/// A fault on one route.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteFault {
    /// The route name (see `Route::name`: `orgs.repos`, `users.repos`, `repos.get`,
    /// `actions.runs`, `graphql`, `rate_limit`, `git`) or `*` for all.
    pub route: String,
    /// What happens.
    pub fault: Fault,
    /// Matching requests let through before it fires.
    pub skip: u64,
    /// How many times it fires (none: forever).
    pub times: Option<u64>,
    /// Only requests about this repository (`owner/name`, case-insensitive): REST paths
    /// `/repos/{owner}/{name}/...`, GraphQL queries whose `variables` give `owner` and
    /// `name`, git paths `/{owner}/{name}.git/...`. None: every request of the route.
    pub repo: Option<String>,
}

impl Default for RouteFault {
    fn default() -> Self {
        RouteFault {
            route: "*".into(),
            fault: Fault::Status(500),
            skip: 0,
            times: None,
            repo: None,
        }
    }
}

impl RouteFault {
    /// A fault on `route` that fires on every request.
    pub fn new(route: impl Into<String>, fault: Fault) -> Self {
        RouteFault {
            route: route.into(),
            fault,
            ..RouteFault::default()
        }
    }

    /// The same fault, only on requests about `repo` (`owner/name`).
    pub fn on_repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }
}

/// What a faulty route does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// This status (500, 502, 503...) with GitHub's JSON error body.
    Status(u16),
    /// 200 with an error object as the body.
    ErrorObject200,
    /// 200 with the wrong shape: an object where a list belongs, a list where an object does.
    WrongShape,
    /// 200 with a body that is not JSON.
    NonJson,
    /// The right answer, cut short: the connection closes before `Content-Length` bytes.
    Truncated,
    /// The right answer after this many milliseconds.
    Delay(u64),
    /// The connection closes without an answer.
    Reset,
    /// List routes always announce a next page (`Link: rel="next"`), forever.
    EndlessPagination,
    /// A 503 HTML error page, as GitHub's front end sends when it is down.
    HtmlError,
}
