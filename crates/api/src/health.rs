//! `GET /health`: readiness for load balancers and orchestrators.
//!
//! Policy: no authentication, no side effects, one trivial database query. 200 when the
//! database answers, 503 otherwise; the body names the backend and, when it fails, the
//! storage error's text, so an operator can see why without reading logs. It never shows
//! configuration, connection strings or data.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::AppState;

/// The version reported by `/health`: this crate's, which is the workspace's.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The body of `/health`.
#[derive(Debug, Serialize)]
pub struct HealthOut {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// The database's readiness.
    pub database: DatabaseHealthOut,
    /// Attest's version.
    pub version: &'static str,
}

/// The database part of [`HealthOut`].
#[derive(Debug, Serialize)]
pub struct DatabaseHealthOut {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether the database answered.
    pub ready: bool,
    /// Why it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Answers 200 when the database answers a trivial query, 503 with the reason otherwise.
pub async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<HealthOut>) {
    let backend = state.store.backend().as_str();
    let (status, health, error) = match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok", None),
        Err(error) => {
            tracing::warn!(%error, "health check: database not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                Some(error.to_string()),
            )
        }
    };
    let body = HealthOut {
        status: health,
        database: DatabaseHealthOut {
            backend,
            ready: error.is_none(),
            error,
        },
        version: VERSION,
    };
    (status, Json(body))
}
