//! Webhooks: endpoints, Standard Webhooks signatures, ordering, retries, the delivery
//! log, redelivery, secret rotation and disabling of failing endpoints.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_engine::webhooks::signing::verify;

use crate::{receiver::Receiver, support::*};

fn verify_delivery(secret: &str, r: &crate::receiver::Received) -> bool {
    let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
    verify(
        secret,
        &r.header("webhook-id"),
        ts,
        &r.body,
        &r.header("webhook-signature"),
    )
}

async fn fast_webhooks_app(
    db: tributary_store::testing::TestDatabase,
    disable_after: f64,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.webhooks.retry_schedule_secs = vec![0.2; 6];
    config.webhooks.poll_interval_ms = 50;
    config.webhooks.request_timeout_secs = 2;
    config.webhooks.disable_after_secs = disable_after;
    // Retries, ordering and backoff over time are what these tests watch: the sender runs.
    TestApp::spawn_with(db, dir, with_loops(config)).await
}

async fn create_hook(app: &TestApp, url: &str, types: Option<Vec<&str>>) -> (String, String) {
    let (s, body) = app
        .post(
            "/v1/webhooks",
            json!({"url": url, "description": "test", "event_types": types}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn webhook_endpoints_are_validated_scoped_and_never_show_their_secret_again() {
    for db in backends("webhook_endpoints") {
        let app = TestApp::spawn(db).await;
        let (id, secret) = create_hook(&app, "http://127.0.0.1:9/hook", None).await;
        assert!(secret.starts_with("whsec_"));
        let (s, got) = app.get(&format!("/v1/webhooks/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(got.get("secret").is_none() && !got.to_string().contains(&secret));
        assert_eq!(got["event_types"], Value::Null);
        for (body, loc) in [
            (json!({"url": "http://10.0.0.1/hook"}), "url"),
            (
                json!({"url": "https://example.com", "event_types": ["nope"]}),
                "event_types",
            ),
            (json!({"description": "no url"}), "url"),
            (
                json!({"url": "https://example.com", "enabled": "yes"}),
                "enabled",
            ),
        ] {
            let (s, e) = app.post("/v1/webhooks", body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
            assert_eq!(e["detail"][0]["loc"], json!(["body", loc]));
        }
        let (s, patched) = app
            .patch(
                &format!("/v1/webhooks/{id}"),
                json!({"event_types": ["job.failed"], "enabled": false}),
            )
            .await;
        assert_eq!(
            (s, patched["enabled"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        let (_, list) = app.get("/v1/webhooks").await;
        assert_eq!(list["total"], 1);
        assert_eq!(
            app.get(&format!("/v1/webhooks/{}", uuid::Uuid::new_v4()))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.delete(&format!("/v1/webhooks/{id}")).await.0,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.get(&format!("/v1/webhooks/{id}")).await.0,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn events_are_signed_ordered_retried_and_logged() {
    for db in backends("webhook_delivery") {
        let app = fast_webhooks_app(db, 3600.0).await;
        let receiver = Receiver::start(503).await;
        let (hook, secret) = create_hook(&app, &receiver.url(), None).await;
        let org = app.create_org("Customer").await;
        let conn = app.create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")})).await;
        let id = conn["id"].as_str().unwrap();
        app.delete(&format!(
            "/v1/provisioning/organizations/{org}/connections/{id}"
        ))
        .await;
        // The receiver is failing: nothing is accepted, retries pile up in the log.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(receiver.received().is_empty());
        receiver.answer(200);
        let got = receiver.wait_for(2, Duration::from_secs(10)).await;
        let types: Vec<String> = got
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            types,
            vec!["connection.created", "connection.deleted"],
            "in order"
        );
        for r in &got {
            assert!(verify_delivery(&secret, r), "signature verifies");
            assert_eq!(r.header("webhook-id"), r.json()["id"].as_str().unwrap());
            assert_eq!(r.json()["data"]["connection_id"], id);
        }
        let (_, log) = app.get(&format!("/v1/webhooks/{hook}/deliveries")).await;
        assert_eq!(log["total"], 2);
        let created = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["event_type"] == "connection.created")
            .unwrap();
        assert_eq!(created["status"], "SUCCEEDED");
        let codes: Vec<Value> = created["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["status_code"].clone())
            .collect();
        assert!(
            codes.len() >= 2 && codes[0] == 503 && *codes.last().unwrap() == 200,
            "{codes:?}"
        );
        assert!(created["attempts"][0]["latency_ms"].is_i64());

        // Manual redelivery sends the same message again.
        let delivery = created["id"].as_str().unwrap();
        let (s, _) = app
            .post(
                &format!("/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        let again = receiver.wait_for(3, Duration::from_secs(10)).await;
        assert_eq!(again[2].header("webhook-id"), got[0].header("webhook-id"));

        // Rotation: both secrets sign during the overlap.
        let (s, rotated) = app
            .post(&format!("/v1/webhooks/{hook}/rotate-secret"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        app.create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")})).await;
        let after = receiver.wait_for(4, Duration::from_secs(10)).await;
        let last = &after[3];
        assert_eq!(last.header("webhook-signature").split(' ').count(), 2);
        assert!(verify_delivery(&secret, last) && verify_delivery(&new_secret, last));
        receiver.stop();
        app.stop().await;
    }
}

#[tokio::test]
async fn deliveries_wait_for_a_receiver_that_is_down() {
    let db = tributary_store::testing::TestDatabase::sqlite();
    let app = fast_webhooks_app(db, 3600.0).await;
    // Reserve a port, then leave it closed: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let (hook, secret) = create_hook(&app, &url, Some(vec!["connection.created"])).await;
    let org = app.create_org("Customer").await;
    app.create_connection(
        &org,
        json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, log) = app.get(&format!("/v1/webhooks/{hook}/deliveries")).await;
    let attempts = log["items"][0]["attempts"].as_array().unwrap().clone();
    assert!(
        !attempts.is_empty() && attempts[0]["status_code"].is_null(),
        "{log}"
    );
    assert!(attempts[0]["error"]
        .as_str()
        .unwrap()
        .contains("could not connect"));
    let receiver = Receiver::start_on(&format!("127.0.0.1:{port}"), 200).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert!(verify_delivery(&secret, &got[0]));
    receiver.stop();
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_and_that_is_reported() {
    for db in backends("webhook_disable") {
        let app = fast_webhooks_app(db, 0.5).await;
        let broken = Receiver::start(500).await;
        let watcher = Receiver::start(200).await;
        let (hook, _) = create_hook(&app, &broken.url(), None).await;
        create_hook(
            &app,
            &watcher.url(),
            Some(vec!["webhook_endpoint.disabled"]),
        )
        .await;
        let org = app.create_org("Customer").await;
        app.create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")})).await;
        let reported = watcher.wait_for(1, Duration::from_secs(15)).await;
        assert_eq!(reported[0].json()["type"], "webhook_endpoint.disabled");
        assert_eq!(reported[0].json()["data"]["endpoint_id"], hook.as_str());
        let (_, ep) = app.get(&format!("/v1/webhooks/{hook}")).await;
        assert_eq!(ep["enabled"], false);
        assert!(ep["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("every delivery failed"));
        let (_, log) = app.get(&format!("/v1/webhooks/{hook}/deliveries")).await;
        let delivery = log["items"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(log["items"][0]["status"], "CANCELLED");
        let (s, _) = app
            .post(
                &format!("/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "a disabled endpoint gets nothing");
        // Re-enabled, the operator redelivers by hand once the receiver is fixed.
        broken.answer(200);
        app.patch(&format!("/v1/webhooks/{hook}"), json!({"enabled": true}))
            .await;
        let (s, _) = app
            .post(
                &format!("/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        broken.wait_for(1, Duration::from_secs(10)).await;
        broken.stop();
        watcher.stop();
        app.stop().await;
    }
}

/// The health events one connection produced, in order: (previous name, current name).
fn health_events(got: &[crate::receiver::Received]) -> Vec<(Value, Value)> {
    got.iter()
        .map(|r| r.json())
        .filter(|e| e["type"] == "connection.health_changed")
        .map(|e| {
            (
                e["data"]["previous_health"]["name"].clone(),
                e["data"]["health"]["name"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn health_changes_are_notified_once_they_hold_and_recovery_once() {
    use tributary_simulators::SimVendor;
    for db in backends("webhook_health_changed") {
        let app = fast_webhooks_app(db, 3600.0).await;
        let receiver = Receiver::start(200).await;
        let (_, secret) = create_hook(
            &app,
            &receiver.url(),
            Some(vec!["connection.health_changed"]),
        )
        .await;
        let org = app.create_org("Customer").await;
        let sim = crate::sync::sim(SimVendor::Sentinelone, 5, 10).await;
        let control = sim.control();
        let creds = control.add_credential("flaky", &["all:503"]).unwrap();
        let conn = app.connect(&org, "SENTINELONE", creds).await;

        // One failed job, then healthy again: a blip, never notified (flap control,
        // down after 2 failed jobs in a row).
        assert_eq!(
            app.first_job(&org, &conn).await["health"],
            "VENDOR_SERVER_ERROR"
        );
        control.clear_faults(Some("flaky"), None);
        assert_eq!(app.run_job(&org, &conn).await["health"], "HEALTHY");
        // Down for real: notified after the second failed job, and only once.
        control.fault("flaky/all:503").unwrap();
        for _ in 0..3 {
            assert_eq!(
                app.run_job(&org, &conn).await["health"],
                "VENDOR_SERVER_ERROR"
            );
        }
        // Recovered: notified once, however many healthy jobs follow.
        control.clear_faults(Some("flaky"), None);
        for _ in 0..2 {
            assert_eq!(app.run_job(&org, &conn).await["health"], "HEALTHY");
        }
        let got = receiver.wait_for(2, Duration::from_secs(10)).await;
        tokio::time::sleep(Duration::from_millis(600)).await; // nothing else arrives
        let got_all = receiver.received();
        assert_eq!(
            health_events(&got_all),
            vec![
                (json!("HEALTHY"), json!("VENDOR_SERVER_ERROR")),
                (json!("VENDOR_SERVER_ERROR"), json!("HEALTHY")),
            ],
            "{:?}",
            got_all.iter().map(|r| r.json()).collect::<Vec<_>>()
        );
        let down = got[0].json();
        assert!(verify_delivery(&secret, &got[0]) && verify_delivery(&secret, &got[1]));
        assert_eq!(down["data"]["connection_id"], conn.as_str());
        assert_eq!(down["data"]["organization_id"], org.as_str());
        assert_eq!(down["data"]["vendor"], "SENTINELONE");
        assert_eq!(down["data"]["health"]["resolution_owner"], "VENDOR");
        assert_eq!(down["data"]["health"]["details"][0]["http_status"], 503);
        assert_eq!(got[1].json()["data"]["health"]["details"], Value::Null);
        receiver.stop();
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn events_committed_before_a_sigkill_are_delivered_by_the_next_process() {
    use crate::process::{create_account, get, serve, tributary};
    use tributary_simulators::{spawn, SimConfig, SimVendor};
    for db in backends("webhook_sigkill") {
        let dir = tempfile::tempdir().unwrap();
        let sim = spawn(SimConfig::new(SimVendor::Sentinelone).devices(5).alerts(10))
            .await
            .unwrap();
        sim.control().fault("all:503").unwrap();
        let receiver = Receiver::start(200).await;
        let key = create_account(&db, dir.path(), "hooks");
        // A process that commits events but never sends them (no `delivery` role): the
        // state of a sender killed between the commit and the send.
        let (mut first, base) = {
            let mut c = tributary(&db, dir.path());
            c.env("TRIBUTARY_ROLES", "api,worker,scheduler")
                .env("TRIBUTARY_WEBHOOKS__DOWN_AFTER_FAILURES", "1");
            crate::process::serve_with(c)
        };
        let client = reqwest::Client::new();
        let post = |path: &str, body: Value| {
            crate::process::post(&client, format!("{base}/v1{path}"), &key, body)
        };
        let hook = post("/webhooks", json!({"url": receiver.url()})).await;
        let hook = hook["id"].as_str().unwrap().to_owned();
        let org = post("/provisioning/organizations", json!({"name": "o"})).await;
        let org = org["id"].as_str().unwrap().to_owned();
        let conn = post(
            &format!("/provisioning/organizations/{org}/connections"),
            json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}),
        )
        .await;
        let conn = conn["id"].as_str().unwrap().to_owned();
        // Both events are in the outbox, pending.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let log = get(
                &client,
                format!("{base}/v1/webhooks/{hook}/deliveries"),
                &key,
                None,
            )
            .await;
            if log["total"] == 2 {
                assert!(
                    log["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|d| d["status"] == "PENDING"),
                    "{log}"
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "events never committed: {log}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        first.kill().unwrap(); // SIGKILL
        first.wait().unwrap();
        assert!(receiver.received().is_empty());

        // The next process delivers them, in order, signed.
        let (mut second, _) = serve(&db, dir.path());
        let got = receiver.wait_for(2, Duration::from_secs(30)).await;
        let types: Vec<Value> = got.iter().map(|r| r.json()["type"].clone()).collect();
        assert_eq!(
            types,
            vec![
                json!("connection.created"),
                json!("connection.health_changed")
            ]
        );
        assert_eq!(got[1].json()["data"]["connection_id"], conn.as_str());
        assert_eq!(
            got[1].json()["data"]["health"]["name"],
            "VENDOR_SERVER_ERROR"
        );
        second.kill().unwrap();
        second.wait().unwrap();
        receiver.stop();
        sim.shutdown().await.unwrap();
    }
}
