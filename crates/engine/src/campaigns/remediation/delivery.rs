//! Delivery of released orders to WEBHOOK and SCIM sinks, and the remediation scans, run by
//! the task worker between tasks.
//!
//! Policy:
//! - One attempt per claim: the store leases the order to this worker for
//!   [`ORDER_LEASE_SECONDS`] and counts the attempt; the outcome is recorded by compare-and-set
//!   (only while this worker holds the lease and the order is still PENDING). A worker that
//!   dies mid-attempt leaves the order to be claimed again when the lease runs out, with the
//!   same idempotency key (the order id), so a receiver can drop the repeat.
//! - What an answer means is the shared webhook module's rule ([`webhook::classify`]): 2xx is
//!   SENT; 408, 429, 5xx and transport failures are retried with its exponential backoff
//!   ([`webhook::RetryPolicy`], honouring `Retry-After`); any other answer fails the order at
//!   once with the reason. When the attempts are used up the order fails with the last reason.
//! - Retry times are stored with the order, so a restart resumes the schedule.
//! - Secrets never reach a log or a stored reason: reasons name statuses and kinds of failure.

use std::sync::Arc;

use attest_domain::certification::ProvisioningOrder;
use attest_domain::remediation::{DeliveryOutcome, SinkTarget};
use attest_store::remediation::ClaimedOrder;
use attest_store::StoreResult;
use chrono::Duration;
use serde_json::json;

use super::scim;
use crate::campaigns::Campaigns;
use crate::webhook;

/// How long a claimed order is reserved for the worker delivering it, in seconds: well above
/// one attempt's timeout.
pub const ORDER_LEASE_SECONDS: i64 = 120;

/// How long a claimed scan is reserved for its worker, in seconds.
pub const SCAN_LEASE_SECONDS: i64 = 600;

/// How long a scan that failed on storage waits before it is tried again, in seconds.
const SCAN_RETRY_SECONDS: i64 = 60;

/// The most delivery attempts one call of [`run_due`] makes, so that certification tasks
/// are not kept waiting behind a long queue of orders.
const ATTEMPTS_PER_ROUND: usize = 50;

/// The event name sent in the `Attest-Event` header of remediation webhooks.
pub const WEBHOOK_EVENT: &str = "remediation.order";

/// The HTTP clients delivery uses, built once per engine (connection pools, TLS roots).
#[derive(Debug)]
pub(crate) struct Clients {
    sender: webhook::Sender,
    scim: reqwest::Client,
}

impl Clients {
    fn build(engine: &Campaigns) -> Result<Self, String> {
        let sender = webhook::Sender::new(engine.clock.clone(), webhook::DEFAULT_TIMEOUT)
            .map_err(|e| e.to_string())?;
        let scim = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(webhook::DEFAULT_TIMEOUT)
            .timeout(webhook::DEFAULT_TIMEOUT)
            .user_agent(concat!("Attest-SCIM/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("could not build the SCIM HTTP client: {e}"))?;
        Ok(Clients { sender, scim })
    }
}

/// The lazily built clients of an engine.
pub(crate) type ClientCell = Arc<std::sync::OnceLock<Result<Clients, String>>>;

/// Runs due scans, then up to [`ATTEMPTS_PER_ROUND`] delivery attempts; returns how many ran.
pub(crate) async fn run_due(engine: &Campaigns, worker: &str) -> StoreResult<usize> {
    let store = engine.store.as_ref();
    let mut ran = 0;
    loop {
        let now = engine.clock.now();
        let lease = now + Duration::seconds(SCAN_LEASE_SECONDS);
        let Some(campaign) = store.claim_remediation_scan(worker, now, lease).await? else {
            break;
        };
        ran += 1;
        match store
            .run_remediation_scan(&campaign, worker, engine.clock.now())
            .await
        {
            Ok(Some(outcome)) => tracing::info!(
                campaign = %campaign,
                verified = outcome.verified,
                still_present = outcome.still_present,
                held = outcome.held,
                "remediation scan finished"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(campaign = %campaign, error = %e, "remediation scan failed; retrying");
                let retry = engine.clock.now() + Duration::seconds(SCAN_RETRY_SECONDS);
                store
                    .retry_remediation_scan(
                        &campaign,
                        worker,
                        "storage failed (see the server log); retrying",
                        retry,
                    )
                    .await?;
            }
        }
    }
    let clients = match engine.remediation.get_or_init(|| Clients::build(engine)) {
        Ok(clients) => clients,
        Err(e) => {
            tracing::error!(error = %e, "remediation delivery is unavailable");
            return Ok(ran);
        }
    };
    for _ in 0..ATTEMPTS_PER_ROUND {
        let now = engine.clock.now();
        let lease = now + Duration::seconds(ORDER_LEASE_SECONDS);
        let Some(claimed) = store.claim_order(worker, now, lease).await? else {
            break;
        };
        ran += 1;
        let outcome = attempt(engine, clients, &claimed).await;
        let order = &claimed.order.order;
        match &outcome {
            DeliveryOutcome::Sent => {
                tracing::info!(order = %order.id, sink = %claimed.sink.target.kind(), "provisioning order sent")
            }
            DeliveryOutcome::Failed(reason) => {
                tracing::warn!(order = %order.id, sink = %claimed.sink.target.kind(), %reason, "provisioning order failed")
            }
            DeliveryOutcome::Retry { error, retry_at } => {
                tracing::info!(order = %order.id, sink = %claimed.sink.target.kind(), %error, %retry_at, "provisioning order attempt failed; retrying")
            }
        }
        let recorded = store
            .record_delivery(
                &order.id,
                worker,
                &outcome,
                claimed.sink.target.kind(),
                engine.clock.now(),
            )
            .await?;
        if !recorded {
            tracing::warn!(order = %order.id, "a delivery outcome was not recorded: the order moved on or its lease was lost");
        }
    }
    Ok(ran)
}

/// One attempt at delivering a claimed order, as the outcome to record.
async fn attempt(engine: &Campaigns, clients: &Clients, claimed: &ClaimedOrder) -> DeliveryOutcome {
    let order = &claimed.order.order;
    let outcome = match &claimed.sink.target {
        SinkTarget::Webhook { url, secret } => {
            let body = webhook_body(order, claimed.order.delivery.attempts);
            clients
                .sender
                .deliver(&webhook::Request {
                    url,
                    body: &body,
                    content_type: webhook::JSON_CONTENT_TYPE,
                    secret: secret.expose().as_bytes(),
                    idempotency_key: order.id.as_str(),
                    headers: &[("Attest-Event", WEBHOOK_EVENT)],
                })
                .await
        }
        SinkTarget::Scim { base_url, token } => {
            scim::deliver(engine, &clients.scim, base_url, token, order).await
        }
        // The store never hands out orders of manual sinks.
        SinkTarget::Manual => webhook::Outcome::Permanent {
            reason: "the source's sink is MANUAL".to_owned(),
            status: None,
        },
    };
    outcome_of(
        order,
        claimed.order.delivery.attempts,
        outcome,
        engine.clock.now(),
    )
}

/// What an attempt's answer means for the order: the shared policy's schedule decides whether
/// and when a retryable failure is tried again.
pub(crate) fn outcome_of(
    order: &ProvisioningOrder,
    attempts: i32,
    outcome: webhook::Outcome,
    now: chrono::DateTime<chrono::Utc>,
) -> DeliveryOutcome {
    match outcome {
        webhook::Outcome::Delivered { .. } => DeliveryOutcome::Sent,
        webhook::Outcome::Permanent { reason, .. } => DeliveryOutcome::Failed(reason),
        webhook::Outcome::Retryable {
            reason,
            retry_after,
            ..
        } => {
            let attempts = u32::try_from(attempts.max(1)).unwrap_or(1);
            match webhook::RetryPolicy::default().next_attempt_at(
                order.id.as_str(),
                attempts,
                now,
                retry_after,
            ) {
                Some(retry_at) => DeliveryOutcome::Retry {
                    error: reason,
                    retry_at,
                },
                None => DeliveryOutcome::Failed(format!(
                    "gave up after {attempts} attempts; the last one failed: {reason}"
                )),
            }
        }
    }
}

/// The JSON body of a remediation webhook: the order, what to revoke from whom, and the
/// attempt number.
pub fn webhook_body(order: &ProvisioningOrder, attempt: i32) -> Vec<u8> {
    let body = json!({
        "event": WEBHOOK_EVENT,
        "orderId": order.id.as_str(),
        "attempt": attempt,
        "action": order.decision.as_str(),
        "campaignId": order.campaign_id.as_str(),
        "certificationId": order.certification_id.as_str(),
        "itemId": order.item_id.to_string(),
        "identityId": order.identity_id.as_ref().map(|i| i.as_str()),
        "accountId": order.account_id.as_ref().map(|a| a.as_str()),
        "roleId": order.role_id.as_ref().map(|r| r.as_str()),
        "holderName": order.holder_name,
        "accessType": order.access_type.as_str(),
        "accessId": order.access_id,
        "accessName": order.access_name,
        "sourceId": order.source_id.as_ref().map(|s| s.as_str()),
        "reason": order.reason,
        "reviewerId": order.reviewer.as_ref().map(|r| r.as_str()),
        "due": order.due.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "created": order.created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    serde_json::to_vec(&body).unwrap_or_default()
}
