//! Defender Vulnerability Management records → findings (`docs/vms.md` has the table).
//! A record is one CVE in one product version on one machine, with its CVE's catalogue
//! entry under `vulnerability` (the client adds it). Every listed finding is OPEN: the
//! snapshot lists only what is found now; absence is the fix, which the store records
//! when a complete snapshot no longer lists it (and REOPENED when it comes back).

use tributary_model::{
    edr::Device,
    ids::record_id,
    vms::{
        AffectedPackage, Analytic, Cvss, Epss, FindingSeverity, FindingState, MappedFinding,
        Remediation, Vulnerability,
    },
    DataExportType, SourceVendor,
};

use super::endpoints::VENDOR;
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{self, record, require_object},
};

const SOURCE: SourceVendor = VENDOR.source();
const PRODUCT: (&str, &str) = ("Microsoft", "Defender Vulnerability Management");

/// `severity`: `Critical`, `High`, `Medium`, `Low` (any case); anything else → UNKNOWN.
pub fn severity(s: Option<&str>) -> FindingSeverity {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some("critical") => FindingSeverity::Critical,
        Some("high") => FindingSeverity::High,
        Some("medium") => FindingSeverity::Medium,
        Some("low") => FindingSeverity::Low,
        _ => FindingSeverity::Unknown,
    }
}

/// `CVSS:3.1/AV:N/…` → `3.1`; no vector → `3.x` (the catalogue's score is CVSS v3).
fn cvss_version(vector: Option<&str>) -> String {
    vector
        .and_then(|v| v.strip_prefix("CVSS:"))
        .and_then(|v| v.split('/').next())
        .filter(|v| !v.is_empty())
        .unwrap_or("3.x")
        .to_owned()
}

/// The CVE as the catalogue describes it (only its id when the catalogue lacks it).
fn vulnerability(cve: &str, entry: &View, fallback: FindingSeverity) -> Vulnerability {
    let vector = normalize::string(entry, "cvssVector");
    let exploit = ["publicExploit", "exploitVerified", "exploitInKit"]
        .iter()
        .filter_map(|k| normalize::boolean(entry, k))
        .reduce(|a, b| a || b);
    let epss = normalize::float(entry, "EPSS")
        .or_else(|| normalize::float(entry, "epss"))
        .map(|score| Epss {
            score,
            percentile: None,
        });
    let severity = match severity(normalize::string(entry, "severity").as_deref()) {
        FindingSeverity::Unknown => fallback,
        s => s,
    };
    Vulnerability {
        uid: cve.to_owned(),
        published: normalize::time(entry, "publishedOn"),
        last_modified: normalize::time(entry, "updatedOn"),
        status: None,
        title: normalize::string(entry, "name"),
        description: normalize::string(entry, "description"),
        severity,
        cvss: normalize::float(entry, "cvssV3")
            .map(|base_score| Cvss {
                version: cvss_version(vector.as_deref()),
                base_score,
                vector_string: vector,
            })
            .into_iter()
            .collect(),
        epss,
        cwes: vec![],
        is_exploit_available: exploit,
        // The catalogue says whether an exploit is public, verified or in a kit, not
        // whether it is exploited in the wild (CISA KEV).
        is_known_exploited: None,
        references: normalize::strings(entry, "exploitUris"),
    }
}

/// `fixingKbId` (`3185911` or `KB3185911`) → `KB3185911`.
fn kb(raw: &View) -> Option<String> {
    let id = normalize::string(raw, "fixingKbId").filter(|k| !k.trim().is_empty())?;
    let id = id.trim();
    Some(if id.to_ascii_uppercase().starts_with("KB") {
        id.to_owned()
    } else {
        format!("KB{id}")
    })
}

fn machine(ctx: &MapContext, machine_id: &str) -> Device {
    record::device(ctx, SOURCE, machine_id)
}

pub fn finding(raw: &View, ctx: &MapContext) -> Result<MappedFinding, MappingError> {
    require_object(raw)?;
    let vendor_id = normalize::require_id(raw, &["id"])?;
    let entry = normalize::nested_object(raw, "vulnerability")?.unwrap_or(&View::Null);
    let mut f = record::finding(ctx, SOURCE, &vendor_id, PRODUCT);
    let cve = normalize::string(raw, "cveId");
    let product = normalize::string(raw, "productName");
    let version = normalize::string(raw, "productVersion");
    let package = match (&product, &version) {
        (Some(p), Some(v)) => Some(format!("{p} {v}")),
        (Some(p), None) => Some(p.clone()),
        _ => None,
    };
    f.title = cve.as_ref().map(|c| match &package {
        Some(p) => format!("{c} in {p}"),
        None => c.clone(),
    });
    f.description = normalize::string(entry, "description");
    f.severity = match severity(normalize::string(raw, "severity").as_deref()) {
        FindingSeverity::Unknown => severity(normalize::string(entry, "severity").as_deref()),
        s => s,
    };
    f.state = FindingState::Open;
    let kb = kb(raw);
    f.has_fix = kb.as_ref().map(|_| true);
    f.remediation = kb.map(|kb| Remediation {
        desc: Some(format!("Install the security update {kb}.")),
        references: vec![format!(
            "https://support.microsoft.com/help/{}",
            kb.trim_start_matches("KB")
        )],
        kb_articles: vec![kb],
    });
    f.analytic = cve.as_ref().map(|c| Analytic {
        analytic_type: Some("CVE".into()),
        uid: Some(c.clone()),
        name: Some(c.clone()),
        url: c
            .starts_with("CVE-")
            .then(|| format!("https://nvd.nist.gov/vuln/detail/{c}")),
    });
    f.resource_related.affected_package = product.map(|name| AffectedPackage {
        name: Some(name),
        version,
        fixed_version: None,
    });
    f.vulnerabilities = cve
        .as_deref()
        .map(|c| vulnerability(c, entry, f.severity))
        .into_iter()
        .collect();
    let mut data = normalize::pick(
        raw,
        &["machineId", "productVendor", "fixingKbId", "severity"],
    );
    if let (Some(o), Some(types)) = (data.as_object_mut(), entry.get("exploitTypes")) {
        o.insert("exploitTypes".into(), types.to_value());
    }
    f.vendor_data = data;
    if let Some(machine_id) = normalize::string(raw, "machineId") {
        f.resource_id = Some(record_id(
            ctx.connection_id,
            DataExportType::Devices,
            &machine_id,
        ));
        f.resource = Some(machine(ctx, &machine_id));
    }
    Ok(MappedFinding {
        vendor_id,
        // A snapshot has no change times: nothing to keep a watermark of.
        vendor_updated_at: None,
        finding: f,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::normalize::testkit::ctx;

    #[test]
    fn a_record_with_its_catalogue_entry_maps_every_field() {
        let raw = json!({
            "id": "0a1b-_-CVE-2024-38063-_-microsoft-_-windows_11-_-10.0.22631.3880-_-5041585",
            "cveId": "CVE-2024-38063", "machineId": "0a1b", "fixingKbId": "5041585",
            "productName": "windows_11", "productVendor": "microsoft",
            "productVersion": "10.0.22631.3880", "severity": "Critical",
            "vulnerability": {"id": "CVE-2024-38063", "name": "CVE-2024-38063",
                "description": "TCP/IP remote code execution.", "severity": "Critical",
                "cvssV3": 9.8, "cvssVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "publishedOn": "2024-08-13T00:00:00Z", "updatedOn": "2024-08-20T00:00:00Z",
                "publicExploit": false, "exploitVerified": true, "exploitInKit": false,
                "exploitTypes": ["Remote code execution"], "exploitUris": ["https://x.test/poc"],
                "EPSS": 0.0512}
        });
        let m = finding(&View::from(&raw), &ctx()).unwrap();
        let f = &m.finding;
        assert_eq!(
            f.title.as_deref(),
            Some("CVE-2024-38063 in windows_11 10.0.22631.3880")
        );
        assert_eq!(
            f.description.as_deref(),
            Some("TCP/IP remote code execution.")
        );
        assert_eq!(
            (f.severity, f.state),
            (FindingSeverity::Critical, FindingState::Open)
        );
        assert_eq!(f.has_fix, Some(true));
        assert_eq!(f.remediation.as_ref().unwrap().kb_articles, ["KB5041585"]);
        let v = &f.vulnerabilities[0];
        assert_eq!(
            (v.cvss[0].version.as_str(), v.cvss[0].base_score),
            ("3.1", 9.8)
        );
        assert_eq!(v.epss.as_ref().unwrap().score, 0.0512);
        assert_eq!(v.is_exploit_available, Some(true));
        assert_eq!(v.references, ["https://x.test/poc"]);
        assert_eq!(
            v.published.unwrap().to_rfc3339(),
            "2024-08-13T00:00:00+00:00"
        );
        let pkg = f.resource_related.affected_package.as_ref().unwrap();
        assert_eq!(pkg.version.as_deref(), Some("10.0.22631.3880"));
        assert_eq!(
            f.resource.as_ref().unwrap().source_vendors[0].vendor_id,
            "0a1b"
        );
        assert_eq!(f.resource_id, Some(f.resource.as_ref().unwrap().id));
        assert_eq!(f.vendor_data["exploitTypes"][0], "Remote code execution");
        assert!(f.fixed_at.is_none() && f.first_seen.is_none());
    }

    #[test]
    fn a_bare_record_still_maps_and_odd_values_are_unknown() {
        let raw = json!({"id": "m-_-CVE-1-_-v-_-p-_-1-_-", "cveId": "CVE-1", "machineId": "m",
                         "fixingKbId": null, "severity": "Severe"});
        let f = finding(&View::from(&raw), &ctx()).unwrap().finding;
        assert_eq!(f.severity, FindingSeverity::Unknown);
        assert_eq!((f.has_fix, f.remediation.is_none()), (None, true));
        assert_eq!(f.vulnerabilities[0].uid, "CVE-1");
        assert!(f.vulnerabilities[0].cvss.is_empty());
        assert!(finding(&View::from(&json!({"cveId": "CVE-1"})), &ctx()).is_err());
        assert!(finding(&View::from(&json!("text")), &ctx()).is_err());
        assert_eq!(severity(Some("low")), FindingSeverity::Low);
        assert_eq!(
            kb(&View::from(&json!({"fixingKbId": "KB123"}))).as_deref(),
            Some("KB123")
        );
    }
}
