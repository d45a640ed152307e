-- Dashboard sessions, kept on the server so that logging out ends them, and the audit
-- log: who (API key, dashboard session or the CLI) created, changed, deleted or tested
-- what, when, from where, and which fields changed (never secret values).

CREATE TABLE dashboard_sessions (
    id          UUID PRIMARY KEY,
    account_id  UUID NOT NULL REFERENCES accounts (id),
    key_id      UUID NOT NULL REFERENCES api_keys (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ended_at    BIGINT
);
CREATE INDEX dashboard_sessions_account ON dashboard_sessions (account_id, created_at);

CREATE TABLE audit_events (
    id           UUID PRIMARY KEY,
    account_id   UUID NOT NULL REFERENCES accounts (id),
    at           BIGINT NOT NULL,
    actor_type   TEXT NOT NULL,
    api_key_id   UUID,
    session_id   UUID,
    client_addr  TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    UUID NOT NULL,
    changes      TEXT
);
CREATE INDEX audit_events_account ON audit_events (account_id, at, id);
CREATE INDEX audit_events_target ON audit_events (account_id, target_id, at, id);
