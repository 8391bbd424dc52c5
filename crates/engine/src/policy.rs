//! A thin wrapper over regorus: compile once, clone per worker, evaluate with a time bound.

use crate::catalog::RuleSource;
use crate::{EngineError, Result};
use std::num::NonZeroU32;
use std::time::Duration;

/// Compiled Rego rules, ready to evaluate against inputs.
///
/// Cloning is cheap relative to compiling, which is why workers each take a clone of one
/// warmed engine instead of compiling their own.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: regorus::Engine,
    packages: Vec<String>,
}

impl std::fmt::Debug for PolicyEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEngine")
            .field("packages", &self.packages)
            .finish()
    }
}

/// How long one rule may evaluate before it is stopped: far beyond any sane rule, so it
/// only ever catches a runaway (a quadratic join, a recursion).
pub const RULE_TIME_LIMIT: Duration = Duration::from_secs(20);

impl PolicyEngine {
    /// Compiles the given sources. A source that does not compile is an error naming its
    /// file and the compiler's message.
    pub fn new(sources: &[RuleSource]) -> Result<Self> {
        let mut engine = regorus::Engine::new();
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: RULE_TIME_LIMIT,
            check_interval: NonZeroU32::MIN.saturating_add(999),
        });
        let mut packages = Vec::new();
        for source in sources {
            engine
                .add_policy(source.path.clone(), source.text.clone())
                .map_err(|e| EngineError::Policy {
                    path: source.path.clone(),
                    message: e.to_string(),
                })?;
            if let Some(p) = &source.package {
                packages.push(p.clone());
            }
        }
        Ok(Self { engine, packages })
    }

    /// Whether a package was loaded.
    pub fn has_package(&self, package: &str) -> bool {
        self.packages.iter().any(|p| p == package)
    }

    /// Sets the input document from JSON text. Parsing the text directly is measurably
    /// faster than converting a `serde_json::Value`.
    pub fn set_input_json(&mut self, json: &str) -> Result<()> {
        let value = regorus::Value::from_json_str(json).map_err(|e| EngineError::Evaluation {
            rule: "input".to_owned(),
            message: e.to_string(),
        })?;
        self.engine.set_input(value);
        Ok(())
    }

    /// Evaluates one rule (`data.<package>.<name>`) and returns its value as JSON, or
    /// `None` when the rule is undefined for this input.
    pub fn eval(&mut self, rule: &str) -> Result<Option<serde_json::Value>> {
        let value =
            self.engine
                .eval_rule(rule.to_owned())
                .map_err(|e| EngineError::Evaluation {
                    rule: rule.to_owned(),
                    message: e.to_string(),
                })?;
        if value == regorus::Value::Undefined {
            return Ok(None);
        }
        serde_json::to_value(&value)
            .map(Some)
            .map_err(|e| EngineError::Evaluation {
                rule: rule.to_owned(),
                message: e.to_string(),
            })
    }
}
