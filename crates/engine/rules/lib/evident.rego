# Helpers every built-in rule uses, and custom policies may use too.
#
# Results are built only through met / not_met / not_applicable / unknown so that every
# verdict has the same shape, and unknown always names the source that caused it.
package evident.lib

import rego.v1

# How a capability answered; a capability nobody provides counts as not configured.
source_status(cap) := object.get(object.get(input.sources, cap, {}), "status", "not_configured")

ok(cap) if source_status(cap) == "ok"

source_detail(cap) := object.get(object.get(input.sources, cap, {}), "detail", "")

met(summary, evidence) := {"status": "met", "summary": summary, "evidence": evidence, "missing": []}

not_met(summary, evidence, missing) := {
	"status": "not_met",
	"summary": summary,
	"evidence": evidence,
	"missing": missing,
}

# One service's own part of a team or estate finding, for a rule's optional
# `parts[service_id]` beside `result`: the shared verdict is stored once, and each
# service's row carries only this (what of the finding is about that service), never
# the whole list. The status is always the shared verdict's. See docs/facts.md.
part(summary, evidence, missing) := {"summary": summary, "evidence": evidence, "missing": missing}

not_applicable(summary) := {"status": "not_applicable", "summary": summary, "evidence": [], "missing": []}

# A verdict that could not be reached because `cap` did not answer. `summary` says what
# was looked for; the source status and its detail are appended.
unknown(cap, summary) := {
	"status": "unknown",
	"reason": source_status(cap),
	"summary": sprintf("%s (%s: %s)", [summary, cap, source_status(cap)]),
	"evidence": [],
	"missing": [cap],
}

# Appends a note on the optional part that was not checked, so a verdict judged only
# from files says so.
with_note(result, note) := object.union(result, {"summary": sprintf("%s; %s", [result.summary, note])})

unchecked(cap, what) := sprintf("%s not checked (%s: %s)", [what, cap, source_status(cap)])

# --- accessors over facts.git -------------------------------------------------------

# The values of `obj` at `keys`, skipping keys it does not have. Written with
# object.get and a null check rather than `v := obj[k]`: regorus' RVM (0.14.1) puts an
# undefined element into a comprehension for a missing key, where Rego skips it.
present(obj, keys) := [v | some k in keys; v := object.get(obj, k, null); v != null]

repos(svc) := present(input.facts.git.repos, svc.repos)

# The service's CI jobs; a job that calls a reusable workflow read in the scan carries
# that workflow's kinds too (with_reused, input.index.reused_jobs).
jobs(svc) := [with_reused(object.get(r, "key", ""), j) | some r in repos(svc); some j in r.ci.jobs]

ci_files(svc) := [f | some r in repos(svc); some f in r.ci.files]

# CI files of the service's repositories that were found but could not be read (not
# UTF-8, a parse error, a workflow GitHub would reject, too large): `ci.files[]` entries
# with an `error`. Their jobs are unknown, so what the other CI files show is not the
# whole pipeline.
broken_ci_files(svc) := [f | some f in ci_files(svc); is_string(object.get(f, "error", null))]

# The guard every rule that reads CI jobs or files puts around its verdict: when a CI
# file of the service could not be read, only a `met` that the files read already prove
# stands (more jobs cannot undo it); `not_applicable` stands too, because it is decided
# without CI. Anything else becomes `unknown` (reason `error`) naming each file and why:
# an unread file is never evidence that a job is absent.
# The same holds for a job calling a reusable workflow nothing in the scan holds
# (reuse_checked): unknown, naming the reuse.
ci_checked(svc, v) := reuse_checked(svc, ci_files_checked(svc, v))

ci_files_checked(svc, v) := v if count(broken_ci_files(svc)) == 0

ci_files_checked(svc, v) := v if {
	count(broken_ci_files(svc)) > 0
	v.status in {"met", "not_applicable"}
}

ci_files_checked(svc, v) := ci_unreadable(svc, v) if {
	count(broken_ci_files(svc)) > 0
	not v.status in {"met", "not_applicable"}
}

ci_unreadable(svc, v) := {
	"status": "unknown",
	"reason": "error",
	"summary": sprintf("CI not fully read: %s; what the other CI files show does not settle it (%s)", [
		concat("; ", [sprintf("%s could not be read (%s)", [f.path, f.error]) | some f in broken]),
		v.summary,
	]),
	"evidence": array.concat(ev(broken), v.evidence),
	"missing": [sprintf("%s: %s", [f.path, f.error]) | some f in broken],
} if broken := broken_ci_files(svc)

inventory(svc, kind) := [e | some r in repos(svc); some e in object.get(r.inventory, kind, [])]

workloads(svc) := present(input.facts.git.workloads, svc.workloads)

long_running(svc) := [w | some w in workloads(svc); w.long_running]

app_containers(w) := [c | some c in w.containers; not c.sidecar]

# Workloads with no app container to judge (no containers at all, or only sidecars in
# facts made before kube-facts judged a lone proxy as the app). Rules that check
# containers list them as gaps: an empty list must never pass a check vacuously.
without_app_containers(ws) := [w | some w in ws; count(app_containers(w)) == 0]

has_kind(job, kind) if kind in job.kinds

# Evidence ids of a list of facts that carry one id (`evidence: "id"`) or many.
ev(items) := [id | some item in items; some id in as_list(item.evidence)]

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_string(x)

# `name (path:start-end)`, how summaries point at a job.
job_ref(j) := sprintf("%s (%s:%d-%d)", [j.name, j.path, j.start_line, j.end_line])

names(items) := concat(", ", [n | some i in items; n := i.name])

workload_ref(w) := sprintf("%s/%s", [w.kind, w.name])

# Alerting and recording rules that belong to the service (rule files and
# PrometheusRule objects of its repositories, or rules whose labels name it); resolution
# indexes them per service so that no rule joins services with rules.
service_rules(svc) := [input.facts.git.prometheus_rules[i] | some i in object.get(svc, "rules", [])]

alerts(svc) := [r | some r in service_rules(svc); r.kind == "alert"]

records(svc) := [r | some r in service_rules(svc); r.kind == "record"]

# Images of datastores: a StatefulSet running one of these is a datastore, not an app.
datastore_images := {
	"postgres", "mysql", "mariadb", "redis", "mongo", "mongodb", "cassandra", "elasticsearch",
	"opensearch", "kafka", "zookeeper", "etcd", "rabbitmq", "nats", "clickhouse", "cockroach",
	"cockroachdb", "minio", "memcached", "valkey", "scylla", "couchdb", "neo4j", "influxdb",
	"spanner-emulator", "pulsar",
}

image_name(c) := n if {
	parts := split(c.image.repository, "/")
	n := parts[count(parts) - 1]
}

is_datastore_container(c) if {
	some d in datastore_images
	startswith(image_name(c), d)
}

is_datastore_workload(w) if {
	cs := app_containers(w)
	count(cs) > 0
	every c in cs {
		is_datastore_container(c)
	}
}

# --- deploys -------------------------------------------------------------------------

# A job deploys when it was classified deploy and does not create its own throwaway
# cluster (kind, k3d, minikube): installing into such a cluster is a test.
deploy_job(j) if {
	has_kind(j, "deploy")
	not j.local_cluster
}

deploy_jobs(svc) := [j | some j in jobs(svc); deploy_job(j)]

# Runs without a person starting it. Pull-request triggers are excluded on purpose: a
# deploy from a pull request is a preview, not the service's deploy.
automatic_trigger(j) if j.triggers.push_default_branch

automatic_trigger(j) if j.triggers.push_other

automatic_trigger(j) if j.triggers.tag

automatic_trigger(j) if j.triggers.schedule

automatic_trigger(j) if "workflow_run" in j.triggers.other

# A job that waits for a person (GitLab `when: manual`, a Jenkins `input` step, a CircleCI
# approval, a Bitbucket manual step) is not automatic even when a push starts its
# pipeline: the probe's `automatic` says so, and both must hold.
automatic_deploy_jobs(svc) := [j | some j in deploy_jobs(svc); automatic_trigger(j); j.automatic == true]

# A deploy job the file cannot say the trigger of: Cloud Build (triggers live in the
# Google Cloud project), Buildkite (pipeline settings), a Jenkinsfile without branch
# conditions, a Tekton pipeline no EventListener of the repository starts. The probe
# marks them `external-trigger`; unless the job also waits for a person (a Buildkite
# block, a Jenkins input: `manual`), nobody can tell from the repository whether a
# person or an automation starts it, so it is neither automatic nor manual.
externally_triggered(j) if {
	"external-trigger" in j.triggers.other
	not j.triggers.manual
}

# A reusable workflow's job (`on: workflow_call`) runs when another workflow calls it:
# its callers' triggers decide, and they are judged where they live (the calling job
# carries this job's kinds, `index.reused_jobs`). In its own repository it is neither
# automatic nor a deploy by hand, even when it may also be dispatched by hand.
externally_triggered(j) if {
	"workflow_call" in j.triggers.other
}

external_deploy_jobs(svc) := [j | some j in deploy_jobs(svc); externally_triggered(j); not j.automatic == true]

# Deploy jobs known to wait for a person: deploy jobs that are neither automatic nor
# started by a trigger outside the repository.
hand_deploy_jobs(svc) := [j |
	some j in deploy_jobs(svc)
	not automatic_trigger_and_flag(j)
	not externally_triggered(j)
]

automatic_trigger_and_flag(j) if {
	automatic_trigger(j)
	j.automatic == true
}

# Where the trigger of an externally triggered job lives, for summaries.
trigger_home(j) := "Cloud Build (the Google Cloud project's build triggers)" if j.system == "cloud-build"

trigger_home(j) := "the Buildkite pipeline's settings" if j.system == "buildkite"

trigger_home(j) := "the Jenkins job configuration" if j.system == "jenkins"

trigger_home(j) := "a Tekton EventListener outside the repository, if any" if j.system == "tekton"

trigger_home(j) := "the workflows that call it (a reusable workflow: on workflow_call)" if {
	not j.system in {"cloud-build", "buildkite", "jenkins", "tekton"}
	"workflow_call" in j.triggers.other
}

trigger_home(j) := sprintf("the %s settings", [j.system]) if {
	not j.system in {"cloud-build", "buildkite", "jenkins", "tekton"}
	not "workflow_call" in j.triggers.other
}

# The verdict when the only deploys are started by triggers the repository does not
# hold: unknown (`not_configured`: no source evident reads holds those triggers).
external_trigger_unknown(jobs) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("deploys run from %s; what starts them is not readable from the repository: %s", [
		concat(", ", [job_ref(j) | some j in jobs]),
		concat("; ", {sprintf("the trigger lives in %s", [trigger_home(j)]) | some j in jobs}),
	]),
	"evidence": ev(jobs),
	"missing": [sprintf("the trigger of %s", [job_ref(j)]) | some j in jobs],
}

gitops_config(svc) := [e | some e in inventory(svc, "config_as_code"); e.tool in {"argocd", "flux"}]

# --- facts.kubernetes (live clusters and dumps) ---------------------------------------

kube := object.get(input.facts, "kubernetes", {})

# Live workloads of the service as the cluster shows them (same shape as manifests, plus
# `cluster` and `live`). Resolution lists their keys in `svc.live_workloads`; inputs made
# before it did key them like the manifests' workloads.
live_workloads(svc) := present(object.get(kube, "workloads", {}), object.get(svc, "live_workloads", svc.workloads))

live_long_running(svc) := [w | some w in live_workloads(svc); w.long_running]

# Rules judge the live workloads when a cluster was read and runs the service; a service
# the cluster does not run is judged from its manifests, and the summary says so.
uses_live(svc) if {
	ok("kubernetes")
	count(live_workloads(svc)) > 0
}

# The clusters a service's live workloads were read from, for summaries.
clusters_of(svc) := concat(", ", sort({c | some w in live_workloads(svc); c := object.get(w, "cluster", ""); c != ""}))

# The cluster names worth printing after "cluster": none when the workloads carry no
# name or the cluster is itself called "cluster" (a dump named cluster.json), which
# would read "judged from cluster cluster".
cluster_label(svc) := names if {
	names := clusters_of(svc)
	not names in {"", "cluster"}
}

# Resource types a cluster refused or did not answer for (403, timeout, 5xx after retries).
# A cluster that could not be read at all is listed with resource "*".
unread(resources) := [u | some u in object.get(kube, "unread", []); unread_match(u, resources)]

# A kind a dump holds no object of (`absent_from_dump`) is a gap only where a rule would
# take it as absent from the cluster (no PDB, no autoscaler, no Service): a service's
# own workloads are judged on the workloads the dump holds.
unread_match(u, resources) if {
	u.resource in resources
	not object.get(u, "absent_from_dump", false)
}

unread_match(u, resources) if {
	u.resource in resources
	object.get(u, "absent_from_dump", false)
	not u.resource in workload_resources
}

unread_match(u, _) if u.resource == "*"

# Every gap for `resources`, kinds a dump does not hold included: for rules that judge
# a workload kind's absence across a cluster (no log-shipping DaemonSet).
cluster_unread(resources) := [u | some u in object.get(kube, "unread", []); cluster_unread_match(u, resources)]

cluster_unread_match(u, resources) if u.resource in resources

cluster_unread_match(u, _) if u.resource == "*"

# What every workload rule needs from a cluster: the workload kinds themselves.
workload_resources := {"deployments", "statefulsets", "daemonsets", "replicasets", "rollouts"}

# An unknown verdict for a rule whose live judgement needs resources a cluster did not
# give: only the criteria that need them are affected, and the reason names each one.
access_gap(resources, what) := gap_verdict(unread(resources), what) if {
	ok("kubernetes")
	count(unread(resources)) > 0
}

# access_gap over cluster_unread: kinds a dump does not hold count.
cluster_gap(resources, what) := gap_verdict(cluster_unread(resources), what) if {
	ok("kubernetes")
	count(cluster_unread(resources)) > 0
}

gap_verdict(gaps, what) := {
	"status": "unknown",
	"reason": gaps[0].status,
	"summary": sprintf("%s not checked: %s", [what, concat("; ", [sprintf("%s in cluster %s: %s (%s)", [u.resource, u.cluster, u.status, u.detail]) | some u in gaps])]),
	"evidence": [],
	"missing": ["kubernetes"],
}

# The autoscalers a workload's `hpas` keys index: the cluster's for a live workload, the
# repository's for a declared one.
hpa_map(w) := object.get(kube, "hpas", {}) if object.get(w, "cluster", null) != null

hpa_map(w) := object.get(input.facts.git, "hpas", {}) if object.get(w, "cluster", null) == null

# Bare pods (no controller restarts them) of the service: live ones when the cluster runs
# the service, else those its manifests declare.
bare_pods(svc) := [k | some k in object.get(kube, "bare_pods", []); k in object.get(svc, "live_workloads", [])] if uses_live(svc)

bare_pods(svc) := [k | some k in object.get(input.facts.git, "bare_pods", []); k in svc.workloads] if not uses_live(svc)

has_access_gap(resources) if {
	ok("kubernetes")
	count(unread(resources)) > 0
}

live_gitops(svc) := [w |
	some w in live_workloads(svc)
	some m in w.managers
	m.tool in {"argocd", "flux"}
]

# --- workloads -----------------------------------------------------------------------

# The long-running workloads a workload rule judges: the live ones when a cluster was
# read (what runs beats what is declared), else those declared in the repository.
judged_workloads(svc) := live_long_running(svc) if uses_live(svc)

judged_workloads(svc) := long_running(svc) if not uses_live(svc)

judged_from := "live cluster" if ok("kubernetes")

judged_from := "repository manifests" if not ok("kubernetes")

# Where `judged_workloads(svc)` came from, for summaries: "judged from cluster prod" or
# "judged from manifests" (noting when a cluster was read but does not run the service).
judged_from_of(svc) := sprintf("judged from cluster %s", [names]) if {
	uses_live(svc)
	names := cluster_label(svc)
}

judged_from_of(svc) := "judged from the live cluster" if {
	uses_live(svc)
	not cluster_label(svc)
}

judged_from_of(svc) := "judged from manifests; not found in the cluster read" if {
	ok("kubernetes")
	not uses_live(svc)
}

judged_from_of(svc) := "judged from manifests" if not ok("kubernetes")

# The verdict when a workload rule finds nothing to judge: with a cluster read, the
# service has no long-running workload; without one, nobody has looked.
no_workloads(what) := not_applicable(sprintf("no long-running workload to check %s", [what])) if ok("kubernetes")

no_workloads(what) := unknown("kubernetes", sprintf("no Kubernetes workload in the repository manifests to check %s", [what])) if not ok("kubernetes")

# --- kustomize overlays that could not be rendered ---------------------------------

# Declared workloads of the service that a kustomize overlay of its repository patches or
# builds on, where the overlay could not be rendered (kubectl not on PATH, a remote
# base, a failed render): the git probe marks them `unrendered_overlay`. What the
# overlay deploys may add a container, drop a probe, change the image or the replicas.
unrendered(svc) := [w |
	some w in all_judged_workloads(svc)
	object.get(w, "cluster", null) == null
	is_string(object.get(w, "unrendered_overlay", null))
]

# The guard of rules about containers and rollouts (health checks, requests,
# zero-downtime, statelessness, image pinning, failover): with a live cluster read, the
# live objects are judged and the guard does nothing; otherwise a verdict other than
# not_applicable becomes `unknown` (reason error) naming each overlay, since neither the
# base's met nor its not_met is what the overlay deploys.
overlay_checked(svc, v) := workloads_read(svc, v) if count(unrendered(svc)) == 0

# Workload manifests of the service's repositories that could not be read (a pod spec
# without a list of named containers: the git probe's `skipped` entries that name a
# workload). One of them may be the service's own, so what the others show can prove
# `met` but not an absence: a `not_met` or `not_applicable` judged from manifests becomes
# `unknown` (reason partial) naming each. A live cluster read is judged on its objects.
unread_workloads(svc) := [s |
	some s in object.get(object.get(input.facts, "git", {}), "skipped", [])
	is_string(object.get(s, "workload", null))
	object.get(s, "repo", "") in object.get(svc, "repos", [])
]

workloads_read(svc, v) := v if not declared_gap(svc, v)

workloads_read(svc, v) := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("%s would need every workload manifest, but %s could not be read: %s", [v.status, concat(", ", [s.workload | some s in unread_workloads(svc)]), v.summary]),
	"evidence": v.evidence,
	"missing": [s.reason | some s in unread_workloads(svc)],
} if declared_gap(svc, v)

declared_gap(svc, v) if {
	not uses_live(svc)
	count(unread_workloads(svc)) > 0
	v.status in {"not_met", "not_applicable"}
}

overlay_checked(svc, v) := v if {
	count(unrendered(svc)) > 0
	v.status == "not_applicable"
}

overlay_checked(svc, v) := {
	"status": "unknown",
	"reason": "error",
	"summary": sprintf("%s is changed by an overlay evident could not render: %s (from the bases alone: %s)", [refs(ws), concat("; ", notes), v.summary]),
	"evidence": array.concat(ev(ws), v.evidence),
	"missing": [located(w, w.unrendered_overlay) | some w in ws],
} if {
	ws := unrendered(svc)
	count(ws) > 0
	v.status != "not_applicable"
	notes := {w.unrendered_overlay | some w in ws}
}

# --- batch workloads --------------------------------------------------------------

# Jobs, CronJobs and Helm / Argo CD hook objects run to completion. Resolution lists a
# batch workload among the workloads of the service its `app.kubernetes.io/part-of`
# names. Facts made before kube-facts set `batch` say it through `long_running`.
is_batch(w) if object.get(w, "batch", false) == true

is_batch(w) if object.get(w, "long_running", true) == false

# Every workload of the service a rule can judge, batch ones included: the live ones
# when a cluster was read and runs the service, else those its manifests declare.
all_judged_workloads(svc) := live_workloads(svc) if uses_live(svc)

all_judged_workloads(svc) := workloads(svc) if not uses_live(svc)

batch_workloads(svc) := [w | some w in all_judged_workloads(svc); is_batch(w)]

# A service made only of batch workloads: criteria about long-running workloads (probes,
# replicas, rollouts, disruption budgets, spreading) do not apply to it.
batch_only(svc) if {
	ws := all_judged_workloads(svc)
	count(ws) > 0
	every w in ws {
		is_batch(w)
	}
}

# "only batch workloads (CronJob/cache-warm, Job/db-init)", for summaries.
batch_summary(svc) := sprintf("only batch workloads (%s)", [refs(batch_workloads(svc))])

# The verdict of a long-running-workload rule for a batch-only service.
batch_not_applicable(svc, what) := not_applicable(sprintf("%s; %s apply to long-running workloads", [batch_summary(svc), what]))

# The verdict of a long-running-workload rule that found none to judge: not applicable
# for a batch-only service, else `no_workloads(what)`.
no_long_running(svc, what) := batch_not_applicable(svc, what) if batch_only(svc)

no_long_running(svc, what) := no_workloads(what) if not batch_only(svc)

# --- where a workload is declared ------------------------------------------------------

# The file and lines an evidence id points at: `git:<repo>@<sha>:<path>#L<start>-L<end>`
# becomes `<path>#L<start>-L<end>`; any other id (a live object,
# `k8s:<cluster>:<Kind>/<ns>/<name>@<rv>`) is its own location.
location_of_id(id) := loc if {
	startswith(id, "git:")
	parts := split(id, ":")
	count(parts) >= 3
	loc := concat(":", array.slice(parts, 2, count(parts)))
} else := id

# Where one declaration of a workload is: its first evidence id as a location, or its
# `Kind/name` when it cites none.
location(w) := loc if {
	ids := as_list(object.get(w, "evidence", []))
	count(ids) > 0
	loc := location_of_id(ids[0])
} else := workload_ref(w)

# A `missing[]` entry about one declaration: `<location>: <text>`, e.g.
# `k8s/frontend.yaml#L1-L80: Deployment/frontend container server has no readiness probe`.
# Everything before the first ": " is the location, so a reader (SARIF) can point at the
# exact copy that fails.
located(w, text) := sprintf("%s: %s", [location(w), text])

# The object a declaration declares: copies of one object (`Kind/ns/name`,
# `Kind/ns/name#2`, ...) share it.
object_id(w) := sprintf("%s/%s/%s", [w.kind, object.get(w, "namespace", "default"), w.name])

# How many of `ws` declare the same object as `w`.
declarations(ws, w) := count([x | some x in ws; object_id(x) == object_id(w)])

# `n of m declarations` when the object is declared more than once, else "".
of_declarations(n, m) := sprintf(" in %d of %d declarations", [n, m]) if m > 1

of_declarations(_, m) := "" if m <= 1

# --- the service's own Dockerfiles and compose services ------------------------------

# The Dockerfiles that belong to the service (resolution lists them in
# `svc.dockerfiles` as `{repo, path}`: the service's directory, the image it runs), as
# the repositories' dockerfile facts. Never every Dockerfile of the repository: the root
# Dockerfile says nothing about a workload that does not build from it.
service_dockerfiles(svc) := [d |
	some ref in object.get(svc, "dockerfiles", [])
	repo := object.get(input.facts.git.repos, object.get(ref, "repo", ""), {})
	some d in object.get(repo, "dockerfiles", [])
	d.path == object.get(ref, "path", "")
]

# The compose services that are the service (`svc.compose` as `{repo, path, service}`),
# each with its file's `path` and `evidence`.
service_compose_services(svc) := [object.union(s, {"path": f.path, "evidence": f.evidence}) |
	some ref in object.get(svc, "compose", [])
	repo := object.get(input.facts.git.repos, object.get(ref, "repo", ""), {})
	some f in object.get(repo, "compose_files", [])
	f.path == object.get(ref, "path", "")
	some s in f.services
	s.name == object.get(ref, "service", "")
]

# Distinct workload names, sorted: a workload declared in several files (a base and a
# release copy) is named once; the evidence lists every declaration.
refs(ws) := concat(", ", {workload_ref(w) | some w in ws})

# `tool (path)` for a tool seen once, `tool (N files)` otherwise: summaries stay one line.
# Distinct tools first, then one count each: counting per entry would be quadratic in
# the number of files (a repository with hundreds of manifests).
tool_summary(entries) := concat(", ", sort([tool_count(entries, t) | some t in {e.tool | some e in entries}]))

tool_count(entries, t) := sprintf("%s (%s)", [t, only[0]]) if {
	only := [e.path | some e in entries; e.tool == t]
	count(only) == 1
}

tool_count(entries, t) := sprintf("%s (%d files)", [t, n]) if {
	n := count([e | some e in entries; e.tool == t])
	n > 1
}

# --- history (facts.git_history) -----------------------------------------------------

# An unknown verdict for when the source answered but holds too little to judge (no
# merged change in the window, no release tag): reason `insufficient_data`.
insufficient(summary, evidence) := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": summary,
	"evidence": evidence,
	"missing": [],
}

history_repos_all := [r | some _, r in object.get(object.get(input.facts, "git_history", {}), "repos", {})]

# The history of the service's repositories that could be read (a shallow clone or a
# plain directory has none).
history(svc) := present(object.get(object.get(input.facts, "git_history", {}), "repos", {}), svc.repos)

# The verdict for a service none of whose repositories has readable history. When
# history was read for other repositories the capability is ok, so the reason cannot come
# from it: this service's repositories failed (shallow clone, not a git repository), and
# `sources[]` of the scan result says which and why.
history_missing(summary) := unknown("git_history", summary) if not ok("git_history")

history_missing(summary) := {
	"status": "unknown",
	"reason": "error",
	"summary": sprintf("%s (git_history: not readable for this service's repositories; see sources)", [summary]),
	"evidence": [],
	"missing": ["git_history"],
} if ok("git_history")

# The lower middle of a list of numbers, as the history facts compute medians; indexes
# stay integers (no division, no floor).
median(xs) := m if {
	count(xs) > 0
	lows := [x | some i, x in sort(xs); i * 2 <= count(xs) - 1]
	m := lows[count(lows) - 1]
}

# Appends what the walk had to leave out, so a partial figure says it is partial.
with_history_notes(result, repos) := with_note(result, concat("; ", history_notes(repos))) if {
	count(history_notes(repos)) > 0
}

with_history_notes(result, repos) := result if count(history_notes(repos)) == 0

# Written without a helper function inside the comprehension: regorus' RVM (0.14.1) keeps
# an undefined function result as an element where Rego drops it.
history_notes(repos) := array.concat(
	[sprintf("%s: %s", [r.key, r.truncated]) | some r in repos; is_string(r.truncated)],
	[sprintf("%s: %s", [r.key, r.sampled]) | some r in repos; not is_string(r.truncated); is_string(r.sampled)],
)

# --- Prometheus and Grafana ----------------------------------------------------------

prom := object.get(input.facts, "prometheus", {})

# How one part of the Prometheus read went: targets, rules, metrics, availability,
# synthetic, edges (`input.sources.prometheus.parts`, merged over every --prometheus
# server: a part is ok only when every server answered it). Criteria name the parts they
# read (`prometheus.rules`) in their model's sources, so a failed part makes them
# unknown before the rule runs; rules only tell "answered" from "not configured".
prom_parts := object.get(object.get(input.sources, "prometheus", {}), "parts", {})

prom_part_status(part) := object.get(object.get(prom_parts, part, {}), "status", source_status("prometheus"))

prom_part_ok(part) if {
	ok("prometheus")
	prom_part_status(part) == "ok"
}

# The verdict when a Prometheus part a rule needs was not read (the source gate answers
# first for criteria that name the part; this covers policies that do not).
prom_unknown(part, summary) := unknown("prometheus", summary) if not ok("prometheus")

prom_unknown(part, summary) := {
	"status": "unknown",
	"reason": prom_part_status(part),
	"summary": sprintf("%s (prometheus %s: %s, %s)", [summary, part, prom_part_status(part), object.get(object.get(prom_parts, part, {}), "detail", "")]),
	"evidence": [],
	"missing": [sprintf("prometheus.%s", [part])],
} if ok("prometheus")

# Series Prometheus writes itself, never a service's own metrics (as the probe decides,
# probes/prometheus/src/mapping.rs): `up`, the `scrape_*` series of every scrape, and
# `ALERTS` / `ALERTS_FOR_STATE`. An alert on them watches the scrape or other alerts.
prometheus_own_series(n) if n in {"up", "ALERTS", "ALERTS_FOR_STATE"}

prometheus_own_series(n) if startswith(n, "scrape_")

# What Prometheus showed for the service (resolution joins the probe's services by the
# service id and its workloads' names), and the rules that name it.
prom_services(svc) := present(object.get(prom, "services", {}), object.get(svc, "prometheus", []))

prom_rules(svc) := [object.get(prom, "rules", [])[i] | some i in object.get(svc, "prometheus_rules", [])]

prom_alerts(svc) := [r | some r in prom_rules(svc); r.kind == "alert"]

prom_records(svc) := [r | some r in prom_rules(svc); r.kind == "record"]

# Every name the service goes by: its id, its workloads' app labels and names, and the
# names Prometheus mapped to it.
service_names(svc) := {n |
	some n in array.concat(array.concat([svc.id], [w.name | some w in workloads(svc)]), object.get(svc, "prometheus", []))
} | {w.app | some w in workloads(svc); is_string(w.app)}

# Dashboards from the Grafana API and dashboards kept as code in any scanned repository
# (a central dashboards repository covers every service).
dashboards := array.concat(
	object.get(object.get(input.facts, "grafana", {}), "dashboards", []),
	[d | some r in object.get(object.get(input.facts, "git", {}), "repos", {}); some d in object.get(r, "dashboards", [])],
)

# --- GitHub (facts.github) -------------------------------------------------------------

gh := object.get(input.facts, "github", {})

gh_repo_map := object.get(gh, "repos", {})

gh_team_map := object.get(gh, "teams", {})

# The facts.github entries of the service's repositories (same keys as facts.git.repos).
# A repository that is not on GitHub (a local checkout) has none.
github_repos(svc) := present(gh_repo_map, svc.repos)

# The service's repository keys that have a facts.github entry.
github_keys(svc) := [k | some k in svc.repos; object.get(gh_repo_map, k, null) != null]

# GitHub was read and holds records of at least one of the service's repositories.
github_judges(svc) if {
	ok("github")
	count(github_keys(svc)) > 0
}

# The name summaries give a repository: its GitHub full name, else its key.
gh_name(k) := object.get(object.get(gh_repo_map, k, {}), "full_name", k)

# How GitHub did not give one part of a repository (`unread.<part>`, else `unread.all`):
# `{repo, part, status, detail}`, or nothing when the part was read.
gh_gap(k, part) := {"repo": k, "part": part, "status": u.status, "detail": object.get(u, "detail", "")} if {
	u := object.get(object.get(object.get(gh_repo_map, k, {}), "unread", {}), part, null)
	u != null
} else := {"repo": k, "part": part, "status": u.status, "detail": object.get(u, "detail", "")} if {
	u := object.get(object.get(object.get(gh_repo_map, k, {}), "unread", {}), "all", null)
	u != null
} else := null

# Every part of `parts` GitHub did not give for the service's repositories.
# (gh_gap is total, null when read: regorus' RVM keeps an undefined function result in a
# comprehension.)
github_gaps(svc, parts) := [g | some k in github_keys(svc); some p in parts; g := gh_gap(k, p); g != null]

github_has_gap(svc, parts) if count(github_gaps(svc, parts)) > 0

# The verdict when a part a rule needs could not be read for one of the service's
# repositories: unknown with the part's status (forbidden, rate_limited, error, timeout),
# naming the repository and the part. Evidence that could not be read is never evidence
# of absence, so rules ask this before any not_met.
github_unread(svc, parts) := gap_list_verdict(github_gaps(svc, parts), "")

# github_unread with what was being judged prepended to the summary.
github_unread_for(svc, parts, what) := gap_list_verdict(github_gaps(svc, parts), what)

gap_list_verdict(gaps, what) := {
	"status": "unknown",
	"reason": gaps[0].status,
	"summary": sprintf("%s%s", [prefix(what), concat("; ", [sprintf("GitHub %s of %s not read (%s%s)", [g.part, gh_name(g.repo), g.status, detail_of(g)]) | some g in gaps])]),
	"evidence": [],
	"missing": [sprintf("github.%s of %s", [g.part, gh_name(g.repo)]) | some g in gaps],
} if count(gaps) > 0

prefix(what) := "" if what == ""

prefix(what) := sprintf("%s: ", [what]) if what != ""

detail_of(g) := "" if g.detail == ""

detail_of(g) := sprintf(": %s", [g.detail]) if g.detail != ""

# The note of a verdict judged without GitHub: not configured, or configured but the
# service's repositories are not on GitHub (a local checkout).
github_unchecked(svc, what) := unchecked("github", what) if not ok("github")

github_unchecked(svc, what) := sprintf("%s not checked (no GitHub record of %s)", [what, concat(", ", svc.repos)]) if {
	ok("github")
	count(github_keys(svc)) == 0
	count(object.get(svc, "repos", [])) > 0
}

github_unchecked(svc, what) := sprintf("%s not checked (the service has no repository GitHub could hold)", [what]) if {
	ok("github")
	count(object.get(svc, "repos", [])) == 0
}

# The reason of an unknown for a service GitHub holds nothing of: the source's status,
# or not_configured when GitHub answered but the repositories are not on it.
github_absent_reason := source_status("github") if not ok("github")

github_absent_reason := "not_configured" if ok("github")

# --- GitHub time windows ---

gh_now_ns := time.parse_rfc3339_ns(object.get(gh, "now", "1970-01-01T00:00:00Z"))

day_ns := 86400000000000

# Whole and fractional days from `t` (RFC 3339) back from the scan's `now`.
days_ago(t) := (gh_now_ns - time.parse_rfc3339_ns(t)) / day_ns

within_days(t, days) if {
	is_string(t)
	days_ago(t) <= days
}

# A number rounded to one decimal, for summaries.
round1(x) := round(x * 10) / 10

# Hours between two RFC 3339 times.
hours_between(a, b) := (time.parse_rfc3339_ns(b) - time.parse_rfc3339_ns(a)) / 3600000000000

# --- GitHub deployments ---

# Services of each repository, by name, once for the estate: a deployment belongs to the
# service its environment names (`production-checkout`, `checkout_prod`: a run of the
# environment name's words, split at - _ . / : and spaces, equal to a service name of
# the repository, the longest when several are); an environment that names no service of
# its repository is shared by all of them.
# Written as flat sets and a sorted scan, never `m[k] contains v`: regorus' RVM (0.14.1)
# drops the key of a multi-value rule and makes it a plain set.
repo_service_pairs := {[k, lower(svc_name(s))] | some _, s in input.services; some k in s.repos}

svc_name(s) := object.get(s, "name", s.id)

# Repositories with more than one service.
multi_service_repos := adjacent_duplicates(sort(repo_service_pairs))

# The first elements shared by two neighbours of a sorted list of distinct pairs: the
# keys that have more than one value, in linear time.
adjacent_duplicates(ps) := {ps[i][0] | count(ps) > 1; some i in numbers.range(1, count(ps) - 1); ps[i][0] == ps[i - 1][0]}

env_candidates(env) := {c |
	ts := regex.split(`[-_./: ]+`, lower(env))
	some i in numbers.range(0, count(ts) - 1)
	some j in numbers.range(i, count(ts) - 1)
	some sep in ["-", "_"]
	c := concat(sep, array.slice(ts, i, j + 1))
}

env_owner(k, env) := owner if {
	names := [c | some c in env_candidates(env); [k, c] in repo_service_pairs]
	count(names) > 0
	longest := max([count(n) | some n in names])
	owner := [n | some n in names; count(n) == longest][0]
} else := ""

# The deployments of the service (with `repo`), newest first per repository as GitHub
# lists them. `attributed(d, svc)`: the environment names the service, or its
# repository has no other service. (env_owner is total, never undefined: regorus' RVM
# keeps an undefined result where the interpreter drops it.)
service_deployments(svc) := [object.union(d, {"repo": k}) |
	some k in github_keys(svc)
	some d in object.get(gh_repo_map[k], "deployments", [])
	belongs(k, d.environment, svc)
]

belongs(k, env, svc) if env_owner(k, env) in {"", lower(svc_name(svc))}

attributed(d, _) if env_owner(d.repo, d.environment) != ""

attributed(d, _) if {
	env_owner(d.repo, d.environment) == ""
	not d.repo in multi_service_repos
}

succeeded(d) if d.state == "success"

succeeded(d) if is_string(object.get(d, "succeeded_at", null))

# When a deployment went out: its first success, else its creation.
deployed_at(d) := d.succeeded_at if is_string(object.get(d, "succeeded_at", null))

deployed_at(d) := d.created_at if not is_string(object.get(d, "succeeded_at", null))

# Successful production deployments of the service in the last `days` days; when none of
# its deployments targets a production environment, every successful deployment counts
# (a repository that deploys to one unnamed environment).
production_deploys(svc, days) := [d |
	some d in release_deploys(svc)
	within_days(d.created_at, days)
]

release_deploys(svc) := [d | some d in service_deployments(svc); succeeded(d); d.production] if {
	count([d | some d in service_deployments(svc); d.production]) > 0
} else := [d | some d in service_deployments(svc); succeeded(d)]

# Deployment lists GitHub cut at one page: an absence in them is not proven.
deployments_partial(svc) if {
	some k in github_keys(svc)
	object.get(gh_repo_map[k], "deployments_complete", true) == false
}

dep_ref(d) := sprintf("%s #%v (%s)", [gh_name(d.repo), d.id, d.environment])

# --- GitHub pull requests ---

# Merged pull requests of the service's repositories in the last `days` days, with `repo`.
service_pulls(svc, days) := [object.union(p, {"repo": k}) |
	some k in github_keys(svc)
	some p in object.get(object.get(gh_repo_map[k], "pull_requests", {}), "items", [])
	within_days(p.merged_at, days)
]

# Some repository of the service holds more merged pull requests than were read.
pulls_partial(svc) if {
	some k in github_keys(svc)
	object.get(object.get(gh_repo_map[k], "pull_requests", {}), "complete", true) == false
}

pr_ref(p) := sprintf("%s#%v", [gh_name(p.repo), p.number])

# --- GitHub teams ---

# The GitHub team (`<org>/<slug>`) resolution tied the team `tid` to, and its facts.
github_team_id(tid) := object.get(object.get(object.get(input, "teams", {}), tid, {}), "github_team", null)

# null when there is none (total: regorus' RVM mishandles an undefined function value in
# an else chain).
github_team(tid) := t if {
	id := github_team_id(tid)
	is_string(id)
	t := object.get(gh_team_map, id, null)
	t != null
} else := null

teams_unread if object.get(gh, "teams_read", true) == false

# The verdict when the organisation's teams could not be read.
teams_unknown(what) := {
	"status": "unknown",
	"reason": object.get(object.get(object.get(gh, "unread", {}), "teams", {}), "status", "error"),
	"summary": sprintf("%s: GitHub teams not read (%s)", [what, object.get(object.get(object.get(gh, "unread", {}), "teams", {}), "detail", "teams_read is false")]),
	"evidence": [],
	"missing": ["github.teams"],
}

# The verdict when a team is not tied to a GitHub team: its members are unknown.
not_a_github_team(tid, what) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("%s: team %s is not tied to a GitHub team (no CODEOWNERS @org/slug, catalog owner or repository rights name one in the organisations read)", [what, tid]),
	"evidence": [],
	"missing": [sprintf("the GitHub team of %s", [tid])],
}

# Logins of the team's members, lower-cased.
team_members(t) := {lower(m) | some m in object.get(t, "members", [])}

# --- reused workflows (input.index.reused_jobs) -------------------------------------

reused_index := object.get(object.get(input, "index", {}), "reused_jobs", {})

# A job as the rules judge it: a job that calls a reusable workflow of a repository in
# the scan has the kinds and deploy targets of that workflow's jobs too, and cites
# their evidence (resolution computes the index, docs/facts.md).
with_reused(key, j) := object.union(j, {
	"kinds": array.concat(j.kinds, [x | some x in e.kinds; not x in j.kinds]),
	"deploy_targets": array.concat(object.get(j, "deploy_targets", []), [x | some x in e.deploy_targets; not x in object.get(j, "deploy_targets", [])]),
	"evidence": array.concat(as_list(object.get(j, "evidence", [])), e.evidence),
	"unresolved_reuses": object.get(e, "unresolved", []),
}) if {
	e := object.get(reused_index, sprintf("%s/%s", [key, object.get(j, "id", "")]), null)
	e != null
} else := j

# Reuses of the service's jobs whose target could not be read (a repository not in the
# scan, a file not found): what the called workflow does is unknown.
unresolved_reuses(svc) := [sprintf("%s uses %s (%s)", [job_ref(j), u.reuses, u.why]) |
	some j in jobs(svc)
	some u in object.get(j, "unresolved_reuses", [])
]

# The ci_checked counterpart for reuses: a verdict other than met / not_applicable made
# while a called workflow could not be read becomes unknown (reason not_configured:
# nothing in the scan holds that workflow), naming each reuse.
reuse_checked(svc, v) := v if count(unresolved_reuses(svc)) == 0

reuse_checked(svc, v) := v if {
	count(unresolved_reuses(svc)) > 0
	v.status in {"met", "not_applicable"}
}

reuse_checked(svc, v) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("what a reused workflow does is not known: %s; without it: %s", [concat("; ", us), v.summary]),
	"evidence": v.evidence,
	"missing": us,
} if {
	us := unresolved_reuses(svc)
	count(us) > 0
	not v.status in {"met", "not_applicable"}
}

# --- what a changed file is (pull request file paths) -------------------------------

# Documentation changes are none of application code, tests or deploy configuration.
doc_path(p) if regex.match(`(?i)((^|/)(docs?|documentation)/|(^|/)(readme|changelog|license|contributing|codeowners|notice)[^/]*$|\.(md|rst|adoc|txt)$)`, p)

# Tests: test directories and the test file names of the common ecosystems.
test_path(p) if regex.match(`(?i)((^|/)(tests?|specs?|__tests__|e2e|testdata|test-?utils?|integration[-_]tests?|it)/|_test\.[a-z0-9]+$|\.(test|spec)\.[a-z0-9]+$|(^|/)test_[^/]+\.py$|tests?\.(java|kt|cs|scala|swift|php)$)`, p)

# Deployment and infrastructure configuration: manifests, charts, IaC, container and
# pipeline files (the markers of ds.org.vertical-splits, by path segment).
deploy_path_of(p) if regex.match(`(?i)((^|/)(deploy|deployments?|k8s|kube|kubernetes|manifests|helm|charts?|terraform|infra|infrastructure|ops|argocd|flux|kustomize|ansible|pulumi|\.github|\.gitlab|\.circleci|\.buildkite|\.tekton)/|(^|/)(dockerfile[^/]*|[^/]*\.dockerfile|docker-compose[^/]*|compose\.ya?ml|jenkinsfile[^/]*|\.gitlab-ci\.ya?ml|kustomization\.ya?ml|skaffold\.ya?ml|cloudbuild[^/]*|chart\.ya?ml|azure-pipelines[^/]*|bitbucket-pipelines\.ya?ml|\.drone\.ya?ml|\.travis\.ya?ml|procfile|fly\.toml|app\.ya?ml|serverless\.ya?ml)$|\.(tf|tfvars|hcl)$)`, p)

# One class per path: "tests", "deploy" (deployment or infrastructure configuration),
# "docs", else "app" (application code).
path_class(p) := "docs" if doc_path(p)

path_class(p) := "tests" if {
	not doc_path(p)
	test_path(p)
}

path_class(p) := "deploy" if {
	not doc_path(p)
	not test_path(p)
	deploy_path_of(p)
}

path_class(p) := "app" if {
	not doc_path(p)
	not test_path(p)
	not deploy_path_of(p)
}

# Appends which services were not judged because GitHub holds no record of them.
with_skipped(v, ids) := v if count(ids) == 0

with_skipped(v, ids) := with_note(v, sprintf("not checked (no GitHub record): %s", [concat(", ", ids)])) if count(ids) > 0

# --- on-call (facts.oncall, svc.oncall, input.index.people) --------------------------
#
# Resolution ties on-call services to services (`svc.oncall`: services, escalation
# policies, schedules, responders, complete, evidence), maps on-call users to GitHub
# logins (`input.index.people`) and gives teams their members (`input.teams[t].members`);
# rules only look these up (docs/facts.md, "How rules read on-call").

oc := object.get(input.facts, "oncall", {})

oc_accounts := object.get(oc, "accounts", {})

oc_people := object.get(object.get(input, "index", {}), "people", {})

# The service's on-call join, {} when no on-call service joined it.
oncall_of(svc) := j if {
	j := object.get(svc, "oncall", null)
	is_object(j)
} else := {}

has_oncall(svc) if count(object.get(oncall_of(svc), "services", [])) > 0

# `pagerduty` of `pagerduty/PSVC1`.
oc_account_of(key) := split(key, "/")[0]

# The accounts the service's on-call services live in; every account read when it has
# none (then any account could hold what would have joined it).
oncall_accounts(svc) := {oc_account_of(k) | some k in object.get(oncall_of(svc), "services", [])} if {
	has_oncall(svc)
} else := {a | some a, _ in oc_accounts}

all_oc_accounts := {a | some a, _ in oc_accounts}

# Parts of `parts` that an account of `accounts` did not read (`accounts[a].unread`):
# `{account, part, status, detail}` each. What could not be read is never evidence of
# absence, so rules ask this before any not_met.
oncall_gaps(accounts, parts) := [{"account": a, "part": p, "status": object.get(u, "status", "error"), "detail": object.get(u, "detail", "")} |
	some a in accounts
	some p in parts
	u := object.get(object.get(object.get(oc_accounts, a, {}), "unread", {}), p, null)
	u != null
]

# The unknown verdict for gaps (non-empty), its reason the first part's status.
oncall_gap_verdict(gaps, what) := {
	"status": "unknown",
	"reason": gaps[0].status,
	"summary": sprintf("%s: %s", [what, concat("; ", [sprintf("%s %s not read (%s%s)", [g.account, g.part, g.status, detail_of(g)]) | some g in gaps])]),
	"evidence": [],
	"missing": [sprintf("oncall.%s of %s", [g.part, g.account]) | some g in gaps],
}

# Parts read only in part (`accounts[a].partial`), as `account part: why`.
oncall_partials(accounts, parts) := [sprintf("%s %s: %s", [a, p, d]) |
	some a in accounts
	some p in parts
	d := object.get(object.get(object.get(oc_accounts, a, {}), "partial", {}), p, null)
	d != null
]

# The verdict a not_met becomes when what was read in part could undo it.
oncall_partial_verdict(v, why) := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need a complete read, but %s: %s", [why, v.summary]),
	"evidence": v.evidence,
	"missing": v.missing,
}

# The unknown verdict for a service no on-call service joined. Which on-call services
# joined nothing is resolution's `unresolved` list in the scan result (source oncall),
# not part of the rule input, so the summary points there.
no_oncall_join(name, what) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("%s: no on-call service of %s is tied to %s (catalog annotation pagerduty.com/service-id, opsgenie.com/component-selector, the plan's oncall override, or the same name); on-call services that joined nothing are listed as unresolved", [what, concat(", ", sort(all_oc_accounts)), name]),
	"evidence": [],
	"missing": [sprintf("an on-call service tied to %s", [name])],
}

# The GitHub login (lower-cased) resolution joined an on-call user to, null when none.
login_of(k) := lower(l) if {
	l := object.get(object.get(oc_people, k, {}), "login", null)
	is_string(l)
} else := null

# How an on-call user is named in summaries: the tool's display name and its key.
person_ref(k) := sprintf("%s (%s)", [n, k]) if {
	n := object.get(object.get(oc_people, k, {}), "name", null)
	is_string(n)
	n != ""
} else := sprintf("%s (%s)", [n, k]) if {
	n := object.get(object.get(object.get(oc, "users", {}), k, {}), "name", null)
	is_string(n)
	n != ""
} else := k

# The logins of the on-call users `keys`, and the users no login was joined to.
responder_logins(keys) := {l | some k in keys; l := login_of(k); l != null}

unresolved_responders(keys) := sort([k | some k in keys; login_of(k) == null])

# The missing[] entry for an on-call user without a login.
unresolved_missing(keys) := [sprintf("a GitHub login for on-call user %s (people mapping, catalog User, or a commit email)", [person_ref(k)]) | some k in unresolved_responders(keys)]

# `; on-call users not joined to a GitHub login: ...` when there are any, else "".
unresolved_note(keys) := "" if {
	count(unresolved_responders(keys)) == 0
} else := sprintf("; on-call users not joined to a GitHub login (they may be members): %s", [concat(", ", [person_ref(k) | some k in unresolved_responders(keys)])])

# The members of team `tid`, as resolution gives them (`input.teams[t].members`, from a
# GitHub team or a catalog Group), else its GitHub team's: `{members, complete, source,
# evidence}`; null when neither is known.
roster(tid) := {
	"members": {lower(m) | some m in ms},
	"complete": object.get(t, "members_complete", true) != false,
	"source": object.get(t, "members_source", "resolution"),
	"evidence": roster_evidence(tid, object.get(t, "members_source", "")),
} if {
	t := object.get(object.get(input, "teams", {}), tid, {})
	ms := object.get(t, "members", null)
	is_array(ms)
} else := {
	"members": team_members(g),
	"complete": object.get(g, "members_complete", true) != false,
	"source": sprintf("github team %s", [g.id]),
	"evidence": as_list(g.evidence),
} if {
	g := github_team(tid)
	g != null
} else := null

# The GitHub team's record when resolution read the members from it; a catalog Group
# is cited through the service's catalog evidence instead.
roster_evidence(tid, source) := as_list(g.evidence) if {
	startswith(source, "github team")
	g := github_team(tid)
	g != null
} else := []

# The verdict when a team's members are not known.
members_unknown(tid, what) := teams_unknown(what) if {
	teams_unread
} else := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": sprintf("%s: the members of team %s are not known (no GitHub team read and no catalog Group lists them)", [what, tid]),
	"evidence": [],
	"missing": [sprintf("the members of %s", [tid])],
}

# The evidence of a service's on-call join: the on-call records resolution read, its
# oncall joins and their resolve records, and the on-call users of `keys`.
oncall_evidence(svc, keys) := array.concat(
	array.concat(as_list(object.get(oncall_of(svc), "evidence", [])), oncall_join_evidence(svc)),
	[e | some k in keys; e := object.get(object.get(object.get(oc, "users", {}), k, {}), "evidence", null); is_string(e)],
)

oncall_join_evidence(svc) := array.concat(
	[id | some j in object.get(svc, "joins", []); object.get(j, "source", "") == "oncall"; some id in as_list(object.get(j, "evidence", []))],
	[id | some id in object.get(svc, "found_in", []); startswith(id, "resolve:"); contains(id, ":oncall:")],
)

oncall_responders(svc) := object.get(oncall_of(svc), "responders", [])

oncall_complete(svc) if object.get(oncall_of(svc), "complete", true) != false

oncall_services_text(svc) := concat(", ", [oncall_service_name(k) | some k in object.get(oncall_of(svc), "services", [])])

oncall_service_name(k) := sprintf("%s (%s)", [s.name, k]) if {
	s := object.get(object.get(oc, "services", {}), k, null)
	s != null
} else := k

# --- on-call records per on-call service, indexed once ---
#
# Incidents and change events name the on-call services they are on. A service looks
# its records up through a sorted list of `[on-call service, index]` pairs and the run of
# each on-call service in it (start, end), built once: linear in the records, never
# services times records.

oc_incidents := object.get(oc, "incidents", [])

oc_change_events := object.get(oc, "change_events", [])

incident_pairs := sort({[k, i] | some i, x in oc_incidents; some k in object.get(x, "services", [])})

change_pairs := sort({[k, i] | some i, x in oc_change_events; some k in object.get(x, "services", [])})

incident_runs := run_index(incident_pairs)

change_runs := run_index(change_pairs)

# `{first element: [start, end)}` of each run of equal first elements of a sorted list.
run_index(ps) := {ps[s][0]: [s, e] | starts := run_starts(ps); some j, s in starts; e := run_end(starts, j, count(ps))}

run_starts(ps) := [i | count(ps) > 0; some i in numbers.range(0, count(ps) - 1); starts_run(ps, i)]

starts_run(_, 0) := true

starts_run(ps, i) if {
	i > 0
	ps[i][0] != ps[i - 1][0]
}

run_end(starts, j, n) := starts[j + 1] if {
	j + 1 < count(starts)
} else := n

# The records of the service's on-call services (each once).
service_incidents(svc) := [oc_incidents[i] | some i in indexes_of(svc, incident_pairs, incident_runs)]

service_change_events(svc) := [oc_change_events[i] | some i in indexes_of(svc, change_pairs, change_runs)]

indexes_of(svc, ps, runs) := {p[1] |
	some k in object.get(oncall_of(svc), "services", [])
	r := object.get(runs, k, null)
	r != null
	some p in array.slice(ps, r[0], r[1])
}

# The account window of the service's on-call records: `{now, since, days}` of the first
# of its accounts (accounts read in one scan share the scan's time and window).
oc_window(svc) := {"now": a.now, "since": a.since, "days": object.get(a, "window_days", 90)} if {
	names := sort(oncall_accounts(svc))
	count(names) > 0
	a := object.get(oc_accounts, names[0], null)
	a != null
} else := null
