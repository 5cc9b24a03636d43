//! Test support shared by every crate's tests: fresh, migrated stores.
//!
//! Policy: tests always run on SQLite; they also run on PostgreSQL when
//! `ATTEST_TEST_DATABASE_URL` is set, each test in a schema of its own. Without it, the
//! PostgreSQL variants print that they were skipped instead of silently passing.

use std::sync::Arc;

use attest_store::{PoolConfig, Store, SystemStore};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "ATTEST_TEST_DATABASE_URL";

/// A fresh, migrated SQLite store in its own temporary directory (kept until the process ends).
pub async fn sqlite_store() -> Arc<dyn Store> {
    let dir = tempfile::Builder::new()
        .prefix("attest-test-")
        .tempdir()
        .expect("temporary directory")
        .keep();
    let url = format!("sqlite://{}", dir.join("attest.db").display());
    let store = attest_store_sqlite::SqliteStore::open(&url, &PoolConfig::default())
        .await
        .expect("open SQLite store");
    SystemStore::migrate(&store)
        .await
        .expect("migrate SQLite store");
    Arc::new(store)
}

/// A fresh, migrated PostgreSQL store in a new schema, or `None` (after printing why) when
/// `ATTEST_TEST_DATABASE_URL` is not set.
pub async fn postgres_store() -> Option<Arc<dyn Store>> {
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        eprintln!("PostgreSQL test skipped: {POSTGRES_URL_VAR} is not set");
        return None;
    };
    let url = postgres::fresh_schema_url(&base).await;
    let store = attest_store_postgres::PostgresStore::open(&url, &PoolConfig::default())
        .await
        .expect("open PostgreSQL store");
    SystemStore::migrate(&store)
        .await
        .expect("migrate PostgreSQL store");
    Some(Arc::new(store))
}

/// Factory for the conformance suite: SQLite, always available.
pub async fn sqlite_factory() -> Option<Arc<dyn Store>> {
    Some(sqlite_store().await)
}

pub mod campaigns;
mod postgres;

/// A fresh SQLite store, and a fresh PostgreSQL store when configured, each with its name, for
/// tests that walk the same scenario on every backend.
pub async fn all_stores() -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut stores = vec![("sqlite", sqlite_store().await)];
    if let Some(pg) = postgres_store().await {
        stores.push(("postgres", pg));
    }
    stores
}

/// A database URL for a fresh, empty PostgreSQL schema (for tests that run the `attest`
/// binary), or `None` (after printing why) when `ATTEST_TEST_DATABASE_URL` is not set.
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        eprintln!("PostgreSQL test skipped: {POSTGRES_URL_VAR} is not set");
        return None;
    };
    Some(postgres::fresh_schema_url(&base).await)
}
