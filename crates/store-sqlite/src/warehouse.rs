//! Reads of the identity warehouse ([`WarehouseStore`]).
//!
//! Policy: every read here runs on the reader pool, never on the writer, so reads neither wait
//! for an import nor see its uncommitted rows. Member lists come back in bundle order
//! (`position`); every other list has the order the trait documents.

use async_trait::async_trait;
use attest_domain::*;
use attest_store::{StoreError, StoreResult, WarehouseStore};
use sqlx::sqlite::SqliteRow;
use sqlx::{Executor, Sqlite, Transaction};

use crate::codec::{decode_attributes, decode_enum, decode_opt_time, get, get_columns};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

/// Runs `sql` with one text parameter and returns the first row, if any.
async fn row_by_id<'c, E>(
    executor: E,
    sql: &'static str,
    id: &str,
) -> StoreResult<Option<SqliteRow>>
where
    E: Executor<'c, Database = Sqlite>,
{
    sqlx::query(sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(db_err)
}

/// Runs `sql` with one text parameter and returns the single text column of every row.
async fn ids_by_id<'c, E>(executor: E, sql: &'static str, id: &str) -> StoreResult<Vec<String>>
where
    E: Executor<'c, Database = Sqlite>,
{
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_all(executor)
        .await
        .map_err(db_err)
}

/// `ids` as one JSON array, bound as a single parameter and read back with `json_each`, so a
/// batch of any size is one statement with one placeholder. Repeated ids are sent once.
fn json_ids<'a>(ids: impl Iterator<Item = &'a str>) -> StoreResult<String> {
    let mut unique: Vec<&str> = ids.collect();
    unique.sort_unstable();
    unique.dedup();
    serde_json::to_string(&unique)
        .map_err(|e| StoreError::Database(format!("cannot encode ids: {e}")))
}

/// Runs `sql` with one JSON-array parameter (see [`json_ids`]) and returns every row.
async fn rows_by_ids<'c, E>(
    executor: E,
    sql: &'static str,
    ids: &str,
) -> StoreResult<Vec<SqliteRow>>
where
    E: Executor<'c, Database = Sqlite>,
{
    sqlx::query(sql)
        .bind(ids)
        .fetch_all(executor)
        .await
        .map_err(db_err)
}

/// A member list aggregated in SQL with `json_group_array` (in the subquery's order).
fn member_list(row: &SqliteRow, column: &str) -> StoreResult<Vec<String>> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(|e| corrupt(&format!("member list {column}"), e))
}

impl SqliteStore {
    /// Starts a read transaction on a reader, so that a record and its member list come from
    /// the same committed state even if an import commits in between.
    async fn snapshot(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.reader.begin().await.map_err(db_err)
    }

    /// Runs `sql` (assignment columns, one text parameter) and decodes every row.
    async fn fetch_assignments(&self, sql: &'static str, id: &str) -> StoreResult<Vec<Assignment>> {
        let rows = sqlx::query(sql)
            .bind(id)
            .fetch_all(&self.reader)
            .await
            .map_err(db_err)?;
        rows.iter().map(assignment_from_row).collect()
    }
}

fn identity_from_row(row: &SqliteRow) -> StoreResult<Identity> {
    Ok(Identity {
        id: IdentityId(get(row, "id")?),
        name: get(row, "name")?,
        display_name: get(row, "display_name")?,
        email: get(row, "email")?,
        manager_id: get::<Option<String>>(row, "manager_id")?.map(IdentityId),
        department: get(row, "department")?,
        title: get(row, "title")?,
        location: get(row, "location")?,
        lifecycle_state: get(row, "lifecycle_state")?,
        active: get(row, "active")?,
        attributes: decode_attributes(&get::<String>(row, "attributes")?)?,
    })
}

fn source_from_row(row: &SqliteRow) -> StoreResult<Source> {
    Ok(Source {
        id: SourceId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
        source_type: get(row, "type")?,
    })
}

fn entitlement_from_row(row: &SqliteRow) -> StoreResult<Entitlement> {
    Ok(Entitlement {
        id: EntitlementId(get(row, "id")?),
        source_id: SourceId(get(row, "source_id")?),
        name: get(row, "name")?,
        attribute: get(row, "attribute")?,
        value: get(row, "value")?,
        description: get(row, "description")?,
        privileged: get(row, "privileged")?,
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
    })
}

/// The select list that reads an account as one value (a row crosses from the connection's
/// thread value by value, each value copied; item pages read dozens of accounts): a JSON array
/// named `account` that [`account_from_row`] decodes. A macro, so that statements can be
/// `concat!`ed at compile time.
macro_rules! account_json {
    () => {
        "json_array(id, source_id, native_identity, name, identity_id, machine, owner_id, \
         disabled, locked, last_used) AS account"
    };
}

/// `account_json!` for statements built at run time.
pub(crate) const ACCOUNT_JSON: &str = account_json!();

/// The columns of an account as `account_json!` sends them (booleans as 0 or 1).
#[derive(serde::Deserialize)]
pub(crate) struct AccountColumns(
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
    i64,
    i64,
    Option<String>,
);

/// An account read with `account_json!`.
fn account_from_row(row: &SqliteRow) -> StoreResult<Account> {
    account_from_columns(get_columns(row, "account", "account row")?)
}

/// An account from its `account_json!` columns.
pub(crate) fn account_from_columns(columns: AccountColumns) -> StoreResult<Account> {
    let AccountColumns(
        id,
        source_id,
        native_identity,
        name,
        identity_id,
        machine,
        owner_id,
        disabled,
        locked,
        last_used,
    ) = columns;
    Ok(Account {
        id: AccountId(id),
        source_id: SourceId(source_id),
        native_identity,
        name,
        identity_id: identity_id.map(IdentityId),
        machine: machine != 0,
        owner_id: owner_id.map(IdentityId),
        disabled: disabled != 0,
        locked: locked != 0,
        last_used: decode_opt_time(last_used)?,
    })
}

/// An access profile row with its entitlement ids.
fn access_profile_from_row(
    row: &SqliteRow,
    entitlement_ids: Vec<String>,
) -> StoreResult<AccessProfile> {
    Ok(AccessProfile {
        id: AccessProfileId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        source_id: get::<Option<String>>(row, "source_id")?.map(SourceId),
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
        entitlement_ids: entitlement_ids.into_iter().map(EntitlementId).collect(),
    })
}

/// A role row with its access profile and entitlement ids.
fn role_from_row(
    row: &SqliteRow,
    access_profile_ids: Vec<String>,
    entitlement_ids: Vec<String>,
) -> StoreResult<Role> {
    Ok(Role {
        id: RoleId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
        access_profile_ids: access_profile_ids
            .into_iter()
            .map(AccessProfileId)
            .collect(),
        entitlement_ids: entitlement_ids.into_iter().map(EntitlementId).collect(),
        privileged: get(row, "privileged")?,
    })
}

fn assignment_from_row(row: &SqliteRow) -> StoreResult<Assignment> {
    Ok(Assignment {
        identity_id: get::<Option<String>>(row, "identity_id")?.map(IdentityId),
        account_id: get::<Option<String>>(row, "account_id")?.map(AccountId),
        access_type: decode_enum("access_type", &get::<String>(row, "access_type")?)?,
        access_id: get(row, "access_id")?,
        origin: decode_enum("origin", &get::<String>(row, "origin")?)?,
        granted_at: decode_opt_time(get(row, "granted_at")?)?,
    })
}

/// A `COUNT(*)` column, which SQLite hands over as `i64`.
fn count(row: &SqliteRow, column: &str) -> StoreResult<u64> {
    let n: i64 = get(row, column)?;
    u64::try_from(n).map_err(|e| corrupt(&format!("count {column}"), e))
}

#[async_trait]
impl WarehouseStore for SqliteStore {
    async fn warehouse_version(&self) -> StoreResult<u64> {
        // Every committed import adds one row, and none is ever deleted.
        let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_runs")
            .fetch_one(&self.reader)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(imports).unwrap_or(0))
    }

    async fn warehouse_counts(&self) -> StoreResult<WarehouseCounts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM identities) AS identities,
                    (SELECT COUNT(*) FROM sources) AS sources,
                    (SELECT COUNT(*) FROM entitlements) AS entitlements,
                    (SELECT COUNT(*) FROM access_profiles) AS access_profiles,
                    (SELECT COUNT(*) FROM roles) AS roles,
                    (SELECT COUNT(*) FROM accounts) AS accounts,
                    (SELECT COUNT(*) FROM assignments) AS assignments,
                    (SELECT COUNT(*) FROM governance_groups) AS governance_groups,
                    (SELECT COUNT(*) FROM entitlement_permissions) AS permissions",
        )
        .fetch_one(&self.reader)
        .await
        .map_err(db_err)?;
        Ok(WarehouseCounts {
            identities: count(&row, "identities")?,
            sources: count(&row, "sources")?,
            entitlements: count(&row, "entitlements")?,
            access_profiles: count(&row, "access_profiles")?,
            roles: count(&row, "roles")?,
            accounts: count(&row, "accounts")?,
            assignments: count(&row, "assignments")?,
            governance_groups: count(&row, "governance_groups")?,
            permissions: count(&row, "permissions")?,
        })
    }

    async fn identity(&self, id: &IdentityId) -> StoreResult<Option<Identity>> {
        row_by_id(
            &self.reader,
            "SELECT id, name, display_name, email, manager_id, department, title, location,
                    lifecycle_state, active, attributes
             FROM identities WHERE id = ?1",
            id.as_str(),
        )
        .await?
        .as_ref()
        .map(identity_from_row)
        .transpose()
    }

    async fn source(&self, id: &SourceId) -> StoreResult<Option<Source>> {
        let Some(row) = row_by_id(
            &self.reader,
            "SELECT id, name, description, owner_id, type FROM sources WHERE id = ?1",
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        source_from_row(&row).map(Some)
    }

    async fn entitlement(&self, id: &EntitlementId) -> StoreResult<Option<Entitlement>> {
        let Some(row) = row_by_id(
            &self.reader,
            "SELECT id, source_id, name, attribute, value, description, privileged, owner_id
             FROM entitlements WHERE id = ?1",
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        entitlement_from_row(&row).map(Some)
    }

    async fn entitlement_permissions(&self, id: &EntitlementId) -> StoreResult<Vec<Permission>> {
        let rows = sqlx::query(
            "SELECT entitlement_id, target, rights FROM entitlement_permissions
             WHERE entitlement_id = ?1 ORDER BY target",
        )
        .bind(id.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|row| {
                Ok(Permission {
                    entitlement_id: EntitlementId(get(row, "entitlement_id")?),
                    target: get(row, "target")?,
                    rights: get(row, "rights")?,
                })
            })
            .collect()
    }

    async fn access_profile(&self, id: &AccessProfileId) -> StoreResult<Option<AccessProfile>> {
        let mut tx = self.snapshot().await?;
        let Some(row) = row_by_id(
            &mut *tx,
            "SELECT id, name, description, source_id, owner_id
             FROM access_profiles WHERE id = ?1",
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        let entitlement_ids = ids_by_id(
            &mut *tx,
            "SELECT entitlement_id FROM access_profile_entitlements
             WHERE access_profile_id = ?1 ORDER BY position",
            id.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        access_profile_from_row(&row, entitlement_ids).map(Some)
    }

    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>> {
        let mut tx = self.snapshot().await?;
        let Some(row) = row_by_id(
            &mut *tx,
            "SELECT id, name, description, owner_id, privileged FROM roles WHERE id = ?1",
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        let access_profile_ids = ids_by_id(
            &mut *tx,
            "SELECT access_profile_id FROM role_access_profiles
             WHERE role_id = ?1 ORDER BY position",
            id.as_str(),
        )
        .await?;
        let entitlement_ids = ids_by_id(
            &mut *tx,
            "SELECT entitlement_id FROM role_entitlements WHERE role_id = ?1 ORDER BY position",
            id.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        role_from_row(&row, access_profile_ids, entitlement_ids).map(Some)
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        let Some(row) = row_by_id(
            &self.reader,
            concat!("SELECT ", account_json!(), " FROM accounts WHERE id = ?1"),
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        account_from_row(&row).map(Some)
    }

    async fn governance_group(
        &self,
        id: &GovernanceGroupId,
    ) -> StoreResult<Option<GovernanceGroup>> {
        let mut tx = self.snapshot().await?;
        let Some(row) = row_by_id(
            &mut *tx,
            "SELECT id, name, description, owner_id FROM governance_groups WHERE id = ?1",
            id.as_str(),
        )
        .await?
        else {
            return Ok(None);
        };
        let member_ids = ids_by_id(
            &mut *tx,
            "SELECT identity_id FROM governance_group_members
             WHERE group_id = ?1 ORDER BY position",
            id.as_str(),
        )
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(GovernanceGroup {
            id: GovernanceGroupId(get(&row, "id")?),
            name: get(&row, "name")?,
            description: get(&row, "description")?,
            owner_id: get::<Option<String>>(&row, "owner_id")?.map(IdentityId),
            member_ids: member_ids.into_iter().map(IdentityId).collect(),
        }))
    }

    async fn assignments_of_identity(&self, id: &IdentityId) -> StoreResult<Vec<Assignment>> {
        // Ties (the same access through several accounts) are broken by holder key, so the
        // order is total and the same on both backends (bytewise text order).
        self.fetch_assignments(
            "SELECT identity_id, account_id, access_type, access_id, origin, granted_at
             FROM assignments WHERE identity_id = ?1
             ORDER BY access_type, access_id, holder_key",
            id.as_str(),
        )
        .await
    }

    async fn assignments_of_account(&self, id: &AccountId) -> StoreResult<Vec<Assignment>> {
        self.fetch_assignments(
            "SELECT identity_id, account_id, access_type, access_id, origin, granted_at
             FROM assignments WHERE account_id = ?1
             ORDER BY access_type, access_id, holder_key",
            id.as_str(),
        )
        .await
    }

    async fn direct_reports(&self, id: &IdentityId) -> StoreResult<Vec<IdentityId>> {
        let ids = ids_by_id(
            &self.reader,
            "SELECT id FROM identities WHERE manager_id = ?1 ORDER BY id",
            id.as_str(),
        )
        .await?;
        Ok(ids.into_iter().map(IdentityId).collect())
    }

    async fn identities(&self, ids: &[IdentityId]) -> StoreResult<Vec<Identity>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(IdentityId::as_str))?;
        let rows = rows_by_ids(
            &self.reader,
            "SELECT id, name, display_name, email, manager_id, department, title, location,
                    lifecycle_state, active, attributes
             FROM identities WHERE id IN (SELECT value FROM json_each(?1))",
            &ids,
        )
        .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn sources(&self, ids: &[SourceId]) -> StoreResult<Vec<Source>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(SourceId::as_str))?;
        let rows = rows_by_ids(
            &self.reader,
            "SELECT id, name, description, owner_id, type
             FROM sources WHERE id IN (SELECT value FROM json_each(?1))",
            &ids,
        )
        .await?;
        rows.iter().map(source_from_row).collect()
    }

    async fn entitlements(&self, ids: &[EntitlementId]) -> StoreResult<Vec<Entitlement>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(EntitlementId::as_str))?;
        let rows = rows_by_ids(
            &self.reader,
            "SELECT id, source_id, name, attribute, value, description, privileged, owner_id
             FROM entitlements WHERE id IN (SELECT value FROM json_each(?1))",
            &ids,
        )
        .await?;
        rows.iter().map(entitlement_from_row).collect()
    }

    async fn entitlements_with_permissions(
        &self,
        ids: &[EntitlementId],
    ) -> StoreResult<Vec<EntitlementId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(EntitlementId::as_str))?;
        let with: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT entitlement_id FROM entitlement_permissions
             WHERE entitlement_id IN (SELECT value FROM json_each(?1))",
        )
        .bind(&ids)
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        Ok(with.into_iter().map(EntitlementId).collect())
    }

    async fn access_profiles(&self, ids: &[AccessProfileId]) -> StoreResult<Vec<AccessProfile>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(AccessProfileId::as_str))?;
        // One statement, so the member lists come from the same committed state as the rows.
        let rows = rows_by_ids(
            &self.reader,
            "SELECT ap.id, ap.name, ap.description, ap.source_id, ap.owner_id,
                    (SELECT json_group_array(m.entitlement_id) FROM
                        (SELECT entitlement_id FROM access_profile_entitlements
                         WHERE access_profile_id = ap.id ORDER BY position) AS m)
                        AS entitlement_ids
             FROM access_profiles ap WHERE ap.id IN (SELECT value FROM json_each(?1))",
            &ids,
        )
        .await?;
        rows.iter()
            .map(|row| access_profile_from_row(row, member_list(row, "entitlement_ids")?))
            .collect()
    }

    async fn roles(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(RoleId::as_str))?;
        let rows = rows_by_ids(
            &self.reader,
            "SELECT r.id, r.name, r.description, r.owner_id, r.privileged,
                    (SELECT json_group_array(m.access_profile_id) FROM
                        (SELECT access_profile_id FROM role_access_profiles
                         WHERE role_id = r.id ORDER BY position) AS m)
                        AS access_profile_ids,
                    (SELECT json_group_array(m.entitlement_id) FROM
                        (SELECT entitlement_id FROM role_entitlements
                         WHERE role_id = r.id ORDER BY position) AS m)
                        AS entitlement_ids
             FROM roles r WHERE r.id IN (SELECT value FROM json_each(?1))",
            &ids,
        )
        .await?;
        rows.iter()
            .map(|row| {
                role_from_row(
                    row,
                    member_list(row, "access_profile_ids")?,
                    member_list(row, "entitlement_ids")?,
                )
            })
            .collect()
    }

    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = json_ids(ids.iter().map(AccountId::as_str))?;

        let rows = rows_by_ids(
            &self.reader,
            concat!(
                "SELECT ",
                account_json!(),
                " FROM accounts WHERE id IN (SELECT value FROM json_each(?1))"
            ),
            &ids,
        )
        .await?;
        rows.iter().map(account_from_row).collect()
    }
}
