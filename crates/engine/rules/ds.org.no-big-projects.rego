# ds.org.no-big-projects (estate, proxy): big projects have been eliminated.
#
# Judged from the commit history of every scanned repository whose history could be read
# (git_history), over the history window (default 180 days):
# - no branch has lived over 30 days with more than 50 commits its default branch lacks
#   (age = the oldest such commit; remote and local branches, the default branch
#   excluded);
# - branches never meant to be merged are not counted, and the summary names them: the
#   publishing branch `gh-pages` (GitHub Pages serves it; it is never merged back) and
#   any branch that shares no commit with the default branch (an orphan branch of built
#   sites, charts or assets). The probe lists them in `excluded_branches` with why;
# - the median merged change is under 400 lines, pooled over all repositories. A merged
#   change is a commit on the default branch's first-parent line (merge commit, squashed
#   pull request or direct push); its size is lines added plus deleted against its first
#   parent. When a repository has more changes than are measured, its newest ones are.
# Not met names the long-lived branches and the median. Unknown (insufficient_data) when
# no merged change landed in the window: an idle estate shows nothing either way.
package evident.rules.ds.org.no_big_projects

import data.evident.lib
import rego.v1

repos := lib.history_repos_all

long_branches := [b | some r in repos; some b in r.stale_branches; b.unmerged_commits > 50]

sizes := [n | some r in repos; some n in r.change_lines]

evidence := array.concat([r.evidence | some r in repos], [b.evidence | some b in long_branches])

branch_gaps := [sprintf("branch %s: %d unmerged commits, oldest %d days old", [b.name, b.unmerged_commits, b.age_days]) | some b in long_branches]

size_gaps := [sprintf("median merged change is %d lines (limit: under 400)", [m]) |
	m := lib.median(sizes)
	m >= 400
]

result := lib.unknown("git_history", "no repository history could be read") if {
	count(repos) == 0
} else := lib.insufficient(sprintf("no merged change in the last %d days to measure", [repos[0].window_days]), evidence) if {
	count(sizes) == 0
} else := excluded_note(lib.with_history_notes(lib.met(sprintf("median merged change %d lines over %d change(s) in %d repositories; no branch over 30 days with more than 50 unmerged commits", [lib.median(sizes), count(sizes), count(repos)]), evidence), repos)) if {
	count(branch_gaps) + count(size_gaps) == 0
} else := excluded_note(lib.with_history_notes(lib.not_met(sprintf("%d long-lived branch(es); median merged change %d lines", [count(long_branches), lib.median(sizes)]), evidence, array.concat(branch_gaps, size_gaps)), repos))

excluded := [sprintf("%s (%s)", [b.name, b.why]) | some r in repos; some b in object.get(r, "excluded_branches", [])]

excluded_note(v) := v if count(excluded) == 0

excluded_note(v) := lib.with_note(v, sprintf("not counted, never merged by design: %s", [concat(", ", excluded)])) if count(excluded) > 0
