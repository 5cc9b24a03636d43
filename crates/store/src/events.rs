//! Storage for event triggers: subscriptions, the event outbox and per-subscription
//! deliveries.
//!
//! Policy:
//! - Events are never written by the engine directly. Each backend's migration puts a database
//!   trigger on `audit_events` that copies the four state changes Attest announces
//!   (`campaign.generated`, `campaign.activated`, `campaign.completed`,
//!   `certification.signed`) into `event_outbox`, so an event exists exactly when the change
//!   that it announces committed, in the same transaction, whichever code path wrote it.
//! - [`EventStore::fan_out_event`] turns one outbox row into one delivery per enabled
//!   subscription to its trigger, and marks the row dispatched, in one transaction; a row that
//!   another node dispatched first is left alone, so every subscription gets one delivery per
//!   event.
//! - Deliveries are claimed under a lease ([`EventStore::claim_delivery`]): on PostgreSQL with
//!   `FOR UPDATE SKIP LOCKED`, on SQLite on the single writer, so several nodes never send the
//!   same delivery at the same time; a delivery whose sender died is claimed again when its
//!   lease expires.
//! - Signing secrets are stored as given (HMAC needs the secret itself, so it cannot be hashed)
//!   and only [`EventStore::claim_delivery`] and [`EventStore::subscription`] read them back; the
//!   `Debug` form of a subscription never shows it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::StoreResult;

/// One webhook subscription.
#[derive(Clone, PartialEq, Eq)]
pub struct EventSubscription {
    /// Its id.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Where deliveries are POSTed (`http` or `https`).
    pub url: String,
    /// The trigger ids it receives (e.g. `idn:campaign-activated`), sorted, without repeats.
    pub triggers: Vec<String>,
    /// The HMAC-SHA256 signing secret. Never shown, never logged.
    pub secret: String,
    /// Whether it receives new events and its pending deliveries are sent.
    pub enabled: bool,
    /// Created.
    pub created: DateTime<Utc>,
    /// Last changed.
    pub modified: DateTime<Utc>,
}

impl std::fmt::Debug for EventSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSubscription")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("triggers", &self.triggers)
            .field("secret", &"<redacted>")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// An event of the outbox that has not yet been fanned out to subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// Its id (increasing in the order events were written, per backend).
    pub id: i64,
    /// The trigger id (`idn:campaign-generated`, ...).
    pub trigger_id: String,
    /// The campaign it is about.
    pub campaign_id: Option<String>,
    /// The certification it is about (sign-off).
    pub certification_id: Option<String>,
    /// When the change happened (the audit event's time).
    pub occurred: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (or for its subscription to be enabled again).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: a permanent failure, or the attempts ran out.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PENDING" => Some(DeliveryStatus::Pending),
            "DELIVERED" => Some(DeliveryStatus::Delivered),
            "FAILED" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One event sent (or to be sent) to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDelivery {
    /// Its id; the `Idempotency-Key` is derived from it.
    pub id: i64,
    /// The subscription.
    pub subscription_id: String,
    /// The outbox event.
    pub event_id: i64,
    /// The trigger id.
    pub trigger_id: String,
    /// The JSON body, rendered once when the event was fanned out and sent as is each time.
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts started so far (counted when claimed).
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i32>,
    /// Created (when the event was fanned out).
    pub created: DateTime<Utc>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery claimed for one attempt, with what sending it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The delivery (its `attempts` already counts this attempt).
    pub delivery: EventDelivery,
    /// The subscription's URL.
    pub url: String,
    /// The subscription's signing secret.
    pub secret: String,
}

/// What an attempt came to, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryResult {
    /// The new status.
    pub status: DeliveryStatus,
    /// When to try again (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// The HTTP status, if the receiver answered.
    pub http_status: Option<i32>,
    /// When the attempt ended.
    pub at: DateTime<Utc>,
}

/// Subscriptions, the event outbox and deliveries.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Stores a new subscription.
    async fn insert_subscription(&self, subscription: &EventSubscription) -> StoreResult<()>;

    /// Every subscription, oldest first.
    async fn subscriptions(&self) -> StoreResult<Vec<EventSubscription>>;

    /// One subscription.
    async fn subscription(&self, id: &str) -> StoreResult<Option<EventSubscription>>;

    /// Replaces a subscription's name, URL, triggers, secret, enabled flag and `modified`;
    /// false when it does not exist.
    async fn update_subscription(&self, subscription: &EventSubscription) -> StoreResult<bool>;

    /// Deletes a subscription and its deliveries; false when it did not exist.
    async fn delete_subscription(&self, id: &str) -> StoreResult<bool>;

    /// Up to `limit` outbox events not yet fanned out, oldest first.
    async fn pending_events(&self, limit: u32) -> StoreResult<Vec<PendingEvent>>;

    /// In one transaction: marks event `event_id` dispatched and, when `body` is given, creates
    /// one PENDING delivery of it, due at `at`, for every enabled subscription to its trigger.
    /// Returns how many deliveries were created; `None` when the event was already dispatched
    /// (by another node), in which case nothing is written.
    async fn fan_out_event(
        &self,
        event_id: i64,
        body: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<u64>>;

    /// Claims the PENDING delivery of an enabled subscription that has been due longest and is
    /// not leased to anyone (or whose lease expired), counts the attempt and leases it to
    /// `worker` until `lease_until`.
    async fn claim_delivery(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedDelivery>>;

    /// Records the outcome of an attempt and releases the lease; false (and nothing written)
    /// when `worker` no longer holds the lease.
    async fn finish_delivery(
        &self,
        id: i64,
        worker: &str,
        result: &DeliveryResult,
    ) -> StoreResult<bool>;

    /// The most recent `limit` deliveries of a subscription, newest first.
    async fn deliveries(
        &self,
        subscription_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<EventDelivery>>;
}
