use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const ORGS: &str = "/v1/provisioning/organizations";

#[tokio::test]
async fn api_keys_guard_every_v1_call() {
    for db in backends("api_keys_guard") {
        let app = TestApp::spawn(db).await;
        let unauthenticated = app.client.get(app.url(ORGS)).send().await.unwrap();
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
        let body: Value = unauthenticated.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("X-API-KEY"));
        let wrong = app
            .client
            .get(app.url(ORGS))
            .header("X-API-KEY", "trb_nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            wrong.json::<Value>().await.unwrap(),
            json!({"detail": "Invalid API key"})
        );
        for path in [
            "/v1/connectors",
            "/v1/provisioning/organizations/00000000-0000-0000-0000-000000000000/connections",
        ] {
            let r = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        }
        // A revoked key stops working at once.
        let store = app.app.as_ref().unwrap().store();
        let keys = store.list_api_keys(app.account).await.unwrap();
        assert_eq!(app.get(ORGS).await.0, StatusCode::OK);
        store.revoke_api_key(app.account, keys[0].id).await.unwrap();
        assert_eq!(app.get(ORGS).await.0, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn organizations_lifecycle_and_isolation() {
    for db in backends("organizations_lifecycle") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("Customer A").await;
        app.create_org("Customer B").await;
        let (s, list) = app.get(ORGS).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (list["count"].as_u64(), list["total"].as_u64()),
            (Some(2), Some(2))
        );
        let (s, got) = app.get(&format!("{ORGS}/{org}")).await;
        assert_eq!(
            (s, got["name"].as_str()),
            (StatusCode::OK, Some("Customer A"))
        );

        // Another account sees none of it.
        let store = app.app.as_ref().unwrap().store();
        let other = store.create_account("other").await.unwrap().id;
        let (_, other_key) = tributary::commands::create_key(store.as_ref(), other, "k")
            .await
            .unwrap();
        let r = app
            .client
            .get(app.url(&format!("{ORGS}/{org}")))
            .header("X-API-KEY", &other_key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r: Value = app
            .client
            .get(app.url(ORGS))
            .header("X-API-KEY", &other_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"], 0);

        let (s, deleted) = app.delete(&format!("{ORGS}/{org}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(deleted["deleted_at"].is_string());
        assert_eq!(
            app.get(&format!("{ORGS}/{org}")).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, list) = app.get(ORGS).await;
        assert_eq!(list["total"], 1);
        let (_, with_deleted) = app.get(&format!("{ORGS}?includeDeleted=true")).await;
        assert_eq!(with_deleted["total"], 2);
        app.stop().await;
    }
}

fn s1(token: &str) -> Value {
    json!({"vendor": "SENTINELONE", "credentials": s1_credentials("https://usea1-acme.sentinelone.net", token)})
}

#[tokio::test]
async fn connections_create_get_patch_delete() {
    for db in backends("connections_crud") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("Customer A").await;
        let conns = format!("{ORGS}/{org}/connections");
        let created = app.create_connection(&org, s1("tok-1")).await;
        let keys: Vec<&str> = created
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for field in [
            "id",
            "vendor",
            "is_active",
            "refresh_interval_secs",
            "timeout_secs",
            "organization_id",
            "identifier",
            "state",
            "created_at",
            "updated_at",
            "health",
        ] {
            assert!(keys.contains(&field), "missing {field} in {created}");
        }
        assert_eq!(created["vendor"], "SENTINELONE");
        assert_eq!(
            (
                created["refresh_interval_secs"].as_i64(),
                created["timeout_secs"].as_i64()
            ),
            (Some(14400), Some(1800))
        );
        assert_eq!(
            (created["state"].as_str(), created["is_active"].as_bool()),
            (Some("ACTIVE"), Some(true))
        );
        assert!(created["health"].is_null(), "no job has run yet");
        assert!(created.get("credentials").is_none());
        let id = created["id"].as_str().unwrap();

        let cs = json!({"vendor": "CROWDSTRIKE", "identifier": "ext-42", "refresh_interval_secs": 3600, "timeout_secs": 600,
                        "credentials": {"client_id": "abc", "client_secret": "def"}, "options": {"member_cid": "c1"}});
        let crowdstrike = app.create_connection(&org, cs).await;
        assert_eq!(crowdstrike["identifier"], "ext-42");
        assert_eq!(crowdstrike["options"]["member_cid"], "c1");
        let md = json!({"vendor": "MS_DEFENDER_ENDPOINT", "credentials": {"tenant_id": "t", "client_id": "c", "client_secret": "s"}});
        app.create_connection(&org, md).await;

        // PATCH without state keeps the state; with state PAUSED pauses.
        let (s, patched) = app
            .patch(
                &format!("{conns}/{id}"),
                json!({"identifier": "mine", "timeout_secs": 900}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{patched}");
        assert_eq!(
            (
                patched["identifier"].as_str(),
                patched["timeout_secs"].as_i64(),
                patched["state"].as_str()
            ),
            (Some("mine"), Some(900), Some("ACTIVE"))
        );
        let (_, paused) = app
            .patch(&format!("{conns}/{id}"), json!({"state": "PAUSED"}))
            .await;
        assert_eq!(
            (paused["state"].as_str(), paused["is_active"].as_bool()),
            (Some("PAUSED"), Some(false))
        );
        let (_, still) = app
            .patch(&format!("{conns}/{id}"), json!({"identifier": null}))
            .await;
        assert_eq!(
            (still["state"].as_str(), still["identifier"].is_null()),
            (Some("PAUSED"), true)
        );

        let (s, got) = app.get(&format!("{conns}/{id}")).await;
        assert_eq!(
            (s, got["organization_name"].as_str()),
            (StatusCode::OK, Some("Customer A"))
        );
        let (s, deleted) = app.delete(&format!("{conns}/{id}")).await;
        assert_eq!(
            (s, deleted["state"].as_str()),
            (StatusCode::OK, Some("DELETED"))
        );
        let (s, _) = app
            .patch(&format!("{conns}/{id}"), json!({"state": "ACTIVE"}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, list) = app.get(&conns).await;
        assert_eq!(
            list["total"], 2,
            "deleted connections leave the default list"
        );
        let (_, deleted_list) = app.get(&format!("{conns}?state=DELETED")).await;
        assert_eq!(deleted_list["items"][0]["id"].as_str(), Some(id));
        app.stop().await;
    }
}

#[tokio::test]
async fn connection_list_filters_and_pagination() {
    for db in backends("connection_list") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("Customer").await;
        let conns = format!("{ORGS}/{org}/connections");
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut body = s1(&format!("t{i}"));
            body["identifier"] = json!(format!("c{i}"));
            if i == 4 {
                body = json!({"vendor": "CROWDSTRIKE", "identifier": "c4", "credentials": {"client_id": "a", "client_secret": "b"}});
            }
            ids.push(
                app.create_connection(&org, body).await["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let (_, page) = app.get(&format!("{conns}?vendor=CROWDSTRIKE")).await;
        assert_eq!(page["total"], 1);
        let (_, page) = app
            .get(&format!(
                "{conns}?vendor=CROWDSTRIKE&vendor=SENTINELONE&identifier=c2"
            ))
            .await;
        assert_eq!(page["items"][0]["id"].as_str(), Some(ids[2].as_str()));
        app.patch(&format!("{conns}/{}", ids[0]), json!({"state": "PAUSED"}))
            .await;
        let (_, page) = app.get(&format!("{conns}?isActive=false")).await;
        assert_eq!(page["total"], 1);
        let (_, page) = app.get(&format!("{conns}?state=ACTIVE,PAUSED")).await;
        assert_eq!(page["total"], 5);
        let (_, page) = app
            .get(&format!(
                "{conns}?healthStatusCodes=UNAUTHORIZED,VENDOR_SERVER_ERROR"
            ))
            .await;
        assert_eq!(
            (page["count"].as_u64(), page["total"].as_u64()),
            (Some(0), Some(0)),
            "no job has run yet"
        );

        // Offset pages and excludeTotal / skipTotal.
        let (_, p) = app
            .get(&format!("{conns}?limit=2&offset=2&excludeTotal=true"))
            .await;
        assert_eq!((p["count"].as_u64(), p["total"].is_null()), (Some(2), true));
        assert_eq!(p["items"][0]["id"].as_str(), Some(ids[2].as_str()));
        assert!(
            p.get("next_cursor").is_none(),
            "offset mode has no cursor fields"
        );
        let (_, p) = app.get(&format!("{conns}?skipTotal=true")).await;
        assert!(p["total"].is_null());

        // Cursor mode walks forward and back.
        let (_, p1) = app.get(&format!("{conns}?limit=2&enableCursor=true")).await;
        assert!(p1["previous_cursor"].is_null());
        let next = p1["next_cursor"].as_str().unwrap();
        let (_, p2) = app.get(&format!("{conns}?limit=2&cursor={next}")).await;
        assert_eq!(p2["items"][0]["id"].as_str(), Some(ids[2].as_str()));
        let (_, p3) = app
            .get(&format!(
                "{conns}?limit=2&cursor={}",
                p2["next_cursor"].as_str().unwrap()
            ))
            .await;
        assert_eq!(
            (p3["count"].as_u64(), p3["next_cursor"].is_null()),
            (Some(1), true)
        );
        let (_, back) = app
            .get(&format!(
                "{conns}?limit=2&cursor={}",
                p2["previous_cursor"].as_str().unwrap()
            ))
            .await;
        assert_eq!(back["items"], p1["items"]);
        assert!(back["previous_cursor"].is_null());
        // A cursor from another query is refused.
        let (s, e) = app
            .get(&format!("{conns}?limit=2&vendor=CROWDSTRIKE&cursor={next}"))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["detail"][0]["loc"], json!(["query", "cursor"]));
        app.stop().await;
    }
}
