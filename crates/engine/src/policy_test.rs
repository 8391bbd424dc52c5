//! `evident policy test DIR`: Rego unit tests, run the way OPA users expect.
//!
//! Every rule whose name starts with `test_` in the directory's `.rego` files is
//! evaluated with the built-in library and rules loaded beside it; it passes when it is
//! `true`. Tests set their own input with `with input as ...`.

use crate::catalog::{Catalog, RuleSource};
use crate::policy::PolicyEngine;
use crate::{EngineError, Result};
use std::path::Path;

/// The outcome of one test rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// `data.<package>.<rule>`.
    pub name: String,
    /// The file that declares it.
    pub file: String,
    /// True when the rule evaluated to `true`.
    pub passed: bool,
    /// Why it failed (undefined, false, an error), for the report.
    pub detail: Option<String>,
}

fn test_names(source: &RuleSource) -> Vec<String> {
    let mut names: Vec<String> = source
        .text
        .lines()
        .filter_map(|line| {
            let name: String = line
                .strip_prefix("test_")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            Some(format!("test_{name}"))
        })
        .collect();
    names.dedup();
    names
}

/// Loads the built-in rules plus every `.rego` in `dir` and runs the `test_` rules.
pub fn run_policy_tests(dir: &Path) -> Result<Vec<TestOutcome>> {
    let mut catalog = Catalog::builtin()?;
    catalog.load_policy_dir(dir)?;
    let engine = PolicyEngine::new(&catalog.rules)?;
    let dir_prefix = dir.display().to_string();
    let mut outcomes = Vec::new();
    // A rule no model's criterion maps to would never run in a scan: a failure here.
    if let Err(EngineError::Policy { path, message }) = catalog.judges_a_criterion(&dir_prefix) {
        outcomes.push(TestOutcome {
            name: "rules judge a declared criterion".into(),
            file: path,
            passed: false,
            detail: Some(message),
        });
    }
    // A status outside the vocabulary would only ever show as unknown: a failure here.
    if let Err(EngineError::Policy { path, message }) = catalog.statuses_in_vocabulary(&dir_prefix)
    {
        outcomes.push(TestOutcome {
            name: "rules return statuses of the vocabulary".into(),
            file: path,
            passed: false,
            detail: Some(message),
        });
    }
    for source in catalog
        .rules
        .iter()
        .filter(|r| r.path.starts_with(&dir_prefix))
    {
        let Some(package) = &source.package else {
            continue;
        };
        for test in test_names(source) {
            let name = format!("data.{package}.{test}");
            let mut engine = engine.clone();
            engine.set_input_json("{}")?;
            let (passed, detail) = match engine.eval(&name) {
                Ok(Some(serde_json::Value::Bool(true))) => (true, None),
                Ok(Some(other)) => (false, Some(format!("evaluated to {other}"))),
                Ok(None) => (
                    false,
                    Some("undefined (a condition in the test did not hold)".into()),
                ),
                Err(EngineError::Evaluation { message, .. }) => (false, Some(message)),
                Err(e) => (false, Some(e.to_string())),
            };
            outcomes.push(TestOutcome {
                name,
                file: source.path.clone(),
                passed,
                detail,
            });
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_and_failing_tests_are_told_apart() {
        let dir = std::env::temp_dir().join(format!("evident-policy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine_test.rego"),
            "package mine_test\n\nimport rego.v1\nimport data.evident.lib\n\ntest_met_shape if {\n\tr := lib.met(\"ok\", [\"e1\"])\n\tr.status == \"met\"\n}\n\ntest_fails if {\n\t1 == 2\n}\n\ntest_with_input if {\n\tlib.ok(\"git\") with input as {\"sources\": {\"git\": {\"status\": \"ok\"}}}\n}\n",
        )
        .unwrap();
        let outcomes = run_policy_tests(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let summary: Vec<_> = outcomes
            .iter()
            .map(|o| (o.name.as_str(), o.passed))
            .collect();
        assert_eq!(
            summary,
            [
                ("data.mine_test.test_met_shape", true),
                ("data.mine_test.test_fails", false),
                ("data.mine_test.test_with_input", true),
            ]
        );
    }
}
