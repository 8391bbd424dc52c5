# cams.feedback.ops-to-dev: information from IT operations is channeled into the
# feedback loop to Dev (scope: service).
#
# Judged from the service's on-call join (`svc.oncall`): the escalation policies of its
# on-call services and who they reach (`responders`: direct users, schedule participants
# in the window, members of paged teams), joined to logins (`input.index.people`), and
# the owning team's members (`input.teams[t].members`, else its GitHub team).
# Met: an escalation policy of the service reaches at least one member of the owning
# team: its alerts and incidents page the people who build it; cites the on-call
# records and the users matched.
# Not met: the service has no owning team; none of its on-call services has an
# escalation policy (alerts page nobody); or the policies reach nobody of the team
# (naming whom they reach, and the on-call users no login was joined to).
# Unknown: no on-call join (not_configured); the team's members are not known; a part
# the responders are made of was not read (its status), or read in part while no
# member is reached (partial).
# Decision: one member reached is enough: the loop reaches the team; how many of the
# team carry the pager is ds.devops.team-on-call's question.
package evident.rules.cams.feedback.ops_to_dev

import data.evident.lib
import rego.v1

parts_read := ["services", "escalation_policies", "schedules", "users", "teams"]

result[sid] := verdict(svc) if some sid, svc in input.services

policies(svc) := object.get(lib.oncall_of(svc), "escalation_policies", [])

reached(svc, members) := sort([m | some m in members & lib.responder_logins(lib.oncall_responders(svc))])

reached_keys(svc, members) := [k | some k in lib.oncall_responders(svc); lib.login_of(k) in members]

reaches_text(svc) := concat(", ", sort({who(k) | some k in lib.oncall_responders(svc)})) if {
	count(lib.oncall_responders(svc)) > 0
} else := "nobody"

who(k) := l if {
	l := lib.login_of(k)
	l != null
} else := lib.person_ref(k)

policy_names(svc) := concat(", ", [policy_name(k) | some k in policies(svc)])

policy_name(k) := sprintf("%s (%s)", [p.name, k]) if {
	p := object.get(object.get(lib.oc, "escalation_policies", {}), k, null)
	p != null
} else := k

partial_why(svc) := concat("; ", array.concat(
	[sprintf("the on-call join of %s is not complete", [svc.id]) | not lib.oncall_complete(svc)],
	lib.oncall_partials(lib.oncall_accounts(svc), parts_read),
))

what := "where the service's alerts go"

verdict(svc) := lib.not_met("the service has no owning team for its alerts to reach", [], ["an owning team"]) if {
	not is_string(svc.team)
} else := lib.no_oncall_join(svc.id, what) if {
	not lib.has_oncall(svc)
} else := lib.oncall_gap_verdict(lib.oncall_gaps(lib.oncall_accounts(svc), parts_read), what) if {
	count(lib.oncall_gaps(lib.oncall_accounts(svc), parts_read)) > 0
} else := lib.not_met(
	sprintf("on-call services of %s have no escalation policy: alerts and incidents page nobody (%s)", [svc.id, lib.oncall_services_text(svc)]),
	lib.oncall_evidence(svc, []),
	[sprintf("an escalation policy for %s that reaches team %s", [lib.oncall_services_text(svc), svc.team])],
) if {
	count(policies(svc)) == 0
} else := lib.members_unknown(svc.team, what) if {
	lib.roster(svc.team) == null
} else := lib.met(
	sprintf("the escalation policies of %s (%s) reach members of team %s: %s", [svc.id, policy_names(svc), svc.team, concat(", ", reached(svc, r.members))]),
	array.concat(lib.oncall_evidence(svc, reached_keys(svc, r.members)), r.evidence),
) if {
	r := lib.roster(svc.team)
	count(reached(svc, r.members)) > 0
} else := lib.oncall_partial_verdict(unreached(svc, r), partial_why(svc)) if {
	r := lib.roster(svc.team)
	partial_why(svc) != ""
} else := unreached(svc, r) if {
	r := lib.roster(svc.team)
}

unreached(svc, r) := lib.not_met(
	sprintf("the escalation policies of %s (%s) reach %s, no member of team %s (%s)%s", [svc.id, policy_names(svc), reaches_text(svc), svc.team, r.source, lib.unresolved_note(lib.oncall_responders(svc))]),
	lib.oncall_evidence(svc, []),
	array.concat([sprintf("an escalation policy of %s that reaches team %s", [svc.id, svc.team])], lib.unresolved_missing(lib.oncall_responders(svc))),
)
