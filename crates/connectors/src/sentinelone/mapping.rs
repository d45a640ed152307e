//! SentinelOne agents → devices, threats → alerts (docs/mapping.md has the tables).

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
        mitre::{technique, MitreBuilder},
        net::Addresses,
        observables::Observables,
        *,
    },
};

const VENDOR: SourceVendor = SourceVendor::Sentinelone;

/// `osType` → platform.
pub fn platform(os_type: Option<&str>) -> Platform {
    match os_type.map(str::to_ascii_lowercase).as_deref() {
        Some("windows" | "windows_legacy") => Platform::Windows,
        Some("macos") => Platform::Mac,
        Some("linux") => Platform::Linux,
        _ => Platform::Unknown,
    }
}

/// Agent state → device status: decommissioned, uninstalled or inactive agents are
/// offline; a network-quarantined agent (`networkStatus` disconnected/disconnecting) is
/// quarantined; a connected one is active.
pub fn device_status(
    is_active: Option<bool>,
    decommissioned: Option<bool>,
    network: Option<&str>,
) -> Option<DeviceStatus> {
    if decommissioned == Some(true) || is_active == Some(false) {
        return Some(DeviceStatus::Offline);
    }
    match network {
        Some("disconnected" | "disconnecting") => Some(DeviceStatus::Quarantined),
        Some("connected" | "connecting") => Some(DeviceStatus::Active),
        _ if is_active == Some(true) => Some(DeviceStatus::Active),
        _ => None,
    }
}

/// `threatInfo.confidenceLevel` → severity (threats have no numeric severity).
pub fn severity(confidence: Option<&str>) -> AlertSeverity {
    match confidence {
        Some("malicious") => AlertSeverity::High,
        Some("suspicious") => AlertSeverity::Medium,
        Some("n/a") => AlertSeverity::Info,
        _ => AlertSeverity::None,
    }
}

/// `threatInfo.incidentStatus` → status.
pub fn status(incident: Option<&str>) -> AlertStatus {
    match incident {
        Some("unresolved") => AlertStatus::Unresolved,
        Some("in_progress") => AlertStatus::InProgress,
        Some("resolved") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    }
}

fn vendor_id(raw: &Value, path: &str) -> Result<String, MappingError> {
    if !raw.is_object() {
        return Err(MappingError::new("record is not an object"));
    }
    string(raw, path).ok_or_else(|| MappingError::new(format!("record has no `{path}`")))
}

/// The update time used for the watermark: absent is fine, unreadable is not.
fn updated(raw: &Value, path: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, MappingError> {
    match at(raw, path) {
        None => Ok(None),
        Some(_) => time(raw, path)
            .map(Some)
            .ok_or_else(|| MappingError::new(format!("`{path}` is not a timestamp"))),
    }
}

fn interfaces(v: &Value, path: &str, addrs: &mut Addresses) {
    for nic in array(v, path) {
        for ip in strings(nic, "inet")
            .iter()
            .chain(strings(nic, "inet6").iter())
        {
            addrs.ip(ip);
        }
        addrs.mac_opt(string(nic, "physical"));
    }
}

/// AWS details from `cloudProviders.AWS` (the API's only supported cloud).
fn cloud(v: &Value) -> Option<CloudMetadata> {
    let aws = at(v, "cloudProviders.AWS").or_else(|| at(v, "cloudProviders.aws"))?;
    let location = string(aws, "cloudLocation");
    Some(CloudMetadata {
        cloud_provider: CloudProvider::Aws,
        account_id: string(aws, "cloudAccount"),
        region: location
            .as_deref()
            .map(|l| {
                l.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                    .to_owned()
            })
            .filter(|r| !r.is_empty()),
        availability_zone: location,
        instance_id: string(aws, "cloudInstanceId"),
        instance_type: string(aws, "cloudInstanceSize"),
        image_id: string(aws, "cloudImage"),
        kernel_id: None,
        vpc_id: string(aws, "cloudNetwork"),
        subnet_id: strings(aws, "awsSubnetIds").into_iter().next(),
    })
}

/// The first `OU=` of a distinguished name.
fn org_unit(dn: Option<String>) -> Option<String> {
    dn?.split(',')
        .find_map(|part| part.trim().strip_prefix("OU=").map(str::to_owned))
}

fn real_domain(d: Option<String>) -> Option<String> {
    d.filter(|d| !d.eq_ignore_ascii_case("WORKGROUP"))
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

/// Maps a `/web/api/v2.1/agents` item.
pub fn map_device(raw: &Value, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = vendor_id(raw, "id")?;
    let vendor_updated_at = updated(raw, "updatedAt")?;
    let mut addrs = Addresses::default();
    interfaces(raw, "networkInterfaces", &mut addrs);
    addrs.ip_opt(string(raw, "externalIp"));
    addrs.ip_opt(string(raw, "lastIpToMgmt"));
    let host = string(raw, "computerName");
    let domain = real_domain(string(raw, "domain"));
    let mut identities = Vec::new();
    for user in [
        string(raw, "lastLoggedInUserName"),
        string(raw, "osUsername"),
    ]
    .into_iter()
    .flatten()
    {
        if !identities
            .iter()
            .any(|i: &Identity| i.username.as_deref() == Some(user.as_str()))
        {
            identities.push(Identity {
                username: Some(user),
                user_sid: None,
            });
        }
    }
    let ad = AdInfo {
        org_unit: org_unit(string(raw, "activeDirectory.computerDistinguishedName")),
        site_name: None,
        domain: domain.clone(),
        device_id: None,
    };
    let device = Device {
        id: record_id(ctx.connection_id, DataExportType::Devices, &id),
        status: device_status(
            boolean(raw, "isActive"),
            boolean(raw, "isDecommissioned").or(boolean(raw, "isUninstalled")),
            string(raw, "networkStatus").as_deref(),
        ),
        platform: platform(string(raw, "osType").as_deref()),
        hostnames: host.clone().into_iter().collect(),
        os_version: string(raw, "osName"),
        os_major_version: None,
        os_minor_version: string(raw, "osRevision"),
        fqdns: match (&host, &domain) {
            (Some(h), Some(d)) => vec![format!("{h}.{d}").to_ascii_lowercase()],
            _ => vec![],
        },
        ipv4s: addrs.ipv4s,
        ipv6s: addrs.ipv6s,
        mac_addresses: addrs.macs,
        last_seen: time(raw, "lastActiveDate"),
        first_seen: time(raw, "registeredAt").or_else(|| time(raw, "createdAt")),
        source_vendors: vec![SourceVendorInfo {
            vendor: VENDOR,
            vendor_id: id.clone(),
            agent_info: Some(AgentInfo {
                agent_version: string(raw, "agentVersion"),
                signature_version: None,
                policies: vec![pick(raw, &["mitigationMode", "mitigationModeSuspicious"])]
                    .into_iter()
                    .filter(|p| p.as_object().is_some_and(|o| !o.is_empty()))
                    .collect(),
            }),
        }],
        installed_software: vec![],
        ad_info: (ad.org_unit.is_some() || ad.domain.is_some()).then_some(ad),
        cloud_metadata: cloud(raw),
        tags: array(raw, "tags.sentinelone")
            .iter()
            .filter_map(|t| {
                string(t, "key").map(|key| Tag {
                    key,
                    value: string(t, "value"),
                    source: VENDOR.as_str().to_owned(),
                })
            })
            .collect(),
        identities,
        vendor_data: pick(
            raw,
            &[
                "uuid",
                "accountId",
                "accountName",
                "siteId",
                "siteName",
                "groupId",
                "groupName",
                "machineType",
                "osArch",
                "modelName",
                "infected",
                "activeThreats",
                "isUpToDate",
                "networkStatus",
                "isDecommissioned",
                "isUninstalled",
                "scanStatus",
            ],
        ),
        device_groups: Some(group(raw, "groupId", "groupName")),
    };
    Ok(MappedDevice {
        vendor_id: id,
        vendor_updated_at,
        device,
    })
}

fn group(v: &Value, id: &str, name: &str) -> Vec<DeviceGroup> {
    string(v, name)
        .map(|name| DeviceGroup {
            vendor_id: string(v, id),
            name,
        })
        .into_iter()
        .collect()
}

/// The device as a threat describes it (`agentRealtimeInfo`, `agentDetectionInfo`).
fn threat_device(ctx: &MapContext, agent_id: &str, rt: &Value, det: &Value) -> Device {
    let mut addrs = Addresses::default();
    interfaces(rt, "networkInterfaces", &mut addrs);
    for key in ["agentIpV4", "agentIpV6", "externalIp"] {
        addrs.ip_opt(string(det, key));
    }
    let host = string(rt, "agentComputerName");
    let domain = real_domain(string(rt, "agentDomain").or_else(|| string(det, "agentDomain")));
    Device {
        id: record_id(ctx.connection_id, DataExportType::Devices, agent_id),
        status: device_status(
            boolean(rt, "agentIsActive"),
            boolean(rt, "agentIsDecommissioned"),
            string(rt, "agentNetworkStatus").as_deref(),
        ),
        platform: platform(string(rt, "agentOsType").as_deref()),
        hostnames: host.clone().into_iter().collect(),
        os_version: string(rt, "agentOsName").or_else(|| string(det, "agentOsName")),
        os_major_version: None,
        os_minor_version: string(rt, "agentOsRevision").or_else(|| string(det, "agentOsRevision")),
        fqdns: match (&host, &domain) {
            (Some(h), Some(d)) => vec![format!("{h}.{d}").to_ascii_lowercase()],
            _ => vec![],
        },
        ipv4s: addrs.ipv4s,
        ipv6s: addrs.ipv6s,
        mac_addresses: addrs.macs,
        last_seen: None,
        first_seen: time(det, "agentRegisteredAt"),
        source_vendors: vec![SourceVendorInfo {
            vendor: VENDOR,
            vendor_id: agent_id.to_owned(),
            agent_info: Some(AgentInfo {
                agent_version: string(rt, "agentVersion"),
                signature_version: None,
                policies: vec![],
            }),
        }],
        installed_software: vec![],
        ad_info: domain.map(|d| AdInfo {
            org_unit: None,
            site_name: None,
            domain: Some(d),
            device_id: None,
        }),
        cloud_metadata: None,
        tags: vec![],
        identities: string(det, "agentLastLoggedInUserName")
            .map(|u| Identity {
                username: Some(u),
                user_sid: None,
            })
            .into_iter()
            .collect(),
        vendor_data: pick(
            rt,
            &[
                "agentUuid",
                "siteId",
                "siteName",
                "groupId",
                "groupName",
                "accountId",
                "accountName",
                "agentMachineType",
                "agentInfected",
            ],
        ),
        device_groups: Some(group(rt, "groupId", "groupName")),
    }
}

fn describe(ti: &Value) -> Option<String> {
    let classification = string(ti, "classification");
    let confidence = string(ti, "confidenceLevel");
    let engines = strings(ti, "engines");
    let path = string(ti, "filePath");
    if classification.is_none() && path.is_none() {
        return None;
    }
    let mut d = classification.unwrap_or_else(|| "Threat".into());
    if let Some(c) = confidence {
        d.push_str(&format!(" ({c})"));
    }
    if !engines.is_empty() {
        d.push_str(&format!(" detected by {}", engines.join(", ")));
    }
    if let Some(p) = path {
        d.push_str(&format!(" at {p}"));
    }
    Some(d)
}

/// Maps a `/web/api/v2.1/threats` item.
pub fn map_alert(raw: &Value, ctx: &MapContext) -> Result<MappedAlert, MappingError> {
    let id = vendor_id(raw, "id")?;
    let empty = json!({});
    let ti = object_or_err(raw, "threatInfo")?.unwrap_or(&empty);
    let rt = object_or_err(raw, "agentRealtimeInfo")?.unwrap_or(&empty);
    let det = object_or_err(raw, "agentDetectionInfo")?.unwrap_or(&empty);
    let vendor_updated_at = updated(ti, "updatedAt")?;
    let incident = string(ti, "incidentStatus");
    let confidence = string(ti, "confidenceLevel");
    let path = string(ti, "filePath");
    let user = string(ti, "processUser").or_else(|| string(det, "agentLastLoggedInUserName"));
    let ad_domain = user
        .as_deref()
        .and_then(|u| u.split_once('\\'))
        .map(|(d, _)| d.to_owned());
    let device_vendor_id = string(rt, "agentId");
    let device = device_vendor_id
        .as_deref()
        .map(|a| threat_device(ctx, a, rt, det));
    let mut mitre = MitreBuilder::default();
    for indicator in array(raw, "indicators") {
        for tactic in array(indicator, "tactics") {
            let source = string(tactic, "source");
            let techniques = array(tactic, "techniques");
            if techniques.is_empty() {
                mitre.add(string(tactic, "name"), None, source.as_deref(), None);
            }
            for t in techniques {
                // SentinelOne puts the technique id in `name`.
                let tid = string(t, "name");
                mitre.add(
                    string(tactic, "name"),
                    None,
                    source.as_deref(),
                    technique(tid, None).map(|mut x| {
                        x.technique_link = string(t, "link").or(x.technique_link);
                        x
                    }),
                );
            }
        }
    }
    let mut obs = Observables::default();
    for algo in ["sha1", "sha256", "md5"] {
        obs.hash(algo, string(ti, algo).as_deref());
    }
    obs.add(
        "file.name",
        ObservableType::FileName,
        path.as_deref().and_then(basename).as_deref(),
    );
    obs.path(path.as_deref());
    obs.add(
        "process.cmd_line",
        ObservableType::CommandLine,
        string(ti, "maliciousProcessArguments").as_deref(),
    );
    obs.add(
        "process.parent_process.name",
        ObservableType::ProcessName,
        string(ti, "originatorProcess").as_deref(),
    );
    obs.add("actor.user.name", ObservableType::UserName, user.as_deref());
    if let Some(d) = &device {
        for h in &d.hostnames {
            obs.add("device.hostname", ObservableType::Hostname, Some(h));
        }
        for ip in d.ipv4s.iter().chain(&d.ipv6s) {
            obs.ip("device.ip", ip);
        }
        for m in &d.mac_addresses {
            obs.add("device.mac", ObservableType::MacAddress, Some(m));
        }
    }
    let alert = Alert {
        id: record_id(ctx.connection_id, DataExportType::Alerts, &id),
        vendor_id: id.clone(),
        title: string(ti, "threatName").or_else(|| string(ti, "classification")),
        description: describe(ti),
        assigned_user: None,
        severity: severity(confidence.as_deref()),
        vendor_severity: confidence,
        status: status(incident.as_deref()),
        vendor_status: incident.clone(),
        first_event_time: time(ti, "identifiedAt").or_else(|| time(ti, "createdAt")),
        last_event_time: time(ti, "identifiedAt").or_else(|| time(ti, "createdAt")),
        resolved_time: (incident.as_deref() == Some("resolved"))
            .then(|| time(ti, "updatedAt"))
            .flatten(),
        vendor: VENDOR,
        pid: None,
        process_created_at: None,
        process_filename: path
            .as_deref()
            .and_then(basename)
            .or_else(|| string(ti, "threatName")),
        process_command_line: string(ti, "maliciousProcessArguments"),
        process_filepath: path,
        process_sha1: real_hash(string(ti, "sha1")),
        process_sha256: real_hash(string(ti, "sha256")),
        process_md5: real_hash(string(ti, "md5")),
        parent_pid: None,
        user_name: user,
        windows_sid: None,
        active_directory_user_id: None,
        active_directory_domain: ad_domain.filter(|d| !d.eq_ignore_ascii_case("WORKGROUP")),
        device,
        mitre: mitre.build(),
        observables: Some(obs.build()),
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
            connection_id: Uuid::from_u128(7),
        }
    }

    fn agent() -> Value {
        json!({
            "id": "1101123456789012345", "uuid": "ab12", "computerName": "FIN-LT-042", "domain": "corp.example",
            "osType": "windows", "osName": "Windows 11 Pro", "osRevision": "22631", "agentVersion": "23.4.2.14",
            "isActive": true, "isDecommissioned": false, "networkStatus": "connected",
            "lastActiveDate": "2026-11-01T10:00:00.123456Z", "registeredAt": "2025-01-02T03:04:05.000000Z",
            "updatedAt": "2026-11-01T10:05:00.000001Z", "externalIp": "198.51.100.7", "lastIpToMgmt": "10.1.2.3",
            "lastLoggedInUserName": "jdoe", "groupId": "9", "groupName": "Laptops", "siteName": "HQ",
            "mitigationMode": "protect", "mitigationModeSuspicious": "detect",
            "activeDirectory": {"computerDistinguishedName": "CN=FIN-LT-042,OU=Finance,DC=corp,DC=example"},
            "networkInterfaces": [{"inet": ["10.1.2.3"], "inet6": ["fe80::1"], "physical": "AA-BB-CC-00-11-22"}],
            "tags": {"sentinelone": [{"key": "env", "value": "prod"}]},
            "cloudProviders": {"AWS": {"cloudAccount": "123456789012", "cloudInstanceId": "i-0abc", "cloudLocation": "us-east-1a", "cloudInstanceSize": "t3.large", "cloudImage": "ami-1", "cloudNetwork": "vpc-1", "awsSubnetIds": ["subnet-1"]}}
        })
    }

    #[test]
    fn agent_fields() {
        let m = map_device(&agent(), &ctx()).unwrap();
        let d = &m.device;
        assert_eq!(m.vendor_id, "1101123456789012345");
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
            (Platform::Windows, Some(DeviceStatus::Active))
        );
        assert_eq!(d.hostnames, vec!["FIN-LT-042"]);
        assert_eq!(d.fqdns, vec!["fin-lt-042.corp.example"]);
        assert_eq!(d.ipv4s, vec!["10.1.2.3", "198.51.100.7"]);
        assert_eq!(d.ipv6s, vec!["fe80::1"]);
        assert_eq!(d.mac_addresses, vec!["aa:bb:cc:00:11:22"]);
        assert_eq!(
            d.ad_info.as_ref().unwrap().org_unit.as_deref(),
            Some("Finance")
        );
        let cloud = d.cloud_metadata.as_ref().unwrap();
        assert_eq!(
            (cloud.region.as_deref(), cloud.instance_id.as_deref()),
            (Some("us-east-1"), Some("i-0abc"))
        );
        assert_eq!(d.tags[0].key, "env");
        assert_eq!(d.identities[0].username.as_deref(), Some("jdoe"));
        assert_eq!(d.device_groups.as_ref().unwrap()[0].name, "Laptops");
        assert_eq!(
            d.source_vendors[0]
                .agent_info
                .as_ref()
                .unwrap()
                .agent_version
                .as_deref(),
            Some("23.4.2.14")
        );
        assert!(m.vendor_updated_at.is_some());
    }

    #[test]
    fn tables() {
        assert_eq!(platform(Some("macos")), Platform::Mac);
        assert_eq!(platform(Some("windows_legacy")), Platform::Windows);
        assert_eq!(platform(Some("linux")), Platform::Linux);
        assert_eq!(platform(Some("chromeos")), Platform::Unknown);
        assert_eq!(
            device_status(Some(true), Some(false), Some("disconnected")),
            Some(DeviceStatus::Quarantined)
        );
        assert_eq!(
            device_status(Some(false), None, Some("connected")),
            Some(DeviceStatus::Offline)
        );
        assert_eq!(
            device_status(None, Some(true), None),
            Some(DeviceStatus::Offline)
        );
        assert_eq!(device_status(None, None, Some("weird")), None);
        assert_eq!(severity(Some("malicious")), AlertSeverity::High);
        assert_eq!(severity(Some("suspicious")), AlertSeverity::Medium);
        assert_eq!(severity(Some("n/a")), AlertSeverity::Info);
        assert_eq!(severity(Some("new_level")), AlertSeverity::None);
        assert_eq!(status(Some("in_progress")), AlertStatus::InProgress);
        assert_eq!(status(Some("resolved")), AlertStatus::Resolved);
        assert_eq!(status(Some("unresolved")), AlertStatus::Unresolved);
        assert_eq!(status(Some("archived")), AlertStatus::Unknown);
    }

    #[test]
    fn threat_fields() {
        let raw = json!({
            "id": "2201", "indicators": [{"tactics": [{"name": "Defense Evasion", "source": "MITRE",
                "techniques": [{"name": "T1055", "link": "https://attack.mitre.org/techniques/T1055/"}]}]}],
            "threatInfo": {"threatName": "evil.exe", "classification": "Trojan", "confidenceLevel": "malicious",
                "incidentStatus": "resolved", "filePath": "\\Device\\HarddiskVolume3\\Users\\jdoe\\evil.exe",
                "sha1": "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", "md5": null, "processUser": "CORP\\jdoe",
                "maliciousProcessArguments": "evil.exe -x", "originatorProcess": "explorer.exe", "engines": ["SentinelOne Cloud"],
                "identifiedAt": "2026-11-01T10:00:00.000000Z", "updatedAt": "2026-11-02T10:00:00.000000Z"},
            "agentRealtimeInfo": {"agentId": "1101123456789012345", "agentComputerName": "FIN-LT-042", "agentOsType": "windows",
                "agentDomain": "WORKGROUP", "networkInterfaces": [{"inet": ["10.1.2.3"], "physical": "aa:bb:cc:00:11:22"}]},
            "agentDetectionInfo": {"agentIpV4": "10.1.2.3", "externalIp": "198.51.100.7"}
        });
        let m = map_alert(&raw, &ctx()).unwrap();
        let a = &m.alert;
        assert_eq!(
            (a.severity, a.status),
            (AlertSeverity::High, AlertStatus::Resolved)
        );
        assert_eq!(a.resolved_time, time(&raw, "threatInfo.updatedAt"));
        assert_eq!(a.process_filename.as_deref(), Some("evil.exe"));
        assert_eq!(a.user_name.as_deref(), Some("CORP\\jdoe"));
        assert_eq!(a.active_directory_domain.as_deref(), Some("CORP"));
        assert_eq!(a.mitre[0].tactic_id.as_deref(), Some("TA0005"));
        assert_eq!(
            a.mitre[0].techniques[0].technique_id.as_deref(),
            Some("T1055")
        );
        let d = a.device.as_ref().unwrap();
        assert_eq!(
            d.id,
            record_id(
                ctx().connection_id,
                DataExportType::Devices,
                "1101123456789012345"
            )
        );
        assert_eq!(m.device_vendor_id.as_deref(), Some("1101123456789012345"));
        assert!(d.fqdns.is_empty(), "WORKGROUP is not a domain");
        let types: Vec<u8> = a
            .observables
            .as_ref()
            .unwrap()
            .iter()
            .map(|o| o.kind().type_id())
            .collect();
        for t in [8, 7, 99, 13, 9, 4, 1, 2, 3] {
            assert!(types.contains(&t), "type {t} in {types:?}");
        }
    }

    #[test]
    fn refuses_records_without_identity_or_shape() {
        assert!(map_alert(&json!("x"), &ctx()).is_err());
        assert!(map_alert(&json!({"threatInfo": {}}), &ctx()).is_err());
        assert!(map_alert(&json!({"id": "1", "threatInfo": "oops"}), &ctx()).is_err());
        assert!(map_device(&json!({"id": "1", "updatedAt": "not a time"}), &ctx()).is_err());
        assert!(
            map_device(&json!({"id": 5}), &ctx()).is_ok(),
            "numeric ids are accepted"
        );
    }
}
