# ds.arch.polyglot-persistence (estate): polyglot persistence and event sourcing.
#
# Three parts: more than one datastore technology runs in the estate, an event log runs
# (Kafka, NATS, Pulsar, EventStoreDB, Redpanda), and each datastore serves one service.
# Technologies are recognised from the images of the scanned workloads.
# Not met when the first or second part fails. The third part (no shared credentials or
# hosts across services) needs the live cluster's configuration and is unknown until a
# cluster is read.
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

technologies := {t | some s in stores; some t in lib.datastore_images; startswith(s, t); not longer_match(s, t)}

longer_match(s, t) if {
	some u in lib.datastore_images
	u != t
	startswith(u, t)
	startswith(s, u)
}

logs := {s | some s in stores; some e in event_logs; startswith(s, e)}

evidence := [id | some x in datastore_containers; some id in x.evidence]

gaps := array.concat(
	[sprintf("only %d datastore technology found (%s)", [count(technologies), concat(", ", technologies)]) | count(technologies) < 2],
	["no event log (Kafka, NATS, Pulsar, EventStoreDB)" | count(logs) == 0],
)

result := lib.not_met("persistence is not polyglot with an event log", evidence, gaps) if {
	count(gaps) > 0
} else := lib.unknown("kubernetes", sprintf("datastores %s and an event log run; sharing across services not checked", [concat(", ", technologies)])) if {
	not lib.ok("kubernetes")
} else := lib.met(sprintf("datastores %s and an event log run", [concat(", ", technologies)]), evidence)
