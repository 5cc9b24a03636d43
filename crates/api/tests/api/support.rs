//! The test application: a router over a fresh store, a manual clock, and helpers to make
//! identities, personal access tokens and requests.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use attest_api::rate_limit::RateLimiter;
use attest_api::{router, AppState};
use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_engine::campaigns::Campaigns;
use attest_engine::credentials::{CreatedPat, Credentials};
use attest_store::campaigns::*;
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
    /// The certification engine the router uses (tests drive its tasks with
    /// [`TestApp::run_tasks`]).
    pub campaigns: Campaigns,
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
        let campaigns = Campaigns::new(store.clone(), shared_clock.clone());
        let router = router(AppState {
            store: store.clone(),
            credentials: credentials.clone(),
            campaigns: campaigns.clone(),
            clock: shared_clock,
            rate_limiter: Arc::new(limiter),
            access_catalog: Default::default(),
        });
        Self {
            store,
            clock,
            credentials,
            campaigns,
            router,
        }
    }

    /// The router, to serve over a real socket (see `campaign_templates::serve`).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Runs every background task that is due now (generation, activation, ...), as the
    /// worker would; returns how many ran.
    pub async fn run_tasks(&self) -> usize {
        self.campaigns.run_due_tasks().await.expect("run due tasks")
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

    /// Imports a small organisation (the data bundle below): `boss` manages `alice` and
    /// `bob`, `alice` manages `carol`; `boss` owns source `ledger` with entitlements
    /// `ledger-admin` (held by alice, from the role model) and `ledger-read` (held by bob,
    /// discovered, and by carol, by hand). A MANAGER campaign over it has two certifications
    /// (boss: alice and bob; alice: carol) and three items.
    pub async fn seed_org(&self) {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "identities.csv",
                "id,name,displayName,email,managerId,department,active\n\
                 boss,boss,Big Boss,boss@example.com,,Finance,true\n\
                 alice,alice,Alice Archer,alice@example.com,boss,Finance,true\n\
                 bob,bob,Bob Baker,bob@example.com,boss,Finance,true\n\
                 carol,carol,Carol Cook,carol@example.com,alice,Finance,true\n",
            ),
            ("sources.csv", "id,name,ownerId\nledger,Ledger,boss\n"),
            (
                "entitlements.csv",
                "id,sourceId,name\nledger-admin,ledger,Ledger Admin\nledger-read,ledger,Ledger Read\n",
            ),
            (
                "assignments.csv",
                "identityId,accessType,accessId,origin\n\
                 alice,ENTITLEMENT,ledger-admin,ROLE_MODEL\n\
                 bob,ENTITLEMENT,ledger-read,DISCOVERED\n\
                 carol,ENTITLEMENT,ledger-read,MANUAL\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        attest_engine::import::import_bundle(
            self.store.as_ref(),
            &self.clock,
            dir.path(),
            Arc::new(attest_engine::import::NoProgress),
        )
        .await
        .expect("import the test organisation");
    }

    /// A bearer token for an identity that already exists (e.g. one of [`TestApp::seed_org`]).
    pub async fn token_for(&self, id: &str, authorities: &[Authority]) -> String {
        let pat = self
            .credentials
            .create_pat(id.into(), authorities.to_vec(), format!("{id} token"))
            .await
            .unwrap();
        self.credentials
            .issue_token(&pat.client_id.0, &pat.client_secret)
            .await
            .unwrap()
            .access_token
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
        let csv = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/csv"));
        let body = if text.is_empty() {
            Value::Null
        } else if csv {
            // A CSV download: its text, as a JSON string.
            Value::String(text)
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// `GET uri` with a bearer token, the body read as text (downloads that are not JSON).
    pub async fn get_text(&self, uri: &str, token: &str) -> (StatusCode, HeaderMap, String) {
        let response = self
            .router
            .clone()
            .oneshot(get(uri, Some(token)))
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// `GET uri`, with a bearer token when given.
    pub async fn get(&self, uri: &str, token: Option<&str>) -> TestResponse {
        self.send(get(uri, token)).await
    }

    /// `method uri` with a JSON body (`Null`: no body) and a bearer token.
    pub async fn send_json(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        body: &Value,
    ) -> TestResponse {
        self.send(json_request(method, uri, token, body)).await
    }

    /// `POST uri` with a JSON body (`Null`: no body) and a bearer token.
    pub async fn post(&self, uri: &str, token: &str, body: &Value) -> TestResponse {
        self.send_json(Method::POST, uri, token, body).await
    }

    /// `PATCH uri` with a JSON Patch body and a bearer token.
    pub async fn patch(&self, uri: &str, token: &str, body: &Value) -> TestResponse {
        let mut request = json_request(Method::PATCH, uri, token, body);
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            "application/json-patch+json".parse().unwrap(),
        );
        self.send(request).await
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

/// A request with a JSON body (`Null`: none) and a bearer token.
pub fn json_request(method: Method, uri: &str, token: &str, body: &Value) -> Request<Body> {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_null() {
        request.body(Body::empty()).unwrap()
    } else {
        request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }
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
    /// The JSON body (`Null` when empty; a string holding the text of a `text/csv` answer).
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
    async fn warehouse_version(&self) -> StoreResult<u64> {
        self.check()?;
        self.inner.warehouse_version().await
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
    async fn identities(&self, ids: &[IdentityId]) -> StoreResult<Vec<Identity>> {
        self.check()?;
        self.inner.identities(ids).await
    }
    async fn sources(&self, ids: &[SourceId]) -> StoreResult<Vec<Source>> {
        self.inner.sources(ids).await
    }
    async fn entitlements(&self, ids: &[EntitlementId]) -> StoreResult<Vec<Entitlement>> {
        self.inner.entitlements(ids).await
    }
    async fn entitlements_with_permissions(
        &self,
        ids: &[EntitlementId],
    ) -> StoreResult<Vec<EntitlementId>> {
        self.inner.entitlements_with_permissions(ids).await
    }
    async fn access_profiles(&self, ids: &[AccessProfileId]) -> StoreResult<Vec<AccessProfile>> {
        self.inner.access_profiles(ids).await
    }
    async fn roles(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>> {
        self.inner.roles(ids).await
    }
    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        self.inner.accounts(ids).await
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

#[async_trait]
impl CampaignStore for FailingStore {
    async fn allocate_ids(&self, n: i64) -> StoreResult<i64> {
        self.inner.allocate_ids(n).await
    }
    async fn insert_campaign(
        &self,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.inner.insert_campaign(campaign, task, audit).await
    }
    async fn campaign(&self, id: &CampaignId) -> StoreResult<Option<Campaign>> {
        self.inner.campaign(id).await
    }
    async fn list_campaigns(&self, query: &ListQuery) -> StoreResult<Page<Campaign>> {
        self.inner.list_campaigns(query).await
    }
    async fn update_campaign_definition(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        definition: &CampaignDefinition,
        modified: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner
            .update_campaign_definition(id, expected, definition, modified, audit)
            .await
    }
    async fn transition_campaign(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        next: CampaignStatus,
        at: DateTime<Utc>,
        alerts: &[CampaignAlert],
        task: Option<&Task>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner
            .transition_campaign(id, expected, next, at, alerts, task, audit)
            .await
    }
    async fn delete_campaigns(&self, ids: &[CampaignId], audit: &[AuditEvent]) -> StoreResult<u64> {
        self.inner.delete_campaigns(ids, audit).await
    }
    async fn candidates(
        &self,
        scope: &CandidateScope,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candidate>> {
        self.inner.candidates(scope, after, limit).await
    }
    async fn identities_page(
        &self,
        after: Option<&IdentityId>,
        limit: u32,
    ) -> StoreResult<Vec<(IdentityId, serde_json::Value)>> {
        self.inner.identities_page(after, limit).await
    }
    async fn clear_generated(&self, campaign: &CampaignId) -> StoreResult<()> {
        self.inner.clear_generated(campaign).await
    }
    async fn insert_items(&self, items: &[ReviewItem]) -> StoreResult<()> {
        self.inner.insert_items(items).await
    }
    async fn finish_generation(
        &self,
        campaign: &CampaignId,
        result: &GenerationResult,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner
            .finish_generation(campaign, result, at, audit)
            .await
    }
    async fn finish_activation(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner.finish_activation(campaign, at, audit).await
    }
    async fn certification(&self, id: &CertificationId) -> StoreResult<Option<Certification>> {
        self.inner.certification(id).await
    }
    async fn list_certifications(
        &self,
        scope: &CertificationScope,
        query: &ListQuery,
    ) -> StoreResult<Page<Certification>> {
        self.inner.list_certifications(scope, query).await
    }
    async fn is_reviewer(&self, id: &CertificationId, identity: &IdentityId) -> StoreResult<bool> {
        self.inner.is_reviewer(id, identity).await
    }
    async fn certification_reviewers(
        &self,
        id: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<Identity>> {
        self.inner.certification_reviewers(id, query).await
    }
    async fn list_items(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        self.inner
            .list_items(certification, access_ids, query)
            .await
    }
    async fn item_page(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Option<ItemPage>> {
        self.inner.item_page(certification, access_ids, query).await
    }
    async fn list_access_summaries(
        &self,
        certification: &CertificationId,
        access_type: ItemAccessType,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        self.inner
            .list_access_summaries(certification, access_type, query)
            .await
    }
    async fn item(
        &self,
        certification: &CertificationId,
        item: ReviewItemId,
    ) -> StoreResult<Option<ReviewItem>> {
        self.inner.item(certification, item).await
    }
    async fn list_identity_summaries(
        &self,
        certification: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<IdentitySummary>> {
        self.inner
            .list_identity_summaries(certification, query)
            .await
    }
    async fn identity_summary(
        &self,
        certification: &CertificationId,
        id: IdentitySummaryId,
    ) -> StoreResult<Option<IdentitySummary>> {
        self.inner.identity_summary(certification, id).await
    }
    async fn decide(
        &self,
        certification: &CertificationId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        self.inner.decide(certification, decisions, actor, at).await
    }
    async fn decide_as_reviewer(
        &self,
        certification: &CertificationId,
        reviewer: &IdentityId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        self.inner
            .decide_as_reviewer(certification, reviewer, decisions, actor, at)
            .await
    }
    async fn reassign(
        &self,
        certification: &CertificationId,
        targets: &[ReassignTarget],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        self.inner
            .reassign(certification, targets, to, reason, actor, at)
            .await
    }
    async fn reassign_certifications(
        &self,
        campaign: &CampaignId,
        certifications: &[CertificationId],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        self.inner
            .reassign_certifications(campaign, certifications, to, reason, actor, at)
            .await
    }
    async fn sign_off(
        &self,
        certification: &CertificationId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<(Certification, SignOffOutcome), CertificationRefusal>> {
        self.inner.sign_off(certification, actor, at).await
    }
    async fn complete_campaign(
        &self,
        campaign: &CampaignId,
        action: Decision,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner
            .complete_campaign(campaign, action, at, audit)
            .await
    }
    async fn insert_task(&self, task: &Task, audit: Option<&AuditEvent>) -> StoreResult<()> {
        self.inner.insert_task(task, audit).await
    }
    async fn task(&self, id: &TaskId) -> StoreResult<Option<Task>> {
        self.inner.task(id).await
    }
    async fn tasks_of(&self, target_id: &str, pending_only: bool) -> StoreResult<Vec<Task>> {
        self.inner.tasks_of(target_id, pending_only).await
    }
    async fn list_tasks(&self, query: &ListQuery) -> StoreResult<Page<Task>> {
        self.inner.list_tasks(query).await
    }
    async fn claim_task(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Task>> {
        self.inner.claim_task(worker, now, lease_until).await
    }
    async fn finish_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        errors: &[String],
        trail: &[ReassignmentTrail],
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        self.inner
            .finish_task(id, status, errors, trail, retry_at)
            .await
    }
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<ProvisioningOrder>> {
        self.inner.list_orders(query).await
    }
    async fn audit_events(
        &self,
        campaign: &CampaignId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<AuditEvent>> {
        self.inner.audit_events(campaign, limit, offset).await
    }
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        self.inner.append_audit(events).await
    }
}

#[async_trait]
impl attest_store::TemplateStore for FailingStore {
    async fn insert_template(
        &self,
        template: &attest_domain::template::CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.insert_template(template, audit).await
    }
    async fn template(
        &self,
        id: &attest_domain::template::TemplateId,
    ) -> StoreResult<Option<attest_domain::template::CampaignTemplate>> {
        self.check()?;
        self.inner.template(id).await
    }
    async fn list_templates(
        &self,
        query: &ListQuery,
    ) -> StoreResult<Page<attest_domain::template::CampaignTemplate>> {
        self.check()?;
        self.inner.list_templates(query).await
    }
    async fn update_template(
        &self,
        template: &attest_domain::template::CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.update_template(template, audit).await
    }
    async fn delete_template(
        &self,
        id: &attest_domain::template::TemplateId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_template(id, audit).await
    }
    async fn template_schedule(
        &self,
        id: &attest_domain::template::TemplateId,
    ) -> StoreResult<Option<attest_store::templates::StoredSchedule>> {
        self.check()?;
        self.inner.template_schedule(id).await
    }
    async fn set_template_schedule(
        &self,
        id: &attest_domain::template::TemplateId,
        schedule: &attest_domain::schedule::Schedule,
        next_due: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner
            .set_template_schedule(id, schedule, next_due, at, audit)
            .await
    }
    async fn delete_template_schedule(
        &self,
        id: &attest_domain::template::TemplateId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_template_schedule(id, audit).await
    }
    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<attest_store::templates::StoredSchedule>> {
        self.check()?;
        self.inner.due_schedules(now, limit).await
    }
    async fn advance_schedule(
        &self,
        id: &attest_domain::template::TemplateId,
        advance: attest_store::templates::ScheduleAdvance,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.advance_schedule(id, advance).await
    }
    async fn insert_scheduled_campaign(
        &self,
        run: &attest_store::templates::ScheduledRun,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
        advance: attest_store::templates::ScheduleAdvance,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner
            .insert_scheduled_campaign(run, campaign, task, audit, advance)
            .await
    }
    async fn scheduled_runs(
        &self,
        id: &attest_domain::template::TemplateId,
    ) -> StoreResult<Vec<attest_store::templates::ScheduledRun>> {
        self.check()?;
        self.inner.scheduled_runs(id).await
    }
}

#[async_trait]
impl attest_store::RemediationStore for FailingStore {
    async fn remediation_sink(
        &self,
        source: &SourceId,
    ) -> StoreResult<Option<attest_domain::remediation::RemediationSink>> {
        self.inner.remediation_sink(source).await
    }
    async fn put_remediation_sink(
        &self,
        sink: &attest_domain::remediation::RemediationSink,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.inner.put_remediation_sink(sink, audit).await
    }
    async fn delete_remediation_sink(
        &self,
        source: &SourceId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner.delete_remediation_sink(source, audit).await
    }
    async fn list_remediation_orders(
        &self,
        query: &attest_store::remediation::RemediationOrderQuery,
    ) -> StoreResult<Page<attest_domain::remediation::RemediationOrder>> {
        self.inner.list_remediation_orders(query).await
    }
    async fn remediation_order(
        &self,
        id: &OrderId,
    ) -> StoreResult<Option<attest_domain::remediation::RemediationOrder>> {
        self.inner.remediation_order(id).await
    }
    async fn release_orders(
        &self,
        campaign: &CampaignId,
        orders: Option<&[OrderId]>,
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Vec<OrderId>> {
        self.inner
            .release_orders(campaign, orders, by, at, audit)
            .await
    }
    async fn claim_order(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<attest_store::remediation::ClaimedOrder>> {
        self.inner.claim_order(worker, now, lease_until).await
    }
    async fn record_delivery(
        &self,
        order: &OrderId,
        worker: &str,
        outcome: &attest_domain::remediation::DeliveryOutcome,
        sink: attest_domain::remediation::SinkKind,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.inner
            .record_delivery(order, worker, outcome, sink, at)
            .await
    }
    async fn mark_orders_done(
        &self,
        orders: &[OrderId],
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audits: &[AuditEvent],
    ) -> StoreResult<Vec<OrderId>> {
        self.inner.mark_orders_done(orders, by, at, audits).await
    }
    async fn request_remediation_scan(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner
            .request_remediation_scan(campaign, at, audit)
            .await
    }
    async fn claim_remediation_scan(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<CampaignId>> {
        self.inner
            .claim_remediation_scan(worker, now, lease_until)
            .await
    }
    async fn run_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<attest_domain::remediation::ScanOutcome>> {
        self.inner.run_remediation_scan(campaign, worker, at).await
    }
    async fn retry_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.inner
            .retry_remediation_scan(campaign, worker, error, retry_at)
            .await
    }
}

#[async_trait]
impl attest_store::campaign_filters::CampaignFilterStore for FailingStore {
    async fn insert_campaign_filter(
        &self,
        filter: &attest_domain::campaign_filter::CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.inner.insert_campaign_filter(filter, audit).await
    }
    async fn campaign_filter(
        &self,
        id: &attest_domain::campaign_filter::CampaignFilterId,
    ) -> StoreResult<Option<attest_domain::campaign_filter::CampaignFilter>> {
        self.inner.campaign_filter(id).await
    }
    async fn list_campaign_filters(
        &self,
        include_system: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<attest_domain::campaign_filter::CampaignFilter>, u64)> {
        self.inner
            .list_campaign_filters(include_system, limit, offset)
            .await
    }
    async fn update_campaign_filter(
        &self,
        filter: &attest_domain::campaign_filter::CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        self.inner.update_campaign_filter(filter, audit).await
    }
    async fn delete_campaign_filters(
        &self,
        ids: &[attest_domain::campaign_filter::CampaignFilterId],
        audit: &[AuditEvent],
    ) -> StoreResult<attest_store::campaign_filters::FilterDeletion> {
        self.inner.delete_campaign_filters(ids, audit).await
    }
}

#[async_trait]
impl attest_store::events::EventStore for FailingStore {
    async fn insert_subscription(
        &self,
        subscription: &attest_store::events::EventSubscription,
    ) -> StoreResult<()> {
        self.inner.insert_subscription(subscription).await
    }
    async fn subscriptions(&self) -> StoreResult<Vec<attest_store::events::EventSubscription>> {
        self.inner.subscriptions().await
    }
    async fn subscription(
        &self,
        id: &str,
    ) -> StoreResult<Option<attest_store::events::EventSubscription>> {
        self.inner.subscription(id).await
    }
    async fn update_subscription(
        &self,
        subscription: &attest_store::events::EventSubscription,
    ) -> StoreResult<bool> {
        self.inner.update_subscription(subscription).await
    }
    async fn delete_subscription(&self, id: &str) -> StoreResult<bool> {
        self.inner.delete_subscription(id).await
    }
    async fn pending_events(
        &self,
        limit: u32,
    ) -> StoreResult<Vec<attest_store::events::PendingEvent>> {
        self.inner.pending_events(limit).await
    }
    async fn fan_out_event(
        &self,
        event_id: i64,
        body: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<u64>> {
        self.inner.fan_out_event(event_id, body, at).await
    }
    async fn claim_delivery(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<attest_store::events::ClaimedDelivery>> {
        self.inner.claim_delivery(worker, now, lease_until).await
    }
    async fn finish_delivery(
        &self,
        id: i64,
        worker: &str,
        result: &attest_store::events::DeliveryResult,
    ) -> StoreResult<bool> {
        self.inner.finish_delivery(id, worker, result).await
    }
    async fn deliveries(
        &self,
        subscription_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<attest_store::events::EventDelivery>> {
        self.inner.deliveries(subscription_id, limit).await
    }
}

/// Reports pass straight through (the failing paths tested are warehouse and credentials).
#[async_trait]
impl attest_store::ReportStore for FailingStore {
    async fn reports_config(&self) -> StoreResult<Vec<String>> {
        self.inner.reports_config().await
    }
    async fn set_reports_config(&self, columns: &[String], audit: &AuditEvent) -> StoreResult<()> {
        self.inner.set_reports_config(columns, audit).await
    }
    async fn identity_attribute_names(&self) -> StoreResult<Vec<String>> {
        self.inner.identity_attribute_names().await
    }
    async fn start_report(
        &self,
        run: &attest_domain::report::ReportRun,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        self.inner.start_report(run, task, audit).await
    }
    async fn campaign_reports(
        &self,
        campaign: &CampaignId,
    ) -> StoreResult<Vec<attest_domain::report::ReportRun>> {
        self.inner.campaign_reports(campaign).await
    }
    async fn report_run(
        &self,
        id: &attest_domain::report::ReportId,
    ) -> StoreResult<Option<attest_domain::report::ReportRun>> {
        self.inner.report_run(id).await
    }
    async fn clear_report_file(&self, id: &attest_domain::report::ReportId) -> StoreResult<()> {
        self.inner.clear_report_file(id).await
    }
    async fn append_report_chunk(
        &self,
        id: &attest_domain::report::ReportId,
        seq: i64,
        data: &[u8],
    ) -> StoreResult<()> {
        self.inner.append_report_chunk(id, seq, data).await
    }
    async fn finish_report(
        &self,
        id: &attest_domain::report::ReportId,
        status: attest_domain::report::ReportStatus,
        ran_at: DateTime<Utc>,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        self.inner
            .finish_report(id, status, ran_at, rows, error)
            .await
    }
    async fn report_chunk(
        &self,
        id: &attest_domain::report::ReportId,
        seq: i64,
    ) -> StoreResult<Option<Vec<u8>>> {
        self.inner.report_chunk(id, seq).await
    }
    async fn campaign_item_span(
        &self,
        campaign: &CampaignId,
    ) -> StoreResult<Option<(ReviewItemId, ReviewItemId)>> {
        self.inner.campaign_item_span(campaign).await
    }
    async fn report_items(
        &self,
        campaign: &CampaignId,
        after: ReviewItemId,
        last: ReviewItemId,
        limit: u32,
    ) -> StoreResult<Vec<attest_store::reports::ReportItemRow>> {
        self.inner.report_items(campaign, after, last, limit).await
    }
    async fn report_certifications(
        &self,
        campaign: &CampaignId,
        after: Option<&CertificationId>,
        limit: u32,
    ) -> StoreResult<Vec<attest_store::reports::ReportCertificationRow>> {
        self.inner
            .report_certifications(campaign, after, limit)
            .await
    }
    async fn report_orders(
        &self,
        campaign: &CampaignId,
        after: Option<(DateTime<Utc>, &OrderId)>,
        limit: u32,
    ) -> StoreResult<Vec<ProvisioningOrder>> {
        self.inner.report_orders(campaign, after, limit).await
    }
}
