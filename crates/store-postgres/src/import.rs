//! One import as one PostgreSQL transaction ([`PgImport`]).
//!
//! Policy:
//! - An import holds one pooled connection and one transaction from `begin_import` to commit.
//!   Dropping it without commit rolls back (sqlx queues the `ROLLBACK` and flushes it before
//!   the connection is reused), which also releases the import lock.
//! - Imports are serialised across every node sharing the database schema by a
//!   transaction-scoped advisory lock keyed by the schema, so two installations in different
//!   schemas of one database do not wait for each other.
//! - Records are upserted a batch at a time through arrays and `UNNEST`; a row whose values
//!   are unchanged is only locked, not rewritten, so re-importing the same bundle writes little.
//! - Assignments are streamed with `COPY` into a temporary staging table (dropped at commit),
//!   checked there for duplicates, and merged into `assignments` with set-based statements
//!   that touch only the rows that are new, changed or gone.
//! - Timestamps are stored to the microsecond (PostgreSQL's precision), truncated on every path.
//! - The references that have no foreign key (see the migration) are checked here, set-based:
//!   an assignment's identity and account by `merge_assignments`, before it changes any row
//!   (the engine merges only after every record is upserted), and an account's source, identity
//!   and owner at commit. A dangling one is a bug, since the engine checks references first; it
//!   fails the import with [`StoreError::Database`] naming the offending line or account.
//! - Each long step (lock wait, duplicate check, reference checks, merge, statistics, COMMIT)
//!   logs a debug event with its elapsed time: sqlx only warns of statements slower than the
//!   pool's threshold (see the crate docs), which an import's are expected to approach.

use std::sync::LazyLock;
use std::time::Instant;

use async_trait::async_trait;
use attest_domain::*;
use attest_store::{
    AssignmentMerge, DuplicateLine, ImportTx, RecordKind, StagedAssignment, StoreError, StoreResult,
};
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::types::Json;
use sqlx::{Executor, Postgres, Row, Transaction};

use crate::error::{corrupt, store_error};

/// First half of the import lock's key (`pg_advisory_xact_lock(int, int)`); the second half
/// is a hash of the current schema. The two-key form never collides with sqlx's migration lock,
/// which uses the one-key form.
const IMPORT_LOCK_CLASS: i32 = 0x4154_5354; // "ATST"

/// Rows per `UNNEST` statement: large enough that statement overhead is negligible, small
/// enough to keep each message to the server modest.
const CHUNK: usize = 10_000;

/// One column of a chunk, as the array an `UNNEST($n::type[])` parameter binds.
fn column<'a, T, V>(rows: &'a [T], value: impl FnMut(&'a T) -> V) -> Vec<V> {
    rows.iter().map(value).collect()
}

/// Bytes of `COPY` data buffered before they are sent.
const COPY_BUFFER: usize = 1 << 20;

/// Memory for the sorts and hashes of the duplicate check and merge over a million staged
/// rows, for this transaction only (imports are serialised, so at most one uses it).
const IMPORT_WORK_MEM: &str = "256MB";

/// A merge that changes more than this share (1/n) of the assignments refreshes their
/// statistics, so that queries right after a large import (campaign generation) are planned
/// well without waiting for autovacuum.
const ANALYZE_FRACTION: u64 = 10;

/// A table into which an import upserted at least this many rows has its statistics refreshed
/// before commit, for the same reason.
const ANALYZE_UPSERTED: usize = 10_000;

/// The staging table, private to the import's session and dropped at commit.
const CREATE_STAGING: &str = r#"
CREATE TEMP TABLE attest_staged_assignments (
    line        BIGINT NOT NULL,
    holder_key  TEXT COLLATE "C" NOT NULL,
    identity_id TEXT COLLATE "C",
    account_id  TEXT COLLATE "C",
    access_type TEXT COLLATE "C" NOT NULL,
    access_id   TEXT COLLATE "C" NOT NULL,
    origin      TEXT NOT NULL,
    granted_at  TIMESTAMPTZ
) ON COMMIT DROP"#;

/// Streams rows into the staging table (text format, see [`push_copy_row`]).
const COPY_STAGING: &str = "COPY attest_staged_assignments \
     (line, holder_key, identity_id, account_id, access_type, access_id, origin, granted_at) \
     FROM STDIN";

/// Later staged lines whose key an earlier line has, with the first such line. The grouping
/// finds the (normally zero) duplicated keys with one hash aggregate; the join then runs only
/// over those.
const DUPLICATES: &str = "
WITH duplicated AS (
    SELECT holder_key, access_type, access_id, min(line) AS first_line
    FROM attest_staged_assignments
    GROUP BY holder_key, access_type, access_id
    HAVING count(*) > 1
)
SELECT s.line, d.first_line
FROM attest_staged_assignments s
JOIN duplicated d USING (holder_key, access_type, access_id)
WHERE s.line > d.first_line
ORDER BY s.line";

/// Inserts every staged row: the whole merge when nothing is stored yet.
const INSERT_ALL_STAGED: &str = "
INSERT INTO assignments
    (holder_key, identity_id, account_id, access_type, access_id, origin, granted_at, import_run_id)
SELECT holder_key, identity_id, account_id, access_type, access_id, origin, granted_at, $1
FROM attest_staged_assignments";

/// The difference between stored and staged assignments, computed with one full join and
/// kept for the three statements that apply it. A row with no `assignment_id` is new, one
/// with no `line` is to be removed, one with both has changed values. Unchanged rows are left
/// out, so re-importing the same data leaves this table empty and writes nothing.
const CREATE_CHANGES: &str = r#"
CREATE TEMP TABLE attest_assignment_changes ON COMMIT DROP AS
SELECT a.id AS assignment_id, s.line, s.holder_key, s.identity_id, s.account_id, s.access_type,
       s.access_id, s.origin, s.granted_at
FROM assignments a
FULL JOIN attest_staged_assignments s
    ON s.holder_key = a.holder_key AND s.access_type = a.access_type AND s.access_id = a.access_id
WHERE a.id IS NULL OR s.line IS NULL
   OR (a.identity_id, a.account_id, a.origin, a.granted_at)
      IS DISTINCT FROM (s.identity_id, s.account_id, s.origin, s.granted_at)"#;

/// Applies the removals of [`CREATE_CHANGES`].
const DELETE_REMOVED: &str = "
DELETE FROM assignments a USING attest_assignment_changes c
WHERE c.line IS NULL AND a.id = c.assignment_id";

/// Applies the changed values of [`CREATE_CHANGES`]; `$1` is the import run.
const UPDATE_CHANGED: &str = "
UPDATE assignments a SET
    identity_id = c.identity_id,
    account_id = c.account_id,
    origin = c.origin,
    granted_at = c.granted_at,
    import_run_id = $1
FROM attest_assignment_changes c
WHERE c.line IS NOT NULL AND a.id = c.assignment_id";

/// Adds the new rows of [`CREATE_CHANGES`]; `$1` is the import run.
const INSERT_NEW: &str = "
INSERT INTO assignments
    (holder_key, identity_id, account_id, access_type, access_id, origin, granted_at, import_run_id)
SELECT holder_key, identity_id, account_id, access_type, access_id, origin, granted_at, $1
FROM attest_assignment_changes
WHERE assignment_id IS NULL";

/// Builds the query for the first row of `rows` (staged assignments about to be written) that
/// refers to an identity or account that does not exist, as (line, kind of record, id).
///
/// These references have no foreign key (see the migration): one hash anti-join per reference
/// checks a million rows in under a second, where a deferred foreign key queued a trigger event
/// per row and checked each at commit. A row without a `line` (a removal in
/// [`CREATE_CHANGES`]) has no identity or account either, so it is never reported.
fn dangling_assignments_sql(rows: &str) -> String {
    format!(
        "
SELECT r.line, 'identity' AS kind, r.identity_id AS id
FROM {rows} r
WHERE r.identity_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM identities i WHERE i.id = r.identity_id)
UNION ALL
SELECT r.line, 'account', r.account_id
FROM {rows} r
WHERE r.account_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM accounts a WHERE a.id = r.account_id)
ORDER BY line
LIMIT 1"
    )
}

/// [`dangling_assignments_sql`] over every staged row: the first merge of an empty table
/// writes them all.
static DANGLING_STAGED: LazyLock<String> =
    LazyLock::new(|| dangling_assignments_sql("attest_staged_assignments"));

/// [`dangling_assignments_sql`] over the new and changed rows of [`CREATE_CHANGES`]: a staged
/// row equal to a stored one is not written, and the stored one passed this check when it was
/// written.
static DANGLING_CHANGES: LazyLock<String> =
    LazyLock::new(|| dangling_assignments_sql("attest_assignment_changes"));

/// The first account, by id, whose source, identity or owner does not exist, as (account id,
/// kind of reference, id referred to). Run at commit when the import wrote accounts, in place
/// of three deferred foreign keys (see the migration); one hash anti-join per reference over
/// the whole table, a few tenths of a second for 800,000 accounts.
const DANGLING_ACCOUNTS: &str = "
SELECT a.id, 'source' AS kind, a.source_id AS target
FROM accounts a
WHERE NOT EXISTS (SELECT FROM sources s WHERE s.id = a.source_id)
UNION ALL
SELECT a.id, 'identity', a.identity_id
FROM accounts a
WHERE a.identity_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM identities i WHERE i.id = a.identity_id)
UNION ALL
SELECT a.id, 'owner', a.owner_id
FROM accounts a
WHERE a.owner_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM identities i WHERE i.id = a.owner_id)
ORDER BY id
LIMIT 1";

/// Builds `INSERT ... SELECT FROM UNNEST(arrays) ... ON CONFLICT (first column) DO UPDATE`,
/// skipping rows whose values are all unchanged. `columns` are (name, element type), the key
/// first; parameter `$n` is the array for the n-th column.
fn upsert_sql(table: &str, columns: &[(&str, &str)]) -> String {
    let names: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| format!("${}::{ty}[]", i + 1))
        .collect();
    let (key, rest) = names
        .split_first()
        .map_or((String::new(), &[][..]), |(k, r)| (k.clone(), r));
    let set: Vec<String> = rest.iter().map(|n| format!("{n} = EXCLUDED.{n}")).collect();
    let old: Vec<String> = rest.iter().map(|n| format!("{table}.{n}")).collect();
    let new: Vec<String> = rest.iter().map(|n| format!("EXCLUDED.{n}")).collect();
    let names = names.join(", ");
    format!(
        "INSERT INTO {table} ({names}) SELECT {names} FROM UNNEST({arrays}) AS u({names}) \
         ON CONFLICT ({key}) DO UPDATE SET {set} WHERE ({old}) IS DISTINCT FROM ({new})",
        arrays = arrays.join(", "),
        set = set.join(", "),
        old = old.join(", "),
        new = new.join(", "),
    )
}

static UPSERT_IDENTITIES: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "identities",
        &[
            ("id", "text"),
            ("name", "text"),
            ("display_name", "text"),
            ("email", "text"),
            ("manager_id", "text"),
            ("department", "text"),
            ("title", "text"),
            ("location", "text"),
            ("lifecycle_state", "text"),
            ("active", "bool"),
            ("attributes", "jsonb"),
        ],
    )
});

static UPSERT_SOURCES: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "sources",
        &[
            ("id", "text"),
            ("name", "text"),
            ("description", "text"),
            ("owner_id", "text"),
            ("type", "text"),
        ],
    )
});

static UPSERT_ENTITLEMENTS: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "entitlements",
        &[
            ("id", "text"),
            ("source_id", "text"),
            ("name", "text"),
            ("attribute", "text"),
            ("value", "text"),
            ("description", "text"),
            ("privileged", "bool"),
            ("owner_id", "text"),
        ],
    )
});

static UPSERT_ACCESS_PROFILES: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "access_profiles",
        &[
            ("id", "text"),
            ("name", "text"),
            ("description", "text"),
            ("source_id", "text"),
            ("owner_id", "text"),
        ],
    )
});

static UPSERT_ROLES: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "roles",
        &[
            ("id", "text"),
            ("name", "text"),
            ("description", "text"),
            ("owner_id", "text"),
            ("privileged", "bool"),
        ],
    )
});

static UPSERT_ACCOUNTS: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "accounts",
        &[
            ("id", "text"),
            ("source_id", "text"),
            ("native_identity", "text"),
            ("name", "text"),
            ("identity_id", "text"),
            ("machine", "bool"),
            ("owner_id", "text"),
            ("disabled", "bool"),
            ("locked", "bool"),
            ("last_used", "timestamptz"),
        ],
    )
});

static UPSERT_GOVERNANCE_GROUPS: LazyLock<String> = LazyLock::new(|| {
    upsert_sql(
        "governance_groups",
        &[
            ("id", "text"),
            ("name", "text"),
            ("description", "text"),
            ("owner_id", "text"),
        ],
    )
});

/// A member-list table: which parent owns each row, which member it names, and its position.
struct ListTable {
    table: &'static str,
    parent: &'static str,
    member: &'static str,
}

const ACCESS_PROFILE_ENTITLEMENTS: ListTable = ListTable {
    table: "access_profile_entitlements",
    parent: "access_profile_id",
    member: "entitlement_id",
};
const ROLE_ACCESS_PROFILES: ListTable = ListTable {
    table: "role_access_profiles",
    parent: "role_id",
    member: "access_profile_id",
};
const ROLE_ENTITLEMENTS: ListTable = ListTable {
    table: "role_entitlements",
    parent: "role_id",
    member: "entitlement_id",
};
const GOVERNANCE_GROUP_MEMBERS: ListTable = ListTable {
    table: "governance_group_members",
    parent: "group_id",
    member: "identity_id",
};

/// The rows of one member-list table for one batch of parents, as parallel arrays.
#[derive(Default)]
struct ListRows<'a> {
    parents: Vec<&'a str>,
    members: Vec<&'a str>,
    positions: Vec<i32>,
}

impl<'a> ListRows<'a> {
    /// Appends `parent`'s members in order.
    fn push(&mut self, parent: &'a str, members: impl Iterator<Item = &'a str>) -> StoreResult<()> {
        for (i, member) in members.enumerate() {
            let position = i32::try_from(i)
                .map_err(|_| StoreError::Database(format!("list of {parent} is too long")))?;
            self.parents.push(parent);
            self.members.push(member);
            self.positions.push(position);
        }
        Ok(())
    }
}

/// The table that holds records of `kind`.
fn table_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Identity => "identities",
        RecordKind::Source => "sources",
        RecordKind::Entitlement => "entitlements",
        RecordKind::AccessProfile => "access_profiles",
        RecordKind::Role => "roles",
        RecordKind::Account => "accounts",
        RecordKind::GovernanceGroup => "governance_groups",
    }
}

/// Appends `value` as one field of `COPY ... FROM STDIN` text format: `\N` for NULL, and the
/// four characters the format treats specially (backslash, tab, newline, carriage return)
/// escaped with a backslash.
fn push_copy_field(buf: &mut Vec<u8>, value: Option<&str>) {
    let Some(text) = value else {
        buf.extend_from_slice(b"\\N");
        return;
    };
    if !text
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(text.as_bytes());
        return;
    }
    for b in text.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Appends one staged assignment as a line of `COPY` text format (see [`COPY_STAGING`]).
fn push_copy_row(buf: &mut Vec<u8>, row: &StagedAssignment) {
    let a = &row.assignment;
    buf.extend_from_slice(row.line.to_string().as_bytes());
    for field in [
        Some(a.holder_key().as_str()),
        a.identity_id.as_ref().map(IdentityId::as_str),
        a.account_id.as_ref().map(AccountId::as_str),
        Some(a.access_type.as_str()),
        Some(a.access_id.as_str()),
        Some(a.origin.as_str()),
        a.granted_at
            // Microseconds, truncated: as sqlx encodes timestamps bound as parameters.
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
            .as_deref(),
    ] {
        buf.push(b'\t');
        push_copy_field(buf, field);
    }
    buf.push(b'\n');
}

/// A count returned by PostgreSQL (`bigint`) as the domain's unsigned count.
fn unsigned(n: i64, what: &str) -> StoreResult<u64> {
    u64::try_from(n).map_err(|_| corrupt(format!("negative {what}: {n}")))
}

/// An import in progress: the transaction, its run id and what has been staged.
pub(crate) struct PgImport {
    tx: Transaction<'static, Postgres>,
    run_id: i64,
    /// Rows copied into the staging table so far.
    staged: u64,
    /// Whether the staging table's statistics are current (refreshed before it is queried).
    staging_analyzed: bool,
    /// Rows upserted per table, to decide which statistics to refresh at commit.
    upserted: Vec<(&'static str, usize)>,
    /// Whether a merge created the difference table already (in this transaction).
    changes_created: bool,
    /// Accounts inserted or changed, whose references [`DANGLING_ACCOUNTS`] checks at commit.
    accounts_written: u64,
}

impl PgImport {
    /// Begins the transaction, waits for the import lock, records the run and creates the
    /// staging table.
    pub(crate) async fn begin(pool: &PgPool, started_at: DateTime<Utc>) -> StoreResult<PgImport> {
        let started = Instant::now();
        let mut tx = pool.begin().await.map_err(store_error)?;
        // coalesce: with no existing schema on the search path the key must still be non-NULL,
        // or the (strict) lock function would return without locking.
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))")
            .bind(IMPORT_LOCK_CLASS)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Waiting for a free connection and for another node's import both count.
        let wait_ms = started.elapsed().as_millis();
        let setup = format!("SET LOCAL work_mem = '{IMPORT_WORK_MEM}'; {CREATE_STAGING}");
        // A plain string runs as a simple query, so the two statements go in one round trip.
        (&mut *tx)
            .execute(setup.as_str())
            .await
            .map_err(store_error)?;
        let run_id: i64 =
            sqlx::query_scalar("INSERT INTO import_runs (started_at) VALUES ($1) RETURNING id")
                .bind(started_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(store_error)?;
        tracing::debug!(run_id, wait_ms, "import started");
        Ok(PgImport {
            tx,
            run_id,
            staged: 0,
            staging_analyzed: true,
            upserted: Vec::new(),
            changes_created: false,
            accounts_written: 0,
        })
    }

    /// Notes that `rows` rows were upserted into `table`.
    fn count_upserted(&mut self, table: &'static str, rows: usize) {
        match self.upserted.iter_mut().find(|(t, _)| *t == table) {
            Some((_, n)) => *n += rows,
            None => self.upserted.push((table, rows)),
        }
    }

    /// The import's connection (inside its transaction).
    fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Deletes the member lists of `parents` from `list` and inserts `rows` in their place.
    async fn replace_lists(
        &mut self,
        list: &ListTable,
        parents: &[&str],
        rows: &ListRows<'_>,
    ) -> StoreResult<()> {
        let delete = format!(
            "DELETE FROM {} WHERE {} = ANY($1::text[])",
            list.table, list.parent
        );
        sqlx::query(&delete)
            .bind(parents)
            .execute(self.conn())
            .await
            .map_err(store_error)?;
        if rows.parents.is_empty() {
            return Ok(());
        }
        let insert = format!(
            "INSERT INTO {} ({}, {}, position) SELECT * FROM UNNEST($1::text[], $2::text[], $3::int4[])",
            list.table, list.parent, list.member
        );
        sqlx::query(&insert)
            .bind(&rows.parents)
            .bind(&rows.members)
            .bind(&rows.positions)
            .execute(self.conn())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// Runs `sql` with this import's run id as `$1`; returns the number of rows it affected.
    async fn execute_for_run(&mut self, sql: &str) -> StoreResult<u64> {
        let run_id = self.run_id;
        let done = sqlx::query(sql)
            .bind(run_id)
            .execute(self.conn())
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected())
    }

    /// Fails on the first row that `sql` ([`DANGLING_STAGED`] or [`DANGLING_CHANGES`]) finds:
    /// an assignment about to be written whose identity or account does not exist. The engine
    /// checks every reference before it merges, so such a row is a bug; it is refused here,
    /// where a foreign key would otherwise have refused the commit.
    async fn check_assignment_references(&mut self, sql: &str) -> StoreResult<()> {
        let started = Instant::now();
        let dangling: Option<(i64, String, String)> = sqlx::query_as(sql)
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        tracing::debug!(
            run_id = self.run_id,
            elapsed_ms = started.elapsed().as_millis(),
            "assignment references checked"
        );
        match dangling {
            None => Ok(()),
            Some((line, kind, id)) => Err(StoreError::Database(format!(
                "assignments.csv line {line} refers to {kind} {id:?}, which does not exist \
                 (the merge is refused; the engine should have rejected the row)"
            ))),
        }
    }

    /// Fails on the first account whose source, identity or owner does not exist
    /// ([`DANGLING_ACCOUNTS`]), for the same reason as
    /// [`PgImport::check_assignment_references`]. Skipped when the import wrote no account: the
    /// stored ones passed this check when they were written, and no import deletes what they
    /// refer to.
    async fn check_account_references(&mut self) -> StoreResult<()> {
        if self.accounts_written == 0 {
            return Ok(());
        }
        let started = Instant::now();
        let dangling: Option<(String, String, String)> = sqlx::query_as(DANGLING_ACCOUNTS)
            .fetch_optional(self.conn())
            .await
            .map_err(store_error)?;
        tracing::debug!(
            run_id = self.run_id,
            elapsed_ms = started.elapsed().as_millis(),
            "account references checked"
        );
        match dangling {
            None => Ok(()),
            Some((account, kind, id)) => Err(StoreError::Database(format!(
                "account {account:?} refers to {kind} {id:?}, which does not exist \
                 (the commit is refused; the engine should have rejected the account)"
            ))),
        }
    }

    /// Refreshes the staging table's statistics if rows were staged since the last refresh;
    /// without them the planner assumes a small table and picks poor plans for a million rows.
    async fn analyze_staging(&mut self) -> StoreResult<()> {
        if !self.staging_analyzed {
            self.conn()
                .execute("ANALYZE attest_staged_assignments")
                .await
                .map_err(store_error)?;
            self.staging_analyzed = true;
        }
        Ok(())
    }
}

#[async_trait]
impl ImportTx for PgImport {
    async fn existing_ids(&mut self, kind: RecordKind) -> StoreResult<Vec<String>> {
        let sql = format!("SELECT id FROM {}", table_of(kind));
        sqlx::query_scalar(&sql)
            .fetch_all(self.conn())
            .await
            .map_err(store_error)
    }

    async fn existing_managers(&mut self) -> StoreResult<Vec<(IdentityId, IdentityId)>> {
        let rows =
            sqlx::query("SELECT id, manager_id FROM identities WHERE manager_id IS NOT NULL")
                .fetch_all(self.conn())
                .await
                .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id").map_err(store_error)?;
                let manager: String = row.try_get("manager_id").map_err(store_error)?;
                Ok((IdentityId(id), IdentityId(manager)))
            })
            .collect()
    }

    async fn upsert_identities(&mut self, batch: &[Identity]) -> StoreResult<()> {
        self.count_upserted("identities", batch.len());
        for chunk in batch.chunks(CHUNK) {
            sqlx::query(&UPSERT_IDENTITIES)
                .bind(column(chunk, |r| r.id.as_str()))
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.display_name.as_deref()))
                .bind(column(chunk, |r| r.email.as_deref()))
                .bind(column(chunk, |r| {
                    r.manager_id.as_ref().map(IdentityId::as_str)
                }))
                .bind(column(chunk, |r| r.department.as_deref()))
                .bind(column(chunk, |r| r.title.as_deref()))
                .bind(column(chunk, |r| r.location.as_deref()))
                .bind(column(chunk, |r| r.lifecycle_state.as_deref()))
                .bind(column(chunk, |r| r.active))
                .bind(column(chunk, |r| Json(&r.attributes)))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }

    async fn upsert_sources(&mut self, batch: &[Source]) -> StoreResult<()> {
        self.count_upserted("sources", batch.len());
        for chunk in batch.chunks(CHUNK) {
            sqlx::query(&UPSERT_SOURCES)
                .bind(column(chunk, |r| r.id.as_str()))
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.description.as_deref()))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .bind(column(chunk, |r| r.source_type.as_deref()))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }

    async fn upsert_entitlements(&mut self, batch: &[Entitlement]) -> StoreResult<()> {
        self.count_upserted("entitlements", batch.len());
        for chunk in batch.chunks(CHUNK) {
            sqlx::query(&UPSERT_ENTITLEMENTS)
                .bind(column(chunk, |r| r.id.as_str()))
                .bind(column(chunk, |r| r.source_id.as_str()))
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.attribute.as_deref()))
                .bind(column(chunk, |r| r.value.as_deref()))
                .bind(column(chunk, |r| r.description.as_deref()))
                .bind(column(chunk, |r| r.privileged))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }

    async fn upsert_access_profiles(&mut self, batch: &[AccessProfile]) -> StoreResult<()> {
        self.count_upserted("access_profiles", batch.len());
        for chunk in batch.chunks(CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
            sqlx::query(&UPSERT_ACCESS_PROFILES)
                .bind(&ids)
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.description.as_deref()))
                .bind(column(chunk, |r| {
                    r.source_id.as_ref().map(SourceId::as_str)
                }))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
            let mut entitlements = ListRows::default();
            for r in chunk {
                entitlements.push(
                    r.id.as_str(),
                    r.entitlement_ids.iter().map(EntitlementId::as_str),
                )?;
            }
            self.replace_lists(&ACCESS_PROFILE_ENTITLEMENTS, &ids, &entitlements)
                .await?;
        }
        Ok(())
    }

    async fn upsert_roles(&mut self, batch: &[Role]) -> StoreResult<()> {
        self.count_upserted("roles", batch.len());
        for chunk in batch.chunks(CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
            sqlx::query(&UPSERT_ROLES)
                .bind(&ids)
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.description.as_deref()))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .bind(column(chunk, |r| r.privileged))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
            let mut access_profiles = ListRows::default();
            let mut entitlements = ListRows::default();
            for r in chunk {
                access_profiles.push(
                    r.id.as_str(),
                    r.access_profile_ids.iter().map(AccessProfileId::as_str),
                )?;
                entitlements.push(
                    r.id.as_str(),
                    r.entitlement_ids.iter().map(EntitlementId::as_str),
                )?;
            }
            self.replace_lists(&ROLE_ACCESS_PROFILES, &ids, &access_profiles)
                .await?;
            self.replace_lists(&ROLE_ENTITLEMENTS, &ids, &entitlements)
                .await?;
        }
        Ok(())
    }

    async fn upsert_accounts(&mut self, batch: &[Account]) -> StoreResult<()> {
        self.count_upserted("accounts", batch.len());
        for chunk in batch.chunks(CHUNK) {
            let done = sqlx::query(&UPSERT_ACCOUNTS)
                .bind(column(chunk, |r| r.id.as_str()))
                .bind(column(chunk, |r| r.source_id.as_str()))
                .bind(column(chunk, |r| r.native_identity.as_str()))
                .bind(column(chunk, |r| r.name.as_deref()))
                .bind(column(chunk, |r| {
                    r.identity_id.as_ref().map(IdentityId::as_str)
                }))
                .bind(column(chunk, |r| r.machine))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .bind(column(chunk, |r| r.disabled))
                .bind(column(chunk, |r| r.locked))
                .bind(column(chunk, |r| r.last_used))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
            // Inserted and changed rows only: an unchanged account is not rewritten.
            self.accounts_written += done.rows_affected();
        }
        Ok(())
    }

    async fn upsert_governance_groups(&mut self, batch: &[GovernanceGroup]) -> StoreResult<()> {
        self.count_upserted("governance_groups", batch.len());
        for chunk in batch.chunks(CHUNK) {
            let ids: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
            sqlx::query(&UPSERT_GOVERNANCE_GROUPS)
                .bind(&ids)
                .bind(column(chunk, |r| r.name.as_str()))
                .bind(column(chunk, |r| r.description.as_deref()))
                .bind(column(chunk, |r| {
                    r.owner_id.as_ref().map(IdentityId::as_str)
                }))
                .execute(self.conn())
                .await
                .map_err(store_error)?;
            let mut members = ListRows::default();
            for r in chunk {
                members.push(r.id.as_str(), r.member_ids.iter().map(IdentityId::as_str))?;
            }
            self.replace_lists(&GOVERNANCE_GROUP_MEMBERS, &ids, &members)
                .await?;
        }
        Ok(())
    }

    async fn clear_permissions(&mut self) -> StoreResult<()> {
        sqlx::query("DELETE FROM entitlement_permissions")
            .execute(self.conn())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn insert_permissions(&mut self, batch: &[Permission]) -> StoreResult<()> {
        for chunk in batch.chunks(CHUNK) {
            sqlx::query(
                "INSERT INTO entitlement_permissions (entitlement_id, target, rights)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])",
            )
            .bind(column(chunk, |p| p.entitlement_id.as_str()))
            .bind(column(chunk, |p| p.target.as_str()))
            .bind(column(chunk, |p| p.rights.as_str()))
            .execute(self.conn())
            .await
            .map_err(store_error)?;
        }
        Ok(())
    }

    async fn stage_assignments(&mut self, batch: &[StagedAssignment]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.staging_analyzed = false;
        let mut copy = self
            .conn()
            .copy_in_raw(COPY_STAGING)
            .await
            .map_err(store_error)?;
        let mut buf = Vec::with_capacity(COPY_BUFFER + 4096);
        for row in batch {
            push_copy_row(&mut buf, row);
            if buf.len() >= COPY_BUFFER {
                copy.send(buf.as_slice()).await.map_err(store_error)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_slice()).await.map_err(store_error)?;
        }
        let rows = copy.finish().await.map_err(store_error)?;
        self.staged += rows;
        Ok(())
    }

    async fn duplicate_assignments(&mut self) -> StoreResult<Vec<DuplicateLine>> {
        let started = Instant::now();
        self.analyze_staging().await?;
        let rows: Vec<(i64, i64)> = sqlx::query_as(DUPLICATES)
            .fetch_all(self.conn())
            .await
            .map_err(store_error)?;
        tracing::debug!(
            run_id = self.run_id,
            staged = self.staged,
            duplicates = rows.len(),
            elapsed_ms = started.elapsed().as_millis(),
            "staged assignments checked for duplicates"
        );
        rows.into_iter()
            .map(|(line, first_line)| {
                Ok(DuplicateLine {
                    line: unsigned(line, "line")?,
                    first_line: unsigned(first_line, "line")?,
                })
            })
            .collect()
    }

    async fn merge_assignments(&mut self) -> StoreResult<AssignmentMerge> {
        let started = Instant::now();
        self.analyze_staging().await?;
        let before: i64 = sqlx::query_scalar("SELECT count(*) FROM assignments")
            .fetch_one(self.conn())
            .await
            .map_err(store_error)?;
        let before = unsigned(before, "assignment count")?;
        let (added, removed) = if before == 0 {
            self.check_assignment_references(&DANGLING_STAGED).await?;
            (self.execute_for_run(INSERT_ALL_STAGED).await?, 0)
        } else {
            // No `ON CONFLICT` upsert: it would lock every existing row even when unchanged.
            // Imports are serialised and nothing else writes assignments, so the difference
            // computed here stays exact until it is applied.
            if self.changes_created {
                self.conn()
                    .execute("DROP TABLE attest_assignment_changes")
                    .await
                    .map_err(store_error)?;
            }
            self.changes_created = true;
            let conn = self.conn();
            conn.execute(CREATE_CHANGES).await.map_err(store_error)?;
            conn.execute("ANALYZE attest_assignment_changes")
                .await
                .map_err(store_error)?;
            self.check_assignment_references(&DANGLING_CHANGES).await?;
            let removed = self
                .conn()
                .execute(DELETE_REMOVED)
                .await
                .map_err(store_error)?
                .rows_affected();
            self.execute_for_run(UPDATE_CHANGED).await?;
            (self.execute_for_run(INSERT_NEW).await?, removed)
        };
        let updated = before.saturating_sub(removed);
        let changed = added + removed;
        if changed > 0 && changed >= (before + added) / ANALYZE_FRACTION {
            self.conn()
                .execute("ANALYZE assignments")
                .await
                .map_err(store_error)?;
        }
        tracing::debug!(
            run_id = self.run_id,
            added,
            updated,
            removed,
            elapsed_ms = started.elapsed().as_millis(),
            "assignments merged"
        );
        Ok(AssignmentMerge {
            added,
            updated,
            removed,
        })
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let run_id = self.run_id;
        self.check_account_references().await?;
        let large: Vec<&str> = self
            .upserted
            .iter()
            .filter(|(_, n)| *n >= ANALYZE_UPSERTED)
            .map(|(t, _)| *t)
            .collect();
        if !large.is_empty() {
            let started = Instant::now();
            let analyze = format!("ANALYZE {}", large.join(", "));
            self.conn()
                .execute(analyze.as_str())
                .await
                .map_err(store_error)?;
            tracing::debug!(
                run_id,
                tables = %large.join(","),
                elapsed_ms = started.elapsed().as_millis(),
                "statistics refreshed"
            );
        }
        // The trait gives no finishing time and this crate never reads the wall clock: the run's end
        // is its injected start plus the time the database saw the transaction take.
        sqlx::query(
            "UPDATE import_runs
             SET finished_at = started_at + (clock_timestamp() - transaction_timestamp())
             WHERE id = $1",
        )
        .bind(run_id)
        .execute(self.conn())
        .await
        .map_err(store_error)?;
        let started = Instant::now();
        self.tx.commit().await.map_err(store_error)?;
        tracing::debug!(
            run_id,
            elapsed_ms = started.elapsed().as_millis(),
            "import committed"
        );
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> StoreResult<()> {
        self.tx.rollback().await.map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_fields_escape_what_the_text_format_treats_specially() {
        let mut buf = Vec::new();
        push_copy_field(&mut buf, Some("a\\b\tc\nd\re\u{1f}f"));
        buf.push(b'|');
        push_copy_field(&mut buf, None);
        buf.push(b'|');
        push_copy_field(&mut buf, Some("\\N"));
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "a\\\\b\\tc\\nd\\re\u{1f}f|\\N|\\\\N"
        );
    }

    #[test]
    fn upsert_sql_updates_every_column_but_the_key_and_skips_unchanged_rows() {
        let sql = upsert_sql("t", &[("id", "text"), ("type", "text"), ("on", "bool")]);
        assert_eq!(
            sql,
            "INSERT INTO t (\"id\", \"type\", \"on\") SELECT \"id\", \"type\", \"on\" \
             FROM UNNEST($1::text[], $2::text[], $3::bool[]) AS u(\"id\", \"type\", \"on\") \
             ON CONFLICT (\"id\") DO UPDATE SET \"type\" = EXCLUDED.\"type\", \"on\" = EXCLUDED.\"on\" \
             WHERE (t.\"type\", t.\"on\") IS DISTINCT FROM (EXCLUDED.\"type\", EXCLUDED.\"on\")"
        );
    }
}
