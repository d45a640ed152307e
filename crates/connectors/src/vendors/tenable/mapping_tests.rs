use serde_json::{json, Value};
use tributary_model::{edr::Platform, vms::FindingType};
use uuid::Uuid;

use super::*;

fn ctx() -> MapContext {
    MapContext {
        connection_id: Uuid::from_u128(7),
    }
}

fn fixture(name: &str) -> Value {
    let text = match name {
        "finding" => include_str!("../../../tests/fixtures/tenable/finding.json"),
        _ => include_str!("../../../tests/fixtures/tenable/asset.json"),
    };
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_fixed_finding_keeps_its_identity_and_says_when() {
    let m = finding(&View::from(&fixture("finding")), &ctx()).unwrap();
    let f = &m.finding;
    assert_eq!(m.vendor_id, "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b");
    assert_eq!(f.state, FindingState::Fixed);
    assert_eq!(
        f.fixed_at.unwrap().to_rfc3339(),
        "2024-03-02T09:30:00+00:00"
    );
    assert_eq!(f.state_updated_at, f.fixed_at);
    assert_eq!(f.severity, FindingSeverity::High);
    assert_eq!(f.finding_type, FindingType::Host);
    assert_eq!(f.has_fix, Some(true));
    assert_eq!(f.analytic.as_ref().unwrap().uid.as_deref(), Some("186521"));
    assert_eq!(f.vulnerabilities.len(), 2);
    assert_eq!(f.vulnerabilities[0].uid, "CVE-2023-5363");
    assert_eq!(f.vulnerabilities[0].cvss[0].base_score, 7.5);
    assert_eq!(f.resource_related.port, None, "port 0 is no port");
    assert_eq!(f.resource_related.protocol.as_deref(), Some("tcp"));
    assert!(f.analytic_output.as_deref().unwrap().contains("openssl"));
    assert_eq!(
        f.vendor_data["plugin_family"],
        "Ubuntu Local Security Checks"
    );
    // The finding links to the asset the assets export syncs.
    let a = asset(&View::from(&fixture("asset")), &ctx()).unwrap();
    assert_eq!(f.resource_id, Some(a.device.id));
    assert_eq!(f.resource.as_ref().unwrap().id, a.device.id);
    assert_eq!(
        m.vendor_updated_at.unwrap().to_rfc3339(),
        "2024-03-02T09:31:12+00:00"
    );
}

#[test]
fn assets_become_devices() {
    let a = asset(&View::from(&fixture("asset")), &ctx()).unwrap();
    let d = &a.device;
    assert_eq!(d.hostnames, vec!["web-01"]);
    assert_eq!(d.fqdns, vec!["web-01.example.net"]);
    assert_eq!(d.ipv4s, vec!["10.20.30.41"]);
    assert_eq!(d.mac_addresses, vec!["52:54:00:ab:cd:ef"]);
    assert_eq!(d.platform, Platform::Linux);
    assert_eq!(d.status, Some(tributary_model::edr::DeviceStatus::Active));
    assert_eq!(d.source_vendors[0].vendor.as_str(), "tenable");
    let mut gone = fixture("asset");
    gone["deleted_at"] = json!("2024-03-05T00:00:00Z");
    let g = asset(&View::from(&gone), &ctx()).unwrap();
    assert_eq!(
        g.device.status,
        Some(tributary_model::edr::DeviceStatus::Offline)
    );
}

#[test]
fn identity_without_a_finding_id_is_asset_plugin_port_protocol() {
    let mut raw = fixture("finding");
    raw.as_object_mut().unwrap().remove("finding_id");
    let m = finding(&View::from(&raw), &ctx()).unwrap();
    assert_eq!(
        m.vendor_id,
        "5f0c2a9e-3d4b-4f6a-9e21-7b8c9d0e1f2a:186521:0:tcp"
    );
    raw.as_object_mut().unwrap().remove("asset");
    assert!(
        finding(&View::from(&raw), &ctx()).is_err(),
        "a finding without an asset is quarantined"
    );
}

#[test]
fn severity_and_state_tables() {
    for (name, id, want) in [
        (Some("info"), None, FindingSeverity::Informational),
        (Some("Low"), None, FindingSeverity::Low),
        (Some("MEDIUM"), None, FindingSeverity::Medium),
        (Some("high"), None, FindingSeverity::High),
        (Some("critical"), None, FindingSeverity::Critical),
        (None, Some(0), FindingSeverity::Informational),
        (None, Some(4), FindingSeverity::Critical),
        (Some("extreme"), None, FindingSeverity::Unknown),
        (None, None, FindingSeverity::Unknown),
    ] {
        assert_eq!(severity(name, id), want, "{name:?} {id:?}");
    }
    for (raw, want) in [
        (Some("OPEN"), FindingState::Open),
        (Some("open"), FindingState::Open),
        (Some("REOPENED"), FindingState::Reopened),
        (Some("fixed"), FindingState::Fixed),
        (Some("gone"), FindingState::Unknown),
        (None, FindingState::Unknown),
    ] {
        assert_eq!(state(raw), want, "{raw:?}");
    }
}
