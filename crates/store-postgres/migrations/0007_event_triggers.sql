-- Event triggers: webhook subscriptions, the event outbox and deliveries.
--
-- The outbox is filled by a trigger on audit_events: the four state changes that Attest
-- announces already append their audit event in the transaction that makes the change, so the
-- event is written if and only if that change commits.

CREATE TABLE event_subscriptions (
    id       TEXT COLLATE "C" PRIMARY KEY,
    name     TEXT NOT NULL,
    url      TEXT NOT NULL,
    -- The HMAC signing secret, as given: signing needs the secret itself. Never returned by
    -- the API; protect the database as you protect the token signing key (server_keys).
    secret   TEXT NOT NULL,
    enabled  BOOLEAN NOT NULL,
    created  TIMESTAMPTZ NOT NULL,
    modified TIMESTAMPTZ NOT NULL
);

CREATE TABLE event_subscription_triggers (
    subscription_id TEXT COLLATE "C" NOT NULL REFERENCES event_subscriptions (id) ON DELETE CASCADE,
    trigger_id      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription_id, trigger_id)
);
CREATE INDEX event_subscription_triggers_trigger ON event_subscription_triggers (trigger_id);

CREATE TABLE event_outbox (
    id               BIGSERIAL PRIMARY KEY,
    trigger_id       TEXT COLLATE "C" NOT NULL,
    campaign_id      TEXT COLLATE "C",
    certification_id TEXT COLLATE "C",
    occurred         TIMESTAMPTZ NOT NULL,
    dispatched_at    TIMESTAMPTZ
);
CREATE INDEX event_outbox_pending ON event_outbox (id) WHERE dispatched_at IS NULL;

CREATE FUNCTION audit_events_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_outbox (trigger_id, campaign_id, certification_id, occurred)
    VALUES (CASE NEW.action
                WHEN 'campaign.generated' THEN 'idn:campaign-generated'
                WHEN 'campaign.activated' THEN 'idn:campaign-activated'
                WHEN 'campaign.completed' THEN 'idn:campaign-ended'
                ELSE 'idn:certification-signed-off'
            END,
            NEW.campaign_id, NEW.certification_id, NEW.at);
    RETURN NULL;
END;
$$;

CREATE TRIGGER audit_events_announce AFTER INSERT ON audit_events
FOR EACH ROW
WHEN (NEW.action IN ('campaign.generated', 'campaign.activated', 'campaign.completed',
                     'certification.signed'))
EXECUTE FUNCTION audit_events_announce();

CREATE TABLE event_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id TEXT COLLATE "C" NOT NULL REFERENCES event_subscriptions (id) ON DELETE CASCADE,
    event_id        BIGINT NOT NULL REFERENCES event_outbox (id),
    trigger_id      TEXT COLLATE "C" NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    last_status     INTEGER,
    last_attempt_at TIMESTAMPTZ,
    created         TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX event_deliveries_due ON event_deliveries (next_attempt_at, id) WHERE status = 'PENDING';
CREATE INDEX event_deliveries_subscription ON event_deliveries (subscription_id, id);
