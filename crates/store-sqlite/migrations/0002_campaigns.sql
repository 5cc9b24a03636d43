-- Running reviews: campaigns, certifications, identity summaries, review items, certification
-- tasks (the job outbox), provisioning orders, the audit log and the id allocator.
--
-- Same conventions as 0001: times are fixed-width RFC 3339 TEXT, booleans 0/1, enums in their
-- contract spelling. These tables carry no foreign keys: generation writes review items before
-- their certifications exist (finish_generation writes those at the end, in one transaction),
-- campaigns outlive warehouse records they name, and deletes are explicit and set-based.
-- Indexes are few on purpose: a MANAGER campaign can hold a million review items, and every
-- index is paid for on each insert.

-- One row: the next free id for review items and identity summaries (allocate_ids).
CREATE TABLE id_allocator (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    next_id   INTEGER NOT NULL
);
INSERT INTO id_allocator (singleton, next_id) VALUES (1, 1);

-- definition is attest_domain::CampaignDefinition as JSON; name, type and deadline are copied
-- out of it so that lists filter and sort on columns. alerts and source_ids are JSON arrays.
CREATE TABLE campaigns (
    id                       TEXT NOT NULL PRIMARY KEY,
    name                     TEXT NOT NULL,
    type                     TEXT NOT NULL,
    status                   TEXT NOT NULL,
    deadline                 TEXT,
    definition               TEXT NOT NULL CHECK (json_valid(definition)),
    owner_id                 TEXT NOT NULL,
    created                  TEXT NOT NULL,
    modified                 TEXT NOT NULL,
    activated                TEXT,
    completed                TEXT,
    alerts                   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(alerts)),
    source_ids               TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(source_ids)),
    certifications_total     INTEGER NOT NULL DEFAULT 0,
    certifications_completed INTEGER NOT NULL DEFAULT 0,
    items_total              INTEGER NOT NULL DEFAULT 0,
    items_decided            INTEGER NOT NULL DEFAULT 0,
    identities_total         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_created ON campaigns (created);

-- Decision counters per access type are columns, so summaries never scan items.
-- reassigned_from_* hold the latest reassignment into this certification.
CREATE TABLE certifications (
    id                         TEXT NOT NULL PRIMARY KEY,
    campaign_id                TEXT NOT NULL,
    campaign_name              TEXT NOT NULL,
    campaign_type              TEXT NOT NULL,
    name                       TEXT NOT NULL,
    reviewer_id                TEXT NOT NULL,
    reviewer_name              TEXT NOT NULL,
    reviewer_email             TEXT,
    reviewer_group_id          TEXT,
    phase                      TEXT NOT NULL CHECK (phase IN ('STAGED', 'ACTIVE', 'SIGNED')),
    due                        TEXT,
    signed                     TEXT,
    created                    TEXT NOT NULL,
    modified                   TEXT NOT NULL,
    reassigned_from_certification TEXT,
    reassigned_from_reviewer   TEXT,
    reassignment_comment       TEXT,
    entitlements_total         INTEGER NOT NULL DEFAULT 0,
    entitlements_decided       INTEGER NOT NULL DEFAULT 0,
    entitlements_approved      INTEGER NOT NULL DEFAULT 0,
    entitlements_revoked       INTEGER NOT NULL DEFAULT 0,
    access_profiles_total      INTEGER NOT NULL DEFAULT 0,
    access_profiles_decided    INTEGER NOT NULL DEFAULT 0,
    access_profiles_approved   INTEGER NOT NULL DEFAULT 0,
    access_profiles_revoked    INTEGER NOT NULL DEFAULT 0,
    roles_total                INTEGER NOT NULL DEFAULT 0,
    roles_decided              INTEGER NOT NULL DEFAULT 0,
    roles_approved             INTEGER NOT NULL DEFAULT 0,
    roles_revoked              INTEGER NOT NULL DEFAULT 0,
    accounts_total             INTEGER NOT NULL DEFAULT 0,
    accounts_decided           INTEGER NOT NULL DEFAULT 0,
    accounts_approved          INTEGER NOT NULL DEFAULT 0,
    accounts_revoked           INTEGER NOT NULL DEFAULT 0,
    identities_total           INTEGER NOT NULL DEFAULT 0,
    identities_completed       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX certifications_campaign_reviewer ON certifications (campaign_id, reviewer_id);
CREATE INDEX certifications_reviewer ON certifications (reviewer_id);
CREATE INDEX certifications_reviewer_group ON certifications (reviewer_group_id)
    WHERE reviewer_group_id IS NOT NULL;

-- One holder within one certification; id comes from id_allocator.
CREATE TABLE identity_summaries (
    id               INTEGER PRIMARY KEY,
    certification_id TEXT NOT NULL,
    campaign_id      TEXT NOT NULL,
    identity_id      TEXT,
    account_id       TEXT,
    role_id          TEXT,
    name             TEXT NOT NULL,
    items_total      INTEGER NOT NULL,
    items_decided    INTEGER NOT NULL
);
CREATE INDEX identity_summaries_certification ON identity_summaries (certification_id, id);

-- One holder x one access item. holder_name, access_name and source_name are denormalised so
-- that lists filter and sort without joins. id comes from id_allocator.
CREATE TABLE review_items (
    id                     INTEGER PRIMARY KEY,
    certification_id       TEXT NOT NULL,
    campaign_id            TEXT NOT NULL,
    identity_summary_id    INTEGER NOT NULL,
    identity_id            TEXT,
    account_id             TEXT,
    role_id                TEXT,
    holder_name            TEXT NOT NULL,
    access_type            TEXT NOT NULL
        CHECK (access_type IN ('ENTITLEMENT', 'ACCESS_PROFILE', 'ROLE', 'ACCOUNT')),
    access_id              TEXT NOT NULL,
    access_name            TEXT NOT NULL,
    source_id              TEXT,
    source_name            TEXT,
    origin                 TEXT NOT NULL,
    granted_at             TEXT,
    recommendation         TEXT,
    recommendation_reasons TEXT NOT NULL DEFAULT '[]',
    decision               TEXT CHECK (decision IN ('APPROVE', 'REVOKE')),
    comments               TEXT,
    proposed_end_date      TEXT,
    decided_by             TEXT,
    decided_at             TEXT,
    reassigned_from        TEXT,
    reassignment_reason    TEXT
);
CREATE INDEX review_items_certification ON review_items (certification_id, id);
-- Campaign-wide work (clearing a generation, completion, deletion). Items are inserted in id
-- order with one campaign id, so this index grows at its end; it leaves out the decision so
-- that deciding moves no index entry.
CREATE INDEX review_items_campaign ON review_items (campaign_id);

-- The outbox of background work. A worker claims a task by setting leased_by/lease_until.
CREATE TABLE tasks (
    id          TEXT NOT NULL PRIMARY KEY,
    task_type   TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('QUEUED', 'IN_PROGRESS', 'SUCCESS', 'ERROR')),
    errors      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors)),
    payload     TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(payload)),
    trail       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(trail)),
    attempts    INTEGER NOT NULL DEFAULT 0,
    created     TEXT NOT NULL,
    run_after   TEXT NOT NULL,
    lease_until TEXT,
    leased_by   TEXT
);
CREATE INDEX tasks_target ON tasks (target_id, created);
CREATE INDEX tasks_pending ON tasks (created, id) WHERE status IN ('QUEUED', 'IN_PROGRESS');

-- One revocation to carry out; item_id is unique so that no item is ever ordered twice.
CREATE TABLE provisioning_orders (
    id               TEXT NOT NULL PRIMARY KEY,
    campaign_id      TEXT NOT NULL,
    certification_id TEXT NOT NULL,
    item_id          INTEGER NOT NULL UNIQUE,
    identity_id      TEXT,
    account_id       TEXT,
    role_id          TEXT,
    holder_name      TEXT NOT NULL,
    access_type      TEXT NOT NULL,
    access_id        TEXT NOT NULL,
    access_name      TEXT NOT NULL,
    source_id        TEXT,
    reason           TEXT,
    decision         TEXT NOT NULL,
    reviewer         TEXT,
    due              TEXT NOT NULL,
    status           TEXT NOT NULL,
    created          TEXT NOT NULL
);
CREATE INDEX provisioning_orders_created ON provisioning_orders (created, id);
CREATE INDEX provisioning_orders_campaign ON provisioning_orders (campaign_id, created, id);

-- Append-only: the triggers below refuse every UPDATE and DELETE, whoever asks.
CREATE TABLE audit_events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at                TEXT NOT NULL,
    actor_identity_id TEXT,
    actor_client_id   TEXT,
    action            TEXT NOT NULL,
    campaign_id       TEXT,
    certification_id  TEXT,
    item_id           INTEGER,
    detail            TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(detail))
);
CREATE INDEX audit_events_campaign ON audit_events (campaign_id, id);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
