# ds.devops.health-checks: applications provide health checks.
#
# Met: every app container of every long-running workload (Deployment, StatefulSet,
# DaemonSet, Rollout, ...) has a readiness probe and a liveness or startup probe. Mesh
# sidecars and init containers are not app containers. Jobs and CronJobs are not
# long-running and never need probes.
# Without workloads: every Dockerfile has a HEALTHCHECK (or every compose service a
# healthcheck); a repository with neither is unknown until a cluster is read.
# Not met lists each container and the probe it lacks.
package evident.rules.ds.devops.health_checks

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

lacking(ws) := array.concat(
	[msg |
		some w in ws
		some c in lib.app_containers(w)
		some msg in container_gaps(w, c)
	],
	[sprintf("%s has no app container to check", [lib.workload_ref(w)]) | some w in lib.without_app_containers(ws)],
)

container_gaps(w, c) := [m |
	some gap in ["readiness", "liveness or startup"]
	gap_applies(c, gap)
	m := sprintf("%s container %s has no %s probe", [lib.workload_ref(w), c.name, gap])
]

gap_applies(c, "readiness") if not c.readiness_probe

gap_applies(c, "liveness or startup") if {
	not c.liveness_probe
	not c.startup_probe
}

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.access_gap(needs, "health probes") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("all app containers of %s have readiness and liveness/startup probes (%s)", [lib.refs(ws), lib.judged_from_of(svc)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(lacking(ws)) == 0
} else := lib.not_met(sprintf("%d container probe(s) missing (%s)", [count(gaps), lib.judged_from_of(svc)]), lib.ev(ws), gaps) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	gaps := lacking(ws)
} else := docker_verdict(svc) if {
	count(dockerfiles(svc)) + count(compose_services(svc)) > 0
} else := lib.no_workloads("health probes")

dockerfiles(svc) := [d | some r in lib.repos(svc); some d in r.dockerfiles]

compose_services(svc) := [s | some r in lib.repos(svc); some f in r.compose_files; some s in f.services]

docker_missing(svc) := array.concat(
	[sprintf("%s has no HEALTHCHECK", [d.path]) | some d in dockerfiles(svc); not d.healthcheck],
	[sprintf("compose service %s has no healthcheck", [s.name]) | some s in compose_services(svc); not s.healthcheck],
)

docker_evidence(svc) := array.concat(lib.ev(dockerfiles(svc)), [id | some r in lib.repos(svc); some f in r.compose_files; id := f.evidence])

docker_verdict(svc) := lib.met("every Dockerfile / compose service declares a health check (no Kubernetes workloads found)", docker_evidence(svc)) if {
	count(docker_missing(svc)) == 0
} else := lib.not_met("containers without a health check (no Kubernetes workloads found)", docker_evidence(svc), docker_missing(svc))
