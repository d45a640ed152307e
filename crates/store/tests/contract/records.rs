use chrono::{Duration, Utc};
use tributary_model::{job::JobTrigger, DataExportType, Vendor};
use tributary_store::{models::*, ListWindow, Position, SortKey, StoreError};
use uuid::Uuid;

use crate::support::*;

fn alert(i: i64, severity: &str, rank: i64, device: Option<Uuid>) -> AlertRow {
    AlertRow {
        id: Uuid::from_u128(1000 + i as u128),
        vendor_id: format!("a{i}"),
        vendor: "sentinelone".into(),
        device_id: device,
        severity: severity.into(),
        severity_rank: rank,
        status: "new".into(),
        first_event_key: 1_000_000 * i,
        last_event_key: i64::MIN,
        content_hash: i,
        data: format!("{{\"vendor_id\":\"a{i}\"}}"),
        observables: "[]".into(),
        device_snapshot: Some("{\"snap\":true}".into()),
        device_snapshot_groups: Some("[]".into()),
    }
}

fn device(i: i64) -> DeviceRow {
    DeviceRow {
        id: Uuid::from_u128(i as u128),
        vendor_id: format!("d{i}"),
        vendor: "sentinelone".into(),
        platform: "windows".into(),
        status: Some("active".into()),
        last_seen_key: i,
        content_hash: i,
        data: format!("{{\"device\":{i}}}"),
        device_groups: "[{\"name\":\"g\"}]".into(),
    }
}

#[tokio::test]
async fn pages_upsert_idempotently_with_their_watermark() {
    each_backend("commit_page", |store, _| async move {
        let f = fixture(&store).await;
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
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
        store
            .begin_exports(
                job.id,
                &[
                    (DataExportType::Devices, vec!["/d".into()]),
                    (DataExportType::Alerts, vec!["/a".into()]),
                ],
            )
            .await
            .unwrap();
        let commit = |records: PageRecords, watermark: &str, owner: &str| PageCommit {
            connection_id: c.id,
            job_id: job.id,
            lease_owner: owner.into(),
            export: match records {
                PageRecords::Devices(_) => DataExportType::Devices,
                PageRecords::Alerts(_) => DataExportType::Alerts,
                PageRecords::Findings(_) => DataExportType::Vulnerabilities,
                PageRecords::Idp(kind, _) => kind.export(),
            },
            records,
            quarantined: vec![],
            watermark: Some(watermark.into()),
            watermark_at: None,
        };
        let devices: Vec<DeviceRow> = (1..=3).map(device).collect();
        let done = store
            .commit_page(commit(PageRecords::Devices(devices.clone()), "w1", "w"))
            .await
            .unwrap();
        assert_eq!((done.upserted, done.inserted), (3, 3));
        let again = store
            .commit_page(commit(PageRecords::Devices(devices.clone()), "w1", "w"))
            .await
            .unwrap();
        assert_eq!(
            (again.upserted, again.inserted),
            (0, 0),
            "a repeated page changes nothing"
        );
        let mut changed = devices.clone();
        changed[1].content_hash = 99;
        changed.push(changed[0].clone()); // a duplicate within one page
        let upd = store
            .commit_page(commit(PageRecords::Devices(changed), "w2", "w"))
            .await
            .unwrap();
        assert_eq!((upd.upserted, upd.inserted), (1, 0));
        assert_eq!(
            store
                .get_watermark(c.id, DataExportType::Devices)
                .await
                .unwrap()
                .as_deref(),
            Some("w2")
        );

        let alerts = vec![
            alert(1, "high", 4, Some(devices[0].id)),
            alert(2, "low", 2, None),
            alert(3, "high", 4, Some(Uuid::from_u128(777))),
        ];
        let mut page = commit(PageRecords::Alerts(alerts), "a1", "w");
        page.quarantined = vec![QuarantinedRecord {
            vendor_id: Some("bad".into()),
            error: "no id".into(),
            raw: "\"x\"".into(),
        }];
        let done = store.commit_page(page).await.unwrap();
        assert_eq!((done.upserted, done.quarantined), (3, 1));
        let lost = store
            .commit_page(commit(PageRecords::Alerts(vec![]), "a2", "intruder"))
            .await;
        assert!(matches!(lost, Err(StoreError::LeaseLost(_))));
        assert_eq!(
            store
                .get_watermark(c.id, DataExportType::Alerts)
                .await
                .unwrap()
                .as_deref(),
            Some("a1")
        );
        let counts = store.record_counts(f.account, c.id).await.unwrap();
        assert_eq!(
            (
                counts.get(DataExportType::Devices),
                counts.get(DataExportType::Alerts)
            ),
            (3, 3)
        );
        let q = store
            .list_quarantine(f.account, c.id, None, 10)
            .await
            .unwrap();
        assert_eq!(q.len(), 1);
        let of = |e| store.list_quarantine(f.account, c.id, Some(e), 10);
        assert_eq!(of(DataExportType::Alerts).await.unwrap().len(), 1);
        assert!(of(DataExportType::Devices).await.unwrap().is_empty());
        let job = store.get_job(f.account, job.id).await.unwrap().unwrap();
        let dev = &job.exports[0];
        assert_eq!((dev.pages, dev.records_upserted), (3, 4));
        assert_eq!(job.exports[1].records_quarantined, 1);
        check_alert_queries(&store, f.account, c.id, devices[0].id).await;
        check_offsets(&store, f.account, c.id).await;
    })
    .await;
}

async fn check_alert_queries(
    store: &std::sync::Arc<dyn tributary_store::Store>,
    account: Uuid,
    connection: Uuid,
    device: Uuid,
) {
    let query = |sort: RecordSort, filter: RecordFilter, window: ListWindow| RecordQuery {
        connection_id: connection,
        filter,
        sort,
        window,
        parts: RecordParts::default(),
    };
    let by_first = RecordSort {
        field: RecordSortField::FirstEventTime,
        descending: false,
    };
    let all = store
        .list_alerts(
            account,
            &query(by_first, RecordFilter::default(), ListWindow::first(10)),
        )
        .await
        .unwrap();
    assert_eq!(all.total, Some(3));
    let ids: Vec<_> = all.items.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        vec![
            Uuid::from_u128(1001),
            Uuid::from_u128(1002),
            Uuid::from_u128(1003)
        ]
    );
    assert_eq!(
        all.items[0].device_data.as_deref(),
        Some("{\"device\":1}"),
        "joined to the synced device"
    );
    assert_eq!(all.items[2].device_data, None, "device not synced yet");
    assert_eq!(
        all.items[2].device_snapshot.as_deref(),
        Some("{\"snap\":true}")
    );
    let bulky = [&all.items[0].observables, &all.items[0].device_groups];
    assert!(
        bulky.iter().all(|p| p.is_none()) && all.items[2].device_snapshot_groups.is_none(),
        "optional parts are not read unless asked for"
    );
    let with_parts = store
        .list_alerts(
            account,
            &RecordQuery {
                parts: RecordParts {
                    observables: true,
                    device_groups: true,
                },
                ..query(by_first, RecordFilter::default(), ListWindow::first(10))
            },
        )
        .await
        .unwrap();
    let (synced, unsynced) = (&with_parts.items[0], &with_parts.items[2]);
    assert_eq!(synced.observables.as_deref(), Some("[]"));
    assert_eq!(synced.device_groups.as_deref(), Some("[{\"name\":\"g\"}]"));
    assert_eq!(unsynced.device_snapshot_groups.as_deref(), Some("[]"));

    let desc = RecordSort {
        field: RecordSortField::Severity,
        descending: true,
    };
    let window = ListWindow {
        limit: 1,
        position: Position::Offset(0),
        with_total: false,
    };
    // Fresh planner statistics change no result.
    store.analyze().await.unwrap();
    let p1 = store
        .list_alerts(account, &query(desc, RecordFilter::default(), window))
        .await
        .unwrap();
    assert!(p1.has_more);
    assert_eq!(
        p1.items[0].id,
        Uuid::from_u128(1003),
        "high first; ties by id descending"
    );
    let after = Position::After(SortKey {
        key: p1.items[0].sort_key,
        id: p1.items[0].id,
    });
    let p2 = store
        .list_alerts(
            account,
            &query(
                desc,
                RecordFilter::default(),
                ListWindow {
                    position: after,
                    ..window
                },
            ),
        )
        .await
        .unwrap();
    assert_eq!(p2.items[0].id, Uuid::from_u128(1001));

    let high = RecordFilter {
        severities: vec!["high".into()],
        ..Default::default()
    };
    let filtered = store
        .list_alerts(account, &query(by_first, high, ListWindow::first(10)))
        .await
        .unwrap();
    assert_eq!(filtered.total, Some(2));
    let by_device = RecordFilter {
        device_ids: vec![device],
        ..Default::default()
    };
    let on_device = store
        .list_alerts(account, &query(by_first, by_device, ListWindow::first(10)))
        .await
        .unwrap();
    assert_eq!(on_device.items.len(), 1);
    let future = RecordFilter {
        updated_since: Some(Utc::now().timestamp_micros() + 10_000_000),
        ..Default::default()
    };
    let none = store
        .list_alerts(account, &query(by_first, future, ListWindow::first(10)))
        .await
        .unwrap();
    assert_eq!((none.total, none.items.len()), (Some(0), 0));

    let other = store.create_account("other").await.unwrap().id;
    let leak = store
        .list_alerts(
            other,
            &query(by_first, RecordFilter::default(), ListWindow::first(10)),
        )
        .await
        .unwrap();
    assert!(leak.items.is_empty(), "another account sees nothing");
    let by_seen = RecordSort {
        field: RecordSortField::LastSeen,
        descending: true,
    };
    let devices = store
        .list_devices(
            account,
            &query(by_seen, RecordFilter::default(), ListWindow::first(10)),
        )
        .await
        .unwrap();
    assert_eq!(
        devices.items.iter().map(|d| d.sort_key).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
}

/// Offset pages (which seek their first row through the sort index) are exactly the
/// slices of the whole list, in both directions, with ties and filters, past the end too.
async fn check_offsets(
    store: &std::sync::Arc<dyn tributary_store::Store>,
    account: Uuid,
    connection: Uuid,
) {
    let sorts = [
        (RecordSortField::FirstEventTime, false),
        (RecordSortField::Severity, true),
        (RecordSortField::Severity, false),
        (RecordSortField::UpdatedAt, true),
    ];
    let filters = [
        RecordFilter::default(),
        RecordFilter {
            severities: vec!["high".into()],
            ..Default::default()
        },
    ];
    for (field, descending) in sorts {
        for filter in &filters {
            let query = |window: ListWindow| RecordQuery {
                connection_id: connection,
                filter: filter.clone(),
                sort: RecordSort { field, descending },
                window,
                parts: RecordParts::default(),
            };
            let all: Vec<Uuid> = store
                .list_alerts(account, &query(ListWindow::first(100)))
                .await
                .unwrap()
                .items
                .iter()
                .map(|a| a.id)
                .collect();
            for offset in 0..=all.len() as i64 + 1 {
                let window = ListWindow {
                    limit: 2,
                    position: Position::Offset(offset),
                    with_total: true,
                };
                let page = store.list_alerts(account, &query(window)).await.unwrap();
                let got: Vec<Uuid> = page.items.iter().map(|a| a.id).collect();
                let from = (offset as usize).min(all.len());
                let want = &all[from..(from + 2).min(all.len())];
                assert_eq!(
                    got, want,
                    "{field:?} desc={descending} {filter:?} offset {offset}"
                );
                assert_eq!(page.has_more, from + 2 < all.len());
                assert_eq!(page.total, Some(all.len() as i64));
            }
        }
    }
}
