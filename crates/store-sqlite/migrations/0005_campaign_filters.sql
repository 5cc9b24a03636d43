-- Campaign filters (issue 4): reusable INCLUSION/EXCLUSION criteria applied when a campaign
-- generates. Criteria are stored as JSON (the domain's `Criterion` list) and evaluated in
-- memory by the engine. System filters (is_system = 1) ship with Attest and are read-only.

CREATE TABLE campaign_filters (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    owner_name  TEXT,
    owner_id    TEXT,
    mode        TEXT NOT NULL CHECK (mode IN ('INCLUSION', 'EXCLUSION')),
    criteria    TEXT NOT NULL CHECK (json_valid(criteria)),
    is_system   INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    created     TEXT NOT NULL,
    modified    TEXT NOT NULL
);
CREATE INDEX campaign_filters_listed ON campaign_filters (is_system DESC, created, id);

INSERT INTO campaign_filters (id, name, description, owner_name, owner_id, mode, criteria, is_system, created, modified) VALUES
    ('a77e57f1000000000000000000000001', 'Exclude machine accounts', 'Leaves out machine (service) accounts and the access held through them.', 'Attest', NULL, 'EXCLUSION', '[{"type":"ACCOUNT","operation":"EQUALS","property":"machine","value":"true","negateResult":false,"shortCircuit":false,"recordChildMatches":false,"id":null,"suppressMatchedItems":false,"children":[]}]', 1, '2026-12-03T00:00:00.000000000Z', '2026-12-03T00:00:00.000000000Z'),
    ('a77e57f1000000000000000000000002', 'Exclude disabled accounts', 'Leaves out disabled accounts and the access held through them.', 'Attest', NULL, 'EXCLUSION', '[{"type":"ACCOUNT","operation":"EQUALS","property":"disabled","value":"true","negateResult":false,"shortCircuit":false,"recordChildMatches":false,"id":null,"suppressMatchedItems":false,"children":[]}]', 1, '2026-12-03T00:00:00.000000000Z', '2026-12-03T00:00:00.000000000Z'),
    ('a77e57f1000000000000000000000003', 'Exclude inactive identities', 'Leaves out the access of identities that are not active (leavers).', 'Attest', NULL, 'EXCLUSION', '[{"type":"IDENTITY_ATTRIBUTE","operation":"EQUALS","property":"active","value":"false","negateResult":false,"shortCircuit":false,"recordChildMatches":false,"id":null,"suppressMatchedItems":false,"children":[]}]', 1, '2026-12-03T00:00:00.000000000Z', '2026-12-03T00:00:00.000000000Z');
