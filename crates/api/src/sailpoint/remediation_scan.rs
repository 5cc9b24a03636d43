//! `POST /campaigns/{id}/run-remediation-scan` (SailPoint's `startCampaignRemediationScan`):
//! queues a background scan that checks every provisioning order of the campaign against the
//! warehouse and marks it VERIFIED (the access is gone) or STILL_PRESENT. 202 `{}`.
//!
//! Policy: ORG_ADMIN, CERT_ADMIN or REPORT_ADMIN (the spec's user levels); 404 for an unknown
//! campaign. The scan itself is the engine's (`campaigns::remediation`).

use attest_domain::certification::CampaignId;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::campaigns::AcceptedOut;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::AppState;

/// Queues the campaign's remediation scan; 202 `{}`.
pub async fn start_campaign_remediation_scan(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<AcceptedOut>), ApiError> {
    state
        .campaigns
        .start_remediation_scan(&caller, &CampaignId(id))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(AcceptedOut {})))
}
