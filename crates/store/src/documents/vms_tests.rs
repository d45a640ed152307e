//! render(split(x)) is the documented serialization of x.

use chrono::{DateTime, Utc};
use proptest::{option, prelude::*, strategy::ValueTree};
use serde_json::{json, Value};
use tributary_model::{
    edr::Device,
    vms::{
        AffectedPackage, Analytic, Cvss, Finding, FindingSeverity, FindingState, FindingType,
        Product, Remediation, ResourceRelated, Vulnerability,
    },
    SourceVendor,
};
use uuid::Uuid;

use super::*;
use crate::documents::strategies::{device, text, time};

fn vulnerability() -> impl Strategy<Value = Vulnerability> {
    (
        text(),
        option::of(time()),
        // CVSS scores have one decimal.
        0u8..=100,
        option::of(any::<bool>()),
    )
        .prop_map(|(uid, published, tenths, kev)| Vulnerability {
            uid,
            published,
            last_modified: None,
            status: None,
            title: Some("Remote code execution".into()),
            description: None,
            severity: FindingSeverity::High,
            cvss: vec![Cvss {
                version: "3.1".into(),
                base_score: f64::from(tenths) / 10.0,
                vector_string: Some("CVSS:3.1/AV:N".into()),
            }],
            epss: None,
            cwes: vec!["CWE-79".into()],
            is_exploit_available: kev,
            is_known_exploited: kev,
            references: vec![],
        })
}

fn finding() -> impl Strategy<Value = Finding> {
    (
        (
            text(),
            option::of(text()),
            prop::sample::select(FindingSeverity::ALL.to_vec()),
            prop::sample::select(FindingState::ALL.to_vec()),
            prop::sample::select(FindingType::ALL.to_vec()),
            option::of(time()),
            option::of(any::<bool>()),
        ),
        (
            option::of(device()),
            prop::collection::vec(vulnerability(), 0..3),
            option::of(0i64..65_536),
            any::<u128>(),
        ),
    )
        .prop_map(|(head, tail)| {
            let (vendor_id, title, severity, state, finding_type, seen, has_fix) = head;
            let (resource, vulnerabilities, port, id) = tail;
            Finding {
                id: Uuid::from_u128(id),
                title,
                description: None,
                analytic_output: Some("Installed package : openssl 1.0.2".into()),
                severity,
                state,
                finding_type,
                first_seen: seen,
                last_seen: seen,
                ticket: None,
                has_fix,
                remediation: Some(Remediation {
                    desc: Some("Upgrade \"openssl\"".into()),
                    kb_articles: vec![],
                    references: vec![],
                }),
                product: Product {
                    vendor_name: "Tenable".into(),
                    name: "Tenable Vulnerability Management".into(),
                },
                analytic: Some(Analytic {
                    analytic_type: Some("PLUGIN".into()),
                    uid: Some("100667".into()),
                    name: None,
                    url: None,
                }),
                resource_related: ResourceRelated {
                    affected_package: Some(AffectedPackage {
                        name: Some("openssl".into()),
                        version: Some("1.0.2".into()),
                        fixed_version: None,
                    }),
                    port,
                    protocol: port.map(|_| "tcp".into()),
                    ..Default::default()
                },
                vendor_data: json!({"plugin_family": "Ubuntu Local Security Checks"}),
                vulnerabilities,
                vendor: SourceVendor::parse("tenable").unwrap(),
                vendor_id,
                state_updated_at: seen,
                fixed_at: None,
                resource_id: resource.as_ref().map(|d| d.id),
                resource,
                updated_at: None,
            }
        })
}

/// What the API documents for `f` stored at `updated`, with `synced` as its asset.
fn view(mut f: Finding, synced: Option<Device>, updated: DateTime<Utc>) -> Value {
    let resource = synced.or(f.resource.take()).map(|mut d| {
        d.device_groups = None;
        d.updated_at = None;
        d
    });
    f.resource = resource;
    f.updated_at = Some(updated);
    serde_json::to_value(f).unwrap()
}

proptest! {
    #[test]
    fn findings_render_as_they_serialize(
        f in finding(),
        synced in option::of(device()),
        us in 0i64..4_000_000_000_000_000,
    ) {
        let row = finding_row(&MappedFinding {
            vendor_id: f.vendor_id.clone(),
            vendor_updated_at: None,
            finding: f.clone(),
        });
        let stored = StoredFinding {
            id: row.id,
            sort_key: us,
            updated_at: us,
            data: row.data.clone(),
            resource_id: row.resource_id,
            resource_data: synced.as_ref().map(|d| crate::documents::edr::device_row(
                &tributary_model::edr::MappedDevice {
                    vendor_id: "a1".into(),
                    vendor_updated_at: None,
                    device: d.clone(),
                },
            ).data),
            resource_snapshot: row.resource_snapshot.clone(),
        };
        let rendered: Value = serde_json::from_str(&render_finding(&stored)).unwrap();
        prop_assert_eq!(rendered, view(f, synced, from_micros(us)));
    }
}

#[test]
fn rows_carry_the_filter_columns() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut f = finding().new_tree(&mut runner).unwrap().current();
    f.state = FindingState::Fixed;
    f.has_fix = Some(true);
    f.first_seen = None;
    let row = finding_row(&MappedFinding {
        vendor_id: "v".into(),
        vendor_updated_at: None,
        finding: f.clone(),
    });
    assert_eq!((row.state.as_str(), row.has_fix), ("FIXED", Some(true)));
    assert_eq!(row.first_seen_key, UNKNOWN_TIME);
    assert_eq!(row.severity, f.severity.as_str());
}
