# ds.smell.monolith (service smell; met means absent): big monolithic applications or
# shared frameworks.
#
# Read from source_code. The service's deployables are the probe's deployable
# directories that hold one of its Dockerfiles; a service without a Dockerfile (made
# from a repository or its workloads) takes its repositories' root deployables.
# Present (not met) when one of them holds over 300,000 lines of code (tokei's code
# lines, generated and vendored files left out, as the facts say), or when it declares an
# internal framework: an internal package declared by more than half of the estate's
# deployables and over 20,000 lines itself (ds.arch.tiny-libs' test).
# Unknown when no deployable directory is tied to the service, or when source_code left
# files unread (absence is then not proven).
package evident.rules.ds.smell.monolith

import data.evident.lib
import data.evident.rules.ds.arch.tiny_libs
import rego.v1

sc := object.get(input.facts, "source_code", {})

result[sid] := verdict(svc) if some sid, svc in input.services

dockerfile_dir(f) := d if {
	parts := split(f.path, "/")
	d := concat("/", array.slice(parts, 0, count(parts) - 1))
}

deployables(svc) := [d |
	some f in object.get(svc, "dockerfiles", [])
	r := object.get(object.get(sc, "repos", {}), f.repo, null)
	r != null
	some d in r.deployables
	d.dir == dockerfile_dir(f)
] if count(object.get(svc, "dockerfiles", [])) > 0

deployables(svc) := [d |
	some key in svc.repos
	r := object.get(object.get(sc, "repos", {}), key, null)
	r != null
	some d in r.deployables
	d.dir == ""
] if count(object.get(svc, "dockerfiles", [])) == 0

big(svc) := [d | some d in deployables(svc); d.code_lines > 300000]

frameworks(svc) := [p |
	some p in tiny_libs.frameworks
	some d in deployables(svc)
	d.id in p.used_by
]

size_evidence(svc) := [dep.evidence | some d in deployables(svc); some dep in d.dependencies]

sizes(svc) := concat(", ", [sprintf("%s: %d lines", [d.id, d.code_lines]) | some d in deployables(svc)])

incomplete := object.get(object.get(input.sources, "source_code", {}), "incomplete", [])

verdict(svc) := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": "no deployable directory of the scanned code is tied to the service (none of its Dockerfiles, no repository of its own)",
	"evidence": [],
	"missing": ["the service's repository"],
} if {
	count(deployables(svc)) == 0
} else := lib.not_met("a big deployable or a shared framework", array.concat(size_evidence(svc), [id | some p in frameworks(svc); some id in p.evidence]), array.concat(
	[sprintf("%s holds %d lines of code (over 300,000)", [d.id, d.code_lines]) | some d in big(svc)],
	[tiny_libs.describe(p) | some p in frameworks(svc)],
)) if {
	count(big(svc)) + count(frameworks(svc)) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("%s; %d file(s) of the code could not be read", [sizes(svc), count(incomplete)]),
	"evidence": size_evidence(svc),
	"missing": [sprintf("%s: %s", [i.location, i.reason]) | some i in incomplete],
} if {
	count(incomplete) > 0
} else := lib.met(sprintf("%s; no shared internal framework", [sizes(svc)]), size_evidence(svc))
