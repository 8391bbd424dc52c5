# ops.production-scripted: production is scripted.
#
# Met: any CI job deploys the service (even one started by hand), the repository holds a
# deploy script or Makefile deploy target, or GitOps configuration / a live GitOps
# manager applies it (GitOps is more than scripted).
# Unknown: none of that in the repository and no cluster was read: deploy scripts often
# live in a central platform repository.
# Not met: with Kubernetes read, nothing manages the live workloads either.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ops.production_scripted

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

verdict(svc) := lib.met(sprintf("deployed by pipeline jobs %s", [refs]), lib.ev(jobs)) if {
	jobs := lib.deploy_jobs(svc)
	count(jobs) > 0
	refs := concat(", ", [lib.job_ref(j) | some j in jobs])
} else := lib.met(sprintf("deploy scripts: %s", [paths]), lib.ev(scripts)) if {
	scripts := lib.inventory(svc, "deploy_scripts")
	count(scripts) > 0
	paths := concat(", ", [e.path | some e in scripts])
} else := lib.met("applied by GitOps configuration", lib.ev(cfg)) if {
	cfg := lib.gitops_config(svc)
	count(cfg) > 0
} else := lib.met("live workloads are reconciled by Argo CD or Flux", lib.ev(live)) if {
	lib.ok("kubernetes")
	live := lib.live_gitops(svc)
	count(live) > 0
} else := lib.access_gap(lib.workload_resources, "GitOps managers of live workloads") if {
	lib.has_access_gap(lib.workload_resources)
} else := lib.not_met("no script, pipeline or controller deploys the service", [], ["a deploy script or pipeline job"]) if {
	lib.ok("kubernetes")
} else := lib.unknown("kubernetes", "no deploy script or pipeline job in the repository")
