-- The identity warehouse, API clients and server keys.
--
-- Same tables and columns as the SQLite backend. Every foreign key is DEFERRABLE INITIALLY
-- DEFERRED: within one import a record may arrive before the record it refers to, and the
-- engine validates references before commit. Identifier columns use the "C" collation so that
-- ordering by id is byte order, as on SQLite, whatever the database's default collation.

CREATE TABLE identities (
    id              TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT NOT NULL,
    display_name    TEXT,
    email           TEXT,
    manager_id      TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    department      TEXT,
    title           TEXT,
    location        TEXT,
    lifecycle_state TEXT,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    attributes      JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX identities_manager_id ON identities (manager_id);

CREATE TABLE sources (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    type        TEXT
);

CREATE TABLE entitlements (
    id          TEXT COLLATE "C" PRIMARY KEY,
    source_id   TEXT COLLATE "C" NOT NULL REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    name        TEXT NOT NULL,
    attribute   TEXT,
    value       TEXT,
    description TEXT,
    privileged  BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id    TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX entitlements_source_id ON entitlements (source_id);

CREATE TABLE entitlement_permissions (
    entitlement_id TEXT COLLATE "C" NOT NULL
        REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    target         TEXT COLLATE "C" NOT NULL,
    rights         TEXT NOT NULL,
    PRIMARY KEY (entitlement_id, target)
);

CREATE TABLE access_profiles (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    source_id   TEXT COLLATE "C" REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    owner_id    TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE access_profile_entitlements (
    access_profile_id TEXT COLLATE "C" NOT NULL
        REFERENCES access_profiles (id) DEFERRABLE INITIALLY DEFERRED,
    entitlement_id    TEXT COLLATE "C" NOT NULL
        REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    position          INTEGER NOT NULL,
    PRIMARY KEY (access_profile_id, entitlement_id)
);

CREATE TABLE roles (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    privileged  BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE role_access_profiles (
    role_id           TEXT COLLATE "C" NOT NULL
        REFERENCES roles (id) DEFERRABLE INITIALLY DEFERRED,
    access_profile_id TEXT COLLATE "C" NOT NULL
        REFERENCES access_profiles (id) DEFERRABLE INITIALLY DEFERRED,
    position          INTEGER NOT NULL,
    PRIMARY KEY (role_id, access_profile_id)
);

CREATE TABLE role_entitlements (
    role_id        TEXT COLLATE "C" NOT NULL
        REFERENCES roles (id) DEFERRABLE INITIALLY DEFERRED,
    entitlement_id TEXT COLLATE "C" NOT NULL
        REFERENCES entitlements (id) DEFERRABLE INITIALLY DEFERRED,
    position       INTEGER NOT NULL,
    PRIMARY KEY (role_id, entitlement_id)
);

CREATE TABLE accounts (
    id              TEXT COLLATE "C" PRIMARY KEY,
    source_id       TEXT COLLATE "C" NOT NULL REFERENCES sources (id) DEFERRABLE INITIALLY DEFERRED,
    native_identity TEXT NOT NULL,
    name            TEXT,
    identity_id     TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    machine         BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id        TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    disabled        BOOLEAN NOT NULL DEFAULT FALSE,
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    last_used       TIMESTAMPTZ
);
CREATE INDEX accounts_identity_id ON accounts (identity_id);
CREATE INDEX accounts_source_id ON accounts (source_id);

CREATE TABLE governance_groups (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_id    TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE governance_group_members (
    group_id    TEXT COLLATE "C" NOT NULL
        REFERENCES governance_groups (id) DEFERRABLE INITIALLY DEFERRED,
    identity_id TEXT COLLATE "C" NOT NULL
        REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    position    INTEGER NOT NULL,
    PRIMARY KEY (group_id, identity_id)
);

-- holder_key is attest_domain::Assignment::holder_key(): identity id, U+001F, account id.
CREATE TABLE assignments (
    id            BIGSERIAL PRIMARY KEY,
    holder_key    TEXT COLLATE "C" NOT NULL,
    identity_id   TEXT COLLATE "C" REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    account_id    TEXT COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    access_type   TEXT COLLATE "C" NOT NULL
        CHECK (access_type IN ('ENTITLEMENT', 'ACCESS_PROFILE', 'ROLE')),
    access_id     TEXT COLLATE "C" NOT NULL,
    origin        TEXT NOT NULL
        CHECK (origin IN ('ROLE_MODEL', 'REQUEST', 'MANUAL', 'DISCOVERED')),
    granted_at    TIMESTAMPTZ,
    import_run_id BIGINT NOT NULL,
    UNIQUE (holder_key, access_type, access_id)
);
CREATE INDEX assignments_identity_id ON assignments (identity_id);
-- Partial: most assignments are usually held by an identity directly, and indexing a million
-- NULLs costs seconds per import while no query looks them up.
CREATE INDEX assignments_account_id ON assignments (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX assignments_access ON assignments (access_type, access_id);

CREATE TABLE import_runs (
    id          BIGSERIAL PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);

-- authorities is attest_domain::Authority::format_list(): names separated by ';'.
CREATE TABLE api_clients (
    client_id    TEXT COLLATE "C" PRIMARY KEY,
    secret_hash  TEXT NOT NULL,
    identity_id  TEXT COLLATE "C" NOT NULL
        REFERENCES identities (id) DEFERRABLE INITIALLY DEFERRED,
    authorities  TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);

CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    key        BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
