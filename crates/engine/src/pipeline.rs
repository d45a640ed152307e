//! The export pipeline, syncing one data export: a fetch stage (the reader's vendor HTTP
//! and parsing, then the export's mapping) feeds a commit stage (one transaction per page:
//! records, quarantine, progress and watermark) through a small bounded channel, so the
//! next page downloads while this one is written and memory stays flat whatever the
//! export's size. No transaction spans a vendor call. Jobs run it with a vendor's reader;
//! `tributary bench ingest` runs the same pipeline with a reader of its own.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tributary_connectors::{
    connector::{ExportReader, RawPage},
    error::VendorError,
    mapping::MapContext,
    ExportSpec,
};
use tributary_store::{
    models::{PageCommit, PageRecords, QuarantinedRecord},
    Store, StoreError,
};
use uuid::Uuid;

/// Pages buffered between fetching and committing.
const PIPELINE_DEPTH: usize = 2;

/// Counters of one export run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub upserted: u64,
    pub quarantined: u64,
    pub pages: u64,
    /// Time spent in page commits (the store's share of the run).
    pub commit_time: std::time::Duration,
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
    /// The stored form of the watermark the page allows.
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

/// Runs one export to its end: pages from `reader`, mapped by `export`'s mapping,
/// committed as `job`. `stats` sees the running totals after each page and
/// `last_endpoint` the endpoint of the last page.
pub async fn sync_export(
    job: &ExportJob,
    export: &'static ExportSpec,
    mut reader: Box<dyn ExportReader>,
    stats: &mut ExportStats,
    last_endpoint: &mut &'static str,
) -> ExportEnd {
    let (tx, mut rx) = mpsc::channel::<Result<Prepared, VendorError>>(PIPELINE_DEPTH);
    let ctx = MapContext {
        connection_id: job.connection_id,
    };
    let fetcher = tokio::spawn(async move {
        loop {
            let page = match reader.next_page().await {
                Ok(Some(page)) => page,
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            if tx.send(Ok(prepare(export, &ctx, page))).await.is_err() {
                return; // the committer stopped
            }
        }
    });
    let export_type = export.data_export_type;
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
            export: export_type,
            records: page.records,
            quarantined: page.quarantined,
            watermark: page.watermark,
        };
        let started = std::time::Instant::now();
        let committed = job.store.commit_page(commit).await;
        stats.commit_time += started.elapsed();
        match committed {
            Ok(done) => {
                stats.upserted += done.upserted;
                stats.quarantined += done.quarantined;
                stats.pages += 1;
                let label = export_type.as_str();
                metrics::counter!("tributary_records_upserted_total", "export" => label)
                    .increment(done.upserted);
                metrics::counter!("tributary_records_quarantined_total", "export" => label)
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

/// Maps a raw page; records that cannot be normalized are kept raw for quarantine.
fn prepare(export: &ExportSpec, ctx: &MapContext, page: RawPage) -> Prepared {
    let mut records = PageRecords::empty(export.data_export_type);
    let mut quarantined = Vec::new();
    for raw in &page.records {
        let split = (export.map)(raw, ctx)
            .map_err(|e| e.to_string())
            .and_then(|mapped| records.push(ctx.connection_id, &mapped));
        if let Err(error) = split {
            quarantined.push(QuarantinedRecord {
                vendor_id: guess_vendor_id(raw),
                error,
                raw: raw.to_string(),
            });
        }
    }
    Prepared {
        records,
        quarantined,
        watermark: page.watermark.map(|w| w.to_stored()),
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
