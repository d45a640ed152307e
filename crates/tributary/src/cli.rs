//! Command-line interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

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
    Demo(crate::commands::DemoArgs),
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
    Bench(crate::commands::BenchCommand),
    /// Print the OpenAPI document, or compare it with a file.
    Openapi {
        /// Exit with an error if FILE differs from the generated document.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account and its first API key (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for an account (shown once).
    Create(ApiKeyCreate),
    /// List an account's API keys (prefixes only).
    List {
        #[arg(long)]
        account: Uuid,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key: it stops working at once.
    Revoke {
        #[arg(long)]
        account: Uuid,
        /// The key's id (from `api-key list`).
        key_id: Uuid,
    },
}

#[derive(Debug, Args)]
pub struct ApiKeyCreate {
    #[arg(long)]
    pub account: Uuid,
    /// A label for the key.
    #[arg(long, default_value = "default")]
    pub name: String,
    #[arg(long)]
    pub json: bool,
}
