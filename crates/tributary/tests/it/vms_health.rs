//! The VMS health fault matrix (docs/health.md, docs/vms.md): for Tenable, Spotlight and
//! Qualys and Defender Vulnerability Management, on every store, each failure the EDR matrix
//! covers plus each protocol's own (Tenable's export `ERROR`/`CANCELLED`, failed and expired
//! chunks, the 409 naming a running duplicate, the 429 when too many exports run; Spotlight's
//! errors inside a 200 and its expiring `after` token; Qualys' error envelopes inside a 200,
//! 409 codes 1965 and 1960, and answers cut mid-stream; Defender's snapshot failing halfway
//! and its catalogue refused), driven through the simulators over real HTTP; then recovery.

use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::{RunningSimulator, SimVendor};

use crate::{support::*, sync::*, vms::*};

const ASSETS: u64 = 12;
const FINDINGS: u64 = 80;
/// Enough findings for Defender's snapshot to take two pages of 5,000.
const TWO_PAGES: u64 = 8_000;

/// The scanners the matrix covers.
const MATRIX_VENDORS: [(SimVendor, &str); 4] = [
    VMS_VENDORS[0],
    VMS_VENDORS[1],
    VMS_VENDORS[2],
    (SimVendor::MsDefenderVms, "MS_DEFENDER_VMS"),
];

/// Something done at the vendor before the connection syncs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Setup {
    None,
    /// Another client runs an export with other filters, then one with the connector's
    /// own (Tenable refuses ours with 409 naming the second).
    DuplicateRunning,
    /// Ten exports with other filters run (Tenable answers 429 with `retry-after`).
    TooManyRunning,
    /// Nothing at the vendor, but the case syncs thousands of findings: it runs on its
    /// own after the others, so its load does not push theirs past their timeout.
    Alone,
}

/// One row: faults on a fresh credential and the health they must produce.
struct Case {
    label: &'static str,
    faults: Vec<String>,
    health: &'static str,
    owner: &'static str,
    /// The exports named in `details` (empty when healthy).
    failing: Vec<&'static str>,
    /// The HTTP status the first detail carries, where the case fixes one.
    http_status: Option<u64>,
    setup: Setup,
    findings: u64,
}

fn exports(vendor: SimVendor) -> Vec<&'static str> {
    match vendor {
        SimVendor::Tenable => vec!["assets", "vulnerabilities"],
        _ => vec!["vulnerabilities"],
    }
}

fn cases(vendor: SimVendor) -> Vec<Case> {
    // The simulator's endpoint names: the findings', and the first export's.
    let (vulns, first) = match vendor {
        SimVendor::Tenable => ("vulns", "assets"),
        SimVendor::Qualys => ("detections", "detections"),
        // Defender reads its CVE catalogue first, then the snapshot.
        SimVendor::MsDefenderVms => ("machine_vulnerabilities", "vulnerabilities"),
        _ => ("vulnerabilities", "vulnerabilities"),
    };
    // Qualys throttles with 409 (an injected 429 is served as its 409, code 1965).
    let throttled_status = if vendor == SimVendor::Qualys {
        409
    } else {
        429
    };
    let all = exports(vendor);
    let case = |label, faults: &[&str], health, owner, failing: Vec<&'static str>| Case {
        label,
        faults: faults
            .iter()
            .map(|f| f.replace("VULNS", vulns).replace("FIRST", first))
            .collect(),
        health,
        owner,
        failing,
        http_status: None,
        setup: Setup::None,
        findings: FINDINGS,
    };
    let with_status = |mut c: Case, s| {
        c.http_status = Some(s);
        c
    };
    let v = || vec!["vulnerabilities"];
    let mut rows = vec![
        with_status(
            case(
                "revoked",
                &["all:revoke"],
                "UNAUTHORIZED",
                "CUSTOMER",
                all.clone(),
            ),
            401,
        ),
        // Spotlight without "Vulnerabilities: Read"; Tenable without export permission.
        with_status(
            case("no-scope", &["VULNS:403"], "UNAUTHORIZED", "CUSTOMER", v()),
            403,
        ),
        with_status(
            case(
                "throttled",
                &["VULNS:429"],
                "RATE_LIMIT_EXCEEDED",
                "LEEN",
                v(),
            ),
            throttled_status,
        ),
        case(
            "briefly-throttled",
            &["VULNS:429x2"],
            "HEALTHY",
            "LEEN",
            vec![],
        ),
        with_status(
            case(
                "outage",
                &["all:503"],
                "VENDOR_SERVER_ERROR",
                "VENDOR",
                all.clone(),
            ),
            503,
        ),
        with_status(
            case(
                "bad-request",
                &["VULNS:400"],
                "VENDOR_CLIENT_ERROR",
                "LEEN",
                v(),
            ),
            400,
        ),
        // Exports run in turn: one not reached in time did not complete either.
        case(
            "hung",
            &["FIRST:hang"],
            "EXECUTION_TIMEOUT",
            "LEEN",
            all.clone(),
        ),
    ];
    match vendor {
        SimVendor::Tenable => {
            rows.extend([
                case(
                    "export-error",
                    &["vulns:export_error"],
                    "VENDOR_SERVER_ERROR",
                    "VENDOR",
                    v(),
                ),
                case(
                    "export-cancelled",
                    &["vulns:export_cancelled"],
                    "VENDOR_SERVER_ERROR",
                    "VENDOR",
                    v(),
                ),
                case(
                    "chunks-failed",
                    &["vulns:chunks_failed"],
                    "VENDOR_SERVER_ERROR",
                    "VENDOR",
                    v(),
                ),
                // One expired chunk: the export runs again and every finding lands.
                case(
                    "chunk-expired-once",
                    &["vulns:chunk_expiredx1"],
                    "HEALTHY",
                    "LEEN",
                    vec![],
                ),
                // Chunks that expire in every export: Tenable's side.
                with_status(
                    case(
                        "chunks-expiring",
                        &["vulns:chunk_expired"],
                        "VENDOR_SERVER_ERROR",
                        "VENDOR",
                        v(),
                    ),
                    404,
                ),
            ]);
            let mut duplicate = case("duplicate-export", &[], "HEALTHY", "LEEN", vec![]);
            duplicate.setup = Setup::DuplicateRunning;
            let mut busy = with_status(
                case("too-many-exports", &[], "RATE_LIMIT_EXCEEDED", "LEEN", v()),
                429,
            );
            busy.setup = Setup::TooManyRunning;
            rows.extend([duplicate, busy]);
        }
        SimVendor::Qualys => {
            rows.extend([
                // An error envelope inside a 200 (an expired account) is never healthy.
                with_status(
                    case(
                        "error-in-200",
                        &["detections:error_in_200"],
                        "UNAUTHORIZED",
                        "CUSTOMER",
                        v(),
                    ),
                    200,
                ),
                with_status(
                    case(
                        "kb-error-in-200",
                        &["knowledge_base:error_in_200"],
                        "UNAUTHORIZED",
                        "CUSTOMER",
                        v(),
                    ),
                    200,
                ),
                // 409 code 1965 asking for hours: no job waits that long.
                with_status(
                    case(
                        "rate-limit-1965",
                        &["detections:rate_limited"],
                        "RATE_LIMIT_EXCEEDED",
                        "LEEN",
                        v(),
                    ),
                    409,
                ),
                // 409 code 1960 twice: the running call ends, the retry goes through.
                case(
                    "concurrency-1960",
                    &["detections:concurrency_limitedx2"],
                    "HEALTHY",
                    "LEEN",
                    vec![],
                ),
                // Cut once: resumed from the host being read, every finding once.
                case(
                    "cut-once",
                    &["detections:cut_mid_streamx1"],
                    "HEALTHY",
                    "LEEN",
                    vec![],
                ),
                // Cut on every answer: the retries run out, the vendor's side.
                case(
                    "cut-always",
                    &["detections:cut_mid_stream"],
                    "VENDOR_SERVER_ERROR",
                    "VENDOR",
                    v(),
                ),
            ]);
        }
        SimVendor::MsDefenderVms => {
            // A later page of the snapshot fails: the job fails, nothing is marked fixed.
            let mut fails = with_status(
                case(
                    "snapshot-fails",
                    &["machine_vulnerabilities:snapshot_fails"],
                    "VENDOR_SERVER_ERROR",
                    "VENDOR",
                    v(),
                ),
                500,
            );
            fails.findings = TWO_PAGES;
            fails.setup = Setup::Alone;
            let mut cut = case(
                "snapshot-cut",
                &["machine_vulnerabilities:snapshot_cut"],
                "VENDOR_SERVER_ERROR",
                "VENDOR",
                v(),
            );
            cut.findings = TWO_PAGES;
            cut.setup = Setup::Alone;
            // Without Vulnerability.Read.All the catalogue is refused first.
            let catalogue = with_status(
                case(
                    "catalogue-forbidden",
                    &["vulnerabilities:403"],
                    "UNAUTHORIZED",
                    "CUSTOMER",
                    v(),
                ),
                403,
            );
            rows.extend([fails, cut, catalogue]);
        }
        _ => {
            rows.push(with_status(
                case(
                    "error-in-200",
                    &["vulnerabilities:error_in_200"],
                    "UNAUTHORIZED",
                    "CUSTOMER",
                    v(),
                ),
                403,
            ));
            // More than a page of open findings, so there is an `after` token to expire.
            let mut expired = case(
                "after-expired",
                &["vulnerabilities:after_expiredx1"],
                "HEALTHY",
                "LEEN",
                vec![],
            );
            expired.findings = 5_000;
            rows.push(expired);
        }
    }
    rows
}

/// Tenable's `X-ApiKeys` for the simulator's own credential.
fn tenable_keys(sim: &RunningSimulator) -> String {
    let creds = sim.credentials();
    format!(
        "accessKey={};secretKey={}",
        creds["access_key"].as_str().unwrap(),
        creds["secret_key"].as_str().unwrap()
    )
}

/// Starts a vulns export at the Tenable simulator as another client would; its uuid.
async fn start_export(sim: &RunningSimulator, body: Value) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/vulns/export", sim.base_url()))
        .header("X-ApiKeys", tenable_keys(sim))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let created: Value = resp.json().await.unwrap();
    created["export_uuid"].as_str().unwrap().to_owned()
}

async fn prepare(sim: &RunningSimulator, setup: Setup) {
    match setup {
        Setup::None | Setup::Alone => {}
        Setup::DuplicateRunning => {
            // An older running export with other filters: adopting "whatever runs"
            // would read fixed findings instead of open ones.
            start_export(
                sim,
                json!({"num_assets": 500, "filters": {"since": 0, "state": ["FIXED"]}}),
            )
            .await;
            // The connector's first request, exactly (crates/connectors tenable client).
            start_export(
                sim,
                json!({"num_assets": 500,
                       "filters": {"since": 0, "state": ["OPEN", "REOPENED"]}}),
            )
            .await;
        }
        Setup::TooManyRunning => {
            for i in 0..10 {
                start_export(sim, json!({"num_assets": 60 + i, "filters": {"since": 0}})).await;
            }
        }
    }
}

/// An app whose HTTP timeout outlasts the job timeout, so a hang is the job's.
async fn health_app(db: tributary_store::testing::TestDatabase) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.engine.request_timeout_secs = 30;
    config.engine.retry_max_wait_secs = 1;
    TestApp::spawn_with(db, dir, config).await
}

struct Run {
    vendor: SimVendor,
    name: &'static str,
    case: Case,
    sim: RunningSimulator,
    open: usize,
    conn: String,
}

#[tokio::test]
async fn every_scanner_failure_gets_its_health_and_recovery_clears_it() {
    for db in backends("vms_health_matrix") {
        let app = health_app(db).await;
        let org = app.create_org("vms-matrix").await;
        let connect = |name: &str, label: &str, creds: Value| {
            let app = &app;
            let org = &org;
            // The hang is bounded by the job's timeout; every other case gets room to
            // finish while a score of connections sync at once on a loaded machine.
            let timeout = if label == "hung" { 10 } else { 120 };
            let body = json!({"vendor": name, "credentials": creds, "timeout_secs": timeout,
                              "identifier": format!("{name}-{label}")});
            async move {
                let conn = app.create_connection(org, body).await;
                conn["id"].as_str().unwrap().to_owned()
            }
        };
        let (mut runs, mut later) = (Vec::new(), Vec::new());
        for (vendor, name) in MATRIX_VENDORS {
            for case in cases(vendor) {
                // A simulator per case: Tenable's export limits are per container, so
                // cases sharing one would adopt or crowd out each other's exports.
                let sim = vms_sim(vendor, ASSETS, case.findings).await;
                let open = open_at_vendor(&sim, vendor).await;
                let faults: Vec<&str> = case.faults.iter().map(String::as_str).collect();
                let creds = sim.control().add_credential(case.label, &faults).unwrap();
                if case.setup != Setup::None {
                    later.push((vendor, name, case, sim, open, creds));
                    continue;
                }
                let conn = connect(name, case.label, creds).await;
                runs.push(Run {
                    vendor,
                    name,
                    case,
                    sim,
                    open,
                    conn,
                });
            }
        }
        // All connections sync at once; the hang bounds the wait.
        let mut jobs = join_all(runs.iter().map(|r| app.first_job(&org, &r.conn))).await;
        // Cases that need other clients' exports running at the vendor: one at a time,
        // the exports started just before the job (the simulator ends an export nobody
        // polls after a few tens of seconds; queued behind the hang, the job could miss it).
        for (vendor, name, case, sim, open, creds) in later {
            prepare(&sim, case.setup).await;
            let conn = connect(name, case.label, creds).await;
            jobs.push(app.first_job(&org, &conn).await);
            runs.push(Run {
                vendor,
                name,
                case,
                sim,
                open,
                conn,
            });
        }
        for (run, job) in runs.iter().zip(&jobs) {
            let (case, conn) = (&run.case, &run.conn);
            let c = app.connection(&org, conn).await;
            let h = &c["health"];
            let ctx = format!(
                "{} {} on {:?}: {h} {job}",
                run.name,
                case.label,
                app.backend()
            );
            assert_eq!(h["name"], case.health, "{ctx}");
            assert_eq!(h["resolution_owner"], case.owner, "{ctx}");
            if run.vendor == SimVendor::MsDefenderVms && case.health == "UNAUTHORIZED" {
                // The runbook names the permission and how it is granted.
                let resolution = h["resolution"].as_str().unwrap_or_default();
                assert!(resolution.contains("Vulnerability.Read.All"), "{ctx}");
                assert!(resolution.contains("Grant admin consent"), "{ctx}");
            }
            assert_eq!(job["health"], case.health, "{ctx}");
            if case.failing.is_empty() {
                assert_eq!(h["details"], Value::Null, "{ctx}");
                let upserted = export(job, "vulnerabilities")["records_upserted"]
                    .as_u64()
                    .unwrap() as usize;
                let stored = app.all_findings(conn, "").await;
                let vendor_ids: std::collections::HashSet<&str> = stored
                    .iter()
                    .map(|f| f["vendor_id"].as_str().unwrap())
                    .collect();
                assert_eq!(vendor_ids.len(), stored.len(), "no duplicates: {ctx}");
                let answered = |status: u16, path: &str| {
                    run.sim.control().requests().iter().any(|r| {
                        r.credential.as_deref() == Some(case.label)
                            && r.status == Some(status)
                            && r.path.contains(path)
                    })
                };
                match case.label {
                    // The protocol signal really happened, and was survived.
                    "duplicate-export" => assert!(answered(409, "/vulns/export"), "{ctx}"),
                    "chunk-expired-once" => assert!(answered(404, "/chunks/"), "{ctx}"),
                    "after-expired" => assert!(answered(404, "/spotlight/"), "{ctx}"),
                    "concurrency-1960" => assert!(answered(409, "/detection/"), "{ctx}"),
                    _ => {}
                }
                if case.label == "after-expired" {
                    // The restarted query reads from the last page's latest update,
                    // whatever the state: every open finding, and some fixed ones.
                    let open = stored.iter().filter(|f| f["state"] != "FIXED").count();
                    assert!(open >= run.open && upserted >= run.open, "{ctx}");
                    assert!(run.open > 1000, "more than one page: {ctx}");
                } else {
                    assert_eq!(upserted, run.open, "every open finding: {ctx}");
                    assert_eq!(stored.len(), run.open, "{ctx}");
                }
                continue;
            }
            let details = h["details"].as_array().expect("details when unhealthy");
            let mut got: Vec<&str> = details
                .iter()
                .map(|d| d["data_export_type"].as_str().unwrap())
                .collect();
            let mut want = case.failing.clone();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{ctx}");
            for d in details {
                let kind = d["data_export_type"].as_str().unwrap();
                let endpoints = &export(job, kind)["endpoints"];
                let endpoint = d["endpoint"].as_str().unwrap();
                assert!(
                    endpoints.as_array().unwrap().contains(&d["endpoint"])
                        || endpoint.contains("/oauth2/"),
                    "the detail names the failing endpoint: {ctx}"
                );
                assert!(
                    d["message"].as_str().is_some_and(|m| !m.is_empty()),
                    "{ctx}"
                );
            }
            if let Some(status) = case.http_status {
                assert_eq!(details[0]["http_status"], status, "{ctx}");
            }
            if run.vendor == SimVendor::Tenable && !case.failing.contains(&"assets") {
                // Only the findings failed: the assets synced all the same.
                assert_eq!(export(job, "assets")["records_upserted"], ASSETS, "{ctx}");
                let (_, devices) = app.edr(conn, "devices", "limit=1").await;
                assert_eq!(devices["total"], ASSETS, "{ctx}");
            }
        }

        // Recovery: the vendor stops failing → the next job is HEALTHY with every finding.
        for run in &runs {
            if !matches!(run.case.label, "no-scope" | "outage" | "export-error") {
                continue;
            }
            run.sim.control().clear_faults(Some(run.case.label), None);
            let job = app.run_job(&org, &run.conn).await;
            let c = app.connection(&org, &run.conn).await;
            let ctx = format!("{} {} recovery: {c} {job}", run.name, run.case.label);
            assert_eq!(c["health"]["name"], "HEALTHY", "{ctx}");
            assert_eq!(c["health"]["details"], Value::Null, "{ctx}");
            assert_eq!(c["health"]["consecutive_failures"], 0, "{ctx}");
            assert_eq!(
                export(&job, "vulnerabilities")["records_upserted"],
                run.open,
                "{ctx}"
            );
        }

        let (s, list) = app
            .get(&format!(
                "{}?healthStatusCodes=EXECUTION_TIMEOUT&limit=100",
                connections_path(&org)
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["total"], MATRIX_VENDORS.len(), "{list}");
        for run in runs {
            run.sim.shutdown().await.unwrap();
        }
        app.stop().await;
    }
}
