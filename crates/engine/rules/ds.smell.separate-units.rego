# ds.smell.separate-units (smell; met means absent): separate units do testing,
# operations, security.
#
# Smell present (not met): CODEOWNERS assigns test paths, deploy/infrastructure paths
# (CI files, manifests, charts, Terraform, Dockerfiles) or security paths to owners that
# differ from the application's default owners.
# Absent (met): CODEOWNERS exists and every such path is owned by (at least) the default
# owners.
# Not applicable: the repository has no CODEOWNERS; path ownership is not declared, so
# the proxy has nothing to read (this is not evidence of absence, hence not met).
package evident.rules.ds.smell.separate_units

import data.evident.lib
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

split_markers := ["test", "spec", ".github", "ci", "deploy", "k8s", "kube", "helm", "chart", "terraform", "infra", "ops", "docker", "security", "sec", ".gitlab"]

sensitive(pattern) if {
	some m in split_markers
	contains(lower(pattern), m)
}

codeowners(svc) := [r.codeowners | some r in lib.repos(svc); r.codeowners != null]

splits(svc) := [sprintf("%s (line %d) is owned by %s, the application by %s", [rule.pattern, rule.line, concat(" ", rule.owners), concat(" ", co.default_owners)]) |
	some co in codeowners(svc)
	count(co.default_owners) > 0
	some rule in co.rules
	rule.pattern != "*"
	sensitive(rule.pattern)
	count({o | some o in co.default_owners} & {o | some o in rule.owners}) == 0
]

verdict(svc) := lib.not_applicable("no CODEOWNERS file: path ownership is not declared") if {
	count(codeowners(svc)) == 0
} else := lib.not_met("tests, deployment or security paths are owned by another team", lib.ev(codeowners(svc)), splits(svc)) if {
	count(splits(svc)) > 0
} else := lib.met("CODEOWNERS gives test, deploy and security paths to the application's owners", lib.ev(codeowners(svc)))
