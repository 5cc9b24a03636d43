//! The `attest` binary: parses the command line, resolves configuration, opens the store
//! chosen by the database URL's scheme, and runs one command.
//!
//! Policy: this crate wires things together and reports errors (`anyhow` at the edge); it
//! holds no business rules. Exit status 0 on success; otherwise a one-line reason on standard
//! error (an import refused for bad rows lists each row first) and a non-zero status.

/// Writes a line of command output to standard output. Unlike `println!`, it does not panic
/// when nobody reads any more (`attest import ... | head -1`): output is a courtesy, the
/// command's work is done either way.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Like [`say!`], for standard error.
macro_rules! complain {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The process allocator: mimalloc returns freed memory to the operating system and keeps
/// per-thread heaps without glibc's arena growth, which matters for a server that builds a
/// million review items in pages (with glibc malloc, freed pages stayed in its arenas) and
/// spends much of that time allocating short strings.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod commands;
mod config;
mod progress;
mod store;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, PatCommand};
use config::{FileConfig, Settings};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            complain!("attest: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// Flattens an error and its causes into one line.
fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
        .replace('\n', " ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileConfig::load(cli.global.config.as_deref())?;
    let settings = Settings::resolve(&cli.global, &file);
    telemetry::init(&settings.log, settings.log_format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => {
                commands::serve::run(
                    &settings,
                    &config::ServeSettings::resolve(&args, &file),
                    args.demo,
                )
                .await
            }
            Command::Import(args) => commands::import::run(&settings, &args.dir).await,
            Command::DemoData(args) => commands::demo_data::run(&args),
            Command::Pat {
                command: PatCommand::Create(args),
            } => commands::pat::create(&settings, &args).await,
            Command::Migrate => commands::migrate::run(&settings).await,
        }
    })
}
