//! Defender for Endpoint machines → devices, alerts (with evidence) → alerts
//! (docs/mapping.md has the tables).

use serde_json::{Map, Value};
use tributary_model::{
    edr::{
        AdInfo, AgentInfo, Alert, AlertSeverity, AlertStatus, CloudMetadata, CloudProvider, Device,
        DeviceGroup, DeviceStatus, ObservableType, Platform, SourceVendorInfo, Tag,
    },
    ids::record_id,
    DataExportType, SourceVendor,
};

use crate::{
    mapping::{MapContext, MappedAlert, MappedDevice, MappingError},
    normalize::{
        mitre::{tactic, technique, MitreBuilder},
        net::Addresses,
        observables::Observables,
        *,
    },
};

const VENDOR: SourceVendor = SourceVendor::MsDefenderEndpoint;

/// `osPlatform` → platform (Windows10, WindowsServer2019, macOS, Linux, Ubuntu, …).
pub fn platform(os: Option<&str>) -> Platform {
    let Some(os) = os.map(str::to_ascii_lowercase) else {
        return Platform::Unknown;
    };
    if os.starts_with("windows") {
        Platform::Windows
    } else if os == "macos" || os == "mac" || os.starts_with("macos") {
        Platform::Mac
    } else if [
        "linux",
        "ubuntu",
        "redhat",
        "debian",
        "centos",
        "suse",
        "sles",
        "oracle",
        "amazonlinux",
        "fedora",
        "rhel",
        "almalinux",
        "rocky",
    ]
    .iter()
    .any(|l| os.starts_with(l))
    {
        Platform::Linux
    } else {
        Platform::Unknown
    }
}

/// `healthStatus` → device status: Inactive machines are offline; machines still
/// reporting (even with impaired communication) are active.
pub fn device_status(health: Option<&str>) -> Option<DeviceStatus> {
    match health {
        Some(
            "Active"
            | "ImpairedCommunication"
            | "NoSensorData"
            | "NoSensorDataImpairedCommunication",
        ) => Some(DeviceStatus::Active),
        Some("Inactive") => Some(DeviceStatus::Offline),
        _ => None,
    }
}

/// Alert `severity` → severity (Defender has no Critical).
pub fn severity(s: Option<&str>) -> AlertSeverity {
    match s {
        Some("High") => AlertSeverity::High,
        Some("Medium") => AlertSeverity::Medium,
        Some("Low") => AlertSeverity::Low,
        Some("Informational") => AlertSeverity::Info,
        _ => AlertSeverity::None,
    }
}

/// Alert `status` → status.
pub fn status(s: Option<&str>) -> AlertStatus {
    match s {
        Some("New") => AlertStatus::New,
        Some("InProgress") => AlertStatus::InProgress,
        Some("Resolved") => AlertStatus::Resolved,
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

fn required_id(raw: &Value) -> Result<String, MappingError> {
    if !raw.is_object() {
        return Err(MappingError::new("record is not an object"));
    }
    string(raw, "id").ok_or_else(|| MappingError::new("record has no `id`"))
}

fn updated(raw: &Value, path: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, MappingError> {
    match at(raw, path) {
        None => Ok(None),
        Some(_) => time(raw, path)
            .map(Some)
            .ok_or_else(|| MappingError::new(format!("`{path}` is not a timestamp"))),
    }
}

/// `computerDnsName` → (host name, FQDN when it has a domain).
fn names(dns: Option<String>) -> (Vec<String>, Vec<String>) {
    match dns {
        Some(d) if d.contains('.') => (
            vec![d.split('.').next().unwrap_or(&d).to_owned()],
            vec![d.to_ascii_lowercase()],
        ),
        Some(d) => (vec![d], vec![]),
        None => (vec![], vec![]),
    }
}

/// Maps an `/api/machines` value item.
pub fn map_device(raw: &Value, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = required_id(raw)?;
    let vendor_updated_at = updated(raw, "lastSeen")?;
    let mut addrs = Addresses::default();
    for ip in array(raw, "ipAddresses") {
        if string(ip, "type").as_deref() == Some("SoftwareLoopback") {
            continue;
        }
        addrs.ip_opt(string(ip, "ipAddress"));
        addrs.mac_opt(string(ip, "macAddress"));
    }
    addrs.ip_opt(string(raw, "lastIpAddress"));
    addrs.ip_opt(string(raw, "lastExternalIpAddress"));
    let (hostnames, fqdns) = names(string(raw, "computerDnsName"));
    let os = string(raw, "osPlatform");
    let vm = at(raw, "vmMetadata");
    let aws =
        vm.filter(|vm| string(vm, "cloudProvider").is_some_and(|p| p.eq_ignore_ascii_case("aws")));
    let aad = string(raw, "aadDeviceId");
    let domain = fqdns
        .first()
        .and_then(|f| f.split_once('.'))
        .map(|(_, d)| d.to_owned());
    let device = Device {
        id: record_id(ctx.connection_id, DataExportType::Devices, &id),
        status: device_status(string(raw, "healthStatus").as_deref()),
        platform: platform(os.as_deref()),
        hostnames,
        os_version: match (&os, string(raw, "version")) {
            (Some(o), Some(v)) => Some(format!("{o} {v}")),
            (o, v) => o.clone().or(v),
        },
        os_major_version: string(raw, "version"),
        os_minor_version: string(raw, "osBuild"),
        fqdns,
        ipv4s: addrs.ipv4s,
        ipv6s: addrs.ipv6s,
        mac_addresses: addrs.macs,
        last_seen: time(raw, "lastSeen"),
        first_seen: time(raw, "firstSeen"),
        source_vendors: vec![SourceVendorInfo {
            vendor: VENDOR,
            vendor_id: id.clone(),
            agent_info: Some(AgentInfo {
                agent_version: string(raw, "agentVersion"),
                signature_version: None,
                policies: vec![],
            }),
        }],
        installed_software: vec![],
        ad_info: (aad.is_some() || domain.is_some()).then_some(AdInfo {
            org_unit: None,
            site_name: None,
            domain,
            device_id: aad,
        }),
        cloud_metadata: aws.map(|vm| CloudMetadata {
            cloud_provider: CloudProvider::Aws,
            account_id: string(vm, "subscriptionId"),
            region: None,
            availability_zone: None,
            instance_id: string(vm, "vmId"),
            instance_type: None,
            image_id: None,
            kernel_id: None,
            vpc_id: None,
            subnet_id: None,
        }),
        tags: strings(raw, "machineTags")
            .into_iter()
            .map(|t| Tag {
                key: t,
                value: None,
                source: VENDOR.as_str().to_owned(),
            })
            .collect(),
        identities: vec![],
        vendor_data: pick(
            raw,
            &[
                "rbacGroupId",
                "rbacGroupName",
                "riskScore",
                "exposureLevel",
                "deviceValue",
                "healthStatus",
                "onboardingStatus",
                "isAadJoined",
                "osArchitecture",
                "managedBy",
                "osProcessor",
                "vmMetadata",
            ],
        ),
        device_groups: Some(
            string(raw, "rbacGroupName")
                .map(|name| DeviceGroup {
                    vendor_id: string(raw, "rbacGroupId"),
                    name,
                })
                .into_iter()
                .collect(),
        ),
    };
    Ok(MappedDevice {
        vendor_id: id,
        vendor_updated_at,
        device,
    })
}

/// The evidence item describing the detected process: one with a detection status first.
fn process_evidence(evidence: &[Value]) -> Option<&Value> {
    let processes = || {
        evidence
            .iter()
            .filter(|e| string(e, "entityType").as_deref() == Some("Process"))
    };
    processes()
        .find(|e| string(e, "detectionStatus").is_some())
        .or_else(|| processes().next())
}

/// `filePath` is the folder only; the full path joins the file name.
fn full_path(e: &Value) -> Option<String> {
    match (string(e, "filePath"), string(e, "fileName")) {
        (Some(dir), Some(name)) => Some(format!("{}\\{name}", dir.trim_end_matches('\\'))),
        (dir, name) => dir.or(name),
    }
}

fn evidence_observables(o: &mut Observables, evidence: &[Value]) {
    for e in evidence {
        o.hash("sha1", string(e, "sha1").as_deref());
        o.hash("sha256", string(e, "sha256").as_deref());
        o.add(
            "file.name",
            ObservableType::FileName,
            string(e, "fileName").as_deref(),
        );
        o.path(
            full_path(e)
                .as_deref()
                .filter(|_| string(e, "filePath").is_some()),
        );
        o.add(
            "process.cmd_line",
            ObservableType::CommandLine,
            string(e, "processCommandLine").as_deref(),
        );
        o.add(
            "process.pid",
            ObservableType::ProcessId,
            string(e, "processId").as_deref(),
        );
        o.add(
            "process.parent_process.name",
            ObservableType::ProcessName,
            string(e, "parentProcessFileName").as_deref(),
        );
        if let Some(ip) = string(e, "ipAddress") {
            o.ip("ip", &ip);
        }
        o.add(
            "url",
            ObservableType::UrlString,
            string(e, "url").as_deref(),
        );
        o.add(
            "user.name",
            ObservableType::UserName,
            string(e, "accountName").as_deref(),
        );
        o.add(
            "registry_key.path",
            ObservableType::RegistryKey,
            string(e, "registryKey").as_deref(),
        );
        o.add(
            "registry_value.data",
            ObservableType::RegistryValue,
            string(e, "registryValue").as_deref(),
        );
        o.add(
            "user.email_addr",
            ObservableType::EmailAddress,
            string(e, "userPrincipalName")
                .as_deref()
                .filter(|u| u.contains('@')),
        );
    }
}

/// Maps an `/api/alerts` value item (`$expand=evidence`).
pub fn map_alert(raw: &Value, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = required_id(raw)?;
    let vendor_updated_at = updated(raw, "lastUpdateTime")?;
    if at(raw, "evidence").is_some_and(|e| !e.is_array()) {
        return Err(MappingError::new("`evidence` is not a list"));
    }
    let evidence = array(raw, "evidence");
    let process = process_evidence(evidence);
    let user_evidence = evidence
        .iter()
        .find(|e| string(e, "entityType").as_deref() == Some("User"));
    let related_user = match (
        string(raw, "relatedUser.domainName"),
        string(raw, "relatedUser.userName"),
    ) {
        (Some(d), Some(u)) => Some(format!("{d}\\{u}")),
        (None, Some(u)) => Some(u),
        _ => None,
    };
    let evidence_user =
        user_evidence.and_then(
            |u| match (string(u, "domainName"), string(u, "accountName")) {
                (Some(d), Some(a)) => Some(format!("{d}\\{a}")),
                (_, a) => a,
            },
        );
    let machine = string(raw, "machineId");
    let device = machine.as_deref().map(|m| {
        let (hostnames, fqdns) = names(string(raw, "computerDnsName"));
        Device {
            id: record_id(ctx.connection_id, DataExportType::Devices, m),
            status: None,
            platform: Platform::Unknown,
            hostnames,
            os_version: None,
            os_major_version: None,
            os_minor_version: None,
            fqdns,
            ipv4s: vec![],
            ipv6s: vec![],
            mac_addresses: vec![],
            last_seen: None,
            first_seen: None,
            source_vendors: vec![SourceVendorInfo {
                vendor: VENDOR,
                vendor_id: m.to_owned(),
                agent_info: None,
            }],
            installed_software: vec![],
            ad_info: None,
            cloud_metadata: None,
            tags: vec![],
            identities: vec![],
            vendor_data: pick(raw, &["rbacGroupName", "aadTenantId"]),
            device_groups: Some(
                string(raw, "rbacGroupName")
                    .map(|name| DeviceGroup {
                        vendor_id: None,
                        name,
                    })
                    .into_iter()
                    .collect(),
            ),
        }
    });
    let mut mitre = MitreBuilder::default();
    let category = string(raw, "category");
    let known_tactic = category.as_deref().and_then(tactic);
    for t in strings(raw, "mitreTechniques") {
        mitre.add(
            known_tactic.map(|k| k.1.to_owned()),
            known_tactic.map(|k| k.0.to_owned()),
            known_tactic.map(|_| "category"),
            technique(Some(t), None),
        );
    }
    let mut obs = Observables::default();
    evidence_observables(&mut obs, evidence);
    if let Some(d) = &device {
        for h in d.fqdns.iter().chain(&d.hostnames) {
            obs.add("device.hostname", ObservableType::Hostname, Some(h));
        }
    }
    let vendor_severity = string(raw, "severity");
    let vendor_status = string(raw, "status");
    let alert = Alert {
        id: record_id(ctx.connection_id, DataExportType::Alerts, &id),
        vendor_id: id.clone(),
        title: string(raw, "title"),
        description: string(raw, "description"),
        assigned_user: string(raw, "assignedTo"),
        severity: severity(vendor_severity.as_deref()),
        vendor_severity,
        status: status(vendor_status.as_deref()),
        vendor_status,
        first_event_time: time(raw, "firstEventTime"),
        last_event_time: time(raw, "lastEventTime"),
        resolved_time: time(raw, "resolvedTime"),
        vendor: VENDOR,
        pid: process.and_then(|p| string(p, "processId")),
        process_created_at: process.and_then(|p| time(p, "processCreationTime")),
        process_filename: process.and_then(|p| string(p, "fileName")),
        process_command_line: process.and_then(|p| string(p, "processCommandLine")),
        process_filepath: process.and_then(full_path),
        process_sha1: process.and_then(|p| real_hash(string(p, "sha1"))),
        process_sha256: process.and_then(|p| real_hash(string(p, "sha256"))),
        process_md5: None,
        parent_pid: process.and_then(|p| string(p, "parentProcessId")),
        user_name: related_user.or(evidence_user),
        windows_sid: user_evidence.and_then(|u| string(u, "userSid")),
        active_directory_user_id: user_evidence.and_then(|u| string(u, "aadUserId")),
        active_directory_domain: string(raw, "relatedUser.domainName")
            .or_else(|| user_evidence.and_then(|u| string(u, "domainName"))),
        device,
        mitre: mitre.build(),
        observables: Some(obs.build()),
    };
    Ok(MappedAlert {
        vendor_id: id,
        device_vendor_id: machine,
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
            connection_id: Uuid::from_u128(11),
        }
    }

    #[test]
    fn tables() {
        for (os, p) in [
            ("Windows10", Platform::Windows),
            ("WindowsServer2022", Platform::Windows),
            ("macOS", Platform::Mac),
            ("Linux", Platform::Linux),
            ("Ubuntu", Platform::Linux),
            ("RedHatEnterpriseLinux", Platform::Linux),
            ("iOS", Platform::Unknown),
            ("Android", Platform::Unknown),
        ] {
            assert_eq!(platform(Some(os)), p, "{os}");
        }
        assert_eq!(device_status(Some("Active")), Some(DeviceStatus::Active));
        assert_eq!(device_status(Some("Inactive")), Some(DeviceStatus::Offline));
        assert_eq!(
            device_status(Some("ImpairedCommunication")),
            Some(DeviceStatus::Active)
        );
        assert_eq!(device_status(Some("Unknown")), None);
        for (s, v) in [
            ("High", AlertSeverity::High),
            ("Medium", AlertSeverity::Medium),
            ("Low", AlertSeverity::Low),
            ("Informational", AlertSeverity::Info),
            ("UnSpecified", AlertSeverity::None),
            ("Severe", AlertSeverity::None),
        ] {
            assert_eq!(severity(Some(s)), v);
        }
        for (s, v) in [
            ("New", AlertStatus::New),
            ("InProgress", AlertStatus::InProgress),
            ("Resolved", AlertStatus::Resolved),
            ("Unknown", AlertStatus::Unknown),
            ("Closed", AlertStatus::Unknown),
        ] {
            assert_eq!(status(Some(s)), v);
        }
    }

    #[test]
    fn machine_fields() {
        let raw = json!({"id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "computerDnsName": "hr-pc-12.corp.example",
            "osPlatform": "Windows11", "version": "23H2", "osBuild": 22631, "healthStatus": "Active", "agentVersion": "10.8750",
            "firstSeen": "2025-02-01T00:00:00Z", "lastSeen": "2026-11-01T12:00:00.1234567Z", "lastIpAddress": "10.2.3.4",
            "lastExternalIpAddress": "198.51.100.20", "aadDeviceId": "80e2...", "rbacGroupId": 43, "rbacGroupName": "HR",
            "machineTags": ["vip"], "ipAddresses": [{"ipAddress": "10.2.3.4", "macAddress": "8CEC4B897E73", "type": "Ethernet"},
                {"ipAddress": "127.0.0.1", "macAddress": null, "type": "SoftwareLoopback"}]});
        let m = map_device(&raw, &ctx()).unwrap();
        let d = m.device;
        assert_eq!(
            (d.hostnames[0].as_str(), d.fqdns[0].as_str()),
            ("hr-pc-12", "hr-pc-12.corp.example")
        );
        assert_eq!(d.ipv4s, vec!["10.2.3.4", "198.51.100.20"]);
        assert_eq!(d.mac_addresses, vec!["8c:ec:4b:89:7e:73"]);
        assert_eq!(
            (d.os_version.as_deref(), d.os_minor_version.as_deref()),
            (Some("Windows11 23H2"), Some("22631"))
        );
        assert_eq!(
            d.device_groups.unwrap()[0],
            DeviceGroup {
                vendor_id: Some("43".into()),
                name: "HR".into()
            }
        );
        assert_eq!(d.tags[0].key, "vip");
        assert_eq!(d.ad_info.unwrap().domain.as_deref(), Some("corp.example"));
    }

    #[test]
    fn alert_fields_from_evidence() {
        let raw = json!({"id": "da6380_1", "title": "Suspicious PowerShell", "severity": "Medium", "status": "InProgress",
            "category": "Execution", "mitreTechniques": ["T1059.001"], "machineId": "a1b2", "computerDnsName": "hr-pc-12.corp.example",
            "firstEventTime": "2026-11-01T00:00:00.1234567Z", "lastUpdateTime": "2026-11-01T01:00:00Z", "assignedTo": "soc@corp.example",
            "relatedUser": {"userName": "bob", "domainName": "CORP"},
            "evidence": [
                {"entityType": "User", "accountName": "bob", "domainName": "CORP", "userSid": "S-1-5-21-9", "aadUserId": "aad-1"},
                {"entityType": "Process", "fileName": "powershell.exe", "filePath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
                 "processId": 812, "parentProcessId": 700, "processCommandLine": "powershell -enc AAA", "sha1": "aa", "sha256": "bb",
                 "processCreationTime": "2026-11-01T00:00:00Z", "detectionStatus": "Detected"},
                {"entityType": "Ip", "ipAddress": "203.0.113.5"}, {"entityType": "Url", "url": "http://bad.example/x"}]});
        let m = map_alert(&raw, &ctx()).unwrap();
        let a = &m.alert;
        assert_eq!(
            (a.severity, a.status),
            (AlertSeverity::Medium, AlertStatus::InProgress)
        );
        assert_eq!(
            a.process_filepath.as_deref(),
            Some("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe")
        );
        assert_eq!(
            (a.pid.as_deref(), a.parent_pid.as_deref()),
            (Some("812"), Some("700"))
        );
        assert_eq!(
            (a.user_name.as_deref(), a.windows_sid.as_deref()),
            (Some("CORP\\bob"), Some("S-1-5-21-9"))
        );
        assert_eq!(a.mitre[0].tactic_id.as_deref(), Some("TA0002"));
        assert_eq!(
            a.mitre[0].techniques[0].technique_link.as_deref(),
            Some("https://attack.mitre.org/techniques/T1059/001/")
        );
        assert_eq!(m.device_vendor_id.as_deref(), Some("a1b2"));
        let obs = a.observables.as_ref().unwrap();
        for t in [4, 8, 7, 99, 13, 15, 2, 6, 1] {
            assert!(obs.iter().any(|o| o.kind().type_id() == t), "type {t}");
        }
        let no_tactic =
            json!({"id": "x", "category": "SuspiciousActivity", "mitreTechniques": ["T1000"]});
        assert!(map_alert(&no_tactic, &ctx()).unwrap().alert.mitre[0]
            .tactic_id
            .is_none());
        assert!(map_alert(&json!({"id": "x", "evidence": {}}), &ctx()).is_err());
    }
}
