# cams.automation.db-migrations: database migrations and deployments are automated.
#
# Met: migration files of a migration tool are in the repository and run automatically:
# a CI job classified db_migration, or an init container / Job whose name or image says
# it migrates.
# Not applicable: no migration files and no sign of a database (no env var, envFrom or
# image naming a database). Not met: migrations exist but nothing runs them, or a
# database is used without any migration tool.
# With source_code read, a database driver among the deployables' declared dependencies
# (a SQL or document store, runtime scope) is a sign of a database too, citing the
# manifest line; without it the not-applicable summary says dependencies were not read.
# Batch workloads count in full: a migration Job or Helm / Argo CD hook Job is the usual
# runner, and a service made only of batch workloads is judged like any other.
# A CI file of the service that could not be read makes the verdicts that rest on CI
# unknown (reason error, naming the file; lib.ci_checked) unless met; a not_met that rests
# only on evidence outside CI (a database used without migration files) stands, since no unread workflow can undo it.
package evident.rules.cams.automation.db_migrations

import data.evident.lib
import data.evident.rules.ds.smell.monolith
import rego.v1

result[sid] := verdict(svc) if some sid, svc in input.services

migrations(svc) := lib.inventory(svc, "migrations")

runners(svc) := array.concat(
	[j | some j in lib.jobs(svc); lib.has_kind(j, "db_migration")],
	[w |
		some w in lib.workloads(svc)
		some c in array.concat(w.init_containers, w.containers)
		migrates(c)
	],
)

migrates(c) if contains(lower(c.name), "migrat")

migrates(c) if contains(lower(c.image.repository), "migrat")

migrates(c) if contains(lower(c.image.repository), "flyway")

migrates(c) if contains(lower(c.image.repository), "liquibase")

db_words := ["database", "db_", "_db", "postgres", "mysql", "mariadb", "mongo", "sql", "jdbc", "pg_", "spanner", "cockroach"]

db_signal(svc) if {
	some w in lib.workloads(svc)
	some c in w.containers
	some n in array.concat(c.env_names, c.env_from)
	some word in db_words
	contains(lower(n), word)
}

drivers(svc) := [dep |
	lib.ok("source_code")
	some d in monolith.deployables(svc)
	some dep in d.dependencies
	dep.datastore.kind in {"sql", "document"}
	dep.scope != "dev"
]

db_signal(svc) if count(drivers(svc)) > 0

na_summary := "no migration files and no sign of a database (environment, images or database drivers)" if lib.ok("source_code")

na_summary := sprintf("no migration files and no sign of a database; %s", [lib.unchecked("source_code", "database drivers")]) if not lib.ok("source_code")

verdict(svc) := lib.not_applicable(na_summary) if {
	count(migrations(svc)) == 0
	not db_signal(svc)
} else := lib.not_met("the service uses a database but the repository holds no migrations of a migration tool", array.concat(lib.ev(lib.workloads(svc)), [d.evidence | some d in drivers(svc)]), ["migration files of a migration tool"]) if {
	count(migrations(svc)) == 0
} else := lib.ci_checked(svc, ci_verdict(svc))

ci_verdict(svc) := lib.met(sprintf("migrations (%s) run automatically", [concat(", ", {e.tool | some e in migrations(svc)})]), array.concat(lib.ev(migrations(svc)), lib.ev(runners(svc)))) if {
	count(runners(svc)) > 0
} else := lib.not_met("migration files exist but no pipeline job or init container runs them", lib.ev(migrations(svc)), ["a CI job or init container that runs the migrations"])
