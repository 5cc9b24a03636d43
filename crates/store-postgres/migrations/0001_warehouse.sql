-- The identity warehouse, API clients and server keys.
--
-- Same tables and columns as the SQLite backend. Every foreign key is DEFERRABLE INITIALLY
-- DEFERRED: within one import a record may arrive before the record it refers to, and the
-- engine validates references before commit. Identifier columns use the "C" collation so that
-- ordering by id is byte order, as on SQLite, whatever the database's default collation.
--
-- Five references have no foreign key: accounts.source_id, accounts.identity_id,
-- accounts.owner_id, assignments.identity_id and assignments.account_id. A deferred foreign key
-- queues one trigger event per written row and checks each with its own lookup at COMMIT; for a
-- first import of 800,000 accounts and 1,000,000 assignments that was 14.5 s of a 31.6 s import
-- (about 6 s for the accounts' three keys, 8 s for the assignments' two). The import checks
-- these references itself, with one set-based anti-join per reference (src/import.rs:
-- `merge_assignments` for assignments, 0.9 s; `commit` for accounts, 0.3 s). That is safe
-- because only imports write these tables, imports are serialised, and nothing deletes
-- identities, sources or accounts. The other foreign keys stay: they cost little at COMMIT
-- (identities.manager_id, the costliest, about 0.4 s for 100,000 identities).

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

-- source_id, identity_id and owner_id refer to sources and identities without a foreign key:
-- the import checks them before commit (see the top of this file).
CREATE TABLE accounts (
    id              TEXT COLLATE "C" PRIMARY KEY,
    source_id       TEXT COLLATE "C" NOT NULL,
    native_identity TEXT NOT NULL,
    name            TEXT,
    identity_id     TEXT COLLATE "C",
    machine         BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id        TEXT COLLATE "C",
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
-- identity_id and account_id refer to identities and accounts without a foreign key: the
-- import's merge checks them (see the top of this file).
CREATE TABLE assignments (
    id            BIGSERIAL PRIMARY KEY,
    holder_key    TEXT COLLATE "C" NOT NULL,
    identity_id   TEXT COLLATE "C",
    account_id    TEXT COLLATE "C",
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
