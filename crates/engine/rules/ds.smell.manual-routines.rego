# ds.smell.manual-routines (smell; met means absent): many manual routines.
#
# Smell present (not met): the service has deploy jobs and every one is started by hand
# (workflow_dispatch, `when: manual`), or (with Kubernetes) live workloads carry no manager.
# Absent (met): a deploy runs automatically or GitOps applies it; the live-resource part
# is noted as not checked when no cluster was read.
# Unknown: nothing in the repository deploys it and no cluster was read; or the deploy
# jobs are started by triggers kept outside the repository (Cloud Build triggers live in
# the Google Cloud project, Buildkite and Jenkins job settings): such a job is not
# counted as started by hand, since nobody can tell from the repository what starts it.
# GitHub: a deployment of the service created by automation in the last 90 days shows
# an automatic deploy (absent); every deployment in that window created by a person, with
# no automatic deploy job or GitOps configuration, is the smell (present, naming them).
# Deployments GitHub did not give (forbidden, rate_limited, ...) make the verdict
# unknown before a not_met: they could show automation. Note: a deployment made by a
# workflow run counts as automation even when a person started the run by hand
# (workflow_dispatch); the jobs' triggers already judge that case.
# Batch workloads (Jobs, CronJobs, hooks) are live resources too: a hand-applied CronJob
# is a manual routine, and a service made only of them is judged like any other.
# A CI file of the service that could not be read makes the verdicts that rest on CI
# unknown (reason error, naming the file; lib.ci_checked) unless met; the not_met for
# live workloads without a manager rests on the cluster only and stands.
package evident.rules.ds.smell.manual_routines

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

unmanaged(svc) := [w | some w in lib.live_workloads(svc); count(w.managers) == 0]

verdict(svc) := lib.not_met(
	sprintf("live workloads without a manager (hand-applied): %s", [concat(", ", [lib.workload_ref(w) | some w in ws])]),
	lib.ev(ws),
	["a manager (Helm, Argo CD, Flux, Kustomize) on every live resource"],
) if {
	lib.ok("kubernetes")
	ws := unmanaged(svc)
	count(ws) > 0
} else := lib.ci_checked(svc, ci_verdict(svc))

ci_verdict(svc) := live_note(lib.met(sprintf("deploys run automatically: %s", [refs]), lib.ev(jobs))) if {
	jobs := lib.automatic_deploy_jobs(svc)
	count(jobs) > 0
	refs := concat(", ", [lib.job_ref(j) | some j in jobs])
} else := live_note(lib.met("GitOps configuration applies the service", lib.ev(cfg))) if {
	cfg := lib.gitops_config(svc)
	count(cfg) > 0
} else := live_note(lib.met(sprintf("GitHub deployments by automation in the last 90 days: %s", [concat(", ", [lib.dep_ref(d) | some d in ds])]), lib.ev(ds))) if {
	ds := automated(svc)
	count(ds) > 0
} else := lib.external_trigger_unknown(jobs) if {
	jobs := lib.external_deploy_jobs(svc)
	count(jobs) > 0
} else := lib.github_unread_for(svc, ["deployments"], "no deploy in the repository runs automatically; GitHub deployments could show one") if {
	lib.github_judges(svc)
	lib.github_has_gap(svc, ["deployments"])
} else := lib.not_met(
	sprintf("every deploy is started by hand: %s", [concat(", ", [lib.job_ref(j) | some j in jobs])]),
	lib.ev(jobs),
	["an automatic deploy trigger"],
) if {
	jobs := lib.hand_deploy_jobs(svc)
	count(jobs) > 0
} else := lib.not_met(
	sprintf("deployments only by people: every GitHub deployment in the last 90 days was created by a person (%s)", [concat(", ", [sprintf("%s by %s", [lib.dep_ref(d), d.creator]) | some d in ds])]),
	lib.ev(ds),
	["deployments created by automation"],
) if {
	ds := recent(svc)
	count(ds) > 0
} else := lib.access_gap(lib.workload_resources, "live managers") if {
	lib.has_access_gap(lib.workload_resources)
} else := lib.met("live workloads all carry a manager", lib.ev(lib.live_workloads(svc))) if {
	lib.ok("kubernetes")
	count(lib.live_workloads(svc)) > 0
} else := lib.unknown("kubernetes", "no deploy job in the repository")

live_note(r) := r if lib.ok("kubernetes")

live_note(r) := lib.with_note(r, lib.unchecked("kubernetes", "managers of live resources")) if not lib.ok("kubernetes")

recent(svc) := [d | some d in lib.service_deployments(svc); lib.within_days(d.created_at, 90)] if lib.github_judges(svc)

recent(svc) := [] if not lib.github_judges(svc)

automated(svc) := [d | some d in recent(svc); d.by_automation == true]
