//! A thin wrapper over regorus: compile once, clone per worker, evaluate with a bound.
//!
//! Rules run on regorus' RVM (compiled bytecode) when they compile for it, which
//! measured 3–4× faster than the tree-walking interpreter on our rules; a rule the RVM
//! compiler does not support yet (for instance one using `with`) falls back to the
//! interpreter, with the same results.

use crate::catalog::RuleSource;
use crate::{EngineError, Result};
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::Program;
use regorus::rvm::vm::RegoVM;
use regorus::utils::limits::ExecutionTimerConfig;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Compiled Rego rules, ready to evaluate against inputs.
///
/// Cloning is cheap relative to compiling, which is why workers each take a clone of one
/// warmed engine instead of compiling their own.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: regorus::Engine,
    packages: Vec<String>,
    programs: HashMap<String, Arc<Program>>,
    input: regorus::Value,
}

impl std::fmt::Debug for PolicyEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyEngine")
            .field("packages", &self.packages)
            .field("compiled", &self.programs.len())
            .finish()
    }
}

/// How long one rule may evaluate before it is stopped: far beyond any sane rule, so it
/// only ever catches a runaway (a quadratic join, a recursion).
pub const RULE_TIME_LIMIT: Duration = Duration::from_secs(20);

fn timer() -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit: RULE_TIME_LIMIT,
        check_interval: NonZeroU32::MIN.saturating_add(999),
    }
}

impl PolicyEngine {
    /// Compiles the given sources. A source that does not compile is an error naming its
    /// file and the compiler's message.
    pub fn new(sources: &[RuleSource]) -> Result<Self> {
        let mut engine = regorus::Engine::new();
        engine.set_execution_timer_config(timer());
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
        // Evaluate once so the analysis and scheduling regorus does on first use is done
        // here, and every clone starts warm.
        engine.set_input(regorus::Value::new_object());
        engine
            .eval_rule("data.evident.lib.datastore_images".to_owned())
            .map_err(|e| EngineError::Policy {
                path: "warm-up".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            engine,
            packages,
            programs: HashMap::new(),
            input: regorus::Value::new_object(),
        })
    }

    /// Compiles `rule` (`data.<package>.<name>`) for the RVM; returns whether it did. A
    /// rule that does not compile for the RVM stays on the interpreter.
    pub fn precompile(&mut self, rule: &str) -> bool {
        if self.programs.contains_key(rule) {
            return true;
        }
        let entry: regorus::Rc<str> = regorus::Rc::from(rule);
        let compiled = self
            .engine
            .compile_with_entrypoint(&entry)
            .map_err(|e| e.to_string())
            .and_then(|policy| {
                Compiler::compile_from_policy(&policy, &[rule]).map_err(|e| e.to_string())
            });
        match compiled {
            Ok(program) => {
                self.programs.insert(rule.to_owned(), program);
                true
            }
            Err(e) => {
                tracing::debug!(rule, "rule runs on the interpreter: {e}");
                false
            }
        }
    }

    /// Rules that run on the RVM (the rest run on the interpreter).
    pub fn compiled_rules(&self) -> Vec<&str> {
        let mut rules: Vec<&str> = self.programs.keys().map(String::as_str).collect();
        rules.sort_unstable();
        rules
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
        self.set_input(value);
        Ok(())
    }

    /// Sets an already parsed input document (cheap to clone: it is reference counted).
    pub fn set_input(&mut self, value: regorus::Value) {
        self.engine.set_input(value.clone());
        self.input = value;
    }

    /// The current input, for building per-worker variants of it.
    pub fn input(&self) -> &regorus::Value {
        &self.input
    }

    /// Evaluates one rule (`data.<package>.<name>`) and returns its value as JSON, or
    /// `None` when the rule is undefined for this input.
    pub fn eval(&mut self, rule: &str) -> Result<Option<serde_json::Value>> {
        let err = |e: String| EngineError::Evaluation {
            rule: rule.to_owned(),
            message: e,
        };
        let value = match self.programs.get(rule) {
            Some(program) => {
                let mut vm = RegoVM::new();
                vm.load_program(Arc::clone(program));
                vm.set_max_instructions(usize::MAX);
                vm.set_execution_timer_config(Some(timer()));
                vm.set_input(self.input.clone());
                vm.execute().map_err(|e| err(e.to_string()))?
            }
            None => self
                .engine
                .eval_rule(rule.to_owned())
                .map_err(|e| err(e.to_string()))?,
        };
        if value == regorus::Value::Undefined {
            return Ok(None);
        }
        serde_json::to_value(&value)
            .map(Some)
            .map_err(|e| err(e.to_string()))
    }
}
