//! The source gate: which criteria a source's answer lets a rule judge at all.
//!
//! Fixed here rather than in Rego so no policy can bend it (criteria.md, Statuses):
//!
//! - A required source that is not `ok` makes the criterion `unknown` with that status.
//!   `a|b` names alternatives, either of which is enough.
//! - Any source a criterion names (required, an alternative, or optional) that was
//!   configured and failed makes it `unknown`, even when the rest would do: what the
//!   failed source holds could decide the verdict. Only a source that was never
//!   configured lets the rule judge from the rest.
//! - A source that answered but left items unread (`incomplete`) can prove `met`, never
//!   `not_met` or `not_applicable`: those become `unknown` with reason `partial`.
//!
//! A source is named `capability` or `capability.part` (`prometheus.rules`): a part
//! failing takes only the criteria that name it, or the bare capability (which means
//! "every part of it").

use serde_json::Value;
use std::collections::HashMap;

/// How one capability or part answered, as the gate reads it from `input.sources`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceState {
    pub status: String,
    pub detail: String,
    /// `location: reason` of every item answered but not readable.
    pub incomplete: Vec<String>,
    pub parts: HashMap<String, SourceState>,
}

/// What stops a criterion before its rule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gated {
    pub reason: String,
    pub summary: String,
    pub missing: Vec<String>,
}

/// Every capability's state, read once per evaluation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sources(HashMap<String, SourceState>);

const NOT_CONFIGURED: &str = "not_configured";

impl SourceState {
    fn read(value: &Value) -> Self {
        let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or("");
        let status = match text("status") {
            "" => NOT_CONFIGURED,
            s => s,
        };
        let incomplete = value
            .get("incomplete")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| {
                let field = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or("");
                format!("{}: {}", field("location"), field("reason"))
            })
            .collect();
        let parts = value
            .get("parts")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), SourceState::read(v)))
            .collect();
        Self {
            status: status.to_owned(),
            detail: text("detail").to_owned(),
            incomplete,
            parts,
        }
    }

    fn failed(&self) -> bool {
        self.status != "ok" && self.status != NOT_CONFIGURED
    }
}

impl Sources {
    /// Reads `input.sources`.
    pub fn read(input: &Value) -> Self {
        Self(
            input
                .get("sources")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), SourceState::read(v)))
                .collect(),
        )
    }

    /// The state of `capability` or `capability.part`. A part takes its capability's
    /// state when the capability did not answer, or when it reports no such part.
    fn lookup(&self, name: &str) -> Option<&SourceState> {
        let (cap, part) = match name.split_once('.') {
            Some((c, p)) => (c, Some(p)),
            None => (name, None),
        };
        let state = self.0.get(cap)?;
        match part.and_then(|p| state.parts.get(p)) {
            Some(p) if state.status == "ok" => Some(p),
            _ => Some(state),
        }
    }

    /// How a required source is named when it is missing: a part of a capability that
    /// did not answer at all is that capability (`needs prometheus`, not `needs
    /// prometheus.targets`, when no Prometheus was given); a part of one that answered
    /// keeps its own name.
    fn shown<'a>(&self, name: &'a str) -> &'a str {
        match name.split_once('.') {
            Some((cap, _)) if self.0.get(cap).is_none_or(|s| s.status != "ok") => cap,
            _ => name,
        }
    }

    /// Whether the source `name` answered.
    pub fn ok(&self, name: &str) -> bool {
        self.lookup(name).is_some_and(|s| s.status == "ok")
    }

    /// Whether a required entry (`a|b` alternatives) is satisfied.
    pub fn required_ok(&self, required: &str) -> bool {
        required.split('|').any(|a| self.ok(a))
    }

    /// Why a criterion reading `required` and `optional` sources cannot be judged, if it
    /// cannot: a required source missing first, then any named source that failed.
    pub fn gate(&self, required: &[String], optional: &[String]) -> Option<Gated> {
        for entry in required {
            if self.required_ok(entry) {
                continue;
            }
            let names = entry
                .split('|')
                .map(|a| self.shown(a))
                .collect::<Vec<_>>()
                .join(" or ");
            let first = entry.split('|').next().unwrap_or(entry);
            let (status, detail) = self.lookup(first).map_or_else(
                || {
                    (
                        NOT_CONFIGURED.to_owned(),
                        format!("no {names} source in this scan"),
                    )
                },
                |s| (s.status.clone(), s.detail.clone()),
            );
            return Some(Gated {
                summary: with_detail(format!("needs {names} ({status}"), &detail),
                reason: status,
                missing: vec![names],
            });
        }
        let named = required
            .iter()
            .flat_map(|e| e.split('|'))
            .chain(optional.iter().map(String::as_str));
        for name in named {
            if let Some((which, state)) = self.failure(name) {
                return Some(Gated {
                    summary: with_detail(
                        format!(
                            "reads {which}, which was configured and failed ({}",
                            state.status
                        ),
                        &state.detail,
                    ),
                    reason: state.status.clone(),
                    missing: vec![which],
                });
            }
        }
        None
    }

    /// The failed source behind `name`, if any: the capability itself, the named part,
    /// or for a bare capability name any of its parts (in name order).
    fn failure(&self, name: &str) -> Option<(String, &SourceState)> {
        let (cap, part) = match name.split_once('.') {
            Some((c, p)) => (c, Some(p)),
            None => (name, None),
        };
        let state = self.0.get(cap)?;
        if state.failed() {
            return Some((cap.to_owned(), state));
        }
        let mut parts: Vec<(&String, &SourceState)> = match part {
            Some(p) => state.parts.get_key_value(p).into_iter().collect(),
            None => state.parts.iter().collect(),
        };
        parts.sort_by(|a, b| a.0.cmp(b.0));
        parts
            .into_iter()
            .find(|(_, s)| s.failed())
            .map(|(p, s)| (format!("{cap}.{p}"), s))
    }

    /// The items every named source answered but could not be read: a capability's own
    /// and, for a bare capability name, those of all its parts.
    pub fn unread(&self, required: &[String], optional: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let named = required
            .iter()
            .flat_map(|e| e.split('|'))
            .chain(optional.iter().map(String::as_str));
        for name in named {
            let (cap, part) = match name.split_once('.') {
                Some((c, p)) => (c, Some(p)),
                None => (name, None),
            };
            let Some(state) = self.0.get(cap) else {
                continue;
            };
            if state.status != "ok" {
                continue;
            }
            let mut items: Vec<&String> = state.incomplete.iter().collect();
            match part {
                Some(p) => items.extend(state.parts.get(p).into_iter().flat_map(|s| &s.incomplete)),
                None => items.extend(state.parts.values().flat_map(|s| &s.incomplete)),
            }
            for item in items {
                let line = format!("{cap}: {item}");
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
        out
    }
}

fn with_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        format!("{head})")
    } else {
        format!("{head}: {detail})")
    }
}

/// How many unread items a `partial` summary names before it says "and N more".
pub(crate) const UNREAD_NAMED: usize = 3;

/// The sentence a `partial` verdict adds to the rule's own summary.
pub(crate) fn unread_sentence(unread: &[String]) -> String {
    let named: Vec<&str> = unread
        .iter()
        .take(UNREAD_NAMED)
        .map(String::as_str)
        .collect();
    let more = unread.len().saturating_sub(UNREAD_NAMED);
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    format!(
        "{} item(s) could not be read ({}{tail})",
        unread.len(),
        named.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sources(v: Value) -> Sources {
        Sources::read(&json!({ "sources": v }))
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_failed_optional_source_gates_but_an_unconfigured_one_does_not() {
        let s = sources(json!({
            "git": {"status": "ok"},
            "prometheus": {"status": "error", "detail": "HTTP 500 on /api/v1/query"},
            "kubernetes": {"status": "not_configured"},
        }));
        let gated = s.gate(
            &names(&["git|kubernetes"]),
            &names(&["kubernetes", "prometheus"]),
        );
        let gated = gated.expect("a configured source failed");
        assert_eq!(gated.reason, "error");
        assert_eq!(
            gated.summary,
            "reads prometheus, which was configured and failed (error: HTTP 500 on /api/v1/query)"
        );
        assert_eq!(
            s.gate(&names(&["git|kubernetes"]), &names(&["kubernetes"])),
            None
        );
    }

    #[test]
    fn a_failed_alternative_gates_even_when_the_other_answered() {
        let s = sources(json!({
            "git": {"status": "ok"},
            "kubernetes": {"status": "forbidden", "detail": "403 on deployments"},
        }));
        let gated = s.gate(&names(&["git|kubernetes"]), &[]).expect("gated");
        assert_eq!(gated.reason, "forbidden");
        assert_eq!(gated.missing, vec!["kubernetes".to_owned()]);
    }

    #[test]
    fn a_failed_part_gates_only_criteria_naming_it_or_the_capability() {
        let s = sources(json!({
            "prometheus": {"status": "ok", "parts": {
                "availability": {"status": "timeout", "detail": "/api/v1/query_range did not answer"},
                "rules": {"status": "ok"},
            }},
        }));
        assert_eq!(s.gate(&names(&["prometheus.rules"]), &[]), None);
        let gated = s.gate(&names(&["git"]), &names(&["prometheus.availability"]));
        // git is missing first: required sources are reported before failed ones.
        assert_eq!(gated.map(|g| g.reason), Some("not_configured".to_owned()));
        let gated = s
            .gate(&[], &names(&["prometheus.availability"]))
            .expect("gated");
        assert_eq!(gated.reason, "timeout");
        assert!(
            gated.summary.contains("/api/v1/query_range"),
            "{}",
            gated.summary
        );
        // A bare capability name means every part of it.
        let gated = s.gate(&names(&["prometheus"]), &[]).expect("gated");
        assert_eq!(gated.missing, vec!["prometheus.availability".to_owned()]);
    }

    #[test]
    fn a_missing_capability_is_named_as_such_and_a_failed_part_by_its_name() {
        let s = sources(
            json!({"prometheus": {"status": "not_configured", "detail": "no --prometheus"}}),
        );
        let gated = s
            .gate(&names(&["prometheus.targets", "prometheus.metrics"]), &[])
            .expect("gated");
        assert_eq!(gated.reason, "not_configured");
        assert_eq!(
            gated.summary,
            "needs prometheus (not_configured: no --prometheus)"
        );
        assert_eq!(gated.missing, vec!["prometheus".to_owned()]);
        let s = sources(json!({"prometheus": {"status": "ok", "parts": {
            "targets": {"status": "error", "detail": "GET /api/v1/targets answered JSON of the wrong shape"}}}}));
        let gated = s.gate(&names(&["prometheus.targets"]), &[]).expect("gated");
        assert_eq!(gated.reason, "error");
        assert_eq!(gated.missing, vec!["prometheus.targets".to_owned()]);
        assert!(
            gated.summary.starts_with("needs prometheus.targets (error"),
            "{}",
            gated.summary
        );
        // An unconfigured capability named by a part, beside git, lets the rule judge.
        let s =
            sources(json!({"git": {"status": "ok"}, "prometheus": {"status": "not_configured"}}));
        assert_eq!(
            s.gate(
                &names(&["git|prometheus.rules"]),
                &names(&["prometheus.rules"])
            ),
            None
        );
    }

    #[test]
    fn unread_items_are_collected_per_named_source() {
        let s = sources(json!({
            "grafana": {"status": "ok", "incomplete": [
                {"location": "/api/dashboards/uid/a", "reason": "HTTP 500"}
            ]},
            "prometheus": {"status": "ok", "parts": {
                "rules": {"status": "ok", "incomplete": [{"location": "group g", "reason": "not an object"}]},
                "targets": {"status": "ok"},
            }},
        }));
        assert_eq!(
            s.unread(&names(&["prometheus", "grafana"]), &[]),
            vec![
                "prometheus: group g: not an object".to_owned(),
                "grafana: /api/dashboards/uid/a: HTTP 500".to_owned()
            ]
        );
        assert!(s.unread(&names(&["prometheus.targets"]), &[]).is_empty());
        assert_eq!(
            unread_sentence(&s.unread(&names(&["grafana"]), &[])),
            "1 item(s) could not be read (grafana: /api/dashboards/uid/a: HTTP 500)"
        );
    }
}
