//! Mock on-call APIs for the PagerDuty and Opsgenie probes' tests and benchmarks.
//!
//! One generic server ([`server`]) runs an [`server::Api`] on 127.0.0.1: it adds latency,
//! counts requests per route, checks credentials, and injects the faults of the truth
//! matrix ([`faults`]) in the vendor's own error shapes. The two APIs ([`pagerduty`],
//! [`opsgenie`]) answer from an estate built in code, field for field as the vendors'
//! published API descriptions (PagerDuty `reference/REST/openapiv3.json`, Opsgenie
//! `opsgenie-oas` `definitions/` and `paths/`) give them, paging included.

#![warn(missing_docs)]

pub mod faults;
pub mod opsgenie;
pub mod pagerduty;
pub mod replay;
pub mod server;

pub use faults::{Fault, Faults, RouteFault};
pub use server::{Api, MockAnswer, MockRequest, MockServer, Stats};
