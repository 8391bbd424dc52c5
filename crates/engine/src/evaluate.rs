//! Turns the input document into one verdict per model × criterion × service, and one
//! shared verdict per team or per estate for team- and estate-scoped criteria.
//!
//! The fixed semantics live here rather than in Rego, so no policy can bend them:
//! a criterion whose required source did not answer is `unknown` before its rule runs;
//! `none`-observability criteria are `manual` unless attested; a `met` that cites no
//! evidence is refused.
//!
//! Team and estate criteria are judged once per team or once per estate and stored once
//! ([`ScopedResult`]); every service they cover gets a row that references the shared
//! entry and carries only that service's part of the finding (the rule's optional
//! `parts[service]`), so the result grows linearly with the estate.
//!
//! Evaluation runs in phases: [`Evaluator::evaluate`] reads the services, runs every
//! rule once ([`Evaluator::run_rules`]: plan, run on workers, merge), judges each
//! criterion ([`Evaluator::judge`]: manual, source gate, rule output) and records the
//! verdicts as rows and shared entries ([`record`]).

use crate::Result;
use crate::attest::{AttestationSet, Lookup};
use crate::catalog::{Catalog, Criterion, Observability, Scope};
use crate::gate::Sources;
use crate::policy::PolicyEngine;
use chrono::NaiveDate;
use evident_core::{
    CriterionInfo, CriterionResult, ESTATE_SUBJECT, ScopedResult, SharedScope, Status, Verdicts,
};
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
    /// Verdicts: rows in model, criterion, service order, and the team and estate
    /// verdicts they reference, each once.
    pub results: Verdicts,
    /// Rule failures, already turned into `unknown` results; kept for logs and exit codes.
    pub rule_errors: Vec<String>,
    /// Rules that returned a status outside the vocabulary, as `(file:line, message)`:
    /// a mistake in the policy, which a scan reports as an error rather than a verdict.
    pub policy_errors: Vec<(String, String)>,
    /// Attestations the scan did not use, each saying where and why (unknown criterion,
    /// one that cannot be attested, a source that is configured): shown in every format.
    pub attestation_warnings: Vec<String>,
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
        let mut summary = text("summary").unwrap_or_default();
        let evidence = cited(value, known_evidence, &mut summary);
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
            missing: strings(value, "missing"),
        }
    }

    fn into_row(self, model: &str, criterion: &str, service: &str) -> CriterionResult {
        CriterionResult {
            model: model.to_owned(),
            criterion: criterion.to_owned(),
            service: service.to_owned(),
            status: self.status,
            reason: self.reason,
            summary: self.summary,
            evidence: self.evidence,
            missing: self.missing,
            scoped: None,
        }
    }
}

/// The strings of `value[key]` (a list), others skipped.
fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The evidence ids `value` cites that exist, sorted, at most
/// [`MAX_EVIDENCE_PER_RESULT`] (the summary then says how many there were).
fn cited(value: &Value, known_evidence: &HashSet<String>, summary: &mut String) -> Vec<String> {
    let mut evidence = strings(value, "evidence");
    evidence.retain(|id| known_evidence.contains(id));
    evidence.sort();
    evidence.dedup();
    if evidence.len() > MAX_EVIDENCE_PER_RESULT {
        *summary = format!(
            "{summary} (citing {MAX_EVIDENCE_PER_RESULT} of {} evidence records)",
            evidence.len()
        );
        evidence.truncate(MAX_EVIDENCE_PER_RESULT);
    }
    evidence
}

/// One service's own part of a team or estate finding, as a rule's optional
/// `parts[service_id] := {"summary", "evidence", "missing"}` gives it. The status is
/// the shared verdict's; a part only says what of the finding is this service's.
#[derive(Debug, Clone)]
struct Part {
    summary: Option<String>,
    evidence: Vec<String>,
    missing: Vec<String>,
}

impl Part {
    fn from_rule(value: &Value, known_evidence: &HashSet<String>) -> Self {
        let mut summary = value
            .get("summary")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default();
        let evidence = cited(value, known_evidence, &mut summary);
        let mut missing = strings(value, "missing");
        missing.truncate(MAX_EVIDENCE_PER_RESULT);
        Part {
            summary: (!summary.is_empty()).then_some(summary),
            evidence,
            missing,
        }
    }
}

/// The services of one input, with their owning teams, and each team's services.
struct Subjects {
    /// Service id and owning team, in input order.
    services: Vec<(String, Option<String>)>,
    /// Team id → indexes into `services`.
    teams: BTreeMap<String, Vec<usize>>,
}

impl Subjects {
    fn read(input: &Value) -> Self {
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
        let mut teams: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, (_, team)) in services.iter().enumerate() {
            if let Some(t) = team {
                teams.entry(t.clone()).or_default().push(i);
            }
        }
        Subjects { services, teams }
    }
}

/// What judging one criterion produced, before it is recorded.
enum Judged {
    /// One verdict per service, in [`Subjects::services`] order (service-scoped
    /// criteria, and manual ones, whose attestations are per service).
    PerService(Vec<Verdict>),
    /// Team or estate scope: one verdict per subject (team id, or `estate`), the parts
    /// the rule gave services, and the verdict of a service without an owning team
    /// (team scope only: it is that service's own finding, not a team's).
    Shared {
        scope: SharedScope,
        by_subject: BTreeMap<String, Verdict>,
        parts: HashMap<String, Part>,
        unowned: Verdict,
    },
}

impl Judged {
    /// The same verdict for everything the criterion covers (a source that did not
    /// answer, a rule that failed).
    fn uniform(scope: Scope, verdict: Verdict, subjects: &Subjects) -> Self {
        let shared = match scope {
            Scope::Service => {
                return Judged::PerService(vec![verdict; subjects.services.len()]);
            }
            Scope::Team => SharedScope::Team,
            Scope::Estate => SharedScope::Estate,
        };
        let by_subject = match shared {
            SharedScope::Team => subjects
                .teams
                .keys()
                .map(|t| (t.clone(), verdict.clone()))
                .collect(),
            SharedScope::Estate => BTreeMap::from([(ESTATE_SUBJECT.to_owned(), verdict.clone())]),
        };
        Judged::Shared {
            scope: shared,
            by_subject,
            parts: HashMap::new(),
            unowned: verdict,
        }
    }
}

/// Records one criterion's verdicts: a row per service (in service order), and for team
/// and estate scope one shared entry per subject that the rows reference.
fn record(model: &str, criterion: &str, judged: Judged, subjects: &Subjects, out: &mut Verdicts) {
    let (scope, by_subject, mut parts, unowned) = match judged {
        Judged::PerService(verdicts) => {
            for ((service, _), v) in subjects.services.iter().zip(verdicts) {
                out.rows.push(v.into_row(model, criterion, service));
            }
            return;
        }
        Judged::Shared {
            scope,
            by_subject,
            parts,
            unowned,
        } => (scope, by_subject, parts, unowned),
    };
    let first = out.scoped.len();
    let mut entry_of: HashMap<String, usize> = HashMap::new();
    for (subject, v) in by_subject {
        let services: Vec<String> = match scope {
            SharedScope::Estate => subjects.services.iter().map(|(s, _)| s.clone()).collect(),
            SharedScope::Team => subjects.teams.get(&subject).map_or_else(Vec::new, |ix| {
                ix.iter().map(|&i| subjects.services[i].0.clone()).collect()
            }),
        };
        entry_of.insert(subject.clone(), out.scoped.len());
        out.scoped.push(ScopedResult {
            id: ScopedResult::id_for(criterion, scope, &subject),
            model: model.to_owned(),
            criterion: criterion.to_owned(),
            scope,
            subject,
            status: v.status,
            reason: v.reason,
            summary: v.summary,
            evidence: v.evidence,
            missing: v.missing,
            services,
        });
    }
    // A covered service's row without a part of its own, made once per entry: the
    // shared summary can name every service, so cutting it per row would be quadratic.
    let templates: Vec<CriterionResult> =
        out.scoped[first..].iter().map(|x| x.row_for("")).collect();
    for (service, team) in &subjects.services {
        let subject = match scope {
            SharedScope::Estate => Some(ESTATE_SUBJECT),
            SharedScope::Team => team.as_deref(),
        };
        let Some(&i) = subject.and_then(|s| entry_of.get(s)) else {
            out.rows
                .push(unowned.clone().into_row(model, criterion, service));
            continue;
        };
        let mut row = templates[i - first].clone();
        row.service.clone_from(service);
        if let Some(part) = parts.remove(service.as_str()) {
            if let Some(summary) = part.summary {
                row.summary = summary;
            }
            row.evidence = part.evidence;
            if !part.missing.is_empty() {
                row.missing = part.missing;
            }
        }
        out.rows.push(row);
    }
    out.scoped[first..].sort_by(|a, b| a.id.cmp(&b.id));
}

/// Everything judging a criterion reads, gathered once per evaluation.
struct Context<'a> {
    subjects: &'a Subjects,
    sources: &'a Sources,
    outputs: &'a HashMap<String, RuleOutput>,
    known_evidence: &'a HashSet<String>,
    attestations: &'a AttestationSet,
    today: NaiveDate,
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

    /// The rule (`data.<package>.result`, and `parts` where a team or estate rule
    /// defines it) of every criterion judged by a built-in rule.
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
                    if let Some(parts) = parts_of(&self.catalog, judged) {
                        rules.push(parts);
                    }
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

    /// The engine with every built-in rule compiled for the RVM (once per evaluator).
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

    /// Judges every criterion of every model for every service in `input.services`.
    ///
    /// `input_json` is the input document as JSON text (parsed once by regorus);
    /// `known_evidence` are the ids a verdict may cite. Phases: pick the engine and set
    /// the input, read services and teams, run every rule once, then judge and record
    /// each criterion.
    pub fn evaluate(
        &self,
        input: &Value,
        input_json: &str,
        known_evidence: &HashSet<String>,
        attestations: &AttestationSet,
        today: NaiveDate,
    ) -> Result<Evaluation> {
        let subjects = Subjects::read(input);
        let engine = self.engine_for(subjects.services.len(), input_json)?;
        let sources = Sources::read(input);
        let outputs = self.run_rules(&engine, &sources, &subjects.services);
        let ctx = Context {
            subjects: &subjects,
            sources: &sources,
            outputs: &outputs,
            known_evidence,
            attestations,
            today,
        };
        let started = std::time::Instant::now();
        let mut evaluation = Evaluation {
            policy_errors: self.statuses_outside_vocabulary(&outputs),
            attestation_warnings: unused_attestations(&self.catalog, attestations, &sources),
            ..Evaluation::default()
        };
        for model in &self.catalog.models {
            for criterion in &model.criteria {
                let judged = self.judge(criterion, &ctx, &mut evaluation.rule_errors);
                record(
                    &model.id,
                    &criterion.id,
                    judged,
                    &subjects,
                    &mut evaluation.results,
                );
            }
        }
        tracing::debug!(
            micros = started.elapsed().as_micros() as u64,
            rows = evaluation.results.rows.len(),
            shared = evaluation.results.scoped.len(),
            "verdicts recorded"
        );
        Ok(evaluation)
    }

    /// Every result rule whose output holds a status outside the vocabulary, with the
    /// file and line of the rule, in rule order.
    fn statuses_outside_vocabulary(
        &self,
        outputs: &HashMap<String, RuleOutput>,
    ) -> Vec<(String, String)> {
        let mut rules: Vec<&String> = outputs.keys().filter(|r| r.ends_with(".result")).collect();
        rules.sort();
        rules
            .into_iter()
            .filter_map(|rule| {
                let Some(Ok(Some(output))) = outputs.get(rule) else {
                    return None;
                };
                let package = rule.strip_prefix("data.")?.strip_suffix(".result")?;
                let source = self.catalog.rule_for(package)?;
                crate::vocabulary::check_output(source, rule, output)
            })
            .collect()
    }

    /// The engine for an input of `services` services (compiled for the RVM from
    /// [`VM_THRESHOLD`] on), with the input set.
    fn engine_for(&self, services: usize, input_json: &str) -> Result<PolicyEngine> {
        let mut engine = if services >= self.vm_threshold {
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
        Ok(engine)
    }

    /// One criterion's verdicts: manual ones from attestations; else unknown when a
    /// required source did not answer or the rule failed; else what the rule said.
    fn judge(&self, criterion: &Criterion, ctx: &Context<'_>, errors: &mut Vec<String>) -> Judged {
        if criterion.observability == Observability::None {
            return Judged::PerService(
                ctx.subjects
                    .services
                    .iter()
                    .map(|(sid, _)| manual_verdict(criterion, sid, ctx))
                    .collect(),
            );
        }
        if let Some(unknown) = source_gate(criterion, ctx.sources) {
            // A team whose tool evident has no probe for may attest a service criterion
            // while its source is not configured; a configured source always decides.
            if criterion.scope == Scope::Service
                && unknown.reason.as_deref() == Some(NOT_CONFIGURED)
            {
                return Judged::PerService(
                    ctx.subjects
                        .services
                        .iter()
                        .map(|(sid, _)| attested_without_source(criterion, sid, ctx, &unknown))
                        .collect(),
                );
            }
            return Judged::uniform(criterion.scope, unknown, ctx.subjects);
        }
        let Some((rule, judged)) = rule_of(&self.catalog, criterion) else {
            let v = Verdict::unknown(
                "error",
                format!("{} is same_as an unknown criterion", criterion.id),
                vec![],
            );
            return Judged::uniform(criterion.scope, v, ctx.subjects);
        };
        let output = match ctx.outputs.get(&rule) {
            None => {
                let v = Verdict::unknown(
                    "not_configured",
                    format!("no rule judges {} in this build", judged.id),
                    vec![],
                );
                return Judged::uniform(judged.scope, v, ctx.subjects);
            }
            Some(Err(message)) => {
                tracing::error!(rule = %rule, "rule failed: {message}");
                errors.push(message.clone());
                let v = Verdict::unknown("error", format!("the rule failed: {message}"), vec![]);
                return Judged::uniform(judged.scope, v, ctx.subjects);
            }
            Some(Ok(output)) => output.as_ref(),
        };
        let no_verdict = || {
            Verdict::unknown(
                "error",
                format!("{rule} gave no verdict for this service"),
                vec![],
            )
        };
        let unread = ctx
            .sources
            .unread(&criterion.sources, &criterion.read_when_present());
        let verdict_at = |key: &str| {
            let v = output
                .and_then(|o| o.get(key))
                .map_or_else(no_verdict, |v| Verdict::from_rule(v, ctx.known_evidence));
            on_partial_read(v, &unread)
        };
        let (scope, by_subject) = match judged.scope {
            Scope::Service => {
                return Judged::PerService(
                    ctx.subjects
                        .services
                        .iter()
                        .map(|(sid, _)| verdict_at(sid))
                        .collect(),
                );
            }
            // Judged once per team: the rule's result is keyed by team id.
            Scope::Team => (
                SharedScope::Team,
                ctx.subjects
                    .teams
                    .keys()
                    .map(|t| (t.clone(), verdict_at(t)))
                    .collect(),
            ),
            // Judged once: the rule's result is the verdict.
            Scope::Estate => (
                SharedScope::Estate,
                BTreeMap::from([(
                    ESTATE_SUBJECT.to_owned(),
                    on_partial_read(
                        output
                            .map_or_else(no_verdict, |v| Verdict::from_rule(v, ctx.known_evidence)),
                        &unread,
                    ),
                )]),
            ),
        };
        Judged::Shared {
            scope,
            by_subject,
            parts: parts_output(&self.catalog, judged, ctx, errors),
            unowned: Verdict {
                status: Status::NotMet,
                reason: None,
                summary: "the service has no owning team (catalog-info.yaml, CODEOWNERS, labels or GitHub team rights)"
                    .into(),
                evidence: vec![],
                missing: vec!["an owning team".into()],
            },
        }
    }
}

/// A `none`-observability criterion for one service: attested when a current
/// attestation says so, else manual.
fn manual_verdict(criterion: &Criterion, service: &str, ctx: &Context<'_>) -> Verdict {
    match ctx.attestations.find(&criterion.id, service, ctx.today) {
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
            summary: "no system can show this; attest it in .evident/attestations.yaml".into(),
            evidence: vec![],
            missing: vec!["an attestation".into()],
        },
    }
}

/// The reason a source gate gives for a source nobody configured.
const NOT_CONFIGURED: &str = "not_configured";

/// The reason of an `attested` verdict on a criterion that evidence would decide but
/// whose source is not configured: passes the level gate by default, never under
/// `--strict` (see [`crate::levels`]).
pub const ATTESTED_NO_SOURCE: &str = "attestation_no_source";

/// A `direct`/`proxy` criterion whose source is not configured, for one service:
/// `attested` ("no source") when a current attestation says it holds, else the
/// source gate's `unknown`, which an expired attestation annotates.
fn attested_without_source(
    criterion: &Criterion,
    service: &str,
    ctx: &Context<'_>,
    unknown: &Verdict,
) -> Verdict {
    match ctx.attestations.find(&criterion.id, service, ctx.today) {
        Lookup::Valid(a) => Verdict {
            status: Status::Attested,
            reason: Some(ATTESTED_NO_SOURCE.into()),
            summary: format!(
                "attested by {} on {}{}: {}; no source: {}",
                a.who,
                a.when,
                a.expires
                    .map_or_else(|| ", no expiry".to_owned(), |d| format!(", until {d}")),
                a.why,
                unknown.summary
            ),
            evidence: vec![a.evidence.clone()],
            missing: unknown.missing.clone(),
        },
        Lookup::Expired(a) => {
            let mut v = unknown.clone();
            v.summary = format!(
                "{}; the attestation by {} expired on {}",
                v.summary,
                a.who,
                a.expires.map(|d| d.to_string()).unwrap_or_default()
            );
            v
        }
        Lookup::None => unknown.clone(),
    }
}

/// Attestations this scan does not use, each with where it is written and why: a
/// criterion no model of the scan has, one judged per team or estate from evidence
/// (which cannot be attested), or one whose source is configured (the evidence wins).
fn unused_attestations(
    catalog: &Catalog,
    attestations: &AttestationSet,
    sources: &Sources,
) -> Vec<String> {
    let mut out = Vec::new();
    for a in &attestations.items {
        let at = format!("{} (attestation for {})", a.evidence, a.criterion);
        let Some((_, c)) = catalog.criterion(&a.criterion) else {
            out.push(format!(
                "{at}: no model of this scan has this criterion; the attestation is ignored"
            ));
            continue;
        };
        if c.observability == Observability::None {
            continue;
        }
        if c.scope != Scope::Service {
            out.push(format!(
                "{at}: a {} criterion judged from evidence cannot be attested; the attestation is ignored",
                c.scope.as_str()
            ));
            continue;
        }
        match source_gate(c, sources) {
            Some(g) if g.reason.as_deref() == Some(NOT_CONFIGURED) => {}
            _ => out.push(format!(
                "{at}: its source ({}) is configured, so the evidence decides; the attestation is ignored",
                c.sources.join(", ").replace('|', " or ")
            )),
        }
    }
    out
}

/// A criterion whose sources do not let its rule judge (see [`crate::gate`]) is
/// unknown whatever the rule would say.
fn source_gate(criterion: &Criterion, sources: &Sources) -> Option<Verdict> {
    sources
        .gate(&criterion.sources, &criterion.read_when_present())
        .map(|g| Verdict::unknown(&g.reason, g.summary, g.missing))
}

/// A verdict on a read that left items unread: `met` stands (what was read proves it)
/// and says so; `not_met` and `not_applicable` claim an absence the unread items could
/// contradict, so they become `unknown` (reason `partial`).
fn on_partial_read(mut v: Verdict, unread: &[String]) -> Verdict {
    if unread.is_empty() {
        return v;
    }
    let sentence = crate::gate::unread_sentence(unread);
    match v.status {
        Status::NotMet | Status::NotApplicable => {
            v.summary = format!(
                "{} would need a complete read, but {sentence}; {}",
                v.status, v.summary
            );
            v.status = Status::Unknown;
            v.reason = Some("partial".into());
        }
        Status::Met => {
            v.summary = format!("{}; met on what was read, though {sentence}", v.summary)
        }
        _ => {}
    }
    v
}

/// The services' own parts of a team or estate finding (`data.<package>.parts`), when
/// the rule defines them. A part that fails to evaluate is logged and left out: the
/// shared verdict stands without it.
fn parts_output(
    catalog: &Catalog,
    judged: &Criterion,
    ctx: &Context<'_>,
    errors: &mut Vec<String>,
) -> HashMap<String, Part> {
    let Some(path) = parts_of(catalog, judged) else {
        return HashMap::new();
    };
    match ctx.outputs.get(&path) {
        Some(Ok(Some(Value::Object(parts)))) => parts
            .iter()
            .map(|(sid, v)| (sid.clone(), Part::from_rule(v, ctx.known_evidence)))
            .collect(),
        Some(Err(message)) => {
            tracing::error!(rule = %path, "rule failed: {message}");
            errors.push(message.clone());
            HashMap::new()
        }
        _ => HashMap::new(),
    }
}

/// What one rule produced: its value (None when undefined) or the error that stopped it.
type RuleOutput = std::result::Result<Option<Value>, String>;

/// The most evidence ids one verdict cites. An estate-wide rule can cite every workload
/// of the estate; a row or a shared entry citing thousands would bury the ones that
/// matter (the renderers link each).
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

/// `data.<package>.parts` when `judged` is a team or estate criterion whose rule defines
/// `parts` (a rule head at the start of a line: `parts[sid] := ...`, `parts := ...`).
/// Looked up in the text because evaluating a rule a package does not define is an
/// error in regorus, not an undefined value.
fn parts_of(catalog: &Catalog, judged: &Criterion) -> Option<String> {
    if judged.scope == Scope::Service {
        return None;
    }
    let package = judged.package();
    let source = catalog.rule_for(&package)?;
    source
        .text
        .lines()
        .any(|l| {
            l.strip_prefix("parts")
                .is_some_and(|rest| rest.starts_with([' ', '[', ':', '\t', '=']))
        })
        .then(|| format!("data.{package}.parts"))
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

/// One rule evaluation: the rule path, on the whole input (`None`) or on one share of
/// the services.
type Task<'a> = (Option<usize>, &'a String);

impl Evaluator {
    /// Evaluates every rule some criterion needs, once. Service-scoped rules run on
    /// worker threads, each with a warmed engine clone and its share of the services
    /// (their results are objects keyed by service, so shares merge without conflict);
    /// team and estate rules (and their `parts`) see every service and run once.
    fn run_rules(
        &self,
        engine: &PolicyEngine,
        sources: &Sources,
        services: &[(String, Option<String>)],
    ) -> HashMap<String, RuleOutput> {
        let (service_rules, whole_rules) = self.plan_rules(engine, sources);
        let ids: Vec<String> = services.iter().map(|(id, _)| id.clone()).collect();
        // Bounded shares of services: a rule's result object grows with the services it
        // covers, and building very large ones costs more than linear time in regorus.
        let shares_of_ids: Vec<&[String]> = ids.chunks(MAX_SERVICES_PER_SHARE).collect();
        // Work items: every estate rule once over the whole input, and every service rule
        // once per share. They are dealt round-robin to one worker per core, so a small
        // scan (one share) still spreads its rules over the cores.
        let mut tasks: Vec<Task<'_>> = whole_rules.iter().map(|r| (None, r)).collect();
        if shares_of_ids.len() <= 1 {
            tasks.extend(service_rules.iter().map(|r| (None, r)));
        } else {
            for share in 0..shares_of_ids.len() {
                tasks.extend(service_rules.iter().map(|r| (Some(share), r)));
            }
        }
        let shares = run_tasks(engine, &tasks, &shares_of_ids);
        let mut outputs: HashMap<String, RuleOutput> = HashMap::new();
        if ids.is_empty() {
            for rule in &service_rules {
                outputs.insert(rule.clone(), Ok(None));
            }
        }
        merge_outputs(&mut outputs, shares);
        outputs
    }

    /// The rules to run: service-scoped ones (run per share of services) and the rest
    /// (team and estate rules and their `parts`, run once on the whole input). Criteria
    /// that are manual, gated by a source that did not answer, or without a loaded
    /// package run nothing.
    fn plan_rules(&self, engine: &PolicyEngine, sources: &Sources) -> (Vec<String>, Vec<String>) {
        let mut service_rules = Vec::new();
        let mut whole_rules = Vec::new();
        for model in &self.catalog.models {
            for criterion in &model.criteria {
                if criterion.observability == Observability::None
                    || sources
                        .gate(&criterion.sources, &criterion.read_when_present())
                        .is_some()
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
                    if let Some(parts) = parts_of(&self.catalog, judged) {
                        list.push(parts);
                    }
                }
            }
        }
        (service_rules, whole_rules)
    }
}

/// Runs `tasks` on one worker per core (round-robin), each with its own engine clone.
/// A panic inside regorus becomes that rule's error, never the loss of every rule the
/// worker evaluated.
fn run_tasks(
    engine: &PolicyEngine,
    tasks: &[Task<'_>],
    shares_of_ids: &[&[String]],
) -> Vec<Vec<(String, RuleOutput)>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = cores.min(tasks.len()).max(1);
    let full = engine.input().clone();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mut worker = engine.clone();
                let full = &full;
                let mine: Vec<Task<'_>> = tasks.iter().copied().skip(w).step_by(workers).collect();
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
                        let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            worker.eval(rule).map_err(|e| e.to_string())
                        }))
                        .unwrap_or_else(|_| {
                            Err("the rule engine stopped unexpectedly on this rule".to_owned())
                        });
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
    })
}

/// Merges the workers' outputs per rule: the objects of service shares are joined, an
/// error anywhere is the rule's error.
fn merge_outputs(
    outputs: &mut HashMap<String, RuleOutput>,
    shares: Vec<Vec<(String, RuleOutput)>>,
) {
    for share in shares {
        for (rule, output) in share {
            let merged = outputs.entry(rule).or_insert(Ok(None));
            match (merged, output) {
                (Err(_), _) => {}
                (slot, Err(e)) => *slot = Err(e),
                (Ok(slot @ None), Ok(v)) => *slot = v,
                (Ok(Some(Value::Object(acc))), Ok(Some(Value::Object(part)))) => acc.extend(part),
                (Ok(Some(_)), Ok(_)) => {}
            }
        }
    }
}
