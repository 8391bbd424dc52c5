# ds.process.consumer-contracts: consumer-driven contracts, continuously verified.
#
# Met: contract files (Pact JSON, Spring Cloud Contract) are in the repository and a CI
# job verifies contracts (pact verify, can-i-deploy, a contract test task).
# Not met: either part missing; the result says which.
# A CI file of the service that could not be read makes the verdicts that rest on CI
# unknown (reason error, naming the file; lib.ci_checked) unless met; a not_met that rests
# only on evidence outside CI (no contract files) stands, since no unread workflow can undo it.
package evident.rules.ds.process.consumer_contracts

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

contracts(svc) := lib.inventory(svc, "contracts")

verifiers(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "contract_test")]

missing(svc) := [m |
	some part, items in {"contract files (Pact, Spring Cloud Contract)": contracts(svc), "contract verification in CI": verifiers(svc)}
	count(items) == 0
	m := part
]

verdict(svc) := lib.not_met("consumer-driven contracts incomplete", lib.ev(verifiers(svc)), missing(svc)) if {
	count(contracts(svc)) == 0
	count(lib.broken_ci_files(svc)) > 0
} else := lib.ci_checked(svc, ci_verdict(svc))

ci_verdict(svc) := lib.met(sprintf("%d contract file(s) verified by %s", [count(contracts(svc)), concat(", ", [lib.job_ref(j) | some j in verifiers(svc)])]), array.concat(lib.ev(contracts(svc)), lib.ev(verifiers(svc)))) if {
	count(missing(svc)) == 0
} else := lib.not_met("consumer-driven contracts incomplete", array.concat(lib.ev(contracts(svc)), lib.ev(verifiers(svc))), missing(svc))
