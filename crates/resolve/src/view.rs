//! Typed views of the facts resolution reads, checked where they are consumed.
//!
//! Probes write `facts.<capability>` as JSON in the shapes `docs/facts.md` gives; these
//! structs hold only the fields resolution needs. Each item is read on its own, so one
//! item of the wrong shape is listed as unresolved (with why) and never hides the rest.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One evidence id or several (`evidence: "id"` or `evidence: ["id", ...]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum EvidenceIds {
    /// A single id.
    One(String),
    /// Several ids.
    Many(Vec<String>),
    /// No evidence field (or `null`).
    #[default]
    None,
}

impl EvidenceIds {
    /// The ids as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            EvidenceIds::One(s) => vec![s.clone()],
            EvidenceIds::Many(v) => v.clone(),
            EvidenceIds::None => Vec::new(),
        }
    }

    /// The file path a git evidence id points at (`git:<repo>@<rev>:<path>#L1-L9`).
    pub fn git_path(&self) -> Option<String> {
        let first = match self {
            EvidenceIds::One(s) => s,
            EvidenceIds::Many(v) => v.first()?,
            EvidenceIds::None => return None,
        };
        let rest = first.strip_prefix("git:")?;
        let (_, after_at) = rest.split_once('@')?;
        let (_, path) = after_at.split_once(':')?;
        Some(path.split('#').next().unwrap_or(path).to_owned())
    }

    /// The repository key a git evidence id names (`git:<repo>@...`).
    pub fn git_repo(&self) -> Option<String> {
        let first = match self {
            EvidenceIds::One(s) => s,
            EvidenceIds::Many(v) => v.first()?,
            EvidenceIds::None => return None,
        };
        let rest = first.strip_prefix("git:")?;
        rest.split_once('@').map(|(repo, _)| repo.to_owned())
    }
}

/// A container image as kube-facts splits it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageView {
    /// Registry host, when the reference names one.
    #[serde(default)]
    pub registry: Option<String>,
    /// Repository path without tag or digest.
    #[serde(default)]
    pub repository: String,
}

impl ImageView {
    /// `registry/repository` (or the repository alone): the image's identity whatever its
    /// tag, which a repository's manifests and a cluster share when they are one app.
    pub fn identity(&self) -> Option<String> {
        if self.repository.is_empty() {
            return None;
        }
        Some(match &self.registry {
            Some(r) if !r.is_empty() => format!("{r}/{}", self.repository),
            _ => self.repository.clone(),
        })
    }

    /// The last path segment of the repository (`x/frontend` → `frontend`).
    pub fn short_name(&self) -> Option<&str> {
        self.repository.rsplit('/').next().filter(|s| !s.is_empty())
    }
}

/// A container of a workload.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContainerView {
    /// The image it runs.
    #[serde(default)]
    pub image: ImageView,
    /// Injected mesh proxies and other sidecars do not identify the app.
    #[serde(default)]
    pub sidecar: bool,
}

/// A workload from manifests (`facts.git.workloads`) or a cluster
/// (`facts.kubernetes.workloads`).
#[derive(Debug, Clone, Deserialize)]
pub struct WorkloadView {
    /// `Deployment`, `CronJob`, ...
    pub kind: String,
    /// Namespace (`default` when unset).
    #[serde(default)]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// `app.kubernetes.io/name`, else `app` label.
    #[serde(default)]
    pub app: Option<String>,
    /// `team` / `owner` label.
    #[serde(default)]
    pub team: Option<String>,
    /// `app.kubernetes.io/part-of`: the application a batch workload belongs to.
    #[serde(default)]
    pub part_of: Option<String>,
    /// `backstage.io/kubernetes-id` label.
    #[serde(default)]
    pub kubernetes_id: Option<String>,
    /// Object and pod-template labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `helm` or `argocd` for hook objects.
    #[serde(default)]
    pub hook: Option<String>,
    /// Job, CronJob or hook: not a long-running workload.
    #[serde(default)]
    pub batch: Option<bool>,
    /// Deployment, StatefulSet, DaemonSet, ...
    #[serde(default)]
    pub long_running: bool,
    /// App and sidecar containers.
    #[serde(default)]
    pub containers: Vec<ContainerView>,
    /// Where it was declared or read.
    #[serde(default)]
    pub evidence: EvidenceIds,
    /// The repository it was declared in (git workloads).
    #[serde(default)]
    pub repo: Option<String>,
    /// The cluster it was read from (live workloads).
    #[serde(default)]
    pub cluster: Option<String>,
}

impl WorkloadView {
    /// The name a service is known by: the app label, else the object's name.
    pub fn service_name(&self) -> &str {
        self.app
            .as_deref()
            .filter(|a| !a.is_empty())
            .unwrap_or(&self.name)
    }

    /// Jobs, CronJobs and hooks: they belong to a service, they are not one.
    pub fn is_batch(&self) -> bool {
        self.batch
            .unwrap_or(matches!(self.kind.as_str(), "Job" | "CronJob"))
            || self.hook.is_some()
    }

    /// The namespace, `default` when unset.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    /// Image identities of its app containers.
    pub fn images(&self) -> impl Iterator<Item = String> + '_ {
        self.containers
            .iter()
            .filter(|c| !c.sidecar)
            .filter_map(|c| c.image.identity())
    }
}

/// An equality-based label selector as Backstage's `backstage.io/kubernetes-label-selector`
/// annotation gives it (`app=web,tier=api`); `None` for a form this reader does not
/// evaluate (`!=`, `in (...)`, a bare key), so an unread selector never joins anything.
pub fn parse_label_selector(text: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.contains("!=") || part.contains(" in ") || part.contains(" notin ") {
            return None;
        }
        let (k, v) = part.split_once("==").or_else(|| part.split_once('='))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return None;
        }
        out.insert(k.to_owned(), v.to_owned());
    }
    (!out.is_empty()).then_some(out)
}

/// A Backstage catalog entity read from `catalog-info.yaml`.
#[derive(Debug, Clone, Deserialize)]
pub struct CatalogView {
    /// `Component`, `System`, `Group`, ...
    #[serde(default)]
    pub kind: Option<String>,
    /// `metadata.name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `spec.owner`.
    #[serde(default)]
    pub owner: Option<String>,
    /// `metadata.annotations`; join keys live here.
    #[serde(default)]
    pub annotations: BTreeMap<String, Value>,
    /// `User` entities: hash of `spec.profile.email` (never the address), to join
    /// on-call users.
    #[serde(default)]
    pub email_hash: Option<String>,
    /// `Group` entities: `spec.members` (User entity references), the team's members.
    #[serde(default)]
    pub members: Vec<String>,
    /// Where it was declared.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

impl CatalogView {
    /// A string annotation, trimmed; `None` when absent or empty.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// CODEOWNERS as the git probe reads it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CodeownersView {
    /// Owners of `*`, the repository's default owners.
    #[serde(default)]
    pub default_owners: Vec<String>,
    /// Where it was read.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

/// A Dockerfile of a repository.
#[derive(Debug, Clone, Deserialize)]
pub struct DockerfileView {
    /// Path in the repository.
    pub path: String,
}

/// A compose service.
#[derive(Debug, Clone, Deserialize)]
pub struct ComposeServiceView {
    /// The service's name in the compose file.
    pub name: String,
    /// The image it runs, when it names one.
    #[serde(default)]
    pub image: Option<String>,
}

/// A compose file.
#[derive(Debug, Clone, Deserialize)]
pub struct ComposeFileView {
    /// Path in the repository.
    pub path: String,
    /// Its services.
    #[serde(default)]
    pub services: Vec<ComposeServiceView>,
}

/// A repository as the git probe reads it, reduced to what resolution needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RepoView {
    /// CODEOWNERS, when the repository has one.
    #[serde(default)]
    pub codeowners: Option<CodeownersView>,
    /// Catalog entities (raw: each is read on its own).
    #[serde(default)]
    pub catalog: Vec<Value>,
    /// Dockerfiles.
    #[serde(default)]
    pub dockerfiles: Vec<DockerfileView>,
    /// Compose files.
    #[serde(default)]
    pub compose_files: Vec<ComposeFileView>,
}

/// A service as the Prometheus probe mapped its targets.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PromServiceView {
    /// Scrape jobs of its targets.
    #[serde(default)]
    pub jobs: Vec<String>,
    /// Namespaces of its targets.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// How its targets were mapped to this name.
    #[serde(default)]
    pub mapped_by: Vec<String>,
    /// The targets read.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

/// An alerting or recording rule (`facts.git.prometheus_rules`, `facts.prometheus.rules`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleView {
    /// The service its labels or matchers name.
    #[serde(default)]
    pub service_hint: Option<String>,
    /// The repository it was read from (git rules).
    #[serde(default)]
    pub repo: Option<String>,
    /// Where it was read.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

/// Reads one item; a wrong shape is the reason it could not be read.
pub fn read<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| e.to_string())
}

/// A CI job as the git probe reads it, reduced to what the reused-workflow index needs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CiJobView {
    /// `<path>#<job>`.
    #[serde(default)]
    pub id: String,
    /// The CI file it is declared in.
    #[serde(default)]
    pub path: String,
    /// What it does (`test`, `deploy`, ...).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// How it deploys (`kubectl`, `helm`, ...).
    #[serde(default)]
    pub deploy_targets: Vec<String>,
    /// It creates its own throwaway cluster: its installs are tests.
    #[serde(default)]
    pub local_cluster: bool,
    /// Templates and reusable workflows it calls.
    #[serde(default)]
    pub reuses: Vec<String>,
    /// Its line range.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

/// A repository as the GitHub probe lists it (`facts.github.repos[k]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GithubRepoView {
    /// `owner/name`.
    #[serde(default)]
    pub full_name: String,
    /// The repository as listed.
    #[serde(default)]
    pub evidence: EvidenceIds,
    /// Commit authors of the default branch GitHub tied to a login, to join on-call
    /// users by email hash.
    #[serde(default)]
    pub commit_authors: Vec<CommitAuthorView>,
}

/// A commit author GitHub tied to a login (`facts.github.repos[k].commit_authors[i]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommitAuthorView {
    /// Hash of the author email ([`evident_oncall::email_key`]).
    #[serde(default)]
    pub email_hash: Option<String>,
    /// The GitHub login, lower-cased.
    #[serde(default)]
    pub login: Option<String>,
}

/// A GitHub team (`facts.github.teams[<org>/<slug>]`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GithubTeamView {
    /// `<org>/<slug>`, lower-cased.
    #[serde(default)]
    pub id: String,
    /// The organisation.
    #[serde(default)]
    pub org: String,
    /// The team's slug.
    #[serde(default)]
    pub slug: String,
    /// Repository key → its permission (`admin`, `maintain`, `write`, ...).
    #[serde(default)]
    pub repos: BTreeMap<String, String>,
    /// Member logins, for `input.teams[t].members`.
    #[serde(default)]
    pub members: Vec<String>,
    /// Whether `members` is the whole list (absent: not known to be).
    #[serde(default)]
    pub members_complete: Option<bool>,
    /// The team as read.
    #[serde(default)]
    pub evidence: EvidenceIds,
}

/// What resolution reads of `facts.github`: repositories and teams, each item read on
/// its own (one of the wrong shape is listed in `unreadable`, the rest are kept).
#[derive(Debug, Clone, Default)]
pub struct GithubView {
    /// Repository key → repository.
    pub repos: BTreeMap<String, GithubRepoView>,
    /// Team id → team.
    pub teams: BTreeMap<String, GithubTeamView>,
    /// `(item, why)` of items that could not be read.
    pub unreadable: Vec<(String, String)>,
}

impl GithubView {
    /// Reads `facts.github` (absent: an empty view).
    pub fn read(github: Option<&Value>) -> Self {
        let mut view = GithubView::default();
        let Some(github) = github else {
            return view;
        };
        let items = |key: &str| {
            github
                .get(key)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
        };
        for (k, raw) in items("repos") {
            match read::<GithubRepoView>(raw) {
                Ok(r) => {
                    view.repos.insert(k.clone(), r);
                }
                Err(e) => view.unreadable.push((format!("repository {k}"), e)),
            }
        }
        for (k, raw) in items("teams") {
            match read::<GithubTeamView>(raw) {
                Ok(mut t) => {
                    if t.id.is_empty() {
                        t.id = k.clone();
                    }
                    t.id = t.id.to_lowercase();
                    view.teams.insert(t.id.clone(), t);
                }
                Err(e) => view.unreadable.push((format!("team {k}"), e)),
            }
        }
        view
    }
}
