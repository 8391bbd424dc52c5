# ds.smell.limited-ci (smell; met means absent): limited use of a CI server.
#
# Smell present (not met): the repository has no CI configuration at all.
# Absent (met): at least one CI file exists that evident could read; when GitHub is not
# configured the "ran in the last 30 days" part is reported as not checked.
# A CI file that could not be parsed still shows a CI server is in use, so it counts.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.smell.limited_ci

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

verdict(svc) := note(lib.met(sprintf("CI configured: %s", [concat(", ", [f.path | some f in files])]), lib.ev(files))) if {
	files := lib.ci_files(svc)
	count(files) > 0
} else := lib.not_met("no CI configuration in the repository", [], ["a CI configuration"])

note(r) := lib.with_note(r, lib.unchecked("github", "recent CI runs")) if not lib.ok("github")

note(r) := r if lib.ok("github")
