//! EDR records as a mapping produces them, with what the engine needs to store them.

use chrono::{DateTime, Utc};

use super::{Alert, Device};

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
