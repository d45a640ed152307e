//! Retention in the running app with the default settings: history older than 30 days
//! goes, the latest job stays, and `/metrics` reports the history tables' sizes. Time
//! is stepped (pruning "31 days later"), never waited for.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;
use tributary_simulators::SimVendor;

use crate::support::*;

#[tokio::test]
async fn retention_prunes_month_old_jobs_keeps_the_latest_and_reports_table_sizes() {
    for db in backends("retention_app") {
        let app = TestApp::spawn(db).await;
        let sim = crate::sync::sim(SimVendor::Sentinelone, 3, 5).await;
        let org = app.create_org("o").await;
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}),
            )
            .await;
        let jobs_path = format!(
            "/v1/provisioning/organizations/{org}/connections/{}/jobs",
            conn["id"].as_str().unwrap()
        );
        app.step().await; // the first sync, queued at creation
        for _ in 0..2 {
            let (s, job) = app.post(&jobs_path, json!({})).await;
            assert_eq!(s, StatusCode::ACCEPTED, "{job}");
            app.step().await;
        }
        let (_, jobs) = app.get(&jobs_path).await;
        assert_eq!(jobs["total"], 3, "{jobs}");
        let newest = jobs["items"][0]["id"].clone();
        let engine = app.app.as_ref().unwrap().engine();

        assert_eq!(engine.prune_once(Utc::now()).await.unwrap().jobs, 0);
        let pruned = engine
            .prune_once(Utc::now() + Duration::days(31))
            .await
            .unwrap();
        assert_eq!(pruned.jobs, 2, "{pruned:?}");
        let (_, jobs) = app.get(&jobs_path).await;
        assert_eq!(jobs["total"], 1, "{jobs}");
        assert_eq!(jobs["items"][0]["id"], newest, "the latest job stays");

        engine.publish_table_sizes().await.unwrap();
        let metrics = app.metrics().await;
        for table in ["jobs", "job_exports", "health_events", "webhook_deliveries"] {
            let gauge = format!("tributary_table_rows{{table=\"{table}\"}}");
            assert!(metrics.contains(&gauge), "{gauge} in {metrics}");
        }
        assert!(metrics.contains("tributary_database_bytes"), "{metrics}");
        app.stop().await;
        sim.shutdown().await.unwrap();
    }
}
