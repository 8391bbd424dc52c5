//! Drone (`.drone.yml`): one or more `kind: pipeline` documents.
//!
//! One fact per step, keyed `<pipeline>/<step>` and cited by the step's lines. A
//! pipeline without `trigger:` runs for pushes, pull requests and tags; `trigger:` and a
//! step's `when:` narrow that by `event` and `branch` (lists or `include`/`exclude`).
//! `cron` is a schedule; `promote`, `rollback` and `custom` are started by a person.
//! Plugin steps (`image: plugins/docker` with `settings:`) are classified by image.
//! `.drone.jsonnet` and `.drone.star` are generated pipelines and are not read.

use super::classify::{Detection, Kind, Observed, deploy, hit};
use super::support::{self, Parsed};
use super::{JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};

/// The `system` value of Drone facts.
pub(crate) const SYSTEM: &str = "drone";

/// Whether `path` is Drone's configuration.
pub(crate) fn is_config(path: &str) -> bool {
    matches!(path, ".drone.yml" | ".drone.yaml")
}

/// Reads every pipeline of the file.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let (ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let lines = Lines::new(&file.text);
    let mut jobs: Vec<JobDraft> = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        let kind = yaml_pos::get_str(doc, "kind").unwrap_or("pipeline");
        if kind != "pipeline" || !yaml_pos::is_mapping(doc) {
            continue;
        }
        let pipeline = yaml_pos::get(doc, "name")
            .and_then(yaml_pos::scalar_text)
            .unwrap_or_else(|| format!("pipeline-{}", index + 1));
        let base = conditions(yaml_pos::get(doc, "trigger"), default_branch, all_events());
        let Some(steps) = yaml_pos::get(doc, "steps") else {
            continue;
        };
        for (n, step) in yaml_pos::items(steps).iter().enumerate() {
            let name = yaml_pos::get(step, "name")
                .and_then(yaml_pos::scalar_text)
                .unwrap_or_else(|| format!("step-{}", n + 1));
            let triggers = conditions(yaml_pos::get(step, "when"), default_branch, base.clone());
            let key = format!("{pipeline}/{name}");
            let mut draft = support::draft(
                SYSTEM,
                &file.path,
                &key,
                &name,
                lines.node_range(step),
                triggers,
            );
            draft.manual_only = !draft.triggers.any_automatic() && draft.triggers.manual;
            if let Some(commands) = yaml_pos::get(step, "commands") {
                support::observe_script(commands, &lines, &mut draft.observed);
            }
            if yaml_pos::get(step, "settings").is_some()
                && let Some(image_node) = yaml_pos::get(step, "image")
                && let Some(image) = yaml_pos::as_str(image_node)
            {
                let detection = plugin_detection(image, yaml_pos::get(step, "settings"));
                draft.observed.push(Observed {
                    detection,
                    line: yaml_pos::marker_line(&image_node.span.start),
                    path: None,
                });
            }
            if let Some(env) = yaml_pos::get(step, "when")
                .and_then(|w| yaml_pos::get(w, "target"))
                .map(support::strings)
                .and_then(|t| t.into_iter().next())
            {
                draft.environment = Some(env);
            }
            jobs.push(draft);
        }
    }
    Parsed {
        file: ci_file,
        jobs,
    }
}

fn all_events() -> Triggers {
    Triggers {
        push_default_branch: true,
        push_other: true,
        pull_request: true,
        tag: true,
        ..Triggers::default()
    }
}

/// `include`/`exclude` lists of a condition (`branch: [main]`, `branch: {exclude: [x]}`).
fn include_exclude(node: Option<&Node>) -> (Vec<String>, Vec<String>) {
    match node {
        None => (Vec::new(), Vec::new()),
        Some(n) if yaml_pos::is_mapping(n) => (
            yaml_pos::get(n, "include")
                .map(support::strings)
                .unwrap_or_default(),
            yaml_pos::get(n, "exclude")
                .map(support::strings)
                .unwrap_or_default(),
        ),
        Some(n) => (support::strings(n), Vec::new()),
    }
}

/// Narrows `base` by a `trigger:`/`when:` block.
fn conditions(node: Option<&Node>, default_branch: &str, base: Triggers) -> Triggers {
    let Some(node) = node else {
        return base;
    };
    let mut t = base;
    let (events, excluded) = include_exclude(yaml_pos::get(node, "event"));
    if !events.is_empty() || !excluded.is_empty() {
        let include = |e: &str| events.iter().any(|x| x == e);
        let has = |e: &str| (events.is_empty() || include(e)) && !excluded.iter().any(|x| x == e);
        t.push_default_branch &= has("push");
        t.push_other &= has("push");
        t.pull_request &= has("pull_request");
        t.tag &= has("tag");
        if include("cron") {
            t.schedule = true;
        }
        if include("promote") || include("rollback") || include("custom") {
            t.manual = true;
        }
    }
    let (branches, branch_excluded) = include_exclude(yaml_pos::get(node, "branch"));
    if !branches.is_empty() || !branch_excluded.is_empty() {
        let (d, o) = support::branch_filter(&branches, &branch_excluded, default_branch);
        t.push_default_branch &= d;
        t.push_other &= o;
        // A branch condition holds for pull requests targeting that branch too.
        t.pull_request &= d || o;
    }
    t
}

/// What a plugin step does, from its image (`plugins/docker`, `plugins/helm3`).
fn plugin_detection(image: &str, settings: Option<&Node>) -> Detection {
    let name = image
        .split([':', '@'])
        .next()
        .unwrap_or(image)
        .to_lowercase();
    let last = name.rsplit('/').next().unwrap_or(&name);
    let dry_run = settings
        .and_then(|s| yaml_pos::get(s, "dry_run"))
        .and_then(yaml_pos::scalar_text)
        .as_deref()
        == Some("true");
    let hits = match last {
        "docker" | "ecr" | "gcr" | "acr" | "kaniko" | "drone-kaniko" | "buildx"
        | "docker-buildx"
            if dry_run =>
        {
            vec![hit(Kind::Build)]
        }
        "docker" | "ecr" | "gcr" | "acr" | "kaniko" | "drone-kaniko" | "buildx"
        | "docker-buildx" => {
            vec![hit(Kind::Build), hit(Kind::Release)]
        }
        l if l.contains("helm") => vec![deploy("helm")],
        l if l.contains("kubectl") || l.contains("kubernetes") || l.contains("k8s") => {
            vec![deploy("kubectl")]
        }
        l if l.contains("ecs") => vec![deploy("aws")],
        l if l.contains("cloudrun") || l.contains("gke") => vec![deploy("gcloud")],
        l if l.contains("terraform") => vec![deploy("terraform"), hit(Kind::InfraApply)],
        "github-release" | "gitea-release" | "npm" | "pypi" => vec![hit(Kind::Release)],
        l if l.contains("deploy") => vec![deploy(&format!("plugin:{name}"))],
        _ => vec![],
    };
    Detection::of(hits)
}
