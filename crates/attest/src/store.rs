//! Opens the store named by a database URL: `sqlite:` selects the embedded backend,
//! `postgres:`/`postgresql:` the server backend. Migrations run on every open.

use std::sync::Arc;

use anyhow::{bail, Context};
use attest_store::{PoolConfig, Store};

/// Opens and migrates the store at `url`.
pub async fn open(url: &str, pool: &PoolConfig) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(
            attest_store_sqlite::SqliteStore::open(url, pool)
                .await
                .with_context(|| format!("cannot open SQLite database {url}"))?,
        )
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(
            attest_store_postgres::PostgresStore::open(url, pool)
                .await
                .with_context(|| format!("cannot open PostgreSQL database {}", redact(url)))?,
        )
    } else {
        bail!(
            "unsupported database URL \"{}\": use sqlite://PATH or postgres://...",
            redact(url)
        );
    };
    store
        .migrate()
        .await
        .context("cannot apply database migrations")?;
    Ok(store)
}

/// Hides a password in a URL before it is shown or logged.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://attest.db"), "sqlite://attest.db");
    }
}
