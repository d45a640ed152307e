//! A `/devices/entities/devices/v2` resource → a device. Alerts embed the same host
//! fields in `device{}`, so [`host`] serves both.

use serde_json::Value;
use tributary_model::edr::{
    AdInfo, AgentInfo, CloudMetadata, CloudProvider, Device, DeviceGroup, Identity, Tag,
};

use super::{device_status, platform, VENDOR};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedDevice, MappingError},
    normalize::{
        array, at, first_string,
        host::{ad_domain, aws_location, host_names, org_unit_from_list},
        net::Addresses,
        pick, record, require_id, string, strings, time, watermark,
    },
};

/// Host fields passed through in `vendor_data`.
const VENDOR_DATA: &[&str] = &[
    "cid",
    "platform_id",
    "product_type_desc",
    "chassis_type_desc",
    "system_manufacturer",
    "system_product_name",
    "serial_number",
    "bios_manufacturer",
    "bios_version",
    "kernel_version",
    "os_build",
    "os_product_name",
    "reduced_functionality_mode",
    "rtr_state",
    "provision_status",
    "filesystem_containment_status",
    "service_provider",
    "zone_group",
    "default_gateway_ip",
    "last_login_timestamp",
    "last_reboot",
    "status",
];

/// Maps a `/devices/entities/devices/v2` resource. Refused: a non-object, a missing
/// `device_id`, an unreadable `modified_timestamp`.
pub fn map_device(raw: &View, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = require_id(raw, &["device_id"])?;
    let vendor_updated_at = watermark(raw, "modified_timestamp")?;
    Ok(MappedDevice {
        device: host(ctx, &id, raw),
        vendor_id: id,
        vendor_updated_at,
    })
}

/// The device a host entity (or an alert's `device{}` snapshot) describes.
pub(super) fn host(ctx: &MapContext, id: &str, v: &View) -> Device {
    let mut d = record::device(ctx, VENDOR, id);
    let hostname = string(v, "hostname");
    let domain = first_string(v, &["machine_domain", "hostinfo.domain"]);
    (d.hostnames, d.fqdns) = host_names(hostname.as_deref(), domain.as_deref());
    d.platform = platform(
        string(v, "platform_name").as_deref(),
        string(v, "platform_id").as_deref(),
    );
    d.status = device_status(string(v, "status").as_deref());
    d.os_version = first_string(v, &["os_version", "os_product_name"]);
    d.os_major_version = string(v, "major_version");
    d.os_minor_version = string(v, "minor_version");
    let mut addrs = Addresses::default();
    for key in ["local_ip", "connection_ip", "external_ip"] {
        addrs.ips(string(v, key));
    }
    for key in ["mac_address", "connection_mac_address"] {
        addrs.macs(string(v, key));
    }
    (d.ipv4s, d.ipv6s, d.mac_addresses) = (addrs.ipv4s, addrs.ipv6s, addrs.macs);
    d.first_seen = time(v, "first_seen");
    d.last_seen = time(v, "last_seen");
    d.source_vendors[0].agent_info = Some(AgentInfo {
        agent_version: string(v, "agent_version"),
        // The Falcon sensor has no signature (definition) version.
        signature_version: None,
        policies: policies(v),
    });
    d.ad_info = ad_info(v, domain, hostname.as_deref());
    d.cloud_metadata = cloud(v);
    d.tags = strings(v, "tags").iter().filter_map(|t| tag(t)).collect();
    d.identities = string(v, "last_login_user")
        .map(|u| Identity {
            username: Some(u),
            user_sid: string(v, "last_login_user_sid"),
        })
        .into_iter()
        .collect();
    d.vendor_data = pick(v, VENDOR_DATA);
    // Host group ids; their names need another API call, so the id is the name.
    d.device_groups = Some(
        strings(v, "groups")
            .into_iter()
            .map(|g| DeviceGroup {
                vendor_id: Some(g.clone()),
                name: g,
            })
            .collect(),
    );
    d
}

/// The applied policies as CrowdStrike sends them: each `device_policies{}` entry, then
/// any `policies[]` entry not already listed (same type and id).
fn policies(v: &View) -> Vec<Value> {
    let mut out: Vec<&View> = at(v, "device_policies")
        .and_then(View::members)
        .map(|m| m.map(|(_, p)| p).filter(|p| p.is_object()).collect())
        .unwrap_or_default();
    let key = |p: &View| (string(p, "policy_type"), string(p, "policy_id"));
    for p in array(v, "policies").iter().filter(|p| p.is_object()) {
        if !out.iter().any(|o| key(o) == key(p)) {
            out.push(p);
        }
    }
    out.into_iter().map(View::to_value).collect()
}

/// OU path (the longest `hostinfo.active_directory_dn_display` path, else `ou[]`
/// outermost first), AD site and domain.
fn ad_info(v: &View, domain: Option<String>, host: Option<&str>) -> Option<AdInfo> {
    let dn_path = strings(v, "hostinfo.active_directory_dn_display")
        .into_iter()
        .max_by_key(|p| p.matches('\\').count())
        .map(|p| p.replace('\\', "/"));
    let ad = AdInfo {
        org_unit: dn_path.or_else(|| org_unit_from_list(&strings(v, "ou"))),
        site_name: string(v, "site_name"),
        domain: ad_domain(domain, host),
        device_id: None,
    };
    (ad.org_unit.is_some() || ad.site_name.is_some() || ad.domain.is_some()).then_some(ad)
}

/// AWS hosts (`service_provider` `AWS_EC2`, `AWS_EC2_V2`, `aws`); other clouds have no
/// place in the schema.
fn cloud(v: &View) -> Option<CloudMetadata> {
    let provider = string(v, "service_provider")?;
    if !provider.to_ascii_lowercase().starts_with("aws") {
        return None;
    }
    let (region, availability_zone) = aws_location(string(v, "zone_group").as_deref());
    Some(CloudMetadata {
        cloud_provider: CloudProvider::Aws,
        account_id: string(v, "service_provider_account_id"),
        region,
        availability_zone,
        instance_id: string(v, "instance_id"),
        instance_type: None,
        image_id: None,
        kernel_id: None,
        vpc_id: None,
        subnet_id: None,
    })
}

/// `SensorGroupingTags/Protect` → key `SensorGroupingTags`, value `Protect` (split on
/// the first `/`); a tag without `/` has no value, one without a key is dropped.
fn tag(raw: &str) -> Option<Tag> {
    let (key, value) = match raw.split_once('/') {
        Some((k, v)) => (
            k.trim(),
            Some(v.trim().to_owned()).filter(|v| !v.is_empty()),
        ),
        None => (raw.trim(), None),
    };
    (!key.is_empty()).then(|| Tag {
        key: key.to_owned(),
        value,
        source: VENDOR.as_str().to_owned(),
    })
}

#[cfg(test)]
#[path = "device_tests.rs"]
mod tests;
