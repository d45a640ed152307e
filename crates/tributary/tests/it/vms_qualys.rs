//! Qualys VMDR end to end over real HTTP, on both stores: the XML Host List Detection
//! streamed page by page across several truncated batches, KnowledgeBase titles and
//! CVEs fetched once per QID, a full then an incremental sync with exact counts and
//! fixed states, and an answer cut mid-stream resumed without losing or doubling a
//! detection.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};
use tributary_simulators::{Change, RunningSimulator, SimVendor};

use crate::{support::*, sync::*, vms::*};

/// Hosts per batch: several truncated answers per sync.
const HOSTS_PER_BATCH: u64 = 7;

/// One Host List Detection answer of the simulator, read as any client would.
async fn hld(sim: &RunningSimulator, url: &str) -> String {
    let creds = sim.credentials();
    let resp = reqwest::Client::new()
        .get(url)
        .basic_auth(
            creds["username"].as_str().unwrap(),
            creds["password"].as_str(),
        )
        .header("X-Requested-With", "tributary-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<HOST_LIST_VM_DETECTION_OUTPUT>"), "{body}");
    body
}

/// The detections the simulator lists for `query`, following its truncation links:
/// (all of them, those it marks ignored).
pub async fn qualys_detections(sim: &RunningSimulator, query: &str) -> (usize, usize) {
    let mut next = Some(format!(
        "{}/api/2.0/fo/asset/host/vm/detection/?action=list&truncation_limit=11&include_ignored=1&{query}",
        sim.base_url()
    ));
    let (mut all, mut ignored) = (0, 0);
    while let Some(url) = next.take() {
        let body = hld(sim, &url).await;
        all += body.matches("<DETECTION>").count();
        ignored += body.matches("<IS_IGNORED>1</IS_IGNORED>").count();
        next = body
            .split("<URL><![CDATA[")
            .nth(1)
            .and_then(|rest| rest.split("]]>").next())
            .map(str::to_owned);
    }
    (all, ignored)
}

/// The simulator's clock, from the `DATETIME` of an answer.
async fn vendor_now(sim: &RunningSimulator) -> String {
    let body = hld(
        sim,
        &format!(
            "{}/api/2.0/fo/asset/host/vm/detection/?action=list&truncation_limit=1",
            sim.base_url()
        ),
    )
    .await;
    let at = body.split("<DATETIME>").nth(1).unwrap();
    at.split("</DATETIME>").next().unwrap().to_owned()
}

fn requests_to(sim: &RunningSimulator, endpoint: &str) -> usize {
    sim.control()
        .requests()
        .iter()
        .filter(|r| r.endpoint.as_deref() == Some(endpoint))
        .count()
}

fn count_state(findings: &[Value], state: &str) -> usize {
    findings.iter().filter(|f| f["state"] == state).count()
}

#[tokio::test]
async fn qualys_syncs_fully_then_incrementally_with_exact_counts() {
    for db in backends("vms_qualys_sync") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("qualys").await;
        // 40 hosts, 65 detections each: 6 batches of 7 hosts, 2–3 pages of 1,000.
        let sim = vms_sim(SimVendor::Qualys, 40, 2_600).await;
        let (open, ignored) = qualys_detections(&sim, "").await;
        assert!(open > 1000 && ignored > 0, "{open} {ignored}");
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "QUALYS", "credentials": sim.credentials(),
                       "options": {"hosts_per_batch": HOSTS_PER_BATCH}}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let job = app.first_job(&org, &conn).await;
        let ctx = format!("{:?}: {job}", app.backend());
        assert_eq!(job["health"], "HEALTHY", "{ctx}");
        assert_eq!(
            export(&job, "vulnerabilities")["records_upserted"],
            open,
            "{ctx}"
        );
        let first = app.all_findings(&conn, "").await;
        assert_eq!(first.len(), open, "{ctx}");
        let ids: HashSet<&str> = first
            .iter()
            .map(|f| f["vendor_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), open, "no duplicates: {ctx}");
        assert_eq!(count_state(&first, "SUPPRESSED"), ignored, "{ctx}");
        assert_eq!(
            count_state(&first, "OPEN") + count_state(&first, "REOPENED") + ignored,
            open,
            "the first sync reads what is open: {ctx}"
        );
        // Every title and CVE came from the KnowledgeBase, fetched once per QID.
        assert!(
            first
                .iter()
                .all(|f| !f["title"].as_str().unwrap().starts_with("QID ")),
            "{ctx}"
        );
        assert!(
            first
                .iter()
                .any(|f| !f["vulnerabilities"].as_array().unwrap().is_empty()),
            "{}",
            first[0]
        );
        let hld_calls = requests_to(&sim, "detections");
        let kb_calls = requests_to(&sim, "knowledge_base");
        let pages = open.div_ceil(1000);
        assert!(
            (1..=pages).contains(&kb_calls),
            "{kb_calls} KB calls for {pages} pages"
        );
        // The connector's own probe aside, one call per batch of 7 hosts.
        assert!(hld_calls >= 40 / HOSTS_PER_BATCH as usize, "{hld_calls}");

        // Fixes, reopenings and new detections: only they sync, keeping their ids.
        let before = vendor_now(&sim).await;
        let changes = BTreeMap::from([(
            "findings".to_owned(),
            Change {
                new: 9,
                updated: 30,
                deleted: 0,
            },
        )]);
        let report = sim.control().advance_collections(&changes).unwrap();
        let changed = &report.collections["findings"];
        let (fixed_at_vendor, _) = qualys_detections(
            &sim,
            &format!("status=Fixed&detection_updated_since={before}"),
        )
        .await;
        assert!(fixed_at_vendor > 0, "some detections were fixed");
        let inc = app.run_job(&org, &conn).await;
        let ctx = format!("{:?}: {inc}", app.backend());
        assert_eq!(inc["health"], "HEALTHY", "{ctx}");
        assert_eq!(
            export(&inc, "vulnerabilities")["records_upserted"],
            changed.new_ids.len() + changed.updated_ids.len(),
            "{ctx}"
        );
        let after = app.all_findings(&conn, "").await;
        assert_eq!(count_state(&after, "FIXED"), fixed_at_vendor, "{ctx}");
        let by_vendor_id: BTreeMap<&str, &Value> = after
            .iter()
            .map(|f| (f["vendor_id"].as_str().unwrap(), f))
            .collect();
        assert_eq!(by_vendor_id.len(), after.len(), "no duplicates: {ctx}");
        for id in &changed.updated_ids {
            let f = by_vendor_id[id.as_str()];
            match f["state"].as_str().unwrap() {
                "FIXED" => assert!(f["fixed_at"].is_string(), "{f}"),
                "REOPENED" | "OPEN" | "SUPPRESSED" => assert!(f["fixed_at"].is_null(), "{f}"),
                other => panic!("{other}"),
            }
            if let Some(b) = first.iter().find(|b| b["vendor_id"] == f["vendor_id"]) {
                assert_eq!(b["id"], f["id"], "a fix keeps the finding's id");
            }
        }
        for id in &changed.new_ids {
            assert_eq!(by_vendor_id[id.as_str()]["state"], "OPEN", "{id}");
        }

        // An answer cut mid-stream is asked for again from the host being read (one
        // more call than batches): no detection lost or counted twice.
        sim.control().fault("detections:cut_mid_streamx1").unwrap();
        let report = sim.control().advance_collections(&changes).unwrap();
        let changed = &report.collections["findings"];
        let calls = requests_to(&sim, "detections");
        let cut = app.run_job(&org, &conn).await;
        let ctx = format!("{:?}: {cut}", app.backend());
        assert_eq!(cut["health"], "HEALTHY", "{ctx}");
        assert_eq!(
            export(&cut, "vulnerabilities")["records_upserted"],
            changed.new_ids.len() + changed.updated_ids.len(),
            "{ctx}"
        );
        assert!(sim.control().faults().is_empty(), "the cut happened: {ctx}");
        assert!(requests_to(&sim, "detections") > calls, "{ctx}");
        let stored = app.all_findings(&conn, "").await;
        let unique: HashSet<&str> = stored
            .iter()
            .map(|f| f["vendor_id"].as_str().unwrap())
            .collect();
        assert_eq!(unique.len(), stored.len(), "{ctx}");
        for id in changed.new_ids.iter().chain(&changed.updated_ids) {
            assert!(unique.contains(id.as_str()), "{id}: {ctx}");
        }
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}
