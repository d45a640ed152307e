//! Defender Vulnerability Management over real HTTP: the Defender token, the snapshot of
//! `machinesVulnerabilities` paged by `@odata.nextLink` or `$skip`, the CVE catalogue,
//! snapshots that change (fixes leave, reopenings come back, new findings join), the
//! faults of a snapshot failing halfway, and azure-identity's token (skipped, saying why,
//! when the Python package is missing).

use std::{
    collections::{BTreeMap, HashSet},
    path::PathBuf,
    process::Command,
};

use serde_json::Value;
use tributary_simulators::{Change, SimVendor};

use crate::{support::*, vms_support::*};

const SNAPSHOT: &str = "/api/vulnerabilities/machinesVulnerabilities";

fn ids(records: &[Value]) -> HashSet<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_snapshot_pages_to_the_end_and_changes_with_the_world() {
    let sim = vms_sim(SimVendor::MsDefenderVms, 40, 600).await;
    let token = mde_token(&sim.credentials()).await;
    let base = sim.base_url();
    let (all, pages) = mde_all(&token, &format!("{base}{SNAPSHOT}?$top=100")).await;
    let first = ids(&all);
    assert_eq!(first.len(), all.len(), "ids are unique");
    assert!(
        all.len() > 300 && all.len() < 600,
        "fixed findings are absent: {}",
        all.len()
    );
    assert_eq!(pages, all.len().div_ceil(100));
    for r in &all {
        let id = r["id"].as_str().unwrap();
        let parts: Vec<&str> = id.split("-_-").collect();
        assert_eq!(parts.len(), 6, "{id}");
        assert_eq!(parts[0], r["machineId"]);
        assert_eq!(parts[0].len(), 40);
        assert_eq!(parts[1], r["cveId"]);
        assert_eq!(parts[4], r["productVersion"]);
        assert_eq!(parts[5], r["fixingKbId"].as_str().unwrap_or(""));
        assert!(["Low", "Medium", "High", "Critical"].contains(&r["severity"].as_str().unwrap()));
    }
    // `$skip` paging without links reads the same records.
    let mut skipped = HashSet::new();
    for skip in (0..all.len()).step_by(250) {
        let r = mde_get(&token, &format!("{base}{SNAPSHOT}?$top=250&$skip={skip}")).await;
        skipped.extend(ids(r.body["value"].as_array().unwrap()));
    }
    assert_eq!(skipped, first);
    let one = all[0]["cveId"].as_str().unwrap();
    let (filtered, _) = mde_all(
        &token,
        &format!("{base}{SNAPSHOT}?$filter=cveId eq '{one}'"),
    )
    .await;
    assert!(!filtered.is_empty() && filtered.iter().all(|r| r["cveId"] == one));

    // Ten fixed or reopened, five new: the snapshot differs by exactly those.
    let changes = BTreeMap::from([(
        "findings".to_owned(),
        Change {
            new: 5,
            updated: 10,
            deleted: 0,
        },
    )]);
    let report = sim.control().advance_collections(&changes).unwrap();
    let changed = &report.collections["findings"];
    let (after, _) = mde_all(&token, &format!("{base}{SNAPSHOT}")).await;
    let second = ids(&after);
    let touched: HashSet<&String> = changed.updated_ids.iter().collect();
    for id in first.symmetric_difference(&second) {
        assert!(
            touched.contains(id) || changed.new_ids.contains(id),
            "only changed findings come or go: {id}"
        );
    }
    for id in &changed.updated_ids {
        assert_ne!(
            first.contains(id),
            second.contains(id),
            "a change flips {id}"
        );
    }
    assert!(changed.new_ids.iter().all(|id| second.contains(id)));
}

#[tokio::test]
async fn the_catalogue_has_every_cve_of_the_snapshot() {
    let sim = vms_sim(SimVendor::MsDefenderVms, 20, 300).await;
    let token = mde_token(&sim.credentials()).await;
    let base = sim.base_url();
    let (catalogue, pages) = mde_all(&token, &format!("{base}/api/vulnerabilities?$top=7")).await;
    assert_eq!(pages, catalogue.len().div_ceil(7));
    let cves: HashSet<&str> = catalogue
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(cves.len(), catalogue.len());
    let (all, _) = mde_all(&token, &format!("{base}{SNAPSHOT}")).await;
    for r in &all {
        assert!(cves.contains(r["cveId"].as_str().unwrap()), "{r}");
    }
    let v = &catalogue[0];
    for key in [
        "name",
        "description",
        "severity",
        "cvssV3",
        "cvssVector",
        "publishedOn",
        "EPSS",
    ] {
        assert!(!v[key].is_null(), "{key}: {v}");
    }
    let id = v["id"].as_str().unwrap();
    let one = mde_get(&token, &format!("{base}/api/vulnerabilities/{id}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["id"], v["id"]);
    let none = mde_get(&token, &format!("{base}/api/vulnerabilities/CVE-1999-0001")).await;
    assert_eq!(none.status, 404);
    let bad = mde_get(&token, &format!("{base}/api/vulnerabilities?$top=8001")).await;
    assert_eq!(bad.status, 400);
    let forbidden = mde_get(&token, &format!("{base}{SNAPSHOT}?$orderby=id")).await;
    assert_eq!(forbidden.status, 400, "{}", forbidden.body);
}

#[tokio::test]
async fn a_later_page_can_fail_or_be_cut() {
    let sim = vms_sim(SimVendor::MsDefenderVms, 20, 300).await;
    let token = mde_token(&sim.credentials()).await;
    let url = |skip: u32| format!("{}{SNAPSHOT}?$top=50&$skip={skip}", sim.base_url());
    sim.control()
        .fault("machine_vulnerabilities:snapshot_failsx1")
        .unwrap();
    assert_eq!(
        mde_get(&token, &url(0)).await.status,
        200,
        "the first page is fine"
    );
    let failed = mde_get(&token, &url(50)).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.body["error"]["code"], "InternalServerError");
    assert_eq!(mde_get(&token, &url(50)).await.status, 200, "x1: once");
    sim.control()
        .fault("machine_vulnerabilities:snapshot_cutx1")
        .unwrap();
    // Half a page, then the connection drops: before or after the head is read.
    match client().get(url(100)).bearer_auth(&token).send().await {
        Ok(cut) => assert!(cut.bytes().await.is_err(), "the body is cut mid-way"),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    assert_eq!(mde_get(&token, &url(100)).await.status, 200);
    sim.control().fault("machine_vulnerabilities:403").unwrap();
    let refused = mde_get(&token, &url(0)).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Vulnerability.Read.All"));
}

/// Why azure-identity cannot run here, if it cannot.
fn missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import azure.identity, cryptography"])
        .output()
    {
        Err(e) => Some(format!("python3 is not available ({e})")),
        Ok(out) if !out.status.success() => Some(format!(
            "python3 cannot import azure.identity (pip install azure-identity): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Ok(_) => None,
    }
}

#[tokio::test]
async fn azure_identity_gets_a_token_and_reads_the_whole_snapshot() {
    if let Some(why) = missing() {
        eprintln!("skipping the azure-identity test: {why}");
        return;
    }
    let sim = vms_sim(SimVendor::MsDefenderVms, 30, 2_500).await;
    let token = mde_token(&sim.credentials()).await;
    let (all, _) = mde_all(&token, &format!("{}{SNAPSHOT}", sim.base_url())).await;
    let c = sim.credentials();
    let script: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "sdk",
        "defender_vms_snapshot.py",
    ]
    .iter()
    .collect();
    let args: Vec<String> = [
        "login_base_url",
        "api_base_url",
        "tenant_id",
        "client_id",
        "client_secret",
    ]
    .iter()
    .map(|k| c[*k].as_str().unwrap().to_owned())
    .collect();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3").arg(script).args(args).output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(counts["findings"], all.len(), "{counts}");
    assert_eq!(counts["distinct"], all.len());
    assert_eq!(counts["pages"], all.len().div_ceil(1000));
    assert!(sim
        .control()
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/oauth2/v2.0/token") && r.status == Some(200)));
}
