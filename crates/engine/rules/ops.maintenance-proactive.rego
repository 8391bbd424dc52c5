# ops.maintenance-proactive: maintenance is proactive.
#
# Two parts: alerting rules exist for the service, and dependency updates are automated
# (Dependabot or Renovate configuration in the repository).
# Not met when the repository has no Dependabot/Renovate configuration (decidable from
# files alone). Unknown when that part holds but no alerting rule is in the repository
# and Prometheus was not read. Alerting rules Prometheus has loaded for the service
# count as well (its rules part, which the model names).
package evident.rules.ops.maintenance_proactive

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

updaters(svc) := lib.inventory(svc, "dependency_updates")

# The repository's alerting rules and those Prometheus has loaded for the service.
alerts(svc) := array.concat(lib.alerts(svc), lib.prom_alerts(svc))

verdict(svc) := lib.not_met("dependency updates are not automated (no Dependabot or Renovate configuration)", [], ["a Dependabot or Renovate configuration"]) if {
	count(updaters(svc)) == 0
} else := lib.met(sprintf("%d alerting rule(s) and automated dependency updates (%s)", [count(alerts(svc)), concat(", ", [e.tool | some e in updaters(svc)])]), array.concat(lib.ev(updaters(svc)), lib.ev(alerts(svc)))) if {
	count(alerts(svc)) > 0
} else := lib.unknown("prometheus", "dependency updates are automated; no alerting rules in the repository") if {
	not lib.ok("prometheus")
} else := lib.not_met("no alerting rules for the service", lib.ev(updaters(svc)), ["alerting rules for the service"])
