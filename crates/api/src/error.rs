//! The one place where errors become HTTP responses, for every API family.
//!
//! Policy:
//!
//! - Handlers, extractors and middleware return [`ApiError`] and never build an error body
//!   themselves. An `ApiError` turned into a response carries only its status and the error
//!   (in a response extension); the [`render_errors`] layer of the router the route is mounted
//!   in writes the body in that router's [`Family`], stamped with the request id. Every router
//!   is wrapped in such a layer ([`crate::router`] puts a [`Family::Native`] one outermost, so
//!   nothing escapes unrendered).
//! - What a client sees depends on the family, never on the handler:
//!   - [`Family::SailPoint`]: 401 `{"error": "<reason>"}`; 429 `{"message": " Rate Limit
//!     Exceeded "}`; every other status an `ErrorResponseDto` `{"detailCode", "trackingId",
//!     "messages": [{"locale", "localeOrigin", "text"}], "causes": [...]}`.
//!   - [`Family::Okta`]: `{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses":
//!     [{"errorSummary"}]}` with Okta's codes (E0000001, E0000004, E0000007, E0000009,
//!     E0000047, E0000169).
//!   - [`Family::Native`] (Attest's own API):
//!     `{"error": {"status": 403, "code": "forbidden", "message": "...", "details": ["..."]},
//!     "requestId": "..."}` where `code` is one of `bad_request`, `unauthenticated`,
//!     `forbidden`, `not_found`, `conflict`, `rate_limited`, `internal`.
//!   - [`Family::OAuth`] (`/oauth/token`): RFC 6749 §5.2 `{"error", "error_description"}`.
//! - Internal errors ([`ApiError::Internal`]: storage, crypto, bugs) are logged here, once,
//!   with their whole cause chain and the request id, and are answered with an opaque 500 that
//!   says nothing about the cause.
//! - A 429 always carries `Retry-After`.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use attest_engine::credentials::{CredentialError, TokenError};
use attest_store::StoreError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::telemetry::request_id_of;

/// The wire dialect of a group of routes: decides how errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// SailPoint Identity Security Cloud (`/v3`, `/beta`, `/certifications/v1`, ...).
    SailPoint,
    /// Okta Identity Governance (`/governance/api/v1`).
    Okta,
    /// Attest's own API (`/api/v1`) and everything outside the other families.
    Native,
    /// The OAuth 2 token endpoint (`/oauth/token`).
    OAuth,
}

/// Everything a request can fail with, independent of the API family that reports it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or its content invalid. `message` says what is wrong
    /// overall; `causes` lists the individual problems (one per field, for instance).
    #[error("{message}")]
    BadRequest {
        /// What is wrong, in one sentence.
        message: String,
        /// The individual problems, if more detail helps.
        causes: Vec<String>,
    },
    /// 400 in OAuth's `unsupported_grant_type` sense (a plain 400 in the other families).
    #[error("{0}")]
    UnsupportedGrantType(String),
    /// 401: no credentials, or credentials that do not prove who the caller is. The text is
    /// shown to the caller (SailPoint's `JWT validation failed: ...` messages, for instance).
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: the caller is known but may not do this. The text says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the path or the object it names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this HTTP method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request conflicts with the object's current state.
    #[error("{0}")]
    Conflict(String),
    /// 429: the caller sent too many requests; they may retry after this many seconds.
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds to wait, sent as `Retry-After`.
        retry_after_secs: u64,
    },
    /// 500: a fault on our side. Logged with its cause chain; the client sees nothing of it.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

/// Text of the 401 that a request without a usable `Authorization` header gets.
pub const MISSING_BEARER: &str = "Missing or malformed Authorization header";

impl ApiError {
    /// A 400 with a single message and no separate causes.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            causes: Vec::new(),
        }
    }

    /// A 500 from anything that is an error (storage, crypto, a broken invariant).
    pub fn internal(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }

    /// The status this error is answered with (the same in every family).
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } | Self::UnsupportedGrantType(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error as a complete response in `family`'s dialect, stamped with `request_id`.
    ///
    /// Internal errors are logged here (and only here), with the request id.
    pub fn render(&self, family: Family, request_id: &str) -> Response {
        if let Self::Internal(cause) = self {
            tracing::error!(
                request_id,
                error = %CauseChain(cause.as_ref()),
                "internal error; answered with an opaque 500"
            );
        }
        let (status, body) = match family {
            Family::SailPoint => (self.status(), self.sailpoint_body(request_id)),
            Family::Okta => (self.status(), self.okta_body(request_id)),
            Family::Native => (self.status(), self.native_body(request_id)),
            Family::OAuth => self.oauth_status_and_body(),
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Self::RateLimited { retry_after_secs } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        match family {
            // RFC 6749 §5.1/§5.2: token endpoint answers must not be cached.
            Family::OAuth => {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            }
            // RFC 6750 §3: a 401 on a bearer-protected resource names the scheme.
            _ if status == StatusCode::UNAUTHORIZED => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"attest\""),
                );
            }
            _ => {}
        }
        response
    }

    /// The detail texts of this error: the specific reasons a client may be shown.
    fn causes(&self) -> Vec<String> {
        match self {
            Self::BadRequest { causes, .. } => causes.clone(),
            Self::UnsupportedGrantType(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::MethodNotAllowed(m)
            | Self::Conflict(m) => vec![m.clone()],
            Self::Unauthenticated(_) | Self::RateLimited { .. } | Self::Internal(_) => Vec::new(),
        }
    }

    fn sailpoint_body(&self, tracking_id: &str) -> Value {
        /// SailPoint's `ErrorMessageDto`: every text is English, from the default locale.
        fn message(text: &str) -> Value {
            json!({"locale": "en-US", "localeOrigin": "DEFAULT", "text": text})
        }
        let (detail_code, text) = match self {
            Self::Unauthenticated(reason) => return json!({ "error": reason }),
            Self::RateLimited { .. } => return json!({ "message": " Rate Limit Exceeded " }),
            Self::BadRequest { message, .. } => ("400.1 Bad Request Content", message.as_str()),
            Self::UnsupportedGrantType(_) => (
                "400.1 Bad Request Content",
                "The request was syntactically correct but its content is semantically invalid.",
            ),
            Self::Forbidden(_) => (
                "403 Forbidden",
                "The server understood the request but refuses to authorize it.",
            ),
            Self::NotFound(_) => (
                "404 Not found",
                "The server did not find a current representation for the target resource.",
            ),
            Self::MethodNotAllowed(_) => (
                "405 Method Not Allowed",
                "The method received in the request-line is known by the origin server but not supported by the target resource.",
            ),
            Self::Conflict(_) => (
                "409 Conflict",
                "The request could not be completed due to a conflict with the current state of the target resource.",
            ),
            Self::Internal(_) => ("500.0 Internal Fault", "An internal fault occurred."),
        };
        let causes: Vec<Value> = self.causes().iter().map(|c| message(c)).collect();
        json!({
            "detailCode": detail_code,
            "trackingId": tracking_id,
            "messages": [message(text)],
            "causes": causes,
        })
    }

    fn okta_body(&self, error_id: &str) -> Value {
        let (code, summary) = match self {
            Self::BadRequest { message, .. } => {
                ("E0000001", format!("Api validation failed: {message}"))
            }
            Self::UnsupportedGrantType(message) => {
                ("E0000001", format!("Api validation failed: {message}"))
            }
            Self::Unauthenticated(_) => ("E0000004", "Authentication failed.".to_owned()),
            Self::Forbidden(_) => (
                "E0000004",
                "You do not have permission to perform the requested action.".to_owned(),
            ),
            Self::NotFound(_) => ("E0000007", "Resource not found exception.".to_owned()),
            Self::MethodNotAllowed(_) => (
                "E0000022",
                "The endpoint does not support the provided HTTP method".to_owned(),
            ),
            Self::Conflict(_) => (
                "E0000169",
                "Object status conflicts with requested operation.".to_owned(),
            ),
            Self::RateLimited { .. } => (
                "E0000047",
                "API call exceeded rate limit due to too many requests.".to_owned(),
            ),
            Self::Internal(_) => ("E0000009", "Internal Server Error.".to_owned()),
        };
        // Okta's own 401/403/404 bodies carry no causes; keep to that.
        let causes: Vec<Value> = match self {
            Self::BadRequest { .. } | Self::Conflict(_) => self
                .causes()
                .iter()
                .map(|c| json!({ "errorSummary": c }))
                .collect(),
            _ => Vec::new(),
        };
        json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": error_id,
            "errorCauses": causes,
        })
    }

    fn native_body(&self, request_id: &str) -> Value {
        let code = match self {
            Self::BadRequest { .. } | Self::UnsupportedGrantType(_) => "bad_request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) => "internal",
        };
        let message = match self {
            Self::Internal(_) => "An internal error occurred.".to_owned(),
            other => other.to_string(),
        };
        let details = match self {
            Self::BadRequest { causes, .. } => causes.clone(),
            _ => Vec::new(),
        };
        json!({
            "error": {
                "status": self.status().as_u16(),
                "code": code,
                "message": message,
                "details": details,
            },
            "requestId": request_id,
        })
    }

    /// RFC 6749 §5.2. The token endpoint only ever produces the first four kinds; the rest
    /// map onto the nearest OAuth code so the dialect stays closed.
    fn oauth_status_and_body(&self) -> (StatusCode, Value) {
        let (status, code, description) = match self {
            Self::BadRequest { message, causes } => {
                let mut description = message.clone();
                for cause in causes {
                    description.push_str("; ");
                    description.push_str(cause);
                }
                (StatusCode::BAD_REQUEST, "invalid_request", description)
            }
            Self::UnsupportedGrantType(m) => {
                (StatusCode::BAD_REQUEST, "unsupported_grant_type", m.clone())
            }
            Self::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, "invalid_client", m.clone()),
            Self::Forbidden(m) => (StatusCode::BAD_REQUEST, "unauthorized_client", m.clone()),
            Self::NotFound(m) | Self::Conflict(m) => {
                (StatusCode::BAD_REQUEST, "invalid_request", m.clone())
            }
            Self::MethodNotAllowed(m) => {
                (StatusCode::METHOD_NOT_ALLOWED, "invalid_request", m.clone())
            }
            Self::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "slow_down",
                "Rate limit exceeded.".to_owned(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "An internal error occurred.".to_owned(),
            ),
        };
        (
            status,
            json!({ "error": code, "error_description": description }),
        )
    }
}

/// The response extension through which an [`ApiError`] travels to [`render_errors`].
#[derive(Clone)]
struct PendingError(Arc<ApiError>);

impl IntoResponse for ApiError {
    /// The status with the error attached; the body is written by [`render_errors`], which
    /// knows the family and the request id.
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        response
            .extensions_mut()
            .insert(PendingError(Arc::new(self)));
        response
    }
}

/// Middleware (`axum::middleware::from_fn_with_state(family, render_errors)`) that writes the
/// body of any [`ApiError`] returned below it in `family`'s dialect.
pub async fn render_errors(State(family): State<Family>, request: Request, next: Next) -> Response {
    let request_id = request_id_of(&request);
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<PendingError>() {
        Some(PendingError(error)) => error.render(family, &request_id),
        None => response,
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        // The texts are SailPoint's ("JWT validation failed: JWT is expired").
        Self::Unauthenticated(error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        // Conflicts that reach the API unhandled are still faults of ours: a handler that
        // expects a conflict maps it to a 409 itself, with a message fit for the client.
        Self::internal(error)
    }
}

impl From<CredentialError> for ApiError {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::InvalidClient => Self::Unauthenticated("Bad credentials".to_owned()),
            CredentialError::UnknownIdentity(_) | CredentialError::BadName => {
                Self::bad_request(error.to_string())
            }
            CredentialError::Store(_) | CredentialError::Crypto(_) => Self::internal(error),
        }
    }
}

/// Displays an error followed by each of its sources, `a: b: c`.
struct CauseChain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for CauseChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    async fn rendered(
        error: ApiError,
        family: Family,
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = error.render(family, ID);
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    fn sp_message(text: &str) -> Value {
        json!({"locale": "en-US", "localeOrigin": "DEFAULT", "text": text})
    }

    #[tokio::test]
    async fn sailpoint_bodies() {
        let (status, headers, body) =
            rendered(ApiError::from(TokenError::Expired), Family::SailPoint).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            json!({"error": "JWT validation failed: JWT is expired"})
        );
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer realm=\"attest\"");

        let error = ApiError::BadRequest {
            message: "Invalid filter".into(),
            causes: vec!["unknown field \"x\"".into()],
        };
        let (status, _, body) = rendered(error, Family::SailPoint).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({
                "detailCode": "400.1 Bad Request Content",
                "trackingId": ID,
                "messages": [sp_message("Invalid filter")],
                "causes": [sp_message("unknown field \"x\"")],
            })
        );

        let (status, _, body) = rendered(
            ApiError::Forbidden("requires CERT_ADMIN".into()),
            Family::SailPoint,
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["detailCode"], "403 Forbidden");
        assert_eq!(
            body["messages"],
            json!([sp_message(
                "The server understood the request but refuses to authorize it."
            )])
        );
        assert_eq!(body["causes"], json!([sp_message("requires CERT_ADMIN")]));

        let (status, _, body) = rendered(
            ApiError::Conflict("already active".into()),
            Family::SailPoint,
        )
        .await;
        assert_eq!(status, 409);
        assert_eq!(body["detailCode"], "409 Conflict");
        assert_eq!(body["causes"], json!([sp_message("already active")]));

        let (status, headers, body) = rendered(
            ApiError::RateLimited {
                retry_after_secs: 7,
            },
            Family::SailPoint,
        )
        .await;
        assert_eq!(status, 429);
        assert_eq!(headers[header::RETRY_AFTER], "7");
        assert_eq!(body, json!({"message": " Rate Limit Exceeded "}));
    }

    #[tokio::test]
    async fn internal_errors_are_opaque_in_every_family() {
        let secret_cause = "password authentication failed for user attest";
        for family in [
            Family::SailPoint,
            Family::Okta,
            Family::Native,
            Family::OAuth,
        ] {
            let error = ApiError::from(StoreError::Unavailable(secret_cause.into()));
            let (status, _, body) = rendered(error, family).await;
            assert_eq!(status, 500, "{family:?}");
            assert!(
                !body.to_string().contains(secret_cause),
                "{family:?}: {body}"
            );
        }
        let (_, _, body) = rendered(ApiError::internal("boom"), Family::SailPoint).await;
        assert_eq!(
            body,
            json!({
                "detailCode": "500.0 Internal Fault",
                "trackingId": ID,
                "messages": [sp_message("An internal fault occurred.")],
                "causes": [],
            })
        );
        let (_, _, body) = rendered(ApiError::internal("boom"), Family::Okta).await;
        assert_eq!(
            body,
            json!({
                "errorCode": "E0000009",
                "errorSummary": "Internal Server Error.",
                "errorLink": "E0000009",
                "errorId": ID,
                "errorCauses": [],
            })
        );
    }

    #[tokio::test]
    async fn okta_bodies() {
        let error = ApiError::BadRequest {
            message: "limit must be positive".into(),
            causes: vec!["limit: -1".into()],
        };
        let (status, _, body) = rendered(error, Family::Okta).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({
                "errorCode": "E0000001",
                "errorSummary": "Api validation failed: limit must be positive",
                "errorLink": "E0000001",
                "errorId": ID,
                "errorCauses": [{"errorSummary": "limit: -1"}],
            })
        );
        let (status, _, body) = rendered(ApiError::Forbidden("x".into()), Family::Okta).await;
        assert_eq!(status, 403);
        assert_eq!(body["errorCode"], "E0000004");
        assert_eq!(
            body["errorSummary"],
            "You do not have permission to perform the requested action."
        );
        assert_eq!(body["errorCauses"], json!([]));
        let (status, headers, body) = rendered(
            ApiError::RateLimited {
                retry_after_secs: 3,
            },
            Family::Okta,
        )
        .await;
        assert_eq!(status, 429);
        assert_eq!(headers[header::RETRY_AFTER], "3");
        assert_eq!(body["errorCode"], "E0000047");
    }

    #[tokio::test]
    async fn native_and_oauth_bodies() {
        let (status, _, body) = rendered(
            ApiError::Forbidden("requires CERT_ADMIN".into()),
            Family::Native,
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(
            body,
            json!({
                "error": {
                    "status": 403,
                    "code": "forbidden",
                    "message": "requires CERT_ADMIN",
                    "details": [],
                },
                "requestId": ID,
            })
        );

        let (status, headers, body) = rendered(
            ApiError::from(CredentialError::InvalidClient),
            Family::OAuth,
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            json!({"error": "invalid_client", "error_description": "Bad credentials"})
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");

        let (status, _, body) = rendered(
            ApiError::UnsupportedGrantType("password is not supported".into()),
            Family::OAuth,
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "unsupported_grant_type");
    }

    #[test]
    fn cause_chain_lists_every_source() {
        let error = CredentialError::Store(StoreError::Unavailable("refused".into()));
        let wrapped = ApiError::internal(error);
        let ApiError::Internal(cause) = &wrapped else {
            panic!("not internal");
        };
        assert_eq!(
            CauseChain(cause.as_ref()).to_string(),
            "database unavailable: refused"
        );
    }
}
