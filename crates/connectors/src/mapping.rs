//! The seam between vendor payloads and the normalized model.
//!
//! Each vendor module has a `mapping.rs` with two pure functions, one per data export:
//! a raw vendor record (`serde_json::Value`, exactly as the vendor sent it) goes in, a
//! normalized record comes out. Mapping never panics: unknown enum values map to
//! `unknown` (or null where the enum has no unknown), odd types are tolerated where
//! the field is optional, and only a record that has no usable identity or whose
//! structure is not the vendor's is refused with a [`MappingError`] — the engine then
//! keeps it raw (quarantined) and counts it on the job.

use chrono::{DateTime, Utc};
use tributary_model::edr::{Alert, Device};
use uuid::Uuid;

/// What a mapping needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct MapContext {
    /// The connection the record belongs to; record ids derive from it
    /// (see [`tributary_model::ids::record_id`]).
    pub connection_id: Uuid,
}

/// A normalized device and the facts the engine needs to store it.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedDevice {
    /// The vendor's id of the device (the upsert key).
    pub vendor_id: String,
    /// The vendor's last-modified time of this record, for the incremental watermark.
    pub vendor_updated_at: Option<DateTime<Utc>>,
    pub device: Device,
}

/// A normalized alert and the facts the engine needs to store it.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedAlert {
    /// The vendor's id of the alert (the upsert key).
    pub vendor_id: String,
    /// The vendor's id of the device the alert concerns, to link it to the synced device.
    pub device_vendor_id: Option<String>,
    /// The vendor's last-modified time of this record, for the incremental watermark.
    pub vendor_updated_at: Option<DateTime<Utc>>,
    /// `alert.device` holds the device as the alert describes it (a snapshot), with the
    /// same id the synced device gets; the API serves the synced device when it has it.
    /// `alert.observables` is always filled; the API drops it unless asked.
    pub alert: Alert,
}

/// Why a record could not be normalized. The message names the field, never a value
/// (records can hold personal data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

impl MappingError {
    pub fn new(msg: impl Into<String>) -> Self {
        MappingError(msg.into())
    }
}
