//! Syncing one data export: a fetch stage (vendor HTTP, parsing, mapping) feeds a commit
//! stage (one transaction per page: records, quarantine, progress and watermark) through
//! a small bounded channel, so the next page downloads while this one is written and
//! memory stays flat whatever the export's size. No transaction spans a vendor call.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tributary_connectors::{
    connector::{Connector, Mapped},
    error::VendorError,
    mapping::MapContext,
};
use tributary_model::DataExportType;
use tributary_store::{
    models::{PageCommit, PageRecords, QuarantinedRecord},
    Store, StoreError,
};
use uuid::Uuid;

use crate::rows::{alert_row, device_row};

/// Pages buffered between fetching and committing.
const PIPELINE_DEPTH: usize = 2;

/// Counters of one export run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub upserted: u64,
    pub quarantined: u64,
    pub pages: u64,
}

/// How an export run ended.
#[derive(Debug)]
pub enum ExportEnd {
    Done,
    /// The vendor call failed (classified).
    Vendor(VendorError),
    /// Our storage failed.
    Storage(StoreError),
}

/// A page ready to commit.
struct Prepared {
    records: PageRecords,
    quarantined: Vec<QuarantinedRecord>,
    watermark: Option<String>,
    endpoint: &'static str,
}

/// What the export needs to know about its job.
pub struct ExportJob {
    pub store: Arc<dyn Store>,
    pub connection_id: Uuid,
    pub job_id: Uuid,
    pub worker: String,
}

/// Runs one export to its end. `progress` sees the running totals after each page
/// and the endpoint of the last page.
pub async fn sync_export(
    job: &ExportJob,
    connector: Arc<dyn Connector>,
    export: DataExportType,
    since: Option<String>,
    stats: &mut ExportStats,
    last_endpoint: &mut &'static str,
) -> ExportEnd {
    let (tx, mut rx) = mpsc::channel::<Result<Prepared, VendorError>>(PIPELINE_DEPTH);
    let ctx = MapContext {
        connection_id: job.connection_id,
    };
    let fetcher = tokio::spawn(async move {
        let mut reader = connector.reader(export, since);
        loop {
            let page = match reader.next_page().await {
                Ok(Some(page)) => page,
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let prepared = prepare(connector.as_ref(), export, &ctx, page);
            if tx.send(Ok(prepared)).await.is_err() {
                return; // the committer stopped
            }
        }
    });
    let end = loop {
        let Some(next) = rx.recv().await else {
            break ExportEnd::Done;
        };
        let page = match next {
            Ok(p) => p,
            Err(e) => break ExportEnd::Vendor(e),
        };
        *last_endpoint = page.endpoint;
        let commit = PageCommit {
            connection_id: job.connection_id,
            job_id: job.job_id,
            lease_owner: job.worker.clone(),
            export,
            records: page.records,
            quarantined: page.quarantined,
            watermark: page.watermark,
        };
        match job.store.commit_page(commit).await {
            Ok(done) => {
                stats.upserted += done.upserted;
                stats.quarantined += done.quarantined;
                stats.pages += 1;
                let vendor = connector_label(export);
                metrics::counter!("tributary_records_upserted_total", "export" => vendor)
                    .increment(done.upserted);
                metrics::counter!("tributary_records_quarantined_total", "export" => vendor)
                    .increment(done.quarantined);
            }
            Err(e) => break ExportEnd::Storage(e),
        }
    };
    drop(rx);
    fetcher.abort();
    let _ = fetcher.await;
    end
}

fn connector_label(export: DataExportType) -> &'static str {
    export.as_str()
}

/// Maps a raw page; records that cannot be normalized are kept raw for quarantine.
fn prepare(
    connector: &dyn Connector,
    export: DataExportType,
    ctx: &MapContext,
    page: tributary_connectors::connector::RawPage,
) -> Prepared {
    let mut devices = Vec::new();
    let mut alerts = Vec::new();
    let mut quarantined = Vec::new();
    for raw in &page.records {
        match connector.map(export, raw, ctx) {
            Ok(Mapped::Device(d)) => devices.push(device_row(&d)),
            Ok(Mapped::Alert(a)) => alerts.push(alert_row(ctx.connection_id, &a)),
            Err(e) => quarantined.push(QuarantinedRecord {
                vendor_id: guess_vendor_id(raw),
                error: e.to_string(),
                raw: raw.to_string(),
            }),
        }
    }
    let records = match export {
        DataExportType::Devices => PageRecords::Devices(devices),
        DataExportType::Alerts => PageRecords::Alerts(alerts),
    };
    Prepared {
        records,
        quarantined,
        watermark: page.watermark,
        endpoint: page.endpoint,
    }
}

/// The record's id, when it has one we can recognise (for the quarantine list).
fn guess_vendor_id(raw: &Value) -> Option<String> {
    ["id", "composite_id", "device_id"]
        .iter()
        .find_map(|k| match raw.get(*k) {
            Some(Value::String(s)) => Some(s.chars().take(200).collect()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}
