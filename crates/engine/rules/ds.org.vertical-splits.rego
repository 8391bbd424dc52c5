# ds.org.vertical-splits: vertical splits, no silos.
#
# Not met (from the repository alone): CODEOWNERS gives deploy or infrastructure paths
# (CI files, manifests, charts, Terraform) to owners other than the application's
# default owners, or a workload's team label names another team than the service owner.
# Otherwise the on-call part decides: the same team is on call when the responders of the
# service's on-call join (`svc.oncall.responders`, joined to logins through
# `input.index.people`) include a member of the owning team (`input.teams[t].members`,
# else its GitHub team).
# Met: no split, and a member of the owning team is on the service's on-call; cites the
# ownership records (CODEOWNERS, catalog) and the on-call records.
# Not met: a split as above; the service has no owning team; or its on-call reaches
# nobody of the owning team (naming whom it reaches and the on-call users no login was
# joined to).
# Unknown: no on-call source (not_configured: the on-call part is not checked); no
# on-call join for the service; the team's members not known; an on-call part the
# responders are made of not read (its status), or read in part while no member is
# found (partial).
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
} else := lib.not_met("the service has no owning team, so code, workload and on-call have no common owner", [], ["an owning team"]) if {
	not is_string(svc.team)
} else := lib.no_oncall_join(svc.id, on_call_what(svc)) if {
	not lib.has_oncall(svc)
} else := lib.members_unknown(svc.team, on_call_what(svc)) if {
	lib.roster(svc.team) == null
} else := lib.oncall_gap_verdict(lib.oncall_gaps(lib.oncall_accounts(svc), oncall_parts), on_call_what(svc)) if {
	count(lib.oncall_gaps(lib.oncall_accounts(svc), oncall_parts)) > 0
} else := lib.met(
	sprintf("%s owns the code and the workload (no split in CODEOWNERS or labels) and is on call for it (%s)", [svc.team, concat(", ", on_call(svc, ro.members))]),
	array.concat(array.concat(ownership_evidence(svc), lib.oncall_evidence(svc, [k | some k in lib.oncall_responders(svc); lib.login_of(k) in ro.members])), ro.evidence),
) if {
	ro := lib.roster(svc.team)
	count(on_call(svc, ro.members)) > 0
} else := lib.oncall_partial_verdict(other_on_call(svc, ro), partial_why(svc)) if {
	ro := lib.roster(svc.team)
	partial_why(svc) != ""
} else := other_on_call(svc, ro) if {
	ro := lib.roster(svc.team)
}

oncall_parts := ["services", "escalation_policies", "schedules", "users", "teams"]

on_call_what(svc) := sprintf("no ownership split in CODEOWNERS or labels (owner: %s); who is on call", [owner_name(svc)])

on_call(svc, members) := sort([m | some m in members & lib.responder_logins(lib.oncall_responders(svc))])

ownership_evidence(svc) := array.concat(
	lib.ev([r.codeowners | some r in lib.repos(svc); r.codeowners != null]),
	lib.ev([c | some r in lib.repos(svc); some c in object.get(r, "catalog", [])]),
)

partial_why(svc) := concat("; ", array.concat(
	[sprintf("the on-call join of %s is not complete", [svc.id]) | not lib.oncall_complete(svc)],
	lib.oncall_partials(lib.oncall_accounts(svc), oncall_parts),
))

other_on_call(svc, r) := lib.not_met(
	sprintf("%s owns the code and the workload, but its on-call (%s) reaches nobody of the team (%s)%s", [svc.team, lib.oncall_services_text(svc), r.source, lib.unresolved_note(lib.oncall_responders(svc))]),
	array.concat(ownership_evidence(svc), lib.oncall_evidence(svc, [])),
	array.concat([sprintf("a member of %s on the on-call of %s", [svc.team, svc.id])], lib.unresolved_missing(lib.oncall_responders(svc))),
)

owner_name(svc) := svc.team if svc.team != null

owner_name(svc) := "none resolved" if svc.team == null
