//! What resolution reads from GitHub: the owning team of a service nobody else names
//! (the GitHub team with admin, else maintain, rights on its repository), the GitHub
//! team each resolved team is, and the index of reusable workflows a job calls.

use crate::Resolution;
use crate::phases::State;
use crate::view::{CiJobView, GithubView, read};
use evident_core::{ServiceJoin, UnresolvedItem};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How deep calls of reusable workflows are followed (GitHub allows a few levels).
const MAX_REUSE_DEPTH: usize = 4;

/// The team id a GitHub team owner gets: `@org/slug`, as CODEOWNERS names it, so a
/// team found both ways is one team.
fn owner_id(team_id: &str) -> String {
    format!("@{team_id}")
}

impl State {
    /// Phase 6: a service without a catalog, CODEOWNERS, label or configured owner is
    /// owned by the GitHub team with admin rights on its repositories, else the one with
    /// maintain rights. Several teams with the strongest right found is ambiguous: the
    /// service stays unowned (an unowned service is itself a finding) and the candidates
    /// are listed as unresolved, never chosen by guess.
    pub fn github_owners(&mut self, view: &GithubView) {
        for (item, why) in &view.unreadable {
            self.unresolved.push(UnresolvedItem {
                source: "github".into(),
                item: item.clone(),
                reason: format!("could not read: {why}"),
                evidence: vec![],
            });
        }
        if view.teams.is_empty() {
            return;
        }
        // Repository key -> (permission, team id), once.
        let mut rights: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for t in view.teams.values() {
            for (repo, perm) in &t.repos {
                rights
                    .entry(repo.as_str())
                    .or_default()
                    .push((perm.as_str(), t.id.as_str()));
            }
        }
        let mut unresolved = Vec::new();
        for d in self.drafts.iter_mut().filter(|d| d.team.is_none()) {
            for perm in ["admin", "maintain"] {
                let found: BTreeSet<(&str, &str)> = d
                    .repos
                    .iter()
                    .flat_map(|r| {
                        rights
                            .get(r.as_str())
                            .into_iter()
                            .flatten()
                            .filter(|(p, _)| *p == perm)
                            .map(move |(_, t)| (*t, r.as_str()))
                    })
                    .collect();
                let teams: BTreeSet<&str> = found.iter().map(|(t, _)| *t).collect();
                if teams.is_empty() {
                    continue;
                }
                let repos: BTreeSet<String> = found
                    .iter()
                    .map(|(_, r)| {
                        view.repos
                            .get(*r)
                            .map_or_else(|| (*r).to_owned(), |g| g.full_name.clone())
                    })
                    .collect();
                let repos = repos.into_iter().collect::<Vec<_>>().join(", ");
                let evidence: Vec<String> = teams
                    .iter()
                    .filter_map(|t| view.teams.get(*t))
                    .flat_map(|t| t.evidence.to_vec())
                    .collect();
                if teams.len() == 1 {
                    let Some(team) = teams.first() else {
                        break;
                    };
                    d.team = Some((owner_id(team), format!("github {perm}")));
                    d.found_in.extend(evidence.iter().cloned());
                    d.joins.push(ServiceJoin {
                        source: "github".into(),
                        item: format!("team {team}"),
                        by: format!("{perm} rights on repository {repos}"),
                        evidence,
                    });
                } else {
                    let names = teams.iter().copied().collect::<Vec<_>>().join(", ");
                    unresolved.push(UnresolvedItem {
                        source: "github".into(),
                        item: format!("owner of {}", d.name),
                        reason: format!(
                            "ambiguous: teams {names} all have {perm} rights on repository {repos}; the service is left unowned rather than resolved by guess"
                        ),
                        evidence,
                    });
                }
                break;
            }
        }
        self.unresolved.extend(unresolved);
    }
}

/// The GitHub team (`<org>/<slug>`) each resolved team is, where one can be told:
/// `@org/slug` (CODEOWNERS, or a GitHub owner) when that team was read; otherwise the
/// name's last segment as a slug (`group:default/web`, `group:web`, `web`), when exactly
/// one team of the organisations read has it, or exactly one of those of the
/// organisations that hold the team's repositories. Users (`user:`, `@alice`) and
/// unknown names are tied to none.
pub fn github_teams(resolution: &Resolution, view: &GithubView) -> BTreeMap<String, String> {
    let mut by_slug: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for t in view.teams.values() {
        by_slug
            .entry(t.slug.to_lowercase())
            .or_default()
            .push(t.id.as_str());
    }
    let repos_of: BTreeMap<&str, &Vec<String>> = resolution
        .services
        .iter()
        .map(|s| (s.id.as_str(), &s.repos))
        .collect();
    let mut out = BTreeMap::new();
    for (team, services) in &resolution.teams {
        let orgs: BTreeSet<String> = services
            .iter()
            .filter_map(|s| repos_of.get(s.as_str()))
            .flat_map(|rs| rs.iter())
            .filter_map(|r| view.repos.get(r))
            .filter_map(|g| g.full_name.split_once('/').map(|(o, _)| o.to_lowercase()))
            .collect();
        if let Some(id) = github_team_of(team, &orgs, view, &by_slug) {
            out.insert(team.clone(), id);
        }
    }
    out
}

fn github_team_of(
    team: &str,
    orgs: &BTreeSet<String>,
    view: &GithubView,
    by_slug: &BTreeMap<String, Vec<&str>>,
) -> Option<String> {
    let name = team.trim().to_lowercase();
    if name.starts_with("user:") {
        return None;
    }
    let name = name.strip_prefix("group:").unwrap_or(&name);
    let name = name.strip_prefix('@').unwrap_or(name);
    if name.contains('/') && view.teams.contains_key(name) {
        return Some(name.to_owned());
    }
    let slug = name.rsplit('/').next().unwrap_or(name);
    let candidates = by_slug.get(slug)?;
    if let [only] = candidates.as_slice() {
        return Some((*only).to_owned());
    }
    let in_orgs: Vec<&&str> = candidates
        .iter()
        .filter(|id| {
            id.split_once('/')
                .is_some_and(|(org, _)| orgs.contains(org))
        })
        .collect();
    match in_orgs.as_slice() {
        [only] => Some((**only).to_owned()),
        _ => None,
    }
}

/// A call of a reusable GitHub Actions workflow: the repository it names (`None` for a
/// workflow of the caller's own repository, `./.github/workflows/x.yml`) and the path.
fn workflow_call(reuse: &str) -> Option<(Option<String>, String)> {
    if let Some(local) = reuse.strip_prefix("./") {
        let path = local.split('@').next().unwrap_or(local);
        return path
            .starts_with(".github/workflows/")
            .then(|| (None, path.to_owned()));
    }
    let (target, _) = reuse.split_once('@')?;
    let mut parts = target.splitn(3, '/');
    let (owner, repo, path) = (parts.next()?, parts.next()?, parts.next()?);
    if owner.is_empty() || repo.is_empty() || !path.starts_with(".github/workflows/") {
        return None;
    }
    Some((Some(format!("{owner}/{repo}")), path.to_owned()))
}

/// What the jobs a call reaches do, gathered over nested calls.
#[derive(Default)]
struct Reached {
    kinds: BTreeSet<String>,
    targets: BTreeSet<String>,
    evidence: Vec<String>,
    jobs: Vec<String>,
    unresolved: Vec<Value>,
}

struct Jobs {
    /// `(repo key, file path)` -> its jobs.
    by_file: BTreeMap<(String, String), Vec<CiJobView>>,
    /// Lower-cased `owner/name` (GitHub), or a repository key -> repository key.
    by_name: BTreeMap<String, String>,
}

impl Jobs {
    fn target_repo(&self, caller: &str, repo: Option<&str>) -> Option<String> {
        match repo {
            None => Some(caller.to_owned()),
            Some(full) => {
                let full = full.to_lowercase();
                self.by_name.get(&full).cloned().or_else(|| {
                    full.split_once('/')
                        .and_then(|(_, name)| self.by_name.get(name).cloned())
                })
            }
        }
    }

    fn follow(&self, caller: &str, reuse: &str, depth: usize, out: &mut Reached) {
        let Some((repo, path)) = workflow_call(reuse) else {
            return;
        };
        let unresolved = |why: String| json!({"reuses": reuse, "why": why});
        let Some(key) = self.target_repo(caller, repo.as_deref()) else {
            let name = repo.unwrap_or_default();
            out.unresolved
                .push(unresolved(format!("{name} is not in this scan")));
            return;
        };
        let Some(jobs) = self.by_file.get(&(key.clone(), path.clone())) else {
            out.unresolved.push(unresolved(format!(
                "no jobs were read from {path} of repository {key}"
            )));
            return;
        };
        for j in jobs {
            for k in &j.kinds {
                if k == "deploy" && j.local_cluster {
                    continue;
                }
                out.kinds.insert(k.clone());
            }
            out.targets.extend(j.deploy_targets.iter().cloned());
            out.evidence.extend(j.evidence.to_vec());
            out.jobs.push(format!("{key}/{}", j.id));
            for nested in &j.reuses {
                if depth + 1 < MAX_REUSE_DEPTH {
                    self.follow(&key, nested, depth + 1, out);
                } else if workflow_call(nested).is_some() {
                    out.unresolved.push(json!({"reuses": nested, "why": format!("calls nested deeper than {MAX_REUSE_DEPTH} levels are not followed")}));
                }
            }
        }
    }
}

/// `input.index.reused_jobs`: for every CI job that calls a reusable workflow
/// (`reuses` of the form `owner/repo/.github/workflows/x.yml@ref` or
/// `./.github/workflows/x.yml`), keyed `<repo key>/<job id>`: the kinds and deploy
/// targets of the called workflow's jobs (nested calls followed), their evidence and
/// ids, and the calls whose workflow nothing in the scan holds (`unresolved`, each
/// `{reuses, why}`). The called repository is the one whose GitHub `full_name` is
/// `owner/repo`, else the repository whose key is `repo`. Jobs that call none are not
/// listed. See docs/facts.md.
pub fn reused_jobs(facts: &Value) -> Map<String, Value> {
    let mut by_file: BTreeMap<(String, String), Vec<CiJobView>> = BTreeMap::new();
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    let repos = facts.pointer("/git/repos").and_then(Value::as_object);
    for (key, repo) in repos.into_iter().flatten() {
        by_name.insert(key.to_lowercase(), key.clone());
        let jobs = repo
            .pointer("/ci/jobs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for raw in jobs {
            if let Ok(j) = read::<CiJobView>(raw) {
                by_file
                    .entry((key.clone(), j.path.clone()))
                    .or_default()
                    .push(j);
            }
        }
    }
    let github = GithubView::read(facts.get("github"));
    for (key, g) in &github.repos {
        if !g.full_name.is_empty() {
            by_name.insert(g.full_name.to_lowercase(), key.clone());
        }
    }
    let index = Jobs { by_file, by_name };
    let mut out = Map::new();
    for ((key, _), jobs) in &index.by_file {
        for j in jobs {
            let calls: Vec<&String> = j
                .reuses
                .iter()
                .filter(|r| workflow_call(r).is_some())
                .collect();
            if calls.is_empty() {
                continue;
            }
            let mut reached = Reached::default();
            for r in &calls {
                index.follow(key, r, 0, &mut reached);
            }
            out.insert(
                format!("{key}/{}", j.id),
                json!({
                    "reuses": calls,
                    "kinds": reached.kinds,
                    "deploy_targets": reached.targets,
                    "evidence": reached.evidence,
                    "jobs": reached.jobs,
                    "unresolved": reached.unresolved,
                }),
            );
        }
    }
    out
}
