//! The command line, as CONTRACTS.md promises it. Every flag that has an `ATTEST_*`
//! environment variable may also be set in the configuration file (see `config.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Attest: self-hosted access certification.
///
/// Runs access reviews (campaigns) over an identity warehouse loaded from CSV bundles, and
/// serves SailPoint- and Okta-compatible APIs for them.
#[derive(Debug, Parser)]
#[command(name = "attest", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database URL: `sqlite://PATH` (embedded, the default `sqlite://attest.db`) or
    /// `postgres://USER@HOST:PORT/DB`.
    #[arg(long, global = true, env = "ATTEST_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,

    /// Configuration file (TOML). Default: `attest.toml` in the working directory, if present.
    #[arg(long, global = true, env = "ATTEST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log filter, e.g. `info` or `attest=debug,sqlx=warn`.
    #[arg(long, global = true, env = "ATTEST_LOG", value_name = "FILTER")]
    pub log: Option<String>,

    /// Log format on standard error.
    #[arg(long, global = true, env = "ATTEST_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Most database connections open at once.
    #[arg(
        long,
        global = true,
        env = "ATTEST_DB_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub db_max_connections: Option<u32>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the APIs and run the background workers.
    Serve(ServeArgs),
    /// Load a data bundle (a folder of CSV files) into the identity warehouse, all or nothing.
    ///
    /// One bad row rejects the whole import: every problem is printed as `file:line: reason`
    /// on standard error, nothing is written, and the exit status is 1. Re-importing updates
    /// and adds records, and removes assignments that are no longer listed.
    Import(ImportArgs),
    /// Write a realistic generated organisation as a data bundle (deterministic for a seed).
    DemoData(DemoDataArgs),
    /// Manage personal access tokens (API clients).
    Pat {
        /// What to do with tokens.
        #[command(subcommand)]
        command: PatCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
}

/// `attest serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "ATTEST_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Load a demo organisation when the database is empty, and print a ready-to-use
    /// administrator client id and secret.
    #[arg(long)]
    pub demo: bool,

    /// Identities in the demo organisation loaded by `--demo` (default 2000).
    #[arg(long, env = "ATTEST_DEMO_IDENTITIES", value_name = "N")]
    pub demo_identities: Option<u32>,

    /// Lifetime of issued bearer tokens, in seconds (default 3600).
    #[arg(long, env = "ATTEST_TOKEN_TTL", value_name = "SECONDS")]
    pub token_ttl: Option<u32>,

    /// Requests per second each API client may make, sustained (default 100; 0: no limit).
    /// Beyond it requests get 429 with `Retry-After`.
    #[arg(long, env = "ATTEST_RATE_LIMIT", value_name = "N")]
    pub rate_limit: Option<u32>,

    /// Requests each API client may make at once after being idle (default: twice the rate).
    #[arg(long, env = "ATTEST_RATE_LIMIT_BURST", value_name = "N")]
    pub rate_limit_burst: Option<u32>,

    /// How long to wait for requests in flight when shutting down, in seconds (default 30).
    #[arg(long, env = "ATTEST_SHUTDOWN_GRACE", value_name = "SECONDS")]
    pub shutdown_grace: Option<u32>,

    /// How often the campaign template scheduler looks for due occurrences, in seconds
    /// (default 30; at least 1). A due occurrence's campaign is created within this time.
    #[arg(long, env = "ATTEST_SCHEDULER_INTERVAL", value_name = "SECONDS")]
    pub scheduler_interval: Option<u32>,
}

/// `attest import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The bundle folder (holding at least `identities.csv`).
    pub dir: PathBuf,
}

/// `attest demo-data`.
#[derive(Debug, Args)]
pub struct DemoDataArgs {
    /// Folder to write the bundle into (created if missing).
    pub dir: PathBuf,
    /// Number of identities.
    #[arg(long, default_value_t = 1000)]
    pub identities: u32,
    /// Random seed: the same seed and size give the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// `attest pat ...`.
#[derive(Debug, Subcommand)]
pub enum PatCommand {
    /// Create a personal access token for an existing identity. The secret is shown once.
    Create(PatCreateArgs),
}

/// `attest pat create`.
#[derive(Debug, Args)]
pub struct PatCreateArgs {
    /// The identity the token acts as.
    #[arg(long, value_name = "ID")]
    pub identity: String,
    /// An authority to grant (repeatable): ORG_ADMIN, CERT_ADMIN, REPORT_ADMIN. None: an
    /// ordinary user, such as a reviewer.
    #[arg(long = "authority", value_name = "A")]
    pub authorities: Vec<String>,
    /// A label for the token.
    #[arg(long, default_value = "personal access token")]
    pub name: String,
    /// Print exactly one JSON object `{"clientId": "...", "clientSecret": "..."}`.
    #[arg(long)]
    pub json: bool,
}
