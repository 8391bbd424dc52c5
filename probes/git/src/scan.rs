//! One repository, end to end: list paths, pick the files each parser wants, read them
//! once, and gather facts, evidence and the source's status.
//!
//! Every failure below the repository level (a binary CI file, a 7 MB YAML file, a
//! symlink, a parse error) becomes an `unreadable` note and the scan goes on, because a
//! missing fact must read as "could not see", never as "not there".

use crate::ci::{CiFacts, CiFile, JobDraft, PathSystem, github, gitlab, tekton};
use crate::containers;
use crate::evidence::{EvidenceBook, SourceFile};
use crate::facts::{
    CatalogEntry, Codeowners, ComposeFile, Dockerfile, HelmChart, OwnersFile, RepoFacts, Unreadable,
};
use crate::inventory::{self, Category, InventoryBuilder, RepoPaths};
use crate::manifests;
use crate::ownership;
use crate::repo::{EntryKind, ReadError, RepoReader, decode_text};
use crate::yaml_pos::{self, Node};
use evident_core::{Evidence, ScanContext, SourceReport, SourceStatus};
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
    /// Workloads that kustomize overlays which could not be rendered patch or build on.
    pub overlay_gaps: Vec<crate::kustomize::OverlayGap>,
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
            overlay_gaps: Vec::new(),
            evidence: Vec::new(),
            report: SourceReport::new(
                crate::PROBE_NAME.to_owned(),
                source,
                SourceStatus::Error,
                Some(detail),
            ),
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
    let file = reader.read_file(path)?;
    if !file.text {
        return Err(ReadError::NotText);
    }
    let text = crate::repo::as_recorded(decode_text(file.bytes)?, file.redacted);
    Ok(SourceFile::with_digest(path.to_owned(), text, file.sha256))
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
///
/// The phases run in a fixed order because later ones skip what earlier ones claimed
/// (CI files are not read again as manifests) and evidence ids follow citation order.
pub(crate) fn scan_one(
    path: &Path,
    key: &str,
    ctx: &ScanContext,
    tape: &evident_snapshot::Tape,
) -> RepoScan {
    let source = path.display().to_string();
    let reader = match RepoReader::open(path, ctx.worktree, tape, key) {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!(repo = %source, "cannot read repository: {e}");
            return RepoScan::failed(source, key, e.to_string());
        }
    };
    // On replay a secret the snapshot redacted is read as a placeholder (see
    // `repo::as_recorded`) that this scan's redaction turns back into `[redacted]`.
    let replay_ctx;
    let ctx = if tape.is_replaying() {
        let mut c = ctx.clone();
        c.redactor = std::sync::Arc::new(
            (*ctx.redactor)
                .clone()
                .with_secret(crate::repo::REPLAYED_SECRET),
        );
        replay_ctx = c;
        &replay_ctx
    } else {
        ctx
    };
    let mut scan = Scan::new(&reader, ctx, key, &source);
    for entry in &reader.unreadable {
        note(&mut scan.files.unreadable, &entry.path, &entry.reason);
    }
    scan.note_symlinks();
    let chart_dirs = chart_dirs(&scan.paths);
    let (ci_facts, claimed) = scan.ci(&chart_dirs);
    let codeowners = scan.codeowners();
    let yaml = scan.yaml_files(&claimed, &chart_dirs);
    let mut found = yaml.found;
    let skipped = found.set_aside_kustomize_patches();
    let overlay_gaps = scan.kustomize_overlays(&mut found);
    let helm_charts = scan.helm_charts(&chart_dirs);
    let owners_files = scan.owners_files();
    for entry in std::mem::take(&mut found.gitops) {
        scan.inventory.add(
            Category::ConfigAsCode,
            &entry.tool,
            false,
            &entry.path,
            entry.evidence,
        );
    }
    let dashboards = scan.dashboards();
    scan.json_inventory();
    let dockerfiles = scan.dockerfiles();
    scan.path_inventory();

    let (status, detail) = match nothing_to_read(&reader, &source) {
        Some(why) => {
            tracing::warn!(repo = %source, "{why}");
            (SourceStatus::Error, Some(why))
        }
        None => (
            SourceStatus::Ok,
            reader
                .walk_note
                .clone()
                .or_else(|| reader.empty_note.clone()),
        ),
    };
    let facts = RepoFacts {
        key: key.to_owned(),
        root: source.clone(),
        head: reader.head.clone(),
        default_branch: reader.default_branch.clone(),
        ci: ci_facts,
        dockerfiles,
        compose_files: yaml.compose_files,
        inventory: scan.inventory.finish(),
        codeowners,
        owners_files,
        helm_charts,
        catalog: yaml.catalog,
        dashboards,
        unreadable: scan.files.unreadable,
    };
    tracing::debug!(repo = %source, jobs = facts.ci.jobs.len(), objects = found.objects.len(), "repository scanned");
    RepoScan {
        key: key.to_owned(),
        facts: Some(facts),
        objects: found.objects,
        alert_rules: found.alert_rules,
        skipped,
        overlay_gaps,
        evidence: scan.book.into_records(),
        report: SourceReport::new("git", source, status, detail),
    }
}

/// Why a repository gave nothing to judge, when it did not: a git repository without
/// commits read at HEAD, or a tree (or directory) without a single file.
///
/// Decision: neither is a complete read of a project. A repository without commits has
/// no HEAD, so "no CI file at HEAD" proves nothing about the files its authors have
/// (they may simply not have committed yet); an empty directory is most likely a wrong
/// path or a checkout that did not happen. Both are a source `error`, so every criterion
/// that reads the repository is `unknown` rather than a confident `not_met`; the
/// repository stays listed (its facts are empty), and the detail says what to do. A
/// directory holding files, none of them relevant, is a complete read and is judged.
fn nothing_to_read(reader: &RepoReader, source: &str) -> Option<String> {
    if reader.head.is_none() && !reader.worktree && reader.empty_note.is_some() {
        return Some(format!(
            "{source} has no commits; nothing at HEAD to read (pass --worktree to read the working tree)"
        ));
    }
    reader.entries.is_empty().then(|| {
        if reader.worktree {
            format!("{source}: no files to read")
        } else {
            format!("{source}: the tree at HEAD has no files to read")
        }
    })
}

/// The directories holding a `Chart.yaml`: their templates are never parsed as
/// manifests or Tekton objects, because unrendered templates are not YAML.
fn chart_dirs(paths: &[String]) -> BTreeSet<String> {
    paths
        .iter()
        .filter(|p| file_name(p) == "Chart.yaml")
        .map(|p| inventory::dir_of(p).to_owned())
        .collect()
}

/// The CI files the CI parsers took, so the YAML pass does not read them as manifests.
struct CiPaths {
    gitlab: BTreeSet<String>,
    by_path: BTreeSet<String>,
}

impl CiPaths {
    /// Whether a CI parser owns `path` (GitHub workflows live under `.github/`).
    fn claims(&self, path: &str) -> bool {
        path.starts_with(".github/") || self.gitlab.contains(path) || self.by_path.contains(path)
    }
}

/// What the YAML pass found besides inventory entries.
struct YamlFindings {
    found: manifests::Found,
    compose_files: Vec<ComposeFile>,
    catalog: Vec<CatalogEntry>,
}

/// The state every phase of one repository scan reads and extends: one file cache and
/// one evidence book, so a file is read once and cited with one id however many
/// phases look at it.
struct Scan<'r> {
    reader: &'r RepoReader,
    book: EvidenceBook<'r>,
    files: Files<'r>,
    /// Every regular file, in the reader's order.
    paths: Vec<String>,
    repo_paths: RepoPaths,
    default_branch: String,
    inventory: InventoryBuilder,
}

impl<'r> Scan<'r> {
    fn new(reader: &'r RepoReader, ctx: &'r ScanContext, key: &str, source: &str) -> Self {
        let revision = if reader.worktree {
            None
        } else {
            reader.head.clone()
        };
        let book = EvidenceBook::new(ctx, key, source, revision.as_deref());
        let files = Files {
            reader,
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
        let repo_paths = RepoPaths::from_paths(paths.iter().map(String::as_str));
        let default_branch = reader
            .default_branch
            .clone()
            .unwrap_or_else(|| "main".to_owned());
        Scan {
            reader,
            book,
            files,
            paths,
            repo_paths,
            default_branch,
            inventory: InventoryBuilder::default(),
        }
    }

    /// Symlinks: never followed; said so when they sit where a parser would look or
    /// point outside the repository.
    fn note_symlinks(&mut self) {
        for entry in self
            .reader
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Symlink)
        {
            if wanted(&entry.path, &self.repo_paths) || self.reader.symlink_escapes(&entry.path) {
                note(
                    &mut self.files.unreadable,
                    &entry.path,
                    &ReadError::Symlink.to_string(),
                );
            }
        }
    }

    /// Every CI system: GitHub workflows, the GitLab pipeline with its includes, the
    /// systems found by path, then Tekton objects found by content; jobs are finished
    /// last because a job may cite any CI file read before it.
    fn ci(&mut self, chart_dirs: &BTreeSet<String>) -> (CiFacts, CiPaths) {
        let mut ci_facts = CiFacts::default();
        let mut drafts = self.github_workflows(&mut ci_facts);
        let gitlab = self.gitlab_pipeline(&mut ci_facts, &mut drafts);
        let by_path = self.path_systems(&mut ci_facts, &mut drafts);
        let claimed = CiPaths { gitlab, by_path };
        self.tekton(&claimed, chart_dirs, &mut ci_facts, &mut drafts);
        for draft in drafts {
            if let Some(job) = draft.finish(&mut self.book, &self.files.texts) {
                ci_facts.jobs.push(job);
            }
        }
        (ci_facts, claimed)
    }

    /// GitHub Actions workflows; an unreadable one is listed as a broken CI file.
    fn github_workflows(&mut self, ci_facts: &mut CiFacts) -> Vec<JobDraft> {
        let mut workflow_files: Vec<String> = Vec::new();
        for p in self.paths.iter().filter(|p| github::is_workflow_path(p)) {
            if self.files.load(p) {
                workflow_files.push(p.clone());
            } else {
                ci_facts.files.push(broken_ci_file(
                    &self.files,
                    p,
                    github::SYSTEM,
                    &mut self.book,
                ));
            }
        }
        let refs: Vec<&SourceFile> = workflow_files
            .iter()
            .filter_map(|p| self.files.texts.get(p))
            .collect();
        let workflows = github::scan_workflows(
            &refs,
            &mut self.book,
            &self.default_branch,
            self.reader.origin_owner.as_deref(),
            &mut self.files.unreadable,
        );
        ci_facts.files.extend(workflows.files);
        workflows.jobs
    }

    /// The GitLab pipeline and the local files it includes; returns every path it read
    /// or tried to read.
    fn gitlab_pipeline(
        &mut self,
        ci_facts: &mut CiFacts,
        drafts: &mut Vec<JobDraft>,
    ) -> BTreeSet<String> {
        let mut gitlab_paths: BTreeSet<String> = BTreeSet::new();
        if !self.reader.exists(gitlab::ROOT_FILE) {
            return gitlab_paths;
        }
        gitlab_paths.insert(gitlab::ROOT_FILE.to_owned());
        let root = match read_source(self.reader, gitlab::ROOT_FILE) {
            Ok(root) => root,
            Err(e) => {
                note(
                    &mut self.files.unreadable,
                    gitlab::ROOT_FILE,
                    &e.to_string(),
                );
                self.files.failed.insert(gitlab::ROOT_FILE.to_owned(), e);
                ci_facts.files.push(broken_ci_file(
                    &self.files,
                    gitlab::ROOT_FILE,
                    gitlab::SYSTEM,
                    &mut self.book,
                ));
                return gitlab_paths;
            }
        };
        let mut include_errors: Vec<(String, ReadError)> = Vec::new();
        let pipeline = {
            let reader = self.reader;
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
                &self.paths,
                &mut self.book,
                &self.default_branch,
                &mut self.files.unreadable,
            )
        };
        for (p, e) in include_errors {
            note(&mut self.files.unreadable, &p, &e.to_string());
            gitlab_paths.insert(p.clone());
            self.files.failed.insert(p.clone(), e);
            ci_facts.files.push(broken_ci_file(
                &self.files,
                &p,
                gitlab::SYSTEM,
                &mut self.book,
            ));
        }
        ci_facts.files.extend(pipeline.files);
        drafts.extend(pipeline.jobs);
        self.files.texts.insert(root.path.clone(), root);
        for included in pipeline.included {
            gitlab_paths.insert(included.path.clone());
            self.files.texts.insert(included.path.clone(), included);
        }
        gitlab_paths
    }

    /// CI systems found by path (Jenkins, CircleCI, Azure, Bitbucket, Cloud Build,
    /// Drone, Buildkite, Travis); returns the paths they own.
    fn path_systems(
        &mut self,
        ci_facts: &mut CiFacts,
        drafts: &mut Vec<JobDraft>,
    ) -> BTreeSet<String> {
        let mut ci_paths: BTreeSet<String> = BTreeSet::new();
        for p in &self.paths {
            let Some(system) = PathSystem::of(p) else {
                continue;
            };
            ci_paths.insert(p.clone());
            if !self.files.load(p) {
                ci_facts.files.push(broken_ci_file(
                    &self.files,
                    p,
                    system.name(),
                    &mut self.book,
                ));
                continue;
            }
            let Some(file) = self.files.get(p) else {
                continue;
            };
            let parsed = system.scan(file, &mut self.book, &self.default_branch);
            if let Some(error) = &parsed.file.error {
                note(&mut self.files.unreadable, p, error);
            }
            ci_facts.files.push(parsed.file);
            drafts.extend(parsed.jobs);
        }
        ci_paths
    }

    /// Tekton objects, found by content in YAML no other CI parser or Helm chart owns.
    fn tekton(
        &mut self,
        claimed: &CiPaths,
        chart_dirs: &BTreeSet<String>,
        ci_facts: &mut CiFacts,
        drafts: &mut Vec<JobDraft>,
    ) {
        let files = &mut self.files;
        let tekton_paths: Vec<String> = self
            .paths
            .iter()
            .filter(|p| is_yaml(p) && !claimed.claims(p) && helm_chart_of(p, chart_dirs).is_none())
            .filter(|p| {
                files.load(p)
                    && files
                        .get(p)
                        .is_some_and(|f| tekton::may_hold_tekton(&f.text))
            })
            .cloned()
            .collect();
        if tekton_paths.is_empty() {
            return;
        }
        let parsed = {
            let refs: Vec<&SourceFile> = tekton_paths
                .iter()
                .filter_map(|p| self.files.get(p))
                .collect();
            tekton::scan(&refs, &mut self.book, &self.default_branch)
        };
        for parsed in parsed {
            if let Some(error) = &parsed.file.error {
                note(&mut self.files.unreadable, &parsed.file.path, error);
            }
            ci_facts.files.push(parsed.file);
            drafts.extend(parsed.jobs);
        }
    }

    /// The first CODEOWNERS file in GitHub's lookup order; later ones are ignored, as
    /// GitHub ignores them.
    fn codeowners(&mut self) -> Option<Codeowners> {
        for candidate in ownership::CODEOWNERS_PATHS {
            if self.reader.exists(candidate) {
                if self.files.load(candidate)
                    && let Some(file) = self.files.get(candidate)
                {
                    return Some(ownership::codeowners(file, &mut self.book));
                }
                return None;
            }
        }
        None
    }

    /// YAML anywhere else: manifests, compose, catalog, rule files, inventory by keys
    /// and kinds. Helm templates are noted once per chart, never parsed.
    fn yaml_files(&mut self, claimed: &CiPaths, chart_dirs: &BTreeSet<String>) -> YamlFindings {
        let mut findings = YamlFindings {
            found: manifests::Found::default(),
            compose_files: Vec::new(),
            catalog: Vec::new(),
        };
        let mut charts_noted: BTreeSet<String> = BTreeSet::new();
        for p in self.paths.iter().filter(|p| is_yaml(p)) {
            if claimed.claims(p) {
                continue;
            }
            if let Some(chart) = helm_chart_of(p, chart_dirs) {
                if charts_noted.insert(chart.clone()) {
                    let templates = if chart.is_empty() {
                        "templates/".to_owned()
                    } else {
                        format!("{chart}/templates/")
                    };
                    note(
                        &mut self.files.unreadable,
                        &templates,
                        "Helm templates not rendered",
                    );
                }
                continue;
            }
            if !self.files.load(p) {
                continue;
            }
            let Some(file) = self.files.texts.get(p) else {
                continue;
            };
            let docs = match yaml_pos::load_documents(&file.text) {
                Ok(docs) => docs,
                Err(e) => {
                    note(&mut self.files.unreadable, p, &e.to_string());
                    continue;
                }
            };
            if containers::is_compose_file(p)
                && let Some(compose) = containers::compose_file(file, &docs, &mut self.book)
            {
                findings.compose_files.push(compose);
            }
            findings
                .catalog
                .extend(ownership::catalog_entries(file, &docs, &mut self.book));
            manifests::collect(file, &docs, &mut self.book, &mut findings.found);
            if let Some(doc) = docs.iter().find(|d| yaml_pos::is_mapping(d)) {
                yaml_inventory(file, doc, &mut self.book, &mut self.inventory);
            }
            for doc in docs.iter().filter(|d| yaml_pos::is_mapping(d)) {
                ops_inventory(file, doc, &mut self.book, &mut self.inventory);
            }
        }
        findings
    }

    /// Kustomize overlays: rendered objects join `found`, overlays that could not be
    /// rendered are noted as unreadable, and the workloads they touch are returned.
    fn kustomize_overlays(
        &mut self,
        found: &mut manifests::Found,
    ) -> Vec<crate::kustomize::OverlayGap> {
        if found.kustomizations.is_empty() {
            return Vec::new();
        }
        let field = |o: &Value, k: &str| {
            o.pointer(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mut objects: Vec<(String, String, String)> = found
            .objects
            .iter()
            .zip(&found.origins)
            .map(|(o, origin)| {
                (
                    field(&o.object, "/kind"),
                    field(&o.object, "/metadata/name"),
                    origin.clone(),
                )
            })
            .collect();
        objects.extend(found.patch_targets.iter().cloned());
        let rendered = crate::kustomize::render(
            self.reader,
            &found.kustomizations,
            &objects,
            &self.files.texts,
            &mut self.book,
        );
        for (path, reason) in &rendered.unreadable {
            note(&mut self.files.unreadable, path, reason);
        }
        for object in rendered.objects {
            found.origins.push(String::new());
            found.objects.push(object);
        }
        rendered.gaps
    }

    /// Helm charts: reported with their values, templates left unrendered.
    fn helm_charts(&mut self, chart_dirs: &BTreeSet<String>) -> Vec<HelmChart> {
        chart_dirs
            .iter()
            .filter_map(|dir| self.helm_chart(dir))
            .collect()
    }

    /// One chart from its `Chart.yaml`, its `values*.yaml` files and its template count.
    fn helm_chart(&mut self, dir: &str) -> Option<HelmChart> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let chart_path = format!("{prefix}Chart.yaml");
        if !self.files.load(&chart_path) {
            return None;
        }
        let file = self.files.texts.get(&chart_path)?;
        let doc = yaml_pos::load_documents(&file.text)
            .ok()
            .and_then(|docs| docs.into_iter().find(yaml_pos::is_mapping));
        let field = |k: &str| {
            doc.as_ref()
                .and_then(|d| yaml_pos::get(d, k))
                .and_then(yaml_pos::scalar_text)
        };
        let values_files: Vec<String> = self
            .paths
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
            .and_then(|p| self.files.texts.get(p))
            .and_then(|f| yaml_pos::load_documents(&f.text).ok())
            .and_then(|docs| docs.into_iter().find(yaml_pos::is_mapping))
            .map(|d| {
                yaml_pos::entries(&d)
                    .iter()
                    .filter_map(|(k, _)| yaml_pos::as_str(k).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let templates = self
            .paths
            .iter()
            .filter(|p| p.starts_with(&format!("{prefix}templates/")))
            .count();
        let evidence = self.book.cite(file, 1, file.line_count().max(1));
        Some(HelmChart {
            path: chart_path.clone(),
            name: field("name"),
            version: field("version"),
            app_version: field("appVersion"),
            values_files,
            values_keys,
            templates,
            rendered: false,
            evidence,
        })
    }

    /// OWNERS files (Kubernetes-project style).
    fn owners_files(&mut self) -> Vec<OwnersFile> {
        let mut owners_files = Vec::new();
        for p in self.paths.iter().filter(|p| file_name(p) == "OWNERS") {
            if !self.files.load(p) {
                continue;
            }
            let Some(file) = self.files.texts.get(p) else {
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
                    let evidence = self.book.cite(file, 1, file.line_count().max(1));
                    owners_files.push(OwnersFile {
                        path: p.clone(),
                        approvers: list("approvers"),
                        reviewers: list("reviewers"),
                        evidence,
                    });
                }
                Err(e) => note(&mut self.files.unreadable, p, &e.to_string()),
            }
        }
        owners_files
    }

    /// Grafana dashboards as code: dashboard JSON files, sidecar ConfigMaps and
    /// GrafanaDashboard objects go through the same panel extraction as the Grafana API.
    fn dashboards(&mut self) -> Vec<Value> {
        let mut dashboards = Vec::new();
        for p in &self.paths {
            let json = p.ends_with(".json") && !IGNORED_JSON.contains(&file_name(p));
            if !(json || is_yaml(p)) || !self.files.load(p) {
                continue;
            }
            let Some(file) = self.files.texts.get(p) else {
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
                if !file.text.contains("grafana_dashboard")
                    && !file.text.contains("GrafanaDashboard")
                {
                    continue;
                }
                serde_yaml::Deserializer::from_str(&file.text)
                    .filter_map(|d| serde::Deserialize::deserialize(d).ok())
                    .collect()
            };
            for doc in docs {
                for (how, model) in evident_dashboards::dashboards_in_document(&doc) {
                    let needle = if json { "\"panels\"" } else { "kind:" };
                    let line = line_containing(&file.text, needle);
                    let evidence = self.book.cite(file, line, line);
                    let d = evident_dashboards::extract_dashboard(&model);
                    dashboards.push(evident_dashboards::dashboard_fact(
                        &d,
                        serde_json::json!({"source": how, "path": p}),
                        &evidence,
                    ));
                }
            }
        }
        dashboards
    }

    /// JSON files proven by their top-level keys (OpenAPI, AsyncAPI, CloudFormation,
    /// SAM, Pact) or by `panels` (Grafana dashboards), for the inventory.
    fn json_inventory(&mut self) {
        const TELLING: [&str; 6] = [
            "\"openapi\"",
            "\"swagger\"",
            "\"asyncapi\"",
            "\"AWSTemplateFormatVersion\"",
            "\"interactions\"",
            "\"Transform\"",
        ];
        for p in self.paths.iter().filter(|p| p.ends_with(".json")) {
            if IGNORED_JSON.contains(&file_name(p)) || !self.files.load(p) {
                continue;
            }
            let Some(file) = self.files.texts.get(p) else {
                continue;
            };
            if file.text.contains("\"panels\"") {
                dashboard_inventory(
                    file,
                    &mut self.book,
                    &mut self.inventory,
                    &mut self.files.unreadable,
                );
                continue;
            }
            if !TELLING.iter().any(|t| file.text.contains(t)) {
                continue;
            }
            match serde_json::from_str::<Value>(&file.text) {
                Ok(Value::Object(map)) => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    let transform = map.get("Transform").and_then(Value::as_str);
                    if let Some((category, tool, key)) =
                        inventory::by_top_level_keys(&keys, transform)
                    {
                        let line = line_containing(&file.text, &format!("\"{key}\""));
                        let evidence = self.book.cite(file, line, line);
                        self.inventory.add(category, tool, false, p, evidence);
                    }
                }
                Ok(_) => {}
                Err(e) => note(
                    &mut self.files.unreadable,
                    p,
                    &format!("could not parse JSON at line {}: {e}", e.line()),
                ),
            }
        }
    }

    /// Dockerfiles and Containerfiles.
    fn dockerfiles(&mut self) -> Vec<Dockerfile> {
        let mut dockerfiles = Vec::new();
        for p in self.paths.iter().filter(|p| containers::is_dockerfile(p)) {
            if self.files.load(p)
                && let Some(file) = self.files.get(p)
            {
                dockerfiles.push(containers::dockerfile(file, &mut self.book));
            }
        }
        dockerfiles
    }

    /// Inventory by path (and Makefile deploy targets); sqlx is decided first because
    /// its migrations are recognised only in a Rust crate that uses it.
    fn path_inventory(&mut self) {
        let files = &mut self.files;
        self.repo_paths.uses_sqlx = self
            .paths
            .iter()
            .any(|p| p.contains("migrations/") && p.ends_with(".sql"))
            && self
                .paths
                .iter()
                .filter(|p| file_name(p) == "Cargo.toml")
                .any(|p| files.load(p) && files.get(p).is_some_and(|f| f.text.contains("sqlx")));
        for p in &self.paths {
            for found_tool in inventory::by_path(p, &self.repo_paths) {
                if !self.inventory.wants(&found_tool, p) || !self.files.load(p) {
                    continue;
                }
                let Some(file) = self.files.get(p) else {
                    continue;
                };
                let evidence = self.book.cite(file, 1, 1);
                self.inventory.add(
                    found_tool.category,
                    found_tool.tool,
                    found_tool.per_directory,
                    p,
                    evidence,
                );
            }
            if matches!(file_name(p), "Makefile" | "makefile" | "GNUmakefile")
                && self.files.load(p)
                && let Some(file) = self.files.get(p)
                && let Some(line) = inventory::makefile_deploy_target(&file.text)
            {
                let evidence = self.book.cite(file, line, line);
                self.inventory
                    .add(Category::DeployScripts, "make", false, p, evidence);
            }
        }
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
    let digest = files.reader.read_file(path).ok().map(|file| file.sha256);
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
