//! CrowdStrike device entities → devices, alert entities → alerts (docs/mapping.md).

use chrono::Duration;
use serde_json::{json, Map, Value};
use tributary_model::{
    edr::{
        AdInfo, AgentInfo, Alert, AlertSeverity, AlertStatus, CloudMetadata, CloudProvider, Device,
        DeviceGroup, DeviceStatus, Identity, ObservableType, Platform, SourceVendorInfo, Tag,
    },
    ids::record_id,
    DataExportType, SourceVendor,
};

use crate::{
    mapping::{MapContext, MappedAlert, MappedDevice, MappingError},
    normalize::{
        mitre::{is_technique_id, technique, MitreBuilder},
        net::Addresses,
        observables::Observables,
        *,
    },
};

const VENDOR: SourceVendor = SourceVendor::Crowdstrike;

/// `platform_name` → platform.
pub fn platform(name: Option<&str>) -> Platform {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("windows") => Platform::Windows,
        Some("mac") => Platform::Mac,
        Some("linux") => Platform::Linux,
        _ => Platform::Unknown,
    }
}

/// Host `status` → device status: contained hosts are quarantined.
pub fn device_status(status: Option<&str>) -> Option<DeviceStatus> {
    match status {
        Some("normal" | "containment_pending") => Some(DeviceStatus::Active),
        Some("contained" | "lift_containment_pending") => Some(DeviceStatus::Quarantined),
        _ => None,
    }
}

/// Numeric `severity` (1–100) → severity: ≥90 critical, ≥70 high, ≥50 medium, ≥20 low,
/// 1–19 info; 0 or missing none. Without a number, `severity_name` decides.
pub fn severity(score: Option<i64>, name: Option<&str>) -> AlertSeverity {
    match score {
        Some(s) if s >= 90 => AlertSeverity::Critical,
        Some(s) if s >= 70 => AlertSeverity::High,
        Some(s) if s >= 50 => AlertSeverity::Medium,
        Some(s) if s >= 20 => AlertSeverity::Low,
        Some(s) if s >= 1 => AlertSeverity::Info,
        Some(_) => AlertSeverity::None,
        None => match name.map(str::to_ascii_lowercase).as_deref() {
            Some("critical") => AlertSeverity::Critical,
            Some("high") => AlertSeverity::High,
            Some("medium") => AlertSeverity::Medium,
            Some("low") => AlertSeverity::Low,
            Some("informational") => AlertSeverity::Info,
            _ => AlertSeverity::None,
        },
    }
}

/// Alert `status` → status.
pub fn status(s: Option<&str>) -> AlertStatus {
    match s {
        Some("new") => AlertStatus::New,
        Some("in_progress") => AlertStatus::InProgress,
        Some("reopened") => AlertStatus::Unresolved,
        Some("closed") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    }
}

fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for k in keys {
        if let Some(x) = at(v, k) {
            m.insert((*k).to_owned(), x.clone());
        }
    }
    Value::Object(m)
}

fn updated(raw: &Value, path: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, MappingError> {
    match at(raw, path) {
        None => Ok(None),
        Some(_) => time(raw, path)
            .map(Some)
            .ok_or_else(|| MappingError::new(format!("`{path}` is not a timestamp"))),
    }
}

/// AWS hosts (`service_provider` AWS_EC2…): the API supports only AWS cloud metadata.
fn cloud(v: &Value) -> Option<CloudMetadata> {
    let provider = string(v, "service_provider")?;
    if !provider.to_ascii_uppercase().starts_with("AWS") {
        return None;
    }
    let zone = string(v, "zone_group");
    Some(CloudMetadata {
        cloud_provider: CloudProvider::Aws,
        account_id: string(v, "service_provider_account_id"),
        region: zone
            .as_deref()
            .map(|z| {
                z.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                    .to_owned()
            })
            .filter(|r| !r.is_empty()),
        availability_zone: zone,
        instance_id: string(v, "instance_id"),
        instance_type: None,
        image_id: None,
        kernel_id: None,
        vpc_id: None,
        subnet_id: None,
    })
}

/// `SensorGroupingTags/Protect` → key `SensorGroupingTags`, value `Protect`.
fn tag(raw: &str) -> Tag {
    let (key, value) = raw
        .split_once('/')
        .map_or((raw, None), |(k, v)| (k, Some(v.to_owned())));
    Tag {
        key: key.to_owned(),
        value,
        source: VENDOR.as_str().to_owned(),
    }
}

/// The fields shared by host entities and the `device{}` inside alerts.
fn device_from(ctx: &MapContext, id: &str, v: &Value) -> Device {
    let mut addrs = Addresses::default();
    for key in ["local_ip", "connection_ip", "external_ip"] {
        addrs.ip_opt(string(v, key));
    }
    addrs.mac_opt(string(v, "mac_address"));
    addrs.mac_opt(string(v, "connection_mac_address"));
    let host = string(v, "hostname");
    let domain = string(v, "machine_domain").or_else(|| string(v, "hostinfo.domain"));
    let ous = strings(v, "ou");
    let ad = AdInfo {
        org_unit: (!ous.is_empty()).then(|| ous.join("/")).or_else(|| {
            strings(v, "hostinfo.active_directory_dn_display")
                .into_iter()
                .next()
        }),
        site_name: string(v, "site_name"),
        domain: domain.clone(),
        device_id: None,
    };
    Device {
        id: record_id(ctx.connection_id, DataExportType::Devices, id),
        status: device_status(string(v, "status").as_deref()),
        platform: platform(string(v, "platform_name").as_deref()),
        hostnames: host.clone().into_iter().collect(),
        os_version: first_string(v, &["os_version", "os_product_name"]),
        os_major_version: string(v, "major_version"),
        os_minor_version: string(v, "minor_version"),
        fqdns: match (&host, &domain) {
            (Some(h), Some(d)) => vec![format!("{h}.{d}").to_ascii_lowercase()],
            _ => vec![],
        },
        ipv4s: addrs.ipv4s,
        ipv6s: addrs.ipv6s,
        mac_addresses: addrs.macs,
        last_seen: time(v, "last_seen"),
        first_seen: time(v, "first_seen"),
        source_vendors: vec![SourceVendorInfo {
            vendor: VENDOR,
            vendor_id: id.to_owned(),
            agent_info: Some(AgentInfo {
                agent_version: string(v, "agent_version"),
                signature_version: string(v, "config_id_build"),
                policies: array(v, "policies").to_vec(),
            }),
        }],
        installed_software: vec![],
        ad_info: (ad.org_unit.is_some() || ad.site_name.is_some() || ad.domain.is_some())
            .then_some(ad),
        cloud_metadata: cloud(v),
        tags: strings(v, "tags").iter().map(|t| tag(t)).collect(),
        identities: string(v, "last_login_user")
            .map(|u| Identity {
                username: Some(u),
                user_sid: string(v, "last_login_user_sid"),
            })
            .into_iter()
            .collect(),
        vendor_data: pick(
            v,
            &[
                "cid",
                "product_type_desc",
                "chassis_type_desc",
                "system_manufacturer",
                "system_product_name",
                "serial_number",
                "kernel_version",
                "os_build",
                "os_product_name",
                "reduced_functionality_mode",
                "rtr_state",
                "service_provider",
                "status",
                "modified_timestamp",
            ],
        ),
        device_groups: Some(
            strings(v, "groups")
                .into_iter()
                .map(|g| DeviceGroup {
                    vendor_id: Some(g.clone()),
                    name: g,
                })
                .collect(),
        ),
    }
}

/// Maps a `/devices/entities/devices/v2` resource.
pub fn map_device(raw: &Value, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    if !raw.is_object() {
        return Err(MappingError::new("record is not an object"));
    }
    let id =
        string(raw, "device_id").ok_or_else(|| MappingError::new("record has no `device_id`"))?;
    let vendor_updated_at = updated(raw, "modified_timestamp")?;
    Ok(MappedDevice {
        device: device_from(ctx, &id, raw),
        vendor_id: id,
        vendor_updated_at,
    })
}

fn mitre(raw: &Value) -> Vec<tributary_model::edr::MitreTactic> {
    let mut b = MitreBuilder::default();
    let mut add = |v: &Value| {
        let tactic_id = string(v, "tactic_id");
        let technique_id = string(v, "technique_id");
        // CrowdStrike's own framework (CSTA…/CST…) is kept but not called MITRE.
        let mitre = tactic_id.as_deref().is_some_and(|t| t.starts_with("TA"))
            || technique_id.as_deref().is_some_and(is_technique_id);
        let source = if mitre { "MITRE" } else { "CrowdStrike" };
        if tactic_id.is_some() || string(v, "tactic").is_some() {
            b.add(
                string(v, "tactic"),
                tactic_id,
                Some(source),
                technique(technique_id, string(v, "technique")),
            );
        }
    };
    add(raw);
    for entry in array(raw, "mitre_attack") {
        add(entry);
    }
    b.build()
}

/// The device an alert concerns, and its vendor id.
fn alert_device(raw: &Value, ctx: &MapContext) -> (Option<String>, Option<Device>) {
    if let Some(d) = at(raw, "device").filter(|d| d.is_object()) {
        let id = string(d, "device_id").or_else(|| string(raw, "agent_id"));
        return (id.clone(), id.map(|id| device_from(ctx, &id, d)));
    }
    // Identity alerts name a source endpoint instead of a Falcon host.
    let sensor = string(raw, "source_endpoint_sensor_id");
    let host = string(raw, "source_endpoint_host_name");
    match (sensor, host) {
        (Some(id), host) => {
            let endpoint = json!({
                "hostname": host,
                "local_ip": string(raw, "source_endpoint_ip_address").or_else(|| string(raw, "source_endpoint_address_ip4")),
            });
            (Some(id.clone()), Some(device_from(ctx, &id, &endpoint)))
        }
        _ => (None, None),
    }
}

fn observables(raw: &Value, device: Option<&Device>) -> Vec<tributary_model::edr::Observable> {
    let mut o = Observables::default();
    for algo in ["sha256", "sha1", "md5"] {
        o.hash(algo, real_hash(string(raw, algo)).as_deref());
    }
    o.add(
        "file.name",
        ObservableType::FileName,
        string(raw, "filename").as_deref(),
    );
    o.path(string(raw, "filepath").as_deref());
    o.add(
        "process.cmd_line",
        ObservableType::CommandLine,
        string(raw, "cmdline").as_deref(),
    );
    o.add(
        "process.pid",
        ObservableType::ProcessId,
        string(raw, "local_process_id").as_deref(),
    );
    o.add(
        "process.parent_process.name",
        ObservableType::ProcessName,
        string(raw, "parent_details.filename").as_deref(),
    );
    o.add(
        "actor.user.name",
        ObservableType::UserName,
        string(raw, "user_name").as_deref(),
    );
    for ioc in array(raw, "ioc_context") {
        if let Some(kind) = string(ioc, "ioc_type") {
            o.indicator(&kind, string(ioc, "ioc_value").as_deref());
        }
    }
    if let Some(d) = device {
        for h in &d.hostnames {
            o.add("device.hostname", ObservableType::Hostname, Some(h));
        }
        for ip in d.ipv4s.iter().chain(&d.ipv6s) {
            o.ip("device.ip", ip);
        }
        for m in &d.mac_addresses {
            o.add("device.mac", ObservableType::MacAddress, Some(m));
        }
    }
    o.build()
}

/// Maps a `/alerts/entities/alerts/v2` resource (EPP, identity, on-demand scan, …).
pub fn map_alert(raw: &Value, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    if !raw.is_object() {
        return Err(MappingError::new("record is not an object"));
    }
    let id = first_string(raw, &["composite_id", "id"])
        .ok_or_else(|| MappingError::new("record has no `composite_id`"))?;
    object_or_err(raw, "parent_details")?;
    let vendor_updated_at = updated(raw, "updated_timestamp")?;
    let vendor_status = string(raw, "status");
    let closed = vendor_status.as_deref() == Some("closed");
    let resolved_time = closed
        .then(|| {
            match (
                time(raw, "created_timestamp"),
                int(raw, "seconds_to_resolved"),
            ) {
                (Some(c), Some(s)) if s > 0 => Some(c + Duration::seconds(s)),
                _ => time(raw, "updated_timestamp"),
            }
        })
        .flatten();
    let score = int(raw, "severity");
    let severity_name = string(raw, "severity_name");
    let user_id = string(raw, "user_id");
    let (device_vendor_id, device) = alert_device(raw, ctx);
    let alert = Alert {
        id: record_id(ctx.connection_id, DataExportType::Alerts, &id),
        vendor_id: id.clone(),
        title: first_string(raw, &["display_name", "name"]),
        description: string(raw, "description"),
        assigned_user: first_string(raw, &["assigned_to_name", "assigned_to_uid"]),
        severity: severity(score, severity_name.as_deref()),
        vendor_severity: severity_name.or_else(|| score.map(|s| s.to_string())),
        status: status(vendor_status.as_deref()),
        vendor_status,
        first_event_time: time(raw, "start_time").or_else(|| time(raw, "timestamp")),
        last_event_time: time(raw, "end_time").or_else(|| time(raw, "timestamp")),
        resolved_time,
        vendor: VENDOR,
        pid: string(raw, "local_process_id"),
        process_created_at: time(raw, "process_start_time"),
        process_filename: string(raw, "filename"),
        process_command_line: string(raw, "cmdline"),
        process_filepath: string(raw, "filepath"),
        process_sha1: real_hash(string(raw, "sha1")),
        process_sha256: real_hash(string(raw, "sha256")),
        process_md5: real_hash(string(raw, "md5")),
        parent_pid: string(raw, "parent_details.local_process_id"),
        user_name: first_string(raw, &["user_name", "source_account_name"]),
        windows_sid: user_id
            .filter(|s| s.starts_with("S-1-"))
            .or_else(|| string(raw, "source_account_object_sid")),
        active_directory_user_id: string(raw, "source_account_object_guid"),
        active_directory_domain: first_string(raw, &["logon_domain", "source_account_domain"]),
        mitre: mitre(raw),
        observables: Some(observables(raw, device.as_ref())),
        device,
    };
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id,
        vendor_updated_at,
        alert,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn ctx() -> MapContext {
        MapContext {
            connection_id: Uuid::from_u128(9),
        }
    }

    fn host() -> Value {
        json!({"device_id": "4f1e0a6b9c8d4e2fa1b2c3d4e5f60718", "cid": "c1", "hostname": "WEB-01", "machine_domain": "corp.example",
               "platform_name": "Linux", "os_version": "Ubuntu 22.04", "major_version": "5", "minor_version": "15",
               "local_ip": "10.0.0.5", "external_ip": "203.0.113.9", "mac_address": "0a-1b-2c-3d-4e-5f",
               "status": "contained", "agent_version": "7.10.17706.0", "config_id_build": "17706",
               "first_seen": "2025-01-01T00:00:00Z", "last_seen": "2026-11-01T00:00:00Z", "modified_timestamp": "2026-11-01T00:00:01Z",
               "tags": ["SensorGroupingTags/Prod", "FalconGroupingTags/web"], "groups": ["g1"], "ou": ["Servers"], "site_name": "Site-A",
               "last_login_user": "root", "last_login_user_sid": null, "service_provider": "AWS_EC2_V2",
               "service_provider_account_id": "123456789012", "instance_id": "i-0f", "zone_group": "eu-west-1b",
               "policies": [{"policy_type": "prevention", "policy_id": "p1"}]})
    }

    #[test]
    fn host_fields() {
        let m = map_device(&host(), &ctx()).unwrap();
        let d = m.device;
        assert_eq!(
            (d.platform, d.status),
            (Platform::Linux, Some(DeviceStatus::Quarantined))
        );
        assert_eq!(d.fqdns, vec!["web-01.corp.example"]);
        assert_eq!(
            (d.ipv4s.len(), d.mac_addresses[0].as_str()),
            (2, "0a:1b:2c:3d:4e:5f")
        );
        assert_eq!(
            (d.os_major_version.as_deref(), d.os_minor_version.as_deref()),
            (Some("5"), Some("15"))
        );
        assert_eq!(
            d.tags[0],
            Tag {
                key: "SensorGroupingTags".into(),
                value: Some("Prod".into()),
                source: "crowdstrike".into()
            }
        );
        let cloud = d.cloud_metadata.unwrap();
        assert_eq!(
            (cloud.region.as_deref(), cloud.account_id.as_deref()),
            (Some("eu-west-1"), Some("123456789012"))
        );
        assert_eq!(d.ad_info.unwrap().org_unit.as_deref(), Some("Servers"));
        assert_eq!(
            d.source_vendors[0]
                .agent_info
                .as_ref()
                .unwrap()
                .policies
                .len(),
            1
        );
    }

    #[test]
    fn tables() {
        for (score, want) in [
            (95, AlertSeverity::Critical),
            (90, AlertSeverity::Critical),
            (70, AlertSeverity::High),
            (50, AlertSeverity::Medium),
            (20, AlertSeverity::Low),
            (10, AlertSeverity::Info),
            (0, AlertSeverity::None),
        ] {
            assert_eq!(severity(Some(score), None), want, "{score}");
        }
        assert_eq!(severity(None, Some("High")), AlertSeverity::High);
        assert_eq!(severity(None, None), AlertSeverity::None);
        assert_eq!(status(Some("reopened")), AlertStatus::Unresolved);
        assert_eq!(status(Some("closed")), AlertStatus::Resolved);
        assert_eq!(status(Some("new")), AlertStatus::New);
        assert_eq!(status(Some("in_progress")), AlertStatus::InProgress);
        assert_eq!(status(Some("snoozed")), AlertStatus::Unknown);
        assert_eq!(platform(Some("Mac")), Platform::Mac);
        assert_eq!(platform(Some("Windows")), Platform::Windows);
        assert_eq!(platform(Some("Android")), Platform::Unknown);
        assert_eq!(device_status(Some("normal")), Some(DeviceStatus::Active));
        assert_eq!(
            device_status(Some("lift_containment_pending")),
            Some(DeviceStatus::Quarantined)
        );
        assert_eq!(device_status(Some("?")), None);
    }

    #[test]
    fn alert_fields() {
        let raw = json!({"composite_id": "cid:ind:4f1e:1-2-3", "agent_id": "4f1e", "display_name": "Credential dumping",
            "severity": 91, "severity_name": "Critical", "status": "closed", "created_timestamp": "2026-11-01T00:00:00Z",
            "seconds_to_resolved": 60, "updated_timestamp": "2026-11-01T00:10:00.123456789Z", "timestamp": "2026-10-31T23:59:00Z",
            "tactic": "Credential Access", "tactic_id": "TA0006", "technique": "OS Credential Dumping", "technique_id": "T1003",
            "mitre_attack": [{"tactic_id": "TA0006", "tactic": "Credential Access", "technique_id": "T1003.001", "technique": "LSASS Memory"}],
            "filename": "procdump.exe", "filepath": "\\Device\\HarddiskVolume3\\tools\\procdump.exe", "cmdline": "procdump -ma lsass",
            "sha256": "ab", "sha1": "0000000000000000000000000000000000000000", "md5": "cd", "local_process_id": "4242",
            "process_start_time": "1761955140", "parent_details": {"local_process_id": "100", "filename": "cmd.exe"},
            "user_name": "alice", "user_id": "S-1-5-21-1-2-3-1001", "logon_domain": "CORP",
            "ioc_context": [{"ioc_type": "domain", "ioc_value": "evil.example"}],
            "device": {"device_id": "4f1e", "hostname": "WS-7", "platform_name": "Windows", "local_ip": "10.9.9.9"}});
        let m = map_alert(&raw, &ctx()).unwrap();
        let a = &m.alert;
        assert_eq!(
            (a.severity, a.status),
            (AlertSeverity::Critical, AlertStatus::Resolved)
        );
        assert_eq!(
            a.resolved_time,
            time(&raw, "created_timestamp").map(|t| t + Duration::seconds(60))
        );
        assert_eq!(
            (a.pid.as_deref(), a.parent_pid.as_deref()),
            (Some("4242"), Some("100"))
        );
        assert_eq!(a.process_sha1, None, "all-zero hashes are dropped");
        assert_eq!(a.windows_sid.as_deref(), Some("S-1-5-21-1-2-3-1001"));
        assert_eq!(a.process_created_at.unwrap().timestamp(), 1_761_955_140);
        assert_eq!(a.mitre.len(), 1);
        assert_eq!(a.mitre[0].techniques.len(), 2);
        assert_eq!(a.mitre[0].tactic_source.as_deref(), Some("MITRE"));
        assert_eq!(m.device_vendor_id.as_deref(), Some("4f1e"));
        assert_eq!(a.device.as_ref().unwrap().platform, Platform::Windows);
        let obs = a.observables.as_ref().unwrap();
        assert!(obs
            .iter()
            .any(|o| o.value == "evil.example" && o.kind().type_id() == 1));
        assert!(obs
            .iter()
            .any(|o| o.value == "4242" && o.kind().type_id() == 15));
        let cs = json!({"composite_id": "x", "tactic": "Machine Learning", "tactic_id": "CSTA0004", "technique_id": "CST0007"});
        let t = &map_alert(&cs, &ctx()).unwrap().alert.mitre[0];
        assert_eq!(
            (
                t.tactic_source.as_deref(),
                t.techniques[0].technique_link.as_deref()
            ),
            (Some("CrowdStrike"), None)
        );
    }

    #[test]
    fn refuses_unidentifiable_records() {
        assert!(map_alert(&json!({"status": "new"}), &ctx()).is_err());
        assert!(map_alert(&json!({"composite_id": "x", "parent_details": "p"}), &ctx()).is_err());
        assert!(map_device(&json!([]), &ctx()).is_err());
    }
}
