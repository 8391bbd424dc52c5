# ds.arch.twelve-factor: the twelve-factor guidelines, as far as they are observable.
#
# Factors judged per long-running workload, each reported:
# config (env vars, envFrom, or ConfigMap/Secret volumes), logs (no volume whose name
# says it holds log files), port binding (a containerPort on an app container),
# disposability (a preStop hook or a termination grace period not below the 30 s
# default), backing services (peers addressed through env or Secrets, never IP
# literals), processes (no PersistentVolumeClaim, hostPath or volumeClaimTemplates).
# Dev/prod parity (one image promoted across environments) needs several environments
# and is not judged; the summary says so. Codebase, dependencies, build/release/run,
# concurrency and admin processes have no reliable signal in manifests.
# Batch workloads (Jobs, CronJobs, hooks) are the factor "admin processes" run as one-off
# processes; the factors above are about the long-running app, so they are not judged
# and a service made only of them is not applicable. Each `missing[]` entry names the
# declaration's file and lines.
package evident.rules.ds.arch.twelve_factor

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

factor_fails(w, "config") if {
	count([n | some c in lib.app_containers(w); some n in array.concat(c.env_names, c.env_from)]) == 0
	count([v | some v in w.volumes; v.type in {"configMap", "secret", "projected"}]) == 0
}

factor_fails(w, "logs") if {
	some v in w.volumes
	contains(lower(v.name), "log")
}

factor_fails(w, "port binding") if {
	count([p | some c in lib.app_containers(w); some p in c.ports]) == 0
	w.kind != "DaemonSet"
}

factor_fails(w, "disposability") if {
	w.termination_grace_period_seconds != null
	w.termination_grace_period_seconds < 30
	count([c | some c in lib.app_containers(w); c.pre_stop]) == 0
}

factor_fails(w, "backing services") if {
	some c in lib.app_containers(w)
	count(c.env_ip_literals) > 0
}

factor_fails(w, "processes") if {
	some v in w.volumes
	v.type in {"persistentVolumeClaim", "hostPath"}
}

factor_fails(w, "processes") if w.volume_claim_templates > 0

factors := ["config", "logs", "port binding", "disposability", "backing services", "processes"]

gaps(ws) := [lib.located(w, sprintf("%s: factor %s does not hold", [lib.workload_ref(w), f])) |
	some w in ws
	some f in factors
	factor_fails(w, f)
]

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources

verdict(svc) := lib.access_gap(needs, "twelve-factor signals") if {
	lib.has_access_gap(needs)
} else := lib.met(sprintf("factors %s hold for %s; dev/prod parity not judged", [concat(", ", factors), lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("twelve-factor gaps", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "twelve-factor signals")
