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
/// Enough for Okta's authentication policies (every ninth) to include custom ones.
pub const POLICIES: u64 = 23;
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

/// A client of the vendor's own API, calling it as the vendor's customers would: the
/// truth Tributary's answers are checked against.
pub struct VendorClient {
    http: reqwest::Client,
    auth: String,
    base: String,
    vendor: SimVendor,
}

impl VendorClient {
    pub async fn new(sim: &RunningSimulator, vendor: SimVendor) -> VendorClient {
        let http = reqwest::Client::new();
        let creds = sim.credentials();
        let (auth, base) = match vendor {
            SimVendor::OktaIdp => (
                format!("SSWS {}", creds["api_token"].as_str().unwrap()),
                sim.base_url(),
            ),
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
                (
                    format!("Bearer {}", token["access_token"].as_str().unwrap()),
                    creds["graph_base_url"].as_str().unwrap().to_owned(),
                )
            }
        };
        VendorClient {
            http,
            auth,
            base,
            vendor,
        }
    }

    /// Every item of a list (`path` on the vendor's base URL), following its paging: Okta's
    /// `Link: <…>; rel="next"`, Graph's `@odata.nextLink`.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(format!("{}{path}", self.base));
        while let Some(url) = next.take() {
            let resp = self
                .http
                .get(&url)
                .header("Authorization", &self.auth)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{url}: {}", resp.status());
            let link = resp
                .headers()
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|l| l.contains("rel=\"next\""))
                .map(|l| {
                    l.trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_owned()
                });
            let body: Value = resp.json().await.unwrap();
            match self.vendor {
                SimVendor::OktaIdp => {
                    out.extend(body.as_array().unwrap().iter().cloned());
                    next = link;
                }
                _ => {
                    out.extend(body["value"].as_array().unwrap().iter().cloned());
                    next = body["@odata.nextLink"].as_str().map(str::to_owned);
                }
            }
        }
        out
    }
}

/// The vendor's own answer: each live group's members, by vendor ids.
async fn vendor_members(
    sim: &RunningSimulator,
    vendor: SimVendor,
) -> BTreeMap<String, BTreeSet<String>> {
    let api = VendorClient::new(sim, vendor).await;
    let mut out = BTreeMap::new();
    let (groups, members) = match vendor {
        SimVendor::OktaIdp => (
            "/api/v1/groups?limit=1000",
            "/api/v1/groups/{id}/users?limit=1000",
        ),
        _ => (
            "/v1.0/groups?$top=999",
            "/v1.0/groups/{id}/members?$top=999",
        ),
    };
    for g in api.all(groups).await {
        let id = g["id"].as_str().unwrap();
        let users = api.all(&members.replace("{id}", id)).await;
        out.insert(id.to_owned(), ids(&json!(users)));
    }
    out
}

/// Who an application is assigned to: users directly, and groups.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Assigned {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
}

/// The vendor's own answer: each application's assignments, keyed as Tributary keys the
/// application (Okta's app id; Entra's `appId`, on its service principal).
async fn vendor_assignments(
    sim: &RunningSimulator,
    vendor: SimVendor,
) -> BTreeMap<String, Assigned> {
    let api = VendorClient::new(sim, vendor).await;
    let mut out = BTreeMap::new();
    match vendor {
        SimVendor::OktaIdp => {
            for a in api.all("/api/v1/apps?limit=200").await {
                let id = a["id"].as_str().unwrap();
                let users = api.all(&format!("/api/v1/apps/{id}/users?limit=500")).await;
                let groups = api
                    .all(&format!("/api/v1/apps/{id}/groups?limit=200"))
                    .await;
                let direct: Vec<Value> =
                    users.into_iter().filter(|u| u["scope"] == "USER").collect();
                let assigned = Assigned {
                    users: ids(&json!(direct)),
                    groups: ids(&json!(groups)),
                };
                out.insert(id.to_owned(), assigned);
            }
        }
        _ => {
            for sp in api.all("/v1.0/servicePrincipals?$top=999").await {
                let id = sp["id"].as_str().unwrap();
                let mut assigned = Assigned::default();
                let to = api
                    .all(&format!("/v1.0/servicePrincipals/{id}/appRoleAssignedTo"))
                    .await;
                for a in to {
                    let who = a["principalId"].as_str().unwrap().to_owned();
                    match a["principalType"].as_str().unwrap() {
                        "User" => assigned.users.insert(who),
                        _ => assigned.groups.insert(who),
                    };
                }
                out.insert(sp["appId"].as_str().unwrap().to_owned(), assigned);
            }
        }
    }
    out
}

/// The vendor's own answer: the applications each policy targets, by Tributary's
/// application keys (Okta: the apps mapped to an authentication policy; Entra: a
/// conditional-access policy's `includeApplications` without keywords).
async fn vendor_policy_apps(
    sim: &RunningSimulator,
    vendor: SimVendor,
) -> BTreeMap<String, BTreeSet<String>> {
    let api = VendorClient::new(sim, vendor).await;
    let mut out = BTreeMap::new();
    match vendor {
        SimVendor::OktaIdp => {
            for t in [
                "OKTA_SIGN_ON",
                "PASSWORD",
                "MFA_ENROLL",
                "IDP_DISCOVERY",
                "ACCESS_POLICY",
                "PROFILE_ENROLLMENT",
                "POST_AUTH_SESSION",
                "ENTITY_RISK",
                "DEVICE_SIGNAL_COLLECTION",
            ] {
                for p in api.all(&format!("/api/v1/policies?type={t}")).await {
                    let id = p["id"].as_str().unwrap();
                    let apps = api.all(&format!("/api/v1/policies/{id}/app")).await;
                    out.insert(id.to_owned(), ids(&json!(apps)));
                }
            }
        }
        _ => {
            for p in api.all("/v1.0/identity/conditionalAccess/policies").await {
                let apps = p["conditions"]["applications"]["includeApplications"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .filter(|a| a != "All")
                    .collect();
                out.insert(p["id"].as_str().unwrap().to_owned(), apps);
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

/// Assignments as Tributary serves them from the application side (includes), checked
/// against the sub-resources and against the group side (`includeIdpApplications`),
/// returned by application.
async fn assignments_both_ways(app: &TestApp, conn: &str) -> BTreeMap<String, Assigned> {
    let apps = app
        .idp_items(
            conn,
            "applications?limit=1000&includeIdpUsers=true&includeIdpGroups=true",
        )
        .await;
    let mut out = BTreeMap::new();
    let mut by_group: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in apps.iter().filter(|a| a["is_deleted"] == false) {
        let key = a["vendor_id"].as_str().unwrap().to_owned();
        let set = |v: &Value| -> BTreeSet<String> {
            vendor_ids(v.as_array().unwrap()).into_iter().collect()
        };
        let assigned = Assigned {
            users: set(&a["users"]),
            groups: set(&a["groups"]),
        };
        let id = a["id"].as_str().unwrap();
        for (what, listed) in [("users", &assigned.users), ("groups", &assigned.groups)] {
            let sub = app
                .idp_items(conn, &format!("applications/{id}/{what}?limit=1000"))
                .await;
            let sub: BTreeSet<String> = vendor_ids(&sub).into_iter().collect();
            assert_eq!(
                &sub, listed,
                "applications/{{id}}/{what} and the include agree"
            );
        }
        for g in &assigned.groups {
            by_group.entry(g.clone()).or_default().insert(key.clone());
        }
        out.insert(key, assigned);
    }
    let groups = app
        .idp_items(conn, "groups?limit=1000&includeIdpApplications=true")
        .await;
    for g in groups.iter().filter(|g| g["is_deleted"] == false) {
        let served: BTreeSet<String> = vendor_ids(g["applications"].as_array().unwrap())
            .into_iter()
            .collect();
        let expected = by_group
            .remove(g["vendor_id"].as_str().unwrap())
            .unwrap_or_default();
        assert_eq!(
            served, expected,
            "the applications of group {}",
            g["vendor_id"]
        );
    }
    out
}

/// The applications each policy targets, from `/policies/{policy_id}/applications`.
async fn policy_apps(app: &TestApp, conn: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for p in app.idp_items(conn, "policies?limit=1000").await {
        let id = p["id"].as_str().unwrap();
        let apps = app
            .idp_items(conn, &format!("policies/{id}/applications?limit=1000"))
            .await;
        out.insert(
            p["vendor_id"].as_str().unwrap().to_owned(),
            vendor_ids(&apps).into_iter().collect(),
        );
    }
    out
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
    // Application assignments, both ways, as the vendor lists them.
    let assigned = assignments_both_ways(app, conn).await;
    assert_eq!(
        assigned,
        vendor_assignments(sim, vendor).await,
        "{ctx}: assignments"
    );
    assert_eq!(assigned.len() as u64, APPS, "{ctx}");
    assert!(
        assigned.values().any(|a| !a.users.is_empty())
            && assigned.values().any(|a| !a.groups.is_empty()),
        "{ctx}: apps have users and groups assigned: {assigned:?}"
    );
    // What policies target among applications, as the vendor lists it.
    let targets = policy_apps(app, conn).await;
    assert_eq!(
        targets,
        vendor_policy_apps(sim, vendor).await,
        "{ctx}: policy apps"
    );
    let named = targets.values().filter(|a| !a.is_empty()).count();
    assert!(
        named >= 2,
        "{ctx}: policies target applications: {targets:?}"
    );
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

/// Graph's users and groups as the sync selects them, and each group's members: what a
/// delta round can report as changed.
struct GraphState {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    members: BTreeMap<String, BTreeSet<String>>,
}

impl GraphState {
    async fn read(sim: &RunningSimulator) -> GraphState {
        use tributary_connectors::vendors::ms_entra::endpoints::{GROUP_SELECT, USER_SELECT};
        let api = VendorClient::new(sim, SimVendor::MsEntra).await;
        let by_id = |items: Vec<Value>| -> BTreeMap<String, Value> {
            items
                .into_iter()
                .map(|v| (v["id"].as_str().unwrap().to_owned(), v))
                .collect()
        };
        let groups = GROUP_SELECT.trim_end_matches(",members");
        GraphState {
            users: by_id(
                api.all(&format!("/v1.0/users?$top=999&$select={USER_SELECT}"))
                    .await,
            ),
            groups: by_id(
                api.all(&format!("/v1.0/groups?$top=999&$select={groups}"))
                    .await,
            ),
            members: vendor_members(sim, SimVendor::MsEntra).await,
        }
    }

    /// Users new, or changed in a selected property, since `before`.
    fn changed_users(&self, before: &GraphState) -> usize {
        let changed = |(id, v): &(&String, &Value)| before.users.get(*id) != Some(*v);
        self.users.iter().filter(changed).count()
    }

    /// Groups new, changed in a selected property, or whose members changed since
    /// `before` (other than by losing users deleted meanwhile: those memberships end with
    /// the user's deletion, in the users export).
    fn changed_groups(&self, before: &GraphState, gone_users: &[String]) -> usize {
        self.groups
            .iter()
            .filter(|(id, v)| {
                let was: BTreeSet<String> = before
                    .members
                    .get(*id)
                    .into_iter()
                    .flatten()
                    .filter(|u| !gone_users.contains(u))
                    .cloned()
                    .collect();
                before.groups.get(*id) != Some(*v) || self.members.get(*id) != Some(&was)
            })
            .count()
    }
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

            let before = match vendor {
                SimVendor::MsEntra => Some(GraphState::read(&sim).await),
                _ => None,
            };
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
                    // Graph reports the deletion (`@removed`) in the delta round. Exactly
                    // the users and groups whose selected properties or members changed
                    // are written (a user whose change Graph's selection does not show,
                    // e.g. an Okta-style lockout, is rewritten as it was and counts
                    // nothing), and each deletion once.
                    let before = before.unwrap();
                    let after = GraphState::read(&sim).await;
                    let visible = after.changed_users(&before);
                    assert!(visible > 0 && visible <= changed.len(), "{ctx}: {visible}");
                    assert_eq!(upserted, (visible + gone_user.len()) as u64, "{ctx}: {inc}");
                    let groups = after.changed_groups(&before, &gone_user);
                    assert!(groups > 0, "{ctx}");
                    assert_eq!(
                        export_of(&inc, "groups")["records_upserted"],
                        (groups + gone_group.len()) as u64,
                        "{ctx}: {inc}"
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
        let before = GraphState::read(&sim).await;
        sim.control().fault("users:410x1").unwrap();
        let report = change_the_directory(&sim);
        let job = app.run_job(&org, &conn).await;
        let ctx = format!("{:?}: {job}", app.backend());
        assert_eq!(job["health"], "HEALTHY", "{ctx}");
        // The new round lists every user again; only the new and changed ones are written,
        // and the deleted one, not listed by a complete round, is reconciled.
        assert_eq!(total(&app, &conn, "users").await, USERS + 2, "{ctx}");
        let visible = GraphState::read(&sim).await.changed_users(&before);
        assert!(visible >= 2, "{ctx}");
        assert_eq!(
            export(&job, "users")["records_upserted"],
            visible as u64,
            "{ctx}"
        );
        assert_eq!(
            deleted(&app, &conn, "users").await,
            report.collections["users"].deleted_ids,
            "{ctx}"
        );
        let gone = &report.collections["groups"].deleted_ids;
        assert_eq!(&deleted(&app, &conn, "groups").await, gone, "{ctx}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}
