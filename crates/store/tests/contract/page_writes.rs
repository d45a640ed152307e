//! Page commits larger than one insert statement, with a record repeated inside the
//! page, and the bare table of `bench ingest`'s physical limit.

use tributary_model::{DataExportType, Vendor};
use tributary_store::models::*;
use uuid::Uuid;

use crate::support::*;

/// More rows than one multi-row statement holds on SQLite (1,000) and than the old
/// PostgreSQL chunk (500).
const BIG: i64 = 2_500;

fn alert(i: i64, content: i64) -> AlertRow {
    AlertRow {
        id: Uuid::from_u128(50_000 + i as u128),
        vendor_id: format!("t{i}"),
        vendor: "sentinelone".into(),
        device_id: (i % 2 == 0).then(|| Uuid::from_u128(7)),
        severity: "high".into(),
        severity_rank: 4,
        status: "unresolved".into(),
        first_event_key: i,
        last_event_key: i,
        content_hash: content,
        data: format!("{{\"vendor_id\":\"t{i}\",\"v\":{content}}}"),
        observables: "[]".into(),
        device_snapshot: (i % 3 == 0).then(|| "{\"d\":1}".to_owned()),
        device_snapshot_groups: None,
    }
}

fn device(i: i64, content: i64) -> DeviceRow {
    DeviceRow {
        id: Uuid::from_u128(90_000 + i as u128),
        vendor_id: format!("a{i}"),
        vendor: "sentinelone".into(),
        platform: "linux".into(),
        status: (i % 2 == 0).then(|| "active".to_owned()),
        last_seen_key: i,
        content_hash: content,
        data: format!("{{\"d\":{i}}}"),
        device_groups: "[]".into(),
    }
}

#[tokio::test]
async fn big_pages_with_repeated_records_upsert_once() {
    each_backend("big_pages", |store, _| async move {
        let f = fixture(&store).await;
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let job = start_job(&store, f.account, c.id).await;
        let exports = [
            (DataExportType::Devices, vec!["/d".into()]),
            (DataExportType::Alerts, vec!["/a".into()]),
        ];
        store.begin_exports(job.id, &exports).await.unwrap();
        let commit = |records: PageRecords, watermark: &str| PageCommit {
            connection_id: c.id,
            job_id: job.id,
            lease_owner: "w".into(),
            export: match records {
                PageRecords::Devices(_) => DataExportType::Devices,
                _ => DataExportType::Alerts,
            },
            records,
            quarantined: vec![],
            watermark: Some(watermark.into()),
            watermark_at: None,
        };

        // Alert 7 twice in one page: its last copy is the one stored.
        let mut page: Vec<AlertRow> = (0..BIG).map(|i| alert(i, 1)).collect();
        page.insert(3, alert(7, 2));
        let done = store
            .commit_page(commit(PageRecords::Alerts(page.clone()), "a1"))
            .await
            .unwrap();
        assert_eq!((done.upserted, done.inserted), (BIG as u64, BIG as u64));
        let again = store
            .commit_page(commit(PageRecords::Alerts(page.clone()), "a2"))
            .await
            .unwrap();
        assert_eq!((again.upserted, again.inserted), (0, 0), "nothing changed");
        let last_copy = store
            .commit_page(commit(PageRecords::Alerts(vec![alert(7, 1)]), "a3"))
            .await
            .unwrap();
        assert_eq!(
            last_copy.upserted, 0,
            "the page's last copy of 7 was stored"
        );
        let changed: Vec<AlertRow> = [10, 1_500, 2_499].map(|i| alert(i, 3)).to_vec();
        let upd = store
            .commit_page(commit(PageRecords::Alerts(changed), "a4"))
            .await
            .unwrap();
        assert_eq!((upd.upserted, upd.inserted), (3, 0));

        let devices: Vec<DeviceRow> = (0..BIG).map(|i| device(i, 1)).collect();
        let done = store
            .commit_page(commit(PageRecords::Devices(devices.clone()), "d1"))
            .await
            .unwrap();
        assert_eq!((done.upserted, done.inserted), (BIG as u64, BIG as u64));
        let mut moved = devices;
        moved[2_000] = device(2_000, 5);
        let upd = store
            .commit_page(commit(PageRecords::Devices(moved), "d2"))
            .await
            .unwrap();
        assert_eq!((upd.upserted, upd.inserted), (1, 0));

        let counts = store.record_counts(f.account, c.id).await.unwrap();
        assert_eq!(
            (
                counts.get(DataExportType::Alerts),
                counts.get(DataExportType::Devices)
            ),
            (BIG, BIG)
        );
        assert_eq!(
            store
                .get_watermark(c.id, DataExportType::Alerts)
                .await
                .unwrap()
                .as_deref(),
            Some("a4")
        );
        let job = store.get_job(f.account, job.id).await.unwrap().unwrap();
        let alerts = job
            .exports
            .iter()
            .find(|e| e.data_export_type == DataExportType::Alerts)
            .unwrap();
        assert_eq!((alerts.pages, alerts.records_upserted), (4, BIG as u64 + 3));
    })
    .await;
}

#[tokio::test]
async fn the_bare_table_takes_the_same_rows_once() {
    each_backend("bare_table", |store, _| async move {
        let rows: Vec<AlertRow> = (0..BIG).map(|i| alert(i, 1)).collect();
        let conn = Uuid::now_v7();
        store.create_bare_alerts().await.unwrap();
        store.create_bare_alerts().await.unwrap();
        store.bare_insert_alerts(conn, &rows).await.unwrap();
        // Its one index is the primary key: the same rows again are refused, whole.
        assert!(store.bare_insert_alerts(conn, &rows[..10]).await.is_err());
        store
            .bare_insert_alerts(conn, &[alert(BIG, 1)])
            .await
            .unwrap();
        store.drop_bare_alerts().await.unwrap();
        store.create_bare_alerts().await.unwrap();
        store.bare_insert_alerts(conn, &rows).await.unwrap();
        store.drop_bare_alerts().await.unwrap();
    })
    .await;
}

fn finding(i: i64, content: i64) -> FindingRow {
    FindingRow {
        id: Uuid::from_u128(70_000 + i as u128),
        vendor_id: format!("f{i}"),
        vendor: "tenable".into(),
        resource_id: (i % 2 == 0).then(|| Uuid::from_u128(8)),
        severity: "HIGH".into(),
        state: "OPEN".into(),
        has_fix: (i % 3 != 0).then_some(i % 2 == 0),
        first_seen_key: i,
        last_seen_key: i,
        state_updated_key: if i % 5 == 0 { i64::MIN } else { i },
        content_hash: content,
        data: format!("{{\"vendor_id\":\"f{i}\",\"v\":{content}}}"),
        resource_snapshot: (i % 4 == 0).then(|| "{\"asset\":1}".to_owned()),
    }
}

/// Findings go through the same one-statement page write (UNNEST on PostgreSQL).
#[tokio::test]
async fn big_pages_of_findings_with_repeated_records_upsert_once() {
    each_backend("big_findings", |store, _| async move {
        let f = fixture(&store).await;
        let c = store
            .create_connection(f.account, new_connection(f.org, Vendor::named("TENABLE")))
            .await
            .unwrap();
        let job = start_job(&store, f.account, c.id).await;
        let exports = [(DataExportType::Vulnerabilities, vec!["/v".into()])];
        store.begin_exports(job.id, &exports).await.unwrap();
        let commit = |rows: Vec<FindingRow>| PageCommit {
            connection_id: c.id,
            job_id: job.id,
            lease_owner: "w".into(),
            export: DataExportType::Vulnerabilities,
            records: PageRecords::Findings(rows),
            quarantined: vec![],
            watermark: None,
            watermark_at: None,
        };
        let mut page: Vec<FindingRow> = (0..BIG).map(|i| finding(i, 1)).collect();
        page.insert(3, finding(7, 2));
        let done = store.commit_page(commit(page.clone())).await.unwrap();
        assert_eq!((done.upserted, done.inserted), (BIG as u64, BIG as u64));
        let again = store.commit_page(commit(page)).await.unwrap();
        assert_eq!((again.upserted, again.inserted), (0, 0), "nothing changed");
        let changed = [10, 1_500, 2_499].map(|i| finding(i, 3)).to_vec();
        let upd = store.commit_page(commit(changed)).await.unwrap();
        assert_eq!((upd.upserted, upd.inserted), (3, 0));
        let counts = store.record_counts(f.account, c.id).await.unwrap();
        assert_eq!(counts.get(DataExportType::Vulnerabilities), BIG);
    })
    .await;
}
