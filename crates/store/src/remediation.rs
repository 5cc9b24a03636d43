//! Storage of remediation: per-source sinks, the release and delivery state of provisioning
//! orders, manual completion, and remediation scans.
//!
//! Policy: every state change of an order is one compare-and-set `UPDATE` (a delivery outcome
//! is recorded only by the worker that holds the order's lease, and only while the order is
//! still PENDING), so any number of workers on any number of nodes may deliver: each order is
//! claimed by one of them under a lease, and an order whose worker died is claimed again when
//! the lease expires. Retry times live in the database, so a restart loses nothing.

use async_trait::async_trait;
use attest_domain::certification::{AuditEvent, CampaignId, OrderId, OrderStatus};
use attest_domain::remediation::{
    DeliveryOutcome, RemediationOrder, RemediationSink, ScanOutcome, SinkKind,
};
use attest_domain::{IdentityId, SourceId};
use chrono::{DateTime, Utc};

use crate::campaigns::Page;
use crate::StoreResult;

/// Filter of the remediation view of the provisioning-order list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemediationOrderQuery {
    /// Only this campaign's orders.
    pub campaign_id: Option<CampaignId>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders of this source.
    pub source_id: Option<SourceId>,
    /// Only released (`true`) or held (`false`) orders.
    pub released: Option<bool>,
    /// Only orders whose source's sink is of this kind (`MANUAL` includes sources without a
    /// sink).
    pub sink: Option<SinkKind>,
    /// Page size.
    pub limit: u32,
    /// Page start.
    pub offset: u64,
}

/// A claimed order with the sink to deliver it to.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedOrder {
    /// The order; `delivery.attempts` counts this attempt.
    pub order: RemediationOrder,
    /// Its source's sink (WEBHOOK or SCIM).
    pub sink: RemediationSink,
}

/// Storage of remediation sinks, order delivery and scans.
#[async_trait]
pub trait RemediationStore: Send + Sync + 'static {
    /// The sink configured for a source.
    async fn remediation_sink(&self, source: &SourceId) -> StoreResult<Option<RemediationSink>>;

    /// Creates or replaces a source's sink, with its audit event, in one transaction.
    async fn put_remediation_sink(
        &self,
        sink: &RemediationSink,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// Removes a source's sink (its orders become manual again). Returns whether one existed;
    /// the audit event is written only then.
    async fn delete_remediation_sink(
        &self,
        source: &SourceId,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Orders with their delivery state, newest first.
    async fn list_remediation_orders(
        &self,
        query: &RemediationOrderQuery,
    ) -> StoreResult<Page<RemediationOrder>>;

    /// One order with its delivery state.
    async fn remediation_order(&self, id: &OrderId) -> StoreResult<Option<RemediationOrder>>;

    /// Releases the campaign's held PENDING orders (all of them, or those among `orders`),
    /// making them due for delivery at `at`. Returns the ids released; the audit event is
    /// written in the same transaction when any was.
    async fn release_orders(
        &self,
        campaign: &CampaignId,
        orders: Option<&[OrderId]>,
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Vec<OrderId>>;

    /// Claims the oldest due order (released, PENDING, `next_attempt_at <= now`, no live
    /// lease) whose source has a WEBHOOK or SCIM sink, leasing it to `worker` until
    /// `lease_until` and counting the attempt.
    async fn claim_order(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedOrder>>;

    /// Records the outcome of an attempt by the worker holding the lease, while the order is
    /// still PENDING. Returns whether it was recorded (false: the lease was lost or the order
    /// moved on, e.g. a scan verified it).
    async fn record_delivery(
        &self,
        order: &OrderId,
        worker: &str,
        outcome: &DeliveryOutcome,
        sink: SinkKind,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Marks released orders done by hand (from PENDING, SENT, FAILED or STILL_PRESENT), with
    /// one audit event per order, in one transaction. Returns the ids marked; the others were
    /// unknown, held or already DONE / VERIFIED.
    async fn mark_orders_done(
        &self,
        orders: &[OrderId],
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audits: &[AuditEvent],
    ) -> StoreResult<Vec<OrderId>>;

    /// Queues a remediation scan of the campaign, due at `at` (a scan already queued is
    /// kept, one already run is queued again), with its audit event.
    async fn request_remediation_scan(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// Claims the oldest due scan (queued with `run_after <= now`, or running with an expired
    /// lease) for `worker` until `lease_until`.
    async fn claim_remediation_scan(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<CampaignId>>;

    /// Runs the scan the worker holds: every order of the campaign is checked against the
    /// warehouse (the assignment, the role's content, or for account orders the enabled
    /// account) and becomes VERIFIED when the access is gone, STILL_PRESENT when it is there
    /// and the order was released; a held order whose access is there stays PENDING. Every
    /// order's `scanned_at` becomes `at`, and the scan is recorded as finished, all in one
    /// transaction. `None` when the worker no longer holds the scan.
    async fn run_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ScanOutcome>>;

    /// Puts a scan that failed back in the queue until `retry_at`, with the reason.
    async fn retry_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()>;
}
