# ds.smell.esb (estate smell; met means absent): architecture driven by an ESB.
#
# Smell present (not met): a scanned workload runs an ESB product image (MuleSoft, WSO2
# EI/ESB/Micro Integrator, IBM ACE/IIB, Apache ServiceMix, BizTalk, TIBCO
# BusinessWorks, Oracle Service Bus) or a repository holds ESB descriptors
# (mule-artifact.json).
# or a deployable declares an ESB product's packages (source_code: Mule runtime,
# WSO2/Synapse, IBM ACE/IIB, ServiceMix, BizTalk, TIBCO BW, OSB), citing the manifest line.
# Absent (met): none found among images, repository files and, when source_code was
# read, declared dependencies; when it was not, the summary says dependencies were not
# read. A source_code read with unreadable manifests cannot prove absence: the met is
# then unknown (partial).
package evident.rules.ds.smell.esb

import data.evident.lib
import rego.v1

esb_markers := ["mule", "wso2ei", "wso2esb", "wso2mi", "micro-integrator", "ace-server", "ibm-ace", "iib", "servicemix", "biztalk", "tibco", "bwce", "osb", "oracle-service-bus"]

esb_image(c) if {
	some m in esb_markers
	contains(lower(c.image.repository), m)
}

images := [sprintf("%s runs %s", [lib.workload_ref(w), c.image.raw]) |
	some _, w in input.facts.git.workloads
	some c in w.containers
	esb_image(c)
]

descriptors := [e |
	some _, r in input.facts.git.repos
	some e in object.get(r.inventory, "soap_esb", [])
	e.tool == "esb"
]

sc := object.get(input.facts, "source_code", {})

dependencies := [d | some d in object.get(sc, "esb", [])] if lib.ok("source_code")

dependencies := [] if not lib.ok("source_code")

incomplete := object.get(object.get(input.sources, "source_code", {}), "incomplete", [])

dependency_note := sprintf("declared dependencies of %d deployable(s) checked", [object.get(sc, "deployable_count", 0)]) if lib.ok("source_code")

dependency_note := lib.unchecked("source_code", "package dependencies") if not lib.ok("source_code")

result := lib.not_met("ESB products in use", array.concat(lib.ev(descriptors), lib.ev(dependencies)), array.concat(
	array.concat(images, [e.path | some e in descriptors]),
	[sprintf("%s declares %s (%s)", [d.deployable, d.dependency, d.product]) | some d in dependencies],
)) if {
	count(images) + count(descriptors) + count(dependencies) > 0
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("no ESB product found, but %d file(s) of the code could not be read", [count(incomplete)]),
	"evidence": checked,
	"missing": [sprintf("%s: %s", [i.location, i.reason]) | some i in incomplete],
} if {
	lib.ok("source_code")
	count(incomplete) > 0
} else := lib.met(sprintf("no ESB product among the images of %d workload(s) or in repository descriptors; %s", [count(input.facts.git.workloads), dependency_note]), checked) if {
	count(input.facts.git.workloads) > 0
} else := lib.unknown("kubernetes", "no workload images in the repositories to check for ESB products")

checked := [id | some _, w in input.facts.git.workloads; some id in w.evidence]
