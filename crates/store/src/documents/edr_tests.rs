//! render(split(x)) is the documented serialization of x, for every include option.

use chrono::{DateTime, Utc};
use proptest::{option, prelude::*, strategy::ValueTree};
use serde_json::Value;
use tributary_model::{
    edr::{
        Alert, AlertSeverity, AlertStatus, Device, MitreTactic, MitreTechnique, Observable,
        ObservableType,
    },
    SourceVendor,
};

use super::*;
use crate::documents::strategies::{device, text, time};

fn observable() -> impl Strategy<Value = Observable> {
    (
        text(),
        prop::sample::select(ObservableType::ALL.to_vec()),
        text(),
    )
        .prop_map(|(name, kind, value)| Observable::new(name, kind, value))
}

fn alert() -> impl Strategy<Value = Alert> {
    (
        (
            text(),
            option::of(text()),
            prop::sample::select(AlertSeverity::ALL.to_vec()),
            prop::sample::select(AlertStatus::ALL.to_vec()),
            option::of(time()),
            option::of(time()),
        ),
        (
            option::of(device()),
            option::of(prop::collection::vec(observable(), 0..3)),
            prop::collection::vec(
                (option::of(text()), option::of(text())).prop_map(|(name, id)| MitreTactic {
                    tactic_name: name,
                    tactic_id: None,
                    tactic_source: Some("MITRE".into()),
                    techniques: vec![MitreTechnique {
                        technique_name: None,
                        technique_id: id,
                        technique_link: None,
                    }],
                }),
                0..2,
            ),
            any::<u128>(),
        ),
    )
        .prop_map(|(head, tail)| {
            let (vendor_id, title, severity, status, first, last) = head;
            let (device, observables, mitre, id) = tail;
            Alert {
                id: Uuid::from_u128(id),
                vendor_id,
                title,
                description: None,
                assigned_user: None,
                severity,
                vendor_severity: Some("High".into()),
                status,
                vendor_status: None,
                first_event_time: first,
                last_event_time: last,
                resolved_time: None,
                vendor: SourceVendor::parse("crowdstrike").unwrap(),
                pid: Some("42".into()),
                process_created_at: None,
                process_filename: None,
                process_command_line: Some("cmd.exe /c \"x\"".into()),
                process_filepath: None,
                process_sha1: None,
                process_sha256: None,
                process_md5: None,
                parent_pid: None,
                user_name: None,
                windows_sid: None,
                active_directory_user_id: None,
                active_directory_domain: None,
                device,
                mitre,
                observables,
                updated_at: None,
            }
        })
}

fn every_parts() -> [RecordParts; 4] {
    [false, true]
        .map(|o| {
            [false, true].map(move |g| RecordParts {
                observables: o,
                device_groups: g,
            })
        })
        .concat()
        .try_into()
        .expect("four")
}

/// What the API documents for `device` with `parts`, stored at `updated`.
fn device_view(mut d: Device, parts: RecordParts, updated: Option<DateTime<Utc>>) -> Device {
    d.device_groups = parts
        .device_groups
        .then(|| d.device_groups.unwrap_or_default());
    d.updated_at = updated;
    d
}

fn alert_view(mut a: Alert, parts: RecordParts, updated: DateTime<Utc>) -> Value {
    a.device = a.device.map(|d| device_view(d, parts, None));
    a.observables = parts.observables.then(|| a.observables.unwrap_or_default());
    a.updated_at = Some(updated);
    serde_json::to_value(a).unwrap()
}

/// A stored time: microseconds, as the store keeps them.
fn stored_time(us: i64) -> DateTime<Utc> {
    from_micros(us)
}

proptest! {
    #[test]
    fn devices_render_as_they_serialize(d in device(), us in 0i64..4_000_000_000_000_000) {
        let row = device_row(&MappedDevice {
            vendor_id: "a1".into(),
            vendor_updated_at: None,
            device: d.clone(),
        });
        for parts in every_parts() {
            let stored = StoredDevice {
                id: row.id,
                sort_key: 0,
                updated_at: us,
                data: row.data.clone(),
                device_groups: parts.device_groups.then(|| row.device_groups.clone()),
            };
            let rendered: Value = serde_json::from_str(&render_device(&stored, parts)).unwrap();
            let want = serde_json::to_value(device_view(d.clone(), parts, Some(stored_time(us)))).unwrap();
            prop_assert_eq!(rendered, want, "{:?}", parts);
        }
    }

    #[test]
    fn alert_text_is_cut_as_the_value_tree_was(a in alert(), d in option::of(device())) {
        let mut a = a;
        a.device = d;
        let mut without = a.clone();
        without.device = None;
        without.observables = None;
        without.updated_at = None;
        // The fast cut applies (not its fallback) and agrees with the tree.
        let text = serde_json::to_string(&without).unwrap();
        let fast = text.contains(",\"device\":null,\"mitre\":")
            && text.ends_with(",\"observables\":null}");
        prop_assert!(fast, "the shape the cut relies on");
        prop_assert_eq!(alert_data(&a), alert_data_via_value(&without));
    }

    #[test]
    fn alerts_render_as_they_serialize(
        a in alert(),
        synced in option::of(device()),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let connection = Uuid::from_u128(7);
        let row = alert_row(connection, &MappedAlert {
            vendor_id: a.vendor_id.clone(),
            device_vendor_id: None,
            vendor_updated_at: None,
            alert: a.clone(),
        });
        let synced_row = synced.as_ref().map(|d| device_row(&MappedDevice {
            vendor_id: "a1".into(),
            vendor_updated_at: None,
            device: d.clone(),
        }));
        for parts in every_parts() {
            let stored = StoredAlert {
                id: row.id,
                sort_key: 0,
                updated_at: us,
                data: row.data.clone(),
                observables: parts.observables.then(|| row.observables.clone()),
                device_data: synced_row.as_ref().map(|r| r.data.clone()),
                device_groups: synced_row
                    .as_ref()
                    .filter(|_| parts.device_groups)
                    .map(|r| r.device_groups.clone()),
                device_snapshot: row.device_snapshot.clone(),
                device_snapshot_groups: row
                    .device_snapshot_groups
                    .clone()
                    .filter(|_| parts.device_groups),
            };
            let rendered: Value = serde_json::from_str(&render_alert(&stored, parts)).unwrap();
            // The API serves the synced device in place of the alert's snapshot.
            let mut expected = a.clone();
            if let Some(d) = &synced {
                expected.device = Some(d.clone());
            }
            prop_assert_eq!(rendered, alert_view(expected, parts, stored_time(us)), "{:?}", parts);
        }
    }
}

#[test]
fn unchanged_records_keep_their_content_hash() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let a = alert().new_tree(&mut runner).unwrap().current();
    let m = MappedAlert {
        vendor_id: a.vendor_id.clone(),
        device_vendor_id: Some("dev-1".into()),
        vendor_updated_at: None,
        alert: a,
    };
    let (x, y) = (alert_row(Uuid::nil(), &m), alert_row(Uuid::nil(), &m));
    assert_eq!(x.content_hash, y.content_hash);
    assert_eq!(
        x.device_id,
        Some(record_id(Uuid::nil(), DataExportType::Devices, "dev-1"))
    );
    let mut changed = m.clone();
    changed.alert.title = Some("another title".into());
    assert_ne!(
        alert_row(Uuid::nil(), &changed).content_hash,
        x.content_hash
    );
}
