# ds.smell.esb (estate smell; met means absent): architecture driven by an ESB.
#
# Smell present (not met): a scanned workload runs an ESB product image (MuleSoft, WSO2
# EI/ESB/Micro Integrator, IBM ACE/IIB, Apache ServiceMix, BizTalk, TIBCO
# BusinessWorks, Oracle Service Bus) or a repository holds ESB descriptors
# (mule-artifact.json).
# Absent (met): none found among images and repository files. Package dependencies are
# not read yet; the summary says so.
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

result := lib.not_met("ESB products in use", lib.ev(descriptors), array.concat(images, [e.path | some e in descriptors])) if {
	count(images) + count(descriptors) > 0
} else := lib.met(sprintf("no ESB product among the images of %d workload(s) or in repository descriptors; package dependencies not read", [count(input.facts.git.workloads)]), checked) if {
	count(input.facts.git.workloads) > 0
} else := lib.unknown("kubernetes", "no workload images in the repositories to check for ESB products")

checked := [id | some _, w in input.facts.git.workloads; some id in w.evidence]
