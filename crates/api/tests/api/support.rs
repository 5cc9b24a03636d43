//! The test application: a router over a fresh store, a manual clock, and helpers to make
//! identities, personal access tokens and requests.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use attest_api::rate_limit::RateLimiter;
use attest_api::{router, AppState};
use attest_domain::*;
use attest_engine::credentials::{CreatedPat, Credentials};
use attest_store::*;
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Duration, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// How long test tokens live.
pub const TTL: Duration = Duration::hours(1);

/// When every test starts.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Runs `scenario` on a fresh SQLite store, then on a fresh PostgreSQL store when one is
/// configured.
pub async fn each_store<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    scenario(TestApp::new(attest_testing::sqlite_store().await).await).await;
    if let Some(store) = attest_testing::postgres_store().await {
        scenario(TestApp::new(store).await).await;
    }
}

/// Like [`each_store`], with the store wrapped in a [`FailingStore`] the scenario can break.
pub async fn each_failing_store<F, Fut>(scenario: F)
where
    F: Fn(TestApp, Arc<FailingStore>) -> Fut,
    Fut: Future<Output = ()>,
{
    let sqlite = FailingStore::wrap(attest_testing::sqlite_store().await);
    scenario(TestApp::new(sqlite.clone()).await, sqlite).await;
    if let Some(store) = attest_testing::postgres_store().await {
        let postgres = FailingStore::wrap(store);
        scenario(TestApp::new(postgres.clone()).await, postgres).await;
    }
}

/// The application under test.
pub struct TestApp {
    pub store: Arc<dyn Store>,
    pub clock: ManualClock,
    pub credentials: Credentials,
    router: Router,
}

impl TestApp {
    /// The router over `store`, with a manual clock at [`start_time`] and no rate limit.
    pub async fn new(store: Arc<dyn Store>) -> Self {
        Self::with_rate_limiter(store, RateLimiter::unlimited()).await
    }

    /// The router over `store` with `limiter`.
    pub async fn with_rate_limiter(store: Arc<dyn Store>, limiter: RateLimiter) -> Self {
        let clock = ManualClock::new(start_time());
        let shared_clock: Arc<dyn Clock> = Arc::new(clock.clone());
        let credentials = Credentials::new(store.clone(), shared_clock.clone(), TTL)
            .await
            .expect("credentials");
        let router = router(AppState {
            store: store.clone(),
            credentials: credentials.clone(),
            clock: shared_clock,
            rate_limiter: Arc::new(limiter),
        });
        Self {
            store,
            clock,
            credentials,
            router,
        }
    }

    /// Imports one identity named after its id.
    pub async fn add_identity(&self, id: &str) -> IdentityId {
        let identity = Identity {
            id: id.into(),
            name: id.to_owned(),
            display_name: Some(format!("{id} (display)")),
            email: Some(format!("{id}@example.com")),
            manager_id: None,
            department: Some("Finance".into()),
            title: None,
            location: None,
            lifecycle_state: Some("active".into()),
            active: true,
            attributes: Default::default(),
        };
        let mut tx = self.store.begin_import(self.clock.now()).await.unwrap();
        tx.upsert_identities(&[identity]).await.unwrap();
        tx.commit().await.unwrap();
        id.into()
    }

    /// A personal access token for a new identity `id` with `authorities`.
    pub async fn pat(&self, id: &str, authorities: &[Authority]) -> CreatedPat {
        let identity = self.add_identity(id).await;
        self.credentials
            .create_pat(identity, authorities.to_vec(), format!("{id} token"))
            .await
            .unwrap()
    }

    /// A bearer token (issued directly by the credentials service) for a new identity `id`.
    pub async fn token(&self, id: &str, authorities: &[Authority]) -> String {
        let pat = self.pat(id, authorities).await;
        self.credentials
            .issue_token(&pat.client_id.0, &pat.client_secret)
            .await
            .unwrap()
            .access_token
    }

    /// Sends one request through the whole router.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `GET uri`, with a bearer token when given.
    pub async fn get(&self, uri: &str, token: Option<&str>) -> TestResponse {
        self.send(get(uri, token)).await
    }

    /// `POST /oauth/token` with `form` as an `application/x-www-form-urlencoded` body, and
    /// `query` (may be empty) as query string.
    pub async fn post_token(&self, query: &str, form: Option<&str>) -> TestResponse {
        self.send(token_request(query, form)).await
    }
}

/// A `GET` request, with a bearer token when given.
pub fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::builder().method(Method::GET).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::empty()).unwrap()
}

/// A `POST /oauth/token` request.
pub fn token_request(query: &str, form: Option<&str>) -> Request<Body> {
    let uri = if query.is_empty() {
        "/oauth/token".to_owned()
    } else {
        format!("/oauth/token?{query}")
    };
    let request = Request::builder().method(Method::POST).uri(uri);
    match form {
        Some(form) => request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap(),
        None => request.body(Body::empty()).unwrap(),
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The JSON body (`Null` when empty).
    pub body: Value,
}

impl TestResponse {
    /// The `x-request-id` the response carries.
    pub fn request_id(&self) -> String {
        self.headers
            .get("x-request-id")
            .expect("x-request-id on every response")
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// Whether `id` looks like a generated request id: 32 lower-case hex digits.
pub fn is_generated_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A store that delegates to a real one until [`FailingStore::break_down`], after which its
/// health check, identity and warehouse reads, and API client lookups fail as if the database were gone.
pub struct FailingStore {
    inner: Arc<dyn Store>,
    broken: AtomicBool,
}

/// The text a broken [`FailingStore`] fails with; must never reach a client except `/health`.
pub const FAILURE_TEXT: &str = "connection refused by 10.0.0.7:5432";

impl FailingStore {
    pub fn wrap(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            broken: AtomicBool::new(false),
        })
    }

    pub fn break_down(&self) {
        self.broken.store(true, Ordering::SeqCst);
    }

    fn check(&self) -> StoreResult<()> {
        if self.broken.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(FAILURE_TEXT.to_owned()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SystemStore for FailingStore {
    fn backend(&self) -> Backend {
        self.inner.backend()
    }
    async fn migrate(&self) -> StoreResult<()> {
        self.inner.migrate().await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.check()?;
        self.inner.ping().await
    }
    async fn token_signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        self.inner.token_signing_key(candidate).await
    }
    async fn close(&self) {
        self.inner.close().await
    }
}

#[async_trait]
impl WarehouseStore for FailingStore {
    async fn warehouse_counts(&self) -> StoreResult<WarehouseCounts> {
        self.check()?;
        self.inner.warehouse_counts().await
    }
    async fn identity(&self, id: &IdentityId) -> StoreResult<Option<Identity>> {
        self.check()?;
        self.inner.identity(id).await
    }
    async fn source(&self, id: &SourceId) -> StoreResult<Option<Source>> {
        self.inner.source(id).await
    }
    async fn entitlement(&self, id: &EntitlementId) -> StoreResult<Option<Entitlement>> {
        self.inner.entitlement(id).await
    }
    async fn entitlement_permissions(&self, id: &EntitlementId) -> StoreResult<Vec<Permission>> {
        self.inner.entitlement_permissions(id).await
    }
    async fn access_profile(&self, id: &AccessProfileId) -> StoreResult<Option<AccessProfile>> {
        self.inner.access_profile(id).await
    }
    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>> {
        self.inner.role(id).await
    }
    async fn account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        self.inner.account(id).await
    }
    async fn governance_group(
        &self,
        id: &GovernanceGroupId,
    ) -> StoreResult<Option<GovernanceGroup>> {
        self.inner.governance_group(id).await
    }
    async fn assignments_of_identity(&self, id: &IdentityId) -> StoreResult<Vec<Assignment>> {
        self.inner.assignments_of_identity(id).await
    }
    async fn assignments_of_account(&self, id: &AccountId) -> StoreResult<Vec<Assignment>> {
        self.inner.assignments_of_account(id).await
    }
    async fn direct_reports(&self, id: &IdentityId) -> StoreResult<Vec<IdentityId>> {
        self.inner.direct_reports(id).await
    }
}

#[async_trait]
impl ImportStore for FailingStore {
    async fn begin_import(&self, started_at: DateTime<Utc>) -> StoreResult<Box<dyn ImportTx>> {
        self.inner.begin_import(started_at).await
    }
}

#[async_trait]
impl CredentialStore for FailingStore {
    async fn insert_api_client(&self, client: &ApiClient) -> StoreResult<()> {
        self.inner.insert_api_client(client).await
    }
    async fn api_client(&self, id: &ClientId) -> StoreResult<Option<ApiClient>> {
        self.check()?;
        self.inner.api_client(id).await
    }
    async fn record_client_use(&self, id: &ClientId, at: DateTime<Utc>) -> StoreResult<()> {
        self.inner.record_client_use(id, at).await
    }
}
