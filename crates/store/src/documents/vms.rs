//! Vulnerability-finding documents. A finding is stored as its JSON without `resource`
//! (the asset is a device row, joined by `resource_id`; the finding's own description of
//! it is kept apart as a snapshot) and rendered back with the synced asset in place of
//! the snapshot when Tributary has it, and with Tributary's own `updated_at`.

use tributary_model::{micros, vms::MappedFinding};

use super::{
    edr::UNKNOWN_TIME,
    json::{content_hash, extend_object},
};
use crate::{
    models::{FindingRow, StoredFinding},
    time::from_micros,
};

/// A finding's row.
pub fn finding_row(m: &MappedFinding) -> FindingRow {
    let f = &m.finding;
    let mut without = f.clone();
    without.resource = None;
    without.updated_at = None;
    let mut value = serde_json::to_value(&without).expect("findings serialize");
    if let Some(map) = value.as_object_mut() {
        map.remove("resource");
    }
    let data = value.to_string();
    let snapshot = f.resource.as_ref().map(|d| {
        let mut d = d.clone();
        d.device_groups = None;
        d.updated_at = None;
        serde_json::to_string(&d).expect("devices serialize")
    });
    let key =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(UNKNOWN_TIME, |t| t.timestamp_micros());
    FindingRow {
        id: f.id,
        vendor_id: m.vendor_id.clone(),
        vendor: f.vendor.as_str().to_owned(),
        resource_id: f.resource_id,
        severity: f.severity.as_str().to_owned(),
        state: f.state.as_str().to_owned(),
        has_fix: f.has_fix,
        first_seen_key: key(f.first_seen),
        last_seen_key: key(f.last_seen),
        state_updated_key: key(f.state_updated_at),
        content_hash: content_hash(&[&data, snapshot.as_deref().unwrap_or("")]),
        data,
        resource_snapshot: snapshot,
    }
}

/// One finding as the API serves it: its asset (the synced one when Tributary has it,
/// else the finding's own description of it, else null) and `updated_at`.
pub fn render_finding(f: &StoredFinding) -> String {
    let resource = f
        .resource_data
        .as_deref()
        .or(f.resource_snapshot.as_deref())
        .unwrap_or("null");
    let updated = format!("\"{}\"", micros::format(from_micros(f.updated_at)));
    extend_object(&f.data, &[("resource", resource), ("updated_at", &updated)])
}

#[cfg(test)]
#[path = "vms_tests.rs"]
mod tests;
