//! Destinations by name: a base URL or webhook URL whose host resolves to loopback is
//! refused when saved (422 `url_not_allowed`, nothing saved), and a job that meets the
//! guard's refusal reports the customer's configuration (UNAUTHORIZED, owner CUSTOMER),
//! never a vendor outage.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tributary::App;

use crate::support::{backends, s1_credentials, TestApp};

/// Names that resolve to loopback: spellings of `localhost`, a name under it, and the
/// machine's own names from `/etc/hosts`.
fn loopback_names() -> Vec<String> {
    let mut names: Vec<String> = ["LOCALHOST", "localhost.", "localhost", "api.localhost"]
        .map(String::from)
        .to_vec();
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    for line in hosts.lines().filter(|l| l.starts_with("127.")) {
        names.extend(line.split_whitespace().skip(1).take(2).map(String::from));
    }
    names.sort();
    names.dedup();
    names
}

fn assert_refused(status: StatusCode, body: &Value, loc: Value, what: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    let errors = body["detail"].as_array().expect("a 422 list");
    assert!(
        errors
            .iter()
            .any(|e| e["type"] == "url_not_allowed" && e["loc"] == loc),
        "{what}: {body}"
    );
}

/// An app that allows plain http to 127.0.0.1 (the simulators) but no name.
async fn strict_app(db: tributary_store::testing::TestDatabase) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::test_config(&db, dir.path());
    config.allow_vendor_hosts = "127.0.0.1".into();
    TestApp::spawn_with(db, dir, config).await
}

#[tokio::test]
async fn names_that_resolve_to_loopback_are_refused_when_saved() {
    for db in backends("names_that_resolve_to_loopback_are_refused_when_saved") {
        let app = strict_app(db).await;
        let org = app.create_org("o").await;
        let conns = format!("/v1/provisioning/organizations/{org}/connections");
        let ok = app
            .create_connection(
                &org,
                json!({"vendor": "SENTINELONE", "credentials": s1_credentials("http://127.0.0.1:9", "t")}),
            )
            .await;
        let one = format!("{conns}/{}", ok["id"].as_str().unwrap());
        let (_, hook) = app
            .post(
                "/v1/webhooks",
                json!({"url": "https://hooks.example.com/x"}),
            )
            .await;
        let hook = format!("/v1/webhooks/{}", hook["id"].as_str().unwrap());
        for name in loopback_names() {
            let url = format!("https://{name}:8443/api");
            let creds = json!({"vendor": "SENTINELONE", "credentials": s1_credentials(&url, "t")});
            let (status, body) = app.post(&conns, creds).await;
            let loc = json!(["body", "credentials", "base_url"]);
            assert_refused(status, &body, loc.clone(), &format!("create {url}"));
            let patch = json!({"credentials": s1_credentials(&url, "t")});
            let (status, body) = app.patch(&one, patch).await;
            assert_refused(status, &body, loc, &format!("PATCH {url}"));
            let (status, body) = app.post("/v1/webhooks", json!({"url": url})).await;
            assert_refused(
                status,
                &body,
                json!(["body", "url"]),
                &format!("webhook {url}"),
            );
            let (status, body) = app.patch(&hook, json!({"url": url})).await;
            assert_refused(
                status,
                &body,
                json!(["body", "url"]),
                &format!("webhook PATCH {url}"),
            );
        }
        let (_, list) = app.get(&conns).await;
        assert_eq!(list["total"], 1, "nothing saved: {list}");
        let (_, conn) = app.get(&one).await;
        assert!(
            conn["updated_at"] == ok["updated_at"],
            "the PATCHes changed nothing"
        );
        let (_, hook) = app.get(&hook).await;
        assert_eq!(hook["url"], "https://hooks.example.com/x");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_job_refused_by_the_guard_is_the_customers_configuration() {
    for db in backends("a_job_refused_by_the_guard_is_the_customers_configuration") {
        // Saved while the operator allowed `localhost`; the allow-list was then tightened.
        let app = TestApp::spawn(db).await;
        let org = app.create_org("o").await;
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "SENTINELONE", "credentials": s1_credentials("https://localhost:1", "t")}),
            )
            .await;
        let mut strict = app.config.clone();
        strict.allow_vendor_hosts = "127.0.0.1".into();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tightened = App::start(&strict, Some(listener)).await.unwrap();
        tightened.engine().run_until_idle().await.unwrap();
        let path = format!(
            "/v1/provisioning/organizations/{org}/connections/{}",
            conn["id"].as_str().unwrap()
        );
        let (_, conn) = app.get(&path).await;
        let health = &conn["health"];
        assert_eq!(health["name"], "UNAUTHORIZED", "{health}");
        assert_eq!(health["resolution_owner"], "CUSTOMER", "{health}");
        for detail in health["details"].as_array().unwrap() {
            assert_eq!(detail["name"], "UNAUTHORIZED", "{detail}");
            let message = detail["message"].as_str().unwrap();
            assert!(message.contains("not allowed"), "{message}");
        }
        let (_, jobs) = app.get(&format!("{path}/jobs")).await;
        assert_eq!(jobs["items"][0]["status"], "FAILED", "{jobs}");
        tightened.stop().await;
        app.stop().await;
    }
}

#[tokio::test]
async fn urls_take_the_shape_the_openapi_document_publishes() {
    let app = strict_app(tributary_store::testing::TestDatabase::sqlite()).await;
    let org = app.create_org("o").await;
    let conns = format!("/v1/provisioning/organizations/{org}/connections");
    for bad in [
        "https://8.8.8.8",
        "https://[2606:4700:4700::1111]",
        " https://usea1.sentinelone.net",
        "https://usea1.sentinelone.net/x y",
        "https://usea1.sentinelone.net/?q=1",
    ] {
        let body = json!({"vendor": "SENTINELONE", "credentials": s1_credentials(bad, "t")});
        let (status, body) = app.post(&conns, body).await;
        let loc = json!(["body", "credentials", "base_url"]);
        let refused = status == StatusCode::UNPROCESSABLE_ENTITY
            && body["detail"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["loc"] == loc);
        assert!(refused, "{bad:?}: {status} {body}");
    }
    let ok = json!({"vendor": "SENTINELONE",
                    "credentials": s1_credentials("https://usea1-acme.sentinelone.net", "t")});
    let (status, body) = app.post(&conns, ok).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .post(
            "/v1/webhooks",
            json!({"url": "https://hooks.example.com/in?team=sec"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "webhooks may carry a query");
    app.stop().await;
}
