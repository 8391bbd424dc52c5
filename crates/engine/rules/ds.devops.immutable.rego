# ds.devops.immutable: everything runs on immutable containers.
#
# Met: every container (app, sidecar and init) of every workload, long-running or not,
# runs an image pinned by digest or by an immutable version tag, and no workload mounts
# a hostPath volume.
# Decision: a version tag is immutable only when it names a full release
# (`MAJOR.MINOR.PATCH`, optionally with a suffix) or a commit SHA; `7`, `7.2`, `alpine`,
# `stable` and `latest` float and are not pinned. readOnlyRootFilesystem is reported in
# the summary as a strengthening signal but does not gate.
# Batch workloads (Jobs, CronJobs, hooks) are judged like any other: a service made only
# of them is judged on them. The live workloads are judged when a cluster was read and
# runs the service, else the declared ones (`lib.all_judged_workloads`). Each `missing[]`
# entry names the declaration's file and lines.
# Kustomize overlays that could not be rendered make any verdict but not_applicable
# unknown for the workloads they patch (lib.overlay_checked): the base is not what the
# overlay deploys.
package evident.rules.ds.devops.immutable

import data.evident.lib
import rego.v1

result[sid] := lib.overlay_checked(svc, verdict(svc)) if some sid, svc in input.services

all_workloads(svc) := lib.all_judged_workloads(svc)

containers(w) := array.concat(w.containers, w.init_containers)

gaps(ws) := array.concat(
	[lib.located(w, sprintf("%s container %s image %s is not pinned (%s)", [lib.workload_ref(w), c.name, c.image.raw, c.image.pinning])) |
		some w in ws
		some c in containers(w)
		not c.image.pinned
	],
	[lib.located(w, sprintf("%s mounts hostPath volume %s", [lib.workload_ref(w), v.name])) | some w in ws; some v in w.volumes; v.type == "hostPath"],
)

read_only(ws) := count([c | some w in ws; some c in lib.app_containers(w); c.read_only_root_filesystem == true])

app_count(ws) := count([c | some w in ws; some c in lib.app_containers(w)])

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"pods", "jobs", "cronjobs"}

verdict(svc) := lib.access_gap(needs, "image pinning") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("every image of %s is pinned; %d of %d app containers have a read-only root filesystem", [lib.refs(ws), read_only(ws), app_count(ws)]), lib.ev(ws)) if {
	ws := all_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("mutable images or host mounts", lib.ev(ws), gaps(ws)) if {
	ws := all_workloads(svc)
	count(ws) > 0
} else := lib.no_workloads("image pinning")
