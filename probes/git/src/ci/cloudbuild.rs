//! Google Cloud Build (`cloudbuild.yaml`, `cloudbuild.yml`, `cloudbuild.json`, and
//! `cloudbuild-*.yaml` / `*.cloudbuild.yaml`).
//!
//! A build file is one job: its `steps:` run in order. Each step is read as the command
//! it runs — the builder image's program (`gcr.io/cloud-builders/kubectl` runs
//! `kubectl`) or its `entrypoint`, followed by `args`; `bash -c '…'` and `script:` are
//! read as shell lines. `images:` are pushed when the build succeeds: a release.
//!
//! Cloud Build triggers are configured in the Google Cloud project, never in the file, so
//! the job's triggers are `external-trigger` (not automatic) and the file carries a note
//! saying so. JSON files are read by the YAML parser (JSON is YAML), so lines are exact.

use super::classify::{Detection, Kind, Observed, hit};
use super::support::{self, Parsed};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};

/// The `system` value of Cloud Build facts.
pub(crate) const SYSTEM: &str = "cloud-build";

/// What the file cannot say.
const NOTE: &str = "Cloud Build triggers are configured in the Google Cloud project, not in this file: triggers unknown";

/// Whether `path` is a Cloud Build configuration by name.
pub(crate) fn is_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .or_else(|| name.strip_suffix(".json"));
    stem.is_some_and(|s| {
        s == "cloudbuild"
            || s.starts_with("cloudbuild-")
            || s.starts_with("cloudbuild.")
            || s.ends_with(".cloudbuild")
    })
}

/// Reads one build file.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>) -> Parsed {
    let (mut ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let root = match support::root_mapping(&docs, "Cloud Build configuration") {
        Ok(root) => root,
        Err(e) => return Parsed::failed(file, SYSTEM, 1, e, book),
    };
    let Some((steps_key, steps)) = yaml_pos::get_entry(root, "steps") else {
        return Parsed::failed(
            file,
            SYSTEM,
            1,
            "no `steps:` in the build file".to_owned(),
            book,
        );
    };
    ci_file.note = Some(NOTE.to_owned());
    let lines = Lines::new(&file.text);
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        "steps",
        "build",
        support::with_flow_closer(&lines, steps, lines.entry_range(steps_key, steps)),
        support::external(),
    );
    for step in yaml_pos::items(steps) {
        observe_step(step, &lines, &mut draft.observed);
    }
    if let Some((images_key, images)) = yaml_pos::get_entry(root, "images")
        && !yaml_pos::items(images).is_empty()
    {
        draft.observed.push(Observed {
            detection: Detection::of(vec![hit(Kind::Release)]),
            line: yaml_pos::marker_line(&images_key.span.start),
            path: None,
        });
    }
    Parsed {
        file: ci_file,
        jobs: vec![draft],
    }
}

/// The program a builder image runs when no entrypoint is given.
fn builder_program(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split([':', '@']).next().unwrap_or(last);
    match name {
        "cloud-sdk" | "google-cloud-cli" => "gcloud".to_owned(),
        other => other.to_owned(),
    }
}

fn observe_step(step: &Node, lines: &Lines<'_>, out: &mut Vec<Observed>) {
    if let Some(script) = yaml_pos::get(step, "script") {
        support::observe_script(script, lines, out);
        return;
    }
    let args_node = yaml_pos::get(step, "args");
    let args: Vec<&Node> = args_node
        .map(|a| yaml_pos::items(a).iter().collect())
        .unwrap_or_default();
    let entrypoint = yaml_pos::get_str(step, "entrypoint");
    if let Some(shell) = entrypoint
        && matches!(builder_program(shell).as_str(), "bash" | "sh")
        && args.first().and_then(|a| yaml_pos::as_str(a)) == Some("-c")
    {
        if let Some(script) = args.get(1) {
            support::observe_script(script, lines, out);
        }
        return;
    }
    let Some(name_node) = yaml_pos::get(step, "name") else {
        return;
    };
    let program = match entrypoint {
        Some(e) => e.to_owned(),
        None => match yaml_pos::as_str(name_node) {
            Some(image) => builder_program(image),
            None => return,
        },
    };
    let mut words = vec![program];
    words.extend(args.iter().filter_map(|a| yaml_pos::scalar_text(a)));
    let line = args_node.map_or_else(
        || yaml_pos::marker_line(&name_node.span.start),
        |a| yaml_pos::marker_line(&a.span.start),
    );
    support::observe_words(words, line, out);
}
