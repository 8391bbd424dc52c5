# ds.devops.zero-downtime: most deploys involve no downtime.
#
# Met: every long-running workload is rolled out by Argo Rollouts or Flagger, or has a
# rolling update that keeps capacity (maxUnavailable resolves to 0 pods, or at least 2
# replicas with maxUnavailable below the replica count) and a readiness probe on every
# app container. Kubernetes' defaults count: no strategy means RollingUpdate with 25%
# maxUnavailable, no replicas means 1.
# Not met: Recreate, OnDelete, a single replica, or missing readiness probes.
# With Prometheus: the `up` history of the service's targets over the window (30 days)
# must never show 0 (each point is the minimum over its step, so short outages count).
# Deploy windows are not known yet (no git history), so the whole window is judged: a
# down point makes the service not met whatever its rollout strategy. Without
# Prometheus, or when no target maps to the service, the history is reported as not
# checked. A Prometheus that was configured and whose targets or history failed is no
# "not checked": the model names prometheus.targets and prometheus.availability, so the
# source gate makes the criterion unknown (a down point there could decide it).
# A cluster that refused a resource type the judgement needs makes it unknown
# (forbidden), unless Prometheus already shows the service down.
# Batch workloads (Jobs, CronJobs, hooks) are not rolled out: a service made only of them
# is not applicable, before its `up` history is looked at (a finished Job's target is
# down by design). Each `missing[]` entry names the declaration's file and lines.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ds.devops.zero_downtime

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

keeps_capacity(w) if w.progressive_delivery != null

keeps_capacity(w) if {
	w.strategy.type == "RollingUpdate"
	w.strategy.max_unavailable_pods == 0
}

keeps_capacity(w) if {
	w.strategy.type == "RollingUpdate"
	w.effective_replicas >= 2
	w.strategy.max_unavailable_pods < w.effective_replicas
}

# DaemonSets roll node by node; they keep capacity when maxUnavailable is not all nodes.
keeps_capacity(w) if {
	w.kind == "DaemonSet"
	w.strategy.type == "RollingUpdate"
}

ready_gated(w) if w.progressive_delivery != null

ready_gated(w) if {
	every c in lib.app_containers(w) {
		c.readiness_probe
	}
}

gaps(ws) := array.concat(
	[lib.located(w, sprintf("%s: %s", [lib.workload_ref(w), capacity_gap(w)])) | some w in ws; not keeps_capacity(w)],
	[lib.located(w, sprintf("%s: an app container has no readiness probe", [lib.workload_ref(w)])) | some w in ws; not ready_gated(w)],
)

capacity_gap(w) := "Recreate strategy stops all pods before starting new ones" if {
	w.strategy.type == "Recreate"
} else := sprintf("%v replica(s) with maxUnavailable %v: a rollout drops capacity", [w.effective_replicas, w.strategy.max_unavailable])

down(svc) := [p | some p in lib.prom_services(svc); p.availability != null; p.availability.down_points > 0]

history(svc) := [p | some p in lib.prom_services(svc); p.availability != null]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.batch_not_applicable(svc, "rollouts") if {
	lib.batch_only(svc)
} else := lib.not_met(
	"the service was down during the observed window",
	[e | some p in down(svc); some e in p.availability.evidence],
	[sprintf("up was 0 at %d of %d points in %s", [p.availability.down_points, p.availability.points, object.get(lib.prom, "window", "the window")]) | some p in down(svc)],
) if {
	lib.prom_part_ok("availability")
	count(down(svc)) > 0
} else := lib.access_gap(needs, "rollout strategy") if {
	lib.has_access_gap(needs)
} else := note(svc, lib.met(sprintf("rollouts keep capacity for %s", [lib.refs(ws)]), lib.ev(ws))) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("a rollout can take the service down", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_workloads("rollout strategy")

note(svc, r) := lib.with_note(r, lib.unchecked("prometheus", "up history during deploys")) if not lib.ok("prometheus")

note(svc, r) := lib.with_note(r, "up history not checked (no Prometheus target maps to the service)") if {
	lib.prom_part_ok("availability")
	count(history(svc)) == 0
}

note(svc, r) := object.union(r, {
	"summary": sprintf("%s; up never 0 in %s", [r.summary, object.get(lib.prom, "window", "the window")]),
	"evidence": array.concat(r.evidence, [e | some p in history(svc); some e in p.availability.evidence]),
}) if {
	lib.prom_part_ok("availability")
	count(history(svc)) > 0
}
