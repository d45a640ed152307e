//! Bench fixtures: an account, a connection, and alerts written the way the engine
//! writes them (rendered by a simulator, normalized by the real mapping, committed by the
//! real page commit), with the time spent in the store measured apart.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use serde_json::Value;
use tributary_connectors::{crowdstrike, mapping::MapContext, sentinelone};
use tributary_model::{job::JobTrigger, ConnectionState, DataExportType, Vendor};
use tributary_simulators::{SimConfig, SimVendor};
use tributary_store::{
    models::{NewConnection, NewOrganization, PageCommit, PageRecords},
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

/// Writes `sim`'s alerts `0..total` as `conn`'s, in pages of 1,000. Rendering and mapping
/// run on a blocking thread ahead of the commits, so both cores work and `in_store` is
/// the store's own time for the same normalized rows.
pub async fn load_alerts(
    store: &Arc<dyn Store>,
    account: Uuid,
    conn: Uuid,
    sim: SimConfig,
    total: u64,
) -> anyhow::Result<Loaded> {
    const CHUNK: u64 = 1_000;
    store.enqueue_job(account, conn, JobTrigger::Manual).await?;
    let now = Utc::now();
    let claimed = store
        .claim_job("bench", now, now + chrono::Duration::days(1))
        .await?
        .context("the bench job is claimable")?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let vendor = sim.vendor;
    let producer = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let ctx = MapContext {
            connection_id: conn,
        };
        let mut buf = Vec::new();
        for from in (0..total).step_by(CHUNK as usize) {
            buf.clear();
            buf.push(b'[');
            tributary_simulators::render_alerts(&sim, from, CHUNK, &mut buf)?;
            buf.push(b']');
            let raw: Vec<Value> = serde_json::from_slice(&buf)?;
            let rows: Vec<_> = raw
                .iter()
                .filter_map(|r| match vendor {
                    SimVendor::Crowdstrike => crowdstrike::mapping::map_alert(r, &ctx).ok(),
                    SimVendor::Sentinelone => sentinelone::mapping::map_alert(r, &ctx).ok(),
                    SimVendor::MsDefenderEndpoint => {
                        tributary_connectors::ms_defender_endpoint::mapping::map_alert(r, &ctx).ok()
                    }
                })
                .map(|m| tributary_engine::rows::alert_row(conn, &m))
                .collect();
            if tx.blocking_send(rows).is_err() {
                break;
            }
        }
        Ok(())
    });
    let started = Instant::now();
    let mut in_store = Duration::ZERO;
    let mut records = 0u64;
    let mut last_report = Instant::now();
    while let Some(rows) = rx.recv().await {
        records += rows.len() as u64;
        let t = Instant::now();
        store
            .commit_page(PageCommit {
                connection_id: conn,
                job_id: claimed.job.id,
                lease_owner: "bench".into(),
                export: DataExportType::Alerts,
                records: PageRecords::Alerts(rows),
                quarantined: vec![],
                watermark: None,
            })
            .await?;
        in_store += t.elapsed();
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!("  {records}/{total} alerts written");
            last_report = Instant::now();
        }
    }
    producer.await??;
    Ok(Loaded {
        records,
        wall: started.elapsed(),
        in_store,
    })
}
