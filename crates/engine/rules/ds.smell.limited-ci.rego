# ds.smell.limited-ci (smell; met means absent): limited use of a CI server.
#
# Smell present (not met): the repository has no CI configuration at all; or, when
# GitHub holds records of the service's repositories, none of them had a workflow run in
# the last 30 days (`runs.workflows[].last_run_at`): a CI configuration nobody runs is
# limited use.
# Absent (met): at least one CI file exists that evident could read, and (GitHub) a
# workflow of one of the service's repositories ran in the last 30 days; the met cites
# the CI files and the runs read.
# Unknown: GitHub did not give the runs of a repository of the service (forbidden,
# rate_limited, error, timeout), named with its status, before the GitHub not_met.
# Without GitHub (not configured, or repositories not on GitHub) the verdict rests on
# the CI files and says that the runs were not checked.
# A CI file that could not be parsed still shows a CI server is in use, so it counts.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.smell.limited_ci

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

verdict(svc) := github_part(svc, lib.met(sprintf("CI configured: %s", [concat(", ", [f.path | some f in files])]), lib.ev(files))) if {
	files := lib.ci_files(svc)
	count(files) > 0
} else := lib.not_met("no CI configuration in the repository", [], ["a CI configuration"])

github_part(svc, v) := lib.with_note(v, lib.github_unchecked(svc, "recent CI runs")) if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, ["runs"], sprintf("%s; whether CI ran in the last 30 days is unknown", [v.summary])) if {
	lib.github_has_gap(svc, ["runs"])
} else := lib.met(
	sprintf("%s; workflows ran in the last 30 days: %s", [v.summary, concat(", ", recent(svc))]),
	array.concat(v.evidence, run_evidence(svc)),
) if {
	count(recent(svc)) > 0
} else := lib.not_met(
	sprintf("%s, but no workflow ran in the last 30 days in %s", [v.summary, concat(", ", [lib.gh_name(k) | some k in lib.github_keys(svc)])]),
	array.concat(v.evidence, run_evidence(svc)),
	["a CI run in the last 30 days"],
)

runs_of(k) := r if {
	r := object.get(lib.gh_repo_map[k], "runs", null)
	is_object(r)
} else := {}

recent(svc) := [sprintf("%s %s (%d runs)", [lib.gh_name(k), w.path, w.runs]) |
	some k in lib.github_keys(svc)
	some w in object.get(runs_of(k), "workflows", [])
	lib.within_days(w.last_run_at, 30)
]

run_evidence(svc) := [id |
	some k in lib.github_keys(svc)
	id := object.get(runs_of(k), "evidence", null)
	is_string(id)
]
