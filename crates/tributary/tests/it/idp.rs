//! An identity provider end to end: Acme Directory (`fictional_idp/`, which exists only in
//! the tests) joins the registry with one line and syncs users, groups with members,
//! applications with assignments and policies with targets; every documented field,
//! include and sub-resource is checked; then the directory changes and deletes records: a
//! tombstone and a complete listing mark them deleted, a failed listing marks nothing. On
//! SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_connectors::Registry;
use tributary_model::{ids::record_id, DataExportType};
use uuid::Uuid;

use crate::{
    fictional_idp::{
        self,
        simulator::{Data, Directory},
    },
    support::*,
};

pub fn registry() -> Registry {
    // The one registry line.
    Registry::builtin().with(&fictional_idp::SPEC)
}

impl TestApp {
    /// `GET /v1/idp/{path}` for one connection.
    pub async fn idp(&self, conn: &str, path: &str) -> (StatusCode, Value) {
        self.get_data(&self.key, conn, &format!("/v1/idp/{path}"))
            .await
    }

    /// The items of a successful `GET /v1/idp/{path}`.
    pub async fn idp_items(&self, conn: &str, path: &str) -> Vec<Value> {
        let (s, page) = self.idp(conn, path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {page}");
        page["items"].as_array().unwrap().clone()
    }
}

/// The record id Tributary gives `vendor_id` of `export` on `conn`.
pub fn rid(conn: &str, export: DataExportType, vendor_id: &str) -> String {
    record_id(conn.parse::<Uuid>().unwrap(), export, vendor_id).to_string()
}

/// The vendor ids of `items` (or of references), sorted.
pub fn vendor_ids(items: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|i| i["vendor_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn item<'a>(items: &'a [Value], vendor_id: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["vendor_id"] == vendor_id)
        .unwrap_or_else(|| panic!("{vendor_id} in {items:?}"))
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

/// The same instant, whatever the precision each side writes.
fn same_time(ours: &Value, theirs: &Value) -> bool {
    let t = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
    };
    t(ours).is_some() && t(ours) == t(theirs)
}

/// The fields of each item, documented and additive (no membership list without an
/// include).
const USER_FIELDS: [&str; 20] = [
    "department",
    "display_name",
    "email",
    "first_name",
    "id",
    "is_admin",
    "is_deleted",
    "last_login_at",
    "last_name",
    "last_updated_at",
    "manager",
    "mfa_enrolled",
    "status",
    "title",
    "updated_at",
    "username",
    "vendor_created_at",
    "vendor_data",
    "vendor_id",
    "vendor_status",
];
const GROUP_FIELDS: [&str; 11] = [
    "description",
    "id",
    "is_deleted",
    "last_membership_updated_at",
    "last_updated_at",
    "name",
    "types",
    "updated_at",
    "vendor_created_at",
    "vendor_data",
    "vendor_id",
];
const APPLICATION_FIELDS: [&str; 12] = [
    "id",
    "is_deleted",
    "labels",
    "last_updated_at",
    "name",
    "status",
    "updated_at",
    "vendor_created_at",
    "vendor_data",
    "vendor_id",
    "vendor_status",
    "version",
];
const POLICY_FIELDS: [&str; 14] = [
    "description",
    "id",
    "is_deleted",
    "last_updated_at",
    "name",
    "priority",
    "status",
    "type",
    "updated_at",
    "vendor_created_at",
    "vendor_data",
    "vendor_id",
    "vendor_status",
    "vendor_type",
];

async fn users_are_as_documented(app: &TestApp, conn: &str, sim: &Directory) {
    let users = app.idp_items(conn, "users?limit=100").await;
    assert_eq!(users.len(), 10);
    let u1 = item(&users, "u1");
    let raw = sim.record("users", "u1");
    assert_eq!(keys(u1), USER_FIELDS);
    assert_eq!(u1["id"], rid(conn, DataExportType::Users, "u1"));
    assert_eq!(
        (&u1["username"], &u1["email"]),
        (&raw["login"], &raw["email"])
    );
    assert_eq!(
        (&u1["first_name"], &u1["last_name"]),
        (&raw["first"], &raw["last"])
    );
    assert_eq!(u1["display_name"], "First1 Last1");
    assert_eq!(
        (&u1["status"], &u1["vendor_status"]),
        (&json!("LOCKED"), &json!("locked"))
    );
    assert_eq!(
        (&u1["title"], &u1["department"]),
        (&json!("Engineer"), &json!("Sales"))
    );
    assert_eq!(u1["manager"], "user0@acme.test");
    assert_eq!(
        (&u1["is_admin"], &u1["mfa_enrolled"]),
        (&json!(false), &json!(true))
    );
    assert!(same_time(&u1["vendor_created_at"], &raw["created"]), "{u1}");
    assert!(same_time(&u1["last_updated_at"], &raw["updated"]), "{u1}");
    assert_eq!(u1["last_login_at"], Value::Null, "u1 never signed in");
    assert_eq!(u1["is_deleted"], false);
    assert_eq!(u1["vendor_data"], json!({"employee_number": "E1"}));
    assert!(u1["updated_at"].is_string());
    let statuses: Vec<&Value> = ["u0", "u2", "u3"]
        .iter()
        .map(|u| &item(&users, u)["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!("ACTIVE"), &json!("PENDING"), &json!("DEPROVISIONED")]
    );
}

async fn groups_are_as_documented(app: &TestApp, conn: &str, sim: &Directory) {
    let groups = app.idp_items(conn, "groups").await;
    let g1 = item(&groups, "g1");
    let raw = sim.record("groups", "g1");
    assert_eq!(keys(g1), GROUP_FIELDS);
    assert_eq!(g1["id"], rid(conn, DataExportType::Groups, "g1"));
    assert_eq!(
        (&g1["name"], &g1["description"]),
        (&raw["name"], &raw["description"])
    );
    assert_eq!(g1["types"], json!(["APPLICATION"]));
    assert!(same_time(
        &g1["last_membership_updated_at"],
        &raw["membership_updated"]
    ));
    assert!(same_time(&g1["vendor_created_at"], &raw["created"]));
    assert_eq!(item(&groups, "g2")["types"], json!(["BUILT_IN"]));
}

async fn applications_and_policies_are_as_documented(app: &TestApp, conn: &str) {
    let apps = app.idp_items(conn, "applications").await;
    let a1 = item(&apps, "a1");
    assert_eq!(keys(a1), APPLICATION_FIELDS);
    assert_eq!(
        (&a1["name"], &a1["labels"]),
        (&json!("App 1"), &json!(["app_1"]))
    );
    assert_eq!(
        (&a1["version"], &a1["vendor_status"]),
        (&json!("1.1"), &json!("off"))
    );
    assert_eq!(
        (&a1["status"], &a1["is_deleted"]),
        (&json!("INACTIVE"), &json!(false))
    );
    assert_eq!(a1["vendor_data"], json!({"sign_on": "SAML_2_0"}));

    let policies = app.idp_items(conn, "policies").await;
    let p1 = item(&policies, "p1");
    assert_eq!(keys(p1), POLICY_FIELDS);
    assert_eq!(
        (&p1["type"], &p1["vendor_type"]),
        (&json!("PASSWORD"), &json!("password"))
    );
    assert_eq!(
        (&p1["status"], &p1["priority"]),
        (&json!("ACTIVE"), &json!(2))
    );
    assert_eq!(p1["name"], "Policy 1");
}

/// Includes and sub-resources read the same memberships, from both sides.
async fn memberships_read_both_ways(app: &TestApp, conn: &str) {
    let groups = app
        .idp_items(
            conn,
            "groups?includeIdpUsers=true&includeIdpApplications=true",
        )
        .await;
    let g0 = item(&groups, "g0");
    assert_eq!(vendor_ids(g0["users"].as_array().unwrap()), ["u0", "u5"]);
    assert_eq!(
        g0["users"][0],
        json!({"id": rid(conn, DataExportType::Users, "u0"), "vendor_id": "u0",
               "username": "user0@acme.test", "email": "user0@acme.test"})
    );
    assert_eq!(
        vendor_ids(g0["applications"].as_array().unwrap()),
        ["a0", "a4"]
    );
    assert_eq!(
        g0["applications"][0],
        json!({"id": rid(conn, DataExportType::Applications, "a0"), "vendor_id": "a0", "name": "App 0"})
    );
    for g in &groups {
        let id = g["id"].as_str().unwrap();
        let members = app.idp_items(conn, &format!("groups/{id}/users")).await;
        assert_eq!(
            vendor_ids(&members),
            vendor_ids(g["users"].as_array().unwrap()),
            "{g}"
        );
    }
    let u0 = rid(conn, DataExportType::Users, "u0");
    let of_u0 = app
        .idp_items(conn, &format!("users/{u0}/groups?includeIdpUsers=true"))
        .await;
    assert_eq!(vendor_ids(&of_u0), ["g0", "g1", "g2", "g3", "g4"]);
    assert!(
        of_u0.iter().all(|g| g["users"].is_array()),
        "group includes apply"
    );

    let apps = app
        .idp_items(
            conn,
            "applications?includeIdpUsers=true&includeIdpGroups=true",
        )
        .await;
    let a1 = item(&apps, "a1");
    assert_eq!(vendor_ids(a1["users"].as_array().unwrap()), ["u2"]);
    assert_eq!(vendor_ids(a1["groups"].as_array().unwrap()), ["g1", "g2"]);
    let a1 = rid(conn, DataExportType::Applications, "a1");
    assert_eq!(
        vendor_ids(
            &app.idp_items(conn, &format!("applications/{a1}/users"))
                .await
        ),
        ["u2"]
    );
    let a1_groups = app
        .idp_items(conn, &format!("applications/{a1}/groups"))
        .await;
    assert_eq!(vendor_ids(&a1_groups), ["g1", "g2"]);

    let p0 = rid(conn, DataExportType::Policies, "p0");
    let targets = |what: &'static str| format!("policies/{p0}/{what}");
    assert_eq!(
        vendor_ids(&app.idp_items(conn, &targets("groups")).await),
        ["g0"]
    );
    assert_eq!(
        vendor_ids(&app.idp_items(conn, &targets("applications")).await),
        ["a0"]
    );
    assert_eq!(
        vendor_ids(&app.idp_items(conn, &targets("users")).await),
        ["u1"]
    );
}

/// The directory changes: a user is deleted (a tombstone in the incremental user feed),
/// a group is renamed and its members change, a group and an app disappear; the groups
/// listing fails part-way on the first attempt.
fn change_the_directory(sim: &Directory) {
    sim.edit(|d| {
        let t = d.tick();
        let u9 = Data::find(&mut d.users, "u9");
        u9["removed"] = json!(true);
        u9["updated"] = json!(t);
        // A deleted user is nobody's member any more.
        for g in &mut d.groups {
            let members = g["members"].as_array_mut().unwrap();
            members.retain(|m| m != "u9");
        }
        let t = d.tick();
        Data::find(&mut d.users, "u1")["title"] = json!("Lead");
        Data::find(&mut d.users, "u1")["updated"] = json!(t);
        let t = d.tick();
        let g1 = Data::find(&mut d.groups, "g1");
        g1["name"] = json!("Group one");
        g1["members"] = json!(["u0", "u1", "u2"]);
        g1["updated"] = json!(t);
        g1["membership_updated"] = json!(t);
        d.groups.retain(|g| g["id"] != "g2");
        d.apps.retain(|a| a["id"] != "a2");
        // Groups now sort g0, g3, g4, g1: the second page fails.
        d.fail = Some(("/api/groups", 3));
    });
}

async fn deleted(app: &TestApp, conn: &str, list: &str) -> Vec<String> {
    let items = app.idp_items(conn, &format!("{list}?limit=100")).await;
    let gone: Vec<Value> = items
        .into_iter()
        .filter(|i| i["is_deleted"] == true)
        .collect();
    vendor_ids(&gone)
}

/// A tombstone and a complete listing mark records deleted; a failed listing marks
/// nothing until a later complete one.
async fn deletions_follow_the_directory(app: &TestApp, org: &str, conn: &str, sim: &Directory) {
    change_the_directory(sim);
    let failed = app.run_job(org, conn).await;
    assert_eq!(failed["health"], "VENDOR_SERVER_ERROR", "{failed}");
    let health = &app.connection(org, conn).await["health"];
    assert_eq!(health["details"][0]["endpoint"], "/api/groups", "{health}");
    assert_eq!(deleted(app, conn, "users").await, ["u9"], "the tombstone");
    assert_eq!(
        deleted(app, conn, "groups").await,
        Vec::<String>::new(),
        "a failed listing marks nothing"
    );
    assert_eq!(
        deleted(app, conn, "applications").await,
        ["a2"],
        "a complete listing without a2"
    );
    let u1 = item(&app.idp_items(conn, "users?limit=100").await, "u1").clone();
    assert_eq!(u1["title"], "Lead");
    // u9 left every group it was in; a2's assignments ended.
    let g4 = rid(conn, DataExportType::Groups, "g4");
    assert_eq!(
        vendor_ids(&app.idp_items(conn, &format!("groups/{g4}/users")).await),
        ["u0", "u4"]
    );
    let a2 = rid(conn, DataExportType::Applications, "a2");
    assert!(app
        .idp_items(conn, &format!("applications/{a2}/groups"))
        .await
        .is_empty());

    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    sim.edit(|d| d.fail = None);
    let healed = app.run_job(org, conn).await;
    assert_eq!(healed["health"], "HEALTHY", "{healed}");
    assert_eq!(deleted(app, conn, "groups").await, ["g2"]);
    let since = format!("groups?includeIdpUsers=true&updatedSince={before}");
    let changed = app.idp_items(conn, &since).await;
    assert_eq!(
        vendor_ids(&changed),
        ["g1", "g2"],
        "the renamed group and the deleted one"
    );
    let g1 = item(&changed, "g1");
    assert_eq!(g1["name"], "Group one");
    assert_eq!(
        vendor_ids(g1["users"].as_array().unwrap()),
        ["u0", "u1", "u2"]
    );
    assert_eq!(
        item(&changed, "g2")["users"],
        json!([]),
        "a deleted group lists nobody"
    );
}

#[tokio::test]
async fn an_identity_provider_syncs_memberships_and_deletions_end_to_end() {
    for db in backends("idp_end_to_end") {
        let sim = Directory::start(10, 5, 5, 2).await;
        let app = TestApp::spawn_with_registry(db, registry()).await;
        let org = app.create_org("acme").await;
        let (_, catalogue) = app.get("/v1/connectors").await;
        let acme = catalogue
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["vendor"] == "ACME_DIRECTORY");
        let acme = acme.expect("listed");
        assert_eq!(acme["category"], "IDP");
        let exports: Vec<&Value> = acme["data_exports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["data_export_type"])
            .collect();
        assert_eq!(
            exports,
            [
                &json!("users"),
                &json!("groups"),
                &json!("applications"),
                &json!("policies")
            ]
        );

        let conn = app.connect(&org, "ACME_DIRECTORY", sim.credentials()).await;
        let job = app.first_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");
        for (export, n) in [
            ("users", 10),
            ("groups", 5),
            ("applications", 5),
            ("policies", 2),
        ] {
            assert_eq!(
                crate::sync::export(&job, export)["records_upserted"],
                n,
                "{export}: {job}"
            );
        }
        users_are_as_documented(&app, &conn, &sim).await;
        groups_are_as_documented(&app, &conn, &sim).await;
        applications_and_policies_are_as_documented(&app, &conn).await;
        memberships_read_both_ways(&app, &conn).await;

        deletions_follow_the_directory(&app, &org, &conn, &sim).await;
        app.stop().await;
    }
}
