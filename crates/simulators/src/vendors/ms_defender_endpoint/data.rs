//! Defender machine and alert objects, and their ids: 40-hex machine ids and alert ids
//! shaped `da<ticks>_<n>` that encode the record's index.

use std::{collections::HashSet, sync::OnceLock};

use serde_json::{json, Value};

use crate::{
    collection::CollectionSpec,
    dataset::RecordRef,
    edr::{
        catalog::Family,
        collections::{alerts, alerts_spec, devices_spec, field_paths, ALERTS, DEVICES},
        profiles::{alert, device, AlertCore, DeviceCore},
    },
    fake::{by_roll, dotnet_ticks, fmt_ts, mac_string, progressed, Rng, MIN, SEC},
    ids::{decode_hex_id, feistel, hex_id, unfeistel},
    world::World,
};

use super::super::ms_entra::login::tenant_id;

/// Seven fractional digits: 100 ns.
pub(crate) const COLLECTIONS: &[CollectionSpec] = &[devices_spec(100), alerts_spec(100)];

const MACHINE_KEY: u64 = 0xde7e;
const ALERT_KEY: u64 = 0xda1e;

pub(crate) fn machine_id(seed: u64, index: u64) -> String {
    hex_id(seed ^ MACHINE_KEY, index, 40)
}

pub(crate) fn decode_machine_id(seed: u64, id: &str) -> Option<u64> {
    decode_hex_id(seed ^ MACHINE_KEY, &id.to_ascii_lowercase(), 40)
}

/// `da` + .NET ticks of the alert's creation + `_` + a 10-digit number encoding the index.
pub(crate) fn alert_id(world: &World, index: u64) -> String {
    // A deleted alert keeps its id (a report of deletions names it).
    let data = alerts(world);
    let created = (data.get(index).or_else(|| data.tombstone(index)))
        .map(|r| alert(world, &r).created)
        .unwrap_or(0);
    format!(
        "da{}_{:010}",
        dotnet_ticks(created),
        feistel(index, 100_000, world.seed ^ ALERT_KEY)
    )
}

pub(crate) fn decode_alert_id(world: &World, id: &str) -> Option<u64> {
    let (_, n) = id.strip_prefix("da")?.split_once('_')?;
    let n: u64 = n.parse().ok()?;
    let index = unfeistel(n, 100_000, world.seed ^ ALERT_KEY);
    (index < alerts(world).created() && alert_id(world, index) == id).then_some(index)
}

fn fqdn(d: &DeviceCore) -> String {
    match d.domain {
        Some(dom) => format!(
            "{}.{}.example.com",
            d.hostname.to_lowercase(),
            dom.to_lowercase()
        ),
        None => d.hostname.to_lowercase(),
    }
}

/// Health moves on with each check-in for one machine in five.
fn health(d: &DeviceCore, r: &mut Rng) -> &'static str {
    const CYCLE: [&str; 4] = [
        "Active",
        "ImpairedCommunication",
        "Inactive",
        "NoSensorData",
    ];
    let start = r.weighted(&[
        ("Active", 86),
        ("Inactive", 8),
        ("ImpairedCommunication", 2),
        ("NoSensorData", 2),
        ("NoSensorDataImpairedCommunication", 1),
        ("Unknown", 1),
    ]);
    progressed(start, if d.index % 5 == 0 { d.version } else { 0 }, &CYCLE)
}

fn agent_version(d: &DeviceCore) -> String {
    match d.os.family {
        Family::Windows => format!(
            "10.8760.{}.{}",
            d.os.build,
            4000 + d.agent_version_index * 100
        ),
        _ => format!(
            "101.24{:02}2.000{}",
            1 + d.agent_version_index,
            d.agent_version_index
        ),
    }
}

/// The machine for record `r`.
pub(crate) fn render_machine(world: &World, r: &RecordRef) -> Value {
    let d = device(world, r);
    let mut g = Rng::for_record(world.seed, 0xde01, d.index);
    let mac = mac_string(d.mac, "", true);
    let mut ips = vec![
        json!({"ipAddress": d.local_ip, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up"}),
        json!({"ipAddress": d.ipv6, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up"}),
    ];
    if d.os.family == Family::Windows {
        ips.push(json!({"ipAddress": "127.0.0.1", "macAddress": null, "type": "SoftwareLoopback", "operationalStatus": "Up"}));
    }
    let aad = d.os.family == Family::Windows && !d.os.server && g.chance(70);
    let vm = d.cloud.as_ref().map(|(instance, _, account)| {
        json!({"vmId": instance, "cloudProvider": "AWS", "resourceId": format!("arn:aws:ec2:::instance/{instance}"), "subscriptionId": account})
    });
    let tags: Vec<&str> = match (d.os.server, d.index % 7) {
        (true, _) => vec!["Servers"],
        (false, 0) => vec!["VIP"],
        _ => vec![],
    };
    json!({
        "id": machine_id(world.seed, d.index),
        "mergedIntoMachineId": null,
        "isPotentialDuplication": false,
        "isExcluded": false, "exclusionReason": null,
        "computerDnsName": fqdn(&d),
        "firstSeen": fmt_ts(d.first_seen, 7),
        "lastSeen": fmt_ts(d.updated, 7),
        "osPlatform": d.os.platform_key,
        "osVersion": null,
        "osProcessor": if d.os.family == Family::Mac { "ARM64" } else { "x64" },
        "version": d.os.release,
        "lastIpAddress": d.local_ip,
        "lastExternalIpAddress": d.external_ip,
        "agentVersion": agent_version(&d),
        "osBuild": d.os.build.parse::<u64>().ok(),
        "healthStatus": health(&d, &mut g),
        "deviceValue": g.weighted(&[("Normal", 85), ("High", 10), ("Low", 5)]),
        "rbacGroupId": d.site,
        "rbacGroupName": rbac_group(d.site),
        "riskScore": g.weighted(&[("None", 40), ("Informational", 10), ("Low", 25), ("Medium", 15), ("High", 10)]),
        "exposureLevel": g.weighted(&[("None", 5), ("Low", 45), ("Medium", 35), ("High", 15)]),
        "isAadJoined": aad,
        "aadDeviceId": if aad { json!(g.guid()) } else { Value::Null },
        "machineTags": tags,
        "onboardingStatus": g.weighted(&[("Onboarded", 94), ("CanBeOnboarded", 3), ("Unsupported", 2), ("InsufficientInfo", 1)]),
        "osArchitecture": if d.os.legacy { "32-bit" } else { "64-bit" },
        "managedBy": g.weighted(&[("MicrosoftDefenderForEndpoint", 60), ("Intune", 35), ("ConfigMgr", 5)]),
        "managedByStatus": g.weighted(&[("Success", 80), ("Unknown", 20)]),
        "ipAddresses": ips,
        "vmMetadata": vm,
    })
}

/// Device groups: the first site is in no named group.
fn rbac_group(site: usize) -> Value {
    [Value::Null, json!("Servers"), json!("Remote Workers")][site].clone()
}

fn severity(a: &AlertCore) -> &'static str {
    match a.severity {
        _ if a.roll[3] % 100 == 0 => "UnSpecified",
        70.. => "High",
        50.. => "Medium",
        20.. => "Low",
        _ => "Informational",
    }
}

/// (status, classification, determination) after `version` changes.
fn status(a: &AlertCore) -> (&'static str, Value, Value) {
    let start = by_roll(
        a.roll[0],
        &[
            ("New", 55),
            ("InProgress", 15),
            ("Resolved", 28),
            ("Unknown", 2),
        ],
    );
    let status = progressed(start, a.version, &["New", "InProgress", "Resolved"]);
    if status != "Resolved" {
        return (status, Value::Null, Value::Null);
    }
    let (class, dets): (&str, &[&str]) = by_roll(
        a.roll[1],
        &[
            (
                (
                    "TruePositive",
                    &[
                        "Malware",
                        "MultiStagedAttack",
                        "MaliciousUserActivity",
                        "CompromisedUser",
                        "Phishing",
                        "UnwantedSoftware",
                        "Other",
                    ][..],
                ),
                60,
            ),
            (
                (
                    "FalsePositive",
                    &["Clean", "NotMalicious", "InsufficientData", "Other"][..],
                ),
                25,
            ),
            (
                (
                    "InformationalExpectedActivity",
                    &[
                        "SecurityTesting",
                        "LineOfBusinessApplication",
                        "ConfirmedActivity",
                        "ConfirmedUserActivity",
                    ][..],
                ),
                15,
            ),
        ],
    );
    let det = dets[(a.roll[2] % dets.len() as u64) as usize];
    (status, json!(class), json!(det))
}

/// The alert for record `r`; `evidence` only with `$expand=evidence`.
pub(crate) fn render_alert(world: &World, r: &RecordRef, expand: bool) -> Value {
    let a = alert(world, r);
    let mut g = Rng::for_record(world.seed, 0xde02, r.index);
    let d = &a.device;
    let (status, classification, determination) = status(&a);
    let ts = |ns: i64| fmt_ts(ns, 7);
    let s = a.scenario;
    let mitre: Vec<&str> = if s.technique_id.starts_with('T') {
        vec![s.technique_id]
    } else {
        vec![]
    };
    let assigned = status != "New" && a.roll[1] % 3 != 0;
    json!({
        "id": alert_id(world, r.index),
        "incidentId": 100_000 + r.index / 2,
        "investigationId": if a.roll[2] % 3 == 0 { Value::Null } else { json!(50_000 + r.index) },
        "assignedTo": if assigned { json!(format!("{}@example.com", ["soc.analyst", "secops", "priya.tanaka"][(a.roll[1] % 3) as usize])) } else { Value::Null },
        "severity": severity(&a),
        "status": status,
        "classification": classification,
        "determination": determination,
        "investigationState": g.weighted(&[("Queued", 30), ("Running", 10), ("SuccessfullyRemediated", 20), ("Benign", 10), ("PartiallyRemediated", 5), ("Failed", 3), ("UnsupportedAlertType", 15), ("TerminatedBySystem", 4), ("PendingApproval", 3)]),
        "detectionSource": g.weighted(&[("WindowsDefenderAtp", 55), ("WindowsDefenderAv", 25), ("CustomDetection", 8), ("AutomatedInvestigation", 7), ("CustomerTI", 5)]),
        "detectorId": crate::ids::guid_id(world.seed ^ 0xde7c, s.pattern_id as u64, false),
        "category": s.category,
        "threatFamilyName": if s.category == "Ransomware" || s.category == "Malware" { json!(s.classification) } else { Value::Null },
        "title": s.title,
        "description": s.description,
        "alertCreationTime": ts(a.created),
        "firstEventTime": ts(a.event_time),
        "lastEventTime": ts(a.event_time + 45 * SEC + 1_234_500),
        "lastUpdateTime": ts(a.updated),
        "resolvedTime": if status == "Resolved" { json!(ts(a.updated)) } else { Value::Null },
        "machineId": machine_id(world.seed, d.index),
        "computerDnsName": fqdn(d),
        "rbacGroupName": rbac_group(d.site),
        "aadTenantId": tenant_id(world.seed),
        "threatName": if s.category == "Malware" { json!(format!("Trojan:Win32/{}", s.pattern_name)) } else { Value::Null },
        "mitreTechniques": mitre,
        "relatedUser": if d.os.family == Family::Windows { json!({"userName": a.user, "domainName": d.domain.unwrap_or("WORKGROUP")}) } else { Value::Null },
        "loggedOnUsers": [{"accountName": a.user, "domainName": d.domain.unwrap_or("WORKGROUP")}],
        "comments": if assigned { json!([{"comment": "Investigating.", "createdBy": "soc.analyst@example.com", "createdTime": ts(a.created + 12 * MIN)}]) } else { json!([]) },
        "evidence": if expand { evidence(&a) } else { json!([]) },
    })
}

const EVIDENCE_KEYS: &[&str] = &[
    "entityType",
    "evidenceCreationTime",
    "sha1",
    "sha256",
    "fileName",
    "filePath",
    "processId",
    "processCommandLine",
    "processCreationTime",
    "parentProcessId",
    "parentProcessCreationTime",
    "parentProcessFileName",
    "parentProcessFilePath",
    "ipAddress",
    "url",
    "registryKey",
    "registryHive",
    "registryValueType",
    "registryValue",
    "accountName",
    "domainName",
    "userSid",
    "aadUserId",
    "userPrincipalName",
    "detectionStatus",
];

/// One evidence item: every key present, the unused ones null.
fn item(fields: Value) -> Value {
    let mut v = serde_json::Map::new();
    for k in EVIDENCE_KEYS {
        v.insert(
            (*k).to_owned(),
            fields.get(*k).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(v)
}

fn evidence(a: &AlertCore) -> Value {
    let s = a.scenario;
    let d = &a.device;
    let at = fmt_ts(a.created + 700 * 1_000_000, 7);
    let user = item(
        json!({"entityType": "User", "evidenceCreationTime": at, "accountName": a.user,
        "domainName": d.domain.unwrap_or("WORKGROUP"), "userSid": a.user_sid,
        "aadUserId": crate::ids::guid_id(a.index, 1, false), "userPrincipalName": format!("{}@example.com", a.user)}),
    );
    let process = item(
        json!({"entityType": "Process", "evidenceCreationTime": at, "sha1": a.sha1, "sha256": a.sha256,
        "fileName": s.filename, "filePath": s.folder, "processId": a.pid, "processCommandLine": a.command_line(),
        "processCreationTime": fmt_ts(a.event_time, 7), "parentProcessId": a.parent_pid,
        "parentProcessCreationTime": fmt_ts(a.event_time - 57_123_456_700, 7),
        "parentProcessFileName": s.parent, "parentProcessFilePath": s.parent_folder, "detectionStatus": "Detected"}),
    );
    let file = item(
        json!({"entityType": "File", "evidenceCreationTime": at, "sha1": a.sha1, "sha256": a.sha256,
        "fileName": s.filename, "filePath": s.folder,
        "detectionStatus": by_roll(a.roll[3], &[("Detected", 70), ("Blocked", 20), ("Prevented", 10)])}),
    );
    let mut items = vec![user, process, file];
    if s.category == "CommandAndControl" {
        items.push(item(
            json!({"entityType": "Ip", "evidenceCreationTime": at, "ipAddress": "203.0.113.50"}),
        ));
        items.push(item(json!({"entityType": "Url", "evidenceCreationTime": at, "url": "http://pool.example.net/payload"})));
    }
    if s.category == "Persistence" && d.os.family == Family::Windows {
        items.push(item(json!({"entityType": "RegistryValue", "evidenceCreationTime": at,
            "registryKey": "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "registryHive": "HKEY_CURRENT_USER",
            "registryValueType": "String", "registryValue": "C:\\ProgramData\\svch0st.exe"})));
    }
    Value::Array(items)
}

/// Every field path `$filter` may name, collected from rendered records.
pub(crate) fn known_fields(kind: &str) -> &'static HashSet<String> {
    static DEVICE_FIELDS: OnceLock<HashSet<String>> = OnceLock::new();
    static ALERT_FIELDS: OnceLock<HashSet<String>> = OnceLock::new();
    if kind == "alerts" {
        ALERT_FIELDS.get_or_init(|| {
            field_paths(
                COLLECTIONS,
                (60, 300),
                ALERTS,
                |w: &World, r: &RecordRef| render_alert(w, r, true),
            )
        })
    } else {
        DEVICE_FIELDS.get_or_init(|| field_paths(COLLECTIONS, (60, 300), DEVICES, render_machine))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edr::collections::{alert_device, devices, sample_world};

    #[test]
    fn ids_decode_and_alerts_link_to_machines() {
        let w = sample_world(42, COLLECTIONS, 100, 500);
        for i in [0, 3, 250, 499] {
            let id = alert_id(&w, i);
            assert!(id.starts_with("da6") && id.len() == 31, "{id}");
            assert_eq!(decode_alert_id(&w, &id), Some(i));
            let a = render_alert(&w, &alerts(&w).get(i).unwrap(), false);
            assert_eq!(
                decode_machine_id(42, a["machineId"].as_str().unwrap()),
                Some(alert_device(&w, i))
            );
            assert_eq!(a["evidence"], json!([]));
        }
        assert_eq!(decode_alert_id(&w, "da637472900382838869_1364969609"), None);
        let m = render_machine(&w, &devices(&w).get(5).unwrap());
        assert_eq!(m["id"].as_str().unwrap().len(), 40);
        assert!(known_fields("alerts").contains("evidence.sha256"));
    }
}
