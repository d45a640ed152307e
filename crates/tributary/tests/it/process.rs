//! Running the `tributary` binary as a user does: a command with a test database and
//! data directory, `account create`, `serve` on a free port with its log, and plain HTTP
//! calls with an API key. Used by the tests of whole processes (crash safety, scale-out,
//! secrets, webhooks across restarts).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;
use tributary_store::testing::TestDatabase;

pub fn tributary(db: &TestDatabase, data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tributary"));
    c.env("TRIBUTARY_DATA_DIR", data)
        .env("DATABASE_URL", &db.url)
        .env("TRIBUTARY_ALLOW_VENDOR_HOSTS", "127.0.0.1")
        .env("TRIBUTARY_ENGINE__LEASE_SECS", "5")
        .env("TRIBUTARY_ENGINE__POLL_INTERVAL_MS", "100")
        .env("TRIBUTARY_ENGINE__SCHEDULE_INTERVAL_MS", "200")
        .env_remove("TRIBUTARY_CONFIG");
    match &db.schema {
        Some(s) => c.env("TRIBUTARY_DATABASE_SCHEMA", s),
        None => c.env_remove("TRIBUTARY_DATABASE_SCHEMA"),
    };
    c
}

/// `tributary account create`; returns the API key it printed.
pub fn create_account(db: &TestDatabase, data: &std::path::Path, name: &str) -> String {
    account_key(tributary(db, data), name)
}

/// `command account create --name name`; returns the API key it printed.
pub fn account_key(mut command: Command, name: &str) -> String {
    let out = command
        .args(["account", "create", "--name", name, "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["api_key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Starts `tributary serve` on a free port; returns the child and its base URL.
pub fn serve(db: &TestDatabase, data: &std::path::Path) -> (Child, String) {
    serve_with(tributary(db, data))
}

/// Starts `command serve` on a free port; returns the child and its base URL.
pub fn serve_with(command: Command) -> (Child, String) {
    let served = serve_logged(command);
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || while served.log.recv().is_ok() {});
    (served.child, served.url)
}

/// A `serve` process and its log.
pub struct Served {
    pub child: Child,
    pub url: String,
    /// The log lines up to and including the one that named the URL.
    pub startup_log: String,
    /// Every later log line; read it, or the child blocks on a full pipe.
    pub log: std::sync::mpsc::Receiver<String>,
}

/// Starts `command serve` on a free port and waits for it to name its URL.
pub fn serve_logged(mut command: Command) -> Served {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut startup_log = String::new();
    loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start:\n{startup_log}");
        };
        startup_log.push_str(&line);
        startup_log.push('\n');
        if let Some(i) = line.find("url=http://") {
            let url: String = line[i + 4..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            return Served {
                child,
                url,
                startup_log,
                log: rx,
            };
        }
    }
}

/// `POST url` with the key and a JSON body; the JSON answer.
pub async fn post(client: &reqwest::Client, url: String, key: &str, body: Value) -> Value {
    let req = client.post(url).header("X-API-KEY", key).json(&body);
    req.send().await.unwrap().json().await.unwrap()
}

pub async fn get(client: &reqwest::Client, url: String, key: &str, conn: Option<&str>) -> Value {
    let mut req = client.get(url).header("X-API-KEY", key);
    if let Some(c) = conn {
        req = req.header("X-CONNECTION-ID", c);
    }
    req.send().await.unwrap().json().await.unwrap()
}
