//! The real identity connectors, Okta and Microsoft Entra ID, against their simulators
//! over real HTTP, on SQLite and PostgreSQL: a full sync with exact counts, memberships
//! served both ways and equal to what the vendor lists, then changes at the vendor
//! (users, groups and memberships added, changed and deleted) pulled incrementally, with
//! deletions reflected as `is_deleted: true` (Graph's `@removed`; Okta's periodic complete
//! listing, never after a failed one).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use tributary_model::DataExportType;
use tributary_simulators::{spawn, AdvanceReport, Change, RunningSimulator, SimConfig, SimVendor};

use crate::{
    idp::{rid, vendor_ids},
    support::*,
    sync::*,
};

pub const IDP_VENDORS: [(SimVendor, &str); 2] = [
    (SimVendor::OktaIdp, "OKTA_IDP"),
    (SimVendor::MsEntra, "MS_ENTRA"),
];

/// More users than one Okta page (200) and two Graph delta pages (100).
pub const USERS: u64 = 250;
pub const GROUPS: u64 = 8;
pub const APPS: u64 = 5;
pub const POLICIES: u64 = 12;
const MEMBERSHIPS: u64 = 150;

pub async fn idp_sim(vendor: SimVendor) -> RunningSimulator {
    let config = SimConfig::new(vendor)
        .count("users", USERS)
        .count("groups", GROUPS)
        .count("applications", APPS)
        .count("policies", POLICIES)
        .count("memberships", MEMBERSHIPS);
    spawn(config).await.expect("simulator starts")
}

/// The vendor's own answer: each live group's members, by vendor ids, read from the
/// simulator's API as a client of the vendor would.
async fn vendor_members(
    sim: &RunningSimulator,
    vendor: SimVendor,
) -> BTreeMap<String, BTreeSet<String>> {
    let http = reqwest::Client::new();
    let creds = sim.credentials();
    let get = |url: String, auth: String| {
        let http = http.clone();
        async move {
            let resp = http
                .get(&url)
                .header("Authorization", auth)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{url}: {}", resp.status());
            resp.json::<Value>().await.unwrap()
        }
    };
    let mut out = BTreeMap::new();
    match vendor {
        SimVendor::OktaIdp => {
            let auth = format!("SSWS {}", creds["api_token"].as_str().unwrap());
            let base = sim.base_url();
            let groups = get(format!("{base}/api/v1/groups?limit=1000"), auth.clone()).await;
            for g in groups.as_array().unwrap() {
                let id = g["id"].as_str().unwrap();
                let users = get(
                    format!("{base}/api/v1/groups/{id}/users?limit=1000"),
                    auth.clone(),
                )
                .await;
                out.insert(id.to_owned(), ids(&users));
            }
        }
        _ => {
            let token: Value = http
                .post(format!(
                    "{}/{}/oauth2/v2.0/token",
                    creds["login_base_url"].as_str().unwrap(),
                    creds["tenant_id"].as_str().unwrap()
                ))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", creds["client_id"].as_str().unwrap()),
                    ("client_secret", creds["client_secret"].as_str().unwrap()),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let auth = format!("Bearer {}", token["access_token"].as_str().unwrap());
            let base = creds["graph_base_url"].as_str().unwrap();
            let groups = get(format!("{base}/v1.0/groups?$top=999"), auth.clone()).await;
            for g in groups["value"].as_array().unwrap() {
                let id = g["id"].as_str().unwrap();
                let members = get(
                    format!("{base}/v1.0/groups/{id}/members?$top=999"),
                    auth.clone(),
                )
                .await;
                out.insert(id.to_owned(), ids(&members["value"]));
            }
        }
    }
    out
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Memberships as Tributary serves them from the group side (includes), checked against
/// the user side (`/users/{id}/groups`) for every member, and returned by group.
async fn memberships_both_ways(app: &TestApp, conn: &str) -> BTreeMap<String, BTreeSet<String>> {
    let groups = app
        .idp_items(conn, "groups?limit=1000&includeIdpUsers=true")
        .await;
    let mut by_group = BTreeMap::new();
    let mut by_user: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for g in groups.iter().filter(|g| g["is_deleted"] == false) {
        let group = g["vendor_id"].as_str().unwrap().to_owned();
        let members: BTreeSet<String> = vendor_ids(g["users"].as_array().unwrap())
            .into_iter()
            .collect();
        for m in &members {
            by_user.entry(m.clone()).or_default().insert(group.clone());
        }
        let id = g["id"].as_str().unwrap();
        let sub = app
            .idp_items(conn, &format!("groups/{id}/users?limit=1000"))
            .await;
        let sub: BTreeSet<String> = vendor_ids(&sub).into_iter().collect();
        assert_eq!(
            sub, members,
            "groups/{{id}}/users and includeIdpUsers agree"
        );
        by_group.insert(group, members);
    }
    for (user, groups) in &by_user {
        let id = rid(conn, DataExportType::Users, user);
        let of = app
            .idp_items(conn, &format!("users/{id}/groups?limit=1000"))
            .await;
        let of: BTreeSet<String> = vendor_ids(&of).into_iter().collect();
        assert_eq!(&of, groups, "the groups of {user}, from the user's side");
    }
    by_group
}

async fn total(app: &TestApp, conn: &str, list: &str) -> u64 {
    let (_, page) = app.idp(conn, &format!("{list}?limit=1")).await;
    page["total"].as_u64().unwrap()
}

pub async fn deleted(app: &TestApp, conn: &str, list: &str) -> Vec<String> {
    let items = app.idp_items(conn, &format!("{list}?limit=1000")).await;
    let gone: Vec<Value> = items
        .into_iter()
        .filter(|i| i["is_deleted"] == true)
        .collect();
    vendor_ids(&gone)
}

async fn full_sync_is_exact(
    app: &TestApp,
    org: &str,
    conn: &str,
    sim: &RunningSimulator,
    vendor: SimVendor,
    ctx: &str,
) {
    let job = app.first_job(org, conn).await;
    assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
    for (export, n) in [
        ("users", USERS),
        ("groups", GROUPS),
        ("applications", APPS),
        ("policies", POLICIES),
    ] {
        assert_eq!(
            export_of(&job, export)["records_upserted"],
            n,
            "{ctx} {export}: {job}"
        );
        assert_eq!(
            export_of(&job, export)["records_quarantined"],
            0,
            "{ctx} {export}: {job}"
        );
        assert_eq!(total(app, conn, export).await, n, "{ctx} {export}");
    }
    // Okta's deactivated users are listed too (they exist; not deletions).
    assert!(deleted(app, conn, "users").await.is_empty(), "{ctx}");
    let served = memberships_both_ways(app, conn).await;
    let truth = vendor_members(sim, vendor).await;
    assert_eq!(served, truth, "{ctx}: members as the vendor lists them");
    let edges: usize = served.values().map(BTreeSet::len).sum();
    assert!(edges > 0, "{ctx}");
    // What policies apply to, from the policy's side.
    let mut targeted = 0;
    for p in app.idp_items(conn, "policies?limit=100").await {
        let id = p["id"].as_str().unwrap();
        targeted += app
            .idp_items(conn, &format!("policies/{id}/groups"))
            .await
            .len();
    }
    assert!(targeted > 0, "{ctx}: policies target groups");
}

fn export_of<'a>(job: &'a Value, kind: &str) -> &'a Value {
    export(job, kind)
}

/// The vendor changes: users join, change and leave, a group changes and one is deleted,
/// members join and leave.
fn change_the_directory(sim: &RunningSimulator) -> AdvanceReport {
    let change = |new, updated, deleted| Change {
        new,
        updated,
        deleted,
    };
    let changes = BTreeMap::from([
        ("users".to_owned(), change(2, 3, 1)),
        ("groups".to_owned(), change(0, 1, 1)),
        ("memberships".to_owned(), change(4, 0, 2)),
    ]);
    sim.control().advance_collections(&changes).unwrap()
}

/// Users new or changed (and not deleted) in `report`.
fn changed_users(report: &AdvanceReport) -> BTreeSet<String> {
    let users = &report.collections["users"];
    users
        .new_ids
        .iter()
        .chain(&users.updated_ids)
        .filter(|id| !users.deleted_ids.contains(id))
        .cloned()
        .collect()
}

#[tokio::test]
async fn identity_vendors_sync_fully_then_incrementally_with_deletions() {
    for db in backends("idp_vendors_sync") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("idp").await;
        for (vendor, name) in IDP_VENDORS {
            let sim = idp_sim(vendor).await;
            let ctx = format!("{name} on {:?}", app.backend());
            let conn = app.connect(&org, name, sim.credentials()).await;
            full_sync_is_exact(&app, &org, &conn, &sim, vendor, &ctx).await;
            // Okta: a second connection whose every sync is a complete listing (the
            // reconciliation period at 0 hours), beside the default daily one.
            let reconciling = match vendor {
                SimVendor::OktaIdp => {
                    let c = app
                        .create_connection(&org, json!({"vendor": name, "credentials": sim.credentials(),
                            "identifier": "okta-reconciling", "options": {"reconcile_every_hours": 0}}))
                        .await;
                    let c = c["id"].as_str().unwrap().to_owned();
                    full_sync_is_exact(&app, &org, &c, &sim, vendor, &ctx).await;
                    Some(c)
                }
                _ => None,
            };

            // Nothing changed: nothing is written again.
            let again = app.run_job(&org, &conn).await;
            for export in ["users", "groups", "applications", "policies"] {
                assert_eq!(
                    export_of(&again, export)["records_upserted"],
                    0,
                    "{ctx} {export}: {again}"
                );
            }

            sim.control().clear_requests();
            let report = change_the_directory(&sim);
            let changed = changed_users(&report);
            let gone_user = report.collections["users"].deleted_ids.clone();
            let gone_group = report.collections["groups"].deleted_ids.clone();
            let inc = app.run_job(&org, &conn).await;
            assert_eq!(inc["health"], "HEALTHY", "{ctx}: {inc}");
            let upserted = export_of(&inc, "users")["records_upserted"]
                .as_u64()
                .unwrap();
            assert_eq!(
                total(&app, &conn, "users").await,
                USERS + 2,
                "{ctx}: deleted users stay listed"
            );
            match vendor {
                SimVendor::OktaIdp => {
                    // An increment: only what changed, by lastUpdated; Okta keeps no
                    // tombstones, so the daily connection does not see the deletion yet.
                    assert_eq!(upserted, changed.len() as u64, "{ctx}: {inc}");
                    assert!(deleted(&app, &conn, "users").await.is_empty(), "{ctx}");
                    let searched = sim.control().requests().iter().any(|r| {
                        r.path == "/api/v1/users"
                            && r.param("search").is_some_and(|s| {
                                s.starts_with("lastUpdated ge") && !s.contains("1970")
                            })
                    });
                    assert!(searched, "{ctx}: users pulled with a lastUpdated search");

                    let c = reconciling.as_deref().unwrap();
                    let job = app.run_job(&org, c).await;
                    assert_eq!(job["health"], "HEALTHY", "{ctx}: {job}");
                    assert_eq!(
                        export_of(&job, "users")["records_upserted"],
                        changed.len() as u64,
                        "{ctx}: {job}"
                    );
                    assert_eq!(
                        deleted(&app, c, "users").await,
                        gone_user,
                        "{ctx}: reconciled"
                    );
                    assert_eq!(
                        deleted(&app, c, "groups").await,
                        gone_group,
                        "{ctx}: reconciled"
                    );
                    assert_eq!(
                        memberships_both_ways(&app, c).await,
                        vendor_members(&sim, vendor).await,
                        "{ctx}"
                    );
                }
                _ => {
                    // Graph reports the deletion (`@removed`) in the delta round; users
                    // whose selected properties did not change are rewritten as they were.
                    assert!(
                        upserted > changed.len() as u64 - 3 && upserted <= changed.len() as u64 + 1,
                        "{ctx}: {upserted} {inc}"
                    );
                    assert_eq!(
                        deleted(&app, &conn, "users").await,
                        gone_user,
                        "{ctx}: @removed"
                    );
                    assert_eq!(
                        deleted(&app, &conn, "groups").await,
                        gone_group,
                        "{ctx}: @removed"
                    );
                    assert_eq!(
                        memberships_both_ways(&app, &conn).await,
                        vendor_members(&sim, vendor).await,
                        "{ctx}: members@delta"
                    );
                    let delta = sim.control().requests().iter().any(|r| {
                        r.path.starts_with("/v1.0/users/delta") && r.param("$deltatoken").is_some()
                    });
                    assert!(delta, "{ctx}: the stored deltaLink was followed");
                }
            }
            let items = app.idp_items(&conn, "users?limit=1000").await;
            for u in &changed {
                let live = items
                    .iter()
                    .any(|i| &i["vendor_id"] == u && i["is_deleted"] == false);
                assert!(live, "{ctx}: {u}");
            }
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_failed_okta_listing_marks_nothing_deleted() {
    for db in backends("idp_vendors_failed_listing") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("idp").await;
        let sim = idp_sim(SimVendor::OktaIdp).await;
        let ctx = format!("{:?}", app.backend());
        // A credential that stops working after its first request of the next sync: the
        // users listing (two pages) fails on its second page.
        let creds = sim.control().add_credential("flaky", &[]).unwrap();
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "OKTA_IDP", "credentials": creds,
                "options": {"reconcile_every_hours": 0}}),
            )
            .await;
        let conn = conn["id"].as_str().unwrap().to_owned();
        let first = app.first_job(&org, &conn).await;
        assert_eq!(first["health"], "HEALTHY", "{ctx}: {first}");
        let report = change_the_directory(&sim);
        let gone = report.collections["users"].deleted_ids.clone();
        sim.control().revoke_after_requests("flaky", 1).unwrap();
        let failed = app.run_job(&org, &conn).await;
        assert_eq!(failed["health"], "UNAUTHORIZED", "{ctx}: {failed}");
        assert!(
            deleted(&app, &conn, "users").await.is_empty(),
            "{ctx}: a failed listing marks nothing"
        );
        assert!(deleted(&app, &conn, "groups").await.is_empty(), "{ctx}");

        sim.control().restore("flaky").unwrap();
        sim.control().clear_faults(Some("flaky"), None);
        let healed = app.run_job(&org, &conn).await;
        assert_eq!(healed["health"], "HEALTHY", "{ctx}: {healed}");
        assert_eq!(deleted(&app, &conn, "users").await, gone, "{ctx}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn okta_waits_for_its_rate_limit_window_instead_of_drawing_429s() {
    for db in backends("idp_vendors_okta_pacing") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("idp").await;
        let sim = idp_sim(SimVendor::OktaIdp).await;
        // One users request a second: the headers announce it (Remaining 0 after each
        // page, Reset a second on), and the two pages of users must wait, not fail.
        let creds = sim
            .control()
            .add_credential("tight", &["users:quota=1/1s"])
            .unwrap();
        let conn = app.connect(&org, "OKTA_IDP", creds).await;
        let job = app.first_job(&org, &conn).await;
        let ctx = format!("{:?}: {job}", app.backend());
        assert_eq!(job["health"], "HEALTHY", "{ctx}");
        assert_eq!(export(&job, "users")["records_upserted"], USERS, "{ctx}");
        let users: Vec<_> = sim
            .control()
            .requests()
            .into_iter()
            .filter(|r| r.path == "/api/v1/users")
            .collect();
        assert!(users.len() >= 2, "{ctx}");
        assert!(
            users.iter().all(|r| r.status == Some(200)),
            "no 429 was drawn: {:?}",
            users.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn an_expired_graph_delta_link_starts_a_new_round() {
    for db in backends("idp_vendors_entra_resync") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("idp").await;
        let sim = idp_sim(SimVendor::MsEntra).await;
        let conn = app.connect(&org, "MS_ENTRA", sim.credentials()).await;
        let first = app.first_job(&org, &conn).await;
        assert_eq!(first["health"], "HEALTHY", "{first}");
        // Graph no longer keeps the stored round: 410 resyncRequired on the next users call.
        sim.control().fault("users:410x1").unwrap();
        let report = change_the_directory(&sim);
        let job = app.run_job(&org, &conn).await;
        let ctx = format!("{:?}: {job}", app.backend());
        assert_eq!(job["health"], "HEALTHY", "{ctx}");
        // The new round lists every user again; only the new and changed ones are written.
        assert_eq!(total(&app, &conn, "users").await, USERS + 2, "{ctx}");
        let upserted = export(&job, "users")["records_upserted"].as_u64().unwrap();
        assert!(upserted >= 2, "{ctx}");
        let gone = &report.collections["groups"].deleted_ids;
        assert_eq!(&deleted(&app, &conn, "groups").await, gone, "{ctx}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}
