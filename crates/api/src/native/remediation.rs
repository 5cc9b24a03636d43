//! The native remediation API: per-source sinks, applying a campaign's decisions (releasing its
//! orders), marking manual orders done, and the CSV of manual orders for a person to act on.
//!
//! Policy: secrets (a webhook's signing secret, a SCIM bearer token) are write-only: accepted
//! by `PUT .../remediation-sink`, never written back (the answer says only that one is set),
//! and the request type has no `Debug`, so it cannot be logged whole. ORG_ADMIN and CERT_ADMIN
//! only (declared on the routes; the engine checks again).

use std::collections::HashMap;

use attest_domain::certification::{CampaignId, OrderId, OrderStatus};
use attest_domain::remediation::{RemediationSink, Secret, SinkKind, SinkTarget};
use attest_domain::SourceId;
use attest_engine::campaigns::remediation::SinkRequest;
use attest_store::remediation::RemediationOrderQuery;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::sailpoint::{parse_body, parse_optional_body};
use crate::AppState;

/// Body of `PUT /api/v1/sources/{id}/remediation-sink`. No `Debug`: it holds secrets.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemediationSinkIn {
    /// `WEBHOOK`, `SCIM` or `MANUAL`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// WEBHOOK: the receiver's `http`/`https` URL.
    pub url: Option<String>,
    /// WEBHOOK: the signing secret (at least 16 characters). Write-only.
    pub secret: Option<String>,
    /// SCIM: the SCIM 2.0 service's base URL (the one `/Users` and `/Groups` are under).
    pub base_url: Option<String>,
    /// SCIM: the bearer token. Write-only.
    pub token: Option<String>,
}

/// A source's sink as the API shows it: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemediationSinkOut {
    /// The source.
    pub source_id: String,
    /// `WEBHOOK`, `SCIM` or `MANUAL`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether a sink is configured (`false`: the source's orders are manual by default).
    pub configured: bool,
    /// WEBHOOK: the receiver's URL.
    pub url: Option<String>,
    /// SCIM: the service's base URL.
    pub base_url: Option<String>,
    /// Whether a secret (webhook) or token (SCIM) is stored. The value is never returned.
    pub secret_set: bool,
    /// Last configured.
    pub updated: Option<DateTime<Utc>>,
    /// By whom.
    pub updated_by: Option<String>,
}

impl RemediationSinkOut {
    fn of(source: &SourceId, sink: Option<&RemediationSink>) -> Self {
        let Some(sink) = sink else {
            return RemediationSinkOut {
                source_id: source.0.clone(),
                kind: SinkKind::Manual.as_str().to_owned(),
                configured: false,
                url: None,
                base_url: None,
                secret_set: false,
                updated: None,
                updated_by: None,
            };
        };
        let (url, base_url) = match &sink.target {
            SinkTarget::Webhook { url, .. } => (Some(url.clone()), None),
            SinkTarget::Scim { base_url, .. } => (None, Some(base_url.clone())),
            SinkTarget::Manual => (None, None),
        };
        RemediationSinkOut {
            source_id: source.0.clone(),
            kind: sink.target.kind().as_str().to_owned(),
            configured: true,
            url,
            base_url,
            secret_set: sink.target.secret().is_some(),
            updated: Some(sink.updated),
            updated_by: sink.updated_by.as_ref().map(|i| i.0.clone()),
        }
    }
}

/// `GET /api/v1/sources/{id}/remediation-sink`: the source's sink (`MANUAL`, not configured,
/// when none is).
pub async fn get_remediation_sink(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<RemediationSinkOut>, ApiError> {
    let source = SourceId(id);
    let sink = state.campaigns.remediation_sink(&caller, &source).await?;
    Ok(Json(RemediationSinkOut::of(&source, sink.as_ref())))
}

/// `PUT /api/v1/sources/{id}/remediation-sink`: configures (or replaces) the source's sink.
pub async fn put_remediation_sink(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<RemediationSinkOut>, ApiError> {
    let input: RemediationSinkIn = parse_body(&body)?;
    let request = SinkRequest {
        kind: input.kind,
        url: input.url,
        secret: input.secret.map(Secret),
        base_url: input.base_url,
        token: input.token.map(Secret),
    };
    let source = SourceId(id);
    let sink = state
        .campaigns
        .put_remediation_sink(&caller, &source, &request)
        .await?;
    Ok(Json(RemediationSinkOut::of(&source, Some(&sink))))
}

/// `DELETE /api/v1/sources/{id}/remediation-sink`: removes the sink (orders become manual).
pub async fn delete_remediation_sink(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .campaigns
        .delete_remediation_sink(&caller, &SourceId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/campaigns/{id}/apply-decisions` (optional).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyDecisionsIn {
    /// Release only these orders (each must be a held order of the campaign); absent: every
    /// held order of the campaign.
    pub order_ids: Option<Vec<String>>,
}

/// What applying decisions released.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplyDecisionsOut {
    /// The campaign.
    pub campaign_id: String,
    /// How many orders were released now.
    pub released: usize,
    /// Their ids.
    pub order_ids: Vec<String>,
}

/// `POST /api/v1/campaigns/{id}/apply-decisions`: releases the campaign's held orders (all, or
/// the listed ones) for delivery to their sources' sinks.
pub async fn apply_decisions(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ApplyDecisionsOut>, ApiError> {
    let input: ApplyDecisionsIn = parse_optional_body(&body)?.unwrap_or_default();
    let ids: Option<Vec<OrderId>> = input
        .order_ids
        .map(|ids| ids.into_iter().map(OrderId).collect());
    let campaign = CampaignId(id);
    let released = state
        .campaigns
        .apply_campaign_decisions(&caller, &campaign, ids.as_deref())
        .await?;
    Ok(Json(ApplyDecisionsOut {
        campaign_id: campaign.0,
        released: released.released.len(),
        order_ids: released.released.into_iter().map(|i| i.0).collect(),
    }))
}

/// Body of `POST /api/v1/provisioning-orders/mark-done`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkOrdersDoneIn {
    /// The released orders a person carried out (1–1000).
    pub order_ids: Option<Vec<String>>,
    /// What was done, for the audit trail.
    pub comment: Option<String>,
}

/// The orders marked done.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MarkOrdersDoneOut {
    /// Their ids.
    pub order_ids: Vec<String>,
}

/// `POST /api/v1/provisioning-orders/mark-done`: a person says they carried the orders out.
pub async fn mark_orders_done(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    body: Bytes,
) -> Result<Json<MarkOrdersDoneOut>, ApiError> {
    let input: MarkOrdersDoneIn = parse_body(&body)?;
    let Some(ids) = input.order_ids else {
        return Err(ApiError::BadRequest {
            message: "The request is invalid.".to_owned(),
            causes: vec!["orderIds is required".to_owned()],
        });
    };
    let ids: Vec<OrderId> = ids.into_iter().map(OrderId).collect();
    let done = state
        .campaigns
        .mark_orders_done(&caller, &ids, input.comment.as_deref())
        .await?;
    Ok(Json(MarkOrdersDoneOut {
        order_ids: done.into_iter().map(|i| i.0).collect(),
    }))
}

/// The header of the manual-orders CSV.
pub const MANUAL_CSV_HEADER: &[&str] = &[
    "orderId",
    "campaignId",
    "status",
    "sourceId",
    "holderName",
    "identityId",
    "accountId",
    "accessType",
    "accessId",
    "accessName",
    "reason",
    "reviewerId",
    "due",
    "releasedAt",
    "attempts",
    "lastError",
];

/// A cell as a spreadsheet will not run it: text starting with `=`, `+`, `-`, `@`, tab or
/// carriage return is prefixed with `'` (OWASP's CSV-injection advice).
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Page size for reading the orders of the export.
const EXPORT_PAGE: u32 = 250;

/// `GET /api/v1/provisioning-orders/manual.csv`: the released orders that wait for a person
/// (status `PENDING` or `FAILED`, source without a WEBHOOK or SCIM sink), optionally of one
/// campaign (`campaignId`) or source (`sourceId`), oldest first is not promised: newest first,
/// like the list.
pub async fn export_manual_orders(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params: HashMap<String, String> = crate::sailpoint::params::query_params(&uri)?;
    let base = super::orders::order_query(&params)?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| ApiError::Internal(Box::new(e));
    writer.write_record(MANUAL_CSV_HEADER).map_err(write_err)?;
    for status in [OrderStatus::Pending, OrderStatus::Failed] {
        let mut offset = 0;
        loop {
            let query = RemediationOrderQuery {
                status: Some(status),
                released: Some(true),
                sink: Some(SinkKind::Manual),
                limit: EXPORT_PAGE,
                offset,
                ..base.clone()
            };
            let page = state.campaigns.remediation_orders(&caller, &query).await?;
            for o in &page.items {
                let order = &o.order;
                let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
                let record = [
                    order.id.0.clone(),
                    order.campaign_id.0.clone(),
                    order.status.as_str().to_owned(),
                    order
                        .source_id
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    order.holder_name.clone(),
                    order
                        .identity_id
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    order
                        .account_id
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    order.access_type.as_str().to_owned(),
                    order.access_id.clone(),
                    order.access_name.clone(),
                    order.reason.clone().unwrap_or_default(),
                    order
                        .reviewer
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    time(&order.due),
                    o.delivery
                        .released_at
                        .as_ref()
                        .map(time)
                        .unwrap_or_default(),
                    o.delivery.attempts.to_string(),
                    o.delivery.last_error.clone().unwrap_or_default(),
                ];
                writer
                    .write_record(record.iter().map(|c| neutralise(c)))
                    .map_err(write_err)?;
            }
            if page.items.len() < EXPORT_PAGE as usize {
                break;
            }
            offset += u64::from(EXPORT_PAGE);
        }
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(Box::new(e.into_error())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"manual-provisioning-orders.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-2"), "'-2");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("Ledger Read"), "Ledger Read");
        assert_eq!(neutralise(""), "");
    }
}
