# ds.smell.coupled-releases (smell; met means absent): certain components have to be
# released together.
#
# Judged from GitHub deployments: the service's successful production deployments of the
# last 90 days (every successful deployment when it has no production environment;
# lib.release_deploys). A deploy is coupled when its workflow run (`run_id`) also
# created a deployment of another service (in this repository or any other of the
# scan).
# Which service a deployment is of: the one its environment names (`production-cart`:
# a run of the environment name's words equal to a service name of the repository, the
# longest when several match; lib.env_owner), or, in a repository with one service, that
# service. In a repository of several services, a deployment whose environment names
# none of them cannot be told apart: it couples nothing, and a service whose deploys
# are all of that kind is unknown (insufficient_data) rather than judged.
# Present (not met): more than 80% of its deploys are coupled; the result names the
# runs and the service's deployments in them.
# Absent (met): at most 80% coupled; cites the deploys.
# Unknown: deployments not read (named, with the status); no attributable deploy in the
# window (insufficient_data); the repositories are not on GitHub (not_configured).
package evident.rules.ds.smell.coupled_releases

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

# Workflow runs that deployed more than one service (attributed deployments only),
# once for the estate (pairs of run and service, sorted: lib.adjacent_duplicates).
run_service_pairs := {[d.run_id, s.id] |
	some _, s in input.services
	lib.github_judges(s)
	some d in lib.service_deployments(s)
	lib.attributed(d, s)
	d.run_id != null
}

shared_runs := lib.adjacent_duplicates(sort(run_service_pairs))

deploys(svc) := [d | some d in lib.production_deploys(svc, 90); lib.attributed(d, svc)]

coupled(svc) := [d | some d in deploys(svc); d.run_id != null; d.run_id in shared_runs]

share(svc) := count(coupled(svc)) / count(deploys(svc))

pct(svc) := round(share(svc) * 100)

examples(svc) := [sprintf("run %v (%s)", [d.run_id, lib.dep_ref(d)]) | some d in coupled(svc)]

verdict(svc) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": lib.github_unchecked(svc, "which services each deploy run releases"),
	"evidence": [],
	"missing": ["github"],
} if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, ["deployments"], "which services each deploy run releases") if {
	lib.github_has_gap(svc, ["deployments"])
} else := lib.insufficient(
	sprintf("no successful deployment of %s in the last 90 days that names it (%d deployments of its repositories name no service)", [svc.id, count([d | some d in lib.service_deployments(svc); not lib.attributed(d, svc)])]),
	lib.ev(lib.github_repos(svc)),
) if {
	count(deploys(svc)) == 0
} else := lib.not_met(
	sprintf("%d of %d deploys (%v%s) ran in a pipeline run that also deployed other services: %s", [count(coupled(svc)), count(deploys(svc)), pct(svc), "%", concat("; ", examples(svc))]),
	lib.ev(coupled(svc)),
	["deploys of this service on its own (at most 80% released together with others)"],
) if {
	share(svc) > 0.8
} else := lib.met(
	sprintf("%d of %d deploys (%v%s) were released together with other services (at most 80%s)", [count(coupled(svc)), count(deploys(svc)), pct(svc), "%", "%"]),
	lib.ev(deploys(svc)),
)
