//! `attest import DIR`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use attest_domain::SystemClock;
use attest_engine::import::{import_bundle, ImportError};

use crate::config::Settings;
use crate::progress::TerminalProgress;

/// Imports the bundle; on refusal prints every problem as `file:line: reason` and exits 1.
pub async fn run(settings: &Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    let store = crate::store::open(&settings.database_url, &settings.pool).await?;
    let progress = Arc::new(TerminalProgress::new());
    let result = import_bundle(store.as_ref(), &SystemClock, dir, progress.clone()).await;
    progress.clear();
    store.close().await;
    match result {
        Ok(report) => {
            for file in &report.files {
                say!("{file}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid { issues, more }) => {
            for issue in &issues {
                complain!("{issue}");
            }
            if more > 0 {
                complain!("... and {more} more problem(s)");
            }
            complain!(
                "attest: import refused: {} problem(s) found; nothing was written",
                issues.len() as u64 + more
            );
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
