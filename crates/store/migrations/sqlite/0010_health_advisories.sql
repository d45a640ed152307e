-- Advisories (docs/health.md): warnings that leave a connection's documented health as
-- it is. The full list lives in the connection's health document; this table holds one
-- row per raised advisory so connections can be filtered by code. `data_export_type` is
-- '' for an advisory about the whole connection (a credential).
CREATE TABLE connection_advisories (
    connection_id    BLOB NOT NULL REFERENCES connections (id),
    account_id       BLOB NOT NULL,
    code             TEXT NOT NULL,
    data_export_type TEXT NOT NULL DEFAULT '',
    since            BIGINT NOT NULL,
    advisory         TEXT NOT NULL,
    PRIMARY KEY (connection_id, code, data_export_type)
);
CREATE INDEX connection_advisories_by_code ON connection_advisories (account_id, code);

-- What each export run saw, for the baselines advisories learn from job history.
ALTER TABLE job_exports ADD COLUMN records_received BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_exports ADD COLUMN full_listing BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE job_exports ADD COLUMN rate_limited_responses BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_exports ADD COLUMN rate_limit_wait_ms BIGINT NOT NULL DEFAULT 0;

-- The health history also records advisories raised and cleared (from/to stay the
-- health name, which did not change).
ALTER TABLE health_events ADD COLUMN advisory_change TEXT;
ALTER TABLE health_events ADD COLUMN advisory TEXT;

-- When the engine last probed the connection between jobs (one cheap authenticated
-- request per export; docs/health.md, "Probes between jobs").
ALTER TABLE connections ADD COLUMN last_probe_at BIGINT;
