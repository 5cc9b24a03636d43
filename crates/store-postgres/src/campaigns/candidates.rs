//! What a campaign's scope selects from the warehouse ([`CandidateScope`]), read a page at a
//! time for generation.
//!
//! Cursor scheme (only order and uniqueness matter to the engine):
//! - an assignment's cursor is its `assignments.id` (positive, from a sequence);
//! - an account reviewed as itself (uncorrelated and machine-account scopes) comes before every
//!   assignment, with cursor `ACCOUNT_CURSOR_BASE + n`, `n` being its 1-based position among
//!   the scope's accounts in id order (so always negative);
//! - a role member (role composition) has cursor `n`, its 1-based position in (role id, access
//!   type, access id) order.
//!
//! Positions are stable as long as the warehouse does not change during a generation; a
//! re-import in between can shift them, as it can change what the scope selects anyway.
//!
//! Policy: one statement per page, keyset-paged on the cursor, joining the warehouse tables
//! for every name and fact generation needs, so generation never reads row by row.

use attest_domain::certification::{CorrelatedStatus, ItemAccessType};
use attest_domain::*;
use attest_store::campaigns::{Candidate, CandidateScope};
use attest_store::StoreResult;
use sqlx::postgres::{PgPool, PgRow};

use super::rows::{get, parse_enum};
use crate::error::store_error;

/// Cursors of accounts reviewed as themselves start just above this (negative) value, below
/// every assignment id.
const ACCOUNT_CURSOR_BASE: i64 = i64::MIN / 2;

/// Which holders an assignment query selects, and how it names holder and reviewer.
enum AssignmentScope {
    /// Identity-held assignments; reviewer expression.
    Identities {
        condition: &'static str,
        reviewer: &'static str,
    },
    /// Account-held assignments (no identity); reviewer expression.
    Accounts {
        condition: &'static str,
        reviewer: &'static str,
    },
}

/// The assignments query; `$1` is the cursor, `$2` the limit, `$3` the scope's id list.
fn assignments_sql(scope: &AssignmentScope) -> String {
    let (identity, holder, active, manager, reviewer, condition) = match scope {
        AssignmentScope::Identities {
            condition,
            reviewer,
        } => (
            "i.id",
            "coalesce(i.display_name, i.name)",
            "i.active",
            "i.manager_id",
            *reviewer,
            *condition,
        ),
        AssignmentScope::Accounts {
            condition,
            reviewer,
        } => (
            "NULL::text",
            "coalesce(acc.name, acc.native_identity)",
            "NULL::boolean",
            "NULL::text",
            *reviewer,
            *condition,
        ),
    };
    format!(
        "SELECT a.id AS cursor, {identity} AS identity_id, a.account_id, NULL::text AS role_id,
                {holder} AS holder_name, {active} AS holder_active, {manager} AS holder_manager,
                {reviewer} AS natural_reviewer, a.access_type, a.access_id,
                coalesce(e.name, ap.name, r.name, a.access_id) AS access_name,
                s.id AS source_id, s.name AS source_name, a.origin, a.granted_at,
                acc.last_used AS account_last_used
         FROM assignments a
         LEFT JOIN accounts acc ON acc.id = a.account_id
         LEFT JOIN identities i ON i.id = coalesce(a.identity_id, acc.identity_id)
         LEFT JOIN entitlements e ON a.access_type = 'ENTITLEMENT' AND e.id = a.access_id
         LEFT JOIN access_profiles ap ON a.access_type = 'ACCESS_PROFILE' AND ap.id = a.access_id
         LEFT JOIN roles r ON a.access_type = 'ROLE' AND r.id = a.access_id
         LEFT JOIN sources s ON s.id = coalesce(e.source_id, ap.source_id, acc.source_id)
         WHERE a.id > $1 AND ({condition})
         ORDER BY a.id
         LIMIT $2"
    )
}

/// Accounts reviewed as themselves, with the origin their items get; `$1` cursor, `$2` limit,
/// `$3` source ids.
fn accounts_sql(condition: &str, reviewer: &str, origin: Origin) -> String {
    let origin = origin.as_str();
    format!(
        "SELECT x.rn + {ACCOUNT_CURSOR_BASE} AS cursor, NULL::text AS identity_id,
                x.id AS account_id, NULL::text AS role_id,
                coalesce(x.name, x.native_identity) AS holder_name,
                NULL::boolean AS holder_active, NULL::text AS holder_manager,
                {reviewer} AS natural_reviewer, 'ACCOUNT' AS access_type, x.id AS access_id,
                coalesce(x.name, x.native_identity) AS access_name,
                s.id AS source_id, s.name AS source_name, '{origin}' AS origin,
                NULL::timestamptz AS granted_at, x.last_used AS account_last_used
         FROM (SELECT acc.*, row_number() OVER (ORDER BY acc.id) AS rn
               FROM accounts acc
               WHERE acc.source_id = ANY($3) AND ({condition})) x
         LEFT JOIN sources s ON s.id = x.source_id
         WHERE x.rn + {ACCOUNT_CURSOR_BASE} > $1
         ORDER BY x.rn
         LIMIT $2"
    )
}

/// Members of roles; `$1` cursor, `$2` limit, `$3` role ids or NULL for every role.
const ROLE_MEMBERS: &str = "
WITH members AS (
    SELECT row_number() OVER (ORDER BY m.role_id, m.access_type, m.access_id) AS cursor, m.*
    FROM (SELECT role_id, 'ACCESS_PROFILE'::text AS access_type, access_profile_id AS access_id
          FROM role_access_profiles
          UNION ALL
          SELECT role_id, 'ENTITLEMENT'::text, entitlement_id
          FROM role_entitlements) m
    WHERE $3::text[] IS NULL OR m.role_id = ANY($3::text[])
)
SELECT m.cursor, NULL::text AS identity_id, NULL::text AS account_id, r.id AS role_id,
       r.name AS holder_name, NULL::boolean AS holder_active, NULL::text AS holder_manager,
       r.owner_id AS natural_reviewer, m.access_type, m.access_id,
       coalesce(ap.name, e.name, m.access_id) AS access_name,
       s.id AS source_id, s.name AS source_name, 'ROLE_MODEL' AS origin,
       NULL::timestamptz AS granted_at, NULL::timestamptz AS account_last_used
FROM members m
JOIN roles r ON r.id = m.role_id
LEFT JOIN access_profiles ap ON m.access_type = 'ACCESS_PROFILE' AND ap.id = m.access_id
LEFT JOIN entitlements e ON m.access_type = 'ENTITLEMENT' AND e.id = m.access_id
LEFT JOIN sources s ON s.id = coalesce(ap.source_id, e.source_id)
WHERE m.cursor > $1
ORDER BY m.cursor
LIMIT $2";

fn candidate_from_row(row: &PgRow) -> StoreResult<Candidate> {
    let access_type: ItemAccessType = parse_enum(row, "access_type")?;
    Ok(Candidate {
        cursor: get(row, "cursor")?,
        identity_id: get::<Option<String>>(row, "identity_id")?.map(IdentityId),
        account_id: get::<Option<String>>(row, "account_id")?.map(AccountId),
        role_id: get::<Option<String>>(row, "role_id")?.map(RoleId),
        holder_name: get(row, "holder_name")?,
        holder_active: get(row, "holder_active")?,
        holder_manager: get::<Option<String>>(row, "holder_manager")?.map(IdentityId),
        natural_reviewer: get::<Option<String>>(row, "natural_reviewer")?.map(IdentityId),
        access_type,
        access_id: get(row, "access_id")?,
        access_name: get(row, "access_name")?,
        source_id: get::<Option<String>>(row, "source_id")?.map(SourceId),
        source_name: get(row, "source_name")?,
        origin: parse_enum(row, "origin")?,
        granted_at: get(row, "granted_at")?,
        account_last_used: get(row, "account_last_used")?,
    })
}

async fn fetch(
    pool: &PgPool,
    sql: &str,
    after: i64,
    limit: u32,
    ids: Option<Vec<String>>,
) -> StoreResult<Vec<Candidate>> {
    // Not a prepared statement: PostgreSQL would switch to a generic plan after five pages,
    // and without the cursor's and limit's values that plan hash-joins every remaining
    // assignment and sorts them (a second per page at a million assignments) where the custom
    // plan walks the primary key for just one page (a tenth of that).
    let rows = sqlx::query(sql)
        .persistent(false)
        .bind(after)
        .bind(i64::from(limit))
        .bind(ids)
        .fetch_all(pool)
        .await
        .map_err(store_error)?;
    rows.iter().map(candidate_from_row).collect()
}

/// Accounts first (negative cursors), then their assignments.
async fn accounts_then_assignments(
    pool: &PgPool,
    accounts: &str,
    assignments: &str,
    ids: Vec<String>,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Candidate>> {
    let after = after.unwrap_or(i64::MIN);
    let mut page = Vec::new();
    if after < 0 {
        page = fetch(pool, accounts, after, limit, Some(ids.clone())).await?;
    }
    let left = limit.saturating_sub(u32::try_from(page.len()).unwrap_or(u32::MAX));
    if left > 0 {
        let more = fetch(pool, assignments, after.max(0), left, Some(ids)).await?;
        page.extend(more);
    }
    Ok(page)
}

fn strings<T: ToString>(ids: &[T]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

/// Up to `limit` candidates of `scope` after cursor `after`.
pub(crate) async fn candidates(
    pool: &PgPool,
    scope: &CandidateScope,
    after: Option<i64>,
    limit: u32,
) -> StoreResult<Vec<Candidate>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    match scope {
        CandidateScope::Manager => {
            let sql = assignments_sql(&AssignmentScope::Identities {
                condition: "i.manager_id IS NOT NULL AND $3::text[] IS NULL",
                reviewer: "i.manager_id",
            });
            fetch(pool, &sql, after.unwrap_or(0), limit, None).await
        }
        CandidateScope::Identities(ids) => {
            let sql = assignments_sql(&AssignmentScope::Identities {
                // The sub-select finds the few assignments through the identity and account
                // indexes instead of filtering every assignment.
                condition: "i.id = ANY($3) AND a.id IN ( \
                                SELECT x.id FROM assignments x WHERE x.identity_id = ANY($3) \
                                UNION ALL \
                                SELECT x.id FROM accounts ac \
                                JOIN assignments x ON x.account_id = ac.id \
                                WHERE ac.identity_id = ANY($3) AND x.identity_id IS NULL)",
                reviewer: "NULL::text",
            });
            fetch(pool, &sql, after.unwrap_or(0), limit, Some(strings(ids))).await
        }
        CandidateScope::SourceOwner {
            source_ids,
            correlated: CorrelatedStatus::Correlated,
        } => {
            let sql = assignments_sql(&AssignmentScope::Identities {
                condition: "i.id IS NOT NULL AND s.id = ANY($3)",
                reviewer: "s.owner_id",
            });
            fetch(
                pool,
                &sql,
                after.unwrap_or(0),
                limit,
                Some(strings(source_ids)),
            )
            .await
        }
        CandidateScope::SourceOwner {
            source_ids,
            correlated: CorrelatedStatus::Uncorrelated,
        } => {
            // Nothing granted an uncorrelated account; machine accounts are left out (they
            // have campaigns of their own).
            let accounts = accounts_sql(
                "acc.identity_id IS NULL AND NOT acc.machine",
                "s.owner_id",
                Origin::Discovered,
            );
            let assignments = assignments_sql(&AssignmentScope::Accounts {
                condition: "a.identity_id IS NULL AND acc.id IS NOT NULL \
                            AND acc.identity_id IS NULL AND NOT acc.machine AND s.id = ANY($3)",
                reviewer: "s.owner_id",
            });
            accounts_then_assignments(
                pool,
                &accounts,
                &assignments,
                strings(source_ids),
                after,
                limit,
            )
            .await
        }
        CandidateScope::MachineAccounts(source_ids) => {
            let accounts = accounts_sql("acc.machine", "x.owner_id", Origin::Manual);
            let assignments = assignments_sql(&AssignmentScope::Accounts {
                condition: "acc.machine AND acc.source_id = ANY($3)",
                reviewer: "acc.owner_id",
            });
            accounts_then_assignments(
                pool,
                &accounts,
                &assignments,
                strings(source_ids),
                after,
                limit,
            )
            .await
        }
        CandidateScope::RoleMembers(roles) => {
            let ids = roles.as_ref().map(|r| strings(r));
            fetch(pool, ROLE_MEMBERS, after.unwrap_or(0), limit, ids).await
        }
    }
}
