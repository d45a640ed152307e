//! One module per CLI command.

mod accounts;
mod api_client;
mod bench;
pub use bench::BenchCommand;
mod demo;
pub use accounts::create_key;
pub use demo::DemoArgs;
mod healthcheck;
mod openapi;
mod serve;
mod sync;

use crate::{
    cli::{Cli, Command},
    config::Config,
    runtime,
};

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        Command::Openapi { check } => return openapi::run(check.as_deref()),
        // The simulator needs no configuration, store or logging setup of ours.
        Command::Simulate(args) => return tributary_simulators::run_simulate(args).await,
        Command::Bench(cmd) => {
            let config = Config::load(cli.config.clone())?;
            runtime::init_logging(&config);
            return bench::run(config, cmd).await;
        }
        Command::Demo(args) => {
            let config = Config::load(cli.config.clone())?;
            runtime::init_logging(&config);
            return demo::run(config, args).await;
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
            serve::run(&config).await
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
        Command::Account(cmd) => accounts::account(&config, cmd).await,
        Command::ApiKey(cmd) => accounts::api_key(&config, cmd).await,
        Command::Healthcheck { url } => healthcheck::run(&config, url).await,
        Command::Sync { connection_id } => sync::run(&config, connection_id).await,
        Command::Openapi { .. } | Command::Simulate(_) | Command::Demo(_) | Command::Bench(_) => {
            unreachable!("handled above")
        }
    }
}
