//! Campaign storage on PostgreSQL (see `attest_store::campaigns` for the contract and
//! `migrations/0002_campaigns.sql` for the tables).
//!
//! Policy:
//! - Several stateless nodes share the database, so every multi-step write is one transaction
//!   whose races are settled by the database: status changes are compare-and-set
//!   (`UPDATE ... WHERE status = $expected`); decisions, reassignments and sign-off lock their
//!   certification rows (`SELECT ... FOR UPDATE`, in id order when there are two) before
//!   reading counters; workers claim tasks with `FOR UPDATE SKIP LOCKED`; ids come from a
//!   one-row allocator advanced under its row lock.
//! - Locks are always taken in the same order, certifications (by id) before their campaign,
//!   so concurrent decisions, sign-offs, reassignments and completion cannot deadlock.
//! - Work over many items is set-based: items go in by `COPY`, decisions by one
//!   `UPDATE ... FROM UNNEST`, sign-off and completion by `INSERT ... SELECT` and
//!   `UPDATE ... FROM`; never one statement per item.
//! - Counters are columns, changed in the transaction that changes what they count; the
//!   reassignments, which reshape certifications, recompute the counters of the certifications
//!   they touch from their items instead of adjusting them.
//! - The store invents only what the trait leaves to it: ids of provisioning orders and of
//!   certifications created by a reassignment (random 32-hex-digit ids), and the audit events
//!   of decisions, reassignments and sign-off (`item.decided`, `certification.reassigned`,
//!   `certification.signed`).

mod candidates;
mod copy;
mod decide;
pub(crate) mod list;
mod remediation;
mod reports;
pub(crate) mod rows;

use std::collections::HashMap;

use async_trait::async_trait;
use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

use crate::error::{corrupt, store_error};
use crate::PostgresStore;
use list::FieldMap;
use rows::*;

/// Rows per `UNNEST` statement when writing certifications and summaries.
const CHUNK: usize = 10_000;

/// A new random id in the 32-hex-digit form of every campaign-side id.
const NEW_ID: &str = "replace(gen_random_uuid()::text, '-', '')";

/// Why an automatic revocation was ordered, when the item carries no comment.
const AUTO_REVOKE_REASON: &str = "revoked automatically when the campaign was completed";

/// One column of a batch, as the array an `UNNEST($n::type[])` parameter binds.
fn column<'a, T, V>(rows: &'a [T], value: impl FnMut(&'a T) -> V) -> Vec<V> {
    rows.iter().map(value).collect()
}

/// A count from PostgreSQL as the domain's unsigned count.
fn unsigned(n: i64) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative count {n}")))
}

/// Reserves `n` ids on `conn` (inside the caller's transaction or on its own).
async fn allocate(conn: &mut PgConnection, n: i64) -> StoreResult<i64> {
    if n < 0 {
        return Err(StoreError::Database(format!(
            "cannot allocate a negative number of ids ({n})"
        )));
    }
    sqlx::query_scalar(
        "UPDATE id_allocator SET next_id = next_id + $1 WHERE singleton RETURNING next_id - $1",
    )
    .bind(n)
    .fetch_one(conn)
    .await
    .map_err(store_error)
}

/// Appends audit events, in order, with one statement.
/// Writes a new campaign with its task and audit event on `tx` (the caller's transaction).
pub(crate) async fn insert_campaign_rows(
    tx: &mut PgConnection,
    campaign: &Campaign,
    task: &Task,
    audit: &AuditEvent,
) -> StoreResult<()> {
    let d = &campaign.definition;
    let c = &campaign.counts;
    sqlx::query(
        "INSERT INTO campaigns (id, name, type, deadline, definition, status, owner_id, \
         created, modified, activated, completed, alerts, certifications_total, \
         certifications_completed, items_total, items_decided, identities_total, source_ids)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18)",
    )
    .bind(campaign.id.as_str())
    .bind(&d.name)
    .bind(d.scope.campaign_type().as_str())
    .bind(d.deadline)
    .bind(Json(d))
    .bind(campaign.status.as_str())
    .bind(campaign.owner.as_str())
    .bind(campaign.created)
    .bind(campaign.modified)
    .bind(campaign.activated)
    .bind(campaign.completed)
    .bind(Json(&campaign.alerts))
    .bind(c.certifications_total)
    .bind(c.certifications_completed)
    .bind(c.items_total)
    .bind(c.items_decided)
    .bind(c.identities_total)
    .bind(column(&campaign.source_ids, SourceId::as_str))
    .execute(&mut *tx)
    .await
    .map_err(store_error)?;
    insert_task_row(tx, task).await?;
    insert_audit(tx, std::slice::from_ref(audit)).await?;
    Ok(())
}

pub(crate) async fn insert_audit(
    conn: &mut PgConnection,
    events: &[AuditEvent],
) -> StoreResult<()> {
    for chunk in events.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO audit_events (at, actor_identity_id, actor_client_id, action, \
             campaign_id, certification_id, item_id, detail)
             SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::bigint[], $8::jsonb[])",
        )
        .bind(column(chunk, |e| e.at))
        .bind(column(chunk, |e| {
            e.actor.identity_id.as_ref().map(IdentityId::as_str)
        }))
        .bind(column(chunk, |e| e.actor.client_id.as_deref()))
        .bind(column(chunk, |e| e.action.as_str()))
        .bind(column(chunk, |e| {
            e.campaign_id.as_ref().map(CampaignId::as_str)
        }))
        .bind(column(chunk, |e| {
            e.certification_id.as_ref().map(CertificationId::as_str)
        }))
        .bind(column(chunk, |e| e.item_id.map(|i| i.0)))
        .bind(column(chunk, |e| Json(&e.detail)))
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    }
    Ok(())
}

/// Inserts one task.
async fn insert_task_row(conn: &mut PgConnection, task: &Task) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tasks (id, type, target_type, target_id, status, errors, payload, trail, \
         attempts, created, run_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(task.id.as_str())
    .bind(task.task_type.as_str())
    .bind(task.target_type.as_str())
    .bind(&task.target_id)
    .bind(task.status.as_str())
    .bind(Json(&task.errors))
    .bind(Json(&task.payload))
    .bind(Json(&task.reassignment_trail))
    .bind(task.attempts)
    .bind(task.created)
    .bind(task.run_after)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Locks and reads one certification.
async fn lock_certification(
    conn: &mut PgConnection,
    id: &CertificationId,
) -> StoreResult<Option<Certification>> {
    let row = sqlx::query(&format!(
        "SELECT {CERTIFICATION_COLUMNS} FROM certifications WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await
    .map_err(store_error)?;
    row.as_ref().map(certification_from_row).transpose()
}

/// Locks and reads several certifications, in id order (the lock order of this module).
async fn lock_certifications(
    conn: &mut PgConnection,
    ids: &[&str],
) -> StoreResult<Vec<Certification>> {
    let rows = sqlx::query(&format!(
        "SELECT {CERTIFICATION_COLUMNS} FROM certifications WHERE id = ANY($1) \
         ORDER BY id FOR UPDATE"
    ))
    .bind(ids)
    .fetch_all(conn)
    .await
    .map_err(store_error)?;
    rows.iter().map(certification_from_row).collect()
}

/// Locks every certification of `campaigns`, in id order: the first step of a write that
/// changes both certifications and their campaign, so that it takes locks in the same order
/// as decisions and sign-offs (certification, then campaign) and cannot deadlock with them.
async fn lock_certifications_of(conn: &mut PgConnection, campaigns: &[&str]) -> StoreResult<()> {
    sqlx::query("SELECT id FROM certifications WHERE campaign_id = ANY($1) ORDER BY id FOR UPDATE")
        .bind(campaigns)
        .execute(conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Sets every counter of `certifications` from their items and summaries: summaries first
/// (deleting those left without items), then the certifications' per-type and identity counts.
async fn refresh_counters(
    conn: &mut PgConnection,
    certifications: &[&str],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "WITH c AS (
             SELECT identity_summary_id AS id, count(*) AS total, count(decision) AS decided
             FROM review_items WHERE certification_id = ANY($1)
             GROUP BY identity_summary_id)
         UPDATE identity_summaries s SET items_total = c.total, items_decided = c.decided
         FROM c
         WHERE s.id = c.id AND (s.items_total, s.items_decided) <> (c.total, c.decided)",
    )
    .bind(certifications)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    sqlx::query(
        "DELETE FROM identity_summaries s
         WHERE s.certification_id = ANY($1)
           AND NOT EXISTS (SELECT FROM review_items r
                           WHERE r.certification_id = s.certification_id
                             AND r.identity_summary_id = s.id)",
    )
    .bind(certifications)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    let mut sets = Vec::new();
    let mut aggregates = Vec::new();
    for t in ItemAccessType::ALL {
        let p = counter_prefix(*t);
        let ty = t.as_str();
        aggregates.push(format!(
            "count(*) FILTER (WHERE access_type = '{ty}') AS {p}_total, \
             count(decision) FILTER (WHERE access_type = '{ty}') AS {p}_decided, \
             count(*) FILTER (WHERE access_type = '{ty}' AND decision = 'APPROVE') \
             AS {p}_approved, \
             count(*) FILTER (WHERE access_type = '{ty}' AND decision = 'REVOKE') AS {p}_revoked"
        ));
        for c in ["total", "decided", "approved", "revoked"] {
            sets.push(format!("{p}_{c} = coalesce(i.{p}_{c}, 0)"));
        }
    }
    let sql = format!(
        "UPDATE certifications c SET {sets},
             identities_total = coalesce(s.n, 0), identities_completed = coalesce(s.done, 0),
             modified = $2
         FROM (SELECT unnest($1::text[]) AS id) k
         LEFT JOIN (SELECT certification_id, {aggregates}
                    FROM review_items WHERE certification_id = ANY($1)
                    GROUP BY certification_id) i ON i.certification_id = k.id
         LEFT JOIN (SELECT certification_id, count(*) AS n,
                           count(*) FILTER (WHERE items_decided >= items_total) AS done
                    FROM identity_summaries WHERE certification_id = ANY($1)
                    GROUP BY certification_id) s ON s.certification_id = k.id
         WHERE c.id = k.id",
        sets = sets.join(", "),
        aggregates = aggregates.join(", "),
    );
    sqlx::query(&sql)
        .bind(certifications)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// The holder of a summary: who its items belong to, whatever the certification.
type HolderKey = (Option<String>, Option<String>, Option<String>);

/// Which items a reassignment moves.
enum Moved<'a> {
    /// These items.
    Items(&'a [i64]),
    /// Every item of these certifications.
    Certifications(&'a [&'a str]),
}

impl Moved<'_> {
    /// Pushes the condition on `review_items` alias `r`.
    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        match self {
            Moved::Items(ids) => {
                qb.push("r.id = ANY(");
                qb.push_bind(ids.to_vec());
                qb.push(")");
            }
            Moved::Certifications(ids) => {
                qb.push("r.certification_id = ANY(");
                qb.push_bind(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>());
                qb.push(")");
            }
        }
    }
}

/// Finds the reviewer `to`'s certification in `template`'s campaign, creating it (like
/// `template`, empty, in its phase and with its due date) when missing. Returns its id and
/// whether it was created; locks nothing but a row it creates, so the caller then locks every
/// certification it writes in id order.
async fn ensure_certification(
    conn: &mut PgConnection,
    source: &Certification,
    to: &IdentityId,
    at: DateTime<Utc>,
) -> StoreResult<(CertificationId, bool)> {
    let reviewer = sqlx::query(
        "SELECT coalesce(display_name, name) AS name, email FROM identities WHERE id = $1",
    )
    .bind(to.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(store_error)?;
    let (name, email): (String, Option<String>) = match reviewer {
        Some(row) => (get(&row, "name")?, get(&row, "email")?),
        None => (to.0.clone(), None),
    };
    // ON CONFLICT: another node may create the same certification at the same moment.
    let created = sqlx::query(&format!(
        "INSERT INTO certifications (id, campaign_id, campaign_name, campaign_type, name, \
         reviewer_id, reviewer_name, reviewer_email, phase, due, created, modified)
         VALUES ({NEW_ID}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (campaign_id, reviewer_id) DO NOTHING"
    ))
    .bind(source.campaign_id.as_str())
    .bind(&source.campaign_name)
    .bind(source.campaign_type.as_str())
    .bind(format!("{} - {}", source.campaign_name, name))
    .bind(to.as_str())
    .bind(&name)
    .bind(email)
    .bind(source.phase.as_str())
    .bind(source.due)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(store_error)?
    .rows_affected()
        > 0;
    let id: String = sqlx::query_scalar(
        "SELECT id FROM certifications WHERE campaign_id = $1 AND reviewer_id = $2",
    )
    .bind(source.campaign_id.as_str())
    .bind(to.as_str())
    .fetch_one(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok((CertificationId(id), created))
}

/// Reads one certification without locking it.
async fn read_certification(
    conn: &mut PgConnection,
    id: &CertificationId,
) -> StoreResult<Option<Certification>> {
    let row = sqlx::query(&format!(
        "SELECT {CERTIFICATION_COLUMNS} FROM certifications WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await
    .map_err(store_error)?;
    row.as_ref().map(certification_from_row).transpose()
}

/// Moves `moved` items into `target`: each holder gets (or keeps) one summary in the target,
/// items keep their decisions and record where they came from and why, and the counters of
/// every certification involved are recomputed.
async fn move_items(
    conn: &mut PgConnection,
    moved: &Moved<'_>,
    sources: &[&str],
    target: &Certification,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    // The source summaries of the moved items, with their holders.
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT s.id, s.identity_id, s.account_id, s.role_id, s.name
         FROM identity_summaries s
         WHERE s.id IN (SELECT r.identity_summary_id FROM review_items r WHERE ",
    );
    moved.push(&mut qb);
    qb.push(") ORDER BY s.id");
    let moved_summaries = qb
        .build()
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
    let existing = sqlx::query(
        "SELECT id, identity_id, account_id, role_id FROM identity_summaries \
         WHERE certification_id = $1",
    )
    .bind(target.id.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let key = |row: &PgRow| -> StoreResult<HolderKey> {
        Ok((
            get(row, "identity_id")?,
            get(row, "account_id")?,
            get(row, "role_id")?,
        ))
    };
    let mut by_holder: HashMap<HolderKey, i64> = HashMap::new();
    for row in &existing {
        by_holder.entry(key(row)?).or_insert(get(row, "id")?);
    }
    // Holders new to the target get a summary each.
    let mut new_holders: Vec<(HolderKey, String)> = Vec::new();
    for row in &moved_summaries {
        let k = key(row)?;
        if !by_holder.contains_key(&k) && !new_holders.iter().any(|(h, _)| *h == k) {
            new_holders.push((k, get(row, "name")?));
        }
    }
    if !new_holders.is_empty() {
        let n = i64::try_from(new_holders.len()).unwrap_or(i64::MAX);
        let first = allocate(conn, n).await?;
        let ids: Vec<i64> = (first..first + n).collect();
        for (id, (k, _)) in ids.iter().zip(&new_holders) {
            by_holder.insert(k.clone(), *id);
        }
        sqlx::query(
            "INSERT INTO identity_summaries (id, certification_id, identity_id, account_id, \
             role_id, name)
             SELECT d.id, $1, d.identity_id, d.account_id, d.role_id, d.name
             FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
                  AS d(id, identity_id, account_id, role_id, name)",
        )
        .bind(target.id.as_str())
        .bind(&ids)
        .bind(column(&new_holders, |(k, _)| k.0.as_deref()))
        .bind(column(&new_holders, |(k, _)| k.1.as_deref()))
        .bind(column(&new_holders, |(k, _)| k.2.as_deref()))
        .bind(column(&new_holders, |(_, name)| name.as_str()))
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    }
    let mut old_ids = Vec::with_capacity(moved_summaries.len());
    let mut new_ids = Vec::with_capacity(moved_summaries.len());
    for row in &moved_summaries {
        old_ids.push(get::<i64>(row, "id")?);
        let k = key(row)?;
        new_ids.push(by_holder.get(&k).copied().ok_or_else(|| {
            StoreError::Database("reassignment lost track of a holder".to_owned())
        })?);
    }
    let mut qb = QueryBuilder::<Postgres>::new("UPDATE review_items r SET certification_id = ");
    qb.push_bind(target.id.0.clone());
    qb.push(", identity_summary_id = m.new_id, reassigned_from = r.certification_id, ");
    qb.push("reassignment_reason = ");
    qb.push_bind(reason.to_owned());
    qb.push(" FROM UNNEST(");
    qb.push_bind(old_ids);
    qb.push("::bigint[], ");
    qb.push_bind(new_ids);
    qb.push("::bigint[]) AS m(old_id, new_id) WHERE r.identity_summary_id = m.old_id AND ");
    moved.push(&mut qb);
    qb.push(" AND r.certification_id <> ");
    qb.push_bind(target.id.0.clone());
    let moved_count = qb
        .build()
        .execute(&mut *conn)
        .await
        .map_err(store_error)?
        .rows_affected();
    let mut touched: Vec<&str> = sources.to_vec();
    touched.push(target.id.as_str());
    refresh_counters(conn, &touched, at).await?;
    Ok(moved_count)
}

/// Records on `target` the reassignment it received, and returns it re-read.
async fn record_reassignment(
    conn: &mut PgConnection,
    target: &CertificationId,
    from: &Certification,
    reason: &str,
) -> StoreResult<Certification> {
    let row = sqlx::query(&format!(
        "UPDATE certifications SET reassigned_from_id = $2, reassigned_from_reviewer = $3, \
         reassignment_comment = $4 WHERE id = $1 RETURNING {CERTIFICATION_COLUMNS}"
    ))
    .bind(target.as_str())
    .bind(from.id.as_str())
    .bind(from.reviewer.as_str())
    .bind(reason)
    .fetch_one(conn)
    .await
    .map_err(store_error)?;
    certification_from_row(&row)
}

/// Inserts a provisioning order for every revoked item of `certifications` that has none.
async fn order_revocations(
    conn: &mut PgConnection,
    certifications: &[&str],
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO provisioning_orders (id, campaign_id, certification_id, item_id, \
         identity_id, account_id, role_id, holder_name, access_type, access_id, access_name, \
         source_id, reason, decision, reviewer_id, due, status, created)
         SELECT {NEW_ID}, r.campaign_id, r.certification_id, r.id, r.identity_id, r.account_id,
                r.role_id, r.holder_name, r.access_type, r.access_id, r.access_name, r.source_id,
                coalesce(r.comments, CASE WHEN r.decided_by IS NULL THEN $3 END),
                r.decision, r.decided_by, coalesce(r.proposed_end_date, $2), 'PENDING', $2
         FROM review_items r
         WHERE r.certification_id = ANY($1) AND r.decision = 'REVOKE'
         ON CONFLICT (item_id) DO NOTHING"
    ))
    .bind(certifications)
    .bind(at)
    .bind(AUTO_REVOKE_REASON)
    .execute(conn)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected())
}

/// One page of a list: `select` (the columns) and `count` (`SELECT count(*)`) each followed by
/// what `from` pushes (`FROM ... WHERE ...`, with its binds), then the filter, order and page.
struct ListSpec<'a> {
    select: &'a str,
    map: FieldMap,
    default_order: &'a str,
    tiebreak: &'a str,
}

impl PostgresStore {
    async fn list<T>(
        &self,
        spec: &ListSpec<'_>,
        from: &(dyn Fn(&mut QueryBuilder<'static, Postgres>) + Send + Sync),
        query: &ListQuery,
        decode: fn(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let mut qb = QueryBuilder::<Postgres>::new(spec.select);
        from(&mut qb);
        list::push_filter(&mut qb, spec.map, query.filter.as_ref())?;
        list::push_order(
            &mut qb,
            spec.map,
            &query.sort,
            spec.default_order,
            spec.tiebreak,
        )?;
        list::push_page(&mut qb, query);
        let rows = qb
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let items = rows.iter().map(decode).collect::<StoreResult<Vec<T>>>()?;
        Ok(Page {
            items,
            total: self.count(spec, from, query).await?,
        })
    }

    /// The size of a list under the query's filter, when the query asks for it.
    async fn count(
        &self,
        spec: &ListSpec<'_>,
        from: &(dyn Fn(&mut QueryBuilder<'static, Postgres>) + Send + Sync),
        query: &ListQuery,
    ) -> StoreResult<Option<u64>> {
        if !query.count {
            return Ok(None);
        }
        let mut qb = QueryBuilder::<Postgres>::new("SELECT count(*)");
        from(&mut qb);
        list::push_filter(&mut qb, spec.map, query.filter.as_ref())?;
        let n: i64 = qb
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(Some(unsigned(n)?))
    }
}

/// A certification's item list, less its select list.
const ITEM_LIST: ListSpec<'static> = ListSpec {
    select: "",
    map: list::ITEM_FIELDS,
    default_order: "",
    tiebreak: "id",
};

/// The fixed part of a certification's item list: its items, narrowed to `access_ids`.
fn items_of(
    certification: &CertificationId,
    access_ids: Option<&[String]>,
) -> impl Fn(&mut QueryBuilder<'static, Postgres>) + Send + Sync {
    let cert = certification.0.clone();
    let access_ids = access_ids.map(<[String]>::to_vec);
    move |qb: &mut QueryBuilder<'static, Postgres>| {
        qb.push(" FROM review_items WHERE certification_id = ");
        qb.push_bind(cert.clone());
        if let Some(ids) = &access_ids {
            qb.push(" AND access_id = ANY(");
            qb.push_bind(ids.clone());
            qb.push(")");
        }
    }
}

#[async_trait]
impl CampaignStore for PostgresStore {
    async fn allocate_ids(&self, n: i64) -> StoreResult<i64> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        allocate(&mut conn, n).await
    }

    async fn insert_campaign(
        &self,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        insert_campaign_rows(&mut tx, campaign, task, audit).await?;
        tx.commit().await.map_err(store_error)
    }

    async fn campaign(&self, id: &CampaignId) -> StoreResult<Option<Campaign>> {
        let row = sqlx::query(&format!(
            "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(campaign_from_row).transpose()
    }

    async fn list_campaigns(&self, query: &ListQuery) -> StoreResult<Page<Campaign>> {
        let select = format!("SELECT {CAMPAIGN_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::CAMPAIGN_FIELDS,
            default_order: "created",
            tiebreak: "id",
        };
        let from = |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(" FROM campaigns WHERE TRUE");
        };
        self.list(&spec, &from, query, campaign_from_row).await
    }

    async fn update_campaign_definition(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        definition: &CampaignDefinition,
        modified: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        lock_certifications_of(&mut tx, &[id.as_str()]).await?;
        let updated = sqlx::query(
            "UPDATE campaigns SET definition = $3, name = $4, type = $5, deadline = $6, \
             modified = $7 WHERE id = $1 AND status = $2",
        )
        .bind(id.as_str())
        .bind(expected.as_str())
        .bind(Json(definition))
        .bind(&definition.name)
        .bind(definition.scope.campaign_type().as_str())
        .bind(definition.deadline)
        .bind(modified)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        // Every certification shows its campaign's name.
        sqlx::query(
            "UPDATE certifications SET campaign_name = $2 \
             WHERE campaign_id = $1 AND campaign_name <> $2",
        )
        .bind(id.as_str())
        .bind(&definition.name)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn transition_campaign(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        next: CampaignStatus,
        at: DateTime<Utc>,
        alerts: &[CampaignAlert],
        task: Option<&Task>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let updated = sqlx::query(
            "UPDATE campaigns SET status = $3, modified = $4, alerts = alerts || $5,
                 activated = CASE WHEN $3 = 'ACTIVE' THEN $4 ELSE activated END,
                 completed = CASE WHEN $3 = 'COMPLETED' THEN $4 ELSE completed END
             WHERE id = $1 AND status = $2",
        )
        .bind(id.as_str())
        .bind(expected.as_str())
        .bind(next.as_str())
        .bind(at)
        .bind(Json(alerts))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        if let Some(task) = task {
            insert_task_row(&mut tx, task).await?;
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn delete_campaigns(&self, ids: &[CampaignId], audit: &[AuditEvent]) -> StoreResult<u64> {
        let ids: Vec<&str> = ids.iter().map(CampaignId::as_str).collect();
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // Lock everything first (certifications, then campaigns: the module's lock order) so
        // that a concurrent write waits and then finds nothing.
        lock_certifications_of(&mut tx, &ids).await?;
        let existing: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM campaigns WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "DELETE FROM tasks WHERE target_id = ANY($1)
                OR target_id IN (SELECT id FROM certifications WHERE campaign_id = ANY($1))",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query("DELETE FROM review_items WHERE campaign_id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Certifications go with their campaigns, summaries with their certifications.
        sqlx::query("DELETE FROM campaigns WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(existing.len() as u64)
    }

    async fn candidates(
        &self,
        scope: &CandidateScope,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candidate>> {
        candidates::candidates(&self.pool, scope, after, limit).await
    }

    async fn identities_page(
        &self,
        after: Option<&IdentityId>,
        limit: u32,
    ) -> StoreResult<Vec<(IdentityId, serde_json::Value)>> {
        // The standard fields override attributes of the same name.
        let rows = sqlx::query(
            "SELECT id, attributes || jsonb_build_object(
                 'name', name, 'displayName', display_name, 'email', email,
                 'department', department, 'title', title, 'location', location,
                 'lifecycleState', lifecycle_state, 'active', active, 'managerId', manager_id)
                 AS fields
             FROM identities
             WHERE $1::text IS NULL OR id > $1
             ORDER BY id
             LIMIT $2",
        )
        .bind(after.map(IdentityId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let fields: Json<serde_json::Value> = get(row, "fields")?;
                Ok((IdentityId(get(row, "id")?), fields.0))
            })
            .collect()
    }

    async fn clear_generated(&self, campaign: &CampaignId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM review_items WHERE campaign_id = $1")
            .bind(campaign.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query("DELETE FROM certifications WHERE campaign_id = $1")
            .bind(campaign.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn insert_items(&self, items: &[ReviewItem]) -> StoreResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let mut copy = tx
            .copy_in_raw(copy::COPY_ITEMS)
            .await
            .map_err(store_error)?;
        let mut buf = Vec::with_capacity(copy::COPY_BUFFER + 4096);
        for item in items {
            copy::push_item(&mut buf, item);
            if buf.len() >= copy::COPY_BUFFER {
                copy.send(buf.as_slice()).await.map_err(store_error)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_slice()).await.map_err(store_error)?;
        }
        copy.finish().await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn finish_generation(
        &self,
        campaign: &CampaignId,
        result: &GenerationResult,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let c = &result.counts;
        let updated = sqlx::query(
            "UPDATE campaigns SET status = 'STAGED', modified = $2, alerts = alerts || $3,
                 certifications_total = $4, certifications_completed = $5, items_total = $6,
                 items_decided = $7, identities_total = $8, source_ids = $9
             WHERE id = $1 AND status = 'PENDING'",
        )
        .bind(campaign.as_str())
        .bind(at)
        .bind(Json(&result.alerts))
        .bind(c.certifications_total)
        .bind(c.certifications_completed)
        .bind(c.items_total)
        .bind(c.items_decided)
        .bind(c.identities_total)
        .bind(column(&result.source_ids, SourceId::as_str))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if updated == 0 {
            return Ok(false);
        }
        for chunk in result.certifications.chunks(CHUNK) {
            let mut counts: Vec<Vec<i64>> =
                (0..18).map(|_| Vec::with_capacity(chunk.len())).collect();
            for cert in chunk {
                let k = &cert.counts;
                for (i, t) in [k.entitlements, k.access_profiles, k.roles, k.accounts]
                    .iter()
                    .enumerate()
                {
                    counts[i * 4].push(t.total);
                    counts[i * 4 + 1].push(t.decided);
                    counts[i * 4 + 2].push(t.approved);
                    counts[i * 4 + 3].push(t.revoked);
                }
                counts[16].push(k.identities_total);
                counts[17].push(k.identities_completed);
            }
            let sql = format!(
                "INSERT INTO certifications ({CERTIFICATION_COLUMNS})
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                     $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
                     $14::timestamptz[], $15::text[], $16::text[], $17::text[], {counters})",
                counters = (18..36)
                    .map(|n| format!("${n}::bigint[]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(column(chunk, |r| r.id.as_str()))
                .bind(column(chunk, |r| r.campaign_id.as_str()))
                .bind(column(chunk, |r| r.campaign_name.as_str()))
                .bind(column(chunk, |r| r.campaign_type.as_str()))
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.reviewer.as_str()))
                .bind(column(chunk, |r| r.reviewer_name.as_str()))
                .bind(column(chunk, |r| r.reviewer_email.as_deref()))
                .bind(column(chunk, |r| {
                    r.reviewer_group.as_ref().map(GovernanceGroupId::as_str)
                }))
                .bind(column(chunk, |r| r.phase.as_str()))
                .bind(column(chunk, |r| r.due))
                .bind(column(chunk, |r| r.signed))
                .bind(column(chunk, |r| r.created))
                .bind(column(chunk, |r| r.modified))
                .bind(column(chunk, |r| {
                    r.reassignment
                        .as_ref()
                        .map(|x| x.from_certification.as_str())
                }))
                .bind(column(chunk, |r| {
                    r.reassignment.as_ref().map(|x| x.from_reviewer.as_str())
                }))
                .bind(column(chunk, |r| {
                    r.reassignment.as_ref().map(|x| x.comment.as_str())
                }));
            for values in counts {
                q = q.bind(values);
            }
            q.execute(&mut *tx).await.map_err(store_error)?;
        }
        for chunk in result.identity_summaries.chunks(CHUNK) {
            sqlx::query(&format!(
                "INSERT INTO identity_summaries ({SUMMARY_COLUMNS})
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[],
                     $5::text[], $6::text[], $7::bigint[], $8::bigint[])"
            ))
            .bind(column(chunk, |s| s.id.0))
            .bind(column(chunk, |s| s.certification_id.as_str()))
            .bind(column(chunk, |s| {
                s.identity_id.as_ref().map(IdentityId::as_str)
            }))
            .bind(column(chunk, |s| {
                s.account_id.as_ref().map(AccountId::as_str)
            }))
            .bind(column(chunk, |s| s.role_id.as_ref().map(RoleId::as_str)))
            .bind(column(chunk, |s| s.name.as_str()))
            .bind(column(chunk, |s| s.items_total))
            .bind(column(chunk, |s| s.items_decided))
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        // Generation changed a large share of these tables; fresh statistics keep the first
        // reviews' queries on their indexes. Outside the transaction: best effort.
        if c.items_total >= 10_000 {
            let analyzed = sqlx::query("ANALYZE review_items, identity_summaries, certifications")
                .execute(&self.pool)
                .await;
            if let Err(e) = analyzed {
                tracing::warn!(error = %e, "could not refresh statistics after generation");
            }
        }
        Ok(true)
    }

    async fn finish_activation(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        lock_certifications_of(&mut tx, &[campaign.as_str()]).await?;
        let deadline: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "UPDATE campaigns SET status = 'ACTIVE', activated = $2, modified = $2
             WHERE id = $1 AND status = 'ACTIVATING' RETURNING deadline",
        )
        .bind(campaign.as_str())
        .bind(at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(deadline) = deadline else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE certifications SET phase = 'ACTIVE', due = $2, modified = $3
             WHERE campaign_id = $1 AND phase = 'STAGED'",
        )
        .bind(campaign.as_str())
        .bind(deadline)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn certification(&self, id: &CertificationId) -> StoreResult<Option<Certification>> {
        let row = sqlx::query(&format!(
            "SELECT {CERTIFICATION_COLUMNS} FROM certifications WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(certification_from_row).transpose()
    }

    async fn list_certifications(
        &self,
        scope: &CertificationScope,
        query: &ListQuery,
    ) -> StoreResult<Page<Certification>> {
        let select = format!("SELECT {CERTIFICATION_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::CERTIFICATION_FIELDS,
            default_order: "",
            tiebreak: "id",
        };
        let reviewer = match scope {
            CertificationScope::All => None,
            CertificationScope::ReviewedBy(id) => Some(id.0.clone()),
        };
        let from = move |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(" FROM certifications WHERE TRUE");
            if let Some(reviewer) = &reviewer {
                qb.push(" AND (reviewer_id = ");
                qb.push_bind(reviewer.clone());
                qb.push(
                    " OR reviewer_group_id IN \
                     (SELECT group_id FROM governance_group_members WHERE identity_id = ",
                );
                qb.push_bind(reviewer.clone());
                qb.push("))");
            }
        };
        self.list(&spec, &from, query, certification_from_row).await
    }

    async fn is_reviewer(&self, id: &CertificationId, identity: &IdentityId) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT FROM certifications c
                 WHERE c.id = $1
                   AND (c.reviewer_id = $2
                        OR EXISTS (SELECT FROM governance_group_members g
                                   WHERE g.group_id = c.reviewer_group_id
                                     AND g.identity_id = $2)))",
        )
        .bind(id.as_str())
        .bind(identity.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)
    }

    async fn certification_reviewers(
        &self,
        id: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<Identity>> {
        let select = format!("SELECT {IDENTITY_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::REVIEWER_FIELDS,
            default_order: "",
            tiebreak: "id",
        };
        let cert = id.0.clone();
        let from = move |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(
                " FROM identities WHERE id IN (
                     SELECT g.identity_id FROM certifications c
                     JOIN governance_group_members g ON g.group_id = c.reviewer_group_id
                     WHERE c.id = ",
            );
            qb.push_bind(cert.clone());
            qb.push(
                " UNION ALL
                     SELECT c.reviewer_id FROM certifications c
                     WHERE c.reviewer_group_id IS NULL AND c.id = ",
            );
            qb.push_bind(cert.clone());
            qb.push(")");
        };
        self.list(&spec, &from, query, identity_from_row).await
    }

    async fn list_items(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        let select = format!("SELECT {ITEM_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            ..ITEM_LIST
        };
        let from = items_of(certification, access_ids);
        self.list(&spec, &from, query, item_from_row).await
    }

    async fn item_page(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Option<ItemPage>> {
        // Four statements: the certification with the warehouse version, the page, then its
        // identity summaries and accounts by id. (One statement joining the page to both,
        // each as `to_jsonb`, measured twice as slow: PostgreSQL's JSON of a row costs more
        // than a second round trip.)
        let Some(row) = sqlx::query(&format!(
            "SELECT {CERTIFICATION_COLUMNS}, \
             (SELECT count(*) FROM import_runs) AS warehouse_version \
             FROM certifications WHERE id = $1"
        ))
        .bind(certification.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?
        else {
            return Ok(None);
        };
        let found = certification_from_row(&row)?;
        let version: i64 = get(&row, "warehouse_version")?;
        let items = self.list_items(certification, access_ids, query).await?;
        let mut summary_ids: Vec<i64> = items
            .items
            .iter()
            .map(|item| item.identity_summary_id.0)
            .collect();
        summary_ids.sort_unstable();
        summary_ids.dedup();
        let summaries = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM identity_summaries WHERE id = ANY($1)"
        ))
        .bind(&summary_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .iter()
        .map(summary_from_row)
        .collect::<StoreResult<_>>()?;
        let account_ids: Vec<AccountId> = items
            .items
            .iter()
            .filter_map(|item| item.account_id.clone())
            .collect();
        let accounts = attest_store::WarehouseStore::accounts(self, &account_ids).await?;
        Ok(Some(ItemPage {
            certification: found,
            items,
            summaries,
            accounts,
            warehouse_version: unsigned(version)?,
        }))
    }

    async fn list_access_summaries(
        &self,
        certification: &CertificationId,
        access_type: ItemAccessType,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        let select = format!("SELECT {ITEM_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::ACCESS_SUMMARY_FIELDS,
            default_order: "access_name",
            tiebreak: "id",
        };
        let cert = certification.0.clone();
        let from = move |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(format_args!(
                " FROM (SELECT DISTINCT ON (access_id) {ITEM_COLUMNS}, \
                 bool_and(decision IS NOT NULL) OVER (PARTITION BY access_id) AS all_decided \
                 FROM review_items WHERE certification_id = "
            ));
            qb.push_bind(cert.clone());
            qb.push(" AND access_type = ");
            qb.push_bind(access_type.as_str());
            qb.push(" ORDER BY access_id, id) x WHERE TRUE");
        };
        self.list(&spec, &from, query, item_from_row).await
    }

    async fn item(
        &self,
        certification: &CertificationId,
        item: ReviewItemId,
    ) -> StoreResult<Option<ReviewItem>> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_COLUMNS} FROM review_items WHERE id = $1 AND certification_id = $2"
        ))
        .bind(item.0)
        .bind(certification.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(item_from_row).transpose()
    }

    async fn list_identity_summaries(
        &self,
        certification: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<IdentitySummary>> {
        let select = format!("SELECT {SUMMARY_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::SUMMARY_FIELDS,
            default_order: "",
            tiebreak: "id",
        };
        let cert = certification.0.clone();
        let from = move |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(" FROM identity_summaries WHERE certification_id = ");
            qb.push_bind(cert.clone());
        };
        self.list(&spec, &from, query, summary_from_row).await
    }

    async fn identity_summary(
        &self,
        certification: &CertificationId,
        id: IdentitySummaryId,
    ) -> StoreResult<Option<IdentitySummary>> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM identity_summaries \
             WHERE id = $1 AND certification_id = $2"
        ))
        .bind(id.0)
        .bind(certification.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(summary_from_row).transpose()
    }

    async fn decide(
        &self,
        certification: &CertificationId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        decide::decide(self, certification, None, decisions, actor, at).await
    }

    async fn decide_as_reviewer(
        &self,
        certification: &CertificationId,
        reviewer: &IdentityId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        decide::decide(self, certification, Some(reviewer), decisions, actor, at).await
    }

    async fn reassign(
        &self,
        certification: &CertificationId,
        targets: &[ReassignTarget],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let Some(unlocked) = read_certification(&mut tx, certification).await? else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        // The receiving certification exists before anything is locked, so that both can be
        // locked in id order (the lock order of this module).
        let (target_id, created) = if unlocked.reviewer == *to {
            (unlocked.id.clone(), false)
        } else {
            ensure_certification(&mut tx, &unlocked, to, at).await?
        };
        let locked =
            lock_certifications(&mut tx, &[unlocked.id.as_str(), target_id.as_str()]).await?;
        let (Some(source), Some(target)) = (
            locked.iter().find(|c| c.id == unlocked.id).cloned(),
            locked.iter().find(|c| c.id == target_id).cloned(),
        ) else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if source.phase != CertificationPhase::Active {
            return Ok(Err(CertificationRefusal::NotActive(source.phase)));
        }
        if target.phase == CertificationPhase::Signed {
            return Ok(Err(CertificationRefusal::NotActive(target.phase)));
        }
        // Resolve the targets to item ids of this certification.
        let mut item_ids: Vec<i64> = Vec::new();
        let mut summary_ids: Vec<i64> = Vec::new();
        let wanted_items: Vec<i64> = targets
            .iter()
            .filter_map(|t| match t {
                ReassignTarget::Item(id) => Some(id.0),
                ReassignTarget::Identity(_) => None,
            })
            .collect();
        let present: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM review_items WHERE id = ANY($1) AND certification_id = $2",
        )
        .bind(&wanted_items)
        .bind(source.id.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        for target in targets {
            match target {
                ReassignTarget::Item(id) => {
                    if !present.contains(&id.0) {
                        return Ok(Err(CertificationRefusal::UnknownItem(id.to_string())));
                    }
                    item_ids.push(id.0);
                }
                ReassignTarget::Identity(holder) => {
                    let numeric = holder.parse::<i64>().ok();
                    let found: Vec<i64> = sqlx::query_scalar(
                        "SELECT id FROM identity_summaries
                         WHERE certification_id = $1 AND (id = $2 OR identity_id = $3)",
                    )
                    .bind(source.id.as_str())
                    .bind(numeric)
                    .bind(holder)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    if found.is_empty() {
                        return Ok(Err(CertificationRefusal::UnknownIdentity(holder.clone())));
                    }
                    summary_ids.extend(found);
                }
            }
        }
        if !summary_ids.is_empty() {
            let more: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM review_items
                 WHERE certification_id = $1 AND identity_summary_id = ANY($2)",
            )
            .bind(source.id.as_str())
            .bind(&summary_ids)
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;
            item_ids.extend(more);
        }
        item_ids.sort_unstable();
        item_ids.dedup();
        if source.id == target.id {
            tx.commit().await.map_err(store_error)?;
            return Ok(Ok(source));
        }
        let moved = move_items(
            &mut tx,
            &Moved::Items(&item_ids),
            &[source.id.as_str()],
            &target,
            reason,
            at,
        )
        .await?;
        let received = record_reassignment(&mut tx, &target.id, &source, reason).await?;
        if created {
            sqlx::query(
                "UPDATE campaigns SET certifications_total = certifications_total + 1 \
                 WHERE id = $1",
            )
            .bind(source.campaign_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        insert_audit(
            &mut tx,
            &[AuditEvent {
                at,
                actor: actor.clone(),
                action: "certification.reassigned".to_owned(),
                campaign_id: Some(source.campaign_id.clone()),
                certification_id: Some(source.id.clone()),
                item_id: None,
                detail: json!({
                    "from": source.reviewer.as_str(),
                    "to": to.as_str(),
                    "toCertification": target.id.as_str(),
                    "reason": reason,
                    "items": moved,
                }),
            }],
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        Ok(Ok(received))
    }

    async fn reassign_certifications(
        &self,
        campaign: &CampaignId,
        certifications: &[CertificationId],
        to: &IdentityId,
        reason: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let Some(first) = certifications.first() else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        let Some(template) = read_certification(&mut tx, first).await? else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if template.campaign_id != *campaign {
            return Ok(Err(CertificationRefusal::NotFound));
        }
        // As in `reassign`: the receiving certification exists first, then every certification
        // written is locked in id order.
        let (target_id, created) = ensure_certification(&mut tx, &template, to, at).await?;
        let mut ids: Vec<&str> = certifications.iter().map(CertificationId::as_str).collect();
        ids.push(target_id.as_str());
        let locked = lock_certifications(&mut tx, &ids).await?;
        for id in certifications {
            let Some(cert) = locked.iter().find(|c| c.id == *id) else {
                return Ok(Err(CertificationRefusal::NotFound));
            };
            if cert.campaign_id != *campaign {
                return Ok(Err(CertificationRefusal::NotFound));
            }
            if cert.phase == CertificationPhase::Signed {
                return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
            }
        }
        let Some(target) = locked.iter().find(|c| c.id == target_id).cloned() else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if target.phase == CertificationPhase::Signed {
            return Ok(Err(CertificationRefusal::NotActive(target.phase)));
        }
        let sources: Vec<&str> = locked
            .iter()
            .filter(|c| c.id != target.id && certifications.contains(&c.id))
            .map(|c| c.id.as_str())
            .collect();
        let moved = move_items(
            &mut tx,
            &Moved::Certifications(&sources),
            &sources,
            &target,
            reason,
            at,
        )
        .await?;
        let mut received = target.clone();
        if let Some(from) = locked
            .iter()
            .find(|c| c.id != target.id && certifications.contains(&c.id))
        {
            received = record_reassignment(&mut tx, &target.id, from, reason).await?;
        }
        // The emptied certifications are merged away.
        let removed = sqlx::query("DELETE FROM certifications WHERE id = ANY($1)")
            .bind(&sources)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?
            .rows_affected();
        let change = i64::from(created) - i64::try_from(removed).unwrap_or(i64::MAX);
        if change != 0 {
            sqlx::query(
                "UPDATE campaigns SET certifications_total = certifications_total + $2 \
                 WHERE id = $1",
            )
            .bind(campaign.as_str())
            .bind(change)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        let events: Vec<AuditEvent> = locked
            .iter()
            .filter(|c| c.id != target.id && certifications.contains(&c.id))
            .map(|c| AuditEvent {
                at,
                actor: actor.clone(),
                action: "certification.reassigned".to_owned(),
                campaign_id: Some(campaign.clone()),
                certification_id: Some(c.id.clone()),
                item_id: None,
                detail: json!({
                    "from": c.reviewer.as_str(),
                    "to": to.as_str(),
                    "toCertification": target.id.as_str(),
                    "reason": reason,
                    "items": c.counts.items_total(),
                    "movedTotal": moved,
                }),
            })
            .collect();
        insert_audit(&mut tx, &events).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(Ok(received))
    }

    async fn sign_off(
        &self,
        certification: &CertificationId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<(Certification, SignOffOutcome), CertificationRefusal>> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        let Some(cert) = lock_certification(&mut tx, certification).await? else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if cert.phase != CertificationPhase::Active {
            return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
        }
        let undecided = cert.counts.items_total() - cert.counts.items_decided();
        if undecided > 0 {
            return Ok(Err(CertificationRefusal::Undecided(undecided)));
        }
        let row = sqlx::query(&format!(
            "UPDATE certifications SET phase = 'SIGNED', signed = $2, modified = $2 \
             WHERE id = $1 RETURNING {CERTIFICATION_COLUMNS}"
        ))
        .bind(cert.id.as_str())
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        let signed = certification_from_row(&row)?;
        let orders_created = order_revocations(&mut tx, &[cert.id.as_str()], at).await?;
        let all_signed: bool = sqlx::query_scalar(
            "UPDATE campaigns SET certifications_completed = certifications_completed + 1
             WHERE id = $1
             RETURNING certifications_completed >= certifications_total",
        )
        .bind(cert.campaign_id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?
        .unwrap_or(false);
        insert_audit(
            &mut tx,
            &[AuditEvent {
                at,
                actor: actor.clone(),
                action: "certification.signed".to_owned(),
                campaign_id: Some(cert.campaign_id.clone()),
                certification_id: Some(cert.id.clone()),
                item_id: None,
                detail: json!({
                    "ordersCreated": orders_created,
                    "approved": signed.counts.entitlements.approved
                        + signed.counts.access_profiles.approved
                        + signed.counts.roles.approved
                        + signed.counts.accounts.approved,
                    "revoked": signed.counts.entitlements.revoked
                        + signed.counts.access_profiles.revoked
                        + signed.counts.roles.revoked
                        + signed.counts.accounts.revoked,
                }),
            }],
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        Ok(Ok((
            signed,
            SignOffOutcome {
                orders_created,
                campaign_all_signed: all_signed,
            },
        )))
    }

    async fn complete_campaign(
        &self,
        campaign: &CampaignId,
        action: Decision,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        // A cheap look first, then the certification locks (lock order: certifications before
        // their campaign), then the compare-and-set that settles concurrent completions.
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
                .bind(campaign.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
        if status.as_deref() != Some(CampaignStatus::Completing.as_str()) {
            return Ok(false);
        }
        let certs: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM certifications WHERE campaign_id = $1 ORDER BY id FOR UPDATE",
        )
        .bind(campaign.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let moved = sqlx::query(
            "UPDATE campaigns SET status = 'COMPLETED', completed = $2, modified = $2,
                 items_decided = items_total, certifications_completed = certifications_total
             WHERE id = $1 AND status = 'COMPLETING'",
        )
        .bind(campaign.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        if moved == 0 {
            return Ok(false);
        }
        let mut sets = Vec::new();
        let mut aggregates = Vec::new();
        for t in ItemAccessType::ALL {
            let p = counter_prefix(*t);
            let ty = t.as_str();
            aggregates.push(format!(
                "count(*) FILTER (WHERE access_type = '{ty}') AS {p}"
            ));
            sets.push(format!("{p}_decided = c.{p}_decided + u.{p}"));
            let (grown, _) = match action {
                Decision::Approve => ("approved", "revoked"),
                Decision::Revoke => ("revoked", "approved"),
            };
            sets.push(format!("{p}_{grown} = c.{p}_{grown} + u.{p}"));
        }
        let sql = format!(
            "WITH decided AS (
                 UPDATE review_items SET decision = $2, decided_at = $3
                 WHERE certification_id = ANY($1) AND decision IS NULL
                 RETURNING certification_id, access_type),
             u AS (SELECT certification_id, {aggregates} FROM decided GROUP BY certification_id)
             UPDATE certifications c SET {sets}
             FROM u WHERE c.id = u.certification_id",
            aggregates = aggregates.join(", "),
            sets = sets.join(", "),
        );
        sqlx::query(&sql)
            .bind(&certs)
            .bind(action.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        sqlx::query(
            "UPDATE identity_summaries SET items_decided = items_total
             WHERE certification_id = ANY($1) AND items_decided < items_total",
        )
        .bind(&certs)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let unsigned_certs: Vec<String> = sqlx::query_scalar(
            "UPDATE certifications SET phase = 'SIGNED', signed = $2, modified = $2,
                 identities_completed = identities_total
             WHERE id = ANY($1) AND phase <> 'SIGNED'
             RETURNING id",
        )
        .bind(&certs)
        .bind(at)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let unsigned_refs: Vec<&str> = unsigned_certs.iter().map(String::as_str).collect();
        order_revocations(&mut tx, &unsigned_refs, at).await?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn insert_task(&self, task: &Task, audit: Option<&AuditEvent>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(store_error)?;
        insert_task_row(&mut tx, task).await?;
        if let Some(audit) = audit {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn task(&self, id: &TaskId) -> StoreResult<Option<Task>> {
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)?;
        row.as_ref().map(task_from_row).transpose()
    }

    async fn tasks_of(&self, target_id: &str, pending_only: bool) -> StoreResult<Vec<Task>> {
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks
             WHERE target_id = $1 AND (NOT $2 OR status IN ('QUEUED', 'IN_PROGRESS'))
             ORDER BY created DESC, id DESC"
        ))
        .bind(target_id)
        .bind(pending_only)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(task_from_row).collect()
    }

    async fn list_tasks(&self, query: &ListQuery) -> StoreResult<Page<Task>> {
        let select = format!("SELECT {TASK_COLUMNS}");
        let spec = ListSpec {
            select: &select,
            map: list::TASK_FIELDS,
            default_order: "created",
            tiebreak: "id",
        };
        let from = |qb: &mut QueryBuilder<'static, Postgres>| {
            qb.push(" FROM tasks WHERE TRUE");
        };
        self.list(&spec, &from, query, task_from_row).await
    }

    async fn claim_task(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Task>> {
        // SKIP LOCKED: concurrent claimers on any node pass over a row another is claiming
        // and take the next one, so a task is never handed out twice.
        let row = sqlx::query(&format!(
            "UPDATE tasks SET status = 'IN_PROGRESS', lease_until = $3, leased_by = $1,
                 attempts = attempts + 1
             WHERE id = (
                 SELECT id FROM tasks
                 WHERE status IN ('QUEUED', 'IN_PROGRESS')
                   AND ((status = 'QUEUED' AND run_after <= $2)
                        OR (status = 'IN_PROGRESS' AND lease_until <= $2))
                 ORDER BY created, id
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING {TASK_COLUMNS}"
        ))
        .bind(worker)
        .bind(now)
        .bind(lease_until)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        row.as_ref().map(task_from_row).transpose()
    }

    async fn finish_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        errors: &[String],
        trail: &[ReassignmentTrail],
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE tasks SET status = $2, errors = $3, trail = $4,
                 run_after = coalesce($5, run_after), lease_until = NULL, leased_by = NULL
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(status.as_str())
        .bind(Json(errors))
        .bind(Json(trail))
        .bind(retry_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<ProvisioningOrder>> {
        let condition =
            "($1::text IS NULL OR campaign_id = $1) AND ($2::text IS NULL OR status = $2)";
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM provisioning_orders WHERE {condition}
             ORDER BY created DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(query.campaign_id.as_ref().map(CampaignId::as_str))
        .bind(query.status.map(OrderStatus::as_str))
        .bind(i64::from(query.limit))
        .bind(i64::try_from(query.offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM provisioning_orders WHERE {condition}"
        ))
        .bind(query.campaign_id.as_ref().map(CampaignId::as_str))
        .bind(query.status.map(OrderStatus::as_str))
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(Page {
            items: rows
                .iter()
                .map(order_from_row)
                .collect::<StoreResult<Vec<_>>>()?,
            total: Some(unsigned(total)?),
        })
    }

    async fn audit_events(
        &self,
        campaign: &CampaignId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<AuditEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE campaign_id = $1
             ORDER BY seq LIMIT $2 OFFSET $3"
        ))
        .bind(campaign.as_str())
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        insert_audit(&mut conn, events).await
    }
}
