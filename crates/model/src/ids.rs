//! Deterministic ids for synced records.
//!
//! A record's id is derived from (connection, export, vendor id), so a page fetched
//! twice upserts the same row, and an alert can name the id of its device before or
//! after that device is synced.

use uuid::Uuid;

use crate::DataExportType;

/// Namespace for Tributary record ids (a random constant, fixed forever).
const RECORD_NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_4be2_9d07_4a53_b1e8_0f3a_7c55_2d19);

/// The stable id of the record `vendor_id` of `export` on `connection_id`.
pub fn record_id(connection_id: Uuid, export: DataExportType, vendor_id: &str) -> Uuid {
    let mut name = Vec::with_capacity(16 + 8 + vendor_id.len());
    name.extend_from_slice(connection_id.as_bytes());
    name.extend_from_slice(export.as_str().as_bytes());
    name.push(b':');
    name.extend_from_slice(vendor_id.as_bytes());
    Uuid::new_v5(&RECORD_NAMESPACE, &name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_distinct() {
        let c = Uuid::from_u128(1);
        let a = record_id(c, DataExportType::Alerts, "x");
        assert_eq!(a, record_id(c, DataExportType::Alerts, "x"));
        assert_ne!(a, record_id(c, DataExportType::Devices, "x"));
        assert_ne!(
            a,
            record_id(Uuid::from_u128(2), DataExportType::Alerts, "x")
        );
    }
}
