use chrono::{Duration, Utc};
use tributary_model::{
    job::{JobStatus, JobTrigger},
    ConnectionState, DataExportType, HealthName, Vendor,
};
use tributary_store::{models::*, testing::Backend, ListWindow, StoreError};

use crate::support::*;

#[tokio::test]
async fn one_active_job_per_connection_and_leases() {
    each_backend("job_leases", |store, _| async move {
        let f = fixture(&store).await;
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("CROWDSTRIKE")),
            )
            .await
            .unwrap();
        let job = store
            .enqueue_job(f.account, c.id, JobTrigger::Manual)
            .await
            .unwrap();
        assert_eq!(job.status, JobStatus::Queued);
        match store.enqueue_job(f.account, c.id, JobTrigger::Manual).await {
            Err(StoreError::JobAlreadyActive(id)) => assert_eq!(id, job.id),
            other => panic!("expected JobAlreadyActive, got {other:?}"),
        }
        let now = Utc::now();
        let claimed = store
            .claim_job("w1", now, now + Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (claimed.job.id, claimed.job.status, claimed.job.attempts),
            (job.id, JobStatus::Running, 1)
        );
        assert_eq!(claimed.connection.id, c.id);
        assert!(store
            .claim_job("w2", now, now + Duration::seconds(30))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .heartbeat(job.id, "w1", now + Duration::seconds(60))
            .await
            .unwrap());
        assert!(!store
            .heartbeat(job.id, "w2", now + Duration::seconds(60))
            .await
            .unwrap());

        // The lease expires: the job is re-queued and another worker takes it.
        let later = now + Duration::seconds(120);
        let out = store.requeue_expired(later, 5).await.unwrap();
        assert_eq!(out.requeued, vec![job.id]);
        let again = store
            .claim_job("w2", later, later + Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.job.attempts, 2);
        // The first worker's late finish is refused.
        let err = store
            .finish_job(
                job.id,
                Some("w1"),
                finish(HealthName::Healthy, job.id, None),
            )
            .await;
        assert!(matches!(err, Err(StoreError::LeaseLost(_))));
        store
            .begin_exports(job.id, &[(DataExportType::Devices, vec!["/x".into()])])
            .await
            .unwrap();
        store
            .finish_job(
                job.id,
                Some("w2"),
                finish(HealthName::Healthy, job.id, None),
            )
            .await
            .unwrap();
        let done = store.get_job(f.account, job.id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.health_name),
            (JobStatus::Succeeded, Some(HealthName::Healthy))
        );
        assert_eq!(done.exports.len(), 1);
        let conn = store
            .get_connection(f.account, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conn.health.unwrap().name, HealthName::Healthy);
        assert!(conn.next_run_at.unwrap() > Utc::now() + Duration::hours(3));
        let other = fixture(&store).await;
        assert!(store
            .get_job(other.account, job.id)
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn exhausted_and_released_jobs() {
    each_backend("job_exhausted", |store, _| async move {
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
            .claim_job("w", now, now + Duration::seconds(1))
            .await
            .unwrap()
            .unwrap();
        assert!(store.release_job(job.id, "w").await.unwrap());
        store
            .claim_job("w", now, now + Duration::seconds(1))
            .await
            .unwrap()
            .unwrap();
        let out = store
            .requeue_expired(now + Duration::seconds(5), 2)
            .await
            .unwrap();
        assert!(out.requeued.is_empty());
        assert_eq!(out.exhausted.len(), 1);
        store
            .finish_job(
                job.id,
                None,
                finish(HealthName::InternalError, job.id, None),
            )
            .await
            .unwrap();
        let conn = store
            .get_connection(f.account, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conn.health.unwrap().name, HealthName::InternalError);
    })
    .await;
}

#[tokio::test]
async fn scheduler_queues_due_active_connections_only() {
    each_backend("enqueue_due", |store, _| async move {
        let f = fixture(&store).await;
        let due = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let mut later = new_connection(f.org, Vendor::named("SENTINELONE"));
        later.next_run_at = Some(Utc::now() + Duration::hours(1));
        store.create_connection(f.account, later).await.unwrap();
        let paused = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("CROWDSTRIKE")),
            )
            .await
            .unwrap();
        let changes = ConnectionChanges {
            state: Some(ConnectionState::Paused),
            ..Default::default()
        };
        store
            .update_connection(f.account, paused.id, changes)
            .await
            .unwrap();
        let queued = store.enqueue_due(Utc::now(), 100).await.unwrap();
        assert_eq!(queued.len(), 1);
        let job = store.get_job(f.account, queued[0]).await.unwrap().unwrap();
        assert_eq!(
            (job.connection_id, job.trigger),
            (due.id, JobTrigger::Schedule)
        );
        assert!(
            store.enqueue_due(Utc::now(), 100).await.unwrap().is_empty(),
            "already queued"
        );
        let stats = store.queue_stats(Utc::now()).await.unwrap();
        assert_eq!((stats.queued, stats.running), (1, 0));

        // Pausing cancels the queued job; a paused connection cannot be queued.
        let changes = ConnectionChanges {
            state: Some(ConnectionState::Paused),
            ..Default::default()
        };
        store
            .update_connection(f.account, due.id, changes)
            .await
            .unwrap();
        let job = store.get_job(f.account, queued[0]).await.unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Cancelled);
        assert!(store
            .enqueue_job(f.account, due.id, JobTrigger::Manual)
            .await
            .is_err());
    })
    .await;
}

#[tokio::test]
async fn job_history_and_health_events_newest_first() {
    each_backend("job_history", |store, _| async move {
        let f = fixture(&store).await;
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let mut prev = None;
        let start = Utc::now();
        for name in [
            HealthName::Healthy,
            HealthName::Unauthorized,
            HealthName::Unauthorized,
            HealthName::Healthy,
        ] {
            let job = start_job(&store, f.account, c.id).await;
            store
                .finish_job(job.id, Some("w"), finish(name, job.id, prev))
                .await
                .unwrap();
            prev = Some(name);
        }
        let jobs = store
            .list_jobs(f.account, c.id, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(jobs.total, Some(4));
        assert!(jobs
            .items
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at));
        let events = store
            .list_health_events(f.account, c.id, ListWindow::first(10))
            .await
            .unwrap();
        let names: Vec<_> = events.items.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(
            names,
            vec![
                (Some(HealthName::Unauthorized), HealthName::Healthy),
                (Some(HealthName::Healthy), HealthName::Unauthorized),
                (None, HealthName::Healthy),
            ]
        );
        let between = store
            .health_events_between(f.account, c.id, start, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(between.len(), 3);
        assert_eq!(between[0].to, HealthName::Healthy);
    })
    .await;
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    each_backend("concurrent_claims", |store, backend| async move {
        let f = fixture(&store).await;
        for _ in 0..20 {
            let c = store
                .create_connection(
                    f.account,
                    new_connection(f.org, Vendor::named("SENTINELONE")),
                )
                .await
                .unwrap();
            store
                .enqueue_job(f.account, c.id, JobTrigger::Manual)
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for w in 0..4 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let now = Utc::now();
                while let Some(c) = store
                    .claim_job(&format!("w{w}"), now, now + Duration::minutes(1))
                    .await
                    .unwrap()
                {
                    mine.push(c.job.id);
                }
                mine
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            (n, all.len()),
            (20, 20),
            "{backend:?}: each job claimed exactly once"
        );
        if backend == Backend::Postgres {
            eprintln!("claims spread over workers with FOR UPDATE SKIP LOCKED");
        }
    })
    .await;
}
