//! Campaign templates, schedules and occurrence claims on SQLite ([`TemplateStore`]; schema in
//! `migrations/0006_campaign_templates.sql`).
//!
//! Policy: as for campaigns, every write is one `BEGIN IMMEDIATE` transaction on the writer
//! connection, so a scheduled campaign, its claim and the schedule's move commit together; the
//! claim's primary key refuses a second campaign for an occurrence (SQLite has one writer, so
//! two schedulers in one process take turns and the second finds the claim).

use async_trait::async_trait;
use attest_domain::certification::{AuditEvent, Campaign, CampaignId, Task};
use attest_domain::schedule::Schedule;
use attest_domain::template::{CampaignTemplate, TemplateId};
use attest_domain::IdentityId;
use attest_store::campaigns::{ListQuery, Page};
use attest_store::templates::{ScheduleAdvance, ScheduledRun, StoredSchedule, TemplateStore};
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::campaigns::list::{order_by, push_and_filter, push_page, Field, Fields, Kind};
use crate::campaigns::rows::{decode_json, encode_json};
use crate::campaigns::{insert_audit, insert_campaign_rows};
use crate::codec::{decode_opt_time, decode_time, encode_time, get};
use crate::error::db_err;
use crate::SqliteStore;

/// Fields of the template list.
const TEMPLATE_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "t.id",
        kind: Kind::Text,
    },
    Field {
        name: "name",
        sql: "t.name",
        kind: Kind::Text,
    },
    Field {
        name: "created",
        sql: "t.created",
        kind: Kind::Time,
    },
    Field {
        name: "modified",
        sql: "t.modified",
        kind: Kind::Time,
    },
];

const TEMPLATE_COLUMNS: &str = "t.id, t.name, t.description, t.owner_id, t.deadline_duration, \
     t.campaign, t.created, t.modified, \
     EXISTS (SELECT 1 FROM campaign_template_schedules s WHERE s.template_id = t.id) AS scheduled";

const SCHEDULE_COLUMNS: &str = "template_id, schedule, revision, next_due, set_at";

fn template_from_row(row: &SqliteRow) -> StoreResult<CampaignTemplate> {
    Ok(CampaignTemplate {
        id: TemplateId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner: IdentityId(get(row, "owner_id")?),
        deadline_duration: get(row, "deadline_duration")?,
        campaign: decode_json!("template campaign", get::<String>(row, "campaign")?)?,
        created: decode_time(&get::<String>(row, "created")?)?,
        modified: decode_opt_time(get(row, "modified")?)?,
        scheduled: get::<i64>(row, "scheduled")? != 0,
    })
}

fn schedule_from_row(row: &SqliteRow) -> StoreResult<StoredSchedule> {
    Ok(StoredSchedule {
        template_id: TemplateId(get(row, "template_id")?),
        schedule: decode_json!("template schedule", get::<String>(row, "schedule")?)?,
        revision: get(row, "revision")?,
        next_due: decode_opt_time(get(row, "next_due")?)?,
        set_at: decode_time(&get::<String>(row, "set_at")?)?,
    })
}

fn opt_time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.as_ref().map(encode_time)
}

async fn advance(
    conn: &mut SqliteConnection,
    id: &TemplateId,
    advance: ScheduleAdvance,
) -> StoreResult<bool> {
    let moved = sqlx::query(
        "UPDATE campaign_template_schedules SET next_due = ?1 WHERE template_id = ?2 \
         AND revision = ?3",
    )
    .bind(opt_time(advance.next))
    .bind(id.as_str())
    .bind(advance.revision)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(moved.rows_affected() == 1)
}

#[async_trait]
impl TemplateStore for SqliteStore {
    async fn insert_template(
        &self,
        template: &CampaignTemplate,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO campaign_templates (id, name, description, owner_id, deadline_duration, \
             campaign, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .bind(template.id.as_str())
        .bind(&template.name)
        .bind(&template.description)
        .bind(template.owner.as_str())
        .bind(&template.deadline_duration)
        .bind(encode_json!("template campaign", &template.campaign)?)
        .bind(encode_time(&template.created))
        .bind(opt_time(template.modified))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn template(&self, id: &TemplateId) -> StoreResult<Option<CampaignTemplate>> {
        let row = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM campaign_templates t WHERE t.id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(template_from_row).transpose()
    }

    async fn list_templates(&self, query: &ListQuery) -> StoreResult<Page<CampaignTemplate>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {TEMPLATE_COLUMNS} FROM campaign_templates t WHERE 1 = 1"
        ));
        push_and_filter(&mut q, query, TEMPLATE_FIELDS)?;
        q.push(order_by(&query.sort, TEMPLATE_FIELDS, "t.created", "t.id")?);
        push_page(&mut q, query);
        let rows = q.build().fetch_all(&self.reader).await.map_err(db_err)?;
        let items = rows
            .iter()
            .map(template_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let total = if query.count {
            let mut c = QueryBuilder::<Sqlite>::new(
                "SELECT COUNT(*) FROM campaign_templates t WHERE 1 = 1",
            );
            push_and_filter(&mut c, query, TEMPLATE_FIELDS)?;
            let n: i64 = c
                .build_query_scalar()
                .fetch_one(&self.reader)
                .await
                .map_err(db_err)?;
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
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE campaign_templates SET name = ?1, description = ?2, deadline_duration = ?3, \
             campaign = ?4, modified = ?5 WHERE id = ?6",
        )
        .bind(&template.name)
        .bind(&template.description)
        .bind(&template.deadline_duration)
        .bind(encode_json!("template campaign", &template.campaign)?)
        .bind(opt_time(template.modified))
        .bind(template.id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_template(&self, id: &TemplateId, audit: &AuditEvent) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted = sqlx::query("DELETE FROM campaign_templates WHERE id = ?1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        for table in ["campaign_template_schedules", "campaign_template_runs"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE template_id = ?1"))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn template_schedule(&self, id: &TemplateId) -> StoreResult<Option<StoredSchedule>> {
        let row = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM campaign_template_schedules WHERE template_id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
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
        let mut tx = self.write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM campaign_templates WHERE id = ?1")
                .bind(id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if exists.is_none() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO campaign_template_schedules (template_id, schedule, revision, next_due, \
             set_at) VALUES (?1, ?2, 1, ?3, ?4) \
             ON CONFLICT (template_id) DO UPDATE SET schedule = excluded.schedule, \
             revision = campaign_template_schedules.revision + 1, next_due = excluded.next_due, \
             set_at = excluded.set_at",
        )
        .bind(id.as_str())
        .bind(encode_json!("template schedule", schedule)?)
        .bind(opt_time(next_due))
        .bind(encode_time(&at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_template_schedule(
        &self,
        id: &TemplateId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted = sqlx::query("DELETE FROM campaign_template_schedules WHERE template_id = ?1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn due_schedules(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<StoredSchedule>> {
        let rows = sqlx::query(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM campaign_template_schedules \
             WHERE next_due IS NOT NULL AND next_due <= ?1 ORDER BY next_due, template_id LIMIT ?2"
        ))
        .bind(encode_time(&now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn advance_schedule(&self, id: &TemplateId, next: ScheduleAdvance) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let moved = advance(&mut tx, id, next).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(moved)
    }

    async fn insert_scheduled_campaign(
        &self,
        run: &ScheduledRun,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
        next: ScheduleAdvance,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let claimed = sqlx::query(
            "INSERT INTO campaign_template_runs (template_id, occurrence, campaign_id) \
             VALUES (?1, ?2, ?3) ON CONFLICT (template_id, occurrence) DO NOTHING",
        )
        .bind(run.template_id.as_str())
        .bind(encode_time(&run.occurrence))
        .bind(run.campaign_id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if claimed.rows_affected() == 0 {
            // Dropping the transaction rolls it back: nothing was written.
            return Ok(false);
        }
        insert_campaign_rows(&mut tx, campaign, task, audit).await?;
        advance(&mut tx, &run.template_id, next).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn scheduled_runs(&self, id: &TemplateId) -> StoreResult<Vec<ScheduledRun>> {
        let rows = sqlx::query(
            "SELECT template_id, occurrence, campaign_id FROM campaign_template_runs \
             WHERE template_id = ?1 ORDER BY occurrence",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(ScheduledRun {
                    template_id: TemplateId(get(row, "template_id")?),
                    occurrence: decode_time(&get::<String>(row, "occurrence")?)?,
                    campaign_id: CampaignId(get(row, "campaign_id")?),
                })
            })
            .collect()
    }
}
