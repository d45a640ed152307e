//! A `/web/api/v2.1/agents` item → a device.

use tributary_model::edr::{AdInfo, AgentInfo, Identity, Tag};

use super::{
    aws_tags, cloud, device_status, groups, interfaces, os_fields, platform, policy, VENDOR,
};
use crate::view::View;
use crate::{
    mapping::{MapContext, MappedDevice, MappingError},
    normalize::{
        array, boolean,
        host::{ad_domain, host_names, org_unit_from_dn},
        net::Addresses,
        pick, record, require_id, string, time, watermark,
    },
};

/// Agent fields passed through in `vendor_data`.
const VENDOR_DATA: &[&str] = &[
    "uuid",
    "accountId",
    "accountName",
    "siteId",
    "siteName",
    "groupId",
    "groupName",
    "machineType",
    "modelName",
    "osArch",
    "osRevision",
    "domain",
    "networkStatus",
    "isActive",
    "isDecommissioned",
    "isUninstalled",
    "isPendingUninstall",
    "isUpToDate",
    "infected",
    "activeThreats",
    "mitigationMode",
    "mitigationModeSuspicious",
    "scanStatus",
    "firewallEnabled",
    "encryptedApplications",
    "userActionsNeeded",
    "missingPermissions",
    "externalId",
];

/// Maps a `/web/api/v2.1/agents` item. Refused: a non-object, a missing `id`, an
/// unreadable `updatedAt`.
pub fn map_device(raw: &View, ctx: &MapContext) -> Result<MappedDevice, MappingError> {
    let id = require_id(raw, &["id"])?;
    let vendor_updated_at = watermark(raw, "updatedAt")?;
    let mut d = record::device(ctx, VENDOR, &id);
    let host = string(raw, "computerName");
    let domain = string(raw, "domain");
    (d.hostnames, d.fqdns) = host_names(host.as_deref(), domain.as_deref());
    d.platform = platform(string(raw, "osType").as_deref());
    let decommissioned = boolean(raw, "isDecommissioned")
        .into_iter()
        .chain(boolean(raw, "isUninstalled"))
        .reduce(|a, b| a || b);
    d.status = device_status(
        boolean(raw, "isActive"),
        decommissioned,
        string(raw, "networkStatus").as_deref(),
    );
    (d.os_version, d.os_major_version, d.os_minor_version) =
        os_fields(string(raw, "osName"), string(raw, "osRevision"), d.platform);
    let mut addrs = Addresses::default();
    interfaces(raw, &mut addrs);
    for key in ["externalIp", "lastIpToMgmt"] {
        addrs.ips(string(raw, key));
    }
    (d.ipv4s, d.ipv6s, d.mac_addresses) = (addrs.ipv4s, addrs.ipv6s, addrs.macs);
    d.last_seen = time(raw, "lastActiveDate");
    d.first_seen = time(raw, "registeredAt").or_else(|| time(raw, "createdAt"));
    d.source_vendors[0].agent_info = Some(AgentInfo {
        agent_version: string(raw, "agentVersion"),
        signature_version: None,
        policies: policy(
            string(raw, "mitigationMode"),
            string(raw, "mitigationModeSuspicious"),
        ),
    });
    d.ad_info = ad_info(raw, domain, host.as_deref());
    d.cloud_metadata = cloud(raw);
    d.tags = aws_tags(raw);
    d.tags.extend(tags(raw));
    d.identities = identities(raw);
    d.vendor_data = pick(raw, VENDOR_DATA);
    d.device_groups = Some(groups(raw));
    Ok(MappedDevice {
        vendor_id: id,
        vendor_updated_at,
        device: d,
    })
}

/// Active Directory facts: the OU path from the computer's distinguished name and the
/// domain (not `WORKGROUP`).
fn ad_info(raw: &View, domain: Option<String>, host: Option<&str>) -> Option<AdInfo> {
    let ad = AdInfo {
        org_unit: string(raw, "activeDirectory.computerDistinguishedName")
            .as_deref()
            .and_then(org_unit_from_dn),
        site_name: None,
        domain: ad_domain(domain, host),
        device_id: None,
    };
    (ad.org_unit.is_some() || ad.domain.is_some()).then_some(ad)
}

/// `tags.sentinelone[]` `{key, value}` tags set in the console.
fn tags(raw: &View) -> Vec<Tag> {
    array(raw, "tags.sentinelone")
        .iter()
        .filter_map(|t| {
            Some(Tag {
                key: string(t, "key")?,
                value: string(t, "value"),
                source: VENDOR.as_str().to_owned(),
            })
        })
        .collect()
}

/// The last logged-in user and the OS user, once each (SentinelOne reports no SIDs).
fn identities(raw: &View) -> Vec<Identity> {
    let mut out: Vec<Identity> = vec![];
    for user in [
        string(raw, "lastLoggedInUserName"),
        string(raw, "osUsername"),
    ]
    .into_iter()
    .flatten()
    {
        if !out.iter().any(|i| i.username.as_deref() == Some(&user)) {
            out.push(Identity {
                username: Some(user),
                user_sid: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tributary_model::{
        edr::{CloudMetadata, CloudProvider, DeviceGroup, DeviceStatus, Platform},
        ids::record_id,
        DataExportType,
    };
    use uuid::Uuid;

    use super::*;

    fn ctx() -> MapContext {
        MapContext {
            connection_id: Uuid::from_u128(7),
        }
    }

    fn agent() -> Value {
        serde_json::from_str(include_str!(
            "../../../../tests/fixtures/sentinelone/agent.json"
        ))
        .unwrap()
    }

    #[test]
    fn identity_times_and_network() {
        let m = map_device(&View::from(&agent()), &ctx()).unwrap();
        let d = &m.device;
        assert_eq!(m.vendor_id, "1101123456789012345");
        assert_eq!(
            d.id,
            record_id(
                Uuid::from_u128(7),
                DataExportType::Devices,
                "1101123456789012345"
            )
        );
        assert_eq!(
            m.vendor_updated_at.unwrap().to_rfc3339(),
            "2026-11-01T10:05:00.000001+00:00"
        );
        assert_eq!(
            d.last_seen.unwrap().to_rfc3339(),
            "2026-11-01T10:00:00.123456+00:00"
        );
        assert_eq!(
            d.first_seen.unwrap().to_rfc3339(),
            "2025-01-02T03:04:05+00:00"
        );
        assert_eq!(
            (d.platform, d.status),
            (Platform::Windows, Some(DeviceStatus::Active))
        );
        assert_eq!(d.hostnames, vec!["FIN-LT-042"]);
        assert_eq!(d.fqdns, vec!["fin-lt-042.corp.example"]);
        assert_eq!(d.ipv4s, vec!["10.1.2.3", "10.1.9.9", "198.51.100.7"]);
        assert_eq!(d.ipv6s, vec!["fe80::aa:1", "2001:db8::42"]);
        assert_eq!(
            d.mac_addresses,
            vec!["aa:bb:cc:00:11:22", "aa:bb:cc:00:11:33"]
        );
        assert_eq!(d.os_version.as_deref(), Some("Windows 11 Pro 22631"));
        assert_eq!(
            (d.os_major_version.as_deref(), d.os_minor_version.as_deref()),
            (None, None)
        );
        assert!(d.installed_software.is_empty());
    }

    #[test]
    fn agent_directory_cloud_tags_and_groups() {
        let d = map_device(&View::from(&agent()), &ctx()).unwrap().device;
        let sv = &d.source_vendors[0];
        assert_eq!(
            (sv.vendor, sv.vendor_id.as_str()),
            (VENDOR, "1101123456789012345")
        );
        let agent = sv.agent_info.as_ref().unwrap();
        assert_eq!(agent.agent_version.as_deref(), Some("23.4.2.14"));
        assert_eq!(agent.signature_version, None);
        assert_eq!(
            agent.policies,
            vec![json!({"mitigationMode": "protect", "mitigationModeSuspicious": "detect"})]
        );
        assert_eq!(
            d.ad_info,
            Some(AdInfo {
                org_unit: Some("Corp/Finance".into()),
                site_name: None,
                domain: Some("corp.example".into()),
                device_id: None
            })
        );
        assert_eq!(
            d.cloud_metadata,
            Some(CloudMetadata {
                cloud_provider: CloudProvider::Aws,
                account_id: Some("123456789012".into()),
                region: Some("us-east-1".into()),
                availability_zone: Some("us-east-1a".into()),
                instance_id: Some("i-0abc123".into()),
                instance_type: Some("t3.large".into()),
                image_id: Some("ami-0f1e".into()),
                kernel_id: None,
                vpc_id: Some("vpc-0a1b".into()),
                subnet_id: Some("subnet-0c1d".into()),
            })
        );
        let tags: Vec<(&str, Option<&str>, &str)> = d
            .tags
            .iter()
            .map(|t| (t.key.as_str(), t.value.as_deref(), t.source.as_str()))
            .collect();
        assert_eq!(
            tags,
            vec![
                ("Name", Some("fin-lt-042"), "aws"),
                ("env", Some("prod"), "sentinelone"),
                ("vip", None, "sentinelone")
            ]
        );
        let users: Vec<_> = d
            .identities
            .iter()
            .map(|i| (i.username.as_deref(), i.user_sid.as_deref()))
            .collect();
        assert_eq!(
            users,
            vec![(Some("CORP\\jdoe"), None), (Some("jdoe"), None)]
        );
        assert_eq!(
            d.device_groups,
            Some(vec![
                DeviceGroup {
                    vendor_id: Some("9001".into()),
                    name: "Laptops".into()
                },
                DeviceGroup {
                    vendor_id: Some("8001".into()),
                    name: "HQ".into()
                },
            ])
        );
        assert_eq!(d.vendor_data["uuid"], "ab12cd34");
        assert_eq!(d.vendor_data["machineType"], "laptop");
        assert!(
            d.vendor_data.get("networkInterfaces").is_none(),
            "curated, not the whole record"
        );
    }

    #[test]
    fn status_follows_the_agent_state() {
        let with = |k: &str, v: Value| {
            let mut a = agent();
            a[k] = v;
            map_device(&View::from(&a), &ctx()).unwrap().device.status
        };
        assert_eq!(
            with("networkStatus", json!("disconnected")),
            Some(DeviceStatus::Quarantined)
        );
        assert_eq!(with("isActive", json!(false)), Some(DeviceStatus::Offline));
        assert_eq!(
            with("isDecommissioned", json!("True")),
            Some(DeviceStatus::Offline)
        );
        assert_eq!(
            with("isUninstalled", json!(true)),
            Some(DeviceStatus::Offline)
        );
    }

    #[test]
    fn sparse_and_odd_records() {
        let m = map_device(&View::from(&json!({"id": 5, "domain": "WORKGROUP", "computerName": "pc", "osType": 3,
                                   "networkInterfaces": "x", "tags": {"sentinelone": [{"value": "no key"}]}})), &ctx())
            .unwrap();
        let d = m.device;
        assert_eq!(m.vendor_id, "5");
        assert_eq!((d.hostnames, d.fqdns), (vec!["pc".to_owned()], vec![]));
        assert_eq!(
            (d.platform, d.status, d.ad_info),
            (Platform::Unknown, None, None)
        );
        assert!(d.tags.is_empty() && d.identities.is_empty() && d.ipv4s.is_empty());
        assert_eq!(d.device_groups, Some(vec![]));
        assert_eq!(m.vendor_updated_at, None);
    }

    #[test]
    fn refusals() {
        for bad in [
            json!("x"),
            json!([]),
            json!({"computerName": "pc"}),
            json!({"id": ""}),
            json!({"id": {"a": 1}}),
            json!({"id": "1", "updatedAt": "yesterday"}),
            json!({"id": "1", "updatedAt": 17}),
        ] {
            assert!(map_device(&View::from(&bad), &ctx()).is_err(), "{bad}");
        }
    }
}
