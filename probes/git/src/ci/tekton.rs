//! Tekton (`tekton.dev` Task, Pipeline, PipelineRun, TriggerTemplate, Trigger and
//! EventListener manifests, anywhere in the repository).
//!
//! One fact per Task (its steps' `script`, or `command` + `args`), and one per task of a
//! Pipeline that is not a Task of this repository (inline `taskSpec` steps, or a Task
//! from a catalog, hub, bundle or git resolver: a shared template,
//! `tekton-task:<name>`). A Pipeline's task takes the Pipeline's triggers; a Task of the
//! repository takes those of the Pipelines that use it.
//!
//! Triggers: an EventListener (through its Triggers and TriggerTemplates) that creates a
//! PipelineRun of a Pipeline starts it automatically, on the GitHub/GitLab event types
//! its interceptors name (`push`, `pull_request`; none named: `event-listener`). A
//! Pipeline no EventListener in the repository starts is `external-trigger`.

use super::classify::{Detection, Observed, script_name_kinds};
use super::support::{self, Parsed};
use super::{CiFile, JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};
use std::collections::BTreeMap;

/// The `system` value of Tekton facts.
pub(crate) const SYSTEM: &str = "tekton";

const KINDS: [&str; 8] = [
    "Task",
    "ClusterTask",
    "Pipeline",
    "PipelineRun",
    "TaskRun",
    "TriggerTemplate",
    "Trigger",
    "EventListener",
];

/// Whether a file's text may hold Tekton objects (cheap check before parsing).
pub(crate) fn may_hold_tekton(text: &str) -> bool {
    text.contains("tekton.dev/")
}

struct Object<'a> {
    file: usize,
    kind: String,
    name: String,
    doc: &'a Node,
}

/// Reads the Tekton objects of all `files`; a file without any is left out.
///
/// Pipelines are read before Tasks because a Task in the repository runs with the
/// triggers of every Pipeline that references it.
pub(crate) fn scan(
    files: &[&SourceFile],
    book: &mut EvidenceBook<'_>,
    default_branch: &str,
) -> Vec<Parsed> {
    let mut out: Vec<Parsed> = Vec::new();
    let (loaded, kept) = load(files, book, &mut out);
    let objects = tekton_objects(&loaded);
    let pipeline_triggers = started_pipelines(&objects, default_branch);
    let tasks_in_repo: BTreeMap<&str, &Object<'_>> = objects
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "Task" | "ClusterTask"))
        .map(|o| (o.name.as_str(), o))
        .collect();
    let mut task_triggers: BTreeMap<String, Triggers> = BTreeMap::new();
    let mut jobs_by_file: BTreeMap<usize, Vec<JobDraft>> = BTreeMap::new();
    let lines: Vec<Lines<'_>> = kept
        .iter()
        .filter_map(|i| files.get(*i))
        .map(|f| Lines::new(&f.text))
        .collect();
    for o in objects.iter().filter(|o| o.kind == "Pipeline") {
        let triggers = pipeline_triggers
            .get(&o.name)
            .cloned()
            .unwrap_or_else(support::external);
        let (Some(file), Some(l)) = (
            kept.get(o.file).and_then(|i| files.get(*i)),
            lines.get(o.file),
        ) else {
            continue;
        };
        let spec = yaml_pos::get(o.doc, "spec");
        let tasks = spec
            .into_iter()
            .flat_map(|s| {
                ["tasks", "finally"]
                    .into_iter()
                    .filter_map(move |k| yaml_pos::get(s, k))
            })
            .flat_map(yaml_pos::items);
        for task in tasks {
            let local = local_task(task, &tasks_in_repo);
            if let Some(local) = local {
                task_triggers
                    .entry(local.to_owned())
                    .or_default()
                    .merge(&triggers);
                continue;
            }
            let draft = pipeline_task(o, task, file, l, &triggers);
            jobs_by_file.entry(o.file).or_default().push(draft);
        }
    }
    for o in objects
        .iter()
        .filter(|o| matches!(o.kind.as_str(), "Task" | "ClusterTask"))
    {
        let (Some(file), Some(l)) = (
            kept.get(o.file).and_then(|i| files.get(*i)),
            lines.get(o.file),
        ) else {
            continue;
        };
        let triggers = task_triggers
            .get(&o.name)
            .cloned()
            .unwrap_or_else(support::external);
        let mut draft = support::draft(
            SYSTEM,
            &file.path,
            &format!("{}/{}", o.kind, o.name),
            &o.name,
            l.node_range(o.doc),
            triggers,
        );
        if let Some(steps) = yaml_pos::get(o.doc, "spec").and_then(|s| yaml_pos::get(s, "steps")) {
            observe_steps(steps, l, &mut draft.observed);
        }
        jobs_by_file.entry(o.file).or_default().push(draft);
    }
    for (index, (ci_file, _)) in loaded.into_iter().enumerate() {
        out.push(Parsed {
            file: ci_file,
            jobs: jobs_by_file.remove(&index).unwrap_or_default(),
        });
    }
    out
}

/// The files holding at least one Tekton object, parsed, with their indexes in
/// `files`; malformed YAML that mentions Tekton goes to `out` as a Tekton file.
fn load(
    files: &[&SourceFile],
    book: &mut EvidenceBook<'_>,
    out: &mut Vec<Parsed>,
) -> (Vec<(CiFile, Vec<Node>)>, Vec<usize>) {
    let mut loaded: Vec<(CiFile, Vec<Node>)> = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        match support::load_yaml(file, SYSTEM, book) {
            Ok((ci_file, docs)) => {
                let any = docs.iter().any(|d| {
                    yaml_pos::get_str(d, "apiVersion").is_some_and(|a| a.contains("tekton.dev/"))
                        && yaml_pos::get_str(d, "kind").is_some_and(|k| KINDS.contains(&k))
                });
                if any {
                    loaded.push((ci_file, docs));
                    kept.push(i);
                }
            }
            // Malformed YAML that mentions Tekton is reported as a Tekton file.
            Err(parsed) => out.push(parsed),
        }
    }
    (loaded, kept)
}

/// Every Tekton object of the loaded files, with the index of its file.
fn tekton_objects(loaded: &[(CiFile, Vec<Node>)]) -> Vec<Object<'_>> {
    let mut objects: Vec<Object<'_>> = Vec::new();
    for (index, (_, docs)) in loaded.iter().enumerate() {
        for doc in docs {
            let is_tekton =
                yaml_pos::get_str(doc, "apiVersion").is_some_and(|a| a.contains("tekton.dev/"));
            let kind = yaml_pos::get_str(doc, "kind").unwrap_or_default();
            if !is_tekton || !KINDS.contains(&kind) {
                continue;
            }
            let name = yaml_pos::get(doc, "metadata")
                .and_then(|m| {
                    yaml_pos::get_str(m, "name").or_else(|| yaml_pos::get_str(m, "generateName"))
                })
                .unwrap_or_default();
            objects.push(Object {
                file: index,
                kind: kind.to_owned(),
                name: name.to_owned(),
                doc,
            });
        }
    }
    objects
}

/// The name of the repository's own Task a pipeline task references plainly (no
/// resolver, no bundle); such a task becomes a job of its own with the pipeline's
/// triggers.
fn local_task<'n>(task: &'n Node, tasks_in_repo: &BTreeMap<&str, &Object<'_>>) -> Option<&'n str> {
    let task_ref = yaml_pos::get(task, "taskRef");
    let ref_name = task_ref.and_then(|r| yaml_pos::get_str(r, "name"));
    ref_name.filter(|n| {
        tasks_in_repo.contains_key(n)
            && task_ref.is_some_and(|r| {
                yaml_pos::get(r, "resolver").is_none() && yaml_pos::get(r, "bundle").is_none()
            })
    })
}

/// A pipeline task with an inline spec or a catalog/remote Task: a job of the pipeline.
fn pipeline_task(
    o: &Object<'_>,
    task: &Node,
    file: &SourceFile,
    l: &Lines<'_>,
    triggers: &Triggers,
) -> JobDraft {
    let task_name = yaml_pos::get_str(task, "name").unwrap_or_default();
    let task_ref = yaml_pos::get(task, "taskRef");
    let ref_name = task_ref.and_then(|r| yaml_pos::get_str(r, "name"));
    let key = format!("{}/{task_name}", o.name);
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        &key,
        task_name,
        l.node_range(task),
        triggers.clone(),
    );
    if let Some(steps) = yaml_pos::get(task, "taskSpec").and_then(|t| yaml_pos::get(t, "steps")) {
        observe_steps(steps, l, &mut draft.observed);
    }
    if let Some(r) = task_ref {
        let params = yaml_pos::get(r, "params").map(|p| {
            yaml_pos::items(p)
                .iter()
                .filter(|i| yaml_pos::get_str(i, "name") == Some("name"))
                .filter_map(|i| yaml_pos::get_str(i, "value"))
                .collect::<Vec<_>>()
        });
        let catalog_name = ref_name
            .map(str::to_owned)
            .or_else(|| params.and_then(|p| p.first().map(|s| (*s).to_owned())))
            .unwrap_or_default();
        if !catalog_name.is_empty() {
            draft.reuses.push(format!("tekton-task:{catalog_name}"));
            draft.observed.push(Observed {
                detection: catalog_detection(&catalog_name),
                line: yaml_pos::marker_line(&r.span.start),
                path: None,
            });
        }
    }
    draft
}

/// Steps: `script` is shell lines; `command` + `args` one command at its line.
fn observe_steps(steps: &Node, lines: &Lines<'_>, out: &mut Vec<Observed>) {
    for step in yaml_pos::items(steps) {
        if let Some(script) = yaml_pos::get(step, "script") {
            let numbered: Vec<(u32, String)> = lines
                .scalar_lines(script)
                .into_iter()
                .filter(|(_, l)| !l.starts_with("#!"))
                .collect();
            support::observe_lines(&numbered, out);
            continue;
        }
        let Some(command) = yaml_pos::get(step, "command") else {
            continue;
        };
        let mut words = support::strings(command);
        if let Some(args) = yaml_pos::get(step, "args") {
            words.extend(support::strings(args));
        }
        if matches!(
            words.first().map(String::as_str),
            Some("/bin/sh" | "/bin/bash" | "sh" | "bash")
        ) && words.get(1).map(String::as_str) == Some("-c")
            && let Some(args) = yaml_pos::get(step, "args")
        {
            support::observe_script(args, lines, out);
            continue;
        }
        support::observe_words(words, yaml_pos::marker_line(&command.span.start), out);
    }
}

/// What a catalog task does, from its name (`kaniko`, `helm-upgrade-from-source`).
fn catalog_detection(name: &str) -> Detection {
    let hits = match name {
        "kaniko" | "buildah" | "buildpacks" | "s2i" => {
            let mut h = script_name_kinds("build", "");
            h.extend(script_name_kinds("push", ""));
            h
        }
        n if n.starts_with("helm-upgrade") => script_name_kinds("deploy", "helm"),
        n if n.starts_with("kubernetes-actions") || n.starts_with("kubectl") => {
            script_name_kinds("deploy", "kubectl")
        }
        n if n.starts_with("argocd") => script_name_kinds("deploy", "argocd"),
        "git-clone" | "git-cli" => Vec::new(),
        other => script_name_kinds(other, &format!("tekton-task:{other}")),
    };
    Detection::of(hits)
}

/// Pipelines an EventListener starts, with the events it listens to.
fn started_pipelines(objects: &[Object<'_>], default_branch: &str) -> BTreeMap<String, Triggers> {
    // TriggerTemplate name -> pipelines its PipelineRuns reference.
    let mut templates: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind == "TriggerTemplate") {
        let runs = yaml_pos::get(o.doc, "spec")
            .and_then(|s| yaml_pos::get(s, "resourcetemplates"))
            .map(yaml_pos::items)
            .unwrap_or_default();
        let pipelines = runs
            .iter()
            .filter(|r| yaml_pos::get_str(r, "kind") == Some("PipelineRun"))
            .filter_map(|r| {
                yaml_pos::get(r, "spec")
                    .and_then(|s| yaml_pos::get(s, "pipelineRef"))
                    .and_then(|p| yaml_pos::get_str(p, "name"))
                    .map(str::to_owned)
            })
            .collect();
        templates.insert(o.name.as_str(), pipelines);
    }
    // Trigger objects by name (EventListeners may refer to them).
    let triggers_by_name: BTreeMap<&str, &Node> = objects
        .iter()
        .filter(|o| o.kind == "Trigger")
        .filter_map(|o| yaml_pos::get(o.doc, "spec").map(|s| (o.name.as_str(), s)))
        .collect();
    let mut out: BTreeMap<String, Triggers> = BTreeMap::new();
    for listener in objects.iter().filter(|o| o.kind == "EventListener") {
        let entries = yaml_pos::get(listener.doc, "spec")
            .and_then(|s| yaml_pos::get(s, "triggers"))
            .map(yaml_pos::items)
            .unwrap_or_default();
        for entry in entries {
            let spec = match yaml_pos::get_str(entry, "triggerRef") {
                Some(name) => match triggers_by_name.get(name) {
                    Some(spec) => *spec,
                    None => continue,
                },
                None => entry,
            };
            let template = yaml_pos::get(spec, "template")
                .and_then(|t| yaml_pos::get_str(t, "ref").or_else(|| yaml_pos::get_str(t, "name")));
            let Some(pipelines) = template.and_then(|t| templates.get(t)) else {
                continue;
            };
            let events = listener_events(spec, default_branch);
            for p in pipelines {
                out.entry(p.clone()).or_default().merge(&events);
            }
        }
    }
    out
}

/// The events an EventListener trigger's interceptors accept.
/// A CEL filter on `refs/heads/<default branch>` keeps pushes to that branch only.
fn listener_events(spec: &Node, default_branch: &str) -> Triggers {
    let mut t = Triggers::default();
    let text = yaml_pos::to_json(spec).to_string();
    let default_only =
        text.contains(&format!("== 'refs/heads/{default_branch}'")) && !text.contains("||");
    let mut named = false;
    if text.contains("\"push\"") || text.contains("Push Hook") {
        t.push_default_branch = true;
        t.push_other = true;
        named = true;
    }
    if text.contains("\"pull_request\"") || text.contains("Merge Request Hook") {
        t.pull_request = true;
        named = true;
    }
    if text.contains("Tag Push Hook") {
        t.tag = true;
        named = true;
    }
    if !named {
        t.add_other("event-listener");
    }
    if default_only {
        t.push_other = false;
    }
    t
}
