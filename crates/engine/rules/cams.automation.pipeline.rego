# cams.automation.pipeline: build, test, deploy and release in one deployment pipeline.
#
# Met: the service's CI (one or several workflows, possibly chained) has a job that
# builds (or releases an artifact), a job that runs tests, and a job that deploys (not
# into a throwaway cluster). The parts are listed when missing.
# Decision: chaining between workflows is not verified yet; jobs in the same repository
# are taken as one pipeline.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.cams.automation.pipeline

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

builds(svc) := [j | some j in lib.jobs(svc); some k in j.kinds; k in {"build", "release"}]

tests(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "test")]

parts(svc) := {"build": builds(svc), "test": tests(svc), "deploy": lib.deploy_jobs(svc)}

missing(svc) := [sprintf("a %s job", [p]) | some p, jobs in parts(svc); count(jobs) == 0]

evidence(svc) := [id | some _, jobs in parts(svc); some id in lib.ev(jobs)]

verdict(svc) := lib.met(sprintf("build (%s), test (%s) and deploy (%s) jobs", [lib.names(builds(svc)), lib.names(tests(svc)), lib.names(lib.deploy_jobs(svc))]), evidence(svc)) if {
	count(missing(svc)) == 0
} else := lib.not_met("the pipeline does not build, test and deploy", evidence(svc), missing(svc))
