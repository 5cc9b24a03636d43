//! API clients and the token signing key ([`CredentialStore`], part of [`SystemStore`]).
//!
//! Policy: secrets never reach this module, only their slow hashes; writes run in short
//! `BEGIN IMMEDIATE` transactions on the writer, reads on the reader pool.
//!
//! [`SystemStore`]: attest_store::SystemStore

use async_trait::async_trait;
use attest_domain::{Authority, ClientId, IdentityId};
use attest_store::{ApiClient, CredentialStore, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::codec::{decode_time, encode_time, get};
use crate::error::{corrupt, db_err};
use crate::SqliteStore;

/// The `server_keys` row that holds the bearer-token signing key.
const TOKEN_SIGNING_KEY: &str = "token-signing";

/// Returns the stored token signing key, storing `candidate` first if there is none.
///
/// The common case (the key exists) is answered by a reader, so starting a node never waits
/// for an import in progress.
pub(crate) async fn token_signing_key(
    reader: &SqlitePool,
    writer: &SqlitePool,
    candidate: &[u8],
) -> StoreResult<Vec<u8>> {
    let select = "SELECT key FROM server_keys WHERE name = ?1";
    let stored: Option<Vec<u8>> = sqlx::query_scalar(select)
        .bind(TOKEN_SIGNING_KEY)
        .fetch_optional(reader)
        .await
        .map_err(db_err)?;
    if let Some(key) = stored {
        return Ok(key);
    }
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.map_err(db_err)?;
    sqlx::query(
        "INSERT INTO server_keys (name, key) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(TOKEN_SIGNING_KEY)
    .bind(candidate)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let key: Vec<u8> = sqlx::query_scalar(select)
        .bind(TOKEN_SIGNING_KEY)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok(key)
}

#[async_trait]
impl CredentialStore for SqliteStore {
    async fn insert_api_client(&self, client: &ApiClient) -> StoreResult<()> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO api_clients
                 (client_id, secret_hash, identity_id, authorities, name, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(client.client_id.as_str())
        .bind(&client.secret_hash)
        .bind(client.identity_id.as_str())
        .bind(Authority::format_list(&client.authorities))
        .bind(&client.name)
        .bind(encode_time(&client.created_at))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn api_client(&self, id: &ClientId) -> StoreResult<Option<ApiClient>> {
        let row = sqlx::query(
            "SELECT client_id, secret_hash, identity_id, authorities, name, created_at
             FROM api_clients WHERE client_id = ?1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let authorities: String = get(&row, "authorities")?;
        Ok(Some(ApiClient {
            client_id: ClientId(get(&row, "client_id")?),
            secret_hash: get(&row, "secret_hash")?,
            identity_id: IdentityId(get(&row, "identity_id")?),
            authorities: Authority::parse_list(&authorities)
                .map_err(|e| corrupt("api_clients.authorities", e))?,
            name: get(&row, "name")?,
            created_at: decode_time(&get::<String>(&row, "created_at")?)?,
        }))
    }

    async fn record_client_use(&self, id: &ClientId, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE api_clients SET last_used_at = ?1 WHERE client_id = ?2")
            .bind(encode_time(&at))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }
}
