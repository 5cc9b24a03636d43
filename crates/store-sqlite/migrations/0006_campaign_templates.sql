-- Campaign templates, their schedules, and the claims of scheduled occurrences.
--
-- Same conventions as 0001/0002: times are fixed-width RFC 3339 TEXT, JSON in TEXT columns.
-- campaign is attest_domain::CampaignDefinition as JSON; schedule is
-- attest_domain::schedule::Schedule as JSON. Deletes are explicit (the store deletes a
-- template's schedule and runs in the same transaction), so there are no foreign keys.

CREATE TABLE campaign_templates (
    id                TEXT NOT NULL PRIMARY KEY,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    deadline_duration TEXT,
    campaign          TEXT NOT NULL CHECK (json_valid(campaign)),
    created           TEXT NOT NULL,
    modified          TEXT
);
CREATE INDEX campaign_templates_created ON campaign_templates (created);

-- One schedule per template. next_due is the next occurrence not yet handled (NULL: none will
-- come); revision is bumped by every set so that the scheduler's moves are compare-and-set.
CREATE TABLE campaign_template_schedules (
    template_id TEXT NOT NULL PRIMARY KEY,
    schedule    TEXT NOT NULL CHECK (json_valid(schedule)),
    revision    INTEGER NOT NULL,
    next_due    TEXT,
    set_at      TEXT NOT NULL
);
CREATE INDEX campaign_template_schedules_due ON campaign_template_schedules (next_due)
    WHERE next_due IS NOT NULL;

-- The claim of one occurrence: inserted with the generated campaign, in its transaction; the
-- primary key refuses a second campaign for the same (template, occurrence).
CREATE TABLE campaign_template_runs (
    template_id TEXT NOT NULL,
    occurrence  TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    PRIMARY KEY (template_id, occurrence)
);
