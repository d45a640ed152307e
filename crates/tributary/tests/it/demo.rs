//! `tributary demo` as a newcomer runs it: a real process, real ports, its SQLite data
//! directory; every demo connection reaches the health it is meant to show; Ctrl-C (here
//! SIGTERM) stops it cleanly; a second run reuses the data with a fresh key.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

struct Demo {
    child: Child,
    info: Value,
}

/// Starts the demo on a free port (the simulators take the next eight; retried on a clash).
fn start_demo(data_dir: &std::path::Path) -> Demo {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port > 65_000 {
            continue;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_tributary"))
            .args(["demo", "--json", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("DATABASE_URL")
            .env_remove("TRIBUTARY_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if let Ok(info) = serde_json::from_str::<Value>(&line) {
            return Demo { child, info };
        }
        let _ = child.wait();
    }
    panic!("the demo did not start on any of five ports");
}

fn stop(mut demo: Demo) {
    let status = Command::new("kill")
        .args(["-TERM", &demo.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            assert!(status.success(), "the demo exits cleanly: {status}");
            return;
        }
        assert!(Instant::now() < deadline, "the demo did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo organization's connections, as the API lists them.
async fn connection_items(client: &reqwest::Client, info: &Value) -> Vec<Value> {
    let url = format!(
        "{}/v1/provisioning/organizations/{}/connections",
        info["api_url"].as_str().unwrap(),
        info["organization_id"].as_str().unwrap()
    );
    let page: Value = client
        .get(url)
        .header("X-API-KEY", info["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn connections(client: &reqwest::Client, info: &Value) -> Vec<(String, Option<String>)> {
    let mut out: Vec<_> = connection_items(client, info)
        .await
        .iter()
        .map(|c| {
            (
                c["identifier"].as_str().unwrap().to_owned(),
                c["health"]["name"].as_str().map(str::to_owned),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_demo_shows_healthy_and_failing_connections_and_restarts_on_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo-data");
    let demo = start_demo(&data);
    let client = reqwest::Client::new();
    let want: Vec<(String, Option<String>)> = [
        ("defender-vms-prod", "HEALTHY"),
        ("entra-no-policies", "UNAUTHORIZED"),
        ("falcon-eu-outage", "VENDOR_SERVER_ERROR"),
        ("falcon-prod", "HEALTHY"),
        ("mde-prod", "HEALTHY"),
        ("mde-throttled", "RATE_LIMIT_EXCEEDED"),
        ("okta-prod", "HEALTHY"),
        ("qualys-prod", "HEALTHY"),
        ("s1-prod", "HEALTHY"),
        ("s1-viewer-missing-threats", "UNAUTHORIZED"),
        ("spotlight-missing-vulnerabilities-scope", "UNAUTHORIZED"),
        ("tenable-prod", "HEALTHY"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), Some(b.to_string())))
    .collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut got = connections(&client, &demo.info).await;
    while got != want {
        assert!(Instant::now() < deadline, "demo connections: {got:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        got = connections(&client, &demo.info).await;
    }
    // The failing scanner names only its vulnerabilities export; the healthy one serves
    // findings.
    let items = connection_items(&client, &demo.info).await;
    let by_name = |name: &str| {
        items
            .iter()
            .find(|c| c["identifier"] == name)
            .unwrap_or_else(|| panic!("{name} in {items:?}"))
            .clone()
    };
    let spotlight = by_name("spotlight-missing-vulnerabilities-scope");
    let details = spotlight["health"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{spotlight}");
    assert_eq!(
        details[0]["data_export_type"], "vulnerabilities",
        "{spotlight}"
    );
    assert_eq!(details[0]["http_status"], 403, "{spotlight}");
    assert_eq!(spotlight["health"]["resolution_owner"], "CUSTOMER");
    for scanner in ["tenable-prod", "qualys-prod", "defender-vms-prod"] {
        let conn = by_name(scanner);
        let findings: Value = client
            .get(format!(
                "{}/v2/vulnerability_findings?limit=5",
                demo.info["api_url"].as_str().unwrap()
            ))
            .header("X-API-KEY", demo.info["api_key"].as_str().unwrap())
            .header("X-CONNECTION-ID", conn["id"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            findings["items"].as_array().unwrap().len(),
            5,
            "{scanner}: {findings}"
        );
        // Defender's snapshot syncs as findings too, under its own vendor name.
        if scanner == "defender-vms-prod" {
            assert_eq!(
                findings["items"][0]["vendor"], "ms_defender_vms",
                "{findings}"
            );
        }
    }
    let dashboard = client
        .get(demo.info["dashboard_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(dashboard.status().is_success());
    assert_eq!(demo.info["reused"], false);
    let first_key = demo.info["api_key"].as_str().unwrap().to_owned();
    stop(demo);

    // Again, on the same data: same organization and connections, a new key.
    let demo = start_demo(&data);
    assert_eq!(demo.info["reused"], true);
    assert_ne!(demo.info["api_key"], first_key.as_str());
    assert_eq!(connections(&client, &demo.info).await.len(), 12);
    stop(demo);
}
