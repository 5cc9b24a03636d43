-- The identity warehouse, import runs, API clients and server keys.
--
-- Same tables and columns as the PostgreSQL backend. Every foreign key is DEFERRABLE INITIALLY
-- DEFERRED: within one import a record may arrive before the record it refers to, and the
-- engine validates references before commit. Every column that is the child side of a foreign
-- key is indexed: SQLite looks children up by these columns whenever a parent row is inserted
-- while deferred violations are outstanding, and without an index each lookup is a table scan.
--
-- Times are TEXT in one fixed-width RFC 3339 form, UTC with nanoseconds
-- ("2026-03-02T09:00:00.000000000Z"), so they round-trip exactly and sort as text.
-- Text compares bytewise (BINARY collation), like the "C" collation on PostgreSQL.
-- Booleans are 0/1.

CREATE TABLE identities (
    id              TEXT NOT NULL PRIMARY KEY,
    name            TEXT NOT NULL,
    display_name    TEXT,
    email           TEXT,
    manager_id      TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    department      TEXT,
    title           TEXT,
    location        TEXT,
    lifecycle_state TEXT,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    -- Every other column of identities.csv, as one JSON object of strings.
    attributes      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes))
);
CREATE INDEX identities_manager_id ON identities (manager_id);

CREATE TABLE sources (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    type        TEXT
);
CREATE INDEX sources_owner_id ON sources (owner_id);

CREATE TABLE entitlements (
    id          TEXT NOT NULL PRIMARY KEY,
    source_id   TEXT NOT NULL REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    name        TEXT NOT NULL,
    attribute   TEXT,
    value       TEXT,
    description TEXT,
    privileged  BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id    TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX entitlements_source_id ON entitlements (source_id);
CREATE INDEX entitlements_owner_id ON entitlements (owner_id);

CREATE TABLE entitlement_permissions (
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    target         TEXT NOT NULL,
    rights         TEXT NOT NULL,
    PRIMARY KEY (entitlement_id, target)
) WITHOUT ROWID;

CREATE TABLE access_profiles (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    source_id   TEXT REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    owner_id    TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX access_profiles_source_id ON access_profiles (source_id);
CREATE INDEX access_profiles_owner_id ON access_profiles (owner_id);

-- position keeps the bundle's order of a member list.
CREATE TABLE access_profile_entitlements (
    access_profile_id TEXT NOT NULL
        REFERENCES access_profiles (id) DEFERRABLE INITIALLY DEFERRED,
    entitlement_id    TEXT NOT NULL
        REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    position          INTEGER NOT NULL,
    PRIMARY KEY (access_profile_id, entitlement_id)
) WITHOUT ROWID;
CREATE INDEX access_profile_entitlements_entitlement_id
    ON access_profile_entitlements (entitlement_id);

CREATE TABLE roles (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    privileged  BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX roles_owner_id ON roles (owner_id);

CREATE TABLE role_access_profiles (
    role_id           TEXT NOT NULL REFERENCES roles (id) DEFERRABLE INITIALLY DEFERRED,
    access_profile_id TEXT NOT NULL
        REFERENCES access_profiles (id) DEFERRABLE INITIALLY DEFERRED,
    position          INTEGER NOT NULL,
    PRIMARY KEY (role_id, access_profile_id)
) WITHOUT ROWID;
CREATE INDEX role_access_profiles_access_profile_id ON role_access_profiles (access_profile_id);

CREATE TABLE role_entitlements (
    role_id        TEXT NOT NULL REFERENCES roles (id) DEFERRABLE INITIALLY DEFERRED,
    entitlement_id TEXT NOT NULL REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    position       INTEGER NOT NULL,
    PRIMARY KEY (role_id, entitlement_id)
) WITHOUT ROWID;
CREATE INDEX role_entitlements_entitlement_id ON role_entitlements (entitlement_id);

CREATE TABLE accounts (
    id              TEXT NOT NULL PRIMARY KEY,
    source_id       TEXT NOT NULL REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    native_identity TEXT NOT NULL,
    name            TEXT,
    identity_id     TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    machine         BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id        TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    last_used       TEXT
);
CREATE INDEX accounts_identity_id ON accounts (identity_id);
CREATE INDEX accounts_source_id ON accounts (source_id);
CREATE INDEX accounts_owner_id ON accounts (owner_id);

CREATE TABLE governance_groups (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX governance_groups_owner_id ON governance_groups (owner_id);

CREATE TABLE governance_group_members (
    group_id    TEXT NOT NULL REFERENCES governance_groups (id) DEFERRABLE INITIALLY DEFERRED,
    identity_id TEXT NOT NULL REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    position    INTEGER NOT NULL,
    PRIMARY KEY (group_id, identity_id)
) WITHOUT ROWID;
CREATE INDEX governance_group_members_identity_id ON governance_group_members (identity_id);

-- holder_key is attest_domain::Assignment::holder_key(): identity id, U+001F, account id.
-- import_run_id is the import that last staged the row; a merge removes the rows it did not.
CREATE TABLE assignments (
    id            INTEGER PRIMARY KEY,
    holder_key    TEXT NOT NULL,
    identity_id   TEXT REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    account_id    TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    access_type   TEXT NOT NULL CHECK (access_type IN ('ENTITLEMENT', 'ACCESS_PROFILE', 'ROLE')),
    access_id     TEXT NOT NULL,
    origin        TEXT NOT NULL
        CHECK (origin IN ('ROLE_MODEL', 'REQUEST', 'MANUAL', 'DISCOVERED')),
    granted_at    TEXT,
    import_run_id INTEGER NOT NULL,
    UNIQUE (holder_key, access_type, access_id)
);
CREATE INDEX assignments_identity_id ON assignments (identity_id);
CREATE INDEX assignments_account_id ON assignments (account_id);
CREATE INDEX assignments_access ON assignments (access_type, access_id);

-- One row per committed import (the row is written inside the import's transaction).
-- finished_at is stamped by the database clock at commit, for operators only: Attest never
-- reads it (application time comes from the injected clock).
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);

-- authorities is attest_domain::Authority::format_list(): names separated by ';'.
CREATE TABLE api_clients (
    client_id    TEXT NOT NULL PRIMARY KEY,
    secret_hash  TEXT NOT NULL,
    identity_id  TEXT NOT NULL REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    authorities  TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX api_clients_identity_id ON api_clients (identity_id);

-- created_at is stamped by the database clock, for operators only (like now() on PostgreSQL).
CREATE TABLE server_keys (
    name       TEXT NOT NULL PRIMARY KEY,
    key        BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000000Z', 'now'))
);
