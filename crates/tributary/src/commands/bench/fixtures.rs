//! Bench fixtures: a connection, and alerts written by the engine's own export pipeline
//! (rendered by a simulator, normalized by the vendor's mapping, committed page by page),
//! with the time spent in the store measured apart.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use serde_json::Value;
use tributary_connectors::{
    connector::{ExportReader, RawPage},
    error::VendorError,
    mapping::MapContext,
    records::JsonRecords,
    Registry,
};
use tributary_engine::pipeline::{map_records, sync_export, ExportEnd, ExportJob, ExportStats};
use tributary_model::{job::JobTrigger, ConnectionState, DataExportType, Vendor};
use tributary_simulators::SimConfig;
use tributary_store::{
    models::{NewConnection, NewOrganization, PageRecords},
    Store,
};
use uuid::Uuid;

/// A connection created straight in the store: ACTIVE (jobs need it) but never due.
pub async fn connection(
    store: &Arc<dyn Store>,
    account: Uuid,
    vendor: Vendor,
) -> anyhow::Result<Uuid> {
    let org = store
        .create_organization(
            account,
            NewOrganization {
                name: "bench".into(),
                identifier: None,
            },
        )
        .await?;
    Ok(store
        .create_connection(
            account,
            NewConnection {
                id: Uuid::now_v7(),
                organization_id: org.id,
                vendor,
                identifier: Some("bench".into()),
                state: ConnectionState::Active,
                refresh_interval_secs: 2_592_000,
                timeout_secs: 86_400,
                options: None,
                sealed_credentials: vec![],
                next_run_at: None,
                freshness_target_secs: None,
            },
        )
        .await?
        .id)
}

/// What loading took: the whole run, and the part spent inside the store's commits.
pub struct Loaded {
    pub records: u64,
    pub wall: Duration,
    pub in_store: Duration,
}

/// Records per page, as the vendors' readers page.
const CHUNK: u64 = 1_000;

/// Reads `sim`'s records of one collection exactly as its vendor serves them, rendered
/// in-process: the export pipeline's input without HTTP.
struct Rendered {
    sim: SimConfig,
    collection: &'static str,
    next: u64,
    total: u64,
    buf: Vec<u8>,
}

#[async_trait::async_trait]
impl ExportReader for Rendered {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.next >= self.total {
            return Ok(None);
        }
        let count = CHUNK.min(self.total - self.next);
        self.buf.clear();
        self.buf.push(b'[');
        tributary_simulators::render_records(
            &self.sim,
            self.collection,
            self.next,
            count,
            &mut self.buf,
        )
        .map_err(|e| VendorError::malformed("bench", e))?;
        self.buf.push(b']');
        // As the vendors' readers hold a page: each record's text, parsed by the pipeline.
        let records: JsonRecords =
            serde_json::from_slice(&self.buf).map_err(|e| VendorError::malformed("bench", e))?;
        self.next += count;
        Ok(Some(RawPage {
            endpoint: "bench",
            records: records.into(),
            watermark: None,
        }))
    }
}

/// Syncs one `export` of `conn` from the vendor over HTTP with the vendor's own connector
/// (`credentials` as the connection would hold them) through the engine's export pipeline,
/// as a job does, without the API and scheduler around it.
pub async fn sync_over_http(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    vendor: Vendor,
    credentials: &Value,
    export: DataExportType,
) -> anyhow::Result<Loaded> {
    use tributary_connectors::{
        guard::UrlGuard,
        http::{build_client, HttpSettings, VendorHttp},
    };
    let spec = Registry::builtin()
        .get(vendor)
        .with_context(|| format!("{vendor} is not built in"))?;
    let export = spec
        .export(export)
        .with_context(|| format!("{vendor} has no {export} export"))?;
    let creds = spec
        .parse_credentials(credentials)
        .map_err(|e| anyhow::anyhow!("credentials: {e:?}"))?;
    let settings = Arc::new(HttpSettings::default());
    let client = build_client(
        &UrlGuard::from_list("127.0.0.1,localhost"),
        settings.request_timeout,
    );
    let http = VendorHttp::new(client, vendor, spec.pacing, settings);
    let connector = (spec.connect)(&creds, &Value::Null, http);
    let job = begin_job(store, account, conn).await?;
    let reader = connector.reader(export.data_export_type, None);
    run_pipeline(&job, export, reader).await
}

async fn begin_job(store: &Arc<dyn Store>, account: Uuid, conn: Uuid) -> anyhow::Result<ExportJob> {
    // The app's own worker may claim the job first (it polls the same store); it then
    // fails it at once (the connection has no credentials), and the next one is ours.
    for _ in 0..100 {
        // Refused while the worker's run of this connection is still active.
        let _ = store.enqueue_job(account, conn, JobTrigger::Manual).await;
        let now = Utc::now();
        let claimed = store
            .claim_job("bench", now, now + chrono::Duration::days(1))
            .await?;
        if let Some(claimed) = claimed {
            anyhow::ensure!(
                claimed.job.connection_id == conn,
                "claimed another connection's job"
            );
            return Ok(ExportJob {
                store: store.clone(),
                connection_id: conn,
                job_id: claimed.job.id,
                worker: "bench".into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the app's worker kept taking the bench job")
}

/// Runs `reader` through the export pipeline; the store's own time is measured apart.
async fn run_pipeline(
    job: &ExportJob,
    export: &'static tributary_connectors::spec::ExportSpec,
    reader: Box<dyn ExportReader>,
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let mut stats = ExportStats::default();
    let mut endpoint = "bench";
    match sync_export(job, export, reader, &mut stats, &mut endpoint).await {
        ExportEnd::Done => {}
        ExportEnd::Vendor(e) => anyhow::bail!("reading failed: {e}"),
        ExportEnd::Storage(e) => anyhow::bail!("storing failed: {e}"),
    }
    anyhow::ensure!(
        stats.quarantined == 0,
        "{} records did not map",
        stats.quarantined
    );
    Ok(Loaded {
        records: stats.upserted,
        wall: started.elapsed(),
        in_store: stats.commit_time,
    })
}

/// Writes `sim`'s alerts `0..total` as `conn`'s through the engine's export pipeline
/// (the vendor's mapping, then page commits of 1,000), with simulator rendering in place
/// of HTTP. `in_store` is the store's own time for those commits.
pub async fn load_alerts(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    sim: SimConfig,
    total: u64,
) -> anyhow::Result<Loaded> {
    load_records(
        store,
        account,
        conn,
        sim,
        "alerts",
        DataExportType::Alerts,
        total,
    )
    .await
}

/// [`load_alerts`] for a scanner's vulnerability findings (the `findings` collection).
pub async fn load_findings(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    sim: SimConfig,
    total: u64,
) -> anyhow::Result<Loaded> {
    let export = DataExportType::Vulnerabilities;
    load_records(store, account, conn, sim, "findings", export, total).await
}

/// Like [`load_alerts`], for the records of any `collection` of the simulator, mapped by
/// the vendor's `export` (identity users: `"users"`, [`DataExportType::Users`]).
pub async fn load_records(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    sim: SimConfig,
    collection: &'static str,
    export: DataExportType,
    total: u64,
) -> anyhow::Result<Loaded> {
    let vendor = Vendor::parse(sim.vendor.as_str())?;
    let export = Registry::builtin()
        .get(vendor)
        .and_then(|spec| spec.export(export))
        .with_context(|| format!("{vendor} has no {export} export"))?;
    let job = begin_job(store, account, conn).await?;
    let reader = Box::new(Rendered {
        sim,
        collection,
        next: 0,
        total,
        buf: Vec::new(),
    });
    run_pipeline(&job, export, reader).await
}

/// The physical limit of a page commit: `sim`'s alerts `0..total`, rendered and mapped
/// as [`load_alerts`] does them (untimed), each page's rows written into the store's bare
/// table of one index ([`Store::bare_insert_alerts`]: the same row bytes, the statement
/// page commits use, one transaction a page). `in_store` is the time of those writes.
pub async fn physical_limit(
    store: &Arc<dyn Store>,
    conn: Uuid,
    sim: SimConfig,
    total: u64,
) -> anyhow::Result<Loaded> {
    let vendor = Vendor::parse(sim.vendor.as_str())?;
    let export = Registry::builtin()
        .get(vendor)
        .and_then(|spec| spec.export(DataExportType::Alerts))
        .with_context(|| format!("{vendor} has no alerts export"))?;
    let ctx = MapContext {
        connection_id: conn,
    };
    let mut reader = Rendered {
        sim,
        collection: "alerts",
        next: 0,
        total,
        buf: Vec::new(),
    };
    store.create_bare_alerts().await?;
    let started = Instant::now();
    let (mut records, mut in_store) = (0, Duration::ZERO);
    while let Some(page) = reader.next_page().await? {
        let (rows, quarantined) = map_records(export, &ctx, &page.records);
        anyhow::ensure!(quarantined.is_empty(), "alerts did not map");
        let PageRecords::Alerts(rows) = rows else {
            anyhow::bail!("the alerts export produced other rows");
        };
        let timed = Instant::now();
        store.bare_insert_alerts(conn, &rows).await?;
        in_store += timed.elapsed();
        records += rows.len() as u64;
    }
    let wall = started.elapsed();
    store.drop_bare_alerts().await?;
    Ok(Loaded {
        records,
        wall,
        in_store,
    })
}
