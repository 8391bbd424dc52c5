# ds.devops.health-checks: applications provide health checks.
#
# Met: every app container of every long-running workload (Deployment, StatefulSet,
# DaemonSet, Rollout, ...) has a readiness probe and a liveness or startup probe. Mesh
# sidecars and init containers are not app containers.
# Batch workloads (Jobs, CronJobs, Helm / Argo CD hooks) run to completion and never need
# probes: a service made only of them is not applicable ("only batch workloads (...)").
# Copies of one declaration (a base, a release copy, an alternative manifest set) are
# judged one by one and counted per container: "loadgenerator/main: no readiness probe
# in 3 of 3 declarations"; each `missing[]` entry names the file and lines of the copy it
# is about (`lib.located`).
# Without workloads: every Dockerfile of the service has a HEALTHCHECK (or every compose
# service of it a healthcheck), read from the service's own files only
# (`lib.service_dockerfiles`, `lib.service_compose_services`), never from every file of
# the repository; a service with neither is unknown until a cluster is read.
# Not met lists each container and the probe it lacks.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ds.devops.health_checks

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

# The probes an app container lacks.
probe_gaps(c) := [gap | some gap in ["readiness", "liveness or startup"]; gap_applies(c, gap)]

gap_applies(c, "readiness") if not c.readiness_probe

gap_applies(c, "liveness or startup") if {
	not c.liveness_probe
	not c.startup_probe
}

# One row per declaration, container and missing probe.
rows(ws) := [{"w": w, "container": c.name, "gap": gap} |
	some w in ws
	some c in lib.app_containers(w)
	some gap in probe_gaps(c)
]

# Declarations of the same object that have a container of this name.
with_container(ws, w, name) := count([x |
	some x in ws
	lib.object_id(x) == lib.object_id(w)
	some c in lib.app_containers(x)
	c.name == name
])

# Rows of the same object, container and gap as `r`.
same_gap(rs, r) := count([x |
	some x in rs
	lib.object_id(x.w) == lib.object_id(r.w)
	x.container == r.container
	x.gap == r.gap
])

# One missing[] entry per failing declaration, located.
missing(ws) := array.concat(
	[lib.located(r.w, sprintf("%s container %s has no %s probe%s", [lib.workload_ref(r.w), r.container, r.gap, lib.of_declarations(same_gap(rs, r), with_container(ws, r.w, r.container))])) |
		rs := rows(ws)
		some r in rs
	],
	[lib.located(w, sprintf("%s has no app container to check", [lib.workload_ref(w)])) | some w in lib.without_app_containers(ws)],
)

# Per container (distinct object and container name): "web/server: no readiness probe in
# 1 of 3 declarations", for the summary.
per_container(ws) := sort({msg |
	rs := rows(ws)
	some r in rs
	msg := sprintf("%s/%s: no %s probe%s", [r.w.name, r.container, r.gap, lib.of_declarations(same_gap(rs, r), with_container(ws, r.w, r.container))])
})

# Distinct containers that lack a probe, and workloads with none to judge.
failing_containers(ws) := count({sprintf("%s|%s", [lib.object_id(r.w), r.container]) | some r in rows(ws)}) + count({lib.object_id(w) | some w in lib.without_app_containers(ws)})

empty_workloads(ws) := sort({sprintf("%s has no app container to check", [lib.workload_ref(w)]) | some w in lib.without_app_containers(ws)})

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.access_gap(needs, "health probes") if {
	lib.has_access_gap(needs)
} else := lib.batch_not_applicable(svc, "health probes") if {
	lib.batch_only(svc)
} else := lib.met(sprintf("all app containers of %s have readiness and liveness/startup probes (%s)", [lib.refs(ws), lib.judged_from_of(svc)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(missing(ws)) == 0
} else := lib.not_met(sprintf("%d container(s) lack a probe: %s (%s)", [failing_containers(ws), concat("; ", array.concat(per_container(ws), empty_workloads(ws))), lib.judged_from_of(svc)]), lib.ev(ws), missing(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := docker_verdict(svc) if {
	count(lib.service_dockerfiles(svc)) + count(lib.service_compose_services(svc)) > 0
} else := lib.no_workloads("health probes")

docker_missing(svc) := array.concat(
	[sprintf("%s: %s has no HEALTHCHECK", [lib.location_of_id(d.evidence), d.path]) | some d in lib.service_dockerfiles(svc); not d.healthcheck],
	[sprintf("%s: compose service %s (%s) has no healthcheck", [lib.location_of_id(s.evidence), s.name, s.path]) | some s in lib.service_compose_services(svc); not s.healthcheck],
)

docker_evidence(svc) := array.concat(lib.ev(lib.service_dockerfiles(svc)), lib.ev(lib.service_compose_services(svc)))

docker_files(svc) := concat(", ", array.concat(
	[d.path | some d in lib.service_dockerfiles(svc)],
	[sprintf("%s service %s", [s.path, s.name]) | some s in lib.service_compose_services(svc)],
))

docker_verdict(svc) := lib.met(sprintf("the service's container health checks are declared: %s (no Kubernetes workload declared for the service)", [docker_files(svc)]), docker_evidence(svc)) if {
	count(docker_missing(svc)) == 0
} else := lib.not_met(sprintf("containers without a health check: %s (no Kubernetes workload declared for the service)", [docker_files(svc)]), docker_evidence(svc), docker_missing(svc))
