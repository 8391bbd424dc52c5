# ds.smell.periodic-big-releases (smell; met means absent): big releases are put into
# production periodically.
#
# Judged from the release tags of the service's repositories over the history window: a
# release is a tag named like a version (v1.2.3, 1.4, release-2.0); its interval is the
# days since the release before it, its diff the lines between the two.
# Present (not met) when the median interval is over 30 days AND the median release diff
# is over 1,000 lines. Absent (met) when either is within its limit.
# Production deploys (the other way to release) need GitHub deployments; without them a
# repository with fewer than two releases in the window is unknown, never absent: a team
# that deploys continuously without tags looks the same as one that never releases.
package evident.rules.ds.smell.periodic_big_releases

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

releases(repos) := [rel | some r in repos; some rel in r.releases]

intervals(repos) := [d | some rel in releases(repos); d := rel.interval_days; d != null]

diffs(repos) := [d | some rel in releases(repos); d := rel.diff_lines; d != null]

evidence(repos) := [id | some r in repos; id := r.release_evidence; id != null]

verdict(svc) := lib.history_missing("the history of the service's repositories could not be read") if {
	count(lib.history(svc)) == 0
} else := lib.unknown("github", "fewer than two releases in the window; production deploys not read") if {
	count(intervals(lib.history(svc))) == 0
} else := absent(lib.history(svc)) if {
	frequent(lib.history(svc))
} else := absent(lib.history(svc)) if {
	small(lib.history(svc))
} else := present(lib.history(svc)) if {
	count(diffs(lib.history(svc))) > 0
} else := lib.insufficient("releases are over 30 days apart but their size could not be measured", evidence(lib.history(svc)))

frequent(repos) if lib.median(intervals(repos)) <= 30

small(repos) if {
	count(diffs(repos)) > 0
	lib.median(diffs(repos)) <= 1000
}

absent(repos) := lib.with_history_notes(lib.met(sprintf("median interval between releases %v days, median release diff %s lines (%d releases)", [lib.median(intervals(repos)), diff_text(repos), count(releases(repos))]), evidence(repos)), repos)

present(repos) := lib.with_history_notes(lib.not_met(sprintf("releases every %v days (median) with %d lines each (median)", [lib.median(intervals(repos)), lib.median(diffs(repos))]), evidence(repos), ["releases at most 30 days apart, or at most 1,000 lines each"]), repos)

diff_text(repos) := sprintf("%d", [lib.median(diffs(repos))]) if count(diffs(repos)) > 0

diff_text(repos) := "unmeasured" if count(diffs(repos)) == 0
