//! Imports ([`ImportStore`], [`ImportTx`]): one `BEGIN IMMEDIATE` transaction on the writer.
//!
//! Policy: an import owns the writer connection from `begin_import` until it commits, rolls
//! back or is dropped (sqlx rolls a dropped transaction back before the connection returns to
//! the pool), so imports never interleave and nothing is visible before commit. Batches are
//! written with multi-row statements, chunked under SQLite's bound-variable limit; never one
//! statement per row. Nothing here judges the data: references, duplicates and manager loops
//! are the engine's to check, and foreign keys are deferred to commit.
//!
//! Re-imports are cheap when little changed: an upsert leaves a row whose values are all
//! unchanged untouched (no page written, no index entry moved), and so does the assignment
//! merge.
//!
//! Assignments are staged into a per-connection TEMP table (`temp.staged_assignments`,
//! created by `begin_import` inside the transaction and dropped before commit; a rollback
//! undoes its creation), so a pooled connection is always clean for the next import.

use std::time::Instant;

use async_trait::async_trait;
use attest_domain::*;
use attest_store::{
    AssignmentMerge, DuplicateLine, ImportStore, ImportTx, RecordKind, StagedAssignment,
    StoreError, StoreResult,
};
use chrono::{DateTime, Utc};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use crate::codec::{encode_attributes, encode_time};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

/// SQLite's limit on bound variables in one statement (`SQLITE_MAX_VARIABLE_NUMBER`).
const MAX_VARIABLES: usize = 32_766;

/// Most rows in one multi-row statement. Between 100 and 4,000 rows per statement the time
/// per row hardly changes (measured with `examples/import_benchmark.rs`), while the statement
/// text and its prepared form keep growing.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// Rows per statement for a table of `columns` bound columns.
fn rows_per_statement(columns: usize) -> usize {
    (MAX_VARIABLES / columns.max(1)).clamp(1, MAX_ROWS_PER_STATEMENT)
}

/// Inserts `rows` with `<head> VALUES (...), (...) <tail>`, as many rows per statement as
/// fit. `push` binds one row's `columns` values. Every full chunk has the same text, so sqlx's
/// per-connection statement cache prepares it once.
async fn insert_rows<'a, T, F>(
    conn: &mut SqliteConnection,
    head: &str,
    columns: usize,
    rows: &'a [T],
    tail: &str,
    mut push: F,
) -> StoreResult<()>
where
    T: Sync,
    F: FnMut(Separated<'_, 'a, Sqlite, &'static str>, &'a T) + Send,
{
    for chunk in rows.chunks(rows_per_statement(columns)) {
        let mut query = QueryBuilder::<Sqlite>::new(head);
        query.push_values(chunk, &mut push);
        query.push(tail);
        query.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Deletes the rows of `table` whose `column` is one of `ids`, in chunks.
async fn delete_where_in(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    ids: &[&str],
) -> StoreResult<()> {
    for chunk in ids.chunks(rows_per_statement(1)) {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("DELETE FROM {table} WHERE {column} IN ("));
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        query.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// A record table written by id: `columns[0]` is `id`, the rest are replaced on conflict.
struct RecordTable {
    table: &'static str,
    columns: &'static [&'static str],
}

impl RecordTable {
    /// `INSERT INTO table (columns) ` (the rows follow).
    fn head(&self) -> String {
        format!("INSERT INTO {} ({}) ", self.table, self.columns.join(", "))
    }

    /// The conflict clause: replace every non-id column, but only when one of them differs,
    /// so an unchanged record costs a lookup and no write.
    fn tail(&self) -> String {
        let rest = self.columns.get(1..).unwrap_or_default();
        let set: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let changed: Vec<String> = rest
            .iter()
            .map(|c| format!("{}.{c} IS NOT excluded.{c}", self.table))
            .collect();
        format!(
            " ON CONFLICT (id) DO UPDATE SET {} WHERE {}",
            set.join(", "),
            changed.join(" OR ")
        )
    }

    /// Upserts `rows`; `push` binds one row's values in the order of `columns`.
    async fn upsert<'a, T, F>(
        &self,
        conn: &mut SqliteConnection,
        rows: &'a [T],
        push: F,
    ) -> StoreResult<()>
    where
        T: Sync,
        F: FnMut(Separated<'_, 'a, Sqlite, &'static str>, &'a T) + Send,
    {
        insert_rows(
            conn,
            &self.head(),
            self.columns.len(),
            rows,
            &self.tail(),
            push,
        )
        .await
    }
}

const IDENTITIES: RecordTable = RecordTable {
    table: "identities",
    columns: &[
        "id",
        "name",
        "display_name",
        "email",
        "manager_id",
        "department",
        "title",
        "location",
        "lifecycle_state",
        "active",
        "attributes",
    ],
};
const SOURCES: RecordTable = RecordTable {
    table: "sources",
    columns: &["id", "name", "description", "owner_id", "type"],
};
const ENTITLEMENTS: RecordTable = RecordTable {
    table: "entitlements",
    columns: &[
        "id",
        "source_id",
        "name",
        "attribute",
        "value",
        "description",
        "privileged",
        "owner_id",
    ],
};
const ACCESS_PROFILES: RecordTable = RecordTable {
    table: "access_profiles",
    columns: &["id", "name", "description", "source_id", "owner_id"],
};
const ROLES: RecordTable = RecordTable {
    table: "roles",
    columns: &["id", "name", "description", "owner_id", "privileged"],
};
const ACCOUNTS: RecordTable = RecordTable {
    table: "accounts",
    columns: &[
        "id",
        "source_id",
        "native_identity",
        "name",
        "identity_id",
        "machine",
        "owner_id",
        "disabled",
        "locked",
        "last_used",
    ],
};
const GOVERNANCE_GROUPS: RecordTable = RecordTable {
    table: "governance_groups",
    columns: &["id", "name", "description", "owner_id"],
};

/// A member list table: `table (owner_column, member_column, position)`.
struct MemberList {
    table: &'static str,
    owner_column: &'static str,
    member_column: &'static str,
}

const ACCESS_PROFILE_ENTITLEMENTS: MemberList = MemberList {
    table: "access_profile_entitlements",
    owner_column: "access_profile_id",
    member_column: "entitlement_id",
};
const ROLE_ACCESS_PROFILES: MemberList = MemberList {
    table: "role_access_profiles",
    owner_column: "role_id",
    member_column: "access_profile_id",
};
const ROLE_ENTITLEMENTS: MemberList = MemberList {
    table: "role_entitlements",
    owner_column: "role_id",
    member_column: "entitlement_id",
};
const GOVERNANCE_GROUP_MEMBERS: MemberList = MemberList {
    table: "governance_group_members",
    owner_column: "group_id",
    member_column: "identity_id",
};

impl MemberList {
    /// Replaces the lists of the given owners: deletes every member row of those owners, then
    /// inserts the new members with their positions (bundle order).
    async fn replace<'a, L, M>(&self, conn: &mut SqliteConnection, lists: L) -> StoreResult<()>
    where
        L: IntoIterator<Item = (&'a str, M)>,
        M: IntoIterator<Item = &'a str>,
    {
        let mut owners = Vec::new();
        let mut rows: Vec<(&str, &str, i64)> = Vec::new();
        for (owner, members) in lists {
            owners.push(owner);
            rows.extend(
                members
                    .into_iter()
                    .zip(0_i64..)
                    .map(|(member, position)| (owner, member, position)),
            );
        }
        delete_where_in(conn, self.table, self.owner_column, &owners).await?;
        let head = format!(
            "INSERT INTO {} ({}, {}, position) ",
            self.table, self.owner_column, self.member_column
        );
        insert_rows(
            conn,
            &head,
            3,
            &rows,
            "",
            |mut b, (owner, member, position)| {
                b.push_bind(*owner).push_bind(*member).push_bind(*position);
            },
        )
        .await
    }
}

/// A line number as stored (SQLite integers are signed).
fn line_number(line: i64) -> StoreResult<u64> {
    u64::try_from(line).map_err(|e| corrupt("staged line number", e))
}

/// One import in progress: the open write transaction and this import's run id.
pub(crate) struct SqliteImport {
    /// The `BEGIN IMMEDIATE` transaction on the writer connection (rolled back on drop).
    tx: Transaction<'static, Sqlite>,
    /// `import_runs.id` of this import; assignments it adds or changes carry it.
    run_id: i64,
    /// The writer pool (one connection), to put its cache back once the transaction is over.
    writer: sqlx::SqlitePool,
    /// How many rows were staged into `temp.staged_assignments`.
    staged: u64,
    /// Whether the key index of the staged rows exists yet (it is built on first need).
    staged_key_index: bool,
}

impl SqliteImport {
    /// The connection the import writes through.
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    /// Indexes the staged rows by key and line, once, after staging. Staging appends to a
    /// plain table and one sort then builds the index: cheaper than keeping a key-ordered
    /// table up to date row by row, and insensitive to the order of the bundle's lines. The
    /// duplicate check groups along this index, and the merge probes it and reads the staged
    /// rows in key order, so the assignments' unique index grows sequentially.
    async fn ensure_staged_key_index(&mut self) -> StoreResult<()> {
        if !self.staged_key_index {
            sqlx::query(
                "CREATE INDEX temp.staged_assignments_key
                 ON staged_assignments (holder_key, access_type, access_id, line)",
            )
            .execute(self.conn())
            .await
            .map_err(db_err)?;
            self.staged_key_index = true;
        }
        Ok(())
    }
}

#[async_trait]
impl ImportStore for SqliteStore {
    async fn begin_import(&self, started_at: DateTime<Utc>) -> StoreResult<Box<dyn ImportTx>> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        // A larger page cache for the import's index work; put back by `end_import_cache`.
        sqlx::query(&format!("PRAGMA cache_size = -{}", crate::IMPORT_CACHE_KIB))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // The table is created inside the transaction, so a rollback removes it too; a
        // leftover would be a bug, but is cheap to rule out.
        sqlx::query("DROP TABLE IF EXISTS temp.staged_assignments")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "CREATE TEMP TABLE staged_assignments (
                 line        INTEGER NOT NULL,
                 holder_key  TEXT NOT NULL,
                 identity_id TEXT,
                 account_id  TEXT,
                 access_type TEXT NOT NULL,
                 access_id   TEXT NOT NULL,
                 origin      TEXT NOT NULL,
                 granted_at  TEXT
             )",
        )
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let run_id: i64 =
            sqlx::query_scalar("INSERT INTO import_runs (started_at) VALUES (?1) RETURNING id")
                .bind(encode_time(&started_at))
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
        tracing::debug!(run_id, "import started");
        Ok(Box::new(SqliteImport {
            tx,
            run_id,
            writer: self.writer.clone(),
            staged: 0,
            staged_key_index: false,
        }))
    }
}

#[async_trait]
impl ImportTx for SqliteImport {
    async fn existing_ids(&mut self, kind: RecordKind) -> StoreResult<Vec<String>> {
        let sql = match kind {
            RecordKind::Identity => "SELECT id FROM identities",
            RecordKind::Source => "SELECT id FROM sources",
            RecordKind::Entitlement => "SELECT id FROM entitlements",
            RecordKind::AccessProfile => "SELECT id FROM access_profiles",
            RecordKind::Role => "SELECT id FROM roles",
            RecordKind::Account => "SELECT id FROM accounts",
            RecordKind::GovernanceGroup => "SELECT id FROM governance_groups",
        };
        sqlx::query_scalar(sql)
            .fetch_all(self.conn())
            .await
            .map_err(db_err)
    }

    async fn existing_managers(&mut self) -> StoreResult<Vec<(IdentityId, IdentityId)>> {
        let pairs: Vec<(String, String)> =
            sqlx::query_as("SELECT id, manager_id FROM identities WHERE manager_id IS NOT NULL")
                .fetch_all(self.conn())
                .await
                .map_err(db_err)?;
        Ok(pairs
            .into_iter()
            .map(|(id, manager)| (IdentityId(id), IdentityId(manager)))
            .collect())
    }

    async fn upsert_identities(&mut self, batch: &[Identity]) -> StoreResult<()> {
        let rows = batch
            .iter()
            .map(|i| Ok((i, encode_attributes(&i.attributes)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        IDENTITIES
            .upsert(self.conn(), &rows, |mut b, (i, attributes)| {
                b.push_bind(i.id.as_str())
                    .push_bind(i.name.as_str())
                    .push_bind(i.display_name.as_deref())
                    .push_bind(i.email.as_deref())
                    .push_bind(i.manager_id.as_ref().map(IdentityId::as_str))
                    .push_bind(i.department.as_deref())
                    .push_bind(i.title.as_deref())
                    .push_bind(i.location.as_deref())
                    .push_bind(i.lifecycle_state.as_deref())
                    .push_bind(i.active)
                    .push_bind(attributes.as_str());
            })
            .await
    }

    async fn upsert_sources(&mut self, batch: &[Source]) -> StoreResult<()> {
        SOURCES
            .upsert(self.conn(), batch, |mut b, s| {
                b.push_bind(s.id.as_str())
                    .push_bind(s.name.as_str())
                    .push_bind(s.description.as_deref())
                    .push_bind(s.owner_id.as_ref().map(IdentityId::as_str))
                    .push_bind(s.source_type.as_deref());
            })
            .await
    }

    async fn upsert_entitlements(&mut self, batch: &[Entitlement]) -> StoreResult<()> {
        ENTITLEMENTS
            .upsert(self.conn(), batch, |mut b, e| {
                b.push_bind(e.id.as_str())
                    .push_bind(e.source_id.as_str())
                    .push_bind(e.name.as_str())
                    .push_bind(e.attribute.as_deref())
                    .push_bind(e.value.as_deref())
                    .push_bind(e.description.as_deref())
                    .push_bind(e.privileged)
                    .push_bind(e.owner_id.as_ref().map(IdentityId::as_str));
            })
            .await
    }

    async fn upsert_access_profiles(&mut self, batch: &[AccessProfile]) -> StoreResult<()> {
        ACCESS_PROFILES
            .upsert(self.conn(), batch, |mut b, p| {
                b.push_bind(p.id.as_str())
                    .push_bind(p.name.as_str())
                    .push_bind(p.description.as_deref())
                    .push_bind(p.source_id.as_ref().map(SourceId::as_str))
                    .push_bind(p.owner_id.as_ref().map(IdentityId::as_str));
            })
            .await?;
        ACCESS_PROFILE_ENTITLEMENTS
            .replace(
                self.conn(),
                batch.iter().map(|p| {
                    (
                        p.id.as_str(),
                        p.entitlement_ids.iter().map(EntitlementId::as_str),
                    )
                }),
            )
            .await
    }

    async fn upsert_roles(&mut self, batch: &[Role]) -> StoreResult<()> {
        ROLES
            .upsert(self.conn(), batch, |mut b, r| {
                b.push_bind(r.id.as_str())
                    .push_bind(r.name.as_str())
                    .push_bind(r.description.as_deref())
                    .push_bind(r.owner_id.as_ref().map(IdentityId::as_str))
                    .push_bind(r.privileged);
            })
            .await?;
        ROLE_ACCESS_PROFILES
            .replace(
                self.conn(),
                batch.iter().map(|r| {
                    (
                        r.id.as_str(),
                        r.access_profile_ids.iter().map(AccessProfileId::as_str),
                    )
                }),
            )
            .await?;
        ROLE_ENTITLEMENTS
            .replace(
                self.conn(),
                batch.iter().map(|r| {
                    (
                        r.id.as_str(),
                        r.entitlement_ids.iter().map(EntitlementId::as_str),
                    )
                }),
            )
            .await
    }

    async fn upsert_accounts(&mut self, batch: &[Account]) -> StoreResult<()> {
        let rows: Vec<(&Account, Option<String>)> = batch
            .iter()
            .map(|a| (a, a.last_used.as_ref().map(encode_time)))
            .collect();
        ACCOUNTS
            .upsert(self.conn(), &rows, |mut b, (a, last_used)| {
                b.push_bind(a.id.as_str())
                    .push_bind(a.source_id.as_str())
                    .push_bind(a.native_identity.as_str())
                    .push_bind(a.name.as_deref())
                    .push_bind(a.identity_id.as_ref().map(IdentityId::as_str))
                    .push_bind(a.machine)
                    .push_bind(a.owner_id.as_ref().map(IdentityId::as_str))
                    .push_bind(a.disabled)
                    .push_bind(a.locked)
                    .push_bind(last_used.as_deref());
            })
            .await
    }

    async fn upsert_governance_groups(&mut self, batch: &[GovernanceGroup]) -> StoreResult<()> {
        GOVERNANCE_GROUPS
            .upsert(self.conn(), batch, |mut b, g| {
                b.push_bind(g.id.as_str())
                    .push_bind(g.name.as_str())
                    .push_bind(g.description.as_deref())
                    .push_bind(g.owner_id.as_ref().map(IdentityId::as_str));
            })
            .await?;
        GOVERNANCE_GROUP_MEMBERS
            .replace(
                self.conn(),
                batch
                    .iter()
                    .map(|g| (g.id.as_str(), g.member_ids.iter().map(IdentityId::as_str))),
            )
            .await
    }

    async fn clear_permissions(&mut self) -> StoreResult<()> {
        sqlx::query("DELETE FROM entitlement_permissions")
            .execute(self.conn())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_permissions(&mut self, batch: &[Permission]) -> StoreResult<()> {
        insert_rows(
            self.conn(),
            "INSERT INTO entitlement_permissions (entitlement_id, target, rights) ",
            3,
            batch,
            "",
            |mut b, p| {
                b.push_bind(p.entitlement_id.as_str())
                    .push_bind(p.target.as_str())
                    .push_bind(p.rights.as_str());
            },
        )
        .await
    }

    async fn stage_assignments(&mut self, batch: &[StagedAssignment]) -> StoreResult<()> {
        let rows = batch
            .iter()
            .map(|s| {
                let line = i64::try_from(s.line).map_err(|_| {
                    StoreError::Database(format!("line number {} out of range", s.line))
                })?;
                let a = &s.assignment;
                Ok((
                    a,
                    line,
                    a.holder_key(),
                    a.granted_at.as_ref().map(encode_time),
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        insert_rows(
            self.conn(),
            "INSERT INTO temp.staged_assignments (line, holder_key, identity_id, account_id,
                                                  access_type, access_id, origin, granted_at) ",
            8,
            &rows,
            "",
            |mut b, (a, line, holder_key, granted_at)| {
                b.push_bind(*line)
                    .push_bind(holder_key.as_str())
                    .push_bind(a.identity_id.as_ref().map(IdentityId::as_str))
                    .push_bind(a.account_id.as_ref().map(AccountId::as_str))
                    .push_bind(a.access_type.as_str())
                    .push_bind(a.access_id.as_str())
                    .push_bind(a.origin.as_str())
                    .push_bind(granted_at.as_deref());
            },
        )
        .await?;
        self.staged += batch.len() as u64;
        Ok(())
    }

    async fn duplicate_assignments(&mut self) -> StoreResult<Vec<DuplicateLine>> {
        self.ensure_staged_key_index().await?;
        // Grouping walks the key index in order without a sort; only the keys that occur more
        // than once are joined back to find their later lines.
        let pairs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT s.line, d.first_line
             FROM (SELECT holder_key, access_type, access_id, MIN(line) AS first_line
                   FROM temp.staged_assignments
                   GROUP BY holder_key, access_type, access_id
                   HAVING COUNT(*) > 1) AS d
             JOIN temp.staged_assignments AS s
               ON s.holder_key = d.holder_key AND s.access_type = d.access_type
              AND s.access_id = d.access_id AND s.line > d.first_line
             ORDER BY s.line",
        )
        .fetch_all(self.conn())
        .await
        .map_err(db_err)?;
        pairs
            .into_iter()
            .map(|(line, first_line)| {
                Ok(DuplicateLine {
                    line: line_number(line)?,
                    first_line: line_number(first_line)?,
                })
            })
            .collect()
    }

    async fn merge_assignments(&mut self) -> StoreResult<AssignmentMerge> {
        let started = Instant::now();
        self.ensure_staged_key_index().await?;
        let run_id = self.run_id;
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assignments")
            .fetch_one(self.conn())
            .await
            .map_err(db_err)?;
        // Remove what was not staged: one pass over the assignments, each probing the staged
        // key index.
        let removed = sqlx::query(
            "DELETE FROM assignments AS a
             WHERE NOT EXISTS (SELECT 1 FROM temp.staged_assignments AS s
                               WHERE s.holder_key = a.holder_key
                                 AND s.access_type = a.access_type
                                 AND s.access_id = a.access_id)",
        )
        .execute(self.conn())
        .await
        .map_err(db_err)?
        .rows_affected();
        // Add the new and rewrite the changed, in key order so that the unique index grows
        // sequentially. An unchanged row is not written at all, so re-importing the same data
        // costs lookups, not writes; `import_run_id` is the import that last wrote a row.
        // identity_id and account_id are part of holder_key, so a conflicting row already has
        // the same ones. `WHERE true` resolves SQLite's parsing ambiguity of ON CONFLICT after
        // a SELECT.
        sqlx::query(
            "INSERT INTO assignments (holder_key, identity_id, account_id, access_type,
                                      access_id, origin, granted_at, import_run_id)
             SELECT holder_key, identity_id, account_id, access_type, access_id, origin,
                    granted_at, ?1
             FROM temp.staged_assignments WHERE true
             ORDER BY holder_key, access_type, access_id
             ON CONFLICT (holder_key, access_type, access_id) DO UPDATE SET
                 origin = excluded.origin,
                 granted_at = excluded.granted_at,
                 import_run_id = excluded.import_run_id
             WHERE assignments.origin IS NOT excluded.origin
                OR assignments.granted_at IS NOT excluded.granted_at",
        )
        .bind(run_id)
        .execute(self.conn())
        .await
        .map_err(db_err)?;
        let before = u64::try_from(before).map_err(|e| corrupt("assignment count", e))?;
        // Without duplicates (the engine's to rule out), every staged row either matched a
        // kept row or was added.
        let updated = before.saturating_sub(removed);
        let merge = AssignmentMerge {
            added: self.staged.saturating_sub(updated),
            updated,
            removed,
        };
        tracing::debug!(
            run_id,
            added = merge.added,
            updated = merge.updated,
            removed = merge.removed,
            elapsed_ms = started.elapsed().as_millis(),
            "assignments merged"
        );
        Ok(merge)
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let run_id = self.run_id;
        sqlx::query("DROP TABLE temp.staged_assignments")
            .execute(self.conn())
            .await
            .map_err(db_err)?;
        sqlx::query(
            "UPDATE import_runs SET finished_at = strftime('%Y-%m-%dT%H:%M:%f000000Z', 'now')
             WHERE id = ?1",
        )
        .bind(run_id)
        .execute(self.conn())
        .await
        .map_err(db_err)?;
        // Deferred foreign keys are checked here. SQLite keeps the transaction open when
        // COMMIT fails on them; sqlx then drops it with the error, which rolls it back.
        let writer = self.writer.clone();
        let committed = self.tx.commit().await.map_err(db_err);
        end_import_cache(&writer).await;
        committed?;
        tracing::debug!(run_id, "import committed");
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        let writer = self.writer.clone();
        let rolled_back = self.tx.rollback().await.map_err(db_err);
        end_import_cache(&writer).await;
        rolled_back
    }
}

/// Puts the writer's page cache back to its size outside imports and hands the import's
/// pages back to the allocator. Nothing written depends on it, so a failure is only logged.
async fn end_import_cache(writer: &sqlx::SqlitePool) {
    let reset = format!(
        "PRAGMA cache_size = -{}; PRAGMA shrink_memory;",
        crate::WRITER_CACHE_KIB
    );
    if let Err(error) = sqlx::raw_sql(&reset).execute(writer).await {
        tracing::warn!(%error, "could not shrink the writer's page cache after an import");
    }
}
