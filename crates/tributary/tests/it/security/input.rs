//! Lenient input: control characters (NUL, ANSI escapes, CR/LF) are refused in every
//! name, identifier, credential, option and query value, on SQLite and on PostgreSQL
//! (which rejects NUL in text); one boolean rule (`true`/`false`) everywhere.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{backends, s1_credentials, TestApp};

const NASTY: [&str; 4] = [
    "a\u{0}b",
    "\u{1b}[31mred\u{1b}[0m",
    "line\r\nInjected: 1",
    "tab\there",
];

fn refused_at(status: StatusCode, body: &Value, loc: Value, what: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    let hit = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "string_control_characters" && e["loc"] == loc);
    assert!(hit, "{what}: {body}");
}

#[tokio::test]
async fn control_characters_are_refused_everywhere_and_nothing_is_stored() {
    for db in backends("control_characters_are_refused_everywhere_and_nothing_is_stored") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("o").await;
        let conns = format!("/v1/provisioning/organizations/{org}/connections");
        let conn = app
            .create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")}))
            .await;
        let one = format!("{conns}/{}", conn["id"].as_str().unwrap());
        for bad in NASTY {
            let (s, b) = app
                .post("/v1/provisioning/organizations", json!({"name": bad}))
                .await;
            refused_at(s, &b, json!(["body", "name"]), bad);
            let (s, b) = app
                .post(
                    "/v1/provisioning/organizations",
                    json!({"name": "n", "identifier": bad}),
                )
                .await;
            refused_at(s, &b, json!(["body", "identifier"]), bad);
            let body = json!({"vendor": "SENTINELONE", "identifier": bad,
                              "credentials": s1_credentials("http://127.0.0.1:9", "t")});
            let (s, b) = app.post(&conns, body).await;
            refused_at(s, &b, json!(["body", "identifier"]), bad);
            let body = json!({"vendor": "SENTINELONE",
                              "credentials": s1_credentials("http://127.0.0.1:9", bad)});
            let (s, b) = app.post(&conns, body).await;
            refused_at(s, &b, json!(["body", "credentials", "api_token"]), bad);
            let (s, b) = app.patch(&one, json!({"identifier": bad})).await;
            refused_at(s, &b, json!(["body", "identifier"]), bad);
            let body = json!({"url": "https://hooks.example.com/x", "description": bad});
            let (s, b) = app.post("/v1/webhooks", body).await;
            refused_at(s, &b, json!(["body", "description"]), bad);
            let body = json!({"vendor": "SENTINELONE", "options": {"site_ids": [bad]},
                              "credentials": s1_credentials("http://127.0.0.1:9", "t")});
            let (s, _) = app.post(&conns, body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "options {bad:?}");
        }
        let (s, b) = app.get(&format!("{conns}?identifier=a%00b")).await;
        refused_at(s, &b, json!(["query", "identifier"]), "query NUL");
        let (_, orgs) = app.get("/v1/provisioning/organizations").await;
        assert_eq!(orgs["total"], 1, "nothing stored: {orgs}");
        let (_, list) = app.get(&conns).await;
        assert_eq!(list["total"], 1, "nothing stored: {list}");
        let (_, hooks) = app.get("/v1/webhooks").await;
        assert_eq!(hooks["total"], 0, "nothing stored: {hooks}");
        app.stop().await;
    }
}

#[tokio::test]
async fn every_boolean_parameter_takes_true_or_false_only() {
    let app = TestApp::spawn(tributary_store::testing::TestDatabase::sqlite()).await;
    let list = "/v1/provisioning/organizations";
    for param in [
        "enableCursor",
        "excludeTotal",
        "skipTotal",
        "includeDeleted",
    ] {
        for bad in ["yes", "maybe", "1", "on"] {
            let (s, b) = app.get(&format!("{list}?{param}={bad}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{param}={bad}: {b}");
            assert_eq!(b["detail"][0]["type"], "bool_parsing", "{b}");
            assert_eq!(b["detail"][0]["loc"], json!(["query", param]), "{b}");
        }
        for good in ["true", "FALSE", "True"] {
            let (s, b) = app.get(&format!("{list}?{param}={good}")).await;
            assert_eq!(s, StatusCode::OK, "{param}={good}: {b}");
        }
    }
    app.stop().await;
}
