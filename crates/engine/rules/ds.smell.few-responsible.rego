# ds.smell.few-responsible (estate smell; met means absent): a very few people are held
# responsible for keeping production live.
#
# Judged from every schedule of the on-call accounts read (`facts.oncall.schedules`,
# PagerDuty and Opsgenie alike) and who was on call on each in the window
# (`participants`, from the rendered final schedule). A person is their GitHub login
# when resolution joined one (`input.index.people`), else the on-call user: one person
# on a PagerDuty and an Opsgenie schedule is one person when both users join the same
# login.
# Present (not met): the schedules have 2 distinct people or fewer (no schedule at all:
# nobody shares a rotation), or one person was on more than half of all schedules;
# names the people and counts.
# Absent (met): more than 2 people, and nobody on more than half; cites the schedules.
# Unknown: schedules not read in an account (its status); partial when an account read
# its schedules only in part, or a schedule was not rendered (its participants are not
# known) and the answer depends on it: a person on more than half of all schedules
# counting the unrendered ones is present whatever those hold; anything else is not
# proven.
# Decision: "schedules covering the estate" are all schedules of the accounts read; an
# on-call account is configured for the estate being scanned, and resolution's joins
# are not needed to count who carries the pager.
package evident.rules.ds.smell.few_responsible

import data.evident.lib
import rego.v1

schedules := [s | some _, s in object.get(lib.oc, "schedules", {})]

rendered := [s | some s in schedules; s.rendered == true]

unrendered := [s | some s in schedules; s.rendered != true]

person(k) := l if {
	l := lib.login_of(k)
	l != null
} else := lib.person_ref(k)

# [person, schedule key] once each, sorted by person: runs give each person's count.
pairs := sort({[person(k), s.key] | some s in rendered; some k in s.participants})

runs := lib.run_index(pairs)

counts := {p: n | some p, r in runs; n := r[1] - r[0]}

people := sort([p | some p, _ in counts])

total := count(schedules)

top := max([n | some _, n in counts]) if {
	count(counts) > 0
} else := 0

over_half := sort([sprintf("%s is on %d of %d schedules", [p, n, total]) | some p, n in counts; n * 2 > total])

gaps := lib.oncall_gaps(lib.all_oc_accounts, ["schedules"])

partials := lib.oncall_partials(lib.all_oc_accounts, ["schedules"])

unrendered_text := sprintf("%d schedule(s) not rendered, their participants unknown (%s)", [count(unrendered), concat(", ", [s.name | some s in unrendered])])

evidence := lib.ev(schedules)

people_text := concat(", ", people) if {
	count(people) > 0
} else := "nobody"

present := lib.not_met(
	sprintf("one person is on more than half of the %d on-call schedules: %s", [total, concat("; ", over_half)]),
	evidence,
	[sprintf("the duty spread over more people (%s)", [o]) | some o in over_half],
) if {
	count(over_half) > 0
} else := lib.not_met(
	sprintf("%d on-call schedule(s) have %d distinct people on call in the window: %s", [total, count(people), people_text]),
	evidence,
	["more than 2 people on call across the schedules"],
) if {
	total > 0
} else := lib.not_met(
	sprintf("no on-call schedule in the accounts read (%s): no rotation spreads the duty", [concat(", ", sort(lib.all_oc_accounts))]),
	[],
	["on-call schedules with more than 2 people"],
)

absent := lib.met(
	sprintf("%d people are on call across %d schedules; nobody is on more than half (most: %d)", [count(people), total, top]),
	evidence,
)

# Read in part: met stands (as everywhere: what was read proves it), and says so.
notes := array.concat([unrendered_text | count(unrendered) > 0], [sprintf("schedules read in part (%s)", [p]) | some p in partials])

decided_present if count(over_half) > 0

decided_present if {
	count(people) <= 2
	count(unrendered) == 0
}

# Absent needs more than 2 people and nobody on more than half even if every
# unrendered schedule held them.
decided_absent if {
	count(people) > 2
	(top + count(unrendered)) * 2 <= total
}

result := lib.oncall_gap_verdict(gaps, "who carries the pager") if {
	count(gaps) > 0
} else := lib.oncall_partial_verdict(present, concat("; ", partials)) if {
	count(partials) > 0
	not decided_absent
} else := present if {
	decided_present
} else := lib.with_note(absent, concat("; ", notes)) if {
	decided_absent
	count(notes) > 0
} else := absent if {
	decided_absent
} else := {
	"status": "unknown",
	"reason": "partial",
	"summary": sprintf("%s; what was read: %d people across %d rendered schedules (most on one person: %d of %d)", [unrendered_text, count(people), count(rendered), top, total]),
	"evidence": evidence,
	"missing": [sprintf("the participants of schedule %s", [s.key]) | some s in unrendered],
}
