//! The HTTP layer: slow clients are disconnected, every response says `nosniff`, secrets
//! are never cached, a too-long URL gets a documented 414, and a client's request id is
//! kept only when it is short and plain.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{test_config, TestApp};
use tributary_store::testing::TestDatabase;

fn host_port(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; the bound only stops a broken test.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.header_read_timeout_secs = 1;
    let app = TestApp::spawn_with(db, dir, config).await;
    let mut partial = TcpStream::connect(host_port(&app)).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut partial).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // A connection that says nothing at all is closed the same way.
    let mut silent = TcpStream::connect(host_port(&app)).await.unwrap();
    read_to_close(&mut silent).await;
    // Whole requests are still served.
    let (status, _) = app.get("/v1/provisioning/organizations").await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn responses_are_not_sniffed_and_secrets_are_never_cached() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    for path in [
        "/healthz",
        "/v1/provisioning/organizations",
        "/dashboard/login",
        "/nowhere",
    ] {
        let resp = app.client.get(app.url(path)).header("X-API-KEY", &app.key);
        let resp = resp.send().await.unwrap();
        let nosniff = resp.headers().get("x-content-type-options");
        assert_eq!(nosniff.unwrap(), "nosniff", "{path}");
    }
    let created = app
        .client
        .post(app.url("/v1/webhooks"))
        .header("X-API-KEY", &app.key)
        .json(&json!({"url": "https://hooks.example.com/t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["cache-control"], "no-store");
    let id = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = app
        .client
        .post(app.url(&format!("/v1/webhooks/{id}/rotate-secret")))
        .header("X-API-KEY", &app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    assert_eq!(rotated.headers()["cache-control"], "no-store");
    app.stop().await;
}

#[tokio::test]
async fn a_too_long_url_gets_a_414_that_says_why() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let long = format!(
        "/v1/provisioning/organizations?identifier={}",
        "a".repeat(20_000)
    );
    let (status, body) = app.call(Method::GET, &long, None).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("8192 bytes"), "{body}");
    app.stop().await;
}

/// The `x-request-id` a raw request with `id` gets back (raw: clients may send bytes
/// that HTTP libraries refuse to).
async fn echoed_request_id(app: &TestApp, id: &[u8]) -> String {
    let mut stream = TcpStream::connect(host_port(app)).await.unwrap();
    let mut req =
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-Id: ".to_vec();
    req.extend_from_slice(id);
    req.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&req).await.unwrap();
    let answer = read_to_close(&mut stream).await;
    if answer.starts_with("HTTP/1.1 400") {
        return "refused by the HTTP parser".into(); // control characters never get in
    }
    let line = answer
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no request id: {answer}"));
    line.to_owned()
}

#[tokio::test]
async fn a_clients_request_id_is_kept_only_when_short_and_plain() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    assert_eq!(
        echoed_request_id(&app, b"trace-123.abc").await,
        "trace-123.abc"
    );
    let long = "x".repeat(200);
    for bad in [
        &b"a b c"[..],
        b"<script>",
        "caf\u{e9}".as_bytes(),
        long.as_bytes(),
    ] {
        let got = echoed_request_id(&app, bad).await;
        assert!(
            uuid::Uuid::parse_str(&got).is_ok(),
            "replaced by a fresh id: {got}"
        );
    }
    let ansi = echoed_request_id(&app, b"\x1b[31mred").await;
    assert!(!ansi.contains('\u{1b}'), "{ansi}");
    app.stop().await;
}
