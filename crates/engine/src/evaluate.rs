//! Turns the input document into one verdict per model × criterion × service.
//!
//! The fixed semantics live here rather than in Rego, so no policy can bend them:
//! a criterion whose required source did not answer is `unknown` before its rule runs;
//! `none`-observability criteria are `manual` unless attested; a `met` that cites no
//! evidence is refused.

use crate::Result;
use crate::attest::{AttestationSet, Lookup};
use crate::catalog::{Catalog, Criterion, Observability, Scope};
use crate::policy::PolicyEngine;
use chrono::NaiveDate;
use evident_core::{CriterionInfo, CriterionResult, Status};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The engine, compiled and ready; evaluate as many inputs as you like.
#[derive(Debug, Clone)]
pub struct Evaluator {
    catalog: Catalog,
    engine: PolicyEngine,
    vm_threshold: usize,
    /// The engine with built-in rules compiled for the RVM, made on first need.
    compiled: std::sync::OnceLock<PolicyEngine>,
}

/// From this many services on, rules are compiled for regorus' RVM before evaluating.
/// Compiling every built-in rule costs 75–100 ms; the RVM then evaluates about 1.4 ms
/// per service against the interpreter's 3.4 ms (2 cores), so it pays from about 45
/// services. Measured on microservices-demo (14 services): 98 ms per scan on the
/// interpreter, 165 ms with the RVM compiled while the probes ran.
pub const VM_THRESHOLD: usize = 48;

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
        let mut summary = text("summary").unwrap_or_default();
        if evidence.len() > MAX_EVIDENCE_PER_RESULT {
            summary = format!(
                "{summary} (citing {MAX_EVIDENCE_PER_RESULT} of {} evidence records)",
                evidence.len()
            );
            evidence.truncate(MAX_EVIDENCE_PER_RESULT);
        }
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

/// Whether a required source answered. `a|b` names alternatives, either of which is
/// enough: workload criteria are judged from manifests or from a cluster.
fn required_source_ok(required: &str, sources: &HashMap<String, (String, String)>) -> bool {
    required
        .split('|')
        .any(|a| sources.get(a).is_some_and(|(s, _)| s == "ok"))
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
        Ok(Self {
            catalog,
            engine,
            vm_threshold: VM_THRESHOLD,
            compiled: std::sync::OnceLock::new(),
        })
    }

    /// Sets from how many services on rules are compiled for the RVM (tests use it to run
    /// the same input on both paths).
    pub fn with_vm_threshold(mut self, services: usize) -> Self {
        self.vm_threshold = services;
        self
    }

    /// The rule (`data.<package>.result`) of every criterion judged by a built-in rule.
    ///
    /// Only built-in rules run on the RVM: they are written around its known gaps and a
    /// test checks that both engines agree on them. Rules from `--policy` run on the
    /// interpreter, which is regorus' reference semantics.
    pub fn rule_paths(&self) -> Vec<String> {
        let mut rules: Vec<String> = Vec::new();
        for model in &self.catalog.models {
            for criterion in &model.criteria {
                if let Some((rule, judged)) = rule_of(&self.catalog, criterion)
                    && self
                        .catalog
                        .rule_for(&judged.package())
                        .is_some_and(|r| r.path.starts_with("builtin:"))
                    && !rules.contains(&rule)
                {
                    rules.push(rule);
                }
            }
        }
        rules
    }

    /// The underlying rule engine (for diagnostics: which rules run compiled).
    pub fn policy_engine(&self) -> &PolicyEngine {
        &self.engine
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
    fn compile_for_vm(&self) -> PolicyEngine {
        let started = std::time::Instant::now();
        let mut compiled = self.engine.clone();
        for rule in self.rule_paths() {
            compiled.precompile(&rule);
        }
        tracing::debug!(
            micros = started.elapsed().as_micros() as u64,
            "rules compiled for the RVM"
        );
        compiled
    }

    pub fn evaluate(
        &self,
        input: &Value,
        input_json: &str,
        known_evidence: &HashSet<String>,
        attestations: &AttestationSet,
        today: NaiveDate,
    ) -> Result<Evaluation> {
        let service_count = input
            .get("services")
            .and_then(Value::as_object)
            .map_or(0, |m| m.len());
        let mut engine = if service_count >= self.vm_threshold {
            self.compiled.get_or_init(|| self.compile_for_vm()).clone()
        } else {
            self.engine.clone()
        };
        let started = std::time::Instant::now();
        engine.set_input_json(input_json)?;
        tracing::debug!(
            micros = started.elapsed().as_micros() as u64,
            bytes = input_json.len(),
            "rule input parsed"
        );
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
        let outputs = self.run_rules(&engine, &sources, &services);

        for model in &self.catalog.models {
            for criterion in &model.criteria {
                let verdicts = self.judge(
                    criterion,
                    &services,
                    &sources,
                    &outputs,
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
        outputs: &HashMap<String, RuleOutput>,
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
        // `a|b` names alternatives: either one answering is enough (workload criteria are
        // judged from manifests or from a cluster).
        for required in &criterion.sources {
            if required_source_ok(required, sources) {
                continue;
            }
            let alternatives: Vec<&str> = required.split('|').collect();
            let cap = &required.replace('|', " or ");
            let first = alternatives.first().copied().unwrap_or(required);
            let (status, detail) = sources.get(first).cloned().unwrap_or_else(|| {
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

        let Some((rule, judged)) = rule_of(&self.catalog, criterion) else {
            return services
                .iter()
                .map(|_| {
                    Verdict::unknown(
                        "error",
                        format!("{} is same_as an unknown criterion", criterion.id),
                        vec![],
                    )
                })
                .collect();
        };
        let Some(output) = outputs.get(&rule).cloned() else {
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
        };
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
        // Judged once, reported on every service.
        let estate = (judged.scope == Scope::Estate)
            .then(|| {
                output
                    .as_ref()
                    .map(|v| Verdict::from_rule(v, known_evidence))
            })
            .flatten();
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
                Scope::Estate => estate.clone().unwrap_or_else(no_verdict),
            })
            .collect()
    }
}

/// What one rule produced: its value (None when undefined) or the error that stopped it.
type RuleOutput = std::result::Result<Option<Value>, String>;

/// The most evidence ids one verdict cites. An estate-wide rule can cite every workload
/// of the estate; repeating thousands of ids on every service's result would make the
/// scan result grow with the square of the estate.
const MAX_EVIDENCE_PER_RESULT: usize = 50;

/// The most services one rule evaluation covers (see `run_rules`).
const MAX_SERVICES_PER_SHARE: usize = 128;

/// The rule that judges a criterion (its own, or the one of its `same_as` twin) and the
/// criterion whose scope and package it carries.
fn rule_of<'a>(catalog: &'a Catalog, criterion: &'a Criterion) -> Option<(String, &'a Criterion)> {
    let judged = match criterion.same_as.as_deref() {
        Some(id) => catalog.criterion(id)?.1,
        None => criterion,
    };
    Some((format!("data.{}.result", judged.package()), judged))
}

/// The input with `services` narrowed to `ids`; everything else shared, not copied.
fn with_services(full: &regorus::Value, ids: &[String]) -> regorus::Value {
    let mut narrowed = full.clone();
    let key = regorus::Value::from("services");
    let subset: std::collections::BTreeMap<regorus::Value, regorus::Value> = full
        .as_object()
        .ok()
        .and_then(|o| o.get(&key))
        .and_then(|s| s.as_object().ok())
        .map(|all| {
            ids.iter()
                .filter_map(|id| {
                    let k = regorus::Value::from(id.as_str());
                    all.get(&k).map(|v| (k, v.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Ok(obj) = narrowed.as_object_mut() {
        obj.insert(key, regorus::Value::from(subset));
    }
    narrowed
}

impl Evaluator {
    /// Evaluates every rule some criterion needs, once. Service-scoped rules run on
    /// worker threads, each with a warmed engine clone and its share of the services
    /// (their results are objects keyed by service, so shares merge without conflict);
    /// team and estate rules see every service and run once.
    fn run_rules(
        &self,
        engine: &PolicyEngine,
        sources: &HashMap<String, (String, String)>,
        services: &[(String, Option<String>)],
    ) -> HashMap<String, RuleOutput> {
        let mut service_rules = Vec::new();
        let mut whole_rules = Vec::new();
        for model in &self.catalog.models {
            for criterion in &model.criteria {
                if criterion.observability == Observability::None
                    || criterion
                        .sources
                        .iter()
                        .any(|c| !required_source_ok(c, sources))
                {
                    continue;
                }
                let Some((rule, judged)) = rule_of(&self.catalog, criterion) else {
                    continue;
                };
                if !engine.has_package(&judged.package()) {
                    continue;
                }
                let list = if judged.scope == Scope::Service {
                    &mut service_rules
                } else {
                    &mut whole_rules
                };
                if !list.contains(&rule) {
                    list.push(rule);
                }
            }
        }
        let mut outputs: HashMap<String, RuleOutput> = HashMap::new();
        let ids: Vec<String> = services.iter().map(|(id, _)| id.clone()).collect();
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        // Bounded shares of services: a rule's result object grows with the services it
        // covers, and building very large ones costs more than linear time in regorus.
        let shares_of_ids: Vec<&[String]> = ids.chunks(MAX_SERVICES_PER_SHARE).collect();
        let whole_input = shares_of_ids.len() <= 1;
        // Work items: every estate rule once over the whole input, and every service rule
        // once per share. They are dealt round-robin to one worker per core, so a small
        // scan (one share) still spreads its rules over the cores.
        let mut tasks: Vec<(Option<usize>, &String)> =
            whole_rules.iter().map(|r| (None, r)).collect();
        if whole_input {
            tasks.extend(service_rules.iter().map(|r| (None, r)));
        } else {
            for share in 0..shares_of_ids.len() {
                tasks.extend(service_rules.iter().map(|r| (Some(share), r)));
            }
        }
        let workers = cores.min(tasks.len()).max(1);
        let full = engine.input().clone();
        let shares: Vec<Vec<(String, RuleOutput)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let mut worker = engine.clone();
                    let full = &full;
                    let shares_of_ids = &shares_of_ids;
                    let mine: Vec<(Option<usize>, &String)> =
                        tasks.iter().copied().skip(w).step_by(workers).collect();
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        let mut current: Option<usize> = None;
                        for (share, rule) in mine {
                            if share != current {
                                match share {
                                    Some(i) => worker.set_input(with_services(full, shares_of_ids[i])),
                                    None => worker.set_input(full.clone()),
                                }
                                current = share;
                            }
                            let started = std::time::Instant::now();
                            // A panic inside regorus becomes this rule's error, never the
                            // loss of every rule this worker evaluated.
                            let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                worker.eval(rule).map_err(|e| e.to_string())
                            }))
                            .unwrap_or_else(|_| Err("the rule engine stopped unexpectedly on this rule".to_owned()));
                            tracing::debug!(rule = %rule, share = ?share, micros = started.elapsed().as_micros() as u64, "rule evaluated");
                            out.push((rule.clone(), output));
                        }
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| vec![]))
                .collect()
        });
        if ids.is_empty() {
            for rule in &service_rules {
                outputs.insert(rule.clone(), Ok(None));
            }
        }
        for share in shares {
            for (rule, output) in share {
                let merged = outputs.entry(rule).or_insert(Ok(None));
                match (merged, output) {
                    (Err(_), _) => {}
                    (slot, Err(e)) => *slot = Err(e),
                    (Ok(slot @ None), Ok(v)) => *slot = v,
                    (Ok(Some(Value::Object(acc))), Ok(Some(Value::Object(part)))) => {
                        acc.extend(part)
                    }
                    (Ok(Some(_)), Ok(_)) => {}
                }
            }
        }
        outputs
    }
}
