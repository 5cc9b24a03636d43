//! `GET /api/v1/me`: who the bearer token says the caller is.

use attest_domain::Authority;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::AppState;

/// The caller: the token's claims and the identity they name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeOut {
    /// The identity the token acts as.
    pub identity_id: String,
    /// The API client (personal access token) that obtained the token.
    pub client_id: String,
    /// The token's authorities (empty for an ordinary user).
    pub authorities: Vec<Authority>,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
    /// The identity's account-style name; `null` if the identity no longer exists.
    pub name: Option<String>,
    /// The identity's display name.
    pub display_name: Option<String>,
    /// The identity's email address.
    pub email: Option<String>,
}

/// Describes the caller. Open to any valid token.
pub async fn get_me(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> Result<Json<MeOut>, ApiError> {
    let identity = state.store.identity(&caller.identity_id).await?;
    let (name, display_name, email) = match identity {
        Some(identity) => (Some(identity.name), identity.display_name, identity.email),
        None => (None, None, None),
    };
    Ok(Json(MeOut {
        identity_id: caller.identity_id.0,
        client_id: caller.client_id.0,
        authorities: caller.authorities,
        expires_at: caller.expires_at,
        name,
        display_name,
        email,
    }))
}
