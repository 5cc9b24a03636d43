-- Remediation delivery and scans (issue 4, points 5 and 6).
--
-- Delivery state of each provisioning order. An order waits (status PENDING, released_at
-- NULL) until an administrator releases it; a released order whose source has a WEBHOOK or
-- SCIM sink is due for delivery at next_attempt_at and claimed with FOR UPDATE SKIP LOCKED
-- under a lease (leased_by, lease_until), so several nodes never deliver one order at once.
ALTER TABLE provisioning_orders
    ADD COLUMN released_at     TIMESTAMPTZ,
    ADD COLUMN released_by     TEXT COLLATE "C",
    ADD COLUMN attempts        INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_error      TEXT,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN leased_by       TEXT,
    ADD COLUMN lease_until     TIMESTAMPTZ,
    ADD COLUMN sent_at         TIMESTAMPTZ,
    ADD COLUMN done_at         TIMESTAMPTZ,
    ADD COLUMN done_by         TEXT COLLATE "C",
    ADD COLUMN scanned_at      TIMESTAMPTZ;
CREATE INDEX provisioning_orders_delivery ON provisioning_orders (next_attempt_at, created, id)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX provisioning_orders_source ON provisioning_orders (source_id);

-- One sink per source. url and secret are NULL for MANUAL; the secret is kept as given (it
-- must be presented or signed with), so the database must be protected like a key store.
CREATE TABLE remediation_sinks (
    source_id  TEXT COLLATE "C" PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('WEBHOOK', 'SCIM', 'MANUAL')),
    url        TEXT,
    secret     TEXT,
    updated    TIMESTAMPTZ NOT NULL,
    updated_by TEXT COLLATE "C",
    CHECK (kind = 'MANUAL' OR (url IS NOT NULL AND secret IS NOT NULL))
);

-- One remediation scan per campaign, queued by run-remediation-scan and claimed like a task.
CREATE TABLE remediation_scans (
    campaign_id   TEXT COLLATE "C" PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('QUEUED', 'IN_PROGRESS', 'SUCCESS')),
    requested_at  TIMESTAMPTZ NOT NULL,
    run_after     TIMESTAMPTZ NOT NULL,
    leased_by     TEXT,
    lease_until   TIMESTAMPTZ,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    finished_at   TIMESTAMPTZ,
    verified      BIGINT,
    still_present BIGINT
);
CREATE INDEX remediation_scans_due ON remediation_scans (status, run_after);
