//! CircleCI (`.circleci/config.yml`).
//!
//! Jobs are defined under `jobs:` and run by `workflows:`, which set the filters,
//! schedules and approvals. One fact per job definition, cited by its definition's lines,
//! with the union of the triggers of every workflow entry that runs it; a job run only
//! after an `type: approval` job (directly or through `requires`) is manual. Orb jobs run
//! from a workflow without a definition in the file are facts of their own, cited by the
//! workflow entry. Orbs are shared templates: `reuses` lists `orb:<name>@<version>`.

use super::classify::{Detection, Observed, script_name_kinds};
use super::support::{self, Parsed};
use super::{JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};
use std::collections::BTreeMap;

/// The `system` value of CircleCI facts.
pub(crate) const SYSTEM: &str = "circleci";

/// Whether `path` is CircleCI's configuration.
pub(crate) fn is_config(path: &str) -> bool {
    matches!(path, ".circleci/config.yml" | ".circleci/config.yaml")
}

/// How one workflow entry runs a job.
#[derive(Default)]
struct Invocation {
    triggers: Triggers,
    manual: bool,
}

/// An orb job a workflow runs without defining it: name, key and value nodes, and how
/// the workflow runs it.
type OrbJob<'n> = (String, &'n Node, &'n Node, Invocation);

/// Reads the configuration: orbs, then how each workflow runs each job, then one
/// draft per defined job and per orb job a workflow runs.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let (ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let root = match support::root_mapping(&docs, "CircleCI configuration") {
        Ok(root) => root,
        Err(e) => return Parsed::failed(file, SYSTEM, 1, e, book),
    };
    let lines = Lines::new(&file.text);
    let orbs = orbs(root);
    let orb_of = |name: &str| -> Option<String> {
        let (alias, _) = name.split_once('/')?;
        orbs.get(alias).map(|r| format!("orb:{r}"))
    };
    let definitions = yaml_pos::get(root, "jobs");
    let (invocations, orb_jobs) = workflow_invocations(root, definitions, default_branch);

    let mut jobs = Vec::new();
    if let Some(definitions) = definitions {
        for (key_node, job) in yaml_pos::entries(definitions) {
            let Some(name) = yaml_pos::scalar_text(key_node) else {
                continue;
            };
            let runs = invocations.get(&name);
            let legacy = yaml_pos::get(root, "workflows").is_none();
            let draft = defined_job(file, &lines, &orb_of, (key_node, job), &name, runs, legacy);
            jobs.push(draft);
        }
    }
    for (name, key, value, inv) in orb_jobs {
        let draft = orb_job(file, &lines, &orb_of, &name, (key, value), inv);
        if jobs.iter().any(|j| j.key == draft.key) {
            continue;
        }
        jobs.push(draft);
    }
    Parsed {
        file: ci_file,
        jobs,
    }
}

/// `orbs:` as alias → reference (`circleci/node@5`, or `<alias> (inline)`).
fn orbs(root: &Node) -> BTreeMap<String, String> {
    yaml_pos::get(root, "orbs")
        .map(|o| {
            yaml_pos::entries(o)
                .into_iter()
                .filter_map(|(k, v)| {
                    let alias = yaml_pos::scalar_text(k)?;
                    let reference = yaml_pos::as_str(v)
                        .map_or_else(|| format!("{alias} (inline)"), str::to_owned);
                    Some((alias, reference))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How every workflow runs each job: invocations of defined jobs by name, and the orb
/// jobs workflows run without a definition.
fn workflow_invocations<'n>(
    root: &'n Node,
    definitions: Option<&'n Node>,
    default_branch: &str,
) -> (BTreeMap<String, Vec<Invocation>>, Vec<OrbJob<'n>>) {
    let mut invocations: BTreeMap<String, Vec<Invocation>> = BTreeMap::new();
    let mut orb_jobs: Vec<OrbJob<'n>> = Vec::new();
    let Some(workflows) = yaml_pos::get(root, "workflows") else {
        return (invocations, orb_jobs);
    };
    for (wf_key, wf) in yaml_pos::entries(workflows) {
        if yaml_pos::as_str(wf_key) == Some("version") || !yaml_pos::is_mapping(wf) {
            continue;
        }
        let base = workflow_triggers(wf, default_branch);
        let entries = job_entries(wf);
        let approvals: Vec<String> = entries
            .iter()
            .filter(|(_, _, params)| {
                params.is_some_and(|p| yaml_pos::get_str(p, "type") == Some("approval"))
            })
            .map(|(name, _, params)| {
                params
                    .and_then(|p| yaml_pos::get_str(p, "name"))
                    .unwrap_or(name)
                    .to_owned()
            })
            .collect();
        let requires: BTreeMap<String, Vec<String>> = entries
            .iter()
            .map(|(name, _, params)| {
                let own = params
                    .and_then(|p| yaml_pos::get_str(p, "name"))
                    .unwrap_or(name);
                let req = params
                    .and_then(|p| yaml_pos::get(p, "requires"))
                    .map(support::strings)
                    .unwrap_or_default();
                (own.to_owned(), req)
            })
            .collect();
        for (name, entry, params) in &entries {
            if params.is_some_and(|p| yaml_pos::get_str(p, "type") == Some("approval")) {
                continue;
            }
            let own = params
                .and_then(|p| yaml_pos::get_str(p, "name"))
                .unwrap_or(name);
            let mut triggers = base.clone();
            if let Some(filters) = params.and_then(|p| yaml_pos::get(p, "filters")) {
                apply_filters(&mut triggers, filters, default_branch);
            }
            let manual = gated(own, &requires, &approvals, 0);
            if manual {
                triggers.manual = true;
            }
            let invocation = Invocation { triggers, manual };
            let defined = definitions.is_some_and(|d| yaml_pos::get(d, name).is_some());
            if defined {
                invocations
                    .entry((*name).to_owned())
                    .or_default()
                    .push(invocation);
            } else if name.contains('/') {
                orb_jobs.push(((*name).to_owned(), entry.0, entry.1, invocation));
            }
        }
    }
    (invocations, orb_jobs)
}

/// One job of `jobs:`, triggered as the workflows run it (or, without workflows, the
/// `build` job on every push, as version 2.0 configs do).
fn defined_job(
    file: &SourceFile,
    lines: &Lines<'_>,
    orb_of: &dyn Fn(&str) -> Option<String>,
    (key_node, job): (&Node, &Node),
    name: &str,
    runs: Option<&Vec<Invocation>>,
    no_workflows: bool,
) -> JobDraft {
    let mut triggers = Triggers::default();
    let mut manual_only = runs.is_some();
    for inv in runs.into_iter().flatten() {
        triggers.merge(&inv.triggers);
        manual_only &= inv.manual;
    }
    if runs.is_none() {
        // Version 2.0 configs without workflows run the `build` job on every push.
        let legacy = no_workflows && name == "build";
        if legacy {
            triggers.push_default_branch = true;
            triggers.push_other = true;
        }
    }
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        name,
        name,
        lines.entry_range(key_node, job),
        triggers,
    );
    draft.manual_only = manual_only;
    if let Some(executor) = yaml_pos::get(job, "executor").and_then(|e| {
        yaml_pos::as_str(e)
            .map(str::to_owned)
            .or_else(|| yaml_pos::get_str(e, "name").map(str::to_owned))
    }) && let Some(orb) = orb_of(&executor)
    {
        draft.reuses.push(orb);
    }
    if let Some(steps) = yaml_pos::get(job, "steps") {
        for step in yaml_pos::items(steps) {
            observe_step(step, lines, orb_of, &mut draft.observed, &mut draft.reuses);
        }
    }
    draft
}

/// An orb job a workflow runs: what it does is read from its name.
fn orb_job(
    file: &SourceFile,
    lines: &Lines<'_>,
    orb_of: &dyn Fn(&str) -> Option<String>,
    name: &str,
    (key, value): (&Node, &Node),
    inv: Invocation,
) -> JobDraft {
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        name,
        name,
        lines.entry_range(key, value),
        inv.triggers,
    );
    draft.manual_only = inv.manual;
    if let Some(orb) = orb_of(name) {
        draft.reuses.push(orb);
    }
    draft.observed.push(Observed {
        detection: orb_detection(name),
        line: yaml_pos::marker_line(&key.span.start),
        path: None,
    });
    draft
}

type Entry<'n> = (&'n str, (&'n Node, &'n Node), Option<&'n Node>);

/// `jobs:` of a workflow: `- build` or `- deploy: {requires: [...], filters: ...}`.
fn job_entries(wf: &Node) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    let Some(jobs) = yaml_pos::get(wf, "jobs") else {
        return out;
    };
    for item in yaml_pos::items(jobs) {
        if let Some(name) = yaml_pos::as_str(item) {
            out.push((name, (item, item), None));
        } else if let Some((k, v)) = yaml_pos::entries(item).into_iter().next()
            && let Some(name) = yaml_pos::as_str(k)
        {
            out.push((name, (k, v), Some(v)));
        }
    }
    out
}

/// Whether a job waits, directly or through what it requires, for an approval job.
fn gated(
    job: &str,
    requires: &BTreeMap<String, Vec<String>>,
    approvals: &[String],
    depth: usize,
) -> bool {
    if depth > 32 {
        return false;
    }
    requires.get(job).is_some_and(|reqs| {
        reqs.iter()
            .any(|r| approvals.contains(r) || gated(r, requires, approvals, depth + 1))
    })
}

/// A workflow runs on every push to any branch (tags only when a job asks for them),
/// unless it has scheduled `triggers:`.
fn workflow_triggers(wf: &Node, default_branch: &str) -> Triggers {
    let mut t = Triggers::default();
    if let Some(triggers) = yaml_pos::get(wf, "triggers") {
        for trigger in yaml_pos::items(triggers) {
            if yaml_pos::get(trigger, "schedule").is_some() {
                t.schedule = true;
            }
        }
        return t;
    }
    t.push_default_branch = true;
    t.push_other = true;
    // `when:` on pipeline parameters or the trigger source of a scheduled pipeline.
    if let Some(when) = yaml_pos::get(wf, "when").or_else(|| yaml_pos::get(wf, "unless")) {
        let text = yaml_pos::to_json(when).to_string();
        if text.contains("scheduled_pipeline") {
            t = Triggers {
                schedule: true,
                ..Triggers::default()
            };
        } else if text.contains("pipeline.git.branch")
            && text.contains(&format!("\"{default_branch}\""))
        {
            t.push_other = false;
        } else {
            t.add_other("condition");
            t.push_default_branch = false;
            t.push_other = false;
        }
    }
    t
}

/// Narrows by `filters: {branches: {only, ignore}, tags: {only, ignore}}`.
/// Tags run a job only when its filter names them, and never in a scheduled workflow.
fn apply_filters(t: &mut Triggers, filters: &Node, default_branch: &str) {
    let list = |n: Option<&Node>, key: &str| {
        n.and_then(|n| yaml_pos::get(n, key))
            .map(support::strings)
            .unwrap_or_default()
    };
    let branches = yaml_pos::get(filters, "branches");
    let tags = yaml_pos::get(filters, "tags");
    if branches.is_some() {
        let (d, o) = support::branch_filter(
            &list(branches, "only"),
            &list(branches, "ignore"),
            default_branch,
        );
        t.push_default_branch &= d;
        t.push_other &= o;
    }
    if let Some(tags) = tags
        && !t.schedule
    {
        t.tag = !list(Some(tags), "only").is_empty();
    }
}

fn observe_step(
    step: &Node,
    lines: &Lines<'_>,
    orb_of: &dyn Fn(&str) -> Option<String>,
    observed: &mut Vec<Observed>,
    reuses: &mut Vec<String>,
) {
    let (name, value) = match yaml_pos::as_str(step) {
        Some(name) => (name.to_owned(), None),
        None => match yaml_pos::entries(step).into_iter().next() {
            Some((k, v)) => match yaml_pos::scalar_text(k) {
                Some(name) => (name, Some(v)),
                None => return,
            },
            None => return,
        },
    };
    if name == "run" {
        if let Some(v) = value {
            let command = if yaml_pos::is_mapping(v) {
                yaml_pos::get(v, "command")
            } else {
                Some(v)
            };
            if let Some(c) = command {
                support::observe_script(c, lines, observed);
            }
        }
        return;
    }
    if let Some(orb) = orb_of(&name) {
        if !reuses.contains(&orb) {
            reuses.push(orb);
        }
        observed.push(Observed {
            detection: orb_detection(&name),
            line: yaml_pos::marker_line(&step.span.start),
            path: None,
        });
    }
}

/// What an orb command or job does, from its name (`kubernetes/apply`,
/// `aws-ecs/deploy-service-update`, `aws-ecr/build-and-push-image`).
fn orb_detection(name: &str) -> Detection {
    let (alias, command) = name.split_once('/').unwrap_or(("", name));
    let command = command.to_lowercase();
    let target = match alias {
        a if a.contains("helm") => "helm",
        a if a.contains("kubernetes") || a.contains("kubectl") => "kubectl",
        a if a.contains("aws") => "aws",
        a if a.contains("gcp") || a.contains("google") => "gcloud",
        a if a.contains("azure") => "az",
        a if a.contains("terraform") => "terraform",
        a if a.contains("pulumi") => "pulumi",
        _ => "orb",
    };
    let mut hits = if command.contains("apply") && matches!(target, "kubectl" | "terraform") {
        script_name_kinds("deploy", target)
    } else if command.contains("upgrade") || command.contains("install-helm-chart") {
        script_name_kinds(if target == "helm" { "deploy" } else { "" }, target)
    } else {
        script_name_kinds(&command, target)
    };
    if command.contains("build-and-push") {
        hits = script_name_kinds("build", target);
        hits.extend(script_name_kinds("push", target));
    }
    Detection {
        hits,
        local_cluster: false,
    }
}
