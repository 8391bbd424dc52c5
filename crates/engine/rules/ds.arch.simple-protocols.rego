# ds.arch.simple-protocols: applications communicate through simple protocols.
#
# Not applicable: no app container declares a port (a worker that only calls out).
# Met: every container port of every long-running workload declares HTTP(S) or gRPC,
# through its own name or appProtocol, or through the name or appProtocol of a Service
# port that targets it; and the repository holds no WSDL or ESB descriptor.
# Decision: an unnamed port with no appProtocol anywhere does not show its protocol, so
# it is listed as missing (name it `http` or `grpc`, or set appProtocol). Port names use
# the Istio convention `<protocol>[-suffix]`.
# Batch workloads (Jobs, CronJobs, hooks) serve nobody and are not judged; a service made
# only of them is not applicable (after the SOAP/ESB check, which is about the
# repository). Each `missing[]` entry names the declaration's file and lines.
package evident.rules.ds.arch.simple_protocols

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

simple := {"http", "https", "http2", "grpc", "grpc-web", "h2c", "kubernetes.io/h2c", "kubernetes.io/ws", "kubernetes.io/wss", "ws", "wss"}

declares_simple(name) if {
	is_string(name)
	prefix := split(lower(name), "-")[0]
	prefix in simple
}

declares_simple(name) if {
	is_string(name)
	lower(name) in simple
}

service_ports(w) := [p |
	some k in w.selected_by_services
	some p in object.get(object.get(input.facts.git.services, k, {}), "ports", [])
]

port_ok(w, p) if declares_simple(p.name)

port_ok(w, p) if declares_simple(p.app_protocol)

port_ok(w, p) if {
	some sp in service_ports(w)
	sp_matches(sp, p)
	declares_simple(sp.name)
}

port_ok(w, p) if {
	some sp in service_ports(w)
	sp_matches(sp, p)
	declares_simple(sp.app_protocol)
}

sp_matches(sp, p) if object.get(sp, "target_port", sp.port) == p.container_port

sp_matches(sp, p) if object.get(sp, "target_port", null) == p.name

gaps(ws) := [lib.located(w, sprintf("%s container %s port %v declares no HTTP/gRPC protocol", [lib.workload_ref(w), c.name, p.container_port])) |
	some w in ws
	some c in lib.app_containers(w)
	some p in c.ports
	not port_ok(w, p)
]

soap(svc) := lib.inventory(svc, "soap_esb")

# Resource types a live judgement needs; a cluster that refused one makes this unknown.
needs := lib.workload_resources | {"services"}

verdict(svc) := lib.access_gap(needs, "exposed protocols") if {
	lib.has_access_gap(needs)
} else := lib.not_met(sprintf("SOAP/ESB descriptors in the repository: %s", [concat(", ", [e.path | some e in s])]), lib.ev(s), ["HTTP or gRPC APIs instead of SOAP/ESB"]) if {
	s := soap(svc)
	count(s) > 0
} else := lib.not_applicable(sprintf("%s expose no ports", [lib.refs(ws)])) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count([p | some w in ws; some c in lib.app_containers(w); some p in c.ports]) == 0
} else := lib.met(sprintf("all ports of %s are HTTP or gRPC", [lib.refs(ws)]), lib.ev(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
	count(gaps(ws)) == 0
} else := lib.not_met("ports without a declared HTTP/gRPC protocol", lib.ev(ws), gaps(ws)) if {
	ws := lib.judged_workloads(svc)
	count(ws) > 0
} else := lib.no_long_running(svc, "exposed protocols")
