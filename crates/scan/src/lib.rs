//! The scan as a library: a [`ScanPlan`] in, a [`ScanResult`] out.
//!
//! Async and owning no runtime, so the one-repository CLI, `serve` and an estate run call
//! the same code. Phases, in order: probes collect (concurrently, each bounded in time),
//! their outputs merge per capability, resolution ties every source's items into
//! services, attestations are read, the rules judge (on a blocking thread: Rego is CPU
//! work), coverage makes criteria unknown for services a needed source never saw, and
//! levels are inferred.

mod attestations;
mod collect;
mod coverage;
pub mod github;
mod plan;
mod registry;
pub mod replay;
pub mod shard;

pub use collect::Collected;
pub use plan::{Judging, ProgressSink, RuleConfig, ScanPlan};
pub use registry::{UNBUILT_CAPABILITIES, probes};
pub use shard::{ProbeFacts, SHARD_SCHEMA, Shard, ShardFacts, shard_of};

use chrono::{SecondsFormat, Utc};
use evident_core::{
    Evidence, SCAN_RESULT_SCHEMA, ScanContext, ScanInfo, ScanResult, ToolInfo, UnresolvedItem,
};
use evident_engine::{Catalog, Evaluator, PolicyFile, infer_levels};
use evident_resolve::{Resolution, ResolvedService};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a scan could not start. A source that fails is part of the result, never this.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A target or option the caller gave cannot be used.
    #[error("{0}")]
    Config(String),
    /// Models or policies did not load or compile.
    #[error(transparent)]
    Engine(#[from] evident_engine::EngineError),
    /// A file the plan asked to write could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The rule input could not be serialised.
    #[error("writing the rule input: {0}")]
    Input(String),
    /// The last redaction pass could not rebuild the result it cleaned.
    #[error("redacting the scan result: {0}")]
    Redact(String),
    /// A snapshot to replay could not be read (missing, damaged, or of another format).
    #[error("{0}")]
    Snapshot(String),
    /// The rule thread stopped unexpectedly.
    #[error("evaluating the rules stopped unexpectedly: {0}")]
    Join(String),
}

/// Checks and canonicalises repository targets: each must be an existing directory and,
/// unless `worktree` is set, a git repository with a commit at HEAD.
///
/// Decision: a scan judges what is committed. A directory that is no repository, or a
/// repository without commits, has nothing committed to judge, and judging its disk
/// silently would pass off uncommitted files as the project's; so it is refused (a
/// configuration error, exit 2 in the CLI) with the way on: commit, or `--worktree` to
/// read the files on disk as they are.
pub fn check_targets(paths: &[PathBuf], worktree: bool) -> Result<Vec<PathBuf>, ScanError> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        if !path.exists() {
            return Err(ScanError::Config(format!(
                "{} does not exist",
                path.display()
            )));
        }
        if !path.is_dir() {
            return Err(ScanError::Config(format!(
                "{} is not a directory; evident scans repositories and directories",
                path.display()
            )));
        }
        let canonical = path
            .canonicalize()
            .map_err(|e| ScanError::Config(format!("resolving {}: {e}", path.display())))?;
        if !worktree {
            committed(path)?;
        }
        out.push(canonical);
    }
    Ok(out)
}

/// Refuses a directory with no commit at HEAD to read, saying how to proceed.
fn committed(path: &Path) -> Result<(), ScanError> {
    let shown = path.display();
    let repo = match git2::Repository::open(path) {
        Ok(repo) => repo,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let inside = git2::Repository::discover(path)
                .ok()
                .and_then(|r| r.workdir().map(|w| w.display().to_string()));
            return Err(ScanError::Config(match inside {
                Some(root) => format!(
                    "{shown} is inside the git repository {root} but is not its root; scan {root}, or pass --worktree to read {shown} as it is on disk"
                ),
                None => format!(
                    "{shown} is not a git repository, and evident judges what is committed; commit it (git init, git add, git commit), or pass --worktree to read the files on disk as they are"
                ),
            }));
        }
        // Anything else (a damaged repository) is the git probe's to report as a source
        // error, with the detail it has.
        Err(_) => return Ok(()),
    };
    match repo.head() {
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Err(ScanError::Config(format!(
                "{shown} is a git repository with no commits yet, so nothing is committed to judge; commit first, or pass --worktree to read the working tree as it is"
            )))
        }
        _ => Ok(()),
    }
}

/// Builds the catalog a scan judges with: built-ins, policy directories, model filter.
pub fn load_catalog(policies: &[PathBuf], models: &[String]) -> Result<Catalog, ScanError> {
    let mut catalog = Catalog::builtin()?;
    for dir in policies {
        let files = read_policies(dir)?;
        add_policies(&mut catalog, dir, files)?;
    }
    finish_catalog(catalog, models)
}

/// Where a snapshot keeps the policy files a scan judged with (`value:dir:<path>`), so
/// a replay, and an auditor's `verify --replay`, re-derive every verdict under the rules
/// it was judged with, whatever those directories hold today.
pub const POLICY_SOURCE: &str = "policies";

/// The catalog of a plan: as [`load_catalog`], and besides, each policy directory's files
/// are recorded on the plan's tape, or, in a replay that was not given other policies,
/// read from it (a snapshot without them is an error, never the files on disk instead).
fn plan_catalog(plan: &ScanPlan) -> Result<Catalog, ScanError> {
    let tape = &plan.snapshot;
    let mut catalog = Catalog::builtin()?;
    for dir in &plan.judging.policies {
        let key = format!("value:dir:{}", dir.display());
        let files = if plan.judging.policies_from_snapshot && tape.is_replaying() {
            tape.replay_value::<Vec<PolicyFile>>(POLICY_SOURCE, &key)
                .map_err(|e| {
                    ScanError::Snapshot(format!(
                        "{e}; give `--policy {}` to judge with the files on disk",
                        dir.display()
                    ))
                })?
        } else {
            let files = read_policies(dir)?;
            tape.record_value(POLICY_SOURCE, &key, &files);
            files
        };
        add_policies(&mut catalog, dir, files)?;
    }
    finish_catalog(catalog, &plan.judging.models)
}

fn read_policies(dir: &Path) -> Result<Vec<PolicyFile>, ScanError> {
    if !dir.is_dir() {
        return Err(ScanError::Config(format!(
            "policy directory {} does not exist",
            dir.display()
        )));
    }
    Ok(evident_engine::read_policy_dir(dir)?)
}

fn add_policies(
    catalog: &mut Catalog,
    dir: &Path,
    files: Vec<PolicyFile>,
) -> Result<(), ScanError> {
    let shown = dir.display().to_string();
    catalog.load_policy_files(&shown, files)?;
    // A rule no criterion maps to would never run: an error, not a silent skip.
    catalog.judges_a_criterion(&shown)?;
    // So would a status outside the vocabulary, shown only as unknown.
    catalog.statuses_in_vocabulary(&shown)?;
    Ok(())
}

fn finish_catalog(mut catalog: Catalog, models: &[String]) -> Result<Catalog, ScanError> {
    if !models.is_empty() {
        catalog.retain_models(models)?;
    }
    Ok(catalog)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The context every probe of the scan shares: targets, bounds, one observation time
/// and a redactor that knows the plan's secrets.
fn context(plan: &ScanPlan, started_at: &str) -> ScanContext {
    let mut ctx = ScanContext::new(plan.repositories.clone(), started_at.to_owned());
    ctx.worktree = plan.worktree;
    ctx.probe_timeout = plan.probe_timeout;
    ctx.redactor = Arc::new(plan.redactor());
    ctx.progress = Arc::clone(&plan.progress.0);
    ctx
}

/// Lists and clones what the shard's `github` names, runs the probes that have
/// something to read in the shard (and, in shard 0, those with nothing to read in the
/// whole estate, so they report `not_configured` once), and reads attestation files.
/// Everything comes back redacted of the plan's secrets.
///
/// `plan.shard` says which shard; `None` collects the whole estate (shard 0/1).
pub async fn collect_shard(plan: &ScanPlan) -> Result<ShardFacts, ScanError> {
    plan.check_credentials()?;
    let shard = plan.shard.unwrap_or(Shard::ALL);
    let (sub, targets) = shard::restrict(plan, shard);
    let observed_at = plan.observed_at.clone().unwrap_or_else(now);
    let clock = std::time::Instant::now();
    let prepared = match &sub.github {
        Some(g) => {
            let p = github::prepare(g, &sub.repositories, &sub.progress.0, &plan.snapshot)
                .await
                .map_err(ScanError::Config)?;
            tracing::info!(
                elapsed_ms = clock.elapsed().as_millis() as u64,
                repositories = p.input.repos.len(),
                cloned = p.clones.len(),
                "GitHub listed and cloned"
            );
            Some(p)
        }
        None => None,
    };
    let mut ctx = context(&sub, &observed_at);
    let clones = prepared
        .as_ref()
        .map(|p| p.clones.clone())
        .unwrap_or_default();
    ctx.repo_keys = shard::shard_repo_keys(plan, &sub.repositories, &clones);
    ctx.repositories.extend(clones);
    if let Some(token) = prepared.as_ref().and_then(|p| p.minted_token.as_ref()) {
        ctx.redactor = Arc::new(plan.redactor().with_secrets(vec![token.clone()]));
    }
    let ctx = Arc::new(ctx);
    let input = prepared.as_ref().map(|p| p.input.clone());
    let run: Vec<Arc<dyn evident_core::Probe>> = probes(&sub, input)
        .into_iter()
        .filter(|p| {
            shard::has_targets(&sub, p.name())
                || (shard.index == 0 && !shard::has_targets(plan, p.name()))
        })
        .collect();
    let mut outputs: Vec<ProbeFacts> = collect::run(&run, &ctx)
        .await
        .into_iter()
        .map(|(probe, o)| ProbeFacts {
            probe,
            facts: o.facts,
            evidence: o.evidence,
            sources: o.sources,
        })
        .collect();
    if let Some(p) = &prepared
        && let Some(git) = outputs.iter_mut().find(|o| o.probe == "git")
    {
        github::mark_failed_clones(&mut git.sources, &p.failed);
    }
    let git = outputs
        .iter()
        .find(|o| o.probe == "git")
        .map_or(Value::Null, |o| o.facts.clone());
    let (attestations, attestation_problems) =
        attestations::read(&json!({ "git": git }), &ctx, &plan.snapshot);
    let doc = ShardFacts {
        schema: shard::SHARD_SCHEMA.to_owned(),
        shard,
        observed_at,
        targets,
        probes: outputs,
        attestations,
        attestation_problems,
    };
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        shard = %shard,
        "probes finished"
    );
    ctx.redactor
        .redact_serde(doc)
        .map_err(|e| ScanError::Redact(e.to_string()))
}

/// The shards' probe outputs merged as one collection would have produced them: per
/// probe (in the registry's order) facts merged, sources and fact lists put back in the
/// estate's order, then merged per capability.
fn combine(plan: &ScanPlan, shards: &[ShardFacts]) -> Collected {
    let order = shard::Order::of(plan);
    let mut runs = Vec::new();
    for probe in probes(plan, None) {
        let mut combined: Option<evident_core::ProbeOutput> = None;
        for part in shards
            .iter()
            .flat_map(|s| s.probes.iter())
            .filter(|p| p.probe == probe.name())
        {
            let out = combined.get_or_insert_with(evident_core::ProbeOutput::default);
            shard::merge_facts(&mut out.facts, part.facts.clone(), "");
            out.evidence.extend(part.evidence.iter().cloned());
            out.sources.extend(part.sources.iter().cloned());
        }
        if let Some(mut out) = combined {
            order.sort_sources(&mut out.sources);
            order.sort_facts(probe.name(), &mut out.facts);
            if probe.name() == evident_probe_source_code::PROBE_NAME {
                let keys = evident_probe_git::repo_keys(&plan.repositories);
                evident_probe_source_code::reassemble(&mut out.facts, &plan.source_code, &keys);
            }
            runs.push((probe.capabilities(), probe.failure_scope(), out));
        }
    }
    collect::merge(runs)
}

/// Services and what joined nothing, as `evident services` lists them.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceListing {
    /// Always `evident/services/v1`.
    pub schema: &'static str,
    /// Every service with its items and join keys.
    pub services: Vec<ResolvedService>,
    /// Items no key tied to exactly one service.
    pub unresolved: Vec<UnresolvedItem>,
    /// How every source answered.
    pub sources: Vec<evident_core::SourceReport>,
}

/// Runs the probes and resolution only: which services the plan's sources describe,
/// every string redacted of the plan's secrets as a scan result is.
pub async fn list_services(plan: &ScanPlan) -> Result<ServiceListing, ScanError> {
    let mut whole = plan.clone();
    whole.shard = None;
    let shard = collect_shard(&whole).await?;
    let collected = combine(plan, std::slice::from_ref(&shard));
    let resolution = evident_resolve::resolve(&collected.facts, &plan.resolve);
    let redactor = plan.redactor();
    let redact = |e: serde_json::Error| ScanError::Redact(e.to_string());
    Ok(ServiceListing {
        schema: "evident/services/v1",
        services: redactor.redact_serde(resolution.services).map_err(redact)?,
        unresolved: redactor
            .redact_serde(resolution.unresolved)
            .map_err(redact)?,
        sources: redactor.redact_serde(collected.sources).map_err(redact)?,
    })
}

/// The rules of the plan, compiled once before anything is read (a policy that does
/// not compile stops the scan before it touches a system).
fn compile(plan: &ScanPlan) -> Result<(Arc<Evaluator>, Vec<String>), ScanError> {
    let clock = std::time::Instant::now();
    let catalog = plan_catalog(plan)?;
    let policy_dirs = catalog.policy_dirs.clone();
    let evaluator = Arc::new(Evaluator::new(catalog)?);
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "rules compiled"
    );
    Ok((evaluator, policy_dirs))
}

/// Runs a scan: collects the whole estate as one shard, then judges it. Errors are
/// configuration errors; a source that fails is part of the result, never an error.
/// `plan.shard` is ignored here: see [`collect_shard`] and [`judge_shards`].
pub async fn scan(plan: &ScanPlan) -> Result<ScanResult, ScanError> {
    plan.check_credentials()?;
    let compiled = compile(plan)?;
    let started_at = now();
    let mut whole = plan.clone();
    whole.shard = None;
    let shard = collect_shard(&whole).await?;
    judge(plan, compiled, vec![shard], started_at).await
}

/// Merges the shards of one split and judges the union exactly as [`scan`] judges one
/// collection: the same result, field for field, but `scan.id`, `scan.started_at` and
/// `scan.finished_at`. Every shard of the split must be given once.
pub async fn judge_shards(
    plan: &ScanPlan,
    shards: Vec<ShardFacts>,
) -> Result<ScanResult, ScanError> {
    plan.check_credentials()?;
    let compiled = compile(plan)?;
    let started_at = shards
        .iter()
        .map(|s| s.observed_at.clone())
        .min()
        .unwrap_or_else(now);
    judge(plan, compiled, shards, started_at).await
}

/// The judging half of a scan: resolution, attestations, rules, coverage, levels, and
/// the last redaction pass.
async fn judge(
    plan: &ScanPlan,
    (evaluator, policy_dirs): (Arc<Evaluator>, Vec<String>),
    mut shards: Vec<ShardFacts>,
    started_at: String,
) -> Result<ScanResult, ScanError> {
    let clock = std::time::Instant::now();
    shard::check_complete(&shards)?;
    shards.sort_by_key(|s| s.shard.index);
    let observed_at = shards.first().map_or_else(now, |s| s.observed_at.clone());
    let ctx = context(plan, &observed_at);
    let mut collected = combine(plan, &shards);
    let resolution = evident_resolve::resolve(&collected.facts, &plan.resolve);
    // Join records are built from names the sources chose (workload and job names a
    // server may have echoed a token into): they go through the scan's redactor too.
    for mut e in resolution.join_evidence(&ctx.observed_at) {
        e.id = ctx.redactor.redact(&e.id);
        e.locator = ctx.redactor.redact(&e.locator);
        e.excerpt = ctx.redactor.redact(&e.excerpt);
        collected.evidence.entry(e.id.clone()).or_insert(e);
    }
    let files: Vec<shard::AttestationFile> = shards
        .iter()
        .flat_map(|s| s.attestations.iter().cloned())
        .collect();
    let (attestations, mut problems) = attestations::parse(&files, &ctx, &mut collected.evidence);
    problems.extend(
        shards
            .iter()
            .flat_map(|s| s.attestation_problems.iter().cloned()),
    );
    problems.sort_by(|a, b| a.source.cmp(&b.source));
    collected.sources.extend(problems);

    let input = rule_input(plan, &collected, &resolution);
    // An input that cannot be written must stop the scan: judging `{}` would turn every
    // fact into absence.
    let input_json = serde_json::to_string(&input).map_err(|e| ScanError::Input(e.to_string()))?;
    if let Some(path) = &plan.dump_input {
        // The rules read the input as collected (its evidence ids match the evidence
        // map); the copy a person reads is redacted like the result.
        let mut shown = input.clone();
        ctx.redactor.redact_json(&mut shown);
        let text = serde_json::to_string(&shown).map_err(|e| ScanError::Input(e.to_string()))?;
        write_file(path, &text)?;
    }
    let known: HashSet<String> = collected.evidence.keys().cloned().collect();
    let at = plan
        .observed_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let today = at.date_naive();
    // DORA measures read the same input the rules do, before it moves to their thread.
    let dora = evident_engine::dora::measure(&input, at);
    let judged = {
        let evaluator = Arc::clone(&evaluator);
        tokio::task::spawn_blocking(move || {
            evaluator.evaluate(&input, &input_json, &known, &attestations, today)
        })
        .await
        .map_err(|e| ScanError::Join(e.to_string()))??
    };
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        services = resolution.services.len(),
        "rules evaluated"
    );
    for e in &judged.rule_errors {
        tracing::error!("{e}");
    }
    // A rule that answered outside the status vocabulary is a mistake in the policy,
    // not a verdict: the scan stops naming the file and line (exit 2).
    if let Some((path, message)) = judged.policy_errors.into_iter().next() {
        return Err(ScanError::Engine(evident_engine::EngineError::Policy {
            path,
            message,
        }));
    }
    let mut results = judged.results;
    let failed = coverage::failed_repositories(&collected.sources, &collected.facts);
    coverage::apply(evaluator.catalog(), &resolution, &failed, &mut results);
    let services = resolution.result_services();
    let levels = infer_levels(
        evaluator.catalog(),
        &results,
        &services,
        plan.judging.strict,
    );
    let mut unreadable = collect::unreadable(&collected.facts);
    unreadable.extend(collect::incomplete_items(&collected.sources));
    let result = ScanResult {
        schema: SCAN_RESULT_SCHEMA.to_owned(),
        scan: ScanInfo {
            id: uuid::Uuid::new_v4().to_string(),
            started_at,
            finished_at: now(),
            tool: ToolInfo {
                name: "evident".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            targets: targets(plan)
                .iter()
                .map(|t| ctx.redactor.redact(t))
                .collect(),
            strict: plan.judging.strict,
            policies: policy_dirs,
        },
        sources: collected.sources,
        services,
        criteria: evaluator.criteria_info(),
        results,
        levels,
        evidence: collected.evidence,
        unreadable,
        unresolved: resolution.unresolved,
        dora,
        warnings: judged.attestation_warnings,
    };
    // The last pass: a name a server chose (a metric, a rule, a dashboard title, an
    // object) may carry a credential it was sent, and reach ids, locators, summaries
    // and every renderer from there. Every string of the result, keys included, goes
    // through the same redaction, so an id and every reference to it stay equal.
    let clean = ctx
        .redactor
        .redact_serde(result)
        .map_err(|e| ScanError::Redact(e.to_string()))?;
    tracing::info!(
        elapsed_ms = clock.elapsed().as_millis() as u64,
        "result redacted"
    );
    Ok(clean)
}

/// What was scanned, as a person would name it: repositories, clusters, servers. The
/// caller redacts it: a server URL may carry `user:password@`.
fn targets(plan: &ScanPlan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .repositories
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if let Some(g) = &plan.github {
        for t in &g.targets {
            out.push(match t {
                evident_github::Target::Owner(o) => format!("github {o}"),
                evident_github::Target::Repo { owner, name } => format!("github {owner}/{name}"),
            });
        }
    }
    for t in &plan.kube_targets {
        out.push(match t {
            evident_probe_kubernetes::Target::Context(c) => format!("kube-context {c}"),
            evident_probe_kubernetes::Target::Current => "kube current context".into(),
            evident_probe_kubernetes::Target::Dump { path, .. } => {
                format!("kube-dump {}", path.display())
            }
            evident_probe_kubernetes::Target::Config { name, .. } => format!("cluster {name}"),
        });
    }
    out.extend(
        plan.prometheus
            .urls
            .iter()
            .map(|u| format!("prometheus {u}")),
    );
    out.extend(plan.grafana.url.iter().map(|u| format!("grafana {u}")));
    out
}

/// The one document the rules read (`input`): configuration, capability statuses,
/// services, teams, indexes, facts.
fn rule_input(plan: &ScanPlan, collected: &Collected, resolution: &Resolution) -> Value {
    let empty = json!({});
    let mut index = resolution.input_index();
    index.insert(
        "rule_metrics".into(),
        Value::Array(evident_engine::resolve::rule_metrics(
            collected.facts.get("git").unwrap_or(&empty),
        )),
    );
    json!({
        "config": plan.judging.rules,
        "sources": collected
            .capabilities
            .iter()
            .map(|(k, state)| (k.clone(), state.to_input()))
            .collect::<serde_json::Map<_, _>>(),
        "services": resolution.input_services(),
        "teams": resolution.input_teams(),
        "index": index,
        "facts": collected.facts,
    })
}

fn write_file(path: &Path, text: &str) -> Result<(), ScanError> {
    std::fs::write(path, text).map_err(|source| ScanError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// Keeps the evidence map's type in one place for the phases.
pub(crate) type EvidenceMap = std::collections::BTreeMap<String, Evidence>;

#[cfg(test)]
mod tests {
    use super::*;
    use evident_resolve::{PersonMapping, ResolveConfig};

    /// The plan's people mapping reaches resolution, and the rule input carries what
    /// resolution adds for on-call: `services[s].oncall`, `index.people`,
    /// `index.unresolved_people`, `teams[t].members`.
    #[test]
    fn the_rule_input_carries_oncall_people_and_team_members() {
        let mut plan = ScanPlan::for_repositories(Vec::new());
        plan.resolve = ResolveConfig {
            people: vec![PersonMapping {
                login: "alice".into(),
                emails: vec![],
                oncall: vec!["pagerduty/PU1".into()],
            }],
            ..ResolveConfig::default()
        };
        let user = |id: &str| json!({"key": format!("pagerduty/{id}"), "account": "pagerduty", "id": id, "name": id, "evidence": format!("oncall:pagerduty:user:{id}")});
        let facts = json!({
            "git": {"repos": {"shop": {"catalog": [
                {"kind": "Component", "name": "shop", "owner": "group:web", "annotations": {"pagerduty.com/service-id": "PS"}, "evidence": "git:shop@1:catalog-info.yaml#L1-L9"},
                {"kind": "Group", "name": "web", "members": ["user:default/alice"], "evidence": "git:shop@1:catalog-info.yaml#L10-L19"}
            ]}}},
            "oncall": {
                "services": {"pagerduty/PS": {"key": "pagerduty/PS", "account": "pagerduty", "id": "PS", "name": "shop pager", "evidence": "oncall:pagerduty:service:PS"}},
                "users": {"pagerduty/PU1": user("PU1"), "pagerduty/PU2": user("PU2")}
            }
        });
        let collected = Collected {
            sources: Vec::new(),
            capabilities: Default::default(),
            facts,
            evidence: EvidenceMap::new(),
        };
        let resolution = evident_resolve::resolve(&collected.facts, &plan.resolve);
        let input = rule_input(&plan, &collected, &resolution);
        assert_eq!(
            input["services"]["shop"]["oncall"]["services"],
            json!(["pagerduty/PS"])
        );
        assert_eq!(input["index"]["people"]["pagerduty/PU1"]["login"], "alice");
        assert_eq!(
            input["index"]["unresolved_people"],
            json!(["pagerduty/PU2"])
        );
        assert_eq!(input["teams"]["group:web"]["members"], json!(["alice"]));
        assert_eq!(
            input["teams"]["group:web"]["members_source"],
            "catalog Group web"
        );
        assert!(input["index"]["rule_metrics"].is_array());
    }
}
