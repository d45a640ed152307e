//! Syncing from the vendor simulators over real HTTP: a full sync, then an incremental one,
//! for each vendor on each store; what lands is served by the EDR API.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::{spawn, AdvanceSpec, RunningSimulator, SimConfig, SimVendor};

use crate::support::*;

pub const VENDORS: [(SimVendor, &str); 3] = [
    (SimVendor::Crowdstrike, "CROWDSTRIKE"),
    (SimVendor::Sentinelone, "SENTINELONE"),
    (SimVendor::MsDefenderEndpoint, "MS_DEFENDER_ENDPOINT"),
];

pub async fn sim(vendor: SimVendor, devices: u64, alerts: u64) -> RunningSimulator {
    spawn(SimConfig::new(vendor).devices(devices).alerts(alerts))
        .await
        .expect("simulator starts")
}

pub fn connections_path(org: &str) -> String {
    format!("/v1/provisioning/organizations/{org}/connections")
}

impl TestApp {
    /// Creates a connection to `sim` (with `credentials`, default the simulator's own).
    pub async fn connect(&self, org: &str, vendor: &str, credentials: Value) -> String {
        let conn = self
            .create_connection(org, json!({"vendor": vendor, "credentials": credentials}))
            .await;
        conn["id"].as_str().unwrap().to_owned()
    }

    /// Runs a job now (after any already queued finishes) and returns it, finished.
    pub async fn run_job(&self, org: &str, conn: &str) -> Value {
        self.settle(org, conn).await;
        let path = format!("{}/{conn}/jobs", connections_path(org));
        let (s, job) = self.post(&path, json!({})).await;
        assert!(s.is_success(), "{s} {job}");
        self.wait_job(org, conn, job["id"].as_str().unwrap()).await
    }

    /// Runs queued jobs; returns the connection's newest job (if any), finished.
    pub async fn settle(&self, org: &str, conn: &str) -> Option<Value> {
        let (s, jobs) = self
            .get(&format!("{}/{conn}/jobs?limit=1", connections_path(org)))
            .await;
        assert_eq!(s, StatusCode::OK, "{jobs}");
        let newest = jobs["items"].get(0)?;
        Some(
            self.wait_job(org, conn, newest["id"].as_str().unwrap())
                .await,
        )
    }

    /// The first job of a new connection (queued when it was created), finished.
    pub async fn first_job(&self, org: &str, conn: &str) -> Value {
        self.settle(org, conn)
            .await
            .expect("creating a connection queues its first job")
    }

    /// Job `job`, finished: the stepped engine runs it; with the engine's own loops
    /// running (where a test measures latency), this waits for them.
    pub async fn wait_job(&self, org: &str, conn: &str, job: &str) -> Value {
        let path = format!("{}/{conn}/jobs/{job}", connections_path(org));
        for _ in 0..600 {
            self.step().await;
            let (s, job) = self.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{job}");
            if job["finished_at"].is_string() {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("job {job} did not finish within a minute");
    }

    pub async fn connection(&self, org: &str, conn: &str) -> Value {
        let (s, c) = self.get(&format!("{}/{conn}", connections_path(org))).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        c
    }

    /// `GET /v1/edr/{kind}` for one connection.
    pub async fn edr(&self, conn: &str, kind: &str, query: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(&format!("/v1/edr/{kind}?{query}")))
            .header("X-API-KEY", &self.key)
            .header("X-CONNECTION-ID", conn)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

pub fn export<'a>(job: &'a Value, kind: &str) -> &'a Value {
    job["exports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data_export_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} export in {job}"))
}

#[tokio::test]
async fn full_then_incremental_sync_for_every_vendor() {
    for db in backends("sync_full_incremental") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("sync").await;
        for (vendor, name) in VENDORS {
            let sim = sim(vendor, 30, 120).await;
            let conn = app.connect(&org, name, sim.credentials()).await;
            let job = app.first_job(&org, &conn).await;
            let ctx = format!("{name} on {:?}: {job}", app.backend());
            assert_eq!(job["status"], "SUCCEEDED", "{ctx}");
            assert_eq!(job["health"], "HEALTHY", "{ctx}");
            assert_eq!(export(&job, "devices")["records_upserted"], 30, "{ctx}");
            assert_eq!(export(&job, "alerts")["records_upserted"], 120, "{ctx}");
            assert_eq!(export(&job, "alerts")["records_quarantined"], 0, "{ctx}");
            let c = app.connection(&org, &conn).await;
            assert_eq!(c["health"]["name"], "HEALTHY", "{c}");
            assert_eq!(c["health"]["details"], Value::Null, "{c}");

            let (s, page) = app.edr(&conn, "alerts", "limit=1000").await;
            assert_eq!(s, StatusCode::OK, "{page}");
            assert_eq!(page["total"], 120, "{ctx}");
            let linked = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["device"]["id"].is_string())
                .count();
            assert!(linked > 0, "alerts embed their device: {ctx}");
            let (_, devices) = app.edr(&conn, "devices", "limit=1000").await;
            assert_eq!(devices["total"], 30, "{ctx}");

            // Nothing changed at the vendor: nothing is written again.
            let again = app.run_job(&org, &conn).await;
            assert_eq!(again["status"], "SUCCEEDED", "{again}");
            assert_eq!(
                export(&again, "alerts")["records_upserted"],
                0,
                "{ctx} {again}"
            );

            // New and updated alerts and devices: only those are pulled and written.
            sim.control().advance(AdvanceSpec {
                new_alerts: 5,
                updated_alerts: 3,
                new_devices: 2,
                updated_devices: 4,
            });
            let inc = app.run_job(&org, &conn).await;
            assert_eq!(inc["status"], "SUCCEEDED", "{ctx} {inc}");
            assert_eq!(export(&inc, "alerts")["records_upserted"], 8, "{ctx} {inc}");
            assert_eq!(
                export(&inc, "devices")["records_upserted"],
                6,
                "{ctx} {inc}"
            );
            let (_, page) = app.edr(&conn, "alerts", "limit=1").await;
            assert_eq!(page["total"], 125, "{ctx}");
            let (_, devices) = app.edr(&conn, "devices", "limit=1").await;
            assert_eq!(devices["total"], 32, "{ctx}");
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
