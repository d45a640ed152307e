//! Scale-out on PostgreSQL: two `tributary serve` processes share one database; jobs are
//! claimed with `FOR UPDATE SKIP LOCKED`, so both work, no job runs twice, and every
//! connection is synced exactly once per request.

use std::{
    collections::HashSet,
    io::{BufRead, BufReader},
    process::{Child, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use tributary_simulators::{spawn, SimConfig};
use tributary_store::testing::TestDatabase;

use crate::{
    process::{create_account, get, post, tributary},
    sync::VENDORS,
};

/// A worker process whose "job started" log lines are collected.
fn worker(
    db: &TestDatabase,
    data: &std::path::Path,
    roles: &str,
) -> (Child, Arc<Mutex<Vec<String>>>) {
    let mut child = tributary(db, data)
        .env("TRIBUTARY_ROLES", roles)
        .env("TRIBUTARY_ENGINE__WORKERS", "2")
        .env("TRIBUTARY_LOG_FORMAT", "json")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let started = Arc::new(Mutex::new(Vec::new()));
    let sink = started.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v["fields"]["message"] == "job started" {
                    sink.lock()
                        .unwrap()
                        .push(v["fields"]["job"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
    });
    (child, started)
}

#[tokio::test]
async fn two_worker_processes_share_the_queue_without_running_a_job_twice() {
    let Some(db) = TestDatabase::postgres("scale_out") else {
        return; // the skip message is printed by TestDatabase::postgres
    };
    let dir = tempfile::tempdir().unwrap();
    let key = create_account(&db, dir.path(), "scale");
    // An API-only process, and two worker processes A and B.
    let (mut api, base) = crate::process::serve_with({
        let mut c = tributary(&db, dir.path());
        c.env("TRIBUTARY_ROLES", "api");
        c
    });
    let (mut a, a_jobs) = worker(&db, dir.path(), "worker,scheduler");
    let (mut b, b_jobs) = worker(&db, dir.path(), "worker,scheduler");
    let client = reqwest::Client::new();
    let post = |path: String, body: Value| post(&client, format!("{base}/v1{path}"), &key, body);
    let org = post("/provisioning/organizations".into(), json!({"name": "o"})).await;
    let org = org["id"].as_str().unwrap().to_owned();
    let mut sims = Vec::new();
    let mut conns = Vec::new();
    for (vendor, name) in VENDORS {
        let sim = spawn(SimConfig::new(vendor).devices(20).alerts(300))
            .await
            .unwrap();
        for _ in 0..3 {
            let c = post(
                format!("/provisioning/organizations/{org}/connections"),
                json!({"vendor": name, "credentials": sim.credentials()}),
            )
            .await;
            conns.push(c["id"].as_str().unwrap().to_owned());
        }
        sims.push(sim);
    }
    // Every connection's first job finishes, once.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut all_jobs = Vec::new();
    for conn in &conns {
        let url = format!("{base}/v1/provisioning/organizations/{org}/connections/{conn}/jobs");
        loop {
            let jobs = get(&client, url.clone(), &key, None).await;
            let items = jobs["items"].as_array().cloned().unwrap_or_default();
            if !items.is_empty() && items.iter().all(|j| j["finished_at"].is_string()) {
                assert_eq!(items.len(), 1, "one job per new connection: {jobs}");
                assert_eq!(items[0]["status"], "SUCCEEDED", "{jobs}");
                assert_eq!(items[0]["attempts"], 1, "{jobs}");
                all_jobs.push(items[0]["id"].as_str().unwrap().to_owned());
                break;
            }
            assert!(Instant::now() < deadline, "jobs never finished: {jobs}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let ran_a: Vec<String> = a_jobs.lock().unwrap().clone();
    let ran_b: Vec<String> = b_jobs.lock().unwrap().clone();
    let both: HashSet<&String> = ran_a.iter().collect::<HashSet<_>>();
    assert!(
        ran_b.iter().all(|j| !both.contains(j)),
        "no job ran in both processes: {ran_a:?} {ran_b:?}"
    );
    assert_eq!(
        ran_a.len() + ran_b.len(),
        conns.len(),
        "{ran_a:?} {ran_b:?}"
    );
    assert!(
        !ran_a.is_empty() && !ran_b.is_empty(),
        "both processes worked: A {} jobs, B {} jobs",
        ran_a.len(),
        ran_b.len()
    );
    for c in [&mut api, &mut a, &mut b] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    for s in sims {
        s.shutdown().await.unwrap();
    }
}
