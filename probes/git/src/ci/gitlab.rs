//! GitLab CI (`.gitlab-ci.yml` and the files it includes locally).
//!
//! GitLab has no published typed model in Rust, and its semantics (hidden templates,
//! `extends`, `!reference`, `include`) matter more than its schema, so the pipeline is
//! read from the positioned YAML tree directly. Jobs inherit scripts through `extends`;
//! a signal from an inherited line names the file it is in.

use super::classify::{Observed, classify_command, shell_commands};
use super::{CiFile, JobDraft, Triggers};
use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::Unreadable;
use crate::yaml_pos::{self, Lines, Node};
use std::collections::{BTreeMap, BTreeSet};

/// The `system` value of GitLab CI facts.
pub(crate) const SYSTEM: &str = "gitlab-ci";
/// Where GitLab looks for the pipeline by default.
pub(crate) const ROOT_FILE: &str = ".gitlab-ci.yml";

/// Top-level keys that are not jobs.
const RESERVED: [&str; 12] = [
    "image",
    "services",
    "stages",
    "types",
    "before_script",
    "after_script",
    "variables",
    "cache",
    "include",
    "default",
    "workflow",
    "spec",
];
/// How deep includes and `extends` chains are followed; GitLab's own limits are close.
const MAX_DEPTH: usize = 10;

/// What the pipeline holds, and the included files that were read (their lines are
/// cited by signals).
pub(crate) struct Pipeline {
    pub files: Vec<CiFile>,
    pub jobs: Vec<JobDraft>,
    pub included: Vec<SourceFile>,
}

struct Unit {
    path: String,
    root: Node,
}

/// Where a job or template is defined.
struct Definition<'u> {
    unit: usize,
    key: &'u Node,
    value: &'u Node,
}

/// Reads the pipeline rooted at `root`. `load` reads an included file (and records why
/// when it cannot); `all_paths` lets `include: local` globs be expanded.
pub(crate) fn scan_pipeline(
    root: SourceFile,
    load: &mut dyn FnMut(&str) -> Option<SourceFile>,
    all_paths: &[String],
    book: &mut EvidenceBook<'_>,
    default_branch: &str,
    unreadable: &mut Vec<Unreadable>,
) -> Pipeline {
    let mut sources: Vec<SourceFile> = vec![root];
    let mut units: Vec<Unit> = Vec::new();
    let mut files: Vec<CiFile> = Vec::new();
    let mut reuses: Vec<String> = Vec::new();
    let mut queue: Vec<(usize, usize)> = vec![(0, 0)];
    let mut seen: BTreeSet<String> = BTreeSet::new();
    if let Some(first) = sources.first() {
        seen.insert(first.path.clone());
    }
    while let Some((index, depth)) = queue.pop() {
        let Some(file) = sources.get(index) else {
            continue;
        };
        let (mut ci_file, docs) = match CiFile::load(file, SYSTEM, book) {
            Ok(loaded) => loaded,
            Err((ci_file, e)) => {
                unreadable.push(Unreadable {
                    path: file.path.clone(),
                    reason: e.to_string(),
                });
                files.push(ci_file);
                continue;
            }
        };
        ci_file.evidence = book.cite_file(file);
        files.push(ci_file);
        let Some(doc) = docs.into_iter().find(yaml_pos::is_mapping) else {
            continue;
        };
        let path = file.path.clone();
        let mut local_includes = Vec::new();
        if let Some(include) = yaml_pos::get(&doc, "include") {
            collect_includes(include, &mut local_includes, &mut reuses);
        }
        units.push(Unit { path, root: doc });
        if depth >= MAX_DEPTH {
            continue;
        }
        for pattern in local_includes {
            for path in expand_local(&pattern, all_paths) {
                if !seen.insert(path.clone()) {
                    continue;
                }
                if let Some(file) = load(&path) {
                    sources.push(file);
                    queue.push((sources.len() - 1, depth + 1));
                }
            }
        }
    }
    let jobs = {
        let sources_by_path: BTreeMap<&str, &SourceFile> =
            sources.iter().map(|s| (s.path.as_str(), s)).collect();
        let lines: BTreeMap<&str, Lines<'_>> = sources_by_path
            .iter()
            .map(|(p, s)| (*p, Lines::new(&s.text)))
            .collect();
        build_jobs(&units, &lines, default_branch, &reuses)
    };
    let included = sources.into_iter().skip(1).collect();
    Pipeline {
        files,
        jobs,
        included,
    }
}

/// Splits `include:` into local paths to read and references to shared templates.
fn collect_includes(include: &Node, local: &mut Vec<String>, reuses: &mut Vec<String>) {
    let entries: Vec<&Node> = if yaml_pos::is_sequence(include) {
        yaml_pos::items(include).iter().collect()
    } else {
        vec![include]
    };
    for entry in entries {
        if let Some(s) = yaml_pos::as_str(entry) {
            if s.starts_with("http://") || s.starts_with("https://") {
                push_once(reuses, format!("remote:{s}"));
            } else {
                local.push(s.to_owned());
            }
            continue;
        }
        if let Some(path) = yaml_pos::get_str(entry, "local") {
            local.push(path.to_owned());
        } else if let Some(project) = yaml_pos::get_str(entry, "project") {
            push_once(reuses, format!("project:{project}"));
        } else if let Some(remote) = yaml_pos::get_str(entry, "remote") {
            push_once(reuses, format!("remote:{remote}"));
        } else if let Some(template) = yaml_pos::get_str(entry, "template") {
            push_once(reuses, format!("template:{template}"));
        } else if let Some(component) = yaml_pos::get_str(entry, "component") {
            push_once(reuses, format!("component:{component}"));
        }
    }
}

fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// `include: local` paths are relative to the repository root, with an optional
/// leading `/`, and may be globs.
fn expand_local(pattern: &str, all_paths: &[String]) -> Vec<String> {
    let pattern = pattern.trim_start_matches('/');
    if !pattern.contains('*') {
        return vec![pattern.to_owned()];
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    all_paths
        .iter()
        .filter(|p| matcher.is_match(p.as_str()))
        .cloned()
        .collect()
}

struct Resolver<'u> {
    definitions: BTreeMap<String, Definition<'u>>,
    defaults: Vec<(usize, &'u Node)>,
}

impl<'u> Resolver<'u> {
    /// The value of `key` for `job`: its own, else from what it extends (the last
    /// `extends` entry wins, as in GitLab), with the unit that holds it.
    fn lookup(&self, job: &str, key: &str, depth: usize) -> Option<(usize, &'u Node)> {
        let def = self.definitions.get(job)?;
        if let Some(v) = yaml_pos::get(def.value, key) {
            return Some((def.unit, v));
        }
        if depth >= MAX_DEPTH {
            return None;
        }
        for parent in self.extends(def).iter().rev() {
            if let Some(found) = self.lookup(parent, key, depth + 1) {
                return Some(found);
            }
        }
        None
    }

    fn extends(&self, def: &Definition<'u>) -> Vec<String> {
        match yaml_pos::get(def.value, "extends") {
            Some(node) if yaml_pos::is_sequence(node) => yaml_pos::items(node)
                .iter()
                .filter_map(yaml_pos::as_str)
                .map(str::to_owned)
                .collect(),
            Some(node) => yaml_pos::as_str(node)
                .map(|s| vec![s.to_owned()])
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// A job's key from `default:` when neither it nor its templates set it.
    fn lookup_or_default(&self, job: &str, key: &str) -> Option<(usize, &'u Node)> {
        self.lookup(job, key, 0).or_else(|| {
            self.defaults
                .iter()
                .rev()
                .find_map(|(unit, d)| yaml_pos::get(d, key).map(|v| (*unit, v)))
        })
    }

    /// Script lines with their unit, following nested lists and `!reference` tags.
    fn script_lines(
        &self,
        unit: usize,
        node: &'u Node,
        depth: usize,
        out: &mut Vec<(usize, &'u Node)>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let saphyr::YamlDataOwned::Tagged(tag, inner) = &node.data
            && tag.suffix == "reference"
        {
            let path: Vec<&str> = yaml_pos::items(inner)
                .iter()
                .filter_map(yaml_pos::as_str)
                .collect();
            if let [job, key, ..] = path.as_slice()
                && let Some((u, found)) = self.lookup(job, key, 0)
            {
                self.script_lines(u, found, depth + 1, out);
            }
            return;
        }
        if yaml_pos::is_sequence(node) {
            for item in yaml_pos::items(node) {
                self.script_lines(unit, item, depth + 1, out);
            }
        } else if yaml_pos::as_str(node).is_some() {
            out.push((unit, node));
        }
    }
}

fn build_jobs(
    units: &[Unit],
    lines: &BTreeMap<&str, Lines<'_>>,
    default_branch: &str,
    reuses: &[String],
) -> Vec<JobDraft> {
    // Included files are merged first and the including file overrides them, so later
    // units (includes) must not replace earlier ones (the root): insert in reverse.
    let mut definitions: BTreeMap<String, Definition<'_>> = BTreeMap::new();
    let mut defaults = Vec::new();
    let mut order: Vec<(usize, String)> = Vec::new();
    for (unit_index, unit) in units.iter().enumerate().rev() {
        for (key, value) in yaml_pos::entries(&unit.root) {
            let Some(name) = yaml_pos::scalar_text(key) else {
                continue;
            };
            if name == "default" {
                defaults.push((unit_index, value));
                continue;
            }
            if RESERVED.contains(&name.as_str()) || !yaml_pos::is_mapping(value) {
                continue;
            }
            order.retain(|(_, n)| n != &name);
            order.push((unit_index, name.clone()));
            definitions.insert(
                name,
                Definition {
                    unit: unit_index,
                    key,
                    value,
                },
            );
        }
    }
    let resolver = Resolver {
        definitions,
        defaults,
    };
    // Report jobs in file order: root file first, then includes.
    order.sort_by_key(|(unit, _)| *unit);
    let mut jobs = Vec::new();
    for (_, name) in order {
        if name.starts_with('.') {
            continue;
        }
        let Some(def) = resolver.definitions.get(&name) else {
            continue;
        };
        let Some(unit) = units.get(def.unit) else {
            continue;
        };
        let Some(own_lines) = lines.get(unit.path.as_str()) else {
            continue;
        };
        let (start_line, end_line) = own_lines.entry_range(def.key, def.value);
        let (triggers, manual_only) = job_triggers(&resolver, &name, default_branch);
        let environment = resolver
            .lookup(&name, "environment", 0)
            .and_then(|(_, env)| {
                yaml_pos::as_str(env)
                    .map(str::to_owned)
                    .or_else(|| yaml_pos::get_str(env, "name").map(str::to_owned))
            });
        let mut observed = Vec::new();
        for key in ["before_script", "script", "after_script"] {
            let Some((u, node)) = resolver.lookup_or_default(&name, key) else {
                continue;
            };
            let mut script = Vec::new();
            resolver.script_lines(u, node, 0, &mut script);
            for (u, item) in script {
                let Some(holder) = units.get(u) else { continue };
                let Some(item_lines) = lines.get(holder.path.as_str()) else {
                    continue;
                };
                let path = (holder.path != unit.path).then(|| holder.path.clone());
                for command in shell_commands(&item_lines.scalar_lines(item)) {
                    observed.push(Observed {
                        detection: classify_command(&command),
                        line: command.line,
                        path: path.clone(),
                    });
                }
            }
        }
        jobs.push(JobDraft {
            name: name.clone(),
            key: name.clone(),
            system: SYSTEM,
            path: unit.path.clone(),
            start_line,
            end_line,
            triggers,
            manual_only,
            environment,
            reuses: reuses.to_vec(),
            observed,
        });
    }
    jobs
}

/// A pipeline for any branch or tag: GitLab's default when a job has no rules.
fn default_events() -> Triggers {
    Triggers {
        push_default_branch: true,
        push_other: true,
        tag: true,
        ..Triggers::default()
    }
}

/// The job's triggers, and whether a person must start it even then.
fn job_triggers(resolver: &Resolver<'_>, job: &str, default_branch: &str) -> (Triggers, bool) {
    let job_when = resolver
        .lookup(job, "when", 0)
        .and_then(|(_, w)| yaml_pos::as_str(w).map(str::to_owned));
    let job_manual = job_when.as_deref() == Some("manual");
    if let Some((_, rules)) = resolver.lookup(job, "rules", 0) {
        let mut all = Triggers::default();
        let mut automatic = Triggers::default();
        for rule in yaml_pos::items(rules) {
            let when = yaml_pos::get_str(rule, "when").or(job_when.as_deref());
            if when == Some("never") {
                continue;
            }
            let events = match yaml_pos::get(rule, "if").and_then(yaml_pos::scalar_text) {
                Some(condition) => condition_events(&condition, default_branch),
                None => default_events(),
            };
            all.merge(&events);
            if when == Some("manual") {
                all.manual = true;
            } else {
                automatic.merge(&events);
            }
        }
        let manual_only = !automatic.any_automatic();
        return (all, manual_only);
    }
    let mut t = match resolver.lookup(job, "only", 0) {
        Some((_, only)) => refs_events(only, default_branch),
        None => default_events(),
    };
    if let Some((_, except)) = resolver.lookup(job, "except", 0) {
        let excluded = refs_events(except, default_branch);
        t.push_default_branch &= !excluded.push_default_branch;
        // `except: [main]` still leaves other branches.
        t.push_other &= !(excluded.push_other && excluded.push_default_branch);
        t.tag &= !excluded.tag;
        t.pull_request &= !excluded.pull_request;
        t.schedule &= !excluded.schedule;
    }
    if job_manual {
        t.manual = true;
    }
    (t, job_manual)
}

/// The pipelines in which an `only:`/`except:` ref list matches.
fn refs_events(node: &Node, default_branch: &str) -> Triggers {
    let refs_node = yaml_pos::get(node, "refs").unwrap_or(node);
    let refs: Vec<String> = if yaml_pos::is_sequence(refs_node) {
        yaml_pos::items(refs_node)
            .iter()
            .filter_map(yaml_pos::scalar_text)
            .collect()
    } else {
        yaml_pos::scalar_text(refs_node).into_iter().collect()
    };
    if refs.is_empty() {
        return default_events();
    }
    let mut t = Triggers::default();
    for r in refs {
        match r.as_str() {
            "branches" | "pushes" => {
                t.push_default_branch = true;
                t.push_other = true;
            }
            "tags" => t.tag = true,
            "merge_requests" | "external_pull_requests" => t.pull_request = true,
            "schedules" => t.schedule = true,
            "web" => t.manual = true,
            "api" | "triggers" | "pipelines" | "external" | "chat" => t.add_other(&r),
            name if name == default_branch => t.push_default_branch = true,
            pattern if pattern.len() > 2 && pattern.starts_with('/') && pattern.ends_with('/') => {
                let inner = &pattern[1..pattern.len() - 1];
                if regex::Regex::new(inner).is_ok_and(|re| re.is_match(default_branch)) {
                    t.push_default_branch = true;
                }
                t.push_other = true;
            }
            _ => t.push_other = true,
        }
    }
    t
}

/// The pipelines in which a `rules: - if:` condition holds, from the predefined
/// variables people test. A condition on other variables is recorded as `condition`
/// (not automatic: evident cannot see who sets the variable).
fn condition_events(condition: &str, default_branch: &str) -> Triggers {
    let c: String = condition
        .replace('\'', "\"")
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    let mut t = Triggers::default();
    let source_is = |s: &str| c.contains(&format!("$CI_PIPELINE_SOURCE==\"{s}\""));
    if source_is("merge_request_event") || c.contains("$CI_MERGE_REQUEST_IID") {
        t.pull_request = true;
    }
    if source_is("schedule") {
        t.schedule = true;
    }
    if source_is("web") {
        t.manual = true;
        t.add_other("web");
    }
    for other in ["api", "trigger", "pipeline", "parent_pipeline", "chat"] {
        if source_is(other) {
            t.add_other(other);
        }
    }
    let tag_negated = c.contains("$CI_COMMIT_TAG==null") || c.contains("!$CI_COMMIT_TAG");
    if c.contains("$CI_COMMIT_TAG") && !tag_negated {
        t.tag = true;
    }
    let default_names = [
        "$CI_DEFAULT_BRANCH".to_owned(),
        format!("\"{default_branch}\""),
    ];
    let mut branch_specific = false;
    for var in ["$CI_COMMIT_BRANCH", "$CI_COMMIT_REF_NAME"] {
        for name in &default_names {
            if c.contains(&format!("{var}=={name}")) {
                t.push_default_branch = true;
                branch_specific = true;
            }
            if c.contains(&format!("{var}!={name}")) {
                t.push_other = true;
                branch_specific = true;
            }
        }
        if !branch_specific && c.contains(&format!("{var}=~")) {
            t.push_other = true;
            branch_specific = true;
        }
    }
    if source_is("push")
        || (!branch_specific
            && c.contains("$CI_COMMIT_BRANCH")
            && !c.contains("$CI_COMMIT_BRANCH==null"))
    {
        t.push_default_branch = true;
        t.push_other = true;
    }
    if t == Triggers::default() {
        t.add_other("condition");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        let t = condition_events("$CI_PIPELINE_SOURCE == 'merge_request_event'", "main");
        assert!(t.pull_request && !t.push_default_branch);
        let t = condition_events("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", "main");
        assert!(t.push_default_branch && !t.push_other);
        let t = condition_events("$CI_COMMIT_TAG", "main");
        assert!(t.tag && !t.push_default_branch);
        let t = condition_events("$CI_COMMIT_TAG == null && $CI_COMMIT_BRANCH", "main");
        assert!(!t.tag && t.push_default_branch && t.push_other);
        let t = condition_events("$DEPLOY_NOW == \"yes\"", "main");
        assert_eq!(t.other, vec!["condition".to_owned()]);
        assert!(!t.any_automatic());
    }
}
