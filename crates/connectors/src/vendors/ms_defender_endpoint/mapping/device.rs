//! An `/api/machines` value item → a device.

use tributary_model::edr::{AdInfo, AgentInfo, CloudMetadata, CloudProvider, DeviceGroup, Tag};

use super::{device_status, platform, VENDOR};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedDevice, MappingError},
    normalize::{
        array, at,
        host::{ec2_arn, host_names, version_parts},
        net::Addresses,
        pick, record, require_id, string, strings, time, watermark,
    },
};

/// Machine fields passed through in `vendor_data`.
const VENDOR_DATA: &[&str] = &[
    "osPlatform",
    "version",
    "osBuild",
    "osArchitecture",
    "osProcessor",
    "healthStatus",
    "onboardingStatus",
    "riskScore",
    "exposureLevel",
    "deviceValue",
    "isAadJoined",
    "managedBy",
    "managedByStatus",
    "rbacGroupId",
    "rbacGroupName",
    "isPotentialDuplication",
    "mergedIntoMachineId",
    "isExcluded",
    "exclusionReason",
    "vmMetadata",
];

/// Maps an `/api/machines` value item. Refused: a non-object, a missing `id`, an
/// unreadable `lastSeen` (the watermark: Defender has no last-modified time).
pub fn map_device(raw: &View, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = require_id(raw, &["id"])?;
    let vendor_updated_at = watermark(raw, "lastSeen")?;
    let mut d = record::device(ctx, VENDOR, &id);
    (d.hostnames, d.fqdns) = host_names(string(raw, "computerDnsName").as_deref(), None);
    let os_platform = string(raw, "osPlatform");
    d.platform = platform(os_platform.as_deref());
    d.status = device_status(string(raw, "healthStatus").as_deref());
    let version = string(raw, "version");
    d.os_version = string(raw, "osVersion").or(match (os_platform, version.clone()) {
        (Some(p), Some(v)) => Some(format!("{p} {v}")),
        (p, v) => p.or(v),
    });
    (d.os_major_version, d.os_minor_version) =
        version.as_deref().map(version_parts).unwrap_or_default();
    let mut addrs = Addresses::default();
    for nic in array(raw, "ipAddresses") {
        // Loopback interfaces carry no address of the device.
        if string(nic, "type").is_some_and(|t| t.eq_ignore_ascii_case("SoftwareLoopback")) {
            continue;
        }
        addrs.ips(string(nic, "ipAddress"));
        addrs.macs(string(nic, "macAddress"));
    }
    addrs.ips(string(raw, "lastIpAddress"));
    addrs.ips(string(raw, "lastExternalIpAddress"));
    (d.ipv4s, d.ipv6s, d.mac_addresses) = (addrs.ipv4s, addrs.ipv6s, addrs.macs);
    d.first_seen = time(raw, "firstSeen");
    d.last_seen = time(raw, "lastSeen");
    d.source_vendors[0].agent_info = Some(AgentInfo {
        agent_version: string(raw, "agentVersion"),
        signature_version: None,
        policies: vec![],
    });
    d.ad_info = ad_info(raw, d.fqdns.first().map(String::as_str));
    d.cloud_metadata = cloud(raw);
    d.tags = tags(raw);
    d.vendor_data = pick(raw, VENDOR_DATA);
    d.device_groups = Some(group(raw).into_iter().collect());
    Ok(MappedDevice {
        vendor_id: id,
        vendor_updated_at,
        device: d,
    })
}

/// The DNS domain of `computerDnsName` and the Entra ID (Azure AD) device id.
fn ad_info(raw: &View, fqdn: Option<&str>) -> Option<AdInfo> {
    let ad = AdInfo {
        org_unit: None,
        site_name: None,
        domain: fqdn
            .and_then(|f| f.split_once('.'))
            .map(|(_, d)| d.to_owned()),
        device_id: string(raw, "aadDeviceId"),
    };
    (ad.domain.is_some() || ad.device_id.is_some()).then_some(ad)
}

/// AWS metadata from `vmMetadata` when `cloudProvider` is AWS: the instance from `vmId`
/// (or the `resourceId` ARN), the account from `subscriptionId` (or the ARN).
fn cloud(raw: &View) -> Option<CloudMetadata> {
    let vm = at(raw, "vmMetadata").filter(|v| v.is_object())?;
    if !string(vm, "cloudProvider").is_some_and(|p| p.eq_ignore_ascii_case("aws")) {
        return None;
    }
    let (region, account, instance) = string(vm, "resourceId")
        .as_deref()
        .map(ec2_arn)
        .unwrap_or_default();
    Some(CloudMetadata {
        cloud_provider: CloudProvider::Aws,
        account_id: string(vm, "subscriptionId").or(account),
        region,
        availability_zone: None,
        instance_id: string(vm, "vmId").or(instance),
        instance_type: None,
        image_id: None,
        kernel_id: None,
        vpc_id: None,
        subnet_id: None,
    })
}

/// `machineTags[]`: plain strings, so each is a key without a value.
fn tags(raw: &View) -> Vec<Tag> {
    strings(raw, "machineTags")
        .into_iter()
        .map(|t| Tag {
            key: t,
            value: None,
            source: VENDOR.as_str().to_owned(),
        })
        .collect()
}

/// The machine's device group (`rbacGroupName`, `rbacGroupId`); none without a name.
pub(super) fn group(v: &View) -> Option<DeviceGroup> {
    Some(DeviceGroup {
        name: string(v, "rbacGroupName")?,
        vendor_id: string(v, "rbacGroupId"),
    })
}

#[cfg(test)]
#[path = "device_tests.rs"]
mod tests;
