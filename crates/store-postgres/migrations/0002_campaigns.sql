-- Running reviews: campaigns, certifications, identity summaries, review items, the task outbox,
-- provisioning orders and the audit log (src/campaigns/).
--
-- Identifier and name columns use the "C" collation, as in 0001: ordering and comparison are
-- byte order, the same as on SQLite, whatever the database's default collation.
--
-- Counters live in columns (campaigns, certifications, identity_summaries) and are changed in
-- the same transaction as the writes that change them, so summaries never scan items.
--
-- review_items keeps few indexes, for generation speed (a MANAGER campaign writes a million
-- rows): the primary key, (certification_id, id) for every per-certification read and write,
-- and a BRIN index on campaign_id for the rare whole-campaign deletes. Generation writes items
-- before their certifications exist (finish_generation writes those last, in one
-- transaction), so items have no foreign key; deletes remove them explicitly.

-- allocate_ids: one row, advanced with UPDATE ... RETURNING, so concurrent callers on any node
-- queue on its row lock and never receive overlapping ranges.
CREATE TABLE id_allocator (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    next_id   BIGINT NOT NULL
);
INSERT INTO id_allocator (singleton, next_id) VALUES (TRUE, 1);

CREATE TABLE campaigns (
    id                       TEXT COLLATE "C" PRIMARY KEY,
    -- name, type and deadline repeat the definition for filters and sorts.
    name                     TEXT COLLATE "C" NOT NULL,
    type                     TEXT COLLATE "C" NOT NULL,
    deadline                 TIMESTAMPTZ,
    definition               JSONB NOT NULL,
    status                   TEXT COLLATE "C" NOT NULL,
    owner_id                 TEXT COLLATE "C" NOT NULL,
    created                  TIMESTAMPTZ NOT NULL,
    modified                 TIMESTAMPTZ NOT NULL,
    activated                TIMESTAMPTZ,
    completed                TIMESTAMPTZ,
    alerts                   JSONB NOT NULL DEFAULT '[]',
    certifications_total     BIGINT NOT NULL DEFAULT 0,
    certifications_completed BIGINT NOT NULL DEFAULT 0,
    items_total              BIGINT NOT NULL DEFAULT 0,
    items_decided            BIGINT NOT NULL DEFAULT 0,
    identities_total         BIGINT NOT NULL DEFAULT 0,
    source_ids               TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX campaigns_created ON campaigns (created, id);

CREATE TABLE certifications (
    id                        TEXT COLLATE "C" PRIMARY KEY,
    campaign_id               TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    campaign_name             TEXT COLLATE "C" NOT NULL,
    campaign_type             TEXT COLLATE "C" NOT NULL,
    name                      TEXT COLLATE "C" NOT NULL,
    reviewer_id               TEXT COLLATE "C" NOT NULL,
    reviewer_name             TEXT COLLATE "C" NOT NULL,
    reviewer_email            TEXT,
    reviewer_group_id         TEXT COLLATE "C",
    phase                     TEXT COLLATE "C" NOT NULL,
    due                       TIMESTAMPTZ,
    signed                    TIMESTAMPTZ,
    created                   TIMESTAMPTZ NOT NULL,
    modified                  TIMESTAMPTZ NOT NULL,
    reassigned_from_id        TEXT COLLATE "C",
    reassigned_from_reviewer  TEXT COLLATE "C",
    reassignment_comment      TEXT,
    entitlements_total        BIGINT NOT NULL DEFAULT 0,
    entitlements_decided      BIGINT NOT NULL DEFAULT 0,
    entitlements_approved     BIGINT NOT NULL DEFAULT 0,
    entitlements_revoked      BIGINT NOT NULL DEFAULT 0,
    access_profiles_total     BIGINT NOT NULL DEFAULT 0,
    access_profiles_decided   BIGINT NOT NULL DEFAULT 0,
    access_profiles_approved  BIGINT NOT NULL DEFAULT 0,
    access_profiles_revoked   BIGINT NOT NULL DEFAULT 0,
    roles_total               BIGINT NOT NULL DEFAULT 0,
    roles_decided             BIGINT NOT NULL DEFAULT 0,
    roles_approved            BIGINT NOT NULL DEFAULT 0,
    roles_revoked             BIGINT NOT NULL DEFAULT 0,
    accounts_total            BIGINT NOT NULL DEFAULT 0,
    accounts_decided          BIGINT NOT NULL DEFAULT 0,
    accounts_approved         BIGINT NOT NULL DEFAULT 0,
    accounts_revoked          BIGINT NOT NULL DEFAULT 0,
    identities_total          BIGINT NOT NULL DEFAULT 0,
    identities_completed      BIGINT NOT NULL DEFAULT 0,
    -- One worklist per reviewer and campaign: reassignment finds (or creates) the receiving
    -- certification by this key, and two nodes creating it at once conflict instead of
    -- duplicating it.
    UNIQUE (campaign_id, reviewer_id)
);
CREATE INDEX certifications_reviewer ON certifications (reviewer_id);
CREATE INDEX certifications_reviewer_group ON certifications (reviewer_group_id)
    WHERE reviewer_group_id IS NOT NULL;

CREATE TABLE identity_summaries (
    id               BIGINT PRIMARY KEY,
    certification_id TEXT COLLATE "C" NOT NULL REFERENCES certifications (id) ON DELETE CASCADE,
    identity_id      TEXT COLLATE "C",
    account_id       TEXT COLLATE "C",
    role_id          TEXT COLLATE "C",
    name             TEXT COLLATE "C" NOT NULL,
    items_total      BIGINT NOT NULL DEFAULT 0,
    items_decided    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX identity_summaries_certification ON identity_summaries (certification_id, id);

-- holder_name, access_name and source_name are copied from the warehouse at generation so that
-- lists filter and sort without joins (and show what was reviewed, even after a re-import).
CREATE TABLE review_items (
    id                     BIGINT PRIMARY KEY,
    certification_id       TEXT COLLATE "C" NOT NULL,
    campaign_id            TEXT COLLATE "C" NOT NULL,
    identity_summary_id    BIGINT NOT NULL,
    identity_id            TEXT COLLATE "C",
    account_id             TEXT COLLATE "C",
    role_id                TEXT COLLATE "C",
    holder_name            TEXT COLLATE "C" NOT NULL,
    access_type            TEXT COLLATE "C" NOT NULL
        CHECK (access_type IN ('ENTITLEMENT', 'ACCESS_PROFILE', 'ROLE', 'ACCOUNT')),
    access_id              TEXT COLLATE "C" NOT NULL,
    access_name            TEXT COLLATE "C" NOT NULL,
    source_id              TEXT COLLATE "C",
    source_name            TEXT COLLATE "C",
    origin                 TEXT NOT NULL,
    granted_at             TIMESTAMPTZ,
    recommendation         TEXT,
    recommendation_reasons TEXT[] NOT NULL DEFAULT '{}',
    decision               TEXT CHECK (decision IN ('APPROVE', 'REVOKE')),
    comments               TEXT,
    proposed_end_date      TIMESTAMPTZ,
    decided_by             TEXT COLLATE "C",
    decided_at             TIMESTAMPTZ,
    reassigned_from        TEXT COLLATE "C",
    reassignment_reason    TEXT
);
CREATE INDEX review_items_certification ON review_items (certification_id, id);
-- Items of one campaign are written together, so they fill whole block ranges: a BRIN index
-- finds them for deletion at almost no cost to generation. Autovacuum summarises new ranges
-- (unsummarised ranges are always scanned, so the index stays correct in between).
CREATE INDEX review_items_campaign ON review_items USING brin (campaign_id)
    WITH (autosummarize = on);

-- The outbox. A worker claims a row under a lease (lease_until, leased_by) with
-- FOR UPDATE SKIP LOCKED; an expired lease makes the row claimable again.
CREATE TABLE tasks (
    id          TEXT COLLATE "C" PRIMARY KEY,
    type        TEXT COLLATE "C" NOT NULL,
    target_type TEXT COLLATE "C" NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    errors      JSONB NOT NULL DEFAULT '[]',
    payload     JSONB NOT NULL DEFAULT 'null',
    trail       JSONB NOT NULL DEFAULT '[]',
    attempts    INTEGER NOT NULL DEFAULT 0,
    created     TIMESTAMPTZ NOT NULL,
    run_after   TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    leased_by   TEXT
);
CREATE INDEX tasks_runnable ON tasks (created, id) WHERE status IN ('QUEUED', 'IN_PROGRESS');
CREATE INDEX tasks_target ON tasks (target_id, created);

-- One order per revoked item: sign-off and completion insert with ON CONFLICT DO NOTHING, so
-- a retried completion never orders a revocation twice.
CREATE TABLE provisioning_orders (
    id               TEXT COLLATE "C" PRIMARY KEY,
    campaign_id      TEXT COLLATE "C" NOT NULL,
    certification_id TEXT COLLATE "C" NOT NULL,
    item_id          BIGINT NOT NULL UNIQUE,
    identity_id      TEXT COLLATE "C",
    account_id       TEXT COLLATE "C",
    role_id          TEXT COLLATE "C",
    holder_name      TEXT NOT NULL,
    access_type      TEXT COLLATE "C" NOT NULL,
    access_id        TEXT COLLATE "C" NOT NULL,
    access_name      TEXT NOT NULL,
    source_id        TEXT COLLATE "C",
    reason           TEXT,
    decision         TEXT NOT NULL,
    reviewer_id      TEXT COLLATE "C",
    due              TIMESTAMPTZ NOT NULL,
    status           TEXT COLLATE "C" NOT NULL,
    created          TIMESTAMPTZ NOT NULL
);
CREATE INDEX provisioning_orders_created ON provisioning_orders (created, id);
CREATE INDEX provisioning_orders_campaign ON provisioning_orders (campaign_id, created, id);

-- Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE, so not even a bug in
-- this crate can rewrite the evidence. Events outlive the campaigns they describe.
CREATE TABLE audit_events (
    seq               BIGSERIAL PRIMARY KEY,
    at                TIMESTAMPTZ NOT NULL,
    actor_identity_id TEXT COLLATE "C",
    actor_client_id   TEXT COLLATE "C",
    action            TEXT NOT NULL,
    campaign_id       TEXT COLLATE "C",
    certification_id  TEXT COLLATE "C",
    item_id           BIGINT,
    detail            JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_campaign ON audit_events (campaign_id, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
