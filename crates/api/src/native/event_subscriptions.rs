//! `/api/v1/event-subscriptions`: webhook subscriptions to SailPoint's campaign and
//! certification event triggers, and each subscription's recent deliveries.
//!
//! Policy: ORG_ADMIN only (declared on the routes; the engine checks again). The signing
//! secret is write-only: it is accepted on create and replace and appears in no response.
//! See `docs/event-triggers.md`.

use std::collections::HashMap;

use attest_engine::triggers::{SubscriptionInput, SubscriptionView};
use attest_store::events::EventDelivery;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::sailpoint::parse_body;
use crate::AppState;

/// A subscription to create or replace.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventSubscriptionIn {
    /// A name for people (1 to 128 characters).
    pub name: Option<String>,
    /// Where deliveries are POSTed: an absolute `http` or `https` URL.
    pub url: Option<String>,
    /// The trigger ids to receive: `idn:campaign-generated`, `idn:campaign-activated`,
    /// `idn:campaign-ended`, `idn:certification-signed-off`.
    pub triggers: Option<Vec<String>>,
    /// The HMAC-SHA256 signing secret (16 to 512 characters). Required on create; on replace,
    /// omit it to keep the current one. Never returned.
    pub secret: Option<String>,
    /// Whether the subscription receives events (default true).
    pub enabled: Option<bool>,
}

impl std::fmt::Debug for EventSubscriptionIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSubscriptionIn")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("triggers", &self.triggers)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl EventSubscriptionIn {
    fn into_input(self) -> SubscriptionInput {
        SubscriptionInput {
            name: self.name,
            url: self.url,
            triggers: self.triggers,
            secret: self.secret,
            enabled: self.enabled,
        }
    }
}

/// A subscription, without its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventSubscriptionOut {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where deliveries are POSTed.
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

impl EventSubscriptionOut {
    fn of(view: SubscriptionView) -> Self {
        EventSubscriptionOut {
            id: view.id,
            name: view.name,
            url: view.url,
            triggers: view.triggers,
            enabled: view.enabled,
            created: view.created,
            modified: view.modified,
        }
    }
}

/// One event sent (or to be sent) to a subscription.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDeliveryOut {
    /// The delivery's id.
    pub id: String,
    /// The event's id.
    pub event_id: String,
    /// The trigger id.
    pub trigger: String,
    /// `PENDING`, `DELIVERED` or `FAILED`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer, if the receiver answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The idempotency key, the same on every attempt.
    pub idempotency_key: String,
    /// When the delivery was created.
    pub created: DateTime<Utc>,
}

impl EventDeliveryOut {
    fn of(d: &EventDelivery) -> Self {
        EventDeliveryOut {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            trigger: d.trigger_id.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            idempotency_key: attest_engine::triggers::idempotency_key(d),
            created: d.created,
        }
    }
}

/// Lists every subscription, oldest first.
pub async fn list_event_subscriptions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<Vec<EventSubscriptionOut>>, ApiError> {
    let list = state.campaigns.triggers().subscriptions(&caller).await?;
    Ok(Json(
        list.into_iter().map(EventSubscriptionOut::of).collect(),
    ))
}

/// Creates a subscription: 201 with it (without its secret).
pub async fn create_event_subscription(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<EventSubscriptionOut>), ApiError> {
    let input: EventSubscriptionIn = parse_body(&body)?;
    let created = state
        .campaigns
        .triggers()
        .create(&caller, input.into_input())
        .await?;
    Ok((StatusCode::CREATED, Json(EventSubscriptionOut::of(created))))
}

/// Reads one subscription.
pub async fn get_event_subscription(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<EventSubscriptionOut>, ApiError> {
    let view = state
        .campaigns
        .triggers()
        .subscription(&caller, &id)
        .await?;
    Ok(Json(EventSubscriptionOut::of(view)))
}

/// Replaces a subscription (a missing `secret` keeps the current one).
pub async fn put_event_subscription(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<EventSubscriptionOut>, ApiError> {
    let input: EventSubscriptionIn = parse_body(&body)?;
    let view = state
        .campaigns
        .triggers()
        .replace(&caller, &id, input.into_input())
        .await?;
    Ok(Json(EventSubscriptionOut::of(view)))
}

/// Deletes a subscription and its deliveries: 204.
pub async fn delete_event_subscription(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.campaigns.triggers().delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a subscription's most recent deliveries, newest first (`limit` 1–250, default 50).
pub async fn list_event_deliveries(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Json<Vec<EventDeliveryOut>>, ApiError> {
    let params: HashMap<String, String> = crate::sailpoint::params::query_params(&uri)?;
    let limit = match params.get("limit") {
        None => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=250) => n,
            _ => {
                return Err(ApiError::BadRequest {
                    message: "The query parameters are invalid.".to_owned(),
                    causes: vec![format!(
                        "limit must be an integer from 1 to 250, got \"{text}\""
                    )],
                })
            }
        },
    };
    let deliveries = state
        .campaigns
        .triggers()
        .deliveries(&caller, &id, limit)
        .await?;
    Ok(Json(deliveries.iter().map(EventDeliveryOut::of).collect()))
}
