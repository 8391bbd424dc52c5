# ops.sops-codified: standard operating procedures are codified.
#
# Met: at least 80% of the service's alerting rules (from its repository's rule files
# and PrometheusRule objects) carry a runbook_url or runbook annotation.
# Not met: the share is below 80%; the alerts without one are listed.
# Unknown: the repository holds no alerting rules for the service; they may live in
# Prometheus, which was not read.
package evident.rules.ops.sops_codified

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

with_runbook(svc) := [a | some a in lib.alerts(svc); a.runbook_url != null]

share(svc) := count(with_runbook(svc)) / count(lib.alerts(svc))

verdict(svc) := lib.unknown("prometheus", "no alerting rules for the service in the repository") if {
	count(lib.alerts(svc)) == 0
	not lib.ok("prometheus")
} else := lib.not_met("the service has no alerting rules", [], ["alerting rules with runbook_url annotations"]) if {
	count(lib.alerts(svc)) == 0
} else := lib.met(sprintf("%d of %d alerts link a runbook", [count(with_runbook(svc)), count(lib.alerts(svc))]), lib.ev(with_runbook(svc))) if {
	share(svc) >= 0.8
} else := lib.not_met(
	sprintf("only %d of %d alerts link a runbook (80%% needed)", [count(with_runbook(svc)), count(lib.alerts(svc))]),
	lib.ev(lib.alerts(svc)),
	[sprintf("alert %s has no runbook_url", [a.name]) | some a in lib.alerts(svc); a.runbook_url == null],
)
