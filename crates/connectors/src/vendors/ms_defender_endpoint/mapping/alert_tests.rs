use serde_json::{json, Value};
use tributary_model::{
    edr::{AlertSeverity, AlertStatus, DeviceGroup, Platform},
    ids::record_id,
    DataExportType,
};

use super::*;
use crate::normalize::testkit::{self, ctx, link, rows, s};

fn raw() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/ms_defender_endpoint/alert.json"
    ))
}

fn ts(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

const ID: &str = "da638000000000000000_-1234567890";
const MACHINE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

#[test]
fn summary_times_severity_status() {
    let m = map_alert(&View::from(&raw()), &ctx()).unwrap();
    let a = &m.alert;
    assert_eq!(
        (m.vendor_id.as_str(), m.device_vendor_id.as_deref()),
        (ID, Some(MACHINE))
    );
    assert_eq!(
        a.id,
        record_id(ctx().connection_id, DataExportType::Alerts, ID)
    );
    assert_eq!(
        ts(m.vendor_updated_at).as_deref(),
        Some("2026-11-01T01:00:00Z")
    );
    assert_eq!(a.title.as_deref(), Some("Credential theft tool detected"));
    assert_eq!(
        a.description.as_deref(),
        Some("A known credential theft tool ran on the device.")
    );
    assert_eq!(a.assigned_user.as_deref(), Some("soc@corp.example"));
    assert_eq!(
        (a.severity, a.vendor_severity.as_deref()),
        (AlertSeverity::High, Some("High"))
    );
    assert_eq!(
        (a.status, a.vendor_status.as_deref()),
        (AlertStatus::InProgress, Some("InProgress"))
    );
    assert_eq!(
        ts(a.first_event_time).as_deref(),
        Some("2026-11-01T00:00:00.123456700Z")
    );
    assert_eq!(
        ts(a.last_event_time).as_deref(),
        Some("2026-11-01T00:00:03.765432100Z")
    );
    assert_eq!(a.resolved_time, None);
}

#[test]
fn process_from_the_detected_process_evidence() {
    let a = map_alert(&View::from(&raw()), &ctx()).unwrap().alert;
    assert_eq!(
        (a.pid.as_deref(), a.parent_pid.as_deref()),
        (Some("812"), Some("700"))
    );
    assert_eq!(
        ts(a.process_created_at).as_deref(),
        Some("2026-11-01T00:00:00.200Z")
    );
    assert_eq!(a.process_filename.as_deref(), Some("mimikatz.exe"));
    assert_eq!(
        a.process_filepath.as_deref(),
        Some("C:\\Users\\bob\\Downloads\\mimikatz.exe")
    );
    assert_eq!(
        a.process_command_line.as_deref(),
        Some("mimikatz.exe sekurlsa::logonpasswords")
    );
    assert_eq!(
        a.process_sha1.as_deref(),
        Some("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3")
    );
    assert_eq!(
        a.process_sha256.as_deref(),
        Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
    );
    assert_eq!(a.process_md5, None, "Defender evidence has no MD5");
}

#[test]
fn user_from_related_user_and_user_evidence() {
    let a = map_alert(&View::from(&raw()), &ctx()).unwrap().alert;
    assert_eq!(a.user_name.as_deref(), Some("CORP\\bob"));
    assert_eq!(a.windows_sid.as_deref(), Some("S-1-5-21-9-8-7-1104"));
    assert_eq!(
        a.active_directory_user_id.as_deref(),
        Some("6d5c4b3a-0000-4000-8000-000000000002")
    );
    assert_eq!(a.active_directory_domain.as_deref(), Some("CORP"));
    let mut r = raw();
    r["relatedUser"] = json!(null);
    r["evidence"] = json!([]);
    let a = map_alert(&View::from(&r), &ctx()).unwrap().alert;
    assert_eq!(
        (a.user_name.as_deref(), a.windows_sid.as_deref()),
        (Some("CORP\\bob"), None),
        "loggedOnUsers"
    );
    r["loggedOnUsers"] = json!([]);
    let a = map_alert(&View::from(&r), &ctx()).unwrap().alert;
    assert_eq!(
        (a.user_name, a.active_directory_domain, a.pid),
        (None, None, None)
    );
}

#[test]
fn device_is_the_machine_reference() {
    let d = map_alert(&View::from(&raw()), &ctx())
        .unwrap()
        .alert
        .device
        .unwrap();
    assert_eq!(
        d.id,
        record_id(ctx().connection_id, DataExportType::Devices, MACHINE)
    );
    assert_eq!(
        (d.hostnames.clone(), d.fqdns.clone()),
        (
            vec!["HR-PC-12".to_owned()],
            vec!["hr-pc-12.corp.example".to_owned()]
        )
    );
    assert_eq!(
        (d.platform, d.status, d.source_vendors[0].agent_info.clone()),
        (Platform::Unknown, None, None)
    );
    assert_eq!(
        d.device_groups,
        Some(vec![DeviceGroup {
            vendor_id: None,
            name: "HR".into()
        }])
    );
    assert!(d.ipv4s.is_empty() && d.mac_addresses.is_empty());
}

#[test]
fn mitre_tactic_from_category() {
    let a = map_alert(&View::from(&raw()), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::mitre(&a.mitre),
        vec![(
            s("Credential Access"),
            s("TA0006"),
            s("MITRE"),
            vec![
                (s("T1003.001"), None, link("T1003/001")),
                (s("T1003"), None, link("T1003"))
            ]
        )]
    );
    let mut r = raw();
    r["category"] = json!("SuspiciousActivity");
    let a = map_alert(&View::from(&r), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::mitre(&a.mitre),
        vec![(
            None,
            None,
            None,
            vec![
                (s("T1003.001"), None, link("T1003/001")),
                (s("T1003"), None, link("T1003"))
            ]
        )],
        "a category that is not a tactic leaves the tactic null"
    );
}

#[test]
fn observables_from_every_evidence() {
    let a = map_alert(&View::from(&raw()), &ctx()).unwrap().alert;
    assert_eq!(
        testkit::observables(&a),
        rows(&[
            (
                "file.hashes.sha256",
                8,
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
            ),
            (
                "file.hashes.sha1",
                8,
                "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"
            ),
            ("file.name", 7, "mimikatz.exe"),
            ("file.path", 99, "C:\\Users\\bob\\Downloads\\mimikatz.exe"),
            ("process.name", 9, "mimikatz.exe"),
            (
                "process.cmd_line",
                13,
                "mimikatz.exe sekurlsa::logonpasswords"
            ),
            ("process.pid", 15, "812"),
            ("actor.user.name", 4, "CORP\\bob"),
            ("device.hostname", 1, "HR-PC-12"),
            ("device.hostname", 1, "hr-pc-12.corp.example"),
            (
                "file.hashes.sha256",
                8,
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
            ),
            (
                "file.hashes.sha1",
                8,
                "0a4d55a8d778e5022fab701977c5d840bbc486d0"
            ),
            ("file.name", 7, "powershell.exe"),
            (
                "file.path",
                99,
                "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
            ),
            ("process.name", 9, "powershell.exe"),
            ("process.cmd_line", 13, "powershell.exe -nop -w hidden"),
            ("process.pid", 15, "700"),
            ("process.parent_process.name", 9, "explorer.exe"),
            ("process.parent_process.pid", 15, "600"),
            ("endpoint.ip", 2, "203.0.113.5"),
            ("url.url_string", 6, "http://bad.example/mk.zip"),
            (
                "reg_key.path",
                28,
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
            ),
            (
                "reg_value.data",
                29,
                "C:\\Users\\bob\\Downloads\\mimikatz.exe"
            ),
        ])
    );
}

#[test]
fn sparse_and_refused() {
    let m = map_alert(
        &View::from(&json!({"id": "x", "mitreTechniques": "T1000", "evidence": null})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        (m.device_vendor_id, m.alert.device, m.alert.mitre.len()),
        (None, None, 0)
    );
    for bad in [
        json!([]),
        json!({"title": "t"}),
        json!({"id": "x", "evidence": {}}),
        json!({"id": "x", "evidence": "none"}),
        json!({"id": "x", "relatedUser": "bob"}),
        json!({"id": "x", "lastUpdateTime": "Tuesday"}),
    ] {
        assert!(map_alert(&View::from(&bad), &ctx()).is_err(), "{bad}");
    }
}
