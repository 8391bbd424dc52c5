# ds.smell.periodic-big-releases (smell; met means absent): big releases are put into
# production periodically.
#
# A release is a production deploy (GitHub) or a release tag (git history).
# GitHub first, when it holds records of the service's repositories: the successful
# production deployments of the service in the deployments window (90 days; every
# successful deployment when none targets a production environment; which service a
# deployment is of: lib.service_deployments). Interval: days between consecutive deploys
# (by first success). Size: the lines of the pull requests merged between the previous
# deploy and this one (`pull_requests.items[].lines`).
# Else the release tags of the git history (v1.2.3, 1.4, release-2.0): interval the days
# since the release before it, size the lines between the two.
# Present (not met) when the median interval is over 30 days AND the median release size
# is over 1,000 lines. Absent (met) when either is within its limit.
# Unknown: GitHub did not give the deployments (or, for the size, the pull requests) of
# a repository of the service: asked before a not_met, and a not_met from tags alone is
# not given while the deployments are unread (they could show frequent releases). With
# fewer than two releases of either kind in the window: unknown (insufficient_data),
# never absent: a team that deploys continuously without tags looks the same as one that
# never releases.
package evident.rules.ds.smell.periodic_big_releases

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

verdict(svc) := lib.github_unread_for(svc, ["deployments"], "production deploys are releases") if {
	lib.github_judges(svc)
	lib.github_has_gap(svc, ["deployments"])
	not tags_absent(svc)
} else := deploy_verdict(svc) if {
	lib.github_judges(svc)
	count(deploys(svc)) >= 2
} else := history_verdict(svc)

# --- production deploys (GitHub) ---

# The service's successful production deploys, oldest first.
deploys(svc) := [d |
	some t in sort({lib.deployed_at(x) | some x in lib.release_deploys(svc)})
	d := [x | some x in lib.release_deploys(svc); lib.deployed_at(x) == t][0]
]

deploy_intervals(svc) := [(lib.hours_between(lib.deployed_at(ds[i - 1]), lib.deployed_at(ds[i])) / 24) |
	ds := deploys(svc)
	some i in numbers.range(1, count(ds) - 1)
]

deploy_sizes(svc) := [sum([p.lines |
	some p in pulls
	time.parse_rfc3339_ns(p.merged_at) > time.parse_rfc3339_ns(lib.deployed_at(ds[i - 1]))
	time.parse_rfc3339_ns(p.merged_at) <= time.parse_rfc3339_ns(lib.deployed_at(ds[i]))
]) |
	ds := deploys(svc)
	pulls := lib.service_pulls(svc, 180)
	some i in numbers.range(1, count(ds) - 1)
]

deploy_evidence(svc) := lib.ev(deploys(svc))

deploy_verdict(svc) := deploy_absent(svc, "") if {
	lib.median(deploy_intervals(svc)) <= 30
} else := lib.github_unread_for(svc, ["pull_requests"], sprintf("production deploys every %v days (median); their size is unknown", [lib.round1(lib.median(deploy_intervals(svc)))])) if {
	lib.github_has_gap(svc, ["pull_requests"])
} else := deploy_absent(svc, "") if {
	lib.median(deploy_sizes(svc)) <= 1000
} else := lib.not_met(
	sprintf("production deploys every %v days (median) with %d lines of merged pull requests each (median, %d deploys)", [lib.round1(lib.median(deploy_intervals(svc))), lib.median(deploy_sizes(svc)), count(deploys(svc))]),
	deploy_evidence(svc),
	["production deploys at most 30 days apart, or at most 1,000 lines each"],
)

deploy_absent(svc, _) := lib.met(
	sprintf("median interval between production deploys %v days, median size %s lines of merged pull requests (%d deploys)", [lib.round1(lib.median(deploy_intervals(svc))), size_text(svc), count(deploys(svc))]),
	deploy_evidence(svc),
)

size_text(svc) := sprintf("%d", [lib.median(deploy_sizes(svc))]) if not lib.github_has_gap(svc, ["pull_requests"])

size_text(svc) := "unread" if lib.github_has_gap(svc, ["pull_requests"])

# --- release tags (git history) ---

# Tags show the smell absent: what unread deployments add cannot undo that.
tags_absent(svc) if {
	h := lib.history(svc)
	count(intervals(h)) > 0
	frequent(h)
}

tags_absent(svc) if {
	h := lib.history(svc)
	count(intervals(h)) > 0
	small(h)
}

releases(repos) := [rel | some r in repos; some rel in r.releases]

intervals(repos) := [d | some rel in releases(repos); d := rel.interval_days; d != null]

diffs(repos) := [d | some rel in releases(repos); d := rel.diff_lines; d != null]

evidence(repos) := [id | some r in repos; id := r.release_evidence; id != null]

history_verdict(svc) := lib.insufficient(
	sprintf("fewer than two production deploys in the GitHub window (%d) and the history of the service's repositories is not read (git_history: %s)", [count(deploys(svc)), lib.source_status("git_history")]),
	lib.ev(lib.github_repos(svc)),
) if {
	lib.github_judges(svc)
	not lib.ok("git_history")
} else := lib.history_missing("the history of the service's repositories could not be read") if {
	count(lib.history(svc)) == 0
} else := no_releases(svc) if {
	count(intervals(lib.history(svc))) == 0
} else := absent(lib.history(svc)) if {
	frequent(lib.history(svc))
} else := absent(lib.history(svc)) if {
	small(lib.history(svc))
} else := present(lib.history(svc)) if {
	count(diffs(lib.history(svc))) > 0
} else := lib.insufficient("releases are over 30 days apart but their size could not be measured", evidence(lib.history(svc)))

no_releases(svc) := lib.insufficient("fewer than two release tags and fewer than two production deploys in the window", evidence(lib.history(svc))) if lib.github_judges(svc)

no_releases(svc) := lib.unknown("github", "fewer than two releases in the window; production deploys not read") if not lib.github_judges(svc)

frequent(repos) if lib.median(intervals(repos)) <= 30

small(repos) if {
	count(diffs(repos)) > 0
	lib.median(diffs(repos)) <= 1000
}

absent(repos) := lib.with_history_notes(lib.met(sprintf("median interval between releases %v days, median release diff %s lines (%d releases)", [lib.median(intervals(repos)), diff_text(repos), count(releases(repos))]), evidence(repos)), repos)

present(repos) := lib.with_history_notes(lib.not_met(sprintf("releases every %v days (median) with %d lines each (median)", [lib.median(intervals(repos)), lib.median(diffs(repos))]), evidence(repos), ["releases at most 30 days apart, or at most 1,000 lines each"]), repos)

diff_text(repos) := sprintf("%d", [lib.median(diffs(repos))]) if count(diffs(repos)) > 0

diff_text(repos) := "unmeasured" if count(diffs(repos)) == 0
