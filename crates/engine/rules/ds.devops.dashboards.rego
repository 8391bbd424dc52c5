# ds.devops.dashboards: performance metrics, application metrics and health checks are
# displayed in production dashboards.
#
# Three parts, each reported: (a) Prometheus has an up target for the service (targets
# mapped to it by label, pod or job name); (b) it exports application metrics beyond
# runtime and process defaults (HTTP/RPC or domain metric families); (c) a Grafana
# dashboard (from the API or kept as code) has a panel whose PromQL selects the service:
# a matcher on job/service/app/service_name/app_kubernetes_io_name/namespace equal to
# (or a regex matching) one of its names, jobs or namespaces, or one of the metrics only
# this service exports. A matcher whose value is a dashboard variable on one of those
# labels counts: the dashboard is built to show any service, this one included.
# Unknown when a part could not be read (targets or metric names); not met when
# Prometheus maps no target to the service.
package evident.rules.ds.devops.dashboards

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

service_labels := {"job", "service", "app", "service_name", "app_kubernetes_io_name", "k8s_app", "namespace", "k8s_namespace_name", "service_namespace"}

up_services(svc) := [p | some p in lib.prom_services(svc); p.targets_up > 0]

app_metric_services(svc) := [p | some p in lib.prom_services(svc); count(p.families.http) + count(p.families.domain) > 0]

names(svc) := (lib.service_names(svc) | {j | some p in lib.prom_services(svc); some j in p.jobs}) | {n | some p in lib.prom_services(svc); some n in p.namespaces}

own_metrics(svc) := {m | some p in lib.prom_services(svc); some m in p.own_metrics}

selects(m, svc) if {
	m.label in service_labels
	m.templated
}

selects(m, svc) if {
	m.label in service_labels
	m.op == "="
	m.value in names(svc)
}

selects(m, svc) if {
	m.label in service_labels
	m.op == "=~"
	not m.templated
	pattern := sprintf("^(?:%s)$", [m.value])
	regex.is_valid(pattern)
	some n in names(svc)
	regex.match(pattern, n)
}

showing(svc) := [d |
	some d in lib.dashboards
	shows(d, svc)
]

shows(d, svc) if {
	some m in d.matchers
	selects(m, svc)
}

shows(d, svc) if {
	some metric in d.metrics
	metric in own_metrics(svc)
}

parts(svc) := {
	"an up target in Prometheus": up_services(svc),
	"application metrics beyond runtime defaults": app_metric_services(svc),
	"a dashboard panel selecting the service": showing(svc),
}

missing(svc) := [k | some k, v in parts(svc); count(v) == 0]

evidence(svc) := array.concat(
	array.concat([e | some p in up_services(svc); some e in p.evidence], [e | some p in app_metric_services(svc); some e in p.metrics_evidence]),
	lib.ev(showing(svc)),
)

dashboard_titles(svc) := concat(", ", sort({d.title | some d in showing(svc)}))

verdict(svc) := lib.prom_unknown("targets", "Prometheus targets not read") if {
	not lib.prom_part_ok("targets")
} else := lib.not_met("no Prometheus target maps to the service", [], [sprintf("a scrape target labelled job, app or app.kubernetes.io/name = %s", [svc.id])]) if {
	count(lib.prom_services(svc)) == 0
} else := lib.prom_unknown("metrics", "metric names not read") if {
	not lib.prom_part_ok("metrics")
} else := lib.met(sprintf("scraped and up, application metrics exported, shown on %s", [dashboard_titles(svc)]), evidence(svc)) if {
	count(missing(svc)) == 0
} else := lib.not_met("the service is not fully on dashboards", evidence(svc), missing(svc))
