//! Probes between jobs (docs/health.md): a credential revoked right after a good sync is
//! seen by the next probe pass, with no job running; restoring it clears the health the
//! probe set. Stepped (`probe_once`), never slept; on every store.

use serde_json::Value;

use crate::{support::*, sync::*};

#[tokio::test]
async fn a_probe_sees_a_revocation_between_jobs_and_a_later_probe_clears_it() {
    for db in backends("probes_revocation") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        // Every connection is due at each stepped pass.
        config.engine.probe_interval_secs = 0;
        let app = TestApp::spawn_with(db, dir, config).await;
        let engine = || app.app.as_ref().unwrap().engine();
        let org = app.create_org("probed").await;
        for (vendor, name) in VENDORS {
            let sim = sim(vendor, 5, 5).await;
            let creds = sim.control().add_credential("probed", &[]).unwrap();
            let conn = app.connect(&org, name, creds).await;
            let job = app.first_job(&org, &conn).await;
            assert_eq!(job["health"], "HEALTHY", "{job}");
            let jobs_before = jobs_of(&app, &org, &conn).await;

            // Revoked right after the job: the probe pass sees it, no job runs.
            sim.control().revoke("probed").unwrap();
            sim.control().clear_requests();
            let probed = engine().probe_once().await.unwrap();
            let mine: Vec<_> = probed
                .iter()
                .filter(|p| p.connection_id.to_string() == conn)
                .collect();
            assert_eq!(mine.len(), 1, "{name}: {probed:?}");
            assert_eq!(
                mine[0].changed_to,
                Some(tributary_model::HealthName::Unauthorized)
            );
            let sent = sim
                .control()
                .requests()
                .iter()
                .filter(|r| r.credential.as_deref() == Some("probed"))
                .count();
            let c = app.connection(&org, &conn).await;
            let h = &c["health"];
            assert_eq!(h["name"], "UNAUTHORIZED", "{name}: {c}");
            assert_eq!(h["resolution_owner"], "CUSTOMER", "{c}");
            let details = h["details"].as_array().unwrap();
            assert!(!details.is_empty(), "{c}");
            assert!(details.iter().all(|d| d["source"] == "probe"), "{c}");
            assert_eq!(jobs_of(&app, &org, &conn).await, jobs_before, "no job ran");
            eprintln!(
                "{name} on {:?}: one probe pass sent {sent} requests ({} exports)",
                app.backend(),
                details.len()
            );

            // Restored: the next pass clears what only a probe saw.
            sim.control().restore("probed").unwrap();
            sim.control().clear_requests();
            engine().probe_once().await.unwrap();
            let healthy_pass = sim.control().requests().len();
            eprintln!(
                "{name} on {:?}: a healthy probe pass sent {healthy_pass} requests; at the \
                 default 600 s interval: {} requests per connection per hour",
                app.backend(),
                healthy_pass * 6
            );
            let c = app.connection(&org, &conn).await;
            assert_eq!(c["health"]["name"], "HEALTHY", "{name}: {c}");
            assert_eq!(c["health"]["details"], Value::Null, "{c}");
            let (_, history) = app
                .get(&format!("{}/{conn}/health/history", connections_path(&org)))
                .await;
            let from_probes = history["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["job_id"].is_null())
                .count();
            assert_eq!(from_probes, 2, "down and up, both from probes: {history}");
            assert_eq!(jobs_of(&app, &org, &conn).await, jobs_before);
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}

async fn jobs_of(app: &TestApp, org: &str, conn: &str) -> Value {
    let (_, jobs) = app
        .get(&format!("{}/{conn}/jobs", connections_path(org)))
        .await;
    jobs["total"].clone()
}
