-- Webhook endpoints, the durable outbox of events, and per-endpoint deliveries.

CREATE TABLE webhook_endpoints (
    id                   BLOB PRIMARY KEY,
    account_id           BLOB NOT NULL REFERENCES accounts (id),
    url                  TEXT NOT NULL,
    description          TEXT,
    event_types          TEXT,
    enabled              BOOLEAN NOT NULL,
    disabled_reason      TEXT,
    secret               BLOB NOT NULL,
    previous_secret      BLOB,
    previous_expires_at  BIGINT,
    failing_since        BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    deleted_at           BIGINT
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, created_at, id);

CREATE TABLE webhook_messages (
    id          BLOB PRIMARY KEY,
    account_id  BLOB NOT NULL,
    event_type  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               BLOB PRIMARY KEY,
    message_id       BLOB NOT NULL REFERENCES webhook_messages (id),
    endpoint_id      BLOB NOT NULL REFERENCES webhook_endpoints (id),
    seq              BIGINT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);

CREATE TABLE webhook_attempts (
    id            BLOB PRIMARY KEY,
    delivery_id   BLOB NOT NULL REFERENCES webhook_deliveries (id),
    at            BIGINT NOT NULL,
    status_code   BIGINT,
    latency_ms    BIGINT NOT NULL,
    error         TEXT,
    response      TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, at);

-- Flap control: the health (JSON) webhooks last reported for each connection.
ALTER TABLE connections ADD COLUMN notified_health TEXT;
