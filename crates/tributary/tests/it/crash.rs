//! Data safety: a `tributary serve` process is killed with SIGKILL in the middle of a
//! sync; a new process takes the job over once its lease expires, and in the end every
//! vendor record is stored exactly once — nothing lost, nothing duplicated.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tributary_simulators::{spawn, FaultSpec, SimConfig, SimVendor};

use crate::{process::*, support::backends};

const ALERTS: u64 = 12_000;
const DEVICES: u64 = 300;

#[tokio::test]
async fn a_sync_killed_mid_way_resumes_with_nothing_lost_and_nothing_duplicated() {
    for db in backends("crash_sigkill") {
        let dir = tempfile::tempdir().unwrap();
        // Slow threat pages, so the kill lands in the middle of the alerts export.
        let sim = spawn(
            SimConfig::new(SimVendor::Sentinelone)
                .devices(DEVICES)
                .alerts(ALERTS)
                .fault("threats:slow=250".parse::<FaultSpec>().unwrap()),
        )
        .await
        .unwrap();
        let key = create_account(&db, dir.path(), "crash");

        let (mut first, base) = serve(&db, dir.path());
        let client = reqwest::Client::new();
        let org: Value = client
            .post(format!("{base}/v1/provisioning/organizations"))
            .header("X-API-KEY", &key)
            .json(&json!({"name": "crash"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let org = org["id"].as_str().unwrap().to_owned();
        let conn: Value = client
            .post(format!(
                "{base}/v1/provisioning/organizations/{org}/connections"
            ))
            .header("X-API-KEY", &key)
            .json(&json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let conn = conn["id"].as_str().unwrap().to_owned();
        let alerts_url = format!("{base}/v1/edr/alerts?limit=1");

        // Wait until some alert pages are committed, then kill the process outright.
        let deadline = Instant::now() + Duration::from_secs(60);
        let stored_before = loop {
            let page = get(&client, alerts_url.clone(), &key, Some(&conn)).await;
            let total = page["total"].as_u64().unwrap_or(0);
            if total >= 2_000 {
                break total;
            }
            assert!(Instant::now() < deadline, "no alerts were stored: {page}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        first.kill().unwrap(); // SIGKILL
        first.wait().unwrap();
        assert!(
            stored_before < ALERTS,
            "the kill came before the sync ended"
        );

        // A new process: the dead worker's job is re-queued when its lease expires.
        let (mut second, base) = serve(&db, dir.path());
        let jobs_url =
            format!("{base}/v1/provisioning/organizations/{org}/connections/{conn}/jobs");
        let deadline = Instant::now() + Duration::from_secs(120);
        let job = loop {
            let jobs = get(&client, jobs_url.clone(), &key, None).await;
            let job = jobs["items"][0].clone();
            if job["finished_at"].is_string() {
                break job;
            }
            assert!(Instant::now() < deadline, "the job never finished: {jobs}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let ctx = format!(
            "{:?}: stored {stored_before} before the kill; {job}",
            db.backend
        );
        assert_eq!(job["status"], "SUCCEEDED", "{ctx}");
        assert_eq!(job["attempts"], 2, "the same job, taken over: {ctx}");
        let alerts = get(
            &client,
            format!("{base}/v1/edr/alerts?limit=1"),
            &key,
            Some(&conn),
        )
        .await;
        let devices = get(
            &client,
            format!("{base}/v1/edr/devices?limit=1"),
            &key,
            Some(&conn),
        )
        .await;
        assert_eq!(alerts["total"], ALERTS, "every alert exactly once: {ctx}");
        assert_eq!(
            devices["total"], DEVICES,
            "every device exactly once: {ctx}"
        );
        // And by id: walk every alert with the cursor and count distinct ids.
        let mut seen = std::collections::HashSet::new();
        let mut url =
            format!("{base}/v1/edr/alerts?limit=1000&enableCursor=true&excludeTotal=true");
        loop {
            let page = get(&client, url.clone(), &key, Some(&conn)).await;
            for a in page["items"].as_array().unwrap() {
                assert!(
                    seen.insert(a["id"].as_str().unwrap().to_owned()),
                    "duplicate: {ctx}"
                );
            }
            match page["next_cursor"].as_str() {
                Some(c) => {
                    url = format!("{base}/v1/edr/alerts?limit=1000&enableCursor=true&excludeTotal=true&cursor={c}")
                }
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, ALERTS, "{ctx}");
        second.kill().unwrap();
        second.wait().unwrap();
        sim.shutdown().await.unwrap();
    }
}

const SCANNED_ASSETS: u64 = 6_000;
const FINDINGS: u64 = 30_000;

/// Every finding of `conn`, walking `/v2/vulnerability_findings` with its cursor.
async fn every_finding(client: &reqwest::Client, base: &str, key: &str, conn: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut url = format!("{base}/v2/vulnerability_findings?limit=1000");
    loop {
        let page = get(client, url.clone(), key, Some(conn)).await;
        items.extend(page["items"].as_array().expect("a page").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}/v2/vulnerability_findings?limit=1000&cursor={c}"),
            None => return items,
        }
    }
}

#[tokio::test]
async fn a_tenable_export_killed_while_its_chunks_download_resumes_exactly() {
    for db in backends("crash_tenable") {
        let dir = tempfile::tempdir().unwrap();
        let sim = crate::vms::vms_sim(SimVendor::Tenable, SCANNED_ASSETS, FINDINGS).await;
        let open = crate::vms::open_at_vendor(&sim, SimVendor::Tenable).await as u64;
        // Slow vulns requests (status polls and chunks), so the kill lands between chunks.
        sim.control()
            .add_fault("vulns:slow=300".parse::<FaultSpec>().unwrap())
            .unwrap();
        let key = create_account(&db, dir.path(), "crash");

        let (mut first, base) = serve(&db, dir.path());
        let client = reqwest::Client::new();
        let org = post(
            &client,
            format!("{base}/v1/provisioning/organizations"),
            &key,
            json!({"name": "crash"}),
        )
        .await;
        let org = org["id"].as_str().unwrap().to_owned();
        let conn = post(
            &client,
            format!("{base}/v1/provisioning/organizations/{org}/connections"),
            &key,
            json!({"vendor": "TENABLE", "credentials": sim.credentials()}),
        )
        .await;
        let conn = conn["id"].as_str().unwrap().to_owned();
        let jobs_url =
            format!("{base}/v1/provisioning/organizations/{org}/connections/{conn}/jobs");
        let written = |job: &Value, kind: &str| {
            job["exports"]
                .as_array()
                .and_then(|e| e.iter().find(|x| x["data_export_type"] == kind))
                .and_then(|x| x["records_upserted"].as_u64())
                .unwrap_or(0)
        };

        // Wait until some chunks of findings are committed, then kill the process outright.
        let deadline = Instant::now() + Duration::from_secs(120);
        let stored_before = loop {
            let jobs = get(&client, jobs_url.clone(), &key, None).await;
            let n = written(&jobs["items"][0], "vulnerabilities");
            if n > 0 {
                break n;
            }
            assert!(Instant::now() < deadline, "no findings were stored: {jobs}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        first.kill().unwrap(); // SIGKILL
        first.wait().unwrap();
        assert!(
            stored_before < open,
            "the kill came before the export ended"
        );

        // A new process takes the job over once its lease expires.
        let (mut second, base) = serve(&db, dir.path());
        let jobs_url =
            format!("{base}/v1/provisioning/organizations/{org}/connections/{conn}/jobs");
        let deadline = Instant::now() + Duration::from_secs(180);
        let jobs = loop {
            let jobs = get(&client, jobs_url.clone(), &key, None).await;
            if jobs["items"][0]["finished_at"].is_string() {
                break jobs;
            }
            assert!(Instant::now() < deadline, "the job never finished: {jobs}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let job = &jobs["items"][0];
        let ctx = format!(
            "{:?}: {stored_before} of {open} findings stored before the kill; {job}",
            db.backend
        );
        assert_eq!(jobs["items"].as_array().unwrap().len(), 1, "one job: {ctx}");
        assert_eq!(job["status"], "SUCCEEDED", "{ctx}");
        assert_eq!(job["health"], "HEALTHY", "{ctx}");
        assert_eq!(job["attempts"], 2, "the same job, taken over: {ctx}");
        // Re-read findings that had not changed are not written again: the job's count
        // is every finding once.
        assert_eq!(written(job, "vulnerabilities"), open, "{ctx}");

        let findings = every_finding(&client, &base, &key, &conn).await;
        let ids: std::collections::HashSet<&str> =
            findings.iter().map(|f| f["id"].as_str().unwrap()).collect();
        let vendor_ids: std::collections::HashSet<&str> = findings
            .iter()
            .map(|f| f["vendor_id"].as_str().unwrap())
            .collect();
        assert_eq!(findings.len() as u64, open, "every open finding: {ctx}");
        assert_eq!(ids.len(), findings.len(), "no duplicates: {ctx}");
        assert_eq!(vendor_ids.len(), findings.len(), "no duplicates: {ctx}");
        let devices = get(
            &client,
            format!("{base}/v1/edr/devices?limit=1"),
            &key,
            Some(&conn),
        )
        .await;
        assert_eq!(devices["total"], SCANNED_ASSETS, "every asset once: {ctx}");
        second.kill().unwrap();
        second.wait().unwrap();
        sim.shutdown().await.unwrap();
    }
}
