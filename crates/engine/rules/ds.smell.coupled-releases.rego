# ds.smell.coupled-releases (smell; met means absent): certain components have to be
# released together.
#
# Judged from GitHub deployments: the service's successful production deployments of the
# last 90 days (every successful deployment when it has no production environment;
# lib.release_deploys). A deploy is coupled when its workflow run (`run_id`) also
# created a deployment of another service (in this repository or any other of the
# scan).
# Which service a deployment is of: the one its environment names (`production-cart`;
# the longest service name contained in it), or, in a repository with one service, that
# service. In a repository of several services, a deployment whose environment names
# none of them cannot be told apart: it couples nothing, and a service whose deploys
# are all of that kind is unknown (insufficient_data) rather than judged.
# Present (not met): more than 80% of its deploys are coupled; the result names the
# runs and the services released with it.
# Absent (met): at most 80% coupled; cites the deploys.
# Unknown: deployments not read (named, with the status); no attributable deploy in the
# window (insufficient_data); the repositories are not on GitHub (not_configured).
package evident.rules.ds.smell.coupled_releases

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

# The services each workflow run deployed (attributed deployments only), once.
run_services[d.run_id] contains s.id if {
	some _, s in input.services
	lib.github_judges(s)
	some d in lib.service_deployments(s)
	d.attributed
	d.run_id != null
}

deploys(svc) := [d | some d in lib.production_deploys(svc, 90); d.attributed]

partners(d, svc) := {x | d.run_id != null; some x in object.get(run_services, d.run_id, set()); x != svc.id}

coupled(svc) := [d | some d in deploys(svc); count(partners(d, svc)) > 0]

share(svc) := count(coupled(svc)) / count(deploys(svc))

pct(svc) := round(share(svc) * 100)

examples(svc) := [sprintf("run %v also deployed %s", [d.run_id, concat(", ", partners(d, svc))]) | some d in coupled(svc)]

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
	sprintf("no successful deployment of %s in the last 90 days that names it (%d deployments of its repositories name no service)", [svc.id, count([d | some d in lib.service_deployments(svc); not d.attributed])]),
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
