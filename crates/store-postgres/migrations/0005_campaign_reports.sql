-- Campaign reports (docs/reports.md): the reports configuration, the latest run of each report
-- type per campaign, and the finished CSV files, stored in chunks so that neither writing nor
-- downloading one holds a whole report in memory.

-- One row: the identity attribute columns every report adds.
CREATE TABLE reports_config (
    singleton                  BOOLEAN NOT NULL PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    identity_attribute_columns JSONB NOT NULL
);

-- The latest run of one report type for one campaign; running the type again replaces it.
CREATE TABLE campaign_reports (
    id          TEXT NOT NULL PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    report_type TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'ERROR')),
    task_id     TEXT NOT NULL,
    requested   TIMESTAMPTZ NOT NULL,
    last_run_at TIMESTAMPTZ,
    row_count   BIGINT,
    error       TEXT,
    UNIQUE (campaign_id, report_type)
);

-- A finished (or being written) report file, in numbered chunks of about a mebibyte.
CREATE TABLE campaign_report_chunks (
    report_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- Who signed each certification off (the sign-off report): a partial index holds only the
-- sign-off events, so decisions, by far the most frequent audit events, never enter it.
CREATE INDEX audit_events_signoff ON audit_events (certification_id, seq)
    WHERE action = 'certification.signed';
