//! `POST /oauth/token`: the OAuth 2 client-credentials grant (RFC 6749 §4.4).
//!
//! Policy:
//!
//! - Parameters come as an `application/x-www-form-urlencoded` body or as query parameters
//!   (SailPoint's scripts send them in the query); a parameter present in both is taken from
//!   the body. Client credentials may also come as HTTP Basic authentication (RFC 6749
//!   §2.3.1, which token endpoints must support), used when the parameters name no client.
//! - Success is 200 `{"access_token", "token_type": "bearer", "expires_in", "scope",
//!   "identity_id", "authorities"}` with `Cache-Control: no-store`. Failures use the OAuth
//!   dialect of [`crate::error`]: 400 `invalid_request` (a parameter missing) or
//!   `unsupported_grant_type`, 401 `invalid_client` (unknown client or wrong secret, which
//!   are deliberately indistinguishable).
//! - The client secret is never logged, echoed or kept: the DTO holding it has no `Debug`,
//!   and the request span records the path only (see [`crate::telemetry`]).

use attest_domain::Authority;
use attest_engine::credentials::{IssuedToken, TOKEN_SCOPE};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::{Form, Json};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::AppState;

/// The only grant Attest issues tokens for.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";

/// The token request's parameters, from the body or the query. Deliberately not `Debug`:
/// it holds the client secret.
#[derive(Default, Deserialize)]
pub struct TokenIn {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// The personal access token's client id.
    pub client_id: Option<String>,
    /// The personal access token's secret.
    pub client_secret: Option<String>,
    /// Accepted and ignored: every token carries [`TOKEN_SCOPE`].
    pub scope: Option<String>,
}

impl TokenIn {
    /// Each parameter from `self`, or from `fallback` where `self` lacks it (or has it empty).
    fn or(self, fallback: TokenIn) -> TokenIn {
        fn pick(first: Option<String>, second: Option<String>) -> Option<String> {
            first
                .filter(|v| !v.is_empty())
                .or(second.filter(|v| !v.is_empty()))
        }
        TokenIn {
            grant_type: pick(self.grant_type, fallback.grant_type),
            client_id: pick(self.client_id, fallback.client_id),
            client_secret: pick(self.client_secret, fallback.client_secret),
            scope: pick(self.scope, fallback.scope),
        }
    }
}

/// A successful token response (RFC 6749 §5.1, plus the identity and its authorities).
#[derive(Debug, Serialize)]
pub struct TokenOut {
    /// The bearer token.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// Always [`TOKEN_SCOPE`].
    pub scope: &'static str,
    /// The identity the token acts as.
    pub identity_id: String,
    /// The authorities the token carries (empty for an ordinary user).
    pub authorities: Vec<Authority>,
}

impl From<IssuedToken> for TokenOut {
    fn from(token: IssuedToken) -> Self {
        Self {
            access_token: token.access_token,
            token_type: "bearer",
            expires_in: token.expires_in,
            scope: TOKEN_SCOPE,
            identity_id: token.identity_id.0,
            authorities: token.authorities,
        }
    }
}

/// Exchanges a personal access token's client id and secret for a bearer token.
pub async fn issue_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<TokenIn>, QueryRejection>,
    body: Result<Form<TokenIn>, FormRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let query = query
        .map_err(|_| ApiError::bad_request("The query string is not valid."))?
        .0;
    let body = match body {
        Ok(Form(body)) => body,
        // No form body (a query-only request, or another content type): parameters may
        // still come from the query.
        Err(FormRejection::InvalidFormContentType(_)) => TokenIn::default(),
        Err(_) => {
            return Err(ApiError::bad_request(
                "The request body is not a valid form.",
            ))
        }
    };
    let mut params = body.or(query);
    if params.client_id.is_none() && params.client_secret.is_none() {
        if let Some((id, secret)) = basic_credentials(&headers) {
            params.client_id = Some(id);
            params.client_secret = Some(secret);
        }
    }

    let grant_type = params.grant_type.ok_or_else(|| {
        ApiError::bad_request(
            "The grant_type parameter is required (as an application/x-www-form-urlencoded body or in the query).",
        )
    })?;
    if grant_type != CLIENT_CREDENTIALS {
        return Err(ApiError::UnsupportedGrantType(format!(
            "Only the client_credentials grant is supported, not \"{grant_type}\"."
        )));
    }
    let (Some(client_id), Some(client_secret)) = (params.client_id, params.client_secret) else {
        return Err(ApiError::bad_request(
            "The client_id and client_secret parameters are required.",
        ));
    };

    // Each client id has a budget of token requests, which also slows down guessing a secret.
    if let Err(retry_after_secs) = state
        .rate_limiter
        .check(&format!("oauth:{client_id}"), state.clock.now())
    {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    match state
        .credentials
        .issue_token(&client_id, &client_secret)
        .await
    {
        Ok(token) => {
            tracing::info!(%client_id, identity_id = %token.identity_id, "bearer token issued");
            let no_cache = [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ];
            Ok((no_cache, Json(TokenOut::from(token))))
        }
        Err(error) => {
            tracing::info!(%client_id, %error, "token request refused");
            Err(error.into())
        }
    }
}

/// The client id and secret of an `Authorization: Basic` header, if it holds any.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_owned(), secret.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn params(grant: Option<&str>, id: Option<&str>, secret: Option<&str>) -> TokenIn {
        TokenIn {
            grant_type: grant.map(str::to_owned),
            client_id: id.map(str::to_owned),
            client_secret: secret.map(str::to_owned),
            scope: None,
        }
    }

    #[test]
    fn body_parameters_win_over_query_parameters() {
        let body = params(Some("client_credentials"), Some("body-id"), Some(""));
        let query = params(Some("password"), Some("query-id"), Some("query-secret"));
        let merged = body.or(query);
        assert_eq!(merged.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(merged.client_id.as_deref(), Some("body-id"));
        // An empty body value counts as absent.
        assert_eq!(merged.client_secret.as_deref(), Some("query-secret"));
    }

    #[test]
    fn basic_credentials_are_decoded() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("abc:s3cret");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("abc".to_owned(), "s3cret".to_owned()))
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(basic_credentials(&headers), None);
    }
}
