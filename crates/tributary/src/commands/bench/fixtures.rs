//! Bench fixtures: a connection, and alerts or findings written by the engine's own export
//! pipeline (rendered by a simulator, normalized by the vendor's mapping, committed page
//! by page), with the time spent in the store measured apart.

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
    Registry,
};
use tributary_engine::pipeline::{sync_export, ExportEnd, ExportJob, ExportStats};
use tributary_model::{job::JobTrigger, ConnectionState, DataExportType, Vendor};
use tributary_simulators::SimConfig;
use tributary_store::{
    models::{NewConnection, NewOrganization},
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

/// Reads a collection of `sim`'s exactly as its vendor serves it, rendered in-process:
/// the export pipeline's input without HTTP.
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
        let records: Vec<Value> =
            serde_json::from_slice(&self.buf).map_err(|e| VendorError::malformed("bench", e))?;
        self.next += count;
        Ok(Some(RawPage {
            endpoint: "bench",
            records,
            watermark: None,
        }))
    }
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
    load(
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
    load(store, account, conn, sim, "findings", export, total).await
}

async fn load(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    sim: SimConfig,
    collection: &'static str,
    export_type: DataExportType,
    total: u64,
) -> anyhow::Result<Loaded> {
    let vendor = Vendor::parse(sim.vendor.as_str())?;
    let export = Registry::builtin()
        .get(vendor)
        .and_then(|spec| spec.export(export_type))
        .with_context(|| format!("{vendor} has no {export_type} export"))?;
    store.enqueue_job(account, conn, JobTrigger::Manual).await?;
    let now = Utc::now();
    let claimed = store
        .claim_job("bench", now, now + chrono::Duration::days(1))
        .await?
        .context("the bench job is claimable")?;
    let job = ExportJob {
        store: store.clone(),
        connection_id: conn,
        job_id: claimed.job.id,
        worker: "bench".into(),
    };
    let reader = Box::new(Rendered {
        sim,
        collection,
        next: 0,
        total,
        buf: Vec::new(),
    });
    let started = Instant::now();
    let mut stats = ExportStats::default();
    let mut endpoint = "bench";
    match sync_export(&job, export, reader, &mut stats, &mut endpoint).await {
        ExportEnd::Done => {}
        ExportEnd::Vendor(e) => anyhow::bail!("rendering failed: {e}"),
        ExportEnd::Storage(e) => anyhow::bail!("storing failed: {e}"),
    }
    anyhow::ensure!(
        stats.quarantined == 0,
        "{} rendered {collection} did not map",
        stats.quarantined
    );
    Ok(Loaded {
        records: stats.upserted,
        wall: started.elapsed(),
        in_store: stats.commit_time,
    })
}
