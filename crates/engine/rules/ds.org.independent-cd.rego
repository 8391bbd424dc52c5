# ds.org.independent-cd: independent teams are all able to do continuous delivery
# (scope: team).
#
# Judged per team of input.teams from GitHub deployments (lib.service_deployments: a
# deployment is of the service its environment names, else of every service of its
# repository).
# Met: every service of the team that GitHub holds records of had, in the last 30 days,
# a successful production deployment (any successful deployment when the service has no
# production environment) created by automation (`by_automation`) whose workflow run
# (`run_id`) deployed no service of another team; cites those deployments. The pipeline
# is the team's own in the sense that can be observed: its runs deploy only the team's
# services. A deployment by automation without a run (a bot such as a GitOps
# controller) has no shared run and counts.
# Not met: a service without such a deploy; the result says whether there was none, only
# deploys by people, or only runs that also deployed another team's service (naming the
# runs).
# Unknown: the deployments of a repository of the team's services not read (forbidden,
# rate_limited, ...), named; no service of the team on GitHub (not_configured); a not_met
# when a deployment list was cut at GitHub's page (reason partial).
package evident.rules.ds.org.independent_cd

import data.evident.lib
import rego.v1

result[tid] := verdict(tid, team) if some tid, team in input.teams

# Workflow runs that deployed services of more than one team, once for the estate
# (pairs of run and team, sorted: lib.adjacent_duplicates).
run_team_pairs := {[d.run_id, s.team] |
	some _, s in input.services
	is_string(s.team)
	lib.github_judges(s)
	some d in lib.service_deployments(s)
	d.run_id != null
}

shared_runs := lib.adjacent_duplicates(sort(run_team_pairs))

team_services(team) := [s | some sid in team.services; s := object.get(input.services, sid, null); s != null]

on_github(team) := [s | some s in team_services(team); lib.github_judges(s)]

off_github(team) := [s.id | some s in team_services(team); not lib.github_judges(s)]

recent(svc) := lib.production_deploys(svc, 30)

shared(d) if {
	d.run_id != null
	d.run_id in shared_runs
}

independent(svc, _) := [d | some d in recent(svc); d.by_automation == true; not shared(d)]

why(svc, tid) := sprintf("%s: no successful deployment in the last 30 days", [svc.id]) if {
	count(recent(svc)) == 0
} else := sprintf("%s: deployments in the last 30 days were created by people (%s)", [svc.id, concat(", ", [lib.dep_ref(d) | some d in recent(svc)])]) if {
	count([d | some d in recent(svc); d.by_automation == true]) == 0
} else := sprintf("%s: every deploy in the last 30 days ran in a pipeline that also deployed another team's service (%s)", [svc.id, concat(", ", [sprintf("run %v", [d.run_id]) | some d in recent(svc); shared(d)])])

shortfalls(team, tid) := [why(s, tid) | some s in on_github(team); count(independent(s, tid)) == 0]

gaps(team) := [g | some s in on_github(team); some g in lib.github_gaps(s, ["deployments"])]

partial(team) if {
	some s in on_github(team)
	lib.deployments_partial(s)
}

verdict(tid, team) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("no service of team %s has GitHub records (%s)", [tid, concat(", ", off_github(team))]),
	"evidence": [],
	"missing": ["the services' repositories on GitHub"],
} if {
	count(on_github(team)) == 0
} else := lib.gap_list_verdict(gaps(team), sprintf("deploys of team %s's services", [tid])) if {
	count(gaps(team)) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need every deployment, but GitHub gave one page only: %s", [concat("; ", shortfalls(team, tid))]),
	"evidence": [],
	"missing": shortfalls(team, tid),
} if {
	count(shortfalls(team, tid)) > 0
	partial(team)
} else := lib.not_met(
	sprintf("team %s did not deploy every service on its own in the last 30 days: %s", [tid, concat("; ", shortfalls(team, tid))]),
	[],
	shortfalls(team, tid),
) if {
	count(shortfalls(team, tid)) > 0
} else := lib.with_skipped(lib.met(
	sprintf("team %s deployed each of its services in the last 30 days from runs that deployed only its own services: %s", [tid, concat(", ", [lib.dep_ref(ds[0]) | some s in on_github(team); ds := independent(s, tid)])]),
	[id | some s in on_github(team); some id in lib.ev([independent(s, tid)[0]])],
), off_github(team))

# Each service's own part of its team's finding.
parts[sid] := lib.part(sprintf("%s deployed on its own: %s", [sid, lib.dep_ref(ds[0])]), lib.ev([ds[0]]), []) if {
	some sid, svc in input.services
	is_string(svc.team)
	lib.github_judges(svc)
	not lib.github_has_gap(svc, ["deployments"])
	ds := independent(svc, svc.team)
	count(ds) > 0
}

parts[sid] := lib.part(why(svc, svc.team), [], [why(svc, svc.team)]) if {
	some sid, svc in input.services
	is_string(svc.team)
	lib.github_judges(svc)
	not lib.github_has_gap(svc, ["deployments"])
	count(independent(svc, svc.team)) == 0
}
