//! Event triggers: webhook subscriptions to SailPoint's campaign and certification triggers,
//! and the delivery of their events as signed webhooks.
//!
//! Policy:
//! - The events are the four state changes SailPoint announces, with its trigger ids and its
//!   payloads (`idn/v2024/webhooks/` in the vendor spec): campaign generated (STAGED), activated
//!   (ACTIVE), ended (COMPLETED), certification signed off. They are written by the database
//!   itself, in the transaction of the change (see `attest_store::events`), so an event exists
//!   exactly when its change committed; the engine has no hook at the places changes happen.
//! - The worker turns each event into one delivery per enabled subscription to its trigger,
//!   rendering the payload once at that moment from the stored campaign or certification, then
//!   sends each delivery with [`crate::webhook`] (signed, with an `Idempotency-Key` that stays
//!   the same across attempts), retrying retryable failures with the module's backoff until
//!   [`RetryPolicy::max_attempts`](crate::webhook::RetryPolicy) is used up. Delivery state is in
//!   the database, so it survives restarts; deliveries are claimed under a lease, so several
//!   nodes never send the same one at once. Delivery is at least once: a node that dies after
//!   the receiver answered but before recording it sends the delivery again, with the same key.
//! - Managing subscriptions needs ORG_ADMIN: a subscription sends campaign data to any URL, so
//!   only the tenant administrator may point one somewhere (SailPoint likewise restricts its
//!   trigger subscriptions to administrators). Everyone else gets 403.
//! - Signing secrets are write-only: no view of a subscription carries them, and they are never
//!   logged. They are stored as given (HMAC needs the secret), so the database must be protected
//!   like the token signing key it also holds.

use std::sync::Arc;

use attest_domain::certification::{Campaign, CampaignId, Certification, CertificationId};
use attest_domain::{Authority, Clock, IdentityId};
use attest_store::events::{DeliveryResult, DeliveryStatus, EventDelivery, EventSubscription};
use attest_store::{Store, StoreError};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::campaigns::{EngineError, EngineResult};
use crate::credentials::Caller;
use crate::webhook::{self, Outcome, RetryPolicy, Sender};

/// The triggers Attest emits: SailPoint's trigger id and its name.
pub const TRIGGERS: [(&str, &str); 4] = [
    (CAMPAIGN_GENERATED, "Campaign Generated"),
    (CAMPAIGN_ACTIVATED, "Campaign Activated"),
    (CAMPAIGN_ENDED, "Campaign Ended"),
    (CERTIFICATION_SIGNED_OFF, "Certification Signed Off"),
];

/// A campaign finished generating and is STAGED.
pub const CAMPAIGN_GENERATED: &str = "idn:campaign-generated";
/// A campaign became ACTIVE.
pub const CAMPAIGN_ACTIVATED: &str = "idn:campaign-activated";
/// A campaign became COMPLETED.
pub const CAMPAIGN_ENDED: &str = "idn:campaign-ended";
/// A reviewer signed a certification off.
pub const CERTIFICATION_SIGNED_OFF: &str = "idn:certification-signed-off";

/// The header that names the trigger of a delivery.
pub const TRIGGER_HEADER: &str = "Attest-Trigger";

/// How long a claimed delivery is reserved for its sender, in seconds (well over the timeout).
pub const DELIVERY_LEASE_SECONDS: i64 = 60;

/// Most recent deliveries listed per subscription.
pub const MAX_DELIVERIES_LISTED: u32 = 250;

/// Shortest signing secret accepted, in characters.
pub const MIN_SECRET_LENGTH: usize = 16;

/// Longest signing secret accepted, in characters.
pub const MAX_SECRET_LENGTH: usize = 512;

/// Most subscriptions per trigger, as SailPoint allows ("a maximum of 50 subscriptions for this
/// trigger").
pub const MAX_SUBSCRIPTIONS_PER_TRIGGER: usize = 50;

/// Events fanned out, and deliveries sent, per round of the worker at most.
const ROUND: u32 = 50;

/// How long the delivery loop sleeps between rounds.
const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// A subscription as callers see it: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// The trigger ids it receives, sorted.
    pub triggers: Vec<String>,
    /// Whether it receives events.
    pub enabled: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last changed.
    pub modified: DateTime<Utc>,
}

impl SubscriptionView {
    fn of(s: &EventSubscription) -> Self {
        SubscriptionView {
            id: s.id.clone(),
            name: s.name.clone(),
            url: s.url.clone(),
            triggers: s.triggers.clone(),
            enabled: s.enabled,
            created: s.created,
            modified: s.modified,
        }
    }
}

/// What a caller sends to create or replace a subscription.
#[derive(Clone, Default)]
pub struct SubscriptionInput {
    /// Its name (1 to 128 characters).
    pub name: Option<String>,
    /// An absolute `http` or `https` URL.
    pub url: Option<String>,
    /// At least one trigger id of [`TRIGGERS`].
    pub triggers: Option<Vec<String>>,
    /// The signing secret: required on create; on replace, `None` keeps the current one.
    pub secret: Option<String>,
    /// Whether it receives events (default true).
    pub enabled: Option<bool>,
}

impl std::fmt::Debug for SubscriptionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionInput")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("triggers", &self.triggers)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// Subscriptions and event delivery. Cheap to clone.
#[derive(Clone)]
pub struct Triggers {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    sender: Option<Sender>,
    policy: RetryPolicy,
}

impl std::fmt::Debug for Triggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Triggers")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Triggers {
    /// Triggers over `store`, dated by `clock`, sending with the default timeout and retry
    /// policy. When the HTTP client cannot be built (no usable TLS trust store), this is logged
    /// and deliveries wait; subscriptions still work.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let sender = match Sender::new(clock.clone(), webhook::DEFAULT_TIMEOUT) {
            Ok(sender) => Some(sender),
            Err(e) => {
                tracing::error!(error = %e, "event deliveries are disabled");
                None
            }
        };
        Triggers {
            store,
            clock,
            sender,
            policy: RetryPolicy::default(),
        }
    }

    /// The retry policy deliveries follow.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    // ---- subscriptions (ORG_ADMIN) ----

    /// Every subscription, oldest first.
    pub async fn subscriptions(&self, caller: &Caller) -> EngineResult<Vec<SubscriptionView>> {
        require_admin(caller)?;
        Ok(self
            .store
            .subscriptions()
            .await?
            .iter()
            .map(SubscriptionView::of)
            .collect())
    }

    /// One subscription.
    pub async fn subscription(&self, caller: &Caller, id: &str) -> EngineResult<SubscriptionView> {
        require_admin(caller)?;
        Ok(SubscriptionView::of(&self.load(id).await?))
    }

    /// Validates and stores a new subscription.
    pub async fn create(
        &self,
        caller: &Caller,
        input: SubscriptionInput,
    ) -> EngineResult<SubscriptionView> {
        require_admin(caller)?;
        let now = self.clock.now();
        let valid = validate(input, None)?;
        self.check_room(None, &valid.triggers).await?;
        let subscription = EventSubscription {
            id: crate::campaigns::new_id(),
            name: valid.name,
            url: valid.url,
            triggers: valid.triggers,
            secret: valid.secret,
            enabled: valid.enabled,
            created: now,
            modified: now,
        };
        self.store.insert_subscription(&subscription).await?;
        tracing::info!(subscription = %subscription.id, url = %subscription.url, "event subscription created");
        Ok(SubscriptionView::of(&subscription))
    }

    /// Replaces a subscription's name, URL, triggers, enabled flag and (when given) secret.
    pub async fn replace(
        &self,
        caller: &Caller,
        id: &str,
        input: SubscriptionInput,
    ) -> EngineResult<SubscriptionView> {
        require_admin(caller)?;
        let current = self.load(id).await?;
        let valid = validate(input, Some(&current.secret))?;
        self.check_room(Some(id), &valid.triggers).await?;
        let subscription = EventSubscription {
            name: valid.name,
            url: valid.url,
            triggers: valid.triggers,
            secret: valid.secret,
            enabled: valid.enabled,
            modified: self.clock.now(),
            ..current
        };
        if !self.store.update_subscription(&subscription).await? {
            return Err(not_found(id));
        }
        Ok(SubscriptionView::of(&subscription))
    }

    /// Deletes a subscription and its deliveries.
    pub async fn delete(&self, caller: &Caller, id: &str) -> EngineResult<()> {
        require_admin(caller)?;
        if self.store.delete_subscription(id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// A subscription's most recent deliveries (at most `limit`, at most
    /// [`MAX_DELIVERIES_LISTED`]), newest first.
    pub async fn deliveries(
        &self,
        caller: &Caller,
        id: &str,
        limit: u32,
    ) -> EngineResult<Vec<EventDelivery>> {
        require_admin(caller)?;
        self.load(id).await?;
        Ok(self
            .store
            .deliveries(id, limit.min(MAX_DELIVERIES_LISTED))
            .await?)
    }

    /// Refuses `triggers` when one of them already has [`MAX_SUBSCRIPTIONS_PER_TRIGGER`]
    /// subscriptions other than `id`.
    async fn check_room(&self, id: Option<&str>, triggers: &[String]) -> EngineResult<()> {
        let causes = full_triggers(&self.store.subscriptions().await?, id, triggers);
        if causes.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Invalid {
                message: "the event subscription is invalid".to_owned(),
                causes,
            })
        }
    }

    async fn load(&self, id: &str) -> EngineResult<EventSubscription> {
        self.store
            .subscription(id)
            .await?
            .ok_or_else(|| not_found(id))
    }

    // ---- delivery (the worker) ----

    /// One round of the delivery worker: fans new events out to subscriptions, then sends the
    /// deliveries that are due (at most a round's worth of each). Returns how many attempts
    /// were made.
    pub async fn run_due(&self, worker: &str) -> Result<usize, StoreError> {
        for event in self.store.pending_events(ROUND).await? {
            let body = self.render(&event.trigger_id, &event).await?;
            let body = body.map(|b| b.to_string());
            let now = self.clock.now();
            match self
                .store
                .fan_out_event(event.id, body.as_deref(), now)
                .await?
            {
                Some(n) if n > 0 => {
                    tracing::debug!(event = event.id, trigger = %event.trigger_id, deliveries = n, "event fanned out")
                }
                Some(_) | None => {}
            }
        }
        let Some(sender) = &self.sender else {
            return Ok(0);
        };
        let mut attempts = 0;
        while attempts < ROUND as usize {
            let now = self.clock.now();
            let lease = now + Duration::seconds(DELIVERY_LEASE_SECONDS);
            let Some(claimed) = self.store.claim_delivery(worker, now, lease).await? else {
                break;
            };
            attempts += 1;
            let delivery = &claimed.delivery;
            let key = idempotency_key(delivery);
            let outcome = sender
                .deliver(&webhook::Request {
                    url: &claimed.url,
                    body: delivery.body.as_bytes(),
                    content_type: webhook::JSON_CONTENT_TYPE,
                    secret: claimed.secret.as_bytes(),
                    idempotency_key: &key,
                    headers: &[(TRIGGER_HEADER, &delivery.trigger_id)],
                })
                .await;
            let result = self.result_of(delivery, &key, &outcome);
            match result.status {
                DeliveryStatus::Delivered => {
                    tracing::debug!(delivery = delivery.id, "event delivered")
                }
                DeliveryStatus::Pending => {
                    tracing::info!(delivery = delivery.id, attempt = delivery.attempts, reason = ?result.error, "event delivery failed; will retry")
                }
                DeliveryStatus::Failed => {
                    tracing::warn!(delivery = delivery.id, attempt = delivery.attempts, reason = ?result.error, "event delivery failed for good")
                }
            }
            if !self
                .store
                .finish_delivery(delivery.id, worker, &result)
                .await?
            {
                tracing::warn!(delivery = delivery.id, "a delivery's lease expired before its outcome was recorded; it will be sent again");
            }
        }
        Ok(attempts)
    }

    /// Runs [`Triggers::run_due`] every second until `shutdown` completes.
    pub async fn run_worker(
        &self,
        worker: String,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) {
        tokio::pin!(shutdown);
        loop {
            let more = match self.run_due(&worker).await {
                Ok(n) => n >= ROUND as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "event delivery round failed");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
        }
    }

    fn result_of(&self, delivery: &EventDelivery, key: &str, outcome: &Outcome) -> DeliveryResult {
        let at = self.clock.now();
        let http_status = outcome.status().map(i32::from);
        match outcome {
            Outcome::Delivered { .. } => DeliveryResult {
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
                error: None,
                http_status,
                at,
            },
            Outcome::Retryable {
                reason,
                retry_after,
                ..
            } => {
                let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
                match self.policy.next_attempt_at(key, attempts, at, *retry_after) {
                    Some(next) => DeliveryResult {
                        status: DeliveryStatus::Pending,
                        next_attempt_at: Some(next),
                        error: Some(reason.clone()),
                        http_status,
                        at,
                    },
                    None => DeliveryResult {
                        status: DeliveryStatus::Failed,
                        next_attempt_at: None,
                        error: Some(format!(
                            "{reason} (gave up after {} attempts)",
                            delivery.attempts
                        )),
                        http_status,
                        at,
                    },
                }
            }
            Outcome::Permanent { reason, .. } => DeliveryResult {
                status: DeliveryStatus::Failed,
                next_attempt_at: None,
                error: Some(reason.clone()),
                http_status,
                at,
            },
        }
    }

    /// The payload of an event, or `None` when what it is about no longer exists.
    async fn render(
        &self,
        trigger: &str,
        event: &attest_store::events::PendingEvent,
    ) -> Result<Option<Value>, StoreError> {
        let status = match trigger {
            CAMPAIGN_GENERATED => "STAGED",
            CAMPAIGN_ACTIVATED => "ACTIVE",
            CAMPAIGN_ENDED => "COMPLETED",
            CERTIFICATION_SIGNED_OFF => {
                let Some(id) = &event.certification_id else {
                    return Ok(None);
                };
                let id = CertificationId(id.clone());
                let Some(certification) = self.store.certification(&id).await? else {
                    return Ok(None);
                };
                let campaign = self.store.campaign(&certification.campaign_id).await?;
                return Ok(Some(
                    self.certification_payload(&certification, campaign.as_ref())
                        .await?,
                ));
            }
            _ => return Ok(None),
        };
        let Some(id) = &event.campaign_id else {
            return Ok(None);
        };
        let Some(campaign) = self.store.campaign(&CampaignId(id.clone())).await? else {
            return Ok(None);
        };
        Ok(Some(
            json!({ "campaign": self.campaign_payload(&campaign, status).await? }),
        ))
    }

    async fn campaign_payload(
        &self,
        campaign: &Campaign,
        status: &str,
    ) -> Result<Value, StoreError> {
        let definition = &campaign.definition;
        Ok(json!({
            "id": campaign.id.0,
            "name": definition.name,
            "description": definition.description.clone().unwrap_or_default(),
            "created": time(campaign.created),
            "modified": time(campaign.modified),
            "deadline": definition.deadline.map(time),
            "type": definition.scope.campaign_type().as_str(),
            "campaignOwner": self.owner(&campaign.owner).await?,
            "status": status,
        }))
    }

    async fn owner(&self, id: &IdentityId) -> Result<Value, StoreError> {
        let identity = self.store.identity(id).await?;
        Ok(match identity {
            Some(i) => json!({
                "id": i.id.0,
                "displayName": i.display_name.clone().unwrap_or_else(|| i.name.clone()),
                "email": i.email,
            }),
            None => json!({ "id": id.0, "displayName": id.0, "email": null }),
        })
    }

    /// SailPoint's `CertificationDto` with `id`, `name`, `created` and `modified`.
    async fn certification_payload(
        &self,
        c: &Certification,
        campaign: Option<&Campaign>,
    ) -> Result<Value, StoreError> {
        let made = c.counts.items_decided();
        let total = c.counts.items_total();
        let (description, correlated, comments) = match campaign {
            Some(campaign) => (
                campaign.definition.description.clone(),
                match &campaign.definition.scope {
                    attest_domain::certification::CampaignScope::SourceOwner {
                        correlated, ..
                    } => correlated.as_str(),
                    _ => "CORRELATED",
                },
                campaign.definition.mandatory_comment_requirement.as_str(),
            ),
            None => (None, "CORRELATED", "NO_DECISIONS"),
        };
        let owner = match campaign {
            Some(campaign) => self.owner(&campaign.owner).await?,
            None => Value::Null,
        };
        let reassignment = c.reassignment.as_ref().map(|r| {
            json!({
                "from": {
                    "id": r.from_certification.0,
                    "name": r.from_certification.0,
                    "type": "CERTIFICATION",
                    "reviewer": { "id": r.from_reviewer.0, "type": "IDENTITY" },
                },
                "comment": r.comment,
            })
        });
        Ok(json!({
            "certification": {
                "id": c.id.0,
                "name": c.name,
                "created": time(c.created),
                "modified": time(c.modified),
                "campaignRef": {
                    "id": c.campaign_id.0,
                    "name": c.campaign_name,
                    "type": "CAMPAIGN",
                    "campaignType": c.campaign_type.as_str(),
                    "description": description,
                    "correlatedStatus": correlated,
                    "mandatoryCommentRequirement": comments,
                },
                "phase": c.phase.as_str(),
                "due": c.due.map(time),
                "signed": c.signed.map(time),
                "reviewer": {
                    "id": c.reviewer.0,
                    "name": c.reviewer_name,
                    "email": c.reviewer_email,
                    "type": if c.reviewer_group.is_some() { "GOVERNANCE_GROUP" } else { "IDENTITY" },
                },
                "reassignment": reassignment,
                "hasErrors": false,
                "errorMessage": null,
                "completed": made >= total,
                "decisionsMade": made,
                "decisionsTotal": total,
                "entitiesCompleted": c.counts.identities_completed,
                "entitiesTotal": c.counts.identities_total,
                "campaignOwner": owner,
            }
        }))
    }
}

/// The `Idempotency-Key` of a delivery: the same on every attempt.
pub fn idempotency_key(delivery: &EventDelivery) -> String {
    format!(
        "attest-event-{}-{}",
        delivery.event_id, delivery.subscription_id
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn require_admin(caller: &Caller) -> EngineResult<()> {
    if caller.has(Authority::OrgAdmin) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "managing event trigger subscriptions needs the ORG_ADMIN authority".to_owned(),
        ))
    }
}

fn not_found(id: &str) -> EngineError {
    EngineError::NotFound(format!("event subscription {id} does not exist"))
}

/// One cause per trigger of `triggers` that subscriptions other than `id` already fill.
fn full_triggers(
    existing: &[EventSubscription],
    id: Option<&str>,
    triggers: &[String],
) -> Vec<String> {
    triggers
        .iter()
        .filter(|trigger| {
            existing
                .iter()
                .filter(|s| Some(s.id.as_str()) != id && s.triggers.contains(trigger))
                .count()
                >= MAX_SUBSCRIPTIONS_PER_TRIGGER
        })
        .map(|trigger| {
            format!(
                "triggers: \"{trigger}\" already has {MAX_SUBSCRIPTIONS_PER_TRIGGER} subscriptions, the most allowed"
            )
        })
        .collect()
}

struct Valid {
    name: String,
    url: String,
    triggers: Vec<String>,
    secret: String,
    enabled: bool,
}

/// Checks every field and reports every problem at once, naming the field.
fn validate(input: SubscriptionInput, current_secret: Option<&str>) -> EngineResult<Valid> {
    let mut causes = Vec::new();
    let name = match input.name.as_deref().map(str::trim) {
        None | Some("") => {
            causes.push("name is required".to_owned());
            String::new()
        }
        Some(name) if name.chars().count() > 128 => {
            causes.push("name must be at most 128 characters".to_owned());
            String::new()
        }
        Some(name) => name.to_owned(),
    };
    let url = match input.url.as_deref().map(str::trim) {
        None | Some("") => {
            causes.push("url is required".to_owned());
            String::new()
        }
        Some(url) => match check_url(url) {
            Ok(()) => url.to_owned(),
            Err(why) => {
                causes.push(format!("url {why}"));
                String::new()
            }
        },
    };
    let mut triggers = Vec::new();
    match input.triggers {
        None => causes.push("triggers is required".to_owned()),
        Some(list) if list.is_empty() => {
            causes.push("triggers must name at least one trigger".to_owned())
        }
        Some(list) => {
            for trigger in list {
                if TRIGGERS.iter().any(|(id, _)| *id == trigger) {
                    triggers.push(trigger);
                } else {
                    let known: Vec<&str> = TRIGGERS.iter().map(|(id, _)| *id).collect();
                    causes.push(format!(
                        "triggers: \"{trigger}\" is not a trigger; use one of {}",
                        known.join(", ")
                    ));
                }
            }
        }
    }
    triggers.sort();
    triggers.dedup();
    let secret = match (input.secret, current_secret) {
        (Some(secret), _) => {
            let length = secret.chars().count();
            if !(MIN_SECRET_LENGTH..=MAX_SECRET_LENGTH).contains(&length) {
                causes.push(format!(
                    "secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
                ));
            } else if secret.chars().any(char::is_control) {
                causes.push("secret must not contain control characters".to_owned());
            }
            secret
        }
        (None, Some(current)) => current.to_owned(),
        (None, None) => {
            causes.push("secret is required".to_owned());
            String::new()
        }
    };
    if !causes.is_empty() {
        return Err(EngineError::Invalid {
            message: "the event subscription is invalid".to_owned(),
            causes,
        });
    }
    Ok(Valid {
        name,
        url,
        triggers,
        secret,
        enabled: input.enabled.unwrap_or(true),
    })
}

/// An absolute `http` or `https` URL with a host and no credentials or fragment.
fn check_url(text: &str) -> Result<(), &'static str> {
    let url = reqwest::Url::parse(text).map_err(|_| "must be an absolute http or https URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must use http or https");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials (the signature authenticates Attest)");
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SubscriptionInput {
        SubscriptionInput {
            name: Some("hook".into()),
            url: Some("https://hooks.example.com/attest".into()),
            triggers: Some(vec![
                CAMPAIGN_ENDED.into(),
                CAMPAIGN_ACTIVATED.into(),
                CAMPAIGN_ENDED.into(),
            ]),
            secret: Some("0123456789abcdef".into()),
            enabled: None,
        }
    }

    #[test]
    fn validation_names_each_bad_field() {
        let valid = validate(input(), None).unwrap();
        assert_eq!(valid.triggers, [CAMPAIGN_ACTIVATED, CAMPAIGN_ENDED]);
        assert!(valid.enabled);
        let bad = SubscriptionInput {
            name: Some(" ".into()),
            url: Some("ftp://x".into()),
            triggers: Some(vec!["idn:access-request-submitted".into()]),
            secret: Some("short".into()),
            enabled: None,
        };
        let Err(EngineError::Invalid { causes, .. }) = validate(bad, None) else {
            panic!("accepted");
        };
        assert_eq!(causes.len(), 4, "{causes:?}");
        assert!(causes[0].starts_with("name"));
        assert!(causes[1].starts_with("url"));
        assert!(causes[2].starts_with("triggers"));
        assert!(causes[3].starts_with("secret"));
        for url in [
            "not a url",
            "https://user:pw@example.com/",
            "mailto:a@b.c",
            "http://x/#f",
        ] {
            assert!(check_url(url).is_err(), "{url}");
        }
        assert!(check_url("http://127.0.0.1:8080/hook?x=1").is_ok());
        // Replacing without a secret keeps the current one; creating needs one.
        let keep = SubscriptionInput {
            secret: None,
            ..input()
        };
        assert_eq!(
            validate(keep.clone(), Some("kept-secret")).unwrap().secret,
            "kept-secret"
        );
        assert!(validate(keep, None).is_err());
    }

    #[test]
    fn a_trigger_takes_at_most_fifty_subscriptions() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let existing: Vec<EventSubscription> = (0..MAX_SUBSCRIPTIONS_PER_TRIGGER)
            .map(|i| EventSubscription {
                id: format!("s{i}"),
                name: "n".into(),
                url: "https://example.com/".into(),
                triggers: vec![CAMPAIGN_ENDED.into()],
                secret: "0123456789abcdef".into(),
                enabled: i % 2 == 0,
                created: now,
                modified: now,
            })
            .collect();
        let ended = [CAMPAIGN_ENDED.to_owned()];
        let causes = full_triggers(&existing, None, &ended);
        assert_eq!(causes.len(), 1);
        assert!(causes[0].starts_with("triggers: \"idn:campaign-ended\""));
        // A subscription already counted may be replaced; other triggers have room.
        assert!(full_triggers(&existing, Some("s3"), &ended).is_empty());
        assert!(full_triggers(&existing[1..], None, &ended).is_empty());
        assert!(full_triggers(&existing, None, &[CAMPAIGN_ACTIVATED.to_owned()]).is_empty());
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        assert!(!format!("{:?}", input()).contains("0123456789abcdef"));
    }
}
