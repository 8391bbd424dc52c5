# ds.process.ci-all: continuous testing and integration for all applications.
#
# Met: a CI job classified as running tests is triggered by pushes to the default branch
# or by pull requests. Judged from the repository's CI files; the GitHub part (CI ran in
# the last 30 days, the default branch requires a status check) is reported as not
# checked until a GitHub source is configured, and then gates.
# Not met: no CI file, or no test job on those triggers (the result lists what runs).
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.process.ci_all

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

on_every_change(j) if j.triggers.push_default_branch

on_every_change(j) if j.triggers.pull_request

test_jobs(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "test"); on_every_change(j)]

verdict(svc) := github_note(lib.met(sprintf("tests run on every change: %s", [concat(", ", [lib.job_ref(j) | some j in jobs])]), lib.ev(jobs))) if {
	jobs := test_jobs(svc)
	count(jobs) > 0
} else := lib.not_met("no CI configuration in the repository", [], ["a CI job that runs tests on pushes and pull requests"]) if {
	count(lib.ci_files(svc)) == 0
} else := lib.not_met(
	"CI exists but no job runs tests on pushes to the default branch or on pull requests",
	lib.ev(lib.ci_files(svc)),
	["a test job triggered by push to the default branch or pull_request"],
)

github_note(r) := lib.with_note(r, lib.unchecked("github", "recent CI runs and required status checks")) if not lib.ok("github")

github_note(r) := r if lib.ok("github")
