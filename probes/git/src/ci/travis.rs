//! Travis CI (`.travis.yml`).
//!
//! Travis builds pushed branches, tags and pull requests unless its settings say
//! otherwise; `branches: only/except` narrows pushes. The top-level script phases are
//! one job (`script`); each `jobs.include` (or `matrix.include`) entry is a job of its
//! own, narrowed by its `if:` and its stage's `if:`. The top-level `deploy:` section is a
//! job of its own (`deploy`), narrowed by its `on:` — Travis deploys only from the
//! default branch unless `on:` says otherwise. Cron builds are configured in Travis's
//! settings, not in the file: schedules are never seen here.

use super::classify::{Detection, Hit, Kind, Observed, deploy, hit};
use super::support::{self, Parsed};
use super::{JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::yaml_pos::{self, Lines, Node};
use std::collections::BTreeMap;

/// The `system` value of Travis facts.
pub(crate) const SYSTEM: &str = "travis";
/// Where Travis reads its configuration.
pub(crate) const FILE: &str = ".travis.yml";

/// Script phases that run commands, in Travis's order.
const PHASES: [&str; 8] = [
    "before_install",
    "install",
    "before_script",
    "script",
    "after_success",
    "after_script",
    "before_deploy",
    "after_deploy",
];

/// Reads the configuration: the default job (top-level phases), the explicit jobs of
/// `jobs.include`, and the top-level deploy section, all under the branch filter.
pub(crate) fn scan(file: &SourceFile, book: &mut EvidenceBook<'_>, default_branch: &str) -> Parsed {
    let (ci_file, docs) = match support::load_yaml(file, SYSTEM, book) {
        Ok(loaded) => loaded,
        Err(parsed) => return parsed,
    };
    let root = match support::root_mapping(&docs, "Travis configuration") {
        Ok(root) => root,
        Err(e) => return Parsed::failed(file, SYSTEM, 1, e, book),
    };
    let lines = Lines::new(&file.text);
    let base = base_triggers(root, default_branch);
    let mut jobs: Vec<JobDraft> = Vec::new();
    jobs.extend(default_job(root, file, &lines, &base));
    jobs.extend(explicit_jobs(root, file, &lines, &base, default_branch));
    jobs.extend(deploy_job(root, file, &lines, &base, default_branch));
    Parsed {
        file: ci_file,
        jobs,
    }
}

/// Every event, narrowed by `branches:` (a list, or `only`/`except`).
fn base_triggers(root: &Node, default_branch: &str) -> Triggers {
    let mut base = Triggers {
        push_default_branch: true,
        push_other: true,
        pull_request: true,
        tag: true,
        ..Triggers::default()
    };
    if let Some(branches) = yaml_pos::get(root, "branches") {
        let (only, except) = if yaml_pos::is_sequence(branches) {
            (support::strings(branches), Vec::new())
        } else {
            (
                yaml_pos::get(branches, "only")
                    .map(support::strings)
                    .unwrap_or_default(),
                yaml_pos::get(branches, "except")
                    .map(support::strings)
                    .unwrap_or_default(),
            )
        };
        let (d, o) = support::branch_filter(&only, &except, default_branch);
        base.push_default_branch = d;
        base.push_other = o;
    }
    base
}

/// The default job: top-level phases, as one job spanning them.
fn default_job(
    root: &Node,
    file: &SourceFile,
    lines: &Lines<'_>,
    base: &Triggers,
) -> Option<JobDraft> {
    let phases: Vec<(&Node, &Node)> = PHASES
        .iter()
        .filter_map(|p| yaml_pos::get_entry(root, p))
        .collect();
    if phases.is_empty() {
        return None;
    }
    let start = phases
        .iter()
        .map(|(k, _)| yaml_pos::marker_line(&k.span.start))
        .min()
        .unwrap_or(1);
    let end = phases
        .iter()
        .map(|(k, v)| lines.entry_range(k, v).1)
        .max()
        .unwrap_or(start);
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        "script",
        "script",
        (start, end),
        base.clone(),
    );
    for (_, v) in &phases {
        support::observe_script(v, lines, &mut draft.observed);
    }
    Some(draft)
}

/// Explicit jobs (`jobs.include` or `matrix.include`), each narrowed by its stage's
/// condition and its own `if:`.
fn explicit_jobs(
    root: &Node,
    file: &SourceFile,
    lines: &Lines<'_>,
    base: &Triggers,
    default_branch: &str,
) -> Vec<JobDraft> {
    let stage_conditions: BTreeMap<String, String> = yaml_pos::get(root, "stages")
        .map(|stages| {
            yaml_pos::items(stages)
                .iter()
                .filter_map(|s| {
                    let name = yaml_pos::get_str(s, "name")?;
                    let cond = yaml_pos::get(s, "if").and_then(yaml_pos::scalar_text)?;
                    Some((name.to_lowercase(), cond))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut jobs = Vec::new();
    let matrix = yaml_pos::get(root, "jobs").or_else(|| yaml_pos::get(root, "matrix"));
    let Some(include) = matrix.and_then(|m| yaml_pos::get(m, "include")) else {
        return jobs;
    };
    let mut stage = String::from("test");
    for (i, entry) in yaml_pos::items(include).iter().enumerate() {
        if let Some(s) = yaml_pos::get_str(entry, "stage") {
            stage = s.to_owned();
        }
        let mut t = base.clone();
        if let Some(cond) = stage_conditions.get(&stage.to_lowercase()) {
            narrow(&mut t, cond, default_branch);
        }
        if let Some(cond) = yaml_pos::get(entry, "if").and_then(yaml_pos::scalar_text) {
            narrow(&mut t, &cond, default_branch);
        }
        let name = yaml_pos::get_str(entry, "name")
            .map_or_else(|| format!("{stage} #{}", i + 1), str::to_owned);
        let key = format!("jobs/{}", i + 1);
        let mut draft = support::draft(SYSTEM, &file.path, &key, &name, lines.node_range(entry), t);
        for p in PHASES {
            if let Some(v) = yaml_pos::get(entry, p) {
                support::observe_script(v, lines, &mut draft.observed);
            }
        }
        if let Some(d) = yaml_pos::get(entry, "deploy") {
            observe_deploy(d, lines, &mut draft.observed);
        }
        jobs.push(draft);
    }
    jobs
}

/// The top-level deploy section, run on the events its providers' `on:` allow.
fn deploy_job(
    root: &Node,
    file: &SourceFile,
    lines: &Lines<'_>,
    base: &Triggers,
    default_branch: &str,
) -> Option<JobDraft> {
    let (key, value) = yaml_pos::get_entry(root, "deploy")?;
    let providers: Vec<&Node> = if yaml_pos::is_sequence(value) {
        yaml_pos::items(value).iter().collect()
    } else {
        vec![value]
    };
    let mut allowed = Triggers::default();
    for p in &providers {
        allowed.merge(&deploy_on(yaml_pos::get(p, "on"), default_branch));
    }
    let t = support::intersect(base, &allowed);
    let mut draft = support::draft(
        SYSTEM,
        &file.path,
        "deploy",
        "deploy",
        lines.entry_range(key, value),
        t,
    );
    observe_deploy(value, lines, &mut draft.observed);
    Some(draft)
}

/// The events a deploy provider's `on:` allows (default: pushes to the default branch).
fn deploy_on(on: Option<&Node>, default_branch: &str) -> Triggers {
    let mut t = Triggers {
        push_default_branch: true,
        ..Triggers::default()
    };
    let Some(on) = on else {
        return t;
    };
    if yaml_pos::get(on, "all_branches")
        .and_then(yaml_pos::scalar_text)
        .as_deref()
        == Some("true")
    {
        t.push_other = true;
    }
    if let Some(branch) = yaml_pos::get(on, "branch") {
        let list = support::strings(branch);
        t.push_default_branch = list
            .iter()
            .any(|b| support::pattern_matches(b, default_branch));
        t.push_other = list
            .iter()
            .any(|b| support::matches_other(b, default_branch));
    }
    if yaml_pos::get(on, "tags")
        .and_then(yaml_pos::scalar_text)
        .as_deref()
        == Some("true")
    {
        t = Triggers {
            tag: true,
            ..Triggers::default()
        };
    }
    t
}

fn observe_deploy(node: &Node, lines: &Lines<'_>, out: &mut Vec<Observed>) {
    let providers: Vec<&Node> = if yaml_pos::is_sequence(node) {
        yaml_pos::items(node).iter().collect()
    } else {
        vec![node]
    };
    for p in providers {
        if let Some(script) = yaml_pos::get(p, "script") {
            support::observe_script(script, lines, out);
        }
        let Some(provider_node) = yaml_pos::get(p, "provider") else {
            continue;
        };
        let Some(provider) = yaml_pos::as_str(provider_node) else {
            continue;
        };
        let hits = provider_hits(provider);
        if !hits.is_empty() {
            out.push(Observed {
                detection: Detection::of(hits),
                line: yaml_pos::marker_line(&provider_node.span.start),
                path: None,
            });
        }
    }
}

/// What a `deploy: provider:` does: publishing providers release, the rest deploy.
fn provider_hits(provider: &str) -> Vec<Hit> {
    match provider {
        "script" => vec![],
        "releases" | "pypi" | "npm" | "rubygems" | "cargo" | "hex" | "puppetforge"
        | "packagecloud" | "bintray" | "pages" | "gcs" | "s3" | "surge" | "snap" | "launchpad" => {
            vec![hit(Kind::Release)]
        }
        other => vec![deploy(&format!("travis:{other}"))],
    }
}

/// Narrows by an `if:` condition (`branch = main`, `type = cron`, `tag IS present`). A
/// condition with `OR` or `NOT` is left alone.
fn narrow(t: &mut Triggers, condition: &str, default_branch: &str) {
    let c = condition.to_lowercase();
    if c.contains(" or ") || c.contains("not ") || c.contains("!=") {
        return;
    }
    let c: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
    if c.contains(&format!("branch={}", default_branch.to_lowercase())) {
        t.push_other = false;
        t.tag = false;
        t.pull_request = false;
    }
    if c.contains("type=push") {
        t.pull_request = false;
    }
    if c.contains("type=pull_request") {
        *t = Triggers {
            pull_request: t.pull_request,
            ..Triggers::default()
        };
    }
    if c.contains("type=cron") {
        *t = Triggers {
            schedule: true,
            ..Triggers::default()
        };
    }
    if c.contains("tagispresent") {
        t.push_default_branch = false;
        t.push_other = false;
        t.pull_request = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_deploy_on() {
        let all = Triggers {
            push_default_branch: true,
            push_other: true,
            pull_request: true,
            tag: true,
            ..Triggers::default()
        };
        let mut t = all.clone();
        narrow(&mut t, "branch = main AND type = push", "main");
        assert!(t.push_default_branch && !t.push_other && !t.pull_request);
        let mut t = all.clone();
        narrow(&mut t, "branch = main OR tag IS present", "main");
        assert_eq!(t, all);
        let mut t = all.clone();
        narrow(&mut t, "tag IS present", "main");
        assert!(t.tag && !t.push_default_branch);
        assert!(deploy_on(None, "main").push_default_branch);
        let docs = yaml_pos::load_documents("on: {tags: true}\n").unwrap();
        let t = deploy_on(yaml_pos::get(&docs[0], "on"), "main");
        assert!(t.tag && !t.push_default_branch);
    }
}
