-- The history store, version 1. Written in the SQL that SQLite and PostgreSQL both accept:
-- TEXT and BIGINT only, no AUTOINCREMENT or SERIAL (a scan's id is its own uuid), booleans
-- as 0/1, times as RFC 3339 text beside milliseconds since the epoch for ordering.

-- One row per scan, successful or failed. A successful scan keeps its result JSON exactly
-- as it was given (and the sha256 of those bytes), so a stored scan equals the file a
-- user was handed.
CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    error TEXT,
    result_sha256 TEXT,
    result_json TEXT
);
CREATE INDEX scans_by_start ON scans (started_ms, id);

-- One row per model x criterion x service verdict of a successful scan, for history
-- queries that need not parse every stored result.
CREATE TABLE verdicts (
    scan_id TEXT NOT NULL,
    service TEXT NOT NULL,
    model TEXT NOT NULL,
    criterion TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX verdicts_by_service ON verdicts (service, criterion, scan_id);
CREATE INDEX verdicts_by_scan ON verdicts (scan_id);

-- One row per model x service: the level attained (NULL for unleveled models or none).
CREATE TABLE levels (
    scan_id TEXT NOT NULL,
    service TEXT NOT NULL,
    model TEXT NOT NULL,
    attained BIGINT
);
CREATE INDEX levels_by_service ON levels (service, scan_id);
CREATE INDEX levels_by_scan ON levels (scan_id);

-- The facts of one shard of a sharded run (a pod of an Indexed Job), kept until the run
-- is merged and pruned.
CREATE TABLE shards (
    run_id TEXT NOT NULL,
    shard_index BIGINT NOT NULL,
    total BIGINT NOT NULL,
    saved_ms BIGINT NOT NULL,
    shard_json TEXT NOT NULL,
    PRIMARY KEY (run_id, shard_index)
);

-- A sharded run that one pod has claimed for merging: the primary key makes the claim a
-- unique insert, so exactly one claimant wins.
CREATE TABLE claimed_runs (
    run_id TEXT PRIMARY KEY,
    claimed_ms BIGINT NOT NULL
);
