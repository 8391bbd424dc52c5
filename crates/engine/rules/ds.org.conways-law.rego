# ds.org.conways-law (estate): the organisation accommodates Conway's Law.
#
# Met: every scanned service has exactly one owning team. A service owned by several
# CODEOWNERS groups at once (more than one default owner) or by nobody is listed.
# Decision: the owner is the catalog owner if the service has a catalog entry, else the
# CODEOWNERS default owners of its repository, else the team the resolver took from a
# workload label (a CODEOWNERS file with path rules only has no default owner and does
# not make a labelled service unowned); team membership overlap ("one team split across
# owner groups") needs the GitHub source and is not judged yet.
# Decision (scale): judged once for the estate and stored once. The shared verdict lists
# every gap in `missing`; each service's row carries only its own part (`parts`): whether
# it has one owner, and how many other services lack or split ownership, so no row
# repeats the estate's list. Every rule here walks the services once (no per-service
# walk of all services).
package evident.rules.ds.org.conways_law

import data.evident.lib
import rego.v1

default_owner_groups(svc) := n if {
	ns := [count(r.codeowners.default_owners) | some r in lib.repos(svc); r.codeowners != null]
	count(ns) > 0
	n := max(ns)
}

has_default_owners(svc) if default_owner_groups(svc) > 0

owner_groups(svc) := 1 if svc.team_source == "catalog-info.yaml"

owner_groups(svc) := n if {
	svc.team_source != "catalog-info.yaml"
	n := default_owner_groups(svc)
	n > 0
}

owner_groups(svc) := count([1 | svc.team != null]) if {
	svc.team_source != "catalog-info.yaml"
	not has_default_owners(svc)
}

groups := {sid: owner_groups(svc) | some sid, svc in input.services}

gaps := [gap_msg(sid, n) | some sid, n in groups; n != 1]

gap_msg(sid, 0) := sprintf("service %s has no owning team", [sid])

gap_msg(sid, n) := sprintf("service %s has %d owner groups", [sid, n]) if n > 1

evidence := [id | some _, svc in input.services; some id in svc.found_in]

result := lib.met(sprintf("each of %d service(s) has exactly one owning team", [count(input.services)]), evidence) if {
	count(gaps) == 0
} else := lib.not_met(sprintf("ownership is missing or split for %d of %d service(s)", [count(gaps), count(input.services)]), evidence, gaps)

# Each service's own part of the finding.
parts[sid] := part_of(sid, svc, groups[sid]) if some sid, svc in input.services

part_of(sid, svc, 1) := lib.part(sprintf("%s has one owning team (%s)%s", [sid, owner_name(svc), others_note(0)]), svc.found_in, [])

part_of(sid, svc, n) := lib.part(sprintf("%s%s", [gap_msg(sid, n), others_note(1)]), svc.found_in, [sprintf("exactly one owning team for %s", [sid])]) if n != 1

owner_name(svc) := svc.team if svc.team != null

owner_name(svc) := "its CODEOWNERS default owner" if svc.team == null

# How many services besides this one lack or split ownership (`own` is 1 when this one does).
others_note(own) := "" if count(gaps) - own == 0

others_note(own) := sprintf("; %d other service(s) lack or split ownership", [count(gaps) - own]) if count(gaps) - own > 0
