//! Remediation on SQLite ([`RemediationStore`]): sinks, order release and delivery state,
//! manual completion, and remediation scans (schema in `migrations/0008_remediation.sql`).
//!
//! Policy: every write is one `BEGIN IMMEDIATE` transaction on the single writer connection,
//! so a claim (`UPDATE ... WHERE id = (oldest due) RETURNING`) can never hand one order or
//! scan to two workers; outcomes are compare-and-set on the lease holder and the status.

use async_trait::async_trait;
use attest_domain::certification::*;
use attest_domain::remediation::*;
use attest_domain::{IdentityId, SourceId};
use attest_store::campaigns::Page;
use attest_store::remediation::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite};

use super::insert_audit;
use super::rows::{order_from_row, unsigned, ORDER_COLUMNS};
use crate::codec::{decode_enum, decode_opt_time, decode_time, encode_time, get};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

/// Whether an order's access is still in the warehouse: the account, enabled, for account
/// orders; the role's content for role-composition orders; else the holder's assignment
/// (through the order's account when it names one, else the identity's).
const PRESENT: &str = "(CASE \
     WHEN o.access_type = 'ACCOUNT' THEN EXISTS (SELECT 1 FROM accounts a \
         WHERE a.id = COALESCE(o.account_id, o.access_id) AND NOT a.disabled) \
     WHEN o.role_id IS NOT NULL THEN \
         (o.access_type = 'ENTITLEMENT' AND EXISTS (SELECT 1 FROM role_entitlements re \
             WHERE re.role_id = o.role_id AND re.entitlement_id = o.access_id)) \
         OR (o.access_type = 'ACCESS_PROFILE' AND EXISTS (SELECT 1 FROM role_access_profiles rp \
             WHERE rp.role_id = o.role_id AND rp.access_profile_id = o.access_id)) \
     ELSE EXISTS (SELECT 1 FROM assignments s \
         WHERE s.access_type = o.access_type AND s.access_id = o.access_id \
           AND ((o.account_id IS NOT NULL AND s.account_id = o.account_id) \
                OR (o.account_id IS NULL AND o.identity_id IS NOT NULL \
                    AND s.identity_id = o.identity_id))) \
     END)";

/// The order columns, qualified with `o.`, then the delivery columns and the sink kind.
fn columns() -> String {
    let order: Vec<String> = ORDER_COLUMNS
        .split(',')
        .map(|c| format!("o.{}", c.trim()))
        .collect();
    format!(
        "{}, o.released_at, o.released_by, o.attempts, o.last_error, o.next_attempt_at, \
         o.sent_at, o.done_at, o.done_by, o.scanned_at, COALESCE(s.kind, 'MANUAL') AS sink",
        order.join(", ")
    )
}

fn remediation_order_from_row(row: &SqliteRow) -> StoreResult<RemediationOrder> {
    Ok(RemediationOrder {
        order: order_from_row(row)?,
        delivery: OrderDelivery {
            released_at: decode_opt_time(get(row, "released_at")?)?,
            released_by: get::<Option<String>>(row, "released_by")?.map(IdentityId),
            sink: Some(decode_enum("sink kind", &get::<String>(row, "sink")?)?),
            attempts: get(row, "attempts")?,
            last_error: get(row, "last_error")?,
            next_attempt_at: decode_opt_time(get(row, "next_attempt_at")?)?,
            sent_at: decode_opt_time(get(row, "sent_at")?)?,
            done_at: decode_opt_time(get(row, "done_at")?)?,
            done_by: get::<Option<String>>(row, "done_by")?.map(IdentityId),
            scanned_at: decode_opt_time(get(row, "scanned_at")?)?,
        },
    })
}

fn sink_from_row(row: &SqliteRow, prefix: &str) -> StoreResult<RemediationSink> {
    let kind: SinkKind = decode_enum("sink kind", &get::<String>(row, &format!("{prefix}kind"))?)?;
    let target = SinkTarget::from_parts(
        kind,
        get(row, &format!("{prefix}url"))?,
        get(row, &format!("{prefix}secret"))?,
    )
    .ok_or_else(|| {
        corrupt(
            "remediation sink",
            "a webhook or SCIM sink without URL or secret",
        )
    })?;
    Ok(RemediationSink {
        source_id: SourceId(get(row, &format!("{prefix}source_id"))?),
        target,
        updated: decode_time(&get::<String>(row, &format!("{prefix}updated"))?)?,
        updated_by: get::<Option<String>>(row, &format!("{prefix}updated_by"))?.map(IdentityId),
    })
}

/// Appends the query's conditions (after a `WHERE TRUE`).
fn push_conditions(q: &mut QueryBuilder<'_, Sqlite>, query: &RemediationOrderQuery) {
    if let Some(campaign) = &query.campaign_id {
        q.push(" AND o.campaign_id = ")
            .push_bind(campaign.0.clone());
    }
    if let Some(status) = query.status {
        q.push(" AND o.status = ").push_bind(status.as_str());
    }
    if let Some(source) = &query.source_id {
        q.push(" AND o.source_id = ").push_bind(source.0.clone());
    }
    match query.released {
        Some(true) => {
            q.push(" AND o.released_at IS NOT NULL");
        }
        Some(false) => {
            q.push(" AND o.released_at IS NULL");
        }
        None => {}
    }
    if let Some(sink) = query.sink {
        q.push(" AND COALESCE(s.kind, 'MANUAL') = ")
            .push_bind(sink.as_str());
    }
}

#[async_trait]
impl RemediationStore for SqliteStore {
    async fn remediation_sink(&self, source: &SourceId) -> StoreResult<Option<RemediationSink>> {
        let row = sqlx::query(
            "SELECT source_id, kind, url, secret, updated, updated_by \
             FROM remediation_sinks WHERE source_id = ?1",
        )
        .bind(source.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(|r| sink_from_row(r, "")).transpose()
    }

    async fn put_remediation_sink(
        &self,
        sink: &RemediationSink,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO remediation_sinks (source_id, kind, url, secret, updated, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, url = excluded.url, \
             secret = excluded.secret, updated = excluded.updated, \
             updated_by = excluded.updated_by",
        )
        .bind(sink.source_id.as_str())
        .bind(sink.target.kind().as_str())
        .bind(sink.target.url())
        .bind(sink.target.secret().map(Secret::expose))
        .bind(encode_time(&sink.updated))
        .bind(sink.updated_by.as_ref().map(IdentityId::as_str))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_remediation_sink(
        &self,
        source: &SourceId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let deleted = sqlx::query("DELETE FROM remediation_sinks WHERE source_id = ?1")
            .bind(source.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if deleted > 0 {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(deleted > 0)
    }

    async fn list_remediation_orders(
        &self,
        query: &RemediationOrderQuery,
    ) -> StoreResult<Page<RemediationOrder>> {
        let from = " FROM provisioning_orders o \
                    LEFT JOIN remediation_sinks s ON s.source_id = o.source_id WHERE TRUE";
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {}{from}", columns()));
        push_conditions(&mut q, query);
        q.push(" ORDER BY o.created DESC, o.id DESC LIMIT ")
            .push_bind(i64::from(query.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = q.build().fetch_all(&self.reader).await.map_err(db_err)?;
        let items = rows
            .iter()
            .map(remediation_order_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT COUNT(*){from}"));
        push_conditions(&mut q, query);
        let total: i64 = q
            .build_query_scalar()
            .fetch_one(&self.reader)
            .await
            .map_err(db_err)?;
        Ok(Page {
            items,
            total: Some(unsigned(total, "order count")?),
        })
    }

    async fn remediation_order(&self, id: &OrderId) -> StoreResult<Option<RemediationOrder>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM provisioning_orders o \
             LEFT JOIN remediation_sinks s ON s.source_id = o.source_id WHERE o.id = ?1",
            columns()
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(remediation_order_from_row).transpose()
    }

    async fn release_orders(
        &self,
        campaign: &CampaignId,
        orders: Option<&[OrderId]>,
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Vec<OrderId>> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE provisioning_orders SET released_at = ");
        q.push_bind(encode_time(&at))
            .push(", released_by = ")
            .push_bind(by.map(|i| i.0.clone()))
            .push(", next_attempt_at = ")
            .push_bind(encode_time(&at))
            .push(" WHERE campaign_id = ")
            .push_bind(campaign.0.clone())
            .push(" AND status = 'PENDING' AND released_at IS NULL");
        if let Some(ids) = orders {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(id.0.clone());
            }
            q.push(")");
        }
        q.push(" RETURNING id");
        let released: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        if !released.is_empty() {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(db_err)?;
        let mut released: Vec<OrderId> = released.into_iter().map(OrderId).collect();
        released.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(released)
    }

    async fn claim_order(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedOrder>> {
        let mut tx = self.write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE provisioning_orders SET leased_by = ?1, lease_until = ?2, \
             attempts = attempts + 1 \
             WHERE id = (SELECT o.id FROM provisioning_orders o \
                 JOIN remediation_sinks s ON s.source_id = o.source_id \
                 WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?3 \
                   AND o.status = 'PENDING' AND o.released_at IS NOT NULL \
                   AND (o.lease_until IS NULL OR o.lease_until <= ?3) \
                   AND s.kind IN ('WEBHOOK', 'SCIM') \
                 ORDER BY o.next_attempt_at, o.created, o.id LIMIT 1) \
             RETURNING id",
        )
        .bind(worker)
        .bind(encode_time(&lease_until))
        .bind(encode_time(&now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(id) = id else {
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {}, s.source_id AS s_source_id, s.kind AS s_kind, s.url AS s_url, \
             s.secret AS s_secret, s.updated AS s_updated, s.updated_by AS s_updated_by \
             FROM provisioning_orders o \
             JOIN remediation_sinks s ON s.source_id = o.source_id WHERE o.id = ?1",
            columns()
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let claimed = ClaimedOrder {
            order: remediation_order_from_row(&row)?,
            sink: sink_from_row(&row, "s_")?,
        };
        tx.commit().await.map_err(db_err)?;
        Ok(Some(claimed))
    }

    async fn record_delivery(
        &self,
        order: &OrderId,
        worker: &str,
        outcome: &DeliveryOutcome,
        sink: SinkKind,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (status, error, next, sent) = match outcome {
            DeliveryOutcome::Sent => ("SENT", None, None, Some(encode_time(&at))),
            DeliveryOutcome::Failed(reason) => ("FAILED", Some(reason.as_str()), None, None),
            DeliveryOutcome::Retry { error, retry_at } => (
                "PENDING",
                Some(error.as_str()),
                Some(encode_time(retry_at)),
                None,
            ),
        };
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE provisioning_orders SET status = ?1, last_error = ?2, next_attempt_at = ?3, \
             sent_at = COALESCE(?4, sent_at), leased_by = NULL, lease_until = NULL \
             WHERE id = ?5 AND leased_by = ?6 AND status = 'PENDING'",
        )
        .bind(status)
        .bind(error)
        .bind(next)
        .bind(sent)
        .bind(order.as_str())
        .bind(worker)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if updated > 0 && !matches!(outcome, DeliveryOutcome::Retry { .. }) {
            let event = AuditEvent {
                at,
                actor: Actor::system(),
                action: match outcome {
                    DeliveryOutcome::Sent => "order.sent".to_owned(),
                    _ => "order.failed".to_owned(),
                },
                campaign_id: sqlx::query_scalar::<_, String>(
                    "SELECT campaign_id FROM provisioning_orders WHERE id = ?1",
                )
                .bind(order.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?
                .map(CampaignId),
                certification_id: None,
                item_id: None,
                detail: serde_json::json!({
                    "orderId": order.as_str(),
                    "sink": sink.as_str(),
                    "error": error,
                }),
            };
            insert_audit(&mut tx, std::slice::from_ref(&event)).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(updated > 0)
    }

    async fn mark_orders_done(
        &self,
        orders: &[OrderId],
        by: Option<&IdentityId>,
        at: DateTime<Utc>,
        audits: &[AuditEvent],
    ) -> StoreResult<Vec<OrderId>> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Sqlite>::new(
            "UPDATE provisioning_orders SET status = 'DONE', next_attempt_at = NULL, \
             leased_by = NULL, lease_until = NULL, done_at = ",
        );
        q.push_bind(encode_time(&at))
            .push(", done_by = ")
            .push_bind(by.map(|i| i.0.clone()))
            .push(
                " WHERE released_at IS NOT NULL \
                 AND status IN ('PENDING', 'SENT', 'FAILED', 'STILL_PRESENT') AND id IN (",
            );
        let mut list = q.separated(", ");
        for id in orders {
            list.push_bind(id.0.clone());
        }
        q.push(") RETURNING id");
        let done: Vec<String> = q
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        let audits: Vec<AuditEvent> = audits
            .iter()
            .filter(|a| {
                a.detail
                    .get("orderId")
                    .and_then(|v| v.as_str())
                    .is_some_and(|id| done.iter().any(|d| d == id))
            })
            .cloned()
            .collect();
        insert_audit(&mut tx, &audits).await?;
        tx.commit().await.map_err(db_err)?;
        let mut done: Vec<OrderId> = done.into_iter().map(OrderId).collect();
        done.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(done)
    }

    async fn request_remediation_scan(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO remediation_scans (campaign_id, status, requested_at, run_after) \
             VALUES (?1, 'QUEUED', ?2, ?2) \
             ON CONFLICT (campaign_id) DO UPDATE SET requested_at = excluded.requested_at, \
                 status = 'QUEUED', run_after = excluded.run_after, attempts = 0, \
                 last_error = NULL \
             WHERE remediation_scans.status = 'SUCCESS'",
        )
        .bind(campaign.as_str())
        .bind(encode_time(&at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn claim_remediation_scan(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<CampaignId>> {
        let mut tx = self.write().await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE remediation_scans SET status = 'IN_PROGRESS', leased_by = ?1, \
             lease_until = ?2, attempts = attempts + 1 \
             WHERE campaign_id = (SELECT campaign_id FROM remediation_scans \
                 WHERE (status = 'QUEUED' AND run_after <= ?3) \
                    OR (status = 'IN_PROGRESS' AND lease_until <= ?3) \
                 ORDER BY run_after, campaign_id LIMIT 1) \
             RETURNING campaign_id",
        )
        .bind(worker)
        .bind(encode_time(&lease_until))
        .bind(encode_time(&now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(id.map(CampaignId))
    }

    async fn run_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ScanOutcome>> {
        let mut tx = self.write().await?;
        let held: Option<String> = sqlx::query_scalar(
            "SELECT campaign_id FROM remediation_scans \
             WHERE campaign_id = ?1 AND status = 'IN_PROGRESS' AND leased_by = ?2",
        )
        .bind(campaign.as_str())
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        if held.is_none() {
            return Ok(None);
        }
        let statuses: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE provisioning_orders AS o SET scanned_at = ?2, status = CASE \
                 WHEN NOT {PRESENT} THEN 'VERIFIED' \
                 WHEN o.released_at IS NULL AND o.status = 'PENDING' THEN 'PENDING' \
                 ELSE 'STILL_PRESENT' END \
             WHERE o.campaign_id = ?1 RETURNING status"
        ))
        .bind(campaign.as_str())
        .bind(encode_time(&at))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        let mut outcome = ScanOutcome::default();
        for status in &statuses {
            match status.as_str() {
                "VERIFIED" => outcome.verified += 1,
                "STILL_PRESENT" => outcome.still_present += 1,
                _ => outcome.held += 1,
            }
        }
        sqlx::query(
            "UPDATE remediation_scans SET status = 'SUCCESS', finished_at = ?2, \
             leased_by = NULL, lease_until = NULL, last_error = NULL, verified = ?3, \
             still_present = ?4 WHERE campaign_id = ?1",
        )
        .bind(campaign.as_str())
        .bind(encode_time(&at))
        .bind(i64::try_from(outcome.verified).unwrap_or(i64::MAX))
        .bind(i64::try_from(outcome.still_present).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let event = AuditEvent {
            at,
            actor: Actor::system(),
            action: "campaign.remediation_scanned".to_owned(),
            campaign_id: Some(campaign.clone()),
            certification_id: None,
            item_id: None,
            detail: serde_json::json!({
                "verified": outcome.verified,
                "stillPresent": outcome.still_present,
                "held": outcome.held,
            }),
        };
        insert_audit(&mut tx, std::slice::from_ref(&event)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(outcome))
    }

    async fn retry_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE remediation_scans SET status = 'QUEUED', run_after = ?3, last_error = ?4, \
             leased_by = NULL, lease_until = NULL \
             WHERE campaign_id = ?1 AND leased_by = ?2 AND status = 'IN_PROGRESS'",
        )
        .bind(campaign.as_str())
        .bind(worker)
        .bind(encode_time(&retry_at))
        .bind(error)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}
