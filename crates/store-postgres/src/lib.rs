//! Attest's PostgreSQL storage backend: the production and scale-out store.
//!
//! Policy:
//! - This crate owns the PostgreSQL schema (`migrations/`, append-only, applied only by
//!   [`SystemStore::migrate`], never by [`PostgresStore::open`]) and all SQL run against it.
//!   It implements the traits of `attest-store` and nothing else; it holds no business rules.
//! - Any number of stateless Attest nodes may share one database (and one schema). Whatever
//!   must happen once is made safe for that: migrations run under sqlx's advisory lock, imports
//!   take a transaction-scoped advisory lock, the token signing key is created with
//!   `ON CONFLICT DO NOTHING`.
//! - Bulk writes are set-based: batches go in as arrays through `UNNEST` (one statement per
//!   batch, no bind-parameter limit), assignments through `COPY`. Never one statement per row.
//! - Ordering by id is byte order (columns use the "C" collation), the same as on SQLite.
//! - The wall clock is never read here: timestamps come from the caller's injected clock. Only
//!   two bookkeeping columns use the database's clock: `server_keys.created_at` and the elapsed
//!   part of `import_runs.finished_at` (the trait's `commit` takes no time).
//! - Errors are mapped in one place (`error.rs`); callers see only [`StoreError`] kinds.

mod credentials;
mod error;
mod import;
mod warehouse;

use std::str::FromStr;

use async_trait::async_trait;
use attest_store::{
    Backend, ImportStore, ImportTx, PoolConfig, StoreError, StoreResult, SystemStore,
};
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection;

use crate::error::{migrate_error, store_error};

/// The migrations of this backend, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Name of the token signing key in `server_keys`.
const TOKEN_SIGNING_KEY: &str = "token-signing";

/// A store on a PostgreSQL database: one bounded connection pool.
///
/// The URL's `options` parameter (e.g. `options=-c%20search_path%3Dattest`) selects a schema;
/// nodes that share a database and schema share one Attest installation.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://...`) with a pool bounded by `pool`.
    ///
    /// Opens one connection straight away so that a wrong URL or an unreachable server fails
    /// here ([`StoreError::Unavailable`]) rather than at first use. A server that refuses
    /// connections is retried (it may be starting) until `pool.acquire_timeout`. Does not
    /// migrate.
    pub async fn open(url: &str, pool: &PoolConfig) -> StoreResult<PostgresStore> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?;
        let connected = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone())
            .await;
        match connected {
            Ok(pool) => Ok(PostgresStore { pool }),
            // The pool only says that it gave up; one more direct attempt says why.
            Err(sqlx::Error::PoolTimedOut) => {
                let reason = match PgConnection::connect_with(&options).await {
                    Ok(conn) => {
                        let _ = conn.close().await;
                        "timed out".to_owned()
                    }
                    Err(e) => store_error(e).to_string(),
                };
                Err(StoreError::Unavailable(format!(
                    "could not connect to PostgreSQL within {:?}: {reason}",
                    pool.acquire_timeout
                )))
            }
            Err(e) => Err(store_error(e)),
        }
    }

    /// Applies pending migrations (the same as [`SystemStore::migrate`], callable without the
    /// trait in scope). Safe when several nodes start at once: sqlx's migrator holds a
    /// PostgreSQL advisory lock while it runs, so one node migrates and the others then find
    /// nothing to do.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await.map_err(store_error)?;
        // The migrator serialises concurrent runs with a session-level advisory lock, which it
        // does not release when a migration fails. Such a connection must not go back to the
        // pool still holding the lock, so it is closed instead. (`run_direct` is `run` on a
        // plain connection; `run` itself trips the compiler's Send inference in async traits.)
        let result = MIGRATOR.run_direct(&mut *conn).await;
        if result.is_err() {
            conn.close_on_drop();
        }
        result.map_err(migrate_error)
    }
}

#[async_trait]
impl SystemStore for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> StoreResult<()> {
        PostgresStore::migrate(self).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn token_signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        // Two statements, not one: after waiting for a concurrent insert of the same name,
        // `ON CONFLICT DO NOTHING` returns nothing, and only a new statement (a new snapshot
        // under READ COMMITTED) sees the row the other node committed.
        sqlx::query(
            "INSERT INTO server_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(TOKEN_SIGNING_KEY)
        .bind(candidate)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        sqlx::query_scalar("SELECT key FROM server_keys WHERE name = $1")
            .bind(TOKEN_SIGNING_KEY)
            .fetch_one(&self.pool)
            .await
            .map_err(store_error)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl ImportStore for PostgresStore {
    async fn begin_import(&self, started_at: DateTime<Utc>) -> StoreResult<Box<dyn ImportTx>> {
        let tx = import::PgImport::begin(&self.pool, started_at).await?;
        Ok(Box::new(tx))
    }
}
