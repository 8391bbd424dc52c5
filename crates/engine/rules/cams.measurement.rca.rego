# cams.measurement.rca: root cause analysis, which changes break stuff (scope: service).
#
# Incidents can be linked to changes when either:
# (a) change events (deploy markers) were sent to the service's on-call services
#     (`facts.oncall.change_events` naming one of `svc.oncall.services`) in the window;
# (b) an incident of those services was triggered within 24 hours after a successful
#     production deployment of the service (GitHub, `lib.release_deploys`), so evident
#     attributes it to that deployment.
# Met: (a) or (b); cites the change events, or the incident and the deployment it
# follows.
# Not met: neither: no change event reached the on-call tool, and no incident followed
# a production deploy within 24 hours; when GitHub was not configured, (b) is named as
# not checked.
# Unknown: no on-call join (not_configured); change events or incidents not read
# (their status); GitHub configured and the deployments of the service's repositories
# not given (their status); partial when change events, incidents or deployments were
# read in part and nothing was found.
# Decision: (b) needs an actual incident after a deploy: a service that had no incident
# shows no link, only the possibility of one; change events show the link is made.
package evident.rules.cams.measurement.rca

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

day_ns := 86400000000000

changes(svc) := lib.service_change_events(svc)

deploys(svc) := lib.release_deploys(svc) if {
	lib.github_judges(svc)
} else := []

# [incident, deployment, hours after] of every incident triggered within 24 hours of a
# production deployment of the service (the latest such deployment).
links(svc) := [[x, d, lib.round1(lib.hours_between(lib.deployed_at(d), x.created_at))] |
	some x in lib.service_incidents(svc)
	t := time.parse_rfc3339_ns(x.created_at)
	ds := [d | some d in deploys(svc); t - time.parse_rfc3339_ns(lib.deployed_at(d)) >= 0; t - time.parse_rfc3339_ns(lib.deployed_at(d)) <= day_ns]
	count(ds) > 0
	d := latest(ds)
]

latest(ds) := [d | some d in ds; lib.deployed_at(d) == max({lib.deployed_at(e) | some e in ds})][0]

accounts(svc) := lib.oncall_accounts(svc)

gaps(svc, parts) := lib.oncall_gaps(accounts(svc), parts)

partials(svc) := array.concat(
	lib.oncall_partials(accounts(svc), ["incidents", "change_events"]),
	[sprintf("GitHub deployments of %s cut at one page", [svc.id]) | lib.deployments_partial(svc)],
)

what := "which changes the service's incidents follow"

github_note(svc) := "" if {
	lib.github_judges(svc)
} else := sprintf("; %s", [lib.github_unchecked(svc, "incidents following a deploy")])

verdict(svc) := lib.no_oncall_join(svc.id, what) if {
	not lib.has_oncall(svc)
} else := lib.met(
	sprintf("%d change event(s) were sent to %s in the window: incidents can be linked to the changes before them", [count(changes(svc)), lib.oncall_services_text(svc)]),
	lib.ev(changes(svc)),
) if {
	count(changes(svc)) > 0
} else := lib.oncall_gap_verdict(gaps(svc, ["change_events", "incidents"]), what) if {
	count(gaps(svc, ["incidents"])) > 0
} else := lib.github_unread_for(svc, ["deployments"], what) if {
	lib.github_judges(svc)
	lib.github_has_gap(svc, ["deployments"])
} else := lib.met(
	sprintf("%d incident(s) followed a production deploy of %s within 24 hours and are attributed to it: %s", [count(links(svc)), svc.id, concat("; ", [sprintf("%s %v h after %s", [l[0].key, l[2], lib.dep_ref(l[1])]) | some l in links(svc)])]),
	array.concat(lib.ev([l[0] | some l in links(svc)]), lib.ev([l[1] | some l in links(svc)])),
) if {
	count(links(svc)) > 0
} else := lib.oncall_gap_verdict(gaps(svc, ["change_events"]), what) if {
	count(gaps(svc, ["change_events"])) > 0
} else := lib.oncall_partial_verdict(none_linked(svc), concat("; ", partials(svc))) if {
	count(partials(svc)) > 0
} else := none_linked(svc)

none_linked(svc) := lib.not_met(
	sprintf("no change event reached %s and none of its %d incident(s) followed a production deploy (%d) within 24 hours%s", [lib.oncall_services_text(svc), count(lib.service_incidents(svc)), count(deploys(svc)), github_note(svc)]),
	lib.oncall_evidence(svc, []),
	["change events (deploy markers) sent to the on-call tool for the service"],
)
