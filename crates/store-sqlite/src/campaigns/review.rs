//! Reviewers' writes: decisions, reassignment, sign-off, and the completion of a campaign.
//!
//! Policy: each call is one write transaction that reads the current state of the rows it
//! touches, refuses (writing nothing) when the certification or an item does not allow the
//! change, and otherwise writes the rows, every counter they affect and the audit events
//! together. Counters change by deltas computed from the rows' previous state, never by
//! recounting items. Completion is set-based over the whole campaign.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::generation::allocate_ids;
use super::rows::{
    self, certification_from_row, counter_prefix, encode_json, CERTIFICATION_COLUMNS,
};
use super::{insert_audit, load_certification, opt_time};
use crate::codec::{decode_enum, encode_time, get};
use crate::error::db_err;
use crate::SqliteStore;
use tokio::sync::oneshot;

/// Why an automatically revoked item's order was made (it has no reviewer comment).
const AUTO_REVOKE_REASON: &str = "Revoked automatically when the campaign was completed";

/// Type counter changes: decided, approved, revoked (and total, for moves).
#[derive(Debug, Default, Clone, Copy)]
struct Delta {
    total: i64,
    decided: i64,
    approved: i64,
    revoked: i64,
}

impl Delta {
    fn add_decision(&mut self, decision: Option<Decision>, sign: i64) {
        match decision {
            Some(Decision::Approve) => {
                self.decided += sign;
                self.approved += sign;
            }
            Some(Decision::Revoke) => {
                self.decided += sign;
                self.revoked += sign;
            }
            None => {}
        }
    }
}

/// Adds per-type deltas (and identity counter deltas) to a certification's counters.
async fn apply_counters(
    conn: &mut SqliteConnection,
    certification: &str,
    deltas: &BTreeMap<ItemAccessType, Delta>,
    identities_total: i64,
    identities_completed: i64,
    at: &str,
) -> StoreResult<()> {
    let mut q = QueryBuilder::<Sqlite>::new("UPDATE certifications SET modified = ");
    q.push_bind(at.to_owned());
    for (t, d) in deltas {
        let p = counter_prefix(*t);
        for (suffix, n) in [
            ("total", d.total),
            ("decided", d.decided),
            ("approved", d.approved),
            ("revoked", d.revoked),
        ] {
            if n != 0 {
                q.push(format!(", {p}_{suffix} = {p}_{suffix} + "));
                q.push_bind(n);
            }
        }
    }
    if identities_total != 0 {
        q.push(", identities_total = identities_total + ");
        q.push_bind(identities_total);
    }
    if identities_completed != 0 {
        q.push(", identities_completed = identities_completed + ");
        q.push_bind(identities_completed);
    }
    q.push(" WHERE id = ");
    q.push_bind(certification.to_owned());
    q.build().execute(&mut *conn).await.map_err(db_err)?;
    Ok(())
}

/// The current state of review items: (summary id, access type, decision) by item id.
async fn item_states(
    conn: &mut SqliteConnection,
    certification: &str,
    ids: &[i64],
) -> StoreResult<HashMap<i64, (i64, ItemAccessType, Option<Decision>)>> {
    let rows = sqlx::query(
        "SELECT id, identity_summary_id, access_type, decision FROM review_items \
         WHERE id IN (SELECT value FROM json_each(?1)) AND certification_id = ?2",
    )
    .bind(encode_json!("item ids", ids)?)
    .bind(certification)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in &rows {
        let decision: Option<String> = get(row, "decision")?;
        out.insert(
            get(row, "id")?,
            (
                get(row, "identity_summary_id")?,
                decode_enum("access type", &get::<String>(row, "access_type")?)?,
                decision
                    .as_deref()
                    .map(|d| decode_enum("decision", d))
                    .transpose()?,
            ),
        );
    }
    Ok(out)
}

fn complete(total: i64, decided: i64) -> i64 {
    i64::from(total > 0 && decided >= total)
}

/// One decide call waiting for the writer.
struct DecideJob {
    certification: CertificationId,
    /// The reviewer the certification must still have (`decide_as_reviewer`).
    reviewer: Option<IdentityId>,
    decisions: Vec<ItemDecision>,
    actor: Actor,
    at: DateTime<Utc>,
    reply: oneshot::Sender<DecideResult>,
}

/// What a decide call answers.
type DecideResult = StoreResult<Result<Certification, CertificationRefusal>>;

/// Decide calls waiting for the writer, per store (by the address of its writer pool's
/// options, which lives as long as the pool), and whether a task is draining them.
#[derive(Default)]
struct DecideQueue {
    jobs: Vec<DecideJob>,
    draining: bool,
}

static DECIDE_QUEUES: LazyLock<Mutex<HashMap<usize, DecideQueue>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Most decisions one group transaction takes before the rest wait for the next one.
const GROUP_DECISIONS: usize = 2_000;

fn lock_queues() -> std::sync::MutexGuard<'static, HashMap<usize, DecideQueue>> {
    // The map is left consistent by every critical section, so a poisoned lock is usable.
    DECIDE_QUEUES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Group commit: decide calls that arrive while the writer is busy are applied together, in
/// call order, in one transaction with one statement per table, by a task that drains the
/// queue. Each call still gets its own answer: a refused call writes nothing and does not
/// affect the others, and each accepted call sees the certification as its own decisions
/// (and those of the calls before it) left it. When the group transaction fails, each call
/// is retried alone, so a failure reaches only the call that causes it.
pub(crate) async fn decide(
    store: &SqliteStore,
    certification: &CertificationId,
    reviewer: Option<&IdentityId>,
    decisions: &[ItemDecision],
    actor: &Actor,
    at: DateTime<Utc>,
) -> DecideResult {
    let (reply, answer) = oneshot::channel();
    let job = DecideJob {
        certification: certification.clone(),
        reviewer: reviewer.cloned(),
        decisions: decisions.to_vec(),
        actor: actor.clone(),
        at,
        reply,
    };
    let key = Arc::as_ptr(&store.writer.connect_options()) as usize;
    let start = {
        let mut queues = lock_queues();
        let queue = queues.entry(key).or_default();
        queue.jobs.push(job);
        !std::mem::replace(&mut queue.draining, true)
    };
    if start {
        // A task of its own, so that a caller who goes away never strands the others.
        let store = store.clone();
        tokio::spawn(async move { drain(store, key).await });
    }
    answer.await.unwrap_or_else(|_| {
        Err(attest_store::StoreError::Database(
            "the decide transaction was abandoned".to_owned(),
        ))
    })
}

/// Applies queued decide calls, group by group, until none is left.
async fn drain(store: SqliteStore, key: usize) {
    loop {
        let group = {
            let mut queues = lock_queues();
            let Some(queue) = queues.get_mut(&key) else {
                return;
            };
            if queue.jobs.is_empty() {
                queues.remove(&key);
                return;
            }
            let mut taken = 0;
            let mut n = 0;
            for job in &queue.jobs {
                if n > 0 && taken + job.decisions.len() > GROUP_DECISIONS {
                    break;
                }
                taken += job.decisions.len();
                n += 1;
            }
            queue.jobs.drain(..n).collect::<Vec<_>>()
        };
        let requests: Vec<&DecideJob> = group.iter().collect();
        match decide_group(&store, &requests).await {
            Ok(answers) => {
                for (job, answer) in group.into_iter().zip(answers) {
                    let _ = job.reply.send(Ok(answer));
                }
            }
            Err(_) if group.len() > 1 => {
                for job in group {
                    let answer = decide_group(&store, &[&job]).await.map(|mut a| a.remove(0));
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) => {
                if let Some(job) = group.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
        }
    }
}

/// An item as the group sees it: its certification, summary, type and decision so far.
struct ItemState {
    certification: String,
    summary: i64,
    access_type: ItemAccessType,
    decision: Option<Decision>,
}

/// An item's final values after the group.
struct ItemWrite<'a> {
    decision: &'a ItemDecision,
    decided_by: Option<&'a str>,
    at: String,
}

/// Changes to one certification's row.
#[derive(Default)]
struct CertificationWrite {
    types: BTreeMap<ItemAccessType, Delta>,
    identities_completed: i64,
    modified: String,
}

fn add_counts(counts: &mut TypeCounts, d: &Delta) {
    counts.decided += d.decided;
    counts.approved += d.approved;
    counts.revoked += d.revoked;
}

fn type_counts(counts: &mut CertificationCounts, t: ItemAccessType) -> &mut TypeCounts {
    match t {
        ItemAccessType::Entitlement => &mut counts.entitlements,
        ItemAccessType::AccessProfile => &mut counts.access_profiles,
        ItemAccessType::Role => &mut counts.roles,
        ItemAccessType::Account => &mut counts.accounts,
    }
}

/// Applies decide calls in order in one transaction; one answer per call.
async fn decide_group(
    store: &SqliteStore,
    jobs: &[&DecideJob],
) -> StoreResult<Vec<Result<Certification, CertificationRefusal>>> {
    let mut tx = store.write().await?;

    // Read everything the calls touch: their certifications, items and identity summaries.
    let cert_ids: BTreeSet<&str> = jobs.iter().map(|j| j.certification.as_str()).collect();
    let rows = sqlx::query(&format!(
        "SELECT {CERTIFICATION_COLUMNS}, (SELECT k.status FROM campaigns k \
         WHERE k.id = certifications.campaign_id) AS campaign_status FROM certifications \
         WHERE id IN (SELECT value FROM json_each(?1))"
    ))
    .bind(encode_json!("certification ids", &cert_ids)?)
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?;
    let mut certs: HashMap<String, Certification> = HashMap::with_capacity(rows.len());
    let mut campaign_status: HashMap<String, Option<CampaignStatus>> = HashMap::new();
    for row in &rows {
        let cert = certification_from_row(row)?;
        let status: Option<String> = get(row, "campaign_status")?;
        let status = status
            .map(|s| decode_enum("campaign status", &s))
            .transpose()?;
        campaign_status.insert(cert.id.0.clone(), status);
        certs.insert(cert.id.0.clone(), cert);
    }
    let item_ids: BTreeSet<i64> = jobs
        .iter()
        .flat_map(|j| j.decisions.iter().map(|d| d.item_id.0))
        .collect();
    let rows = sqlx::query(
        "SELECT ri.id, ri.certification_id, ri.identity_summary_id, ri.access_type, \
         ri.decision, s.items_total, s.items_decided FROM review_items ri \
         LEFT JOIN identity_summaries s ON s.id = ri.identity_summary_id \
         WHERE ri.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(encode_json!("item ids", &item_ids)?)
    .fetch_all(&mut *tx)
    .await
    .map_err(db_err)?;
    let mut items: HashMap<i64, ItemState> = HashMap::with_capacity(rows.len());
    // (items_total, items_decided) of identity summaries, as the calls so far left them.
    let mut summaries: HashMap<i64, (i64, i64)> = HashMap::new();
    for row in &rows {
        let decision: Option<String> = get(row, "decision")?;
        let summary: i64 = get(row, "identity_summary_id")?;
        let total: Option<i64> = get(row, "items_total")?;
        let decided: Option<i64> = get(row, "items_decided")?;
        if let (Some(total), Some(decided)) = (total, decided) {
            summaries.insert(summary, (total, decided));
        }
        items.insert(
            get(row, "id")?,
            ItemState {
                certification: get(row, "certification_id")?,
                summary,
                access_type: decode_enum("access type", &get::<String>(row, "access_type")?)?,
                decision: decision
                    .as_deref()
                    .map(|d| decode_enum("decision", d))
                    .transpose()?,
            },
        );
    }

    // Walk the calls, and each call's decisions, in order, as if one ran after the other:
    // an item decided twice counts once and its last decision wins.
    let mut answers = Vec::with_capacity(jobs.len());
    let mut item_writes: BTreeMap<i64, ItemWrite> = BTreeMap::new();
    let mut summary_writes: BTreeMap<i64, i64> = BTreeMap::new();
    let mut cert_writes: BTreeMap<String, CertificationWrite> = BTreeMap::new();
    let mut campaign_writes: BTreeMap<String, i64> = BTreeMap::new();
    let mut events = Vec::new();
    for job in jobs {
        let cert_id = job.certification.as_str();
        let Some(cert) = certs.get(cert_id) else {
            answers.push(Err(CertificationRefusal::NotFound));
            continue;
        };
        let status = campaign_status.get(cert_id).copied().flatten();
        if let Some(refusal) = decide_refusal(cert, job.reviewer.as_ref(), status) {
            answers.push(Err(refusal));
            continue;
        }
        if let Some(unknown) = job.decisions.iter().find(|d| {
            items
                .get(&d.item_id.0)
                .is_none_or(|s| s.certification != cert_id)
        }) {
            answers.push(Err(CertificationRefusal::UnknownItem(
                unknown.item_id.to_string(),
            )));
            continue;
        }
        if job.decisions.is_empty() {
            answers.push(Ok(cert.clone()));
            continue;
        }
        let at_text = encode_time(&job.at);
        let mut types: BTreeMap<ItemAccessType, Delta> = BTreeMap::new();
        let mut newly_decided: BTreeMap<i64, i64> = BTreeMap::new();
        for d in &job.decisions {
            let Some(state) = items.get_mut(&d.item_id.0) else {
                continue;
            };
            let previous = state.decision;
            let delta = types.entry(state.access_type).or_default();
            delta.add_decision(previous, -1);
            delta.add_decision(Some(d.decision), 1);
            if previous.is_none() {
                *newly_decided.entry(state.summary).or_default() += 1;
            }
            state.decision = Some(d.decision);
            item_writes.insert(
                d.item_id.0,
                ItemWrite {
                    decision: d,
                    decided_by: job.actor.identity_id.as_ref().map(|i| i.0.as_str()),
                    at: at_text.clone(),
                },
            );
            events.push(AuditEvent {
                at: job.at,
                actor: job.actor.clone(),
                action: "item.decided".to_owned(),
                campaign_id: Some(cert.campaign_id.clone()),
                certification_id: Some(cert.id.clone()),
                item_id: Some(d.item_id),
                detail: serde_json::json!({
                    "decision": d.decision.as_str(),
                    "previous": previous.map(Decision::as_str),
                    "comments": d.comments,
                    "proposedEndDate": d.proposed_end_date.as_ref().map(encode_time),
                }),
            });
        }
        let mut identities_completed = 0;
        for (summary, n) in newly_decided {
            *summary_writes.entry(summary).or_default() += n;
            if let Some((total, decided)) = summaries.get_mut(&summary) {
                identities_completed += complete(*total, *decided + n) - complete(*total, *decided);
                *decided += n;
            }
        }
        let decided: i64 = types.values().map(|d| d.decided).sum();
        if decided != 0 {
            *campaign_writes
                .entry(cert.campaign_id.0.clone())
                .or_default() += decided;
        }
        let write = cert_writes.entry(cert_id.to_owned()).or_default();
        let Some(cert) = certs.get_mut(cert_id) else {
            continue;
        };
        for (t, d) in &types {
            let total = write.types.entry(*t).or_default();
            total.decided += d.decided;
            total.approved += d.approved;
            total.revoked += d.revoked;
            add_counts(type_counts(&mut cert.counts, *t), d);
        }
        write.identities_completed += identities_completed;
        write.modified = at_text;
        cert.counts.identities_completed += identities_completed;
        cert.modified = job.at;
        answers.push(Ok(cert.clone()));
    }

    write_items(&mut tx, &item_writes).await?;
    write_summaries(&mut tx, &summary_writes).await?;
    write_certifications(&mut tx, &cert_writes).await?;
    for (campaign, decided) in &campaign_writes {
        sqlx::query("UPDATE campaigns SET items_decided = items_decided + ?1 WHERE id = ?2")
            .bind(decided)
            .bind(campaign)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    insert_audit(&mut tx, &events).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(answers)
}

/// Review items' decisions, one statement per chunk.
async fn write_items(
    conn: &mut SqliteConnection,
    writes: &BTreeMap<i64, ItemWrite<'_>>,
) -> StoreResult<()> {
    let rows: Vec<_> = writes.iter().collect();
    for chunk in rows.chunks(rows::rows_per_statement(6)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "WITH d(id, decision, comments, end_date, decided_by, decided_at) AS (VALUES ",
        );
        for (i, (id, w)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            let end = match w.decision.decision {
                Decision::Revoke => opt_time(w.decision.proposed_end_date),
                Decision::Approve => None,
            };
            q.push("(")
                .push_bind(**id)
                .push(", ")
                .push_bind(w.decision.decision.as_str())
                .push(", ")
                .push_bind(w.decision.comments.clone())
                .push(", ")
                .push_bind(end)
                .push(", ")
                .push_bind(w.decided_by.map(str::to_owned))
                .push(", ")
                .push_bind(w.at.clone())
                .push(")");
        }
        q.push(
            ") UPDATE review_items SET decision = d.decision, comments = d.comments, \
             proposed_end_date = d.end_date, decided_by = d.decided_by, \
             decided_at = d.decided_at FROM d WHERE review_items.id = d.id",
        );
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Identity summaries' decided counters, one statement per chunk.
async fn write_summaries(
    conn: &mut SqliteConnection,
    writes: &BTreeMap<i64, i64>,
) -> StoreResult<()> {
    let rows: Vec<_> = writes.iter().collect();
    for chunk in rows.chunks(rows::rows_per_statement(2)) {
        let mut q = QueryBuilder::<Sqlite>::new("WITH d(id, n) AS (VALUES ");
        for (i, (id, n)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .push_bind(**id)
                .push(", ")
                .push_bind(**n)
                .push(")");
        }
        q.push(
            ") UPDATE identity_summaries SET items_decided = items_decided + d.n \
             FROM d WHERE identity_summaries.id = d.id",
        );
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Certifications' counters, one statement per chunk.
async fn write_certifications(
    conn: &mut SqliteConnection,
    writes: &BTreeMap<String, CertificationWrite>,
) -> StoreResult<()> {
    const TYPES: [ItemAccessType; 4] = [
        ItemAccessType::Entitlement,
        ItemAccessType::AccessProfile,
        ItemAccessType::Role,
        ItemAccessType::Account,
    ];
    const COLUMNS: usize = 3 + 3 * TYPES.len();
    let rows: Vec<_> = writes.iter().collect();
    for chunk in rows.chunks(rows::rows_per_statement(COLUMNS)) {
        let mut q = QueryBuilder::<Sqlite>::new("WITH d(cid, modified, ic");
        for t in TYPES {
            let p = counter_prefix(t);
            q.push(format!(", {p}_d, {p}_a, {p}_r"));
        }
        q.push(") AS (VALUES ");
        for (i, (id, w)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .push_bind(id.as_str())
                .push(", ")
                .push_bind(w.modified.clone())
                .push(", ")
                .push_bind(w.identities_completed);
            for t in TYPES {
                let d = w.types.get(&t).copied().unwrap_or_default();
                q.push(", ")
                    .push_bind(d.decided)
                    .push(", ")
                    .push_bind(d.approved)
                    .push(", ")
                    .push_bind(d.revoked);
            }
            q.push(")");
        }
        q.push(
            ") UPDATE certifications SET modified = d.modified, \
             identities_completed = identities_completed + d.ic",
        );
        for t in TYPES {
            let p = counter_prefix(t);
            q.push(format!(
                ", {p}_decided = {p}_decided + d.{p}_d, {p}_approved = {p}_approved + d.{p}_a, \
                 {p}_revoked = {p}_revoked + d.{p}_r"
            ));
        }
        q.push(" FROM d WHERE certifications.id = d.cid");
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// One item on the move.
#[derive(Debug, Clone, Copy)]
struct Moving {
    id: i64,
    summary: i64,
    access_type: ItemAccessType,
    decision: Option<Decision>,
}

/// The certification of reviewer `to` in `from`'s campaign, created (like `from`, with no
/// items) when there is none. Refuses a receiving certification that is signed, and a
/// reviewer who is not a known identity.
async fn receiving_certification(
    conn: &mut SqliteConnection,
    from: &Certification,
    to: &IdentityId,
    at: &str,
) -> StoreResult<Result<Certification, CertificationRefusal>> {
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM certifications WHERE campaign_id = ?1 AND reviewer_id = ?2 \
         ORDER BY phase = 'SIGNED', created, id LIMIT 1",
    )
    .bind(from.campaign_id.as_str())
    .bind(to.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    if let Some(id) = existing {
        let Some(cert) = load_certification(conn, &id).await? else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if cert.phase == CertificationPhase::Signed {
            return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
        }
        return Ok(Ok(cert));
    }
    let reviewer = sqlx::query(
        "SELECT COALESCE(display_name, name) AS name, email FROM identities WHERE id = ?1",
    )
    .bind(to.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let Some(reviewer) = reviewer else {
        return Ok(Err(CertificationRefusal::UnknownIdentity(to.0.clone())));
    };
    let reviewer_name: String = get(&reviewer, "name")?;
    let id: String = sqlx::query_scalar(
        "INSERT INTO certifications (id, campaign_id, campaign_name, campaign_type, name, \
         reviewer_id, reviewer_name, reviewer_email, phase, due, created, modified) \
         VALUES (lower(hex(randomblob(16))), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) \
         RETURNING id",
    )
    .bind(from.campaign_id.as_str())
    .bind(&from.campaign_name)
    .bind(from.campaign_type.as_str())
    .bind(format!("{} - {}", from.campaign_name, reviewer_name))
    .bind(to.as_str())
    .bind(&reviewer_name)
    .bind(get::<Option<String>>(&reviewer, "email")?)
    .bind(from.phase.as_str())
    .bind(opt_time(from.due))
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE campaigns SET certifications_total = certifications_total + 1 WHERE id = ?1",
    )
    .bind(from.campaign_id.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    load_certification(conn, &id)
        .await
        .map(|c| c.ok_or(CertificationRefusal::NotFound))
}

/// Moves `items` (all in `from`) to `to`: items, identity summaries (moved, merged or split),
/// counters of both certifications, and the reassignment record of `to`.
async fn move_items(
    conn: &mut SqliteConnection,
    from: &Certification,
    to: &Certification,
    items: &[Moving],
    reason: &str,
    at: &str,
) -> StoreResult<()> {
    let mut by_summary: BTreeMap<i64, Vec<&Moving>> = BTreeMap::new();
    for item in items {
        by_summary.entry(item.summary).or_default().push(item);
    }
    let mut from_types: BTreeMap<ItemAccessType, Delta> = BTreeMap::new();
    let mut to_types: BTreeMap<ItemAccessType, Delta> = BTreeMap::new();
    for item in items {
        let f = from_types.entry(item.access_type).or_default();
        f.total -= 1;
        f.add_decision(item.decision, -1);
        let t = to_types.entry(item.access_type).or_default();
        t.total += 1;
        t.add_decision(item.decision, 1);
    }
    let (mut from_ids, mut from_done, mut to_ids, mut to_done) = (0, 0, 0, 0);
    for (summary, moving) in &by_summary {
        let row = sqlx::query(
            "SELECT identity_id, account_id, role_id, name, items_total, items_decided \
             FROM identity_summaries WHERE id = ?1",
        )
        .bind(summary)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
        let identity: Option<String> = get(&row, "identity_id")?;
        let account: Option<String> = get(&row, "account_id")?;
        let role: Option<String> = get(&row, "role_id")?;
        let name: String = get(&row, "name")?;
        let (total, decided): (i64, i64) = (get(&row, "items_total")?, get(&row, "items_decided")?);
        let m = i64::try_from(moving.len()).unwrap_or(i64::MAX);
        let d = i64::try_from(moving.iter().filter(|i| i.decision.is_some()).count())
            .unwrap_or(i64::MAX);
        let receiving = sqlx::query(
            "SELECT id, items_total, items_decided FROM identity_summaries \
             WHERE certification_id = ?1 AND identity_id IS ?2 AND account_id IS ?3 \
             AND role_id IS ?4 LIMIT 1",
        )
        .bind(to.id.as_str())
        .bind(&identity)
        .bind(&account)
        .bind(&role)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?;
        let emptied = total - m <= 0;
        from_done -= complete(total, decided);
        if emptied {
            from_ids -= 1;
        } else {
            from_done += complete(total - m, decided - d);
            sqlx::query(
                "UPDATE identity_summaries SET items_total = ?1, items_decided = ?2 WHERE id = ?3",
            )
            .bind(total - m)
            .bind(decided - d)
            .bind(summary)
            .execute(&mut *conn)
            .await
            .map_err(db_err)?;
        }
        let target = match receiving {
            Some(r) => {
                let id: i64 = get(&r, "id")?;
                let (rt, rd): (i64, i64) = (get(&r, "items_total")?, get(&r, "items_decided")?);
                to_done += complete(rt + m, rd + d) - complete(rt, rd);
                sqlx::query(
                    "UPDATE identity_summaries SET items_total = items_total + ?1, \
                     items_decided = items_decided + ?2 WHERE id = ?3",
                )
                .bind(m)
                .bind(d)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
                if emptied {
                    sqlx::query("DELETE FROM identity_summaries WHERE id = ?1")
                        .bind(summary)
                        .execute(&mut *conn)
                        .await
                        .map_err(db_err)?;
                }
                id
            }
            None if emptied => {
                // The whole holder moves: the summary row moves with it.
                to_ids += 1;
                to_done += complete(total, decided);
                sqlx::query("UPDATE identity_summaries SET certification_id = ?1 WHERE id = ?2")
                    .bind(to.id.as_str())
                    .bind(summary)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                *summary
            }
            None => {
                let id = allocate_ids(conn, 1).await?;
                to_ids += 1;
                to_done += complete(m, d);
                sqlx::query(
                    "INSERT INTO identity_summaries (id, certification_id, campaign_id, \
                     identity_id, account_id, role_id, name, items_total, items_decided) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .bind(id)
                .bind(to.id.as_str())
                .bind(to.campaign_id.as_str())
                .bind(&identity)
                .bind(&account)
                .bind(&role)
                .bind(&name)
                .bind(m)
                .bind(d)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
                id
            }
        };
        let ids: Vec<i64> = moving.iter().map(|i| i.id).collect();
        sqlx::query(
            "UPDATE review_items SET certification_id = ?1, identity_summary_id = ?2, \
             reassigned_from = ?3, reassignment_reason = ?4 \
             WHERE id IN (SELECT value FROM json_each(?5))",
        )
        .bind(to.id.as_str())
        .bind(target)
        .bind(from.id.as_str())
        .bind(reason)
        .bind(encode_json!("item ids", &ids)?)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    }
    apply_counters(conn, from.id.as_str(), &from_types, from_ids, from_done, at).await?;
    apply_counters(conn, to.id.as_str(), &to_types, to_ids, to_done, at).await?;
    sqlx::query(
        "UPDATE certifications SET reassigned_from_certification = ?1, \
         reassigned_from_reviewer = ?2, reassignment_comment = ?3 WHERE id = ?4",
    )
    .bind(from.id.as_str())
    .bind(from.reviewer.as_str())
    .bind(reason)
    .bind(to.id.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// The items of a certification, optionally only those of some identity summaries.
async fn items_of(
    conn: &mut SqliteConnection,
    certification: &str,
    summaries: Option<&[i64]>,
) -> StoreResult<Vec<Moving>> {
    let rows = sqlx::query(
        "SELECT id, identity_summary_id, access_type, decision FROM review_items \
         WHERE certification_id = ?1 AND (?2 IS NULL OR identity_summary_id IN \
         (SELECT value FROM json_each(?2))) ORDER BY id",
    )
    .bind(certification)
    .bind(
        summaries
            .map(|s| encode_json!("summary ids", s))
            .transpose()?,
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|row| {
            let decision: Option<String> = get(row, "decision")?;
            Ok(Moving {
                id: get(row, "id")?,
                summary: get(row, "identity_summary_id")?,
                access_type: decode_enum("access type", &get::<String>(row, "access_type")?)?,
                decision: decision
                    .as_deref()
                    .map(|d| decode_enum("decision", d))
                    .transpose()?,
            })
        })
        .collect()
}

fn reassign_event(
    from: &Certification,
    to: &Certification,
    moved: usize,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.clone(),
        action: "certification.reassigned".to_owned(),
        campaign_id: Some(from.campaign_id.clone()),
        certification_id: Some(from.id.clone()),
        item_id: None,
        detail: serde_json::json!({
            "fromCertification": from.id,
            "fromReviewer": from.reviewer,
            "toCertification": to.id,
            "toReviewer": to.reviewer,
            "items": moved,
            "reason": reason,
        }),
    }
}

pub(crate) async fn reassign(
    store: &SqliteStore,
    certification: &CertificationId,
    targets: &[ReassignTarget],
    to: &IdentityId,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Result<Certification, CertificationRefusal>> {
    let mut tx = store.write().await?;
    let cert_id = certification.as_str();
    let Some(from) = load_certification(&mut tx, cert_id).await? else {
        return Ok(Err(CertificationRefusal::NotFound));
    };
    if from.phase != CertificationPhase::Active {
        return Ok(Err(CertificationRefusal::NotActive(from.phase)));
    }
    let item_ids: Vec<i64> = targets
        .iter()
        .filter_map(|t| match t {
            ReassignTarget::Item(id) => Some(id.0),
            ReassignTarget::Identity(_) => None,
        })
        .collect();
    let states = item_states(&mut tx, cert_id, &item_ids).await?;
    let mut moving: BTreeMap<i64, Moving> = BTreeMap::new();
    let mut summaries = Vec::new();
    for target in targets {
        match target {
            ReassignTarget::Item(id) => {
                let Some((summary, access_type, decision)) = states.get(&id.0) else {
                    return Ok(Err(CertificationRefusal::UnknownItem(id.to_string())));
                };
                moving.insert(
                    id.0,
                    Moving {
                        id: id.0,
                        summary: *summary,
                        access_type: *access_type,
                        decision: *decision,
                    },
                );
            }
            ReassignTarget::Identity(key) => {
                let found: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM identity_summaries WHERE certification_id = ?1 \
                     AND (id = ?2 OR identity_id = ?3)",
                )
                .bind(cert_id)
                .bind(key.trim().parse::<i64>().ok())
                .bind(key)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
                if found.is_empty() {
                    return Ok(Err(CertificationRefusal::UnknownIdentity(key.clone())));
                }
                summaries.extend(found);
            }
        }
    }
    if !summaries.is_empty() {
        for item in items_of(&mut tx, cert_id, Some(&summaries)).await? {
            moving.insert(item.id, item);
        }
    }
    let at_text = encode_time(&at);
    let receiving = match receiving_certification(&mut tx, &from, to, &at_text).await? {
        Ok(cert) => cert,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if receiving.id == from.id {
        // Reassigning to the certification's own reviewer moves nothing.
        return Ok(Ok(from));
    }
    let items: Vec<Moving> = moving.into_values().collect();
    move_items(&mut tx, &from, &receiving, &items, reason, &at_text).await?;
    insert_audit(
        &mut tx,
        &[reassign_event(
            &from,
            &receiving,
            items.len(),
            reason,
            actor,
            at,
        )],
    )
    .await?;
    let updated = load_certification(&mut tx, receiving.id.as_str()).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(updated.ok_or(CertificationRefusal::NotFound))
}

pub(crate) async fn reassign_certifications(
    store: &SqliteStore,
    campaign: &CampaignId,
    certifications: &[CertificationId],
    to: &IdentityId,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Result<Certification, CertificationRefusal>> {
    let mut tx = store.write().await?;
    let at_text = encode_time(&at);
    let mut sources = Vec::new();
    for id in certifications {
        let Some(cert) = load_certification(&mut tx, id.as_str()).await? else {
            return Ok(Err(CertificationRefusal::NotFound));
        };
        if cert.campaign_id != *campaign {
            return Ok(Err(CertificationRefusal::NotFound));
        }
        if cert.phase == CertificationPhase::Signed {
            return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
        }
        if !sources.iter().any(|c: &Certification| c.id == cert.id) {
            sources.push(cert);
        }
    }
    let Some(first) = sources.first().cloned() else {
        return Ok(Err(CertificationRefusal::NotFound));
    };
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM certifications WHERE campaign_id = ?1 AND reviewer_id = ?2 \
         ORDER BY phase = 'SIGNED', created, id LIMIT 1",
    )
    .bind(campaign.as_str())
    .bind(to.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let receiving = match existing {
        Some(id) => match load_certification(&mut tx, &id).await? {
            Some(cert) if cert.phase == CertificationPhase::Signed => {
                return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
            }
            Some(cert) => cert,
            None => return Ok(Err(CertificationRefusal::NotFound)),
        },
        None => {
            // Nobody to merge into: the first certification changes hands as it is.
            let reviewer = sqlx::query(
                "SELECT COALESCE(display_name, name) AS name, email FROM identities \
                 WHERE id = ?1",
            )
            .bind(to.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let Some(reviewer) = reviewer else {
                return Ok(Err(CertificationRefusal::UnknownIdentity(to.0.clone())));
            };
            let name: String = get(&reviewer, "name")?;
            sqlx::query(
                "UPDATE certifications SET reviewer_id = ?1, reviewer_name = ?2, \
                 reviewer_email = ?3, reviewer_group_id = NULL, name = ?4, \
                 reassigned_from_certification = id, reassigned_from_reviewer = reviewer_id, \
                 reassignment_comment = ?5, modified = ?6 WHERE id = ?7",
            )
            .bind(to.as_str())
            .bind(&name)
            .bind(get::<Option<String>>(&reviewer, "email")?)
            .bind(format!("{} - {}", first.campaign_name, name))
            .bind(reason)
            .bind(&at_text)
            .bind(first.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            sqlx::query(
                "UPDATE review_items SET reassigned_from = ?1, reassignment_reason = ?2 \
                 WHERE certification_id = ?1",
            )
            .bind(first.id.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            let event = AuditEvent {
                at,
                actor: actor.clone(),
                action: "certification.reassigned".to_owned(),
                campaign_id: Some(campaign.clone()),
                certification_id: Some(first.id.clone()),
                item_id: None,
                detail: serde_json::json!({
                    "fromReviewer": first.reviewer,
                    "toReviewer": to,
                    "reason": reason,
                }),
            };
            insert_audit(&mut tx, &[event]).await?;
            match load_certification(&mut tx, first.id.as_str()).await? {
                Some(cert) => cert,
                None => return Ok(Err(CertificationRefusal::NotFound)),
            }
        }
    };
    let mut events = Vec::new();
    for from in sources.iter().filter(|c| c.id != receiving.id) {
        let items = items_of(&mut tx, from.id.as_str(), None).await?;
        move_items(&mut tx, from, &receiving, &items, reason, &at_text).await?;
        // The emptied certification goes; its holders now live in the receiving one.
        sqlx::query("DELETE FROM identity_summaries WHERE certification_id = ?1")
            .bind(from.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM certifications WHERE id = ?1")
            .bind(from.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "UPDATE campaigns SET certifications_total = certifications_total - 1 WHERE id = ?1",
        )
        .bind(campaign.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        events.push(reassign_event(
            from,
            &receiving,
            items.len(),
            reason,
            actor,
            at,
        ));
    }
    insert_audit(&mut tx, &events).await?;
    let updated = load_certification(&mut tx, receiving.id.as_str()).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(updated.ok_or(CertificationRefusal::NotFound))
}

/// Writes one PENDING order per revoked item matching `condition` (over `ri`, with `key` as
/// `?1`) that has none yet; returns how many.
async fn write_orders(
    conn: &mut SqliteConnection,
    condition: &str,
    key: &str,
    at: &str,
) -> StoreResult<u64> {
    let done = sqlx::query(&format!(
        "INSERT INTO provisioning_orders (id, campaign_id, certification_id, item_id, \
         identity_id, account_id, role_id, holder_name, access_type, access_id, access_name, \
         source_id, reason, decision, reviewer, due, status, created) \
         SELECT lower(hex(randomblob(16))), ri.campaign_id, ri.certification_id, ri.id, \
         ri.identity_id, ri.account_id, ri.role_id, ri.holder_name, ri.access_type, \
         ri.access_id, ri.access_name, ri.source_id, \
         COALESCE(ri.comments, CASE WHEN ri.decided_by IS NULL THEN ?3 END), 'REVOKE', \
         ri.decided_by, COALESCE(ri.proposed_end_date, ?2), 'PENDING', ?2 \
         FROM review_items ri WHERE {condition} AND ri.decision = 'REVOKE' \
         AND NOT EXISTS (SELECT 1 FROM provisioning_orders o WHERE o.item_id = ri.id) \
         ORDER BY ri.id"
    ))
    .bind(key)
    .bind(at)
    .bind(AUTO_REVOKE_REASON)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(done)
}

pub(crate) async fn sign_off(
    store: &SqliteStore,
    certification: &CertificationId,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Result<(Certification, SignOffOutcome), CertificationRefusal>> {
    let mut tx = store.write().await?;
    let cert_id = certification.as_str();
    let Some(cert) = load_certification(&mut tx, cert_id).await? else {
        return Ok(Err(CertificationRefusal::NotFound));
    };
    if cert.phase != CertificationPhase::Active {
        return Ok(Err(CertificationRefusal::NotActive(cert.phase)));
    }
    let undecided = cert.counts.items_total() - cert.counts.items_decided();
    if undecided > 0 {
        return Ok(Err(CertificationRefusal::Undecided(undecided)));
    }
    let at_text = encode_time(&at);
    sqlx::query(
        "UPDATE certifications SET phase = 'SIGNED', signed = ?1, modified = ?1 WHERE id = ?2",
    )
    .bind(&at_text)
    .bind(cert_id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let orders_created =
        write_orders(&mut tx, "ri.certification_id = ?1", cert_id, &at_text).await?;
    let (completed, total): (i64, i64) = sqlx::query_as(
        "UPDATE campaigns SET certifications_completed = certifications_completed + 1, \
         modified = ?1 WHERE id = ?2 RETURNING certifications_completed, certifications_total",
    )
    .bind(&at_text)
    .bind(cert.campaign_id.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    insert_audit(
        &mut tx,
        &[AuditEvent {
            at,
            actor: actor.clone(),
            action: "certification.signed".to_owned(),
            campaign_id: Some(cert.campaign_id.clone()),
            certification_id: Some(cert.id.clone()),
            item_id: None,
            detail: serde_json::json!({ "ordersCreated": orders_created }),
        }],
    )
    .await?;
    let signed = load_certification(&mut tx, cert_id).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(signed
        .map(|c| {
            (
                c,
                SignOffOutcome {
                    orders_created,
                    campaign_all_signed: completed >= total,
                },
            )
        })
        .ok_or(CertificationRefusal::NotFound))
}

pub(crate) async fn complete_campaign(
    store: &SqliteStore,
    campaign: &CampaignId,
    action: Decision,
    at: DateTime<Utc>,
    audit: &AuditEvent,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let id = campaign.as_str();
    let at_text = encode_time(&at);
    let completed = sqlx::query(
        "UPDATE campaigns SET status = 'COMPLETED', completed = ?1, modified = ?1, \
         items_decided = items_total, certifications_completed = certifications_total \
         WHERE id = ?2 AND status = 'COMPLETING'",
    )
    .bind(&at_text)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if completed == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE review_items SET decision = ?1, decided_at = ?2, decided_by = NULL, \
         proposed_end_date = NULL WHERE certification_id IN \
         (SELECT id FROM certifications WHERE campaign_id = ?3) AND decision IS NULL",
    )
    .bind(action.as_str())
    .bind(&at_text)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "UPDATE identity_summaries SET items_decided = items_total \
         WHERE certification_id IN (SELECT id FROM certifications WHERE campaign_id = ?1) \
         AND items_decided < items_total",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    // Every undecided item of a type now has `action`: it is decided, and approved or revoked.
    let grown = match action {
        Decision::Approve => "approved",
        Decision::Revoke => "revoked",
    };
    let sets: Vec<String> = [
        ItemAccessType::Entitlement,
        ItemAccessType::AccessProfile,
        ItemAccessType::Role,
        ItemAccessType::Account,
    ]
    .iter()
    .map(|t| {
        let p = counter_prefix(*t);
        format!("{p}_{grown} = {p}_{grown} + {p}_total - {p}_decided, {p}_decided = {p}_total")
    })
    .collect();
    sqlx::query(&format!(
        "UPDATE certifications SET {}, identities_completed = identities_total, \
         phase = 'SIGNED', signed = ?1, modified = ?1 \
         WHERE campaign_id = ?2 AND phase <> 'SIGNED'",
        sets.join(", ")
    ))
    .bind(&at_text)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    write_orders(
        &mut tx,
        "ri.certification_id IN (SELECT id FROM certifications WHERE campaign_id = ?1)",
        id,
        &at_text,
    )
    .await?;
    insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(true)
}
