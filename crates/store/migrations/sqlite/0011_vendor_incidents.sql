-- Vendor incidents (docs/health.md, "Vendor incidents"): several connections to one
-- vendor host failing on the vendor's side at once are one incident.

-- A connection's current vendor-owned failure (VENDOR_SERVER_ERROR), keyed by the
-- vendor and the host of its API URL (never more of the credentials than that host).
-- Written with the health change that starts it, deleted with the one that ends it.
CREATE TABLE vendor_failures (
    connection_id   BLOB PRIMARY KEY REFERENCES connections (id),
    account_id      BLOB NOT NULL,
    organization_id BLOB NOT NULL,
    vendor          TEXT NOT NULL,
    scope           TEXT NOT NULL,
    health_name     TEXT NOT NULL,
    since           BIGINT NOT NULL
);
CREATE INDEX vendor_failures_by_key ON vendor_failures (vendor, scope, since);

CREATE TABLE vendor_incidents (
    id          BLOB PRIMARY KEY,
    vendor      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    -- OPEN or RESOLVED
    status      TEXT NOT NULL,
    health_name TEXT NOT NULL,
    opened_at   BIGINT NOT NULL,
    resolved_at BIGINT,
    updated_at  BIGINT NOT NULL
);
-- At most one open incident per vendor host.
CREATE UNIQUE INDEX vendor_incidents_open ON vendor_incidents (vendor, scope) WHERE status = 'OPEN';

-- The connections an incident affected: when each joined and recovered.
CREATE TABLE vendor_incident_connections (
    incident_id     BLOB NOT NULL REFERENCES vendor_incidents (id),
    connection_id   BLOB NOT NULL REFERENCES connections (id),
    account_id      BLOB NOT NULL,
    organization_id BLOB NOT NULL,
    joined_at       BIGINT NOT NULL,
    recovered_at    BIGINT,
    PRIMARY KEY (incident_id, connection_id)
);
CREATE INDEX vendor_incident_connections_by_account ON vendor_incident_connections (account_id, incident_id);
CREATE INDEX vendor_incident_connections_by_connection ON vendor_incident_connections (connection_id);
