//! Qualys detections → findings (`docs/vms.md` has the table). A record is one
//! `DETECTION` as Qualys sent it (element names as keys, text values), with its host's
//! fields under `HOST` and its QID's KnowledgeBase fields under `KB` (see `client`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_model::{
    edr::Device,
    ids::record_id,
    vms::{
        Analytic, Cvss, FindingSeverity, FindingState, MappedFinding, Remediation, Vulnerability,
    },
    DataExportType, SourceVendor,
};

use super::{endpoints::VENDOR, xml};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{
        self, host::host_names, host::platform_of_os, net::Addresses, parse_time, record,
        require_object,
    },
};

const SOURCE: SourceVendor = VENDOR.source();
const PRODUCT: (&str, &str) = ("Qualys", "VMDR");

/// A field's text: a plain element, or one with attributes (`<QDS severity="LOW">35`).
fn text(v: &impl xml::Element, key: &str) -> Option<String> {
    xml::text(v, key)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn time(v: &View, key: &str) -> Option<DateTime<Utc>> {
    text(v, key).as_deref().and_then(parse_time)
}

/// A detection's identity: `UNIQUE_VULN_ID` when Qualys sends it, else (host, QID, port,
/// protocol, SSL, instance), which is what makes a detection distinct on a host.
pub fn detection_key(host_id: &str, raw: &impl xml::Element) -> String {
    if let Some(id) = text(raw, "UNIQUE_VULN_ID") {
        return id;
    }
    let part = |k| text(raw, k).unwrap_or_default();
    format!(
        "{host_id}:{}:{}:{}:{}:{}",
        part("QID"),
        part("PORT"),
        part("PROTOCOL").to_ascii_lowercase(),
        part("SSL"),
        part("INSTANCE")
    )
}

/// `TYPE` `Info` (information gathered) → INFORMATIONAL; else `SEVERITY` 1–2 → LOW, 3 →
/// MEDIUM, 4 → HIGH, 5 → CRITICAL; anything else → UNKNOWN.
pub fn severity(kind: Option<&str>, level: Option<i64>) -> FindingSeverity {
    if kind.is_some_and(|k| k.eq_ignore_ascii_case("info")) {
        return FindingSeverity::Informational;
    }
    match level {
        Some(1 | 2) => FindingSeverity::Low,
        Some(3) => FindingSeverity::Medium,
        Some(4) => FindingSeverity::High,
        Some(5) => FindingSeverity::Critical,
        _ => FindingSeverity::Unknown,
    }
}

/// `STATUS` `New`/`Active` → OPEN, `Re-Opened` → REOPENED, `Fixed` → FIXED; a detection
/// the customer ignored or disabled (`IS_IGNORED`/`IS_DISABLED`) is SUPPRESSED unless
/// fixed; anything else → UNKNOWN.
pub fn state(status: Option<&str>, suppressed: bool) -> FindingState {
    let s = status.map(str::to_ascii_lowercase);
    if s.as_deref() == Some("fixed") {
        return FindingState::Fixed;
    }
    if suppressed {
        return FindingState::Suppressed;
    }
    match s.as_deref() {
        Some("new" | "active") => FindingState::Open,
        Some("re-opened" | "reopened") => FindingState::Reopened,
        _ => FindingState::Unknown,
    }
}

/// The host as the detection's `HOST` block describes it.
fn host(ctx: &MapContext, id: &str, h: &View) -> Device {
    let mut d = record::device(ctx, SOURCE, id);
    let dns = text(h, "DNS");
    let short = normalize::string(h, "DNS_DATA.HOSTNAME")
        .or_else(|| {
            dns.as_deref()
                .map(|d| d.split('.').next().unwrap_or(d).to_owned())
        })
        .or_else(|| text(h, "NETBIOS"));
    let domain = normalize::string(h, "DNS_DATA.DOMAIN").or_else(|| {
        dns.as_deref()
            .and_then(|d| d.split_once('.'))
            .map(|(_, rest)| rest.to_owned())
    });
    let (hostnames, fqdns) = host_names(short.as_deref(), domain.as_deref());
    let mut addresses = Addresses::default();
    addresses.ips(text(h, "IP"));
    addresses.ips(text(h, "IPV6"));
    d.hostnames = hostnames;
    d.fqdns = fqdns;
    d.ipv4s = addresses.ipv4s;
    d.ipv6s = addresses.ipv6s;
    let os = text(h, "OS");
    d.platform = os.as_deref().map_or(d.platform, platform_of_os);
    d.os_version = os;
    d.last_seen = time(h, "LAST_SCAN_DATETIME").or_else(|| time(h, "LAST_VM_SCANNED_DATE"));
    d.vendor_data = normalize::pick(
        h,
        &[
            "TRACKING_METHOD",
            "NETBIOS",
            "QG_HOSTID",
            "ASSET_ID",
            "EC2_INSTANCE_ID",
            "CLOUD_PROVIDER",
            "NETWORK_ID",
        ],
    );
    d
}

/// One CVSS block of the KnowledgeBase (`BASE` may carry a `source` attribute).
fn cvss(kb: &View, block: &str, version: &str) -> Option<Cvss> {
    let b = kb.get(block)?;
    let score = text(b, "BASE")?
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())?;
    Some(Cvss {
        version: version.to_owned(),
        base_score: score,
        vector_string: text(b, "VECTOR_STRING"),
    })
}

fn vulnerabilities(kb: &View, severity: FindingSeverity) -> Vec<Vulnerability> {
    let scores: Vec<Cvss> = [cvss(kb, "CVSS_V3", "3.x"), cvss(kb, "CVSS", "2.0")]
        .into_iter()
        .flatten()
        .collect();
    xml::items(kb, "CVE_LIST", "CVE")
        .into_iter()
        .filter_map(|cve| {
            Some(Vulnerability {
                uid: text(cve, "ID")?,
                published: time(kb, "PUBLISHED_DATETIME"),
                last_modified: time(kb, "LAST_SERVICE_MODIFICATION_DATETIME"),
                status: None,
                title: text(kb, "TITLE"),
                description: None,
                severity,
                cvss: scores.clone(),
                epss: None,
                cwes: vec![],
                is_exploit_available: None,
                is_known_exploited: None,
                references: text(cve, "URL").into_iter().collect(),
            })
        })
        .collect()
}

fn remediation(kb: &View) -> Option<Remediation> {
    let desc = text(kb, "SOLUTION")?;
    let refs = xml::items(kb, "VENDOR_REFERENCE_LIST", "VENDOR_REFERENCE");
    Some(Remediation {
        desc: Some(desc),
        kb_articles: refs.iter().filter_map(|r| text(*r, "ID")).collect(),
        references: refs.iter().filter_map(|r| text(*r, "URL")).collect(),
    })
}

/// One detection.
pub fn finding(raw: &View, ctx: &MapContext) -> Result<MappedFinding, MappingError> {
    require_object(raw)?;
    let h = normalize::nested_object(raw, "HOST")?.unwrap_or(&View::Null);
    let host_id = text(h, "ID").ok_or_else(|| MappingError::new("`HOST.ID` is missing"))?;
    let qid = text(raw, "QID").ok_or_else(|| MappingError::new("`QID` is missing"))?;
    let kb = normalize::nested_object(raw, "KB")?.unwrap_or(&View::Null);
    let vendor_id = detection_key(&host_id, raw);
    let mut f = record::finding(ctx, SOURCE, &vendor_id, PRODUCT);
    f.severity = severity(
        text(raw, "TYPE").as_deref(),
        normalize::int(raw, "SEVERITY"),
    );
    let suppressed = normalize::boolean(raw, "IS_IGNORED").unwrap_or(false)
        || normalize::boolean(raw, "IS_DISABLED").unwrap_or(false);
    f.state = state(text(raw, "STATUS").as_deref(), suppressed);
    f.title = text(kb, "TITLE").or_else(|| Some(format!("QID {qid}")));
    f.description = text(kb, "DIAGNOSIS");
    f.analytic_output = text(raw, "RESULTS");
    f.first_seen = time(raw, "FIRST_FOUND_DATETIME");
    f.last_seen = time(raw, "LAST_FOUND_DATETIME");
    f.fixed_at = (f.state == FindingState::Fixed)
        .then(|| time(raw, "LAST_FIXED_DATETIME"))
        .flatten();
    f.state_updated_at = match f.state {
        FindingState::Fixed => f.fixed_at,
        FindingState::Reopened => time(raw, "LAST_REOPENED_DATETIME").or(f.last_seen),
        FindingState::Open => f.first_seen,
        _ => time(raw, "LAST_UPDATE_DATETIME"),
    };
    f.has_fix = normalize::boolean(kb, "PATCHABLE");
    f.remediation = remediation(kb);
    f.analytic = Some(Analytic {
        analytic_type: Some("QID".into()),
        uid: Some(qid.clone()),
        name: text(kb, "TITLE"),
        url: None,
    });
    f.resource_related.port = normalize::int(raw, "PORT").filter(|p| *p > 0);
    f.resource_related.protocol = text(raw, "PROTOCOL").map(|p| p.to_ascii_lowercase());
    f.resource_related.service = text(raw, "SERVICE");
    f.resource_related.affected_os = text(h, "OS");
    f.vulnerabilities = vulnerabilities(kb, f.severity);
    f.vendor_data = normalize::pick(
        raw,
        &[
            "QID",
            "TYPE",
            "SEVERITY",
            "STATUS",
            "SSL",
            "QDS",
            "TIMES_FOUND",
            "IS_IGNORED",
            "IS_DISABLED",
            "LAST_PROCESSED_DATETIME",
        ],
    );
    if let Some(category) = text(kb, "CATEGORY") {
        f.vendor_data["category"] = Value::String(category);
    }
    f.resource_id = Some(record_id(
        ctx.connection_id,
        DataExportType::Devices,
        &host_id,
    ));
    f.resource = Some(host(ctx, &host_id, h));
    let updated = ["LAST_UPDATE_DATETIME", "LAST_PROCESSED_DATETIME"]
        .into_iter()
        .find(|k| text(raw, k).is_some());
    let vendor_updated_at = match updated {
        Some(k) => Some(
            time(raw, k).ok_or_else(|| MappingError::new(format!("`{k}` is not a timestamp")))?,
        ),
        None => f.last_seen,
    };
    Ok(MappedFinding {
        vendor_id,
        vendor_updated_at,
        finding: f,
    })
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
