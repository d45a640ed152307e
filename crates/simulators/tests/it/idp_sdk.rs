//! The vendors' own Python SDKs, unmodified, against the simulators: Okta's `okta`
//! package lists every user and group, Microsoft's `msgraph-sdk` (with `azure-identity`'s
//! ClientSecretCredential) lists users and groups and runs a users delta query to its
//! deltaLink. Each test skips, saying why, when python3 or the SDK is missing (CI
//! installs them: `.ci/run`).

use std::{path::PathBuf, process::Command, time::Duration};

use serde_json::Value;
use tributary_simulators::SimVendor;

use crate::idp_support::idp_sim;

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(name)
}

/// Why the SDK cannot run here, if it cannot.
fn missing(modules: &[&str]) -> Option<String> {
    let imports = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    match Command::new("python3").args(["-c", &imports]).output() {
        Err(e) => Some(format!("python3 is not available ({e})")),
        Ok(out) if !out.status.success() => {
            Some(format!(
            "python3 cannot import {modules:?} (pip install okta msgraph-sdk azure-identity): {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ))
        }
        Ok(_) => None,
    }
}

/// Runs `name` with `args` and reads the JSON object it prints last.
async fn run(name: &str, args: Vec<String>) -> Value {
    let path = script(name);
    let out = tokio::time::timeout(
        Duration::from_secs(600),
        tokio::task::spawn_blocking(move || Command::new("python3").arg(path).args(args).output()),
    )
    .await
    .expect("the SDK script finishes within ten minutes")
    .expect("joined")
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{name} printed {last:?}: {e}"))
}

#[tokio::test]
async fn okta_sdk_lists_every_user_and_group() {
    if let Some(why) = missing(&["okta"]) {
        eprintln!("skipping the Okta SDK test: {why}");
        return;
    }
    let sim = idp_sim(SimVendor::OktaIdp, 1234, 57, 300).await;
    let creds = sim.credentials();
    let args = vec![
        creds["domain"].as_str().unwrap().to_owned(),
        creds["api_token"].as_str().unwrap().to_owned(),
    ];
    let counts = run("okta_list.py", args).await;
    assert_eq!(counts["users"], 1234, "{counts}");
    assert_eq!(counts["distinct_users"], 1234);
    assert_eq!(counts["user_pages"], 7, "200 per page");
    assert_eq!(counts["groups"], 57);
    assert_eq!(counts["group_pages"], 2, "50 per page");
    assert!(counts["first_login"].as_str().unwrap().contains('@'));
}

#[tokio::test]
async fn graph_sdk_lists_users_and_groups_and_runs_a_delta_query() {
    if let Some(why) = missing(&["msgraph", "azure.identity", "cryptography"]) {
        eprintln!("skipping the Microsoft Graph SDK test: {why}");
        return;
    }
    let sim = idp_sim(SimVendor::MsEntra, 345, 23, 200).await;
    let c = sim.credentials();
    let args = [
        "login_base_url",
        "graph_base_url",
        "tenant_id",
        "client_id",
        "client_secret",
    ]
    .iter()
    .map(|k| c[*k].as_str().unwrap().to_owned())
    .collect();
    let counts = run("graph_list.py", args).await;
    assert_eq!(counts["users"], 345, "{counts}");
    assert_eq!(counts["distinct_users"], 345);
    assert_eq!(counts["user_pages"], 4, "100 per page by default");
    assert_eq!(counts["groups"], 23);
    assert_eq!(counts["delta_users"], 345);
    assert_eq!(counts["delta_pages"], 4);
    assert_eq!(counts["delta_link"], true);
    let requests = sim.control().requests();
    assert!(requests
        .iter()
        .any(|r| r.path.ends_with("/oauth2/v2.0/token") && r.status == Some(200)));
}
