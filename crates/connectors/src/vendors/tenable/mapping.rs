//! Tenable assets → devices, Tenable vulnerability export records → findings
//! (`docs/mapping.md` has the tables).

use chrono::{DateTime, Utc};
use serde_json::Value;
use tributary_model::{
    edr::{Device, DeviceStatus, MappedDevice},
    ids::record_id,
    vms::{
        Analytic, Cvss, FindingSeverity, FindingState, MappedFinding, Remediation, Vulnerability,
    },
    DataExportType, SourceVendor,
};

use super::endpoints::VENDOR;
use crate::view::View;
use crate::{
    mapping::{MapContext, MappingError},
    normalize::{
        self,
        host::{host_names, platform_of_os},
        net::Addresses,
        record, require_object,
    },
};

const SOURCE: SourceVendor = VENDOR.source();
const PRODUCT: (&str, &str) = ("Tenable", "Tenable Vulnerability Management");

/// `severity` (`info`, `low`, `medium`, `high`, `critical`; any case), else `severity_id`
/// 0–4; anything else → UNKNOWN.
pub fn severity(name: Option<&str>, id: Option<i64>) -> FindingSeverity {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("info") | Some("informational") | Some("none") => FindingSeverity::Informational,
        Some("low") => FindingSeverity::Low,
        Some("medium") => FindingSeverity::Medium,
        Some("high") => FindingSeverity::High,
        Some("critical") => FindingSeverity::Critical,
        _ => match id {
            Some(0) => FindingSeverity::Informational,
            Some(1) => FindingSeverity::Low,
            Some(2) => FindingSeverity::Medium,
            Some(3) => FindingSeverity::High,
            Some(4) => FindingSeverity::Critical,
            _ => FindingSeverity::Unknown,
        },
    }
}

/// `state` `OPEN`, `REOPENED`, `FIXED` (any case); anything else → UNKNOWN.
pub fn state(s: Option<&str>) -> FindingState {
    match s.map(str::to_ascii_uppercase).as_deref() {
        Some("OPEN") | Some("NEW") | Some("ACTIVE") => FindingState::Open,
        Some("REOPENED") | Some("RESURFACED") => FindingState::Reopened,
        Some("FIXED") => FindingState::Fixed,
        _ => FindingState::Unknown,
    }
}

/// The first item of the list at `list`, else the first of `scalars` (a scalar, or a
/// list's first item).
fn first(raw: &View, list: &str, scalars: &[&str]) -> Option<String> {
    std::iter::once(list)
        .chain(scalars.iter().copied())
        .find_map(|p| {
            normalize::strings(raw, p)
                .into_iter()
                .next()
                .or_else(|| normalize::string(raw, p))
        })
}

/// A device from the facts Tenable reports about an asset (export records and the
/// `asset` object of findings use different field names; both are read).
fn device(ctx: &MapContext, raw: &View, uuid: &str) -> Device {
    let mut d = record::device(ctx, SOURCE, uuid);
    let mut addresses = Addresses::default();
    addresses.ips(normalize::strings(raw, "ipv4s"));
    addresses.ips(normalize::strings(raw, "ipv6s"));
    addresses.ips(normalize::string(raw, "ipv4"));
    addresses.ips(normalize::string(raw, "ipv6"));
    addresses.macs(normalize::strings(raw, "mac_addresses"));
    addresses.macs(normalize::string(raw, "mac_address"));
    let host = first(raw, "hostnames", &["hostname", "netbios_name"]);
    let fqdn = first(raw, "fqdns", &["fqdn"]);
    let (hostnames, mut fqdns) = host_names(host.as_deref(), None);
    if let Some(f) = fqdn {
        normalize::push_unique(&mut fqdns, f.to_ascii_lowercase());
    }
    let os = first(raw, "operating_systems", &["operating_system"]);
    d.hostnames = hostnames;
    d.fqdns = fqdns;
    d.ipv4s = addresses.ipv4s;
    d.ipv6s = addresses.ipv6s;
    d.mac_addresses = addresses.macs;
    d.platform = os.as_deref().map_or(d.platform, platform_of_os);
    d.os_version = os;
    d.first_seen = normalize::time(raw, "first_seen");
    d.last_seen = normalize::time(raw, "last_seen");
    d
}

/// An asset of the assets export.
pub fn asset(raw: &View, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    require_object(raw)?;
    let uuid = normalize::require_id(raw, &["id", "uuid"])?;
    let mut device = device(ctx, raw, &uuid);
    let gone = normalize::time(raw, "deleted_at").or(normalize::time(raw, "terminated_at"));
    device.status = Some(if gone.is_some() {
        DeviceStatus::Offline
    } else {
        DeviceStatus::Active
    });
    device.vendor_data = normalize::pick(
        raw,
        &[
            "has_agent",
            "agent_uuid",
            "bios_uuid",
            "system_types",
            "sources",
            "deleted_at",
            "terminated_at",
            "acr_score",
            "exposure_score",
        ],
    );
    Ok(MappedDevice {
        vendor_id: uuid,
        vendor_updated_at: normalize::watermark(raw, "updated_at")?,
        device,
    })
}

/// A finding's identity: `finding_id`, else (asset, plugin, port, protocol), which is how
/// Tenable defines a finding.
fn finding_id(raw: &View, asset: &str) -> Result<String, MappingError> {
    if let Some(id) = normalize::string(raw, "finding_id") {
        return Ok(id);
    }
    let plugin = normalize::require_id(raw, &["plugin.id"])?;
    let port = normalize::string(raw, "port.port").unwrap_or_else(|| "0".into());
    let protocol = normalize::string(raw, "port.protocol")
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(format!("{asset}:{plugin}:{port}:{protocol}"))
}

fn vulnerabilities(plugin: &View, severity: FindingSeverity) -> Vec<Vulnerability> {
    let mut cvss = Vec::new();
    if let Some(score) = normalize::float(plugin, "cvss3_base_score") {
        cvss.push(Cvss {
            version: "3.x".into(),
            base_score: score,
            vector_string: normalize::string(plugin, "cvss3_vector.raw"),
        });
    }
    if let Some(score) = normalize::float(plugin, "cvss_base_score") {
        cvss.push(Cvss {
            version: "2.0".into(),
            base_score: score,
            vector_string: normalize::string(plugin, "cvss_vector.raw"),
        });
    }
    normalize::strings(plugin, "cve")
        .into_iter()
        .map(|uid| Vulnerability {
            uid,
            published: normalize::time(plugin, "vuln_publication_date"),
            last_modified: normalize::time(plugin, "modification_date"),
            status: None,
            title: normalize::string(plugin, "name"),
            description: normalize::string(plugin, "synopsis"),
            severity,
            cvss: cvss.clone(),
            epss: None,
            cwes: vec![],
            is_exploit_available: normalize::boolean(plugin, "exploit_available"),
            is_known_exploited: None,
            references: normalize::strings(plugin, "see_also"),
        })
        .collect()
}

/// When the state last changed: fixed → `last_fixed`; reopened → `resurfaced_date`, else
/// `last_found`; open → `first_found`.
fn state_updated(raw: &View, state: FindingState) -> Option<DateTime<Utc>> {
    match state {
        FindingState::Fixed => normalize::time(raw, "last_fixed"),
        FindingState::Reopened => {
            normalize::time(raw, "resurfaced_date").or_else(|| normalize::time(raw, "last_found"))
        }
        _ => normalize::time(raw, "first_found"),
    }
}

/// A record of the vulns export.
pub fn finding(raw: &View, ctx: &MapContext) -> Result<MappedFinding, MappingError> {
    require_object(raw)?;
    let asset_uuid = normalize::require_id(raw, &["asset.uuid", "asset.id"])?;
    let vendor_id = finding_id(raw, &asset_uuid)?;
    let plugin = normalize::nested_object(raw, "plugin")?.unwrap_or(&View::Null);
    let asset = normalize::nested_object(raw, "asset")?.unwrap_or(&View::Null);
    let mut f = record::finding(ctx, SOURCE, &vendor_id, PRODUCT);
    f.severity = severity(
        normalize::string(raw, "severity").as_deref(),
        normalize::int(raw, "severity_id"),
    );
    f.state = state(normalize::string(raw, "state").as_deref());
    f.title = normalize::string(plugin, "name");
    f.description = normalize::first_string(plugin, &["description", "synopsis"]);
    f.analytic_output = normalize::string(raw, "output");
    f.first_seen = normalize::time(raw, "first_found");
    f.last_seen = normalize::time(raw, "last_found");
    f.fixed_at = (f.state == FindingState::Fixed)
        .then(|| normalize::time(raw, "last_fixed"))
        .flatten();
    f.state_updated_at = state_updated(raw, f.state);
    f.has_fix = normalize::boolean(plugin, "has_patch");
    f.remediation = normalize::string(plugin, "solution").map(|desc| Remediation {
        desc: Some(desc),
        kb_articles: vec![],
        references: normalize::strings(plugin, "see_also"),
    });
    let plugin_id = normalize::string(plugin, "id");
    f.analytic = plugin_id.as_ref().map(|id| Analytic {
        analytic_type: Some("PLUGIN".into()),
        uid: Some(id.clone()),
        name: normalize::string(plugin, "name"),
        url: Some(format!("https://www.tenable.com/plugins/nessus/{id}")),
    });
    f.resource_related.port = normalize::int(raw, "port.port").filter(|p| *p > 0);
    f.resource_related.protocol =
        normalize::string(raw, "port.protocol").map(|p| p.to_ascii_lowercase());
    f.resource_related.service = normalize::string(raw, "port.service");
    f.resource_related.affected_os = first(asset, "operating_system", &[]);
    f.vulnerabilities = vulnerabilities(plugin, f.severity);
    f.vendor_data = normalize::pick(
        raw,
        &[
            "severity_modification_type",
            "severity_default_id",
            "scan",
            "indexed",
        ],
    );
    if let Some(family) = normalize::string(plugin, "family") {
        f.vendor_data["plugin_family"] = Value::String(family);
    }
    f.resource_id = Some(record_id(
        ctx.connection_id,
        DataExportType::Devices,
        &asset_uuid,
    ));
    f.resource = Some(device(ctx, asset, &asset_uuid));
    Ok(MappedFinding {
        vendor_id,
        vendor_updated_at: normalize::watermark(raw, "indexed")?.or(f.last_seen),
        finding: f,
    })
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
