# ds.devops.config-automated: server configuration is automated.
#
# Two parts, both needed: (1) the service's runtime configuration is in code (Helm,
# Kustomize, Terraform, Pulumi, Ansible, Chef, Puppet, Salt, CloudFormation, Skaffold,
# Argo CD / Flux objects), judged from the repository; (2) its live resources carry a
# manager, judged from the cluster.
# Not met when part (1) fails (no configuration code), whatever the cluster shows.
# Unknown when part (1) holds and no cluster was read: the repository cannot show that
# what runs was applied by that code.
# Decision: plain Kubernetes manifests alone are not configuration management (they are
# applied by hand as easily as by a tool).
# Batch workloads (Jobs, CronJobs, hooks) are live resources too: each needs a manager,
# and a service made only of them is judged like any other.
package evident.rules.ds.devops.config_automated

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

code(svc) := lib.inventory(svc, "config_as_code")

tools(svc) := lib.tool_summary(code(svc))

unmanaged(svc) := [w | some w in lib.live_workloads(svc); count(w.managers) == 0]

verdict(svc) := lib.not_met("no configuration-as-code for the service in the repository", [], ["Helm, Kustomize, Terraform, Pulumi, Ansible, Chef, Puppet, Salt or CloudFormation configuration"]) if {
	count(code(svc)) == 0
} else := lib.unknown("kubernetes", sprintf("configuration in code: %s; live managers not checked", [tools(svc)])) if {
	not lib.ok("kubernetes")
} else := lib.access_gap(lib.workload_resources, "live managers") if {
	lib.has_access_gap(lib.workload_resources)
} else := lib.not_met("live resources without a manager", lib.ev(unmanaged(svc)), [sprintf("%s has no manager", [lib.workload_ref(w)]) | some w in unmanaged(svc)]) if {
	count(unmanaged(svc)) > 0
} else := lib.met(sprintf("configuration in code (%s) and every live resource has a manager", [tools(svc)]), array.concat(lib.ev(code(svc)), lib.ev(lib.live_workloads(svc))))
