//! The audit log: every change through the API or the dashboard is recorded by the
//! application layer with who, from where and what changed (never a secret), and listed
//! at `/v1/audit-events`, filtered and paginated, on both stores.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary::commands::create_key;

use crate::{
    security::sessions::{dashboard_login, form_token, page_as, pair, post_form_as},
    support::{backends, s1_credentials, TestApp},
};

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/v1/audit-events?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn actions(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["action"].as_str().unwrap(),
                e["target_type"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn changes_are_audited_with_who_where_and_what_never_secrets() {
    for db in backends("changes_are_audited_with_who_where_and_what_never_secrets") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("Acme").await;
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "SENTINELONE", "identifier": "s1",
                "credentials": s1_credentials("http://127.0.0.1:9", "first-s3cret")}),
            )
            .await;
        let conn_id = conn["id"].as_str().unwrap();
        let path = format!("/v1/provisioning/organizations/{org}/connections/{conn_id}");
        let (status, _) = app
            .patch(&path, json!({"identifier": "s1-prod", "state": "PAUSED"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        // New credentials are verified with the vendor first: unreachable → nothing saved
        // and nothing audited.
        let (status, _) = app
            .patch(
                &path,
                json!({"credentials": s1_credentials("http://127.0.0.1:9", "second-s3cret")}),
            )
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _) = app.get(&format!("{path}/test")).await;
        assert_eq!(status, StatusCode::OK);
        let (_, hook) = app
            .post(
                "/v1/webhooks",
                json!({"url": "https://hooks.example.com/a"}),
            )
            .await;
        let hook_path = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
        app.patch(&hook_path, json!({"enabled": false})).await;
        app.post(&format!("{hook_path}/rotate-secret"), json!({}))
            .await;
        app.delete(&hook_path).await;
        app.delete(&path).await;
        app.delete(&format!("/v1/provisioning/organizations/{org}"))
            .await;

        let all = events(&app, "").await;
        assert_eq!(
            actions(&all),
            [
                "deleted organization",
                "deleted connection",
                "deleted webhook",
                "secret_rotated webhook",
                "updated webhook",
                "created webhook",
                "tested connection",
                "updated connection",
                "created connection",
                "created organization",
                "created api_key",
            ]
        );
        let text = serde_json::to_string(&all).unwrap();
        for secret in [
            "first-s3cret",
            "second-s3cret",
            "whsec_",
            hook["secret"].as_str().unwrap(),
        ] {
            assert!(
                !text.contains(secret),
                "a secret in the audit log: {secret}"
            );
        }
        let created = &all[8];
        assert_eq!(created["actor"]["type"], "api_key");
        assert!(created["actor"]["api_key_id"].is_string());
        assert_eq!(created["client_addr"], "127.0.0.1");
        assert_eq!(
            created["changes"]["credentials"]["changed"],
            json!(["api_token", "base_url"])
        );
        assert_eq!(created["changes"]["identifier"]["to"], "s1");
        let updated = &all[7]["changes"];
        assert_eq!(
            updated["identifier"],
            json!({"from": "s1", "to": "s1-prod"})
        );
        assert_eq!(updated["state"], json!({"from": "ACTIVE", "to": "PAUSED"}));
        assert_eq!(all[10]["actor"]["type"], "cli");

        // Filters and pages.
        let about = events(&app, &format!("targetId={conn_id}&action=created,deleted")).await;
        assert_eq!(
            actions(&about),
            ["deleted connection", "created connection"]
        );
        assert_eq!(events(&app, "targetType=webhook").await.len(), 4);
        let (_, page) = app.get("/v1/audit-events?limit=2&enableCursor=true").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        let next = page["next_cursor"].as_str().unwrap();
        let (_, rest) = app.get(&format!("/v1/audit-events?cursor={next}")).await;
        assert_eq!(rest["items"][0]["id"], all[2]["id"]);
        for bad in [
            "targetType=nope",
            "targetId=x",
            "action=hacked",
            "since=yesterday",
            "limit=0",
        ] {
            let (status, body) = app.get(&format!("/v1/audit-events?{bad}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
        // Another account sees none of it.
        let store = app.app.as_ref().unwrap().store();
        let other = store.create_account("other").await.unwrap().id;
        let (_, key) = create_key(store.as_ref(), other, "k").await.unwrap();
        let resp = app
            .client
            .get(app.url("/v1/audit-events"))
            .header("X-API-KEY", &key);
        let page: Value = resp.send().await.unwrap().json().await.unwrap();
        assert_eq!(
            actions(page["items"].as_array().unwrap()),
            ["created api_key"]
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_change_made_in_the_dashboard_names_the_session() {
    let app = TestApp::spawn(tributary_store::testing::TestDatabase::sqlite()).await;
    let org = app.create_org("Acme").await;
    let conn = app
        .create_connection(
            &org,
            json!({"vendor": "SENTINELONE",
            "credentials": s1_credentials("http://127.0.0.1:9", "t")}),
        )
        .await;
    let conn_id = conn["id"].as_str().unwrap();
    app.step().await; // the first job, so "Run now" queues a new one
    let session = pair(&dashboard_login(&app, &[]).await);
    let page = page_as(&app, &session, &format!("/dashboard/connections/{conn_id}")).await;
    let run = format!("/dashboard/connections/{conn_id}/run");
    let status = post_form_as(&app, &session, &run, form_token(&page)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let items = events(&app, &format!("targetId={conn_id}&action=run")).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["actor"]["type"], "dashboard");
    let login = events(&app, "action=logged_in").await;
    assert_eq!(items[0]["actor"]["session_id"], login[0]["target_id"]);
    assert_eq!(
        items[0]["actor"]["api_key_id"],
        login[0]["actor"]["api_key_id"]
    );
    let audit_page = page_as(&app, &session, "/dashboard/audit?action=run").await;
    assert!(audit_page.contains(conn_id), "the dashboard lists it");
    app.stop().await;
}
