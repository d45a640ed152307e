//! Bad input always gets a clear 4xx and changes nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const ORGS: &str = "/v1/provisioning/organizations";

async fn connection_count(app: &TestApp, org: &str) -> u64 {
    let (_, list) = app
        .get(&format!(
            "{ORGS}/{org}/connections?state=ACTIVE,PAUSED,DELETED,PENDING"
        ))
        .await;
    list["total"].as_u64().unwrap()
}

fn loc_types(body: &Value) -> Vec<(Value, String)> {
    body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("validation list expected: {body}"))
        .iter()
        .map(|e| (e["loc"].clone(), e["type"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn bad_requests_are_refused_with_locations_and_write_nothing() {
    for db in backends("bad_input") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("Customer").await;
        let conns = format!("{ORGS}/{org}/connections");
        let send_raw = |body: &'static str, content_type: &'static str| {
            let req = app
                .client
                .post(app.url(&conns))
                .header("X-API-KEY", &app.key)
                .header("content-type", content_type)
                .body(body);
            async move {
                let r = req.send().await.unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            }
        };

        let (s, e) = send_raw("{\"vendor\": ", "application/json").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(loc_types(&e)[0].1, "json_invalid");
        let (s, e) = send_raw("vendor=SENTINELONE", "application/x-www-form-urlencoded").await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(e["detail"].as_str().unwrap().contains("application/json"));
        let (s, e) = send_raw("[1, 2]", "application/json").await;
        assert_eq!(
            (s, loc_types(&e)[0].1.as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "model_attributes_type")
        );

        let cases = [
            (
                json!({"vendor": "RAPID7", "credentials": {}}),
                vec![(json!(["body", "vendor"]), "enum")],
            ),
            (
                json!({"credentials": {}}),
                vec![(json!(["body", "vendor"]), "missing")],
            ),
            (
                json!({"vendor": "SENTINELONE"}),
                vec![(json!(["body", "credentials"]), "missing")],
            ),
            (
                json!({"vendor": "SENTINELONE", "credentials": {"base_url": "https://x.sentinelone.net"}}),
                vec![(json!(["body", "credentials", "api_token"]), "missing")],
            ),
            (
                json!({"vendor": "SENTINELONE", "credentials": {"base_url": 5, "api_token": "t", "extra": 1}}),
                vec![
                    (json!(["body", "credentials", "extra"]), "extra_forbidden"),
                    (json!(["body", "credentials", "base_url"]), "string_type"),
                ],
            ),
            (
                json!({"vendor": "CROWDSTRIKE", "credentials": {"client_id": "a", "client_secret": "b"}, "refresh_interval_secs": 5}),
                vec![(
                    json!(["body", "refresh_interval_secs"]),
                    "greater_than_equal",
                )],
            ),
            (
                json!({"vendor": "CROWDSTRIKE", "credentials": {"client_id": "a", "client_secret": "b"}, "timeout_secs": 999999}),
                vec![(json!(["body", "timeout_secs"]), "less_than_equal")],
            ),
            (
                json!({"vendor": "CROWDSTRIKE", "credentials": {"client_id": "a", "client_secret": "b"}, "timeout_secs": "60"}),
                vec![(json!(["body", "timeout_secs"]), "int_type")],
            ),
            (
                json!({"vendor": "CROWDSTRIKE", "credentials": {"client_id": "a", "client_secret": "b"}, "options": {"site_ids": ["1"]}}),
                vec![(json!(["body", "options", "site_ids"]), "extra_forbidden")],
            ),
            (
                json!({"vendor": "SENTINELONE", "credentials": {"base_url": "http://10.0.0.5", "api_token": "t"}}),
                vec![(
                    json!(["body", "credentials", "base_url"]),
                    "url_not_allowed",
                )],
            ),
            (
                json!({"vendor": "SENTINELONE", "credentials": {"base_url": "https://169.254.169.254", "api_token": "t"}}),
                vec![(
                    json!(["body", "credentials", "base_url"]),
                    "url_not_allowed",
                )],
            ),
            (
                json!({"vendor": "MS_DEFENDER_ENDPOINT", "credentials": {"tenant_id": "t", "client_id": "c", "client_secret": "s", "login_base_url": "not a url"}}),
                vec![(
                    json!(["body", "credentials", "login_base_url"]),
                    "url_parsing",
                )],
            ),
            (
                json!({"vendor": "SENTINELONE", "credentials": {"base_url": "https://x.net", "api_token": "t"}, "bogus": 1}),
                vec![(json!(["body", "bogus"]), "extra_forbidden")],
            ),
        ];
        for (body, expected) in cases {
            let (s, e) = app.post(&conns, body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} -> {e}");
            let got = loc_types(&e);
            for (loc, kind) in expected {
                assert!(
                    got.contains(&(loc.clone(), kind.to_owned())),
                    "{body}: expected {loc} {kind} in {got:?}"
                );
            }
        }

        // Path ids: malformed → 422 with the location; well-formed but unknown → 404.
        let (s, e) = app.get(&format!("{ORGS}/not-a-uuid/connections")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["detail"][0]["loc"], json!(["path", "organization_id"]));
        let (s, e) = app.get(&format!("{conns}/123")).await;
        assert_eq!(
            (s, e["detail"][0]["loc"].clone()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!(["path", "connection_id"])
            )
        );
        let (s, _) = app.get(&format!("{conns}/{}", uuid::Uuid::new_v4())).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Query parameters.
        for (query, loc) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("offset=-1", "offset"),
            ("limit=abc", "limit"),
            ("excludeTotal=maybe", "excludeTotal"),
            ("healthStatusCodes=BROKEN", "healthStatusCodes"),
            ("vendor=RAPID7", "vendor"),
            ("cursor=forged", "cursor"),
        ] {
            let (s, e) = app.get(&format!("{conns}?{query}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {e}");
            assert_eq!(e["detail"][0]["loc"], json!(["query", loc]), "{query}");
        }

        // A body over 1 MiB.
        let huge = json!({"vendor": "SENTINELONE", "credentials": {"base_url": "https://x.net", "api_token": "a".repeat(1_100_000)}});
        let (s, e) = app.post(&conns, huge).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
        assert!(e["detail"].is_string());

        // PATCH with bad values changes nothing.
        let conn = app.create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("https://x.net", "t")})).await;
        let id = conn["id"].as_str().unwrap();
        for body in [
            json!({"state": "DELETED"}),
            json!({"state": "ON"}),
            json!({"timeout_secs": 1}),
            json!({"credentials": {"api_token": 1}}),
            json!({"unknown": 1}),
        ] {
            let (s, _) = app.patch(&format!("{conns}/{id}"), body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        }
        let (_, after) = app.get(&format!("{conns}/{id}")).await;
        assert_eq!(after["updated_at"], conn["updated_at"], "nothing written");
        assert_eq!(
            connection_count(&app, &org).await,
            1,
            "only the valid connection exists"
        );

        // Unknown routes and methods answer in the documented shape.
        let (s, e) = app.get("/v1/nothing-here").await;
        assert_eq!(
            (s, e["detail"].as_str()),
            (StatusCode::NOT_FOUND, Some("Not Found"))
        );
        let (s, _) = app.call(reqwest::Method::PUT, ORGS, Some(json!({}))).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        app.stop().await;
    }
}
