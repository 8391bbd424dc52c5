//! Which repositories a `--github` target names: an organisation's (or a user's)
//! repositories, or one repository.

use crate::{Client, GithubError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `--github` argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Target {
    /// `ORG` (or a user): every repository it owns.
    Owner(String),
    /// `OWNER/REPO`: that repository alone.
    Repo {
        /// The owner's login.
        owner: String,
        /// The repository's name.
        name: String,
    },
}

impl Target {
    /// Reads `ORG` or `OWNER/REPO`; anything else is refused with what was expected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match text.trim().split_once('/') {
            None if valid(text.trim()) => Ok(Self::Owner(text.trim().to_owned())),
            Some((owner, name)) if valid(owner) && valid(name) => Ok(Self::Repo {
                owner: owner.to_owned(),
                name: name.trim_end_matches(".git").to_owned(),
            }),
            _ => Err(format!(
                "--github {text}: expected an organisation (acme) or a repository (acme/shop)"
            )),
        }
    }
}

/// One repository as GitHub lists it: what the scan clones and the probe reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoListing {
    /// `owner/name`.
    pub full_name: String,
    /// The owner's login.
    pub owner: String,
    /// The repository's name.
    pub name: String,
    /// Where git clones it from.
    pub clone_url: String,
    /// Where a person opens it.
    pub html_url: String,
    /// Its default branch (none for an empty repository).
    pub default_branch: Option<String>,
    /// The last push, which tells an unchanged repository from a changed one.
    pub pushed_at: Option<String>,
    /// Archived repositories are skipped unless asked for.
    pub archived: bool,
    /// Forks are skipped unless asked for.
    pub fork: bool,
    /// The API path it was listed by.
    pub listed_by: String,
    /// Hex sha256 of the page it was listed on.
    pub sha256: String,
}

/// What the listing found: repositories to scan, repositories set aside and why,
/// organisations (whose teams the probe reads) and targets that could not be listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Repositories to scan, in the order listed, each once.
    pub repos: Vec<RepoListing>,
    /// `(owner/name, why)` of repositories listed but not scanned.
    pub skipped: Vec<(String, String)>,
    /// Organisations among the targets (users have no teams).
    pub orgs: Vec<String>,
    /// Targets (or listing items) that could not be read.
    pub failed: Vec<(String, GithubError)>,
    /// Listings cut short (pages bound, repeated pages), with the reason.
    pub incomplete: Vec<(String, String)>,
    /// Every page of every listing answered 304: nothing was pushed since the last scan.
    pub unchanged: bool,
}

#[derive(Deserialize)]
struct Owner {
    login: String,
}

#[derive(Deserialize)]
struct Item {
    full_name: String,
    name: String,
    owner: Owner,
    clone_url: String,
    html_url: String,
    #[serde(default)]
    default_branch: Option<String>,
    #[serde(default)]
    pushed_at: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    fork: bool,
}

fn as_list(v: &Value) -> Option<&Vec<Value>> {
    v.as_array()
}

impl Listing {
    fn take(&mut self, item: &Value, listed_by: &str, sha256: &str, archived: bool, forks: bool) {
        let parsed: Item = match serde_json::from_value(item.clone()) {
            Ok(i) => i,
            Err(e) => {
                let name = item
                    .get("full_name")
                    .and_then(Value::as_str)
                    .unwrap_or("an item");
                self.failed.push((
                    format!("{listed_by}: {name}"),
                    GithubError::Error {
                        path: listed_by.to_owned(),
                        reason: format!("{name} is not a repository as the API documents it: {e}"),
                    },
                ));
                return;
            }
        };
        if self.repos.iter().any(|r| r.full_name == parsed.full_name) {
            return;
        }
        let why = if parsed.archived && !archived {
            Some("archived (give --github-include-archived to scan it)")
        } else if parsed.fork && !forks {
            Some("fork (give --github-include-forks to scan it)")
        } else {
            None
        };
        if let Some(why) = why {
            self.skipped.push((parsed.full_name, why.to_owned()));
            return;
        }
        self.repos.push(RepoListing {
            full_name: parsed.full_name,
            owner: parsed.owner.login,
            name: parsed.name,
            clone_url: parsed.clone_url,
            html_url: parsed.html_url,
            default_branch: parsed.default_branch,
            pushed_at: parsed.pushed_at,
            archived: parsed.archived,
            fork: parsed.fork,
            listed_by: listed_by.to_owned(),
            sha256: sha256.to_owned(),
        });
    }
}

/// Lists every target. A target that fails is recorded and the others go on.
pub async fn list(
    client: &Client,
    targets: &[Target],
    include_archived: bool,
    include_forks: bool,
) -> Listing {
    let mut listing = Listing {
        unchanged: true,
        ..Listing::default()
    };
    for target in targets {
        match target {
            Target::Owner(owner) => {
                list_owner(client, owner, include_archived, include_forks, &mut listing).await
            }
            Target::Repo { owner, name } => {
                let path = format!("/repos/{owner}/{name}");
                match client.get(&path).await {
                    Ok(answer) => {
                        listing.unchanged &= answer.not_modified;
                        // Asked for by name: scanned even when archived or a fork.
                        listing.take(&answer.json, &path, &answer.sha256, true, true);
                        if !listing.orgs.contains(owner) && owner_is_org(&answer.json) {
                            listing.orgs.push(owner.clone());
                        }
                    }
                    Err(e) => listing.failed.push((format!("{owner}/{name}"), e)),
                }
            }
        }
    }
    listing
}

fn owner_is_org(repo: &Value) -> bool {
    repo.pointer("/owner/type").and_then(Value::as_str) == Some("Organization")
}

async fn list_owner(
    client: &Client,
    owner: &str,
    archived: bool,
    forks: bool,
    listing: &mut Listing,
) {
    let org_path = format!("/orgs/{owner}/repos?type=all&per_page=100");
    let (path, pages) = match client.get_pages(&org_path, as_list).await {
        Err(GithubError::NotFound { .. }) => {
            // Not an organisation: a user's own repositories (users have no teams).
            let user_path = format!("/users/{owner}/repos?type=owner&per_page=100");
            let pages = client.get_pages(&user_path, as_list).await;
            (user_path, pages)
        }
        other => {
            if other.is_ok() {
                listing.orgs.push(owner.to_owned());
            }
            (org_path, other)
        }
    };
    match pages {
        Ok(pages) => {
            listing.unchanged &= pages.unchanged;
            if let Some(cut) = &pages.cut {
                listing.incomplete.push((path.clone(), cut.clone()));
            }
            let sha = pages.sha256.first().cloned().unwrap_or_default();
            for item in &pages.items {
                listing.take(item, &path, &sha, archived, forks);
            }
        }
        Err(e) => listing.failed.push((owner.to_owned(), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_an_owner_or_one_repository() {
        assert_eq!(Target::parse("acme"), Ok(Target::Owner("acme".into())));
        assert_eq!(
            Target::parse("acme/shop.git"),
            Ok(Target::Repo {
                owner: "acme".into(),
                name: "shop".into()
            })
        );
        assert!(Target::parse("acme/shop/x").is_err());
        assert!(Target::parse("https://github.com/acme").is_err());
    }
}
