use serde_json::json;
use tributary_model::{
    edr::{DeviceStatus, Platform},
    ids::record_id,
    DataExportType,
};

use super::*;
use crate::normalize::testkit::{self, ctx, s};

fn raw() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/crowdstrike/host.json"
    ))
}

#[test]
fn identity_os_and_network() {
    let m = map_device(&View::from(&raw()), &ctx()).unwrap();
    let d = &m.device;
    let aid = "4f1e0a6b9c8d4e2fa1b2c3d4e5f60718";
    assert_eq!(m.vendor_id, aid);
    assert_eq!(
        d.id,
        record_id(ctx().connection_id, DataExportType::Devices, aid)
    );
    assert_eq!(
        m.vendor_updated_at
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "2026-11-01T00:00:01.123456789Z"
    );
    assert_eq!(
        (d.platform, d.status),
        (Platform::Windows, Some(DeviceStatus::Quarantined))
    );
    assert_eq!(
        (d.hostnames.clone(), d.fqdns.clone()),
        (
            vec!["WEB-01".to_owned()],
            vec!["web-01.corp.example".to_owned()]
        )
    );
    assert_eq!(d.os_version.as_deref(), Some("Windows Server 2022"));
    assert_eq!(
        (d.os_major_version.as_deref(), d.os_minor_version.as_deref()),
        (Some("10"), Some("0"))
    );
    assert_eq!(d.ipv4s, vec!["10.0.0.5", "203.0.113.9"]);
    assert!(d.ipv6s.is_empty());
    assert_eq!(
        d.mac_addresses,
        vec!["0a:1b:2c:3d:4e:5f", "0a:1b:2c:3d:4e:60"]
    );
    assert_eq!(
        d.first_seen.unwrap().to_rfc3339(),
        "2025-01-01T00:00:00+00:00"
    );
    assert_eq!(
        d.last_seen.unwrap().to_rfc3339(),
        "2026-11-01T00:00:00+00:00"
    );
    assert!(d.installed_software.is_empty());
}

#[test]
fn agent_directory_cloud_tags_identities_groups() {
    let d = map_device(&View::from(&raw()), &ctx()).unwrap().device;
    let agent = d.source_vendors[0].agent_info.clone().unwrap();
    assert_eq!(agent.agent_version.as_deref(), Some("7.10.17706.0"));
    assert_eq!(agent.signature_version, None);
    assert_eq!(
        agent.policies,
        vec![
            json!({"applied": true, "policy_id": "p1", "policy_type": "prevention", "settings_hash": "ab12"}),
            json!({"applied": true, "policy_id": "p2", "policy_type": "sensor-update", "uninstall_protection": "ENABLED"}),
        ]
    );
    assert_eq!(
        d.ad_info,
        Some(AdInfo {
            org_unit: s("Servers/Web"),
            site_name: s("Site-A"),
            domain: s("corp.example"),
            device_id: None
        })
    );
    assert_eq!(
        d.cloud_metadata,
        Some(CloudMetadata {
            cloud_provider: CloudProvider::Aws,
            account_id: s("123456789012"),
            region: s("eu-west-1"),
            availability_zone: s("eu-west-1b"),
            instance_id: s("i-0f1e2d3c"),
            instance_type: None,
            image_id: None,
            kernel_id: None,
            vpc_id: None,
            subnet_id: None,
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
            ("SensorGroupingTags", Some("Prod"), "crowdstrike"),
            ("FalconGroupingTags", Some("web/tier-1"), "crowdstrike"),
            ("legacy", None, "crowdstrike"),
        ]
    );
    assert_eq!(
        d.identities,
        vec![Identity {
            username: s("svc_web"),
            user_sid: s("S-1-5-21-100-200-300-1105")
        }]
    );
    let groups = d.device_groups.unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0],
        DeviceGroup {
            vendor_id: s("aa11bb22cc33dd44aa11bb22cc33dd44"),
            name: "aa11bb22cc33dd44aa11bb22cc33dd44".into()
        }
    );
    assert_eq!(d.vendor_data["serial_number"], "ec2-0f1e2d3c");
    assert_eq!(d.vendor_data["status"], "contained");
    assert!(d.vendor_data.get("device_policies").is_none());
}

#[test]
fn non_aws_hosts_and_ad_paths() {
    let mut h = raw();
    h["service_provider"] = json!("GCP");
    h["hostinfo"] = json!({"active_directory_dn_display": ["Servers", "Servers\\Web\\DMZ"], "domain": "corp.example"});
    h["machine_domain"] = json!("");
    h["hostname"] = json!("mac-17.local");
    h["status"] = json!("normal");
    let d = map_device(&View::from(&h), &ctx()).unwrap().device;
    assert_eq!(d.cloud_metadata, None, "only AWS has cloud metadata");
    assert_eq!(d.status, Some(DeviceStatus::Active));
    let ad = d.ad_info.unwrap();
    assert_eq!(
        (ad.org_unit.as_deref(), ad.domain.as_deref()),
        (Some("Servers/Web/DMZ"), Some("corp.example"))
    );
    assert_eq!(
        (d.hostnames, d.fqdns),
        (vec!["mac-17".to_owned()], vec!["mac-17.local".to_owned()])
    );
}

#[test]
fn sparse_and_refused() {
    let d = map_device(
        &View::from(&json!({"device_id": "x", "tags": "t", "groups": null, "policies": [1]})),
        &ctx(),
    )
    .unwrap()
    .device;
    assert!(d.tags.is_empty() && d.identities.is_empty());
    assert_eq!(
        (d.status, d.platform, d.ad_info, d.cloud_metadata),
        (None, Platform::Unknown, None, None)
    );
    assert_eq!(
        d.source_vendors[0].agent_info.as_ref().unwrap().policies,
        Vec::<Value>::new()
    );
    for bad in [
        json!([]),
        json!({"hostname": "h"}),
        json!({"device_id": "x", "modified_timestamp": "never"}),
    ] {
        assert!(map_device(&View::from(&bad), &ctx()).is_err(), "{bad}");
    }
}
