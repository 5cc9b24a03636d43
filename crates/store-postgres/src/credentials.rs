//! API clients (personal access tokens) in `api_clients`.
//!
//! Policy: only the slow hash of a secret is ever stored; authorities are stored in the
//! domain's list format ([`Authority::format_list`]) and an unknown name read back is corrupt.

use async_trait::async_trait;
use attest_domain::{Authority, ClientId, IdentityId};
use attest_store::{ApiClient, CredentialStore, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::error::{corrupt, store_error};
use crate::PostgresStore;

#[async_trait]
impl CredentialStore for PostgresStore {
    async fn insert_api_client(&self, client: &ApiClient) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_clients (client_id, secret_hash, identity_id, authorities, name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(client.client_id.as_str())
        .bind(&client.secret_hash)
        .bind(client.identity_id.as_str())
        .bind(Authority::format_list(&client.authorities))
        .bind(&client.name)
        .bind(client.created_at)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn api_client(&self, id: &ClientId) -> StoreResult<Option<ApiClient>> {
        let row = sqlx::query(
            "SELECT client_id, secret_hash, identity_id, authorities, name, created_at
             FROM api_clients WHERE client_id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        let Some(row) = row else { return Ok(None) };
        let authorities: String = row.try_get("authorities").map_err(store_error)?;
        Ok(Some(ApiClient {
            client_id: ClientId(row.try_get("client_id").map_err(store_error)?),
            secret_hash: row.try_get("secret_hash").map_err(store_error)?,
            identity_id: IdentityId(row.try_get("identity_id").map_err(store_error)?),
            authorities: Authority::parse_list(&authorities)
                .map_err(|e| corrupt(format!("api_clients.authorities: {e}")))?,
            name: row.try_get("name").map_err(store_error)?,
            created_at: row.try_get("created_at").map_err(store_error)?,
        }))
    }

    async fn record_client_use(&self, id: &ClientId, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE api_clients SET last_used_at = $2 WHERE client_id = $1")
            .bind(id.as_str())
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
