//! Event triggers on PostgreSQL: subscriptions, the outbox that `audit_events` fills through a
//! database trigger (migration 0007), and deliveries claimed with `FOR UPDATE SKIP LOCKED`.

use async_trait::async_trait;
use attest_store::events::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::error::{corrupt, store_error as db_err};
use crate::PostgresStore;

const SUBSCRIPTION_COLUMNS: &str = "id, name, url, secret, enabled, created, modified, \
     ARRAY(SELECT trigger_id FROM event_subscription_triggers t \
      WHERE t.subscription_id = s.id ORDER BY trigger_id) AS triggers";

const DELIVERY_COLUMNS: &str = "d.id, d.subscription_id, d.event_id, d.trigger_id, d.body, \
     d.status, d.attempts, d.next_attempt_at, d.last_error, d.last_status, d.created, \
     d.last_attempt_at";

fn subscription_from_row(row: &PgRow) -> StoreResult<EventSubscription> {
    Ok(EventSubscription {
        id: row.try_get("id").map_err(db_err)?,
        name: row.try_get("name").map_err(db_err)?,
        url: row.try_get("url").map_err(db_err)?,
        secret: row.try_get("secret").map_err(db_err)?,
        enabled: row.try_get("enabled").map_err(db_err)?,
        created: row.try_get("created").map_err(db_err)?,
        modified: row.try_get("modified").map_err(db_err)?,
        triggers: row.try_get("triggers").map_err(db_err)?,
    })
}

fn delivery_from_row(row: &PgRow) -> StoreResult<EventDelivery> {
    let status: String = row.try_get("status").map_err(db_err)?;
    Ok(EventDelivery {
        id: row.try_get("id").map_err(db_err)?,
        subscription_id: row.try_get("subscription_id").map_err(db_err)?,
        event_id: row.try_get("event_id").map_err(db_err)?,
        trigger_id: row.try_get("trigger_id").map_err(db_err)?,
        body: row.try_get("body").map_err(db_err)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
        attempts: row.try_get("attempts").map_err(db_err)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(db_err)?,
        last_error: row.try_get("last_error").map_err(db_err)?,
        last_status: row.try_get("last_status").map_err(db_err)?,
        created: row.try_get("created").map_err(db_err)?,
        last_attempt_at: row.try_get("last_attempt_at").map_err(db_err)?,
    })
}

async fn write_triggers(
    conn: &mut PgConnection,
    subscription: &EventSubscription,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM event_subscription_triggers WHERE subscription_id = $1")
        .bind(&subscription.id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    for trigger in &subscription.triggers {
        sqlx::query(
            "INSERT INTO event_subscription_triggers (subscription_id, trigger_id) \
             VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&subscription.id)
        .bind(trigger)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn insert_subscription(&self, subscription: &EventSubscription) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO event_subscriptions (id, name, url, secret, enabled, created, modified) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&subscription.id)
        .bind(&subscription.name)
        .bind(&subscription.url)
        .bind(&subscription.secret)
        .bind(subscription.enabled)
        .bind(subscription.created)
        .bind(subscription.modified)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        write_triggers(&mut tx, subscription).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn subscriptions(&self) -> StoreResult<Vec<EventSubscription>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM event_subscriptions s ORDER BY created, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(subscription_from_row).collect()
    }

    async fn subscription(&self, id: &str) -> StoreResult<Option<EventSubscription>> {
        let row = sqlx::query(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM event_subscriptions s WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(subscription_from_row).transpose()
    }

    async fn update_subscription(&self, subscription: &EventSubscription) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let changed = sqlx::query(
            "UPDATE event_subscriptions SET name = $2, url = $3, secret = $4, enabled = $5, \
             modified = $6 WHERE id = $1",
        )
        .bind(&subscription.id)
        .bind(&subscription.name)
        .bind(&subscription.url)
        .bind(&subscription.secret)
        .bind(subscription.enabled)
        .bind(subscription.modified)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        write_triggers(&mut tx, subscription).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_subscription(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let deleted = sqlx::query("DELETE FROM event_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        tx.commit().await.map_err(db_err)?;
        Ok(deleted > 0)
    }

    async fn pending_events(&self, limit: u32) -> StoreResult<Vec<PendingEvent>> {
        let rows = sqlx::query(
            "SELECT id, trigger_id, campaign_id, certification_id, occurred FROM event_outbox \
             WHERE dispatched_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(PendingEvent {
                    id: row.try_get("id").map_err(db_err)?,
                    trigger_id: row.try_get("trigger_id").map_err(db_err)?,
                    campaign_id: row.try_get("campaign_id").map_err(db_err)?,
                    certification_id: row.try_get("certification_id").map_err(db_err)?,
                    occurred: row.try_get("occurred").map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn fan_out_event(
        &self,
        event_id: i64,
        body: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let claimed = sqlx::query(
            "UPDATE event_outbox SET dispatched_at = $2 WHERE id = $1 AND dispatched_at IS NULL",
        )
        .bind(event_id)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if claimed == 0 {
            return Ok(None);
        }
        let created = match body {
            None => 0,
            Some(body) => sqlx::query(
                "INSERT INTO event_deliveries (subscription_id, event_id, trigger_id, body, \
                     status, attempts, next_attempt_at, created) \
                 SELECT s.id, e.id, e.trigger_id, $2, 'PENDING', 0, $3, $3 \
                 FROM event_outbox e \
                 JOIN event_subscription_triggers t ON t.trigger_id = e.trigger_id \
                 JOIN event_subscriptions s ON s.id = t.subscription_id AND s.enabled \
                 WHERE e.id = $1 ORDER BY s.created, s.id",
            )
            .bind(event_id)
            .bind(body)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected(),
        };
        tx.commit().await.map_err(db_err)?;
        Ok(Some(created))
    }

    async fn claim_delivery(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedDelivery>> {
        // SKIP LOCKED: concurrent claimers on any node pass over a delivery another is claiming.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let id: Option<i64> = sqlx::query_scalar(
            "UPDATE event_deliveries SET attempts = attempts + 1, lease_owner = $1, \
                 lease_until = $2 \
             WHERE id = (SELECT d.id FROM event_deliveries d \
                         JOIN event_subscriptions s ON s.id = d.subscription_id AND s.enabled \
                         WHERE d.status = 'PENDING' AND d.next_attempt_at <= $3 \
                           AND (d.lease_until IS NULL OR d.lease_until <= $3) \
                         ORDER BY d.next_attempt_at, d.id LIMIT 1 \
                         FOR UPDATE OF d SKIP LOCKED) \
             RETURNING id",
        )
        .bind(worker)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        let Some(id) = id else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS}, s.url, s.secret FROM event_deliveries d \
             JOIN event_subscriptions s ON s.id = d.subscription_id WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let claimed = ClaimedDelivery {
            delivery: delivery_from_row(&row)?,
            url: row.try_get("url").map_err(db_err)?,
            secret: row.try_get("secret").map_err(db_err)?,
        };
        tx.commit().await.map_err(db_err)?;
        Ok(Some(claimed))
    }

    async fn finish_delivery(
        &self,
        id: i64,
        worker: &str,
        result: &DeliveryResult,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let changed = sqlx::query(
            "UPDATE event_deliveries SET status = $3, next_attempt_at = $4, last_error = $5, \
                 last_status = $6, last_attempt_at = $7, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(worker)
        .bind(result.status.as_str())
        .bind(result.next_attempt_at)
        .bind(&result.error)
        .bind(result.http_status)
        .bind(result.at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        tx.commit().await.map_err(db_err)?;
        Ok(changed > 0)
    }

    async fn deliveries(
        &self,
        subscription_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<EventDelivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM event_deliveries d WHERE d.subscription_id = $1 \
             ORDER BY d.id DESC LIMIT $2"
        ))
        .bind(subscription_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(delivery_from_row).collect()
    }
}
