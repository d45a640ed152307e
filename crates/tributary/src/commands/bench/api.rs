//! `tributary bench api`: the EDR API under concurrent clients at millions of rows.
//!
//! Loads N CrowdStrike alerts (rendered by the simulator, normalized by the real mapping,
//! written by the real page commit) into a fresh SQLite file or PostgreSQL schema, serves
//! the real API on loopback, and measures a first page, a deep cursor page and a filtered
//! page over HTTP, each next to a same-run baseline: the same rows fetched by the store's
//! SELECT through the same pool, without HTTP or JSON, the two alternating in rounds.
//! Prints p50/p99 and requests/s.
//!
//! With `--findings N` it measures `/v2/vulnerability_findings` instead: N Tenable findings
//! (on N/10 assets) loaded the same way, then a first page, a deep cursor page and a
//! severity/state-filtered page over HTTP.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::Value;
use tokio::net::TcpListener;
use tributary_model::{DataExportType, Vendor};
use tributary_simulators::{SimConfig, SimVendor};
use tributary_store::{
    models::{
        ConnectionFilter, RecordFilter, RecordParts, RecordQuery, RecordSort, RecordSortField,
    },
    ListWindow, Position, SortKey, Store,
};
use uuid::Uuid;

use super::{backend_name, fixtures, ms, verdict};
use crate::{commands::accounts::create_key, config::Config, runtime, App};

#[derive(Debug, Args)]
pub struct ApiBenchArgs {
    /// Alerts to load.
    #[arg(long, default_value_t = 1_000_000)]
    pub alerts: u64,
    /// Concurrent HTTP clients (two per core of the 2-core reference machine).
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Requests per scenario (spread over the clients).
    #[arg(long, default_value_t = 2_000)]
    pub requests: usize,
    /// Benchmark PostgreSQL at this URL (a fresh schema) instead of a fresh SQLite file.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Measure `/v2/vulnerability_findings` at this many findings instead of the alerts.
    #[arg(long, value_name = "N")]
    pub findings: Option<u64>,
    /// Leave the loaded store in place (and print how to measure it again).
    #[arg(long)]
    pub keep: bool,
    /// Measure the store an earlier `--keep` run loaded (the data directory it printed;
    /// with `--postgres`, the schema noted there) instead of loading one: a slow load is
    /// paid once.
    #[arg(long, value_name = "DIR", conflicts_with = "findings")]
    pub reuse: Option<String>,
}

pub async fn run(config: &Config, args: &ApiBenchArgs) -> anyhow::Result<()> {
    if let Some(n) = args.findings {
        return run_findings(config, args, n).await;
    }
    let store = runtime::open_store(config).await?;
    let backend = backend_name(args.postgres.as_deref());
    let (account, conn, alerts) = match &args.reuse {
        Some(place) => {
            let (account, conn) = loaded_connection(&store)
                .await
                .with_context(|| format!("no alerts loaded by `bench api --keep` in {place}"))?;
            let alerts = store
                .record_counts(account, conn)
                .await?
                .get(DataExportType::Alerts);
            println!("{backend}: measuring the {alerts} alerts loaded earlier in {place}");
            (account, conn, alerts as u64)
        }
        None => load(&store, backend, args.alerts).await?,
    };
    let (_, key) = create_key(store.as_ref(), account, "bench").await?;
    store.close().await;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let app = App::start(config, Some(listener)).await?;
    let base = app.base_url().context("the API serves")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients * 2)
        .build()?;
    let api = Api {
        client,
        base,
        key,
        conn,
        path: "/v1/edr/alerts",
    };

    // A cursor at page 5,000 of 100 (row 500,000), or half-way for smaller loads.
    let depth = (alerts / 2).min(500_000);
    let (cursor, after) = api.walk_to(depth).await?;
    let store = app.store();
    let first_q = "limit=100&enableCursor=true&excludeTotal=true".to_owned();
    let deep_q = format!("limit=100&enableCursor=true&excludeTotal=true&cursor={cursor}");
    let filter_q =
        "limit=100&enableCursor=true&excludeTotal=true&severity=high&status=new".to_owned();
    let query = |position: Position, filter: RecordFilter| RecordQuery {
        connection_id: conn,
        filter,
        sort: RecordSort {
            field: RecordSortField::UpdatedAt,
            descending: false,
        },
        window: ListWindow {
            limit: 101,
            position,
            with_total: false,
        },
        parts: RecordParts::default(),
    };
    let filter = RecordFilter {
        severities: vec!["high".into()],
        statuses: vec!["new".into()],
        ..Default::default()
    };
    let scenarios = [
        (
            "first page",
            first_q.clone(),
            query(Position::Offset(0), RecordFilter::default()),
        ),
        (
            "deep cursor page",
            deep_q,
            query(Position::After(after), RecordFilter::default()),
        ),
        (
            "filtered page",
            filter_q,
            query(Position::Offset(0), filter),
        ),
    ];
    println!(
        "{backend}, {alerts} alerts, {} clients, {} requests per scenario; deep page = rows {depth}..{}",
        args.clients,
        args.requests,
        depth + 100
    );
    println!(
        "{:<18} {:>9} {:>9} {:>10}   {:>9} {:>9} {:>10}   {:>9}",
        "scenario",
        "API p50",
        "API p99",
        "API req/s",
        "SQL p50",
        "SQL p99",
        "SQL req/s",
        "p99 ratio"
    );
    let mut results = Vec::new();
    for (name, q, baseline_query) in scenarios {
        let (http, sql) = measure_pair(
            args.clients,
            args.requests,
            {
                let api = api.clone();
                move || {
                    let (api, q) = (api.clone(), q.clone());
                    async move { api.get(&q).await }
                }
            },
            {
                let store = store.clone();
                move || {
                    let (store, bq) = (store.clone(), baseline_query.clone());
                    async move {
                        store.list_alerts(account, &bq).await?;
                        anyhow::Ok(())
                    }
                }
            },
        )
        .await?;
        println!(
            "{name:<18} {:>9} {:>9} {:>10.0}   {:>9} {:>9} {:>10.0}   {:>8.2}x",
            ms(http.p50),
            ms(http.p99),
            http.rps,
            ms(sql.p50),
            ms(sql.p99),
            sql.rps,
            http.p99.as_secs_f64() / sql.p99.as_secs_f64().max(1e-9)
        );
        results.push(http);
    }
    // Offset pagination works and costs what it costs: one deep offset page, for scale.
    let t = Instant::now();
    api.get(&format!("limit=100&excludeTotal=true&offset={depth}"))
        .await?;
    println!(
        "offset page at row {depth} (for comparison): {}",
        ms(t.elapsed())
    );
    let floor = transport_floor(&api, &first_q, args).await?;
    println!(
        "transport alone (the first page's {} bytes from a bare HTTP server, same client): p50 {} p99 {} {:.0} req/s",
        floor.1,
        ms(floor.0.p50),
        ms(floor.0.p99),
        floor.0.rps
    );
    // Every scenario is a cursor page (enableCursor=true): all three count for the target.
    let (first, deep) = (&results[0], &results[1]);
    let worst = results.iter().map(|r| r.p99).max().unwrap_or_default();
    let ratio = deep.p50.as_secs_f64() / first.p50.as_secs_f64().max(1e-9);
    println!(
        "targets: cursor page p99 < 20 ms (worst {}): {}; deep/first p50 {ratio:.2}x <= 2x: {}",
        ms(worst),
        verdict(worst < Duration::from_millis(20)),
        verdict(ratio <= 2.0)
    );
    app.stop().await;
    Ok(())
}

/// What moving a page over loopback HTTP costs by itself: the bytes of the page `query`
/// returns, served from memory by a bare axum server (no middleware, no store) to the same
/// client. The API's time above its SELECT, less this, is Tributary's own per-request work.
async fn transport_floor(
    api: &Api,
    query: &str,
    args: &ApiBenchArgs,
) -> anyhow::Result<(Measured, usize)> {
    let body = api.send(query).await?.bytes().await?;
    let size = body.len();
    let router = axum::Router::new().route(
        api.path,
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body,
                )
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let bare = Api {
        base,
        ..api.clone()
    };
    let measured = measure(args.clients, args.requests, {
        move || {
            let bare = bare.clone();
            async move { bare.get("").await }
        }
    })
    .await;
    server.abort();
    Ok((measured?, size))
}

/// Loads `alerts` CrowdStrike alerts into a new account's connection; the account and
/// connection.
async fn load(
    store: &Arc<dyn Store>,
    backend: &str,
    alerts: u64,
) -> anyhow::Result<(Uuid, Uuid, u64)> {
    let account = store.create_account("bench").await?.id;
    let conn = fixtures::connection(store, account, Vendor::named("CROWDSTRIKE")).await?;
    let sim = SimConfig::new(SimVendor::Crowdstrike)
        .devices(20_000)
        .alerts(alerts);
    let loaded = fixtures::load_alerts(store, account, conn, sim, alerts).await?;
    report_load(backend, "alerts", &loaded);
    // Planner statistics (and PostgreSQL's visibility map) as autovacuum would leave them.
    let t = Instant::now();
    store.analyze().await?;
    println!(
        "ANALYZE (PostgreSQL: VACUUM ANALYZE) after the load: {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok((account, conn, alerts))
}

fn report_load(backend: &str, noun: &str, loaded: &fixtures::Loaded) {
    let (n, wall) = (loaded.records as f64, loaded.wall.as_secs_f64());
    println!(
        "{backend}: loaded {} {noun} in {wall:.1}s ({:.0} {noun}/s; {:.0} {noun}/s inside the store's commits)",
        loaded.records,
        n / wall,
        n / loaded.in_store.as_secs_f64()
    );
}

/// The account and CrowdStrike connection an earlier `bench api --keep` run loaded.
async fn loaded_connection(store: &Arc<dyn Store>) -> anyhow::Result<(Uuid, Uuid)> {
    let account = store
        .list_accounts()
        .await?
        .into_iter()
        .find(|a| a.name == "bench")
        .context("no bench account")?;
    let filter = ConnectionFilter {
        vendors: vec![Vendor::named("CROWDSTRIKE")],
        ..Default::default()
    };
    let window = ListWindow {
        limit: 1,
        position: Position::Offset(0),
        with_total: false,
    };
    let page = store.list_connections(account.id, &filter, window).await?;
    let conn = page.items.first().context("no CrowdStrike connection")?;
    Ok((account.id, conn.id))
}

/// `/v2/vulnerability_findings` at `n` Tenable findings: cursor pages over HTTP.
async fn run_findings(config: &Config, args: &ApiBenchArgs, n: u64) -> anyhow::Result<()> {
    let store = runtime::open_store(config).await?;
    let backend = backend_name(args.postgres.as_deref());
    let account = store.create_account("bench").await?.id;
    let (_, key) = create_key(store.as_ref(), account, "bench").await?;
    let conn = fixtures::connection(&store, account, Vendor::named("TENABLE")).await?;
    let sim = SimConfig::new(SimVendor::Tenable)
        .count("assets", (n / 10).max(1))
        .count("findings", n);
    let loaded = fixtures::load_findings(&store, account, conn, sim, n).await?;
    report_load(backend, "findings", &loaded);
    store.analyze().await?;
    store.close().await;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let app = App::start(config, Some(listener)).await?;
    let api = Api {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.clients * 2)
            .build()?,
        base: app.base_url().context("the API serves")?,
        key,
        conn,
        path: "/v2/vulnerability_findings",
    };
    let depth = (n / 2).min(500_000);
    let mut seen = 0u64;
    let mut query = "limit=1000".to_owned();
    let cursor = loop {
        let page = api.get_json(&query).await?;
        seen += page["items"].as_array().context("items")?.len() as u64;
        let cursor = page["next_cursor"].as_str().context("a next cursor")?;
        if seen >= depth {
            break cursor.to_owned();
        }
        query = format!("limit=1000&cursor={cursor}");
    };
    println!(
        "{backend}, {n} findings, {} clients, {} requests per scenario; deep page = rows {depth}..{}",
        args.clients,
        args.requests,
        depth + 100
    );
    println!(
        "{:<18} {:>9} {:>9} {:>10}",
        "scenario", "p50", "p99", "req/s"
    );
    let scenarios = [
        ("first page", "limit=100".to_owned()),
        ("deep cursor page", format!("limit=100&cursor={cursor}")),
        (
            "filtered page",
            "limit=100&severity=CRITICAL,HIGH&state=OPEN,REOPENED".to_owned(),
        ),
    ];
    let mut worst = Duration::ZERO;
    for (name, q) in scenarios {
        let m = measure(args.clients, args.requests, {
            let api = api.clone();
            move || {
                let (api, q) = (api.clone(), q.clone());
                async move { api.get(&q).await }
            }
        })
        .await?;
        println!(
            "{name:<18} {:>9} {:>9} {:>10.0}",
            ms(m.p50),
            ms(m.p99),
            m.rps
        );
        worst = worst.max(m.p99);
    }
    println!(
        "target: cursor page p99 < 20 ms (worst {}): {}",
        ms(worst),
        verdict(worst < Duration::from_millis(20))
    );
    app.stop().await;
    Ok(())
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
    conn: Uuid,
    /// The listing measured (`/v1/edr/alerts`, `/v2/vulnerability_findings`).
    path: &'static str,
}

impl Api {
    /// `GET {path}?{query}`; an error unless it succeeds.
    async fn send(&self, query: &str) -> anyhow::Result<reqwest::Response> {
        let resp = self
            .client
            .get(format!("{}{}?{query}", self.base, self.path))
            .header("X-API-KEY", &self.key)
            .header("X-CONNECTION-ID", self.conn.to_string())
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "HTTP {}", resp.status());
        Ok(resp)
    }

    async fn get_json(&self, query: &str) -> anyhow::Result<Value> {
        Ok(self.send(query).await?.json().await?)
    }

    /// One request, body read in full (what a client pays for).
    async fn get(&self, query: &str) -> anyhow::Result<()> {
        self.send(query).await?.bytes().await?;
        Ok(())
    }

    /// Walks the cursor to `depth` rows; returns the cursor there and its sort key.
    async fn walk_to(&self, depth: u64) -> anyhow::Result<(String, SortKey)> {
        let mut seen = 0u64;
        let mut query = "limit=1000&enableCursor=true&excludeTotal=true".to_owned();
        loop {
            let page = self.get_json(&query).await?;
            let items = page["items"].as_array().context("items")?;
            seen += items.len() as u64;
            let cursor = page["next_cursor"].as_str().context("a next cursor")?;
            if seen >= depth {
                let last = items.last().context("a last item")?;
                let updated: DateTime<Utc> =
                    last["updated_at"].as_str().context("updated_at")?.parse()?;
                let id: Uuid = last["id"].as_str().context("id")?.parse()?;
                return Ok((
                    cursor.to_owned(),
                    SortKey {
                        key: updated.timestamp_micros(),
                        id,
                    },
                ));
            }
            query = format!("limit=1000&enableCursor=true&excludeTotal=true&cursor={cursor}");
        }
    }
}

struct Measured {
    p50: Duration,
    p99: Duration,
    rps: f64,
}

/// Rounds the API and its baseline alternate in, so a change in the shared machine's
/// load falls on both sides of the ratio instead of on whichever ran second (with ten,
/// the same binary's p99 ratios ranged 1.15–1.57× from run to run).
const ROUNDS: usize = 50;

/// Runs `requests` calls of `call` over `clients` concurrent tasks (after a warm-up).
async fn measure<F, Fut>(clients: usize, requests: usize, call: F) -> anyhow::Result<Measured>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    warm_up(clients, &call).await?;
    let mut sample = Sample::default();
    sample.round(clients, requests, call).await?;
    Ok(sample.summary())
}

/// [`measure`] for two calls, alternating in [`ROUNDS`] rounds of `requests / ROUNDS`.
async fn measure_pair<F, Fut, G, Gut>(
    clients: usize,
    requests: usize,
    a: F,
    b: G,
) -> anyhow::Result<(Measured, Measured)>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
    G: Fn() -> Gut + Clone + Send + 'static,
    Gut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    warm_up(clients, &a).await?;
    warm_up(clients, &b).await?;
    let (mut sa, mut sb) = (Sample::default(), Sample::default());
    let per_round = requests.div_ceil(ROUNDS);
    for _ in 0..ROUNDS {
        sa.round(clients, per_round, a.clone()).await?;
        sb.round(clients, per_round, b.clone()).await?;
    }
    Ok((sa.summary(), sb.summary()))
}

async fn warm_up<F, Fut>(clients: usize, call: &F) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..clients.min(20) {
        call().await?;
    }
    Ok(())
}

/// Latencies and the wall time they took, over one or more rounds.
#[derive(Default)]
struct Sample {
    latencies: Vec<Duration>,
    wall: Duration,
}

impl Sample {
    /// `requests` calls of `call` over `clients` concurrent tasks.
    async fn round<F, Fut>(
        &mut self,
        clients: usize,
        requests: usize,
        call: F,
    ) -> anyhow::Result<()>
    where
        F: Fn() -> Fut + Clone + Send + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
    {
        let per_client = requests.div_ceil(clients);
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..clients {
            let call = call.clone();
            tasks.spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for _ in 0..per_client {
                    let t = Instant::now();
                    call().await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            });
        }
        while let Some(r) = tasks.join_next().await {
            self.latencies.extend(r??);
        }
        self.wall += started.elapsed();
        Ok(())
    }

    fn summary(mut self) -> Measured {
        let all = &mut self.latencies;
        all.sort();
        let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
        Measured {
            p50: at(0.50),
            p99: at(0.99),
            rps: all.len() as f64 / self.wall.as_secs_f64(),
        }
    }
}
