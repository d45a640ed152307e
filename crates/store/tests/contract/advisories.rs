//! Advisories as stored: the connection's rows the list filter reads, the history's
//! raised/cleared entries (left out of uptime), and the export history baselines read.

use chrono::{Duration, Utc};
use serde_json::json;
use tributary_model::{Advisory, AdvisoryChange, AdvisoryCode, DataExportType, HealthName, Vendor};
use tributary_store::{models::*, ListWindow};

use crate::support::*;

fn advisory(code: AdvisoryCode) -> Advisory {
    Advisory::new(
        code,
        Some(DataExportType::Devices),
        "m".into(),
        Utc::now(),
        json!({"n": 1}),
    )
}

#[tokio::test]
async fn advisories_filter_connections_and_join_the_history() {
    each_backend("advisories", |store, _| async move {
        let f = fixture(&store).await;
        let vendor = Vendor::named("SENTINELONE");
        let a = store
            .create_connection(f.account, new_connection(f.org, vendor))
            .await
            .unwrap();
        let b = store
            .create_connection(f.account, new_connection(f.org, vendor))
            .await
            .unwrap();
        let run = |id, from, raised: Vec<Advisory>, events: Vec<NewAdvisoryEvent>, received| {
            let store = store.clone();
            async move {
                let job = start_job(&store, f.account, id).await;
                let mut finish = finish(HealthName::Healthy, job.id, from);
                finish.connection.health.advisories = raised;
                // The engine stamps a job's advisory changes with its finish time.
                finish.advisory_events = events
                    .into_iter()
                    .map(|e| NewAdvisoryEvent {
                        at: finish.finished_at,
                        ..e
                    })
                    .collect();
                finish.exports[0].records_received = received;
                finish.exports[0].full_listing = true;
                finish.exports[0].rate_limited_responses = 2;
                store.finish_job(job.id, Some("w"), finish).await.unwrap();
            }
        };
        let drop = advisory(AdvisoryCode::VolumeDrop);
        let raised = NewAdvisoryEvent {
            change: AdvisoryChange::Raised,
            advisory: drop.clone(),
            at: Utc::now(),
        };
        run(a.id, None, vec![drop.clone()], vec![raised], 40).await;
        run(b.id, None, vec![], vec![], 100).await;

        let by_code = |codes: Vec<AdvisoryCode>| {
            let store = store.clone();
            async move {
                let filter = ConnectionFilter {
                    advisory_codes: codes,
                    ..Default::default()
                };
                store
                    .list_connections(f.account, &filter, ListWindow::first(10))
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(by_code(vec![AdvisoryCode::VolumeDrop]).await, vec![a.id]);
        assert_eq!(
            by_code(vec![AdvisoryCode::NoNewData, AdvisoryCode::VolumeDrop]).await,
            vec![a.id]
        );
        assert!(by_code(vec![AdvisoryCode::NoNewData]).await.is_empty());
        let health = store.connection_health(f.account, a.id).await.unwrap();
        assert_eq!(health.unwrap().advisories, vec![drop.clone()]);

        // Cleared by the next job: the filter no longer finds it; the history has both.
        let cleared = NewAdvisoryEvent {
            change: AdvisoryChange::Cleared,
            advisory: drop.clone(),
            at: Utc::now(),
        };
        run(a.id, Some(HealthName::Healthy), vec![], vec![cleared], 100).await;
        assert!(by_code(vec![AdvisoryCode::VolumeDrop]).await.is_empty());
        let events = store
            .list_health_events(f.account, a.id, ListWindow::first(10))
            .await
            .unwrap()
            .items;
        let changes: Vec<_> = events
            .iter()
            .map(|e| (e.advisory_change, e.advisory.as_ref().map(|a| a.code)))
            .collect();
        assert_eq!(
            changes,
            vec![
                (
                    Some(AdvisoryChange::Cleared),
                    Some(AdvisoryCode::VolumeDrop)
                ),
                (Some(AdvisoryChange::Raised), Some(AdvisoryCode::VolumeDrop)),
                (None, None),
            ]
        );
        let uptime_events = store
            .health_events_between(f.account, a.id, Utc::now() - Duration::hours(1), Utc::now())
            .await
            .unwrap();
        assert_eq!(uptime_events.len(), 1, "advisories are not health changes");

        let history = store.export_history(f.account, a.id, 10).await.unwrap();
        let received: Vec<u64> = history.iter().map(|r| r.records_received).collect();
        assert_eq!(received, vec![100, 40], "newest first");
        assert!(history.iter().all(|r| r.full_listing));
        let jobs = store
            .list_jobs(f.account, a.id, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(jobs.items[0].exports[0].rate_limited_responses, 2);
        assert_eq!(
            store
                .export_history(f.account, a.id, 1)
                .await
                .unwrap()
                .len(),
            1
        );
        let other = store.create_account("other").await.unwrap().id;
        assert!(store
            .export_history(other, a.id, 10)
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}
