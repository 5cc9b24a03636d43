//! `attest demo-data DIR`.

use std::process::ExitCode;

use anyhow::Context;
use attest_engine::demo::{write_demo_bundle, DemoOptions};

use crate::cli::DemoDataArgs;

/// Writes the generated bundle and prints what it holds.
pub fn run(args: &DemoDataArgs) -> anyhow::Result<ExitCode> {
    let summary = write_demo_bundle(
        &args.dir,
        &DemoOptions {
            identities: args.identities,
            seed: args.seed,
        },
    )
    .with_context(|| format!("cannot write demo bundle to {}", args.dir.display()))?;
    say!("wrote a demo organisation to {}", args.dir.display());
    for (file, n) in summary.rows.per_bundle_file() {
        say!("{file}: {n} rows");
    }
    Ok(ExitCode::SUCCESS)
}
