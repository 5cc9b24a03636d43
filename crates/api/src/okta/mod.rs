//! The Okta Identity Governance façade: campaigns and reviews as Okta's SDKs call them.
//!
//! Policy: the façade translates shapes and statuses and holds no rules. Every route needs a
//! bearer token. Errors are Okta's `{"errorCode", "errorSummary", "errorLink", "errorId",
//! "errorCauses"}` (see [`crate::error`]). Until the campaign endpoints land, the family
//! answers every path with 401 (no valid token) or its 404.

use axum::Router;

use crate::AppState;

/// Where Okta's governance API lives.
pub const PREFIX: &str = "/governance/api/v1";

/// The Okta routes, each with its authority requirement, relative to [`PREFIX`].
pub fn routes() -> Router<AppState> {
    Router::new()
}
