//! Tenable VM over real HTTP: X-ApiKeys, the export job flow, chunks, `since` after
//! changes, assets with deletions, and each protocol failure.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};
use tributary_simulators::{Change, SimVendor};

use crate::{support::*, vms_support::*};

#[tokio::test]
async fn api_keys_with_or_without_a_space_and_tenable_error_bodies() {
    let sim = vms_sim(SimVendor::Tenable, 5, 20).await;
    let creds = sim.credentials();
    let mut keys: Vec<&String> = creds.as_object().unwrap().keys().collect();
    // JSON objects keep their insertion order: compare the set of keys.
    keys.sort();
    assert_eq!(keys, ["access_key", "base_url", "secret_key"]);
    assert_eq!(creds["access_key"].as_str().unwrap().len(), 64);
    for spaced in [true, false] {
        let r = read(
            client()
                .get(format!("{}/vulns/export/status", sim.base_url()))
                .header("X-ApiKeys", api_keys(&creds, spaced))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, json!({"exports": []}));
    }
    let bad = json!({"access_key": creds["access_key"], "secret_key": "0".repeat(64)});
    let r = read(
        client()
            .get(format!("{}/vulns/export/status", sim.base_url()))
            .header("X-ApiKeys", api_keys(&bad, true))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid credentials"})
    );
}

#[tokio::test]
async fn a_vulns_export_goes_queued_processing_finished_and_lists_every_finding_once() {
    let sim = vms_sim(SimVendor::Tenable, 400, 600).await;
    let uuid = start_export(&sim, "vulns", all_findings()).await;
    let early = tio(&sim, &format!("/vulns/export/{uuid}/chunks/1"), None).await;
    assert_eq!(early.status, 404, "not available before the job runs");
    let (records, statuses) = drain_export(&sim, "vulns", &uuid).await;
    let seen: Vec<&str> = statuses
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["QUEUED", "PROCESSING", "FINISHED"]);
    let last = statuses.last().unwrap();
    let total = last["total_chunks"].as_u64().unwrap();
    assert!(total >= 2, "{last}");
    assert_eq!(
        last["chunks_available"],
        json!((1..=total).collect::<Vec<_>>())
    );
    assert_eq!(
        statuses[1]["chunks_available"].as_array().unwrap().len() as u64,
        total.div_ceil(2)
    );
    assert_eq!(last["filters"], json!({"since": 1}));
    assert_eq!(last["num_assets_per_chunk"], 50);
    assert_eq!(records.len(), 600);
    let ids: HashSet<&str> = records
        .iter()
        .map(|r| r["finding_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 600);
    let severities = ["info", "low", "medium", "high", "critical"];
    let mut states = BTreeMap::new();
    for r in &records {
        let sev = r["severity_id"].as_u64().unwrap() as usize;
        assert_eq!(r["severity"], severities[sev]);
        assert!(
            r["asset"]["uuid"].is_string() && r["plugin"]["id"].is_u64(),
            "{r}"
        );
        assert!(r["port"]["port"].is_u64() && r["scan"]["uuid"].is_string());
        let state = r["state"].as_str().unwrap();
        *states.entry(state.to_owned()).or_insert(0) += 1;
        assert_eq!(r.get("last_fixed").is_some(), state != "OPEN", "{r}");
        assert!(r["first_found"].as_str() <= r["last_found"].as_str());
    }
    assert_eq!(states.len(), 3, "{states:?}");
    let chunk = client()
        .get(format!("{}/vulns/export/{uuid}/chunks/1", sim.base_url()))
        .header("X-ApiKeys", api_keys(&sim.credentials(), true))
        .send()
        .await
        .unwrap();
    assert_eq!(chunk.headers()["content-type"], "application/octet-stream");
    let listed = tio(&sim, "/vulns/export/status", None).await;
    assert_eq!(listed.body["exports"][0]["uuid"], uuid.as_str());
    assert_eq!(listed.body["exports"][0]["status"], "FINISHED");
    let unknown = tio(
        &sim,
        "/vulns/export/00000000-0000-0000-0000-000000000000/status",
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["statusCode"], 404);
}

#[tokio::test]
async fn without_a_time_filter_only_open_findings_of_the_last_30_days_come() {
    let sim = vms_sim(SimVendor::Tenable, 30, 500).await;
    let all = export_all(&sim, "vulns", all_findings()).await;
    let expected = recent_open(&all, sim.control().now());
    let default = export_all(&sim, "vulns", json!({})).await;
    assert_eq!(default.len(), expected);
    assert!(expected > 0 && expected < all.len());
    let fixed = export_all(
        &sim,
        "vulns",
        json!({"filters": {"since": 1, "state": ["fixed"]}}),
    )
    .await;
    assert_eq!(
        fixed.len(),
        all.iter().filter(|r| r["state"] == "FIXED").count()
    );
    let high = export_all(
        &sim,
        "vulns",
        json!({"filters": {"since": 1, "severity": ["high", "critical"]}}),
    )
    .await;
    assert!(high.iter().all(|r| r["severity_id"].as_u64().unwrap() >= 3));
}

#[tokio::test]
async fn since_after_changes_lists_fixes_and_reopenings_under_their_own_ids() {
    let sim = vms_sim(SimVendor::Tenable, 20, 200).await;
    let c = sim.control();
    let since = c.now().timestamp();
    let mut changes = BTreeMap::from([(
        "findings".to_owned(),
        Change {
            new: 5,
            updated: 8,
            deleted: 0,
        },
    )]);
    let first = c.advance_collections(&changes).unwrap().collections["findings"].clone();
    changes.insert(
        "findings".into(),
        Change {
            new: 0,
            updated: 400,
            deleted: 0,
        },
    );
    let second = c.advance_collections(&changes).unwrap().collections["findings"].clone();
    let changed = export_all(&sim, "vulns", json!({"filters": {"since": since}})).await;
    assert_eq!(
        changed.len(),
        205,
        "every finding changed since, none twice"
    );
    let by_id: BTreeMap<&str, &Value> = changed
        .iter()
        .map(|r| (r["finding_id"].as_str().unwrap(), r))
        .collect();
    for id in &first.new_ids {
        assert!(by_id.contains_key(id.as_str()));
    }
    let mut seen = BTreeMap::new();
    for id in second.updated_ids.iter().chain(&first.updated_ids) {
        let r = by_id[id.as_str()];
        let state = r["state"].as_str().unwrap();
        *seen.entry(state).or_insert(0) += 1;
        let (found, fixed) = (
            r["last_found"].as_str().unwrap(),
            r["last_fixed"].as_str().unwrap_or(""),
        );
        match state {
            "FIXED" => assert!(fixed >= found && fixed >= &*chrono_secs(since), "{r}"),
            "REOPENED" => assert!(fixed <= found, "{r}"),
            _ => assert_eq!(state, "OPEN", "{r}"),
        }
    }
    assert!(
        seen.contains_key("FIXED") && seen.contains_key("REOPENED"),
        "{seen:?}"
    );
    let total = export_all(&sim, "vulns", all_findings()).await;
    assert_eq!(
        total.len(),
        205,
        "fixed findings keep their ids: no new records"
    );
}

fn chrono_secs(s: i64) -> String {
    chrono::DateTime::from_timestamp(s, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn asset_exports_check_chunk_size_and_report_updates_and_deletions() {
    let sim = vms_sim(SimVendor::Tenable, 250, 1000).await;
    let bad = tio(&sim, "/assets/export", Some(json!({"chunk_size": 50}))).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "Bad Request");
    let all = export_all(&sim, "assets", json!({"chunk_size": 100})).await;
    assert_eq!(all.len(), 250);
    assert_eq!(
        all.iter().map(|a| &a["id"]).collect::<HashSet<_>>().len(),
        250
    );
    let c = sim.control();
    let since = c.now().timestamp();
    let asked = BTreeMap::from([(
        "assets".to_owned(),
        Change {
            new: 1,
            updated: 3,
            deleted: 2,
        },
    )]);
    let report = c.advance_collections(&asked).unwrap().collections["assets"].clone();
    let updated = export_all(
        &sim,
        "assets",
        json!({"chunk_size": 100, "filters": {"updated_at": since}}),
    )
    .await;
    let ids: HashSet<&str> = updated.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let expected: HashSet<&str> = report
        .new_ids
        .iter()
        .chain(&report.updated_ids)
        .map(String::as_str)
        .collect();
    assert_eq!(ids, expected);
    let deleted = export_all(
        &sim,
        "assets",
        json!({"chunk_size": 100, "filters": {"deleted_at": since}}),
    )
    .await;
    assert_eq!(deleted.len(), 2);
    assert!(deleted.iter().all(|a| a["deleted_at"].is_string()));
    let v2 = tio(&sim, "/assets/v2/export", Some(json!({"chunk_size": 100}))).await;
    assert_eq!(v2.status, 200);
    let gone: HashSet<&str> = report.deleted_ids.iter().map(String::as_str).collect();
    let after = export_all(
        &sim,
        "assets",
        json!({"chunk_size": 1000, "filters": {"since": 1}}),
    )
    .await;
    assert_eq!(
        after.iter().filter(|a| a["deleted_at"].is_null()).count(),
        249
    );
    let findings = export_all(&sim, "vulns", all_findings()).await;
    assert!(
        findings.len() < 1000,
        "a deleted asset's findings leave with it"
    );
    assert!(findings
        .iter()
        .all(|f| !gone.contains(f["asset"]["uuid"].as_str().unwrap())));
}

async fn last_status(
    sim: &tributary_simulators::RunningSimulator,
    fault: &str,
) -> (Value, Vec<Value>) {
    sim.control().fault(fault).unwrap();
    let uuid = start_export(sim, "vulns", all_findings()).await;
    let (records, statuses) = drain_export(sim, "vulns", &uuid).await;
    (statuses.last().unwrap().clone(), records)
}

#[tokio::test]
async fn export_failures_error_cancelled_failed_and_expired_chunks() {
    let sim = vms_sim(SimVendor::Tenable, 300, 300).await;
    let (error, _) = last_status(&sim, "vulns:export_errorx1").await;
    assert_eq!(error["status"], "ERROR");
    let (cancelled, _) = last_status(&sim, "vulns:export_cancelledx1").await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(!cancelled["chunks_cancelled"].as_array().unwrap().is_empty());
    let (failed, records) = last_status(&sim, "vulns:chunks_failedx1").await;
    assert_eq!(failed["status"], "FINISHED");
    assert_eq!(failed["chunks_failed"], json!([failed["total_chunks"]]));
    assert!(failed["reason"].as_str().unwrap().contains("1 of"));
    assert!(records.len() < 300);
    sim.control().fault("vulns:chunk_expiredx1").unwrap();
    let uuid = start_export(&sim, "vulns", all_findings()).await;
    for _ in 0..3 {
        tio(&sim, &format!("/vulns/export/{uuid}/status"), None).await;
    }
    let expired = tio(&sim, &format!("/vulns/export/{uuid}/chunks/1"), None).await;
    assert_eq!(expired.status, 404);
    assert_eq!(expired.body["error"], "Not Found");
    let again = tio(&sim, &format!("/vulns/export/{uuid}/chunks/1"), None).await;
    assert_eq!(again.status, 200, "x1: the next download works");
    assert!(
        sim.control().fault("vulns:after_expired").is_err(),
        "not a Tenable fault"
    );
}

#[tokio::test]
async fn duplicates_conflict_too_many_exports_429_and_scopes_403() {
    let sim = vms_sim(SimVendor::Tenable, 10, 100).await;
    let first = start_export(&sim, "vulns", all_findings()).await;
    let dup = tio(&sim, "/vulns/export", Some(all_findings())).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["active_job_id"], first.as_str());
    assert!(dup.body["failure_reason"].is_string());
    for since in 2..11 {
        start_export(&sim, "vulns", json!({"filters": {"since": since}})).await;
    }
    let busy = client()
        .post(format!("{}/vulns/export", sim.base_url()))
        .header("X-ApiKeys", api_keys(&sim.credentials(), false))
        .json(&json!({"filters": {"since": 99}}))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 429);
    assert_eq!(busy.headers()["content-type"], "text/html");
    assert!(busy.headers().contains_key("retry-after"));
    assert!(busy.text().await.unwrap().contains("429 Too Many Requests"));
    let cancel = tio(
        &sim,
        &format!("/vulns/export/{first}/cancel"),
        Some(json!({})),
    )
    .await;
    assert_eq!(cancel.body, json!({"status": "CANCELLED"}));
    let limited = sim.control().add_credential("ro", &["vulns:403"]).unwrap();
    let r = read(
        client()
            .post(format!("{}/vulns/export", sim.base_url()))
            .header("X-ApiKeys", api_keys(&limited, true))
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        json!({"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope"})
    );
    sim.control().fault("assets:429x1").unwrap();
    let throttled = tio(&sim, "/assets/export", Some(json!({"chunk_size": 100}))).await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.headers["retry-after"], "1");
}
