//! Configuration: flags, then `ATTEST_*` environment variables (both through clap), then the
//! optional TOML file, then built-in defaults, in that order of precedence.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use attest_api::rate_limit::RateLimit;
use attest_store::PoolConfig;
use serde::Deserialize;

use crate::cli::{GlobalArgs, LogFormat, ServeArgs};

/// The default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://attest.db";
/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The configuration file's shape. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileConfig {
    database_url: Option<String>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    db_max_connections: Option<u32>,
    db_acquire_timeout_seconds: Option<u64>,
    listen: Option<SocketAddr>,
    token_ttl_seconds: Option<u32>,
    demo_identities: Option<u32>,
    shutdown_grace_seconds: Option<u32>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
    scheduler_interval_seconds: Option<u32>,
}

impl FileConfig {
    /// Reads the file named by `--config`/`ATTEST_CONFIG`, or `attest.toml` if it exists.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Self> {
        let path: PathBuf = match explicit {
            Some(p) => p.to_owned(),
            None => {
                let default = PathBuf::from("attest.toml");
                if !default.exists() {
                    return Ok(Self::default());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display()))
    }
}

/// Settings every command uses.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
    /// Pool bounds.
    pub pool: PoolConfig,
}

/// Settings of `attest serve`.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Bearer token lifetime.
    pub token_ttl: chrono::Duration,
    /// Identities in the `--demo` organisation.
    pub demo_identities: u32,
    /// Grace period for requests in flight at shutdown.
    pub shutdown_grace: Duration,
    /// Per-client request rate limit.
    pub rate_limit: RateLimit,
    /// How often the campaign template scheduler runs.
    pub scheduler_interval: Duration,
}

impl Settings {
    /// Merges flags/environment over the file over defaults.
    pub fn resolve(args: &GlobalArgs, file: &FileConfig) -> Self {
        let defaults = PoolConfig::default();
        let database_url = args
            .database
            .clone()
            .or_else(|| file.database_url.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let default_connections = default_max_connections(&database_url, cores, &defaults);
        Self {
            database_url,
            log: args
                .log
                .clone()
                .or_else(|| file.log.clone())
                .unwrap_or_else(|| "info".to_owned()),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            pool: PoolConfig {
                max_connections: args
                    .db_max_connections
                    .or(file.db_max_connections)
                    .unwrap_or(default_connections)
                    .max(1),
                acquire_timeout: file
                    .db_acquire_timeout_seconds
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.acquire_timeout),
            },
        }
    }
}

/// The pool bound when none is configured. SQLite: [`PoolConfig::default`] (its readers are
/// bounded by the cores in the store). PostgreSQL: one connection more than this machine has
/// cores. A statement holds a core of the database server while it runs, so more connections
/// than cores only make statements take turns, and the turns land in the latency tail: with
/// PostgreSQL on the same 2 cores, reviewers' item pages at 16 clients measured p99 17 to 18 ms
/// with 3 connections, 20 to 22 ms with 4 and 27 to 29 ms with 8 (docs/benchmarks.md). A
/// database server with cores of its own wants `--db-max-connections` raised.
fn default_max_connections(database_url: &str, cores: usize, defaults: &PoolConfig) -> u32 {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        u32::try_from(cores).unwrap_or(u32::MAX).saturating_add(1)
    } else {
        defaults.max_connections
    }
}

impl ServeSettings {
    /// Merges flags/environment over the file over defaults.
    pub fn resolve(args: &ServeArgs, file: &FileConfig) -> Self {
        Self {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default address")),
            token_ttl: chrono::Duration::seconds(i64::from(
                args.token_ttl
                    .or(file.token_ttl_seconds)
                    .unwrap_or(3600)
                    .max(1),
            )),
            demo_identities: args
                .demo_identities
                .or(file.demo_identities)
                .unwrap_or(2000),
            shutdown_grace: Duration::from_secs(u64::from(
                args.shutdown_grace
                    .or(file.shutdown_grace_seconds)
                    .unwrap_or(30),
            )),
            rate_limit: {
                let per_second = args
                    .rate_limit
                    .or(file.rate_limit_per_second)
                    .unwrap_or(RateLimit::default().per_second);
                RateLimit {
                    per_second,
                    burst: args
                        .rate_limit_burst
                        .or(file.rate_limit_burst)
                        .unwrap_or(per_second.saturating_mul(2)),
                }
            },
            scheduler_interval: Duration::from_secs(u64::from(
                args.scheduler_interval
                    .or(file.scheduler_interval_seconds)
                    .unwrap_or(30)
                    .max(1),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let file: FileConfig = toml::from_str(
            "database_url = \"sqlite://from-file.db\"\nlisten = \"127.0.0.1:9000\"\ntoken_ttl_seconds = 60\n",
        )
        .unwrap();
        let cli =
            Cli::try_parse_from(["attest", "--database", "sqlite://flag.db", "serve"]).unwrap();
        let settings = Settings::resolve(&cli.global, &file);
        assert_eq!(settings.database_url, "sqlite://flag.db");
        let crate::cli::Command::Serve(serve) = &cli.command else {
            panic!("serve")
        };
        let serve = ServeSettings::resolve(serve, &file);
        assert_eq!(serve.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(serve.token_ttl.num_seconds(), 60);
        assert_eq!(serve.rate_limit, RateLimit::default());

        let cli = Cli::try_parse_from(["attest", "serve", "--rate-limit", "5"]).unwrap();
        let crate::cli::Command::Serve(serve) = &cli.command else {
            panic!("serve")
        };
        let limit = ServeSettings::resolve(serve, &FileConfig::default()).rate_limit;
        assert_eq!((limit.per_second, limit.burst), (5, 10));

        let cli = Cli::try_parse_from(["attest", "migrate"]).unwrap();
        let none = Settings::resolve(&cli.global, &FileConfig::default());
        if std::env::var_os("ATTEST_DATABASE_URL").is_none() {
            assert_eq!(none.database_url, DEFAULT_DATABASE_URL);
        }
    }

    #[test]
    fn the_scheduler_interval_comes_from_the_flag_then_the_file_then_30_seconds() {
        let parse = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).unwrap();
            let crate::cli::Command::Serve(serve) = cli.command else {
                panic!("serve")
            };
            serve
        };
        let file: FileConfig = toml::from_str("scheduler_interval_seconds = 5\n").unwrap();
        let flag = parse(&["attest", "serve", "--scheduler-interval", "2"]);
        assert_eq!(
            ServeSettings::resolve(&flag, &file).scheduler_interval,
            Duration::from_secs(2)
        );
        let plain = parse(&["attest", "serve"]);
        if std::env::var_os("ATTEST_SCHEDULER_INTERVAL").is_none() {
            assert_eq!(
                ServeSettings::resolve(&plain, &file).scheduler_interval,
                Duration::from_secs(5)
            );
            assert_eq!(
                ServeSettings::resolve(&plain, &FileConfig::default()).scheduler_interval,
                Duration::from_secs(30)
            );
        }
        let zero = parse(&["attest", "serve", "--scheduler-interval", "0"]);
        assert_eq!(
            ServeSettings::resolve(&zero, &file).scheduler_interval,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn postgres_pools_default_to_one_connection_more_than_the_cores() {
        let defaults = PoolConfig::default();
        for url in ["postgres://db/attest", "postgresql://db/attest"] {
            assert_eq!(default_max_connections(url, 2, &defaults), 3);
            assert_eq!(default_max_connections(url, 16, &defaults), 17);
        }
        assert_eq!(
            default_max_connections("sqlite://attest.db", 2, &defaults),
            defaults.max_connections
        );
        // A configured bound wins over the default.
        let cli = Cli::try_parse_from([
            "attest",
            "--database",
            "postgres://db/attest",
            "--db-max-connections",
            "12",
            "serve",
        ])
        .unwrap();
        let settings = Settings::resolve(&cli.global, &FileConfig::default());
        assert_eq!(settings.pool.max_connections, 12);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let err = toml::from_str::<FileConfig>("databse_url = \"x\"").unwrap_err();
        assert!(err.to_string().contains("databse_url"), "{err}");
    }
}
