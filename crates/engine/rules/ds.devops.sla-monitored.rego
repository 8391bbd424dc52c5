# ds.devops.sla-monitored: SLAs are continuously tested and monitored.
#
# Three parts: SLO rules for the service (recording rules named `slo:*` or carrying a
# `sloth_service`/`sloth_slo` label, Pyrra/OpenSLO objects), burn-rate alerts on them
# (an alert whose expression uses an SLO recording rule or names a burn rate), and a
# continuous synthetic check (a scheduled CI job classified synthetic; blackbox
# `probe_success` once Prometheus is read).
# Met when the repository and Prometheus together show all three: Prometheus adds its
# loaded recording rules with an SLO tool (Sloth, Pyrra, OpenSLO labels or `slo:`
# names), its burn-rate alerts, and blackbox `probe_success` series whose probed URL
# names the service. Otherwise, unknown while Prometheus is not read or its rules or
# synthetic parts did not answer; not met once they did.
# A CI file of the service that could not be read makes every verdict but `met` unknown
# (reason error, naming the file; lib.ci_checked): an unread workflow may hold the job.
package evident.rules.ds.devops.sla_monitored

import data.evident.lib
import rego.v1

result[sid] := lib.ci_checked(svc, verdict(svc)) if some sid, svc in input.services

slo_records(svc) := array.concat([r |
	some r in lib.records(svc)
	slo_rule(r)
], [r | some r in lib.prom_records(svc); r.slo_tool != null])

slo_rule(r) if startswith(r.name, "slo:")

slo_rule(r) if r.labels.sloth_service

slo_rule(r) if r.labels.sloth_slo

burn_alerts(svc) := array.concat([r |
	some r in lib.alerts(svc)
	burn_expr(r.expr)
], [r | some r in lib.prom_alerts(svc); r.burn_rate])

burn_expr(e) if contains(e, "slo:")

burn_expr(e) if contains(lower(e), "burn")

synthetic(svc) := array.concat(
	[j | some j in lib.jobs(svc); lib.has_kind(j, "synthetic"); j.triggers.schedule],
	[p | some p in object.get(lib.prom, "synthetic", []); p.service in lib.service_names(svc)],
)

missing(svc) := [m |
	some part, items in {"SLO recording rules": slo_records(svc), "burn-rate alerts": burn_alerts(svc), "a scheduled synthetic check": synthetic(svc)}
	count(items) == 0
	m := part
]

evidence(svc) := array.concat(array.concat(lib.ev(slo_records(svc)), lib.ev(burn_alerts(svc))), lib.ev(synthetic(svc)))

verdict(svc) := lib.met("SLO rules, burn-rate alerts and a continuous synthetic check", evidence(svc)) if {
	count(missing(svc)) == 0
} else := lib.unknown("prometheus", sprintf("the repository lacks %s; Prometheus may hold them", [concat(", ", missing(svc))])) if {
	not lib.ok("prometheus")
} else := lib.prom_unknown("rules", sprintf("lacking %s", [concat(", ", missing(svc))])) if {
	not lib.prom_part_ok("rules")
} else := lib.prom_unknown("synthetic", sprintf("lacking %s", [concat(", ", missing(svc))])) if {
	not lib.prom_part_ok("synthetic")
} else := lib.not_met("SLO monitoring incomplete", evidence(svc), missing(svc))
