use serde_json::{json, Value};
use tributary_model::edr::Platform;
use uuid::Uuid;

use super::*;

fn ctx() -> MapContext {
    MapContext {
        connection_id: Uuid::from_u128(9),
    }
}

fn raw() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/fixtures/crowdstrike_spotlight/vulnerability.json"
    ))
    .unwrap()
}

#[test]
fn a_closed_vulnerability_is_a_fixed_finding_on_its_host() {
    let m = finding(&View::from(&raw()), &ctx()).unwrap();
    let f = &m.finding;
    assert_eq!(f.state, FindingState::Fixed);
    assert_eq!(
        f.fixed_at.unwrap().to_rfc3339(),
        "2024-04-03T07:00:00+00:00"
    );
    assert_eq!(f.severity, FindingSeverity::High);
    assert_eq!(
        f.title.as_deref(),
        Some("CVE-2024-21338 in Windows 11 22H2")
    );
    assert_eq!(f.has_fix, Some(true));
    assert_eq!(
        f.remediation.as_ref().unwrap().kb_articles,
        vec!["KB5034765"]
    );
    let v = &f.vulnerabilities[0];
    assert_eq!(
        (v.uid.as_str(), v.cvss[0].version.as_str()),
        ("CVE-2024-21338", "3.1")
    );
    assert_eq!(
        (v.is_exploit_available, v.is_known_exploited),
        (Some(true), Some(true))
    );
    let host = f.resource.as_ref().unwrap();
    assert_eq!(host.hostnames, vec!["FIN-LT-042"]);
    assert_eq!(host.fqdns, vec!["fin-lt-042.corp.example.com"]);
    assert_eq!(host.platform, Platform::Windows);
    assert_eq!(f.resource_id, Some(host.id));
    assert_eq!(
        f.last_seen.unwrap().to_rfc3339(),
        "2024-04-02T06:00:00+00:00"
    );
    assert_eq!(
        m.vendor_updated_at.unwrap().to_rfc3339(),
        "2024-04-03T07:08:09+00:00"
    );
}

#[test]
fn state_and_severity_tables() {
    for (status, suppressed, want) in [
        (Some("open"), false, FindingState::Open),
        (Some("reopen"), false, FindingState::Reopened),
        (Some("closed"), false, FindingState::Fixed),
        (Some("expired"), false, FindingState::Unknown),
        (Some("open"), true, FindingState::Suppressed),
        (None, false, FindingState::Unknown),
    ] {
        assert_eq!(state(status, suppressed), want, "{status:?} {suppressed}");
    }
    for (s, want) in [
        (Some("CRITICAL"), FindingSeverity::Critical),
        (Some("high"), FindingSeverity::High),
        (Some("NONE"), FindingSeverity::Informational),
        (Some("UNKNOWN"), FindingSeverity::Unknown),
        (None, FindingSeverity::Unknown),
    ] {
        assert_eq!(severity(s), want, "{s:?}");
    }
}

#[test]
fn misconfigurations_and_missing_blocks() {
    let mut r = raw();
    r["cve"]["types"] = json!(["Misconfiguration"]);
    assert_eq!(
        finding(&View::from(&r), &ctx())
            .unwrap()
            .finding
            .finding_type,
        FindingType::Configuration
    );
    // Without the facets, the blocks are absent: still a finding, without details.
    let bare = json!({"id": "a_b", "aid": "a", "status": "open",
                      "updated_timestamp": "2024-01-01T00:00:00Z"});
    let m = finding(&View::from(&bare), &ctx()).unwrap();
    assert!(m.finding.vulnerabilities.is_empty());
    assert_eq!(m.finding.state, FindingState::Open);
    assert!(finding(&View::from(&json!({"status": "open"})), &ctx()).is_err());
}
