//! Storage of campaign templates, their schedules, and the claims that make each scheduled
//! occurrence generate exactly one campaign.
//!
//! Policy:
//! - A schedule row carries `next_due`, the next occurrence computed by the engine from the
//!   stored schedule, and a `revision` that every PUT increments. The scheduler reads due rows
//!   ([`TemplateStore::due_schedules`]), and moves `next_due` on only when the revision it read
//!   is still current, so a schedule replaced meanwhile keeps its own `next_due`.
//! - A scheduled campaign is inserted together with its claim, one row keyed by (template id,
//!   occurrence instant), in one transaction ([`TemplateStore::insert_scheduled_campaign`]):
//!   when another node (or an earlier run of this one) claimed the occurrence first, the key
//!   conflicts and nothing is written. That key, not any node's memory, is what makes an
//!   occurrence generate one campaign.
//! - Deleting a template deletes its schedule and claims (not the campaigns it generated).

use async_trait::async_trait;
use attest_domain::certification::{AuditEvent, Campaign, Task};
use attest_domain::schedule::Schedule;
use attest_domain::template::{CampaignTemplate, TemplateId};
use chrono::{DateTime, Utc};

use crate::campaigns::{ListQuery, Page};
use crate::StoreResult;

/// A template's schedule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSchedule {
    /// The template it belongs to.
    pub template_id: TemplateId,
    /// The schedule as set.
    pub schedule: Schedule,
    /// Incremented by every set; compare-and-set token for moving `next_due`.
    pub revision: i64,
    /// The next occurrence not yet handled; `None` when the schedule will not occur again.
    pub next_due: Option<DateTime<Utc>>,
    /// When it was set.
    pub set_at: DateTime<Utc>,
}

/// One scheduled occurrence claimed by a generated campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRun {
    /// The template.
    pub template_id: TemplateId,
    /// The occurrence instant.
    pub occurrence: DateTime<Utc>,
    /// The campaign it generated.
    pub campaign_id: attest_domain::certification::CampaignId,
}

/// Where the schedule goes after an occurrence: `next_due` becomes `next` if the schedule is
/// still at `revision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleAdvance {
    /// The revision the scheduler read.
    pub revision: i64,
    /// The next occurrence after the one handled.
    pub next: Option<DateTime<Utc>>,
}

/// Storage of campaign templates and schedules.
#[async_trait]
pub trait TemplateStore: Send + Sync + 'static {
    /// Inserts a new template with its audit event.
    async fn insert_template(
        &self,
        template: &CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    /// One template, with `scheduled` read from the schedule table.
    async fn template(&self, id: &TemplateId) -> StoreResult<Option<CampaignTemplate>>;

    /// Templates matching the query (fields: `id`, `name`, `created`, `modified`).
    async fn list_templates(&self, query: &ListQuery) -> StoreResult<Page<CampaignTemplate>>;

    /// Replaces name, description, deadline duration, campaign and `modified`; false when the
    /// template does not exist.
    async fn update_template(
        &self,
        template: &CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes the template, its schedule and its claims; false when it did not exist.
    async fn delete_template(&self, id: &TemplateId, audit: &AuditEvent) -> StoreResult<bool>;

    /// The template's schedule.
    async fn template_schedule(&self, id: &TemplateId) -> StoreResult<Option<StoredSchedule>>;

    /// Sets (inserts or replaces) the template's schedule with `next_due`, incrementing its
    /// revision; false when the template does not exist.
    async fn set_template_schedule(
        &self,
        id: &TemplateId,
        schedule: &Schedule,
        next_due: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Deletes the template's schedule; false when it had none.
    async fn delete_template_schedule(
        &self,
        id: &TemplateId,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Up to `limit` schedules whose `next_due` is at or before `now`, earliest first.
    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StoredSchedule>>;

    /// Moves `next_due` of the template's schedule if it is still at `advance.revision`;
    /// returns whether it was.
    async fn advance_schedule(
        &self,
        id: &TemplateId,
        advance: ScheduleAdvance,
    ) -> StoreResult<bool>;

    /// In one transaction: claims (template, occurrence) for the campaign, inserts the PENDING
    /// campaign with its task and audit event (as [`crate::CampaignStore::insert_campaign`]
    /// does), and advances the schedule as [`TemplateStore::advance_schedule`] would. Returns
    /// false, writing nothing, when the occurrence was already claimed.
    async fn insert_scheduled_campaign(
        &self,
        run: &ScheduledRun,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
        advance: ScheduleAdvance,
    ) -> StoreResult<bool>;

    /// The occurrences claimed for a template, oldest first.
    async fn scheduled_runs(&self, id: &TemplateId) -> StoreResult<Vec<ScheduledRun>>;
}
