//! Defender Vulnerability Management records: one `PublicAssetVulnerabilityDto` per
//! finding (a CVE in one product version on one machine; `id` =
//! `<machineId>-_-<cveId>-_-<vendor>-_-<product>-_-<version>-_-<fixingKbId>`), the CVE
//! catalogue built from the check catalogue's CVEs, and which findings the current
//! snapshot lists (open or reopened, on a machine that still exists: a fix is absence).

use std::{collections::HashSet, sync::OnceLock};

use serde_json::{json, Value};

use crate::{
    dataset::RecordRef,
    fake::Rng,
    vms::{
        catalog::{Plugin, PLUGINS},
        collections::{finding_live, findings},
        profiles::{finding, FindingCore, Scope, State},
    },
    world::{stream::named, World},
};

use super::super::ms_defender_endpoint::data::machine_id;

/// Separator of the parts of a finding's id.
const SEP: &str = "-_-";

/// The finding behind record `r`: only checks with a CVE (Defender's catalogue is CVEs).
fn core(world: &World, r: &RecordRef) -> FindingCore {
    finding(world, r, Scope::CveOnly)
}

/// The finding's CVE: one of its check's, picked by a draw of its own (the finding's
/// other draws vary with its state, and the CVE is part of its id).
fn cve(world: &World, f: &FindingCore) -> &'static str {
    let cves = f.plugin.cves;
    let mut g = Rng::for_record(world.seed, named("ms-defender-vms-cve"), f.index);
    cves[g.below(cves.len() as u64) as usize]
}

/// Defender's lower-case, underscore-joined product names (`edge_chromium-based`).
fn slug(s: &str) -> String {
    s.trim()
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

/// The installed version. Its last component is the finding's index: two findings of
/// the same check on the same machine are two installations, so their ids (which hold
/// the version) differ as Defender's always do.
fn version(f: &FindingCore) -> String {
    let base = f
        .plugin
        .package
        .map_or("10.0", |(_, installed, _)| installed);
    format!("{base}.{}", f.index)
}

/// The KB that fixes it (Windows cumulative updates), without the `KB`.
fn fixing_kb(p: &Plugin) -> Option<&'static str> {
    p.fix_ref.strip_prefix("KB")
}

fn severity(p: &Plugin) -> &'static str {
    match p.severity {
        0 | 1 => "Low",
        2 => "Medium",
        3 => "High",
        _ => "Critical",
    }
}

/// Whether finding record `r` is in the current snapshot.
pub fn listed(world: &World, r: &RecordRef) -> bool {
    finding_live(world, r.index) && core(world, r).state != State::Fixed
}

/// The id of finding `index`.
pub fn vuln_id(world: &World, index: u64) -> String {
    let data = findings(world);
    let r = data.get(index).or_else(|| data.tombstone(index));
    match r {
        Some(r) => render_vuln(world, &r)["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        None => String::new(),
    }
}

/// A finding as `machinesVulnerabilities` serves it.
pub fn render_vuln(world: &World, r: &RecordRef) -> Value {
    let f = core(world, r);
    let machine = machine_id(world.seed, f.asset);
    let cve = cve(world, &f);
    let (vendor, product) = f.plugin.product;
    let product = f
        .plugin
        .package
        .map_or_else(|| slug(product), |(name, _, _)| slug(name));
    let vendor = slug(vendor);
    let version = version(&f);
    let kb = fixing_kb(f.plugin);
    let id = [
        machine.as_str(),
        cve,
        &vendor,
        &product,
        &version,
        kb.unwrap_or(""),
    ]
    .join(SEP);
    json!({
        "id": id,
        "cveId": cve,
        "machineId": machine,
        "fixingKbId": kb,
        "productName": product,
        "productVendor": vendor,
        "productVersion": version,
        "severity": severity(f.plugin),
    })
}

/// Every CVE of the catalogue, in order, with the check that reports it.
pub fn catalogue() -> &'static [(&'static str, &'static Plugin)] {
    static CVES: OnceLock<Vec<(&'static str, &'static Plugin)>> = OnceLock::new();
    CVES.get_or_init(|| {
        let mut seen = HashSet::new();
        let mut out: Vec<_> = PLUGINS
            .iter()
            .flat_map(|p| p.cves.iter().map(move |c| (*c, p)))
            .filter(|(c, _)| seen.insert(*c))
            .collect();
        out.sort_by_key(|(c, _)| *c);
        out
    })
}

/// A catalogue entry (`Vulnerability`). `EPSS` is derived from the CVSS score and the
/// exploit maturity, so it is stable per CVE.
pub fn render_cve(cve: &str, p: &Plugin) -> Value {
    let published = format!("{}T00:00:00Z", p.published);
    let epss = (f64::from(p.exploit) / 100.0 * 0.9 + p.cvss3 / 1000.0).min(0.97);
    let types: Vec<&str> = match (p.exploit, p.cvss3_vector.contains("AV:N")) {
        (0, _) => vec![],
        (_, true) => vec!["Remote code execution"],
        (_, false) => vec!["Local privilege escalation"],
    };
    let uris: Vec<String> = if p.exploit >= 30 {
        vec![format!("https://www.exploit-db.com/search?cve={cve}")]
    } else {
        vec![]
    };
    json!({
        "id": cve,
        "name": cve,
        "description": format!("{} ({})", p.synopsis, p.name),
        "severity": severity(p),
        "cvssV3": p.cvss3,
        "cvssVector": p.cvss3_vector,
        "publishedOn": published,
        "updatedOn": published,
        "publicExploit": p.exploit >= 30,
        "exploitVerified": p.exploit >= 60,
        "exploitInKit": p.exploit >= 90,
        "exploitTypes": types,
        "exploitUris": uris,
        "CveSupportability": "Supported",
        "EPSS": (epss * 10_000.0).round() / 10_000.0,
    })
}

/// The fields `$filter` may name on each list.
pub fn known_fields(catalogue: bool) -> &'static HashSet<String> {
    static VULNS: OnceLock<HashSet<String>> = OnceLock::new();
    static CVES: OnceLock<HashSet<String>> = OnceLock::new();
    let (cell, names): (_, &[&str]) = if catalogue {
        (
            &CVES,
            &[
                "id",
                "name",
                "description",
                "cvssV3",
                "publishedOn",
                "severity",
                "updatedOn",
            ],
        )
    } else {
        (
            &VULNS,
            &[
                "id",
                "cveId",
                "machineId",
                "fixingKbId",
                "productName",
                "productVersion",
                "severity",
                "productVendor",
            ],
        )
    };
    cell.get_or_init(|| names.iter().map(|s| (*s).to_owned()).collect())
}
