use serde_json::{json, Value};
use tributary_model::{
    edr::{DeviceStatus, Platform},
    ids::record_id,
    DataExportType,
};

use super::*;
use crate::normalize::testkit::{self, ctx, s};

fn raw() -> Value {
    testkit::json(include_str!(
        "../../../../tests/fixtures/ms_defender_endpoint/machine.json"
    ))
}

const ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

#[test]
fn identity_os_and_network() {
    let m = map_device(&View::from(&raw()), &ctx()).unwrap();
    let d = &m.device;
    assert_eq!(m.vendor_id, ID);
    assert_eq!(
        d.id,
        record_id(ctx().connection_id, DataExportType::Devices, ID)
    );
    let last = "2026-11-01T12:00:00.123456700Z";
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    assert_eq!(
        m.vendor_updated_at.map(fmt).as_deref(),
        Some(last),
        "a zone-less time is UTC"
    );
    assert_eq!(d.last_seen.map(fmt).as_deref(), Some(last));
    assert_eq!(
        d.first_seen.map(fmt).as_deref(),
        Some("2025-02-01T00:00:00.000000000Z")
    );
    assert_eq!(
        (d.platform, d.status),
        (Platform::Windows, Some(DeviceStatus::Active))
    );
    assert_eq!(
        (d.hostnames.clone(), d.fqdns.clone()),
        (
            vec!["HR-PC-12".to_owned()],
            vec!["hr-pc-12.corp.example".to_owned()]
        )
    );
    assert_eq!(d.os_version.as_deref(), Some("Windows11 23H2"));
    assert_eq!(
        (d.os_major_version.clone(), d.os_minor_version.clone()),
        (None, None)
    );
    assert_eq!(d.ipv4s, vec!["10.2.3.4", "169.254.10.1", "198.51.100.20"]);
    assert_eq!(d.ipv6s, vec!["fd00::1234"]);
    assert_eq!(
        d.mac_addresses,
        vec!["8c:ec:4b:89:7e:73", "0a:00:27:00:00:05"]
    );
    assert!(d.installed_software.is_empty() && d.identities.is_empty());
}

#[test]
fn agent_directory_cloud_tags_and_group() {
    let d = map_device(&View::from(&raw()), &ctx()).unwrap().device;
    let agent = d.source_vendors[0].agent_info.clone().unwrap();
    assert_eq!(
        (
            agent.agent_version.as_deref(),
            agent.signature_version,
            agent.policies.len()
        ),
        (Some("10.8750.22631.4317"), None, 0)
    );
    assert_eq!(
        d.ad_info,
        Some(AdInfo {
            org_unit: None,
            site_name: None,
            domain: s("corp.example"),
            device_id: s("80e2c1a4-0000-4000-8000-000000000001")
        })
    );
    assert_eq!(
        d.cloud_metadata,
        Some(CloudMetadata {
            cloud_provider: CloudProvider::Aws,
            account_id: s("210987654321"),
            region: s("eu-central-1"),
            availability_zone: None,
            instance_id: s("i-0123abcd"),
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
            ("VIP", None, "ms_defender_endpoint"),
            ("Floor-3", None, "ms_defender_endpoint")
        ]
    );
    assert_eq!(
        d.device_groups,
        Some(vec![DeviceGroup {
            vendor_id: s("43"),
            name: "HR".into()
        }])
    );
    assert_eq!(d.vendor_data["riskScore"], "Medium");
    assert_eq!(d.vendor_data["osBuild"], 22631);
    assert!(d.vendor_data.get("ipAddresses").is_none());
}

#[test]
fn linux_inactive_and_non_aws() {
    let mut m = raw();
    for (k, v) in [
        ("osPlatform", json!("RedHatEnterpriseLinux")),
        ("version", json!("9.5")),
        ("healthStatus", json!("Inactive")),
        ("computerDnsName", json!("rhel-9")),
        ("aadDeviceId", json!(null)),
        ("rbacGroupName", json!(null)),
        (
            "vmMetadata",
            json!({"vmId": "vm-1", "cloudProvider": "Azure"}),
        ),
    ] {
        m[k] = v;
    }
    let d = map_device(&View::from(&m), &ctx()).unwrap().device;
    assert_eq!(
        (d.platform, d.status),
        (Platform::Linux, Some(DeviceStatus::Offline))
    );
    assert_eq!(d.os_version.as_deref(), Some("RedHatEnterpriseLinux 9.5"));
    assert_eq!(
        (d.os_major_version.as_deref(), d.os_minor_version.as_deref()),
        (Some("9"), Some("5"))
    );
    assert_eq!((d.hostnames, d.fqdns), (vec!["rhel-9".to_owned()], vec![]));
    assert_eq!((d.ad_info, d.cloud_metadata), (None, None));
    assert_eq!(d.device_groups, Some(vec![]));
    m["osVersion"] = json!("Red Hat Enterprise Linux 9.5");
    m["healthStatus"] = json!("Unknown");
    let d = map_device(&View::from(&m), &ctx()).unwrap().device;
    assert_eq!(
        (d.os_version.as_deref(), d.status),
        (Some("Red Hat Enterprise Linux 9.5"), None)
    );
}

#[test]
fn refusals() {
    for bad in [
        json!(true),
        json!({"computerDnsName": "x"}),
        json!({"id": "m", "lastSeen": "2021-01-26T99:00:00"}),
    ] {
        assert!(map_device(&View::from(&bad), &ctx()).is_err(), "{bad}");
    }
    assert!(map_device(
        &View::from(&json!({"id": "m", "ipAddresses": "10.0.0.1", "machineTags": [1, null]})),
        &ctx()
    )
    .is_ok());
}
