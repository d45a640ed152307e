//! Vulnerability findings end to end: Tenable, Spotlight and Qualys sync from their simulators
//! over real HTTP, fully then incrementally, with exact counts; fixes and reopenings keep
//! a finding's identity; `/v2/vulnerability_findings` serves them on both stores.

use std::collections::{BTreeMap, HashSet};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::{spawn, Change, RunningSimulator, SimConfig, SimVendor};

use crate::{support::*, sync::*};

pub const VMS_VENDORS: [(SimVendor, &str); 3] = [
    (SimVendor::Tenable, "TENABLE"),
    (SimVendor::CrowdstrikeSpotlight, "CROWDSTRIKE_SPOTLIGHT"),
    (SimVendor::Qualys, "QUALYS"),
];

pub async fn vms_sim(vendor: SimVendor, assets: u64, findings: u64) -> RunningSimulator {
    spawn(
        SimConfig::new(vendor)
            .count("assets", assets)
            .count("findings", findings),
    )
    .await
    .expect("simulator starts")
}

impl TestApp {
    /// `GET /v2/{path}` for one connection.
    pub async fn v2(&self, conn: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(&format!("/v2/{path}")))
            .header("X-API-KEY", &self.key)
            .header("X-CONNECTION-ID", conn)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every finding of `conn` matching `query`, following `next_cursor` to the end.
    pub async fn all_findings(&self, conn: &str, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("vulnerability_findings?limit=97&{query}");
            if let Some(c) = &cursor {
                // Cursors are URL-safe base64.
                path.push_str(&format!("&cursor={c}"));
            }
            let (s, page) = self.v2(conn, &path).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            assert_eq!(page["total"], Value::Null, "v2 pages never count");
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }
}

/// The vendor's own count of findings that are open or reopened, read from its API.
pub async fn open_at_vendor(sim: &RunningSimulator, vendor: SimVendor) -> usize {
    let client = reqwest::Client::new();
    let creds = sim.credentials();
    match vendor {
        SimVendor::Tenable => {
            let keys = format!(
                "accessKey={};secretKey={}",
                creds["access_key"].as_str().unwrap(),
                creds["secret_key"].as_str().unwrap()
            );
            let base = sim.base_url();
            let body =
                json!({"num_assets": 5000, "filters": {"since": 0, "state": ["OPEN", "REOPENED"]}});
            let created: Value = client
                .post(format!("{base}/vulns/export"))
                .header("X-ApiKeys", &keys)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let uuid = created["export_uuid"].as_str().unwrap().to_owned();
            let mut read = HashSet::new();
            let mut count = 0;
            for _ in 0..20 {
                let status: Value = client
                    .get(format!("{base}/vulns/export/{uuid}/status"))
                    .header("X-ApiKeys", &keys)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for chunk in status["chunks_available"].as_array().unwrap() {
                    if read.insert(chunk.as_u64().unwrap()) {
                        let records: Value = client
                            .get(format!("{base}/vulns/export/{uuid}/chunks/{chunk}"))
                            .header("X-ApiKeys", &keys)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        count += records.as_array().unwrap().len();
                    }
                }
                if status["status"] == "FINISHED" {
                    return count;
                }
            }
            panic!("the export did not finish")
        }
        SimVendor::Qualys => crate::vms_qualys::qualys_detections(sim, "").await.0,
        SimVendor::MsDefenderVms => crate::vms_defender::defender_snapshot(sim).await.len(),
        _ => {
            let token: Value = client
                .post(format!("{}/oauth2/token", sim.base_url()))
                .form(&[
                    ("client_id", creds["client_id"].as_str().unwrap()),
                    ("client_secret", creds["client_secret"].as_str().unwrap()),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let page: Value = client
                .get(format!(
                    "{}/spotlight/queries/vulnerabilities/v1",
                    sim.base_url()
                ))
                .bearer_auth(token["access_token"].as_str().unwrap())
                .query(&[("filter", "status:['open','reopen']"), ("limit", "1")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["meta"]["pagination"]["total"].as_u64().unwrap() as usize
        }
    }
}

#[tokio::test]
async fn findings_sync_fully_then_incrementally_for_every_scanner() {
    for db in backends("vms_sync") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("vms").await;
        for (vendor, name) in VMS_VENDORS {
            let sim = vms_sim(vendor, 30, 400).await;
            let open = open_at_vendor(&sim, vendor).await;
            assert!(open > 100, "{name}: the simulator has open findings");
            let conn = app.connect(&org, name, sim.credentials()).await;
            let job = app.first_job(&org, &conn).await;
            assert_eq!(job["health"], "HEALTHY", "{name}: {job}");
            assert_eq!(
                export(&job, "vulnerabilities")["records_upserted"],
                open,
                "{name}"
            );
            if vendor == SimVendor::Tenable {
                assert_eq!(export(&job, "assets")["records_upserted"], 30);
                let (_, devices) = app.edr(&conn, "devices", "limit=1").await;
                assert_eq!(devices["total"], 30, "a scanner's assets are devices");
            }
            let first = app.all_findings(&conn, "").await;
            assert_eq!(first.len(), open, "{name}");
            let ids: HashSet<&str> = first.iter().map(|f| f["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), open, "{name}: no duplicates");
            let states: HashSet<&str> =
                first.iter().map(|f| f["state"].as_str().unwrap()).collect();
            assert!(
                // An open finding the customer suppressed is SUPPRESSED (Spotlight).
                states
                    .iter()
                    .all(|s| matches!(*s, "OPEN" | "REOPENED" | "SUPPRESSED")),
                "{name}: {states:?}"
            );

            // Fixes, reopenings and new findings: only they sync, keeping their ids.
            let changes = BTreeMap::from([(
                "findings".to_owned(),
                Change {
                    new: 7,
                    updated: 25,
                    deleted: 0,
                },
            )]);
            let report = sim.control().advance_collections(&changes).unwrap();
            let changed = &report.collections["findings"];
            let inc = app.run_job(&org, &conn).await;
            assert_eq!(inc["health"], "HEALTHY", "{name}: {inc}");
            assert_eq!(
                export(&inc, "vulnerabilities")["records_upserted"],
                changed.new_ids.len() + changed.updated_ids.len(),
                "{name}: {inc}"
            );
            let after = app.all_findings(&conn, "").await;
            let by_vendor_id: BTreeMap<&str, &Value> = after
                .iter()
                .map(|f| (f["vendor_id"].as_str().unwrap(), f))
                .collect();
            assert_eq!(by_vendor_id.len(), after.len(), "{name}: no duplicates");
            for id in &changed.updated_ids {
                let f = by_vendor_id[id.as_str()];
                match f["state"].as_str().unwrap() {
                    "FIXED" => assert!(f["fixed_at"].is_string(), "{f}"),
                    "REOPENED" | "OPEN" | "SUPPRESSED" => assert!(f["fixed_at"].is_null(), "{f}"),
                    other => panic!("{name}: {other}"),
                }
                if let Some(before) = first.iter().find(|b| b["vendor_id"] == f["vendor_id"]) {
                    assert_eq!(
                        before["id"], f["id"],
                        "{name}: a fix keeps the finding's id"
                    );
                }
            }
            for id in &changed.new_ids {
                assert!(by_vendor_id.contains_key(id.as_str()), "{name}: {id}");
            }
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
