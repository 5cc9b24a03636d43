//! `attest migrate`.

use std::process::ExitCode;

use crate::config::Settings;

/// Opens the store (which applies migrations) and exits.
pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&settings.database_url, &settings.pool).await?;
    store.close().await;
    say!("migrations applied ({})", store.backend().as_str());
    Ok(ExitCode::SUCCESS)
}
