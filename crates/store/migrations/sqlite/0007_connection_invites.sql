-- Connection invite tokens (the documented OnRamp contract): an integrator mints a short,
-- single-use token with which its customer creates one connection (kind `create`) or
-- replaces the credentials of one connection (kind `update`). Only the token's SHA-256
-- hash is kept; `used_at`, `revoked_at` and `expires_at` decide whether it still works.

CREATE TABLE connection_invites (
    id                  BLOB PRIMARY KEY,
    account_id          BLOB NOT NULL REFERENCES accounts (id),
    organization_id     BLOB NOT NULL REFERENCES organizations (id),
    token_hash          TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL,
    vendor              TEXT NOT NULL,
    connection_id       BLOB REFERENCES connections (id),
    identifier          TEXT,
    options             TEXT,
    created_by_key_id   BLOB,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT,
    used_connection_id  BLOB,
    revoked_at          BIGINT,
    -- Credentials the hosted page checked with the vendor, sealed, waiting for the
    -- customer to confirm; cleared when the token is used.
    pending_credentials BLOB
);
CREATE INDEX connection_invites_account ON connection_invites (account_id, created_at, id);

-- An endpoint may ask for a fix link (a fresh update token's page URL) on
-- `connection.health_changed` events of failures the customer must resolve.
ALTER TABLE webhook_endpoints ADD COLUMN include_fix_link BOOLEAN NOT NULL DEFAULT FALSE;
