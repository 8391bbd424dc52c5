# ops.capacity-reactive: future capacity requirements are reactively assessed.
#
# Met: every app container of every workload declares both CPU and memory requests.
# Declared requests are the evidence that someone assessed capacity. A limit without a
# request counts for its resource: Kubernetes sets the request to the limit, and
# kube-facts applies that default (`requests_from_limits` names the resources).
# Batch workloads (Jobs, CronJobs, hooks) are judged too: a CronJob takes its share of a
# node like any pod, so a service made only of them is judged on them, never not
# applicable. Each `missing[]` entry names the declaration's file and lines.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ops.capacity_reactive

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

gaps(ws) := [lib.located(w, sprintf("%s container %s has no %s request", [lib.workload_ref(w), c.name, r])) |
	some w in ws
	some c in lib.app_containers(w)
	some r in ["cpu", "memory"]
	not c.requests[r]
]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"jobs", "cronjobs"}

verdict(svc) := lib.access_gap(needs, "resource requests") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("CPU and memory requests on every app container of %s", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.all_judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("resource requests missing", lib.ev(ws), gaps(ws)) if {
	ws := lib.all_judged_workloads(svc)
	count(ws) > 0
} else := lib.no_workloads("resource requests")
