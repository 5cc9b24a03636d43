//! Campaign templates, schedules and occurrence claims on PostgreSQL ([`TemplateStore`];
//! schema in `migrations/0004_campaign_templates.sql`).
//!
//! Policy: a scheduled campaign, its claim and the schedule's move are one transaction. The
//! claim is `INSERT ... ON CONFLICT DO NOTHING` on the (template id, occurrence) primary key:
//! when two nodes insert the same claim at once, the second waits for the first transaction
//! and then inserts nothing, and rolls back without writing the campaign. No advisory lock or
//! `SELECT ... FOR UPDATE` is needed: the unique key is the arbiter.

use async_trait::async_trait;
use attest_domain::certification::{AuditEvent, Campaign, CampaignDefinition, CampaignId, Task};
use attest_domain::schedule::Schedule;
use attest_domain::template::{CampaignTemplate, TemplateId};
use attest_domain::IdentityId;
use attest_store::campaigns::{ListQuery, Page};
use attest_store::templates::{ScheduleAdvance, ScheduledRun, StoredSchedule, TemplateStore};
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

use crate::campaigns::list::{self, Field, FieldMap, Kind};
use crate::campaigns::rows::get;
use crate::campaigns::{insert_audit, insert_campaign_rows};
use crate::error::store_error;
use crate::PostgresStore;

/// Fields of the template list.
const TEMPLATE_FIELDS: FieldMap = &[
    Field {
        name: "id",
        expr: "t.id",
        kind: Kind::Text,
    },
    Field {
        name: "name",
        expr: "t.name",
        kind: Kind::Text,
    },
    Field {
        name: "created",
        expr: "t.created",
        kind: Kind::Time,
    },
    Field {
        name: "modified",
        expr: "t.modified",
        kind: Kind::Time,
    },
];

const TEMPLATE_COLUMNS: &str = "t.id, t.name, t.description, t.owner_id, t.deadline_duration, \
     t.campaign, t.created, t.modified, \
     EXISTS (SELECT 1 FROM campaign_template_schedules s WHERE s.template_id = t.id) AS scheduled";

const SCHEDULE_COLUMNS: &str = "template_id, schedule, revision, next_due, set_at";

fn template_from_row(row: &PgRow) -> StoreResult<CampaignTemplate> {
    let campaign: Json<CampaignDefinition> = get(row, "campaign")?;
    Ok(CampaignTemplate {
        id: TemplateId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner: IdentityId(get(row, "owner_id")?),
        deadline_duration: get(row, "deadline_duration")?,
        campaign: campaign.0,
        created: get(row, "created")?,
        modified: get(row, "modified")?,
        scheduled: get(row, "scheduled")?,
    })
}

fn schedule_from_row(row: &PgRow) -> StoreResult<StoredSchedule> {
    let schedule: Json<Schedule> = get(row, "schedule")?;
    Ok(StoredSchedule {
        template_id: TemplateId(get(row, "template_id")?),
        schedule: schedule.0,
        revision: get(row, "revision")?,
        next_due: get(row, "next_due")?,
        set_at: get(row, "set_at")?,
    })
}

async fn advance(
    conn: &mut PgConnection,
    id: &TemplateId,
    advance: ScheduleAdvance,
) -> StoreResult<bool> {
    let moved = sqlx::query(
        "UPDATE campaign_template_schedules SET next_due = $1 WHERE template_id = $2 \
         AND revision = $3",
    )
    .bind(advance.next)
    .bind(id.as_str())
    .bind(advance.revision)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok(moved.rows_affected() == 1)
}

#[async_trait]
impl TemplateStore for PostgresStore {
    async fn insert_template(
        &self,
        template: &CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO campaign_templates (id, name, description, owner_id, deadline_duration, \
             campaign, created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(template.id.as_str())
        .bind(&template.name)
        .bind(&template.description)
        .bind(template.owner.as_str())
        .bind(&template.deadline_duration)
        .bind(Json(&template.campaign))
        .bind(template.created)
        .bind(template.modified)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn template(&self, id: &TemplateId) -> StoreResult<Option<CampaignTemplate>> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM campaign_templates t WHERE t.id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn list_templates(&self, query: &ListQuery) -> StoreResult<Page<CampaignTemplate>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM campaign_templates t WHERE TRUE"
        ));
        list::push_filter(&mut qb, TEMPLATE_FIELDS, query.filter.as_ref())?;
        list::push_order(&mut qb, TEMPLATE_FIELDS, &query.sort, "t.created", "t.id")?;
        list::push_page(&mut qb, query);
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let items = rows
            .iter()
            .map(template_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let total = if query.count {
            let mut qb = QueryBuilder::<Postgres>::new(
                "SELECT count(*) FROM campaign_templates t WHERE TRUE",
            );
            list::push_filter(&mut qb, TEMPLATE_FIELDS, query.filter.as_ref())?;
            let n: i64 = qb
                .build_query_scalar()
                .fetch_one(&self.pool)
                .await
                .map_err(store_error)?;
            Some(u64::try_from(n).unwrap_or(0))
        } else {
            None
        };
        Ok(Page { items, total })
    }

    async fn update_template(
        &self,
        template: &CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let updated = sqlx::query(
            "UPDATE campaign_templates SET name = $1, description = $2, deadline_duration = $3, \
             campaign = $4, modified = $5 WHERE id = $6",
        )
        .bind(&template.name)
        .bind(&template.description)
        .bind(&template.deadline_duration)
        .bind(Json(&template.campaign))
        .bind(template.modified)
        .bind(template.id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn delete_template(&self, id: &TemplateId, audit: &AuditEvent) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let deleted = sqlx::query("DELETE FROM campaign_templates WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        for table in ["campaign_template_schedules", "campaign_template_runs"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE template_id = $1"))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn template_schedule(&self, id: &TemplateId) -> StoreResult<Option<StoredSchedule>> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM campaign_template_schedules WHERE template_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn set_template_schedule(
        &self,
        id: &TemplateId,
        schedule: &Schedule,
        next_due: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // Locks the template row, so a concurrent delete cannot leave an orphan schedule.
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM campaign_templates WHERE id = $1 FOR UPDATE")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO campaign_template_schedules (template_id, schedule, revision, next_due, \
             set_at) VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (template_id) DO UPDATE SET schedule = excluded.schedule, \
             revision = campaign_template_schedules.revision + 1, next_due = excluded.next_due, \
             set_at = excluded.set_at",
        )
        .bind(id.as_str())
        .bind(Json(schedule))
        .bind(next_due)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn delete_template_schedule(
        &self,
        id: &TemplateId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let deleted = sqlx::query("DELETE FROM campaign_template_schedules WHERE template_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StoredSchedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM campaign_template_schedules \
             WHERE next_due IS NOT NULL AND next_due <= $1 ORDER BY next_due, template_id LIMIT $2"
        ))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn advance_schedule(&self, id: &TemplateId, next: ScheduleAdvance) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        advance(&mut conn, id, next).await
    }

    async fn insert_scheduled_campaign(
        &self,
        run: &ScheduledRun,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
        next: ScheduleAdvance,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let claimed = sqlx::query(
            "INSERT INTO campaign_template_runs (template_id, occurrence, campaign_id) \
             VALUES ($1, $2, $3) ON CONFLICT (template_id, occurrence) DO NOTHING",
        )
        .bind(run.template_id.as_str())
        .bind(run.occurrence)
        .bind(run.campaign_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if claimed.rows_affected() == 0 {
            // Dropping the transaction rolls it back: nothing was written.
            return Ok(false);
        }
        insert_campaign_rows(&mut tx, campaign, task, audit).await?;
        advance(&mut tx, &run.template_id, next).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn scheduled_runs(&self, id: &TemplateId) -> StoreResult<Vec<ScheduledRun>> {
        let rows = sqlx::query(
            "SELECT template_id, occurrence, campaign_id FROM campaign_template_runs \
             WHERE template_id = $1 ORDER BY occurrence",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(ScheduledRun {
                    template_id: TemplateId(get(row, "template_id")?),
                    occurrence: get(row, "occurrence")?,
                    campaign_id: CampaignId(get(row, "campaign_id")?),
                })
            })
            .collect()
    }
}
