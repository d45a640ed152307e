use chrono::{Duration, Utc};
use tributary_model::{HealthName, Vendor};
use tributary_store::{models::*, ListWindow};
use uuid::Uuid;

use crate::support::*;

fn endpoint(types: Option<Vec<&str>>) -> NewWebhookEndpoint {
    NewWebhookEndpoint {
        id: Uuid::now_v7(),
        url: "https://example.com/hook".into(),
        description: None,
        event_types: types.map(|t| t.into_iter().map(str::to_owned).collect()),
        enabled: true,
        sealed_secret: b"sealed".to_vec(),
        include_fix_link: false,
    }
}

#[tokio::test]
async fn endpoints_keep_whether_they_want_fix_links() {
    each_backend("webhook_fix_link_flag", |store, _| async move {
        let f = fixture(&store).await;
        let plain = store
            .create_endpoint(f.account, endpoint(None))
            .await
            .unwrap();
        assert!(!plain.include_fix_link);
        let wants = store
            .create_endpoint(
                f.account,
                NewWebhookEndpoint {
                    include_fix_link: true,
                    ..endpoint(None)
                },
            )
            .await
            .unwrap();
        assert!(wants.include_fix_link);
        let changed = store
            .update_endpoint(
                f.account,
                plain.id,
                WebhookEndpointChanges {
                    include_fix_link: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(changed.include_fix_link);
        let listed = store
            .get_endpoint(f.account, wants.id)
            .await
            .unwrap()
            .unwrap();
        assert!(listed.include_fix_link);
    })
    .await;
}

fn event(account: Uuid, kind: &str) -> NewWebhookEvent {
    NewWebhookEvent {
        id: Uuid::now_v7(),
        account_id: account,
        event_type: kind.into(),
        payload: format!("{{\"type\":\"{kind}\"}}"),
    }
}

#[tokio::test]
async fn outbox_fans_out_in_order_and_records_attempts() {
    each_backend("webhook_outbox", |store, _| async move {
        let f = fixture(&store).await;
        let all = store
            .create_endpoint(f.account, endpoint(None))
            .await
            .unwrap();
        let only_jobs = store
            .create_endpoint(f.account, endpoint(Some(vec!["job.failed"])))
            .await
            .unwrap();
        let other = fixture(&store).await;
        store
            .create_endpoint(other.account, endpoint(None))
            .await
            .unwrap();
        store
            .publish_event(event(f.account, "connection.created"))
            .await
            .unwrap();
        store
            .publish_event(event(f.account, "job.failed"))
            .await
            .unwrap();
        store
            .publish_event(event(f.account, "connection.deleted"))
            .await
            .unwrap();

        let now = Utc::now();
        let lease = now + Duration::seconds(30);
        let first = store.claim_deliveries("w", now, lease, 10).await.unwrap();
        // One per endpoint at a time, oldest first: `all` gets created, `only_jobs` job.failed.
        let mut got: Vec<(Uuid, String)> = first
            .iter()
            .map(|d| (d.endpoint.id, d.event_type.clone()))
            .collect();
        got.sort();
        let mut want = vec![
            (all.id, "connection.created".to_owned()),
            (only_jobs.id, "job.failed".to_owned()),
        ];
        want.sort();
        assert_eq!(got, want);
        assert!(
            store
                .claim_deliveries("w2", now, lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased and ordered"
        );

        let d = first.iter().find(|d| d.endpoint.id == all.id).unwrap();
        let attempt = |status: Option<u16>| DeliveryAttempt {
            at: Utc::now(),
            status_code: status,
            latency_ms: 3,
            error: None,
            response: None,
        };
        store
            .record_attempt(AttemptOutcome {
                delivery_id: d.delivery_id,
                worker: "w".into(),
                attempt: attempt(Some(500)),
                status: DeliveryStatus::Pending,
                next_attempt_at: Some(now + Duration::seconds(60)),
            })
            .await
            .unwrap();
        let ep = store
            .get_endpoint(f.account, all.id)
            .await
            .unwrap()
            .unwrap();
        assert!(ep.failing_since.is_some());
        // The failed delivery holds back the endpoint's later events until it is due again.
        assert!(store
            .claim_deliveries("w", now, lease, 10)
            .await
            .unwrap()
            .iter()
            .all(|x| x.endpoint.id != all.id));
        let later = now + Duration::seconds(61);
        let retry = store
            .claim_deliveries("w", later, later + Duration::seconds(30), 10)
            .await
            .unwrap();
        let again = retry.iter().find(|x| x.endpoint.id == all.id).unwrap();
        assert_eq!((again.delivery_id, again.attempts), (d.delivery_id, 1));
        store
            .record_attempt(AttemptOutcome {
                delivery_id: d.delivery_id,
                worker: "w".into(),
                attempt: attempt(Some(204)),
                status: DeliveryStatus::Succeeded,
                next_attempt_at: None,
            })
            .await
            .unwrap();
        assert!(store
            .get_endpoint(f.account, all.id)
            .await
            .unwrap()
            .unwrap()
            .failing_since
            .is_none());
        let log = store
            .list_deliveries(f.account, all.id, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(log.total, Some(2));
        let done = log.items.iter().find(|x| x.id == d.delivery_id).unwrap();
        assert_eq!(done.status, DeliveryStatus::Succeeded);
        assert_eq!(
            done.attempts
                .iter()
                .map(|a| a.status_code)
                .collect::<Vec<_>>(),
            vec![Some(500), Some(204)]
        );
        assert!(store
            .list_deliveries(other.account, all.id, ListWindow::first(10))
            .await
            .unwrap()
            .items
            .is_empty());

        let re = store
            .redeliver(f.account, all.id, d.delivery_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(re.status, DeliveryStatus::Pending);
        store
            .disable_endpoint(all.id, "failing for 24h")
            .await
            .unwrap();
        let ep = store
            .get_endpoint(f.account, all.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (ep.enabled, ep.disabled_reason.as_deref()),
            (false, Some("failing for 24h"))
        );
        let log = store
            .list_deliveries(f.account, all.id, ListWindow::first(10))
            .await
            .unwrap();
        assert!(
            log.items
                .iter()
                .all(|x| x.status != DeliveryStatus::Pending),
            "disabling cancels pending deliveries"
        );
        assert!(store
            .delete_endpoint(f.account, only_jobs.id)
            .await
            .unwrap());
        assert!(store
            .get_endpoint(f.account, only_jobs.id)
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test]
async fn job_finish_writes_events_and_flap_state_atomically() {
    each_backend("webhook_job_finish", |store, _| async move {
        let f = fixture(&store).await;
        store
            .create_endpoint(f.account, endpoint(None))
            .await
            .unwrap();
        let c = store
            .create_connection(
                f.account,
                new_connection(f.org, Vendor::named("SENTINELONE")),
            )
            .await
            .unwrap();
        let job = start_job(&store, f.account, c.id).await;
        let mut fin = finish(HealthName::Unauthorized, job.id, None);
        fin.webhook_events = vec![event(f.account, "connection.health_changed")];
        fin.notified_health = Some(fin.connection.health.clone());
        store.finish_job(job.id, Some("w"), fin).await.unwrap();
        let conn = store
            .get_connection(f.account, c.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            conn.notified_health.map(|h| h.name),
            Some(HealthName::Unauthorized)
        );
        let due = store
            .claim_deliveries("s", Utc::now(), Utc::now() + Duration::seconds(5), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].event_type, "connection.health_changed");
    })
    .await;
}
