# ds.process.min-bureaucracy: only minimum viable bureaucracy is enforced (proxy).
#
# Judged from GitHub: the service's pull requests merged in the last 90 days (the
# deployments window) and its successful production deployments
# (lib.release_deploys: production environments, else every successful deployment).
# Merge to production: from a pull request's `merged_at` to the first successful
# production deployment created at or after it (its first success, `succeeded_at`, else
# its creation). A pull request merged over a day ago that no deployment followed yet
# counts with the time since its merge (a lower bound); one merged within the last day
# and not deployed yet is left out.
# Approval gate wait: for each production environment with required reviewers (or a
# wait timer), the median of its deployments' creation to first success. GitHub creates
# the deployment when the job reaches the environment and the deployment succeeds after
# the approval and the deploy job: the facts hold no approval time, so this is the wait
# plus the deploy job's own run time (an upper bound of the wait).
# Met: the median merge-to-production time is under 1 day and no gated environment
# waits a median of more than 4 hours; cites the deployments and pull requests.
# Not met: either fails; the result gives the medians.
# Unknown: GitHub did not give the deployments, pull requests or environments of a
# repository of the service (named, with the status); no production deployment and no
# merged pull request to measure (insufficient_data); the service's repositories are not
# on GitHub (not_configured).
package evident.rules.ds.process.min_bureaucracy

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

gh_parts := ["deployments", "pull_requests", "environments"]

pulls(svc) := lib.service_pulls(svc, 90)

deploys(svc) := lib.release_deploys(svc)

# Hours from merge to production for each measurable pull request.
lead_hours(svc) := [h |
	ds := deploys(svc)
	some p in pulls(svc)
	h := lead(p, ds)
	h != null
]

lead(p, ds) := min([lib.hours_between(p.merged_at, lib.deployed_at(d)) |
	some d in ds
	time.parse_rfc3339_ns(d.created_at) >= time.parse_rfc3339_ns(p.merged_at)
]) if {
	some x in ds
	time.parse_rfc3339_ns(x.created_at) >= time.parse_rfc3339_ns(p.merged_at)
} else := lib.days_ago(p.merged_at) * 24 if {
	lib.days_ago(p.merged_at) >= 1
} else := null

gated_envs(svc) := [object.union(e, {"repo": k}) |
	some k in lib.github_keys(svc)
	some e in object.get(lib.gh_repo_map[k], "environments", [])
	e.production
	gated(e)
]

gated(e) if count(object.get(e, "reviewers", [])) > 0

gated(e) if object.get(e, "wait_timer_minutes", 0) > 0

waits(svc, e) := [lib.hours_between(d.created_at, d.succeeded_at) |
	some d in lib.service_deployments(svc)
	d.repo == e.repo
	d.environment == e.name
	is_string(object.get(d, "succeeded_at", null))
]

slow_gates(svc) := [sprintf("environment %s of %s: approval waits a median of %v hours (%d deployments)", [e.name, lib.gh_name(e.repo), lib.round1(lib.median(ws)), count(ws)]) |
	some e in gated_envs(svc)
	ws := waits(svc, e)
	count(ws) > 0
	lib.median(ws) > 4
]

gate_text(svc) := "no approval gate on production" if count(gated_envs(svc)) == 0

gate_text(svc) := sprintf("approval gates on %s wait a median of at most 4 hours", [concat(", ", [e.name | some e in gated_envs(svc)])]) if count(gated_envs(svc)) > 0

evidence(svc) := array.concat(lib.ev(deploys(svc)), lib.ev(pulls(svc)))

verdict(svc) := {
	"status": "unknown",
	"reason": "not_configured",
	"summary": lib.github_unchecked(svc, "merge-to-production time and approval waits"),
	"evidence": [],
	"missing": ["github"],
} if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, gh_parts, "merge-to-production time and approval waits") if {
	lib.github_has_gap(svc, gh_parts)
} else := lib.insufficient(
	sprintf("no production deployment in the last 90 days on GitHub to measure merge-to-production time (%d merged pull requests)", [count(pulls(svc))]),
	lib.ev(lib.github_repos(svc)),
) if {
	count(deploys(svc)) == 0
} else := lib.insufficient(
	"no pull request merged in the last 90 days to measure merge-to-production time",
	lib.ev(deploys(svc)),
) if {
	count(lead_hours(svc)) == 0
} else := lib.not_met(
	sprintf("median merge to production %v hours (%d pull requests); %s", [lib.round1(lib.median(lead_hours(svc))), count(lead_hours(svc)), gate_summary(svc)]),
	evidence(svc),
	array.concat(slow_lead(svc), slow_gates(svc)),
) if {
	count(array.concat(slow_lead(svc), slow_gates(svc))) > 0
} else := lib.met(
	sprintf("median merge to production %v hours (%d pull requests); %s", [lib.round1(lib.median(lead_hours(svc))), count(lead_hours(svc)), gate_text(svc)]),
	evidence(svc),
)

slow_lead(svc) := ["merged changes reach production within a day (median)"] if lib.median(lead_hours(svc)) >= 24

slow_lead(svc) := [] if lib.median(lead_hours(svc)) < 24

gate_summary(svc) := concat("; ", slow_gates(svc)) if count(slow_gates(svc)) > 0

gate_summary(svc) := gate_text(svc) if count(slow_gates(svc)) == 0
