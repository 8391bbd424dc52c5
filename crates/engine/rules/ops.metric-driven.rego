# ops.metric-driven: maintenance and production are metric driven.
#
# Met: the service's alerting rules use metrics other than `up` (its own metrics) and
# SLO or latency/error-rate recording rules exist for it (recording rules named
# `slo:*`, or whose name or expression mentions latency, duration, error or a
# histogram quantile).
# Unknown when the repository does not show both and Prometheus was not read.
package evident.rules.ops.metric_driven

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

own_metric_alerts(svc) := [a |
	some a in lib.alerts(svc)
	not only_up(a.expr)
]

# An expression uses only `up` when, after dropping label matchers, grouping labels,
# durations and PromQL's own keywords and functions, no other name is left. A real
# PromQL parse replaces this once the Prometheus probe extracts metric names.
only_up(expr) if {
	names := metric_names(expr)
	count(names - {"up"}) == 0
}

metric_names(expr) := {n |
	no_matchers := regex.replace(expr, `\{[^}]*\}`, " ")
	no_groups := regex.replace(no_matchers, `(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`, " ")
	no_ranges := regex.replace(no_groups, `\[[^\]]*\]`, " ")
	some n in regex.find_n(`[a-zA-Z_:][a-zA-Z0-9_:]*`, no_ranges, -1)
	not n in promql_words
}

promql_words := {
	"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
	"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
	"rate", "irate", "increase", "delta", "idelta", "deriv", "absent", "absent_over_time", "avg_over_time",
	"min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time", "changes", "resets",
	"histogram_quantile", "label_replace", "label_join", "abs", "ceil", "floor", "round", "clamp", "clamp_min",
	"clamp_max", "vector", "scalar", "time", "timestamp", "predict_linear", "sort", "sort_desc", "e", "inf", "nan",
	"Inf", "NaN",
}

sli_records(svc) := [r |
	some r in lib.records(svc)
	sli(r)
]

sli(r) if startswith(r.name, "slo:")

sli(r) if regex.match(`(?i)(latency|duration|error|histogram_quantile|_bucket)`, sprintf("%s %s", [r.name, r.expr]))

missing(svc) := [m |
	some part, items in {"alerts on the service's own metrics": own_metric_alerts(svc), "SLO or latency/error recording rules": sli_records(svc)}
	count(items) == 0
	m := part
]

verdict(svc) := lib.met(sprintf("%d alert(s) on own metrics and %d SLI recording rule(s)", [count(own_metric_alerts(svc)), count(sli_records(svc))]), array.concat(lib.ev(own_metric_alerts(svc)), lib.ev(sli_records(svc)))) if {
	count(missing(svc)) == 0
} else := lib.unknown("prometheus", sprintf("the repository lacks %s", [concat(", ", missing(svc))])) if {
	not lib.ok("prometheus")
} else := lib.not_met("operations are not metric driven", array.concat(lib.ev(own_metric_alerts(svc)), lib.ev(sli_records(svc))), missing(svc))
