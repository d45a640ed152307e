//! The connector seam the engine drives: for each data export, a reader that pages
//! through the vendor from a watermark, and the mapping of each raw record.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use tributary_model::{credentials::Credentials, DataExportType, Vendor};

use crate::{
    catalogue::{self, ExportSpec},
    error::VendorError,
    http::VendorHttp,
    mapping::{MapContext, MappedAlert, MappedDevice, MappingError},
};

/// One vendor page: raw records exactly as sent, and the watermark that becomes safe to
/// store once every record of this page is committed.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// The endpoint the records came from (for logs and quarantine).
    pub endpoint: &'static str,
    pub records: Vec<Value>,
    /// None: do not move the watermark yet (vendors without a sorted incremental filter
    /// move it only after their last page).
    pub watermark: Option<String>,
}

/// Pages through one data export.
#[async_trait]
pub trait ExportReader: Send {
    /// The next page, or None when the export is done.
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError>;
}

/// A normalized record.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Device(Box<MappedDevice>),
    Alert(Box<MappedAlert>),
}

/// A configured connection to one vendor tenant.
#[async_trait]
pub trait Connector: Send + Sync {
    fn vendor(&self) -> Vendor;

    /// The data exports and the endpoints each calls, devices first.
    fn exports(&self) -> &'static [ExportSpec] {
        catalogue::exports(self.vendor())
    }

    /// A reader for `export`, pulling records updated at or after `since` (a watermark
    /// this connector produced), or everything when None.
    fn reader(&self, export: DataExportType, since: Option<String>) -> Box<dyn ExportReader>;

    /// One minimal request for `export`: do these credentials work and may they read it?
    async fn probe(&self, export: DataExportType) -> Result<(), VendorError>;

    /// Normalizes one raw record of `export`.
    fn map(
        &self,
        export: DataExportType,
        raw: &Value,
        ctx: &MapContext,
    ) -> Result<Mapped, MappingError>;
}

/// Builds the connector for `credentials`.
pub fn connector(
    credentials: Credentials,
    options: Option<&Value>,
    http: VendorHttp,
) -> Arc<dyn Connector> {
    let options = options.cloned().unwrap_or(Value::Null);
    match credentials {
        Credentials::Sentinelone(c) => Arc::new(crate::sentinelone::client::SentinelOne::new(
            c, &options, http,
        )),
        Credentials::Crowdstrike(c) => Arc::new(crate::crowdstrike::client::CrowdStrike::new(
            c, &options, http,
        )),
        Credentials::MsDefenderEndpoint(c) => Arc::new(
            crate::ms_defender_endpoint::client::Defender::new(c, &options, http),
        ),
    }
}

/// Parses a vendor timestamp leniently (RFC 3339, or a zone-less ISO time taken as UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// Watermarks are stored as RFC 3339 with nanoseconds.
pub fn format_watermark(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The latest of the timestamps at `path` (dot-separated) in `records`.
pub fn max_time(records: &[Value], path: &str) -> Option<DateTime<Utc>> {
    records
        .iter()
        .filter_map(|r| {
            path.split('.')
                .try_fold(r, |v, key| v.get(key))
                .and_then(Value::as_str)
                .and_then(parse_time)
        })
        .max()
}

/// The watermark a run starts from: the stored one, else `options.init_load_timestamp`.
pub fn start_watermark(stored: Option<String>, options: Option<&Value>) -> Option<DateTime<Utc>> {
    stored.as_deref().and_then(parse_time).or_else(|| {
        options
            .and_then(|o| o.get("init_load_timestamp"))
            .and_then(Value::as_str)
            .and_then(parse_time)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn times_and_watermarks() {
        let a = parse_time("2022-04-06T08:45:53.968000Z").unwrap();
        let b = parse_time("2021-01-26T20:33:59.2123456Z").unwrap();
        assert!(parse_time("2021-01-26T20:33:59.2123456").is_some());
        assert!(parse_time("yesterday").is_none());
        let recs = vec![
            json!({"t": {"u": "2021-01-26T20:33:59.2123456Z"}}),
            json!({"t": {"u": "2022-04-06T08:45:53.968000Z"}}),
            json!({}),
        ];
        assert_eq!(max_time(&recs, "t.u"), Some(a));
        assert_eq!(parse_time(&format_watermark(b)), Some(b));
        let opts = json!({"init_load_timestamp": "2020-01-01T00:00:00Z"});
        assert_eq!(
            start_watermark(None, Some(&opts)),
            parse_time("2020-01-01T00:00:00Z")
        );
        assert_eq!(
            start_watermark(Some(format_watermark(a)), Some(&opts)),
            Some(a)
        );
    }
}
