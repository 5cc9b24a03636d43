//! The SailPoint Identity Security Cloud façade: campaigns, certifications and their tasks,
//! as SailPoint's SDKs and scripts call them.
//!
//! Policy: one set of routes serves every URL family SailPoint publishes the certification
//! API under ([`PREFIXES`]); the façade translates shapes and statuses and holds no rules.
//! Every route needs a bearer token. Errors are SailPoint's: `{"error"}` for 401,
//! `ErrorResponseDto` for the rest (see [`crate::error`]). Until the certification endpoints
//! land, the family answers every path with 401 (no valid token) or its 404.

use axum::Router;

use crate::AppState;

/// The path prefixes SailPoint's certification API lives under: the versioned public API
/// families and the service-versioned ones.
pub const PREFIXES: &[&str] = &[
    "/v3",
    "/v2024",
    "/v2025",
    "/v2026",
    "/beta",
    "/campaigns/v1",
    "/campaign-templates/v1",
    "/campaign-filters/v1",
    "/certifications/v1",
    "/certification-tasks/v1",
];

/// The SailPoint routes, each with its authority requirement, relative to a prefix.
pub fn routes() -> Router<AppState> {
    Router::new()
}
