//! Vulnerability-finding documents. A finding is stored as its JSON without `resource`
//! (the asset is a device row, joined by `resource_id`; the finding's own description of
//! it is kept apart as a snapshot) and rendered back with the synced asset in place of
//! the snapshot when Tributary has it, and with Tributary's own `updated_at`.

use chrono::{DateTime, Utc};
use tributary_model::{
    micros,
    vms::{Finding, FindingState, MappedFinding},
};

use super::{
    edr::UNKNOWN_TIME,
    json::{content_hash, extend_object},
};
use crate::{
    models::{FindingRow, StoredFinding},
    time::from_micros,
};

/// A finding's stored document: its JSON without `resource` and `updated_at`.
fn document(f: &Finding) -> String {
    let mut without = f.clone();
    without.resource = None;
    without.updated_at = None;
    let mut value = serde_json::to_value(&without).expect("findings serialize");
    if let Some(map) = value.as_object_mut() {
        map.remove("resource");
    }
    value.to_string()
}

/// The content hash of a finding's stored parts.
fn finding_hash(data: &str, snapshot: Option<&str>) -> i64 {
    content_hash(&[data, snapshot.unwrap_or("")])
}

/// A stored document whose state Tributary changes itself (a complete snapshot no longer
/// lists the finding, or lists it again): `state`, `state_updated_at` and `fixed_at`
/// (set only when FIXED) rewritten, and the new content hash. The document is parsed as
/// a finding and written back exactly as a mapping's would be, so an unchanged finding
/// synced again hashes the same. None when the stored text is not a finding.
pub fn restate(
    data: &str,
    snapshot: Option<&str>,
    state: FindingState,
    at: Option<DateTime<Utc>>,
) -> Option<(String, i64)> {
    let mut f: Finding = serde_json::from_str(data).ok()?;
    f.state = state;
    f.state_updated_at = at;
    f.fixed_at = (state == FindingState::Fixed).then_some(at).flatten();
    let data = document(&f);
    let hash = finding_hash(&data, snapshot);
    Some((data, hash))
}

/// A finding's row.
pub fn finding_row(m: &MappedFinding) -> FindingRow {
    let f = &m.finding;
    let data = document(f);
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
        content_hash: finding_hash(&data, snapshot.as_deref()),
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
