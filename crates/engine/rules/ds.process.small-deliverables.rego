# ds.process.small-deliverables: all deliverables are small, building up towards a
# larger goal incrementally.
#
# Size: the median lines (additions + deletions) of the pull requests merged in the last
# 90 days into the service's repositories (GitHub `pull_requests.items[].lines`); when
# GitHub holds no records of them (not configured, or repositories not on GitHub) the
# git history's median merged change of the last 90 days (`changes_90d.median_lines`)
# is the fallback, and the verdict says so.
# Frequency: at least 12 successful production deployments of the service in the last
# 90 days (about one a week; every successful deployment when it has no production
# environment; lib.release_deploys), from GitHub only.
# Met: median under 200 lines AND at least 12 production deploys; cites the pull
# requests and deployments.
# Not met: the median is 200 lines or more, or fewer than 12 deploys (the result gives
# both figures). A size not_met from history alone stands without GitHub (more deploys
# cannot make changes smaller).
# Unknown: GitHub did not give the pull requests or deployments of a repository of the
# service (named, with the status); no merged change in the window (insufficient_data);
# without GitHub, a size within the limit leaves the deploy frequency unknown
# (github: not_configured).
package evident.rules.ds.process.small_deliverables

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

pulls(svc) := lib.service_pulls(svc, 90)

deploys(svc) := lib.production_deploys(svc, 90)

sizes(svc) := [p.lines | some p in pulls(svc)]

verdict(svc) := github_verdict(svc) if lib.github_judges(svc)

verdict(svc) := history_verdict(svc) if not lib.github_judges(svc)

github_verdict(svc) := lib.github_unread_for(svc, ["pull_requests", "deployments"], "size and frequency of deliverables") if {
	lib.github_has_gap(svc, ["pull_requests", "deployments"])
} else := lib.insufficient("no pull request merged in the last 90 days", lib.ev(lib.github_repos(svc))) if {
	count(sizes(svc)) == 0
} else := lib.not_met(
	sprintf("median merged pull request %d lines (%d pull requests), %d production deploys in 90 days", [lib.median(sizes(svc)), count(sizes(svc)), count(deploys(svc))]),
	array.concat(lib.ev(pulls(svc)), lib.ev(deploys(svc))),
	shortfalls(svc),
) if {
	count(shortfalls(svc)) > 0
	not partial_deploys(svc)
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("not_met would need every deployment, but GitHub gave one page only: %s", [concat("; ", shortfalls(svc))]),
	"evidence": [],
	"missing": shortfalls(svc),
} if {
	count(shortfalls(svc)) > 0
} else := lib.met(
	sprintf("median merged pull request %d lines (%d pull requests), %d production deploys in 90 days", [lib.median(sizes(svc)), count(sizes(svc)), count(deploys(svc))]),
	array.concat(lib.ev(pulls(svc)), lib.ev(deploys(svc))),
)

size_short(svc) := ["a median merged change under 200 lines"] if lib.median(sizes(svc)) >= 200

size_short(svc) := [] if lib.median(sizes(svc)) < 200

deploy_short(svc) := ["at least 12 production deploys in 90 days (weekly)"] if count(deploys(svc)) < 12

deploy_short(svc) := [] if count(deploys(svc)) >= 12

shortfalls(svc) := array.concat(size_short(svc), deploy_short(svc))

# Only the deploy count could be cut by the page bound; a size shortfall stands.
partial_deploys(svc) if {
	count(size_short(svc)) == 0
	lib.deployments_partial(svc)
}

# --- without GitHub: the git history's size ---

measured(svc) := [r | some r in lib.history(svc); object.get(object.get(r, "changes_90d", {}), "measured", 0) > 0]

history_verdict(svc) := lib.history_missing("the size of merged changes needs the git history or GitHub pull requests") if {
	count(lib.history(svc)) == 0
} else := lib.insufficient("no merged change in the last 90 days in the git history", [r.evidence | some r in lib.history(svc)]) if {
	count(measured(svc)) == 0
} else := lib.with_note(lib.not_met(
	sprintf("median merged change %d lines over 90 days (git history)", [median_history(svc)]),
	[r.evidence | some r in measured(svc)],
	["a median merged change under 200 lines"],
), lib.github_unchecked(svc, "deploy frequency")) if {
	median_history(svc) >= 200
} else := {
	"status": "unknown",
	"reason": lib.github_absent_reason,
	"summary": sprintf("median merged change %d lines over 90 days (git history, within 200); %s", [median_history(svc), lib.github_unchecked(svc, "deploy frequency (GitHub deployments)")]),
	"evidence": [r.evidence | some r in measured(svc)],
	"missing": ["github"],
}

# The largest of the repositories' medians: a service is as small as its largest part.
median_history(svc) := max([r.changes_90d.median_lines | some r in measured(svc)])
