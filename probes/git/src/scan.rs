//! One repository, end to end: list paths, pick the files each parser wants, read them
//! once, and gather facts, evidence and the source's status.
//!
//! Every failure below the repository level (a binary CI file, a 7 MB YAML file, a
//! symlink, a parse error) becomes an `unreadable` note and the scan goes on, because a
//! missing fact must read as "could not see", never as "not there".

use crate::ci::{CiFacts, CiFile, PathSystem, github, gitlab, tekton};
use crate::containers;
use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::{Codeowners, HelmChart, OwnersFile, RepoFacts, Unreadable};
use crate::inventory::{self, Category, InventoryBuilder, RepoPaths};
use crate::manifests;
use crate::ownership;
use crate::repo::{EntryKind, ReadError, RepoReader, decode_text};
use crate::yaml_pos::{self, Node};
use evident_core::{Evidence, ScanContext, SourceReport, SourceStatus, sha256_hex};
use evident_kube_facts::SourcedObject;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// JSON files that are never configuration a rule cares about, and can be large.
const IGNORED_JSON: [&str; 4] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "composer.lock",
    "yarn.lock",
];

/// What one repository yielded.
pub(crate) struct RepoScan {
    pub key: String,
    /// `None` when the repository could not be opened.
    pub facts: Option<RepoFacts>,
    pub objects: Vec<SourcedObject>,
    pub alert_rules: Vec<Value>,
    /// Objects set aside (kustomize patches), as `facts.git.skipped` entries.
    pub skipped: Vec<Value>,
    pub evidence: Vec<Evidence>,
    pub report: SourceReport,
}

impl RepoScan {
    /// A repository that could not be read: no facts, an `error` source saying why.
    pub(crate) fn failed(source: String, key: &str, detail: String) -> Self {
        RepoScan {
            key: key.to_owned(),
            facts: None,
            objects: Vec::new(),
            alert_rules: Vec::new(),
            skipped: Vec::new(),
            evidence: Vec::new(),
            report: SourceReport {
                probe: crate::PROBE_NAME.to_owned(),
                source,
                status: SourceStatus::Error,
                detail: Some(detail),
            },
        }
    }
}

/// The files read so far, and what could not be read.
struct Files<'r> {
    reader: &'r RepoReader,
    texts: BTreeMap<String, SourceFile>,
    unreadable: Vec<Unreadable>,
    failed: BTreeMap<String, ReadError>,
}

impl<'r> Files<'r> {
    /// Reads `path` once; later calls are answered from the cache.
    fn load(&mut self, path: &str) -> bool {
        if self.texts.contains_key(path) {
            return true;
        }
        if self.failed.contains_key(path) {
            return false;
        }
        match read_source(self.reader, path) {
            Ok(file) => {
                self.texts.insert(path.to_owned(), file);
                true
            }
            Err(e) => {
                note(&mut self.unreadable, path, &e.to_string());
                self.failed.insert(path.to_owned(), e);
                false
            }
        }
    }

    fn get(&self, path: &str) -> Option<&SourceFile> {
        self.texts.get(path)
    }
}

fn read_source(reader: &RepoReader, path: &str) -> Result<SourceFile, ReadError> {
    let bytes = reader.read_bytes(path)?;
    let digest = sha256_hex(&bytes);
    let text = decode_text(bytes)?;
    Ok(SourceFile::with_digest(path.to_owned(), text, digest))
}

fn note(unreadable: &mut Vec<Unreadable>, path: &str, reason: &str) {
    let entry = Unreadable {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    if !unreadable.contains(&entry) {
        unreadable.push(entry);
    }
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yml") || path.ends_with(".yaml")
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether the probe would read `path` (so a symlink there deserves a note).
fn wanted(path: &str, repo_paths: &RepoPaths) -> bool {
    is_yaml(path)
        || path.ends_with(".json")
        || containers::is_dockerfile(path)
        || crate::ci::jenkins::is_jenkinsfile(path)
        || ownership::CODEOWNERS_PATHS.contains(&path)
        || matches!(file_name(path), "Makefile" | "makefile" | "GNUmakefile")
        || !inventory::by_path(path, repo_paths).is_empty()
}

/// The chart directory whose `templates/` holds `path`, if any.
fn helm_chart_of<'a>(path: &str, chart_dirs: &'a BTreeSet<String>) -> Option<&'a String> {
    chart_dirs.iter().find(|dir| {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        path.strip_prefix(&prefix)
            .is_some_and(|rest| rest.starts_with("templates/") || rest.contains("/templates/"))
    })
}

/// Scans one repository; never panics on its content.
pub(crate) fn scan_one(path: &Path, key: &str, ctx: &ScanContext) -> RepoScan {
    let source = path.display().to_string();
    let reader = match RepoReader::open(path, ctx.worktree) {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!(repo = %source, "cannot read repository: {e}");
            return RepoScan::failed(source, key, e.to_string());
        }
    };
    let revision = if reader.worktree {
        None
    } else {
        reader.head.clone()
    };
    let mut book = EvidenceBook::new(ctx, key, &source, revision.as_deref());
    let mut files = Files {
        reader: &reader,
        texts: BTreeMap::new(),
        unreadable: Vec::new(),
        failed: BTreeMap::new(),
    };
    let paths: Vec<String> = reader
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .map(|e| e.path.clone())
        .collect();
    let mut repo_paths = RepoPaths::from_paths(paths.iter().map(String::as_str));
    let default_branch = reader
        .default_branch
        .clone()
        .unwrap_or_else(|| "main".to_owned());

    // Symlinks: never followed; said so when they sit where a parser would look or
    // point outside the repository.
    for entry in reader
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Symlink)
    {
        if wanted(&entry.path, &repo_paths) || reader.symlink_escapes(&entry.path) {
            note(
                &mut files.unreadable,
                &entry.path,
                &ReadError::Symlink.to_string(),
            );
        }
    }

    // CI.
    let mut ci_facts = CiFacts::default();
    let workflow_paths: Vec<&String> = paths
        .iter()
        .filter(|p| github::is_workflow_path(p))
        .collect();
    let mut workflow_files: Vec<String> = Vec::new();
    for p in &workflow_paths {
        if files.load(p) {
            workflow_files.push((*p).clone());
        } else {
            ci_facts
                .files
                .push(broken_ci_file(&files, p, github::SYSTEM, &mut book));
        }
    }
    let workflows = {
        let refs: Vec<&SourceFile> = workflow_files
            .iter()
            .filter_map(|p| files.texts.get(p))
            .collect();
        github::scan_workflows(
            &refs,
            &mut book,
            &default_branch,
            reader.origin_owner.as_deref(),
            &mut files.unreadable,
        )
    };
    ci_facts.files.extend(workflows.files);
    let mut drafts = workflows.jobs;
    let mut gitlab_paths: BTreeSet<String> = BTreeSet::new();
    if reader.exists(gitlab::ROOT_FILE) {
        gitlab_paths.insert(gitlab::ROOT_FILE.to_owned());
        match read_source(&reader, gitlab::ROOT_FILE) {
            Ok(root) => {
                let mut include_errors: Vec<(String, ReadError)> = Vec::new();
                let pipeline = {
                    let reader = &reader;
                    let mut load = |p: &str| match read_source(reader, p) {
                        Ok(f) => Some(f),
                        Err(e) => {
                            include_errors.push((p.to_owned(), e));
                            None
                        }
                    };
                    gitlab::scan_pipeline(
                        root.clone_for_scan(),
                        &mut load,
                        &paths,
                        &mut book,
                        &default_branch,
                        &mut files.unreadable,
                    )
                };
                for (p, e) in include_errors {
                    note(&mut files.unreadable, &p, &e.to_string());
                    gitlab_paths.insert(p.clone());
                    files.failed.insert(p.clone(), e);
                    ci_facts
                        .files
                        .push(broken_ci_file(&files, &p, gitlab::SYSTEM, &mut book));
                }
                ci_facts.files.extend(pipeline.files);
                drafts.extend(pipeline.jobs);
                files.texts.insert(root.path.clone(), root);
                for included in pipeline.included {
                    gitlab_paths.insert(included.path.clone());
                    files.texts.insert(included.path.clone(), included);
                }
            }
            Err(e) => {
                note(&mut files.unreadable, gitlab::ROOT_FILE, &e.to_string());
                files.failed.insert(gitlab::ROOT_FILE.to_owned(), e);
                ci_facts.files.push(broken_ci_file(
                    &files,
                    gitlab::ROOT_FILE,
                    gitlab::SYSTEM,
                    &mut book,
                ));
            }
        }
    }
    // CI systems found by path (Jenkins, CircleCI, Azure, Bitbucket, Cloud Build, Drone,
    // Buildkite, Travis), then Tekton objects found by content.
    let mut ci_paths: BTreeSet<String> = BTreeSet::new();
    for p in &paths {
        let Some(system) = PathSystem::of(p) else {
            continue;
        };
        ci_paths.insert(p.clone());
        if !files.load(p) {
            ci_facts
                .files
                .push(broken_ci_file(&files, p, system.name(), &mut book));
            continue;
        }
        let Some(file) = files.get(p) else { continue };
        let parsed = system.scan(file, &mut book, &default_branch);
        if let Some(error) = &parsed.file.error {
            note(&mut files.unreadable, p, error);
        }
        ci_facts.files.push(parsed.file);
        drafts.extend(parsed.jobs);
    }
    let tekton_chart_dirs: BTreeSet<String> = paths
        .iter()
        .filter(|p| file_name(p) == "Chart.yaml")
        .map(|p| inventory::dir_of(p).to_owned())
        .collect();
    let tekton_paths: Vec<String> = paths
        .iter()
        .filter(|p| {
            is_yaml(p)
                && !p.starts_with(".github/")
                && !gitlab_paths.contains(*p)
                && !ci_paths.contains(*p)
                && helm_chart_of(p, &tekton_chart_dirs).is_none()
        })
        .filter(|p| {
            files.load(p)
                && files
                    .get(p)
                    .is_some_and(|f| tekton::may_hold_tekton(&f.text))
        })
        .cloned()
        .collect();
    if !tekton_paths.is_empty() {
        let parsed = {
            let refs: Vec<&SourceFile> = tekton_paths.iter().filter_map(|p| files.get(p)).collect();
            tekton::scan(&refs, &mut book, &default_branch)
        };
        for parsed in parsed {
            if let Some(error) = &parsed.file.error {
                note(&mut files.unreadable, &parsed.file.path, error);
            }
            ci_facts.files.push(parsed.file);
            drafts.extend(parsed.jobs);
        }
    }
    for draft in drafts {
        if let Some(job) = draft.finish(&mut book, &files.texts) {
            ci_facts.jobs.push(job);
        }
    }

    // Ownership.
    let mut codeowners: Option<Codeowners> = None;
    for candidate in ownership::CODEOWNERS_PATHS {
        if reader.exists(candidate) {
            if files.load(candidate)
                && let Some(file) = files.get(candidate)
            {
                codeowners = Some(ownership::codeowners(file, &mut book));
            }
            break;
        }
    }

    // YAML and JSON anywhere else: manifests, compose, catalog, rule files, API specs.
    let chart_dirs: BTreeSet<String> = paths
        .iter()
        .filter(|p| file_name(p) == "Chart.yaml")
        .map(|p| inventory::dir_of(p).to_owned())
        .collect();
    let mut found = manifests::Found::default();
    let mut compose_files = Vec::new();
    let mut catalog = Vec::new();
    let mut inventory_builder = InventoryBuilder::default();
    let mut charts_noted: BTreeSet<String> = BTreeSet::new();
    for p in paths.iter().filter(|p| is_yaml(p)) {
        if p.starts_with(".github/") || gitlab_paths.contains(p) || ci_paths.contains(p) {
            continue;
        }
        if let Some(chart) = helm_chart_of(p, &chart_dirs) {
            if charts_noted.insert(chart.clone()) {
                let templates = if chart.is_empty() {
                    "templates/".to_owned()
                } else {
                    format!("{chart}/templates/")
                };
                note(
                    &mut files.unreadable,
                    &templates,
                    "Helm templates not rendered",
                );
            }
            continue;
        }
        if !files.load(p) {
            continue;
        }
        let Some(file) = files.texts.get(p) else {
            continue;
        };
        let docs = match yaml_pos::load_documents(&file.text) {
            Ok(docs) => docs,
            Err(e) => {
                note(&mut files.unreadable, p, &e.to_string());
                continue;
            }
        };
        if containers::is_compose_file(p)
            && let Some(compose) = containers::compose_file(file, &docs, &mut book)
        {
            compose_files.push(compose);
        }
        catalog.extend(ownership::catalog_entries(file, &docs, &mut book));
        manifests::collect(file, &docs, &mut book, &mut found);
        if let Some(doc) = docs.iter().find(|d| yaml_pos::is_mapping(d)) {
            yaml_inventory(file, doc, &mut book, &mut inventory_builder);
        }
        for doc in docs.iter().filter(|d| yaml_pos::is_mapping(d)) {
            ops_inventory(file, doc, &mut book, &mut inventory_builder);
        }
    }

    // Helm charts: reported with their values, templates left unrendered.
    let mut helm_charts = Vec::new();
    for dir in &chart_dirs {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let chart_path = format!("{prefix}Chart.yaml");
        if !files.load(&chart_path) {
            continue;
        }
        let Some(file) = files.texts.get(&chart_path) else {
            continue;
        };
        let doc = yaml_pos::load_documents(&file.text)
            .ok()
            .and_then(|docs| docs.into_iter().find(yaml_pos::is_mapping));
        let field = |k: &str| {
            doc.as_ref()
                .and_then(|d| yaml_pos::get(d, k))
                .and_then(yaml_pos::scalar_text)
        };
        let values_files: Vec<String> = paths
            .iter()
            .filter(|p| {
                p.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.contains('/')
                        && rest.starts_with("values")
                        && (rest.ends_with(".yaml") || rest.ends_with(".yml"))
                })
            })
            .cloned()
            .collect();
        let values_keys = values_files
            .iter()
            .find(|p| p.ends_with("/values.yaml") || p.as_str() == "values.yaml")
            .and_then(|p| files.texts.get(p))
            .and_then(|f| yaml_pos::load_documents(&f.text).ok())
            .and_then(|docs| docs.into_iter().find(yaml_pos::is_mapping))
            .map(|d| {
                yaml_pos::entries(&d)
                    .iter()
                    .filter_map(|(k, _)| yaml_pos::as_str(k).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let templates = paths
            .iter()
            .filter(|p| p.starts_with(&format!("{prefix}templates/")))
            .count();
        let evidence = book.cite(file, 1, file.line_count().max(1));
        helm_charts.push(HelmChart {
            path: chart_path.clone(),
            name: field("name"),
            version: field("version"),
            app_version: field("appVersion"),
            values_files,
            values_keys,
            templates,
            rendered: false,
            evidence,
        });
    }

    // OWNERS files (Kubernetes-project style).
    let mut owners_files = Vec::new();
    for p in paths.iter().filter(|p| file_name(p) == "OWNERS") {
        if !files.load(p) {
            continue;
        }
        let Some(file) = files.texts.get(p) else {
            continue;
        };
        match yaml_pos::load_documents(&file.text) {
            Ok(docs) => {
                let Some(doc) = docs.iter().find(|d| yaml_pos::is_mapping(d)) else {
                    continue;
                };
                let list = |k: &str| -> Vec<String> {
                    yaml_pos::get(doc, k)
                        .map(yaml_pos::items)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(yaml_pos::scalar_text)
                        .collect()
                };
                let evidence = book.cite(file, 1, file.line_count().max(1));
                owners_files.push(OwnersFile {
                    path: p.clone(),
                    approvers: list("approvers"),
                    reviewers: list("reviewers"),
                    evidence,
                });
            }
            Err(e) => note(&mut files.unreadable, p, &e.to_string()),
        }
    }
    for entry in std::mem::take(&mut found.gitops) {
        inventory_builder.add(
            Category::ConfigAsCode,
            &entry.tool,
            false,
            &entry.path,
            entry.evidence,
        );
    }
    // Grafana dashboards as code: dashboard JSON files, sidecar ConfigMaps and
    // GrafanaDashboard objects go through the same panel extraction as the Grafana API.
    let mut dashboards = Vec::new();
    for p in &paths {
        let json = p.ends_with(".json") && !IGNORED_JSON.contains(&file_name(p));
        if !(json || is_yaml(p)) || !files.load(p) {
            continue;
        }
        let Some(file) = files.texts.get(p) else {
            continue;
        };
        let docs: Vec<Value> = if json {
            if !file.text.contains("\"panels\"") && !file.text.contains("\"rows\"") {
                continue;
            }
            serde_json::from_str::<Value>(&file.text)
                .into_iter()
                .collect()
        } else {
            if !file.text.contains("grafana_dashboard") && !file.text.contains("GrafanaDashboard") {
                continue;
            }
            serde_yaml::Deserializer::from_str(&file.text)
                .filter_map(|d| serde::Deserialize::deserialize(d).ok())
                .collect()
        };
        for doc in docs {
            for (how, model) in evident_probe_grafana::extract::dashboards_in_document(&doc) {
                let needle = if json { "\"panels\"" } else { "kind:" };
                let line = line_containing(&file.text, needle);
                let evidence = book.cite(file, line, line);
                let d = evident_probe_grafana::extract::extract_dashboard(&model);
                dashboards.push(evident_probe_grafana::dashboard_fact(
                    &d,
                    serde_json::json!({"source": how, "path": p}),
                    &evidence,
                ));
            }
        }
    }
    for p in paths.iter().filter(|p| p.ends_with(".json")) {
        if IGNORED_JSON.contains(&file_name(p)) || !files.load(p) {
            continue;
        }
        let Some(file) = files.texts.get(p) else {
            continue;
        };
        if file.text.contains("\"panels\"") {
            dashboard_inventory(
                file,
                &mut book,
                &mut inventory_builder,
                &mut files.unreadable,
            );
            continue;
        }
        let telling = [
            "\"openapi\"",
            "\"swagger\"",
            "\"asyncapi\"",
            "\"AWSTemplateFormatVersion\"",
            "\"interactions\"",
            "\"Transform\"",
        ];
        if !telling.iter().any(|t| file.text.contains(t)) {
            continue;
        }
        match serde_json::from_str::<Value>(&file.text) {
            Ok(Value::Object(map)) => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                let transform = map.get("Transform").and_then(Value::as_str);
                if let Some((category, tool, key)) = inventory::by_top_level_keys(&keys, transform)
                {
                    let line = line_containing(&file.text, &format!("\"{key}\""));
                    let evidence = book.cite(file, line, line);
                    inventory_builder.add(category, tool, false, p, evidence);
                }
            }
            Ok(_) => {}
            Err(e) => note(
                &mut files.unreadable,
                p,
                &format!("could not parse JSON at line {}: {e}", e.line()),
            ),
        }
    }

    // Containers.
    let mut dockerfiles = Vec::new();
    for p in paths.iter().filter(|p| containers::is_dockerfile(p)) {
        if files.load(p)
            && let Some(file) = files.get(p)
        {
            dockerfiles.push(containers::dockerfile(file, &mut book));
        }
    }

    // Inventory by path.
    repo_paths.uses_sqlx = paths
        .iter()
        .any(|p| p.contains("migrations/") && p.ends_with(".sql"))
        && paths
            .iter()
            .filter(|p| file_name(p) == "Cargo.toml")
            .any(|p| files.load(p) && files.get(p).is_some_and(|f| f.text.contains("sqlx")));
    for p in &paths {
        for found_tool in inventory::by_path(p, &repo_paths) {
            if !inventory_builder.wants(&found_tool, p) || !files.load(p) {
                continue;
            }
            let Some(file) = files.get(p) else { continue };
            let evidence = book.cite(file, 1, 1);
            inventory_builder.add(
                found_tool.category,
                found_tool.tool,
                found_tool.per_directory,
                p,
                evidence,
            );
        }
        if matches!(file_name(p), "Makefile" | "makefile" | "GNUmakefile")
            && files.load(p)
            && let Some(file) = files.get(p)
            && let Some(line) = inventory::makefile_deploy_target(&file.text)
        {
            let evidence = book.cite(file, line, line);
            inventory_builder.add(Category::DeployScripts, "make", false, p, evidence);
        }
    }

    let detail = reader
        .walk_note
        .clone()
        .or_else(|| reader.empty_note.clone());
    let facts = RepoFacts {
        key: key.to_owned(),
        root: source.clone(),
        head: reader.head.clone(),
        default_branch: reader.default_branch.clone(),
        ci: ci_facts,
        dockerfiles,
        compose_files,
        inventory: inventory_builder.finish(),
        codeowners,
        owners_files,
        helm_charts,
        catalog,
        dashboards,
        unreadable: files.unreadable,
    };
    let skipped = found.set_aside_kustomize_patches();
    tracing::debug!(repo = %source, jobs = facts.ci.jobs.len(), objects = found.objects.len(), "repository scanned");
    RepoScan {
        key: key.to_owned(),
        facts: Some(facts),
        objects: found.objects,
        alert_rules: found.alert_rules,
        skipped,
        evidence: book.into_records(),
        report: SourceReport {
            probe: "git".to_owned(),
            source,
            status: SourceStatus::Ok,
            detail,
        },
    }
}

/// A CI file that could not be read: listed with the reason, so a rule sees that CI
/// exists but could not be judged.
fn broken_ci_file(
    files: &Files<'_>,
    path: &str,
    system: &'static str,
    book: &mut EvidenceBook<'_>,
) -> CiFile {
    let error = files
        .failed
        .get(path)
        .map_or_else(|| "could not read".to_owned(), ToString::to_string);
    let digest = files
        .reader
        .read_bytes(path)
        .ok()
        .map(|bytes| sha256_hex(&bytes));
    let opaque = SourceFile::opaque(path.to_owned(), digest);
    CiFile {
        path: path.to_owned(),
        system,
        evidence: book.cite(&opaque, 1, 1),
        error: Some(error),
        note: None,
    }
}

/// Inventory entries proven by a YAML document's top-level keys, citing the key's line.
fn yaml_inventory(
    file: &SourceFile,
    doc: &Node,
    book: &mut EvidenceBook<'_>,
    builder: &mut InventoryBuilder,
) {
    let entries = yaml_pos::entries(doc);
    let keys: Vec<&str> = entries
        .iter()
        .filter_map(|(k, _)| yaml_pos::as_str(k))
        .collect();
    let transform = yaml_pos::get_str(doc, "Transform");
    if let Some((category, tool, key)) = inventory::by_top_level_keys(&keys, transform) {
        let line = entries
            .iter()
            .find(|(k, _)| yaml_pos::as_str(k) == Some(key))
            .map_or(1, |(k, _)| yaml_pos::marker_line(&k.span.start));
        let evidence = book.cite(file, line, line);
        builder.add(category, tool, false, &file.path, evidence);
    }
}

/// Operations kept as code, recognised per document: SLO specs, dashboards as
/// ConfigMaps or CRDs, synthetic probes, scrape configuration, blackbox exporter config.
fn ops_inventory(
    file: &SourceFile,
    doc: &Node,
    book: &mut EvidenceBook<'_>,
    builder: &mut InventoryBuilder,
) {
    let api_version = yaml_pos::get_str(doc, "apiVersion").unwrap_or_default();
    let kind = yaml_pos::get_str(doc, "kind").unwrap_or_default();
    let dashboard_label = yaml_pos::get(doc, "metadata")
        .and_then(|m| yaml_pos::get(m, "labels"))
        .is_some_and(|l| yaml_pos::get(l, "grafana_dashboard").is_some());
    let entries = yaml_pos::entries(doc);
    let keys: Vec<&str> = entries
        .iter()
        .filter_map(|(k, _)| yaml_pos::as_str(k))
        .collect();
    let blackbox_modules = yaml_pos::get(doc, "modules").is_some_and(|m| {
        yaml_pos::entries(m)
            .iter()
            .any(|(_, v)| yaml_pos::get(v, "prober").is_some())
    });
    let Some((tool, key)) =
        inventory::ops_by_kind(api_version, kind, dashboard_label, &keys, blackbox_modules)
    else {
        return;
    };
    let line = entries
        .iter()
        .find(|(k, _)| yaml_pos::as_str(k) == Some(key))
        .map_or(1, |(k, _)| yaml_pos::marker_line(&k.span.start));
    let evidence = book.cite(file, line, line);
    builder.add(Category::OpsAsCode, tool, false, &file.path, evidence);
}

/// A Grafana dashboard JSON model (`panels` plus `schemaVersion` or `title`, bare or
/// wrapped in `{"dashboard": ...}` as the HTTP API returns it).
fn dashboard_inventory(
    file: &SourceFile,
    book: &mut EvidenceBook<'_>,
    builder: &mut InventoryBuilder,
    unreadable: &mut Vec<Unreadable>,
) {
    match serde_json::from_str::<Value>(&file.text) {
        Ok(value) => {
            let model = value.get("dashboard").unwrap_or(&value);
            let is_dashboard = model.get("panels").is_some_and(Value::is_array)
                && (model.get("schemaVersion").is_some() || model.get("title").is_some());
            if is_dashboard {
                let line = line_containing(&file.text, "\"panels\"");
                let evidence = book.cite(file, line, line);
                builder.add(
                    Category::OpsAsCode,
                    "grafana-dashboard",
                    false,
                    &file.path,
                    evidence,
                );
            }
        }
        Err(e) => note(
            unreadable,
            &file.path,
            &format!("could not parse JSON at line {}: {e}", e.line()),
        ),
    }
}

fn line_containing(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .and_then(|i| u32::try_from(i + 1).ok())
        .unwrap_or(1)
}

impl SourceFile {
    /// A copy for a parser that takes ownership while the scan keeps the original.
    pub(crate) fn clone_for_scan(&self) -> SourceFile {
        match &self.sha256 {
            Some(d) => SourceFile::with_digest(self.path.clone(), self.text.clone(), d.clone()),
            None => SourceFile::opaque(self.path.clone(), None),
        }
    }
}
