//! The phases of resolution, in order: repositories, live workloads, Prometheus, rule
//! files, explicit configuration; then ids and teams.

use crate::view::{CatalogView, PromServiceView, RepoView, RuleView, WorkloadView, read};
use crate::{ComposeRef, FileRef, Resolution, ResolveConfig, ResolvedService, SYSTEM_NAMESPACES};
use evident_core::{ServiceJoin, UnresolvedItem};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How a draft service came to be; decides its `resolved_from` and which files are its.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Catalog,
    Workload,
    Repository,
    Cluster,
    Prometheus,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Catalog => "catalog",
            Origin::Workload => "workload",
            Origin::Repository => "repository",
            Origin::Cluster => "cluster",
            Origin::Prometheus => "prometheus",
        }
    }
}

/// A service while resolution is still tying items to it.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub name: String,
    /// The repository, cluster or `prometheus` it was first seen in: qualifies its id
    /// when another service has the same name.
    pub scope: String,
    pub origin: Origin,
    pub team: Option<(String, String)>,
    pub label_team: Option<String>,
    pub repos: Vec<String>,
    pub workloads: Vec<String>,
    pub live: Vec<String>,
    pub prometheus: Vec<String>,
    pub prometheus_rules: Vec<usize>,
    pub rules: Vec<usize>,
    pub dockerfiles: Vec<FileRef>,
    pub compose: Vec<ComposeRef>,
    pub environments: BTreeSet<String>,
    pub joins: Vec<ServiceJoin>,
    pub found_in: BTreeSet<String>,
    /// Names it answers to: its own, and its workloads' app labels and names.
    pub names: BTreeSet<String>,
    pub images: BTreeSet<String>,
    pub namespaces: BTreeSet<String>,
    pub kube_ids: Vec<String>,
    /// `backstage.io/kubernetes-label-selector` of its catalog entry, parsed.
    pub label_selectors: Vec<BTreeMap<String, String>>,
    pub prom_jobs: Vec<String>,
    /// Directory of its catalog-info.yaml (`""` for the repository root).
    pub catalog_dir: Option<String>,
    /// On-call join keys its catalog annotations give (`pagerduty.com/service-id`, ...).
    pub oncall_keys: Vec<crate::oncall::OncallKey>,
    /// On-call services tied to it, and what they page ([`crate::oncall`]).
    pub oncall: Option<crate::OncallView>,
}

impl Draft {
    fn new(name: &str, scope: &str, origin: Origin) -> Self {
        Draft {
            name: name.to_owned(),
            scope: scope.to_owned(),
            origin,
            team: None,
            label_team: None,
            repos: Vec::new(),
            workloads: Vec::new(),
            live: Vec::new(),
            prometheus: Vec::new(),
            prometheus_rules: Vec::new(),
            rules: Vec::new(),
            dockerfiles: Vec::new(),
            compose: Vec::new(),
            environments: BTreeSet::new(),
            joins: Vec::new(),
            found_in: BTreeSet::new(),
            names: BTreeSet::from([name.to_owned()]),
            images: BTreeSet::new(),
            namespaces: BTreeSet::new(),
            kube_ids: Vec::new(),
            label_selectors: Vec::new(),
            prom_jobs: Vec::new(),
            catalog_dir: None,
            oncall_keys: Vec::new(),
            oncall: None,
        }
    }

    /// Ties a workload to this draft: its key, evidence, names, images and namespace.
    fn attach(&mut self, source: &str, key: &str, w: &WorkloadView, by: String) {
        let evidence = w.evidence.to_vec();
        if source == "kubernetes" {
            self.live.push(key.to_owned());
            let cluster = w.cluster.as_deref().unwrap_or("cluster");
            self.environments
                .insert(format!("{cluster}/{}", w.namespace()));
        } else {
            self.workloads.push(key.to_owned());
        }
        self.found_in.extend(evidence.iter().cloned());
        self.names.insert(w.service_name().to_owned());
        self.names.insert(w.name.clone());
        self.images.extend(w.images());
        self.namespaces.insert(w.namespace().to_owned());
        if self.label_team.is_none() {
            self.label_team = w.team.clone().filter(|t| !t.is_empty());
        }
        self.joins.push(ServiceJoin {
            source: source.to_owned(),
            item: key.to_owned(),
            by,
            evidence,
        });
    }
}

/// Indexes over the drafts made so far, rebuilt before each phase that matches.
#[derive(Default)]
struct Index {
    by_name: BTreeMap<String, BTreeSet<usize>>,
    by_image: BTreeMap<String, BTreeSet<usize>>,
    by_kube_id: BTreeMap<String, BTreeSet<usize>>,
    by_prom_job: BTreeMap<String, BTreeSet<usize>>,
    by_catalog_name: BTreeMap<String, BTreeSet<usize>>,
    /// Label selectors by their first `key=value` pair, so a workload looks up only the
    /// selectors that one of its labels could satisfy.
    by_selector_pair: BTreeMap<(String, String), Vec<usize>>,
}

impl Index {
    fn of(drafts: &[Draft]) -> Self {
        let mut index = Index::default();
        for (i, d) in drafts.iter().enumerate() {
            for n in &d.names {
                index.by_name.entry(n.clone()).or_default().insert(i);
            }
            for img in &d.images {
                index.by_image.entry(img.clone()).or_default().insert(i);
            }
            for k in &d.kube_ids {
                index.by_kube_id.entry(k.clone()).or_default().insert(i);
            }
            for j in &d.prom_jobs {
                index.by_prom_job.entry(j.clone()).or_default().insert(i);
            }
            if d.origin == Origin::Catalog {
                index
                    .by_catalog_name
                    .entry(d.name.clone())
                    .or_default()
                    .insert(i);
            }
            for selector in &d.label_selectors {
                if let Some((k, v)) = selector.iter().next() {
                    index
                        .by_selector_pair
                        .entry((k.clone(), v.clone()))
                        .or_default()
                        .push(i);
                }
            }
        }
        index
    }
}

/// Whether every pair of `selector` is among `labels`.
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

impl Index {
    /// Drafts whose catalog label selector matches `labels`, and the selector's text.
    fn selected_by(&self, drafts: &[Draft], labels: &BTreeMap<String, String>) -> Option<Match> {
        let mut candidates = BTreeSet::new();
        let mut by = String::new();
        for pair in labels {
            let key = (pair.0.clone(), pair.1.clone());
            for &i in self.by_selector_pair.get(&key).into_iter().flatten() {
                for selector in drafts[i]
                    .label_selectors
                    .iter()
                    .filter(|s| selects(s, labels))
                {
                    candidates.insert(i);
                    let text: Vec<String> =
                        selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    by = format!(
                        "catalog annotation backstage.io/kubernetes-label-selector={}",
                        text.join(",")
                    );
                }
            }
        }
        (!candidates.is_empty()).then_some(Match { candidates, by })
    }
}

fn lookup(map: &BTreeMap<String, BTreeSet<usize>>, key: &str) -> BTreeSet<usize> {
    map.get(key).cloned().unwrap_or_default()
}

/// The candidates one key found and how to say it.
struct Match {
    candidates: BTreeSet<usize>,
    by: String,
}

/// Resolution's working state.
#[derive(Default)]
pub(crate) struct State {
    pub drafts: Vec<Draft>,
    pub unresolved: Vec<UnresolvedItem>,
    /// Repositories as read in the first phase, for the file assignment.
    pub repo_views: BTreeMap<String, RepoView>,
    by_repo_name: BTreeMap<(String, String), usize>,
    pub repo_drafts: BTreeMap<String, Vec<usize>>,
    prom_names: BTreeMap<String, usize>,
}

fn dir_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or_else(String::new, |(d, _)| d.to_owned())
}

impl State {
    pub(crate) fn unresolved(
        &mut self,
        source: &str,
        item: &str,
        reason: String,
        evidence: Vec<String>,
    ) {
        self.unresolved.push(UnresolvedItem {
            source: source.to_owned(),
            item: item.to_owned(),
            reason,
            evidence,
        });
    }

    fn new_draft(&mut self, draft: Draft) -> usize {
        self.drafts.push(draft);
        self.drafts.len() - 1
    }

    /// The draft `name` of repository `repo`, made when it does not exist yet.
    fn repo_draft(&mut self, repo: &str, name: &str, origin: Origin) -> usize {
        if let Some(&i) = self.by_repo_name.get(&(repo.to_owned(), name.to_owned())) {
            return i;
        }
        let i = self.new_draft(Draft::new(name, repo, origin));
        self.by_repo_name
            .insert((repo.to_owned(), name.to_owned()), i);
        self.repo_drafts.entry(repo.to_owned()).or_default().push(i);
        i
    }

    /// Reads `facts.git.workloads` once, grouped by the repository each was declared in.
    fn git_workloads(&mut self, git: &Value) -> BTreeMap<String, Vec<(String, WorkloadView)>> {
        let mut of_repo: BTreeMap<String, Vec<(String, WorkloadView)>> = BTreeMap::new();
        let Some(items) = git.get("workloads").and_then(Value::as_object) else {
            return of_repo;
        };
        for (key, raw) in items {
            match read::<WorkloadView>(raw) {
                Ok(w) => match w.repo.clone().or_else(|| w.evidence.git_repo()) {
                    Some(repo) => of_repo.entry(repo).or_default().push((key.clone(), w)),
                    None => self.unresolved(
                        "git",
                        key,
                        "workload names no repository".into(),
                        w.evidence.to_vec(),
                    ),
                },
                Err(e) => self.unresolved("git", key, format!("could not read: {e}"), vec![]),
            }
        }
        of_repo
    }

    /// Phase 1: catalog Components, long-running workloads, batch workloads, else the
    /// repository itself, per repository.
    pub fn read_repositories(&mut self, git: Option<&Value>) {
        let Some(git) = git else {
            return;
        };
        let mut workloads = self.git_workloads(git);
        let Some(repos) = git.get("repos").and_then(Value::as_object) else {
            return;
        };
        for (repo_key, raw) in repos {
            // Facts of a repository that cannot be read make no service: a service made
            // from an empty view would be judged as having no owner, no files, no CI.
            let repo = match read::<RepoView>(raw) {
                Ok(repo) => repo,
                Err(e) => {
                    let reason = format!("repository facts could not be read: {e}");
                    self.unresolved("git", repo_key, reason.clone(), vec![]);
                    for (key, w) in workloads.remove(repo_key).unwrap_or_default() {
                        self.unresolved("git", &key, reason.clone(), w.evidence.to_vec());
                    }
                    continue;
                }
            };
            let start = self.drafts.len();
            self.catalog_components(repo_key, &repo);
            let (batch, long): (Vec<_>, Vec<_>) = workloads
                .remove(repo_key)
                .unwrap_or_default()
                .into_iter()
                .partition(|(_, w)| w.is_batch());
            // Only this repository's catalog Components can claim its workloads; listed
            // once so each workload looks at them, not at every draft (linear in the
            // repository's size).
            let catalogs: Vec<usize> = (start..self.drafts.len()).collect();
            for (key, w) in &long {
                self.long_running(repo_key, key, w, &catalogs);
            }
            // Hooks last: "the repository's only service" must count every other batch
            // workload's service first, whatever order the facts list them in.
            let (hooks, jobs): (Vec<_>, Vec<_>) = batch.iter().partition(|(_, w)| w.hook.is_some());
            for (key, w) in jobs.into_iter().chain(hooks) {
                self.batch(repo_key, key, w);
            }
            if self.drafts.len() == start && !self.repo_drafts.contains_key(repo_key) {
                let i = self.repo_draft(repo_key, repo_key, Origin::Repository);
                let d = &mut self.drafts[i];
                if let Some(co) = &repo.codeowners {
                    d.found_in.extend(co.evidence.to_vec());
                }
                d.joins.push(ServiceJoin {
                    source: "git".into(),
                    item: repo_key.clone(),
                    by: "repository without a catalog entry or workload".into(),
                    evidence: vec![],
                });
            }
            let owner = repo
                .codeowners
                .as_ref()
                .and_then(|c| c.default_owners.first().cloned());
            for i in self.repo_drafts.get(repo_key).cloned().unwrap_or_default() {
                let d = &mut self.drafts[i];
                if !d.repos.contains(repo_key) {
                    d.repos.push(repo_key.clone());
                }
                if d.team.is_none() {
                    if let Some(o) = &owner {
                        d.team = Some((o.clone(), "CODEOWNERS".into()));
                    } else if let Some(t) = &d.label_team {
                        d.team = Some((t.clone(), "workload label".into()));
                    }
                }
            }
            self.repo_views.insert(repo_key.clone(), repo);
        }
    }

    fn catalog_components(&mut self, repo_key: &str, repo: &RepoView) {
        for raw in &repo.catalog {
            let entry = match read::<CatalogView>(raw) {
                Ok(e) => e,
                Err(e) => {
                    self.unresolved(
                        "git",
                        repo_key,
                        format!("catalog entry could not be read: {e}"),
                        vec![],
                    );
                    continue;
                }
            };
            let (Some("Component"), Some(name)) = (entry.kind.as_deref(), entry.name.as_deref())
            else {
                continue;
            };
            let i = self.repo_draft(repo_key, name, Origin::Catalog);
            let d = &mut self.drafts[i];
            d.origin = Origin::Catalog;
            if let Some(owner) = entry.owner.as_deref().filter(|o| !o.is_empty()) {
                d.team = Some((owner.to_owned(), "catalog-info.yaml".into()));
            }
            if let Some(id) = entry.annotation("backstage.io/kubernetes-id") {
                d.kube_ids.push(id.to_owned());
            }
            let selector = entry.annotation("backstage.io/kubernetes-label-selector");
            let parsed = selector.map(crate::view::parse_label_selector);
            if let Some(Some(selector)) = parsed {
                d.label_selectors.push(selector);
            }
            for key in ["prometheus.io/job", "prometheus.io/service-name"] {
                if let Some(job) = entry.annotation(key) {
                    d.prom_jobs.push(job.to_owned());
                }
            }
            d.oncall_keys
                .extend(crate::oncall::OncallKey::of_catalog(&entry));
            let path = entry.evidence.git_path();
            d.catalog_dir = path.as_deref().map(dir_of);
            d.found_in.extend(entry.evidence.to_vec());
            d.joins.push(ServiceJoin {
                source: "git".into(),
                item: format!("Component/{name}"),
                by: format!(
                    "catalog entry in {}",
                    path.unwrap_or_else(|| "catalog-info.yaml".into())
                ),
                evidence: entry.evidence.to_vec(),
            });
        }
    }

    /// A long-running workload of a repository: claimed by one catalog Component (by
    /// name or `backstage.io/kubernetes-id`), else the service of its app label or name.
    fn long_running(&mut self, repo_key: &str, key: &str, w: &WorkloadView, catalogs: &[usize]) {
        let names = [w.service_name(), w.name.as_str()];
        let labelled = w.kubernetes_id.as_deref();
        let claims: Vec<(usize, String)> = catalogs
            .iter()
            .copied()
            .filter_map(|i| {
                let d = &self.drafts[i];
                if let Some(id) =
                    labelled.filter(|l| d.kube_ids.iter().any(|k| k == l) || d.name == *l)
                {
                    Some((i, format!("label backstage.io/kubernetes-id={id}")))
                } else if let Some(sel) =
                    d.label_selectors.iter().find(|sel| selects(sel, &w.labels))
                {
                    let text: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    Some((
                        i,
                        format!(
                            "catalog annotation backstage.io/kubernetes-label-selector={}",
                            text.join(",")
                        ),
                    ))
                } else if let Some(id) = d.kube_ids.iter().find(|id| names.contains(&id.as_str())) {
                    Some((
                        i,
                        format!("catalog annotation backstage.io/kubernetes-id={id}"),
                    ))
                } else if names.contains(&d.name.as_str()) {
                    Some((i, format!("catalog Component {}", d.name)))
                } else {
                    None
                }
            })
            .collect();
        match claims.as_slice() {
            [(i, by)] => self.drafts[*i].attach("git", key, w, by.clone()),
            [] => {
                let i = self.repo_draft(repo_key, w.service_name(), Origin::Workload);
                let by = format!("declared in repository {repo_key}");
                self.drafts[i].attach("git", key, w, by);
            }
            several => {
                let names: Vec<&str> = several
                    .iter()
                    .map(|(i, _)| self.drafts[*i].name.as_str())
                    .collect();
                let reason = format!(
                    "ambiguous: claimed by catalog Components {}; not resolved by guess",
                    names.join(", ")
                );
                self.unresolved("git", key, reason, w.evidence.to_vec());
            }
        }
    }

    /// A Job, CronJob or hook: it belongs to the service its `part-of` label (else its app
    /// label or name) names in the same repository; a hook naming none is unresolved; any
    /// other batch workload is a (batch-only) service of its own.
    fn batch(&mut self, repo_key: &str, key: &str, w: &WorkloadView) {
        let find = |state: &State, name: &str| {
            state
                .by_repo_name
                .get(&(repo_key.to_owned(), name.to_owned()))
                .copied()
        };
        if let Some(part_of) = w.part_of.as_deref()
            && let Some(i) = find(self, part_of)
        {
            let by = format!("label app.kubernetes.io/part-of={part_of}");
            self.drafts[i].attach("git", key, w, by);
            return;
        }
        if let Some(i) = find(self, w.service_name()) {
            let by = format!("name {} (matched by name)", w.service_name());
            self.drafts[i].attach("git", key, w, by);
            return;
        }
        if let Some(hook) = &w.hook {
            let only = self
                .repo_drafts
                .get(repo_key)
                .filter(|d| d.len() == 1)
                .map(|d| d[0]);
            if let Some(i) = only {
                let by = format!("{hook} hook in a repository with one service");
                self.drafts[i].attach("git", key, w, by);
            } else {
                let reason = format!(
                    "{hook} hook {} names no service (no app.kubernetes.io/part-of label matching one)",
                    w.name
                );
                self.unresolved("git", key, reason, w.evidence.to_vec());
            }
            return;
        }
        let i = self.repo_draft(repo_key, w.service_name(), Origin::Workload);
        let by = format!("declared in repository {repo_key} (batch workloads only)");
        self.drafts[i].attach("git", key, w, by);
    }

    /// The draft an explicit override names, made when no service has that name.
    fn override_target(&mut self, service: &str, scope: &str, origin: Origin) -> usize {
        let existing: Vec<usize> = (0..self.drafts.len())
            .filter(|&i| self.drafts[i].name == service)
            .collect();
        match existing.as_slice() {
            [one] => *one,
            _ => self.new_draft(Draft::new(service, scope, origin)),
        }
    }

    /// Narrows candidates by namespace when there are several; `None` when none remain.
    fn narrow(&self, m: Match, namespaces: &BTreeSet<String>) -> Match {
        if m.candidates.len() <= 1 || namespaces.is_empty() {
            return m;
        }
        let narrowed: BTreeSet<usize> = m
            .candidates
            .iter()
            .copied()
            .filter(|&i| !self.drafts[i].namespaces.is_disjoint(namespaces))
            .collect();
        if narrowed.is_empty() {
            m
        } else {
            Match {
                candidates: narrowed,
                by: format!("{} and namespace", m.by),
            }
        }
    }

    fn ambiguity(&self, m: &Match) -> String {
        let names: Vec<String> = m
            .candidates
            .iter()
            .map(|&i| format!("{} ({})", self.drafts[i].name, self.drafts[i].scope))
            .collect();
        format!(
            "ambiguous: {} matches services {}; not resolved by guess",
            m.by,
            names.join(", ")
        )
    }

    /// Phase 2: live workloads, grouped by the name they run under (the same app in
    /// several clusters or namespaces is one service with several environments).
    pub fn join_live(&mut self, workloads: Option<&Value>, config: &ResolveConfig) {
        let Some(items) = workloads.and_then(Value::as_object) else {
            return;
        };
        let mut groups: BTreeMap<String, Vec<(String, WorkloadView)>> = BTreeMap::new();
        for (key, raw) in items {
            let w = match read::<WorkloadView>(raw) {
                Ok(w) => w,
                Err(e) => {
                    self.unresolved("kubernetes", key, format!("could not read: {e}"), vec![]);
                    continue;
                }
            };
            if SYSTEM_NAMESPACES.contains(&w.namespace()) {
                let reason = format!(
                    "system namespace {}: the cluster's own machinery",
                    w.namespace()
                );
                self.unresolved("kubernetes", key, reason, w.evidence.to_vec());
                continue;
            }
            let name = match (&w.part_of, w.is_batch()) {
                (Some(p), true) if !p.is_empty() => p.clone(),
                _ => w.service_name().to_owned(),
            };
            groups.entry(name).or_default().push((key.clone(), w));
        }
        let index = Index::of(&self.drafts);
        for (name, members) in groups {
            self.join_live_group(&index, config, &name, members);
        }
    }

    fn live_match(
        &self,
        index: &Index,
        name: &str,
        members: &[(String, WorkloadView)],
    ) -> Option<Match> {
        // A `backstage.io/kubernetes-id` label names the Component itself (or the id its
        // annotation gives); failing that, the annotation may equal the workload's name.
        for (_, w) in members {
            if let Some(label) = w.kubernetes_id.as_deref() {
                let mut by_label = lookup(&index.by_kube_id, label);
                by_label.extend(lookup(&index.by_catalog_name, label));
                if !by_label.is_empty() {
                    return Some(Match {
                        candidates: by_label,
                        by: format!("label backstage.io/kubernetes-id={label}"),
                    });
                }
            }
        }
        for (_, w) in members {
            if let Some(m) = index.selected_by(&self.drafts, &w.labels) {
                return Some(m);
            }
        }
        let ids = lookup(&index.by_kube_id, name);
        if !ids.is_empty() {
            return Some(Match {
                candidates: ids,
                by: format!("catalog annotation backstage.io/kubernetes-id={name}"),
            });
        }
        let images: BTreeSet<String> = members.iter().flat_map(|(_, w)| w.images()).collect();
        for img in &images {
            let found = lookup(&index.by_image, img);
            if !found.is_empty() {
                return Some(Match {
                    candidates: found,
                    by: format!("image {img}"),
                });
            }
        }
        let named = lookup(&index.by_name, name);
        (!named.is_empty()).then(|| Match {
            candidates: named,
            by: format!("name {name} (matched by name)"),
        })
    }

    fn join_live_group(
        &mut self,
        index: &Index,
        config: &ResolveConfig,
        name: &str,
        members: Vec<(String, WorkloadView)>,
    ) {
        let first_cluster = members
            .first()
            .and_then(|(_, w)| w.cluster.clone())
            .unwrap_or_else(|| "cluster".into());
        let configured = config
            .overrides
            .iter()
            .find(|o| o.kubernetes.iter().any(|k| k == name));
        let target = if let Some(o) = configured {
            let i = self.override_target(&o.service, &first_cluster, Origin::Cluster);
            Some((i, format!("config: service {} lists {name}", o.service)))
        } else {
            let namespaces: BTreeSet<String> = members
                .iter()
                .map(|(_, w)| w.namespace().to_owned())
                .collect();
            match self.live_match(index, name, &members) {
                Some(m) => {
                    let m = self.narrow(m, &namespaces);
                    if m.candidates.len() == 1 {
                        m.candidates.first().map(|&i| (i, m.by.clone()))
                    } else {
                        let reason = self.ambiguity(&m);
                        for (key, w) in &members {
                            self.unresolved("kubernetes", key, reason.clone(), w.evidence.to_vec());
                        }
                        return;
                    }
                }
                None => {
                    let i = self.new_draft(Draft::new(name, &first_cluster, Origin::Cluster));
                    Some((i, "live workload no repository declares".into()))
                }
            }
        };
        let Some((i, by)) = target else {
            return;
        };
        for (key, w) in &members {
            self.drafts[i].attach("kubernetes", key, w, by.clone());
        }
        let d = &mut self.drafts[i];
        if d.team.is_none()
            && let Some(t) = &d.label_team
        {
            d.team = Some((t.clone(), "workload label".into()));
        }
    }

    /// Phase 3: Prometheus services (as the probe mapped targets to names) and the rules
    /// whose labels or matchers name a service.
    pub fn join_prometheus(&mut self, prom: Option<&Value>, config: &ResolveConfig) {
        let Some(prom) = prom else {
            return;
        };
        let index = Index::of(&self.drafts);
        if let Some(services) = prom.get("services").and_then(Value::as_object) {
            for (pname, raw) in services {
                match read::<PromServiceView>(raw) {
                    Ok(s) => self.join_prom_service(&index, config, pname, &s),
                    Err(e) => {
                        self.unresolved("prometheus", pname, format!("could not read: {e}"), vec![])
                    }
                }
            }
        }
        let index = Index::of(&self.drafts);
        let rules = prom.get("rules").and_then(Value::as_array);
        for (i, raw) in rules.into_iter().flatten().enumerate() {
            let Ok(rule) = read::<RuleView>(raw) else {
                continue;
            };
            let Some(hint) = rule.service_hint.as_deref() else {
                continue;
            };
            let target = self.prom_names.get(hint).copied().or_else(|| {
                let named = lookup(&index.by_name, hint);
                (named.len() == 1).then(|| named.first().copied()).flatten()
            });
            if let Some(d) = target {
                self.drafts[d].prometheus_rules.push(i);
            }
        }
    }

    fn prom_match(&self, index: &Index, pname: &str, s: &PromServiceView) -> Option<Match> {
        for job in &s.jobs {
            let found = lookup(&index.by_prom_job, job);
            if !found.is_empty() {
                return Some(Match {
                    candidates: found,
                    by: format!("catalog annotation prometheus.io/job={job}"),
                });
            }
        }
        let named = lookup(&index.by_name, pname);
        if !named.is_empty() {
            return Some(Match {
                candidates: named,
                by: format!("name {pname} (matched by name)"),
            });
        }
        None
    }

    fn join_prom_service(
        &mut self,
        index: &Index,
        config: &ResolveConfig,
        pname: &str,
        s: &PromServiceView,
    ) {
        let configured = config
            .overrides
            .iter()
            .find(|o| o.prometheus.iter().any(|p| p == pname));
        let namespaces: BTreeSet<String> = s.namespaces.iter().cloned().collect();
        let (i, by) = if let Some(o) = configured {
            let i = self.override_target(&o.service, "prometheus", Origin::Prometheus);
            (i, format!("config: service {} lists {pname}", o.service))
        } else {
            match self.prom_match(index, pname, s) {
                Some(m) => {
                    let m = self.narrow(m, &namespaces);
                    if m.candidates.len() != 1 {
                        let reason = self.ambiguity(&m);
                        self.unresolved("prometheus", pname, reason, s.evidence.to_vec());
                        return;
                    }
                    let Some(&i) = m.candidates.first() else {
                        return;
                    };
                    (i, m.by)
                }
                None => {
                    let i = self.new_draft(Draft::new(pname, "prometheus", Origin::Prometheus));
                    let jobs = s.jobs.join(", ");
                    (
                        i,
                        format!(
                            "Prometheus targets of job {jobs} ({})",
                            s.mapped_by.join(", ")
                        ),
                    )
                }
            }
        };
        self.prom_names.insert(pname.to_owned(), i);
        let d = &mut self.drafts[i];
        d.prometheus.push(pname.to_owned());
        d.names.insert(pname.to_owned());
        d.namespaces.extend(namespaces);
        d.found_in.extend(s.evidence.to_vec());
        d.joins.push(ServiceJoin {
            source: "prometheus".into(),
            item: format!("service {pname}"),
            by,
            evidence: s.evidence.to_vec(),
        });
    }

    /// Phase 4: alerting and recording rules kept in repositories belong to the service
    /// their labels name (in their repository first), else to every service of the
    /// repository they were read from.
    pub fn attach_git_rules(&mut self, rules: Option<&Value>) {
        let index = Index::of(&self.drafts);
        for (i, raw) in rules
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Ok(rule) = read::<RuleView>(raw) else {
                continue;
            };
            let repo = rule.repo.clone().or_else(|| rule.evidence.git_repo());
            let of_repo = repo
                .as_ref()
                .and_then(|r| self.repo_drafts.get(r))
                .cloned()
                .unwrap_or_default();
            if let Some(hint) = rule.service_hint.as_deref() {
                let local = of_repo
                    .iter()
                    .copied()
                    .find(|&d| self.drafts[d].names.contains(hint));
                let global = lookup(&index.by_name, hint);
                let target = local.or_else(|| {
                    (global.len() == 1)
                        .then(|| global.first().copied())
                        .flatten()
                });
                if let Some(d) = target {
                    self.drafts[d].rules.push(i);
                    continue;
                }
            }
            for d in of_repo {
                self.drafts[d].rules.push(i);
            }
        }
    }

    /// Phase 5: teams stated in configuration win over every source.
    pub fn apply_overrides(&mut self, config: &ResolveConfig) {
        for o in &config.overrides {
            let Some(team) = &o.team else {
                continue;
            };
            for d in self.drafts.iter_mut().filter(|d| d.name == o.service) {
                d.team = Some((team.clone(), "config".into()));
            }
        }
    }

    /// Ids (qualified only where names collide), teams, evidence of joins.
    pub fn finish(self) -> Resolution {
        let mut name_count: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &self.drafts {
            *name_count.entry(d.name.as_str()).or_default() += 1;
        }
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut services = Vec::with_capacity(self.drafts.len());
        for d in &self.drafts {
            let base = if name_count.get(d.name.as_str()).copied().unwrap_or(0) > 1 {
                format!("{}/{}", d.scope, d.name)
            } else {
                d.name.clone()
            };
            let mut id = base.clone();
            let mut n = 2;
            while used.contains(&id) {
                id = format!("{base}#{n}");
                n += 1;
            }
            used.insert(id.clone());
            services.push(finish_one(id, d));
        }
        services.sort_by(|a, b| a.id.cmp(&b.id));
        let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in &services {
            if let Some(t) = &s.team {
                teams.entry(t.clone()).or_default().push(s.id.clone());
            }
        }
        let mut unresolved = self.unresolved;
        unresolved.sort_by(|a, b| (&a.source, &a.item).cmp(&(&b.source, &b.item)));
        Resolution {
            services,
            teams,
            unresolved,
            ..Resolution::default()
        }
    }
}

fn finish_one(id: String, d: &Draft) -> ResolvedService {
    let mut found_in = d.found_in.clone();
    for j in d.joins.iter().filter(|j| j.source != "git") {
        found_in.insert(crate::join_evidence_id(&id, &j.source, &j.item));
    }
    let (team, team_source) = match &d.team {
        Some((t, s)) => (Some(t.clone()), Some(s.clone())),
        None => (None, None),
    };
    let mut rules = d.rules.clone();
    rules.sort_unstable();
    rules.dedup();
    ResolvedService {
        id,
        name: d.name.clone(),
        team,
        team_source,
        resolved_from: d.origin.as_str().to_owned(),
        repos: d.repos.clone(),
        workloads: d.workloads.clone(),
        live_workloads: d.live.clone(),
        prometheus: d.prometheus.clone(),
        prometheus_rules: d.prometheus_rules.clone(),
        rules,
        dockerfiles: d.dockerfiles.clone(),
        compose: d.compose.clone(),
        environments: d.environments.iter().cloned().collect(),
        joins: d.joins.clone(),
        found_in: found_in.into_iter().collect(),
        oncall: d.oncall.clone(),
    }
}
