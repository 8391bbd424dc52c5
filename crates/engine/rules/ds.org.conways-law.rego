# ds.org.conways-law (estate): the organisation accommodates Conway's Law.
#
# Met: every scanned service has exactly one owning team. A service owned by several
# CODEOWNERS groups at once (more than one default owner) or by nobody is listed.
# Decision: the owner is the catalog owner if the service has a catalog entry, else the
# CODEOWNERS default owners of its repository; team membership overlap ("one team split
# across owner groups") needs the GitHub source and is not judged yet.
package evident.rules.ds.org.conways_law

import data.evident.lib
import rego.v1

owner_groups(svc) := 1 if svc.team_source == "catalog-info.yaml"

owner_groups(svc) := n if {
	svc.team_source != "catalog-info.yaml"
	any_codeowners(svc)
	n := max([count(r.codeowners.default_owners) | some r in lib.repos(svc); r.codeowners != null])
}

owner_groups(svc) := n if {
	svc.team_source != "catalog-info.yaml"
	not any_codeowners(svc)
	n := count([1 | svc.team != null])
}

any_codeowners(svc) if {
	some r in lib.repos(svc)
	r.codeowners != null
}

gaps := [msg |
	some sid, svc in input.services
	n := owner_groups(svc)
	n != 1
	msg := gap_msg(sid, n)
]

gap_msg(sid, 0) := sprintf("service %s has no owning team", [sid])

gap_msg(sid, n) := sprintf("service %s has %d owner groups", [sid, n]) if n > 1

evidence := [id | some _, svc in input.services; some id in svc.found_in]

result := lib.met(sprintf("each of %d service(s) has exactly one owning team", [count(input.services)]), evidence) if {
	count(gaps) == 0
} else := lib.not_met("ownership is missing or split", evidence, gaps)
