# ds.arch.versioning-compat: service versioning with automatic compatibility testing.
#
# Met: the repository holds API definitions (OpenAPI, protobuf, GraphQL, AsyncAPI) and a
# CI job runs a breaking-change check (buf breaking, oasdiff, openapi-diff,
# graphql-inspector diff, or pact can-i-deploy).
# Not met: definitions without a check, or no API definitions at all (an API nobody
# wrote down cannot be checked for compatibility).
# A CI file of the service that could not be read makes the verdicts that rest on CI
# unknown (reason error, naming the file; lib.ci_checked) unless met; a not_met that rests
# only on evidence outside CI (no API definitions in the repository) stands, since no unread workflow can undo it.
package evident.rules.ds.arch.versioning_compat

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

checks(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "api_compat")]

can_i_deploy(svc) := [j |
	some j in lib.jobs(svc)
	lib.has_kind(j, "contract_test")
	some s in j.signals
	contains(lower(s.text), "can-i-deploy")
]

defs(svc) := lib.inventory(svc, "api_definitions")

all_checks(svc) := array.concat(checks(svc), can_i_deploy(svc))

verdict(svc) := lib.not_met("no API definitions (OpenAPI, protobuf, GraphQL, AsyncAPI) in the repository", [], ["API definitions under version control", "a breaking-change check in CI"]) if {
	count(defs(svc)) == 0
} else := lib.ci_checked(svc, ci_verdict(svc))

ci_verdict(svc) := lib.met(sprintf("%d API definition(s) checked for breaking changes by %s", [count(defs(svc)), concat(", ", [lib.job_ref(j) | some j in all_checks(svc)])]), array.concat(lib.ev(all_checks(svc)), lib.ev(defs(svc)))) if {
	count(all_checks(svc)) > 0
} else := lib.not_met(sprintf("%d API definition(s) but no breaking-change check in CI", [count(defs(svc))]), lib.ev(defs(svc)), ["buf breaking, oasdiff, openapi-diff, graphql-inspector diff or pact can-i-deploy in CI"])
