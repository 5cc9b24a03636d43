//! A fresh PostgreSQL schema per test store, so that tests run in parallel on one database.
//!
//! Policy: every schema is named `attest_t_<epoch seconds>_<random>`, the seconds read from the
//! database (this crate never reads the wall clock). Schemas are not dropped when a test ends
//! (a failing test's data stays for inspection); instead the first call in each process drops
//! the leftovers of that prefix older than six hours, so that no run in progress loses its
//! schema and crashed runs do not accumulate.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{Connection, PgConnection};

use crate::POSTGRES_URL_VAR;

/// Prefix of every test schema; nothing else may use it.
const PREFIX: &str = "attest_t_";

/// Test schemas older than this are leftovers.
const MAX_AGE_SECS: i64 = 6 * 60 * 60;

/// Whether this process has swept leftovers already.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// Creates a new, empty schema on the server at `base` and returns `base` with that schema
/// as the search path of every connection made from it.
///
/// Panics when the server cannot be reached: a test asked for PostgreSQL explicitly.
pub(crate) async fn fresh_schema_url(base: &str) -> String {
    // The URL may hold a password, so it is not repeated in panic messages.
    let mut conn = PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("connect to the server named by {POSTGRES_URL_VAR}: {e}"));
    let now: i64 = sqlx::query_scalar("SELECT extract(epoch FROM now())::bigint")
        .fetch_one(&mut conn)
        .await
        .expect("read the database's clock");
    if !SWEPT.swap(true, Ordering::SeqCst) {
        drop_stale_schemas(&mut conn, now).await;
    }
    let schema = format!("{PREFIX}{now}_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create test schema {schema}: {e}"));
    // Closing is a courtesy to the server; the schema exists either way.
    let _ = conn.close().await;
    with_search_path(base, &schema)
}

/// Drops schemas of this prefix created more than [`MAX_AGE_SECS`] before `now`. Failures are
/// reported and ignored: another process may be sweeping the same schemas.
async fn drop_stale_schemas(conn: &mut PgConnection, now: i64) {
    let pattern = format!("{}%", PREFIX.replace('_', "\\_"));
    let names: Vec<String> =
        match sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
            .bind(&pattern)
            .fetch_all(&mut *conn)
            .await
        {
            Ok(names) => names,
            Err(e) => {
                eprintln!("listing old test schemas failed: {e}");
                return;
            }
        };
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<i64>().ok());
        let Some(created) = created else { continue };
        if now - created <= MAX_AGE_SECS {
            continue;
        }
        if let Err(e) = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
            .execute(&mut *conn)
            .await
        {
            eprintln!("dropping old test schema {name} failed: {e}");
        }
    }
}

/// `base` with a libpq `options` parameter (`-c search_path=<schema>`) appended to its query
/// string. sqlx (0.8) decodes the parameter and joins several `options` with a space, so a
/// base URL that has a query string, or options of its own, keeps them.
fn with_search_path(base: &str, schema: &str) -> String {
    let (url, fragment) = match base.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (base, None),
    };
    let separator = match url.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, query)) if query.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = format!("{url}{separator}options=-c%20search_path%3D{schema}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_path_is_appended_to_any_query_string() {
        assert_eq!(
            with_search_path("postgres://u@h/db", "s1"),
            "postgres://u@h/db?options=-c%20search_path%3Ds1"
        );
        assert_eq!(
            with_search_path("postgres://u@h/db?sslmode=disable", "s1"),
            "postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Ds1"
        );
        assert_eq!(
            with_search_path("postgres://u@h/db?", "s1"),
            "postgres://u@h/db?options=-c%20search_path%3Ds1"
        );
    }

    /// Needs `ATTEST_TEST_DATABASE_URL`; checks that the server really applies the schema,
    /// also when the base URL carries a query string and options of its own.
    #[tokio::test]
    async fn connections_from_the_url_use_the_fresh_schema() {
        let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
            eprintln!("skipped: {POSTGRES_URL_VAR} is not set");
            return;
        };
        let separator = if base.contains('?') { '&' } else { '?' };
        let base =
            format!("{base}{separator}sslmode=disable&options=-c%20statement_timeout%3D12345");
        let url = fresh_schema_url(&base).await;
        let mut conn = PgConnection::connect(&url)
            .await
            .expect("connect with the schema URL");
        let (schema, timeout): (String, String) =
            sqlx::query_as("SELECT current_schema()::text, current_setting('statement_timeout')")
                .fetch_one(&mut conn)
                .await
                .expect("read the session's settings");
        assert!(
            schema.starts_with(PREFIX),
            "search_path not applied: {schema}"
        );
        assert_eq!(timeout, "12345ms");
        sqlx::query("CREATE TABLE probe (x int)")
            .execute(&mut conn)
            .await
            .expect("create a table");
        let owner: String = sqlx::query_scalar(
            "SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = 'probe'::regclass",
        )
        .fetch_one(&mut conn)
        .await
        .expect("find the table");
        assert_eq!(owner, schema);
    }
}
