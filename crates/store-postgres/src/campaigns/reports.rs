//! Campaign reports on PostgreSQL: configuration, runs, chunked files, and the keyset-paged
//! reads reports stream from (items by primary key within the campaign's id span, the
//! certification joined for the reviewer).

use async_trait::async_trait;
use attest_domain::certification::*;
use attest_domain::report::{ReportId, ReportRun, ReportStatus, ReportType};
use attest_domain::IdentityId;
use attest_store::reports::{ReportCertificationRow, ReportItemRow, ReportStore};
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use super::rows::{
    certification_from_row, get, order_from_row, parse_enum, CERTIFICATION_COLUMNS, ORDER_COLUMNS,
};
use super::{insert_audit, insert_task_row};
use crate::error::store_error;
use crate::PostgresStore;

const RUN_COLUMNS: &str =
    "id, campaign_id, report_type, status, task_id, requested, last_run_at, row_count, error";

fn run_from_row(row: &PgRow) -> StoreResult<ReportRun> {
    Ok(ReportRun {
        id: ReportId(get(row, "id")?),
        campaign_id: CampaignId(get(row, "campaign_id")?),
        report_type: parse_enum::<ReportType>(row, "report_type")?,
        status: parse_enum::<ReportStatus>(row, "status")?,
        task_id: TaskId(get(row, "task_id")?),
        requested: get(row, "requested")?,
        last_run_at: get(row, "last_run_at")?,
        rows: get(row, "row_count")?,
        error: get(row, "error")?,
    })
}

fn item_from_row(row: &PgRow) -> StoreResult<ReportItemRow> {
    Ok(ReportItemRow {
        item_id: ReviewItemId(get(row, "id")?),
        certification_id: CertificationId(get(row, "certification_id")?),
        reviewer_id: IdentityId(get(row, "reviewer_id")?),
        reviewer_name: get(row, "reviewer_name")?,
        identity_id: get::<Option<String>>(row, "identity_id")?.map(IdentityId),
        account_id: get(row, "account_id")?,
        holder_name: get(row, "holder_name")?,
        access_type: get(row, "access_type")?,
        access_id: get(row, "access_id")?,
        access_name: get(row, "access_name")?,
        source_id: get(row, "source_id")?,
        source_name: get(row, "source_name")?,
        origin: get(row, "origin")?,
        recommendation: get(row, "recommendation")?,
        decision: get(row, "decision")?,
        comments: get(row, "comments")?,
        decided_by: get(row, "decided_by")?,
        decided_at: get(row, "decided_at")?,
    })
}

#[async_trait]
impl ReportStore for PostgresStore {
    async fn reports_config(&self) -> StoreResult<Vec<String>> {
        let columns: Option<Json<Vec<String>>> = sqlx::query_scalar(
            "SELECT identity_attribute_columns FROM reports_config WHERE singleton",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(columns.map(|c| c.0).unwrap_or_default())
    }

    async fn set_reports_config(&self, columns: &[String], audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO reports_config (singleton, identity_attribute_columns) VALUES (TRUE, $1) \
             ON CONFLICT (singleton) DO UPDATE \
             SET identity_attribute_columns = excluded.identity_attribute_columns",
        )
        .bind(Json(columns))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn identity_attribute_names(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT k COLLATE \"C\" FROM identities, jsonb_object_keys(attributes) AS k \
             ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn start_report(
        &self,
        run: &ReportRun,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "WITH old AS (DELETE FROM campaign_reports WHERE campaign_id = $1 AND report_type = $2 \
             RETURNING id) DELETE FROM campaign_report_chunks WHERE report_id IN (SELECT id FROM old)",
        )
        .bind(run.campaign_id.as_str())
        .bind(run.report_type.as_str())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(&format!(
            "INSERT INTO campaign_reports ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(run.id.as_str())
        .bind(run.campaign_id.as_str())
        .bind(run.report_type.as_str())
        .bind(run.status.as_str())
        .bind(run.task_id.as_str())
        .bind(run.requested)
        .bind(run.last_run_at)
        .bind(run.rows)
        .bind(run.error.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_task_row(&mut tx, task).await?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn campaign_reports(&self, campaign: &CampaignId) -> StoreResult<Vec<ReportRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM campaign_reports WHERE campaign_id = $1 \
             ORDER BY report_type COLLATE \"C\""
        ))
        .bind(campaign.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(run_from_row).collect()
    }

    async fn report_run(&self, id: &ReportId) -> StoreResult<Option<ReportRun>> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM campaign_reports WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn clear_report_file(&self, id: &ReportId) -> StoreResult<()> {
        sqlx::query("DELETE FROM campaign_report_chunks WHERE report_id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn append_report_chunk(&self, id: &ReportId, seq: i64, data: &[u8]) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO campaign_report_chunks (report_id, seq, data) VALUES ($1, $2, $3)",
        )
        .bind(id.as_str())
        .bind(seq)
        .bind(data)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn finish_report(
        &self,
        id: &ReportId,
        status: ReportStatus,
        ran_at: DateTime<Utc>,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE campaign_reports SET status = $2, last_run_at = $3, row_count = $4, error = $5 \
             WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(ran_at)
        .bind(rows)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(store_error)?
        .rows_affected()
            == 1;
        Ok(done)
    }

    async fn report_chunk(&self, id: &ReportId, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar(
            "SELECT data FROM campaign_report_chunks WHERE report_id = $1 AND seq = $2",
        )
        .bind(id.as_str())
        .bind(seq)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn campaign_item_span(
        &self,
        campaign: &CampaignId,
    ) -> StoreResult<Option<(ReviewItemId, ReviewItemId)>> {
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT min(ri.id), max(ri.id) FROM certifications c \
             JOIN review_items ri ON ri.certification_id = c.id WHERE c.campaign_id = $1",
        )
        .bind(campaign.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(first
            .zip(last)
            .map(|(f, l)| (ReviewItemId(f), ReviewItemId(l))))
    }

    async fn report_items(
        &self,
        campaign: &CampaignId,
        after: ReviewItemId,
        last: ReviewItemId,
        limit: u32,
    ) -> StoreResult<Vec<ReportItemRow>> {
        let rows = sqlx::query(
            "SELECT ri.id, ri.certification_id, c.reviewer_id, c.reviewer_name, ri.identity_id, \
             ri.account_id, ri.holder_name, ri.access_type, ri.access_id, ri.access_name, \
             ri.source_id, ri.source_name, ri.origin, ri.recommendation, ri.decision, \
             ri.comments, ri.decided_by, ri.decided_at \
             FROM review_items ri JOIN certifications c ON c.id = ri.certification_id \
             WHERE ri.id > $2 AND ri.id <= $3 AND ri.campaign_id = $1 \
             ORDER BY ri.id LIMIT $4",
        )
        .bind(campaign.as_str())
        .bind(after.0)
        .bind(last.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(item_from_row).collect()
    }

    async fn report_certifications(
        &self,
        campaign: &CampaignId,
        after: Option<&CertificationId>,
        limit: u32,
    ) -> StoreResult<Vec<ReportCertificationRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {CERTIFICATION_COLUMNS}, \
             (SELECT a.actor_identity_id FROM audit_events a \
              WHERE a.certification_id = certifications.id AND a.action = 'certification.signed' \
              ORDER BY a.seq DESC LIMIT 1) AS signed_by \
             FROM certifications WHERE campaign_id = $1 AND ($2::text IS NULL OR id > $2) \
             ORDER BY id LIMIT $3"
        ))
        .bind(campaign.as_str())
        .bind(after.map(|a| a.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(ReportCertificationRow {
                    certification: certification_from_row(row)?,
                    signed_by: get::<Option<String>>(row, "signed_by")?.map(IdentityId),
                })
            })
            .collect()
    }

    async fn report_orders(
        &self,
        campaign: &CampaignId,
        after: Option<(DateTime<Utc>, &OrderId)>,
        limit: u32,
    ) -> StoreResult<Vec<ProvisioningOrder>> {
        let (created, id) = match after {
            Some((created, id)) => (Some(created), Some(id.as_str())),
            None => (None, None),
        };
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM provisioning_orders WHERE campaign_id = $1 \
             AND ($2::timestamptz IS NULL OR (created, id) > ($2, $3::text)) \
             ORDER BY created, id LIMIT $4"
        ))
        .bind(campaign.as_str())
        .bind(created)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(order_from_row).collect()
    }
}
