//! Buildkite (`.buildkite/pipeline.yml`, `.buildkite/pipeline.*.yml`, `buildkite.yml`).
//!
//! One fact per command step (`command:`/`commands:`), keyed by its `key`, else its
//! `label`, else its position, cited by its lines; `group:` steps are descended into.
//! A `block:` or `input:` step waits for a person, and so does every step after it
//! (Buildkite's implicit dependency), unless it sets `depends_on`. Plugins are shared
//! templates (`buildkite-plugin:<name>#<version>`) and are classified by name.
//!
//! Which events start a build (pushes, pull requests, schedules) is set in the
//! Buildkite pipeline's settings, not in this file: triggers are `external-trigger`
//! and the file carries a note.

use super::JobDraft;
use super::classify::{Detection, Observed, script_name_kinds};
use super::support::{self, Parsed};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};

/// The `system` value of Buildkite facts.
pub(crate) const SYSTEM: &str = "buildkite";

const NOTE: &str = "Buildkite starts builds from the pipeline's settings (pushes, pull requests, schedules), not from this file: triggers unknown";

/// Whether `path` is a Buildkite pipeline.
pub(crate) fn is_pipeline(path: &str) -> bool {
    let yaml = path.ends_with(".yml") || path.ends_with(".yaml");
    if !yaml {
        return false;
    }
    match path.strip_prefix(".buildkite/") {
        Some(name) => !name.contains('/') && name.starts_with("pipeline"),
        None => matches!(
            path,
            "buildkite.yml" | "buildkite.yaml" | ".buildkite.yml" | ".buildkite.yaml"
        ),
    }
}

struct Walk<'a> {
    lines: Lines<'a>,
    path: &'a str,
    jobs: Vec<JobDraft>,
    gated: bool,
}

/// Reads one pipeline file.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>) -> Parsed {
    let (mut ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let Some(doc) = docs.first() else {
        return Parsed {
            file: ci_file,
            jobs: Vec::new(),
        };
    };
    // A pipeline is `steps:` in a mapping, or a bare list of steps.
    let steps = if yaml_pos::is_sequence(doc) {
        Some(doc)
    } else {
        yaml_pos::get(doc, "steps")
    };
    let Some(steps) = steps else {
        return Parsed::failed(
            file,
            SYSTEM,
            1,
            "no `steps:` in the pipeline".to_owned(),
            book,
        );
    };
    ci_file.note = Some(NOTE.to_owned());
    let mut walk = Walk {
        lines: Lines::new(&file.text),
        path: &file.path,
        jobs: Vec::new(),
        gated: false,
    };
    walk.steps(steps, 0);
    Parsed {
        file: ci_file,
        jobs: walk.jobs,
    }
}

impl Walk<'_> {
    fn steps(&mut self, steps: &Node, depth: usize) {
        if depth > 8 {
            return;
        }
        for (index, step) in yaml_pos::items(steps).iter().enumerate() {
            if let Some(word) = yaml_pos::as_str(step) {
                if matches!(word, "block" | "input") {
                    self.gated = true;
                }
                continue;
            }
            if yaml_pos::get(step, "block").is_some() || yaml_pos::get(step, "input").is_some() {
                self.gated = true;
                continue;
            }
            if let Some(inner) = yaml_pos::get(step, "group").and(yaml_pos::get(step, "steps")) {
                self.steps(inner, depth + 1);
                continue;
            }
            let command =
                yaml_pos::get(step, "command").or_else(|| yaml_pos::get(step, "commands"));
            let plugins = yaml_pos::get(step, "plugins");
            if command.is_none() && plugins.is_none() {
                continue;
            }
            let label =
                yaml_pos::get_str(step, "label").or_else(|| yaml_pos::get_str(step, "name"));
            let key = yaml_pos::get_str(step, "key")
                .or(label)
                .map_or_else(|| format!("step-{}", index + 1), str::to_owned);
            let mut key = key;
            let mut n = 1;
            while self.jobs.iter().any(|j| j.key == key) {
                n += 1;
                key = format!("{}~{n}", key.split('~').next().unwrap_or_default());
            }
            let waits = self.gated && yaml_pos::get(step, "depends_on").is_none();
            let mut triggers = support::external();
            if waits {
                triggers.manual = true;
            }
            let name = label.unwrap_or(&key).to_owned();
            let mut draft = support::draft(
                SYSTEM,
                self.path,
                &key,
                &name,
                self.lines.node_range(step),
                triggers,
            );
            draft.manual_only = waits;
            if let Some(c) = command {
                support::observe_script(c, &self.lines, &mut draft.observed);
            }
            for (plugin_name, line) in plugin_names(plugins) {
                let reuse = format!("buildkite-plugin:{plugin_name}");
                if !draft.reuses.contains(&reuse) {
                    draft.reuses.push(reuse);
                }
                let bare = plugin_name.split('#').next().unwrap_or(&plugin_name);
                let short = bare
                    .rsplit('/')
                    .next()
                    .unwrap_or(bare)
                    .trim_end_matches("-buildkite-plugin");
                draft.observed.push(Observed {
                    detection: Detection::of(script_name_kinds(short, &format!("plugin:{short}"))),
                    line,
                    path: None,
                });
            }
            self.jobs.push(draft);
        }
    }
}

/// Plugin names with their lines: a list of `name#v: {…}` mappings, or one mapping.
fn plugin_names(plugins: Option<&Node>) -> Vec<(String, u32)> {
    let Some(plugins) = plugins else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |k: &Node| {
        if let Some(name) = yaml_pos::scalar_text(k) {
            out.push((name, yaml_pos::marker_line(&k.span.start)));
        }
    };
    if yaml_pos::is_sequence(plugins) {
        for item in yaml_pos::items(plugins) {
            if yaml_pos::as_str(item).is_some() {
                add(item);
            }
            for (k, _) in yaml_pos::entries(item) {
                add(k);
            }
        }
    } else {
        for (k, _) in yaml_pos::entries(plugins) {
            add(k);
        }
    }
    out
}
