//! `tributary bench fleet`: N connections (default 10,000) over many organizations and
//! every vendor, served by in-process simulators with a mix of working, revoked, slow,
//! rate-limited and failing credentials, at a short refresh interval so the node is
//! loaded. Reports job start lag (due → started) p50/p99/max, jobs/s sustained against
//! the jobs/s the fleet needs, CPU and peak RSS, database growth per 1,000 jobs, and the
//! latency of List Connections with `healthStatusCodes` over real HTTP during the run.
//! `--workers N` runs the jobs in N worker processes on one PostgreSQL; `--sweep`
//! repeats the run at several fleet sizes and names the saturation point.

mod measure;
mod setup;

use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tributary_engine::Roles;

use super::{backend_name, Scratch};
use crate::{
    commands::{accounts::create_key, api_client::ApiClient},
    config::Config,
    App,
};

#[derive(Debug, Clone, Args)]
pub struct FleetBenchArgs {
    /// Connections in the fleet.
    #[arg(long, default_value_t = 10_000)]
    pub connections: u64,
    /// Organizations they belong to (the first holds a fifth of the connections: the
    /// large customer whose connection list is read during the run).
    #[arg(long, default_value_t = 500)]
    pub organizations: u64,
    /// Every connection's refresh interval, in seconds: N / this is the jobs/s the
    /// fleet needs.
    #[arg(long, default_value_t = 60)]
    pub refresh_secs: i64,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 120)]
    pub duration: u64,
    /// Seconds run before measuring (default: one refresh interval, so every
    /// connection's first sync, which loads its records, is behind the measurement).
    #[arg(long)]
    pub warmup: Option<u64>,
    /// Jobs run at once by each process (`engine.workers`). Jobs mostly wait on the
    /// vendor (about half a second each against the simulators), so a node that must
    /// start 167 a second needs about a hundred at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
    /// Benchmark PostgreSQL at this URL (a fresh schema) instead of a fresh SQLite file.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Run the jobs in this many worker processes (`TRIBUTARY_ROLES=worker`) on the
    /// same PostgreSQL; this process then only serves the API and schedules.
    #[arg(long, default_value_t = 0)]
    pub workers: u32,
    /// Repeat the run at each of these fleet sizes (e.g. `2000,5000,10000`) and name the
    /// saturation point: the highest jobs/s whose start lag p99 stays under 2 s.
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<u64>,
    /// Compressed time: run this many simulated days (`--day-secs` real seconds each)
    /// with retention keeping one simulated day, and print the history tables' rows and
    /// the database's size at the end of each day.
    #[arg(long)]
    pub simulate_days: Option<u32>,
    /// Real seconds per simulated day (with `--simulate-days`).
    #[arg(long, default_value_t = 20)]
    pub day_secs: u64,
}

/// One run's figures.
struct Figures {
    connections: u64,
    needed: f64,
    sustained: f64,
    lag: measure::Lag,
    node_cpu: f64,
    sim_cpu: f64,
    worker_cpu: f64,
    rss: Option<f64>,
    worker_rss: Option<f64>,
    growth_per_1000: f64,
    rows_per_1000: f64,
    api: (measure::Spread, usize),
    secs: f64,
    /// With `--simulate-days`: rows per history table and database bytes, per day.
    days: Vec<(Vec<(&'static str, i64)>, i64)>,
}

pub async fn run(config: Config, args: &FleetBenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.workers == 0 || args.postgres.is_some(),
        "--workers needs --postgres: worker processes share one PostgreSQL"
    );
    anyhow::ensure!(args.refresh_secs >= 1, "--refresh-secs must be at least 1");
    let sizes = if args.sweep.is_empty() {
        vec![args.connections]
    } else {
        args.sweep.clone()
    };
    let mut all = Vec::new();
    for n in sizes {
        let scratch = Scratch::new(config.clone(), args.postgres.as_deref(), &["api"]);
        let result = run_one(&scratch.config, args, n).await;
        scratch.finish();
        let figures = result?;
        print(&figures, args);
        all.push(figures);
    }
    if all.len() > 1 {
        println!(
            "\nsweep ({}, start lag p99 < 2 s):",
            backend_name(args.postgres.as_deref())
        );
        println!("  connections  needed/s  sustained/s  lag p99");
        for f in &all {
            println!(
                "  {:>11}  {:>8.1}  {:>11.1}  {:>6.2}s",
                f.connections, f.needed, f.sustained, f.lag.start.p99
            );
        }
        match all
            .iter()
            .filter(|f| f.lag.start.p99 < 2.0)
            .map(|f| f.sustained)
            .reduce(f64::max)
        {
            Some(best) => {
                println!("  saturation point: at least {best:.1} jobs/s with lag p99 < 2 s")
            }
            None => println!("  saturation point: below the smallest size run"),
        }
    }
    Ok(())
}

async fn run_one(config: &Config, args: &FleetBenchArgs, n: u64) -> anyhow::Result<Figures> {
    let mut config = config.clone();
    config.engine.workers = args.concurrency;
    // A rate-limited or failing vendor costs a job about a second, not minutes.
    config.engine.max_retries = 1;
    config.engine.retry_base_ms = 200;
    config.engine.retry_max_wait_secs = 1;
    let measured = match args.simulate_days {
        Some(days) => {
            // One simulated day of history is kept; passes four times a simulated day.
            config.retention.max_age_days = 1.0 / 86_400.0 * args.day_secs as f64;
            config.retention.interval_secs = (args.day_secs / 4).max(1);
            config.retention.pause_ms = 10;
            u64::from(days) * args.day_secs
        }
        None => args.duration,
    };
    eprintln!("fleet of {n}: starting simulators and creating connections…");
    let sims = setup::Simulators::start().await?;
    let app = App::start(&config, None).await?;
    let store = app.store();
    let fleet = setup::create(
        &store,
        &app.state.keyring,
        &sims,
        n,
        args.organizations,
        args.refresh_secs,
    )
    .await?;
    fleet.schedule(&store).await?;
    let (_, key) = create_key(store.as_ref(), fleet.account, "fleet").await?;
    let base = app
        .base_url()
        .ok_or_else(|| anyhow::anyhow!("the API serves"))?;

    // The engine's loops start now: workers here, or in worker processes.
    let workers = measure::Workers::spawn(args.workers, &config, args.concurrency)?;
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    app.engine().spawn(
        Roles {
            workers: workers.len() == 0,
            scheduler: true,
            delivery: false,
        },
        shutdown.clone(),
        &mut tasks,
    );
    let warmup = args.warmup.unwrap_or(args.refresh_secs as u64);
    eprintln!(
        "  {} connections scheduled; warming up {warmup}s, then measuring {}s",
        fleet.len(),
        args.duration
    );
    tokio::time::sleep(Duration::from_secs(warmup)).await;

    let from = Utc::now();
    let clock = Instant::now();
    let (node0, sim0) = measure::own_cpu();
    let workers0 = workers.cpu();
    let bytes0 = store.database_bytes().await?;
    let rows0 = job_rows(&store).await?;
    let stop_probe = CancellationToken::new();
    let probe = tokio::spawn(measure::probe_api(
        ApiClient::new(&base, &key),
        fleet.large_org,
        Duration::from_millis(250),
        stop_probe.clone(),
    ));
    let mut days = Vec::new();
    if args.simulate_days.is_some() {
        for day in 1..=measured / args.day_secs.max(1) {
            tokio::time::sleep(Duration::from_secs(args.day_secs)).await;
            let sizes = (store.table_rows().await?, store.database_bytes().await?);
            eprintln!(
                "  day {day}: {} history rows",
                sizes.0.iter().map(|(_, n)| n).sum::<i64>()
            );
            days.push(sizes);
        }
    } else {
        tokio::time::sleep(Duration::from_secs(measured)).await;
    }
    stop_probe.cancel();
    let api = probe.await?;
    let secs = clock.elapsed().as_secs_f64();
    let to = Utc::now();
    let (node1, sim1) = measure::own_cpu();
    let worker_cpu = workers.cpu() - workers0;
    let worker_rss = workers.peak_rss_mib();
    let bytes1 = store.database_bytes().await?;
    let rows1 = job_rows(&store).await?;
    let timings = store
        .job_timings(from - chrono::Duration::minutes(10))
        .await?;

    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    workers.stop();
    app.stop().await;
    sims.shutdown().await;

    let lag = measure::lag(&timings, from, to);
    let per_1000 = |d: f64| {
        if lag.finished == 0 {
            0.0
        } else {
            d / lag.finished as f64 * 1000.0
        }
    };
    Ok(Figures {
        connections: n,
        needed: n as f64 / args.refresh_secs as f64,
        sustained: lag.finished as f64 / secs,
        node_cpu: node1 - node0,
        sim_cpu: sim1 - sim0,
        worker_cpu,
        rss: measure::peak_rss_mib("self"),
        worker_rss,
        growth_per_1000: per_1000((bytes1 - bytes0) as f64),
        rows_per_1000: per_1000((rows1 - rows0) as f64),
        lag,
        api,
        secs,
        days,
    })
}

/// Rows of every table retention bounds, summed.
async fn job_rows(store: &std::sync::Arc<dyn tributary_store::Store>) -> anyhow::Result<i64> {
    Ok(store.table_rows().await?.iter().map(|(_, n)| n).sum())
}

fn print(f: &Figures, args: &FleetBenchArgs) {
    let backend = backend_name(args.postgres.as_deref());
    let build = if cfg!(debug_assertions) {
        "debug build"
    } else {
        "release build"
    };
    let procs = if args.workers == 0 {
        format!("one process, {} concurrent jobs", args.concurrency)
    } else {
        format!(
            "{} worker processes × {} concurrent jobs, this process schedules and serves",
            args.workers, args.concurrency
        )
    };
    println!(
        "\n{backend}, {} connections, refresh {}s ({procs}; {build}), {:.0}s measured:",
        f.connections, args.refresh_secs, f.secs
    );
    let s =
        |x: &measure::Spread| format!("p50 {:.2}s  p99 {:.2}s  max {:.2}s", x.p50, x.p99, x.max);
    println!(
        "  start lag (due → started):  {}  ({} jobs)",
        s(&f.lag.start),
        f.lag.start.n
    );
    println!("    due → queued (scheduler): {}", s(&f.lag.scheduling));
    println!("    queued → started:         {}", s(&f.lag.queue));
    println!(
        "  jobs/s sustained: {:.1} of {:.1} needed ({:.0}%)",
        f.sustained,
        f.needed,
        100.0 * f.sustained / f.needed.max(f64::MIN_POSITIVE)
    );
    let cores = |c: f64| c / f.secs;
    println!(
        "  CPU: node {:.2} cores, simulators {:.2} cores{}  (2 shared cores: noisy)",
        cores(f.node_cpu),
        cores(f.sim_cpu),
        if args.workers > 0 {
            format!(", worker processes {:.2} cores", cores(f.worker_cpu))
        } else {
            String::new()
        }
    );
    match (f.rss, f.worker_rss) {
        (Some(r), Some(w)) => println!(
            "  peak RSS: this process {r:.0} MiB (simulators included), largest worker {w:.0} MiB"
        ),
        (Some(r), None) => println!("  peak RSS: {r:.0} MiB (simulators included)"),
        _ => println!("  peak RSS: not available on this platform"),
    }
    println!(
        "  database growth: {:.0} KiB and {:.0} history rows per 1,000 jobs",
        f.growth_per_1000 / 1024.0,
        f.rows_per_1000
    );
    if !f.days.is_empty() {
        println!(
            "  retention keeping one simulated day ({}s each); rows and size at each day's end:",
            args.day_secs
        );
        let names: Vec<&str> = f.days[0].0.iter().map(|(t, _)| *t).collect();
        println!("    day  {}  database", names.join("  "));
        for (i, (rows, bytes)) in f.days.iter().enumerate() {
            let cells: Vec<String> = rows
                .iter()
                .map(|(t, n)| format!("{n:>w$}", w = t.len()))
                .collect();
            println!(
                "    {:>3}  {}  {:>6.1} MiB",
                i + 1,
                cells.join("  "),
                *bytes as f64 / 1_048_576.0
            );
        }
    }
    let (api, errors) = &f.api;
    println!(
        "  List Connections ?healthStatusCodes= (large organization, {} calls): p50 {:.1}ms  p99 {:.1}ms  max {:.1}ms{}",
        api.n,
        api.p50 * 1000.0,
        api.p99 * 1000.0,
        api.max * 1000.0,
        if *errors > 0 {
            format!(", {errors} failed")
        } else {
            String::new()
        }
    );
}
