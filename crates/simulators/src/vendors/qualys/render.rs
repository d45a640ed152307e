//! Qualys records: host ids, QIDs and detection ids; hosts, detections and
//! KnowledgeBase vulnerabilities as the XML APIs write them (and as JSON, for the
//! benchmark baseline). Detections are placed host by host: detection `i` is on host
//! `i mod hosts` (the hosts at start), so a host's detections are found without an index.

use serde_json::{json, Value};

use crate::{
    dataset::RecordRef,
    fake::{fmt_ts, parse_ts, DAY, MIN},
    vms::{
        catalog::{Family, Plugin, PLUGINS},
        collections::{assets, findings},
        profiles::{asset, asset_ref, finding_on, AssetCore, FindingCore, Scope, State},
    },
    world::World,
};

/// Host ids are this plus the host's index: ascending with it, as Qualys sorts hosts.
pub const HOST_ID_BASE: u64 = 4_100_000;
/// Detection ids (`UNIQUE_VULN_ID`) are this plus the detection's index.
const UNIQUE_BASE: u64 = 7_300_000_000;
/// QIDs: the catalogue's checks numbered from here.
const QID_BASE: u64 = 370_101;
const QID_STEP: u64 = 7;

/// Text for an XML element.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Qualys' time form (whole seconds, `Z`).
pub fn xml_time(ns: i64) -> String {
    fmt_ts(ns, 0)
}

pub fn host_id(index: u64) -> u64 {
    HOST_ID_BASE + index
}

/// The host index a host id names.
pub fn host_index(id: u64) -> Option<u64> {
    id.checked_sub(HOST_ID_BASE)
}

pub fn unique_vuln_id(index: u64) -> u64 {
    UNIQUE_BASE + index
}

/// The hosts detections are spread over (the hosts at start; at least one).
pub fn hosts(world: &World) -> u64 {
    assets(world).base_count().max(1)
}

/// The host detection `i` is on.
pub fn detection_host(world: &World, i: u64) -> u64 {
    i % hosts(world)
}

pub fn qid(p: &Plugin) -> u64 {
    // By id: `PLUGINS` is a constant, so its rows have no fixed address to compare.
    let i = PLUGINS.iter().position(|q| q.id == p.id).unwrap_or(0);
    QID_BASE + i as u64 * QID_STEP
}

/// The check a QID names, if it is one of the catalogue's.
pub fn plugin_of(qid: u64) -> Option<&'static Plugin> {
    let off = qid.checked_sub(QID_BASE)?;
    (off % QID_STEP == 0)
        .then(|| PLUGINS.get((off / QID_STEP) as usize))
        .flatten()
}

/// Detection `r` on its host.
pub fn detection(world: &World, r: &RecordRef) -> FindingCore {
    finding_on(world, r, Scope::All, detection_host(world, r.index))
}

/// Qualys' status of a detection: a finding found since the start is `New` until it
/// changes; fixed `Fixed`, reopened `Re-Opened`, the rest `Active`.
pub fn status(world: &World, f: &FindingCore, version: u32) -> &'static str {
    match f.state {
        State::Fixed => "Fixed",
        State::Reopened => "Re-Opened",
        State::Open if version == 0 && f.index >= findings(world).base_count() => "New",
        State::Open => "Active",
    }
}

/// Ignored by the customer (listed only with `include_ignored=1`).
pub fn ignored(f: &FindingCore) -> bool {
    f.state != State::Fixed && f.roll[1] % 40 == 7
}

fn kind(f: &FindingCore) -> &'static str {
    if f.plugin.severity == 0 {
        "Info"
    } else if f.roll[1] % 10 == 3 {
        "Potential"
    } else {
        "Confirmed"
    }
}

fn qds(p: &Plugin) -> (u64, &'static str) {
    let score = ((p.cvss3 * 10.0) as u64 + u64::from(p.exploit) / 6).clamp(1, 100);
    let band = match score {
        90.. => "CRITICAL",
        70..=89 => "HIGH",
        40..=69 => "MEDIUM",
        _ => "LOW",
    };
    (score, band)
}

fn domain(a: &AssetCore) -> &str {
    a.fqdn.split_once('.').map_or("", |(_, d)| d)
}

/// A host's own elements (everything before its `DETECTION_LIST`).
pub fn host_xml(world: &World, index: u64, out: &mut String) {
    let a = asset(world, &asset_ref(world, index));
    out.push_str(&format!(
        "      <HOST>\n        <ID>{}</ID>\n        <IP>{}</IP>\n        <IPV6>{}</IPV6>\n        <TRACKING_METHOD>{}</TRACKING_METHOD>\n        <OS><![CDATA[{}]]></OS>\n        <DNS><![CDATA[{}]]></DNS>\n        <DNS_DATA>\n          <HOSTNAME><![CDATA[{}]]></HOSTNAME>\n          <DOMAIN><![CDATA[{}]]></DOMAIN>\n          <FQDN><![CDATA[{}]]></FQDN>\n        </DNS_DATA>\n",
        host_id(index),
        a.ipv4,
        a.ipv6,
        if a.instance_id.is_some() { "EC2" } else if a.has_agent { "AGENT" } else { "IP" },
        a.os.name,
        a.fqdn,
        a.hostname.to_lowercase(),
        domain(&a),
        a.fqdn,
    ));
    if let Some(i) = &a.instance_id {
        out.push_str(&format!("        <EC2_INSTANCE_ID>{i}</EC2_INSTANCE_ID>\n"));
    }
    if let Some(n) = &a.netbios {
        out.push_str(&format!("        <NETBIOS><![CDATA[{n}]]></NETBIOS>\n"));
    }
    out.push_str(&format!(
        "        <LAST_SCAN_DATETIME>{}</LAST_SCAN_DATETIME>\n        <LAST_VM_SCANNED_DATE>{}</LAST_VM_SCANNED_DATE>\n        <LAST_VM_SCANNED_DURATION>{}</LAST_VM_SCANNED_DURATION>\n        <LAST_PC_SCANNED_DATE>{}</LAST_PC_SCANNED_DATE>\n",
        xml_time(a.last_seen),
        xml_time(a.last_seen - 4 * MIN),
        180 + a.index % 900,
        xml_time(a.last_seen - DAY),
    ));
}

/// One `DETECTION`.
pub fn detection_xml(world: &World, f: &FindingCore, version: u32, out: &mut String) {
    let p = f.plugin;
    let (score, band) = qds(p);
    out.push_str(&format!(
        "          <DETECTION>\n            <UNIQUE_VULN_ID>{}</UNIQUE_VULN_ID>\n            <QID>{}</QID>\n            <TYPE>{}</TYPE>\n            <SEVERITY>{}</SEVERITY>\n",
        unique_vuln_id(f.index),
        qid(p),
        kind(f),
        p.severity + 1,
    ));
    let (port, protocol, service) = p.port;
    if port > 0 {
        out.push_str(&format!(
            "            <PORT>{port}</PORT>\n            <PROTOCOL>{protocol}</PROTOCOL>\n            <SERVICE>{service}</SERVICE>\n"
        ));
    }
    out.push_str(&format!(
        "            <SSL>{}</SSL>\n            <STATUS>{}</STATUS>\n            <FIRST_FOUND_DATETIME>{}</FIRST_FOUND_DATETIME>\n            <LAST_FOUND_DATETIME>{}</LAST_FOUND_DATETIME>\n            <QDS severity=\"{band}\">{score}</QDS>\n            <TIMES_FOUND>{}</TIMES_FOUND>\n            <LAST_TEST_DATETIME>{}</LAST_TEST_DATETIME>\n            <LAST_UPDATE_DATETIME>{}</LAST_UPDATE_DATETIME>\n",
        u8::from(port == 443),
        status(world, f, version),
        xml_time(f.first_found),
        xml_time(f.last_found),
        1 + (f.last_found - f.first_found) / (7 * DAY),
        xml_time(f.updated.max(f.last_found)),
        xml_time(f.updated),
    ));
    if let Some(fixed) = f.last_fixed {
        out.push_str(&format!(
            "            <LAST_FIXED_DATETIME>{}</LAST_FIXED_DATETIME>\n",
            xml_time(fixed)
        ));
    }
    if f.state == State::Reopened {
        out.push_str(&format!(
            "            <LAST_REOPENED_DATETIME>{}</LAST_REOPENED_DATETIME>\n            <TIMES_REOPENED>{}</TIMES_REOPENED>\n",
            xml_time(f.updated),
            1 + version / 2
        ));
    }
    if p.os == Some(Family::Linux) {
        // Whether the vulnerable kernel is the one running (kernel checks on Linux).
        out.push_str(&format!(
            "            <AFFECT_RUNNING_KERNEL>{}</AFFECT_RUNNING_KERNEL>\n",
            u8::from(p.name.contains("ernel"))
        ));
    }
    out.push_str(&format!(
        "            <IS_IGNORED>{}</IS_IGNORED>\n            <IS_DISABLED>0</IS_DISABLED>\n            <LAST_PROCESSED_DATETIME>{}</LAST_PROCESSED_DATETIME>\n          </DETECTION>\n",
        u8::from(ignored(f)),
        xml_time(f.updated),
    ));
}

/// One KnowledgeBase `VULN`.
pub fn vuln_xml(p: &Plugin, out: &mut String) {
    let published = parse_ts(p.published).unwrap_or(0);
    out.push_str(&format!(
        "      <VULN>\n        <QID>{}</QID>\n        <VULN_TYPE>{}</VULN_TYPE>\n        <SEVERITY_LEVEL>{}</SEVERITY_LEVEL>\n        <TITLE><![CDATA[{}]]></TITLE>\n        <CATEGORY>{}</CATEGORY>\n        <LAST_SERVICE_MODIFICATION_DATETIME>{}</LAST_SERVICE_MODIFICATION_DATETIME>\n        <PUBLISHED_DATETIME>{}</PUBLISHED_DATETIME>\n        <PATCHABLE>{}</PATCHABLE>\n",
        qid(p),
        if p.severity == 0 { "Information Gathered" } else { "Vulnerability" },
        p.severity + 1,
        p.name,
        escape(p.family),
        xml_time(published + 3 * DAY),
        xml_time(published),
        u8::from(p.has_patch),
    ));
    if !p.fix_ref.is_empty() {
        out.push_str(&format!(
            "        <VENDOR_REFERENCE_LIST>\n          <VENDOR_REFERENCE>\n            <ID><![CDATA[{}]]></ID>\n            <URL><![CDATA[https://advisories.example.com/{}]]></URL>\n          </VENDOR_REFERENCE>\n        </VENDOR_REFERENCE_LIST>\n",
            p.fix_ref, p.fix_ref
        ));
    }
    if !p.cves.is_empty() {
        out.push_str("        <CVE_LIST>\n");
        for c in p.cves {
            out.push_str(&format!(
                "          <CVE>\n            <ID><![CDATA[{c}]]></ID>\n            <URL><![CDATA[https://nvd.nist.gov/vuln/detail/{c}]]></URL>\n          </CVE>\n"
            ));
        }
        out.push_str("        </CVE_LIST>\n");
    }
    out.push_str(&format!(
        "        <DIAGNOSIS><![CDATA[{}]]></DIAGNOSIS>\n        <CONSEQUENCE><![CDATA[Successful exploitation affects {} {}.]]></CONSEQUENCE>\n        <SOLUTION><![CDATA[{}]]></SOLUTION>\n",
        p.synopsis, p.product.0, p.product.1, p.solution
    ));
    if p.cvss2 > 0.0 {
        out.push_str(&format!(
            "        <CVSS>\n          <BASE source=\"service\">{:.1}</BASE>\n          <TEMPORAL>{:.1}</TEMPORAL>\n        </CVSS>\n",
            p.cvss2,
            p.cvss2 * 0.85
        ));
    }
    if p.cvss3 > 0.0 {
        out.push_str(&format!(
            "        <CVSS_V3>\n          <BASE>{:.1}</BASE>\n          <TEMPORAL>{:.1}</TEMPORAL>\n          <VECTOR_STRING>{}</VECTOR_STRING>\n        </CVSS_V3>\n",
            p.cvss3,
            p.cvss3 * 0.9,
            p.cvss3_vector
        ));
    }
    out.push_str(&format!(
        "        <PCI_FLAG>{}</PCI_FLAG>\n      </VULN>\n",
        u8::from(p.severity >= 2)
    ));
}

/// A host as JSON (its XML elements as members).
pub fn host_json(world: &World, r: &RecordRef) -> Value {
    let a = asset(world, r);
    json!({
        "ID": host_id(r.index).to_string(), "IP": a.ipv4, "IPV6": a.ipv6, "OS": a.os.name,
        "DNS": a.fqdn, "NETBIOS": a.netbios,
        "DNS_DATA": {"HOSTNAME": a.hostname.to_lowercase(), "DOMAIN": domain(&a), "FQDN": a.fqdn},
        "LAST_SCAN_DATETIME": xml_time(a.last_seen),
    })
}

/// A detection as JSON, with its host under `HOST` (the shape the connector hands on).
pub fn detection_json(world: &World, r: &RecordRef) -> Value {
    let f = detection(world, r);
    let (score, band) = qds(f.plugin);
    let mut v = json!({
        "UNIQUE_VULN_ID": unique_vuln_id(f.index).to_string(),
        "QID": qid(f.plugin).to_string(),
        "TYPE": kind(&f),
        "SEVERITY": (f.plugin.severity + 1).to_string(),
        "STATUS": status(world, &f, r.version),
        "FIRST_FOUND_DATETIME": xml_time(f.first_found),
        "LAST_FOUND_DATETIME": xml_time(f.last_found),
        "QDS": {"@severity": band, "#text": score.to_string()},
        "LAST_UPDATE_DATETIME": xml_time(f.updated),
        "IS_IGNORED": u8::from(ignored(&f)).to_string(),
        "HOST": host_json(world, &asset_ref(world, f.asset)),
    });
    if let Some(fixed) = f.last_fixed {
        v["LAST_FIXED_DATETIME"] = json!(xml_time(fixed));
    }
    v
}
