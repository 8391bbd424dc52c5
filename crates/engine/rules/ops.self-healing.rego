# ops.self-healing: systems are self healing.
#
# Met: every app container of every long-running workload has a liveness probe, the
# repository declares no bare pods, every long-running workload (DaemonSets excepted) is
# autoscaled, and every one is covered by a PodDisruptionBudget.
# Batch workloads (Jobs, CronJobs, hooks) are restarted by their controller's backoff,
# not probed, scaled or disruption-budgeted: not judged, and a service made only of them
# is not applicable. A hook Pod is not a bare pod (kube-facts). Each `missing[]` entry
# names the declaration's file and lines.
package evident.rules.ops.self_healing

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

service_bare(svc) := lib.bare_pods(svc)

gaps(svc, ws) := array.concat(
	array.concat(
		[lib.located(w, sprintf("%s container %s has no liveness probe", [lib.workload_ref(w), c.name])) | some w in ws; some c in lib.app_containers(w); not c.liveness_probe],
		[sprintf("%s is a bare pod (no controller restarts it)", [k]) | some k in service_bare(svc)],
	),
	array.concat(
		[lib.located(w, sprintf("%s is not autoscaled", [lib.workload_ref(w)])) | some w in ws; w.kind != "DaemonSet"; count(w.hpas) == 0],
		[lib.located(w, sprintf("%s has no PodDisruptionBudget", [lib.workload_ref(w)])) | some w in ws; count(w.pdbs) == 0],
	),
)

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"pods", "poddisruptionbudgets", "horizontalpodautoscalers", "scaledobjects"}

verdict(svc) := lib.access_gap(needs, "self healing") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("%s: liveness probes, autoscaling and PDBs, no bare pods", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(svc, ws)) == 0
} else := lib.not_met("not self healing", lib.ev(ws), gaps(svc, ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "self healing")
