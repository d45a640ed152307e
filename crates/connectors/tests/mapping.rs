//! Mapping tests over the vendors' real published payloads (`../shared/reference/samples`,
//! skipped with a note when absent), the seed's field list, and property tests.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{json, Value};
use tributary_connectors::{
    mapping::MapContext,
    normalize::net::normalize_mac,
    vendors::{crowdstrike, crowdstrike_spotlight, ms_defender_endpoint, sentinelone, tenable},
    view::View,
};
use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform},
    vms::{FindingSeverity, FindingState},
};
use uuid::Uuid;

fn ctx() -> MapContext {
    MapContext {
        connection_id: Uuid::from_u128(42),
    }
}

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/samples");
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: published vendor samples not found at {}",
            dir.display()
        );
        None
    }
}

fn load(dir: &std::path::Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

/// `data`, `resources` or `value` of an envelope, or a bare array.
fn records(v: &Value) -> Vec<Value> {
    for k in ["data", "resources", "value"] {
        if let Some(a) = v.get(k).and_then(Value::as_array) {
            return a.clone();
        }
    }
    v.as_array().cloned().unwrap_or_default()
}

#[test]
fn tenable_samples() {
    let Some(dir) = samples() else { return };
    for file in [
        "tenable/vulns_export_chunk_pytenable.json",
        "tenable/vulns_export_chunk_elastic.json",
    ] {
        for r in records(&load(&dir, file)) {
            let f = tenable::mapping::finding(&View::from(&r), &ctx())
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .finding;
            assert!(f.title.is_some() && f.resource.is_some(), "{file}");
            assert_ne!(f.severity, FindingSeverity::Unknown, "{file}");
            assert_ne!(f.state, FindingState::Unknown, "{file}");
        }
    }
    let assets = records(&load(&dir, "tenable/assets_export_chunk_pytenable.json"));
    let a = tenable::mapping::asset(&View::from(&assets[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(a.fqdns, vec!["docker.demo.io"]);
    assert_eq!(a.platform, Platform::Linux);
    assert!(a.mac_addresses.len() > 1);
}

#[test]
fn spotlight_samples() {
    let Some(dir) = samples() else { return };
    let vulns = records(&load(
        &dir,
        "crowdstrike_spotlight/vulnerability_entities_elastic.json",
    ));
    assert!(!vulns.is_empty());
    for v in &vulns {
        let f = crowdstrike_spotlight::mapping::finding(&View::from(v), &ctx())
            .unwrap()
            .finding;
        assert!(
            f.vulnerabilities[0].uid.starts_with("CVE-"),
            "{:?}",
            f.vulnerabilities
        );
        assert!(!f.resource.as_ref().unwrap().hostnames.is_empty());
        assert_ne!(f.severity, FindingSeverity::Unknown);
    }
}

#[test]
fn sentinelone_samples() {
    let Some(dir) = samples() else { return };
    let agents = records(&load(&dir, "sentinelone/agents_list_response.json"));
    let d = sentinelone::mapping::map_device(&View::from(&agents[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(d.hostnames, vec!["user-test"]);
    assert_eq!(
        (d.platform, d.status),
        (Platform::Linux, Some(DeviceStatus::Active))
    );
    assert_eq!(d.mac_addresses, vec!["00:00:5e:00:53:00"]);
    assert!(
        d.ipv4s.contains(&"81.2.69.144".to_owned())
            && d.ipv6s
                .contains(&"2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6".to_owned())
    );
    assert_eq!(d.tags[0].key, "key123");
    assert_eq!(d.source_vendors[0].vendor_id, "13491234512345");
    let raw = records(&load(&dir, "sentinelone/agents_raw_demisto.json"));
    let d = sentinelone::mapping::map_device(&View::from(&raw[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(
        (d.platform, d.status, d.os_version.as_deref()),
        (
            Platform::Windows,
            Some(DeviceStatus::Offline),
            Some("Windows Server 2016 14393")
        )
    );

    let threats = records(&load(&dir, "sentinelone/threats_list_response.json"));
    let m = sentinelone::mapping::map_alert(&View::from(&threats[0]), &ctx()).unwrap();
    assert_eq!(m.device_vendor_id.as_deref(), Some("1234567890123456789"));
    assert_eq!(
        (m.alert.severity, m.alert.status),
        (AlertSeverity::High, AlertStatus::Unresolved)
    );
    assert_eq!(
        m.alert.device.as_ref().unwrap().mac_addresses,
        vec!["de:ad:00:00:be:ef"]
    );
    let demisto = records(&load(
        &dir,
        "sentinelone/threats_list_response_demisto.json",
    ));
    assert_eq!(demisto.len(), 4);
    for t in &demisto {
        let m = sentinelone::mapping::map_alert(&View::from(t), &ctx()).unwrap();
        assert!(m.alert.process_sha1.is_some(), "SHA1 is the hash S1 fills");
    }
    let first = sentinelone::mapping::map_alert(&View::from(&demisto[0]), &ctx())
        .unwrap()
        .alert;
    assert_eq!(
        (first.status, first.user_name.as_deref()),
        (
            AlertStatus::Resolved,
            Some("EC2AMAZ-AJ0KANC\\Administrator")
        )
    );
    assert_eq!(
        first.process_filename.as_deref(),
        Some("Unconfirmed 123490.crdownload")
    );
    assert!(first.resolved_time.is_some());
}

#[test]
fn crowdstrike_samples() {
    let Some(dir) = samples() else { return };
    let hosts = records(&load(
        &dir,
        "crowdstrike/device_entities_response_demisto.json",
    ));
    let d = crowdstrike::mapping::map_device(&View::from(&hosts[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(
        (d.hostnames[0].as_str(), d.platform),
        ("FALCON-CROWDSTR", Platform::Windows)
    );
    assert_eq!(d.mac_addresses, vec!["42:01:0a:80:00:07"]);
    assert_eq!(d.os_version.as_deref(), Some("Windows Server 2019"));
    assert!(d.cloud_metadata.is_none(), "GCP is not an AWS host");
    let elastic = records(&load(&dir, "crowdstrike/device_entities_elastic_host.json"));
    let mac = crowdstrike::mapping::map_device(&View::from(&elastic[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(mac.platform, Platform::Mac);
    let contained = crowdstrike::mapping::map_device(&View::from(&elastic[1]), &ctx())
        .unwrap()
        .device;
    assert_eq!(
        contained.status,
        Some(DeviceStatus::Active),
        "containment_pending is not yet contained"
    );

    let alerts = records(&load(&dir, "crowdstrike/alert_entities_elastic.json"));
    let ldt = crowdstrike::mapping::map_alert(&View::from(&alerts[0]), &ctx()).unwrap();
    assert_eq!(ldt.alert.severity, AlertSeverity::Low, "severity 30");
    assert_eq!(ldt.alert.pid.as_deref(), Some("17076"));
    assert_eq!(ldt.alert.parent_pid.as_deref(), Some("1040"));
    assert_eq!(
        ldt.alert.windows_sid.as_deref(),
        Some("S-1-5-21-1909377054-3469629671-4104191496-4425")
    );
    assert_eq!(
        ldt.alert.mitre[0].tactic_source.as_deref(),
        Some("CrowdStrike")
    );
    assert_eq!(
        ldt.device_vendor_id.as_deref(),
        Some("2ce412d17b334ad4adc8c1c54dbfec4b")
    );
    let idp = crowdstrike::mapping::map_alert(&View::from(&alerts[1]), &ctx())
        .unwrap()
        .alert;
    assert_eq!(
        (idp.severity, idp.mitre[0].tactic_id.as_deref()),
        (AlertSeverity::High, Some("TA0006"))
    );
    let ods = crowdstrike::mapping::map_alert(&View::from(&alerts[2]), &ctx())
        .unwrap()
        .alert;
    assert_eq!(
        (ods.severity, ods.status),
        (AlertSeverity::Medium, AlertStatus::Resolved)
    );
    let cloud = records(&load(
        &dir,
        "crowdstrike/alert_entities_response_demisto_cloud_ioa.json",
    ));
    for a in &cloud {
        crowdstrike::mapping::map_alert(&View::from(a), &ctx()).unwrap();
    }
}

#[test]
fn defender_samples() {
    let Some(dir) = samples() else { return };
    let machines = records(&load(
        &dir,
        "ms_defender_endpoint/machines_list_response_docs.json",
    ));
    crowdstrike_free_check(&machines);
    let elastic = records(&load(&dir, "ms_defender_endpoint/machines_elastic.json"));
    let platforms: Vec<Platform> = elastic
        .iter()
        .map(|m| {
            ms_defender_endpoint::mapping::map_device(&View::from(m), &ctx())
                .unwrap()
                .device
                .platform
        })
        .collect();
    assert_eq!(
        platforms,
        vec![
            Platform::Windows,
            Platform::Linux,
            Platform::Linux,
            Platform::Windows,
            Platform::Windows
        ]
    );
    let first = ms_defender_endpoint::mapping::map_device(&View::from(&elastic[0]), &ctx())
        .unwrap()
        .device;
    assert_eq!(first.mac_addresses, vec!["00:00:5e:00:53:ff"]);
    assert_eq!(
        first.ad_info.unwrap().device_id.as_deref(),
        Some("d78dc223-8dc8-1234-5678-abcdef03505b")
    );

    let alerts = records(&load(
        &dir,
        "ms_defender_endpoint/alerts_list_response_docs.json",
    ));
    let m = ms_defender_endpoint::mapping::map_alert(&View::from(&alerts[0]), &ctx()).unwrap();
    let a = &m.alert;
    assert_eq!(
        (a.severity, a.status),
        (AlertSeverity::Low, AlertStatus::New)
    );
    assert_eq!(
        a.process_filepath.as_deref(),
        Some("C:\\Windows\\SysWOW64\\rundll32.exe")
    );
    assert_eq!(
        (a.pid.as_deref(), a.parent_pid.as_deref()),
        (Some("3276"), Some("8420"))
    );
    assert_eq!(
        a.windows_sid.as_deref(),
        Some("S-1-5-21-11111607-1111760036-109187956-75141")
    );
    assert_eq!(a.user_name.as_deref(), Some("DOMAIN\\temp123"));
    assert_eq!(a.mitre[0].tactic_name.as_deref(), Some("Execution"));
    assert_eq!(a.mitre[0].techniques.len(), 3);
    assert_eq!(
        m.device_vendor_id.as_deref(),
        Some("111e6dd8c833c8a052ea231ec1b19adaf497b625")
    );
}

fn crowdstrike_free_check(machines: &[Value]) {
    let d = ms_defender_endpoint::mapping::map_device(&View::from(&machines[0]), &ctx())
        .unwrap()
        .device;
    assert!(!d.hostnames.is_empty());
    assert!(d
        .mac_addresses
        .iter()
        .all(|m| normalize_mac(m).as_deref() == Some(m.as_str())));
}

/// Every field of seed 002's alert and device is present in the JSON, null when unknown.
#[test]
fn serialized_records_carry_every_seed_field() {
    let alert_fields = [
        "id",
        "vendor_id",
        "title",
        "description",
        "assigned_user",
        "severity",
        "vendor_severity",
        "status",
        "vendor_status",
        "first_event_time",
        "last_event_time",
        "resolved_time",
        "vendor",
        "pid",
        "process_created_at",
        "process_filename",
        "process_command_line",
        "process_filepath",
        "process_sha1",
        "process_sha256",
        "process_md5",
        "parent_pid",
        "user_name",
        "windows_sid",
        "active_directory_user_id",
        "active_directory_domain",
        "device",
        "mitre",
        "observables",
    ];
    let device_fields = [
        "id",
        "status",
        "platform",
        "hostnames",
        "os_version",
        "os_major_version",
        "os_minor_version",
        "fqdns",
        "ipv4s",
        "ipv6s",
        "mac_addresses",
        "last_seen",
        "first_seen",
        "source_vendors",
        "installed_software",
        "ad_info",
        "cloud_metadata",
        "tags",
        "identities",
        "vendor_data",
    ];
    let raw = json!({"id": "1", "agentRealtimeInfo": {"agentId": "2"}});
    let alert = serde_json::to_value(
        sentinelone::mapping::map_alert(&View::from(&raw), &ctx())
            .unwrap()
            .alert,
    )
    .unwrap();
    for f in alert_fields {
        assert!(alert.get(f).is_some(), "alert lacks {f}");
    }
    for f in device_fields {
        assert!(alert["device"].get(f).is_some(), "device lacks {f}");
    }
    assert!(alert["process_sha1"].is_null() && alert["title"].is_null());
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9 :._/\\\\-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-zA-Z]{1,10}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random key of `base` (recursively) with `replacement`.
fn mutate(base: &Value, key: &str, replacement: Value) -> Value {
    match base {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if k == key {
                            replacement.clone()
                        } else {
                            mutate(v, key, replacement.clone())
                        },
                    )
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| mutate(v, key, replacement.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn sample_records() -> Vec<Value> {
    vec![
        json!({"id": "1", "computerName": "h", "osType": "windows", "networkStatus": "connected", "isActive": true,
               "networkInterfaces": [{"inet": ["10.0.0.1"], "physical": "aa-bb-cc-dd-ee-ff"}], "tags": {"sentinelone": [{"key": "k"}]},
               "threatInfo": {"confidenceLevel": "malicious", "incidentStatus": "resolved", "filePath": "C:\\a.exe", "updatedAt": "2026-01-01T00:00:00Z"},
               "agentRealtimeInfo": {"agentId": "9", "agentOsType": "linux"}, "indicators": [{"tactics": [{"name": "Execution", "techniques": [{"name": "T1059"}]}]}]}),
        json!({"composite_id": "c", "device_id": "d", "severity": 50, "status": "closed", "device": {"device_id": "d", "platform_name": "Mac"},
               "parent_details": {"local_process_id": "1"}, "tags": ["a/b"], "mitre_attack": [{"tactic_id": "TA0002"}], "ioc_context": [{"ioc_type": "sha256", "ioc_value": "x"}]}),
        json!({"id": "m", "severity": "High", "status": "New", "osPlatform": "Windows10", "healthStatus": "Active", "machineId": "m",
               "ipAddresses": [{"ipAddress": "10.0.0.1", "macAddress": "001122334455"}], "mitreTechniques": ["T1000"], "category": "Execution",
               "evidence": [{"entityType": "Process", "fileName": "x.exe", "filePath": "C:\\"}]}),
    ]
}

type MapFn = fn(&Value, &MapContext) -> bool;

fn mappers() -> Vec<MapFn> {
    vec![
        |v, c| sentinelone::mapping::map_device(&View::from(v), c).is_ok(),
        |v, c| sentinelone::mapping::map_alert(&View::from(v), c).is_ok(),
        |v, c| crowdstrike::mapping::map_device(&View::from(v), c).is_ok(),
        |v, c| crowdstrike::mapping::map_alert(&View::from(v), c).is_ok(),
        |v, c| ms_defender_endpoint::mapping::map_device(&View::from(v), c).is_ok(),
        |v, c| ms_defender_endpoint::mapping::map_alert(&View::from(v), c).is_ok(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary JSON never panics any mapping: it maps or is refused.
    #[test]
    fn arbitrary_json_never_panics(v in any_json()) {
        for map in mappers() {
            let _ = map(&v, &ctx());
        }
    }

    /// Valid records with one field replaced by anything never panic, and unknown enum
    /// strings map to `unknown`/`none` rather than failing.
    #[test]
    fn mutated_records_never_panic(idx in 0usize..3, key in prop::sample::select(vec!["id", "osType", "status", "severity", "networkStatus", "threatInfo", "evidence", "device", "ipAddresses", "tags", "indicators", "confidenceLevel", "incidentStatus", "healthStatus", "platform_name", "osPlatform", "updatedAt", "parent_details"]), replacement in any_json()) {
        let record = mutate(&sample_records()[idx], key, replacement);
        for map in mappers() {
            let _ = map(&record, &ctx());
        }
    }

    #[test]
    fn unknown_enum_values_map_to_unknown(s in "[a-z_]{3,12}") {
        prop_assume!(!["malicious", "suspicious", "resolved", "unresolved", "in_progress", "new", "closed", "reopened"].contains(&s.as_str()));
        prop_assert_eq!(sentinelone::mapping::status(Some(&s)), AlertStatus::Unknown);
        prop_assert_eq!(sentinelone::mapping::severity(Some(&s)), AlertSeverity::None);
        prop_assert_eq!(crowdstrike::mapping::status(Some(&s)), AlertStatus::Unknown);
        prop_assert_eq!(ms_defender_endpoint::mapping::status(Some(&s)), AlertStatus::Unknown);
        prop_assert_eq!(crowdstrike::mapping::platform(Some(&s), None), Platform::Unknown);
    }
}
