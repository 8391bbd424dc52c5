# ds.smell.release-handovers (smell; met means absent): handovers of big releases
# between silos are the typical workflow (proxy).
#
# Judged from the GitHub environments of the service's repositories that are production
# environments (`environments[].production`) and belong to the service (an environment
# naming another service of the repository is that service's; one naming none is shared,
# as for deployments). Their required reviewers are who must approve a production
# deploy.
# Absent (met): every reviewer is inside the owning team: a user reviewer is a member of
# the team's GitHub team (`input.teams[svc.team].github_team`), a team reviewer is that
# team itself; or no production environment requires reviewers (no approval gate, so no
# handover); cites the environments (or the repository records).
# Present (not met): a reviewer outside the owning team; the result names each one and
# the environment.
# Unknown: the environments of a repository were not read (a token without admin rights:
# forbidden; rate_limited, ...); there are reviewers and the team's members are unknown
# (teams not read, the service has no owning team, or its team is not tied to a GitHub
# team); a user reviewer not among the members when the member list was cut (partial);
# the service's repositories are not on GitHub (not_configured).
package evident.rules.ds.smell.release_handovers

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

envs(svc) := [object.union(e, {"repo": k}) |
	some k in lib.github_keys(svc)
	some e in object.get(lib.gh_repo_map[k], "environments", [])
	e.production
	lib.belongs(k, e.name, svc)
]

reviewers(svc) := [object.union(r, {"env": e.name, "repo": e.repo}) | some e in envs(svc); some r in object.get(e, "reviewers", [])]

team_of(svc) := lib.github_team(svc.team) if {
	is_string(svc.team)
} else := null

outsider(r, t) if {
	r.type == "user"
	not lower(r.login) in lib.team_members(t)
}

outsider(r, t) if {
	r.type == "team"
	lower(r.team) != lower(t.id)
}

who(r) := sprintf("user %s", [r.login]) if r.type == "user"

who(r) := sprintf("team %s", [r.team]) if r.type == "team"

outsiders(svc, t) := [sprintf("production environment %s of %s requires approval by %s, outside %s", [r.env, lib.gh_name(r.repo), who(r), t.id]) |
	some r in reviewers(svc)
	outsider(r, t)
]

evidence(svc) := lib.ev(envs(svc)) if count(envs(svc)) > 0

evidence(svc) := lib.ev(lib.github_repos(svc)) if count(envs(svc)) == 0

verdict(svc) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": lib.github_unchecked(svc, "production approvals"),
	"evidence": [],
	"missing": ["github"],
} if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, ["environments"], "who approves production deploys") if {
	lib.github_has_gap(svc, ["environments"])
} else := lib.met(
	sprintf("no production environment requires an approval (%d production environments)", [count(envs(svc))]),
	evidence(svc),
) if {
	count(reviewers(svc)) == 0
} else := lib.teams_unknown("who may approve production deploys") if {
	lib.teams_unread
} else := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": "production deploys require approval, and the service has no owning team to compare the reviewers with",
	"evidence": evidence(svc),
	"missing": ["an owning team"],
} if {
	not is_string(svc.team)
} else := lib.not_a_github_team(svc.team, "who may approve production deploys") if {
	team_of(svc) == null
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need every member of %s, but GitHub gave part of the list: %s", [t.id, concat("; ", outsiders(svc, t))]),
	"evidence": evidence(svc),
	"missing": outsiders(svc, t),
} if {
	t := team_of(svc)
	t != null
	count(outsiders(svc, t)) > 0
	object.get(t, "members_complete", true) == false
	count([r | some r in reviewers(svc); r.type == "team"; outsider(r, t)]) == 0
} else := lib.not_met(
	sprintf("production deploys need approval from outside the owning team: %s", [concat("; ", outsiders(svc, t))]),
	evidence(svc),
	outsiders(svc, t),
) if {
	t := team_of(svc)
	t != null
	count(outsiders(svc, t)) > 0
} else := lib.met(
	sprintf("production deploys are approved within %s: %s", [t.id, concat(", ", {who(r) | some r in reviewers(svc)})]),
	array.concat(evidence(svc), lib.as_list(t.evidence)),
) if {
	t := team_of(svc)
	t != null
}
