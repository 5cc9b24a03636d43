//! Campaign filters on SQLite ([`CampaignFilterStore`]; schema in
//! `migrations/0005_campaign_filters.sql`).
//!
//! Policy: each write is one `BEGIN IMMEDIATE` transaction on the writer connection with its
//! audit event; reads run on the reader pool. System filters (`is_system = 1`) are excluded
//! by every write's `WHERE`, so they can never be changed here.

use async_trait::async_trait;
use attest_domain::campaign_filter::{CampaignFilter, CampaignFilterId, Criterion, FilterMode};
use attest_domain::certification::AuditEvent;
use attest_domain::IdentityId;
use attest_store::campaign_filters::{CampaignFilterStore, FilterDeletion};
use attest_store::StoreResult;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};

use crate::campaigns::insert_audit;
use crate::codec::{decode_enum, decode_time, encode_time, get};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

const COLUMNS: &str =
    "id, name, description, owner_name, owner_id, mode, criteria, is_system, created, modified";

fn filter_from_row(row: &SqliteRow) -> StoreResult<CampaignFilter> {
    let criteria: String = get(row, "criteria")?;
    let criteria: Vec<Criterion> =
        serde_json::from_str(&criteria).map_err(|e| corrupt("campaign filter criteria", e))?;
    Ok(CampaignFilter {
        id: CampaignFilterId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner: get(row, "owner_name")?,
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
        mode: decode_enum::<FilterMode>("campaign filter mode", &get::<String>(row, "mode")?)?,
        criteria,
        system: get(row, "is_system")?,
        created: decode_time(&get::<String>(row, "created")?)?,
        modified: decode_time(&get::<String>(row, "modified")?)?,
    })
}

fn encode_criteria(criteria: &[Criterion]) -> StoreResult<String> {
    serde_json::to_string(criteria).map_err(|e| {
        attest_store::StoreError::Database(format!("cannot encode filter criteria: {e}"))
    })
}

#[async_trait]
impl CampaignFilterStore for SqliteStore {
    async fn insert_campaign_filter(
        &self,
        filter: &CampaignFilter,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let criteria = encode_criteria(&filter.criteria)?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO campaign_filters (id, name, description, owner_name, owner_id, mode, \
             criteria, is_system, created, modified) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(filter.id.as_str())
        .bind(&filter.name)
        .bind(&filter.description)
        .bind(&filter.owner)
        .bind(filter.owner_id.as_ref().map(IdentityId::as_str))
        .bind(filter.mode.as_str())
        .bind(criteria)
        .bind(filter.system)
        .bind(encode_time(&filter.created))
        .bind(encode_time(&filter.modified))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn campaign_filter(&self, id: &CampaignFilterId) -> StoreResult<Option<CampaignFilter>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM campaign_filters WHERE id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(filter_from_row).transpose()
    }

    async fn list_campaign_filters(
        &self,
        include_system: bool,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<CampaignFilter>, u64)> {
        let mut conn = self.reader.acquire().await.map_err(db_err)?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM campaign_filters WHERE ?1 OR is_system = 0 \
             ORDER BY is_system DESC, created, id LIMIT ?2 OFFSET ?3"
        ))
        .bind(include_system)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let total: i64 =
            sqlx::query_scalar("SELECT count(*) FROM campaign_filters WHERE ?1 OR is_system = 0")
                .bind(include_system)
                .fetch_one(&mut *conn)
                .await
                .map_err(db_err)?;
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
        let criteria = encode_criteria(&filter.criteria)?;
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE campaign_filters SET name = ?2, description = ?3, mode = ?4, criteria = ?5, \
             modified = ?6 WHERE id = ?1 AND is_system = 0",
        )
        .bind(filter.id.as_str())
        .bind(&filter.name)
        .bind(&filter.description)
        .bind(filter.mode.as_str())
        .bind(criteria)
        .bind(encode_time(&filter.modified))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_campaign_filters(
        &self,
        ids: &[CampaignFilterId],
        audit: &[AuditEvent],
    ) -> StoreResult<FilterDeletion> {
        let mut tx = self.write().await?;
        let mut found: Vec<(String, bool)> = Vec::with_capacity(ids.len());
        // Few ids per call (a person lists them); chunked under the bound-variable limit.
        for chunk in ids.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, is_system FROM campaign_filters WHERE id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            q.push(")");
            let rows: Vec<(String, bool)> = q
                .build_query_as()
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
            found.extend(rows);
        }
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
        let mut deleted = 0;
        for chunk in ids.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM campaign_filters WHERE id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            q.push(") AND is_system = 0");
            deleted += q
                .build()
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(FilterDeletion::Deleted(deleted))
    }
}
