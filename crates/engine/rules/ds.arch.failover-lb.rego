# ds.arch.failover-lb: automated failover and load balancing.
#
# Met: every long-running workload runs at least 2 replicas (declared, or HPA/KEDA
# minReplicas at least 2), is selected by a Service, is covered by a
# PodDisruptionBudget, and spreads across nodes (pod anti-affinity or topology spread
# constraints on any key). Each missing part is listed per workload.
# Decision: DaemonSets run one pod per node by design; replicas and spreading are not
# asked of them, a Service and a PDB still are.
# Batch workloads (Jobs, CronJobs, hooks) are neither replicated nor load balanced: they
# are not judged, and a service made only of them is not applicable. Each `missing[]`
# entry names the declaration's file and lines.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ds.arch.failover_lb

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

replicas_ok(w) if w.kind == "DaemonSet"

replicas_ok(w) if w.effective_replicas >= 2

replicas_ok(w) if w.min_replicas >= 2

spread_ok(w) if w.kind == "DaemonSet"

spread_ok(w) if count(w.anti_affinity_keys) + count(w.topology_spread_keys) > 0


gaps(ws) := [lib.located(w, sprintf("%s: %s", [lib.workload_ref(w), g])) | some w in ws; some g in workload_gaps(w)]

workload_gaps(w) := [g |
	some check in ["replicas", "service", "pdb", "spread"]
	not passes(w, check)
	g := gap_text(w, check)
]

passes(w, "replicas") if replicas_ok(w)

passes(w, "service") if count(w.selected_by_services) > 0

passes(w, "pdb") if count(w.pdbs) > 0

passes(w, "spread") if spread_ok(w)

gap_text(w, "replicas") := sprintf("runs %v replica(s), needs at least 2", [w.effective_replicas])

gap_text(_, "service") := "no Service selects it"

gap_text(_, "pdb") := "no PodDisruptionBudget covers it"

gap_text(_, "spread") := "no pod anti-affinity or topology spread"

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"services", "poddisruptionbudgets", "horizontalpodautoscalers", "scaledobjects"}

verdict(svc) := lib.access_gap(needs, "replicas and failover") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("%s replicated behind a Service with PDB and spreading", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("no automated failover", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "replicas and failover")
