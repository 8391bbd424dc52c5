# ops.capacity-quantitative: capacity planning is based on quantitative projections.
#
# Met: every long-running workload (DaemonSets excepted: they scale with nodes) is
# scaled by an HPA or KEDA ScaledObject on at least one metric, and every app container
# declares CPU and memory requests (utilisation targets are relative to requests).
# Batch workloads (Jobs, CronJobs, hooks) are not scaled by an HPA: not judged, and a
# service made only of them is not applicable (their requests are judged by
# ops.capacity-reactive). Each `missing[]` entry names the declaration's file and lines.
package evident.rules.ops.capacity_quantitative

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

scaled(w) if w.kind == "DaemonSet"

scaled(w) if {
	some k in w.hpas
	hpa := object.get(lib.hpa_map(w), k, null)
	hpa != null
	count(hpa.metrics) > 0
}

gaps(ws) := array.concat(
	[lib.located(w, sprintf("%s is not autoscaled on metrics", [lib.workload_ref(w)])) | some w in ws; not scaled(w)],
	[lib.located(w, sprintf("%s container %s has no %s request", [lib.workload_ref(w), c.name, r])) |
		some w in ws
		some c in lib.app_containers(w)
		some r in ["cpu", "memory"]
		not c.requests[r]
	],
)

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"horizontalpodautoscalers", "scaledobjects"}

verdict(svc) := lib.access_gap(needs, "autoscaling") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("%s autoscaled on metrics with requests set", [lib.refs(ws)]), array.concat(lib.ev(ws), [h.evidence | some w in ws; some h in lib.present(lib.hpa_map(w), w.hpas)])) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("capacity is not scaled on metrics", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "autoscaling")
