//! The one place where sqlx and PostgreSQL errors become [`StoreError`]s.
//!
//! Policy: callers above the store only ever see the five [`StoreError`] kinds. A unique
//! violation is a conflict; anything that says the server cannot be reached, refused us, or is
//! shutting down is "unavailable"; a value that does not decode into a domain type is
//! "corrupt"; everything else is a plain database error whose message is for logs only.

use attest_store::StoreError;

/// SQLSTATE of a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// Maps a sqlx error to the store's error kinds.
pub(crate) fn store_error(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let message = match db.constraint() {
                Some(constraint) => format!("{} (constraint {constraint})", db.message()),
                None => db.message().to_owned(),
            };
            if code == UNIQUE_VIOLATION {
                StoreError::Conflict(message)
            } else if server_unavailable(&code) {
                StoreError::Unavailable(format!("{message} (SQLSTATE {code})"))
            } else {
                StoreError::Database(format!("{message} (SQLSTATE {code})"))
            }
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for a database connection".to_owned())
        }
        sqlx::Error::PoolClosed => {
            StoreError::Unavailable("the connection pool is closed".to_owned())
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(format!("I/O error: {e}")),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("TLS error: {e}")),
        sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the connection's background worker crashed".to_owned())
        }
        e @ (sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }) => StoreError::Corrupt(e.to_string()),
        e => StoreError::Database(e.to_string()),
    }
}

/// SQLSTATE classes and codes that mean "the server is not there for us right now":
/// connection exceptions (08), invalid authorization (28), unknown database (3D000),
/// too many connections (53300) and operator intervention such as a shutdown (57P01-57P03).
fn server_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("28")
        || matches!(code, "3D000" | "53300" | "57P01" | "57P02" | "57P03")
}

/// Maps a migration error, keeping "unavailable" recognisable.
pub(crate) fn migrate_error(err: sqlx::migrate::MigrateError) -> StoreError {
    match err {
        sqlx::migrate::MigrateError::Execute(e) => match store_error(e) {
            StoreError::Unavailable(m) => StoreError::Unavailable(m),
            other => StoreError::Migration(other.to_string()),
        },
        e => StoreError::Migration(e.to_string()),
    }
}

/// A stored value that is not what the schema promises.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_problems_are_unavailable() {
        assert!(matches!(
            store_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(
            store_error(sqlx::Error::Io(refused)),
            StoreError::Unavailable(_)
        ));
        assert!(server_unavailable("08006") && server_unavailable("57P01"));
        assert!(!server_unavailable("23503"));
    }

    #[test]
    fn decode_failures_are_corrupt() {
        let err = sqlx::Error::ColumnNotFound("id".to_owned());
        assert!(matches!(store_error(err), StoreError::Corrupt(_)));
    }
}
