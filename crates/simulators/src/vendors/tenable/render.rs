//! Tenable's records: a finding of a vulns-export chunk (nested `asset`, `plugin`, `port`,
//! `scan`) and an asset of an assets-export chunk. Empty attributes are left out, as
//! Tenable's chunks do; finding times have whole seconds, asset times milliseconds.

use serde_json::{json, Map, Value};

use crate::{
    dataset::RecordRef,
    fake::{fmt_ts, mac_string, parse_ts, DAY, HOUR, MIN},
    ids::guid_id,
    vms::{
        catalog::{Family, SEVERITIES},
        profiles::{asset, asset_ref, finding, scan_start, AssetCore, FindingCore, Scope, SITES},
    },
    world::World,
};

const ASSET_KEY: u64 = 0x7e_a55e;
const FINDING_KEY: u64 = 0x7e_f1d;
const AGENT_KEY: u64 = 0x7e_a9e;
const BIOS_KEY: u64 = 0x7e_b105;
/// The default network every asset is on.
const NETWORK: &str = "00000000-0000-0000-0000-000000000000";

/// An asset's `uuid` (asset `id`).
pub fn asset_uuid(seed: u64, index: u64) -> String {
    guid_id(seed ^ ASSET_KEY, index, false)
}

/// A finding's `finding_id`.
pub fn finding_id(seed: u64, index: u64) -> String {
    guid_id(seed ^ FINDING_KEY, index, false)
}

fn secs(ns: i64) -> String {
    fmt_ts(ns, 0)
}

fn millis(ns: i64) -> String {
    fmt_ts(ns, 3)
}

/// Drops null, empty-string and empty-array members (Tenable leaves empty attributes out).
fn compact(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !(x.is_null() || x == "" || x.as_array().is_some_and(Vec::is_empty)));
        for x in m.values_mut() {
            *x = compact(x.take());
        }
    }
    v
}

fn finding_asset(world: &World, f: &FindingCore) -> Value {
    let a = asset(world, &asset_ref(world, f.asset));
    let local = f.plugin.kind == "local";
    compact(json!({
        "bios_uuid": guid_id(world.seed ^ BIOS_KEY, a.index, true),
        "device_type": if a.os.server { "general-purpose" } else { "workstation" },
        "fqdn": a.fqdn,
        "hostname": a.hostname,
        "uuid": asset_uuid(world.seed, a.index),
        "agent_uuid": a.has_agent.then(|| guid_id(world.seed ^ AGENT_KEY, a.index, false).replace('-', "")),
        "ipv4": a.ipv4,
        "ipv6": a.ipv6,
        "last_authenticated_results": local.then(|| secs(scan_start(f))),
        "mac_address": mac_string(a.mac, ":", false),
        "netbios_name": a.netbios,
        "operating_system": [a.os.name],
        "network_id": NETWORK,
        "tracked": true,
    }))
}

fn plugin(f: &FindingCore) -> Value {
    let p = f.plugin;
    let published = parse_ts(p.published).unwrap_or(0);
    let risk = ["None", "Low", "Medium", "High", "Critical"][usize::from(p.severity)];
    // Tenable spells risk factors both ways within one export.
    let risk = if f.roll[1] % 4 == 0 {
        risk.to_uppercase()
    } else {
        risk.to_owned()
    };
    let scored = p.severity > 0;
    compact(json!({
        "cve": p.cves,
        "cvss3_base_score": scored.then_some(p.cvss3),
        "cvss3_vector": scored.then(|| json!({"raw": p.cvss3_vector.trim_start_matches("CVSS:3.1/").trim_start_matches("CVSS:3.0/")})),
        "cvss_base_score": scored.then_some(p.cvss2),
        "description": format!("{} {}", p.synopsis, p.name),
        "exploit_available": p.exploit >= 30,
        "exploited_by_malware": p.kev,
        "in_the_news": p.kev,
        "family": p.family,
        "family_id": p.family_id,
        "has_patch": p.has_patch,
        "id": p.id,
        "name": p.name,
        "patch_publication_date": p.has_patch.then(|| secs(published + DAY)),
        "publication_date": secs(published),
        "vuln_publication_date": (!p.cves.is_empty()).then(|| secs(published - 2 * DAY)),
        "modification_date": secs(published + 30 * DAY),
        "risk_factor": risk,
        "see_also": p.cves.iter().map(|c| format!("https://nvd.nist.gov/vuln/detail/{c}")).collect::<Vec<_>>(),
        "solution": p.solution,
        "synopsis": p.synopsis,
        "type": p.kind,
        "version": "1.4",
        "vpr": scored.then(|| json!({"score": (p.cvss3 * 0.8 * 10.0).round() / 10.0, "updated": secs(published + 60 * DAY)})),
    }))
}

fn output(f: &FindingCore, family: Family) -> Option<String> {
    let (name, installed, fixed) = f.plugin.package?;
    Some(match family {
        Family::Windows => format!("\n  Path              : C:\\Program Files\\{name}\n  Installed version : {installed}\n  Fixed version     : {fixed}\n"),
        _ => format!("\n  - Installed package : {name}_{installed}\n    Fixed package     : {name}_{fixed}\n\n"),
    })
}

/// A finding as a vulns-export chunk lists it.
pub fn render_finding(world: &World, r: &RecordRef) -> Value {
    let f = finding(world, r, Scope::All);
    let family = asset(world, &asset_ref(world, f.asset)).os.family;
    let start = scan_start(&f);
    let sev = f.plugin.severity;
    let mut v = json!({
        "asset": finding_asset(world, &f),
        "output": output(&f, family),
        "plugin": plugin(&f),
        "port": {"port": f.plugin.port.0, "protocol": f.plugin.port.1, "service": f.plugin.port.2},
        "scan": {
            "completed_at": secs(f.last_found),
            "schedule_uuid": guid_id(world.seed ^ 0x5c4ed, f.roll[0] % 7, false),
            "started_at": secs(start),
            "uuid": guid_id(world.seed ^ 0x5ca9, f.roll[0] % 1000, false),
        },
        "severity": SEVERITIES[usize::from(sev)],
        "severity_id": sev,
        "severity_default_id": sev,
        "severity_modification_type": "NONE",
        "finding_id": finding_id(world.seed, f.index),
        "first_found": secs(f.first_found),
        "last_found": secs(f.last_found),
        "last_fixed": f.last_fixed.map(secs),
        "indexed": millis(f.updated + 7 * MIN + 123_000_000),
        "state": f.state.as_str(),
    });
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !x.is_null());
    }
    v
}

fn asset_times(a: &AssetCore) -> Map<String, Value> {
    let first_scan = a.created + 20 * MIN;
    let last_scan = a.last_seen - 3 * MIN;
    let mut m = Map::new();
    for (k, t) in [
        ("created_at", a.created),
        ("updated_at", a.updated),
        ("first_seen", a.created),
        ("last_seen", a.last_seen),
        ("first_scan_time", first_scan),
        ("last_scan_time", last_scan),
        ("last_licensed_scan_date", last_scan),
    ] {
        m.insert(k.to_owned(), json!(millis(t)));
    }
    m.insert(
        "last_authenticated_scan_date".into(),
        if a.has_agent {
            json!(millis(last_scan - HOUR))
        } else {
            Value::Null
        },
    );
    m
}

/// An asset as an assets-export chunk lists it (`deleted_at` set for a deleted one).
pub fn render_asset(world: &World, r: &RecordRef, deleted_at: Option<i64>) -> Value {
    let a = asset(world, r);
    let mac = mac_string(a.mac, ":", false);
    let source = |name: &str| json!({"name": name, "first_seen": millis(a.created), "last_seen": millis(a.last_seen)});
    let mut sources = vec![source("NESSUS_SCAN")];
    if a.has_agent {
        sources.push(source("NESSUS_AGENT"));
    }
    let mut v = json!({
        "id": asset_uuid(world.seed, a.index),
        "has_agent": a.has_agent,
        "has_plugin_results": true,
        "terminated_at": null, "terminated_by": null,
        "deleted_at": deleted_at.map(millis),
        "deleted_by": deleted_at.map(|_| "admin@example.com"),
        "azure_vm_id": null, "azure_resource_id": null, "gcp_project_id": null, "gcp_instance_id": null,
        "aws_ec2_instance_id": a.instance_id,
        "aws_region": a.instance_id.as_ref().map(|_| "us-east-1"),
        "agent_uuid": a.has_agent.then(|| guid_id(world.seed ^ AGENT_KEY, a.index, false).replace('-', "")),
        "bios_uuid": guid_id(world.seed ^ BIOS_KEY, a.index, false),
        "network_id": NETWORK,
        "agent_names": if a.has_agent { vec![a.hostname.clone()] } else { vec![] },
        "ipv4s": [a.ipv4], "ipv6s": [a.ipv6], "fqdns": [a.fqdn],
        "mac_addresses": [mac],
        "netbios_names": a.netbios.iter().collect::<Vec<_>>(),
        "operating_systems": [a.os.name],
        "system_types": [if a.os.server { "general-purpose" } else { "workstation" }],
        "hostnames": [a.hostname],
        "ssh_fingerprints": [],
        "sources": sources,
        "tags": [{"uuid": guid_id(world.seed ^ 0x7a9, a.site as u64, false), "key": "Location",
                  "value": SITES[a.site], "added_by": guid_id(world.seed ^ 0x05e, 0, false),
                  "added_at": millis(a.created + HOUR)}],
        "network_interfaces": [{"name": "eth0", "mac_addresses": [mac], "ipv4s": [a.ipv4],
                                "ipv6s": [a.ipv6], "fqdns": [a.fqdn]}],
        "acr_score": 10 - 2 * a.criticality as u32,
        "exposure_score": (a.index * 37 % 1000) as u32,
    });
    if let Some(m) = v.as_object_mut() {
        m.extend(asset_times(&a));
    }
    v
}
