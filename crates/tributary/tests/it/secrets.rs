//! Credentials are write-only: a recognizable secret must appear in no response, no log
//! line (at debug level), no error message, and not in plaintext in the SQLite file.

use std::{process::Command, time::Duration};

use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tributary"))
}

#[tokio::test]
async fn secrets_never_leave_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = |c: &mut Command| {
        c.env("TRIBUTARY_DATA_DIR", &data)
            .env("TRIBUTARY_ALLOW_VENDOR_HOSTS", "127.0.0.1")
            .env("RUST_LOG", "debug")
            .env_remove("DATABASE_URL")
            .env_remove("TRIBUTARY_CONFIG");
    };
    let mut create = bin();
    env(&mut create);
    let key = crate::process::account_key(create, "acme");
    let mut serve = bin();
    env(&mut serve);
    let crate::process::Served {
        mut child,
        url: base,
        startup_log: mut log,
        log: rx,
    } = crate::process::serve_logged(serve);

    let secret = format!("SUPER-SECRET-{}", uuid::Uuid::new_v4().simple());
    let second = format!("ROTATED-SECRET-{}", uuid::Uuid::new_v4().simple());
    let client = reqwest::Client::new();
    let mut responses = String::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut req = client
            .request(method, format!("{base}{path}"))
            .header("X-API-KEY", &key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    let org: Value = serde_json::from_str(
        &call(
            reqwest::Method::POST,
            "/v1/provisioning/organizations".into(),
            Some(json!({"name": "c"})),
        )
        .await,
    )
    .unwrap();
    let conns = format!(
        "/v1/provisioning/organizations/{}/connections",
        org["id"].as_str().unwrap()
    );
    let created = call(
        reqwest::Method::POST,
        conns.clone(),
        Some(json!({"vendor": "SENTINELONE",
        "credentials": {"base_url": "http://127.0.0.1:9", "api_token": secret}})),
    )
    .await;
    responses.push_str(&created);
    let id = serde_json::from_str::<Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Invalid credentials echo nothing back either.
    responses.push_str(
        &call(
            reqwest::Method::POST,
            conns.clone(),
            Some(json!({"vendor": "SENTINELONE",
        "credentials": {"base_url": 7, "api_token": secret, "extra": secret}})),
        )
        .await,
    );
    for (method, path, body) in [
        (reqwest::Method::GET, conns.clone(), None),
        (reqwest::Method::GET, format!("{conns}/{id}"), None),
        (
            reqwest::Method::PATCH,
            format!("{conns}/{id}"),
            Some(json!({"identifier": "x"})),
        ),
        (
            reqwest::Method::PATCH,
            format!("{conns}/{id}"),
            Some(json!({"credentials": {"base_url": "http://127.0.0.1:9", "api_token": second}})),
        ),
        (reqwest::Method::GET, format!("{conns}/{id}/test"), None),
        (reqwest::Method::GET, format!("{conns}/{id}/jobs"), None),
        (
            reqwest::Method::GET,
            format!("{conns}/{id}/health/history"),
            None,
        ),
        (reqwest::Method::GET, "/v1/edr/alerts".to_owned(), None),
        (reqwest::Method::DELETE, format!("{conns}/{id}"), None),
        (reqwest::Method::GET, "/metrics".to_owned(), None),
        (reqwest::Method::GET, "/openapi.json".to_owned(), None),
    ] {
        responses.push_str(&call(method, path, body).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(log.contains("DEBUG"), "debug logging was on");
    for s in [&secret, &second] {
        assert!(
            !responses.contains(s.as_str()),
            "a response leaked the secret"
        );
        assert!(!log.contains(s.as_str()), "a log line leaked the secret");
        for file in ["tributary.db", "tributary.db-wal"] {
            let path = data.join(file);
            if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                    "{file} holds the secret in plaintext"
                );
            }
        }
    }
}
