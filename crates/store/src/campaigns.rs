//! Storage of running reviews: campaigns, certifications, review items, decisions,
//! reassignments, sign-off, provisioning orders, certification tasks (the job outbox) and the
//! audit log.
//!
//! Policy (see `docs/architecture.md`):
//! - Every write that changes counters changes them in the same transaction (decisions,
//!   reassignments, sign-off), so summaries read counters and never scan items.
//! - Every state change appends its [`AuditEvent`]s in the same transaction.
//! - Every write that needs background work inserts its [`Task`] in the same transaction
//!   (outbox). Workers claim tasks under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
//! - Status changes are compare-and-set: the caller says which status it expects, and a
//!   `false`/`None` answer means someone else moved the campaign first.
//! - Lists take the API's collection parameters ([`ListQuery`]) already validated against the
//!   endpoint's declared fields; the backend maps each field name to a column.

use async_trait::async_trait;
use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_query::{Filter, SortKey};
use chrono::{DateTime, Utc};

use crate::StoreResult;

/// Collection parameters of a list call, validated by the API against the endpoint's specs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// The `filters` parameter, parsed. Field names are the endpoint's wire names.
    pub filter: Option<Filter>,
    /// The `sorters` parameter. An empty list means the endpoint's default order.
    pub sort: Vec<SortKey>,
    /// At most this many rows.
    pub limit: u32,
    /// Skip this many rows.
    pub offset: u64,
    /// Also count the whole filtered collection.
    pub count: bool,
}

/// One page of a list, and the total when it was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The size of the whole filtered collection, when `count` was asked.
    pub total: Option<u64>,
}

/// A page of a certification's review items with what showing it needs, read together by
/// [`CampaignStore::item_page`].
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPage {
    /// The certification, as [`CampaignStore::certification`] reads it.
    pub certification: Certification,
    /// The page, as [`CampaignStore::list_items`] reads it.
    pub items: Page<ReviewItem>,
    /// The identity summaries the page's items belong to, in no particular order.
    pub summaries: Vec<IdentitySummary>,
    /// The accounts the page's items name that the warehouse still holds, in no particular
    /// order.
    pub accounts: Vec<Account>,
    /// [`crate::WarehouseStore::warehouse_version`], read with the rest.
    pub warehouse_version: u64,
}

/// Who may see a list of certifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificationScope {
    /// Every certification (administrators and report readers).
    All,
    /// Only certifications this identity reviews, directly or as a member of the reviewing
    /// governance group.
    ReviewedBy(IdentityId),
}

/// One warehouse assignment (or machine account, or role member) that a campaign's scope
/// selected, with every fact generation needs to make a review item, its reviewer and its
/// recommendation. Backends produce these in a stable order so that paging by `cursor` is
/// exact.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Position for keyset paging: the next page starts after the largest cursor seen.
    pub cursor: i64,
    /// Holder identity (`None` for uncorrelated or machine accounts and role members).
    pub identity_id: Option<IdentityId>,
    /// Holder account.
    pub account_id: Option<AccountId>,
    /// The role whose member this is (role composition).
    pub role_id: Option<RoleId>,
    /// Display name of the holder (identity name, account name or role name).
    pub holder_name: String,
    /// Holder's `active` flag (identities; `None` otherwise).
    pub holder_active: Option<bool>,
    /// The holder identity's manager.
    pub holder_manager: Option<IdentityId>,
    /// The natural reviewer before the self-review rule: the manager, source owner, account
    /// owner or role owner; `None` when the warehouse names nobody.
    pub natural_reviewer: Option<IdentityId>,
    /// Access kind.
    pub access_type: ItemAccessType,
    /// Access id.
    pub access_id: String,
    /// Access name.
    pub access_name: String,
    /// Source of the access (entitlement's, access profile's, or account's source).
    pub source_id: Option<SourceId>,
    /// Its name.
    pub source_name: Option<String>,
    /// Origin of the assignment (role members: `ROLE_MODEL`).
    pub origin: Origin,
    /// Granted since.
    pub granted_at: Option<DateTime<Utc>>,
    /// `lastUsed` of the account through which the access is held.
    pub account_last_used: Option<DateTime<Utc>>,
}

/// Which candidates to read for a campaign; the engine resolves SEARCH queries to identity
/// ids itself (so the filter grammar is evaluated in one place).
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateScope {
    /// Every assignment held by an identity that has a manager; reviewer = manager.
    Manager,
    /// Assignments whose entitlement, access profile or account is on these sources;
    /// reviewer = source owner. Correlated: held by identities; uncorrelated: held by accounts
    /// without an identity (the accounts themselves are candidates too, as ACCOUNT items).
    SourceOwner {
        /// Sources.
        source_ids: Vec<SourceId>,
        /// Which holders.
        correlated: CorrelatedStatus,
    },
    /// Every assignment of these identities; natural reviewer left `None` (the campaign names
    /// one).
    Identities(Vec<IdentityId>),
    /// Machine accounts of these sources (as ACCOUNT items) and their assignments; reviewer =
    /// account owner.
    MachineAccounts(Vec<SourceId>),
    /// Members (access profiles and entitlements) of these roles, or of every role when
    /// `None`; reviewer = role owner.
    RoleMembers(Option<Vec<RoleId>>),
}

/// A review item as generation writes it; ids come from [`CampaignStore::allocate_ids`].
pub type NewReviewItem = ReviewItem;

/// Everything generation learned, written when the last batch of items is in.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationResult {
    /// The certifications, with their counters.
    pub certifications: Vec<Certification>,
    /// The identity summaries, with their counters.
    pub identity_summaries: Vec<IdentitySummary>,
    /// Campaign counters.
    pub counts: CampaignCounts,
    /// Sources holding items.
    pub source_ids: Vec<SourceId>,
    /// Warnings to show on the campaign (e.g. holders left out for want of a reviewer).
    pub alerts: Vec<CampaignAlert>,
}

/// One decision of a decide call.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemDecision {
    /// The item.
    pub item_id: ReviewItemId,
    /// APPROVE or REVOKE.
    pub decision: Decision,
    /// Comment.
    pub comments: Option<String>,
    /// For revokes.
    pub proposed_end_date: Option<DateTime<Utc>>,
}

/// Why a write on a certification was refused. The engine turns these into API errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificationRefusal {
    /// No such certification.
    #[error("certification not found")]
    NotFound,
    /// The certification is not ACTIVE (staged, or signed and read-only).
    #[error("certification is {0}")]
    NotActive(CertificationPhase),
    /// The certification's campaign is not ACTIVE (checked inside the write's transaction, so
    /// a decision never lands after another node started completing the campaign).
    #[error("campaign is {0}")]
    CampaignNotActive(CampaignStatus),
    /// An item id is not in this certification.
    #[error("item {0} is not in this certification")]
    UnknownItem(String),
    /// An identity summary id (or identity id) is not in this certification.
    #[error("identity {0} is not in this certification")]
    UnknownIdentity(String),
    /// Sign-off with items left undecided.
    #[error("{0} items are undecided")]
    Undecided(i64),
}

/// Why a decide call may not write to `certification` (`None`: it may), as each backend checks
/// it inside the decision's transaction: the certification must still be reviewed by
/// `reviewer` when the call was made as its reviewer (otherwise it is not found, as for anyone
/// who does not review it), be ACTIVE, and belong to a campaign that is still there and
/// ACTIVE (`campaign_status`, read in the same transaction).
pub fn decide_refusal(
    certification: &Certification,
    reviewer: Option<&IdentityId>,
    campaign_status: Option<CampaignStatus>,
) -> Option<CertificationRefusal> {
    if reviewer.is_some_and(|r| *r != certification.reviewer) {
        return Some(CertificationRefusal::NotFound);
    }
    if certification.phase != CertificationPhase::Active {
        return Some(CertificationRefusal::NotActive(certification.phase));
    }
    match campaign_status {
        Some(CampaignStatus::Active) => None,
        Some(status) => Some(CertificationRefusal::CampaignNotActive(status)),
        None => Some(CertificationRefusal::NotFound),
    }
}

/// What to move in a reassignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReassignTarget {
    /// One item.
    Item(ReviewItemId),
    /// Every item of one holder (an identity summary id or the holder's identity id).
    Identity(String),
}

/// Result of a write that may have completed the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignOffOutcome {
    /// Provisioning orders created.
    pub orders_created: u64,
    /// Every certification of the campaign is now signed.
    pub campaign_all_signed: bool,
}

/// Filter of the provisioning-order list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only this campaign's orders.
    pub campaign_id: Option<CampaignId>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Page size.
    pub limit: u32,
    /// Page start.
    pub offset: u64,
}

/// Storage of campaigns and everything in them.
#[async_trait]
pub trait CampaignStore: Send + Sync + 'static {
    // ---- ids ----

    /// Reserves `n` consecutive ids for review items and identity summaries and returns the
    /// first. Atomic across nodes; never returns the same id twice.
    async fn allocate_ids(&self, n: i64) -> StoreResult<i64>;

    // ---- campaigns ----

    /// Inserts a new PENDING campaign together with its CAMPAIGN_CREATE task and audit event.
    async fn insert_campaign(
        &self,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// One campaign.
    async fn campaign(&self, id: &CampaignId) -> StoreResult<Option<Campaign>>;

    /// Campaigns matching the query (fields: `id`, `name`, `status`, `type`, `created`,
    /// `modified`, `deadline`).
    async fn list_campaigns(&self, query: &ListQuery) -> StoreResult<Page<Campaign>>;

    /// Replaces the stored definition (and `modified`) if the campaign is still in
    /// `expected`; returns whether it was.
    async fn update_campaign_definition(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        definition: &CampaignDefinition,
        modified: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Moves the campaign from `expected` to `next` (compare-and-set), appends `alerts`,
    /// enqueues `task` when given, stamps `activated`/`completed` when entering ACTIVE /
    /// COMPLETED. Returns whether the campaign was in `expected`.
    #[allow(clippy::too_many_arguments)]
    async fn transition_campaign(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        next: CampaignStatus,
        at: DateTime<Utc>,
        alerts: &[CampaignAlert],
        task: Option<&Task>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes campaigns with everything in them (certifications, items, summaries, tasks
    /// targeting them; not audit events, not provisioning orders). Returns how many existed.
    async fn delete_campaigns(&self, ids: &[CampaignId], audit: &[AuditEvent]) -> StoreResult<u64>;

    // ---- generation ----

    /// Up to `limit` candidates after `cursor` (exclusive), in cursor order.
    async fn candidates(
        &self,
        scope: &CandidateScope,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candidate>>;

    /// Every identity as (id, name, attributes-as-JSON-object including the standard fields
    /// `name`, `displayName`, `email`, `department`, `title`, `location`, `lifecycleState`,
    /// `active`, `managerId`), in id order after `after`; used to evaluate SEARCH queries.
    async fn identities_page(
        &self,
        after: Option<&IdentityId>,
        limit: u32,
    ) -> StoreResult<Vec<(IdentityId, serde_json::Value)>>;

    /// Removes whatever an earlier, interrupted generation of this campaign wrote.
    async fn clear_generated(&self, campaign: &CampaignId) -> StoreResult<()>;

    /// Inserts a batch of generated items (multi-row statements or COPY; one transaction).
    async fn insert_items(&self, items: &[ReviewItem]) -> StoreResult<()>;

    /// Writes certifications, identity summaries and counters, and moves the campaign from
    /// PENDING to STAGED, in one transaction. Returns false (writing nothing) if the campaign
    /// was no longer PENDING.
    async fn finish_generation(
        &self,
        campaign: &CampaignId,
        result: &GenerationResult,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// ACTIVATING → ACTIVE: every certification becomes ACTIVE with `due = deadline`.
    async fn finish_activation(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    // ---- certifications ----

    /// One certification.
    async fn certification(&self, id: &CertificationId) -> StoreResult<Option<Certification>>;

    /// Certifications visible in `scope` matching the query (fields: `id`, `campaign.id`,
    /// `phase`, `completed`, `name`, `due`, `signed`, `created`, `modified`,
    /// `campaign.name`, `campaign.campaignType`, `reviewer.id`, `reviewer.name`).
    async fn list_certifications(
        &self,
        scope: &CertificationScope,
        query: &ListQuery,
    ) -> StoreResult<Page<Certification>>;

    /// Whether `identity` may act on the certification (its reviewer, or a member of its
    /// reviewing governance group).
    async fn is_reviewer(&self, id: &CertificationId, identity: &IdentityId) -> StoreResult<bool>;

    /// The identities that can act on a certification (its reviewer, or the group's members).
    async fn certification_reviewers(
        &self,
        id: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<Identity>>;

    /// Items of a certification (fields: `id`, `type`, `access.type`, `completed`,
    /// `identitySummary.id`, `identitySummary.identityId`, `identitySummary.name`,
    /// `access.id`, `access.name`, `entitlement.sourceName`, `accessProfile.sourceName`),
    /// optionally narrowed to items whose access id is in `access_ids` (the `entitlements`,
    /// `access-profiles`, `roles` parameters).
    async fn list_items(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>>;

    /// [`CampaignStore::list_items`] with the certification, the items' identity summaries and
    /// accounts and the warehouse version, read together (one statement where the backend can,
    /// since a reviewer's page is the most-read thing there is); `None` when the certification
    /// does not exist. Whether the caller may see it is the caller's to check.
    async fn item_page(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Option<ItemPage>>;

    /// One representative item per distinct access item of `access_type` in a certification
    /// (SailPoint's access summaries; fields: `access.id`, `access.name`,
    /// `entitlement.sourceName`, `accessProfile.sourceName`, `cloudGoverned`, `completed`).
    async fn list_access_summaries(
        &self,
        certification: &CertificationId,
        access_type: ItemAccessType,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>>;

    /// One item of a certification.
    async fn item(
        &self,
        certification: &CertificationId,
        item: ReviewItemId,
    ) -> StoreResult<Option<ReviewItem>>;

    /// Identity summaries of a certification (fields: `id`, `completed`, `identityId`,
    /// `name`).
    async fn list_identity_summaries(
        &self,
        certification: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<IdentitySummary>>;

    /// One identity summary.
    async fn identity_summary(
        &self,
        certification: &CertificationId,
        id: IdentitySummaryId,
    ) -> StoreResult<Option<IdentitySummary>>;

    /// Applies decisions atomically: every item must belong to the ACTIVE certification,
    /// else nothing is written and the first offending item is named. Updates counters of
    /// items, identity summaries, the certification and the campaign, and appends one audit
    /// event per decision, in one transaction.
    async fn decide(
        &self,
        certification: &CertificationId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>>;

    /// [`CampaignStore::decide`] for a caller deciding as the certification's own reviewer:
    /// in the same transaction, a certification that `reviewer` no longer reviews is refused as
    /// [`CertificationRefusal::NotFound`]. The engine may then check who reviews a
    /// certification from what it remembers, and this keeps that check true when it writes.
    async fn decide_as_reviewer(
        &self,
        certification: &CertificationId,
        reviewer: &IdentityId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>>;

    /// Moves items (or all items of holders) from an ACTIVE certification to the reviewer
    /// `to`'s certification in the same campaign, creating it when missing, keeping decisions,
    /// adjusting counters on both sides and recording the reassignment and its reason on the
    /// receiving certification and items. Returns the receiving certification.
    async fn reassign(
        &self,
        certification: &CertificationId,
        targets: &[ReassignTarget],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>>;

    /// The administrator's move of whole certifications to reviewer `to` (merging into `to`'s
    /// certification in the campaign when one exists). Returns the receiving certification.
    async fn reassign_certifications(
        &self,
        campaign: &CampaignId,
        certifications: &[CertificationId],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>>;

    /// Signs a certification off: refuses while items are undecided; otherwise phase SIGNED,
    /// one provisioning order per revoked item (due = proposed end date or `at`), campaign
    /// counters, audit, all in one transaction.
    async fn sign_off(
        &self,
        certification: &CertificationId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<(Certification, SignOffOutcome), CertificationRefusal>>;

    /// Completion of a campaign (in COMPLETING): decides every undecided item with `action`
    /// (REVOKE only when the campaign allows auto-revoke, else APPROVE), signs every
    /// certification, writes provisioning orders, moves the campaign to COMPLETED.
    async fn complete_campaign(
        &self,
        campaign: &CampaignId,
        action: Decision,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    // ---- tasks ----

    /// Inserts a task on its own (reassign-async, admin reassign, delete).
    async fn insert_task(&self, task: &Task, audit: Option<&AuditEvent>) -> StoreResult<()>;

    /// One task.
    async fn task(&self, id: &TaskId) -> StoreResult<Option<Task>>;

    /// Tasks targeting `target_id`, optionally only QUEUED / IN_PROGRESS ones, newest first.
    async fn tasks_of(&self, target_id: &str, pending_only: bool) -> StoreResult<Vec<Task>>;

    /// Tasks matching the query (fields: `id`, `targetId`, `type`, `status`), for the
    /// certification-tasks endpoints.
    async fn list_tasks(&self, query: &ListQuery) -> StoreResult<Page<Task>>;

    /// Claims the oldest runnable task (QUEUED with `run_after <= now`, or IN_PROGRESS with
    /// an expired lease), marking it IN_PROGRESS with a lease until `lease_until` for `worker`
    /// and counting the attempt.
    async fn claim_task(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Task>>;

    /// Records the outcome of a claimed task: SUCCESS, ERROR with `errors`, or QUEUED again
    /// with `retry_at` (backoff). `trail` is stored for reassignments.
    async fn finish_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        errors: &[String],
        trail: &[ReassignmentTrail],
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;

    // ---- provisioning orders and audit ----

    /// Provisioning orders, newest first.
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<ProvisioningOrder>>;

    /// Audit events of a campaign (oldest first), for evidence and tests.
    async fn audit_events(
        &self,
        campaign: &CampaignId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<AuditEvent>>;

    /// Appends audit events on their own (e.g. a refused access attempt worth recording).
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()>;
}
