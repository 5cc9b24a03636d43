//! Reads of the identity warehouse, and the row-to-domain conversions they share.
//!
//! Policy: reads never write and never take locks beyond a plain snapshot; every value that
//! does not decode into its domain type (an unknown access type, a non-string attribute) is
//! reported as corrupt rather than guessed at.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use attest_domain::*;
use attest_store::{StoreResult, WarehouseStore};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use crate::campaigns::rows::{at, id_at};
use crate::error::{corrupt, store_error};
use crate::PostgresStore;

/// Reads column `col` of `row`, a decode failure being corrupt data.
fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(store_error)
}

/// A count as stored (`bigint`) converted to the domain's unsigned count.
fn count(row: &PgRow, col: &str) -> StoreResult<u64> {
    let n: i64 = get(row, col)?;
    u64::try_from(n).map_err(|_| corrupt(format!("negative count {n} for {col}")))
}

/// Parses a contract enum stored as text.
fn parse_enum<T: std::str::FromStr>(row: &PgRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = get(row, col)?;
    text.parse().map_err(|e| corrupt(format!("{col}: {e}")))
}

const IDENTITY_COLUMNS: &str = "id, name, display_name, email, manager_id, department, title, \
                                location, lifecycle_state, active, attributes";

fn identity_from_row(row: &PgRow) -> StoreResult<Identity> {
    let attributes: Json<BTreeMap<String, String>> = get(row, "attributes")?;
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
        attributes: attributes.0,
    })
}

fn source_from_row(row: &PgRow) -> StoreResult<Source> {
    Ok(Source {
        id: SourceId(get(row, "id")?),
        name: get(row, "name")?,
        description: get(row, "description")?,
        owner_id: get::<Option<String>>(row, "owner_id")?.map(IdentityId),
        source_type: get(row, "type")?,
    })
}

fn entitlement_from_row(row: &PgRow) -> StoreResult<Entitlement> {
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

/// The columns [`account_from_row`] reads, in its order.
const ACCOUNT_COLUMNS: &str =
    "id, source_id, native_identity, name, identity_id, machine, owner_id, disabled, locked, last_used";

/// An account read with [`ACCOUNT_COLUMNS`], by position and unchecked like review items (an
/// item page reads dozens).
fn account_from_row(row: &PgRow) -> StoreResult<Account> {
    Ok(Account {
        id: AccountId(at(row, 0)?),
        source_id: SourceId(at(row, 1)?),
        native_identity: at(row, 2)?,
        name: at(row, 3)?,
        identity_id: id_at(row, 4)?,
        machine: at(row, 5)?,
        owner_id: id_at(row, 6)?,
        disabled: at(row, 7)?,
        locked: at(row, 8)?,
        last_used: at(row, 9)?,
    })
}

/// An access profile row with its entitlement ids.
fn access_profile_from_row(
    row: &PgRow,
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
    row: &PgRow,
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

/// `ids` without repeats, for a `= ANY($1)` parameter.
fn unique_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut unique: Vec<&str> = ids.collect();
    unique.sort_unstable();
    unique.dedup();
    unique
}

const ASSIGNMENT_COLUMNS: &str =
    "identity_id, account_id, access_type, access_id, origin, granted_at";

fn assignment_from_row(row: &PgRow) -> StoreResult<Assignment> {
    Ok(Assignment {
        identity_id: get::<Option<String>>(row, "identity_id")?.map(IdentityId),
        account_id: get::<Option<String>>(row, "account_id")?.map(AccountId),
        access_type: parse_enum(row, "access_type")?,
        access_id: get(row, "access_id")?,
        origin: parse_enum(row, "origin")?,
        granted_at: get(row, "granted_at")?,
    })
}

impl PostgresStore {
    /// Fetches at most one row for `sql` bound to `id`.
    async fn fetch_by_id(&self, sql: &str, id: &str) -> StoreResult<Option<PgRow>> {
        sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(store_error)
    }

    /// The member ids `sql` lists for `id`, in the order the query gives them.
    async fn member_ids(&self, sql: &str, id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)
    }

    /// Every row `sql` selects with the id list `ids` bound as `$1` (a `text[]`).
    async fn fetch_by_ids(&self, sql: &str, ids: &[&str]) -> StoreResult<Vec<PgRow>> {
        sqlx::query(sql)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)
    }

    /// The (owner id, member id) pairs `sql` selects for the owners `ids`, grouped by owner
    /// in the order the query gives them.
    async fn members_by_ids(
        &self,
        sql: &str,
        ids: &[&str],
    ) -> StoreResult<HashMap<String, Vec<String>>> {
        let pairs: Vec<(String, String)> = sqlx::query_as(sql)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        for (owner, member) in pairs {
            members.entry(owner).or_default().push(member);
        }
        Ok(members)
    }

    /// The assignments `sql` selects for `id`.
    async fn assignments(&self, sql: &str, id: &str) -> StoreResult<Vec<Assignment>> {
        let rows = sqlx::query(sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.iter().map(assignment_from_row).collect()
    }
}

#[async_trait]
impl WarehouseStore for PostgresStore {
    async fn warehouse_version(&self) -> StoreResult<u64> {
        // Every committed import adds one row, and none is ever deleted.
        let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM import_runs")
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(u64::try_from(imports).unwrap_or(0))
    }

    async fn warehouse_counts(&self) -> StoreResult<WarehouseCounts> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM identities) AS identities,
                    (SELECT count(*) FROM sources) AS sources,
                    (SELECT count(*) FROM entitlements) AS entitlements,
                    (SELECT count(*) FROM access_profiles) AS access_profiles,
                    (SELECT count(*) FROM roles) AS roles,
                    (SELECT count(*) FROM accounts) AS accounts,
                    (SELECT count(*) FROM assignments) AS assignments,
                    (SELECT count(*) FROM governance_groups) AS governance_groups,
                    (SELECT count(*) FROM entitlement_permissions) AS permissions",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(store_error)?;
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
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = $1");
        self.fetch_by_id(&sql, id.as_str())
            .await?
            .as_ref()
            .map(identity_from_row)
            .transpose()
    }

    async fn source(&self, id: &SourceId) -> StoreResult<Option<Source>> {
        let sql = "SELECT id, name, description, owner_id, type FROM sources WHERE id = $1";
        self.fetch_by_id(sql, id.as_str())
            .await?
            .as_ref()
            .map(source_from_row)
            .transpose()
    }

    async fn entitlement(&self, id: &EntitlementId) -> StoreResult<Option<Entitlement>> {
        let sql = "SELECT id, source_id, name, attribute, value, description, privileged, owner_id
                   FROM entitlements WHERE id = $1";
        self.fetch_by_id(sql, id.as_str())
            .await?
            .as_ref()
            .map(entitlement_from_row)
            .transpose()
    }

    async fn entitlement_permissions(&self, id: &EntitlementId) -> StoreResult<Vec<Permission>> {
        let rows = sqlx::query(
            "SELECT target, rights FROM entitlement_permissions
             WHERE entitlement_id = $1 ORDER BY target",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Permission {
                    entitlement_id: id.clone(),
                    target: get(row, "target")?,
                    rights: get(row, "rights")?,
                })
            })
            .collect()
    }

    async fn access_profile(&self, id: &AccessProfileId) -> StoreResult<Option<AccessProfile>> {
        let sql =
            "SELECT id, name, description, source_id, owner_id FROM access_profiles WHERE id = $1";
        let Some(row) = self.fetch_by_id(sql, id.as_str()).await? else {
            return Ok(None);
        };
        let entitlement_ids = self
            .member_ids(
                "SELECT entitlement_id FROM access_profile_entitlements
                 WHERE access_profile_id = $1 ORDER BY position",
                id.as_str(),
            )
            .await?;
        access_profile_from_row(&row, entitlement_ids).map(Some)
    }

    async fn role(&self, id: &RoleId) -> StoreResult<Option<Role>> {
        let sql = "SELECT id, name, description, owner_id, privileged FROM roles WHERE id = $1";
        let Some(row) = self.fetch_by_id(sql, id.as_str()).await? else {
            return Ok(None);
        };
        let access_profile_ids = self
            .member_ids(
                "SELECT access_profile_id FROM role_access_profiles
                 WHERE role_id = $1 ORDER BY position",
                id.as_str(),
            )
            .await?;
        let entitlement_ids = self
            .member_ids(
                "SELECT entitlement_id FROM role_entitlements WHERE role_id = $1 ORDER BY position",
                id.as_str(),
            )
            .await?;
        role_from_row(&row, access_profile_ids, entitlement_ids).map(Some)
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        self.fetch_by_id(&sql, id.as_str())
            .await?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    async fn governance_group(
        &self,
        id: &GovernanceGroupId,
    ) -> StoreResult<Option<GovernanceGroup>> {
        let sql = "SELECT id, name, description, owner_id FROM governance_groups WHERE id = $1";
        let Some(row) = self.fetch_by_id(sql, id.as_str()).await? else {
            return Ok(None);
        };
        let member_ids = self
            .member_ids(
                "SELECT identity_id FROM governance_group_members
                 WHERE group_id = $1 ORDER BY position",
                id.as_str(),
            )
            .await?;
        Ok(Some(GovernanceGroup {
            id: GovernanceGroupId(get(&row, "id")?),
            name: get(&row, "name")?,
            description: get(&row, "description")?,
            owner_id: get::<Option<String>>(&row, "owner_id")?.map(IdentityId),
            member_ids: member_ids.into_iter().map(IdentityId).collect(),
        }))
    }

    async fn assignments_of_identity(&self, id: &IdentityId) -> StoreResult<Vec<Assignment>> {
        // holder_key last: one identity may hold the same item through several accounts.
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE identity_id = $1
             ORDER BY access_type, access_id, holder_key"
        );
        self.assignments(&sql, id.as_str()).await
    }

    async fn assignments_of_account(&self, id: &AccountId) -> StoreResult<Vec<Assignment>> {
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE account_id = $1
             ORDER BY access_type, access_id, holder_key"
        );
        self.assignments(&sql, id.as_str()).await
    }

    async fn direct_reports(&self, id: &IdentityId) -> StoreResult<Vec<IdentityId>> {
        let ids = self
            .member_ids(
                "SELECT id FROM identities WHERE manager_id = $1 ORDER BY id",
                id.as_str(),
            )
            .await?;
        Ok(ids.into_iter().map(IdentityId).collect())
    }

    async fn identities(&self, ids: &[IdentityId]) -> StoreResult<Vec<Identity>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE id = ANY($1)");
        let ids = unique_ids(ids.iter().map(IdentityId::as_str));
        let rows = self.fetch_by_ids(&sql, &ids).await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn sources(&self, ids: &[SourceId]) -> StoreResult<Vec<Source>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = "SELECT id, name, description, owner_id, type FROM sources WHERE id = ANY($1)";
        let ids = unique_ids(ids.iter().map(SourceId::as_str));
        let rows = self.fetch_by_ids(sql, &ids).await?;
        rows.iter().map(source_from_row).collect()
    }

    async fn entitlements(&self, ids: &[EntitlementId]) -> StoreResult<Vec<Entitlement>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = "SELECT id, source_id, name, attribute, value, description, privileged, owner_id
                   FROM entitlements WHERE id = ANY($1)";
        let ids = unique_ids(ids.iter().map(EntitlementId::as_str));
        let rows = self.fetch_by_ids(sql, &ids).await?;
        rows.iter().map(entitlement_from_row).collect()
    }

    async fn entitlements_with_permissions(
        &self,
        ids: &[EntitlementId],
    ) -> StoreResult<Vec<EntitlementId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = unique_ids(ids.iter().map(EntitlementId::as_str));
        let with: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT entitlement_id FROM entitlement_permissions
             WHERE entitlement_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(with.into_iter().map(EntitlementId).collect())
    }

    async fn access_profiles(&self, ids: &[AccessProfileId]) -> StoreResult<Vec<AccessProfile>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = unique_ids(ids.iter().map(AccessProfileId::as_str));
        let rows = self
            .fetch_by_ids(
                "SELECT id, name, description, source_id, owner_id FROM access_profiles
                 WHERE id = ANY($1)",
                &ids,
            )
            .await?;
        let mut entitlements = self
            .members_by_ids(
                "SELECT access_profile_id, entitlement_id FROM access_profile_entitlements
                 WHERE access_profile_id = ANY($1) ORDER BY access_profile_id, position",
                &ids,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = get(row, "id")?;
                access_profile_from_row(row, entitlements.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    async fn roles(&self, ids: &[RoleId]) -> StoreResult<Vec<Role>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = unique_ids(ids.iter().map(RoleId::as_str));
        let rows = self
            .fetch_by_ids(
                "SELECT id, name, description, owner_id, privileged FROM roles WHERE id = ANY($1)",
                &ids,
            )
            .await?;
        let mut access_profiles = self
            .members_by_ids(
                "SELECT role_id, access_profile_id FROM role_access_profiles
                 WHERE role_id = ANY($1) ORDER BY role_id, position",
                &ids,
            )
            .await?;
        let mut entitlements = self
            .members_by_ids(
                "SELECT role_id, entitlement_id FROM role_entitlements
                 WHERE role_id = ANY($1) ORDER BY role_id, position",
                &ids,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = get(row, "id")?;
                role_from_row(
                    row,
                    access_profiles.remove(&id).unwrap_or_default(),
                    entitlements.remove(&id).unwrap_or_default(),
                )
            })
            .collect()
    }

    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)");
        let ids = unique_ids(ids.iter().map(AccountId::as_str));
        let rows = self.fetch_by_ids(&sql, &ids).await?;
        rows.iter().map(account_from_row).collect()
    }
}
