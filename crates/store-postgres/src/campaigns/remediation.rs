//! Remediation on PostgreSQL ([`RemediationStore`]): sinks, order release and delivery state,
//! manual completion, and remediation scans (schema in `migrations/0006_remediation.sql`).
//!
//! Policy: claims are `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`,
//! so claimers on any number of nodes pass over a row another is claiming and no order or scan
//! is handed out twice; outcomes are compare-and-set on the lease holder and the status; every
//! write with its audit event is one transaction.

use async_trait::async_trait;
use attest_domain::certification::*;
use attest_domain::remediation::*;
use attest_domain::{IdentityId, SourceId};
use attest_store::campaigns::Page;
use attest_store::remediation::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder};

use super::insert_audit;
use super::rows::{get, order_from_row, parse_enum, ORDER_COLUMNS};
use crate::error::{corrupt, store_error};
use crate::PostgresStore;

/// Whether an order's access is still in the warehouse: the account, enabled, for account
/// orders; the role's content for role-composition orders; else the holder's assignment
/// (through the order's account when it names one, else the identity's).
const PRESENT: &str = "(CASE
     WHEN o.access_type = 'ACCOUNT' THEN EXISTS (SELECT 1 FROM accounts a
         WHERE a.id = COALESCE(o.account_id, o.access_id) AND NOT a.disabled)
     WHEN o.role_id IS NOT NULL THEN
         (o.access_type = 'ENTITLEMENT' AND EXISTS (SELECT 1 FROM role_entitlements re
             WHERE re.role_id = o.role_id AND re.entitlement_id = o.access_id))
         OR (o.access_type = 'ACCESS_PROFILE' AND EXISTS (SELECT 1 FROM role_access_profiles rp
             WHERE rp.role_id = o.role_id AND rp.access_profile_id = o.access_id))
     ELSE EXISTS (SELECT 1 FROM assignments s
         WHERE s.access_type = o.access_type AND s.access_id = o.access_id
           AND ((o.account_id IS NOT NULL AND s.account_id = o.account_id)
                OR (o.account_id IS NULL AND o.identity_id IS NOT NULL
                    AND s.identity_id = o.identity_id)))
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

fn remediation_order_from_row(row: &PgRow) -> StoreResult<RemediationOrder> {
    Ok(RemediationOrder {
        order: order_from_row(row)?,
        delivery: OrderDelivery {
            released_at: get(row, "released_at")?,
            released_by: get::<Option<String>>(row, "released_by")?.map(IdentityId),
            sink: Some(parse_enum(row, "sink")?),
            attempts: get(row, "attempts")?,
            last_error: get(row, "last_error")?,
            next_attempt_at: get(row, "next_attempt_at")?,
            sent_at: get(row, "sent_at")?,
            done_at: get(row, "done_at")?,
            done_by: get::<Option<String>>(row, "done_by")?.map(IdentityId),
            scanned_at: get(row, "scanned_at")?,
        },
    })
}

fn sink_from_row(row: &PgRow, prefix: &str) -> StoreResult<RemediationSink> {
    let kind: SinkKind = parse_enum(row, &format!("{prefix}kind"))?;
    let target = SinkTarget::from_parts(
        kind,
        get(row, &format!("{prefix}url"))?,
        get(row, &format!("{prefix}secret"))?,
    )
    .ok_or_else(|| corrupt("remediation sink: a webhook or SCIM sink without URL or secret"))?;
    Ok(RemediationSink {
        source_id: SourceId(get(row, &format!("{prefix}source_id"))?),
        target,
        updated: get(row, &format!("{prefix}updated"))?,
        updated_by: get::<Option<String>>(row, &format!("{prefix}updated_by"))?.map(IdentityId),
    })
}

/// Appends the query's conditions (after a `WHERE TRUE`).
fn push_conditions(q: &mut QueryBuilder<'_, Postgres>, query: &RemediationOrderQuery) {
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

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

#[async_trait]
impl RemediationStore for PostgresStore {
    async fn remediation_sink(&self, source: &SourceId) -> StoreResult<Option<RemediationSink>> {
        let row = sqlx::query(
            "SELECT source_id, kind, url, secret, updated, updated_by
             FROM remediation_sinks WHERE source_id = $1",
        )
        .bind(source.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(|r| sink_from_row(r, "")).transpose()
    }

    async fn put_remediation_sink(
        &self,
        sink: &RemediationSink,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO remediation_sinks (source_id, kind, url, secret, updated, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source_id) DO UPDATE SET kind = excluded.kind, url = excluded.url,
                 secret = excluded.secret, updated = excluded.updated,
                 updated_by = excluded.updated_by",
        )
        .bind(sink.source_id.as_str())
        .bind(sink.target.kind().as_str())
        .bind(sink.target.url())
        .bind(sink.target.secret().map(Secret::expose))
        .bind(sink.updated)
        .bind(sink.updated_by.as_ref().map(IdentityId::as_str))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn delete_remediation_sink(
        &self,
        source: &SourceId,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let deleted = sqlx::query("DELETE FROM remediation_sinks WHERE source_id = $1")
            .bind(source.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        if deleted > 0 {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(store_error)?;
        Ok(deleted > 0)
    }

    async fn list_remediation_orders(
        &self,
        query: &RemediationOrderQuery,
    ) -> StoreResult<Page<RemediationOrder>> {
        let from = " FROM provisioning_orders o
                    LEFT JOIN remediation_sinks s ON s.source_id = o.source_id WHERE TRUE";
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {}{from}", columns()));
        push_conditions(&mut q, query);
        q.push(" ORDER BY o.created DESC, o.id DESC LIMIT ")
            .push_bind(i64::from(query.limit))
            .push(" OFFSET ")
            .push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = q.build().fetch_all(&self.pool).await.map_err(store_error)?;
        let items = rows
            .iter()
            .map(remediation_order_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut q = QueryBuilder::<Postgres>::new(format!("SELECT count(*){from}"));
        push_conditions(&mut q, query);
        let total: i64 = q
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(Page {
            items,
            total: Some(count(total)),
        })
    }

    async fn remediation_order(&self, id: &OrderId) -> StoreResult<Option<RemediationOrder>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM provisioning_orders o
             LEFT JOIN remediation_sinks s ON s.source_id = o.source_id WHERE o.id = $1",
            columns()
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
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
        if orders.is_some_and(<[OrderId]>::is_empty) {
            return Ok(Vec::new());
        }
        let ids: Option<Vec<String>> = orders.map(|o| o.iter().map(|i| i.0.clone()).collect());
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let released: Vec<String> = sqlx::query_scalar(
            "UPDATE provisioning_orders SET released_at = $2, released_by = $3,
                 next_attempt_at = $2
             WHERE campaign_id = $1 AND status = 'PENDING' AND released_at IS NULL
               AND ($4::text[] IS NULL OR id = ANY($4))
             RETURNING id",
        )
        .bind(campaign.as_str())
        .bind(at)
        .bind(by.map(IdentityId::as_str))
        .bind(ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        if !released.is_empty() {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(store_error)?;
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
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE provisioning_orders SET leased_by = $1, lease_until = $2,
                 attempts = attempts + 1
             WHERE id = (SELECT o.id FROM provisioning_orders o
                 JOIN remediation_sinks s ON s.source_id = o.source_id
                 WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= $3
                   AND o.status = 'PENDING' AND o.released_at IS NOT NULL
                   AND (o.lease_until IS NULL OR o.lease_until <= $3)
                   AND s.kind IN ('WEBHOOK', 'SCIM')
                 ORDER BY o.next_attempt_at, o.created, o.id
                 LIMIT 1
                 FOR UPDATE OF o SKIP LOCKED)
             RETURNING id",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(id) = id else {
            tx.commit().await.map_err(store_error)?;
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {}, s.source_id AS s_source_id, s.kind AS s_kind, s.url AS s_url,
                 s.secret AS s_secret, s.updated AS s_updated, s.updated_by AS s_updated_by
             FROM provisioning_orders o
             JOIN remediation_sinks s ON s.source_id = o.source_id WHERE o.id = $1",
            columns()
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        let claimed = ClaimedOrder {
            order: remediation_order_from_row(&row)?,
            sink: sink_from_row(&row, "s_")?,
        };
        tx.commit().await.map_err(store_error)?;
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
            DeliveryOutcome::Sent => ("SENT", None, None, Some(at)),
            DeliveryOutcome::Failed(reason) => ("FAILED", Some(reason.as_str()), None, None),
            DeliveryOutcome::Retry { error, retry_at } => {
                ("PENDING", Some(error.as_str()), Some(*retry_at), None)
            }
        };
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let campaign: Option<String> = sqlx::query_scalar(
            "UPDATE provisioning_orders SET status = $1, last_error = $2, next_attempt_at = $3,
                 sent_at = COALESCE($4, sent_at), leased_by = NULL, lease_until = NULL
             WHERE id = $5 AND leased_by = $6 AND status = 'PENDING'
             RETURNING campaign_id",
        )
        .bind(status)
        .bind(error)
        .bind(next)
        .bind(sent)
        .bind(order.as_str())
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let recorded = campaign.is_some();
        if recorded && !matches!(outcome, DeliveryOutcome::Retry { .. }) {
            let event = AuditEvent {
                at,
                actor: Actor::system(),
                action: match outcome {
                    DeliveryOutcome::Sent => "order.sent".to_owned(),
                    _ => "order.failed".to_owned(),
                },
                campaign_id: campaign.map(CampaignId),
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
        tx.commit().await.map_err(store_error)?;
        Ok(recorded)
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
        let ids: Vec<String> = orders.iter().map(|i| i.0.clone()).collect();
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let done: Vec<String> = sqlx::query_scalar(
            "UPDATE provisioning_orders SET status = 'DONE', next_attempt_at = NULL,
                 leased_by = NULL, lease_until = NULL, done_at = $2, done_by = $3
             WHERE released_at IS NOT NULL
               AND status IN ('PENDING', 'SENT', 'FAILED', 'STILL_PRESENT') AND id = ANY($1)
             RETURNING id",
        )
        .bind(&ids)
        .bind(at)
        .bind(by.map(IdentityId::as_str))
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
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
        tx.commit().await.map_err(store_error)?;
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
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query(
            "INSERT INTO remediation_scans (campaign_id, status, requested_at, run_after)
             VALUES ($1, 'QUEUED', $2, $2)
             ON CONFLICT (campaign_id) DO UPDATE SET requested_at = excluded.requested_at,
                 status = 'QUEUED', run_after = excluded.run_after, attempts = 0,
                 last_error = NULL
             WHERE remediation_scans.status = 'SUCCESS'",
        )
        .bind(campaign.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn claim_remediation_scan(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<CampaignId>> {
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE remediation_scans SET status = 'IN_PROGRESS', leased_by = $1,
                 lease_until = $2, attempts = attempts + 1
             WHERE campaign_id = (SELECT campaign_id FROM remediation_scans
                 WHERE (status = 'QUEUED' AND run_after <= $3)
                    OR (status = 'IN_PROGRESS' AND lease_until <= $3)
                 ORDER BY run_after, campaign_id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING campaign_id",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(id.map(CampaignId))
    }

    async fn run_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ScanOutcome>> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // Locks the scan row: a worker whose lease ran out and the one that took it over
        // cannot both record the scan.
        let held: Option<String> = sqlx::query_scalar(
            "SELECT campaign_id FROM remediation_scans
             WHERE campaign_id = $1 AND status = 'IN_PROGRESS' AND leased_by = $2
             FOR UPDATE",
        )
        .bind(campaign.as_str())
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        if held.is_none() {
            return Ok(None);
        }
        let statuses: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE provisioning_orders AS o SET scanned_at = $2, status = CASE
                 WHEN NOT {PRESENT} THEN 'VERIFIED'
                 WHEN o.released_at IS NULL AND o.status = 'PENDING' THEN 'PENDING'
                 ELSE 'STILL_PRESENT' END
             WHERE o.campaign_id = $1 RETURNING o.status"
        ))
        .bind(campaign.as_str())
        .bind(at)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let mut outcome = ScanOutcome::default();
        for status in &statuses {
            match status.as_str() {
                "VERIFIED" => outcome.verified += 1,
                "STILL_PRESENT" => outcome.still_present += 1,
                _ => outcome.held += 1,
            }
        }
        sqlx::query(
            "UPDATE remediation_scans SET status = 'SUCCESS', finished_at = $2,
                 leased_by = NULL, lease_until = NULL, last_error = NULL, verified = $3,
                 still_present = $4
             WHERE campaign_id = $1",
        )
        .bind(campaign.as_str())
        .bind(at)
        .bind(i64::try_from(outcome.verified).unwrap_or(i64::MAX))
        .bind(i64::try_from(outcome.still_present).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
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
        tx.commit().await.map_err(store_error)?;
        Ok(Some(outcome))
    }

    async fn retry_remediation_scan(
        &self,
        campaign: &CampaignId,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE remediation_scans SET status = 'QUEUED', run_after = $3, last_error = $4,
                 leased_by = NULL, lease_until = NULL
             WHERE campaign_id = $1 AND leased_by = $2 AND status = 'IN_PROGRESS'",
        )
        .bind(campaign.as_str())
        .bind(worker)
        .bind(retry_at)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}
