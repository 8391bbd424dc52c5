# ds.arch.stateless: stateless applications that recover after errors or downtime.
#
# Met: every long-running workload is a Deployment or Rollout, mounts no
# PersistentVolumeClaim or hostPath volume, has liveness and readiness probes on every
# app container, and restarts Always (the pod default).
# Not applicable: every long-running workload of the service is a datastore (its app
# containers all run a known datastore image such as postgres, redis, kafka): state is
# its job.
# Not met lists each workload and what makes it stateful or fragile, each `missing[]`
# entry with the declaration's file and lines.
# Batch workloads (Jobs, CronJobs, hooks) run to completion and are not judged; a service
# made only of them is not applicable.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ds.arch.stateless

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

stateless_kinds := {"Deployment", "Rollout"}

workload_gaps(w) := array.concat(
	array.concat(
		[sprintf("%s is a %s, not a Deployment", [lib.workload_ref(w), w.kind]) | not w.kind in stateless_kinds],
		[sprintf("%s mounts %s volume %s", [lib.workload_ref(w), v.type, v.name]) | some v in w.volumes; v.type in {"persistentVolumeClaim", "hostPath"}],
	),
	array.concat(
		[sprintf("%s has %d volumeClaimTemplates", [lib.workload_ref(w), w.volume_claim_templates]) | w.volume_claim_templates > 0],
		array.concat(
			[sprintf("%s container %s lacks a liveness or readiness probe", [lib.workload_ref(w), c.name]) | some c in lib.app_containers(w); not probed(c)],
			[sprintf("%s restartPolicy is %s", [lib.workload_ref(w), w.restart_policy]) | w.restart_policy != null; w.restart_policy != "Always"],
		),
	),
)

probed(c) if {
	c.liveness_probe
	c.readiness_probe
}

gaps(ws) := [lib.located(w, g) | some w in ws; some g in workload_gaps(w)]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.access_gap(needs, "statelessness") if {
	lib.has_access_gap(needs)
} else := lib.not_applicable(sprintf("datastore service: %s", [lib.refs(ws)])) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	every w in ws {
		lib.is_datastore_workload(w)
	}
} else := lib.met(sprintf("%s stateless with probes", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("stateful or unprobed workloads", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "statelessness")
