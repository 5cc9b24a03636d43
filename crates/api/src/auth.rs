//! Who is calling, and what they may do.
//!
//! Policy:
//!
//! - Every route of the API families (SailPoint, Okta, native) requires a bearer token:
//!   `Authorization: Bearer <access_token>` from `/oauth/token`. The [`authenticate`] layer
//!   wraps each family router whole, fallback included, so an unknown path answers 401 before
//!   404 and no route can be added unprotected by forgetting an extractor. A missing or
//!   malformed header, and a forged, tampered or expired token, all get 401 with the reason.
//! - What a route requires beyond a valid token is declared **on the route**, next to its
//!   path, with [`require_any`]:
//!
//!   ```text
//!   .route("/warehouse/summary", get(get_warehouse_summary).route_layer(require_any(WAREHOUSE_READERS)))
//!   ```
//!
//!   A caller without any of the listed authorities gets 403 (ORG_ADMIN holds them all). A
//!   route without `require_any` is open to every authenticated caller, reviewers included;
//!   what such a caller may see is then the engine's business (their own work items).
//! - Handlers that need the caller take the [`Authenticated`] extractor; it reuses the
//!   caller the layer verified (and verifies the header itself where no layer ran).
//! - Tokens are verified by [`Credentials::verify_token`](attest_engine::credentials::Credentials::verify_token) against the injected clock; this
//!   module never logs a token.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use attest_domain::Authority;
use attest_engine::credentials::Caller;
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::error::{ApiError, MISSING_BEARER};
use crate::AppState;

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl<S> FromRequestParts<S> for Authenticated
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(Self(caller.clone()));
        }
        let state = AppState::from_ref(state);
        let caller = verify_bearer(&state, &parts.headers)?;
        parts.extensions.insert(caller.clone());
        Ok(Self(caller))
    }
}

/// Middleware (`from_fn_with_state(state, authenticate)`) that refuses requests without a
/// valid bearer token, spends one request of the client's rate limit (429 when it is used
/// up), and leaves the verified [`Caller`] in the request's extensions.
pub async fn authenticate(
    State(state): State<AppState>,
    caller: Authenticated,
    mut request: Request,
    next: Next,
) -> Response {
    if let Err(retry_after_secs) = state
        .rate_limiter
        .check(caller.0.client_id.as_str(), state.clock.now())
    {
        return ApiError::RateLimited { retry_after_secs }.into_response();
    }
    request.extensions_mut().insert(caller.0);
    next.run(request).await
}

/// Checks the `Authorization` header of a request.
pub fn verify_bearer(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = bearer_token(headers)
        .ok_or_else(|| ApiError::Unauthenticated(MISSING_BEARER.to_owned()))?;
    Ok(state.credentials.verify_token(token)?)
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, per
/// RFC 7235), or `None` when the header is absent, not text, another scheme, or empty.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A route requirement: the caller must hold at least one of `authorities` (see the module
/// documentation). Apply it with `MethodRouter::route_layer`.
pub fn require_any(authorities: &'static [Authority]) -> RequireAny {
    RequireAny { authorities }
}

/// The layer made by [`require_any`].
#[derive(Debug, Clone, Copy)]
pub struct RequireAny {
    authorities: &'static [Authority],
}

impl RequireAny {
    /// Whether `caller` satisfies the requirement; the 403 to answer otherwise.
    fn check(&self, caller: Option<&Caller>) -> Result<(), ApiError> {
        let Some(caller) = caller else {
            // Only reachable when a route with a requirement is mounted outside every
            // authenticated family router: refuse rather than serve it unprotected.
            return Err(ApiError::Unauthenticated(MISSING_BEARER.to_owned()));
        };
        if caller.has_any(self.authorities) {
            return Ok(());
        }
        let names: Vec<&str> = self.authorities.iter().map(|a| a.as_str()).collect();
        Err(ApiError::Forbidden(format!(
            "This operation requires one of the authorities {}.",
            names.join(", ")
        )))
    }
}

impl<S> Layer<S> for RequireAny {
    type Service = RequireAnyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAnyService {
            requirement: *self,
            inner,
        }
    }
}

/// The service made by [`RequireAny`]: checks the caller, then calls the route.
#[derive(Debug, Clone)]
pub struct RequireAnyService<S> {
    requirement: RequireAny,
    inner: S,
}

impl<S> Service<Request> for RequireAnyService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.requirement.check(request.extensions().get::<Caller>()) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(refusal) => Box::pin(async move { Ok(refusal.into_response()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use chrono::{TimeZone, Utc};

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token(&headers("Bearer abc.def")), Some("abc.def"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    fn caller(authorities: Vec<Authority>) -> Caller {
        Caller {
            identity_id: "i1".into(),
            client_id: "c1".into(),
            authorities,
            expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn requirement_checks_authorities() {
        const READERS: &[Authority] = &[Authority::CertAdmin, Authority::ReportAdmin];
        let requirement = require_any(READERS);
        assert!(requirement
            .check(Some(&caller(vec![Authority::ReportAdmin])))
            .is_ok());
        assert!(requirement
            .check(Some(&caller(vec![Authority::OrgAdmin])))
            .is_ok());
        let refusal = requirement.check(Some(&caller(vec![]))).unwrap_err();
        assert!(matches!(refusal, ApiError::Forbidden(_)));
        assert_eq!(
            refusal.to_string(),
            "This operation requires one of the authorities CERT_ADMIN, REPORT_ADMIN."
        );
        assert!(matches!(
            requirement.check(None),
            Err(ApiError::Unauthenticated(_))
        ));
    }
}
