//! The vendors' own Python SDKs, unmodified, against the simulators: pyTenable's export
//! iterators and falconpy's Spotlight combined query must read exactly the simulator's
//! data. Each test prints why and passes when python3 or the SDK is missing (CI installs
//! both in `.ci/run`).

use std::path::PathBuf;

use serde_json::Value;
use tokio::process::Command;
use tributary_simulators::{RunningSimulator, SimVendor};

use crate::{support::*, vms_support::*};

/// Why the SDK test cannot run here, if it cannot.
async fn missing(module: &str) -> Option<String> {
    let out = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .await;
    match out {
        Err(e) => Some(format!("python3 is not available ({e})")),
        Ok(o) if !o.status.success() => Some(format!(
            "the Python module {module} is not installed (pip install pytenable crowdstrike-falconpy)"
        )),
        Ok(_) => None,
    }
}

/// Runs `tests/sdk/<script>` with the simulator's credentials; its last line of output.
async fn run(script: &str, sim: &RunningSimulator) -> Value {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "sdk", script]
        .iter()
        .collect();
    let out = Command::new("python3")
        .arg(path)
        .arg(sim.credentials().to_string())
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}

#[tokio::test]
async fn pytenable_exports_read_every_finding_and_asset() {
    if let Some(why) = missing("tenable.io").await {
        println!("skipped: {why}");
        return;
    }
    let sim = vms_sim(SimVendor::Tenable, 300, 1500).await;
    let printed = run("tenable_exports.py", &sim).await;
    let all = export_all(&sim, "vulns", all_findings()).await;
    let recent_open = recent_open(&all, sim.control().now());
    let state = |s: &str| all.iter().filter(|r| r["state"] == s).count();
    assert_eq!(printed["findings"], 1500, "{printed}");
    assert_eq!(printed["distinct_findings"], 1500);
    for s in ["OPEN", "FIXED", "REOPENED"] {
        assert_eq!(printed["states"][s], state(s), "{s}: {printed}");
    }
    assert_eq!(printed["default_export"], recent_open);
    assert_eq!(
        (
            printed["assets"].clone(),
            printed["distinct_assets"].clone()
        ),
        (300.into(), 300.into())
    );
    let seen = sim.control().requests();
    let keys = seen
        .iter()
        .filter_map(|r| r.auth.as_deref())
        .filter(|a| a.starts_with("X-ApiKeys"))
        .count();
    assert!(keys >= 10, "pyTenable authenticated with X-ApiKeys: {keys}");
}

#[tokio::test]
async fn falconpy_pages_spotlight_to_the_end() {
    if let Some(why) = missing("falconpy").await {
        println!("skipped: {why}");
        return;
    }
    let sim = vms_sim(SimVendor::CrowdstrikeSpotlight, 60, 450).await;
    let printed = run("spotlight_vulnerabilities.py", &sim).await;
    let tok = cs_token(&sim, &sim.credentials()).await;
    let (all, _) = spotlight_all(
        &sim,
        &tok,
        "updated_timestamp:>'2000-01-01T00:00:00Z'",
        "5000",
        &[],
    )
    .await;
    let open = all
        .iter()
        .filter(|r| r["status"] == "open" || r["status"] == "reopen")
        .count();
    assert_eq!(printed["vulnerabilities"], 450, "{printed}");
    assert_eq!(printed["distinct"], 450);
    assert_eq!(printed["pages"], 7, "70 per page");
    assert_eq!(printed["open_or_reopen"], open);
    assert_eq!(printed["with_cve_facet"], 450);
}
