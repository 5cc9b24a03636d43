//! Storage of campaign reports: the reports configuration, report runs with their finished
//! files, and the bounded reads that reports and the campaign CSV stream from.
//!
//! Policy (see `docs/reports.md`):
//! - Every read that a report streams from is keyset-paged and bounded by its `limit`: the
//!   engine asks page after page, so memory never grows with the campaign.
//! - A finished report is stored as its CSV file, in numbered chunks written one at a time, and
//!   read back one chunk at a time; a run of a type replaces the campaign's previous run of
//!   that type (and its file) in the transaction that enqueues the new run's task.
//! - Provisioning orders are read as the store holds them; their status is whatever the
//!   order's status is, never re-derived here.

use async_trait::async_trait;
use attest_domain::certification::{
    AuditEvent, CampaignId, Certification, CertificationId, OrderId, ProvisioningOrder,
    ReviewItemId, Task,
};
use attest_domain::report::{ReportId, ReportRun, ReportStatus};
use attest_domain::IdentityId;
use chrono::{DateTime, Utc};

use crate::StoreResult;

/// One review item as reports and the campaign CSV show it: the item with its reviewer (from
/// its certification), read in one statement.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportItemRow {
    /// The item id.
    pub item_id: ReviewItemId,
    /// Its certification.
    pub certification_id: CertificationId,
    /// The certification's reviewer.
    pub reviewer_id: IdentityId,
    /// The reviewer's name.
    pub reviewer_name: String,
    /// Holder identity.
    pub identity_id: Option<IdentityId>,
    /// Holder account (or the account under review).
    pub account_id: Option<String>,
    /// Holder name.
    pub holder_name: String,
    /// `ENTITLEMENT`, `ACCESS_PROFILE`, `ROLE` or `ACCOUNT`.
    pub access_type: String,
    /// Access id.
    pub access_id: String,
    /// Access name.
    pub access_name: String,
    /// Source id.
    pub source_id: Option<String>,
    /// Source name.
    pub source_name: Option<String>,
    /// Assignment origin.
    pub origin: String,
    /// Recommended decision (`APPROVE`, `REVOKE`) if any.
    pub recommendation: Option<String>,
    /// Decision (`APPROVE`, `REVOKE`) if made.
    pub decision: Option<String>,
    /// Reviewer's comment.
    pub comments: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
}

/// One certification as the status and sign-off reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCertificationRow {
    /// The certification with its counters.
    pub certification: Certification,
    /// Who signed it off (the actor of its latest sign-off audit event); `None` when it is not
    /// signed, or was signed by the campaign's completion.
    pub signed_by: Option<IdentityId>,
}

/// Campaign reports and the reads behind them.
#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    /// The identity attribute columns reports add (empty until configured).
    async fn reports_config(&self) -> StoreResult<Vec<String>>;

    /// Replaces the identity attribute columns, with its audit event, in one transaction.
    async fn set_reports_config(&self, columns: &[String], audit: &AuditEvent) -> StoreResult<()>;

    /// Every attribute name that at least one identity has besides the standard fields (the
    /// keys of identities' extra attributes), sorted.
    async fn identity_attribute_names(&self) -> StoreResult<Vec<String>>;

    /// Records a new run (PENDING) and its task, replacing the campaign's previous run of the
    /// same type and its file, with the audit event, in one transaction.
    async fn start_report(
        &self,
        run: &ReportRun,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// The latest run of each type that was run for a campaign, in type order.
    async fn campaign_reports(&self, campaign: &CampaignId) -> StoreResult<Vec<ReportRun>>;

    /// One run.
    async fn report_run(&self, id: &ReportId) -> StoreResult<Option<ReportRun>>;

    /// Removes whatever an interrupted run wrote of its file.
    async fn clear_report_file(&self, id: &ReportId) -> StoreResult<()>;

    /// Appends chunk `seq` (0, 1, 2, ...) of a run's file.
    async fn append_report_chunk(&self, id: &ReportId, seq: i64, data: &[u8]) -> StoreResult<()>;

    /// Records a run's outcome if it is still PENDING (a run replaced meanwhile is gone);
    /// returns whether it was.
    async fn finish_report(
        &self,
        id: &ReportId,
        status: ReportStatus,
        ran_at: DateTime<Utc>,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> StoreResult<bool>;

    /// Chunk `seq` of a run's file, `None` past the last one.
    async fn report_chunk(&self, id: &ReportId, seq: i64) -> StoreResult<Option<Vec<u8>>>;

    /// The smallest and largest review item ids of a campaign (`None` when it has no item), so
    /// that [`ReportStore::report_items`] walks only that span.
    async fn campaign_item_span(
        &self,
        campaign: &CampaignId,
    ) -> StoreResult<Option<(ReviewItemId, ReviewItemId)>>;

    /// Up to `limit` items of a campaign with ids in `(after, last]`, in id order.
    async fn report_items(
        &self,
        campaign: &CampaignId,
        after: ReviewItemId,
        last: ReviewItemId,
        limit: u32,
    ) -> StoreResult<Vec<ReportItemRow>>;

    /// Up to `limit` certifications of a campaign with ids after `after`, in id order, each
    /// with who signed it.
    async fn report_certifications(
        &self,
        campaign: &CampaignId,
        after: Option<&CertificationId>,
        limit: u32,
    ) -> StoreResult<Vec<ReportCertificationRow>>;

    /// Up to `limit` provisioning orders of a campaign after `(created, id)`, in that order.
    async fn report_orders(
        &self,
        campaign: &CampaignId,
        after: Option<(DateTime<Utc>, &OrderId)>,
        limit: u32,
    ) -> StoreResult<Vec<ProvisioningOrder>>;
}
