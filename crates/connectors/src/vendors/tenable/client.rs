//! Tenable's connector: each export is one export job read chunk by chunk. Chunks are not
//! ordered by time, so the watermark moves only after the last chunk: to the time the
//! export was requested (less a margin for clock skew), which the next job sends as
//! `filters.since` (vulns: open and reopened findings found since, and findings fixed
//! since; assets: assets updated since).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use tributary_model::{credentials::Credentials, DataExportType};

use super::{
    api::Inner,
    endpoints::{
        ASSETS_CANCEL, ASSETS_CHUNK, ASSETS_EXPORT, ASSETS_STATUS, DEFAULT_BASE_URL, VULNS_CANCEL,
        VULNS_CHUNK, VULNS_EXPORT, VULNS_STATUS,
    },
    export::{Export, ExportPaths},
};
use crate::{
    connector::{Connector, ExportReader, RawPage, Records},
    error::VendorError,
    http::VendorHttp,
    watermark::Watermark,
};

static VULNS: ExportPaths = ExportPaths {
    create: VULNS_EXPORT,
    status: VULNS_STATUS,
    chunk: VULNS_CHUNK,
    cancel: VULNS_CANCEL,
};
static ASSETS: ExportPaths = ExportPaths {
    create: ASSETS_EXPORT,
    status: ASSETS_STATUS,
    chunk: ASSETS_CHUNK,
    cancel: ASSETS_CANCEL,
};

/// Assets' findings per vulns chunk (Tenable allows 50–5000).
const NUM_ASSETS: u32 = 500;
/// Assets per assets chunk (100–10000).
const CHUNK_SIZE: u32 = 1000;
/// How far before the export's request the next one starts: covers clock skew between
/// us and Tenable. Re-reading a record costs nothing (unchanged rows are not rewritten).
const SKEW: Duration = Duration::minutes(5);

pub fn connect(creds: &Credentials, _options: &Value, http: VendorHttp) -> Arc<dyn Connector> {
    Arc::new(Tenable(Arc::new(Inner {
        base_url: creds
            .get("base_url")
            .unwrap_or(DEFAULT_BASE_URL)
            .trim_end_matches('/')
            .to_owned(),
        access_key: creds.get("access_key").unwrap_or_default().to_owned(),
        secret_key: creds.secret("secret_key").unwrap_or_default(),
        http,
    })))
}

struct Tenable(Arc<Inner>);

/// The export request for `export` from `since`.
fn request(export: DataExportType, since: Option<DateTime<Utc>>) -> (&'static ExportPaths, Value) {
    let since = since.map(|t| t.timestamp());
    match (export, since) {
        (DataExportType::Assets, None) => (&ASSETS, json!({"chunk_size": CHUNK_SIZE})),
        (DataExportType::Assets, Some(s)) => (
            &ASSETS,
            json!({"chunk_size": CHUNK_SIZE, "filters": {"updated_at": s}}),
        ),
        // The first pull reads everything open now (`since: 0`: without a time filter
        // Tenable exports only the last 30 days); increments add what was fixed since.
        (_, None) => (
            &VULNS,
            json!({"num_assets": NUM_ASSETS,
                   "filters": {"since": 0, "state": ["OPEN", "REOPENED"]}}),
        ),
        (_, Some(s)) => (
            &VULNS,
            json!({"num_assets": NUM_ASSETS,
                   "filters": {"since": s, "state": ["OPEN", "REOPENED", "FIXED"]}}),
        ),
    }
}

struct Reader {
    export: Export,
    endpoint: &'static str,
    requested: DateTime<Utc>,
    done: bool,
}

#[async_trait]
impl ExportReader for Reader {
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError> {
        if self.done {
            return Ok(None);
        }
        match self.export.next_chunk().await? {
            Some(records) => Ok(Some(RawPage {
                endpoint: self.endpoint,
                records: Records::Json(records),
                watermark: None,
            })),
            None => {
                // Every chunk is committed before this page: the export is complete.
                self.done = true;
                Ok(Some(RawPage {
                    endpoint: self.endpoint,
                    records: Records::default(),
                    watermark: Some(Watermark::Time(self.requested - SKEW)),
                }))
            }
        }
    }
}

#[async_trait]
impl Connector for Tenable {
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader> {
        let (paths, body) = request(export, since.and_then(|w| w.time()));
        Box::new(Reader {
            export: Export::new(self.0.clone(), paths, body),
            endpoint: paths.chunk,
            requested: Utc::now(),
            done: false,
        })
    }

    /// The list of recent exports: cheap, and refused without export permission.
    async fn probe(&self, export: DataExportType) -> Result<(), VendorError> {
        let (paths, _) = request(export, None);
        let path = format!("{}/status", paths.create);
        self.0.get::<Value>(paths.status, &path).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_ask_for_every_state_since_the_watermark() {
        let t = "2024-05-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let (paths, body) = request(DataExportType::Vulnerabilities, Some(t));
        assert_eq!(paths.create, "/vulns/export");
        assert_eq!(body["filters"]["since"], t.timestamp());
        assert_eq!(
            body["filters"]["state"],
            json!(["OPEN", "REOPENED", "FIXED"])
        );
        let (_, first) = request(DataExportType::Vulnerabilities, None);
        assert_eq!(
            first["filters"]["since"], 0,
            "not Tenable's default 30 days"
        );
        assert_eq!(first["filters"]["state"], json!(["OPEN", "REOPENED"]));
        let (paths, body) = request(DataExportType::Assets, Some(t));
        assert_eq!(paths.create, "/assets/export");
        assert_eq!(body["filters"]["updated_at"], t.timestamp());
    }
}
