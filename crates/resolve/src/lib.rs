//! Entity resolution: which services the facts of every probe describe, who owns each,
//! where each runs, and which key tied each source item to it.
//!
//! Sources of services, in the order the criteria spec gives them: catalog Components,
//! repository deployables (long-running workloads, else the repository itself), live
//! long-running workloads, Prometheus services (the probe's mapping of jobs and `service`
//! labels). Identity is scoped: a repository's `frontend` and another repository's
//! `frontend` are two services unless a key joins them. Join keys, strongest first:
//! catalog annotations (`backstage.io/kubernetes-id`, `prometheus.io/job`), explicit
//! configuration, the image a repository declares and a cluster runs, then names
//! (reported as "matched by name"). A match that names several services is ambiguous: it
//! is reported and never resolved by guess. Every join is kept; what joins nothing is
//! listed as unresolved.

mod files;
pub mod github;
mod oncall;
mod people;
pub use people::EMAIL_HASH_PREFIX;
mod phases;
pub mod view;

use evident_core::{Evidence, Service, ServiceJoin, UnresolvedItem, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Namespaces whose workloads are the cluster's own machinery, not an application's:
/// they are listed as unresolved rather than assessed as services.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// Joins a person states because no key in the systems says it (an estate config's
/// `services:` entry): the named items belong to the service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceOverride {
    /// The service the items belong to (an existing service's name, or a new one).
    pub service: String,
    /// Live workload names (app label or object name) that belong to it.
    #[serde(default)]
    pub kubernetes: Vec<String>,
    /// Prometheus service names (as the probe mapped them) that belong to it.
    #[serde(default)]
    pub prometheus: Vec<String>,
    /// The owning team, over every other source.
    #[serde(default)]
    pub team: Option<String>,
    /// On-call services (names or `<account>/<id>` keys) that page for it, when no
    /// catalog annotation says so.
    #[serde(default)]
    pub oncall: Vec<String>,
}

/// One person of the people mapping: a GitHub login and the on-call identities that
/// are that person, stated because the systems share no reliable key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMapping {
    /// The GitHub login.
    pub login: String,
    /// Email addresses of the person (compared only as hashes, never written out).
    #[serde(default)]
    pub emails: Vec<String>,
    /// On-call user keys (`pagerduty/PU1`) of the person.
    #[serde(default)]
    pub oncall: Vec<String>,
}

/// What resolution may be told besides the facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveConfig {
    /// Explicit joins, second only to catalog annotations.
    #[serde(default)]
    pub overrides: Vec<ServiceOverride>,
    /// The people mapping (`--people FILE`): the strongest join of an on-call user to a
    /// GitHub login.
    #[serde(default)]
    pub people: Vec<PersonMapping>,
}

/// `Service.oncall`: the on-call services that page for a service and whom they reach,
/// so rules about on-call read one list instead of walking the on-call facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OncallView {
    /// Keys of the on-call services tied to it.
    pub services: Vec<String>,
    /// Escalation policies of those services (Opsgenie: its team's escalations).
    pub escalation_policies: Vec<String>,
    /// Schedules those policies page (Opsgenie: also its team's schedules).
    pub schedules: Vec<String>,
    /// User keys the policies reach in the window, sorted and unique.
    pub responders: Vec<String>,
    /// False when part of the route was not read: a schedule not rendered, a team's
    /// members cut, a policy, schedule or team missing, or that part of the account
    /// unread or partial.
    pub complete: bool,
    /// Evidence of the services, policies, schedules and teams read.
    pub evidence: Vec<String>,
}

/// An on-call user's GitHub login (`input.index.people[key]`), and which key joined it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonJoin {
    /// The GitHub login, lower-cased; `None` when no key joined exactly one.
    pub login: Option<String>,
    /// `people mapping`, `catalog User <name>`, `commit author in <repo>`; `None` when
    /// unjoined.
    pub by: Option<String>,
    /// The on-call tool's display name.
    pub name: String,
}

/// The members of a team, when some source lists them (`input.teams[t].members`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMembers {
    /// GitHub logins, lower-cased, sorted.
    pub members: Vec<String>,
    /// `github team <org>/<slug>` or `catalog Group <name>`.
    pub source: String,
    /// False when the list is cut.
    pub complete: bool,
}

/// A file of a repository that belongs to a service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileRef {
    /// Repository key.
    pub repo: String,
    /// Path in the repository.
    pub path: String,
}

/// A compose service that belongs to a service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ComposeRef {
    /// Repository key.
    pub repo: String,
    /// Path of the compose file.
    pub path: String,
    /// Name of the compose service.
    pub service: String,
}

/// One resolved service with everything rules need to find its own facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResolvedService {
    /// Unique id: the name, qualified by its scope (`shop/frontend`) only when two
    /// unjoined services share the name.
    pub id: String,
    /// The name the sources know it by.
    pub name: String,
    /// Owning team.
    pub team: Option<String>,
    /// Where the team was read.
    pub team_source: Option<String>,
    /// `catalog`, `workload`, `repository`, `cluster` or `prometheus`.
    pub resolved_from: String,
    /// Keys into `facts.git.repos`.
    pub repos: Vec<String>,
    /// Keys into `facts.git.workloads` (long-running and batch).
    pub workloads: Vec<String>,
    /// Keys into `facts.kubernetes.workloads`.
    pub live_workloads: Vec<String>,
    /// Keys into `facts.prometheus.services`.
    pub prometheus: Vec<String>,
    /// Indices into `facts.prometheus.rules`.
    pub prometheus_rules: Vec<usize>,
    /// Indices into `facts.git.prometheus_rules`.
    pub rules: Vec<usize>,
    /// Dockerfiles that belong to it.
    pub dockerfiles: Vec<FileRef>,
    /// Compose services that belong to it.
    pub compose: Vec<ComposeRef>,
    /// `cluster/namespace` of each live workload.
    pub environments: Vec<String>,
    /// Every item tied to it.
    pub joins: Vec<ServiceJoin>,
    /// Evidence of where it was found (its items and its joins).
    pub found_in: Vec<String>,
    /// The on-call services that page for it; absent when none joined it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oncall: Option<OncallView>,
}

/// Every service, team and unresolved item of one scan.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Services, ordered by id.
    pub services: Vec<ResolvedService>,
    /// Team id → ids of the services it owns.
    pub teams: BTreeMap<String, Vec<String>>,
    /// Items no key tied to exactly one service.
    pub unresolved: Vec<UnresolvedItem>,
    /// Team id → the GitHub team (`<org>/<slug>`) it is, where one can be told
    /// ([`github::github_teams`]).
    pub github_teams: BTreeMap<String, String>,
    /// `input.index.reused_jobs` ([`github::reused_jobs`]).
    pub reused_jobs: Map<String, Value>,
    /// `input.index.people`: on-call user key → its GitHub login.
    pub people: BTreeMap<String, PersonJoin>,
    /// `input.index.unresolved_people`: on-call user keys no key joined to a login.
    pub unresolved_people: Vec<String>,
    /// Team id → its members, where a GitHub team or a catalog Group lists them.
    pub team_members: BTreeMap<String, TeamMembers>,
}

/// The evidence id of the join of `item` (seen by `source`) to service `service`.
pub fn join_evidence_id(service: &str, source: &str, item: &str) -> String {
    format!("resolve:{service}:{source}:{item}")
}

impl Resolution {
    /// Services as the scan result lists them.
    pub fn result_services(&self) -> Vec<Service> {
        self.services
            .iter()
            .map(|s| Service {
                id: s.id.clone(),
                team: s.team.clone(),
                team_source: s.team_source.clone(),
                resolved_from: s.resolved_from.clone(),
                found_in: s.found_in.clone(),
                environments: s.environments.clone(),
                joins: s.joins.clone(),
            })
            .collect()
    }

    /// `input.services` for the rules.
    pub fn input_services(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for s in &self.services {
            let value = serde_json::to_value(s).unwrap_or(Value::Null);
            out.insert(s.id.clone(), value);
        }
        out
    }

    /// `input.teams` for the rules: each team's services, the GitHub team it is
    /// (`github_team`, `<org>/<slug>`) when one can be told, and its `members`,
    /// `members_source` and `members_complete` when a source lists them.
    pub fn input_teams(&self) -> Map<String, Value> {
        self.teams
            .iter()
            .map(|(team, services)| {
                let mut t = json!({ "id": team, "services": services });
                if let Some(gh) = self.github_teams.get(team) {
                    t["github_team"] = json!(gh);
                }
                if let Some(m) = self.team_members.get(team) {
                    t["members"] = json!(m.members);
                    t["members_source"] = json!(m.source);
                    t["members_complete"] = json!(m.complete);
                }
                (team.clone(), t)
            })
            .collect()
    }

    /// What resolution adds to `input.index`: `reused_jobs`, `people` and
    /// `unresolved_people`. The caller merges it beside the engine's own indexes
    /// (`rule_metrics`).
    pub fn input_index(&self) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert(
            "reused_jobs".into(),
            Value::Object(self.reused_jobs.clone()),
        );
        out.insert(
            "people".into(),
            serde_json::to_value(&self.people).unwrap_or(Value::Null),
        );
        out.insert("unresolved_people".into(), json!(self.unresolved_people));
        out
    }

    /// One evidence record per join that a key (not the declaring file itself) made, so
    /// that a service's `found_in` cites how its cluster and Prometheus items were tied.
    pub fn join_evidence(&self, observed_at: &str) -> Vec<Evidence> {
        let mut out = Vec::new();
        for s in &self.services {
            for j in s.joins.iter().filter(|j| j.source != "git") {
                let excerpt = format!(
                    "{} item {} belongs to service {} by {}",
                    j.source, j.item, s.id, j.by
                );
                out.push(Evidence {
                    id: join_evidence_id(&s.id, &j.source, &j.item),
                    probe: "resolve".into(),
                    source: "evident resolution".into(),
                    locator: format!("{} {} ← {}", s.id, j.source, j.by),
                    location: None,
                    observed_at: observed_at.to_owned(),
                    revision: None,
                    sha256: Some(sha256_hex(excerpt.as_bytes())),
                    excerpt,
                });
            }
        }
        out
    }
}

/// Resolves services from the facts document (`{"git": {...}, "kubernetes": {...}, ...}`).
pub fn resolve(facts: &Value, config: &ResolveConfig) -> Resolution {
    let mut state = phases::State::default();
    state.read_repositories(facts.get("git"));
    state.join_live(facts.pointer("/kubernetes/workloads"), config);
    state.join_prometheus(facts.get("prometheus"), config);
    state.attach_git_rules(facts.pointer("/git/prometheus_rules"));
    state.apply_overrides(config);
    let oncall = read_oncall(&mut state, facts.get("oncall"));
    if let Some(oncall) = &oncall {
        state.join_oncall(oncall, config);
    }
    let github = view::GithubView::read(facts.get("github"));
    state.github_owners(&github);
    files::assign(&mut state, facts.get("git"));
    let mut resolution = state.finish();
    resolution.github_teams = github::github_teams(&resolution, &github);
    resolution.reused_jobs = github::reused_jobs(facts);
    let catalog = people::CatalogPeople::read(facts.get("git"));
    (resolution.people, resolution.unresolved_people) =
        people::people(oncall.as_ref(), config, &catalog, &github);
    resolution.team_members = people::team_members(&resolution, &github, &catalog);
    resolution
}

/// `facts.oncall` through its types: a document that does not fit joins nothing and is
/// listed as unresolved with why, never read as an estate without on-call.
fn read_oncall(
    state: &mut phases::State,
    raw: Option<&Value>,
) -> Option<evident_oncall::OncallFacts> {
    match evident_oncall::OncallFacts::from_value(raw.unwrap_or(&Value::Null)) {
        Ok(facts) => facts,
        Err(e) => {
            state.unresolved("oncall", "facts.oncall", e, vec![]);
            None
        }
    }
}

#[cfg(test)]
mod tests;
