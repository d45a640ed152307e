//! `tributary bench …`: benchmarks that print figures next to a baseline measured in the
//! same run, on a fresh SQLite file or a fresh PostgreSQL schema.

mod api;
mod fixtures;
mod fleet;
mod ingest;
mod ingest_idp;
mod source;

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::Subcommand;
use uuid::Uuid;

pub use api::ApiBenchArgs;
pub use fleet::FleetBenchArgs;
pub use ingest::IngestBenchArgs;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// EDR API latency and throughput at depth, against a same-run store baseline.
    Api(ApiBenchArgs),
    /// End-to-end sync from a simulator into the store, against a same-run raw insert
    /// of the same normalized rows; peak memory.
    Ingest(IngestBenchArgs),
    /// A fleet of connections (default 10,000) on one node or a PostgreSQL cluster of
    /// workers: job start lag, jobs/s, CPU, memory, database growth, API latency.
    Fleet(FleetBenchArgs),
}

pub async fn run(config: Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Api(args) => {
            let scratch = match &args.reuse {
                Some(dir) => Scratch::reuse(config, args.postgres.as_deref(), dir, &["api"])?,
                None => Scratch::new(config, args.postgres.as_deref(), &["api"]),
            };
            let result = api::run(&scratch.config, &args).await;
            if args.keep || args.reuse.is_some() {
                scratch.keep();
            } else {
                scratch.finish();
            }
            result
        }
        BenchCommand::Ingest(args) => {
            let scratch = Scratch::new(
                config,
                args.postgres.as_deref(),
                &["api", "worker", "scheduler"],
            );
            let result = if matches!(args.vendor.as_str(), "okta_idp" | "ms_entra") {
                ingest_idp::run(&scratch.config, &args).await
            } else {
                ingest::run(&scratch.config, &args).await
            };
            scratch.finish();
            result
        }
        // Each fleet size runs in a scratch store of its own.
        BenchCommand::Fleet(args) => fleet::run(config, &args).await,
    }
}

/// Where a kept PostgreSQL run notes its schema, in its data directory.
const SCHEMA_FILE: &str = "postgres-schema";

/// A throwaway data directory (and PostgreSQL schema) for one benchmark run.
struct Scratch {
    config: Config,
    dir: PathBuf,
}

impl Scratch {
    fn new(mut config: Config, postgres: Option<&str>, roles: &[&str]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("tributary-bench-{}", Uuid::now_v7()));
        config.data_dir = dir.clone();
        config.roles = roles.iter().map(|r| (*r).to_owned()).collect();
        config.listen = "127.0.0.1:0".into();
        config.allow_vendor_hosts = "127.0.0.1".into();
        // One key sends thousands of requests a minute: the benchmark measures the API,
        // not its per-key budget (which has its own tests).
        config.rate_limit.enabled = false;
        match postgres {
            Some(url) => {
                config.database_url = Some(url.to_owned());
                config.database_schema = Some(format!("bench_{}", Uuid::now_v7().simple()));
            }
            None => {
                config.database_url = None;
                config.database_schema = None;
            }
        }
        Scratch { config, dir }
    }

    /// The store a run with `--keep` left in data directory `dir`: its SQLite file, or
    /// (with `postgres`) the schema named in [`SCHEMA_FILE`]; its master key either way.
    fn reuse(
        config: Config,
        postgres: Option<&str>,
        dir: &str,
        roles: &[&str],
    ) -> anyhow::Result<Scratch> {
        let mut scratch = Scratch::new(config, postgres, roles);
        scratch.dir = PathBuf::from(dir);
        scratch.config.data_dir = scratch.dir.clone();
        if postgres.is_some() {
            let file = scratch.dir.join(SCHEMA_FILE);
            let schema = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            scratch.config.database_schema = Some(schema.trim().to_owned());
        }
        Ok(scratch)
    }

    /// Leaves the store in place and says how to measure it again.
    fn keep(self) {
        let dir = self.dir.display();
        let postgres = match &self.config.database_schema {
            Some(schema) => {
                if let Err(e) = std::fs::write(self.dir.join(SCHEMA_FILE), schema) {
                    println!("(could not note the schema in {dir}: {e})");
                }
                "--postgres URL ".to_owned()
            }
            None => String::new(),
        };
        println!("(kept the loaded store: measure it again with `{postgres}--reuse {dir}`)");
    }

    fn finish(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(schema) = &self.config.database_schema {
            println!("(left schema {schema} in place: DROP SCHEMA {schema} CASCADE removes it)");
        }
    }
}

fn backend_name(postgres: Option<&str>) -> &'static str {
    if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

/// This process's peak resident memory so far, in MiB (`VmHWM`; Linux only).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}
