//! Turns the input document into one verdict per model × criterion × service.
//!
//! The fixed semantics live here rather than in Rego, so no policy can bend them:
//! a criterion whose required source did not answer is `unknown` before its rule runs;
//! `none`-observability criteria are `manual` unless attested; a `met` that cites no
//! evidence is refused.

use crate::attest::{AttestationSet, Lookup};
use crate::catalog::{Catalog, Criterion, Observability, Scope};
use crate::policy::PolicyEngine;
use crate::{EngineError, Result};
use chrono::NaiveDate;
use evident_core::{CriterionInfo, CriterionResult, Status};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The engine, compiled and ready; evaluate as many inputs as you like.
#[derive(Debug, Clone)]
pub struct Evaluator {
    catalog: Catalog,
    engine: PolicyEngine,
}

/// What one evaluation produced.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Verdicts, in model, criterion, service order.
    pub results: Vec<CriterionResult>,
    /// Rule failures, already turned into `unknown` results; kept for logs and exit codes.
    pub rule_errors: Vec<String>,
}

/// A verdict in the shape a rule returns it.
#[derive(Debug, Clone)]
struct Verdict {
    status: Status,
    reason: Option<String>,
    summary: String,
    evidence: Vec<String>,
    missing: Vec<String>,
}

impl Verdict {
    fn unknown(reason: &str, summary: String, missing: Vec<String>) -> Self {
        Verdict {
            status: Status::Unknown,
            reason: Some(reason.to_owned()),
            summary,
            evidence: vec![],
            missing,
        }
    }

    fn from_rule(value: &Value, known_evidence: &HashSet<String>) -> Self {
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let list = |k: &str| -> Vec<String> {
            value
                .get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let Some(status_name) = text("status") else {
            return Verdict::unknown("error", "the rule returned no status".into(), vec![]);
        };
        let Some(status) = Status::parse(&status_name) else {
            return Verdict::unknown(
                "error",
                format!("the rule returned unknown status {status_name:?}"),
                vec![],
            );
        };
        let mut evidence = list("evidence");
        evidence.retain(|id| known_evidence.contains(id));
        evidence.sort();
        evidence.dedup();
        let summary = text("summary").unwrap_or_default();
        if status == Status::Met && evidence.is_empty() {
            return Verdict::unknown(
                "error",
                format!("the rule said met without citing evidence ({summary})"),
                vec![],
            );
        }
        if matches!(status, Status::Manual | Status::Attested) {
            return Verdict::unknown(
                "error",
                format!("rules cannot answer {status_name}; only attestations can"),
                vec![],
            );
        }
        Verdict {
            status,
            reason: text("reason"),
            summary,
            evidence,
            missing: list("missing"),
        }
    }
}

fn source_map(input: &Value) -> HashMap<String, (String, String)> {
    let mut map = HashMap::new();
    if let Some(sources) = input.get("sources").and_then(Value::as_object) {
        for (cap, s) in sources {
            let status = s
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("not_configured");
            let detail = s.get("detail").and_then(Value::as_str).unwrap_or("");
            map.insert(cap.clone(), (status.to_owned(), detail.to_owned()));
        }
    }
    map
}

impl Evaluator {
    /// Compiles the catalog's rules once.
    pub fn new(catalog: Catalog) -> Result<Self> {
        let engine = PolicyEngine::new(&catalog.rules)?;
        Ok(Self { catalog, engine })
    }

    /// The catalog this evaluator judges with.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Metadata of every criterion, for the self-describing scan result.
    pub fn criteria_info(&self) -> BTreeMap<String, CriterionInfo> {
        let mut out = BTreeMap::new();
        for m in &self.catalog.models {
            for c in &m.criteria {
                out.insert(
                    c.id.clone(),
                    CriterionInfo {
                        model: m.id.clone(),
                        title: c.title.clone(),
                        level: c.level,
                        dimension: c.dimension.clone(),
                        scope: c.scope.as_str().to_owned(),
                        observability: c.observability.as_str().to_owned(),
                        met_when: c.met_when.clone(),
                        remediation: c.remediation.clone(),
                    },
                );
            }
        }
        out
    }

    /// Judges every criterion of every model for every service in `input.services`.
    ///
    /// `input_json` is the input document as JSON text (parsed once by regorus);
    /// `known_evidence` are the ids a verdict may cite.
    pub fn evaluate(
        &self,
        input: &Value,
        input_json: &str,
        known_evidence: &HashSet<String>,
        attestations: &AttestationSet,
        today: NaiveDate,
    ) -> Result<Evaluation> {
        let mut engine = self.engine.clone();
        engine.set_input_json(input_json)?;
        let sources = source_map(input);
        let services: Vec<(String, Option<String>)> = input
            .get("services")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(id, s)| {
                        (
                            id.clone(),
                            s.get("team").and_then(Value::as_str).map(str::to_owned),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut evaluation = Evaluation::default();
        let mut rule_cache: HashMap<String, std::result::Result<Option<Value>, String>> =
            HashMap::new();

        for model in &self.catalog.models {
            for criterion in &model.criteria {
                let verdicts = self.judge(
                    criterion,
                    &services,
                    &sources,
                    &mut engine,
                    &mut rule_cache,
                    known_evidence,
                    attestations,
                    today,
                    &mut evaluation.rule_errors,
                );
                for ((service, _), v) in services.iter().zip(verdicts) {
                    evaluation.results.push(CriterionResult {
                        model: model.id.clone(),
                        criterion: criterion.id.clone(),
                        service: service.clone(),
                        status: v.status,
                        reason: v.reason,
                        summary: v.summary,
                        evidence: v.evidence,
                        missing: v.missing,
                    });
                }
            }
        }
        Ok(evaluation)
    }

    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        criterion: &Criterion,
        services: &[(String, Option<String>)],
        sources: &HashMap<String, (String, String)>,
        engine: &mut PolicyEngine,
        cache: &mut HashMap<String, std::result::Result<Option<Value>, String>>,
        known_evidence: &HashSet<String>,
        attestations: &AttestationSet,
        today: NaiveDate,
        errors: &mut Vec<String>,
    ) -> Vec<Verdict> {
        if criterion.observability == Observability::None {
            return services
                .iter()
                .map(
                    |(sid, _)| match attestations.find(&criterion.id, sid, today) {
                        Lookup::Valid(a) => Verdict {
                            status: Status::Attested,
                            reason: Some("attestation".into()),
                            summary: format!("attested by {} on {}: {}", a.who, a.when, a.why),
                            evidence: vec![a.evidence.clone()],
                            missing: vec![],
                        },
                        Lookup::Expired(a) => Verdict {
                            status: Status::Manual,
                            reason: None,
                            summary: format!(
                                "no system can show this; the attestation by {} expired on {}",
                                a.who,
                                a.expires.map(|d| d.to_string()).unwrap_or_default()
                            ),
                            evidence: vec![a.evidence.clone()],
                            missing: vec!["a current attestation".into()],
                        },
                        Lookup::None => Verdict {
                            status: Status::Manual,
                            reason: None,
                            summary:
                                "no system can show this; attest it in .evident/attestations.yaml"
                                    .into(),
                            evidence: vec![],
                            missing: vec!["an attestation".into()],
                        },
                    },
                )
                .collect();
        }

        // Required sources first: a source that did not answer makes the criterion
        // unknown whatever the rule would say.
        for cap in &criterion.sources {
            let (status, detail) = sources.get(cap).cloned().unwrap_or_else(|| {
                (
                    "not_configured".into(),
                    format!("no {cap} source in this scan"),
                )
            });
            if status != "ok" {
                let summary = if detail.is_empty() {
                    format!("needs {cap} ({status})")
                } else {
                    format!("needs {cap} ({status}: {detail})")
                };
                return services
                    .iter()
                    .map(|_| Verdict::unknown(&status, summary.clone(), vec![cap.clone()]))
                    .collect();
            }
        }

        let judged = criterion
            .same_as
            .as_deref()
            .and_then(|id| self.catalog.criterion(id))
            .map_or(criterion, |(_, c)| c);
        let package = judged.package();
        if !engine.has_package(&package) {
            return services
                .iter()
                .map(|_| {
                    Verdict::unknown(
                        "not_configured",
                        format!("no rule judges {} in this build", judged.id),
                        vec![],
                    )
                })
                .collect();
        }
        let rule = format!("data.{package}.result");
        let output = cache
            .entry(rule.clone())
            .or_insert_with(|| engine.eval(&rule).map_err(|e: EngineError| e.to_string()))
            .clone();
        let output = match output {
            Ok(v) => v,
            Err(message) => {
                tracing::error!(rule = %rule, "rule failed: {message}");
                errors.push(message.clone());
                return services
                    .iter()
                    .map(|_| {
                        Verdict::unknown("error", format!("the rule failed: {message}"), vec![])
                    })
                    .collect();
            }
        };
        let no_verdict = || {
            Verdict::unknown(
                "error",
                format!("{rule} gave no verdict for this service"),
                vec![],
            )
        };
        services
            .iter()
            .map(|(sid, team)| match judged.scope {
                Scope::Service => output
                    .as_ref()
                    .and_then(|o| o.get(sid))
                    .map_or_else(no_verdict, |v| Verdict::from_rule(v, known_evidence)),
                Scope::Team => match team {
                    None => Verdict {
                        status: Status::NotMet,
                        reason: None,
                        summary: "the service has no owning team (catalog-info.yaml, CODEOWNERS or labels)".into(),
                        evidence: vec![],
                        missing: vec!["an owning team".into()],
                    },
                    Some(t) => output
                        .as_ref()
                        .and_then(|o| o.get(t))
                        .map_or_else(no_verdict, |v| Verdict::from_rule(v, known_evidence)),
                },
                Scope::Estate => output
                    .as_ref()
                    .map_or_else(no_verdict, |v| Verdict::from_rule(v, known_evidence)),
            })
            .collect()
    }
}
