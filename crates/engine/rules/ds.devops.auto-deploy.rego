# ds.devops.auto-deploy: applications are automatically deployed.
#
# Met: a CI job of the service's repository deploys (kubectl, helm, kustomize, skaffold,
# argocd, flux, terraform apply, pulumi up, cloud deploy CLIs, deploy actions) and runs
# without a person starting it (push, tag, schedule, workflow_run); or the repository
# holds Argo CD / Flux objects that reconcile it; or (with Kubernetes) its live workloads
# carry an Argo CD / Flux manager.
# Not met: the only deploy jobs are started by hand, or (with Kubernetes) nothing
# reconciles the live workloads either.
# Met (GitHub): a deployment of the service created by automation in the last 90 days
# (`deployments[].by_automation`: a Bot creator, or a status linking a workflow run); the
# met cites the deployments. Which service a deployment is of: the one its environment
# names, else every service of its repository (lib.service_deployments).
# Not met (GitHub): every deployment of the service in the last 90 days was created by a
# person (the result names them), and no deploy job or GitOps configuration runs
# automatically.
# Unknown (GitHub): the deployments of a repository of the service could not be read
# (forbidden, rate_limited, ...): asked before any not_met, since they could show an
# automated deploy.
# Unknown: the deploy jobs are started by triggers kept outside the repository (Cloud
# Build triggers live in the Google Cloud project; Buildkite, Jenkins job settings):
# not counted as started by hand, since the repository cannot say what starts them.
# Unknown: nothing in the repository deploys it and no cluster was read. Central GitOps
# repositories are common, so the absence of a deploy job here is not proof that nothing
# deploys the service automatically.
# Decisions: publishing images or charts is a release, not a deploy; pull-request
# deploys are previews and do not count; installing into a cluster the same job creates
# (kind, k3d, minikube) is a test.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.devops.auto_deploy

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

verdict(svc) := lib.met(sprintf("deployed automatically by %s", [refs]), lib.ev(jobs)) if {
	jobs := lib.automatic_deploy_jobs(svc)
	count(jobs) > 0
	refs := concat(", ", [lib.job_ref(j) | some j in jobs])
} else := lib.met(sprintf("reconciled by GitOps configuration %s", [paths]), lib.ev(cfg)) if {
	cfg := lib.gitops_config(svc)
	count(cfg) > 0
	paths := concat(", ", [e.path | some e in cfg])
} else := lib.met("live workloads are reconciled by Argo CD or Flux", lib.ev(live)) if {
	lib.ok("kubernetes")
	live := lib.live_gitops(svc)
	count(live) > 0
} else := lib.met(sprintf("GitHub deployments by automation in the last 90 days: %s", [concat(", ", [sprintf("%s by %s", [lib.dep_ref(d), d.creator]) | some d in ds])]), lib.ev(ds)) if {
	ds := automated(svc)
	count(ds) > 0
} else := lib.external_trigger_unknown(jobs) if {
	jobs := lib.external_deploy_jobs(svc)
	count(jobs) > 0
} else := lib.github_unread_for(svc, ["deployments"], "no deploy in the repository runs automatically; GitHub deployments could show one") if {
	lib.github_judges(svc)
	lib.github_has_gap(svc, ["deployments"])
} else := lib.not_met(
	sprintf("deploy jobs run only when started by hand: %s", [refs]),
	lib.ev(jobs),
	["a deploy triggered by push, tag or schedule"],
) if {
	jobs := lib.hand_deploy_jobs(svc)
	count(jobs) > 0
	refs := concat(", ", [lib.job_ref(j) | some j in jobs])
} else := lib.not_met(
	sprintf("every GitHub deployment in the last 90 days was created by a person: %s", [concat(", ", [sprintf("%s by %s", [lib.dep_ref(d), d.creator]) | some d in ds])]),
	lib.ev(ds),
	["deployments created by a pipeline (a workflow run or a bot), not by people"],
) if {
	ds := recent(svc)
	count(ds) > 0
} else := lib.access_gap(lib.workload_resources, "GitOps managers of live workloads") if {
	lib.has_access_gap(lib.workload_resources)
} else := lib.not_met(
	"no CI job deploys the service and no GitOps controller manages its live workloads",
	[],
	["a deploy job on push or tag, or a GitOps controller"],
) if {
	lib.ok("kubernetes")
} else := lib.unknown("kubernetes", "no deploy job or GitOps configuration in the repository; a controller elsewhere could still deploy it")

recent(svc) := [d | some d in lib.service_deployments(svc); lib.within_days(d.created_at, 90)] if lib.github_judges(svc)

recent(svc) := [] if not lib.github_judges(svc)

automated(svc) := [d | some d in recent(svc); d.by_automation == true]
