//! Data safety: a `tributary serve` process is killed with SIGKILL in the middle of a
//! sync; a new process takes the job over once its lease expires, and in the end every
//! vendor record is stored exactly once — nothing lost, nothing duplicated.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use tributary_simulators::{spawn, FaultSpec, SimConfig, SimVendor};
use tributary_store::testing::TestDatabase;

use crate::support::backends;

const ALERTS: u64 = 12_000;
const DEVICES: u64 = 300;

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

#[tokio::test]
async fn a_sync_killed_mid_way_resumes_with_nothing_lost_and_nothing_duplicated() {
    for db in backends("crash_sigkill") {
        let dir = tempfile::tempdir().unwrap();
        // Slow threat pages, so the kill lands in the middle of the alerts export.
        let sim = spawn(
            SimConfig::new(SimVendor::Sentinelone)
                .devices(DEVICES)
                .alerts(ALERTS)
                .fault("threats:slow=250".parse::<FaultSpec>().unwrap()),
        )
        .await
        .unwrap();
        let key = create_account(&db, dir.path(), "crash");

        let (mut first, base) = serve(&db, dir.path());
        let client = reqwest::Client::new();
        let org: Value = client
            .post(format!("{base}/v1/provisioning/organizations"))
            .header("X-API-KEY", &key)
            .json(&json!({"name": "crash"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let org = org["id"].as_str().unwrap().to_owned();
        let conn: Value = client
            .post(format!(
                "{base}/v1/provisioning/organizations/{org}/connections"
            ))
            .header("X-API-KEY", &key)
            .json(&json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let conn = conn["id"].as_str().unwrap().to_owned();
        let alerts_url = format!("{base}/v1/edr/alerts?limit=1");

        // Wait until some alert pages are committed, then kill the process outright.
        let deadline = Instant::now() + Duration::from_secs(60);
        let stored_before = loop {
            let page = get(&client, alerts_url.clone(), &key, Some(&conn)).await;
            let total = page["total"].as_u64().unwrap_or(0);
            if total >= 2_000 {
                break total;
            }
            assert!(Instant::now() < deadline, "no alerts were stored: {page}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        first.kill().unwrap(); // SIGKILL
        first.wait().unwrap();
        assert!(
            stored_before < ALERTS,
            "the kill came before the sync ended"
        );

        // A new process: the dead worker's job is re-queued when its lease expires.
        let (mut second, base) = serve(&db, dir.path());
        let jobs_url =
            format!("{base}/v1/provisioning/organizations/{org}/connections/{conn}/jobs");
        let deadline = Instant::now() + Duration::from_secs(120);
        let job = loop {
            let jobs = get(&client, jobs_url.clone(), &key, None).await;
            let job = jobs["items"][0].clone();
            if job["finished_at"].is_string() {
                break job;
            }
            assert!(Instant::now() < deadline, "the job never finished: {jobs}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let ctx = format!(
            "{:?}: stored {stored_before} before the kill; {job}",
            db.backend
        );
        assert_eq!(job["status"], "SUCCEEDED", "{ctx}");
        assert_eq!(job["attempts"], 2, "the same job, taken over: {ctx}");
        let alerts = get(
            &client,
            format!("{base}/v1/edr/alerts?limit=1"),
            &key,
            Some(&conn),
        )
        .await;
        let devices = get(
            &client,
            format!("{base}/v1/edr/devices?limit=1"),
            &key,
            Some(&conn),
        )
        .await;
        assert_eq!(alerts["total"], ALERTS, "every alert exactly once: {ctx}");
        assert_eq!(
            devices["total"], DEVICES,
            "every device exactly once: {ctx}"
        );
        // And by id: walk every alert with the cursor and count distinct ids.
        let mut seen = std::collections::HashSet::new();
        let mut url =
            format!("{base}/v1/edr/alerts?limit=1000&enableCursor=true&excludeTotal=true");
        loop {
            let page = get(&client, url.clone(), &key, Some(&conn)).await;
            for a in page["items"].as_array().unwrap() {
                assert!(
                    seen.insert(a["id"].as_str().unwrap().to_owned()),
                    "duplicate: {ctx}"
                );
            }
            match page["next_cursor"].as_str() {
                Some(c) => {
                    url = format!("{base}/v1/edr/alerts?limit=1000&enableCursor=true&excludeTotal=true&cursor={c}")
                }
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, ALERTS, "{ctx}");
        second.kill().unwrap();
        second.wait().unwrap();
        sim.shutdown().await.unwrap();
    }
}
