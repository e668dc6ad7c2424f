-- Imports of spreadsheet files: one row per import that ran as a job, or that was applied. A
-- job is `queued`, `running` (its runner renews `lease_until` while it works), then
-- `succeeded` or `failed`; a running job whose lease ran out lost its server and is failed by
-- the next reader. The rows a job writes and its `succeeded` state commit in one transaction, so
-- a job that did not finish wrote nothing. `findings` is the report as JSON.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_format TEXT NOT NULL,
    file_bytes BIGINT NOT NULL,
    state TEXT NOT NULL,
    rows_total BIGINT,
    rows_done BIGINT NOT NULL,
    findings TEXT,
    failure TEXT,
    requested_by_user_id BIGINT REFERENCES users (id),
    requested_by TEXT NOT NULL,
    province_code TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    lease_until TIMESTAMP
);
-- A file is applied once: a second import of the same bytes (while the first runs or after it
-- succeeded) is refused.
CREATE UNIQUE INDEX imports_applied_file ON imports (kind, file_sha256)
    WHERE dry_run = 0 AND state IN ('queued', 'running', 'succeeded');
CREATE INDEX imports_by_requester ON imports (requested_by_user_id, id);
