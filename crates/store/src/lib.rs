//! Storage for Attest, as use-case-shaped traits.
//!
//! Policy: a trait here names what the engine needs done ("stage these assignments", "find the
//! API client with this id"), never how; SQL lives only in the backend crates
//! (`attest-store-sqlite`, `attest-store-postgres`), each with its own append-only migrations.
//! Every backend must pass [`conformance`], the same stories run against each of them.
//!
//! All writes that belong together happen in one transaction: an import is one
//! [`ImportTx`], committed whole or rolled back whole.

pub mod campaign_filters;
pub mod campaigns;
pub mod conformance;
pub mod events;
pub mod remediation;
pub mod reports;
pub mod templates;

pub use campaign_filters::CampaignFilterStore;
pub use campaigns::CampaignStore;
pub use events::EventStore;
pub use remediation::RemediationStore;
pub use reports::ReportStore;
pub use templates::TemplateStore;

use async_trait::async_trait;
use attest_domain::*;
use chrono::{DateTime, Utc};

/// What a storage call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or refused the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness constraint refused the write (e.g. a client id that already exists).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Stored data could not be decoded into domain types (a corrupt or foreign database).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Any other database failure. The message is for logs, never for API clients.
    #[error("database error: {0}")]
    Database(String),
}

/// Shorthand for storage results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Lower-case name for logs and health output.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything Attest stores, in one object the application holds as `Arc<dyn Store>`.
pub trait Store:
    SystemStore
    + WarehouseStore
    + ImportStore
    + CredentialStore
    + CampaignStore
    + CampaignFilterStore
    + TemplateStore
    + ReportStore
    + RemediationStore
    + EventStore
{
}

impl<
        T: SystemStore
            + WarehouseStore
            + ImportStore
            + CredentialStore
            + CampaignStore
            + CampaignFilterStore
            + TemplateStore
            + ReportStore
            + RemediationStore
            + EventStore,
    > Store for T
{
}

/// Lifecycle and health of the database itself.
#[async_trait]
pub trait SystemStore: Send + Sync + 'static {
    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Applies pending migrations. Idempotent; safe to run from several nodes at once.
    async fn migrate(&self) -> StoreResult<()>;

    /// Checks that the database answers a trivial query (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// Returns the key that signs bearer tokens, storing `candidate` first if no key exists
    /// yet. Every node sharing the database thus signs and verifies with the same key.
    async fn token_signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>>;

    /// Closes the connection pools, waiting for connections in use to be returned.
    async fn close(&self);
}

/// Reads of the identity warehouse.
#[async_trait]
pub trait WarehouseStore: Send + Sync + 'static {
    /// How many records of each kind the warehouse holds.
    async fn warehouse_counts(&self) -> StoreResult<WarehouseCounts>;
    /// A number that changes whenever an import commits (and only then: nothing else writes
    /// the warehouse), so that what was read from the warehouse can be kept until it does.
    async fn warehouse_version(&self) -> StoreResult<u64>;
    /// One identity with its attributes.
    async fn identity(&self, id: &IdentityId) -> StoreResult<Option<Identity>>;
    /// One source.
    async fn source(&self, id: &SourceId) -> StoreResult<Option<Source>>;
    /// One entitlement.
    async fn entitlement(&self, id: &EntitlementId) -> StoreResult<Option<Entitlement>>;
    /// The permissions an entitlement grants, ordered by target.
    async fn entitlement_permissions(&self, id: &EntitlementId) -> StoreResult<Vec<Permission>>;
    /// One access profile with its entitlement ids (in bundle order).
    async fn access_profile(&self, id: &AccessProfileId) -> StoreResult<Option<AccessProfile>>;
    /// One role with its access profile and entitlement ids (in bundle order).
    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>>;
    /// One account.
    async fn account(&self, id: &AccountId) -> StoreResult<Option<Account>>;
    /// One governance group with its member ids (in bundle order).
    async fn governance_group(
        &self,
        id: &GovernanceGroupId,
    ) -> StoreResult<Option<GovernanceGroup>>;
    /// The assignments whose `identity_id` is `id`, ordered by access type name in byte order
    /// (`ACCESS_PROFILE`, `ENTITLEMENT`, `ROLE`), then access id, then holder key.
    async fn assignments_of_identity(&self, id: &IdentityId) -> StoreResult<Vec<Assignment>>;
    /// The assignments whose `account_id` is `id`, in the same order as
    /// [`WarehouseStore::assignments_of_identity`].
    async fn assignments_of_account(&self, id: &AccountId) -> StoreResult<Vec<Assignment>>;
    /// The identities whose manager is `id`, ordered by id.
    async fn direct_reports(&self, id: &IdentityId) -> StoreResult<Vec<IdentityId>>;

    // Batch reads: one round trip per kind for a page that shows many records (e.g. the
    // details of a page of review items). Each returns the records among `ids` that exist, in
    // no particular order; unknown ids are left out and a repeated id is answered once.

    /// The identities among `ids`.
    async fn identities(&self, ids: &[IdentityId]) -> StoreResult<Vec<Identity>>;
    /// The sources among `ids`.
    async fn sources(&self, ids: &[SourceId]) -> StoreResult<Vec<Source>>;
    /// The entitlements among `ids`.
    async fn entitlements(&self, ids: &[EntitlementId]) -> StoreResult<Vec<Entitlement>>;
    /// The entitlements among `ids` that grant at least one permission.
    async fn entitlements_with_permissions(
        &self,
        ids: &[EntitlementId],
    ) -> StoreResult<Vec<EntitlementId>>;
    /// The access profiles among `ids`, each with its entitlement ids (in bundle order).
    async fn access_profiles(&self, ids: &[AccessProfileId]) -> StoreResult<Vec<AccessProfile>>;
    /// The roles among `ids`, each with its access profile and entitlement ids (in bundle
    /// order).
    async fn roles(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>>;
    /// The accounts among `ids`.
    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>>;
}

/// The kinds of record whose ids other records refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// `identities`
    Identity,
    /// `sources`
    Source,
    /// `entitlements`
    Entitlement,
    /// `access_profiles`
    AccessProfile,
    /// `roles`
    Role,
    /// `accounts`
    Account,
    /// `governance_groups`
    GovernanceGroup,
}

/// An assignment row on its way in, with the bundle line it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedAssignment {
    /// 1-based line of `assignments.csv` (the header is line 1).
    pub line: u64,
    /// The assignment.
    pub assignment: Assignment,
}

/// Two rows of `assignments.csv` with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateLine {
    /// The later row.
    pub line: u64,
    /// The first row with the same key.
    pub first_line: u64,
}

/// What merging the staged assignments changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssignmentMerge {
    /// Staged assignments that did not exist before.
    pub added: u64,
    /// Staged assignments that existed and were updated (origin, grant time).
    pub updated: u64,
    /// Existing assignments that were not staged and so were removed.
    pub removed: u64,
}

/// Opens import transactions.
#[async_trait]
pub trait ImportStore: Send + Sync + 'static {
    /// Starts one import: a write transaction that holds the database's write lock (SQLite
    /// `BEGIN IMMEDIATE`; a PostgreSQL advisory lock) until it is committed or rolled back,
    /// so two imports never interleave.
    async fn begin_import(&self, started_at: DateTime<Utc>) -> StoreResult<Box<dyn ImportTx>>;
}

/// One import in progress. Nothing it writes is visible to others until [`ImportTx::commit`];
/// dropping it without committing rolls everything back.
///
/// Batches passed to the `upsert_*` methods are written with multi-row statements (or COPY),
/// never one statement per row. A record referred to by another (a manager, an owner, a source)
/// may arrive in a later batch than the record referring to it: references are validated by
/// the engine before commit, and the backend's own checks run no earlier than commit, with one
/// exception: [`ImportTx::merge_assignments`] may check the staged assignments' identities and
/// accounts, so it is called after every record of the import has been written.
#[async_trait]
pub trait ImportTx: Send {
    /// The ids of `kind` already stored, so references to records outside the bundle resolve.
    async fn existing_ids(&mut self, kind: RecordKind) -> StoreResult<Vec<String>>;

    /// Every stored identity that has a manager, as (identity, manager).
    async fn existing_managers(&mut self) -> StoreResult<Vec<(IdentityId, IdentityId)>>;

    /// Inserts or updates identities by id (all fields, attributes replaced).
    async fn upsert_identities(&mut self, batch: &[Identity]) -> StoreResult<()>;
    /// Inserts or updates sources by id.
    async fn upsert_sources(&mut self, batch: &[Source]) -> StoreResult<()>;
    /// Inserts or updates entitlements by id.
    async fn upsert_entitlements(&mut self, batch: &[Entitlement]) -> StoreResult<()>;
    /// Inserts or updates access profiles by id; each one's entitlement list is replaced.
    async fn upsert_access_profiles(&mut self, batch: &[AccessProfile]) -> StoreResult<()>;
    /// Inserts or updates roles by id; each one's access profile and entitlement lists are
    /// replaced.
    async fn upsert_roles(&mut self, batch: &[Role]) -> StoreResult<()>;
    /// Inserts or updates accounts by id.
    async fn upsert_accounts(&mut self, batch: &[Account]) -> StoreResult<()>;
    /// Inserts or updates governance groups by id; each one's member list is replaced.
    async fn upsert_governance_groups(&mut self, batch: &[GovernanceGroup]) -> StoreResult<()>;

    /// Removes every stored permission: `permissions.csv`, when present, is the whole truth.
    async fn clear_permissions(&mut self) -> StoreResult<()>;
    /// Adds permissions (after [`ImportTx::clear_permissions`]).
    async fn insert_permissions(&mut self, batch: &[Permission]) -> StoreResult<()>;

    /// Stages assignments for [`ImportTx::merge_assignments`]. Staged rows may contain
    /// duplicates; [`ImportTx::duplicate_assignments`] finds them.
    async fn stage_assignments(&mut self, batch: &[StagedAssignment]) -> StoreResult<()>;
    /// Staged rows whose key (holder key, access type, access id) an earlier staged row has,
    /// ordered by line.
    async fn duplicate_assignments(&mut self) -> StoreResult<Vec<DuplicateLine>>;
    /// Makes the stored assignments exactly the staged ones: adds the new, updates the
    /// existing (origin, grant time), removes those not staged. Requires no duplicates.
    async fn merge_assignments(&mut self) -> StoreResult<AssignmentMerge>;

    /// Commits everything written through this import.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
    /// Discards everything written through this import.
    async fn rollback(self: Box<Self>) -> StoreResult<()>;
}

/// An API client: the stored half of a personal access token.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiClient {
    /// Public client id.
    pub client_id: ClientId,
    /// PHC-format slow hash (Argon2id) of the client secret; the secret itself is never stored.
    pub secret_hash: String,
    /// The identity the client acts as.
    pub identity_id: IdentityId,
    /// What the client may do beyond what its identity may.
    pub authorities: Vec<Authority>,
    /// A label for people.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Storage of API clients (personal access tokens).
#[async_trait]
pub trait CredentialStore: Send + Sync + 'static {
    /// Stores a new client. A client id that exists already is a [`StoreError::Conflict`].
    async fn insert_api_client(&self, client: &ApiClient) -> StoreResult<()>;
    /// Finds a client by id.
    async fn api_client(&self, id: &ClientId) -> StoreResult<Option<ApiClient>>;
    /// Records that the client obtained a token at `at`.
    async fn record_client_use(&self, id: &ClientId, at: DateTime<Utc>) -> StoreResult<()>;
}

/// Connection-pool bounds shared by both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Most connections open at once (for SQLite: readers; writes use one connection).
    pub max_connections: u32,
    /// How long a caller waits for a free connection before failing with `Unavailable`.
    pub acquire_timeout: std::time::Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: std::time::Duration::from_secs(30),
        }
    }
}
