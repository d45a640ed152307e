-- Identity (`/v1/idp/*`): one table per object kind, all of one shape, and one table of
-- memberships between them. A record is its document (without `is_deleted` and
-- `updated_at`, which are columns so a deletion can flip without rewriting it) plus what
-- a membership reference shows of it: `label` (a user's username, otherwise the name)
-- and `email` (users only). Times are epoch microseconds.
CREATE TABLE idp_users (
    id            UUID PRIMARY KEY,
    connection_id UUID NOT NULL,
    vendor_id     TEXT NOT NULL,
    is_deleted    BOOLEAN NOT NULL,
    label         TEXT,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    content_hash  BIGINT NOT NULL,
    data          TEXT NOT NULL
);
-- The keyset order of every listing; a reconciliation scans the connection's prefix.
CREATE INDEX idp_users_by_updated ON idp_users (connection_id, updated_at, id);
CREATE TABLE idp_groups (
    id            UUID PRIMARY KEY,
    connection_id UUID NOT NULL,
    vendor_id     TEXT NOT NULL,
    is_deleted    BOOLEAN NOT NULL,
    label         TEXT,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    content_hash  BIGINT NOT NULL,
    data          TEXT NOT NULL
);
-- The keyset order of every listing; a reconciliation scans the connection's prefix.
CREATE INDEX idp_groups_by_updated ON idp_groups (connection_id, updated_at, id);
CREATE TABLE idp_applications (
    id            UUID PRIMARY KEY,
    connection_id UUID NOT NULL,
    vendor_id     TEXT NOT NULL,
    is_deleted    BOOLEAN NOT NULL,
    label         TEXT,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    content_hash  BIGINT NOT NULL,
    data          TEXT NOT NULL
);
-- The keyset order of every listing; a reconciliation scans the connection's prefix.
CREATE INDEX idp_applications_by_updated ON idp_applications (connection_id, updated_at, id);
CREATE TABLE idp_policies (
    id            UUID PRIMARY KEY,
    connection_id UUID NOT NULL,
    vendor_id     TEXT NOT NULL,
    is_deleted    BOOLEAN NOT NULL,
    label         TEXT,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    content_hash  BIGINT NOT NULL,
    data          TEXT NOT NULL
);
-- The keyset order of every listing; a reconciliation scans the connection's prefix.
CREATE INDEX idp_policies_by_updated ON idp_policies (connection_id, updated_at, id);
-- Each membership once, whichever side lists it: `relation` names the list
-- (`group_users`, `application_users`, `application_groups`, `policy_groups`,
-- `policy_applications`, `policy_users`), `parent_id` the record that owns it (the
-- group, application or policy) and `member_id` the member, which may not be synced yet
-- (ids derive from vendor ids, so both vendor ids are kept for references). The primary
-- key reads a parent's members; the second index a member's parents.
CREATE TABLE idp_memberships (
    connection_id    UUID NOT NULL,
    relation         TEXT NOT NULL,
    parent_id        UUID NOT NULL,
    member_id        UUID NOT NULL,
    parent_vendor_id TEXT NOT NULL,
    member_vendor_id TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (connection_id, relation, parent_id, member_id)
);
CREATE INDEX idp_memberships_by_member
    ON idp_memberships (connection_id, relation, member_id, parent_id);
-- Documents inline in the heap row, as for the EDR and VMS tables (migration 0003).
ALTER TABLE idp_users ALTER COLUMN data SET STORAGE MAIN;
ALTER TABLE idp_groups ALTER COLUMN data SET STORAGE MAIN;
ALTER TABLE idp_applications ALTER COLUMN data SET STORAGE MAIN;
ALTER TABLE idp_policies ALTER COLUMN data SET STORAGE MAIN;
