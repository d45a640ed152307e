//! Spotlight vulnerability records → findings (`docs/mapping.md` has the tables).

use tributary_model::{
    edr::Device,
    ids::record_id,
    vms::{
        AffectedPackage, Analytic, Cvss, FindingSeverity, FindingState, FindingType, MappedFinding,
        Remediation, Vulnerability,
    },
    DataExportType, SourceVendor,
};

use super::endpoints::VENDOR;
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{self, host::host_names, net::Addresses, record, require_object},
    vendors::crowdstrike::mapping::platform,
};

const SOURCE: SourceVendor = VENDOR.source();
const PRODUCT: (&str, &str) = ("CrowdStrike", "Falcon Spotlight");

/// `cve.severity`: `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `NONE` → INFORMATIONAL, anything
/// else → UNKNOWN.
pub fn severity(s: Option<&str>) -> FindingSeverity {
    match s.map(str::to_ascii_uppercase).as_deref() {
        Some("CRITICAL") => FindingSeverity::Critical,
        Some("HIGH") => FindingSeverity::High,
        Some("MEDIUM") => FindingSeverity::Medium,
        Some("LOW") => FindingSeverity::Low,
        Some("NONE") => FindingSeverity::Informational,
        _ => FindingSeverity::Unknown,
    }
}

/// `status` `open` → OPEN, `reopen` → REOPENED, `closed` → FIXED; `expired` (Falcon
/// stopped evaluating it: the host was not seen) and anything else → UNKNOWN; a
/// suppressed finding is SUPPRESSED whatever its status.
pub fn state(status: Option<&str>, suppressed: bool) -> FindingState {
    if suppressed {
        return FindingState::Suppressed;
    }
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("open") => FindingState::Open,
        Some("reopen") => FindingState::Reopened,
        Some("closed") => FindingState::Fixed,
        _ => FindingState::Unknown,
    }
}

/// The host the finding is on, as its `host_info` describes it.
fn host(ctx: &MapContext, aid: &str, info: &View) -> Device {
    let mut d = record::device(ctx, SOURCE, aid);
    let (hostnames, fqdns) = host_names(
        normalize::string(info, "hostname").as_deref(),
        normalize::string(info, "machine_domain").as_deref(),
    );
    let mut addresses = Addresses::default();
    addresses.ips(normalize::string(info, "local_ip"));
    d.hostnames = hostnames;
    d.fqdns = fqdns;
    d.ipv4s = addresses.ipv4s;
    d.ipv6s = addresses.ipv6s;
    d.platform = platform(normalize::string(info, "platform").as_deref(), None);
    d.os_version = normalize::string(info, "os_version");
    d.last_seen = normalize::time(info, "host_last_seen_timestamp");
    d
}

fn vulnerability(cve: &View, severity: FindingSeverity) -> Option<Vulnerability> {
    let uid = normalize::string(cve, "id")?;
    let vector = normalize::string(cve, "vector");
    let version = vector
        .as_deref()
        .and_then(|v| v.strip_prefix("CVSS:"))
        .and_then(|v| v.split('/').next())
        .unwrap_or("3.x")
        .to_owned();
    Some(Vulnerability {
        uid,
        published: normalize::time(cve, "published_date"),
        last_modified: normalize::time(cve, "spotlight_published_date"),
        status: None,
        title: None,
        description: normalize::string(cve, "description"),
        severity,
        cvss: normalize::float(cve, "base_score")
            .map(|score| Cvss {
                version,
                base_score: score,
                vector_string: vector,
            })
            .into_iter()
            .collect(),
        epss: None,
        cwes: normalize::strings(cve, "cwes"),
        // Exploit status 30 (available) and above.
        is_exploit_available: normalize::int(cve, "exploit_status").map(|s| s >= 30),
        is_known_exploited: normalize::boolean(cve, "cisa_info.is_cisa_kev"),
        references: normalize::strings(cve, "references"),
    })
}

fn remediation(raw: &View) -> Option<Remediation> {
    let entities = normalize::array(raw, "remediation.entities");
    let first = entities.first()?;
    Some(Remediation {
        desc: normalize::first_string(first, &["action", "title"]),
        kb_articles: entities
            .iter()
            .filter_map(|e| normalize::string(e, "reference"))
            .collect(),
        references: entities
            .iter()
            .filter_map(|e| normalize::string(e, "link"))
            .collect(),
    })
}

pub fn finding(raw: &View, ctx: &MapContext) -> Result<MappedFinding, MappingError> {
    require_object(raw)?;
    let vendor_id = normalize::require_id(raw, &["id"])?;
    let cve = normalize::nested_object(raw, "cve")?.unwrap_or(&View::Null);
    let info = normalize::nested_object(raw, "host_info")?.unwrap_or(&View::Null);
    let mut f = record::finding(ctx, SOURCE, &vendor_id, PRODUCT);
    let vuln_id = normalize::first_string(raw, &["vulnerability_id", "cve.id"]);
    let app = normalize::array(raw, "apps").first().unwrap_or(&View::Null);
    let product =
        normalize::first_string(app, &["product_name_version", "product_name_normalized"]);
    f.title = vuln_id.as_ref().map(|v| match &product {
        Some(p) => format!("{v} in {p}"),
        None => v.clone(),
    });
    f.description = normalize::string(cve, "description");
    f.severity = severity(normalize::string(cve, "severity").as_deref());
    let suppressed = normalize::boolean(raw, "suppression_info.is_suppressed").unwrap_or(false);
    f.state = state(normalize::string(raw, "status").as_deref(), suppressed);
    let types = normalize::strings(cve, "types");
    if types
        .iter()
        .any(|t| t.eq_ignore_ascii_case("Misconfiguration"))
    {
        f.finding_type = FindingType::Configuration;
    }
    f.first_seen = normalize::time(raw, "created_timestamp");
    f.last_seen = normalize::array(raw, "data_providers")
        .iter()
        .filter_map(|p| normalize::time(p, "scan_time"))
        .max()
        .or_else(|| normalize::time(raw, "updated_timestamp"));
    f.fixed_at = (f.state == FindingState::Fixed)
        .then(|| normalize::time(raw, "closed_timestamp"))
        .flatten();
    f.state_updated_at = match f.state {
        FindingState::Open => f.first_seen,
        FindingState::Fixed => f.fixed_at,
        _ => normalize::time(raw, "updated_timestamp"),
    };
    f.remediation = remediation(raw);
    f.has_fix = normalize::string(cve, "remediation_level")
        .map(|l| l.eq_ignore_ascii_case("O"))
        .or(f.remediation.as_ref().map(|_| true));
    f.analytic = vuln_id.as_ref().map(|v| Analytic {
        analytic_type: Some("CVE".into()),
        uid: Some(v.clone()),
        name: Some(v.clone()),
        url: v
            .starts_with("CVE-")
            .then(|| format!("https://nvd.nist.gov/vuln/detail/{v}")),
    });
    f.resource_related.affected_os = normalize::string(info, "os_version");
    f.resource_related.affected_package = product.map(|p| AffectedPackage {
        name: normalize::string(app, "product_name_normalized").or(Some(p.clone())),
        version: None,
        fixed_version: None,
    });
    f.vulnerabilities = vulnerability(cve, f.severity).into_iter().collect();
    f.vendor_data = normalize::pick(
        raw,
        &["cid", "aid", "status", "confidence", "data_providers"],
    );
    if let Some(aid) = normalize::string(raw, "aid") {
        f.resource_id = Some(record_id(ctx.connection_id, DataExportType::Devices, &aid));
        f.resource = Some(host(ctx, &aid, info));
    }
    Ok(MappedFinding {
        vendor_id,
        vendor_updated_at: normalize::watermark(raw, "updated_timestamp")?,
        finding: f,
    })
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
