# ds.devops.sla-monitored: SLAs are continuously tested and monitored.
#
# Three parts: SLO rules for the service (recording rules named `slo:*` or carrying a
# `sloth_service`/`sloth_slo` label, Pyrra/OpenSLO objects), burn-rate alerts on them
# (an alert whose expression uses an SLO recording rule or names a burn rate), and a
# continuous synthetic check (a scheduled CI job classified synthetic; blackbox
# `probe_success` once Prometheus is read).
# Met when the repository shows all three. Otherwise, rules and probes may live in
# Prometheus rather than in the repository, so the answer is unknown until Prometheus
# is read (and then not met).
package evident.rules.ds.devops.sla_monitored

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

slo_records(svc) := [r |
	some r in lib.records(svc)
	slo_rule(r)
]

slo_rule(r) if startswith(r.name, "slo:")

slo_rule(r) if r.labels.sloth_service

slo_rule(r) if r.labels.sloth_slo

burn_alerts(svc) := [r |
	some r in lib.alerts(svc)
	burn_expr(r.expr)
]

burn_expr(e) if contains(e, "slo:")

burn_expr(e) if contains(lower(e), "burn")

synthetic(svc) := [j | some j in lib.jobs(svc); lib.has_kind(j, "synthetic"); j.triggers.schedule]

missing(svc) := [m |
	some part, items in {"SLO recording rules": slo_records(svc), "burn-rate alerts": burn_alerts(svc), "a scheduled synthetic check": synthetic(svc)}
	count(items) == 0
	m := part
]

evidence(svc) := array.concat(array.concat(lib.ev(slo_records(svc)), lib.ev(burn_alerts(svc))), lib.ev(synthetic(svc)))

verdict(svc) := lib.met("SLO rules, burn-rate alerts and a scheduled synthetic check in the repository", evidence(svc)) if {
	count(missing(svc)) == 0
} else := lib.unknown("prometheus", sprintf("the repository lacks %s; Prometheus may hold them", [concat(", ", missing(svc))])) if {
	not lib.ok("prometheus")
} else := lib.not_met("SLO monitoring incomplete", evidence(svc), missing(svc))
