# ops.ttr-measured: time to resolution of system faults is measured and refined
# (scope: service).
#
# Judged from the incidents of the service's on-call services (`svc.oncall.services`;
# `facts.oncall.incidents` hold those created in the account's window, default 90
# days).
# Met: at least one of them was resolved (`resolved_at`); the summary gives the count,
# the median time from trigger (`created_at`) to resolve in hours, and the trend: the
# median of the incidents triggered in the first half of the window against the second
# half (shorter: improving, longer: worsening), or that one half has none; cites the
# resolved incidents.
# Not met: no incident of the window was resolved (none at all, or all still open);
# the summary says which.
# Unknown: no on-call join (not_configured); incidents not read in an account of the
# service's on-call services (its status); partial when incidents were read in part and
# none resolved was found.
# Decisions: "measured" needs a resolved incident, so a quiet service is not met (the
# on-call tool holds nothing to measure); the median is the lower middle
# (`lib.median`); a trend within 10% either way is "steady".
package evident.rules.ops.ttr_measured

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

incidents(svc) := lib.service_incidents(svc)

resolved(svc) := [x | some x in incidents(svc); is_string(object.get(x, "resolved_at", null))]

hours(x) := lib.hours_between(x.created_at, x.resolved_at)

median_hours(xs) := lib.round1(lib.median([hours(x) | some x in xs]))

# The middle of the window, in ns.
mid_ns(svc) := (time.parse_rfc3339_ns(w.since) + time.parse_rfc3339_ns(w.now)) / 2 if {
	w := lib.oc_window(svc)
	w != null
} else := 0

first_half(svc) := [x | some x in resolved(svc); time.parse_rfc3339_ns(x.created_at) < mid_ns(svc)]

second_half(svc) := [x | some x in resolved(svc); time.parse_rfc3339_ns(x.created_at) >= mid_ns(svc)]

days(svc) := object.get(lib.oc_window(svc), "days", 90) if {
	lib.oc_window(svc) != null
} else := 90

trend(svc) := "trend not computed: the window of the on-call account is not known" if {
	mid_ns(svc) == 0
} else := sprintf("trend not computed: no resolved incident triggered in the %s half of the window", [empty_half(svc)]) if {
	count(first_half(svc)) * count(second_half(svc)) == 0
} else := sprintf("trend %s: first half median %v h (%d), second half %v h (%d)", [direction(a, b), a, count(first_half(svc)), b, count(second_half(svc))]) if {
	a := median_hours(first_half(svc))
	b := median_hours(second_half(svc))
}

empty_half(svc) := "first" if {
	count(first_half(svc)) == 0
} else := "second"

direction(a, b) := "improving" if {
	b < a * 0.9
} else := "worsening" if {
	b > a * 1.1
} else := "steady"

open_count(svc) := count(incidents(svc)) - count(resolved(svc))

what := "time to resolve incidents"

verdict(svc) := lib.no_oncall_join(svc.id, what) if {
	not lib.has_oncall(svc)
} else := lib.oncall_gap_verdict(lib.oncall_gaps(lib.oncall_accounts(svc), ["incidents"]), what) if {
	count(lib.oncall_gaps(lib.oncall_accounts(svc), ["incidents"])) > 0
} else := lib.met(
	sprintf("%d incident(s) of %s resolved in the last %v days; median time to resolve %v h; %s", [count(resolved(svc)), lib.oncall_services_text(svc), days(svc), median_hours(resolved(svc)), trend(svc)]),
	lib.ev(resolved(svc)),
) if {
	count(resolved(svc)) > 0
} else := lib.oncall_partial_verdict(unresolved_verdict(svc), concat("; ", lib.oncall_partials(lib.oncall_accounts(svc), ["incidents"]))) if {
	count(lib.oncall_partials(lib.oncall_accounts(svc), ["incidents"])) > 0
} else := unresolved_verdict(svc)

unresolved_verdict(svc) := lib.not_met(
	sprintf("no incident of %s in the last %v days, so no time to resolve is measured", [lib.oncall_services_text(svc), days(svc)]),
	lib.oncall_evidence(svc, []),
	["resolved incidents of the service in the on-call tool"],
) if {
	count(incidents(svc)) == 0
} else := lib.not_met(
	sprintf("%d incident(s) of %s in the last %v days, none resolved yet, so no time to resolve is measured", [open_count(svc), lib.oncall_services_text(svc), days(svc)]),
	lib.ev(incidents(svc)),
	["resolved incidents of the service in the on-call tool"],
)
