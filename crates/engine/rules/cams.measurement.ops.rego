# cams.measurement.ops: ops metrics (changes, incidents, TTD, TTRS, TBF) (scope: service).
#
# Judged from the two sources DORA's four keys are computed from: production
# deployments (GitHub deployments of the service, `lib.release_deploys`: successful
# production deployments, every successful one when none targets production) and
# incidents (the service's on-call join with its account's incidents read).
# Met: GitHub holds at least one successful production deployment of the service in
# the last 90 days and its on-call services' incidents were read (any number: none in
# the window is a measured change failure rate of 0); cites the deployments and the
# on-call records.
# Not met: the deployments were read and none reached production in 90 days: change
# and deploy metrics have nothing to count.
# Unknown: no on-call join (not_configured); incidents not read (its status); GitHub
# holds no record of the service's repositories (not_configured) or did not give
# their deployments (its status); partial when the deployment list was cut and none
# was found.
# Decision: "available" means both event streams are recorded for the service, not
# that incidents happened.
package evident.rules.cams.measurement.ops

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

deploys(svc) := lib.production_deploys(svc, 90)

what := "deployments and incidents of the service"

verdict(svc) := lib.no_oncall_join(svc.id, what) if {
	not lib.has_oncall(svc)
} else := lib.oncall_gap_verdict(lib.oncall_gaps(lib.oncall_accounts(svc), ["incidents"]), what) if {
	count(lib.oncall_gaps(lib.oncall_accounts(svc), ["incidents"])) > 0
} else := {
	"status": "unknown",
	"reason": lib.github_absent_reason,
	"summary": sprintf("incidents of %s are read (%s); %s", [svc.id, lib.oncall_services_text(svc), lib.github_unchecked(svc, "deployments")]),
	"evidence": [],
	"missing": ["github"],
} if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, ["deployments"], what) if {
	lib.github_has_gap(svc, ["deployments"])
} else := lib.met(
	sprintf("%d production deployments (GitHub) and %d incidents (%s) of %s in the last 90 days: the four DORA keys are computed", [count(deploys(svc)), count(lib.service_incidents(svc)), lib.oncall_services_text(svc), svc.id]),
	array.concat(lib.ev(deploys(svc)), lib.oncall_evidence(svc, [])),
) if {
	count(deploys(svc)) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need every deployment, but GitHub gave one page only: no successful production deployment of %s found in the last 90 days", [svc.id]),
	"evidence": [],
	"missing": ["production deployments of the service"],
} if {
	lib.deployments_partial(svc)
} else := lib.not_met(
	sprintf("incidents of %s are read, but GitHub holds no successful production deployment of it in the last 90 days: change failure rate, deployment frequency and lead time have nothing to count", [svc.id]),
	lib.ev(lib.github_repos(svc)),
	["production deployments recorded in GitHub (deployments API)"],
)
