# cams.sharing.cross-team-tooling: teams contribute improvements to tooling provided by
# other teams (scope: estate).
#
# Tooling teams: GitHub teams whose slug or name contains platform, tooling, tools,
# infra, devex, developer-experience, enablement, sre or devops. Their repositories: the
# repositories of the services whose owning team resolution tied to such a GitHub team
# (`input.teams[t].github_team`), plus the repositories such a team holds admin or
# maintain rights on (`teams[].repos`).
# Met: in the last 180 days (the pull requests window) a pull request authored by a
# member of another GitHub team, who is not a member of the tooling team owning the
# repository, was merged into one of them; cites the pull requests.
# Not met: every merged pull request of those repositories in the window was authored by
# the tooling teams' own members or by people in no team; names the repositories.
# Not applicable: no tooling team owns a repository of the scan.
# Unknown: the teams could not be read; no contribution was found and the pull requests
# of a tooling repository were not read (named, with the status): a contribution found in
# one repository proves met whatever an unread one holds; a not_met while a repository holds more merged
# pull requests than were read or a member list was cut (partial).
package evident.rules.cams.sharing.cross_team_tooling

import data.evident.lib
import rego.v1

markers := ["platform", "tooling", "tools", "infra", "devex", "developer-experience", "enablement", "sre", "devops"]

tooling_team(t) if {
	some m in markers
	contains(lower(sprintf("%s %s", [object.get(t, "slug", ""), object.get(t, "name", "")])), m)
}

tooling_ids := {id | some id, t in lib.gh_team_map; tooling_team(t)}

# Pairs of repository key and the tooling team that owns it (flat sets: regorus' RVM
# drops the key of a multi-value rule).
tooling_pairs := {[k, id] |
	some _, team in input.teams
	id := object.get(team, "github_team", null)
	id in tooling_ids
	some sid in team.services
	some k in object.get(object.get(input.services, sid, {}), "repos", [])
} | {[k, id] |
	some id in tooling_ids
	some k, perm in object.get(lib.gh_team_map[id], "repos", {})
	perm in {"admin", "maintain"}
}

# Pairs of login and team, for every membership read.
memberships := {[lower(m), id] | some id, t in lib.gh_team_map; some m in object.get(t, "members", [])}

team_ids := {id | some id, _ in lib.gh_team_map}

repo_keys := [k | some k in {p[0] | some p in tooling_pairs}; object.get(lib.gh_repo_map, k, null) != null]

gaps := [g | some k in repo_keys; some g in [lib.gh_gap(k, "pull_requests")]; g != null]

pulls_of(k) := [object.union(p, {"repo": k}) |
	some p in object.get(object.get(lib.gh_repo_map[k], "pull_requests", {}), "items", [])
	lib.within_days(p.merged_at, 180)
]

# Authored by a member of a team that does not own the repository, who is not a member
# of a team that does.
contribution(k, p) if {
	login := lower(p.author)
	some id in team_ids
	[login, id] in memberships
	not [k, id] in tooling_pairs
	not owner_member(k, login)
}

owner_member(k, login) if {
	some id in tooling_ids
	[k, id] in tooling_pairs
	[login, id] in memberships
}

contributions := [p | some k in repo_keys; some p in pulls_of(k); contribution(k, p)]

partial if {
	some k in repo_keys
	object.get(object.get(lib.gh_repo_map[k], "pull_requests", {}), "complete", true) == false
}

partial if {
	some _, t in lib.gh_team_map
	object.get(t, "members_complete", true) == false
}

names := concat(", ", sort([lib.gh_name(k) | some k in repo_keys]))

result := lib.teams_unknown("which teams contribute to tooling") if {
	lib.teams_unread
} else := lib.not_applicable("no platform or tooling team (by GitHub team slug or name) owns a repository of the scan") if {
	count(repo_keys) == 0
} else := lib.met(
	sprintf("%d pull requests by members of other teams merged into tooling repositories in 180 days: %s", [count(contributions), concat(", ", [sprintf("%s by %s", [lib.pr_ref(p), p.author]) | some p in contributions])]),
	lib.ev(contributions),
) if {
	count(contributions) > 0
} else := lib.gap_list_verdict(gaps, "contributions to tooling repositories") if {
	count(gaps) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need every merged pull request and every team member, but GitHub gave part of them (tooling repositories: %s)", [names]),
	"evidence": [],
	"missing": ["merged pull requests by members of other teams"],
} if {
	partial
} else := lib.not_met(
	sprintf("no pull request by a member of another team merged into the tooling repositories in 180 days: %s", [names]),
	[id | some k in repo_keys; id := lib.gh_repo_map[k].evidence],
	[sprintf("a merged contribution from another team to %s", [names])],
)
