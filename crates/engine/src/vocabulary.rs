//! The statuses a rule may return, and the checks that refuse any other.
//!
//! A rule that returns `"passed"` or `"ok"` would otherwise only show as `unknown`
//! with reason `error`, which looks like a source failing rather than a mistake in
//! the policy. So a status outside the vocabulary is an error naming the policy file
//! and the line: found in the text when a literal `"status": "..."` is written there,
//! and in the rule's output when it is computed.

use crate::catalog::RuleSource;
use serde_json::Value;

/// What a rule may answer. `manual` and `attested` belong to the verdict vocabulary
/// too, but only attestations give them, so a rule answering them is refused as well.
pub const RULE_STATUSES: [&str; 4] = ["met", "not_met", "unknown", "not_applicable"];

/// The message part that names the allowed statuses, shared by both checks.
fn allowed() -> String {
    format!(
        "a rule may return only {} (lib.met, lib.not_met, lib.unknown, lib.not_applicable); manual and attested come from attestations",
        RULE_STATUSES.join(", ")
    )
}

/// A status literal written in the text that is outside [`RULE_STATUSES`]: the
/// 1-based line and the status. Reads `"status": "X"` (any spacing), the shape a
/// hand-built verdict object takes, and `status := "X"` / `status = "X"`, a variable
/// the object is then built from.
pub fn literal_statuses(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        let mut from = 0;
        while let Some(at) = code[from..].find("status") {
            let start = from + at;
            from = start + "status".len();
            if let Some(status) = literal_after(code, start)
                && !RULE_STATUSES.contains(&status)
            {
                found.push((i + 1, status.to_owned()));
            }
        }
    }
    found
}

/// The string literal assigned at `code[start..]` (which begins with `status`): after
/// `"status":` as a key, or after `status :=` / `status =` as a variable.
fn literal_after(code: &str, start: usize) -> Option<&str> {
    let before = code[..start].chars().next_back();
    let rest = &code[start + "status".len()..];
    let value = if before == Some('"') {
        rest.strip_prefix('"')?.trim_start().strip_prefix(':')?
    } else {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
        if before.is_some_and(word) || rest.starts_with(word) {
            return None;
        }
        let rest = rest.trim_start();
        match rest.strip_prefix(":=") {
            Some(v) => v,
            None => rest.strip_prefix('=').filter(|v| !v.starts_with('='))?,
        }
    };
    let value = value.trim_start().strip_prefix('"')?;
    value.find('"').map(|end| &value[..end])
}

/// The first status literal of `source` outside the vocabulary, as `(file:line,
/// message)`, for the load-time check of a policy directory.
pub fn check_source(source: &RuleSource) -> Option<(String, String)> {
    let (line, status) = literal_statuses(&source.text).into_iter().next()?;
    Some((
        format!("{}:{line}", source.path),
        format!(
            "the rule returns status {status:?}, which is not a status; {}",
            allowed()
        ),
    ))
}

/// A status outside the vocabulary in a rule's output (`result` keyed by subject, or
/// one verdict for an estate rule), for the evaluation-time check: `(file:line,
/// message)`. The line is where the status is written, else the `result` head, else 1.
pub fn check_output(source: &RuleSource, rule: &str, output: &Value) -> Option<(String, String)> {
    let status_of = |v: &Value| v.get("status").map(|s| s.as_str().map(str::to_owned));
    let bad = |s: &Option<String>| match s {
        Some(name) => !RULE_STATUSES.contains(&name.as_str()),
        None => true,
    };
    let found = match status_of(output) {
        Some(s) => bad(&s).then_some(s),
        None => output
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
            .filter_map(status_of)
            .find(bad),
    }?;
    let shown = found.map_or_else(
        || "a status that is not a string".to_owned(),
        |s| format!("status {s:?}"),
    );
    let line = found_line(&source.text, &shown);
    Some((
        format!("{}:{line}", source.path),
        format!(
            "{rule} returned {shown}, which is not a status; {}",
            allowed()
        ),
    ))
}

/// The 1-based line where `shown` (`status "X"`) is written as a string, else the
/// first `result` head, else 1.
fn found_line(text: &str, shown: &str) -> usize {
    let literal = shown.strip_prefix("status ").filter(|s| s.starts_with('"'));
    let at = |pred: &dyn Fn(&str) -> bool| text.lines().position(pred).map(|i| i + 1);
    literal
        .and_then(|lit| at(&|l: &str| l.contains(lit)))
        .or_else(|| at(&|l: &str| l.starts_with("result")))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> RuleSource {
        RuleSource::new("p/mine.rego".into(), text.into())
    }

    #[test]
    fn a_literal_status_outside_the_vocabulary_is_found_with_its_line() {
        let text = "package x\n\nresult[sid] := {\"status\": \"passed\", \"summary\": \"ok\"} if some sid, _ in input.services\nother := {\"status\":\"met\"} # \"status\": \"fine\"\n";
        assert_eq!(literal_statuses(text), [(3, "passed".to_owned())]);
        let variable =
            "s := x.status\nstatus := \"ok\" if true\nr.status == \"done\"\nstatus = \"met\"\n";
        assert_eq!(literal_statuses(variable), [(2, "ok".to_owned())]);
        let (at, message) = check_source(&source(text)).unwrap();
        assert_eq!(at, "p/mine.rego:3");
        assert!(
            message.contains("status \"passed\", which is not a status"),
            "{message}"
        );
        assert!(
            message.contains("met, not_met, unknown, not_applicable"),
            "{message}"
        );
    }

    #[test]
    fn a_computed_status_outside_the_vocabulary_names_the_result_line() {
        let text = "package x\n\nimport rego.v1\n\nresult[sid] := v if {\n\tsome sid, _ in input.services\n\tv := {\"status\": concat(\"\", [\"pass\", \"ed\"])}\n}\n";
        let output = serde_json::json!({"web": {"status": "passed"}, "api": {"status": "met"}});
        let (at, message) = check_output(&source(text), "data.x.result", &output).unwrap();
        assert_eq!(at, "p/mine.rego:5");
        assert!(
            message.starts_with("data.x.result returned status \"passed\""),
            "{message}"
        );
        let fine = serde_json::json!({"web": {"status": "not_applicable"}});
        assert_eq!(check_output(&source(text), "data.x.result", &fine), None);
        let estate = serde_json::json!({"status": "manual"});
        let (_, message) = check_output(&source(text), "data.x.result", &estate).unwrap();
        assert!(message.contains("status \"manual\""), "{message}");
    }
}
