# ds.process.ci-all: continuous testing and integration for all applications.
#
# Met: a CI job classified as running tests is triggered by pushes to the default branch
# or by pull requests; and, when GitHub holds records of the service's repositories,
# every one of them had a workflow run in the last 30 days (`runs.workflows[].last_run_at`)
# and its default branch requires at least one status check (`protection.required_checks`,
# from branch protection or active rulesets). The met cites the test jobs, the runs and
# the protection records.
# Not met: no CI file, or no test job on those triggers (the result lists what runs); or
# (GitHub) a repository of the service had no workflow run in 30 days, or its default
# branch requires no status check (each named in `missing`).
# Unknown: GitHub did not give the runs or the protection of a repository (a token
# without admin rights: `forbidden`; the rate limit: `rate_limited`), named with its
# status, before any GitHub not_met: an unread protection is never "no required check".
# Without GitHub (not configured, or a repository that is not on GitHub) the verdict is
# the repository's alone and says the GitHub part was not checked.
# A job that calls a reusable workflow has the kinds of the called workflow's jobs
# (input.index.reused_jobs); a call nothing in the scan holds makes a not_met unknown.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.process.ci_all

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

on_every_change(j) if j.triggers.push_default_branch

on_every_change(j) if j.triggers.pull_request

test_jobs(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "test"); on_every_change(j)]

verdict(svc) := github_part(svc, v) if {
	v := git_verdict(svc)
	v.status == "met"
} else := git_verdict(svc)

git_verdict(svc) := lib.met(sprintf("tests run on every change: %s", [concat(", ", [lib.job_ref(j) | some j in jobs])]), lib.ev(jobs)) if {
	jobs := test_jobs(svc)
	count(jobs) > 0
} else := lib.not_met("no CI configuration in the repository", [], ["a CI job that runs tests on pushes and pull requests"]) if {
	count(lib.ci_files(svc)) == 0
} else := lib.not_met(
	"CI exists but no job runs tests on pushes to the default branch or on pull requests",
	lib.ev(lib.ci_files(svc)),
	["a test job triggered by push to the default branch or pull_request"],
)

gh_parts := ["runs", "protection"]

github_part(svc, v) := lib.with_note(v, lib.github_unchecked(svc, "recent CI runs and required status checks")) if {
	not lib.github_judges(svc)
} else := lib.github_unread_for(svc, gh_parts, sprintf("%s; the GitHub part is unknown", [v.summary])) if {
	lib.github_has_gap(svc, gh_parts)
} else := lib.not_met(
	sprintf("%s, but on GitHub: %s", [v.summary, concat("; ", gh_missing(svc))]),
	array.concat(v.evidence, gh_evidence(svc)),
	gh_missing(svc),
) if {
	count(gh_missing(svc)) > 0
} else := lib.met(
	sprintf("%s; CI ran in the last 30 days and the default branch requires status checks (%s)", [v.summary, concat("; ", [checks_text(k) | some k in lib.github_keys(svc)])]),
	array.concat(v.evidence, gh_evidence(svc)),
)

runs_of(k) := r if {
	r := object.get(lib.gh_repo_map[k], "runs", null)
	is_object(r)
} else := {}

protection_of(k) := p if {
	p := object.get(lib.gh_repo_map[k], "protection", null)
	is_object(p)
} else := {}

ran_recently(k) if {
	some w in object.get(runs_of(k), "workflows", [])
	lib.within_days(w.last_run_at, 30)
}

gh_missing(svc) := array.concat(
	[sprintf("a workflow run in the last 30 days in %s (none since %s)", [lib.gh_name(k), object.get(runs_of(k), "since", "the window start")]) |
		some k in lib.github_keys(svc)
		not ran_recently(k)
	],
	[sprintf("a required status check on %s of %s", [object.get(protection_of(k), "branch", "the default branch"), lib.gh_name(k)]) |
		some k in lib.github_keys(svc)
		count(object.get(protection_of(k), "required_checks", [])) == 0
	],
)

gh_evidence(svc) := [id |
	some k in lib.github_keys(svc)
	some x in [runs_of(k), protection_of(k)]
	id := object.get(x, "evidence", null)
	is_string(id)
]

checks_text(k) := sprintf("%s: %s", [lib.gh_name(k), concat(", ", protection_of(k).required_checks)])
