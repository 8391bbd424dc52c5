# ds.org.vertical-splits: vertical splits, no silos.
#
# Not met (from the repository alone): CODEOWNERS gives deploy or infrastructure paths
# (CI files, manifests, charts, Terraform) to owners other than the application's
# default owners, or a workload's team label names another team than the service owner.
# Otherwise the on-call part (the same team is on call) needs an on-call source: unknown
# until one is read.
# Every workload's `team` label counts, batch ones included (a CronJob labelled for
# another team is the same split); `app.kubernetes.io/part-of` is not a team label.
package evident.rules.ds.org.vertical_splits

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

deploy_markers := [".github", ".gitlab", "deploy", "k8s", "kube", "manifests", "helm", "chart", "terraform", "infra", "ops", "argocd", "flux"]

deploy_path(p) if {
	some m in deploy_markers
	contains(lower(p), m)
}

codeowner_splits(svc) := [sprintf("CODEOWNERS line %d gives %s to %s, not to %s", [rule.line, rule.pattern, concat(" ", rule.owners), concat(" ", r.codeowners.default_owners)]) |
	some r in lib.repos(svc)
	r.codeowners != null
	count(r.codeowners.default_owners) > 0
	some rule in r.codeowners.rules
	rule.pattern != "*"
	deploy_path(rule.pattern)
	count({o | some o in r.codeowners.default_owners} & {o | some o in rule.owners}) == 0
]

label_splits(svc) := [sprintf("%s is labelled team %s, the service is owned by %s", [lib.workload_ref(w), w.team, svc.team]) |
	svc.team != null
	some w in lib.workloads(svc)
	w.team != null
	not same_team(w.team, svc.team)
]

same_team(a, b) if lower(trim_prefix(a, "@")) == lower(trim_prefix(b, "@"))

same_team(a, b) if endswith(lower(b), sprintf("/%s", [lower(a)]))

splits(svc) := array.concat(codeowner_splits(svc), label_splits(svc))

verdict(svc) := lib.not_met("code, deployment and workload are owned by different teams", array.concat(lib.ev([r.codeowners | some r in lib.repos(svc); r.codeowners != null]), lib.ev(lib.workloads(svc))), splits(svc)) if {
	count(splits(svc)) > 0
} else := lib.unknown("oncall", sprintf("no ownership split in CODEOWNERS or labels (owner: %s); the on-call part needs an on-call source", [owner_name(svc)])) if {
	not lib.ok("oncall")
}

owner_name(svc) := svc.team if svc.team != null

owner_name(svc) := "none resolved" if svc.team == null
