//! Falcon host and alert entities (ids in `ids.rs`), and the fields filters may name.

use std::{collections::HashSet, sync::OnceLock};

use serde_json::{json, Map, Value};

use super::ids::{alert_composite_id, cid, device_aid, product};
use crate::{
    collection::CollectionSpec,
    dataset::RecordRef,
    edr::{
        catalog::Family,
        collections::{alerts_spec, devices_spec, field_paths, ALERTS, DEVICES},
        profiles::{alert, device, AlertCore, DeviceCore},
    },
    fake::{by_roll, fmt_ts, mac_string, progressed, Rng, DAY, HOUR, MIN, SEC},
    ids::guid_id,
    world::World,
};

/// Host timestamps have whole seconds; alert update times nanoseconds.
pub(crate) const COLLECTIONS: &[CollectionSpec] = &[devices_spec(SEC), alerts_spec(1)];

fn platform(d: &DeviceCore) -> (&'static str, &'static str) {
    match d.os.family {
        Family::Windows => ("Windows", "0"),
        Family::Mac => ("Mac", "1"),
        Family::Linux => ("Linux", "3"),
    }
}

/// Containment moves on with each change for one device in five.
fn host_status(d: &DeviceCore, r: &mut Rng) -> &'static str {
    const CYCLE: [&str; 4] = [
        "normal",
        "containment_pending",
        "contained",
        "lift_containment_pending",
    ];
    let start = r.weighted(&[
        ("normal", 92),
        ("containment_pending", 2),
        ("contained", 5),
        ("lift_containment_pending", 1),
    ]);
    let steps = if d.index % 5 == 0 { d.version } else { 0 };
    progressed(start, steps, &CYCLE)
}

/// The host entity for record `r`.
pub(crate) fn render_device(world: &World, r: &RecordRef) -> Value {
    let d = device(world, r);
    let mut v = host_fields(world, &d);
    let mut g = Rng::for_record(world.seed, 0xc5d1, d.index);
    let ns = |t: i64| fmt_ts(t, 9);
    let policy = |kind: &str, t: i64, g: &mut Rng| {
        json!({"policy_type": kind, "policy_id": g.hex(32), "applied": true, "settings_hash": g.hex(8),
               "assigned_date": ns(t), "applied_date": ns(t + 6 * MIN + 17_123_456_789)})
    };
    let mut prevention = policy("prevention", d.first_seen + DAY, &mut g);
    prevention["rule_groups"] = json!([]);
    let o = v.as_object_mut().expect("object");
    for (k, x) in agent_config(&d) {
        o.insert(k.to_owned(), x);
    }
    let extra = json!({
        "build_number": if d.os.family == Family::Windows { d.os.build } else { "" },
        "cpu_signature": "198386", "cpu_vendor": "0",
        "filesystem_containment_status": "normal",
        "last_login_timestamp": fmt_ts(crate::fake::floor_to(d.last_seen - 3 * HOUR, SEC), 0),
        "last_login_user": d.user,
        "last_login_user_sid": if d.os.family == Family::Windows { json!(crate::fake::sid(&mut g)) } else { Value::Null },
        "policies": [prevention.clone()],
        "device_policies": {
            "prevention": prevention,
            "sensor_update": {"policy_type": "sensor-update", "policy_id": g.hex(32), "applied": true,
                "settings_hash": "tagged|17;101", "assigned_date": ns(d.first_seen + 2 * DAY),
                "applied_date": ns(d.first_seen + 2 * DAY + 5 * MIN), "uninstall_protection": "ENABLED"},
            "global_config": policy("globalconfig", d.first_seen + 3 * DAY, &mut g),
        },
        "rtr_state": "enabled",
        "group_hash": g.hex(64),
        "provision_status": "Provisioned",
        "service_pack_minor": "0", "pointer_size": "8",
        "meta": {"version": (1000 + d.version * 7 + (d.index % 900) as u32).to_string(), "version_string": format!("{}:{}", 1 + d.version, g.digits(10))},
        "chassis_type": if d.os.server { "1" } else if d.is_laptop() { "9" } else { "3" },
        "chassis_type_desc": if d.os.server { "Other" } else if d.is_laptop() { "Laptop" } else { "Desktop" },
        "last_reboot": fmt_ts(crate::fake::floor_to(d.last_seen - 2 * DAY, SEC), 0),
        "connection_ip": d.local_ip,
        "default_gateway_ip": d.gateway_ip,
        "connection_mac_address": mac_string(d.mac, "-", false),
    });
    o.extend(extra.as_object().cloned().unwrap_or_default());
    if let Some((instance, region, account)) = &d.cloud {
        o.insert("instance_id".into(), json!(instance));
        o.insert("service_provider".into(), json!("AWS_EC2_V2"));
        o.insert("service_provider_account_id".into(), json!(account));
        o.insert("zone_group".into(), json!(format!("{region}a")));
    }
    v
}

/// The sensor's configuration fields (on hosts and alert device snapshots).
fn agent_config(d: &DeviceCore) -> Vec<(&'static str, Value)> {
    vec![
        ("agent_load_flags", json!("0")),
        ("agent_local_time", json!(fmt_ts(d.last_seen - 2 * SEC, 3))),
        ("config_id_base", json!("65994753")),
        (
            "config_id_build",
            json!(d.agent_version().split('.').nth(2).unwrap_or("0")),
        ),
        (
            "config_id_platform",
            json!(if d.os.family == Family::Mac { "4" } else { "3" }),
        ),
    ]
}

/// Fields shared by the host entity and an alert's `device` snapshot.
fn host_fields(world: &World, d: &DeviceCore) -> Value {
    let mut g = Rng::for_record(world.seed, 0xc5d2, d.index);
    let (platform_name, platform_id) = platform(d);
    let secs = |t: i64| fmt_ts(crate::fake::floor_to(t, SEC), 0);
    let (product_type, product_desc) = match (d.os.family, d.os.server) {
        (Family::Windows, true) => ("3", "Server"),
        (Family::Windows, false) | (Family::Mac, _) => ("1", "Workstation"),
        (Family::Linux, _) => ("3", "Server"),
    };
    let ou: Vec<&str> = match d.domain {
        Some(_) if d.os.server => vec!["Servers"],
        Some(_) => vec!["Workstations", ["Finance", "Engineering", "Sales"][d.site]],
        None => vec![],
    };
    json!({
        "device_id": device_aid(world.seed, d.index),
        "cid": cid(world.seed),
        "agent_version": d.agent_version(),
        "bios_manufacturer": d.manufacturer,
        "bios_version": format!("{}.{}.{}", 1 + g.below(3), g.below(30), g.below(10)),
        "external_ip": d.external_ip,
        "mac_address": mac_string(d.mac, "-", false),
        "hostname": d.hostname,
        "first_seen": secs(d.first_seen),
        "last_seen": secs(d.last_seen),
        "local_ip": d.local_ip,
        "machine_domain": d.domain.map(|x| format!("{}.example.com", x.to_lowercase())).unwrap_or_default(),
        "major_version": d.os.major, "minor_version": d.os.minor,
        "os_version": d.os.short_name,
        "os_build": d.os.build,
        "os_product_name": d.os.product_name,
        "kernel_version": d.os.kernel,
        "platform_id": platform_id, "platform_name": platform_name,
        "product_type": product_type, "product_type_desc": product_desc,
        "reduced_functionality_mode": g.weighted(&[("no", 90), ("yes", 3), ("", 7)]),
        "serial_number": d.serial,
        "site_name": SITE_NAMES[d.site],
        "status": host_status(d, &mut g),
        "system_manufacturer": d.manufacturer, "system_product_name": d.model,
        "groups": [g.hex(32)],
        "ou": ou,
        "tags": if d.os.server { json!(["SensorGroupingTags/Servers"]) } else { json!(["SensorGroupingTags/Protect", "FalconGroupingTags/corp"]) },
        "modified_timestamp": secs(d.updated),
    })
}

const SITE_NAMES: [&str; 3] = ["Default-First-Site-Name", "HQ-Site", "Remote"];

const ANALYSTS: &[(&str, &str)] = &[
    ("Priya Tanaka", "priya.tanaka@example.com"),
    ("Omar Haddad", "omar.haddad@example.com"),
    ("Lena Weber", "lena.weber@example.com"),
];

/// The alert entity for record `r`.
pub(crate) fn render_alert(world: &World, r: &RecordRef) -> Value {
    let a = alert(world, r);
    let (product, kind) = product(world, r.index);
    let mut v = alert_common(world, &a, product, kind);
    let o = v.as_object_mut().expect("object");
    match product {
        "idp" => o.extend(identity_fields(world, &a)),
        "fcs" => {
            o.insert("device".into(), json!({"service_provider": "aws", "service_provider_account_id": Rng::for_record(world.seed, 1, 1).digits(12)}));
        }
        _ => o.extend(process_fields(world, &a, kind)),
    }
    v
}

fn severity_name(s: i64) -> &'static str {
    match s {
        90.. => "Critical",
        70.. => "High",
        50.. => "Medium",
        20.. => "Low",
        _ => "Informational",
    }
}

fn alert_common(world: &World, a: &AlertCore, product: &str, kind: &str) -> Value {
    let s = a.scenario;
    let id = alert_composite_id(world, a.index);
    let short_id = id
        .split_once(':')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    let start = by_roll(
        a.roll[0],
        &[
            ("new", 45),
            ("in_progress", 15),
            ("closed", 35),
            ("reopened", 5),
        ],
    );
    let status = progressed(
        start,
        a.version,
        &["new", "in_progress", "closed", "reopened"],
    );
    let (analyst, analyst_uid) = ANALYSTS[(a.roll[1] % ANALYSTS.len() as u64) as usize];
    let assigned = status != "new" || a.roll[2] % 4 == 0;
    let resolved = if status == "closed" {
        300 + (a.roll[3] % 86_400) as i64
    } else {
        0
    };
    let mut v = json!({
        "agent_id": device_aid(world.seed, a.device.index),
        "aggregate_id": format!("aggind:{}:{}", device_aid(world.seed, a.device.index), 100_000_000_000 + a.index),
        "cid": cid(world.seed),
        "composite_id": id,
        "confidence": 10 + (a.roll[2] % 90),
        "context_timestamp": fmt_ts(a.event_time + 900 * 1_000_000, 3),
        "crawled_timestamp": fmt_ts(a.created + 3_600 * SEC + 17_123, 9),
        "created_timestamp": fmt_ts(a.created, 9),
        "data_domains": [if product == "idp" { "Identity" } else if product == "fcs" { "Cloud" } else { "Endpoint" }],
        "description": s.description,
        "display_name": s.title,
        "falcon_host_link": format!("https://falcon.crowdstrike.com/activity-v2/detections/{id}"),
        "id": short_id,
        "name": s.pattern_name,
        "objective": if s.tactic_id.starts_with("CS") { "Falcon Detection Method" } else { "Follow Through" },
        "pattern_id": s.pattern_id,
        "platform": match a.device.os.family { Family::Windows => "Windows", Family::Mac => "Mac", Family::Linux => "Linux" },
        "product": product,
        "scenario": if s.tactic_id.starts_with("CS") { "NGAV" } else { "suspicious_activity" },
        "seconds_to_resolved": resolved,
        "seconds_to_triaged": if status == "new" { 0 } else { 60 + (a.roll[3] % 3600) as i64 },
        "severity": a.severity,
        "severity_name": severity_name(a.severity),
        "show_in_ui": true,
        "source_products": [if product == "idp" { "Falcon Identity Protection" } else { "Falcon Insight" }],
        "source_vendors": [if product == "thirdparty" { "Partner" } else { "CrowdStrike" }],
        "status": status,
        "tactic": s.tactic, "tactic_id": s.tactic_id,
        "technique": s.technique, "technique_id": s.technique_id,
        "tags": [],
        "timestamp": fmt_ts(a.event_time, 3),
        "type": kind,
        "updated_timestamp": fmt_ts(a.updated, 9),
    });
    if assigned {
        let o = v.as_object_mut().expect("object");
        o.insert("assigned_to_name".into(), json!(analyst));
        o.insert("assigned_to_uid".into(), json!(analyst_uid));
        o.insert(
            "assigned_to_uuid".into(),
            json!(guid_id(world.seed, (a.roll[1] % 3) + 7, false)),
        );
    }
    if !s.tactic_id.starts_with("CS") {
        v["mitre_attack"] = json!([{"pattern_id": s.pattern_id, "tactic_id": s.tactic_id, "tactic": s.tactic,
            "technique_id": s.technique_id, "technique": s.technique}]);
    }
    v
}

fn process_fields(world: &World, a: &AlertCore, kind: &str) -> Map<String, Value> {
    let d = &a.device;
    let aid = device_aid(world.seed, d.index);
    let s = a.scenario;
    let win = d.os.family == Family::Windows;
    let path = |folder: &str, file: &str| {
        if win {
            format!(
                "\\Device\\HarddiskVolume3{}\\{file}",
                folder.get(2..).unwrap_or(folder)
            )
        } else {
            format!("{folder}/{file}")
        }
    };
    let graph = 390_000_000_000 + a.index * 7;
    let parent = json!({
        "cmdline": s.parent, "filename": s.parent, "filepath": path(s.parent_folder, s.parent),
        "local_process_id": a.parent_pid.to_string(), "md5": &a.md5[..32], "process_graph_id": format!("pid:{aid}:{}", graph - 1),
        "process_id": (graph - 1).to_string(), "sha256": &a.sha256, "timestamp": fmt_ts(crate::fake::floor_to(a.event_time - MIN, SEC), 0),
        "user_graph_id": format!("uid:{aid}:{}", a.user_sid), "user_id": a.user_sid, "user_name": a.user,
    });
    let quarantine = kind != "ods" && a.severity >= 50;
    let v = json!({
        "cloud_indicator": "false",
        "control_graph_id": format!("ctg:{aid}:{}", graph - 3),
        "has_script_or_module_ioc": if s.filename.ends_with(".exe") { "false" } else { "true" },
        "indicator_id": alert_composite_id(world, a.index).split_once(':').map(|(_, r)| r.to_owned()).unwrap_or_default(),
        "is_synthetic_quarantine_disposition": quarantine,
        "pattern_disposition_details": disposition(quarantine),
        "poly_id": poly_id(world.seed, a.index),
        "alleged_filetype": s.filename.rsplit_once('.').map(|(_, e)| e).unwrap_or("elf"),
        "cmdline": a.command_line(),
        "device": device_snapshot(world, d),
        "filename": s.filename,
        "filepath": path(s.folder, s.filename),
        "grandparent_details": {"cmdline": "C:\\Windows\\system32\\userinit.exe", "filename": "userinit.exe",
            "filepath": "\\Device\\HarddiskVolume3\\Windows\\System32\\userinit.exe", "local_process_id": "4328",
            "md5": "b07f77fd3f9828b2c9d61f8a36609741", "sha256": "caef4ae19056eeb122a0540508fa8984cea960173ada0dc648cb846d6ef5dd33",
            "process_graph_id": format!("pid:{aid}:{}", graph - 2), "process_id": (graph - 2).to_string(),
            "timestamp": fmt_ts(crate::fake::floor_to(a.event_time - HOUR, SEC), 0),
            "user_graph_id": format!("uid:{aid}:{}", a.user_sid), "user_id": a.user_sid, "user_name": a.user},
        "ioc_context": [{"ioc_description": path(s.folder, s.filename), "ioc_source": "library_load",
            "ioc_type": "hash_sha256", "ioc_value": a.sha256, "md5": a.md5, "sha256": a.sha256, "type": "module"}],
        "ioc_values": [],
        "local_process_id": a.pid.to_string(),
        "logon_domain": d.domain.unwrap_or(""),
        "md5": a.md5,
        "parent_details": parent,
        "parent_process_id": (graph - 1).to_string(),
        "pattern_disposition": if kind == "ods" { 128 } else { 2176 },
        "pattern_disposition_description": "Prevention/Quarantine, process was blocked from execution and quarantine was attempted.",
        "process_end_time": ((a.event_time + 8 * SEC) / SEC).to_string(),
        "process_id": graph.to_string(),
        "process_start_time": (a.event_time / SEC).to_string(),
        "quarantined_files": [{"filename": path(s.folder, s.filename), "id": format!("{aid}_{}", a.sha256), "sha256": a.sha256, "state": "quarantined"}],
        "sha1": "0000000000000000000000000000000000000000",
        "sha256": a.sha256,
        "tree_id": (1_900_000 + a.index % 100_000).to_string(),
        "tree_root": graph.to_string(),
        "triggering_process_graph_id": format!("pid:{aid}:{graph}"),
        "user_id": a.user_sid,
        "user_name": a.user,
    });
    v.as_object().cloned().unwrap_or_default()
}

/// What the sensor did, flag by flag.
fn disposition(quarantine: bool) -> Value {
    let mut flags = serde_json::Map::new();
    for flag in [
        "blocking_unsupported_or_disabled",
        "bootup_safeguard_enabled",
        "critical_process_disabled",
        "detect",
        "fs_operation_blocked",
        "handle_operation_downgraded",
        "inddet_mask",
        "indicator",
        "kill_action_failed",
        "kill_parent",
        "kill_process",
        "kill_subprocess",
        "operation_blocked",
        "policy_disabled",
        "process_blocked",
        "quarantine_file",
        "quarantine_machine",
        "registry_operation_blocked",
        "rooting",
        "sensor_only",
        "suspend_parent",
        "suspend_process",
    ] {
        let on = match flag {
            "process_blocked" | "quarantine_file" => quarantine,
            "detect" => !quarantine,
            _ => false,
        };
        flags.insert(flag.to_owned(), json!(on));
    }
    Value::Object(flags)
}

/// An opaque policy-engine id (base64url, as Falcon shows them).
fn poly_id(seed: u64, index: u64) -> String {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    let mut r = Rng::for_record(seed, 0xc5a3, index);
    let bytes: Vec<u8> = (0..8).flat_map(|_| r.next_u64().to_le_bytes()).collect();
    URL_SAFE.encode(&bytes[..61])
}

/// The host as the alert saw it (its current state).
fn device_snapshot(world: &World, d: &DeviceCore) -> Value {
    let mut v = host_fields(world, d);
    let domain = d
        .domain
        .map(|x| format!("{}.example.com", x.to_lowercase()));
    v["hostinfo"] = json!({"active_directory_dn_display": v["ou"].clone(), "domain": domain.unwrap_or_default()});
    v["pod_labels"] = Value::Null;
    for (k, x) in agent_config(d) {
        v[k] = x;
    }
    v
}

fn identity_fields(world: &World, a: &AlertCore) -> Map<String, Value> {
    let d = &a.device;
    let domain = d.domain.unwrap_or("CORP");
    let v = json!({
        "source_account_domain": format!("{}.example.com", domain.to_lowercase()),
        "source_account_name": a.user,
        "source_account_object_sid": a.user_sid,
        "source_account_upn": format!("{}@example.com", a.user),
        "source_endpoint_host_name": format!("{}.{}.example.com", d.hostname, domain.to_lowercase()),
        "source_endpoint_ip_address": d.local_ip,
        "source_endpoint_sensor_id": device_aid(world.seed, d.index),
        "start_time": fmt_ts(a.event_time, 3),
        "end_time": fmt_ts(a.event_time + 2 * MIN, 3),
        "user_name": a.user,
    });
    v.as_object().cloned().unwrap_or_default()
}

/// Every dotted field path filters and sorts may use on `kind` ("devices"/"alerts"),
/// collected from rendered records.
pub(crate) fn known_fields(kind: &str) -> &'static HashSet<String> {
    static DEVICE_FIELDS: OnceLock<HashSet<String>> = OnceLock::new();
    static ALERT_FIELDS: OnceLock<HashSet<String>> = OnceLock::new();
    if kind == "alerts" {
        ALERT_FIELDS.get_or_init(|| field_paths(COLLECTIONS, (60, 400), ALERTS, render_alert))
    } else {
        DEVICE_FIELDS.get_or_init(|| field_paths(COLLECTIONS, (60, 400), DEVICES, render_device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        edr::collections::{alert_device, alerts, sample_world},
        vendors::crowdstrike::ids::{decode_aid, decode_composite_id},
    };

    #[test]
    fn ids_decode_to_their_records() {
        let w = sample_world(42, COLLECTIONS, 100, 2000);
        for i in [0, 1, 17, 999, 1999] {
            let id = alert_composite_id(&w, i);
            assert_eq!(decode_composite_id(&w, &id), Some(i), "{id}");
            let alert = render_alert(&w, &alerts(&w).get(i).unwrap());
            assert_eq!(alert["composite_id"], json!(id));
            let aid = alert["agent_id"].as_str().unwrap();
            assert_eq!(decode_aid(42, aid), Some(alert_device(&w, i)));
        }
        assert_eq!(decode_composite_id(&w, "abc:ind:def:1-2-3"), None);
        assert!(known_fields("alerts").contains("device.hostname"));
        assert!(known_fields("devices").contains("modified_timestamp"));
    }
}
