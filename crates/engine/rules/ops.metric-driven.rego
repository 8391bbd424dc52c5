# ops.metric-driven: maintenance and production are metric driven.
#
# Met: the service's alerting rules use metrics other than Prometheus' own series
# (`up`, `scrape_*`, `ALERTS`, `ALERTS_FOR_STATE`: lib.prometheus_own_series; its own
# metrics: the
# metric names come from a PromQL parse of each expression; one that does not parse
# counts for nothing) and
# SLO or latency/error-rate recording rules exist for it (recording rules named
# `slo:*`, or whose name or expression mentions latency, duration, error or a
# histogram quantile).
# Alerting and recording rules loaded in Prometheus for the service count the same way
# (their metric names come from the probe's parse).
# Unknown when the repository does not show both and Prometheus (or its rules API) was
# not read.
package evident.rules.ops.metric_driven

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

own_metric_alerts(svc) := [a |
	some i in object.get(svc, "rules", [])
	a := input.facts.git.prometheus_rules[i]
	a.kind == "alert"
	names := input.index.rule_metrics[i]
	is_array(names)
	count({n | some n in names; not lib.prometheus_own_series(n)}) > 0
]

prom_own_metric_alerts(svc) := [a |
	some a in lib.prom_alerts(svc)
	is_array(a.metrics)
	count({n | some n in a.metrics; not lib.prometheus_own_series(n)}) > 0
]

alerts(svc) := array.concat(own_metric_alerts(svc), prom_own_metric_alerts(svc))

sli_records(svc) := [r |
	some r in array.concat(lib.records(svc), lib.prom_records(svc))
	sli(r)
]

sli(r) if startswith(r.name, "slo:")

sli(r) if regex.match(`(?i)(latency|duration|error|histogram_quantile|_bucket)`, r.name)

sli(r) if regex.match(`(?i)(histogram_quantile|_bucket|_duration|_latency|error)`, r.expr)

missing(svc) := [m |
	some part, items in {"alerts on the service's own metrics": alerts(svc), "SLO or latency/error recording rules": sli_records(svc)}
	count(items) == 0
	m := part
]

verdict(svc) := lib.met(sprintf("%d alert(s) on own metrics and %d SLI recording rule(s)", [count(alerts(svc)), count(sli_records(svc))]), array.concat(lib.ev(alerts(svc)), lib.ev(sli_records(svc)))) if {
	count(missing(svc)) == 0
} else := lib.unknown("prometheus", sprintf("the repository lacks %s", [concat(", ", missing(svc))])) if {
	not lib.ok("prometheus")
} else := lib.prom_unknown("rules", sprintf("lacking %s", [concat(", ", missing(svc))])) if {
	not lib.prom_part_ok("rules")
} else := lib.not_met("operations are not metric driven", array.concat(lib.ev(alerts(svc)), lib.ev(sli_records(svc))), missing(svc))
