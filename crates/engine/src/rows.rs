//! Normalized records → store rows. The alert's `device` and `observables`, and each
//! device's `device_groups`, are stored apart so the API can assemble a response
//! without re-serializing whole records.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;
use tributary_connectors::mapping::{MappedAlert, MappedDevice};
use tributary_model::{edr::Device, ids::record_id, DataExportType};
use tributary_store::models::{AlertRow, DeviceRow};
use uuid::Uuid;

/// Sort key for an unknown time: sorts first ascending.
pub const UNKNOWN_TIME: i64 = i64::MIN;

fn content_hash(parts: &[&str]) -> i64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish() as i64
}

/// The device JSON without `device_groups`, and the groups JSON.
fn split_device(device: &Device) -> (String, String) {
    let groups = device.device_groups.clone().unwrap_or_default();
    let mut without = device.clone();
    without.device_groups = None;
    let data = serde_json::to_string(&without).expect("devices serialize");
    let groups = serde_json::to_string(&groups).expect("groups serialize");
    (data, groups)
}

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

pub fn alert_row(connection_id: Uuid, m: &MappedAlert) -> AlertRow {
    let alert = &m.alert;
    let mut value = serde_json::to_value(alert).expect("alerts serialize");
    if let Value::Object(map) = &mut value {
        map.remove("device");
        map.remove("observables");
    }
    let data = value.to_string();
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
