# ds.org.small-teams: you strive for small teams (scope: team).
#
# Judged per team of input.teams through the GitHub team resolution tied it to
# (`input.teams[t].github_team`, `<org>/<slug>`: a CODEOWNERS `@org/slug`, a catalog
# owner `group:slug` / `slug` naming one team of the organisations read, or the team
# with admin / maintain rights on the repository).
# Met: the GitHub team's `member_count` (GitHub's total, so a member list cut at a page
# bound still counts everyone) is at most input.config.max_team_size (default 10); cites
# the team record.
# Not met: it has more members; the result gives the count and the limit.
# Unknown: GitHub withheld the team's member list (null: count 0 is no size; partial);
# the organisation's teams could not be read (`teams_read` false: the reason is
# their unread status, e.g. forbidden); or the team is not tied to a GitHub team
# (reason not_configured): its size is not observable.
package evident.rules.ds.org.small_teams

import data.evident.lib
import rego.v1

limit := object.get(object.get(input, "config", {}), "max_team_size", 10)

result[tid] := verdict(tid) if some tid, _ in input.teams

verdict(tid) := lib.teams_unknown(sprintf("size of team %s", [tid])) if {
	lib.teams_unread
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("GitHub did not give the members of team %s, so its size is not known", [t.id]),
	"evidence": lib.as_list(t.evidence),
	"missing": [sprintf("the members of %s", [t.id])],
} if {
	# A member list GitHub withheld (null) counts 0: that is no size.
	t := lib.github_team(tid)
	t != null
	object.get(t, "members_complete", true) == false
	t.member_count == 0
} else := lib.met(
	sprintf("GitHub team %s has %d members (at most %d)", [t.id, t.member_count, limit]),
	lib.as_list(t.evidence),
) if {
	t := lib.github_team(tid)
	t != null
	t.member_count <= limit
} else := lib.not_met(
	sprintf("GitHub team %s has %d members, more than %d", [t.id, t.member_count, limit]),
	lib.as_list(t.evidence),
	[sprintf("a team of at most %d members (split %s)", [limit, t.id])],
) if {
	t := lib.github_team(tid)
	t != null
} else := lib.not_a_github_team(tid, "team size")
