use serde_json::{json, Value};
use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceGroup, DeviceStatus, Platform},
    ids::record_id,
    DataExportType,
};

use super::*;
use crate::normalize::testkit::{self, ctx, link, rows, s};

fn threat() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/sentinelone/threat.json"
    ))
}

fn ts(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

#[test]
fn ids_times_severity_and_status() {
    let m = map_alert(&View::from(&threat()), &ctx()).unwrap();
    let a = &m.alert;
    let c = ctx().connection_id;
    assert_eq!(m.vendor_id, "2201122334455667788");
    assert_eq!(
        a.id,
        record_id(c, DataExportType::Alerts, "2201122334455667788")
    );
    assert_eq!(m.device_vendor_id.as_deref(), Some("1101123456789012345"));
    assert_eq!(
        ts(m.vendor_updated_at).as_deref(),
        Some("2026-11-02T08:00:00.000000Z")
    );
    assert_eq!(a.vendor, VENDOR);
    assert_eq!(a.title.as_deref(), Some("invoice.pdf.exe"));
    assert_eq!(
        a.description.as_deref(),
        Some(
            "Trojan (malicious) detected by SentinelOne Cloud, On-Write DFI at \
             \\Device\\HarddiskVolume3\\Users\\jdoe\\Downloads\\invoice.pdf.exe. Indicators: \
             Injects code into other processes. Creates a Run key. Behaves like a dropper."
        )
    );
    assert_eq!(a.assigned_user, None);
    assert_eq!(
        (a.severity, a.vendor_severity.as_deref()),
        (AlertSeverity::High, Some("malicious"))
    );
    assert_eq!(
        (a.status, a.vendor_status.as_deref()),
        (AlertStatus::Resolved, Some("resolved"))
    );
    assert_eq!(
        ts(a.first_event_time).as_deref(),
        Some("2026-11-01T09:59:58.100000Z")
    );
    assert_eq!(a.last_event_time, a.first_event_time);
    assert_eq!(
        ts(a.resolved_time).as_deref(),
        Some("2026-11-02T08:00:00.000000Z")
    );
}

#[test]
fn process_and_user() {
    let a = map_alert(&View::from(&threat()), &ctx()).unwrap().alert;
    assert_eq!(a.process_filename.as_deref(), Some("invoice.pdf.exe"));
    assert_eq!(
        a.process_filepath.as_deref(),
        Some("\\Device\\HarddiskVolume3\\Users\\jdoe\\Downloads\\invoice.pdf.exe")
    );
    assert_eq!(
        a.process_command_line.as_deref(),
        Some("invoice.pdf.exe /silent")
    );
    assert_eq!(
        a.process_sha1.as_deref(),
        Some("5d41402abc4b2a76b9719d911017c592ae7c4b2f")
    );
    assert_eq!(
        a.process_sha256.as_deref(),
        Some("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")
    );
    assert_eq!(a.process_md5, None);
    assert_eq!(
        (
            a.pid.as_deref(),
            a.parent_pid.as_deref(),
            a.process_created_at
        ),
        (None, None, None)
    );
    assert_eq!(a.user_name.as_deref(), Some("CORP\\jdoe"));
    assert_eq!(a.active_directory_domain.as_deref(), Some("CORP"));
    assert_eq!(
        (
            a.windows_sid.as_deref(),
            a.active_directory_user_id.as_deref()
        ),
        (None, None)
    );
}

#[test]
fn device_from_realtime_and_detection_info() {
    let a = map_alert(&View::from(&threat()), &ctx()).unwrap().alert;
    let d = a.device.unwrap();
    assert_eq!(
        d.id,
        record_id(
            ctx().connection_id,
            DataExportType::Devices,
            "1101123456789012345"
        )
    );
    assert_eq!(
        (d.platform, d.status),
        (Platform::Windows, Some(DeviceStatus::Quarantined))
    );
    assert_eq!(
        (d.hostnames, d.fqdns),
        (
            vec!["FIN-LT-042".to_owned()],
            vec!["fin-lt-042.corp.example".to_owned()]
        )
    );
    assert_eq!(d.os_version.as_deref(), Some("Windows 11 Pro 22631"));
    assert_eq!(d.ipv4s, vec!["10.1.2.3", "10.1.9.9", "198.51.100.7"]);
    assert_eq!(d.ipv6s, vec!["fe80::aa:1"]);
    assert_eq!(d.mac_addresses, vec!["aa:bb:cc:00:11:22"]);
    assert_eq!(
        ts(d.first_seen).as_deref(),
        Some("2025-01-02T03:04:05.000000Z")
    );
    assert_eq!(d.last_seen, None);
    let agent = d.source_vendors[0].agent_info.as_ref().unwrap();
    assert_eq!(agent.agent_version.as_deref(), Some("23.4.2.14"));
    assert_eq!(
        agent.policies,
        vec![json!({"mitigationMode": "protect", "mitigationModeSuspicious": null})]
    );
    assert_eq!(d.ad_info.unwrap().domain.as_deref(), Some("corp.example"));
    assert_eq!(d.cloud_metadata, None);
    assert_eq!(d.identities[0].username.as_deref(), Some("jdoe"));
    assert_eq!(d.vendor_data["agentUuid"], "ab12cd34");
    assert_eq!(
        d.device_groups.unwrap(),
        vec![
            DeviceGroup {
                vendor_id: s("9001"),
                name: "Laptops".into()
            },
            DeviceGroup {
                vendor_id: s("8001"),
                name: "HQ".into()
            }
        ]
    );
}

#[test]
fn mitre_from_indicators() {
    let a = map_alert(&View::from(&threat()), &ctx()).unwrap().alert;
    let m = |id: &str| (s(id), None, link(&id.replace('.', "/")));
    assert_eq!(
        testkit::mitre(&a.mitre),
        vec![
            (
                s("Defense Evasion"),
                s("TA0005"),
                s("MITRE"),
                vec![m("T1055"), m("T1055.012")]
            ),
            (
                s("Privilege Escalation"),
                s("TA0004"),
                s("MITRE"),
                vec![m("T1055")]
            ),
            (
                s("Persistence"),
                s("TA0003"),
                s("MITRE"),
                vec![m("T1547.001")]
            ),
            (
                s("Dropper Behavior"),
                None,
                s("DEFAULT"),
                vec![(None, s("Drops an executable"), None)]
            ),
        ]
    );
}

#[test]
fn observables() {
    let a = map_alert(&View::from(&threat()), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::observables(&a),
        rows(&[
            (
                "file.hashes.sha256",
                8,
                "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
            ),
            (
                "file.hashes.sha1",
                8,
                "5d41402abc4b2a76b9719d911017c592ae7c4b2f"
            ),
            ("file.name", 7, "invoice.pdf.exe"),
            (
                "file.path",
                99,
                "\\Device\\HarddiskVolume3\\Users\\jdoe\\Downloads\\invoice.pdf.exe"
            ),
            ("process.cmd_line", 13, "invoice.pdf.exe /silent"),
            ("process.parent_process.name", 9, "explorer.exe"),
            ("actor.user.name", 4, "CORP\\jdoe"),
            ("device.hostname", 1, "FIN-LT-042"),
            ("device.hostname", 1, "fin-lt-042.corp.example"),
            ("device.ip", 2, "10.1.2.3"),
            ("device.ip", 2, "10.1.9.9"),
            ("device.ip", 2, "198.51.100.7"),
            ("device.ip", 2, "fe80::aa:1"),
            ("device.mac", 3, "aa:bb:cc:00:11:22"),
        ])
    );
}

#[test]
fn unresolved_local_user_and_fallbacks() {
    let mut t = threat();
    t["threatInfo"]["incidentStatus"] = json!("in_progress");
    t["threatInfo"]["confidenceLevel"] = json!("suspicious");
    t["threatInfo"]["processUser"] = json!("FIN-LT-042\\Administrator");
    t["threatInfo"]["filePath"] = json!(null);
    t["threatInfo"]["identifiedAt"] = json!(null);
    let a = map_alert(&View::from(&t), &ctx()).unwrap().alert;
    assert_eq!(
        (a.status, a.severity, a.resolved_time),
        (AlertStatus::InProgress, AlertSeverity::Medium, None)
    );
    assert_eq!(
        a.active_directory_domain, None,
        "a local account has no AD domain"
    );
    assert_eq!(
        a.process_filename.as_deref(),
        Some("invoice.pdf.exe"),
        "threatName"
    );
    assert_eq!(
        ts(a.first_event_time).as_deref(),
        Some("2026-11-01T10:00:00.000000Z"),
        "createdAt"
    );
    t["threatInfo"]["processUser"] = json!("");
    let a = map_alert(&View::from(&t), &ctx()).unwrap().alert;
    assert_eq!(a.user_name.as_deref(), Some("jdoe"), "last logged-in user");
}

#[test]
fn sparse_threat_maps() {
    let m = map_alert(&View::from(&json!({"id": "1"})), &ctx()).unwrap();
    assert_eq!(
        (m.device_vendor_id, m.alert.device, m.vendor_updated_at),
        (None, None, None)
    );
    assert_eq!(
        (m.alert.severity, m.alert.status),
        (AlertSeverity::None, AlertStatus::Unknown)
    );
    assert!(m.alert.mitre.is_empty());
    assert_eq!(m.alert.observables, Some(vec![]));
    let m = map_alert(
        &View::from(&json!({"threatInfo": {"threatId": 77}, "indicators": "x"})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(m.vendor_id, "77");
}

#[test]
fn refusals() {
    for bad in [
        json!(null),
        json!("threat"),
        json!({"threatInfo": {}}),
        json!({"id": "1", "threatInfo": "oops"}),
        json!({"id": "1", "agentRealtimeInfo": ["x"]}),
        json!({"id": "1", "agentDetectionInfo": 3}),
        json!({"id": "1", "threatInfo": {"updatedAt": "last tuesday"}}),
    ] {
        assert!(map_alert(&View::from(&bad), &ctx()).is_err(), "{bad}");
    }
}
