//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::{
    commands::{self, bench::BenchCommand, demo::DemoArgs, AccountCommand, ApiKeyCommand},
    config::Config,
    runtime,
};

#[derive(Debug, Parser)]
#[command(
    name = "tributary",
    version,
    about = "A self-hostable unified API for security tools"
)]
pub struct Cli {
    /// Configuration file (TOML). Default: $TRIBUTARY_CONFIG, or ./tributary.toml if present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run Tributary with embedded SQLite and three simulated vendors (healthy and failing
    /// connections), and print the dashboard URL and an API key.
    Demo(DemoArgs),
    /// Run the API server, scheduler and workers (per the configured roles).
    Serve {
        /// Listen address, e.g. 0.0.0.0:8080 (overrides `listen`).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Check that a running server is ready (exit 0) or not (exit 1).
    Healthcheck {
        /// The server's base URL (default: from `listen`).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Sync one connection now, in the foreground, with a progress line.
    Sync {
        /// The connection's id.
        connection_id: Uuid,
    },
    /// Run a simulated vendor API (CrowdStrike, SentinelOne or Defender for Endpoint) on
    /// loopback, with generated data and injectable faults; prints its URL and credentials.
    Simulate(tributary_simulators::SimulateArgs),
    /// Benchmarks that print figures next to a same-run baseline.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print the OpenAPI document, or compare it with a file.
    Openapi {
        /// Exit with an error if FILE differs from the generated document.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Command::Openapi { check } => return commands::openapi::run(check.as_deref()),
        // The simulator needs no configuration, store or logging setup of ours.
        Command::Simulate(args) => return tributary_simulators::run_simulate(args).await,
        Command::Bench(cmd) => {
            let mut config = Config::load(cli.config.clone())?;
            // A fleet logs every job start and finish at info: hundreds of lines a second.
            if matches!(cmd, BenchCommand::Fleet(_))
                && std::env::var_os("TRIBUTARY_LOG_LEVEL").is_none()
            {
                config.log_level = "warn".into();
            }
            runtime::init_logging(&config);
            return commands::bench::run(config, cmd).await;
        }
        Command::Demo(args) => {
            let config = Config::load(cli.config.clone())?;
            runtime::init_logging(&config);
            return commands::demo::run(config, args).await;
        }
        command => command,
    };
    let mut config = Config::load(cli.config.clone())?;
    runtime::init_logging(&config);
    match command {
        Command::Serve { listen } => {
            if let Some(l) = listen {
                config.listen = l;
                config.validate()?;
            }
            commands::serve::run(&config).await
        }
        Command::Migrate => {
            let store = runtime::open_store(&config).await?;
            runtime::keyring(&config, store.as_ref()).await?;
            store.close().await;
            println!(
                "database is up to date: {}",
                tributary_store::redact_url(&config.database_url())
            );
            Ok(())
        }
        Command::Account(cmd) => commands::accounts::account(&config, cmd).await,
        Command::ApiKey(cmd) => commands::accounts::api_key(&config, cmd).await,
        Command::Healthcheck { url } => commands::healthcheck::run(&config, url).await,
        Command::Sync { connection_id } => commands::sync::run(&config, connection_id).await,
        Command::Openapi { .. } | Command::Simulate(_) | Command::Demo(_) | Command::Bench(_) => {
            unreachable!("handled above")
        }
    }
}
