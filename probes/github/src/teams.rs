//! An organisation's teams, members and repository permissions (`queries/teams.graphql`).

use crate::facts::GithubTeam;
use evident_core::Evidence;
use evident_github::tape::{SOURCE as TAPE_SOURCE, not_replayed};
use evident_github::{Client, GithubError};
use serde::Deserialize;
use std::collections::BTreeMap;

const QUERY: &str = include_str!("queries/teams.graphql");
const OPERATION: &str = "EvidentTeams";
/// Pages of 50 teams read at most: 1,000 teams.
const MAX_PAGES: usize = 20;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Members {
    total_count: u64,
    nodes: Vec<Option<Login>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Login {
    login: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct RepoEdge {
    permission: String,
    node: Option<NameWithOwner>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct NameWithOwner {
    name_with_owner: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Repos {
    total_count: u64,
    edges: Vec<Option<RepoEdge>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Team {
    slug: String,
    name: String,
    members: Option<Members>,
    repositories: Option<Repos>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Teams {
    #[serde(default)]
    page_info: PageInfo,
    #[serde(default)]
    nodes: Vec<Option<Team>>,
}

#[derive(Debug, Deserialize)]
struct Organization {
    teams: Teams,
}

/// Team pages kept between scans: teams change without any push, so they are reused
/// only while younger than the refresh bound (an hour by default).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct CachedTeams {
    fetched_at: i64,
    pages: Vec<(serde_json::Value, String)>,
}

/// Every team of `org`, with its permission on each repository of the scan (`keys`
/// maps lower-cased `owner/name` to the repository key).
pub(crate) async fn read(
    client: &Client,
    org: &str,
    keys: &BTreeMap<String, String>,
    observed_at: &str,
) -> Result<(BTreeMap<String, GithubTeam>, Vec<Evidence>), GithubError> {
    let key = format!("teams:{org}");
    let now = chrono::Utc::now().timestamp();
    // Pages the recorded scan reused from its cache were recorded as a value; the
    // replay (which has no cache) takes them from there.
    let reused_key = format!("value:teams-reused {org}");
    let tape = client.tape();
    let replayed = if tape.is_replaying() {
        match tape.replay_value::<Vec<(serde_json::Value, String)>>(TAPE_SOURCE, &reused_key) {
            Ok(pages) => Some(pages),
            Err(evident_snapshot::ReplayError::NotRecorded { .. }) => None,
            Err(e) => return Err(not_replayed(&reused_key, &e)),
        }
    } else {
        None
    };
    let fresh = client
        .cache()
        .and_then(|c| c.load::<CachedTeams>(&key))
        .filter(|c| now - c.fetched_at < client.config().refresh.as_secs() as i64);
    let pages = match (replayed, fresh) {
        (Some(pages), _) => {
            client.note_reused();
            pages
        }
        (None, Some(cached)) => {
            client.note_reused();
            tape.record_value(TAPE_SOURCE, &reused_key, &cached.pages);
            cached.pages
        }
        (None, None) => {
            let pages = ask(client, org).await?;
            if let Some(cache) = client.cache() {
                cache.store(
                    &key,
                    &CachedTeams {
                        fetched_at: now,
                        pages: pages.clone(),
                    },
                );
            }
            pages
        }
    };
    let path = format!("POST /graphql {OPERATION} {{org: {org}}}");
    let mut teams = BTreeMap::new();
    let mut records = Vec::new();
    for (org_value, sha256) in pages {
        let parsed: Organization =
            serde_json::from_value(org_value).map_err(|e| GithubError::Error {
                path: path.clone(),
                reason: format!("the answer is not of the documented shape: {e}"),
            })?;
        for team in parsed.teams.nodes.into_iter().flatten() {
            let t = team_of(org, team, keys);
            records.push(evidence(&t, &path, &sha256, observed_at));
            teams.insert(t.id.clone(), t);
        }
    }
    Ok((teams, records))
}

/// The `organization` of every page of teams, with each page's hash.
async fn ask(client: &Client, org: &str) -> Result<Vec<(serde_json::Value, String)>, GithubError> {
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    let path = format!("POST /graphql {OPERATION} {{org: {org}}}");
    for _ in 0..MAX_PAGES {
        let variables = serde_json::json!({"org": org, "after": after});
        let answer = client.graphql(OPERATION, QUERY, variables).await?;
        if let Some(e) = answer.errors.first() {
            let message = format!("{}: {} {}", e.path, e.kind, e.message);
            return Err(if e.kind == "FORBIDDEN" {
                GithubError::Forbidden { path, message }
            } else {
                GithubError::Error {
                    path,
                    reason: message,
                }
            });
        }
        let org_value = answer.data.get("organization").cloned().unwrap_or_default();
        let parsed: Organization =
            serde_json::from_value(org_value.clone()).map_err(|e| GithubError::Error {
                path: path.clone(),
                reason: format!("the answer is not of the documented shape: {e}"),
            })?;
        pages.push((org_value, answer.sha256));
        if !parsed.teams.page_info.has_next_page {
            return Ok(pages);
        }
        after = parsed.teams.page_info.end_cursor;
        if after.is_none() {
            break;
        }
    }
    Err(GithubError::Error {
        path,
        reason: format!(
            "more than {} teams (or a repeating page); not all read",
            MAX_PAGES * 50
        ),
    })
}

fn team_of(org: &str, team: Team, keys: &BTreeMap<String, String>) -> GithubTeam {
    // A team whose member list GitHub withheld (null) is not a team of nobody.
    let members_read = team.members.is_some();
    let members = team.members.unwrap_or_default();
    let logins: Vec<String> = members
        .nodes
        .iter()
        .flatten()
        .map(|m| m.login.to_lowercase())
        .collect();
    let mut repos = BTreeMap::new();
    let listed = team.repositories.unwrap_or_default();
    for edge in listed.edges.iter().flatten() {
        let Some(node) = &edge.node else { continue };
        if let Some(key) = keys.get(&node.name_with_owner.to_lowercase()) {
            repos.insert(key.clone(), edge.permission.to_lowercase());
        }
    }
    let id = format!("{org}/{}", team.slug).to_lowercase();
    GithubTeam {
        evidence: format!(
            "github:{}:team:{}",
            org.to_lowercase(),
            team.slug.to_lowercase()
        ),
        org: org.to_lowercase(),
        slug: team.slug.to_lowercase(),
        name: team.name,
        members_complete: members_read && logins.len() as u64 >= members.total_count,
        member_count: members.total_count,
        members: logins,
        repos,
        id,
    }
}

fn evidence(t: &GithubTeam, path: &str, sha256: &str, observed_at: &str) -> Evidence {
    let rights: Vec<String> = t.repos.iter().map(|(k, p)| format!("{k}: {p}")).collect();
    Evidence {
        id: t.evidence.clone(),
        probe: "github".into(),
        source: format!("github.com/orgs/{}/teams/{}", t.org, t.slug),
        locator: format!("{path} organization.teams[{}]", t.slug),
        location: None,
        observed_at: observed_at.to_owned(),
        revision: None,
        sha256: Some(sha256.to_owned()),
        excerpt: format!(
            "team {} ({}): {} members [{}]; repositories [{}]",
            t.id,
            t.name,
            t.member_count,
            t.members.join(", "),
            rights.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_member_list_is_not_a_complete_team_of_nobody() {
        let team = Team {
            slug: "web".into(),
            name: "Web".into(),
            members: None,
            repositories: None,
        };
        let t = team_of("acme", team, &BTreeMap::new());
        assert_eq!(t.member_count, 0);
        assert!(!t.members_complete);
    }
}
