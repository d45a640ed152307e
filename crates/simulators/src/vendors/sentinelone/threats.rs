//! SentinelOne threat objects (the shape of `GET /web/api/v2.1/threats` records):
//! `threatInfo`, the agent's real-time and detection-time views, indicators, mitigation.

use serde_json::{json, Value};

use super::agents::{agent_id, agent_state, interfaces, os_type, Tenant};
use crate::{
    dataset::RecordRef,
    edr::{
        catalog::Family,
        collections::devices,
        profiles::{alert, device, AlertCore, DeviceCore},
    },
    fake::{by_roll, fmt_ts, progressed, Rng, SEC},
    ids::{decode_snowflake, mix64, snowflake},
    world::World,
};

/// Threat ids: 19-digit snowflakes, later than every agent id.
fn threat_base(seed: u64) -> u64 {
    1_800_000_000_000_000_000 + mix64(seed ^ 0x7e3a) % 100_000_000_000_000_000
}

pub(crate) fn threat_id(seed: u64, index: u64) -> String {
    snowflake(threat_base(seed), seed ^ 0x7e3a, index).to_string()
}

pub(crate) fn decode_threat_id(seed: u64, id: &str) -> Option<u64> {
    decode_snowflake(threat_base(seed), seed ^ 0x7e3a, id)
}

const INCIDENT: [&str; 3] = ["unresolved", "in_progress", "resolved"];

/// (incident status, analyst verdict, mitigation status) after `version` changes.
fn status(a: &AlertCore) -> (&'static str, &'static str, &'static str) {
    let start = by_roll(
        a.roll[0],
        &[("unresolved", 60), ("in_progress", 15), ("resolved", 25)],
    );
    let incident = progressed(start, a.version, &INCIDENT);
    let verdict = match incident {
        "resolved" => by_roll(
            a.roll[1],
            &[
                ("true_positive", 65),
                ("false_positive", 30),
                ("suspicious", 5),
            ],
        ),
        "in_progress" => by_roll(a.roll[1], &[("suspicious", 60), ("undefined", 40)]),
        _ => "undefined",
    };
    let mitigation = match (incident, verdict) {
        (_, "false_positive") => "marked_as_benign",
        ("resolved", _) => "mitigated",
        _ => by_roll(a.roll[2], &[("mitigated", 55), ("not_mitigated", 45)]),
    };
    (incident, verdict, mitigation)
}

fn describe(v: &str) -> String {
    match v {
        "n/a" => "N/A".into(),
        "in_progress" => "In Progress".into(),
        "not_mitigated" => "Not mitigated".into(),
        "marked_as_benign" => "Marked as benign".into(),
        _ => {
            let spaced = v.replace('_', " ");
            let mut c = spaced.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// A Windows path as the agent reports it (`\Device\HarddiskVolume3\…`).
fn device_path(a: &AlertCore) -> String {
    match a.device.os.family {
        Family::Windows => {
            let p = a.file_path('\\');
            format!("\\Device\\HarddiskVolume3{}", p.get(2..).unwrap_or(&p))
        }
        _ => a.file_path('/'),
    }
}

/// The threat for record `r`.
pub(crate) fn render(world: &World, t: &Tenant, r: &RecordRef) -> Value {
    let a = alert(world, r);
    let mut g = Rng::for_record(world.seed, 0x5103, r.index);
    let (incident, verdict, mitigation) = status(&a);
    let id = threat_id(world.seed, r.index);
    let ts = |ns: i64| fmt_ts(ns, 6);
    let confidence = match a.severity {
        _ if a.roll[3] % 50 == 0 => "n/a",
        s if s >= 70 => "malicious",
        _ => "suspicious",
    };
    let ext = a
        .scenario
        .filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_uppercase());
    let process_user = match a.device.domain {
        Some(dom) => format!("{dom}\\{}", a.user),
        None => a.user.clone(),
    };
    let engine = g.weighted(&[
        (("sentinelone_cloud", "SentinelOne Cloud"), 40),
        (("pre_execution", "On-Write Static AI"), 35),
        (("executables", "Behavioral AI"), 25),
    ]);
    json!({
        "agentDetectionInfo": detection_info(world, t, &a),
        "agentRealtimeInfo": realtime_info(world, t, &a.device),
        "containerInfo": {"id": null, "image": null, "labels": null, "name": null},
        "id": id,
        "indicators": indicators(&a, &mut g),
        "kubernetesInfo": kubernetes(&a.device),
        "mitigationStatus": mitigation_actions(&a, mitigation),
        "threatInfo": {
            "analystVerdict": verdict, "analystVerdictDescription": describe(verdict),
            "automaticallyResolved": false, "browserType": null, "certificateId": "",
            "classification": a.scenario.classification,
            "classificationSource": g.weighted(&[("Static", 40), ("Cloud", 40), ("Engine", 20)]),
            "cloudFilesHashVerdict": g.weighted(&[(Some("black"), 60), (Some("provider_unknown"), 30), (None, 10)]),
            "collectionId": snowflake(threat_base(world.seed) - 1_000_000_000, world.seed, r.index / 3).to_string(),
            "confidenceLevel": confidence,
            "createdAt": ts(a.created),
            "detectionEngines": [{"key": engine.0, "title": engine.1}],
            "detectionType": if engine.0 == "executables" { "dynamic" } else { "static" },
            "engines": [engine.1],
            "externalTicketExists": false, "externalTicketId": null, "failedActions": false,
            "fileExtension": ext,
            "fileExtensionType": if ext.as_deref() == Some("EXE") { "Executable" } else { "Unknown" },
            "filePath": device_path(&a),
            "fileSize": 20_000 + g.below(4_000_000),
            "fileVerificationType": g.weighted(&[("NotSigned", 70), ("SignedVerified", 20), ("SignedInvalid", 10)]),
            "identifiedAt": ts(a.event_time),
            "incidentStatus": incident, "incidentStatusDescription": describe(incident),
            "initiatedBy": g.weighted(&[("agent_policy", 85), ("full_disk_scan", 10), ("console_api", 5)]),
            "initiatedByDescription": "Agent Policy",
            "initiatingUserId": null, "initiatingUsername": null,
            "isFileless": a.scenario.filename == "powershell.exe" && g.chance(30),
            "isValidCertificate": false,
            "maliciousProcessArguments": if g.chance(80) { json!(a.scenario.args) } else { Value::Null },
            "md5": if g.chance(30) { json!(a.md5) } else { Value::Null },
            "mitigatedPreemptively": false,
            "mitigationStatus": mitigation, "mitigationStatusDescription": describe(mitigation),
            "originatorProcess": a.scenario.parent,
            "pendingActions": false,
            "processUser": process_user,
            "publisherName": "",
            "reachedEventsLimit": false, "rebootRequired": false,
            "sha1": a.sha1,
            "sha256": if g.chance(50) { json!(a.sha256) } else { Value::Null },
            "storyline": g.hex(16).to_uppercase(),
            "threatId": id,
            "threatName": a.scenario.filename,
            "updatedAt": ts(a.updated),
        },
        "whiteningOptions": ["hash", "path"],
    })
}

/// The agent as it is now (same values as the agents endpoint).
pub(crate) fn realtime_info(world: &World, t: &Tenant, d: &DeviceCore) -> Value {
    let s = agent_state(world.seed, d);
    let (site_id, site_name, group_id, group_name) = t.placement(d);
    json!({
        "accountId": t.account_id, "accountName": t.account_name,
        "activeThreats": s.active_threats,
        "agentComputerName": d.hostname, "agentDecommissionedAt": null,
        "agentDomain": d.domain.unwrap_or("WORKGROUP"),
        "agentId": agent_id(world.seed, d.index),
        "agentInfected": s.active_threats > 0,
        "agentIsActive": s.network_status == "connected" && !s.decommissioned,
        "agentIsDecommissioned": s.decommissioned,
        "agentMachineType": s.machine_type, "agentMitigationMode": s.mitigation,
        "agentNetworkStatus": s.network_status,
        "agentOsName": d.os.full_name, "agentOsRevision": d.os.build, "agentOsType": os_type(d),
        "agentUuid": s.uuid,
        "agentVersion": format!("23.4.{}.{}", d.agent_version_index + 1, 100 + d.index % 300),
        "groupId": group_id, "groupName": group_name,
        "networkInterfaces": interfaces(d, world.seed),
        "operationalState": "na", "rebootRequired": false,
        "scanAbortedAt": null,
        "scanFinishedAt": fmt_ts(d.first_seen + 45 * 60 * SEC, 6),
        "scanStartedAt": fmt_ts(d.first_seen + 5 * 60 * SEC, 6),
        "scanStatus": "finished",
        "siteId": site_id, "siteName": site_name,
        "storageName": null, "storageType": null,
        "userActionsNeeded": [],
    })
}

/// The agent as it was when the threat was detected (its first version).
fn detection_info(world: &World, t: &Tenant, a: &AlertCore) -> Value {
    let first = devices(world)
        .get(a.device.index)
        .map(|r| RecordRef { version: 0, ..r });
    let d = first
        .map(|r| device(world, &r))
        .unwrap_or_else(|| a.device.clone());
    let s = agent_state(world.seed, &d);
    let (site_id, site_name, group_id, group_name) = t.placement(&d);
    json!({
        "accountId": t.account_id, "accountName": t.account_name,
        "agentDetectionState": null,
        "agentDomain": d.domain.unwrap_or("WORKGROUP"),
        "agentIpV4": d.local_ip, "agentIpV6": d.ipv6,
        "agentLastLoggedInUpn": null, "agentLastLoggedInUserMail": null,
        "agentLastLoggedInUserName": d.user,
        "agentMitigationMode": s.mitigation,
        "agentOsName": d.os.full_name, "agentOsRevision": d.os.build,
        "agentRegisteredAt": fmt_ts(d.first_seen - 4_000_000, 6),
        "agentUuid": s.uuid,
        "agentVersion": format!("23.4.{}.{}", d.agent_version_index + 1, 100 + d.index % 300),
        "cloudProviders": {},
        "externalIp": d.external_ip,
        "groupId": group_id, "groupName": group_name,
        "siteId": site_id, "siteName": site_name,
    })
}

fn indicators(a: &AlertCore, g: &mut Rng) -> Value {
    let s = a.scenario;
    let mitre = !s.technique_id.starts_with("CS");
    let tactics = if mitre {
        json!([{"name": s.tactic, "source": "MITRE", "techniques": [{
            "link": format!("https://attack.mitre.org/techniques/{}/", s.technique_id.replace('.', "/")),
            "name": s.technique_id,
        }]}])
    } else {
        json!([])
    };
    let mut list = vec![
        json!({"category": s.tactic, "description": s.description, "ids": [1 + g.below(90)], "tactics": tactics}),
    ];
    if g.chance(40) {
        list.push(json!({"category": "General", "description": "This binary imports debugger functions.", "ids": [6], "tactics": []}));
    }
    Value::Array(list)
}

fn mitigation_actions(a: &AlertCore, mitigation: &str) -> Value {
    if mitigation != "mitigated" {
        return json!([]);
    }
    let at = |off: i64| fmt_ts(a.created + off * SEC, 6);
    let counters =
        json!({"failed": 0, "notFound": 0, "pendingReboot": 0, "success": 1, "total": 1});
    json!([
        {"action": "kill", "actionsCounters": counters, "agentSupportsReport": true, "groupNotFound": false,
         "lastUpdate": at(2), "latestReport": null, "mitigationEndedAt": at(2), "mitigationStartedAt": at(1), "status": "success"},
        {"action": "quarantine", "actionsCounters": null, "agentSupportsReport": true, "groupNotFound": false,
         "lastUpdate": at(3), "latestReport": "/threats/mitigation-report", "mitigationEndedAt": at(3), "mitigationStartedAt": at(2), "status": "success"}
    ])
}

fn kubernetes(d: &DeviceCore) -> Value {
    let node = d.os.k8s.then(|| d.hostname.clone());
    json!({
        "cluster": node.as_ref().map(|_| "prod-eks-1"), "controllerKind": null, "controllerLabels": null,
        "controllerName": null, "namespace": null, "namespaceLabels": null,
        "node": node, "pod": null, "podLabels": null
    })
}

/// Values SentinelOne might add later.
pub(crate) fn unknown_enum(threat: &mut Value) {
    let info = &mut threat["threatInfo"];
    info["incidentStatus"] = json!("pending_review");
    info["confidenceLevel"] = json!("low");
    info["analystVerdict"] = json!("benign");
    info["mitigationStatus"] = json!("partially_mitigated");
}
