# ds.devops.central-logging: you do centralized logging (estate).
#
# Met: every cluster read runs a log-shipping agent as a DaemonSet (fluent-bit, fluentd,
# vector, promtail, Grafana Alloy/Agent, an OpenTelemetry collector, Datadog, Splunk,
# Elastic filebeat), and where the cluster shows its status, the agent is ready on every
# node it is scheduled to (numberReady == desiredNumberScheduled).
# Not met: a cluster read has no such DaemonSet, or one is not ready everywhere.
# Unknown: the cluster refused or did not answer the DaemonSet list, or a dump holds no
# DaemonSet at all (a dump shows only the kinds it holds, so the agent may simply not
# have been dumped); the reason names it. Without any cluster the evaluator answers
# unknown before this rule runs.
# Decision: shipping over OTLP from the services themselves is not detected yet; such an
# estate shows not_met naming the clusters without an agent, which an attestation or a
# collector DaemonSet answers.
package evident.rules.ds.devops.central_logging

import data.evident.lib
import rego.v1

needs := {"daemonsets"}

clusters := [name | some name, c in object.get(lib.kube, "clusters", {}); c.status == "ok"]

shippers := object.get(lib.kube, "log_shippers", [])

without_agent := [c | some c in clusters; count([s | some s in shippers; s.cluster == c]) == 0]

live_of(s) := object.get(object.get(object.get(lib.kube, "workloads", {}), s.key, {}), "live", null)

not_everywhere := [sprintf("%s (%s) is ready on %d of %d nodes", [s.key, s.tool, live.ready_replicas, live.desired_replicas]) |
	some s in shippers
	live := live_of(s)
	live != null
	live.desired_replicas != null
	live.ready_replicas != null
	live.ready_replicas < live.desired_replicas
]

refs := concat(", ", sort({sprintf("%s %s", [s.tool, s.key]) | some s in shippers}))

result := lib.cluster_gap(needs, "log-shipping DaemonSets") if {
	count(lib.cluster_unread(needs)) > 0
} else := lib.not_met(
	sprintf("no log-shipping DaemonSet in cluster %s", [concat(", ", without_agent)]),
	lib.ev(shippers),
	[sprintf("a log-shipping agent on every node of cluster %s", [c]) | some c in without_agent],
) if {
	count(without_agent) > 0
} else := lib.not_met("log shipping does not run on every node", lib.ev(shippers), not_everywhere) if {
	count(not_everywhere) > 0
} else := lib.met(sprintf("logs shipped from every node: %s", [refs]), lib.ev(shippers)) if {
	count(shippers) > 0
} else := lib.unknown("kubernetes", "no cluster was read completely enough to look for log shippers")
