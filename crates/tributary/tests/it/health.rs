//! The health fault matrix (DESIGN.md §4, docs/health.md): every row of the table for
//! every vendor, driven through the simulators' faults over real HTTP, on every store;
//! plus partial access, recovery and the credential-fix flow.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::{support::*, sync::*};

/// One row of the matrix: faults on a fresh credential and the health they must produce.
struct Case {
    label: &'static str,
    /// Faults; `ALERTS`/`DEVICES` stand for the vendor's endpoint names.
    faults: &'static [&'static str],
    health: &'static str,
    owner: &'static str,
    /// The exports named in `details` (empty when healthy).
    failing: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        label: "revoked",
        faults: &["all:revoke"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: &["devices", "alerts"],
    },
    Case {
        label: "partial",
        faults: &["ALERTS:403"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: &["alerts"],
    },
    Case {
        label: "throttled",
        faults: &["ALERTS:429"],
        health: "RATE_LIMIT_EXCEEDED",
        owner: "LEEN",
        failing: &["alerts"],
    },
    Case {
        label: "briefly-throttled",
        faults: &["ALERTS:429x2"],
        health: "HEALTHY",
        owner: "LEEN",
        failing: &[],
    },
    Case {
        label: "outage",
        faults: &["all:503"],
        health: "VENDOR_SERVER_ERROR",
        owner: "VENDOR",
        failing: &["devices", "alerts"],
    },
    Case {
        label: "bad-request",
        faults: &["ALERTS:400"],
        health: "VENDOR_CLIENT_ERROR",
        owner: "LEEN",
        failing: &["alerts"],
    },
    Case {
        label: "not-found",
        // Not DEVICES: Defender documents a 404 from /api/machines for a tenant with
        // no machines, which is an empty export, not an error.
        faults: &["ALERTS:404"],
        health: "VENDOR_CLIENT_ERROR",
        owner: "LEEN",
        failing: &["alerts"],
    },
    Case {
        label: "hung",
        faults: &["DEVICES:hang"],
        health: "EXECUTION_TIMEOUT",
        owner: "LEEN",
        // Exports run in turn: alerts, not reached in time, did not complete either.
        failing: &["devices", "alerts"],
    },
    Case {
        label: "error-inside-200",
        // A 200 whose body is the vendor's own error envelope (a 500 inside): a failure
        // classified by its content, never HEALTHY.
        faults: &["ALERTS:error200"],
        health: "VENDOR_SERVER_ERROR",
        owner: "VENDOR",
        failing: &["alerts"],
    },
    Case {
        label: "revoked-inside-200",
        faults: &["ALERTS:error200=401"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: &["alerts"],
    },
    Case {
        label: "malformed",
        faults: &["ALERTS:malformed"],
        health: "INTERNAL_ERROR",
        owner: "LEEN",
        failing: &["alerts"],
    },
];

fn endpoint_names(vendor: SimVendor) -> (&'static str, &'static str) {
    match vendor {
        SimVendor::Crowdstrike => ("devices", "alerts"),
        SimVendor::Sentinelone => ("agents", "threats"),
        SimVendor::MsDefenderEndpoint => ("machines", "alerts"),
        other => unreachable!("{other} is not an EDR vendor"),
    }
}

/// An app whose HTTP timeout outlasts the shortest job timeout, so a hang is the job's;
/// with `loops`, its workers run on their own (for a test that measures latency).
async fn health_app(db: tributary_store::testing::TestDatabase, loops: bool) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.engine.request_timeout_secs = 30;
    config.engine.retry_max_wait_secs = 1;
    if loops {
        config = with_loops(config);
    }
    TestApp::spawn_with(db, dir, config).await
}

const DEVICES: u64 = 12;
const ALERTS: u64 = 40;

#[tokio::test]
async fn every_vendor_failure_gets_its_health_and_recovery_clears_it() {
    for db in backends("health_matrix") {
        let app = health_app(db, false).await;
        let org = app.create_org("matrix").await;
        let mut sims = Vec::new();
        let mut runs = Vec::new();
        for (vendor, name) in VENDORS {
            let sim = sim(vendor, DEVICES, ALERTS).await;
            let (devices, alerts) = endpoint_names(vendor);
            for case in CASES {
                let faults: Vec<String> = case
                    .faults
                    .iter()
                    .map(|f| f.replace("ALERTS", alerts).replace("DEVICES", devices))
                    .collect();
                let faults: Vec<&str> = faults.iter().map(String::as_str).collect();
                let creds = sim.control().add_credential(case.label, &faults).unwrap();
                let conn = app
                    .create_connection(
                        &org,
                        json!({"vendor": name, "credentials": creds, "timeout_secs": 10,
                               "identifier": format!("{name}-{}", case.label)}),
                    )
                    .await;
                runs.push((vendor, name, case, conn["id"].as_str().unwrap().to_owned()));
            }
            sims.push(sim);
        }
        // All connections sync at once; the slowest (the hang) bounds the wait.
        let jobs = join_all(runs.iter().map(|(_, _, _, c)| app.first_job(&org, c))).await;
        for ((vendor, name, case, conn), job) in runs.iter().zip(&jobs) {
            let c = app.connection(&org, conn).await;
            let h = &c["health"];
            let ctx = format!("{name} {} on {:?}: {h} {job}", case.label, app.backend());
            assert_eq!(h["name"], case.health, "{ctx}");
            assert_eq!(h["resolution_owner"], case.owner, "{ctx}");
            assert_eq!(job["health"], case.health, "{ctx}");
            if case.failing.is_empty() {
                assert_eq!(h["details"], Value::Null, "{ctx}");
                continue;
            }
            let details = h["details"].as_array().expect("details when unhealthy");
            let named: Vec<&str> = details
                .iter()
                .map(|d| d["data_export_type"].as_str().unwrap())
                .collect();
            let mut want = case.failing.to_vec();
            let mut got = named.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{ctx}");
            for d in details {
                let kind = d["data_export_type"].as_str().unwrap();
                let endpoints = &export(job, kind)["endpoints"];
                // The endpoint that failed: one of the export's, or the OAuth token
                // endpoint when that is what refused the credentials.
                let endpoint = d["endpoint"].as_str().unwrap();
                assert!(
                    endpoints.as_array().unwrap().contains(&d["endpoint"])
                        || endpoint.contains("/oauth2/"),
                    "the detail names the failing endpoint: {ctx}"
                );
                assert!(
                    d["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{ctx}"
                );
                assert!(!d["name"].is_null(), "{ctx}");
            }
            let _ = vendor;
            match case.label {
                "partial" => {
                    // Devices still sync while alerts are refused.
                    assert_eq!(export(job, "devices")["records_upserted"], DEVICES, "{ctx}");
                    assert_eq!(details[0]["http_status"], 403, "{ctx}");
                    let (_, page) = app.edr(conn, "devices", "limit=1").await;
                    assert_eq!(page["total"], DEVICES, "{ctx}");
                }
                "malformed" => {
                    let quarantined = export(job, "alerts")["records_quarantined"]
                        .as_u64()
                        .unwrap();
                    assert!(quarantined > 0, "{ctx}");
                }
                "revoked" => assert_eq!(details[0]["http_status"], 401, "{ctx}"),
                "error-inside-200" | "revoked-inside-200" => {
                    let status = if case.label == "error-inside-200" {
                        500
                    } else {
                        401
                    };
                    assert_eq!(details[0]["http_status"], status, "{ctx}");
                    let message = details[0]["message"].as_str().unwrap();
                    assert!(message.contains("inside a 200"), "{ctx}");
                    // Devices still sync: only the export whose body was an error fails.
                    assert_eq!(export(job, "devices")["records_upserted"], DEVICES, "{ctx}");
                }
                "outage" => assert_eq!(details[0]["http_status"], 503, "{ctx}"),
                _ => {}
            }
        }

        // Recovery: the vendor stops failing → the next job is HEALTHY with no details.
        for (i, sim) in sims.iter().enumerate() {
            sim.control().clear_faults(Some("partial"), None);
            sim.control().clear_faults(Some("outage"), None);
            for (vendor, name, case, conn) in runs.iter().skip(i * CASES.len()).take(CASES.len()) {
                if case.label != "partial" && case.label != "outage" {
                    continue;
                }
                let job = app.run_job(&org, conn).await;
                let c = app.connection(&org, conn).await;
                let ctx = format!("{name} {} recovery ({vendor:?}): {c} {job}", case.label);
                assert_eq!(c["health"]["name"], "HEALTHY", "{ctx}");
                assert_eq!(c["health"]["details"], Value::Null, "{ctx}");
                assert_eq!(c["health"]["consecutive_failures"], 0, "{ctx}");
                assert_eq!(export(&job, "alerts")["records_upserted"], ALERTS, "{ctx}");
                let (_, history) = app
                    .get(&format!("{}/{conn}/health/history", connections_path(&org)))
                    .await;
                let items = history["items"].as_array().unwrap();
                assert!(items.len() >= 2, "{ctx} {history}");
            }
        }

        // `healthStatusCodes` filters on the derived health.
        let (s, list) = app
            .get(&format!(
                "{}?healthStatusCodes=EXECUTION_TIMEOUT&limit=100",
                connections_path(&org)
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["total"], 3, "{list}");
        let (_, summary) = app.get("/v1/health/summary").await;
        assert!(summary.is_object(), "{summary}");
        for sim in sims {
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn fixing_credentials_turns_a_connection_healthy_without_waiting_for_its_schedule() {
    for db in backends("health_fix_flow") {
        // How fast a fix turns the connection HEALTHY is what this test measures.
        let app = health_app(db, true).await;
        let org = app.create_org("fix").await;
        for (vendor, name) in VENDORS {
            let sim = sim(vendor, DEVICES, ALERTS).await;
            let (_, alerts) = endpoint_names(vendor);
            let partial = sim
                .control()
                .add_credential("partial", &[&format!("{alerts}:403")])
                .unwrap();
            let conn = app.connect(&org, name, partial.clone()).await;
            let first = app.first_job(&org, &conn).await;
            assert_eq!(first["health"], "UNAUTHORIZED", "{first}");
            let path = format!("{}/{conn}", connections_path(&org));

            // The saved credentials are tested export by export.
            let (s, test) = app.get(&format!("{path}/test")).await;
            assert_eq!(s, StatusCode::OK, "{test}");
            assert_eq!(test["is_valid"], false, "{test}");

            // Invalid credentials: 400 naming the refused export; nothing changes.
            let (s, refused) = app.patch(&path, json!({"credentials": partial})).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {refused}");
            assert!(refused.to_string().contains("alerts"), "{refused}");
            let (s, wrong) = app
                .patch(
                    &path,
                    json!({"credentials": sim.control().credential("partial").map(|mut c| {
                        for k in ["api_token", "client_secret"] {
                            if c.get(k).is_some() { c[k] = json!("not-the-secret"); }
                        }
                        c
                    })}),
                )
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{name}: {wrong}");

            // Valid credentials: saved, a job queued at once, HEALTHY within seconds.
            let started = Instant::now();
            let (s, patched) = app
                .patch(&path, json!({"credentials": sim.credentials()}))
                .await;
            assert_eq!(s, StatusCode::OK, "{patched}");
            let mut healthy = None;
            for _ in 0..300 {
                let c = app.connection(&org, &conn).await;
                if c["health"]["name"] == "HEALTHY" {
                    healthy = Some(started.elapsed());
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let took = healthy.unwrap_or_else(|| panic!("{name} never turned HEALTHY"));
            eprintln!("{name} on {:?}: PATCH → HEALTHY in {took:?}", app.backend());
            let (_, test) = app.get(&format!("{path}/test")).await;
            assert_eq!(test["is_valid"], true, "{test}");
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
