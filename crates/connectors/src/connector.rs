//! The connector seam the engine drives: for each data export, a reader that pages
//! through the vendor from a watermark, and a minimal probe of each export. What a vendor
//! exports and how its records map is its [`crate::spec::VendorSpec`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tributary_model::DataExportType;

pub use crate::records::Records;
use crate::{error::VendorError, watermark::Watermark};

/// One vendor page: raw records exactly as sent, and the watermark that becomes safe to
/// store once every record of this page is committed.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// The endpoint the records came from (for logs and quarantine).
    pub endpoint: &'static str,
    pub records: Records,
    /// None: do not move the watermark yet (vendors without a sorted incremental filter
    /// move it only after their last page).
    pub watermark: Option<Watermark>,
}

/// Pages through one data export.
#[async_trait]
pub trait ExportReader: Send {
    /// The next page, or None when the export is done.
    async fn next_page(&mut self) -> Result<Option<RawPage>, VendorError>;

    /// Whether this run lists everything the vendor has for the export (not only what
    /// changed since a watermark). After such a run ends without an error and without a
    /// quarantined record, the engine marks the export's stored records the run did not
    /// list as deleted (identity exports). Asked before the first page, and again after
    /// it: a reader whose stored position the vendor refused on its first request (an
    /// expired delta link) may start over and list everything. A reader
    /// that says so must end in an error, never quietly, when it could not list
    /// everything. False unless a reader says otherwise.
    fn full_listing(&self) -> bool {
        false
    }
}

/// A configured connection to one vendor tenant.
#[async_trait]
pub trait Connector: Send + Sync {
    /// A reader for `export`, pulling records changed since `since` (a watermark this
    /// connector produced, or the connection's initial-load time), or everything when
    /// None.
    fn reader(&self, export: DataExportType, since: Option<Watermark>) -> Box<dyn ExportReader>;

    /// One minimal request for `export`: do these credentials work and may they read it?
    async fn probe(&self, export: DataExportType) -> Result<(), VendorError>;

    /// When the vendor says the credential expires, where it says so (SentinelOne API
    /// tokens carry an expiry); None when it does not (the default). Read after a job's
    /// exports, for the CREDENTIAL_EXPIRING advisory.
    async fn credential_expiry(&self) -> Result<Option<DateTime<Utc>>, VendorError> {
        Ok(None)
    }
}
