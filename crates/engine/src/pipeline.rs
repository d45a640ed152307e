//! The export pipeline, syncing one data export: a fetch stage (the reader's vendor HTTP
//! and parsing, then the export's mapping) feeds a commit stage (one transaction per page:
//! records, quarantine, progress and watermark) through a small bounded channel, so the
//! next page downloads while this one is written and memory stays flat whatever the
//! export's size. No transaction spans a vendor call. A run the reader vouches is a
//! complete listing ends with the store reconciling what it did not see (records gone at
//! the vendor: identity records deleted, findings fixed). Jobs run it with a vendor's
//! reader; `tributary bench ingest` runs the same pipeline with a reader of its own.

use std::sync::Arc;

use tokio::sync::mpsc;
use tributary_connectors::{
    connector::{ExportReader, RawPage, Records},
    error::VendorError,
    mapping::MapContext,
    view::View,
    ExportSpec,
};
use tributary_store::{
    models::{CompleteListing, PageCommit, PageRecords, QuarantinedRecord},
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
    /// Records a complete listing no longer had, marked deleted.
    pub deleted: u64,
    /// Findings a complete snapshot no longer had, marked FIXED.
    pub fixed: u64,
    /// Records the vendor sent (normalized or quarantined).
    pub received: u64,
    /// The reader listed everything the vendor has (not only changes since a watermark).
    pub full_listing: bool,
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
    /// The time that watermark stands for (None for a resume token).
    watermark_at: Option<chrono::DateTime<chrono::Utc>>,
    endpoint: &'static str,
    /// Whether the reader vouched for a complete listing once it had read this page.
    complete: bool,
    /// Records the vendor sent on this page.
    received: u64,
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
/// `last_endpoint` the endpoint of the last page. When the reader vouches for a complete
/// listing and the run ends cleanly (no vendor error, nothing quarantined), the store then
/// reconciles what the listing did not see; never after a failed or partial run.
pub async fn sync_export(
    job: &ExportJob,
    export: &'static ExportSpec,
    reader: Box<dyn ExportReader>,
    stats: &mut ExportStats,
    last_endpoint: &mut &'static str,
) -> ExportEnd {
    // Ids are collected only for a complete listing: other runs stay flat in memory.
    stats.full_listing = reader.full_listing();
    let mut seen = stats.full_listing.then(Vec::new);
    let (tx, rx) = mpsc::channel::<Result<Prepared, VendorError>>(PIPELINE_DEPTH);
    let ctx = MapContext {
        connection_id: job.connection_id,
    };
    let fetcher = tokio::spawn(fetch(reader, export, ctx, tx));
    let end = commit_pages(job, export, rx, stats, last_endpoint, &mut seen).await;
    fetcher.abort();
    let _ = fetcher.await;
    match (end, seen) {
        (ExportEnd::Done, Some(seen)) if stats.quarantined == 0 => {
            reconcile(job, export, seen, stats).await
        }
        (end, _) => end,
    }
}

/// The fetch stage: reads and maps pages until the reader is done, fails, or the
/// committer stops listening.
async fn fetch(
    mut reader: Box<dyn ExportReader>,
    export: &'static ExportSpec,
    ctx: MapContext,
    tx: mpsc::Sender<Result<Prepared, VendorError>>,
) {
    loop {
        let page = match reader.next_page().await {
            Ok(Some(page)) => page,
            Ok(None) => return,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let mut prepared = prepare(export, &ctx, page);
        prepared.complete = reader.full_listing();
        if tx.send(Ok(prepared)).await.is_err() {
            return; // the committer stopped
        }
    }
}

/// The commit stage: one transaction per page, in order, until the pages end or fail.
/// With `seen`, every committed record's id is added to it; a reader that became a
/// complete listing on its first page (it started over: a stored position the vendor
/// refused) starts `seen` there.
async fn commit_pages(
    job: &ExportJob,
    export: &'static ExportSpec,
    mut rx: mpsc::Receiver<Result<Prepared, VendorError>>,
    stats: &mut ExportStats,
    last_endpoint: &mut &'static str,
    seen: &mut Option<Vec<Uuid>>,
) -> ExportEnd {
    let export_type = export.data_export_type;
    let mut first = true;
    loop {
        let Some(next) = rx.recv().await else {
            return ExportEnd::Done;
        };
        let page = match next {
            Ok(p) => p,
            Err(e) => return ExportEnd::Vendor(e),
        };
        *last_endpoint = page.endpoint;
        if std::mem::take(&mut first) && page.complete && seen.is_none() {
            *seen = Some(Vec::new());
            stats.full_listing = true;
        }
        let received = page.received;
        let ids = seen.is_some().then(|| page.records.ids());
        let commit = PageCommit {
            connection_id: job.connection_id,
            job_id: job.job_id,
            lease_owner: job.worker.clone(),
            export: export_type,
            records: page.records,
            quarantined: page.quarantined,
            watermark: page.watermark,
            watermark_at: page.watermark_at,
        };
        let started = std::time::Instant::now();
        let committed = job.store.commit_page(commit).await;
        stats.commit_time += started.elapsed();
        match committed {
            Ok(done) => {
                stats.upserted += done.upserted;
                stats.quarantined += done.quarantined;
                stats.pages += 1;
                stats.received += received;
                let label = export_type.as_str();
                metrics::counter!("tributary_records_upserted_total", "export" => label)
                    .increment(done.upserted);
                metrics::counter!("tributary_records_quarantined_total", "export" => label)
                    .increment(done.quarantined);
            }
            Err(e) => return ExportEnd::Storage(e),
        }
        if let (Some(seen), Some(ids)) = (seen.as_mut(), ids) {
            seen.extend(ids);
        }
    }
}

/// Asks the store to mark what a clean, complete listing did not see.
async fn reconcile(
    job: &ExportJob,
    export: &'static ExportSpec,
    seen: Vec<Uuid>,
    stats: &mut ExportStats,
) -> ExportEnd {
    let export_type = export.data_export_type;
    let listing = CompleteListing {
        connection_id: job.connection_id,
        job_id: job.job_id,
        lease_owner: job.worker.clone(),
        export: export_type,
        seen,
    };
    match job.store.reconcile_listing(listing).await {
        Ok(done) => {
            stats.deleted += done.deleted;
            stats.fixed += done.fixed;
            let label = export_type.as_str();
            metrics::counter!("tributary_records_deleted_total", "export" => label)
                .increment(done.deleted);
            metrics::counter!("tributary_findings_fixed_total", "export" => label)
                .increment(done.fixed);
            if done.deleted + done.fixed > 0 {
                tracing::info!(connection = %job.connection_id, export = label,
                    deleted = done.deleted, fixed = done.fixed,
                    "a complete listing no longer has these records");
            }
            ExportEnd::Done
        }
        Err(e) => ExportEnd::Storage(e),
    }
}

/// Maps a raw page; records that cannot be normalized are kept raw for quarantine.
fn prepare(export: &ExportSpec, ctx: &MapContext, page: RawPage) -> Prepared {
    let (records, quarantined) = map_records(export, ctx, &page.records);
    Prepared {
        records,
        quarantined,
        watermark_at: page.watermark.as_ref().and_then(|w| w.time()),
        watermark: page.watermark.map(|w| w.to_stored()),
        endpoint: page.endpoint,
        complete: false,
        received: page.records.len() as u64,
    }
}

/// The rows of a page's raw records as `export` maps them, and the records it could not
/// map (kept raw, with the reason). Records still in their JSON text are read one at a
/// time into a [`View`] borrowing from the text (no `Value` tree), each dropped once
/// mapped. `tributary bench ingest` builds its baselines' rows with it.
pub fn map_records(
    export: &ExportSpec,
    ctx: &MapContext,
    raws: &Records,
) -> (PageRecords, Vec<QuarantinedRecord>) {
    let mut records = PageRecords::empty(export.data_export_type);
    let mut quarantined = Vec::new();
    let mut map_one = |raw: &View, text: Option<&str>| {
        let split = (export.map)(raw, ctx)
            .map_err(|e| e.to_string())
            .and_then(|mapped| records.push(ctx.connection_id, &mapped));
        split.err().map(|error| QuarantinedRecord {
            vendor_id: guess_vendor_id(raw),
            error,
            raw: text.map_or_else(|| raw.to_string(), str::to_owned),
        })
    };
    match raws {
        Records::Parsed(values) => {
            quarantined.extend(
                values
                    .iter()
                    .filter_map(|raw| map_one(&View::from(raw), None)),
            );
        }
        Records::Json(texts) => {
            for text in texts.iter() {
                // Each text was cut from a page that parsed: it is one JSON value.
                let failed = match View::parse(text) {
                    Ok(raw) => map_one(&raw, Some(text)),
                    Err(e) => Some(QuarantinedRecord {
                        vendor_id: None,
                        error: format!("not a JSON record: {e}"),
                        raw: text.to_owned(),
                    }),
                };
                quarantined.extend(failed);
            }
        }
    }
    (records, quarantined)
}

/// The record's id, when it has one we can recognise (for the quarantine list).
fn guess_vendor_id(raw: &View) -> Option<String> {
    ["id", "composite_id", "device_id"]
        .iter()
        .find_map(|k| match raw.get(k) {
            Some(View::String(s)) => Some(s.chars().take(200).collect()),
            Some(View::Number(n)) => Some(n.to_string()),
            _ => None,
        })
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
