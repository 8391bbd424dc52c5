# ds.devops.team-on-call: the entire development team is on-call (scope: team).
#
# Judged per team of input.teams from its members (`input.teams[t].members`, a GitHub
# team or catalog Group resolution read; else the GitHub team `lib.github_team`) and the
# on-call joins of its services (`svc.oncall.responders`: direct users, schedule
# participants in the window and members of paged teams, for every on-call service tied
# to one of the team's services). A member is on call when their login is the login
# resolution joined to one of those responders (`input.index.people`).
# Met: at least input.config.on_call_share (default 0.8) of the members are on call;
# cites the on-call records, the joins and the on-call users matched; names who is not.
# Not met: fewer; names each member not on call and each on-call user no login was
# joined to.
# Unknown: the members are not known (teams not read, no GitHub team or catalog Group);
# no service of the team has an on-call join (not_configured, naming the on-call
# services that joined nothing); a part the responders are made of (services,
# escalation policies, schedules, users, teams) was not read in an account of the
# team's on-call services (its status); `partial` when the share falls short and a join
# is not complete (a schedule not rendered, a paged team's members cut), an account read
# those parts only in part, or the member list was cut.
# Decisions: an on-call user resolution could not join to a login counts for nobody: the
# verdict names them and the remediation is the people mapping (a person who cannot be
# identified does not show that a member is on call). A team with no member known is
# unknown, never met. Logins compare lower-cased.
package evident.rules.ds.devops.team_on_call

import data.evident.lib
import rego.v1

share := object.get(object.get(input, "config", {}), "on_call_share", 0.8)

parts_read := ["services", "escalation_policies", "schedules", "users", "teams"]

result[tid] := verdict(tid, team) if some tid, team in input.teams

team_services(team) := [s | some sid in team.services; s := object.get(input.services, sid, null); s != null]

joined(team) := [s | some s in team_services(team); lib.has_oncall(s)]

responders(team) := {r | some s in joined(team); some r in lib.oncall_responders(s)}

accounts(team) := {a | some s in joined(team); some a in lib.oncall_accounts(s)}

gaps(team) := lib.oncall_gaps(accounts(team), parts_read)

on_call(team, r) := r.members & lib.responder_logins(responders(team))

not_on_call(team, r) := sort([m | some m in r.members; not m in lib.responder_logins(responders(team))])

pct(n, d) := round((n * 100) / d)

# Why a short share may be the read's, not the team's.
partial_why(team, r) := concat("; ", array.concat(
	array.concat(
		[sprintf("the on-call join of %s is not complete (a schedule not rendered or a paged team's members cut)", [s.id]) | some s in joined(team); not lib.oncall_complete(s)],
		lib.oncall_partials(accounts(team), parts_read),
	),
	[sprintf("the member list of %s was cut", [r.source]) | not r.complete],
))

counts_text(tid, team, r) := sprintf("%d of %d members of %s (%s) are on call for %s (%v%%", [
	count(on_call(team, r)), count(r.members), tid, r.source,
	concat(", ", [s.id | some s in joined(team)]), pct(count(on_call(team, r)), count(r.members)),
])

evidence(team, r) := array.concat(
	[e | some s in joined(team); some e in lib.oncall_evidence(s, [k | some k in lib.oncall_responders(s); lib.login_of(k) in r.members])],
	r.evidence,
)

verdict(tid, team) := lib.members_unknown(tid, "who of the team is on call") if {
	lib.roster(tid) == null
} else := {
	"status": "unknown",
	"reason": "insufficient_data",
	"summary": sprintf("team %s has no members in %s, so no share of it can be on call", [tid, r.source]),
	"evidence": r.evidence,
	"missing": [sprintf("the members of %s", [tid])],
} if {
	r := lib.roster(tid)
	count(r.members) == 0
} else := lib.no_oncall_join(sprintf("a service of team %s (%s)", [tid, concat(", ", [s.id | some s in team_services(team)])]), sprintf("who of team %s is on call", [tid])) if {
	count(joined(team)) == 0
	count(team_services(team)) > 0
} else := lib.oncall_gap_verdict(gaps(team), sprintf("who of team %s is on call", [tid])) if {
	count(gaps(team)) > 0
} else := lib.met(
	sprintf("%s, at least %v%%)%s%s", [counts_text(tid, team, r), pct(share, 1), not_on_call_note(team, r), lib.unresolved_note(responders(team))]),
	evidence(team, r),
) if {
	r := lib.roster(tid)
	count(on_call(team, r)) >= share * count(r.members)
} else := lib.oncall_partial_verdict(short(tid, team, r), partial_why(team, r)) if {
	r := lib.roster(tid)
	partial_why(team, r) != ""
} else := short(tid, team, r) if {
	r := lib.roster(tid)
}

not_on_call_note(team, r) := "" if {
	count(not_on_call(team, r)) == 0
} else := sprintf("; not on call: %s", [concat(", ", not_on_call(team, r))])

short(tid, team, r) := lib.not_met(
	sprintf("%s, fewer than %v%%)%s%s", [counts_text(tid, team, r), pct(share, 1), not_on_call_note(team, r), lib.unresolved_note(responders(team))]),
	evidence(team, r),
	array.concat(
		[sprintf("%s on call for a service of %s", [m, tid]) | some m in not_on_call(team, r)],
		lib.unresolved_missing(responders(team)),
	),
)

# Each service's own part: who of its team its on-call join reaches.
parts[sid] := lib.part(
	sprintf("%d of %d members of %s on the on-call of %s: %s", [count(r.members & lib.responder_logins(lib.oncall_responders(svc))), count(r.members), svc.team, sid, on_text(svc, r)]),
	lib.oncall_evidence(svc, []),
	[],
) if {
	some sid, svc in input.services
	is_string(svc.team)
	lib.has_oncall(svc)
	r := lib.roster(svc.team)
	r != null
}

on_text(svc, r) := concat(", ", sort([m | some m in r.members & lib.responder_logins(lib.oncall_responders(svc))])) if {
	count(r.members & lib.responder_logins(lib.oncall_responders(svc))) > 0
} else := "nobody"
