# cams.sharing.reused-patterns: deployment and testing patterns are reused.
#
# Met: at least one CI job reuses a shared template from outside the repository: a
# reusable workflow of another repository, GitLab `include: project`, a Jenkins shared
# library (`@Library`), a CircleCI orb, an Azure Pipelines template from another
# repository resource.
# Bitbucket pipes, Buildkite plugins and Tekton catalog tasks are vendor tools, as
# third-party GitHub actions are, and do not count on their own.
# Decision: well-known third-party actions (actions/checkout and the like) are tools,
# not the organisation's own patterns; only reusable workflows and includes of other
# repositories of the same owner count when the owner is known, otherwise any reusable
# workflow counts.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.cams.sharing.reused_patterns

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

template(ref) if contains(ref, "/.github/workflows/")

template(ref) if startswith(ref, "project:")

template(ref) if startswith(ref, "jenkins-library:")

template(ref) if startswith(ref, "orb:")

template(ref) if startswith(ref, "azure-template:")

reusing(svc) := [j | some j in lib.jobs(svc); some ref in j.reuses; template(ref)]

verdict(svc) := lib.met(sprintf("shared templates reused by %s", [concat(", ", [lib.job_ref(j) | some j in reusing(svc)])]), lib.ev(reusing(svc))) if {
	count(reusing(svc)) > 0
} else := lib.not_met("CI reuses no shared template", lib.ev(lib.ci_files(svc)), ["a reusable workflow or included template from a shared repository"])
