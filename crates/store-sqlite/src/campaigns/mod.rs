//! Campaign storage on SQLite ([`CampaignStore`]): campaigns, certifications, identity
//! summaries, review items, certification tasks, provisioning orders and the audit log
//! (schema in `migrations/0002_campaigns.sql`).
//!
//! Policy: every write is one `BEGIN IMMEDIATE` transaction on the writer connection that
//! changes rows, counters, tasks and audit events together; every read runs on the reader
//! pool. Work on a whole campaign is set-based (`INSERT ... SELECT`, `UPDATE ... WHERE`), never
//! one statement per item; batches are multi-row statements under SQLite's bound-variable
//! limit. Summaries read counter columns and never scan items.
//!
//! Where things are:
//! - `list.rs`: collection parameters (filters, sorters, paging, count) as SQL;
//! - `rows.rs`: how records are spelled in rows, both ways;
//! - `generation.rs`: candidates, generated items, generation and activation;
//! - `review.rs`: decisions, reassignment, sign-off and completion;
//! - `outbox.rs`: tasks, provisioning orders and audit events;
//! - this file: campaigns, certification and item reads, and the trait's wiring.

mod generation;
pub(crate) mod list;
mod outbox;
mod remediation;
mod reports;
mod review;
pub(crate) mod rows;

use async_trait::async_trait;
use attest_domain::campaign::{CampaignStatus, Decision};
use attest_domain::certification::*;
use attest_domain::*;
use attest_store::campaigns::*;
use attest_store::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use crate::codec::{decode_columns, encode_time, get, get_columns};
use crate::error::db_err;
use crate::warehouse::{account_from_columns, AccountColumns, ACCOUNT_JSON};
use crate::SqliteStore;

use list::{order_by, push_and_filter, push_page, Field, Fields, Kind};
use rows::{
    campaign_from_row, certification_from_row, decode_json, encode_json,
    identity_summary_from_columns, identity_summary_from_row, item_from_columns, item_from_row,
    ItemColumns, SummaryColumns, CAMPAIGN_COLUMNS, CERTIFICATION_COLUMNS, ITEM_JSON, SUMMARY_JSON,
};

/// Fields of the campaign list.
const CAMPAIGN_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Text,
    },
    Field {
        name: "name",
        sql: "name",
        kind: Kind::Text,
    },
    Field {
        name: "status",
        sql: "status",
        kind: Kind::Text,
    },
    Field {
        name: "type",
        sql: "type",
        kind: Kind::Text,
    },
    Field {
        name: "created",
        sql: "created",
        kind: Kind::Time,
    },
    Field {
        name: "modified",
        sql: "modified",
        kind: Kind::Time,
    },
    Field {
        name: "deadline",
        sql: "deadline",
        kind: Kind::Time,
    },
];

/// Fields of the certification list.
const CERTIFICATION_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Text,
    },
    Field {
        name: "campaign.id",
        sql: "campaign_id",
        kind: Kind::Text,
    },
    Field {
        name: "phase",
        sql: "phase",
        kind: Kind::Text,
    },
    Field {
        name: "completed",
        sql: "(phase = 'SIGNED')",
        kind: Kind::Bool,
    },
    Field {
        name: "name",
        sql: "name",
        kind: Kind::Text,
    },
    Field {
        name: "due",
        sql: "due",
        kind: Kind::Time,
    },
    Field {
        name: "signed",
        sql: "signed",
        kind: Kind::Time,
    },
    Field {
        name: "created",
        sql: "created",
        kind: Kind::Time,
    },
    Field {
        name: "modified",
        sql: "modified",
        kind: Kind::Time,
    },
    Field {
        name: "campaign.name",
        sql: "campaign_name",
        kind: Kind::Text,
    },
    Field {
        name: "campaign.campaignType",
        sql: "campaign_type",
        kind: Kind::Text,
    },
    Field {
        name: "reviewer.id",
        sql: "reviewer_id",
        kind: Kind::Text,
    },
    Field {
        name: "reviewer.name",
        sql: "reviewer_name",
        kind: Kind::Text,
    },
];

/// Fields of the review item list and the access summaries.
const ITEM_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Int,
    },
    Field {
        name: "type",
        sql: "access_type",
        kind: Kind::Text,
    },
    Field {
        name: "access.type",
        sql: "access_type",
        kind: Kind::Text,
    },
    Field {
        name: "completed",
        sql: "(decision IS NOT NULL)",
        kind: Kind::Bool,
    },
    Field {
        name: "identitySummary.id",
        sql: "identity_summary_id",
        kind: Kind::Int,
    },
    Field {
        name: "identitySummary.identityId",
        sql: "identity_id",
        kind: Kind::Text,
    },
    Field {
        name: "identitySummary.name",
        sql: "holder_name",
        kind: Kind::Text,
    },
    Field {
        name: "access.id",
        sql: "access_id",
        kind: Kind::Text,
    },
    Field {
        name: "access.name",
        sql: "access_name",
        kind: Kind::Text,
    },
    Field {
        name: "entitlement.sourceName",
        sql: "(CASE WHEN access_type = 'ENTITLEMENT' THEN source_name END)",
        kind: Kind::Text,
    },
    Field {
        name: "accessProfile.sourceName",
        sql: "(CASE WHEN access_type = 'ACCESS_PROFILE' THEN source_name END)",
        kind: Kind::Text,
    },
    // Attest governs no cloud access: every item is `cloudGoverned: false`.
    Field {
        name: "cloudGoverned",
        sql: "0",
        kind: Kind::Bool,
    },
];

/// Fields of the identity summary list.
const SUMMARY_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Int,
    },
    Field {
        name: "completed",
        sql: "(items_decided >= items_total)",
        kind: Kind::Bool,
    },
    Field {
        name: "identityId",
        sql: "identity_id",
        kind: Kind::Text,
    },
    Field {
        name: "name",
        sql: "name",
        kind: Kind::Text,
    },
];

/// Fields of a certification's reviewer list (identities).
const REVIEWER_FIELDS: Fields = &[
    Field {
        name: "id",
        sql: "id",
        kind: Kind::Text,
    },
    Field {
        name: "name",
        sql: "name",
        kind: Kind::Text,
    },
    Field {
        name: "displayName",
        sql: "display_name",
        kind: Kind::Text,
    },
    Field {
        name: "email",
        sql: "email",
        kind: Kind::Text,
    },
];

/// Writes `FROM <table> WHERE <fixed conditions>` of a list, binding its own values.
type FromWhere<'a> = &'a (dyn Fn(&mut QueryBuilder<'static, Sqlite>) + Sync);

/// How one list is read: its columns, its fixed `FROM ... WHERE ...`, its fields and orders.
struct ListSql<'a> {
    /// `SELECT` list.
    columns: &'a str,
    /// The fixed part after the columns.
    from_where: FromWhere<'a>,
    /// Filterable and sortable fields.
    fields: Fields,
    /// Order when the query names none.
    default_order: &'a str,
    /// Unique last sort key.
    tie: &'a str,
}

/// The fixed part of a certification's item list: its items, narrowed to `access_ids`.
fn items_of(
    certification: &CertificationId,
    access_ids: Option<&[String]>,
) -> StoreResult<impl Fn(&mut QueryBuilder<'static, Sqlite>) + Sync> {
    let cert = certification.0.clone();
    let access = access_ids
        .map(|ids| encode_json!("access ids", ids))
        .transpose()?;
    Ok(move |q: &mut QueryBuilder<'static, Sqlite>| {
        q.push("FROM review_items WHERE certification_id = ");
        q.push_bind(cert.clone());
        if let Some(access) = &access {
            q.push(" AND access_id IN (SELECT value FROM json_each(");
            q.push_bind(access.clone());
            q.push("))");
        }
    })
}

/// A certification's item list over `from_where` (made by [`items_of`]).
fn items_list(from_where: FromWhere<'_>) -> ListSql<'_> {
    ListSql {
        columns: ITEM_JSON,
        from_where,
        fields: ITEM_FIELDS,
        default_order: "id",
        tie: "id",
    }
}

/// Runs a list: the query's filter, order and page are appended to the fixed part, and the
/// same conditions are counted when asked.
async fn fetch_page<T>(
    store: &SqliteStore,
    list: ListSql<'_>,
    query: &ListQuery,
    decode: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {} ", list.columns));
    (list.from_where)(&mut q);
    push_and_filter(&mut q, query, list.fields)?;
    q.push(order_by(
        &query.sort,
        list.fields,
        list.default_order,
        list.tie,
    )?);
    push_page(&mut q, query);
    let rows = q.build().fetch_all(&store.reader).await.map_err(db_err)?;
    let items = rows.iter().map(decode).collect::<StoreResult<Vec<T>>>()?;
    Ok(Page {
        items,
        total: count_list(&store.reader, &list, query).await?,
    })
}

/// Runs a list whose `columns` is one JSON array a row (`ITEM_JSON`, `SUMMARY_JSON`) named
/// `column`, and reads the whole page as one value: the rows' arrays joined into one JSON
/// array, in the list's order. Every row that crosses from the connection's thread is a
/// wake-up of the task waiting for it; a page of a hundred rows read as one row costs one.
/// The order is numbered with `row_number()` over the list's own `ORDER BY` (which SQLite
/// sorts once for both) and the rows are joined in that order, so it does not rest on how
/// SQLite happens to feed an aggregate. For lists within one certification: the numbering
/// covers every matching row before the page is cut.
async fn fetch_json_page<C, T>(
    store: &SqliteStore,
    list: ListSql<'_>,
    column: &str,
    query: &ListQuery,
    decode: fn(C) -> StoreResult<T>,
) -> StoreResult<Page<T>>
where
    C: serde::de::DeserializeOwned,
{
    let order = order_by(&query.sort, list.fields, list.default_order, list.tie)?;
    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {} FROM (SELECT {}, row_number() OVER ({order}) AS row_number ",
        json_rows(column, "ORDER BY row_number"),
        list.columns,
    ));
    (list.from_where)(&mut q);
    push_and_filter(&mut q, query, list.fields)?;
    q.push(&order);
    push_page(&mut q, query);
    q.push(")");
    let page: String = q
        .build_query_scalar()
        .fetch_one(&store.reader)
        .await
        .map_err(db_err)?;
    let rows: Vec<C> = decode_columns(column, &page)?;
    let items = rows
        .into_iter()
        .map(decode)
        .collect::<StoreResult<Vec<T>>>()?;
    Ok(Page {
        items,
        total: count_list(&store.reader, &list, query).await?,
    })
}

/// The aggregate that joins the JSON rows of `column` into one JSON array, in `order` (an
/// `ORDER BY ...` or nothing); an empty array when there are none.
fn json_rows(column: &str, order: &str) -> String {
    format!("'[' || coalesce(group_concat({column}, ',' {order}), '') || ']'")
}

/// The number of rows `list` holds under the query's filter, when the query asks for it.
async fn count_list<'c, E>(
    executor: E,
    list: &ListSql<'_>,
    query: &ListQuery,
) -> StoreResult<Option<u64>>
where
    E: sqlx::Executor<'c, Database = Sqlite>,
{
    Ok(if query.count {
        let mut c = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) ");
        (list.from_where)(&mut c);
        push_and_filter(&mut c, query, list.fields)?;
        let n: i64 = c
            .build_query_scalar()
            .fetch_one(executor)
            .await
            .map_err(db_err)?;
        Some(u64::try_from(n).unwrap_or(0))
    } else {
        None
    })
}

impl SqliteStore {
    /// Starts a write transaction holding the write lock.
    pub(crate) async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)
    }
}

/// Writes a new campaign with its task and audit event on `tx` (the caller's transaction).
pub(crate) async fn insert_campaign_rows(
    tx: &mut SqliteConnection,
    campaign: &Campaign,
    task: &Task,
    audit: &AuditEvent,
) -> StoreResult<()> {
    let d = &campaign.definition;
    sqlx::query(
        "INSERT INTO campaigns (id, name, type, status, deadline, definition, owner_id, \
             created, modified, activated, completed, alerts, source_ids, \
             certifications_total, certifications_completed, items_total, items_decided, \
             identities_total) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
             ?17, ?18)",
    )
    .bind(campaign.id.as_str())
    .bind(&d.name)
    .bind(d.scope.campaign_type().as_str())
    .bind(campaign.status.as_str())
    .bind(opt_time(d.deadline))
    .bind(encode_json!("campaign definition", d)?)
    .bind(campaign.owner.as_str())
    .bind(encode_time(&campaign.created))
    .bind(encode_time(&campaign.modified))
    .bind(opt_time(campaign.activated))
    .bind(opt_time(campaign.completed))
    .bind(encode_json!("campaign alerts", &campaign.alerts)?)
    .bind(encode_json!("campaign sources", &campaign.source_ids)?)
    .bind(campaign.counts.certifications_total)
    .bind(campaign.counts.certifications_completed)
    .bind(campaign.counts.items_total)
    .bind(campaign.counts.items_decided)
    .bind(campaign.counts.identities_total)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    outbox::insert_task_row(tx, task).await?;
    insert_audit(tx, std::slice::from_ref(audit)).await?;
    Ok(())
}

/// Reads one certification on `conn`.
pub(crate) async fn load_certification(
    conn: &mut SqliteConnection,
    id: &str,
) -> StoreResult<Option<Certification>> {
    let row = sqlx::query(&format!(
        "SELECT {CERTIFICATION_COLUMNS} FROM certifications WHERE id = ?1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(certification_from_row).transpose()
}

/// Appends audit events with one multi-row statement per chunk.
pub(crate) async fn insert_audit(
    conn: &mut SqliteConnection,
    events: &[AuditEvent],
) -> StoreResult<()> {
    const COLUMNS: usize = 8;
    for chunk in events.chunks(rows::rows_per_statement(COLUMNS)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_events (at, actor_identity_id, actor_client_id, action, \
             campaign_id, certification_id, item_id, detail) ",
        );
        let mut encoded = Vec::with_capacity(chunk.len());
        for e in chunk {
            encoded.push(encode_json!("audit detail", &e.detail)?);
        }
        q.push_values(chunk.iter().zip(encoded), |mut b, (e, detail)| {
            b.push_bind(encode_time(&e.at))
                .push_bind(e.actor.identity_id.as_ref().map(|i| i.0.clone()))
                .push_bind(e.actor.client_id.clone())
                .push_bind(e.action.clone())
                .push_bind(e.campaign_id.as_ref().map(|c| c.0.clone()))
                .push_bind(e.certification_id.as_ref().map(|c| c.0.clone()))
                .push_bind(e.item_id.map(|i| i.0))
                .push_bind(detail);
        });
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Reads one campaign on `conn`.
pub(crate) async fn load_campaign(
    conn: &mut SqliteConnection,
    id: &str,
) -> StoreResult<Option<Campaign>> {
    let row = sqlx::query(&format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    row.as_ref().map(campaign_from_row).transpose()
}

/// Appends `alerts` to a campaign's alerts.
pub(crate) async fn append_alerts(
    conn: &mut SqliteConnection,
    id: &str,
    alerts: &[CampaignAlert],
) -> StoreResult<()> {
    if alerts.is_empty() {
        return Ok(());
    }
    let stored: String = sqlx::query_scalar("SELECT alerts FROM campaigns WHERE id = ?1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let mut all: Vec<CampaignAlert> = decode_json!("campaign alerts", stored)?;
    all.extend_from_slice(alerts);
    sqlx::query("UPDATE campaigns SET alerts = ?1 WHERE id = ?2")
        .bind(encode_json!("campaign alerts", &all)?)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// The SQL spelling of an optional time.
pub(crate) fn opt_time(time: Option<DateTime<Utc>>) -> Option<String> {
    time.as_ref().map(encode_time)
}

#[async_trait]
impl CampaignStore for SqliteStore {
    async fn allocate_ids(&self, n: i64) -> StoreResult<i64> {
        let mut tx = self.write().await?;
        let first = generation::allocate_ids(&mut tx, n).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(first)
    }

    async fn insert_campaign(
        &self,
        campaign: &Campaign,
        task: &Task,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_campaign_rows(&mut tx, campaign, task, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn campaign(&self, id: &CampaignId) -> StoreResult<Option<Campaign>> {
        let mut conn = self.reader.acquire().await.map_err(db_err)?;
        load_campaign(&mut conn, id.as_str()).await
    }

    async fn list_campaigns(&self, query: &ListQuery) -> StoreResult<Page<Campaign>> {
        fetch_page(
            self,
            ListSql {
                columns: CAMPAIGN_COLUMNS,
                from_where: &|q| {
                    q.push("FROM campaigns WHERE 1 = 1");
                },
                fields: CAMPAIGN_FIELDS,
                default_order: "created",
                tie: "id",
            },
            query,
            campaign_from_row,
        )
        .await
    }

    async fn update_campaign_definition(
        &self,
        id: &CampaignId,
        expected: CampaignStatus,
        definition: &CampaignDefinition,
        modified: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE campaigns SET name = ?1, type = ?2, deadline = ?3, definition = ?4, \
             modified = ?5 WHERE id = ?6 AND status = ?7",
        )
        .bind(&definition.name)
        .bind(definition.scope.campaign_type().as_str())
        .bind(opt_time(definition.deadline))
        .bind(encode_json!("campaign definition", definition)?)
        .bind(encode_time(&modified))
        .bind(id.as_str())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        // Certifications show the campaign's name; an active campaign's deadline is their due.
        sqlx::query(
            "UPDATE certifications SET campaign_name = ?1, \
             due = CASE WHEN phase = 'ACTIVE' THEN ?2 ELSE due END \
             WHERE campaign_id = ?3",
        )
        .bind(&definition.name)
        .bind(opt_time(definition.deadline))
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
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
        let mut tx = self.write().await?;
        let changed = sqlx::query(
            "UPDATE campaigns SET status = ?1, modified = ?2, \
             activated = CASE WHEN ?1 = 'ACTIVE' THEN ?2 ELSE activated END, \
             completed = CASE WHEN ?1 = 'COMPLETED' THEN ?2 ELSE completed END \
             WHERE id = ?3 AND status = ?4",
        )
        .bind(next.as_str())
        .bind(encode_time(&at))
        .bind(id.as_str())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        append_alerts(&mut tx, id.as_str(), alerts).await?;
        if let Some(task) = task {
            outbox::insert_task_row(&mut tx, task).await?;
        }
        insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn delete_campaigns(&self, ids: &[CampaignId], audit: &[AuditEvent]) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut existed = 0;
        for id in ids {
            let id = id.as_str();
            let found = sqlx::query("DELETE FROM campaigns WHERE id = ?1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
            existed += found;
            // The CAMPAIGN_DELETE task that is doing this work stays, so clients can poll it.
            sqlx::query(
                "DELETE FROM tasks WHERE task_type <> 'CAMPAIGN_DELETE' AND (target_id = ?1 \
                 OR target_id IN (SELECT id FROM certifications WHERE campaign_id = ?1))",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            generation::delete_generated(&mut tx, id).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(existed)
    }

    async fn candidates(
        &self,
        scope: &CandidateScope,
        after: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candidate>> {
        generation::candidates(self, scope, after, limit).await
    }

    async fn identities_page(
        &self,
        after: Option<&IdentityId>,
        limit: u32,
    ) -> StoreResult<Vec<(IdentityId, serde_json::Value)>> {
        generation::identities_page(self, after, limit).await
    }

    async fn clear_generated(&self, campaign: &CampaignId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        generation::delete_generated(&mut tx, campaign.as_str()).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn insert_items(&self, items: &[ReviewItem]) -> StoreResult<()> {
        generation::insert_items(self, items).await
    }

    async fn finish_generation(
        &self,
        campaign: &CampaignId,
        result: &GenerationResult,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        generation::finish_generation(self, campaign, result, at, audit).await
    }

    async fn finish_activation(
        &self,
        campaign: &CampaignId,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        generation::finish_activation(self, campaign, at, audit).await
    }

    async fn certification(&self, id: &CertificationId) -> StoreResult<Option<Certification>> {
        let mut conn = self.reader.acquire().await.map_err(db_err)?;
        load_certification(&mut conn, id.as_str()).await
    }

    async fn list_certifications(
        &self,
        scope: &CertificationScope,
        query: &ListQuery,
    ) -> StoreResult<Page<Certification>> {
        let reviewer = match scope {
            CertificationScope::All => None,
            CertificationScope::ReviewedBy(id) => Some(id.0.clone()),
        };
        fetch_page(
            self,
            ListSql {
                columns: CERTIFICATION_COLUMNS,
                from_where: &|q| {
                    q.push("FROM certifications WHERE ");
                    match &reviewer {
                        None => {
                            q.push("1 = 1");
                        }
                        Some(id) => {
                            q.push("(reviewer_id = ");
                            q.push_bind(id.clone());
                            q.push(
                                " OR reviewer_group_id IN (SELECT group_id FROM \
                                 governance_group_members WHERE identity_id = ",
                            );
                            q.push_bind(id.clone());
                            q.push("))");
                        }
                    }
                },
                fields: CERTIFICATION_FIELDS,
                default_order: "created",
                tie: "id",
            },
            query,
            certification_from_row,
        )
        .await
    }

    async fn is_reviewer(&self, id: &CertificationId, identity: &IdentityId) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM certifications c WHERE c.id = ?1 AND (c.reviewer_id = ?2 OR \
             EXISTS (SELECT 1 FROM governance_group_members m \
                     WHERE m.group_id = c.reviewer_group_id AND m.identity_id = ?2))",
        )
        .bind(id.as_str())
        .bind(identity.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        Ok(found.is_some())
    }

    async fn certification_reviewers(
        &self,
        id: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<Identity>> {
        let cert = id.0.clone();
        fetch_page(
            self,
            ListSql {
                columns: "id, name, display_name, email, manager_id, department, title, \
                          location, lifecycle_state, active, attributes",
                from_where: &|q| {
                    // The group's members when a group reviews, else the reviewer.
                    q.push(
                        "FROM identities WHERE id IN (\
                         SELECT m.identity_id FROM certifications c \
                         JOIN governance_group_members m ON m.group_id = c.reviewer_group_id \
                         WHERE c.id = ",
                    );
                    q.push_bind(cert.clone());
                    q.push(
                        " UNION SELECT c.reviewer_id FROM certifications c \
                         WHERE c.reviewer_group_id IS NULL AND c.id = ",
                    );
                    q.push_bind(cert.clone());
                    q.push(")");
                },
                fields: REVIEWER_FIELDS,
                default_order: "name",
                tie: "id",
            },
            query,
            rows::identity_from_row,
        )
        .await
    }

    async fn list_items(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        let from_where = items_of(certification, access_ids)?;
        fetch_json_page(
            self,
            items_list(&from_where),
            "item",
            query,
            item_from_columns,
        )
        .await
    }

    async fn item_page(
        &self,
        certification: &CertificationId,
        access_ids: Option<&[String]>,
        query: &ListQuery,
    ) -> StoreResult<Option<ItemPage>> {
        let from_where = items_of(certification, access_ids)?;
        let list = items_list(&from_where);
        let order = order_by(&query.sort, list.fields, list.default_order, list.tie)?;
        // The page is numbered in its order (see `fetch_json_page`) and kept, once, for the
        // three reads of it: its items, their identity summaries, their accounts. What is
        // kept (and sorted) is the items' ids, not their JSON: each item's JSON is built once,
        // from its row found again by id, as the page's array is joined.
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "WITH page AS MATERIALIZED (SELECT id AS page_item, \
             identity_summary_id AS page_summary, account_id AS page_account, \
             row_number() OVER ({order}) AS page_position "
        ));
        from_where(&mut q);
        push_and_filter(&mut q, query, list.fields)?;
        q.push(&order);
        push_page(&mut q, query);
        q.push(format!(
            ") SELECT {CERTIFICATION_COLUMNS}, \
             (SELECT {} FROM (SELECT {ITEM_JSON}, page_position FROM page \
                    JOIN review_items ON review_items.id = page_item)) AS page_items, \
             (SELECT {} FROM (SELECT {SUMMARY_JSON} FROM identity_summaries \
                    WHERE id IN (SELECT page_summary FROM page))) AS page_summaries, \
             (SELECT {} FROM (SELECT {ACCOUNT_JSON} FROM accounts \
                    WHERE id IN (SELECT page_account FROM page))) AS page_accounts, \
             (SELECT COUNT(*) FROM import_runs) AS warehouse_version \
             FROM certifications WHERE id = ",
            json_rows("item", "ORDER BY page_position"),
            json_rows("summary", ""),
            json_rows("account", ""),
        ));
        q.push_bind(certification.0.clone());
        // The count, when asked, sees the same snapshot as the page.
        let (row, total) = if query.count {
            let mut tx = self.reader.begin().await.map_err(db_err)?;
            let row = q.build().fetch_optional(&mut *tx).await.map_err(db_err)?;
            let total = count_list(&mut *tx, &list, query).await?;
            tx.commit().await.map_err(db_err)?;
            (row, total)
        } else {
            let row = q
                .build()
                .fetch_optional(&self.reader)
                .await
                .map_err(db_err)?;
            (row, None)
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let items: Vec<ItemColumns> = get_columns(&row, "page_items", "review item rows")?;
        let summaries: Vec<SummaryColumns> =
            get_columns(&row, "page_summaries", "identity summary rows")?;
        let accounts: Vec<AccountColumns> = get_columns(&row, "page_accounts", "account rows")?;
        let version: i64 = get(&row, "warehouse_version")?;
        Ok(Some(ItemPage {
            certification: certification_from_row(&row)?,
            items: Page {
                items: items
                    .into_iter()
                    .map(item_from_columns)
                    .collect::<StoreResult<_>>()?,
                total,
            },
            summaries: summaries
                .into_iter()
                .map(identity_summary_from_columns)
                .collect::<StoreResult<_>>()?,
            accounts: accounts
                .into_iter()
                .map(account_from_columns)
                .collect::<StoreResult<_>>()?,
            warehouse_version: u64::try_from(version).unwrap_or(0),
        }))
    }

    async fn list_access_summaries(
        &self,
        certification: &CertificationId,
        access_type: ItemAccessType,
        query: &ListQuery,
    ) -> StoreResult<Page<ReviewItem>> {
        let cert = certification.0.clone();
        fetch_json_page(
            self,
            ListSql {
                columns: ITEM_JSON,
                from_where: &|q| {
                    // The representative of each access item is its first (lowest-id) item.
                    q.push(
                        "FROM review_items WHERE id IN (SELECT MIN(id) FROM review_items \
                         WHERE certification_id = ",
                    );
                    q.push_bind(cert.clone());
                    q.push(" AND access_type = ");
                    q.push_bind(access_type.as_str());
                    q.push(" GROUP BY access_id)");
                },
                fields: ITEM_FIELDS,
                default_order: "access_name",
                tie: "id",
            },
            "item",
            query,
            item_from_columns,
        )
        .await
    }

    async fn item(
        &self,
        certification: &CertificationId,
        item: ReviewItemId,
    ) -> StoreResult<Option<ReviewItem>> {
        let row = sqlx::query(&format!(
            "SELECT {ITEM_JSON} FROM review_items WHERE id = ?1 AND certification_id = ?2"
        ))
        .bind(item.0)
        .bind(certification.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(item_from_row).transpose()
    }

    async fn list_identity_summaries(
        &self,
        certification: &CertificationId,
        query: &ListQuery,
    ) -> StoreResult<Page<IdentitySummary>> {
        let cert = certification.0.clone();
        fetch_json_page(
            self,
            ListSql {
                columns: SUMMARY_JSON,
                from_where: &|q| {
                    q.push("FROM identity_summaries WHERE certification_id = ");
                    q.push_bind(cert.clone());
                },
                fields: SUMMARY_FIELDS,
                default_order: "id",
                tie: "id",
            },
            "summary",
            query,
            identity_summary_from_columns,
        )
        .await
    }

    async fn identity_summary(
        &self,
        certification: &CertificationId,
        id: IdentitySummaryId,
    ) -> StoreResult<Option<IdentitySummary>> {
        let row = sqlx::query(&format!(
            "SELECT {SUMMARY_JSON} FROM identity_summaries \
             WHERE id = ?1 AND certification_id = ?2"
        ))
        .bind(id.0)
        .bind(certification.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        row.as_ref().map(identity_summary_from_row).transpose()
    }

    async fn decide(
        &self,
        certification: &CertificationId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        review::decide(self, certification, None, decisions, actor, at).await
    }

    async fn decide_as_reviewer(
        &self,
        certification: &CertificationId,
        reviewer: &IdentityId,
        decisions: &[ItemDecision],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<Certification, CertificationRefusal>> {
        review::decide(self, certification, Some(reviewer), decisions, actor, at).await
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
        review::reassign(self, certification, targets, to, reason, actor, at).await
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
        review::reassign_certifications(self, campaign, certifications, to, reason, actor, at).await
    }

    async fn sign_off(
        &self,
        certification: &CertificationId,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> StoreResult<Result<(Certification, SignOffOutcome), CertificationRefusal>> {
        review::sign_off(self, certification, actor, at).await
    }

    async fn complete_campaign(
        &self,
        campaign: &CampaignId,
        action: Decision,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        review::complete_campaign(self, campaign, action, at, audit).await
    }

    async fn insert_task(&self, task: &Task, audit: Option<&AuditEvent>) -> StoreResult<()> {
        let mut tx = self.write().await?;
        outbox::insert_task_row(&mut tx, task).await?;
        if let Some(audit) = audit {
            insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn task(&self, id: &TaskId) -> StoreResult<Option<Task>> {
        outbox::task(self, id).await
    }

    async fn tasks_of(&self, target_id: &str, pending_only: bool) -> StoreResult<Vec<Task>> {
        outbox::tasks_of(self, target_id, pending_only).await
    }

    async fn list_tasks(&self, query: &ListQuery) -> StoreResult<Page<Task>> {
        fetch_page(
            self,
            ListSql {
                columns: rows::TASK_COLUMNS,
                from_where: &|q| {
                    q.push("FROM tasks WHERE 1 = 1");
                },
                fields: outbox::TASK_FIELDS,
                default_order: "created",
                tie: "id",
            },
            query,
            rows::task_from_row,
        )
        .await
    }

    async fn claim_task(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Option<Task>> {
        outbox::claim_task(self, worker, now, lease_until).await
    }

    async fn finish_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        errors: &[String],
        trail: &[ReassignmentTrail],
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        outbox::finish_task(self, id, status, errors, trail, retry_at).await
    }

    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<ProvisioningOrder>> {
        outbox::list_orders(self, query).await
    }

    async fn audit_events(
        &self,
        campaign: &CampaignId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<AuditEvent>> {
        outbox::audit_events(self, campaign, limit, offset).await
    }

    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_audit(&mut tx, events).await?;
        tx.commit().await.map_err(db_err)
    }
}
