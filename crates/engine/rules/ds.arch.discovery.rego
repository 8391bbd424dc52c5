# ds.arch.discovery: applications find each other through service discovery.
#
# Met: every long-running workload is selected by a Kubernetes Service (real selector
# semantics, same namespace) and no app container has an environment variable whose
# literal value is an IP address (only the variable's name is kept as evidence).
# Decision: Consul/Eureka registration is not yet detected; such services show not_met
# with the Service gap listed, which an owner can attest away only by adding a Service.
# Batch workloads (Jobs, CronJobs, hooks) are not found by peers, so no Service is asked
# of them; a service made only of them is not applicable, unless one of its containers
# addresses a peer by IP literal (not met: batch workloads find peers too). Each
# `missing[]` entry names the declaration's file and lines.
package evident.rules.ds.arch.discovery

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

gaps(ws) := array.concat(
	[lib.located(w, sprintf("%s is selected by no Service", [lib.workload_ref(w)])) | some w in ws; count(w.selected_by_services) == 0],
	ip_gaps(ws),
)

ip_gaps(ws) := [lib.located(w, sprintf("%s container %s addresses a peer by IP literal in env %s", [lib.workload_ref(w), c.name, n])) |
	some w in ws
	some c in lib.app_containers(w)
	some n in c.env_ip_literals
]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"services"}

verdict(svc) := lib.access_gap(needs, "discovery") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("%s selected by Services, no IP literals in env", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("peers cannot find every workload by name", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.not_met("a batch workload addresses peers by IP literal", lib.ev(bs), ip_gaps(bs)) if {
	lib.batch_only(svc)
	bs := lib.batch_workloads(svc)
	count(ip_gaps(bs)) > 0
} else := lib.no_long_running(svc, "discovery")
