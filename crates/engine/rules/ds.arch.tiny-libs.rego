# ds.arch.tiny-libs (estate, proxy): code is shared through tiny utility libraries, not a
# big shared framework.
#
# Read from source_code. An internal package is one a scanned repository publishes
# (a Cargo crate, npm package, Go module, Maven group:artifact, Python project, .NET
# project) or one under a configured prefix (--internal-package-prefix). It counts as a
# big shared framework when more than half of the estate's deployables declare it
# (runtime or build scope; test-only use is not reliance) and its own directory holds
# over 20,000 lines of code (tokei, generated and vendored files left out).
# Decisions an auditor can check: "services" are the deployables the probe found (a
# directory with a Dockerfile, Containerfile or catalog-info.yaml, else the repository
# root), so the share does not depend on which other sources were configured; a package
# known only by prefix has no size: when it is shared by most deployables the verdict is
# unknown (insufficient_data), never a guess either way.
# Met says how many internal packages there are and the most used one's count and size.
# A source_code read with unreadable files cannot prove absence: unknown (partial).
# Deployables whose manifests declare no dependency at all (or that have no manifest)
# leave nothing to cite: unknown (insufficient_data), not met, because "no shared
# framework" is then unobserved rather than shown.
package evident.rules.ds.arch.tiny_libs

import data.evident.lib
import rego.v1

sc := object.get(input.facts, "source_code", {})

deployables := object.get(sc, "deployable_count", 0)

packages := object.get(sc, "internal_packages", [])

shared(p) if count(p.used_by) * 2 > deployables

big(p) if {
	is_number(p.code_lines)
	p.code_lines > 20000
}

describe(p) := sprintf("%s (%s) is declared by %d of %d deployables and holds %v lines", [p.name, p.ecosystem, count(p.used_by), deployables, p.code_lines])

frameworks := [p | some p in packages; shared(p); big(p)]

unsized := [p | some p in packages; shared(p); not is_number(p.code_lines)]

evidence := [id | some p in packages; some id in p.evidence]

incomplete := object.get(object.get(input.sources, "source_code", {}), "incomplete", [])

most_used := max([count(p.used_by) | some p in packages]) if count(packages) > 0

summary := sprintf("%d internal package(s) over %d deployable(s); the most used is declared by %d", [count(packages), deployables, most_used]) if {
	count(packages) > 0
} else := sprintf("no internal package is declared by any of %d deployable(s)", [deployables])

manifest_evidence := [dep.evidence |
	some _, r in object.get(sc, "repos", {})
	some d in r.deployables
	some dep in d.dependencies
]

result := lib.not_met("a big internal framework is shared by most services", evidence, [describe(p) | some p in frameworks]) if {
	count(frameworks) > 0
} else := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": sprintf("%s are declared by most deployables but are not published by a scanned repository, so their size is unknown", [concat(", ", [p.name | some p in unsized])]),
	"evidence": evidence,
	"missing": ["the repositories that publish them"],
} if {
	count(unsized) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("%s; %d file(s) of the code could not be read, so no big framework is not proven", [summary, count(incomplete)]),
	"evidence": evidence,
	"missing": [sprintf("%s: %s", [i.location, i.reason]) | some i in incomplete],
} if {
	count(incomplete) > 0
} else := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": sprintf("no manifest in any of %d deployable(s) declares a dependency, so nothing shows how code is shared", [deployables]),
	"evidence": [],
	"missing": ["a package manifest (Cargo.toml, package.json, go.mod, pom.xml, build.gradle, pyproject.toml, requirements.txt, *.csproj) in the deployables"],
} if {
	deployables > 0
	count(array.concat(evidence, manifest_evidence)) == 0
} else := lib.met(summary, array.concat(evidence, manifest_evidence)) if {
	deployables > 0
} else := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": "no deployable found in the scanned repositories",
	"evidence": [],
	"missing": ["a repository with code"],
}
