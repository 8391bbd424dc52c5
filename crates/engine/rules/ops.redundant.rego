# ops.redundant: deployed redundantly with HA/FO provisioned.
#
# Met: every long-running workload (DaemonSets excepted) spreads its replicas across
# zones: a topology spread constraint or pod anti-affinity term on
# topology.kubernetes.io/zone (or the deprecated failure-domain.beta.kubernetes.io/zone),
# and runs at least 2 replicas.
# Batch workloads (Jobs, CronJobs, hooks) keep no replicas running: not judged, and a
# service made only of them is not applicable. Each `missing[]` entry names the
# declaration's file and lines.
package evident.rules.ops.redundant

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

zone_keys := {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"}

zoned(w) if w.kind == "DaemonSet"

zoned(w) if {
	some k in array.concat(w.anti_affinity_keys, w.topology_spread_keys)
	k in zone_keys
	replicas(w) >= 2
}

replicas(w) := max([object.get(w, "effective_replicas", 1), object.get(w, "min_replicas", 0)])

gaps(ws) := [lib.located(w, sprintf("%s does not spread at least 2 replicas across zones", [lib.workload_ref(w)])) | some w in ws; not zoned(w)]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"horizontalpodautoscalers", "scaledobjects"}

verdict(svc) := lib.access_gap(needs, "zone spreading") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("%s spread across zones", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("not spread across zones", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "zone spreading")
