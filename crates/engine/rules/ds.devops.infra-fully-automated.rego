# ds.devops.infra-fully-automated: infrastructure setup is fully automated.
#
# Two parts: (1) infrastructure code is planned and applied from CI (a job classified
# infra_apply: terraform apply, pulumi up) or synced by GitOps (Argo CD / Flux objects
# in the repository); (2) every live resource of the service has a manager.
# Not met when part (1) is absent from the repository. Unknown when (1) holds and no
# cluster was read.
# Batch workloads (Jobs, CronJobs, hooks) are live resources too: each needs a manager,
# and a service made only of them is judged like any other.
# A CI file of the service that could not be read makes the verdicts that rest on CI
# unknown (reason error, naming the file; lib.ci_checked) unless met; a not_met that rests
# only on evidence outside CI (live resources without a manager) stands, since no unread workflow can undo it.
package evident.rules.ds.devops.infra_fully_automated

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

appliers(svc) := array.concat([j | some j in lib.jobs(svc); lib.has_kind(j, "infra_apply")], lib.gitops_config(svc))

unmanaged(svc) := [w | some w in lib.live_workloads(svc); count(w.managers) == 0]

verdict(svc) := lib.not_met("live resources without a manager", lib.ev(unmanaged(svc)), [sprintf("%s has no manager", [lib.workload_ref(w)]) | some w in unmanaged(svc)]) if {
	lib.ok("kubernetes")
	not lib.has_access_gap(lib.workload_resources)
	count(unmanaged(svc)) > 0
	count(lib.broken_ci_files(svc)) > 0
} else := lib.ci_checked(svc, ci_verdict(svc))

ci_verdict(svc) := lib.not_met("no CI job applies infrastructure code and no GitOps configuration syncs it", [], ["terraform/pulumi apply from CI, or Argo CD / Flux"]) if {
	count(appliers(svc)) == 0
} else := lib.unknown("kubernetes", "infrastructure is applied from CI or GitOps; live managers not checked") if {
	not lib.ok("kubernetes")
} else := lib.access_gap(lib.workload_resources, "live managers") if {
	lib.has_access_gap(lib.workload_resources)
} else := lib.not_met("live resources without a manager", lib.ev(unmanaged(svc)), [sprintf("%s has no manager", [lib.workload_ref(w)]) | some w in unmanaged(svc)]) if {
	count(unmanaged(svc)) > 0
} else := lib.met("infrastructure applied from CI or GitOps and every live resource has a manager", lib.ev(appliers(svc)))
