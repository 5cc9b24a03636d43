-- One certification per reviewer and campaign, as on PostgreSQL: the engine never makes a
-- second one (reassignment merges into the reviewer's existing certification), and now the
-- database refuses it too.
DROP INDEX certifications_campaign_reviewer;
CREATE UNIQUE INDEX certifications_campaign_reviewer ON certifications (campaign_id, reviewer_id);
