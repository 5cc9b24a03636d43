//! Storage of campaign filters (`/campaign-filters`).
//!
//! Policy: a filter is one row whose criteria are stored as JSON (they are read whole and
//! evaluated in memory by the engine, never queried). System filters are shipped by the
//! migrations and are never changed or deleted through this trait: the writes below leave
//! them alone and say so. Every write appends its audit event in the same transaction.

use async_trait::async_trait;
use attest_domain::campaign_filter::{CampaignFilter, CampaignFilterId};
use attest_domain::certification::AuditEvent;

use crate::StoreResult;

/// The ids of the filters Attest ships (seeded by the migrations of both backends).
pub const SYSTEM_FILTER_IDS: &[&str] = &[
    "a77e57f1000000000000000000000001",
    "a77e57f1000000000000000000000002",
    "a77e57f1000000000000000000000003",
];

/// What a bulk delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterDeletion {
    /// Every listed filter was deleted.
    Deleted(u64),
    /// Nothing was deleted: these ids are unknown.
    Unknown(Vec<CampaignFilterId>),
    /// Nothing was deleted: these ids are system filters.
    System(Vec<CampaignFilterId>),
}

/// Campaign filters.
#[async_trait]
pub trait CampaignFilterStore: Send + Sync + 'static {
    /// Stores a new filter. An id that exists already is a
    /// [`StoreError::Conflict`](crate::StoreError::Conflict).
    async fn insert_campaign_filter(
        &self,
        filter: &CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// One filter.
    async fn campaign_filter(&self, id: &CampaignFilterId) -> StoreResult<Option<CampaignFilter>>;

    /// A page of filters, system filters first, then by creation time and id; with the
    /// total of the whole (optionally system-less) collection.
    async fn list_campaign_filters(
        &self,
        include_system: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<CampaignFilter>, u64)>;

    /// Replaces a user filter's name, description, mode, criteria and modification time.
    /// `false` when there is no such user filter (unknown, or a system filter).
    async fn update_campaign_filter(
        &self,
        filter: &CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes every filter of `ids` (each listed once) in one transaction, or none of them
    /// when one is unknown or a system filter.
    async fn delete_campaign_filters(
        &self,
        ids: &[CampaignFilterId],
        audit: &[AuditEvent],
    ) -> StoreResult<FilterDeletion>;
}
