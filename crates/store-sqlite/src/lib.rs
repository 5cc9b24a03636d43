//! Attest's embedded storage backend: one SQLite file, implementing [`attest_store::Store`].
//!
//! Policy: this crate owns the SQLite schema (its append-only migrations in `migrations/`,
//! embedded in the binary) and every SQL statement that runs on SQLite. It implements the
//! traits of `attest-store` and passes that crate's conformance suite unchanged; it holds no
//! business rules (references, manager loops and duplicates are judged by the engine) and it
//! never reads the wall clock (times come in through the traits; the only clock stamps,
//! `import_runs.finished_at` and `server_keys.created_at`, are written by the database for
//! operators and never read back).
//!
//! How the file is used:
//!
//! - **One writer.** Every write goes through a pool of exactly one connection and starts with
//!   `BEGIN IMMEDIATE`, so a write transaction takes the file's write lock up front instead of
//!   failing half-way with `SQLITE_BUSY`, and writers queue in the pool, in order. An import
//!   holds that connection from [`begin_import`](attest_store::ImportStore::begin_import)
//!   until it commits or is dropped, so any other write (e.g. recording a client's use)
//!   waits for the import, at most `PoolConfig::acquire_timeout`.
//! - **Many readers.** Reads go through a second pool of connections opened with
//!   `query_only`, so they never wait for the writer: in WAL mode readers see the last
//!   committed state while a write is in progress. The pool holds `PoolConfig::max_connections`
//!   readers, but no more than twice the machine's cores, since each
//!   reader is a thread running SQLite and more of them than that only take turns on the
//!   cores (on two cores, 16 clients reading item pages were served 10 % faster, p99 18 ms
//!   instead of 20 ms, by four readers than by eight).
//! - **Pragmas.** WAL journal, `synchronous = NORMAL` (durable across application crashes;
//!   the last transactions may be lost on power failure, never corrupted), foreign keys on
//!   (all deferred to commit, see the migrations), a 30 s busy timeout for other processes
//!   opening the same file, bounded page caches, no memory-mapped I/O (every mapping of the
//!   file counts in the process's resident memory, once per connection: eight readers mapping
//!   256 MiB each made a server reading a large database hold over 800 MiB; reading through
//!   the operating system's page cache measured as fast), and for the writer a file-backed
//!   temp store, so that staging a million assignments costs disk, not memory.
//!
//! Errors are mapped to [`attest_store::StoreError`] in one place (`error.rs`); how values are
//! spelled in columns is decided in one place (`codec.rs`). `examples/import_benchmark.rs`
//! measures an import of 100,000 identities and 1,000,000 assignments.

mod campaign_filters;
mod campaigns;
mod codec;
mod credentials;
mod error;
mod events;
mod import;
mod templates;
mod warehouse;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use attest_store::{Backend, PoolConfig, StoreError, StoreResult, SystemStore};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::ConnectOptions;

use crate::error::db_err;

/// The schema migrations, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a statement waits for another process's lock on the file before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page cache of the writer connection, in KiB (negative `cache_size`) outside imports: the
/// server's writes (campaign generation, decisions) touch few pages at a time, and the cache is
/// resident memory once filled.
pub(crate) const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// Page cache of the writer during an import, in KiB: large enough to hold the hot index pages
/// of a million-assignment import. Set when the import begins and put back (with the memory
/// released) when it ends.
pub(crate) const IMPORT_CACHE_KIB: i64 = 128 * 1024;

/// Page cache of each reader connection, in KiB. Small on purpose: the operating system's
/// page cache (shared, and not counted in the process's resident memory) holds the file;
/// a reader's own cache only spares it re-reading the pages of one statement. Every reader
/// keeps its cache full for as long as it lives, so this times `PoolConfig::max_connections`
/// is resident memory for good.
const READER_CACHE_KIB: i64 = 4 * 1024;

/// How many reader connections a pool bounded by `max_connections` opens: at most twice the
/// machine's cores (see the crate's documentation), at least two.
pub(crate) fn readers(max_connections: u32) -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(2);
    max_connections.clamp(1, most)
}

/// Rows a reader's worker thread may buffer ahead of the task reading them (sqlx's default is
/// 50). Candidate pages of a campaign's generation are 10,000 rows.
const READER_ROW_BUFFER: usize = 4096;

/// The write-ahead log is truncated back to this size after a checkpoint, so one large import
/// does not leave a large `-wal` file behind.
const JOURNAL_SIZE_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Pages the write-ahead log may hold before a commit checkpoints it (SQLite's default is
/// 1,000, 4 MiB). Campaign generation commits about 4 MiB of scattered index pages per batch;
/// at the default nearly every commit would copy them back to the database file, and the same
/// pages again at the next. 32 MiB keeps the log well under the truncation limit above.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8 * 1024;

/// The SQLite implementation of [`attest_store::Store`].
///
/// Cheap to share behind an `Arc`; the pools inside are reference-counted.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection; every write transaction (`BEGIN IMMEDIATE`) runs on it.
    writer: SqlitePool,
    /// `PoolConfig::max_connections` read-only connections.
    reader: SqlitePool,
}

/// What [`SqliteStore::diagnostics`] reports about the open database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteDiagnostics {
    /// The journal mode of the file, as SQLite names it (`wal`).
    pub journal_mode: String,
    /// Whether foreign keys are enforced (every connection is opened alike).
    pub foreign_keys: bool,
    /// Most connections of the writer pool (always 1).
    pub writer_connections: u32,
    /// Most connections of the reader pool.
    pub reader_connections: u32,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file named by `url`
    /// (`sqlite://path/to/attest.db` or `sqlite:attest.db`), without migrating it.
    ///
    /// Opens the writer connection at once, so a file that cannot be created or opened fails
    /// here with [`StoreError::Unavailable`] rather than on first use.
    pub async fn open(url: &str, pool: &PoolConfig) -> StoreResult<SqliteStore> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid SQLite URL {url:?}: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT_BYTES.to_string());

        // The writer connects first: it creates the file and switches it to WAL, which is
        // persistent, so the readers need not (and must not race to) set it.
        let writer_options = base
            .clone()
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            .pragma("cache_size", (-WRITER_CACHE_KIB).to_string())
            .pragma("mmap_size", "0")
            // Staging tables of an import spill to a temporary file rather than growing the
            // process with the bundle.
            .pragma("temp_store", "FILE")
            // The writer's statements are few and known; their text can be a thousand rows of
            // placeholders, and an import's merge is slow by nature. The import logs its own
            // steps instead.
            .disable_statement_logging();
        // No liveness test when a connection is handed out: a connection to a local file does
        // not go stale, and the test is a round trip to the connection's worker thread on
        // every statement.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(writer_options)
            .await
            .map_err(db_err)?;

        let reader_count = readers(pool.max_connections);
        let reader_options = base
            .pragma("cache_size", (-READER_CACHE_KIB).to_string())
            .pragma("mmap_size", "0")
            .pragma("query_only", "ON")
            // Rows cross from the connection's worker thread in a bounded channel; a deep one
            // lets the worker run ahead of a large read instead of waking (and being woken by)
            // the reading task at every few rows.
            .row_buffer_size(READER_ROW_BUFFER);
        let reader = SqlitePoolOptions::new()
            .max_connections(reader_count)
            .test_before_acquire(false)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(reader_options)
            .await
            .map_err(db_err)?;

        tracing::debug!(url, readers = reader_count, "opened SQLite store");
        Ok(SqliteStore { writer, reader })
    }

    /// Applies pending migrations (the same as [`SystemStore::migrate`], callable without the
    /// trait in scope).
    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Reports how the database is set up, for health output and tests. Runs on a reader, so
    /// it answers during an import.
    pub async fn diagnostics(&self) -> StoreResult<SqliteDiagnostics> {
        let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.reader)
            .await
            .map_err(db_err)?;
        let foreign_keys: bool = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&self.reader)
            .await
            .map_err(db_err)?;
        Ok(SqliteDiagnostics {
            journal_mode,
            foreign_keys,
            writer_connections: self.writer.options().get_max_connections(),
            reader_connections: self.reader.options().get_max_connections(),
        })
    }
}

#[async_trait]
impl SystemStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> StoreResult<()> {
        SqliteStore::migrate(self).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn token_signing_key(&self, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        credentials::token_signing_key(&self.reader, &self.writer, candidate).await
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
