# cams.measurement.business: business metrics (revenue, orders, users) are measured.
#
# Met: a Prometheus target of the service exports a metric outside the runtime,
# process, HTTP/RPC and infrastructure families (the probe classifies names by prefix:
# process_, go_, jvm_, http_, grpc_, node_, istio_, ...; everything else is the
# service's own domain, e.g. orders_placed_total).
# Not met: the service's metrics are all standard families, or no target maps to it.
# Unknown: targets or metric names could not be read.
package evident.rules.cams.measurement.business

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

domain(svc) := sort({m | some p in lib.prom_services(svc); some m in p.families.domain})

evidence(svc) := [e | some p in lib.prom_services(svc); some e in p.metrics_evidence]

verdict(svc) := lib.prom_unknown("targets", "Prometheus targets not read") if {
	not lib.prom_part_ok("targets")
} else := lib.prom_unknown("metrics", "metric names not read") if {
	not lib.prom_part_ok("metrics")
} else := lib.not_met("no Prometheus target maps to the service", [], [sprintf("a scrape target labelled job, app or app.kubernetes.io/name = %s", [svc.id])]) if {
	count(lib.prom_services(svc)) == 0
} else := lib.met(sprintf("domain metrics: %s", [concat(", ", array.slice(domain(svc), 0, 8))]), evidence(svc)) if {
	count(domain(svc)) > 0
} else := lib.not_met("only runtime, HTTP and infrastructure metrics", evidence(svc), ["counters for the business events the service handles"])
