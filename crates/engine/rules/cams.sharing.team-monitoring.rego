# cams.sharing.team-monitoring: monitoring and alerting are configurable by the team.
#
# Met: alerting rules for the service live in its own repository (rule files or
# PrometheusRule objects), where the owning team changes them.
# Unknown: none in the repository and Prometheus was not read (rules may live in a
# central repository; only Prometheus can show that).
package evident.rules.cams.sharing.team_monitoring

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

verdict(svc) := lib.met(sprintf("%d alerting rule(s) in the service's repository", [count(lib.alerts(svc))]), lib.ev(lib.alerts(svc))) if {
	count(lib.alerts(svc)) > 0
} else := lib.unknown("prometheus", "no alerting rules in the service's repository") if {
	not lib.ok("prometheus")
} else := lib.not_met("the service's alerting rules are not in its repository", [], ["alert rules in the service's repository"])
