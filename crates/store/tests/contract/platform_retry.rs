//! The platform-retry count a finished job leaves on its connection (the exponent of
//! the backoff after our own transient failures), and which storage errors are
//! transient.

use chrono::{Duration, Utc};
use tributary_model::{job::JobTrigger, HealthName, Vendor};
use tributary_store::{models::*, StoreError};

use crate::support::*;

#[tokio::test]
async fn a_finished_job_sets_the_platform_retry_count_and_new_credentials_reset_it() {
    each_backend("platform_retries", |store, _| async move {
        let f = fixture(&store).await;
        let vendor = Vendor::named("SENTINELONE");
        let c = store
            .create_connection(f.account, new_connection(f.org, vendor))
            .await
            .unwrap();
        assert_eq!(c.platform_retries, 0);
        let (account, conn_id) = (f.account, c.id);
        let finish_with = |retries: u32, name: HealthName| {
            let store = store.clone();
            async move {
                let job = store
                    .enqueue_job(account, conn_id, JobTrigger::Manual)
                    .await
                    .unwrap();
                let now = Utc::now();
                let claimed = store
                    .claim_job("w", now, now + Duration::seconds(30))
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(claimed.job.id, job.id);
                let mut done = finish(name, job.id, None);
                done.connection.platform_retries = retries;
                done.connection.next_run_at = Some(now + Duration::seconds(30));
                store.finish_job(job.id, Some("w"), done).await.unwrap();
                store
                    .get_connection(account, conn_id)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let after = finish_with(1, HealthName::InternalError).await;
        assert_eq!(after.platform_retries, 1);
        let after = finish_with(2, HealthName::InternalError).await;
        assert_eq!(after.platform_retries, 2);
        assert_eq!(
            store
                .claim_job("w", Utc::now(), Utc::now())
                .await
                .unwrap()
                .map(|j| j.job.id),
            None,
            "nothing queued"
        );
        let healed = finish_with(0, HealthName::Healthy).await;
        assert_eq!(healed.platform_retries, 0);

        finish_with(3, HealthName::InternalError).await;
        let changes = ConnectionChanges {
            sealed_credentials: Some(b"new".to_vec()),
            reset_failures: true,
            ..Default::default()
        };
        let updated = store
            .update_connection(f.account, c.id, changes)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (updated.platform_retries, updated.consecutive_failures),
            (0, 0)
        );
    })
    .await;
}

#[tokio::test]
async fn an_unreachable_store_is_a_transient_error_and_bad_requests_are_not() {
    each_backend("transient_errors", |store, _| async move {
        let f = fixture(&store).await;
        let missing = uuid::Uuid::now_v7();
        let refused = store
            .enqueue_job(f.account, missing, JobTrigger::Manual)
            .await
            .unwrap_err();
        assert!(matches!(refused, StoreError::Invalid(_)), "{refused:?}");
        assert!(!refused.is_transient());
        store.close().await;
        let closed = store.get_connection(f.account, missing).await.unwrap_err();
        assert!(closed.is_transient(), "{closed:?}");
    })
    .await;
}
