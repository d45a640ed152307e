//! `tributary bench ingest`: a full sync of N alerts and M devices from SentinelOne pages
//! the simulator rendered into a scratch file beforehand (`source.rs`: the source cannot
//! be the bottleneck, and its rate alone is printed), or, with `--vendor tenable`, N
//! findings on M assets from the Tenable simulator's exports; with `--vendor qualys`, N
//! detections on M hosts from the Qualys simulator in ONE streamed Host List Detection
//! answer; over loopback HTTP, through the real engine (paging or export chunks,
//! mapping, page commits, watermarks) into a fresh store. Beside it, in the same run and
//! store: the raw page commits of the same normalized alert (finding) rows, with no HTTP
//! and no mapping in the timed part, and (alerts) the physical limit: the same row bytes
//! into a bare table with one index. Prints records/s of each, their ratios, and the
//! process's peak RSS.
//! `--vendor okta_idp` and `--vendor ms_entra` measure identity users the same way
//! (`ingest_idp.rs`).

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::json;
use tributary_model::Vendor;
use tributary_simulators::{spawn, SimConfig, SimVendor};

use super::{backend_name, fixtures, peak_rss_mib, source::PreRendered, verdict};
use crate::{
    commands::{accounts::create_key, api_client::ApiClient},
    config::Config,
    App,
};

#[derive(Debug, Args)]
pub struct IngestBenchArgs {
    /// Alerts (SentinelOne threats) to sync.
    #[arg(long, default_value_t = 1_000_000)]
    pub alerts: u64,
    /// Devices (SentinelOne agents) to sync.
    #[arg(long, default_value_t = 100_000)]
    pub devices: u64,
    /// The simulator synced: SentinelOne (alerts and devices), Tenable (vulnerability
    /// findings and assets, through its asynchronous exports), Qualys (detections in one
    /// XML answer, streamed), Okta or Entra ID (identity users, groups with members, apps
    /// and policies).
    #[arg(long, default_value = "sentinelone", value_parser = ["sentinelone", "tenable", "qualys", "okta_idp", "ms_entra"])]
    pub vendor: String,
    /// Vulnerability findings (with `--vendor tenable` or `qualys`); the sync pulls the
    /// open ones.
    #[arg(long, default_value_t = 1_000_000)]
    pub findings: u64,
    /// Assets (Qualys: hosts) the findings are on (with `--vendor tenable` or `qualys`).
    #[arg(long, default_value_t = 100_000)]
    pub assets: u64,
    /// Benchmark PostgreSQL at this URL (a fresh schema) instead of a fresh SQLite file.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Users to sync (`--vendor okta_idp` or `ms_entra`).
    #[arg(long, default_value_t = 100_000)]
    pub users: u64,
}

pub async fn run(config: &Config, args: &IngestBenchArgs) -> anyhow::Result<()> {
    let backend = backend_name(args.postgres.as_deref());
    let mut config = config.clone();
    config.engine.poll_interval_ms = 100;
    config.engine.schedule_interval_ms = 200;
    // A scanner's findings (Tenable's exports, Qualys' detections), else EDR alerts.
    let scanner = match args.vendor.as_str() {
        "tenable" => Some((SimVendor::Tenable, "TENABLE")),
        "qualys" => Some((SimVendor::Qualys, "QUALYS")),
        _ => None,
    };
    let findings_bench = scanner.is_some();
    let sim_config = || match scanner {
        Some((sim, _)) => SimConfig::new(sim)
            .count("assets", args.assets)
            .count("findings", args.findings),
        None => SimConfig::new(SimVendor::Sentinelone)
            .devices(args.devices)
            .alerts(args.alerts),
    };
    let vendor = scanner.map_or("SENTINELONE", |(_, name)| name);
    // Qualys: every host in one answer, so the sync reads a single response of all the
    // detections (the bounded-memory case), not many small batches.
    let options = if vendor == "QUALYS" {
        json!({"hosts_per_batch": 1_000_000})
    } else {
        json!({})
    };
    // EDR alerts come from pre-rendered pages (the source must not be the bottleneck);
    // scanners from their simulator.
    let (sim, source) = if findings_bench {
        (Some(spawn(sim_config()).await?), None)
    } else {
        let source = PreRendered::start(sim_config(), args.devices, args.alerts).await?;
        eprintln!(
            "  pre-rendered {} MiB of SentinelOne pages in {:.1}s",
            source.bytes / (1024 * 1024),
            source.render_time.as_secs_f64()
        );
        (None, Some(source))
    };
    let credentials = match (&sim, &source) {
        (Some(sim), _) => sim.credentials(),
        (None, Some(source)) => source.credentials(),
        (None, None) => unreachable!("a source or a simulator"),
    };
    // The source alone: a client reading every page, nothing parsed or stored.
    let source_alone = match &source {
        Some(source) => Some(source.read_all().await?),
        None => None,
    };
    let app = App::start(&config, None).await?;
    let base = app.base_url().context("the API serves")?;
    let store = app.store();
    let account = store.create_account("bench").await?.id;
    let (_, key) = create_key(store.as_ref(), account, "bench").await?;
    let rss_at_start = peak_rss_mib();

    // End to end: create the connection as a client would; its first sync starts at once.
    let api = ApiClient::new(&base, &key);
    let org = api
        .post("/provisioning/organizations", json!({"name": "bench"}))
        .await?;
    let org = org["id"].as_str().context("organization id")?.to_owned();
    let conn = api
        .post(
            &format!("/provisioning/organizations/{org}/connections"),
            json!({"vendor": vendor, "credentials": credentials, "timeout_secs": 86_400,
                   "options": options}),
        )
        .await?;
    let conn = conn["id"].as_str().context("connection id")?.to_owned();
    let job = wait_for_sync(&api, &org, &conn).await?;
    anyhow::ensure!(job["status"] == "SUCCEEDED", "the sync failed: {job}");
    let upserted: u64 = job["exports"]
        .as_array()
        .context("exports")?
        .iter()
        .filter_map(|e| e["records_upserted"].as_u64())
        .sum();
    let e2e_secs = job["duration_secs"].as_f64().context("duration")?;
    let e2e_rate = upserted as f64 / e2e_secs;
    let rss_after_sync = peak_rss_mib();
    // The end-to-end figure first: it stands even if the baseline below fails.
    eprintln!(
        "  synced: {upserted} records in {e2e_secs:.1}s = {e2e_rate:.0} records/s; peak RSS so far {}",
        rss_after_sync.map_or("n/a".to_owned(), |m| format!("{m:.0} MiB"))
    );
    if let Some(sim) = sim {
        sim.shutdown().await?;
    }
    drop(source);

    // Baseline: the same normalized alerts (findings), written by the same store with
    // nothing else in the timed part.
    let baseline_conn = fixtures::connection(&store, account, Vendor::named(vendor)).await?;
    let loaded = if findings_bench {
        fixtures::load_findings(&store, account, baseline_conn, sim_config(), args.findings).await?
    } else {
        fixtures::load_alerts(&store, account, baseline_conn, sim_config(), args.alerts).await?
    };
    let raw_rate = loaded.records as f64 / loaded.in_store.as_secs_f64();
    // The physical limit: the same alert row bytes into a bare table with one index.
    let limit = if findings_bench {
        None
    } else {
        Some(fixtures::physical_limit(&store, baseline_conn, sim_config(), args.alerts).await?)
    };
    app.stop().await;

    let ratio = e2e_rate / raw_rate;
    if findings_bench {
        let findings = job["exports"]
            .as_array()
            .and_then(|e| {
                e.iter()
                    .find(|x| x["data_export_type"] == "vulnerabilities")
            })
            .and_then(|x| x["records_upserted"].as_u64())
            .unwrap_or(0);
        let (what, how) = if vendor == "QUALYS" {
            (
                "detections in one streamed XML answer, on hosts from the Qualys",
                "one HLD answer streamed, KnowledgeBase, mapping, page commits, watermarks",
            )
        } else {
            (
                "findings on assets from the Tenable",
                "export jobs, chunks, mapping, page commits, watermarks",
            )
        };
        println!(
            "{backend}: {} findings ({findings} open, which a first sync pulls) on {} assets: {what} simulator",
            args.findings, args.assets
        );
        println!(
            "  end to end ({how}): {upserted} records in {e2e_secs:.1}s = {e2e_rate:.0} records/s"
        );
        println!(
            "  raw page commits of the same normalized finding rows:               {} rows in {:.1}s = {raw_rate:.0} rows/s",
            loaded.records,
            loaded.in_store.as_secs_f64()
        );
    } else {
        println!(
            "{backend}: {} alerts + {} devices from pre-rendered SentinelOne simulator pages",
            args.alerts, args.devices
        );
        if let Some((records, took)) = source_alone {
            println!(
                "  source alone (HTTP reads of the pre-rendered pages, nothing parsed):   {records} records in {:.1}s = {:.0} records/s",
                took.as_secs_f64(),
                records as f64 / took.as_secs_f64()
            );
        }
        println!(
            "  end to end (HTTP paging, parsing, mapping, page commits, watermarks): {upserted} records in {e2e_secs:.1}s = {e2e_rate:.0} records/s"
        );
        println!(
            "  raw page commits of the same normalized alert rows:                   {} rows in {:.1}s = {raw_rate:.0} rows/s",
            loaded.records,
            loaded.in_store.as_secs_f64()
        );
        if let Some(limit) = &limit {
            let limit_rate = limit.records as f64 / limit.in_store.as_secs_f64();
            println!(
                "  physical limit (the same alert row bytes into a bare table, 1 index): {} rows in {:.1}s = {limit_rate:.0} rows/s",
                limit.records,
                limit.in_store.as_secs_f64()
            );
            let of_limit = e2e_rate / limit_rate;
            println!(
                "  end to end / physical limit {of_limit:.2} (target >= 0.5: {}); raw page commits / physical limit {:.2}",
                verdict(of_limit >= 0.5),
                raw_rate / limit_rate
            );
        }
    }
    if args.postgres.is_none() {
        println!(
            "  end to end / raw page commits {ratio:.2} (target >= 0.5 on SQLite: {})",
            verdict(ratio >= 0.5)
        );
    } else {
        println!("  end to end / raw page commits {ratio:.2} (the >= 0.5 target is SQLite's)");
    }
    match (rss_at_start, rss_after_sync) {
        (Some(start), Some(peak)) => println!(
            "  peak RSS {peak:.0} MiB during the sync (simulator included; {start:.0} MiB before it) — target < 200 MiB: {}",
            verdict(peak < 200.0)
        ),
        _ => println!("  peak RSS: not available on this platform"),
    }
    Ok(())
}

/// Polls the connection's newest job, as a client would, until it finishes; reports
/// progress every 15 seconds.
pub(super) async fn wait_for_sync(
    api: &ApiClient,
    org: &str,
    conn: &str,
) -> anyhow::Result<serde_json::Value> {
    let jobs_path = format!("/provisioning/organizations/{org}/connections/{conn}/jobs?limit=1");
    let mut last_report = Instant::now();
    let job = loop {
        let jobs = api.get(&jobs_path).await?;
        let job = jobs["items"][0].clone();
        if job["finished_at"].is_string() {
            break job;
        }
        if last_report.elapsed() > Duration::from_secs(15) {
            let done: u64 = job["exports"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(|x| x["records_upserted"].as_u64())
                        .sum()
                })
                .unwrap_or(0);
            eprintln!("  syncing: {done} records written");
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    Ok(job)
}
