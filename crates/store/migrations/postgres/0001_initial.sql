-- Tributary schema, PostgreSQL dialect. Timestamps are epoch microseconds (BIGINT) in both
-- backends, so ordering, keyset cursors and comparisons behave identically.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE organizations (
    id         UUID PRIMARY KEY,
    account_id UUID NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    identifier TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX organizations_account ON organizations (account_id, created_at, id);

CREATE TABLE connections (
    id                     UUID PRIMARY KEY,
    account_id             UUID NOT NULL REFERENCES accounts (id),
    organization_id        UUID NOT NULL REFERENCES organizations (id),
    vendor                 TEXT NOT NULL,
    identifier             TEXT,
    state                  TEXT NOT NULL,
    refresh_interval_secs  BIGINT NOT NULL,
    timeout_secs           BIGINT NOT NULL,
    options                TEXT,
    credentials            BYTEA NOT NULL,
    credentials_updated_at BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    next_run_at            BIGINT,
    health_name            TEXT,
    health                 TEXT,
    consecutive_failures   BIGINT NOT NULL DEFAULT 0,
    unhealthy_since        BIGINT
);
CREATE INDEX connections_org ON connections (organization_id, created_at, id);
CREATE INDEX connections_account ON connections (account_id, created_at, id);
CREATE INDEX connections_due ON connections (next_run_at) WHERE state = 'ACTIVE';

CREATE TABLE jobs (
    id               UUID PRIMARY KEY,
    account_id       UUID NOT NULL,
    connection_id    UUID NOT NULL REFERENCES connections (id),
    status           TEXT NOT NULL,
    trigger          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    health_name      TEXT,
    error            TEXT
);
-- At most one queued or running job per connection.
CREATE UNIQUE INDEX jobs_one_active ON jobs (connection_id) WHERE status IN ('QUEUED', 'RUNNING');
CREATE INDEX jobs_by_connection ON jobs (connection_id, created_at, id);
CREATE INDEX jobs_queued ON jobs (created_at) WHERE status = 'QUEUED';
CREATE INDEX jobs_running ON jobs (lease_expires_at) WHERE status = 'RUNNING';

CREATE TABLE job_exports (
    job_id              UUID NOT NULL REFERENCES jobs (id),
    data_export_type    TEXT NOT NULL,
    position            BIGINT NOT NULL,
    endpoints           TEXT NOT NULL,
    records_upserted    BIGINT NOT NULL DEFAULT 0,
    records_quarantined BIGINT NOT NULL DEFAULT 0,
    pages               BIGINT NOT NULL DEFAULT 0,
    http_status         BIGINT,
    error               TEXT,
    health_name         TEXT NOT NULL DEFAULT 'HEALTHY',
    PRIMARY KEY (job_id, data_export_type)
);

CREATE TABLE watermarks (
    connection_id    UUID NOT NULL,
    data_export_type TEXT NOT NULL,
    value            TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (connection_id, data_export_type)
);

CREATE TABLE record_counts (
    connection_id    UUID NOT NULL,
    data_export_type TEXT NOT NULL,
    count            BIGINT NOT NULL,
    PRIMARY KEY (connection_id, data_export_type)
);

CREATE TABLE devices (
    id             UUID PRIMARY KEY,
    connection_id  UUID NOT NULL,
    vendor_id      TEXT NOT NULL,
    vendor         TEXT NOT NULL,
    platform       TEXT NOT NULL,
    status         TEXT,
    last_seen_key  BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    content_hash   BIGINT NOT NULL,
    data           TEXT NOT NULL,
    device_groups  TEXT NOT NULL
);
CREATE INDEX devices_by_updated ON devices (connection_id, updated_at, id);
CREATE INDEX devices_by_last_seen ON devices (connection_id, last_seen_key, id);

CREATE TABLE alerts (
    id                    UUID PRIMARY KEY,
    connection_id         UUID NOT NULL,
    vendor_id             TEXT NOT NULL,
    vendor                TEXT NOT NULL,
    device_id             UUID,
    severity              TEXT NOT NULL,
    severity_rank         BIGINT NOT NULL,
    status                TEXT NOT NULL,
    first_event_key       BIGINT NOT NULL,
    last_event_key        BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    content_hash          BIGINT NOT NULL,
    data                  TEXT NOT NULL,
    observables           TEXT NOT NULL,
    device_snapshot       TEXT,
    device_snapshot_groups TEXT
);
CREATE INDEX alerts_by_updated ON alerts (connection_id, updated_at, id);
CREATE INDEX alerts_by_first_event ON alerts (connection_id, first_event_key, id);
CREATE INDEX alerts_by_last_event ON alerts (connection_id, last_event_key, id);
CREATE INDEX alerts_by_severity ON alerts (connection_id, severity_rank, id);

CREATE TABLE quarantine (
    id               UUID PRIMARY KEY,
    connection_id    UUID NOT NULL,
    job_id           UUID NOT NULL,
    data_export_type TEXT NOT NULL,
    vendor_id        TEXT,
    error            TEXT NOT NULL,
    raw              TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX quarantine_by_connection ON quarantine (connection_id, created_at);

CREATE TABLE health_events (
    id            UUID PRIMARY KEY,
    account_id    UUID NOT NULL,
    connection_id UUID NOT NULL,
    job_id        UUID,
    from_name     TEXT,
    to_name       TEXT NOT NULL,
    at            BIGINT NOT NULL,
    health        TEXT NOT NULL
);
CREATE INDEX health_events_by_connection ON health_events (connection_id, at, id);
