//! Microsoft Defender Vulnerability Management end to end, on both stores: every job reads
//! the full snapshot from the simulator over real HTTP; a finding a complete snapshot no
//! longer lists is FIXED (exactly those), one listed again is REOPENED, new ones are
//! OPEN; a snapshot that fails halfway (a 500 or a cut connection on a later page) marks
//! nothing FIXED, and health says what failed.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use tributary_simulators::{Change, RunningSimulator, SimVendor};

use crate::{support::*, sync::*, vms::*};

pub const NAME: &str = "MS_DEFENDER_VMS";
const SNAPSHOT: &str = "/api/vulnerabilities/machinesVulnerabilities";

/// The ids of the simulator's current snapshot, read from its API as a client would:
/// a client-credentials token, then every page by `@odata.nextLink`.
pub async fn defender_snapshot(sim: &RunningSimulator) -> HashSet<String> {
    let client = reqwest::Client::new();
    let c = sim.credentials();
    let s = |k: &str| c[k].as_str().unwrap().to_owned();
    let token: Value = client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            s("login_base_url"),
            s("tenant_id")
        ))
        .form(&[
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", s("client_id")),
            ("client_secret", s("client_secret")),
            (
                "scope",
                "https://api.securitycenter.microsoft.com/.default".to_owned(),
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let mut ids = HashSet::new();
    let mut next = Some(format!("{}{SNAPSHOT}?$top=2000", s("api_base_url")));
    while let Some(url) = next {
        let page: Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for r in page["value"].as_array().expect("a page") {
            assert!(ids.insert(r["id"].as_str().unwrap().to_owned()), "{r}");
        }
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    ids
}

/// The stored findings of `conn` by vendor id.
async fn stored(app: &TestApp, conn: &str) -> HashMap<String, Value> {
    let all = app.all_findings(conn, "").await;
    let by_id: HashMap<String, Value> = all
        .iter()
        .map(|f| (f["vendor_id"].as_str().unwrap().to_owned(), f.clone()))
        .collect();
    assert_eq!(by_id.len(), all.len(), "no duplicates");
    by_id
}

fn in_state<'a>(findings: &'a HashMap<String, Value>, state: &str) -> HashSet<&'a str> {
    findings
        .iter()
        .filter(|(_, f)| f["state"] == state)
        .map(|(id, _)| id.as_str())
        .collect()
}

/// Moves findings on at the vendor: `new` found, `updated` fixed or reopened.
fn advance(sim: &RunningSimulator, new: u64, updated: u64) {
    let changes = BTreeMap::from([(
        "findings".to_owned(),
        Change {
            new,
            updated,
            deleted: 0,
        },
    )]);
    sim.control().advance_collections(&changes).unwrap();
}

/// After a clean job: the stored findings are exactly the union of every snapshot seen,
/// the current one's not FIXED, every other FIXED with its time.
fn assert_reconciled(now: &HashMap<String, Value>, snapshot: &HashSet<String>, ctx: &str) {
    for (id, f) in now {
        if snapshot.contains(id) {
            assert!(
                matches!(f["state"].as_str(), Some("OPEN" | "REOPENED")),
                "{ctx}: {f}"
            );
            assert!(f["fixed_at"].is_null(), "{ctx}: {f}");
        } else {
            assert_eq!(f["state"], "FIXED", "{ctx}: {f}");
            assert!(f["fixed_at"].is_string(), "{ctx}: {f}");
            assert_eq!(f["state_updated_at"], f["fixed_at"], "{ctx}: {f}");
        }
    }
    for id in snapshot {
        assert!(now.contains_key(id), "{ctx}: {id} listed but not stored");
    }
}

#[tokio::test]
async fn snapshots_sync_with_exact_counts_and_absence_is_the_fix() {
    for db in backends("vms_defender_sync") {
        let app = TestApp::spawn(db).await;
        let ctx = format!("{:?}", app.backend());
        let org = app.create_org("defender-vms").await;
        let sim = vms_sim(SimVendor::MsDefenderVms, 30, 400).await;
        let first = defender_snapshot(&sim).await;
        assert!(first.len() > 150, "{ctx}: the snapshot has findings");
        let conn = app.connect(&org, NAME, sim.credentials()).await;

        // The first snapshot: every listed finding, OPEN, once.
        let job = app.first_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        let vulns = export(&job, "vulnerabilities");
        assert_eq!(vulns["records_upserted"], first.len(), "{ctx}: {job}");
        let now = stored(&app, &conn).await;
        assert_eq!(now.len(), first.len(), "{ctx}");
        assert_eq!(in_state(&now, "OPEN").len(), first.len(), "{ctx}");
        let f = now.values().next().unwrap();
        assert_eq!(f["vendor"], "ms_defender_vms", "{ctx}: {f}");
        assert!(
            f["vulnerabilities"][0]["cvss"][0]["base_score"].is_number(),
            "{f}"
        );
        assert!(f["description"].is_string(), "the catalogue's text: {f}");

        // The same snapshot again: nothing changes, nothing is rewritten.
        let job = app.run_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        assert_eq!(
            export(&job, "vulnerabilities")["records_upserted"],
            0,
            "{ctx}"
        );
        assert!(in_state(&stored(&app, &conn).await, "FIXED").is_empty());

        // Some fixed (gone from the snapshot), some reopened and some new (listed).
        advance(&sim, 7, 25);
        let second = defender_snapshot(&sim).await;
        let vanished: HashSet<&String> = first.difference(&second).collect();
        let appeared: HashSet<&String> = second.difference(&first).collect();
        assert!(!vanished.is_empty() && appeared.len() >= 7, "{ctx}");
        let job = app.run_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        assert_eq!(
            export(&job, "vulnerabilities")["records_upserted"],
            appeared.len(),
            "{ctx}: only the listed findings new to Tributary are written"
        );
        let now = stored(&app, &conn).await;
        let fixed = in_state(&now, "FIXED");
        assert_eq!(
            fixed.len(),
            vanished.len(),
            "{ctx}: exactly the vanished ones"
        );
        assert!(
            vanished.iter().all(|id| fixed.contains(id.as_str())),
            "{ctx}"
        );
        assert!(
            appeared.iter().all(|id| now[*id]["state"] == "OPEN"),
            "{ctx}: first seen, so OPEN"
        );
        assert_reconciled(&now, &second, &ctx);
        let before: HashMap<String, Value> = now;

        // Every finding flips (stride over all 407): what was listed is fixed, what was
        // fixed is found again — those Tributary saw fixed are REOPENED, keeping their id.
        advance(&sim, 0, 407);
        let third = defender_snapshot(&sim).await;
        let job = app.run_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        let now = stored(&app, &conn).await;
        assert_reconciled(&now, &third, &ctx);
        let mut reopened = 0;
        for id in &third {
            let want = match before.get(id).map(|f| &f["state"]) {
                Some(s) if s == "FIXED" => "REOPENED",
                Some(_) => panic!("{ctx}: {id} was listed in both snapshots"),
                None => "OPEN",
            };
            assert_eq!(now[id]["state"], want, "{ctx}: {}", now[id]);
            if want == "REOPENED" {
                reopened += 1;
                assert_eq!(now[id]["id"], before[id]["id"], "{ctx}: same finding");
                assert!(now[id]["fixed_at"].is_null(), "{ctx}");
                assert!(now[id]["state_updated_at"].is_string(), "{ctx}");
            }
        }
        assert_eq!(reopened, vanished.len(), "{ctx}: every fixed one came back");
        assert_eq!(in_state(&now, "FIXED").len(), second.len(), "{ctx}");

        // Listed again unchanged: a REOPENED finding stays REOPENED, nothing is rewritten.
        let job = app.run_job(&org, &conn).await;
        assert_eq!(
            export(&job, "vulnerabilities")["records_upserted"],
            0,
            "{ctx}"
        );
        let again = stored(&app, &conn).await;
        assert_eq!(in_state(&again, "REOPENED").len(), reopened, "{ctx}");
        assert_eq!(again, now, "{ctx}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn a_snapshot_that_fails_halfway_fixes_nothing() {
    for db in backends("vms_defender_partial") {
        let app = TestApp::spawn(db).await;
        let ctx = format!("{:?}", app.backend());
        let org = app.create_org("defender-partial").await;
        // More than one page of 5,000, so a later page can fail.
        let sim = vms_sim(SimVendor::MsDefenderVms, 200, 8_000).await;
        let first = defender_snapshot(&sim).await;
        assert!(first.len() > 5_000, "{ctx}: {}", first.len());
        let conn = app.connect(&org, NAME, sim.credentials()).await;
        let job = app.first_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        assert_eq!(
            export(&job, "vulnerabilities")["records_upserted"],
            first.len()
        );

        advance(&sim, 10, 300);
        let second = defender_snapshot(&sim).await;
        let vanished = first.difference(&second).count();
        assert!(vanished > 0, "{ctx}");
        for fault in ["snapshot_fails", "snapshot_cut"] {
            sim.control()
                .fault(&format!("machine_vulnerabilities:{fault}"))
                .unwrap();
            let job = app.run_job(&org, &conn).await;
            let c = app.connection(&org, &conn).await;
            let h = &c["health"];
            assert_eq!(h["name"], "VENDOR_SERVER_ERROR", "{ctx} {fault}: {h} {job}");
            assert_eq!(h["resolution_owner"], "VENDOR", "{ctx} {fault}: {h}");
            assert_eq!(job["health"], "VENDOR_SERVER_ERROR", "{ctx} {fault}: {job}");
            let detail = &h["details"][0];
            assert_eq!(detail["data_export_type"], "vulnerabilities", "{detail}");
            assert_eq!(detail["endpoint"], SNAPSHOT, "{ctx} {fault}: {detail}");
            if fault == "snapshot_fails" {
                assert_eq!(detail["http_status"], 500, "{detail}");
            }
            let now = stored(&app, &conn).await;
            assert!(
                in_state(&now, "FIXED").is_empty(),
                "{ctx} {fault}: a partial snapshot marks nothing fixed"
            );
            sim.control().clear_faults(None, None);
        }

        // The snapshot reads whole again: exactly the vanished ones are FIXED.
        let job = app.run_job(&org, &conn).await;
        let c = app.connection(&org, &conn).await;
        assert_eq!(c["health"]["name"], "HEALTHY", "{ctx}: {c}");
        assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
        let now = stored(&app, &conn).await;
        assert_eq!(in_state(&now, "FIXED").len(), vanished, "{ctx}");
        assert_reconciled(&now, &second, &ctx);
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}
