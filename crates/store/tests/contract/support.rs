use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tributary_model::{
    health::HealthFacts, job::ExportResult, ConnectionState, DataExportType, Health, HealthName,
    Vendor,
};
use tributary_store::{
    models::*,
    testing::{Backend, TestDatabase},
    Store,
};
use uuid::Uuid;

/// Queues a manual job for `conn` and claims it as worker `w` for a minute (the claim
/// takes the oldest queued job: the tests queue one at a time).
pub async fn start_job(store: &Arc<dyn Store>, account: Uuid, conn: Uuid) -> JobRecord {
    let job = store
        .enqueue_job(account, conn, tributary_model::job::JobTrigger::Manual)
        .await
        .unwrap();
    let now = Utc::now();
    store
        .claim_job("w", now, now + Duration::minutes(1))
        .await
        .unwrap()
        .expect("the queued job is claimable");
    job
}

/// Runs `body` once per available backend, naming the backend on failure.
pub async fn each_backend<F, Fut>(test: &str, body: F)
where
    F: Fn(Arc<dyn Store>, Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDatabase::all(test) {
        eprintln!("{test}: {:?}", db.backend);
        let store = db.open().await;
        body(store.clone(), db.backend).await;
        store.close().await;
    }
}

pub struct Fixture {
    pub account: Uuid,
    pub org: Uuid,
}

pub async fn fixture(store: &Arc<dyn Store>) -> Fixture {
    let account = store.create_account("acme").await.unwrap().id;
    let org = store
        .create_organization(
            account,
            NewOrganization {
                name: "customer".into(),
                identifier: None,
            },
        )
        .await
        .unwrap()
        .id;
    Fixture { account, org }
}

pub fn new_connection(org: Uuid, vendor: Vendor) -> NewConnection {
    NewConnection {
        id: Uuid::now_v7(),
        organization_id: org,
        vendor,
        identifier: None,
        state: ConnectionState::Active,
        refresh_interval_secs: 14400,
        timeout_secs: 1800,
        options: None,
        sealed_credentials: b"sealed".to_vec(),
        next_run_at: Some(Utc::now()),
        freshness_target_secs: None,
    }
}

pub fn health(name: HealthName, job: Uuid, at: DateTime<Utc>) -> Health {
    Health::new(
        name,
        vec![],
        HealthFacts {
            checked_at: at,
            last_job_id: job,
            unhealthy_since: None,
            consecutive_failures: 0,
            next_run_at: None,
        },
    )
}

pub fn finish(name: HealthName, job: Uuid, from: Option<HealthName>) -> JobFinish {
    let now = Utc::now();
    JobFinish {
        status: if name.is_healthy() {
            tributary_model::job::JobStatus::Succeeded
        } else {
            tributary_model::job::JobStatus::Failed
        },
        finished_at: now,
        health_name: name,
        error: None,
        exports: vec![ExportResult {
            data_export_type: DataExportType::Devices,
            endpoints: vec!["/x".into()],
            records_upserted: 0,
            records_quarantined: 0,
            pages: 0,
            http_status: None,
            error: None,
            health: name,
            records_received: 0,
            full_listing: false,
            rate_limited_responses: 0,
            rate_limit_wait_ms: 0,
        }],
        connection: ConnectionHealthUpdate {
            health: health(name, job, now),
            consecutive_failures: u32::from(!name.is_healthy()),
            unhealthy_since: None,
            next_run_at: Some(now + Duration::hours(4)),
            platform_retries: 0,
        },
        advisory_events: vec![],
        health_event: (from != Some(name)).then_some(NewHealthEvent {
            from,
            to: name,
            at: now,
        }),
        webhook_events: vec![],
        notified_health: None,
        vendor: None,
    }
}
