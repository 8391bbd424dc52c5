//! The mock's own tests: shapes against the committed schemas, GraphQL answers against the
//! probe's queries, pagination, conditional requests, limits, faults, and real git clones.

mod common;
mod faults;
mod git;
mod graphql;
mod rest;
