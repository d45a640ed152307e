use serde_json::{json, Value};
use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceStatus, Platform},
    ids::record_id,
    DataExportType,
};

use super::*;
use crate::normalize::testkit::{self, ctx, link, rows, s};

fn epp() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/crowdstrike/alert_epp.json"
    ))
}

fn idp() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/crowdstrike/alert_idp.json"
    ))
}

fn ts(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

const AID: &str = "4f1e0a6b9c8d4e2fa1b2c3d4e5f60718";
const COMPOSITE: &str =
    "c0ffee00c0ffee00c0ffee00c0ffee00:ind:4f1e0a6b9c8d4e2fa1b2c3d4e5f60718:555-10-200";

#[test]
fn endpoint_alert_summary() {
    let m = map_alert(&View::from(&epp()), &ctx()).unwrap();
    let a = &m.alert;
    assert_eq!(m.vendor_id, COMPOSITE);
    assert_eq!(
        a.id,
        record_id(ctx().connection_id, DataExportType::Alerts, COMPOSITE)
    );
    assert_eq!(m.device_vendor_id.as_deref(), Some(AID));
    assert_eq!(
        ts(m.vendor_updated_at).as_deref(),
        Some("2026-11-01T01:10:00.123456789Z")
    );
    assert_eq!(
        a.title.as_deref(),
        Some("Credential dumping via LSASS access")
    );
    assert_eq!(
        a.description.as_deref(),
        Some("A process accessed the memory of LSASS.")
    );
    assert_eq!(a.assigned_user.as_deref(), Some("Ana Analyst"));
    assert_eq!(
        (a.severity, a.vendor_severity.as_deref()),
        (AlertSeverity::Critical, Some("91"))
    );
    assert_eq!(
        (a.status, a.vendor_status.as_deref()),
        (AlertStatus::Resolved, Some("closed"))
    );
    assert_eq!(
        ts(a.first_event_time).as_deref(),
        Some("2026-10-31T23:59:00.250Z")
    );
    assert_eq!(a.last_event_time, a.first_event_time);
    assert_eq!(
        ts(a.resolved_time).as_deref(),
        Some("2026-11-01T01:00:00.500Z"),
        "created + seconds_to_resolved"
    );
}

#[test]
fn endpoint_alert_process_and_user() {
    let a = map_alert(&View::from(&epp()), &ctx()).unwrap().alert;
    assert_eq!(
        (a.pid.as_deref(), a.parent_pid.as_deref()),
        (Some("4242"), Some("4100"))
    );
    assert_eq!(
        ts(a.process_created_at).as_deref(),
        Some("2025-10-31T23:59:00Z")
    );
    assert_eq!(a.process_filename.as_deref(), Some("procdump64.exe"));
    assert_eq!(
        a.process_filepath.as_deref(),
        Some("\\Device\\HarddiskVolume3\\Tools\\procdump64.exe")
    );
    assert_eq!(
        a.process_command_line.as_deref(),
        Some("procdump64.exe -ma lsass.exe out.dmp")
    );
    assert_eq!(a.process_sha1, None, "all-zero hashes are dropped");
    assert_eq!(
        a.process_sha256.as_deref(),
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
    );
    assert_eq!(
        a.process_md5.as_deref(),
        Some("098f6bcd4621d373cade4e832627b4f6")
    );
    assert_eq!(a.user_name.as_deref(), Some("CORP\\alice"));
    assert_eq!(a.windows_sid.as_deref(), Some("S-1-5-21-1-2-3-1001"));
    assert_eq!(a.active_directory_domain.as_deref(), Some("CORP"));
    assert_eq!(a.active_directory_user_id, None);
}

#[test]
fn endpoint_alert_device_snapshot() {
    let d = map_alert(&View::from(&epp()), &ctx())
        .unwrap()
        .alert
        .device
        .unwrap();
    assert_eq!(
        d.id,
        record_id(ctx().connection_id, DataExportType::Devices, AID)
    );
    assert_eq!(
        (d.platform, d.status),
        (Platform::Windows, Some(DeviceStatus::Active))
    );
    assert_eq!(
        (d.hostnames.clone(), d.fqdns.clone()),
        (
            vec!["WS-7".to_owned()],
            vec!["ws-7.corp.example".to_owned()]
        )
    );
    assert_eq!(
        (d.ipv4s.clone(), d.mac_addresses.clone()),
        (
            vec!["10.9.9.9".to_owned(), "203.0.113.50".to_owned()],
            vec!["aa:bb:cc:dd:ee:01".to_owned()]
        )
    );
    assert_eq!(d.os_version.as_deref(), Some("Windows 11"));
    let ad = d.ad_info.unwrap();
    assert_eq!(
        (
            ad.org_unit.as_deref(),
            ad.site_name.as_deref(),
            ad.domain.as_deref()
        ),
        (
            Some("Workstations/Finance"),
            Some("HQ"),
            Some("corp.example")
        )
    );
    assert_eq!(d.tags[0].key, "FalconGroupingTags");
    assert_eq!(d.device_groups.unwrap()[0].vendor_id.as_deref(), Some("g1"));
}

#[test]
fn mitre_keeps_crowdstrike_ids_apart() {
    let a = map_alert(&View::from(&epp()), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::mitre(&a.mitre),
        vec![
            (
                s("Credential Access"),
                s("TA0006"),
                s("MITRE"),
                vec![
                    (s("T1003"), s("OS Credential Dumping"), link("T1003")),
                    (s("T1003.001"), s("LSASS Memory"), link("T1003/001")),
                ]
            ),
            (
                s("Machine Learning"),
                s("CSTA0004"),
                s("CrowdStrike"),
                vec![(s("CST0007"), s("Sensor-based ML"), None)]
            ),
        ]
    );
}

#[test]
fn endpoint_alert_observables() {
    let a = map_alert(&View::from(&epp()), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::observables(&a),
        rows(&[
            (
                "file.hashes.sha256",
                8,
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            ),
            ("file.hashes.md5", 8, "098f6bcd4621d373cade4e832627b4f6"),
            ("file.name", 7, "procdump64.exe"),
            (
                "file.path",
                99,
                "\\Device\\HarddiskVolume3\\Tools\\procdump64.exe"
            ),
            ("process.name", 9, "procdump64.exe"),
            (
                "process.cmd_line",
                13,
                "procdump64.exe -ma lsass.exe out.dmp"
            ),
            ("process.pid", 15, "4242"),
            ("process.parent_process.name", 9, "cmd.exe"),
            ("process.parent_process.cmd_line", 13, "cmd.exe /c run.bat"),
            ("process.parent_process.pid", 15, "4100"),
            (
                "process.parent_process.file.hashes.sha256",
                8,
                "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
            ),
            (
                "process.parent_process.file.hashes.md5",
                8,
                "0cc175b9c0f1b6a831c399e269772661"
            ),
            ("actor.user.name", 4, "CORP\\alice"),
            ("device.hostname", 1, "WS-7"),
            ("device.hostname", 1, "ws-7.corp.example"),
            ("device.ip", 2, "10.9.9.9"),
            ("device.ip", 2, "203.0.113.50"),
            ("device.mac", 3, "aa:bb:cc:dd:ee:01"),
            ("dst_endpoint.ip", 2, "198.51.100.77"),
            ("src_endpoint.ip", 2, "10.9.9.1"),
            ("ioc.domain", 1, "exfil.example.net"),
        ])
    );
}

#[test]
fn identity_alert_without_device_block() {
    let m = map_alert(&View::from(&idp()), &ctx()).unwrap();
    let a = &m.alert;
    let aid = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
    assert_eq!(m.device_vendor_id.as_deref(), Some(aid));
    assert_eq!(
        (a.severity, a.vendor_severity.as_deref()),
        (AlertSeverity::High, Some("75"))
    );
    assert_eq!((a.status, a.resolved_time), (AlertStatus::Unresolved, None));
    assert_eq!(
        ts(a.first_event_time).as_deref(),
        Some("2026-10-30T10:00:00Z")
    );
    assert_eq!(
        ts(a.last_event_time).as_deref(),
        Some("2026-10-30T10:05:00Z")
    );
    assert_eq!(a.user_name.as_deref(), Some("bob.admin"));
    assert_eq!(a.windows_sid.as_deref(), Some("S-1-5-21-10-20-30-4000"));
    assert_eq!(
        a.active_directory_user_id.as_deref(),
        Some("8C1E2B7A-0000-4000-8000-00000000ABCD")
    );
    assert_eq!(a.active_directory_domain.as_deref(), Some("corp.example"));
    assert_eq!(
        (
            a.pid.clone(),
            a.process_filename.clone(),
            a.process_created_at
        ),
        (None, None, None)
    );
    let d = a.device.clone().unwrap();
    assert_eq!(
        d.id,
        record_id(ctx().connection_id, DataExportType::Devices, aid)
    );
    assert_eq!(
        (d.hostnames, d.fqdns, d.ipv4s),
        (
            vec!["JUMP-01".to_owned()],
            vec!["jump-01.corp.example".to_owned()],
            vec!["10.20.0.5".to_owned()]
        )
    );
    assert_eq!(
        d.ad_info.unwrap().device_id.as_deref(),
        Some("11111111-2222-3333-4444-555555555555")
    );
    assert_eq!((d.platform, d.status), (Platform::Unknown, None));
    assert_eq!(
        testkit::mitre(&a.mitre),
        vec![(
            s("Lateral Movement"),
            s("TA0008"),
            s("MITRE"),
            vec![(s("T1021"), s("Remote Services"), link("T1021"))]
        )]
    );
    assert_eq!(
        testkit::observables(a),
        rows(&[
            ("actor.user.name", 4, "bob.admin"),
            ("device.hostname", 1, "JUMP-01"),
            ("device.hostname", 1, "jump-01.corp.example"),
            ("device.ip", 2, "10.20.0.5"),
            ("dst_endpoint.hostname", 1, "DC-01.corp.example"),
        ])
    );
}

#[test]
fn variants_and_fallbacks() {
    let mut r = idp();
    r["source_endpoint_sensor_id"] = json!("another-sensor");
    r["severity"] = json!(null);
    r["status"] = json!("closed");
    r["seconds_to_resolved"] = json!(i64::MAX);
    let m = map_alert(&View::from(&r), &ctx()).unwrap();
    let d = m.alert.device.unwrap();
    assert!(
        d.hostnames.is_empty(),
        "the source endpoint is another host"
    );
    assert_eq!(
        (m.alert.severity, m.alert.vendor_severity.as_deref()),
        (AlertSeverity::High, Some("High"))
    );
    assert_eq!(
        ts(m.alert.resolved_time).as_deref(),
        Some("2026-10-30T10:10:00.987654321Z"),
        "overflow falls back to the update time"
    );
    let cloud = json!({"composite_id": "c:fcs:1", "device": {"service_provider": "aws"}, "severity": "30",
                       "mitre_attack": [{"tactic_id": "TA0005", "technique_id": "T1562.007"}], "source_ip_address": "192.0.2.1"});
    let m = map_alert(&View::from(&cloud), &ctx()).unwrap();
    assert_eq!((&m.device_vendor_id, &m.alert.device), (&None, &None));
    assert_eq!(m.alert.severity, AlertSeverity::Low);
    assert_eq!(
        m.alert.mitre[0].tactic_name.as_deref(),
        Some("Defense Evasion")
    );
    assert_eq!(
        testkit::observables(&m.alert),
        rows(&[("src_endpoint.ip", 2, "192.0.2.1")])
    );
    let bare = map_alert(
        &View::from(&json!({"id": "ods:1", "agent_id": "a1"})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(bare.vendor_id, "ods:1");
    assert_eq!(bare.alert.device.unwrap().source_vendors[0].vendor_id, "a1");
}

#[test]
fn refusals() {
    for bad in [
        json!(7),
        json!({"status": "new"}),
        json!({"composite_id": "x", "device": "WS-7"}),
        json!({"composite_id": "x", "parent_details": ["p"]}),
        json!({"composite_id": "x", "grandparent_details": 1}),
        json!({"composite_id": "x", "updated_timestamp": "2024-02-30T00:00:00Z"}),
    ] {
        assert!(map_alert(&View::from(&bad), &ctx()).is_err(), "{bad}");
    }
}
