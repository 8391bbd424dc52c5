# ds.arch.polyglot-persistence (estate): polyglot persistence and event sourcing.
#
# Three parts: more than one datastore technology runs in the estate, an event log runs
# (Kafka, NATS, Pulsar, EventStoreDB, Redpanda), and each datastore serves one service.
# Technologies are recognised from the images of the scanned workloads and, when
# source_code was read, from the datastore drivers the deployables declare (runtime
# scope; each cites its manifest line).
# Not met when the first or second part fails. The third part (no shared credentials or
# hosts across services): with source_code read, a credentials name (a Secret or
# ConfigMap in envFrom whose name says database) referenced by workloads of two services
# is sharing, and not met; hosts are not compared, since environment values are never
# kept (the summary says so). Without source_code the part needs the live cluster's
# configuration and is unknown until a cluster is read.
package evident.rules.ds.arch.polyglot_persistence

import data.evident.lib
import rego.v1

event_logs := {"kafka", "cp-kafka", "nats", "pulsar", "eventstore", "eventstoredb", "redpanda"}

# Each datastore container once, with its workload: stores and evidence both read it.
datastore_containers := [{"name": lib.image_name(c), "evidence": w.evidence} |
	some _, w in input.facts.git.workloads
	some c in lib.app_containers(w)
	lib.is_datastore_container(c)
]

stores := {x.name | some x in datastore_containers}

image_technologies := {t | some s in stores; some t in lib.datastore_images; startswith(s, t); not longer_match(s, t)}

sc := object.get(input.facts, "source_code", {})

drivers := [d | some d in object.get(sc, "datastores", []); d.scope != "dev"] if lib.ok("source_code")

drivers := [] if not lib.ok("source_code")

# Image names and driver names differ for one product (`mongo` image, `mongodb` driver).
canonical(t) := "mongodb" if t == "mongo"

canonical(t) := t if t != "mongo"

technologies := {canonical(t) | some t in image_technologies} | {d.technology | some d in drivers; d.kind != "event_log"}

longer_match(s, t) if {
	some u in lib.datastore_images
	u != t
	startswith(u, t)
	startswith(s, u)
}

logs := {s | some s in stores; some e in event_logs; startswith(s, e)} | {d.technology | some d in drivers; d.kind == "event_log"}

evidence := array.concat([id | some x in datastore_containers; some id in x.evidence], [d.evidence | some d in drivers])

db_words := ["db", "database", "postgres", "mysql", "mongo", "redis", "sql", "spanner", "cassandra"]

credentials(svc) := {n |
	some w in lib.workloads(svc)
	some c in w.containers
	some n in c.env_from
	some word in db_words
	contains(lower(n), word)
}

shared := {sprintf("%s (services %s and %s)", [n, a, b]) |
	some a, s1 in input.services
	some b, s2 in input.services
	a < b
	some n in credentials(s1)
	n in credentials(s2)
}

gaps := array.concat(
	[sprintf("only %d datastore technology found (%s)", [count(technologies), concat(", ", technologies)]) | count(technologies) < 2],
	["no event log (Kafka, NATS, Pulsar, EventStoreDB)" | count(logs) == 0],
)

result := lib.not_met("persistence is not polyglot with an event log", evidence, gaps) if {
	count(gaps) > 0
} else := lib.not_met("datastore credentials are shared across services", evidence, [sprintf("credentials %s", [s]) | some s in shared]) if {
	lib.ok("source_code")
	count(shared) > 0
} else := lib.met(sprintf("datastores %s and an event log run; no datastore credentials name is shared across services (hosts not compared: environment values are not kept)", [concat(", ", technologies)]), evidence) if {
	lib.ok("source_code")
} else := lib.unknown("kubernetes", sprintf("datastores %s and an event log run; sharing across services not checked", [concat(", ", technologies)])) if {
	not lib.ok("kubernetes")
} else := lib.met(sprintf("datastores %s and an event log run", [concat(", ", technologies)]), evidence)
