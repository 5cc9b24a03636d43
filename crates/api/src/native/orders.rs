//! `GET /api/v1/provisioning-orders`: the revocations that sign-off and completion produced,
//! for whoever carries them out (a script, a ticketing bridge), newest first, each with its
//! delivery state (released, sink, attempts, last error, sent / done / scanned times).

use std::collections::HashMap;

use attest_domain::certification::{CampaignId, OrderStatus};
use attest_domain::remediation::{RemediationOrder, SinkKind};
use attest_domain::SourceId;
use attest_query::Paging;
use attest_store::remediation::RemediationOrderQuery;
use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::AppState;

/// One provisioning order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningOrderOut {
    /// The order id.
    pub id: String,
    /// The campaign whose decision made it.
    pub campaign_id: String,
    /// The certification.
    pub certification_id: String,
    /// The revoked review item (decimal string, as the SailPoint API shows item ids).
    pub item_id: String,
    /// The holder identity, when an identity holds the access.
    pub identity_id: Option<String>,
    /// The account through which the access is held, or the account itself.
    pub account_id: Option<String>,
    /// The role, for role-composition revocations.
    pub role_id: Option<String>,
    /// The holder's name.
    pub holder_name: String,
    /// `ENTITLEMENT`, `ACCESS_PROFILE`, `ROLE` or `ACCOUNT`.
    pub access_type: String,
    /// The access item's id.
    pub access_id: String,
    /// The access item's name.
    pub access_name: String,
    /// The source holding the access.
    pub source_id: Option<String>,
    /// The reviewer's comment, or why it was revoked automatically.
    pub reason: Option<String>,
    /// Always `REVOKE`.
    pub decision: String,
    /// Who decided (`null` for automatic revocations at completion).
    pub reviewer_id: Option<String>,
    /// When the access should be gone.
    pub due: DateTime<Utc>,
    /// `PENDING` (held, or released and not yet sent), `SENT`, `FAILED` (see `lastError`),
    /// `DONE`, `VERIFIED` (a remediation scan found the access gone) or `STILL_PRESENT` (a
    /// scan found it still there).
    pub status: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Whether an administrator has released it (applied the campaign's decisions).
    pub released: bool,
    /// When it was released.
    pub released_at: Option<DateTime<Utc>>,
    /// Who released it.
    pub released_by: Option<String>,
    /// The sink its source has now: `WEBHOOK`, `SCIM` or `MANUAL` (the default).
    pub sink: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed (the reason of a `FAILED` order).
    pub last_error: Option<String>,
    /// When the next delivery attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the sink accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When a person marked it done.
    pub done_at: Option<DateTime<Utc>>,
    /// Who marked it done.
    pub done_by: Option<String>,
    /// When a remediation scan last checked it against the warehouse.
    pub scanned_at: Option<DateTime<Utc>>,
}

impl ProvisioningOrderOut {
    /// The wire form of an order with its delivery state.
    pub fn of(remediation: &RemediationOrder) -> Self {
        let order = &remediation.order;
        let delivery = &remediation.delivery;
        ProvisioningOrderOut {
            id: order.id.0.clone(),
            campaign_id: order.campaign_id.0.clone(),
            certification_id: order.certification_id.0.clone(),
            item_id: order.item_id.to_string(),
            identity_id: order.identity_id.as_ref().map(|i| i.0.clone()),
            account_id: order.account_id.as_ref().map(|a| a.0.clone()),
            role_id: order.role_id.as_ref().map(|r| r.0.clone()),
            holder_name: order.holder_name.clone(),
            access_type: order.access_type.as_str().to_owned(),
            access_id: order.access_id.clone(),
            access_name: order.access_name.clone(),
            source_id: order.source_id.as_ref().map(|s| s.0.clone()),
            reason: order.reason.clone(),
            decision: order.decision.as_str().to_owned(),
            reviewer_id: order.reviewer.as_ref().map(|r| r.0.clone()),
            due: order.due,
            status: order.status.as_str().to_owned(),
            created: order.created,
            released: delivery.released_at.is_some(),
            released_at: delivery.released_at,
            released_by: delivery.released_by.as_ref().map(|i| i.0.clone()),
            sink: delivery
                .sink
                .unwrap_or(SinkKind::Manual)
                .as_str()
                .to_owned(),
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
            next_attempt_at: delivery.next_attempt_at,
            sent_at: delivery.sent_at,
            done_at: delivery.done_at,
            done_by: delivery.done_by.as_ref().map(|i| i.0.clone()),
            scanned_at: delivery.scanned_at,
        }
    }
}

/// Reads `campaignId`, `status`, `sourceId`, `released` (`true`/`false`), `sink`, `limit`
/// (0–250, default 250) and `offset`, reporting every bad parameter at once.
pub fn order_query(params: &HashMap<String, String>) -> Result<RemediationOrderQuery, ApiError> {
    let mut causes = Vec::new();
    let paging = match Paging::parse(
        params.get("limit").map(String::as_str),
        params.get("offset").map(String::as_str),
        None,
    ) {
        Ok(paging) => paging,
        Err(errors) => {
            causes.extend(errors.iter().map(ToString::to_string));
            Paging::default()
        }
    };
    let status = match params.get("status") {
        None => None,
        Some(text) => match text.parse::<OrderStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                let allowed: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                causes.push(format!(
                    "status must be one of {}, got \"{text}\"",
                    allowed.join(", ")
                ));
                None
            }
        },
    };
    let campaign_id = match params.get("campaignId").map(|s| s.trim()) {
        Some("") => {
            causes.push("campaignId must not be empty".to_owned());
            None
        }
        other => other.map(CampaignId::from),
    };
    let source_id = match params.get("sourceId").map(|s| s.trim()) {
        Some("") => {
            causes.push("sourceId must not be empty".to_owned());
            None
        }
        other => other.map(SourceId::from),
    };
    let released = match params.get("released").map(String::as_str) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            causes.push(format!("released must be true or false, got \"{other}\""));
            None
        }
    };
    let sink = match params.get("sink") {
        None => None,
        Some(text) => match text.parse::<SinkKind>() {
            Ok(sink) => Some(sink),
            Err(_) => {
                causes.push(format!(
                    "sink must be one of WEBHOOK, SCIM, MANUAL, got \"{text}\""
                ));
                None
            }
        },
    };
    if !causes.is_empty() {
        return Err(ApiError::BadRequest {
            message: "The query parameters are invalid.".to_owned(),
            causes,
        });
    }
    Ok(RemediationOrderQuery {
        campaign_id,
        status,
        source_id,
        released,
        sink,
        limit: paging.limit,
        offset: paging.offset,
    })
}

/// Lists provisioning orders, newest first. Requires ORG_ADMIN or CERT_ADMIN (declared on the
/// route; the engine checks again).
pub async fn list_provisioning_orders(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<Json<Vec<ProvisioningOrderOut>>, ApiError> {
    let params = crate::sailpoint::params::query_params(&uri)?;
    let query = order_query(&params)?;
    let page = state.campaigns.remediation_orders(&caller, &query).await?;
    Ok(Json(
        page.items.iter().map(ProvisioningOrderOut::of).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parameters_are_read_and_checked() {
        let query = order_query(&params(&[
            ("campaignId", "c1"),
            ("status", "PENDING"),
            ("limit", "10"),
            ("offset", "20"),
            ("sourceId", "ledger"),
            ("released", "true"),
            ("sink", "SCIM"),
        ]))
        .unwrap();
        assert_eq!(query.source_id, Some(SourceId::from("ledger")));
        assert_eq!(query.released, Some(true));
        assert_eq!(query.sink, Some(SinkKind::Scim));
        assert_eq!(query.campaign_id, Some(CampaignId::from("c1")));
        assert_eq!(query.status, Some(OrderStatus::Pending));
        assert_eq!((query.limit, query.offset), (10, 20));

        let ApiError::BadRequest { causes, .. } = order_query(&params(&[
            ("status", "LOST"),
            ("limit", "999"),
            ("released", "yes"),
            ("sink", "EMAIL"),
        ]))
        .unwrap_err() else {
            panic!("not a 400");
        };
        assert_eq!(
            causes,
            [
                "limit must be an integer from 0 to 250, got \"999\"",
                "status must be one of PENDING, SENT, FAILED, DONE, VERIFIED, STILL_PRESENT, got \"LOST\"",
                "released must be true or false, got \"yes\"",
                "sink must be one of WEBHOOK, SCIM, MANUAL, got \"EMAIL\"",
            ]
        );
    }
}
