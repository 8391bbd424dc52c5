# ops.capacity-reactive: future capacity requirements are reactively assessed.
#
# Met: every app container of every long-running workload declares both CPU and memory
# requests. Declared requests are the evidence that someone assessed capacity; limits
# alone do not count (the scheduler reserves requests, not limits).
package evident.rules.ops.capacity_reactive

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

gaps(ws) := [sprintf("%s container %s has no %s request", [lib.workload_ref(w), c.name, r]) |
	some w in ws
	some c in lib.app_containers(w)
	some r in ["cpu", "memory"]
	not c.requests[r]
]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.access_gap(needs, "resource requests") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("CPU and memory requests on every app container of %s", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("resource requests missing", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_workloads("resource requests")
