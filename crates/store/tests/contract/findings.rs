use chrono::{Duration, Utc};
use tributary_model::{job::JobTrigger, DataExportType, Vendor};
use tributary_store::{models::*, ListWindow, Position, SortKey, Store};
use uuid::Uuid;

use crate::support::*;

const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
const STATES: [&str; 3] = ["OPEN", "REOPENED", "FIXED"];

/// Finding `i` on asset `i % 3` (asset 0 is never synced: its finding keeps the
/// snapshot), seen from second `i`.
fn finding(i: u128) -> FindingRow {
    FindingRow {
        id: Uuid::from_u128(5000 + i),
        vendor_id: format!("f{i}"),
        vendor: "tenable".into(),
        resource_id: Some(Uuid::from_u128(900 + i % 3)),
        severity: SEVERITIES[i as usize % 4].into(),
        state: STATES[i as usize % 3].into(),
        has_fix: (!i.is_multiple_of(5)).then_some(i.is_multiple_of(2)),
        first_seen_key: 1_000_000 * i as i64,
        last_seen_key: 2_000_000 * i as i64,
        state_updated_key: if i.is_multiple_of(7) {
            i64::MIN
        } else {
            3_000_000 * i as i64
        },
        content_hash: i as i64,
        data: format!("{{\"vendor_id\":\"f{i}\"}}"),
        resource_snapshot: Some(format!("{{\"snapshot\":{}}}", i % 3)),
    }
}

fn asset(i: u128) -> DeviceRow {
    DeviceRow {
        id: Uuid::from_u128(900 + i),
        vendor_id: format!("asset{i}"),
        vendor: "tenable".into(),
        platform: "linux".into(),
        status: None,
        last_seen_key: 0,
        content_hash: 1,
        data: format!("{{\"asset\":{i}}}"),
        device_groups: "[]".into(),
    }
}

/// A connection with 40 findings and assets 1 and 2 committed; returns its id.
async fn synced(store: &std::sync::Arc<dyn Store>, f: &Fixture) -> Uuid {
    let c = store
        .create_connection(f.account, new_connection(f.org, Vendor::named("TENABLE")))
        .await
        .unwrap();
    let job = store
        .enqueue_job(f.account, c.id, JobTrigger::Manual)
        .await
        .unwrap();
    let now = Utc::now();
    store
        .claim_job("w", now, now + Duration::minutes(5))
        .await
        .unwrap();
    let exports = [
        (DataExportType::Assets, vec!["/assets".into()]),
        (DataExportType::Vulnerabilities, vec!["/vulns".into()]),
    ];
    store.begin_exports(job.id, &exports).await.unwrap();
    for (export, records) in [
        (
            DataExportType::Assets,
            PageRecords::Devices(vec![asset(1), asset(2)]),
        ),
        (
            DataExportType::Vulnerabilities,
            PageRecords::Findings((0..40).map(finding).collect()),
        ),
    ] {
        let page = PageCommit {
            connection_id: c.id,
            job_id: job.id,
            lease_owner: "w".into(),
            export,
            records,
            quarantined: vec![],
            watermark: None,
            watermark_at: None,
        };
        store.commit_page(page).await.unwrap();
    }
    c.id
}

/// Which of findings 0..40 a filter keeps.
type Expect = Box<dyn Fn(u128) -> bool>;

fn query(connection_id: Uuid, filter: FindingFilter) -> FindingQuery {
    FindingQuery {
        connection_id,
        filter,
        window: ListWindow {
            limit: 100,
            position: Position::Offset(0),
            with_total: false,
        },
    }
}

fn vendor_ids(page: &[StoredFinding]) -> Vec<u128> {
    page.iter().map(|f| f.id.as_u128() - 5000).collect()
}

#[tokio::test]
async fn findings_are_filtered_as_documented() {
    each_backend("findings_filters", |store, _| async move {
        let f = fixture(&store).await;
        let c = synced(&store, &f).await;
        let all: Vec<u128> = (0..40).collect();
        let cases: Vec<(FindingFilter, Expect)> = vec![
            (
                FindingFilter {
                    severities: vec!["CRITICAL".into(), "HIGH".into()],
                    ..Default::default()
                },
                Box::new(|i| i % 4 >= 2),
            ),
            (
                FindingFilter {
                    states: vec!["OPEN".into(), "REOPENED".into()],
                    ..Default::default()
                },
                Box::new(|i| i % 3 != 2),
            ),
            (
                FindingFilter {
                    has_fix: Some(true),
                    ..Default::default()
                },
                Box::new(|i| i % 5 != 0 && i % 2 == 0),
            ),
            (
                FindingFilter {
                    first_seen_since: Some(30_000_000),
                    ..Default::default()
                },
                Box::new(|i| i >= 30),
            ),
            (
                FindingFilter {
                    last_seen_since: Some(20_000_001),
                    ..Default::default()
                },
                Box::new(|i| i > 10),
            ),
            (
                FindingFilter {
                    state_updated_since: Some(0),
                    ..Default::default()
                },
                Box::new(|i| i % 7 != 0),
            ),
            (
                FindingFilter {
                    resource_ids: vec![Uuid::from_u128(901)],
                    ..Default::default()
                },
                Box::new(|i| i % 3 == 1),
            ),
            (
                FindingFilter {
                    ids: vec![Uuid::from_u128(5003), Uuid::from_u128(5017)],
                    severities: vec!["CRITICAL".into()],
                    ..Default::default()
                },
                Box::new(|i| i == 3),
            ),
        ];
        for (filter, expect) in cases {
            let page = store
                .list_findings(f.account, &query(c, filter.clone()))
                .await
                .unwrap();
            let mut got = vendor_ids(&page.items);
            got.sort();
            let want: Vec<u128> = all.iter().copied().filter(|i| expect(*i)).collect();
            assert_eq!(got, want, "{filter:?}");
            assert_eq!(page.total, None);
        }
    })
    .await;
}

#[tokio::test]
async fn findings_page_by_keyset_and_carry_their_asset() {
    each_backend("findings_keyset", |store, _| async move {
        let f = fixture(&store).await;
        let c = synced(&store, &f).await;
        let mut seen = Vec::new();
        let mut position = Position::Offset(0);
        loop {
            let mut q = query(c, FindingFilter::default());
            q.window.limit = 7;
            q.window.position = position;
            let page = store.list_findings(f.account, &q).await.unwrap();
            let last = page.items.last().map(|l| SortKey {
                key: l.sort_key,
                id: l.id,
            });
            for item in &page.items {
                // The synced asset when there is one, else the finding's own snapshot.
                match item.resource_id.map(|r| r.as_u128() - 900) {
                    Some(0) => {
                        assert_eq!(item.resource_data, None);
                        assert_eq!(item.resource_snapshot.as_deref(), Some("{\"snapshot\":0}"));
                    }
                    Some(n) => assert_eq!(item.resource_data, Some(format!("{{\"asset\":{n}}}"))),
                    None => panic!("every finding has an asset"),
                }
            }
            seen.extend(vendor_ids(&page.items));
            match (page.has_more, last) {
                (true, Some(k)) => position = Position::After(k),
                _ => break,
            }
        }
        seen.sort();
        assert_eq!(seen, (0..40).collect::<Vec<_>>(), "every finding once");
        let one = store
            .get_finding(f.account, c, Uuid::from_u128(5007))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(one.data, "{\"vendor_id\":\"f7\"}");
        // Scoped to the account and the connection.
        let other = fixture(&store).await;
        assert!(store
            .get_finding(other.account, c, Uuid::from_u128(5007))
            .await
            .unwrap()
            .is_none());
        let page = store
            .list_findings(other.account, &query(c, FindingFilter::default()))
            .await
            .unwrap();
        assert!(page.items.is_empty());
        // Assets count as the connection's devices.
        let counts = store.record_counts(f.account, c).await.unwrap();
        assert_eq!(counts.get(DataExportType::Assets), 2);
        assert_eq!(counts.get(DataExportType::Vulnerabilities), 40);
    })
    .await;
}
