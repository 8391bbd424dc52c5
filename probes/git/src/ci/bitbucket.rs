//! Bitbucket Pipelines (`bitbucket-pipelines.yml`).
//!
//! `pipelines:` holds `default` (pushes to branches no `branches:` entry matches),
//! `branches`, `tags`, `pull-requests` and `custom` (run by a person, or by a schedule
//! set in Bitbucket: manual here). One fact per step, cited by its lines, keyed by
//! section, pattern and position. A `trigger: manual` step waits for a person, and so do
//! the steps after it. `deployment:` names the environment; `pipe:` entries are shared
//! templates (`pipe:<name>:<version>`) and are classified by their name.

use super::classify::{Detection, Observed, script_name_kinds};
use super::support::{self, Parsed};
use super::{JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};

/// The `system` value of Bitbucket Pipelines facts.
pub(crate) const SYSTEM: &str = "bitbucket-pipelines";
/// Where Bitbucket reads the pipeline.
pub(crate) const FILE: &str = "bitbucket-pipelines.yml";

struct Walk<'a> {
    lines: Lines<'a>,
    path: &'a str,
    jobs: Vec<JobDraft>,
}

/// Reads the pipeline file.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let (ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let root = match support::root_mapping(&docs, "Bitbucket pipeline") {
        Ok(root) => root,
        Err(e) => return Parsed::failed(file, SYSTEM, 1, e, book),
    };
    let Some(pipelines) = yaml_pos::get(root, "pipelines") else {
        let line = 1;
        return Parsed::failed(
            file,
            SYSTEM,
            line,
            "no `pipelines:` section".to_owned(),
            book,
        );
    };
    let mut walk = Walk {
        lines: Lines::new(&file.text),
        path: &file.path,
        jobs: Vec::new(),
    };
    let branch_patterns: Vec<String> = yaml_pos::get(pipelines, "branches")
        .map(|b| {
            yaml_pos::entries(b)
                .into_iter()
                .filter_map(|(k, _)| yaml_pos::scalar_text(k))
                .collect()
        })
        .unwrap_or_default();
    for (section_key, section) in yaml_pos::entries(pipelines) {
        let Some(section_name) = yaml_pos::scalar_text(section_key) else {
            continue;
        };
        match section_name.as_str() {
            "default" => {
                let t = Triggers {
                    push_default_branch: !branch_patterns
                        .iter()
                        .any(|p| support::pattern_matches(p, default_branch)),
                    push_other: true,
                    ..Triggers::default()
                };
                walk.steps(section, "default", &t, false, 0);
            }
            "branches" | "tags" | "pull-requests" | "custom" => {
                for (pattern_key, list) in yaml_pos::entries(section) {
                    let Some(pattern) = yaml_pos::scalar_text(pattern_key) else {
                        continue;
                    };
                    let mut t = Triggers::default();
                    let mut manual = false;
                    match section_name.as_str() {
                        "branches" => {
                            t.push_default_branch =
                                support::pattern_matches(&pattern, default_branch);
                            t.push_other = support::matches_other(&pattern, default_branch);
                        }
                        "tags" => t.tag = true,
                        "pull-requests" => t.pull_request = true,
                        _ => {
                            t.manual = true;
                            manual = true;
                        }
                    }
                    walk.steps(list, &format!("{section_name}/{pattern}"), &t, manual, 0);
                }
            }
            _ => {}
        }
    }
    Parsed {
        file: ci_file,
        jobs: walk.jobs,
    }
}

impl Walk<'_> {
    /// A list of steps, `parallel:` groups and `stage:`s; returns whether it ended gated.
    fn steps(
        &mut self,
        list: &Node,
        prefix: &str,
        triggers: &Triggers,
        gated: bool,
        depth: usize,
    ) -> bool {
        let mut gated = gated;
        if depth > 8 {
            return gated;
        }
        for (index, item) in yaml_pos::items(list).iter().enumerate() {
            if let Some(step) = yaml_pos::get(item, "step") {
                gated = self.step(
                    step,
                    item,
                    &format!("{prefix}/{}", index + 1),
                    triggers,
                    gated,
                );
            } else if let Some(parallel) = yaml_pos::get(item, "parallel") {
                let inner = yaml_pos::get(parallel, "steps").unwrap_or(parallel);
                let mut any = gated;
                for (j, p) in yaml_pos::items(inner).iter().enumerate() {
                    if let Some(step) = yaml_pos::get(p, "step") {
                        any |= self.step(
                            step,
                            p,
                            &format!("{prefix}/{}.{}", index + 1, j + 1),
                            triggers,
                            gated,
                        );
                    }
                }
                gated = any;
            } else if let Some(stage) = yaml_pos::get(item, "stage") {
                let mut stage_gated = gated;
                if yaml_pos::get_str(stage, "trigger") == Some("manual") {
                    stage_gated = true;
                }
                if let Some(steps) = yaml_pos::get(stage, "steps") {
                    let env = yaml_pos::get_str(stage, "deployment").map(str::to_owned);
                    let before = self.jobs.len();
                    gated = self.steps(
                        steps,
                        &format!("{prefix}/{}", index + 1),
                        triggers,
                        stage_gated,
                        depth + 1,
                    );
                    if let Some(env) = env {
                        for job in self.jobs.iter_mut().skip(before) {
                            job.environment.get_or_insert_with(|| env.clone());
                        }
                    }
                }
            }
        }
        gated
    }

    fn step(
        &mut self,
        step: &Node,
        item: &Node,
        key: &str,
        triggers: &Triggers,
        gated: bool,
    ) -> bool {
        let manual = gated || yaml_pos::get_str(step, "trigger") == Some("manual");
        let name = yaml_pos::get_str(step, "name").map_or_else(|| key.to_owned(), str::to_owned);
        let mut t = triggers.clone();
        if manual {
            t.manual = true;
        }
        let mut draft = support::draft(
            SYSTEM,
            self.path,
            key,
            &name,
            self.lines.node_range(item),
            t,
        );
        draft.manual_only = manual;
        draft.environment = yaml_pos::get_str(step, "deployment").map(str::to_owned);
        for section in ["script", "after-script"] {
            let Some(script) = yaml_pos::get(step, section) else {
                continue;
            };
            for entry in yaml_pos::items(script) {
                if let Some(pipe_node) = yaml_pos::get(entry, "pipe") {
                    if let Some(pipe) = yaml_pos::as_str(pipe_node) {
                        let reuse = format!("pipe:{pipe}");
                        if !draft.reuses.contains(&reuse) {
                            draft.reuses.push(reuse);
                        }
                        draft.observed.push(Observed {
                            detection: pipe_detection(pipe),
                            line: yaml_pos::marker_line(&pipe_node.span.start),
                            path: None,
                        });
                    }
                } else {
                    support::observe_script(entry, &self.lines, &mut draft.observed);
                }
            }
        }
        self.jobs.push(draft);
        manual
    }
}

/// What a pipe does, from its name (`atlassian/aws-ecs-deploy:1.6.0`).
fn pipe_detection(pipe: &str) -> Detection {
    let name = pipe
        .split(':')
        .next()
        .unwrap_or(pipe)
        .rsplit('/')
        .next()
        .unwrap_or(pipe)
        .to_lowercase();
    let target = if name.contains("helm") {
        "helm"
    } else if name.contains("kubectl") || name.contains("kubernetes") {
        "kubectl"
    } else if name.starts_with("aws") {
        "aws"
    } else if name.starts_with("google") || name.starts_with("gcp") {
        "gcloud"
    } else if name.starts_with("azure") {
        "az"
    } else {
        "pipe"
    };
    let hits = if matches!(target, "kubectl" | "helm")
        && (name.contains("run") || name.contains("deploy"))
    {
        script_name_kinds("deploy", target)
    } else if name.contains("snyk") || name.contains("sonar") && name.contains("scan") {
        script_name_kinds("security-scan", target)
    } else {
        script_name_kinds(&name, target)
    };
    Detection::of(hits)
}
