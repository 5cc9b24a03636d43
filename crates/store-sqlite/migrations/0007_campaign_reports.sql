-- Campaign reports (docs/reports.md): the reports configuration, the latest run of each report
-- type per campaign, and the finished CSV files, stored in chunks so that neither writing nor
-- downloading one holds a whole report in memory.

-- One row: the identity attribute columns every report adds (a JSON array of names).
CREATE TABLE reports_config (
    singleton                  INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    identity_attribute_columns TEXT NOT NULL CHECK (json_valid(identity_attribute_columns))
);

-- The latest run of one report type for one campaign; running the type again replaces it.
CREATE TABLE campaign_reports (
    id          TEXT NOT NULL PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    report_type TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCESS', 'ERROR')),
    task_id     TEXT NOT NULL,
    requested   TEXT NOT NULL,
    last_run_at TEXT,
    row_count   INTEGER,
    error       TEXT,
    UNIQUE (campaign_id, report_type)
);

-- A finished (or being written) report file, in numbered chunks of about a mebibyte.
CREATE TABLE campaign_report_chunks (
    report_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (report_id, seq)
) WITHOUT ROWID;

-- Who signed each certification off (the sign-off report): a partial index holds only the
-- sign-off events, so decisions, by far the most frequent audit events, never enter it.
CREATE INDEX audit_events_signoff ON audit_events (certification_id, id)
    WHERE action = 'certification.signed';
