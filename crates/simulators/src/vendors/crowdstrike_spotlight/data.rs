//! Spotlight vulnerability records (`id` = `<aid>_<hash>`), their facet blocks (`cve`,
//! `host_info`, `remediation`, `apps[].evaluation_logic`), ids, and the fields filters
//! may name.

use std::{collections::HashSet, sync::OnceLock};

use serde_json::{json, Value};

use crate::{
    dataset::RecordRef,
    fake::{fmt_ts, parse_ts, DAY, HOUR, MIN, SEC},
    filter::collect_paths,
    ids::{decode_hex_id, hex_id},
    vendors::falcon::gateway::cid,
    vms::{
        catalog::{Family, Plugin},
        collections::{assets_spec, findings, findings_spec},
        profiles::{asset, asset_ref, finding, AssetCore, FindingCore, Scope, State, SITES},
    },
    world::World,
};

const AID_KEY: u64 = 0x05b0_7a1d;
const VULN_KEY: u64 = 0x05b0_7f1d;
const REMEDIATION_KEY: u64 = 0x05b0_74e3;
const LOGIC_KEY: u64 = 0x05b0_710c;

/// The facets that add blocks to combined records.
pub const FACETS: &[&str] = &["cve", "host_info", "remediation", "evaluation_logic"];

fn ts(ns: i64) -> String {
    fmt_ts(ns, 0)
}

/// The AID of asset `index` (the sensor's, or the asset id of an unmanaged host).
pub fn aid(seed: u64, index: u64) -> String {
    hex_id(seed ^ AID_KEY, index, 32)
}

/// The id of finding `index`: `<aid>_<hash>`.
pub fn vuln_id(world: &World, index: u64) -> String {
    let f = crate::vms::collections::finding_asset(world, index);
    format!(
        "{}_{}",
        aid(world.seed, f),
        hex_id(world.seed ^ VULN_KEY, index, 32)
    )
}

/// The finding index an id encodes, if it is one of this tenant's.
pub fn decode_vuln_id(world: &World, id: &str) -> Option<u64> {
    let (_, hash) = id.split_once('_')?;
    let index = decode_hex_id(world.seed ^ VULN_KEY, hash, 32)?;
    (index < findings(world).created() && vuln_id(world, index) == id).then_some(index)
}

fn status(f: &FindingCore) -> &'static str {
    match f.state {
        State::Open => "open",
        State::Reopened => "reopen",
        State::Fixed if f.stale => "expired",
        State::Fixed => "closed",
    }
}

fn remediation_ids(seed: u64, p: &Plugin) -> (String, String) {
    let id = u64::from(p.id);
    (
        hex_id(seed ^ REMEDIATION_KEY, id, 32),
        hex_id(seed ^ REMEDIATION_KEY, id + (1 << 32), 32),
    )
}

fn platform(a: &AssetCore) -> &'static str {
    match a.os.family {
        Family::Windows => "Windows",
        Family::Linux => "Linux",
        Family::Mac => "Mac",
    }
}

const CRITICALITY: [&str; 4] = ["Critical", "High", "Noncritical", "Unassigned"];

fn host_info(world: &World, a: &AssetCore) -> Value {
    let kind = if a.hostname.starts_with("DC-") {
        "Domain Controller"
    } else if a.os.server {
        "Server"
    } else {
        "Workstation"
    };
    let mut v = json!({
        "hostname": a.hostname,
        "local_ip": a.ipv4,
        "machine_domain": if a.os.family == Family::Windows { a.fqdn.split_once('.').map_or("", |(_, d)| d) } else { "" },
        "os_version": a.os.version,
        "ou": "",
        "site_name": SITES[a.site],
        "system_manufacturer": a.manufacturer,
        "groups": [{"id": hex_id(world.seed ^ 0x9e0, a.site as u64, 32), "name": SITES[a.site]}],
        "tags": [],
        "platform": platform(a),
        "os_build": a.os.build,
        "product_type_desc": kind,
        "asset_criticality": CRITICALITY[a.criticality],
        "internet_exposure": if a.internet_facing { "Yes" } else { "No" },
        "managed_by": if a.has_agent { "Falcon sensor" } else { "Unmanaged" },
        "host_last_seen_timestamp": ts(crate::fake::floor_to(a.last_seen, DAY)),
    });
    if let Some(i) = &a.instance_id {
        v["instance_id"] = json!(i);
        v["service_provider"] = json!("AWS_EC2_V2");
        v["service_provider_account_id"] = json!("123456789012");
    }
    v
}

fn cve(f: &FindingCore) -> Value {
    let p = f.plugin;
    let published = parse_ts(p.published).unwrap_or(0);
    let severity = ["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"][usize::from(p.severity)];
    let exprt = ["LOW", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
        [usize::from(p.severity.min(3) + u8::from(p.kev))];
    let id = p.cves.first().copied().unwrap_or("");
    let mut cisa = json!({"is_cisa_kev": p.kev});
    if p.kev {
        cisa["due_date"] = json!(ts(published + 21 * DAY));
    }
    json!({
        "id": id,
        "base_score": p.cvss3,
        "severity": severity,
        "exploit_status": p.exploit,
        "exprt_rating": exprt,
        "remediation_level": if p.has_patch { "O" } else { "U" },
        "cisa_info": cisa,
        "spotlight_published_date": ts(published + 26 * HOUR),
        "types": ["Vulnerability"],
        "cwes": [""],
        "description": format!("{} {}\n", p.synopsis, p.name),
        "published_date": ts(published),
        "references": [format!("https://nvd.nist.gov/vuln/detail/{id}")],
        "vendor_advisory": [],
        "exploitability_score": if p.cvss3_vector.contains("AV:N") { 3.9 } else { 1.8 },
        "impact_score": 5.9,
        "vector": p.cvss3_vector,
    })
}

fn remediation(world: &World, f: &FindingCore, a: &AssetCore) -> Value {
    let p = f.plugin;
    let (recommended, minimum) = remediation_ids(world.seed, p);
    let (vendor, product) = p.product;
    let patch = ts(parse_ts(p.published).unwrap_or(0) + DAY);
    if !p.has_patch {
        return json!({"ids": [recommended], "entities": [{
            "id": recommended, "reference": format!("{vendor} {product}"),
            "title": format!("No fix or vendor remediation available for {vendor} {product}"),
            "action": format!("No fix or vendor remediation available for {product} on {}. Alternatives might include software removal, OS upgrade, or other mitigating controls", a.os.version),
            "link": "", "vendor_url": ""}]});
    }
    let entity = |id: &str, kind: &str| {
        json!({
            "id": id, "reference": p.fix_ref, "title": format!("Update {vendor} {product}"),
            "action": format!("Install patch for {vendor} {product} on {}: {}", a.os.version, p.fix_ref),
            "link": format!("https://nvd.nist.gov/vuln/detail/{}", p.cves.first().copied().unwrap_or("")),
            "vendor_url": "", "recommendation_type": kind, "patch_publication_date": patch,
        })
    };
    json!({"ids": [recommended, minimum], "entities": [entity(&recommended, "recommended"), entity(&minimum, "minimum")]})
}

fn evaluation_logic(world: &World, f: &FindingCore, a: &AssetCore) -> Value {
    let (vendor, product) = f.plugin.product;
    let (item, version) = f.plugin.package.map_or((product, ""), |(n, v, _)| (n, v));
    json!({
        "id": hex_id(world.seed ^ LOGIC_KEY, f.index, 32),
        "cid": cid(world.seed), "aid": aid(world.seed, a.index), "data_provider": "Falcon sensor",
        "created_timestamp": ts(f.first_found), "updated_timestamp": ts(f.first_found),
        "logic": [{
            // Logic ids use the whole u64 range: clients must not read them as i64.
            "id": f.roll[0] | (1 << 63),
            "title": format!("{vendor} {product} is installed"), "type": "inventory",
            "description": "", "negate": false, "existence_check": "at_least_one_exists",
            "comparison_check": "at least one", "determined_by_comparison": true,
            "items": [{"comparison_result": "true", "item_type": "package_item", "name": item, "version": version}],
        }],
    })
}

/// Asset `r` as Spotlight describes hosts (the `host_info` block, with its AID).
pub fn render_host(world: &World, r: &RecordRef) -> Value {
    let a = asset(world, r);
    let mut v = host_info(world, &a);
    v["aid"] = json!(aid(world.seed, a.index));
    v
}

/// The full record of finding `r` (every facet block).
pub fn render_vuln(world: &World, r: &RecordRef) -> Value {
    let f = finding(world, r, Scope::CveOnly);
    let a = asset(world, &asset_ref(world, f.asset));
    let p = f.plugin;
    let (vendor, product) = p.product;
    let (recommended, minimum) = remediation_ids(world.seed, p);
    let mut app = json!({
        "vendor_normalized": vendor, "product_name_version": product,
        "product_name_normalized": product.split(' ').next().unwrap_or(product),
        "sub_status": status(&f), "remediation": {"ids": [recommended]},
        "evaluation_logic": evaluation_logic(world, &f, &a),
        "remediation_info": {"recommended_id": recommended},
    });
    if p.has_patch {
        app["remediation_info"]["minimum_id"] = json!(minimum);
    }
    let suppressed = f.roll[1] % 20 == 0;
    let mut v = json!({
        "id": vuln_id(world, f.index),
        "cid": cid(world.seed),
        "aid": aid(world.seed, a.index),
        "vulnerability_id": p.cves.first().copied().unwrap_or(""),
        "data_providers": [{"provider": "Falcon sensor"}],
        "created_timestamp": ts(f.first_found),
        "updated_timestamp": ts(f.updated),
        "status": status(&f),
        "apps": [app],
        "suppression_info": if suppressed { json!({"is_suppressed": true, "reason": "ACCEPT_RISK"}) } else { json!({"is_suppressed": false}) },
        "confidence": if f.roll[1] % 10 == 3 { "potential" } else { "confirmed" },
        "app": {"vendor_normalized": vendor, "product_name_version": product},
        "cve": cve(&f),
        "host_info": host_info(world, &a),
        "remediation": remediation(world, &f, &a),
    });
    if let Some(closed) = f.last_fixed.filter(|_| status(&f) == "closed") {
        v["closed_timestamp"] = json!(ts(closed));
    }
    v
}

/// A record as the combined endpoint returns it for `facets`: blocks not asked for left out.
pub fn with_facets(mut v: Value, facets: &[&str]) -> Value {
    for block in ["cve", "host_info", "remediation"] {
        if !facets.contains(&block) {
            if let Some(m) = v.as_object_mut() {
                m.remove(block);
            }
        }
    }
    if !facets.contains(&"evaluation_logic") {
        for app in v["apps"].as_array_mut().into_iter().flatten() {
            if let Some(m) = app.as_object_mut() {
                m.remove("evaluation_logic");
            }
        }
    }
    v
}

/// Every dotted field of the records (FQL may name these).
pub fn known_fields() -> &'static HashSet<String> {
    static FIELDS: OnceLock<HashSet<String>> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let specs = [(assets_spec(SEC), 20), (findings_spec(SEC), 300)];
        let world = World::new(7, 1_700_000_000_000_000_000, &specs);
        let mut out = HashSet::new();
        for r in (0..300).filter_map(|i| findings(&world).get(i)) {
            collect_paths(&render_vuln(&world, &r), "", &mut out);
        }
        out.insert("closed_timestamp".into());
        out
    })
}

/// How long an `after` token stays valid between pages.
pub const AFTER_TTL_NS: i64 = 2 * MIN;
