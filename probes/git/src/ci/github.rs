//! GitHub Actions workflows (`.github/workflows/*.yml`).
//!
//! The structure is checked with `github-actions-models` (a workflow GitHub would reject
//! runs nothing, so it yields a file with an error and no jobs); positions come from
//! saphyr, so each job and each signal cites its own lines.

use super::classify::{Detection, Observed, classify_action, classify_command, shell_commands};
use super::{CiFile, JobDraft, Triggers, branch_matches};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::Unreadable;
use crate::yaml_pos::{self, Lines, Node};
use github_actions_models::workflow::event::{BranchFilters, OptionalBody, Push, TagFilters};
use github_actions_models::workflow::job::DeploymentEnvironment;
use github_actions_models::workflow::{Job, Workflow};

/// The `system` value of GitHub Actions facts.
pub(crate) const SYSTEM: &str = "github-actions";

/// Whether GitHub would read `path` as a workflow: YAML directly in `.github/workflows/`.
pub(crate) fn is_workflow_path(path: &str) -> bool {
    path.strip_prefix(".github/workflows/").is_some_and(|name| {
        !name.contains('/') && (name.ends_with(".yml") || name.ends_with(".yaml"))
    })
}

/// What the repository's workflows hold.
pub(crate) struct Workflows {
    pub files: Vec<CiFile>,
    pub jobs: Vec<JobDraft>,
}

/// Reads every workflow; a job that calls a workflow of this repository
/// (`uses: ./.github/workflows/deploy.yml`) takes on what the called jobs do.
pub(crate) fn scan_workflows(
    files: &[&SourceFile],
    book: &mut EvidenceBook<'_>,
    default_branch: &str,
    origin_owner: Option<&str>,
    unreadable: &mut Vec<Unreadable>,
) -> Workflows {
    let mut out = Workflows {
        files: Vec::new(),
        jobs: Vec::new(),
    };
    let mut local_calls: Vec<(usize, String)> = Vec::new();
    for file in files {
        let (ci_file, drafts) = scan_workflow(file, book, default_branch, origin_owner);
        if let Some(error) = &ci_file.error {
            unreadable.push(Unreadable {
                path: file.path.clone(),
                reason: error.clone(),
            });
        }
        out.files.push(ci_file);
        for (draft, call) in drafts {
            if let Some(callee) = call {
                local_calls.push((out.jobs.len(), callee));
            }
            out.jobs.push(draft);
        }
    }
    for (caller, callee) in local_calls {
        let inherited: Vec<Observed> = out
            .jobs
            .iter()
            .filter(|j| j.path == callee)
            .flat_map(|j| {
                j.observed.iter().map(|o| Observed {
                    path: o.path.clone().or_else(|| Some(j.path.clone())),
                    ..o.clone()
                })
            })
            .collect();
        if let Some(job) = out.jobs.get_mut(caller) {
            job.observed.extend(inherited);
        }
    }
    out
}

type Draft = (JobDraft, Option<String>);

fn scan_workflow(
    file: &SourceFile,
    book: &mut EvidenceBook<'_>,
    default_branch: &str,
    origin_owner: Option<&str>,
) -> (CiFile, Vec<Draft>) {
    let (mut ci_file, docs) = match CiFile::load(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err((ci_file, _)) => return (ci_file, Vec::new()),
    };
    let workflow: Workflow = match serde_yaml::from_str(&file.text) {
        Ok(w) => w,
        Err(e) => {
            let line = e
                .location()
                .map_or(1, |l| u32::try_from(l.line()).unwrap_or(1));
            ci_file.evidence = book.cite(file, line, line);
            ci_file.error = Some(format!("could not parse workflow at line {line}: {e}"));
            return (ci_file, Vec::new());
        }
    };
    ci_file.evidence = book.cite_file(file);
    let Some(root) = docs.first() else {
        return (ci_file, Vec::new());
    };
    let lines = Lines::new(&file.text);
    let triggers = workflow_triggers(&workflow, default_branch);
    let mut drafts = Vec::new();
    let Some(jobs_node) = yaml_pos::get(root, "jobs") else {
        return (ci_file, drafts);
    };
    for (key_node, job_node) in yaml_pos::entries(jobs_node) {
        let Some(key) = yaml_pos::scalar_text(key_node) else {
            continue;
        };
        let Some(job) = workflow.jobs.get(&key) else {
            continue;
        };
        let (start_line, end_line) = lines.entry_range(key_node, job_node);
        let mut job_triggers = triggers.clone();
        if let Some(condition) = yaml_pos::get(job_node, "if").and_then(yaml_pos::scalar_text) {
            narrow_by_condition(&mut job_triggers, &condition, default_branch);
        }
        let name = job
            .name()
            .filter(|n| !n.contains("${{"))
            .map_or_else(|| key.clone(), str::to_owned);
        let environment = match job {
            Job::NormalJob(normal) => match &normal.environment {
                Some(DeploymentEnvironment::Name(name)) => Some(name.clone()),
                Some(DeploymentEnvironment::NameURL { name, .. }) => Some(name.clone()),
                None => None,
            },
            Job::ReusableWorkflowCallJob(_) => None,
        };
        let mut draft = JobDraft {
            name,
            key: key.clone(),
            system: SYSTEM,
            path: file.path.clone(),
            start_line,
            end_line,
            triggers: job_triggers,
            manual_only: false,
            environment,
            reuses: Vec::new(),
            observed: Vec::new(),
        };
        let mut local_call = None;
        if let Some(uses) = yaml_pos::get_str(job_node, "uses") {
            match uses.strip_prefix("./") {
                Some(local) => {
                    local_call = Some(local.split('@').next().unwrap_or(local).to_owned());
                }
                None => draft.reuses.push(uses.to_owned()),
            }
        }
        if let Some(steps) = yaml_pos::get(job_node, "steps") {
            for step in yaml_pos::items(steps) {
                observe_step(step, &lines, origin_owner, &mut draft);
            }
        }
        drafts.push((draft, local_call));
    }
    (ci_file, drafts)
}

fn observe_step(step: &Node, lines: &Lines<'_>, origin_owner: Option<&str>, draft: &mut JobDraft) {
    if let Some(run) = yaml_pos::get(step, "run") {
        for command in shell_commands(&lines.scalar_lines(run)) {
            draft.observed.push(Observed {
                detection: classify_command(&command),
                line: command.line,
                path: None,
            });
        }
    }
    let Some(uses_node) = yaml_pos::get(step, "uses") else {
        return;
    };
    let Some(uses) = yaml_pos::as_str(uses_node) else {
        return;
    };
    if uses.starts_with("./") || uses.starts_with("docker://") {
        return;
    }
    let action = uses.split('@').next().unwrap_or(uses);
    let with = yaml_pos::get(step, "with");
    let lookup = |key: &str| {
        with.and_then(|w| yaml_pos::get(w, key))
            .and_then(yaml_pos::scalar_text)
    };
    let detection: Detection = classify_action(action, &lookup);
    draft.observed.push(Observed {
        detection,
        line: yaml_pos::marker_line(&uses_node.span.start),
        path: None,
    });
    let owner = action.split('/').next().unwrap_or_default().to_lowercase();
    if origin_owner.is_some_and(|o| o == owner) {
        draft.reuses.push(uses.to_owned());
    }
}

/// The workflow's `on:` as trigger flags.
fn workflow_triggers(workflow: &Workflow, default_branch: &str) -> Triggers {
    let events = &workflow.on.events;
    let mut t = Triggers::default();
    match &events.push {
        OptionalBody::Missing => {}
        OptionalBody::Default => {
            t.push_default_branch = true;
            t.push_other = true;
            t.tag = true;
        }
        OptionalBody::Body(push) => push_triggers(push, default_branch, &mut t),
    }
    t.pull_request = events.pull_request.is_present() || events.pull_request_target.is_present();
    t.schedule = events.schedule.is_present();
    t.manual = events.workflow_dispatch.is_present();
    // Every other event, by name, from the model's own serialisation of the events.
    if let Ok(serde_json::Value::Object(all)) = serde_json::to_value(events.as_ref()) {
        for (name, value) in all {
            let handled = matches!(
                name.as_str(),
                "push" | "pull_request" | "pull_request_target" | "schedule" | "workflow_dispatch"
            );
            if !handled && value != serde_json::Value::String("Missing".to_owned()) {
                t.add_other(&name);
            }
        }
    }
    t
}

/// GitHub runs a push workflow with only tag filters for tags only, with only branch
/// filters for branches only, and with none for both.
fn push_triggers(push: &Push, default_branch: &str, t: &mut Triggers) {
    let branches = push.branch_filters.as_ref();
    let tags = push.tag_filters.as_ref();
    if branches.is_some() || tags.is_none() {
        match branches {
            None => {
                t.push_default_branch = true;
                t.push_other = true;
            }
            Some(BranchFilters::Branches(patterns)) => {
                let mut matched = false;
                for p in patterns {
                    match p.strip_prefix('!') {
                        Some(neg) if branch_matches(neg, default_branch) => matched = false,
                        Some(_) => {}
                        None if branch_matches(p, default_branch) => matched = true,
                        None => {}
                    }
                }
                t.push_default_branch = matched;
                t.push_other = patterns
                    .iter()
                    .any(|p| !p.starts_with('!') && p != default_branch);
            }
            Some(BranchFilters::BranchesIgnore(patterns)) => {
                t.push_default_branch = !patterns.iter().any(|p| branch_matches(p, default_branch));
                t.push_other = true;
            }
        }
    }
    if tags.is_some() || branches.is_none() {
        t.tag = match tags {
            None => true,
            Some(TagFilters::Tags(patterns)) => !patterns.is_empty(),
            Some(TagFilters::TagsIgnore(_)) => true,
        };
    }
}

/// Narrows a job's triggers by the common shapes of a job-level `if:` (only on the
/// default branch, only on push, only on tags). A condition with `||` is left alone:
/// narrowing it could hide a trigger.
fn narrow_by_condition(t: &mut Triggers, condition: &str, default_branch: &str) {
    let c: String = condition
        .replace('"', "'")
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    if c.contains("||") || c.contains("!=") && !c.contains("==") {
        return;
    }
    if c.contains(&format!("github.ref=='refs/heads/{default_branch}'"))
        || c.contains(&format!("github.ref_name=='{default_branch}'"))
    {
        t.push_other = false;
        t.pull_request = false;
        t.tag = false;
    }
    if c.contains("github.event_name=='push'") {
        t.pull_request = false;
        t.schedule = false;
        t.manual = false;
        t.other.clear();
    }
    if c.contains("startsWith(github.ref,'refs/tags") {
        t.push_default_branch = false;
        t.push_other = false;
        t.pull_request = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(on: &str) -> Triggers {
        let text = format!("on:\n{on}\njobs:\n  a:\n    runs-on: x\n    steps: []\n");
        let wf: Workflow = serde_yaml::from_str(&text).unwrap();
        workflow_triggers(&wf, "main")
    }

    #[test]
    fn push_filters() {
        let t = triggers("  push:\n    branches: [main]\n  pull_request:");
        assert!(t.push_default_branch && !t.push_other && t.pull_request && !t.tag);
        let t = triggers("  push:\n    branches: ['release/**']");
        assert!(!t.push_default_branch && t.push_other);
        let t = triggers("  push:\n    tags: ['v*']");
        assert!(!t.push_default_branch && !t.push_other && t.tag);
        let t = triggers("  push:\n    branches-ignore: [main]");
        assert!(!t.push_default_branch && t.push_other);
        let t = triggers("  push:\n    branches: ['*', '!main']");
        assert!(!t.push_default_branch && t.push_other);
        let t = triggers("  workflow_dispatch:\n  workflow_run:\n    workflows: [ci]");
        assert!(t.manual && t.other == vec!["workflow_run".to_owned()] && t.any_automatic());
        let t = triggers("  workflow_dispatch:");
        assert!(t.manual && !t.any_automatic());
    }

    #[test]
    fn job_conditions_narrow_triggers() {
        let mut t = triggers("  push:\n  pull_request:");
        narrow_by_condition(&mut t, "github.ref == 'refs/heads/main'", "main");
        assert!(t.push_default_branch && !t.push_other && !t.pull_request);
        let mut t = triggers("  push:\n  pull_request:");
        narrow_by_condition(
            &mut t,
            "github.ref == 'refs/heads/main' || github.event_name == 'pull_request'",
            "main",
        );
        assert!(t.pull_request);
    }
}
