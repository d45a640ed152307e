//! The identity fault matrix: Okta and Microsoft Entra ID, every row on a fresh credential
//! of their simulators over real HTTP, on SQLite and PostgreSQL. A token that may not read
//! policies is UNAUTHORIZED naming only `policies` while users, groups and applications
//! sync.

use futures::future::join_all;
use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::{
    idp_vendors::{idp_sim, APPS, GROUPS, IDP_VENDORS, USERS},
    support::*,
    sync::*,
};

struct Case {
    label: &'static str,
    /// `APPS` stands for the vendor's applications endpoint name.
    faults: &'static [&'static str],
    health: &'static str,
    owner: &'static str,
    failing: &'static [&'static str],
}

const ALL: &[&str] = &["users", "groups", "applications", "policies"];

const CASES: &[Case] = &[
    Case {
        label: "revoked",
        faults: &["all:revoke"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: ALL,
    },
    Case {
        label: "no-policies",
        faults: &["policies:403"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: &["policies"],
    },
    Case {
        label: "no-applications",
        faults: &["APPS:403"],
        health: "UNAUTHORIZED",
        owner: "CUSTOMER",
        failing: &["applications"],
    },
    Case {
        label: "throttled",
        faults: &["users:429"],
        health: "RATE_LIMIT_EXCEEDED",
        owner: "LEEN",
        failing: &["users"],
    },
    Case {
        label: "briefly-throttled",
        faults: &["users:429x2", "APPS:429x1"],
        health: "HEALTHY",
        owner: "LEEN",
        failing: &[],
    },
    Case {
        label: "outage",
        faults: &["all:503"],
        health: "VENDOR_SERVER_ERROR",
        owner: "VENDOR",
        failing: ALL,
    },
    Case {
        label: "hung",
        faults: &["users:hang"],
        health: "EXECUTION_TIMEOUT",
        owner: "LEEN",
        // Exports run in turn: the others were not reached in time.
        failing: ALL,
    },
];

fn apps_endpoint(vendor: SimVendor) -> &'static str {
    match vendor {
        SimVendor::OktaIdp => "apps",
        // Entra's applications are its service principals (and their assignments).
        _ => "service_principals",
    }
}

#[tokio::test]
async fn every_identity_failure_gets_its_health() {
    for db in backends("idp_health_matrix") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        // An HTTP timeout longer than the job's, so a hang is the job's timeout; the job's
        // is generous, as fourteen connections sync at once on a shared machine.
        config.engine.request_timeout_secs = 60;
        config.engine.retry_max_wait_secs = 1;
        let app = TestApp::spawn_with(db, dir, config).await;
        let org = app.create_org("idp-matrix").await;
        let mut sims = Vec::new();
        let mut runs = Vec::new();
        for (vendor, name) in IDP_VENDORS {
            let sim = idp_sim(vendor).await;
            for case in CASES {
                let faults: Vec<String> = case
                    .faults
                    .iter()
                    .map(|f| f.replace("APPS", apps_endpoint(vendor)))
                    .collect();
                let faults: Vec<&str> = faults.iter().map(String::as_str).collect();
                let creds = sim.control().add_credential(case.label, &faults).unwrap();
                let conn = app
                    .create_connection(
                        &org,
                        json!({"vendor": name, "credentials": creds, "timeout_secs": 30,
                               "identifier": format!("{name}-{}", case.label)}),
                    )
                    .await;
                runs.push((name, case, conn["id"].as_str().unwrap().to_owned()));
            }
            sims.push(sim);
        }
        let jobs = join_all(runs.iter().map(|(_, _, c)| app.first_job(&org, c))).await;
        for ((name, case, conn), job) in runs.iter().zip(&jobs) {
            let c = app.connection(&org, conn).await;
            let h = &c["health"];
            let ctx = format!("{name} {} on {:?}: {h} {job}", case.label, app.backend());
            assert_eq!(h["name"], case.health, "{ctx}");
            assert_eq!(h["resolution_owner"], case.owner, "{ctx}");
            assert_eq!(job["health"], case.health, "{ctx}");
            if case.failing.is_empty() {
                assert_eq!(h["details"], Value::Null, "{ctx}");
                assert_eq!(export(job, "users")["records_upserted"], USERS, "{ctx}");
                continue;
            }
            let details = h["details"].as_array().expect("details when unhealthy");
            let mut got: Vec<&str> = details
                .iter()
                .map(|d| d["data_export_type"].as_str().unwrap())
                .collect();
            got.sort();
            let mut want = case.failing.to_vec();
            want.sort();
            assert_eq!(got, want, "{ctx}");
            for d in details {
                let endpoint = d["endpoint"].as_str().unwrap();
                let kind = d["data_export_type"].as_str().unwrap();
                let endpoints = &export(job, kind)["endpoints"];
                assert!(
                    endpoints.as_array().unwrap().contains(&d["endpoint"])
                        || endpoint.contains("/oauth2/"),
                    "the detail names the failing endpoint: {ctx}"
                );
            }
            match case.label {
                "no-policies" => {
                    assert_eq!(details[0]["http_status"], 403, "{ctx}");
                    for (export_name, n) in
                        [("users", USERS), ("groups", GROUPS), ("applications", APPS)]
                    {
                        assert_eq!(export(job, export_name)["records_upserted"], n, "{ctx}");
                    }
                    // The runbook names what policies need.
                    let resolution = h["resolution"].as_str().unwrap_or_default();
                    assert!(
                        resolution.contains("Policy.Read.All")
                            || resolution.contains("okta.policies.read"),
                        "{ctx}"
                    );
                }
                "no-applications" => {
                    assert_eq!(details[0]["http_status"], 403, "{ctx}");
                    for (export_name, n) in [("users", USERS), ("groups", GROUPS)] {
                        assert_eq!(export(job, export_name)["records_upserted"], n, "{ctx}");
                    }
                    let resolution = h["resolution"].as_str().unwrap_or_default();
                    assert!(
                        resolution.contains("Application.Read.All")
                            || resolution.contains("okta.apps.read"),
                        "{ctx}: {resolution}"
                    );
                }
                "revoked" => assert_eq!(details[0]["http_status"], 401, "{ctx}"),
                "outage" => assert_eq!(details[0]["http_status"], 503, "{ctx}"),
                "throttled" => assert_eq!(details[0]["http_status"], 429, "{ctx}"),
                _ => {}
            }
        }
        for sim in sims {
            sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
