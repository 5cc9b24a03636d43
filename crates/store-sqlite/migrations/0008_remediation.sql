-- Remediation delivery and scans (issue 4, points 5 and 6).
--
-- Delivery state of each provisioning order. An order waits (status PENDING, released_at
-- NULL) until an administrator releases it; a released order whose source has a WEBHOOK or
-- SCIM sink is due for delivery at next_attempt_at and claimed under a lease (leased_by,
-- lease_until) by one worker at a time. The status column stays the one every reader shows.
ALTER TABLE provisioning_orders ADD COLUMN released_at TEXT;
ALTER TABLE provisioning_orders ADD COLUMN released_by TEXT;
ALTER TABLE provisioning_orders ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE provisioning_orders ADD COLUMN last_error TEXT;
ALTER TABLE provisioning_orders ADD COLUMN next_attempt_at TEXT;
ALTER TABLE provisioning_orders ADD COLUMN leased_by TEXT;
ALTER TABLE provisioning_orders ADD COLUMN lease_until TEXT;
ALTER TABLE provisioning_orders ADD COLUMN sent_at TEXT;
ALTER TABLE provisioning_orders ADD COLUMN done_at TEXT;
ALTER TABLE provisioning_orders ADD COLUMN done_by TEXT;
ALTER TABLE provisioning_orders ADD COLUMN scanned_at TEXT;
CREATE INDEX provisioning_orders_delivery ON provisioning_orders (next_attempt_at, created, id)
    WHERE next_attempt_at IS NOT NULL;
CREATE INDEX provisioning_orders_source ON provisioning_orders (source_id);

-- One sink per source. url and secret are NULL for MANUAL; the secret is kept as given (it
-- must be presented or signed with), so the database file must be protected like a key store.
CREATE TABLE remediation_sinks (
    source_id  TEXT NOT NULL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('WEBHOOK', 'SCIM', 'MANUAL')),
    url        TEXT,
    secret     TEXT,
    updated    TEXT NOT NULL,
    updated_by TEXT,
    CHECK (kind = 'MANUAL' OR (url IS NOT NULL AND secret IS NOT NULL))
);

-- One remediation scan per campaign, queued by run-remediation-scan and claimed like a task.
CREATE TABLE remediation_scans (
    campaign_id   TEXT NOT NULL PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('QUEUED', 'IN_PROGRESS', 'SUCCESS')),
    requested_at  TEXT NOT NULL,
    run_after     TEXT NOT NULL,
    leased_by     TEXT,
    lease_until   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    finished_at   TEXT,
    verified      INTEGER,
    still_present INTEGER
);
CREATE INDEX remediation_scans_due ON remediation_scans (status, run_after);
