//! A mock GitHub for the GitHub probe's tests and benchmarks: REST and GraphQL answered from an
//! estate built in code ([`Model`]), in the shapes of GitHub's published API description, with
//! GitHub's headers, pagination, conditional requests, rate limits and failure modes
//! ([`Faults`]); and a real git smart-HTTP server (`git http-backend`) serving the model's bare
//! repositories, so `clone_url` clones.
//!
//! What it serves (route names, as counted in [`Stats`] and targeted by [`RouteFault`], in
//! brackets):
//!
//! - `GET /rate_limit` (`rate_limit`): `rate-limit-overview`, not counted against the quota.
//! - `GET /orgs/{org}/repos`, `/organizations/{id}/repos` (`orgs.repos`) and
//!   `GET /users/{user}/repos`, `/user/{id}/repos` (`users.repos`): `minimal-repository`
//!   lists; `type`, `sort`, `direction`, `per_page` (at most 100), `page`; `Link` as GitHub
//!   writes it (pointing at the id forms).
//! - `GET /repos/{owner}/{repo}`, `/repositories/{id}` (`repos.get`): `full-repository`;
//!   `clone_url` is the git server's.
//! - `GET /repos/{owner}/{repo}/actions/runs` (`actions.runs`): `{total_count,
//!   workflow_runs}`, newest first, `created` (`>=D`, `D..D`...), `branch`, `event`, `status`.
//! - `POST /graphql` (`graphql`): `rateLimit`, `repository`, `organization` with exactly the
//!   fields a query selects (the probe's `EvidentRepository` and `EvidentTeams` and any other
//!   query over the same types), GitHub's errors otherwise.
//! - git smart HTTP on [`MockGithub::git_url`] (`git`): `/{owner}/{repo}.git/...`.
//!
//! Every API answer carries `ETag` (REST), `x-ratelimit-*` and `x-github-request-id`;
//! `If-None-Match` hits answer 304 uncounted. Tokens come from `Authorization: Bearer` or
//! `token`; unknown ones get 401. A token without `admin` gets `null` plus `FORBIDDEN` errors
//! for branch protection, rulesets and environment protection rules.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use evident_github_mock::{Fault, MockGithub, MockRepo, Org, RouteFault};
//! let gh = MockGithub::builder()
//!     .org(Org::new("acme").with_repo(MockRepo::new("api").with_protection(&["ci"], 1)))
//!     .org(Org::sample("big", 1000, 3))
//!     .token("t0ken", true)
//!     .start()
//!     .await?;
//! let _rest = format!("{}/orgs/acme/repos", gh.url());
//! let _graphql = gh.graphql_url();
//! // Mid-scan: the next request to the repository route fails once.
//! gh.update_faults(|f| {
//!     f.routes.push(RouteFault { times: Some(1), ..RouteFault::new("repos.get", Fault::Status(502)) })
//! });
//! assert_eq!(gh.stats().route("orgs.repos").requests, 0);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod api;
mod body;
pub mod faults;
pub mod git;
pub mod graphql;
pub mod model;
mod names;
mod rest;
mod rest_routes;
mod routes;
mod server;
pub mod stats;

pub use faults::{Fault, Faults, GraphqlRateLimitStyle, RouteFault, SecondaryLimit};
pub use git::{BareRepo, RepoError, bare_repo_from};
pub use model::{
    AppSpec, CommitAuthor, Deployment, Environment, MockRepo, Model, Org, Permission, Protection,
    PullRequest, Release, Reviewer, Rule, Ruleset, Run, Status, Tag, Team, TokenSpec, Visibility,
};
pub use server::{Builder, MockGithub};
pub use stats::{Counts, Stats};
