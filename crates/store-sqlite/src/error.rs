//! The one place where SQLite and sqlx failures become [`StoreError`]s.
//!
//! Policy: callers above the store see only [`StoreError`]; which variant a failure maps to
//! is decided here and nowhere else. Messages are for logs, never for API clients.

use attest_store::StoreError;
use sqlx::error::ErrorKind;

// Primary SQLite result codes (the low byte of an extended code).
// https://www.sqlite.org/rescode.html
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_CORRUPT: i32 = 11;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;
const SQLITE_NOTADB: i32 = 26;

/// Maps an sqlx error to the store's error:
///
/// - a unique or primary-key violation is a [`StoreError::Conflict`];
/// - a pool timeout, a closed pool, an I/O failure, a busy or locked database, a full disk or
///   a file that cannot be opened is [`StoreError::Unavailable`] (worth retrying later);
/// - a value that does not decode, a missing column, or a corrupt file is
///   [`StoreError::Corrupt`];
/// - a failed migration is [`StoreError::Migration`];
/// - anything else (a foreign-key or check violation, a bug in our SQL) is
///   [`StoreError::Database`].
pub(crate) fn db_err(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            if db.kind() == ErrorKind::UniqueViolation {
                return StoreError::Conflict(message);
            }
            let primary = db
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .map(|code| code & 0xff);
            match primary {
                Some(
                    SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN,
                ) => StoreError::Unavailable(message),
                Some(SQLITE_CORRUPT | SQLITE_NOTADB) => StoreError::Corrupt(message),
                _ => StoreError::Database(message),
            }
        }
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Io(_) => StoreError::Unavailable(error.to_string()),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(error.to_string()),
        sqlx::Error::Migrate(migrate) => StoreError::Migration(migrate.to_string()),
        other => StoreError::Database(other.to_string()),
    }
}

/// A stored value that decoded at the SQL level but is not a valid domain value.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}
