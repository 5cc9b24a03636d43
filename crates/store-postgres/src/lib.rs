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
//! - sqlx warns of a statement slower than `SLOW_STATEMENT` (10 s, not its default 1 s): an
//!   import's set-based statements run for seconds by design and log their own steps at debug
//!   level with elapsed times instead (`import.rs`), while serving queries take milliseconds.
//! - Five references have no foreign key, for import speed: `accounts.source_id`,
//!   `accounts.identity_id`, `accounts.owner_id`, `assignments.identity_id` and
//!   `assignments.account_id`. As deferred foreign keys they made COMMIT check each written row
//!   on its own: 14.5 s of a 31.6 s first import of 800,000 accounts and 1,000,000 assignments
//!   (about 6 s for the accounts' three keys, 8 s for the assignments' two). The import checks
//!   them with set-based anti-joins instead, assignments in `merge_assignments` (0.9 s) and
//!   accounts at commit (0.3 s); COMMIT now takes 0.4 s. Every other reference keeps its
//!   foreign key: the costliest, `identities.manager_id`, adds about 0.4 s at commit for
//!   100,000 identities, too little to trade for a check of our own. See
//!   `migrations/0001_warehouse.sql`.

mod campaign_filters;
mod campaigns;
mod credentials;
mod error;
mod events;
mod import;
mod templates;
mod warehouse;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use attest_store::{
    Backend, ImportStore, ImportTx, PoolConfig, StoreError, StoreResult, SystemStore,
};
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{migrate_error, store_error};

/// The migrations of this backend, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// sqlx logs a statement slower than this as a warning, with its whole text.
///
/// Serving queries are index lookups that take milliseconds, so one this slow deserves a
/// warning. An import's set-based statements are slow by design and grow with the bundle:
/// merging a million assignments into an empty table takes 6 to 7 s on a small server (two
/// vCPUs, 128 MB of shared buffers), which sqlx's default of 1 s reported on every import; the
/// import logs its own steps at debug level with elapsed times instead (`import.rs`). One pool
/// serves both and sqlx fixes a connection's log settings when it connects, so one threshold
/// covers both: an import of several million assignments may still exceed it.
const SLOW_STATEMENT: Duration = Duration::from_secs(10);

/// Name of the token signing key in `server_keys`.
const TOKEN_SIGNING_KEY: &str = "token-signing";

/// How long a pooled connection may sit idle before it is pinged when handed out again.
const PING_WHEN_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

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
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?
            .log_slow_statements(log::LevelFilter::Warn, SLOW_STATEMENT);
        let connected = PgPoolOptions::new()
            .max_connections(pool.max_connections.max(1))
            .acquire_timeout(pool.acquire_timeout)
            // A connection handed out is pinged first only when it has been idle a while: one
            // used a moment ago is known to work, and pinging every time was a round trip
            // before each statement (an eighth of Attest's CPU on item pages).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
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
