use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

#[tokio::test]
async fn health_readiness_metrics_openapi_and_docs() {
    for db in backends("ops_endpoints") {
        let app = TestApp::spawn(db).await;
        let r = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"status": "ok", "database": "ok"})
        );
        assert!(
            r_id(&app).await.len() >= 32,
            "every response carries a request id"
        );
        app.get("/v1/provisioning/organizations").await;
        let metrics = app.metrics().await;
        assert!(metrics.contains("tributary_http_requests_total{method=\"GET\",route=\"/v1/provisioning/organizations\",status=\"200\"}"), "{metrics}");
        assert!(metrics.contains("tributary_http_request_duration_seconds_bucket"));
        let spec: Value = app
            .client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(
            spec["paths"]["/provisioning/organizations/{organization_id}/connections"]["get"]
                .is_object()
        );
        let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
        assert_eq!(docs.status(), StatusCode::OK);
        assert!(docs.text().await.unwrap().contains("swagger"));
        let (s, catalogue) = app.get("/v1/connectors").await;
        assert_eq!(s, StatusCode::OK);
        let s1 = catalogue
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["vendor"] == "SENTINELONE")
            .unwrap();
        let alerts = &s1["data_exports"][1];
        assert_eq!(
            (&alerts["data_export_type"], &alerts["endpoints"]),
            (&json!("alerts"), &json!(["/web/api/v2.1/threats"]))
        );
        // Additive: what the credentials must be allowed to do for the export.
        assert_eq!(alerts["permission"], "Threats: View (a Viewer role)");
        assert_eq!(s1["category"], "EDR");
        app.stop().await;
    }
}

async fn r_id(app: &TestApp) -> String {
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    r.headers()["x-request-id"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_seed_list_connections_request_returns_the_documented_envelope() {
    let db = tributary_store::testing::TestDatabase::sqlite();
    let app = TestApp::spawn(db).await;
    let org = app.create_org("Customer").await;
    app.create_connection(&org, json!({"vendor": "SENTINELONE", "credentials": s1_credentials("https://usea1.sentinelone.net", "t")})).await;
    // curl --request GET --url '…/connections?healthStatusCodes=UNAUTHORIZED' --header 'X-API-KEY: <API_KEY>'
    let url = app.url(&format!(
        "/v1/provisioning/organizations/{org}/connections?healthStatusCodes=UNAUTHORIZED"
    ));
    let body: Value = app
        .client
        .get(url)
        .header("X-API-KEY", &app.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["count", "items", "total"]);
    app.stop().await;
}
