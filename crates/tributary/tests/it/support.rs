//! Spawning the real application for tests: real HTTP on 127.0.0.1:0, a real SQLite file
//! or a fresh PostgreSQL schema, an account and an API key.

use std::{path::PathBuf, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tributary::{commands::create_key, App, Config};
use tributary_connectors::Registry;
use tributary_engine::JobOutcome;
use tributary_store::testing::{Backend, TestDatabase};
use uuid::Uuid;

#[allow(dead_code)] // fields used by later test modules
pub struct TestApp {
    pub app: Option<App>,
    pub base: String,
    pub key: String,
    pub account: Uuid,
    pub client: reqwest::Client,
    pub db: TestDatabase,
    pub config: Config,
    _dir: tempfile::TempDir,
}

/// The configuration tests use: everything in a temp dir, local hosts allowed, and only
/// the API role: tests step the engine ([`TestApp::step`], [`TestApp::deliver`]) instead
/// of waiting for its loops. [`with_loops`] turns the loops on where latency is what a
/// test asserts.
pub fn test_config(db: &TestDatabase, dir: &std::path::Path) -> Config {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        database_url: Some(db.url.clone()),
        database_schema: db.schema.clone(),
        allow_vendor_hosts: "127.0.0.1,localhost".into(),
        roles: vec!["api".into()],
        ..Config::default()
    };
    config.engine.poll_interval_ms = 100;
    config.engine.schedule_interval_ms = 200;
    config.engine.retry_base_ms = 20;
    config.engine.retry_max_wait_secs = 2;
    config.engine.request_timeout_secs = 5;
    // Tests poll and page as fast as loopback allows with one key; the limits have their
    // own tests (security::rate_limit), which set them low.
    config.rate_limit.requests_per_minute = 1_000_000;
    config.rate_limit.burst = 100_000;
    config
}

/// `config` with the workers, the scheduler and the webhook sender running.
pub fn with_loops(mut config: Config) -> Config {
    config.roles = ["api", "worker", "scheduler", "delivery"]
        .map(String::from)
        .to_vec();
    config
}

#[allow(dead_code)]
impl TestApp {
    pub async fn spawn(db: TestDatabase) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(&db, dir.path());
        Self::spawn_with(db, dir, config).await
    }

    pub async fn spawn_with(db: TestDatabase, dir: tempfile::TempDir, config: Config) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start(&config, Some(listener))
            .await
            .expect("app starts");
        Self::around(app, db, dir, config).await
    }

    /// A test app around a started `app`: an account and its API key.
    async fn around(app: App, db: TestDatabase, dir: tempfile::TempDir, config: Config) -> TestApp {
        let store = app.store();
        let account = store.create_account("test-account").await.unwrap().id;
        let (_, key) = create_key(store.as_ref(), account, "test").await.unwrap();
        TestApp {
            base: app.base_url().unwrap(),
            app: Some(app),
            key,
            account,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            db,
            config,
            _dir: dir,
        }
    }

    /// [`TestApp::spawn`] with a vendor registry of the test's own.
    pub async fn spawn_with_registry(db: TestDatabase, registry: Registry) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = test_config(&db, dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = App::start_with(&config, Some(listener), registry)
            .await
            .expect("app starts");
        Self::around(app, db, dir, config).await
    }

    fn running(&self) -> &App {
        self.app.as_ref().expect("the app is running")
    }

    /// Runs every queued job to its end (the engine, stepped).
    pub async fn step(&self) -> Vec<JobOutcome> {
        self.running()
            .engine()
            .run_until_idle()
            .await
            .expect("jobs run")
    }

    /// Sends the webhook deliveries that are due now.
    pub async fn deliver(&self) -> usize {
        self.running()
            .engine()
            .deliver_once()
            .await
            .expect("deliveries sent")
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.db.sqlite_path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with this app's API key.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("X-API-KEY", &self.key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    /// The Prometheus exposition at `/metrics` (no key needed).
    pub async fn metrics(&self) -> String {
        let resp = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// `GET path` on a data endpoint: with `key` and `X-CONNECTION-ID: conn`.
    pub async fn get_data(&self, key: &str, conn: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .header("X-API-KEY", key)
            .header("X-CONNECTION-ID", conn)
            .send()
            .await
            .expect("request sent");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// An API key of a new account, to check that another account sees nothing.
    pub async fn other_account_key(&self) -> String {
        let store = self.running().store();
        let account = store.create_account("someone-else").await.unwrap().id;
        create_key(store.as_ref(), account, "other")
            .await
            .unwrap()
            .1
    }

    pub async fn create_org(&self, name: &str) -> String {
        let (status, org) = self
            .post("/v1/provisioning/organizations", json!({"name": name}))
            .await;
        assert_eq!(status, StatusCode::OK, "{org}");
        org["id"].as_str().unwrap().to_owned()
    }

    pub async fn create_connection(&self, org: &str, body: Value) -> Value {
        let (status, conn) = self
            .post(
                &format!("/v1/provisioning/organizations/{org}/connections"),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{conn}");
        conn
    }

    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }
}

/// Every backend available: SQLite, plus PostgreSQL when configured.
pub fn backends(test: &str) -> Vec<TestDatabase> {
    TestDatabase::all(test)
}

pub fn s1_credentials(base_url: &str, token: &str) -> Value {
    json!({"base_url": base_url, "api_token": token})
}
