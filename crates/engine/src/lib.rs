//! The rule engine: maturity models as data, one Rego rule per criterion, and the fixed
//! semantics (sources, manual criteria, attestations, level inference) in Rust.
//!
//! Rego decides what each criterion means, so users can read, override and test it like
//! any OPA policy. What a status and a level mean is not negotiable per policy, so that
//! part lives here.

pub mod attest;
pub mod catalog;
pub mod dora;
mod dora_incidents;
pub mod evaluate;
mod gate;
pub mod levels;
pub mod policy;
pub mod policy_test;
pub mod promql;
pub mod resolve;
pub mod vocabulary;

pub use attest::{ATTESTATION_PATH, Attestation, AttestationOrigin, AttestationSet};
pub use catalog::{
    Catalog, Criterion, LevelDef, Model, ModelKind, Observability, PolicyFile, Scope,
    read_policy_dir,
};
pub use evaluate::{Evaluation, Evaluator};
pub use levels::infer_levels;
pub use policy::PolicyEngine;
pub use policy_test::{TestOutcome, run_policy_tests};

/// Why the engine could not do its work. Every variant names the file or rule at fault,
/// because the person reading it wrote that file.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A model YAML file could not be read or parsed.
    #[error("model {path}: {message}")]
    Model {
        /// The file.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A Rego file did not compile.
    #[error("policy {path}: {message}")]
    Policy {
        /// The file.
        path: String,
        /// The compiler's message.
        message: String,
    },
    /// A rule failed while evaluating (type error, time limit).
    #[error("rule {rule}: {message}")]
    Evaluation {
        /// The rule path.
        rule: String,
        /// What failed.
        message: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, EngineError>;
