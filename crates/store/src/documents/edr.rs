//! EDR documents. An alert is stored as its JSON without `device` and `observables`
//! (kept in columns of their own, so a page reads observables only when asked for), plus
//! the device snapshot the alert carried; a device as its JSON without `device_groups`.
//! Rendering splices the pieces back, with the synced device in place of the snapshot
//! when Tributary has it, and Tributary's own `updated_at`.

use tributary_model::{
    edr::{Alert, Device, MappedAlert, MappedDevice},
    ids::record_id,
    micros, DataExportType,
};
use uuid::Uuid;

use super::json::{content_hash, extend_object};
use crate::{
    models::{AlertRow, DeviceRow, RecordParts, StoredAlert, StoredDevice},
    time::from_micros,
};

/// Sort key for an unknown time: sorts first ascending.
pub const UNKNOWN_TIME: i64 = i64::MIN;

/// The device JSON without `device_groups`, and the groups JSON (`[]` when none).
fn split_device(device: &Device) -> (String, String) {
    let groups = device.device_groups.clone().unwrap_or_default();
    let mut without = device.clone();
    without.device_groups = None;
    without.updated_at = None;
    let data = serde_json::to_string(&without).expect("devices serialize");
    let groups = serde_json::to_string(&groups).expect("groups serialize");
    (data, groups)
}

/// A device's row.
pub fn device_row(m: &MappedDevice) -> DeviceRow {
    let (data, device_groups) = split_device(&m.device);
    DeviceRow {
        id: m.device.id,
        vendor_id: m.vendor_id.clone(),
        vendor: m
            .device
            .source_vendors
            .first()
            .map(|s| s.vendor.as_str().to_owned())
            .unwrap_or_default(),
        platform: m.device.platform.as_str().to_owned(),
        status: m.device.status.map(|s| s.as_str().to_owned()),
        last_seen_key: m
            .device
            .last_seen
            .map_or(UNKNOWN_TIME, |t| t.timestamp_micros()),
        content_hash: content_hash(&[&data, &device_groups]),
        data,
        device_groups,
    }
}

/// An alert's row. Its device links to the synced device of the same vendor id.
pub fn alert_row(connection_id: Uuid, m: &MappedAlert) -> AlertRow {
    let alert = &m.alert;
    let data = alert_data(alert);
    let observables = serde_json::to_string(alert.observables.as_deref().unwrap_or_default())
        .expect("observables serialize");
    let (snapshot, snapshot_groups) = match &alert.device {
        Some(d) => {
            let (a, b) = split_device(d);
            (Some(a), Some(b))
        }
        None => (None, None),
    };
    let device_id = m
        .device_vendor_id
        .as_deref()
        .map(|v| record_id(connection_id, DataExportType::Devices, v))
        .or(alert.device.as_ref().map(|d| d.id));
    AlertRow {
        id: alert.id,
        vendor_id: m.vendor_id.clone(),
        vendor: alert.vendor.as_str().to_owned(),
        device_id,
        severity: alert.severity.as_str().to_owned(),
        severity_rank: alert.severity.rank(),
        status: alert.status.as_str().to_owned(),
        first_event_key: alert
            .first_event_time
            .map_or(UNKNOWN_TIME, |t| t.timestamp_micros()),
        last_event_key: alert
            .last_event_time
            .map_or(UNKNOWN_TIME, |t| t.timestamp_micros()),
        content_hash: content_hash(&[
            &data,
            &observables,
            snapshot.as_deref().unwrap_or(""),
            snapshot_groups.as_deref().unwrap_or(""),
        ]),
        data,
        observables,
        device_snapshot: snapshot,
        device_snapshot_groups: snapshot_groups,
    }
}

/// The alert JSON without `device`, `observables` and `updated_at`. Serialized once,
/// with the two null members cut out of the text: JSON strings escape their quotes, so
/// `,"device":null,"mitre":` can only be the members themselves (no member before
/// `device` is an object), and `observables` is the last member serialized. Going
/// through a `serde_json::Value` instead cost a tree per record.
fn alert_data(alert: &Alert) -> String {
    const DEVICE: &str = ",\"device\":null,\"mitre\":";
    const OBSERVABLES: &str = ",\"observables\":null}";
    let mut without = alert.clone();
    without.device = None;
    without.observables = None;
    without.updated_at = None;
    let text = serde_json::to_string(&without).expect("alerts serialize");
    match text.find(DEVICE) {
        Some(at) if text.ends_with(OBSERVABLES) => {
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..at]);
            out.push_str(",\"mitre\":");
            out.push_str(&text[at + DEVICE.len()..text.len() - OBSERVABLES.len()]);
            out.push('}');
            out
        }
        // Not the shape this relies on (the model changed): the slow, sure way.
        _ => alert_data_via_value(&without),
    }
}

/// [`alert_data`] through a `serde_json::Value` (the reference the tests compare with).
fn alert_data_via_value(without: &Alert) -> String {
    let mut value = serde_json::to_value(without).expect("alerts serialize");
    if let Some(map) = value.as_object_mut() {
        map.remove("device");
        map.remove("observables");
    }
    value.to_string()
}

fn timestamp(us: i64) -> String {
    format!("\"{}\"", micros::format(from_micros(us)))
}

fn device_json(data: &str, groups: Option<&str>, include_groups: bool) -> String {
    if include_groups {
        extend_object(data, &[("device_groups", groups.unwrap_or("[]"))])
    } else {
        data.to_owned()
    }
}

/// One alert as the API serves it: its device (the synced one when Tributary has it),
/// observables only with `parts.observables` (else null), device groups only with
/// `parts.device_groups`, and `updated_at`.
pub fn render_alert(a: &StoredAlert, parts: RecordParts) -> String {
    let device = match (&a.device_data, &a.device_snapshot) {
        (Some(d), _) => device_json(d, a.device_groups.as_deref(), parts.device_groups),
        (None, Some(s)) => device_json(s, a.device_snapshot_groups.as_deref(), parts.device_groups),
        (None, None) => "null".to_owned(),
    };
    let observables = match (parts.observables, &a.observables) {
        (true, Some(o)) => o.as_str(),
        _ => "null",
    };
    extend_object(
        &a.data,
        &[
            ("device", &device),
            ("observables", observables),
            ("updated_at", &timestamp(a.updated_at)),
        ],
    )
}

/// One device as the API serves it: device groups only with `parts.device_groups`, and
/// `updated_at`.
pub fn render_device(d: &StoredDevice, parts: RecordParts) -> String {
    let with_groups = device_json(&d.data, d.device_groups.as_deref(), parts.device_groups);
    extend_object(&with_groups, &[("updated_at", &timestamp(d.updated_at))])
}

#[cfg(test)]
#[path = "edr_tests.rs"]
mod tests;
