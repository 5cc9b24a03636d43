//! Campaign filters on PostgreSQL ([`CampaignFilterStore`]; schema in
//! `migrations/0003_campaign_filters.sql`).
//!
//! Policy: each write is one transaction with its audit event. The bulk delete locks the
//! listed rows (`FOR UPDATE`) before deciding, so two nodes deleting or updating the same
//! filters cannot interleave. System filters (`is_system`) are excluded by every write's
//! `WHERE`, so they can never be changed here.

use async_trait::async_trait;
use attest_domain::campaign_filter::{CampaignFilter, CampaignFilterId, Criterion, FilterMode};
use attest_domain::certification::AuditEvent;
use attest_domain::IdentityId;
use attest_store::campaign_filters::{CampaignFilterStore, FilterDeletion};
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use crate::campaigns::insert_audit;
use crate::error::{corrupt, store_error};
use crate::PostgresStore;

const COLUMNS: &str =
    "id, name, description, owner_name, owner_id, mode, criteria, is_system, created, modified";

fn filter_from_row(row: &PgRow) -> StoreResult<CampaignFilter> {
    let get_err = |e: sqlx::Error| corrupt(format!("campaign filter row: {e}"));
    let mode: String = row.try_get("mode").map_err(get_err)?;
    let criteria: Json<Vec<Criterion>> = row.try_get("criteria").map_err(get_err)?;
    Ok(CampaignFilter {
        id: CampaignFilterId(row.try_get("id").map_err(get_err)?),
        name: row.try_get("name").map_err(get_err)?,
        description: row.try_get("description").map_err(get_err)?,
        owner: row.try_get("owner_name").map_err(get_err)?,
        owner_id: row
            .try_get::<Option<String>, _>("owner_id")
            .map_err(get_err)?
            .map(IdentityId),
        mode: mode
            .parse::<FilterMode>()
            .map_err(|e| corrupt(format!("campaign filter mode: {e}")))?,
        criteria: criteria.0,
        system: row.try_get("is_system").map_err(get_err)?,
        created: row
            .try_get::<DateTime<Utc>, _>("created")
            .map_err(get_err)?,
        modified: row
            .try_get::<DateTime<Utc>, _>("modified")
            .map_err(get_err)?,
    })
}

#[async_trait]
impl CampaignFilterStore for PostgresStore {
    async fn insert_campaign_filter(
        &self,
        filter: &CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO campaign_filters (id, name, description, owner_name, owner_id, mode, \
             criteria, is_system, created, modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(filter.id.as_str())
        .bind(&filter.name)
        .bind(&filter.description)
        .bind(&filter.owner)
        .bind(filter.owner_id.as_ref().map(IdentityId::as_str))
        .bind(filter.mode.as_str())
        .bind(Json(&filter.criteria))
        .bind(filter.system)
        .bind(filter.created)
        .bind(filter.modified)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn campaign_filter(&self, id: &CampaignFilterId) -> StoreResult<Option<CampaignFilter>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM campaign_filters WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(filter_from_row).transpose()
    }

    async fn list_campaign_filters(
        &self,
        include_system: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<CampaignFilter>, u64)> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, count(*) OVER () AS total FROM campaign_filters \
             WHERE $1 OR NOT is_system \
             ORDER BY is_system DESC, created, id LIMIT $2 OFFSET $3"
        ))
        .bind(include_system)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let total = match rows.first() {
            Some(row) => row
                .try_get::<i64, _>("total")
                .map_err(|e| corrupt(format!("campaign filter total: {e}")))?,
            // A page past the end: count separately.
            None => sqlx::query_scalar(
                "SELECT count(*) FROM campaign_filters WHERE $1 OR NOT is_system",
            )
            .bind(include_system)
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?,
        };
        let filters = rows
            .iter()
            .map(filter_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((filters, u64::try_from(total).unwrap_or(0)))
    }

    async fn update_campaign_filter(
        &self,
        filter: &CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let changed = sqlx::query(
            "UPDATE campaign_filters SET name = $2, description = $3, mode = $4, criteria = $5, \
             modified = $6 WHERE id = $1 AND NOT is_system",
        )
        .bind(filter.id.as_str())
        .bind(&filter.name)
        .bind(&filter.description)
        .bind(filter.mode.as_str())
        .bind(Json(&filter.criteria))
        .bind(filter.modified)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn delete_campaign_filters(
        &self,
        ids: &[CampaignFilterId],
        audit: &[AuditEvent],
    ) -> StoreResult<FilterDeletion> {
        let wanted: Vec<&str> = ids.iter().map(CampaignFilterId::as_str).collect();
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let found: Vec<(String, bool)> = sqlx::query_as(
            "SELECT id, is_system FROM campaign_filters WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .bind(&wanted)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let unknown: Vec<CampaignFilterId> = ids
            .iter()
            .filter(|id| !found.iter().any(|(f, _)| f == id.as_str()))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Ok(FilterDeletion::Unknown(unknown));
        }
        let system: Vec<CampaignFilterId> = ids
            .iter()
            .filter(|id| found.iter().any(|(f, s)| *s && f == id.as_str()))
            .cloned()
            .collect();
        if !system.is_empty() {
            return Ok(FilterDeletion::System(system));
        }
        let deleted =
            sqlx::query("DELETE FROM campaign_filters WHERE id = ANY($1) AND NOT is_system")
                .bind(&wanted)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(FilterDeletion::Deleted(deleted))
    }
}
