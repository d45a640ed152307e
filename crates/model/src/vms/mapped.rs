//! A finding as a mapping produces it, with what the engine needs to store it.

use chrono::{DateTime, Utc};

use super::Finding;

#[derive(Debug, Clone, PartialEq)]
pub struct MappedFinding {
    /// The vendor's id of the finding (the upsert key): stable across fixes and reopenings.
    pub vendor_id: String,
    /// The vendor's last-modified time of this record, for the incremental watermark.
    pub vendor_updated_at: Option<DateTime<Utc>>,
    /// `finding.resource_id` is the id the affected asset gets when the `assets` export
    /// syncs it (`record_id(connection, devices, asset vendor id)`), and
    /// `finding.resource` the asset as the finding describes it (a snapshot with that id);
    /// the API serves the synced asset when it has it.
    pub finding: Finding,
}
