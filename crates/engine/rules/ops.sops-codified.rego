# ops.sops-codified: standard operating procedures are codified.
#
# Met: at least 80% of the service's alerting rules carry a runbook_url or runbook
# annotation. The alerts are those of its repository's rule files and PrometheusRule
# objects plus those loaded in Prometheus that name the service; an alert present in
# both (same name) is counted once, with a runbook when either copy has one.
# Not met: the share is below 80%, or no alerting rule exists once Prometheus' rules
# were read; the alerts without a runbook are listed.
# Unknown: no alerting rules in the repository and Prometheus (or its rules API) was
# not read.
package evident.rules.ops.sops_codified

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

all_alerts(svc) := array.concat(lib.alerts(svc), lib.prom_alerts(svc))

alert_names(svc) := {a.name | some a in all_alerts(svc)}

runbook_names(svc) := {a.name | some a in all_alerts(svc); a.runbook_url != null}

with_runbook(svc) := [a | some a in all_alerts(svc); a.runbook_url != null]

share(svc) := count(runbook_names(svc)) / count(alert_names(svc))

verdict(svc) := lib.unknown("prometheus", "no alerting rules for the service in the repository") if {
	count(alert_names(svc)) == 0
	not lib.ok("prometheus")
} else := lib.prom_unknown("rules", "no alerting rules for the service in the repository") if {
	count(alert_names(svc)) == 0
	not lib.prom_part_ok("rules")
} else := lib.not_met("the service has no alerting rules", [], ["alerting rules with runbook_url annotations"]) if {
	count(alert_names(svc)) == 0
} else := lib.met(sprintf("%d of %d alerts link a runbook", [count(runbook_names(svc)), count(alert_names(svc))]), lib.ev(with_runbook(svc))) if {
	share(svc) >= 0.8
} else := lib.not_met(
	sprintf("only %d of %d alerts link a runbook (80%% needed)", [count(runbook_names(svc)), count(alert_names(svc))]),
	lib.ev(all_alerts(svc)),
	sort([sprintf("alert %s has no runbook_url", [n]) | some n in alert_names(svc) - runbook_names(svc)]),
)
