-- Campaign templates, their schedules, and the claims of scheduled occurrences.
--
-- campaign is attest_domain::CampaignDefinition as JSONB; schedule is
-- attest_domain::schedule::Schedule as JSONB. Deletes are explicit (the store deletes a
-- template's schedule and runs in the same transaction), so there are no foreign keys.

CREATE TABLE campaign_templates (
    id                TEXT NOT NULL PRIMARY KEY,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    deadline_duration TEXT,
    campaign          JSONB NOT NULL,
    created           TIMESTAMPTZ NOT NULL,
    modified          TIMESTAMPTZ
);
CREATE INDEX campaign_templates_created ON campaign_templates (created);

-- One schedule per template. next_due is the next occurrence not yet handled (NULL: none will
-- come); revision is bumped by every set so that the scheduler's moves are compare-and-set.
CREATE TABLE campaign_template_schedules (
    template_id TEXT NOT NULL PRIMARY KEY,
    schedule    JSONB NOT NULL,
    revision    BIGINT NOT NULL,
    next_due    TIMESTAMPTZ,
    set_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX campaign_template_schedules_due ON campaign_template_schedules (next_due)
    WHERE next_due IS NOT NULL;

-- The claim of one occurrence: inserted with the generated campaign, in its transaction; the
-- primary key refuses a second campaign for the same (template, occurrence), also when two
-- nodes insert at once (the second waits for the first and then finds the conflict).
CREATE TABLE campaign_template_runs (
    template_id TEXT NOT NULL,
    occurrence  TIMESTAMPTZ NOT NULL,
    campaign_id TEXT NOT NULL,
    PRIMARY KEY (template_id, occurrence)
);
