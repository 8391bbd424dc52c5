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
# Decision (scale): the graph's node names are collected once and each service's names
# are looked up in that set, so the rule is linear in edges plus services (it used to
# walk every edge for every service). Each service's row carries its own part (`parts`):
# whether it is in the graph; the shared verdict keeps the full lists once.
package evident.rules.ds.devops.dependency_graph

import data.evident.lib
import rego.v1

result := verdict

edges := object.get(lib.prom, "edges", [])

live_edges := [e | some e in edges; e.requests > 0]

# Every node name with traffic.
nodes := {n | some e in live_edges; some n in [e.source, e.destination]}

names_of := {id: lib.service_names(svc) | some id, svc in input.services}

in_graph := {id | some id, names in names_of; count(names & nodes) > 0}

absent := sort([id | some id, _ in input.services; not id in in_graph])

# Names of the services in the graph, for picking the edges that touch them.
scanned_nodes := {n | some id in in_graph; some n in names_of[id]; n in nodes}

graph_evidence := [id |
	some e in live_edges
	touches(e, scanned_nodes)
	some id in lib.as_list(e.evidence)
]

touches(e, names) if e.source in names

touches(e, names) if e.destination in names

absent_note := "" if count(absent) == 0

absent_note := sprintf("; not in the graph: %s", [concat(", ", absent)]) if count(absent) > 0

verdict := lib.prom_unknown("edges", "service-graph metrics not read") if {
	not lib.prom_part_ok("edges")
} else := lib.not_met("Prometheus holds no per-edge request metrics", [], ["istio_requests_total, linkerd response_total or traces_service_graph_request_total"]) if {
	count(edges) == 0
} else := lib.met(sprintf("%d edge(s) with traffic; in the graph: %s%s", [count(edges), concat(", ", sort(in_graph)), absent_note]), graph_evidence) if {
	count(in_graph) > 0
} else := lib.not_met(sprintf("the service graph (%d edges) shows no traffic for the scanned services", [count(edges)]), [], ["an edge with traffic to or from a scanned service"])

# Each service's own part: in the graph or not (only once there is a graph to be in).
parts[sid] := lib.part(sprintf("%s is a node of the service graph", [sid]), [], []) if {
	count(live_edges) > 0
	some sid in in_graph
}

parts[sid] := lib.part(sprintf("%s is not in the service graph (%d other service(s) are not either)", [sid, count(absent) - 1]), [], []) if {
	count(live_edges) > 0
	some sid in absent
}
