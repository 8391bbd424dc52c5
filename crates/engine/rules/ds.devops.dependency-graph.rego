# ds.devops.dependency-graph: a live dependency graph shows which applications are in use.
#
# Estate-wide, judged once. Met: Prometheus holds per-edge request metrics
# (istio_requests_total, linkerd response_total with direction=outbound,
# traces_service_graph_request_total) with traffic in the edge window (7 days), and the
# scanned services appear in it as nodes (source or destination, by workload,
# deployment or client/server name equal to one of a service's names); services absent
# from the graph are named in the summary (batch jobs and libraries have no traffic, so
# one absent service does not fail the estate).
# Not met: no edge metrics at all, or no scanned service in the graph.
# Unknown: the edge queries did not answer.
package evident.rules.ds.devops.dependency_graph

import data.evident.lib
import rego.v1

result := verdict

edges := object.get(lib.prom, "edges", [])

mine(svc) := [e |
	some e in edges
	e.requests > 0
	touches(e, lib.service_names(svc))
]

touches(e, names) if e.source in names

touches(e, names) if e.destination in names

in_graph := [id | some id, svc in input.services; count(mine(svc)) > 0]

absent := sort([id | some id, _ in input.services; not id in in_graph])

graph_evidence := [e | some id, svc in input.services; some e in lib.ev(mine(svc))]

absent_note := "" if count(absent) == 0

absent_note := sprintf("; not in the graph: %s", [concat(", ", absent)]) if count(absent) > 0

verdict := lib.prom_unknown("edges", "service-graph metrics not read") if {
	not lib.prom_part_ok("edges")
} else := lib.not_met("Prometheus holds no per-edge request metrics", [], ["istio_requests_total, linkerd response_total or traces_service_graph_request_total"]) if {
	count(edges) == 0
} else := lib.met(sprintf("%d edge(s) with traffic; in the graph: %s%s", [count(edges), concat(", ", sort(in_graph)), absent_note]), graph_evidence) if {
	count(in_graph) > 0
} else := lib.not_met(sprintf("the service graph (%d edges) shows no traffic for the scanned services", [count(edges)]), [], ["an edge with traffic to or from a scanned service"])
