//! Campaign reports on SQLite: configuration, runs, chunked files, and the keyset-paged reads
//! reports stream from.
//!
//! The item read is the hot one (the campaign CSV of a million-item campaign): it walks
//! `review_items` by rowid within the campaign's id span (items are allocated ids in blocks, so
//! a campaign's items are one or a few runs of ids), joins the certification for the reviewer,
//! and sends each row as one `json_array(...)` value, for the reason `rows.rs` gives.

use async_trait::async_trait;
use attest_domain::certification::*;
use attest_domain::report::{ReportId, ReportRun, ReportStatus, ReportType};
use attest_domain::IdentityId;
use attest_store::reports::{ReportCertificationRow, ReportItemRow, ReportStore};
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::insert_audit;
use super::outbox::insert_task_row;
use super::rows::{certification_from_row, order_from_row, CERTIFICATION_COLUMNS, ORDER_COLUMNS};
use crate::codec::{decode_columns, decode_enum, decode_opt_time, decode_time, encode_time, get};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

const RUN_COLUMNS: &str =
    "id, campaign_id, report_type, status, task_id, requested, last_run_at, row_count, error";

fn run_from_row(row: &SqliteRow) -> StoreResult<ReportRun> {
    Ok(ReportRun {
        id: ReportId(get(row, "id")?),
        campaign_id: CampaignId(get(row, "campaign_id")?),
        report_type: decode_enum::<ReportType>("report type", &get::<String>(row, "report_type")?)?,
        status: decode_enum::<ReportStatus>("report status", &get::<String>(row, "status")?)?,
        task_id: TaskId(get(row, "task_id")?),
        requested: decode_time(&get::<String>(row, "requested")?)?,
        last_run_at: decode_opt_time(get(row, "last_run_at")?)?,
        rows: get(row, "row_count")?,
        error: get(row, "error")?,
    })
}

/// One review item of a report as the item query sends it, in [`ITEM_REPORT_JSON`] order.
#[derive(serde::Deserialize)]
struct ItemReportColumns(
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

const ITEM_REPORT_JSON: &str = "json_array(ri.id, ri.certification_id, c.reviewer_id, \
    c.reviewer_name, ri.identity_id, ri.account_id, ri.holder_name, ri.access_type, \
    ri.access_id, ri.access_name, ri.source_id, ri.source_name, ri.origin, ri.recommendation, \
    ri.decision, ri.comments, ri.decided_by, ri.decided_at)";

fn item_from_columns(c: ItemReportColumns) -> StoreResult<ReportItemRow> {
    Ok(ReportItemRow {
        item_id: ReviewItemId(c.0),
        certification_id: CertificationId(c.1),
        reviewer_id: IdentityId(c.2),
        reviewer_name: c.3,
        identity_id: c.4.map(IdentityId),
        account_id: c.5,
        holder_name: c.6,
        access_type: c.7,
        access_id: c.8,
        access_name: c.9,
        source_id: c.10,
        source_name: c.11,
        origin: c.12,
        recommendation: c.13,
        decision: c.14,
        comments: c.15,
        decided_by: c.16,
        decided_at: decode_opt_time(c.17)?,
    })
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn reports_config(&self) -> StoreResult<Vec<String>> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT identity_attribute_columns FROM reports_config WHERE singleton = 1",
        )
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        match text {
            Some(text) => decode_columns("reports configuration", &text),
            None => Ok(Vec::new()),
        }
    }

    async fn set_reports_config(&self, columns: &[String], audit: &AuditEvent) -> StoreResult<()> {
        let text =
            serde_json::to_string(columns).map_err(|e| corrupt("reports configuration", e))?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO reports_config (singleton, identity_attribute_columns) VALUES (1, ?1) \
             ON CONFLICT (singleton) DO UPDATE SET identity_attribute_columns = excluded.identity_attribute_columns",
        )
        .bind(text)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn identity_attribute_names(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT j.key FROM identities, json_each(identities.attributes) AS j \
             ORDER BY j.key",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)
    }

    async fn start_report(
        &self,
        run: &ReportRun,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "DELETE FROM campaign_report_chunks WHERE report_id IN \
             (SELECT id FROM campaign_reports WHERE campaign_id = ?1 AND report_type = ?2)",
        )
        .bind(run.campaign_id.as_str())
        .bind(run.report_type.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query("DELETE FROM campaign_reports WHERE campaign_id = ?1 AND report_type = ?2")
            .bind(run.campaign_id.as_str())
            .bind(run.report_type.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(&format!(
            "INSERT INTO campaign_reports ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))
        .bind(run.id.as_str())
        .bind(run.campaign_id.as_str())
        .bind(run.report_type.as_str())
        .bind(run.status.as_str())
        .bind(run.task_id.as_str())
        .bind(encode_time(&run.requested))
        .bind(run.last_run_at.as_ref().map(encode_time))
        .bind(run.rows)
        .bind(run.error.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_task_row(&mut tx, task).await?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn campaign_reports(&self, campaign: &CampaignId) -> StoreResult<Vec<ReportRun>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM campaign_reports WHERE campaign_id = ?1 ORDER BY report_type"
        ))
        .bind(campaign.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(run_from_row).collect()
    }

    async fn report_run(&self, id: &ReportId) -> StoreResult<Option<ReportRun>> {
        let row = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM campaign_reports WHERE id = ?1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn clear_report_file(&self, id: &ReportId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM campaign_report_chunks WHERE report_id = ?1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn append_report_chunk(&self, id: &ReportId, seq: i64, data: &[u8]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO campaign_report_chunks (report_id, seq, data) VALUES (?1, ?2, ?3)",
        )
        .bind(id.as_str())
        .bind(seq)
        .bind(data)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn finish_report(
        &self,
        id: &ReportId,
        status: ReportStatus,
        ran_at: DateTime<Utc>,
        rows: Option<i64>,
        error: Option<&str>,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE campaign_reports SET status = ?2, last_run_at = ?3, row_count = ?4, error = ?5 \
             WHERE id = ?1 AND status = 'PENDING'",
        )
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(encode_time(&ran_at))
        .bind(rows)
        .bind(error)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1;
        tx.commit().await.map_err(db_err)?;
        Ok(done)
    }

    async fn report_chunk(&self, id: &ReportId, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar(
            "SELECT data FROM campaign_report_chunks WHERE report_id = ?1 AND seq = ?2",
        )
        .bind(id.as_str())
        .bind(seq)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)
    }

    async fn campaign_item_span(
        &self,
        campaign: &CampaignId,
    ) -> StoreResult<Option<(ReviewItemId, ReviewItemId)>> {
        // Through the certifications and `review_items_certification`: SQLite keeps no
        // campaign index on items (see migration 0003).
        let row = sqlx::query(
            "SELECT min(ri.id) AS first, max(ri.id) AS last FROM certifications c \
             JOIN review_items ri ON ri.certification_id = c.id WHERE c.campaign_id = ?1",
        )
        .bind(campaign.as_str())
        .fetch_one(&self.reader)
        .await
        .map_err(db_err)?;
        let first: Option<i64> = row.try_get("first").map_err(db_err)?;
        let last: Option<i64> = row.try_get("last").map_err(db_err)?;
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
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {ITEM_REPORT_JSON} FROM review_items ri \
             JOIN certifications c ON c.id = ri.certification_id \
             WHERE ri.id > ?2 AND ri.id <= ?3 AND ri.campaign_id = ?1 \
             ORDER BY ri.id LIMIT ?4"
        ))
        .bind(campaign.as_str())
        .bind(after.0)
        .bind(last.0)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|text| item_from_columns(decode_columns("report item", text)?))
            .collect()
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
              ORDER BY a.id DESC LIMIT 1) AS signed_by \
             FROM certifications WHERE campaign_id = ?1 AND (?2 IS NULL OR id > ?2) \
             ORDER BY id LIMIT ?3"
        ))
        .bind(campaign.as_str())
        .bind(after.map(|a| a.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
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
            Some((created, id)) => (Some(encode_time(&created)), Some(id.as_str())),
            None => (None, None),
        };
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM provisioning_orders WHERE campaign_id = ?1 \
             AND (?2 IS NULL OR (created, id) > (?2, ?3)) ORDER BY created, id LIMIT ?4"
        ))
        .bind(campaign.as_str())
        .bind(created)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(order_from_row).collect()
    }
}
