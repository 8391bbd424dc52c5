# ds.org.cross-functional: co-located, cross-functional teams (scope: team; proxy).
#
# Judged per team of input.teams from GitHub: the pull requests merged in the last 90
# days into the repositories of each of the team's services whose author is a member of
# the team's GitHub team (`input.teams[t].github_team`). Each changed file is classed
# (lib.path_class): tests (test directories and test file names), deploy (manifests,
# charts, Terraform and other IaC, Dockerfiles, compose files, CI/CD pipeline files),
# docs (ignored), else application code.
# Met: for every service of the team that GitHub holds records of, the team's members
# changed application code, tests, and deployment or infrastructure configuration in
# that window (any mix of pull requests); cites the pull requests. "Co-located" is not
# observable and not judged.
# Not met: a service where one of the three was not changed by the team's members; the
# result names the service and the missing kinds.
# Unknown: teams not read (their unread status); the team is not tied to a GitHub team
# (not_configured); the pull requests of a repository of its services not read
# (forbidden, rate_limited, ...); no service of the team is on GitHub; or a not_met
# that a partial read could hide (more merged pull requests than the 100 read, a file
# list cut at 100 files, a member list cut): reason partial.
# Decisions: in a repository of several services the pull requests of the repository
# count for each of them (paths are not attributed to services); the authorship is the
# pull request's author, not its commits' authors; services not on GitHub are skipped
# and named.
package evident.rules.ds.org.cross_functional

import data.evident.lib
import rego.v1

kinds := ["app", "tests", "deploy"]

kind_text := {"app": "application code", "tests": "tests", "deploy": "deployment or infrastructure configuration"}

result[tid] := verdict(tid, team) if some tid, team in input.teams

team_services(team) := [s | some sid in team.services; s := object.get(input.services, sid, null); s != null]

on_github(team) := [s | some s in team_services(team); lib.github_judges(s)]

off_github(team) := [s.id | some s in team_services(team); not lib.github_judges(s)]

# The team members' merged pull requests of a service in 90 days.
own_pulls(svc, members) := [p | some p in lib.service_pulls(svc, 90); lower(p.author) in members]

touched(pulls) := {lib.path_class(f) | some p in pulls; some f in p.files}

missing_of(svc, members) := [k | some k in kinds; not k in touched(own_pulls(svc, members))]

gaps(team) := [g | some s in on_github(team); some g in lib.github_gaps(s, ["pull_requests"])]

shortfalls(team, members) := [sprintf("%s: no pull request merged by a member in the last 90 days changed %s", [s.id, concat(", ", [kind_text[k] | some k in missing_of(s, members)])]) |
	some s in on_github(team)
	count(missing_of(s, members)) > 0
]

partial(team, t) if object.get(t, "members_complete", true) == false

partial(team, _) if {
	some s in on_github(team)
	lib.pulls_partial(s)
}

partial(team, t) if {
	some s in on_github(team)
	some p in own_pulls(s, lib.team_members(t))
	object.get(p, "files_complete", true) == false
}

verdict(tid, team) := lib.teams_unknown(sprintf("who changes what in team %s's services", [tid])) if {
	lib.teams_unread
} else := lib.not_a_github_team(tid, "who changes what") if {
	lib.github_team(tid) == null
} else := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("no service of team %s has GitHub records (%s)", [tid, concat(", ", off_github(team))]),
	"evidence": [],
	"missing": ["the services' repositories on GitHub"],
} if {
	count(on_github(team)) == 0
} else := lib.gap_list_verdict(gaps(team), sprintf("pull requests of team %s's services", [tid])) if {
	count(gaps(team)) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need a complete read (more merged pull requests, files or members than GitHub gave): %s", [concat("; ", shortfalls(team, lib.team_members(t)))]),
	"evidence": [],
	"missing": shortfalls(team, lib.team_members(t)),
} if {
	t := lib.github_team(tid)
	t != null
	count(shortfalls(team, lib.team_members(t))) > 0
	partial(team, t)
} else := lib.not_met(
	sprintf("members of %s did not change all of code, tests and deployment config: %s", [t.id, concat("; ", shortfalls(team, lib.team_members(t)))]),
	lib.as_list(t.evidence),
	shortfalls(team, lib.team_members(t)),
) if {
	t := lib.github_team(tid)
	t != null
	count(shortfalls(team, lib.team_members(t))) > 0
} else := lib.with_skipped(lib.met(
	sprintf("members of %s changed application code, tests and deployment config of %s in the last 90 days (%d pull requests)", [t.id, concat(", ", [s.id | some s in on_github(team)]), count(prs)]),
	lib.ev(prs),
), off_github(team)) if {
	t := lib.github_team(tid)
	t != null
	prs := [p | some s in on_github(team); some p in own_pulls(s, lib.team_members(t))]
}

# Each service's own part of its team's finding (services of teams tied to a GitHub team).
parts[sid] := lib.part(part_text(svc, lib.team_members(t)), lib.ev(own_pulls(svc, lib.team_members(t))), [sprintf("%s changed by the team", [kind_text[k]]) | some k in missing_of(svc, lib.team_members(t))]) if {
	some sid, svc in input.services
	is_string(svc.team)
	lib.github_judges(svc)
	not lib.github_has_gap(svc, ["pull_requests"])
	t := lib.github_team(svc.team)
	t != null
}

part_text(svc, members) := sprintf("%s: the team changed application code, tests and deployment config (%d pull requests in 90 days)", [svc.id, count(own_pulls(svc, members))]) if {
	count(missing_of(svc, members)) == 0
} else := sprintf("%s: the team's merged pull requests in 90 days did not change %s", [svc.id, concat(", ", [kind_text[k] | some k in missing_of(svc, members)])])
