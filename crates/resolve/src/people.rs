//! People: which GitHub login each on-call user is, and who the members of each team
//! are.
//!
//! Criteria about the people who carry the pager (how many, whether they also write
//! the code) compare on-call users with GitHub logins, and the two systems share no
//! key but the email address. Users are joined by, in order: the plan's people mapping
//! (a person said so), catalog `User` entities (the organisation's own directory), commit
//! authors GitHub ties to a login (the weakest: a shared or reused address). Emails are
//! compared only as [`evident_oncall::email_key`] hashes. A key that gives several logins
//! joins none: a person is never guessed.

use crate::view::{CatalogView, GithubView, read};
use crate::{PersonJoin, Resolution, ResolveConfig, TeamMembers};
use evident_oncall::{OncallFacts, email_key};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The catalog annotation naming a User entity's GitHub login.
const USER_LOGIN: &str = "github.com/user-login";

/// What the catalog says about people, read once from every repository's entities.
#[derive(Debug, Default)]
pub(crate) struct CatalogPeople {
    /// Lower-cased User entity name → its login.
    logins: BTreeMap<String, String>,
    /// Email hash → `(entity name, login)` of the User entities with that email.
    by_email: BTreeMap<String, BTreeSet<(String, String)>>,
    /// Lower-cased Group name → the member lists of the Group entities of that name.
    groups: BTreeMap<String, Vec<Vec<String>>>,
}

/// `user:default/alice`, `group:web`, `default/alice`, `@acme/web` → `alice`, `web`.
fn entity_name(reference: &str) -> String {
    let r = reference.trim().to_lowercase();
    let r = r.split_once(':').map_or(r.as_str(), |(_, rest)| rest);
    let r = r.strip_prefix('@').unwrap_or(r);
    r.rsplit('/').next().unwrap_or(r).to_owned()
}

impl CatalogPeople {
    /// Reads the `User` and `Group` entities of `facts.git.repos[*].catalog`; an entity
    /// of the wrong shape is skipped (resolution of services lists it already).
    pub(crate) fn read(git: Option<&Value>) -> Self {
        let mut out = CatalogPeople::default();
        let repos = git.and_then(|g| g.get("repos")).and_then(Value::as_object);
        let entities = repos
            .into_iter()
            .flatten()
            .filter_map(|(_, r)| r.get("catalog").and_then(Value::as_array))
            .flatten()
            .filter_map(|raw| read::<CatalogView>(raw).ok());
        for e in entities {
            let Some(name) = e.name.as_deref().map(entity_name) else {
                continue;
            };
            match e.kind.as_deref() {
                Some("User") => {
                    let login = e
                        .annotation(USER_LOGIN)
                        .map_or_else(|| name.clone(), str::to_lowercase);
                    if let Some(hash) = &e.email_hash {
                        out.by_email
                            .entry(hash.to_lowercase())
                            .or_default()
                            .insert((name.clone(), login.clone()));
                    }
                    out.logins.insert(name, login);
                }
                Some("Group") => out.groups.entry(name).or_default().push(e.members.clone()),
                _ => {}
            }
        }
        out
    }

    /// The login of a User entity reference: its annotation, else the entity's name.
    fn login_of(&self, reference: &str) -> String {
        let name = entity_name(reference);
        self.logins.get(&name).cloned().unwrap_or(name)
    }
}

/// The single login of a set, or none when it is empty or holds several.
fn single<'a>(logins: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let set: BTreeSet<&str> = logins.into_iter().collect();
    match set.into_iter().collect::<Vec<_>>()[..] {
        [only] => Some(only.to_owned()),
        _ => None,
    }
}

/// The join key of a people-mapping email: its hash, or the hash itself when the mapping
/// was read back from a snapshot's plan, which keeps emails only as `sha256:<hash>`.
fn mapped_email_key(email: &str) -> String {
    match email.strip_prefix(EMAIL_HASH_PREFIX) {
        Some(hash) => hash.to_owned(),
        None => email_key(email),
    }
}

/// What marks a people-mapping email already hashed (`sha256:<email_key>`).
pub const EMAIL_HASH_PREFIX: &str = "sha256:";

/// Every join key of the people mapping: on-call user key or email hash → logins.
fn mapping(config: &ResolveConfig) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &config.people {
        let login = p.login.trim().trim_start_matches('@').to_lowercase();
        let keys = p
            .oncall
            .iter()
            .map(|k| k.trim().to_owned())
            .chain(p.emails.iter().map(|e| mapped_email_key(e)));
        for k in keys {
            out.entry(k).or_default().insert(login.clone());
        }
    }
    out
}

/// Email hash → `(login, repository full name)` of every commit author GitHub tied.
fn commit_authors(github: &GithubView) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (key, repo) in &github.repos {
        let name = if repo.full_name.is_empty() {
            key.clone()
        } else {
            repo.full_name.clone()
        };
        for a in &repo.commit_authors {
            let (Some(hash), Some(login)) = (&a.email_hash, &a.login) else {
                continue;
            };
            out.entry(hash.to_lowercase())
                .or_default()
                .insert((login.to_lowercase(), name.clone()));
        }
    }
    out
}

/// `input.index.people` and `input.index.unresolved_people`: one entry per on-call
/// user, joined to a login by the mapping, else the catalog, else commit authors.
pub(crate) fn people(
    oncall: Option<&OncallFacts>,
    config: &ResolveConfig,
    catalog: &CatalogPeople,
    github: &GithubView,
) -> (BTreeMap<String, PersonJoin>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut unresolved = Vec::new();
    let Some(oncall) = oncall else {
        return (out, unresolved);
    };
    let mapped = mapping(config);
    let authors = commit_authors(github);
    let none = BTreeSet::new();
    for u in oncall.users.values() {
        let hash = u.email_hash.as_deref().map(str::to_lowercase);
        let of_hash = |map: &BTreeMap<String, BTreeSet<(String, String)>>| {
            hash.as_ref()
                .and_then(|h| map.get(h))
                .unwrap_or(&none)
                .clone()
        };
        let by_mapping: BTreeSet<String> = [Some(u.key.clone()), hash.clone()]
            .into_iter()
            .flatten()
            .filter_map(|k| mapped.get(&k))
            .flatten()
            .cloned()
            .collect();
        let users = of_hash(&catalog.by_email);
        let commits = of_hash(&authors);
        let joined = if !by_mapping.is_empty() {
            single(by_mapping.iter().map(String::as_str)).map(|l| (l, "people mapping".to_owned()))
        } else if !users.is_empty() {
            single(users.iter().map(|(_, l)| l.as_str())).and_then(|l| {
                let entity = users.iter().find(|(_, x)| *x == l)?.0.clone();
                Some((l, format!("catalog User {entity}")))
            })
        } else {
            single(commits.iter().map(|(l, _)| l.as_str())).and_then(|l| {
                let repo = commits.iter().find(|(x, _)| *x == l)?.1.clone();
                Some((l, format!("commit author in {repo}")))
            })
        };
        if joined.is_none() {
            unresolved.push(u.key.clone());
        }
        let (login, by) = joined.map_or((None, None), |(l, b)| (Some(l), Some(b)));
        out.insert(
            u.key.clone(),
            PersonJoin {
                login,
                by,
                name: u.name.clone(),
            },
        );
    }
    unresolved.sort();
    (out, unresolved)
}

/// The members of each team of the resolution: the GitHub team it is, when that team
/// was read; else the catalog `Group` entity of its name (when exactly one has it), its
/// `spec.members` mapped to logins through the User entities.
pub(crate) fn team_members(
    resolution: &Resolution,
    github: &GithubView,
    catalog: &CatalogPeople,
) -> BTreeMap<String, TeamMembers> {
    let mut out = BTreeMap::new();
    for team in resolution.teams.keys() {
        let gh = resolution
            .github_teams
            .get(team)
            .and_then(|id| github.teams.get(id));
        let members = if let Some(t) = gh {
            let members: BTreeSet<String> = t.members.iter().map(|m| m.to_lowercase()).collect();
            Some(TeamMembers {
                members: members.into_iter().collect(),
                source: format!("github team {}", t.id),
                complete: t.members_complete.unwrap_or(false),
            })
        } else if team.trim().to_lowercase().starts_with("user:") {
            None
        } else {
            let name = entity_name(team);
            match catalog.groups.get(&name).map(Vec::as_slice) {
                Some([only]) => {
                    let members: BTreeSet<String> =
                        only.iter().map(|m| catalog.login_of(m)).collect();
                    Some(TeamMembers {
                        members: members.into_iter().collect(),
                        source: format!("catalog Group {name}"),
                        complete: true,
                    })
                }
                _ => None,
            }
        };
        if let Some(m) = members {
            out.insert(team.clone(), m);
        }
    }
    out
}

#[cfg(test)]
mod hashed_email_tests {
    use super::*;

    #[test]
    fn a_hashed_email_joins_as_the_email_itself() {
        let hashed = format!("{EMAIL_HASH_PREFIX}{}", email_key("Alice@Example.com"));
        assert_eq!(
            mapped_email_key(&hashed),
            mapped_email_key("alice@example.com")
        );
    }
}
