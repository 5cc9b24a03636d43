//! Certification tasks (the job outbox), provisioning orders and audit-event reads.
//!
//! Policy: a task is claimed by one `UPDATE ... WHERE id = (oldest runnable) RETURNING` on the
//! single writer connection, so two workers of one process can never claim the same task; a
//! lease that runs out makes the task claimable again (the worker died), and each claim
//! counts an attempt.

use attest_domain::certification::*;
use attest_store::campaigns::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::list::{Field, Fields, Kind};
use super::rows::{
    audit_from_row, encode_json, order_from_row, task_from_row, unsigned, AUDIT_COLUMNS,
    ORDER_COLUMNS, TASK_COLUMNS,
};
use crate::codec::encode_time;
use crate::error::db_err;
use crate::SqliteStore;

/// Fields of the certification-task list.
pub(crate) const TASK_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Text,
    },
    Field {
        name: "targetId",
        sql: "target_id",
        kind: Kind::Text,
    },
    Field {
        name: "type",
        sql: "task_type",
        kind: Kind::Text,
    },
    Field {
        name: "status",
        sql: "status",
        kind: Kind::Text,
    },
];

/// Inserts a task inside the caller's transaction.
pub(crate) async fn insert_task_row(conn: &mut SqliteConnection, task: &Task) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tasks (id, task_type, target_type, target_id, status, errors, payload, \
         trail, attempts, created, run_after) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(task.id.as_str())
    .bind(task.task_type.as_str())
    .bind(task.target_type.as_str())
    .bind(&task.target_id)
    .bind(task.status.as_str())
    .bind(encode_json!("task errors", &task.errors)?)
    .bind(encode_json!("task payload", &task.payload)?)
    .bind(encode_json!("task trail", &task.reassignment_trail)?)
    .bind(task.attempts)
    .bind(encode_time(&task.created))
    .bind(encode_time(&task.run_after))
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn task(store: &SqliteStore, id: &TaskId) -> StoreResult<Option<Task>> {
    let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"))
        .bind(id.as_str())
        .fetch_optional(&store.reader)
        .await
        .map_err(db_err)?;
    row.as_ref().map(task_from_row).transpose()
}

pub(crate) async fn tasks_of(
    store: &SqliteStore,
    target_id: &str,
    pending_only: bool,
) -> StoreResult<Vec<Task>> {
    let rows = sqlx::query(&format!(
        "SELECT {TASK_COLUMNS} FROM tasks WHERE target_id = ?1 \
         AND (?2 = 0 OR status IN ('QUEUED', 'IN_PROGRESS')) \
         ORDER BY created DESC, id DESC"
    ))
    .bind(target_id)
    .bind(pending_only)
    .fetch_all(&store.reader)
    .await
    .map_err(db_err)?;
    rows.iter().map(task_from_row).collect()
}

pub(crate) async fn claim_task(
    store: &SqliteStore,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> StoreResult<Option<Task>> {
    let mut tx = store.write().await?;
    let row = sqlx::query(&format!(
        "UPDATE tasks SET status = 'IN_PROGRESS', attempts = attempts + 1, leased_by = ?1, \
         lease_until = ?2 \
         WHERE id = (SELECT id FROM tasks \
                     WHERE status IN ('QUEUED', 'IN_PROGRESS') \
                       AND ((status = 'QUEUED' AND run_after <= ?3) \
                            OR (status = 'IN_PROGRESS' AND lease_until <= ?3)) \
                     ORDER BY created, id LIMIT 1) \
         RETURNING {TASK_COLUMNS}"
    ))
    .bind(worker)
    .bind(encode_time(&lease_until))
    .bind(encode_time(&now))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let task = row.as_ref().map(task_from_row).transpose()?;
    tx.commit().await.map_err(db_err)?;
    Ok(task)
}

pub(crate) async fn finish_task(
    store: &SqliteStore,
    id: &TaskId,
    status: TaskStatus,
    errors: &[String],
    trail: &[ReassignmentTrail],
    retry_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    // An empty trail keeps the one recorded so far.
    let trail = if trail.is_empty() {
        None
    } else {
        Some(encode_json!("task trail", trail)?)
    };
    sqlx::query(
        "UPDATE tasks SET status = ?1, errors = ?2, trail = COALESCE(?3, trail), \
         run_after = COALESCE(?4, run_after), lease_until = NULL, leased_by = NULL \
         WHERE id = ?5",
    )
    .bind(status.as_str())
    .bind(encode_json!("task errors", errors)?)
    .bind(trail)
    .bind(retry_at.as_ref().map(encode_time))
    .bind(id.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn list_orders(
    store: &SqliteStore,
    query: &OrderQuery,
) -> StoreResult<Page<ProvisioningOrder>> {
    let campaign = query.campaign_id.as_ref().map(|c| c.0.clone());
    let status = query.status.map(|s| s.as_str());
    let rows = sqlx::query(&format!(
        "SELECT {ORDER_COLUMNS} FROM provisioning_orders \
         WHERE (?1 IS NULL OR campaign_id = ?1) AND (?2 IS NULL OR status = ?2) \
         ORDER BY created DESC, id DESC LIMIT ?3 OFFSET ?4"
    ))
    .bind(&campaign)
    .bind(status)
    .bind(i64::from(query.limit))
    .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
    .fetch_all(&store.reader)
    .await
    .map_err(db_err)?;
    let items = rows
        .iter()
        .map(order_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM provisioning_orders \
         WHERE (?1 IS NULL OR campaign_id = ?1) AND (?2 IS NULL OR status = ?2)",
    )
    .bind(&campaign)
    .bind(status)
    .fetch_one(&store.reader)
    .await
    .map_err(db_err)?;
    Ok(Page {
        items,
        total: Some(unsigned(total, "order count")?),
    })
}

pub(crate) async fn audit_events(
    store: &SqliteStore,
    campaign: &CampaignId,
    limit: u32,
    offset: u64,
) -> StoreResult<Vec<AuditEvent>> {
    let rows = sqlx::query(&format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE campaign_id = ?1 \
         ORDER BY id LIMIT ?2 OFFSET ?3"
    ))
    .bind(campaign.as_str())
    .bind(i64::from(limit))
    .bind(i64::try_from(offset).unwrap_or(i64::MAX))
    .fetch_all(&store.reader)
    .await
    .map_err(db_err)?;
    rows.iter().map(audit_from_row).collect()
}
