//! The `/v1/idp/*` parameters and errors as documented, on an Acme Directory connection
//! (`fictional_idp/`): offsets and totals, signed cursors both ways, `updatedSince`, every
//! 422 with its `loc`, 404s for records and connections that are not the caller's. On
//! SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_model::DataExportType;
use uuid::Uuid;

use crate::{
    fictional_idp::simulator::Directory,
    idp::{registry, rid, vendor_ids},
    support::*,
};

/// The `loc`s of a 422.
async fn invalid(app: &TestApp, conn: &str, path: &str) -> Vec<Value> {
    let (s, body) = app.idp(conn, path).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
    body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].clone())
        .collect()
}

async fn pages_and_totals(app: &TestApp, conn: &str) {
    let (_, page) = app.idp(conn, "users?limit=4&offset=8").await;
    assert_eq!(
        (&page["count"], &page["total"]),
        (&json!(2), &json!(10)),
        "{page}"
    );
    assert!(
        page.get("next_cursor").is_none(),
        "offset pages carry no cursors"
    );
    for flag in ["excludeTotal", "skipTotal"] {
        let (_, page) = app.idp(conn, &format!("groups?{flag}=true")).await;
        assert_eq!((&page["count"], &page["total"]), (&json!(5), &Value::Null));
    }
    let (_, page) = app
        .idp(conn, "users?updatedSince=2999-01-01T00:00:00Z")
        .await;
    assert_eq!((&page["count"], &page["total"]), (&json!(0), &json!(0)));
    let (_, page) = app
        .idp(conn, "users?updatedSince=2000-01-01T00:00:00%2B00:00")
        .await;
    assert_eq!(page["total"], 10);
    let g0 = rid(conn, DataExportType::Groups, "g0");
    let (_, page) = app.idp(conn, &format!("groups/{g0}/users?limit=1")).await;
    assert_eq!((&page["count"], &page["total"]), (&json!(1), &json!(2)));
}

/// Walks `users` three at a time with cursors, forward then back.
async fn cursors_walk_both_ways(app: &TestApp, conn: &str) {
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut path = "users?enableCursor=true&limit=3".to_owned();
    loop {
        let (s, page) = app.idp(conn, &path).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        pages.push(page.clone());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("users?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(pages.len(), 4);
    assert_eq!(pages[0]["previous_cursor"], Value::Null);
    assert_eq!(vendor_ids(&seen).len(), 10, "every user once");
    let back = pages[2]["previous_cursor"].as_str().unwrap();
    let (_, page) = app.idp(conn, &format!("users?limit=3&cursor={back}")).await;
    assert_eq!(
        page["items"], pages[1]["items"],
        "previous_cursor returns the page before"
    );
    // A cursor is bound to its list: another list, or updatedSince beside it, is a 422.
    let next = pages[0]["next_cursor"].as_str().unwrap();
    let locs = invalid(app, conn, &format!("groups?cursor={next}")).await;
    assert_eq!(locs, [json!(["query", "cursor"])]);
    let since = "updatedSince=2000-01-01T00:00:00Z";
    let locs = invalid(app, conn, &format!("users?cursor={next}&{since}")).await;
    assert_eq!(locs, [json!(["query", "updatedSince"])]);
    // updatedSince given on the first page travels inside the cursors.
    let (_, first) = app
        .idp(conn, &format!("users?enableCursor=true&limit=3&{since}"))
        .await;
    let c = first["next_cursor"].as_str().unwrap();
    let (s, second) = app.idp(conn, &format!("users?limit=3&cursor={c}")).await;
    assert_eq!((s, second["count"].as_u64()), (StatusCode::OK, Some(3)));
}

async fn bad_parameters_are_422_with_their_loc(app: &TestApp, conn: &str) {
    let q = |name: &str| json!(["query", name]);
    for (path, locs) in [
        ("users?limit=0", vec![q("limit")]),
        ("users?limit=1001", vec![q("limit")]),
        ("groups?offset=-1&limit=x", vec![q("limit"), q("offset")]),
        ("policies?excludeTotal=maybe", vec![q("excludeTotal")]),
        ("applications?enableCursor=perhaps", vec![q("enableCursor")]),
        ("groups?includeIdpUsers=perhaps", vec![q("includeIdpUsers")]),
        (
            "applications?includeIdpGroups=2",
            vec![q("includeIdpGroups")],
        ),
        ("users?updatedSince=yesterday", vec![q("updatedSince")]),
        ("users?cursor=eyJvZmZzZXQiOjJ9", vec![q("cursor")]),
        ("users?cursor=x&offset=3", vec![q("offset")]),
        ("groups/not-a-uuid/users", vec![json!(["path", "group_id"])]),
        ("policies/1/users", vec![json!(["path", "policy_id"])]),
    ] {
        let mut got = invalid(app, conn, path).await;
        got.sort_by_key(|l| l.to_string());
        assert_eq!(got, locs, "{path}");
    }
    let (s, body) = app
        .idp(conn, &format!("policies/{}/groups", Uuid::new_v4()))
        .await;
    assert_eq!(
        (s, &body["detail"]),
        (StatusCode::NOT_FOUND, &json!("Policy not found"))
    );
    // A user is not a group: a group's sub-resource with a user's id is a 404.
    let u0 = rid(conn, DataExportType::Users, "u0");
    let (s, _) = app.idp(conn, &format!("groups/{u0}/users")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Another account sees none of it; another connection of the same account neither.
async fn data_stays_with_its_account_and_connection(app: &TestApp, conn: &str, other_conn: &str) {
    let key = app.other_account_key().await;
    let (s, _) = app.get_data(&key, conn, "/v1/idp/users").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.idp(&Uuid::new_v4().to_string(), "groups").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let missing = app
        .client
        .get(app.url("/v1/idp/groups"))
        .header("X-API-KEY", &app.key);
    let resp = missing.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["header", "x-connection-id"])
    );
    let anonymous = app
        .client
        .get(app.url("/v1/idp/groups"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // The same group ids on another connection are other records.
    let g0 = rid(conn, DataExportType::Groups, "g0");
    let (s, _) = app.idp(other_conn, &format!("groups/{g0}/users")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.idp(other_conn, "users?limit=1").await;
    assert_eq!(page["total"], 3);
}

#[tokio::test]
async fn identity_parameters_and_errors_behave_as_documented() {
    for db in backends("idp_parameters") {
        let sim = Directory::start(10, 5, 5, 2).await;
        let small = Directory::start(3, 1, 1, 1).await;
        let app = TestApp::spawn_with_registry(db, registry()).await;
        let org = app.create_org("acme").await;
        let conn = app.connect(&org, "ACME_DIRECTORY", sim.credentials()).await;
        assert_eq!(app.first_job(&org, &conn).await["health"], "HEALTHY");
        let other = app
            .connect(&org, "ACME_DIRECTORY", small.credentials())
            .await;
        assert_eq!(app.first_job(&org, &other).await["health"], "HEALTHY");
        pages_and_totals(&app, &conn).await;
        cursors_walk_both_ways(&app, &conn).await;
        bad_parameters_are_422_with_their_loc(&app, &conn).await;
        data_stays_with_its_account_and_connection(&app, &conn, &other).await;
        app.stop().await;
    }
}
