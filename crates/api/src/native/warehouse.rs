//! `GET /api/v1/warehouse/summary`: how much the identity warehouse holds.

use attest_domain::WarehouseCounts;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::error::ApiError;
use crate::AppState;

/// Record counts per kind, in camelCase (`identities`, `accessProfiles`, ...).
#[derive(Debug, Serialize)]
pub struct WarehouseSummaryOut {
    /// The counts.
    #[serde(flatten)]
    pub counts: WarehouseCounts,
}

/// Counts the warehouse's records. Requires one of
/// [`WAREHOUSE_READERS`](super::WAREHOUSE_READERS) (declared on the route).
pub async fn get_warehouse_summary(
    State(state): State<AppState>,
) -> Result<Json<WarehouseSummaryOut>, ApiError> {
    let counts = state.store.warehouse_counts().await?;
    Ok(Json(WarehouseSummaryOut { counts }))
}
