# cams.measurement.technical: technical metrics (TPS, response time, hits) are measured.
#
# Met: the service exports an HTTP/RPC server request counter and a latency histogram
# (names classified by the probe), or mesh edge metrics carry requests to it.
# Not met: neither, or no target maps to the service.
# Unknown: targets or metric names could not be read.
package evident.rules.cams.measurement.technical

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

counters(svc) := sort({m | some p in lib.prom_services(svc); some m in p.request_counters})

histograms(svc) := sort({m | some p in lib.prom_services(svc); some m in p.latency_histograms})

mesh_in(svc) := [e | some e in object.get(lib.prom, "edges", []); e.destination in lib.service_names(svc); e.requests > 0]

evidence(svc) := [e | some p in lib.prom_services(svc); some e in p.metrics_evidence]

verdict(svc) := lib.prom_unknown("targets", "Prometheus targets not read") if {
	not lib.prom_part_ok("targets")
} else := lib.prom_unknown("metrics", "metric names not read") if {
	not lib.prom_part_ok("metrics")
} else := lib.met(sprintf("request counter %s and latency histogram %s", [counters(svc)[0], histograms(svc)[0]]), evidence(svc)) if {
	count(counters(svc)) > 0
	count(histograms(svc)) > 0
} else := lib.met(sprintf("mesh metrics carry %d edge(s) into the service", [count(mesh_in(svc))]), lib.ev(mesh_in(svc))) if {
	count(mesh_in(svc)) > 0
} else := lib.not_met("no request rate and latency metrics for the service", evidence(svc), [m | some m in ["a request counter", "a latency histogram"]])
