# ds.process.own-production: teams are responsible for their own components in
# production (scope: service).
#
# Two parts, both needed:
# (a) On call: at least one member of the owning team (`input.teams[t].members`, else
#     its GitHub team) is among the responders of the service's on-call join
#     (`svc.oncall.responders`, joined to logins through `input.index.people`).
# (b) Deploy rights to production, from GitHub: the service's production environments
#     (`environments[].production`, of this service as for deployments) require
#     reviewers and at least one of them is inside the team (a member, or the team's
#     GitHub team itself): the team can approve its own production deploys. Or no
#     production environment requires reviewers, and the team owns the pipeline: its
#     GitHub team holds admin or maintain rights on a repository of the service, or the
#     repository itself names the team its owner (catalog-info.yaml, CODEOWNERS, or the
#     GitHub admin / maintain right resolution read), so the team controls the workflow
#     files that deploy.
# Met: both; cites the on-call records and the environments (or repository records).
# Not met: the service has no owning team; none of the team's members is on its on-call;
# reviewers exist and none is inside the team; or no reviewers and the team owns no
# repository of the service. The result says which part failed.
# Unknown: no on-call join (not_configured); the team's members are not known; an
# on-call part the responders are made of was not read (its status), or read in part
# while the team is not found on call (partial); GitHub holds no record of the
# service's repositories, or did not give their environments (its status).
# Decision: "environment reviewers within the team" means one reviewer of the team
# suffices (any required reviewer can approve); reviewers outside the team are
# ds.smell.release-handovers' finding, not this one's.
package evident.rules.ds.process.own_production

import data.evident.lib
import rego.v1

parts_read := ["services", "escalation_policies", "schedules", "users", "teams"]

result[sid] := verdict(svc) if some sid, svc in input.services

envs(svc) := [object.union(e, {"repo": k}) |
	some k in lib.github_keys(svc)
	some e in object.get(lib.gh_repo_map[k], "environments", [])
	e.production
	lib.belongs(k, e.name, svc)
]

reviewers(svc) := [object.union(r, {"env": e.name, "repo": e.repo}) | some e in envs(svc); some r in object.get(e, "reviewers", [])]

gh_team_id(tid) := lower(id) if {
	id := lib.github_team_id(tid)
	is_string(id)
} else := ""

inside(r, tid, members) if {
	r.type == "user"
	lower(r.login) in members
}

inside(r, tid, _) if {
	r.type == "team"
	lower(r.team) == gh_team_id(tid)
}

who(r) := sprintf("user %s", [r.login]) if r.type == "user"

who(r) := sprintf("team %s", [r.team]) if r.type == "team"

# Repositories of the service the team's GitHub team administers or maintains.
owned_repos(svc) := [lib.gh_name(k) |
	g := lib.github_team(svc.team)
	g != null
	some k in svc.repos
	object.get(object.get(g, "repos", {}), k, "") in {"admin", "maintain"}
]

repo_names_owner(svc) if object.get(svc, "team_source", "") in {"catalog-info.yaml", "CODEOWNERS", "github admin", "github maintain"}

team_on_call(svc, members) := sort([m | some m in members & lib.responder_logins(lib.oncall_responders(svc))])

env_evidence(svc) := lib.ev(envs(svc)) if {
	count(envs(svc)) > 0
} else := lib.ev(lib.github_repos(svc))

# How the team holds production deploy rights, "" when it does not.
deploy_rights(svc, members) := sprintf("production deploys are approved within the team (%s)", [concat(", ", sort({who(r) | some r in reviewers(svc); inside(r, svc.team, members)}))]) if {
	count([r | some r in reviewers(svc); inside(r, svc.team, members)]) > 0
} else := sprintf("no production environment requires reviewers and the team owns the pipeline (%s rights on %s)", [object.get(lib.github_team(svc.team), "id", svc.team), concat(", ", owned_repos(svc))]) if {
	count(reviewers(svc)) == 0
	count(owned_repos(svc)) > 0
} else := sprintf("no production environment requires reviewers and the team owns the pipeline (owner read from %s)", [svc.team_source]) if {
	count(reviewers(svc)) == 0
	repo_names_owner(svc)
} else := ""

no_rights(svc) := sprintf("production deploys are approved only outside team %s (%s)", [svc.team, concat(", ", sort({who(r) | some r in reviewers(svc)}))]) if {
	count(reviewers(svc)) > 0
} else := sprintf("team %s owns no repository of %s (no admin or maintain rights, owner not read from the repository), so the pipeline is not the team's", [svc.team, svc.id])

what := "who runs the service in production"

verdict(svc) := lib.not_met("the service has no owning team, so no team is responsible for it in production", [], ["an owning team"]) if {
	not is_string(svc.team)
} else := lib.no_oncall_join(svc.id, what) if {
	not lib.has_oncall(svc)
} else := lib.members_unknown(svc.team, what) if {
	lib.roster(svc.team) == null
} else := lib.oncall_gap_verdict(lib.oncall_gaps(lib.oncall_accounts(svc), parts_read), what) if {
	count(lib.oncall_gaps(lib.oncall_accounts(svc), parts_read)) > 0
} else := lib.oncall_partial_verdict(not_on_call(svc, r), partial_why(svc)) if {
	r := lib.roster(svc.team)
	count(team_on_call(svc, r.members)) == 0
	partial_why(svc) != ""
} else := not_on_call(svc, r) if {
	r := lib.roster(svc.team)
	count(team_on_call(svc, r.members)) == 0
} else := {
	"status": "unknown",
	"reason": lib.github_absent_reason,
	"summary": sprintf("team %s is on call for %s; %s", [svc.team, svc.id, lib.github_unchecked(svc, "production deploy rights")]),
	"evidence": lib.oncall_evidence(svc, []),
	"missing": ["github"],
} if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, ["environments"], sprintf("team %s is on call; who may deploy to production", [svc.team])) if {
	lib.github_has_gap(svc, ["environments"])
} else := lib.met(
	sprintf("team %s is on call for %s (%s) and %s", [svc.team, svc.id, concat(", ", team_on_call(svc, r.members)), deploy_rights(svc, r.members)]),
	array.concat(array.concat(lib.oncall_evidence(svc, on_call_keys(svc, r.members)), env_evidence(svc)), r.evidence),
) if {
	r := lib.roster(svc.team)
	deploy_rights(svc, r.members) != ""
} else := lib.not_met(
	sprintf("team %s is on call for %s, but %s", [svc.team, svc.id, no_rights(svc)]),
	array.concat(lib.oncall_evidence(svc, []), env_evidence(svc)),
	[sprintf("production deploy rights for team %s", [svc.team])],
)

on_call_keys(svc, members) := [k | some k in lib.oncall_responders(svc); lib.login_of(k) in members]

partial_why(svc) := concat("; ", array.concat(
	[sprintf("the on-call join of %s is not complete", [svc.id]) | not lib.oncall_complete(svc)],
	lib.oncall_partials(lib.oncall_accounts(svc), parts_read),
))

not_on_call(svc, r) := lib.not_met(
	sprintf("no member of team %s (%s) is on the on-call of %s (%s)%s", [svc.team, r.source, svc.id, lib.oncall_services_text(svc), lib.unresolved_note(lib.oncall_responders(svc))]),
	lib.oncall_evidence(svc, []),
	array.concat([sprintf("a member of %s on the on-call of %s", [svc.team, svc.id])], lib.unresolved_missing(lib.oncall_responders(svc))),
)
