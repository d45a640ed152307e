//! Pages through a large alert export over loopback HTTP and reports pages/s, records/s
//! and peak memory, next to a same-run baseline: rendering and serializing the same
//! records without HTTP. Memory must stay flat however many pages are read.
//!
//! `cargo bench -p tributary-simulators --bench paging`
//! (`BENCH_ALERTS=N` changes the export size, default 1,000,000;
//! `BENCH_VENDORS=sentinelone,ms_defender_endpoint` picks the simulators; `tenable` runs
//! one vulns export of that many findings on a tenth as many assets, downloading its
//! chunks as they become available; `okta_idp` and `ms_entra` walk a 100,000-user
//! directory instead, see `idp/`.)

mod idp;

use std::time::{Duration, Instant};

use serde::{de::IgnoredAny, Deserialize};
use tributary_simulators::{render_records, spawn, RunningSimulator, SimConfig, SimVendor};

#[derive(Deserialize)]
struct S1Page {
    data: Vec<IgnoredAny>,
    pagination: S1Pagination,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct S1Pagination {
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct ODataPage {
    value: Vec<IgnoredAny>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

/// A kibibyte figure from `/proc/self/status` (`VmHWM`: peak, `VmRSS`: now).
pub fn proc_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Run {
    pages: u64,
    records: u64,
    elapsed: Duration,
    /// Resident memory after the first tenth of the pages and at the end (MiB).
    rss_early: u64,
    rss_end: u64,
}

/// SentinelOne threats at `limit=1000`, following cursors (as the connector does).
async fn page_sentinelone(sim: &RunningSimulator, client: &reqwest::Client, expected: u64) -> Run {
    let url = format!("{}/web/api/v2.1/threats", sim.base_url());
    let token = sim.credentials()["api_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let mut cursor: Option<String> = None;
    let (mut pages, mut records, mut rss_early) = (0u64, 0u64, 0);
    let started = Instant::now();
    loop {
        let mut q = vec![
            ("limit", "1000".to_owned()),
            ("sortBy", "updatedAt".into()),
            ("sortOrder", "asc".into()),
            ("skipCount", "true".into()),
        ];
        if let Some(c) = cursor.take() {
            q.push(("cursor", c));
        }
        let body = client
            .get(&url)
            .header("Authorization", format!("ApiToken {token}"))
            .query(&q)
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("body");
        let page: S1Page = serde_json::from_slice(&body).expect("a page");
        pages += 1;
        records += page.data.len() as u64;
        if records >= expected / 10 && rss_early == 0 {
            rss_early = proc_kib("VmRSS:") / 1024;
        }
        match page.pagination.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Run {
        pages,
        records,
        elapsed: started.elapsed(),
        rss_early,
        rss_end: proc_kib("VmRSS:") / 1024,
    }
}

/// Defender alerts with evidence at `$top=10000`, following `@odata.nextLink`.
async fn page_defender(sim: &RunningSimulator, client: &reqwest::Client, expected: u64) -> Run {
    let creds = sim.credentials();
    let s = |k: &str| creds[k].as_str().expect("credential field").to_owned();
    let token: serde_json::Value = client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            s("login_base_url"),
            s("tenant_id")
        ))
        .form(&[
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", s("client_id")),
            ("client_secret", s("client_secret")),
            (
                "scope",
                "https://api.securitycenter.microsoft.com/.default".to_owned(),
            ),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    let token = token["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let mut next = Some(format!(
        "{}/api/alerts?$top=10000&$expand=evidence",
        sim.base_url()
    ));
    let (mut pages, mut records, mut rss_early) = (0u64, 0u64, 0);
    let started = Instant::now();
    while let Some(url) = next.take() {
        let body = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .bytes()
            .await
            .expect("body");
        let page: ODataPage = serde_json::from_slice(&body).expect("a page");
        pages += 1;
        records += page.value.len() as u64;
        if records >= expected / 10 && rss_early == 0 {
            rss_early = proc_kib("VmRSS:") / 1024;
        }
        next = page.next_link;
    }
    Run {
        pages,
        records,
        elapsed: started.elapsed(),
        rss_early,
        rss_end: proc_kib("VmRSS:") / 1024,
    }
}

/// Tenable: every finding in one vulns export, each chunk downloaded once it is listed.
async fn export_tenable(sim: &RunningSimulator, client: &reqwest::Client, expected: u64) -> Run {
    let creds = sim.credentials();
    let keys = format!(
        "accessKey={};secretKey={}",
        creds["access_key"].as_str().expect("access key"),
        creds["secret_key"].as_str().expect("secret key")
    );
    let url = |path: &str| format!("{}/vulns/export{path}", sim.base_url());
    let get = |u: String| client.get(u).header("X-ApiKeys", &keys).send();
    let started = Instant::now();
    let created: serde_json::Value = client
        .post(url(""))
        .header("X-ApiKeys", &keys)
        .json(&serde_json::json!({"num_assets": 500, "filters": {"since": 1}}))
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("export body");
    let uuid = created["export_uuid"].as_str().expect("uuid").to_owned();
    let (mut pages, mut records, mut rss_early) = (0u64, 0u64, 0);
    let mut done = std::collections::HashSet::new();
    loop {
        let status: serde_json::Value = get(url(&format!("/{uuid}/status")))
            .await
            .expect("status")
            .json()
            .await
            .expect("status body");
        for id in status["chunks_available"].as_array().expect("chunks") {
            if !done.insert(id.to_string()) {
                continue;
            }
            let body = get(url(&format!("/{uuid}/chunks/{id}")))
                .await
                .expect("chunk")
                .bytes()
                .await
                .expect("chunk body");
            let chunk: Vec<IgnoredAny> = serde_json::from_slice(&body).expect("a chunk");
            pages += 1;
            records += chunk.len() as u64;
            if records >= expected / 10 && rss_early == 0 {
                rss_early = proc_kib("VmRSS:") / 1024;
            }
        }
        if status["status"] == "FINISHED" {
            break;
        }
    }
    Run {
        pages,
        records,
        elapsed: started.elapsed(),
        rss_early,
        rss_end: proc_kib("VmRSS:") / 1024,
    }
}

/// Rendering and serializing the same records in pages of `page` without HTTP.
fn baseline(config: &SimConfig, collection: &str, alerts: u64, page: u64) -> Duration {
    let started = Instant::now();
    let mut buf = Vec::with_capacity(64 << 20);
    let mut from = 0;
    while from < alerts {
        buf.clear();
        render_records(config, collection, from, page, &mut buf).expect("render");
        std::hint::black_box(&buf);
        from += page;
    }
    started.elapsed()
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

async fn bench(vendor: SimVendor, alerts: u64) {
    let vms = vendor == SimVendor::Tenable;
    let config = if vms {
        SimConfig::new(vendor)
            .count("assets", alerts / 10)
            .count("findings", alerts)
    } else {
        SimConfig::new(vendor).devices(10_000).alerts(alerts)
    }
    .seed(7);
    let page = match vendor {
        SimVendor::MsDefenderEndpoint => 10_000,
        // 500 assets per chunk, ten findings each.
        SimVendor::Tenable => 5_000,
        _ => 1_000,
    };
    let collection = if vms { "findings" } else { "alerts" };
    let base = baseline(&config, collection, alerts, page);
    let sim = spawn(config).await.expect("simulator");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let run = match vendor {
        SimVendor::MsDefenderEndpoint => page_defender(&sim, &client, alerts).await,
        SimVendor::Tenable => export_tenable(&sim, &client, alerts).await,
        _ => page_sentinelone(&sim, &client, alerts).await,
    };
    assert_eq!(run.records, alerts, "every record paged exactly once");
    let http_rate = rate(run.records, run.elapsed);
    let base_rate = rate(alerts, base);
    println!(
        "{vendor}: {} {collection} in {} pages of {page}",
        run.records, run.pages
    );
    println!(
        "  over HTTP : {:>8.1} pages/s  {:>10.0} records/s  ({:.1} s)",
        rate(run.pages, run.elapsed),
        http_rate,
        run.elapsed.as_secs_f64()
    );
    println!(
        "  baseline  : {:>8} {:>19.0} records/s  ({:.1} s, render + serialize, no HTTP)",
        "",
        base_rate,
        base.as_secs_f64()
    );
    println!("  ratio     : {:.2} of the baseline", http_rate / base_rate);
    println!(
        "  memory    : RSS {} MiB after 10% of pages, {} MiB at the end; peak (VmHWM) {} MiB",
        run.rss_early,
        run.rss_end,
        proc_kib("VmHWM:") / 1024
    );
    sim.shutdown().await.expect("shutdown");
}

fn main() {
    let alerts: u64 = std::env::var("BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let vendors = std::env::var("BENCH_VENDORS")
        .unwrap_or_else(|_| "sentinelone,ms_defender_endpoint".into());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "paging benchmark: {alerts} alerts per simulator (peak RSS before: {} MiB)",
        proc_kib("VmHWM:") / 1024
    );
    for name in vendors.split(',') {
        let vendor = match name.trim() {
            "sentinelone" => SimVendor::Sentinelone,
            "ms_defender_endpoint" => SimVendor::MsDefenderEndpoint,
            "tenable" => SimVendor::Tenable,
            "okta_idp" => SimVendor::OktaIdp,
            "ms_entra" => SimVendor::MsEntra,
            other => panic!(
                "BENCH_VENDORS: {other} (sentinelone, ms_defender_endpoint, tenable, okta_idp, ms_entra)"
            ),
        };
        match vendor {
            SimVendor::OktaIdp | SimVendor::MsEntra => runtime.block_on(idp::bench(vendor)),
            _ => runtime.block_on(bench(vendor, alerts)),
        }
    }
}
