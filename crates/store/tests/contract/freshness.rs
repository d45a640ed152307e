//! Freshness as stored: a committed watermark's time and a job's successful exports land
//! in the connection's freshness facts (read with the connection, in lists too); the
//! between-jobs candidates are exactly the connections whose advisory is out of date;
//! an advisory update is refused while a job is in flight; samples cover ACTIVE
//! connections only.

use chrono::{Duration, DurationRound, Utc};
use serde_json::json;
use tributary_model::{
    job::JobTrigger, Advisory, AdvisoryChange, AdvisoryCode, ConnectionState, DataExportType,
    HealthName, Vendor,
};
use tributary_store::{models::*, ListWindow};
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn freshness_facts_candidates_and_advisory_updates() {
    each_backend("freshness", |store, _| async move {
        let f = fixture(&store).await;
        let vendor = Vendor::named("SENTINELONE");
        let mut targeted = new_connection(f.org, vendor);
        targeted.freshness_target_secs = Some(3600);
        let c = store.create_connection(f.account, targeted).await.unwrap();
        assert_eq!(c.freshness_target_secs, Some(3600));
        let other = store
            .create_connection(f.account, new_connection(f.org, vendor))
            .await
            .unwrap();

        // A page's watermark time; then the job finishes with devices healthy.
        let job = start_job(&store, f.account, c.id).await;
        let now = Utc::now();
        store
            .begin_exports(job.id, &[(DataExportType::Devices, vec!["/d".into()])])
            .await
            .unwrap();
        let newest = (now - Duration::hours(3))
            .duration_trunc(Duration::microseconds(1))
            .unwrap();
        store
            .commit_page(PageCommit {
                connection_id: c.id,
                job_id: job.id,
                lease_owner: "w".into(),
                export: DataExportType::Devices,
                records: PageRecords::Devices(vec![]),
                quarantined: vec![],
                watermark: Some("w1".into()),
                watermark_at: Some(newest),
            })
            .await
            .unwrap();
        let done = finish(HealthName::Healthy, job.id, None);
        let finished_at = done.finished_at;
        store.finish_job(job.id, Some("w"), done).await.unwrap();
        let read = store
            .get_connection(f.account, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.freshness.len(), 1, "{:?}", read.freshness);
        let facts = read.freshness[0];
        assert_eq!(facts.data_export_type, DataExportType::Devices);
        assert_eq!(facts.newest_record_at, Some(newest));
        assert_eq!(
            facts.last_successful_pull_at.map(|t| t.timestamp_micros()),
            Some(finished_at.timestamp_micros())
        );
        let listed = store
            .list_connections(
                f.account,
                &ConnectionFilter::default(),
                ListWindow::first(10),
            )
            .await
            .unwrap();
        let mine = listed.items.iter().find(|x| x.id == c.id).unwrap();
        assert_eq!(mine.freshness, read.freshness, "lists read the same facts");
        assert!(listed
            .items
            .iter()
            .find(|x| x.id == other.id)
            .unwrap()
            .freshness
            .is_empty());

        // A failed job leaves the last success where it was.
        let job2 = start_job(&store, f.account, c.id).await;
        store
            .finish_job(
                job2.id,
                Some("w"),
                finish(HealthName::VendorServerError, job2.id, None),
            )
            .await
            .unwrap();
        let read = store
            .get_connection(f.account, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.freshness[0].last_successful_pull_at,
            facts.last_successful_pull_at
        );

        // Candidates: none within the target; this one two hours on; not the other.
        let ids = |v: Vec<ConnectionRecord>| v.into_iter().map(|c| c.id).collect::<Vec<Uuid>>();
        let soon = Utc::now();
        assert!(store
            .freshness_candidates(soon, 100)
            .await
            .unwrap()
            .is_empty());
        let later = Utc::now() + Duration::hours(2);
        let due = store.freshness_candidates(later, 100).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].freshness, read.freshness,
            "facts come with candidates"
        );
        let due = due.into_iter().next().unwrap();

        // Recording the advisory: the list filter and history see it; then it is no
        // longer a candidate.
        let advisory = Advisory::new(
            AdvisoryCode::FreshnessTargetMissed,
            Some(DataExportType::Devices),
            "m".into(),
            later,
            json!({}),
        );
        let mut health = due.health.clone().unwrap();
        health.advisories = vec![advisory.clone()];
        let update = |health| AdvisoryUpdate {
            connection_id: c.id,
            started_at: Utc::now(),
            health,
            events: vec![NewAdvisoryEvent {
                change: AdvisoryChange::Raised,
                advisory: advisory.clone(),
                at: later,
            }],
            webhook_events: vec![],
        };
        assert!(store
            .record_advisory_update(update(health.clone()))
            .await
            .unwrap());
        assert!(ids(store.freshness_candidates(later, 100).await.unwrap()).is_empty());
        let filter = ConnectionFilter {
            advisory_codes: vec![AdvisoryCode::FreshnessTargetMissed],
            ..Default::default()
        };
        let listed = store
            .list_connections(f.account, &filter, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(listed.items.len(), 1);
        let history = store
            .list_health_events(f.account, c.id, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(
            history.items[0].advisory_change,
            Some(AdvisoryChange::Raised)
        );
        assert_eq!(history.items[0].job_id, None);

        // Met again (now) or the target removed: a candidate to clear.
        assert_eq!(
            ids(store.freshness_candidates(soon, 100).await.unwrap()),
            [c.id]
        );
        let changes = ConnectionChanges {
            freshness_target_secs: Some(None),
            ..Default::default()
        };
        store
            .update_connection(f.account, c.id, changes)
            .await
            .unwrap();
        assert_eq!(
            ids(store.freshness_candidates(later, 100).await.unwrap()),
            [c.id]
        );

        // A job in flight wins: the update is refused and nothing is a candidate.
        store
            .enqueue_job(f.account, c.id, JobTrigger::Manual)
            .await
            .unwrap();
        assert!(!store.record_advisory_update(update(health)).await.unwrap());
        assert!(store
            .freshness_candidates(later, 100)
            .await
            .unwrap()
            .is_empty());

        // Samples: ACTIVE connections' exports only.
        let samples = store.freshness_samples().await.unwrap();
        assert!(samples
            .iter()
            .any(|s| s.vendor == vendor && s.facts == facts_now(&read)));
        let paused = ConnectionChanges {
            state: Some(ConnectionState::Paused),
            ..Default::default()
        };
        store
            .update_connection(f.account, c.id, paused)
            .await
            .unwrap();
        let samples = store.freshness_samples().await.unwrap();
        assert!(
            !samples.iter().any(|s| s.facts == facts_now(&read)),
            "{samples:?}"
        );
    })
    .await;
}

fn facts_now(c: &ConnectionRecord) -> tributary_model::FreshnessFacts {
    c.freshness[0]
}
