//! Generation and activation: reading candidates from the warehouse, writing generated items
//! in batches, and the set-based writes that finish generation and activation.
//!
//! Candidates are keyset-paged by a cursor that is unique and increasing within one scope:
//! - an assignment's cursor is its `assignments.id` (an INTEGER primary key, always below
//!   [`ACCOUNT_CURSOR_BASE`]);
//! - an account reviewed as an ACCOUNT item (uncorrelated and machine scopes) has cursor
//!   [`ACCOUNT_CURSOR_BASE`] + its `accounts` rowid, so accounts follow every assignment;
//! - a role member has cursor `roles.rowid * 2^21 + position` for its access profiles and
//!   `roles.rowid * 2^21 + 2^20 + position` for its entitlements (positions are the bundle
//!   order of the role's lists).
//!
//! Each page reads in primary-key order with the scope's conditions applied per row, so a
//! whole generation reads each table once however the pages fall. Rowids are stable while
//! nothing runs `VACUUM`, which Attest never does.
//!
//! Mappings that both backends share: the holder of an assignment is its identity (the
//! assignment's, else its account's); its display name is the identity's display name, else
//! its name; an account's display name is its name, else its native identity. An uncorrelated
//! account reviewed as an item has origin DISCOVERED (nothing granted it); a machine account
//! has origin MANUAL. SOURCE_OWNER campaigns match an assignment by its item's source (the
//! entitlement's, else the access profile's, else the account's); uncorrelated ones leave
//! machine accounts out (they have campaigns of their own).

use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::rows::{encode_json, rows_per_statement, CERTIFICATION_COLUMNS, ITEM_COLUMNS};
use super::{append_alerts, insert_audit, opt_time};
use crate::codec::{
    decode_attributes, decode_columns, decode_enum, decode_opt_time, encode_time, get,
};
use crate::error::db_err;
use crate::SqliteStore;

/// Cursors of ACCOUNT candidates start here (above any assignment id).
pub(crate) const ACCOUNT_CURSOR_BASE: i64 = 1 << 40;

/// Role member cursors: `role rowid << ROLE_SHIFT`, plus `ENTITLEMENT_OFFSET` for entitlements.
const ROLE_SHIFT: i64 = 21;
const ENTITLEMENT_OFFSET: i64 = 1 << 20;

/// Reserves `n` ids and returns the first, inside the caller's write transaction.
pub(crate) async fn allocate_ids(conn: &mut SqliteConnection, n: i64) -> StoreResult<i64> {
    let n = n.max(0);
    sqlx::query_scalar(
        "UPDATE id_allocator SET next_id = next_id + ?1 WHERE singleton = 1 \
         RETURNING next_id - ?1",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)
}

/// Deletes a campaign's certifications, identity summaries and review items.
pub(crate) async fn delete_generated(
    conn: &mut SqliteConnection,
    campaign: &str,
) -> StoreResult<()> {
    for sql in [
        "DELETE FROM review_items WHERE certification_id IN \
         (SELECT id FROM certifications WHERE campaign_id = ?1)",
        "DELETE FROM identity_summaries WHERE certification_id IN \
         (SELECT id FROM certifications WHERE campaign_id = ?1)",
        "DELETE FROM certifications WHERE campaign_id = ?1",
    ] {
        sqlx::query(sql)
            .bind(campaign)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// The select list every candidate query returns, in the names [`as_json_rows`] reads.
fn assignment_select(holder_is_account: bool, reviewer: &str) -> String {
    let (identity, holder_name, active, manager) = if holder_is_account {
        (
            "NULL",
            "COALESCE(acc.name, acc.native_identity)",
            "NULL",
            "NULL",
        )
    } else {
        (
            "i.id",
            "COALESCE(i.display_name, i.name)",
            "i.active",
            "i.manager_id",
        )
    };
    format!(
        "SELECT a.id AS cursor, {identity} AS identity_id, a.account_id AS account_id, \
         NULL AS role_id, {holder_name} AS holder_name, {active} AS holder_active, \
         {manager} AS holder_manager, {reviewer} AS natural_reviewer, \
         a.access_type AS access_type, a.access_id AS access_id, \
         COALESCE(e.name, ap.name, r.name, a.access_id) AS access_name, \
         s.id AS source_id, s.name AS source_name, a.origin AS origin, \
         a.granted_at AS granted_at, acc.last_used AS account_last_used \
         FROM assignments a \
         LEFT JOIN accounts acc ON acc.id = a.account_id \
         LEFT JOIN identities i ON i.id = COALESCE(a.identity_id, acc.identity_id) \
         LEFT JOIN entitlements e ON a.access_type = 'ENTITLEMENT' AND e.id = a.access_id \
         LEFT JOIN access_profiles ap \
             ON a.access_type = 'ACCESS_PROFILE' AND ap.id = a.access_id \
         LEFT JOIN roles r ON a.access_type = 'ROLE' AND r.id = a.access_id \
         LEFT JOIN sources s ON s.id = COALESCE(e.source_id, ap.source_id, acc.source_id) \
         WHERE a.id > "
    )
}

fn account_select(reviewer: &str, origin: Origin) -> String {
    format!(
        "SELECT acc.rowid + {ACCOUNT_CURSOR_BASE} AS cursor, NULL AS identity_id, \
         acc.id AS account_id, NULL AS role_id, \
         COALESCE(acc.name, acc.native_identity) AS holder_name, NULL AS holder_active, \
         NULL AS holder_manager, {reviewer} AS natural_reviewer, \
         'ACCOUNT' AS access_type, acc.id AS access_id, \
         COALESCE(acc.name, acc.native_identity) AS access_name, \
         s.id AS source_id, s.name AS source_name, '{}' AS origin, NULL AS granted_at, \
         acc.last_used AS account_last_used \
         FROM accounts acc JOIN sources s ON s.id = acc.source_id \
         WHERE acc.rowid > ",
        origin.as_str()
    )
}

/// Wraps a candidate query (whose select list is [`assignment_select`]'s names) so that each
/// candidate comes back as one JSON array of its sixteen columns, in that order. A row crosses
/// from the connection's thread to ours value by value, each value copied; one value a row
/// instead of sixteen makes reading a million candidates several seconds cheaper than the
/// query itself costs.
fn as_json_rows(query: &str) -> String {
    format!("{JSON_ROWS_HEAD}{query})")
}

/// What [`as_json_rows`] puts before the query (and a closing parenthesis after it).
const JSON_ROWS_HEAD: &str = "SELECT json_array(cursor, identity_id, account_id, role_id, \
    holder_name, holder_active, holder_manager, natural_reviewer, access_type, access_id, \
    access_name, source_id, source_name, origin, granted_at, account_last_used) FROM (";

/// The columns of a candidate as [`as_json_rows`] sends them.
type CandidateColumns = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

/// Decodes the candidates of one page, in cursor order.
fn candidates_from_json(rows: &[String]) -> StoreResult<Vec<Candidate>> {
    let mut out = rows
        .iter()
        .map(|text| candidate_from_json(text))
        .collect::<StoreResult<Vec<Candidate>>>()?;
    // The outer query reads the ordered inner one in order; sorting an ordered page is one
    // pass, and makes the order certain.
    out.sort_by_key(|c| c.cursor);
    Ok(out)
}

fn candidate_from_json(text: &str) -> StoreResult<Candidate> {
    let (
        cursor,
        identity_id,
        account_id,
        role_id,
        holder_name,
        holder_active,
        holder_manager,
        natural_reviewer,
        access_type,
        access_id,
        access_name,
        source_id,
        source_name,
        origin,
        granted_at,
        account_last_used,
    ): CandidateColumns = decode_columns("candidate row", text)?;
    Ok(Candidate {
        cursor,
        identity_id: identity_id.map(IdentityId),
        account_id: account_id.map(AccountId),
        role_id: role_id.map(RoleId),
        holder_name,
        holder_active: holder_active.map(|active| active != 0),
        holder_manager: holder_manager.map(IdentityId),
        natural_reviewer: natural_reviewer.map(IdentityId),
        access_type: decode_enum("access type", &access_type)?,
        access_id,
        access_name,
        source_id: source_id.map(SourceId),
        source_name,
        origin: decode_enum("origin", &origin)?,
        granted_at: decode_opt_time(granted_at)?,
        account_last_used: decode_opt_time(account_last_used)?,
    })
}

/// Assignment candidates after `after`: `select` ends with `WHERE a.id > `, `scope` is the
/// rest of the condition (with its binds).
async fn fetch(
    store: &SqliteStore,
    select: String,
    after: i64,
    scope: impl FnOnce(&mut QueryBuilder<'static, Sqlite>),
    order: &str,
    limit: u32,
) -> StoreResult<Vec<Candidate>> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("{JSON_ROWS_HEAD}{select}"));
    q.push_bind(after);
    scope(&mut q);
    q.push(format!(" ORDER BY {order} LIMIT "));
    q.push_bind(i64::from(limit));
    q.push(")");
    let rows: Vec<String> = q
        .build_query_scalar()
        .fetch_all(&store.reader)
        .await
        .map_err(db_err)?;
    candidates_from_json(&rows)
}

/// Assignments first, then accounts (see the module doc for the cursor ranges).
async fn assignments_then_accounts(
    store: &SqliteStore,
    after: Option<i64>,
    limit: u32,
    list: &str,
    assignments: (String, String),
    accounts: (String, String),
) -> StoreResult<Vec<Candidate>> {
    let after = after.unwrap_or(i64::MIN);
    let mut out = Vec::new();
    if after < ACCOUNT_CURSOR_BASE {
        let (select, cond) = assignments;
        out = fetch(
            store,
            select,
            after,
            |q| push_cond(q, &cond, Some(list)),
            "a.id",
            limit,
        )
        .await?;
    }
    let missing = u32::try_from(out.len()).map_or(0, |n| limit.saturating_sub(n));
    if missing > 0 {
        let (select, cond) = accounts;
        let from = after.saturating_sub(ACCOUNT_CURSOR_BASE).max(0);
        out.extend(
            fetch(
                store,
                select,
                from,
                |q| push_cond(q, &cond, Some(list)),
                "acc.rowid",
                missing,
            )
            .await?,
        );
    }
    Ok(out)
}

/// SQL text for `column IN (the bound JSON list)`; [`push_cond`] binds the list at `$LIST`.
fn in_list(column: &str) -> String {
    format!("{column} IN (SELECT value FROM json_each($LIST))")
}

/// Appends `cond`, binding `list` wherever it says `$LIST`.
fn push_cond(q: &mut QueryBuilder<'static, Sqlite>, cond: &str, list: Option<&str>) {
    let mut parts = cond.split("$LIST");
    if let Some(first) = parts.next() {
        q.push(first.to_owned());
    }
    for part in parts {
        q.push_bind(list.unwrap_or("[]").to_owned());
        q.push(part.to_owned());
    }
}

pub(crate) async fn candidates(
    store: &SqliteStore,
    scope: &CandidateScope,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Candidate>> {
    match scope {
        CandidateScope::Manager => {
            fetch(
                store,
                assignment_select(false, "i.manager_id"),
                after.unwrap_or(i64::MIN),
                |q| {
                    q.push(" AND i.manager_id IS NOT NULL");
                },
                "a.id",
                limit,
            )
            .await
        }
        CandidateScope::Identities(ids) => {
            let list = encode_json!("id list", ids)?;
            fetch(
                store,
                assignment_select(false, "NULL"),
                after.unwrap_or(i64::MIN),
                |q| push_cond(q, &format!(" AND {}", in_list("i.id")), Some(&list)),
                "a.id",
                limit,
            )
            .await
        }
        CandidateScope::SourceOwner {
            source_ids,
            correlated: CorrelatedStatus::Correlated,
        } => {
            let list = encode_json!("id list", source_ids)?;
            let cond = format!(" AND i.id IS NOT NULL AND {}", in_list("s.id"));
            fetch(
                store,
                assignment_select(false, "s.owner_id"),
                after.unwrap_or(i64::MIN),
                |q| push_cond(q, &cond, Some(&list)),
                "a.id",
                limit,
            )
            .await
        }
        CandidateScope::SourceOwner {
            source_ids,
            correlated: CorrelatedStatus::Uncorrelated,
        } => {
            let sources = encode_json!("id list", source_ids)?;
            assignments_then_accounts(
                store,
                after,
                limit,
                &sources,
                (
                    assignment_select(true, "s.owner_id"),
                    format!(
                        " AND a.identity_id IS NULL AND acc.id IS NOT NULL \
                         AND acc.identity_id IS NULL AND acc.machine = 0 AND {}",
                        in_list("s.id")
                    ),
                ),
                (
                    account_select("s.owner_id", Origin::Discovered),
                    format!(
                        " AND acc.identity_id IS NULL AND acc.machine = 0 AND {}",
                        in_list("acc.source_id")
                    ),
                ),
            )
            .await
        }
        CandidateScope::MachineAccounts(source_ids) => {
            let sources = encode_json!("id list", source_ids)?;
            assignments_then_accounts(
                store,
                after,
                limit,
                &sources,
                (
                    assignment_select(true, "acc.owner_id"),
                    format!(" AND acc.machine = 1 AND {}", in_list("acc.source_id")),
                ),
                (
                    account_select("acc.owner_id", Origin::Manual),
                    format!(" AND acc.machine = 1 AND {}", in_list("acc.source_id")),
                ),
            )
            .await
        }
        CandidateScope::RoleMembers(roles) => {
            role_members(store, roles.as_deref(), after, limit).await
        }
    }
}

async fn role_members(
    store: &SqliteStore,
    roles: Option<&[RoleId]>,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Candidate>> {
    let after = after.unwrap_or(-1);
    let floor = if after < 0 { 0 } else { after >> ROLE_SHIFT };
    let list = roles.map(|r| encode_json!("role ids", r)).transpose()?;
    // ?3 is the role list as JSON, or NULL for every role.
    let role_filter = " AND (?3 IS NULL OR r.id IN (SELECT value FROM json_each(?3)))";
    let member = |kind: &str, table: &str, link: &str, column: &str, offset: i64| {
        format!(
            "SELECT (r.rowid << {ROLE_SHIFT}) + {offset} + m.position AS cursor, \
             NULL AS identity_id, NULL AS account_id, r.id AS role_id, r.name AS holder_name, \
             NULL AS holder_active, NULL AS holder_manager, r.owner_id AS natural_reviewer, \
             '{kind}' AS access_type, x.id AS access_id, x.name AS access_name, \
             s.id AS source_id, s.name AS source_name, 'ROLE_MODEL' AS origin, \
             NULL AS granted_at, NULL AS account_last_used \
             FROM roles r JOIN {link} m ON m.role_id = r.id \
             JOIN {table} x ON x.id = m.{column} \
             LEFT JOIN sources s ON s.id = x.source_id \
             WHERE r.rowid >= ?4{role_filter}"
        )
    };
    let sql = format!(
        "SELECT * FROM ({} UNION ALL {}) WHERE cursor > ?1 ORDER BY cursor LIMIT ?2",
        member(
            "ACCESS_PROFILE",
            "access_profiles",
            "role_access_profiles",
            "access_profile_id",
            0
        ),
        member(
            "ENTITLEMENT",
            "entitlements",
            "role_entitlements",
            "entitlement_id",
            ENTITLEMENT_OFFSET
        ),
    );
    let rows: Vec<String> = sqlx::query_scalar(&as_json_rows(&sql))
        .bind(after)
        .bind(i64::from(limit))
        .bind(list)
        .bind(floor)
        .fetch_all(&store.reader)
        .await
        .map_err(db_err)?;
    candidates_from_json(&rows)
}

pub(crate) async fn identities_page(
    store: &SqliteStore,
    after: Option<&IdentityId>,
    limit: u32,
) -> StoreResult<Vec<(IdentityId, serde_json::Value)>> {
    let rows = sqlx::query(
        "SELECT id, name, display_name, email, department, title, location, lifecycle_state, \
         active, manager_id, attributes FROM identities WHERE ?1 IS NULL OR id > ?1 \
         ORDER BY id LIMIT ?2",
    )
    .bind(after.map(IdentityId::as_str))
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let id: String = get(row, "id")?;
            let mut object = serde_json::Map::new();
            for (k, v) in decode_attributes(&get::<String>(row, "attributes")?)? {
                object.insert(k, serde_json::Value::String(v));
            }
            for (key, column) in [
                ("name", "name"),
                ("displayName", "display_name"),
                ("email", "email"),
                ("department", "department"),
                ("title", "title"),
                ("location", "location"),
                ("lifecycleState", "lifecycle_state"),
                ("managerId", "manager_id"),
            ] {
                let value: Option<String> = get(row, column)?;
                object.insert(
                    key.to_owned(),
                    value.map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
            object.insert(
                "active".to_owned(),
                serde_json::Value::Bool(get(row, "active")?),
            );
            object.insert("id".to_owned(), serde_json::Value::String(id.clone()));
            Ok((IdentityId(id), serde_json::Value::Object(object)))
        })
        .collect()
}

/// `recommendation_reasons` as stored: `[]` needs no encoder.
fn reasons_json(reasons: &[String]) -> StoreResult<String> {
    if reasons.is_empty() {
        Ok("[]".to_owned())
    } else {
        encode_json!("recommendation reasons", reasons)
    }
}

/// Columns of a freshly generated item: [`ITEM_COLUMNS`] without the decision and
/// reassignment columns, which generation leaves empty (binding 7 NULLs per row for a million
/// rows is measurable).
const GENERATED_ITEM_COLUMNS: &str = "id, certification_id, campaign_id, identity_summary_id, \
    identity_id, account_id, role_id, holder_name, access_type, access_id, access_name, \
    source_id, source_name, origin, granted_at, recommendation, recommendation_reasons";

/// How many columns [`GENERATED_ITEM_COLUMNS`] names.
const GENERATED_ITEM_COLUMN_COUNT: usize = 17;

/// Whether an item carries nothing beyond what generation writes.
fn is_fresh(i: &ReviewItem) -> bool {
    i.decision.is_none()
        && i.comments.is_none()
        && i.proposed_end_date.is_none()
        && i.decided_by.is_none()
        && i.decided_at.is_none()
        && i.reassigned_from.is_none()
        && i.reassignment_reason.is_none()
}

pub(crate) async fn insert_items(store: &SqliteStore, items: &[ReviewItem]) -> StoreResult<()> {
    let fresh = items.iter().all(is_fresh);
    let (columns, count) = if fresh {
        (GENERATED_ITEM_COLUMNS, GENERATED_ITEM_COLUMN_COUNT)
    } else {
        (ITEM_COLUMNS, super::rows::ITEM_COLUMN_COUNT)
    };
    // OR FAIL: a refused row fails the statement without undoing the statement's earlier rows,
    // so SQLite keeps no statement journal (a copy of every page the statement touches, in a
    // temporary file); the caller's transaction is rolled back on any failure anyway.
    let head = format!("INSERT OR FAIL INTO review_items ({columns}) ");
    let reasons = items
        .iter()
        .map(|i| reasons_json(&i.recommendation_reasons))
        .collect::<StoreResult<Vec<String>>>()?;
    let mut tx = store.write().await?;
    let per_statement = rows_per_statement(count);
    // Text is bound by reference (no copy per value on our side; SQLite copies it once).
    for (chunk, reasons) in items
        .chunks(per_statement)
        .zip(reasons.chunks(per_statement))
    {
        let mut q = QueryBuilder::<Sqlite>::new(&head);
        q.push_values(chunk.iter().zip(reasons), |mut b, (i, reasons)| {
            b.push_bind(i.id.0)
                .push_bind(i.certification_id.as_str())
                .push_bind(i.campaign_id.as_str())
                .push_bind(i.identity_summary_id.0)
                .push_bind(i.identity_id.as_ref().map(|x| x.as_str()))
                .push_bind(i.account_id.as_ref().map(|x| x.as_str()))
                .push_bind(i.role_id.as_ref().map(|x| x.as_str()))
                .push_bind(i.holder_name.as_str())
                .push_bind(i.access_type.as_str())
                .push_bind(i.access_id.as_str())
                .push_bind(i.access_name.as_str())
                .push_bind(i.source_id.as_ref().map(|x| x.as_str()))
                .push_bind(i.source_name.as_deref())
                .push_bind(i.origin.as_str())
                .push_bind(opt_time(i.granted_at))
                .push_bind(i.recommendation.map(|d| d.as_str()))
                .push_bind(reasons.as_str());
            if !fresh {
                b.push_bind(i.decision.map(|d| d.as_str()))
                    .push_bind(i.comments.as_deref())
                    .push_bind(opt_time(i.proposed_end_date))
                    .push_bind(i.decided_by.as_ref().map(|x| x.as_str()))
                    .push_bind(opt_time(i.decided_at))
                    .push_bind(i.reassigned_from.as_ref().map(|x| x.as_str()))
                    .push_bind(i.reassignment_reason.as_deref());
            }
        });
        q.build().execute(&mut *tx).await.map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

/// Inserts certifications with multi-row statements.
pub(crate) async fn insert_certifications(
    conn: &mut SqliteConnection,
    certs: &[Certification],
) -> StoreResult<()> {
    let head = format!("INSERT INTO certifications ({CERTIFICATION_COLUMNS}) ");
    for chunk in certs.chunks(rows_per_statement(super::rows::CERTIFICATION_COLUMN_COUNT)) {
        let mut q = QueryBuilder::<Sqlite>::new(&head);
        q.push_values(chunk, |mut b, c| {
            let r = c.reassignment.as_ref();
            b.push_bind(c.id.0.clone())
                .push_bind(c.campaign_id.0.clone())
                .push_bind(c.campaign_name.clone())
                .push_bind(c.campaign_type.as_str())
                .push_bind(c.name.clone())
                .push_bind(c.reviewer.0.clone())
                .push_bind(c.reviewer_name.clone())
                .push_bind(c.reviewer_email.clone())
                .push_bind(c.reviewer_group.as_ref().map(|g| g.0.clone()))
                .push_bind(c.phase.as_str())
                .push_bind(opt_time(c.due))
                .push_bind(opt_time(c.signed))
                .push_bind(encode_time(&c.created))
                .push_bind(encode_time(&c.modified))
                .push_bind(r.map(|r| r.from_certification.0.clone()))
                .push_bind(r.map(|r| r.from_reviewer.0.clone()))
                .push_bind(r.map(|r| r.comment.clone()));
            for t in [
                &c.counts.entitlements,
                &c.counts.access_profiles,
                &c.counts.roles,
                &c.counts.accounts,
            ] {
                b.push_bind(t.total)
                    .push_bind(t.decided)
                    .push_bind(t.approved)
                    .push_bind(t.revoked);
            }
            b.push_bind(c.counts.identities_total)
                .push_bind(c.counts.identities_completed);
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn finish_generation(
    store: &SqliteStore,
    campaign: &CampaignId,
    result: &GenerationResult,
    at: DateTime<Utc>,
    audit: &AuditEvent,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let c = &result.counts;
    let staged = sqlx::query(
        "UPDATE campaigns SET status = 'STAGED', modified = ?1, source_ids = ?2, \
         certifications_total = ?3, certifications_completed = ?4, items_total = ?5, \
         items_decided = ?6, identities_total = ?7 WHERE id = ?8 AND status = 'PENDING'",
    )
    .bind(encode_time(&at))
    .bind(encode_json!("campaign sources", &result.source_ids)?)
    .bind(c.certifications_total)
    .bind(c.certifications_completed)
    .bind(c.items_total)
    .bind(c.items_decided)
    .bind(c.identities_total)
    .bind(campaign.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if staged == 0 {
        return Ok(false);
    }
    insert_certifications(&mut tx, &result.certifications).await?;
    insert_summaries(&mut tx, campaign.as_str(), &result.identity_summaries).await?;
    append_alerts(&mut tx, campaign.as_str(), &result.alerts).await?;
    insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
    tx.commit().await.map_err(db_err)?;
    release_writer_cache(store).await;
    Ok(true)
}

/// Hands the writer's page cache back: a large generation fills it with review-item pages
/// that nothing needs next, and the memory would otherwise stay with the process. Failing to
/// shrink changes nothing that was written, so it is only logged.
async fn release_writer_cache(store: &SqliteStore) {
    let shrunk = match store.writer.acquire().await {
        Ok(mut conn) => sqlx::query("PRAGMA shrink_memory")
            .execute(&mut *conn)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = shrunk {
        tracing::warn!(error = %e, "could not release the SQLite writer's page cache");
    }
}

/// Inserts identity summaries with multi-row statements.
pub(crate) async fn insert_summaries(
    conn: &mut SqliteConnection,
    campaign: &str,
    summaries: &[IdentitySummary],
) -> StoreResult<()> {
    for chunk in summaries.chunks(rows_per_statement(9)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO identity_summaries (id, certification_id, campaign_id, identity_id, \
             account_id, role_id, name, items_total, items_decided) ",
        );
        q.push_values(chunk, |mut b, s| {
            b.push_bind(s.id.0)
                .push_bind(s.certification_id.0.clone())
                .push_bind(campaign.to_owned())
                .push_bind(s.identity_id.as_ref().map(|x| x.0.clone()))
                .push_bind(s.account_id.as_ref().map(|x| x.0.clone()))
                .push_bind(s.role_id.as_ref().map(|x| x.0.clone()))
                .push_bind(s.name.clone())
                .push_bind(s.items_total)
                .push_bind(s.items_decided);
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn finish_activation(
    store: &SqliteStore,
    campaign: &CampaignId,
    at: DateTime<Utc>,
    audit: &AuditEvent,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let at_text = encode_time(&at);
    let activated = sqlx::query(
        "UPDATE campaigns SET status = 'ACTIVE', activated = ?1, modified = ?1 \
         WHERE id = ?2 AND status = 'ACTIVATING'",
    )
    .bind(&at_text)
    .bind(campaign.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if activated == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE certifications SET phase = 'ACTIVE', modified = ?1, \
         due = (SELECT deadline FROM campaigns WHERE id = ?2) \
         WHERE campaign_id = ?2 AND phase = 'STAGED'",
    )
    .bind(&at_text)
    .bind(campaign.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}
