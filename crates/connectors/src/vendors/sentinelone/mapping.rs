//! SentinelOne agents → devices and threats → alerts (`docs/mapping.md` has the tables).
//!
//! This file holds the enum tables and what agents and threats share (interfaces, OS,
//! cloud, groups); `mapping/device.rs` maps agents, `mapping/alert.rs` maps threats.

mod alert;
mod device;

pub use alert::map_alert;
pub use device::map_device;

use serde_json::{json, Value};

use crate::view::View;
use tributary_model::{
    edr::{
        AlertSeverity, AlertStatus, CloudMetadata, CloudProvider, DeviceGroup, DeviceStatus,
        Platform, Tag,
    },
    SourceVendor,
};

use crate::normalize::{
    array, at,
    host::{aws_location, version_parts},
    net::Addresses,
    scalar_string, string, strings,
};

const VENDOR: SourceVendor = super::endpoints::VENDOR.source();

fn lower(s: Option<&str>) -> Option<String> {
    s.map(|x| x.trim().to_ascii_lowercase())
}

/// `osType` → platform: `windows`/`windows_legacy` → windows, `macos` → mac, `linux` →
/// linux, anything else → unknown.
pub fn platform(os_type: Option<&str>) -> Platform {
    match lower(os_type).as_deref() {
        Some("windows" | "windows_legacy") => Platform::Windows,
        Some("macos") => Platform::Mac,
        Some("linux") => Platform::Linux,
        _ => Platform::Unknown,
    }
}

/// Agent state → device status. An inactive or decommissioned (or uninstalled) agent is
/// offline; a network-quarantined one (`networkStatus` `disconnected`/`disconnecting`)
/// is quarantined; any other reporting agent is active. Null when the record says
/// nothing about its state.
pub fn device_status(
    is_active: Option<bool>,
    decommissioned: Option<bool>,
    network_status: Option<&str>,
) -> Option<DeviceStatus> {
    if is_active == Some(false) || decommissioned == Some(true) {
        return Some(DeviceStatus::Offline);
    }
    match lower(network_status).as_deref() {
        Some("disconnected" | "disconnecting") => Some(DeviceStatus::Quarantined),
        Some(_) => Some(DeviceStatus::Active),
        None => (is_active == Some(true)).then_some(DeviceStatus::Active),
    }
}

/// `threatInfo.confidenceLevel` → severity (threats have no numeric severity):
/// `malicious` → high, `suspicious` → medium, `n/a` → info, missing or other → none.
pub fn severity(confidence: Option<&str>) -> AlertSeverity {
    match lower(confidence).as_deref() {
        Some("malicious") => AlertSeverity::High,
        Some("suspicious") => AlertSeverity::Medium,
        Some("n/a") => AlertSeverity::Info,
        _ => AlertSeverity::None,
    }
}

/// `threatInfo.incidentStatus` → status: `unresolved`, `in_progress` and `resolved`
/// map to themselves, anything else → unknown.
pub fn status(incident: Option<&str>) -> AlertStatus {
    match lower(incident).as_deref() {
        Some("unresolved") => AlertStatus::Unresolved,
        Some("in_progress") => AlertStatus::InProgress,
        Some("resolved") => AlertStatus::Resolved,
        _ => AlertStatus::Unknown,
    }
}

/// (os_version, major, minor): `osName osRevision`; major/minor from a dotted version in
/// the name, or in the revision on macOS (on Windows the revision is a build number and
/// on Linux a kernel version).
fn os_fields(
    name: Option<String>,
    revision: Option<String>,
    platform: Platform,
) -> (Option<String>, Option<String>, Option<String>) {
    let (mut major, mut minor) = name.as_deref().map(version_parts).unwrap_or_default();
    if major.is_none() && platform == Platform::Mac {
        (major, minor) = revision.as_deref().map(version_parts).unwrap_or_default();
    }
    let version = match (name, revision) {
        (Some(n), Some(r)) => Some(format!("{n} {r}")),
        (n, r) => n.or(r),
    };
    (version, major, minor)
}

/// IPs and MACs of `networkInterfaces[]` (`inet[]`, `inet6[]`, `physical`).
fn interfaces(v: &View, addrs: &mut Addresses) {
    for nic in array(v, "networkInterfaces") {
        addrs.ips(strings(nic, "inet"));
        addrs.ips(strings(nic, "inet6"));
        if let Some(mac) = string(nic, "physical") {
            addrs.mac(&mac);
        }
    }
}

/// Detection-time IP fields may hold several comma-separated addresses.
fn ip_list(v: &View, path: &str, addrs: &mut Addresses) {
    if let Some(s) = string(v, path) {
        addrs.ips(s.split(','));
    }
}

/// The `cloudProviders.AWS` object (the only cloud the API supports), any key case.
fn aws<'v, 'a>(v: &'v View<'a>) -> Option<&'v View<'a>> {
    at(v, "cloudProviders")?
        .members()?
        .find(|(k, _)| k.eq_ignore_ascii_case("aws"))
        .map(|(_, x)| x)
        .filter(|x| x.is_object())
}

/// AWS metadata from `cloudProviders.AWS`.
fn cloud(v: &View) -> Option<CloudMetadata> {
    let aws = aws(v)?;
    let (region, availability_zone) = aws_location(string(aws, "cloudLocation").as_deref());
    Some(CloudMetadata {
        cloud_provider: CloudProvider::Aws,
        account_id: string(aws, "cloudAccount"),
        region,
        availability_zone,
        instance_id: string(aws, "cloudInstanceId"),
        instance_type: string(aws, "cloudInstanceSize"),
        image_id: string(aws, "cloudImage"),
        kernel_id: None,
        vpc_id: string(aws, "cloudNetwork"),
        subnet_id: strings(aws, "awsSubnetIds").into_iter().next(),
    })
}

/// AWS tags from `cloudProviders.AWS.cloudTags[]`: `{key, value}` objects or
/// `key:value` / `key=value` strings.
fn aws_tags(v: &View) -> Vec<Tag> {
    let Some(aws) = aws(v) else { return vec![] };
    array(aws, "cloudTags")
        .iter()
        .filter_map(|t| match t {
            View::Object(_) => Some((string(t, "key")?, string(t, "value"))),
            other => {
                let s = scalar_string(other)?;
                Some(match s.split_once([':', '=']) {
                    Some((k, val)) => (k.trim().to_owned(), Some(val.trim().to_owned())),
                    None => (s, None),
                })
            }
        })
        .filter(|(k, _)| !k.is_empty())
        .map(|(key, value)| Tag {
            key,
            value: value.filter(|x| !x.is_empty()),
            source: "aws".to_owned(),
        })
        .collect()
}

/// The agent's group and site, both SentinelOne device groupings.
fn groups(v: &View) -> Vec<DeviceGroup> {
    [("groupId", "groupName"), ("siteId", "siteName")]
        .into_iter()
        .filter_map(|(id, name)| {
            Some(DeviceGroup {
                name: string(v, name)?,
                vendor_id: string(v, id),
            })
        })
        .collect()
}

/// The agent's policy as SentinelOne expresses it: its mitigation modes.
fn policy(mode: Option<String>, suspicious: Option<String>) -> Vec<Value> {
    if mode.is_none() && suspicious.is_none() {
        return vec![];
    }
    vec![json!({"mitigationMode": mode, "mitigationModeSuspicious": suspicious})]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_table() {
        for (raw, want) in [
            (Some("windows"), Platform::Windows),
            (Some("windows_legacy"), Platform::Windows),
            (Some("macos"), Platform::Mac),
            (Some("linux"), Platform::Linux),
            (Some("Linux"), Platform::Linux),
            (Some("chromeos"), Platform::Unknown),
            (None, Platform::Unknown),
        ] {
            assert_eq!(platform(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn device_status_table() {
        use DeviceStatus::*;
        for (active, decom, net, want) in [
            (Some(false), Some(false), Some("connected"), Some(Offline)),
            (Some(true), Some(true), Some("connected"), Some(Offline)),
            (Some(false), None, Some("disconnected"), Some(Offline)),
            (
                Some(true),
                Some(false),
                Some("disconnected"),
                Some(Quarantined),
            ),
            (
                Some(true),
                Some(false),
                Some("disconnecting"),
                Some(Quarantined),
            ),
            (Some(true), Some(false), Some("connected"), Some(Active)),
            (Some(true), Some(false), Some("connecting"), Some(Active)),
            (Some(true), None, Some("something_new"), Some(Active)),
            (Some(true), None, None, Some(Active)),
            (None, None, Some("connected"), Some(Active)),
            (None, None, None, None),
        ] {
            assert_eq!(
                device_status(active, decom, net),
                want,
                "{active:?} {decom:?} {net:?}"
            );
        }
    }

    #[test]
    fn severity_and_status_tables() {
        for (raw, want) in [
            (Some("malicious"), AlertSeverity::High),
            (Some("suspicious"), AlertSeverity::Medium),
            (Some("n/a"), AlertSeverity::Info),
            (Some("MALICIOUS"), AlertSeverity::High),
            (Some("benign"), AlertSeverity::None),
            (None, AlertSeverity::None),
        ] {
            assert_eq!(severity(raw), want, "{raw:?}");
        }
        for (raw, want) in [
            (Some("unresolved"), AlertStatus::Unresolved),
            (Some("in_progress"), AlertStatus::InProgress),
            (Some("resolved"), AlertStatus::Resolved),
            (Some("archived"), AlertStatus::Unknown),
            (None, AlertStatus::Unknown),
        ] {
            assert_eq!(status(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn os_cloud_tags_and_groups() {
        let s = |x: &str| Some(x.to_owned());
        assert_eq!(
            os_fields(
                s("Ubuntu 22.04.3 LTS"),
                s("5.15.0-91-generic"),
                Platform::Linux
            ),
            (s("Ubuntu 22.04.3 LTS 5.15.0-91-generic"), s("22"), s("04"))
        );
        assert_eq!(
            os_fields(s("macOS Sonoma"), s("14.2.1 (23C71)"), Platform::Mac),
            (s("macOS Sonoma 14.2.1 (23C71)"), s("14"), s("2"))
        );
        assert_eq!(
            os_fields(s("Windows 10 Pro"), s("19045"), Platform::Windows),
            (s("Windows 10 Pro 19045"), None, None)
        );
        assert_eq!(
            os_fields(None, s("19045"), Platform::Windows),
            (s("19045"), None, None)
        );
        let v = json!({"cloudProviders": {"aws": {"cloudLocation": "eu-west-1", "cloudTags": ["Name:web-1", {"key": "env", "value": "prod"}, "solo", 7, ":x"]}},
                       "groupName": "Laptops", "groupId": 9, "siteName": "HQ"});
        let c = cloud(&View::from(&v)).unwrap();
        assert_eq!(
            (c.region.as_deref(), c.availability_zone),
            (Some("eu-west-1"), None)
        );
        let tags: Vec<(String, Option<String>)> = aws_tags(&View::from(&v))
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect();
        assert_eq!(
            tags,
            vec![
                ("Name".into(), s("web-1")),
                ("env".into(), s("prod")),
                ("solo".into(), None),
                ("7".into(), None)
            ]
        );
        assert_eq!(
            groups(&View::from(&v)),
            vec![
                DeviceGroup {
                    vendor_id: s("9"),
                    name: "Laptops".into()
                },
                DeviceGroup {
                    vendor_id: None,
                    name: "HQ".into()
                }
            ]
        );
        assert!(cloud(&View::from(&json!({"cloudProviders": {"AWS": "x"}}))).is_none());
        assert_eq!(policy(None, None), Vec::<Value>::new());
    }
}
