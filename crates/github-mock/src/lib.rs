//! A mock GitHub for the GitHub probe's tests and benchmarks: REST and GraphQL answered from an
//! estate built in code ([`Model`]), in the shapes of GitHub's published API description, with
//! GitHub's headers, pagination, conditional requests, rate limits and failure modes
//! ([`Faults`]); and a real git smart-HTTP server (`git http-backend`) serving the model's bare
//! repositories, so `clone_url` clones.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use evident_github_mock::{MockGithub, MockRepo, Org};
//! let gh = MockGithub::builder()
//!     .org(Org::new("acme").with_repo(MockRepo::new("api").with_protection(&["ci"], 1)))
//!     .token("t0ken", true)
//!     .start()
//!     .await?;
//! let _rest = format!("{}/orgs/acme/repos", gh.url());
//! let _graphql = gh.graphql_url();
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
    Deployment, Environment, MockRepo, Model, Org, Permission, Protection, PullRequest, Release,
    Reviewer, Rule, Ruleset, Run, Status, Tag, Team, TokenSpec, Visibility,
};
pub use server::{Builder, MockGithub};
pub use stats::{Counts, Stats};
