//! Attest's HTTP surface: the OAuth token endpoint, health, Attest's own API, and the
//! SailPoint- and Okta-compatible façades over the engine.
//!
//! # Layout
//!
//! | path | module | family (error dialect) | authentication |
//! | --- | --- | --- | --- |
//! | `/health` | [`health`] | — | none |
//! | `/oauth/token` | [`oauth`] | OAuth (RFC 6749) | client id and secret |
//! | `/api/v1/...` | [`native`] | native | bearer token |
//! | `/v3`, `/v2024`, `/v2025`, `/v2026`, `/beta`, `/campaigns/v1`, ... | [`sailpoint`] | SailPoint | bearer token |
//! | `/governance/api/v1/...` | [`okta`] | Okta | bearer token |
//! | anything else | — | native (404) | none |
//!
//! Cross-cutting concerns each live in one module: [`error`] turns every failure into the
//! body of the family it happened in, [`auth`] verifies bearer tokens and checks the
//! authorities each route declares, [`telemetry`] gives every request an id and a log span.
//!
//! # Conventions
//!
//! - Handlers are named verb_noun after what they do (`get_me`, `issue_token`,
//!   `list_certifications`), one resource per module.
//! - Request bodies and parameters are deserialized into `*In` types, responses serialized
//!   from `*Out` types, both defined next to their handler. Domain and store types never go
//!   on the wire directly, so a change inside cannot silently change a contract.
//! - Handlers return `Result<_, ApiError>` and hold no business rules: they call the engine
//!   or the store and translate shapes.
//! - Time comes from [`AppState::clock`], never from the wall clock.

pub mod auth;
pub mod error;
pub mod health;
pub mod native;
pub mod oauth;
pub mod okta;
pub mod openapi;
pub mod rate_limit;
pub mod sailpoint;
pub mod telemetry;

use std::sync::Arc;

use attest_domain::Clock;
use attest_engine::campaigns::Campaigns;
use attest_engine::credentials::Credentials;
use attest_store::Store;
use axum::extract::OriginalUri;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

pub use error::{ApiError, Family};

/// What every handler can reach: storage, token verification, the certification engine, and
/// the time.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Issues and verifies bearer tokens.
    pub credentials: Credentials,
    /// The certification engine (campaigns, certifications, tasks). Its background worker is
    /// run by the binary, not by the router.
    pub campaigns: Campaigns,
    /// The injected clock (a `ManualClock` in tests).
    pub clock: Arc<dyn Clock>,
    /// Per-client request rate limits.
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
    /// The rendered warehouse catalogue that access review items show, shared by requests
    /// until the next import.
    pub access_catalog: Arc<sailpoint::catalog::AccessCatalog>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("credentials", &self.credentials)
            .field("clock", &self.clock)
            .finish()
    }
}

/// The whole HTTP surface, ready to serve, with request ids and request logging.
pub fn router(state: AppState) -> Router {
    let oauth_routes = post(oauth::issue_token)
        .fallback(reject_wrong_method)
        .layer(from_fn_with_state(Family::OAuth, error::render_errors));

    let mut app = Router::new()
        .route("/health", get(health::get_health))
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/oauth/token", oauth_routes)
        .nest(
            native::PREFIX,
            family(native::routes(), Family::Native, &state),
        )
        .nest(okta::PREFIX, family(okta::routes(), Family::Okta, &state));
    for prefix in sailpoint::PREFIXES {
        app = app.nest(
            prefix,
            family(sailpoint::routes(prefix), Family::SailPoint, &state),
        );
    }
    let app = app
        .fallback(reject_unknown_path)
        .method_not_allowed_fallback(reject_wrong_method)
        // Renders whatever escaped the family routers (the global fallback, `/health`).
        .layer(from_fn_with_state(Family::Native, error::render_errors))
        .with_state(state);
    telemetry::with_request_telemetry(app)
}

/// Seals a family's routes: unknown paths under its prefix get its 404, every request needs
/// a valid bearer token (checked before routing, so unknown paths answer 401 first), and
/// errors are written in the family's dialect.
fn family(routes: Router<AppState>, family: Family, state: &AppState) -> Router<AppState> {
    routes
        .fallback(reject_unknown_path)
        .method_not_allowed_fallback(reject_wrong_method)
        .layer(from_fn_with_state(state.clone(), auth::authenticate))
        .layer(from_fn_with_state(family, error::render_errors))
}

/// The 405 for a known path asked with a method it does not serve.
async fn reject_wrong_method(
    method: axum::http::Method,
    OriginalUri(uri): OriginalUri,
) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} is not supported on {}.", method, uri.path()))
}

/// The 404 for a path that names nothing.
async fn reject_unknown_path(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("No resource at {}.", uri.path()))
}
