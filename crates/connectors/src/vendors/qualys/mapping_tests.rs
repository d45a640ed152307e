use serde_json::{json, Map, Value};
use tributary_model::{edr::Platform, vms::FindingType};
use uuid::Uuid;

use super::*;
use crate::vendors::qualys::api::read_knowledge_base;

fn ctx() -> MapContext {
    MapContext {
        connection_id: Uuid::from_u128(11),
    }
}

/// The fixture's detections as the client hands them over: each with its host's fields
/// under `HOST` and its QID's KnowledgeBase record under `KB`.
async fn records() -> Vec<Value> {
    use crate::vendors::qualys::{
        client::HLD_CONTAINERS,
        xml::{Item, XmlStream},
    };
    let xml = include_str!("../../../tests/fixtures/qualys/detections.xml");
    let kb = read_knowledge_base(
        include_str!("../../../tests/fixtures/qualys/knowledge_base.xml").as_bytes(),
    )
    .await
    .unwrap();
    let mut s = XmlStream::new(xml.as_bytes(), HLD_CONTAINERS);
    let (mut host, mut out) = (Map::new(), Vec::new());
    while let Some(item) = s.next().await.unwrap() {
        match item {
            Item::Open(n) if n == "HOST" => host.clear(),
            Item::Element {
                parent,
                name,
                value,
            } if parent == "HOST" => {
                host.insert(name, value);
            }
            Item::Element {
                name, mut value, ..
            } if name == "DETECTION" => {
                value["HOST"] = Value::Object(host.clone());
                if let Some(k) = kb.iter().find(|k| k["QID"] == value["QID"]) {
                    value["KB"] = k.clone();
                }
                out.push(value);
            }
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_fixed_detection_is_a_fixed_finding_with_its_knowledge_base_facts() {
    let r = records().await;
    let m = finding(&View::from(&r[0]), &ctx()).unwrap();
    let f = &m.finding;
    assert_eq!(m.vendor_id, "7300000001", "UNIQUE_VULN_ID when present");
    assert_eq!(f.state, FindingState::Fixed);
    assert_eq!(
        f.fixed_at.unwrap().to_rfc3339(),
        "2025-02-09T22:11:40+00:00"
    );
    assert_eq!(f.state_updated_at, f.fixed_at);
    assert_eq!(f.severity, FindingSeverity::High);
    assert_eq!(f.finding_type, FindingType::Host);
    assert_eq!(
        f.title.as_deref(),
        Some("OpenSSH Remote Code Execution Vulnerability (regreSSHion)")
    );
    assert_eq!(f.has_fix, Some(true));
    assert_eq!(f.analytic.as_ref().unwrap().uid.as_deref(), Some("38909"));
    assert_eq!(f.vulnerabilities.len(), 2);
    assert_eq!(f.vulnerabilities[0].uid, "CVE-2024-6387");
    assert_eq!(f.vulnerabilities[0].cvss[0].version, "3.x");
    assert_eq!(f.vulnerabilities[0].cvss[0].base_score, 8.1);
    assert_eq!(f.vulnerabilities[0].cvss[1].base_score, 9.3);
    let rem = f.remediation.as_ref().unwrap();
    assert_eq!(rem.kb_articles, vec!["USN-6859-1"]);
    assert_eq!(f.resource_related.port, Some(22));
    assert_eq!(f.resource_related.protocol.as_deref(), Some("tcp"));
    assert_eq!(
        f.vendor_data["QDS"],
        json!({"@severity": "HIGH", "#text": "78"})
    );
    let host = f.resource.as_ref().unwrap();
    assert_eq!(host.hostnames, vec!["build-07"]);
    assert_eq!(host.fqdns, vec!["build-07.lab.example.org"]);
    assert_eq!(host.ipv4s, vec!["10.40.1.17"]);
    assert_eq!(host.platform, Platform::Linux);
    assert_eq!(
        f.resource_id,
        Some(record_id(
            ctx().connection_id,
            DataExportType::Devices,
            "4100017"
        ))
    );
    assert_eq!(
        m.vendor_updated_at.unwrap().to_rfc3339(),
        "2025-02-09T22:20:00+00:00"
    );
}

#[tokio::test]
async fn reopened_ignored_and_identity_without_a_unique_id() {
    let r = records().await;
    let reopened = finding(&View::from(&r[1]), &ctx()).unwrap();
    assert_eq!(reopened.vendor_id, "4100017:105943:::0:");
    assert_eq!(reopened.finding.state, FindingState::Reopened);
    assert_eq!(reopened.finding.fixed_at, None);
    assert_eq!(
        reopened.finding.state_updated_at.unwrap().to_rfc3339(),
        "2025-02-09T22:11:40+00:00"
    );
    assert_eq!(
        reopened.finding.title.as_deref(),
        Some("QID 105943"),
        "no KB record"
    );
    assert_eq!(reopened.finding.severity, FindingSeverity::Low);
    let ignored = finding(&View::from(&r[2]), &ctx()).unwrap();
    assert_eq!(ignored.finding.state, FindingState::Suppressed);
    assert_eq!(ignored.finding.severity, FindingSeverity::Critical);
    assert_eq!(
        ignored.finding.resource_related.protocol.as_deref(),
        Some("tcp")
    );
    let host = ignored.finding.resource.unwrap();
    assert_eq!(host.hostnames, vec!["SQL-0K2F9"]);
    assert_eq!(host.platform, Platform::Windows);

    let mut no_host = r[0].clone();
    no_host.as_object_mut().unwrap().remove("HOST");
    assert!(
        finding(&View::from(&no_host), &ctx()).is_err(),
        "quarantined"
    );
    let mut bad_time = r[0].clone();
    bad_time["LAST_UPDATE_DATETIME"] = json!("yesterday");
    assert!(
        finding(&View::from(&bad_time), &ctx()).is_err(),
        "a wrong watermark would skip records"
    );
}

#[test]
fn severity_and_state_tables() {
    for (kind, level, want) in [
        (Some("Confirmed"), Some(1), FindingSeverity::Low),
        (Some("Confirmed"), Some(3), FindingSeverity::Medium),
        (Some("Potential"), Some(4), FindingSeverity::High),
        (Some("Confirmed"), Some(5), FindingSeverity::Critical),
        (Some("Info"), Some(3), FindingSeverity::Informational),
        (None, Some(9), FindingSeverity::Unknown),
        (None, None, FindingSeverity::Unknown),
    ] {
        assert_eq!(severity(kind, level), want, "{kind:?} {level:?}");
    }
    for (status, ignored, want) in [
        (Some("New"), false, FindingState::Open),
        (Some("Active"), false, FindingState::Open),
        (Some("Re-Opened"), false, FindingState::Reopened),
        (Some("Fixed"), false, FindingState::Fixed),
        (Some("Fixed"), true, FindingState::Fixed),
        (Some("Active"), true, FindingState::Suppressed),
        (Some("Purged"), false, FindingState::Unknown),
        (None, false, FindingState::Unknown),
    ] {
        assert_eq!(state(status, ignored), want, "{status:?} {ignored}");
    }
}
