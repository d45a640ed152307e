//! Advisories (docs/health.md): each code driven through the simulators over real HTTP
//! on every store — raised with its evidence, listed in the API, the history, the
//! dashboard and signed webhooks, filtered on, and cleared — plus the no-false-alarms
//! run: a steady healthy connection over many stepped jobs raises none.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_engine::webhooks::signing::verify;
use tributary_simulators::{spawn, RunningSimulator, SimConfig, SimVendor};

use crate::{receiver::Receiver, support::*, sync::*};

const S1: &str = "SENTINELONE";

fn advisories(c: &Value) -> Vec<(String, Option<String>)> {
    c["health"]["advisories"]
        .as_array()
        .unwrap_or_else(|| panic!("health.advisories is an array: {c}"))
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["data_export_type"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn advisory<'a>(c: &'a Value, code: &str) -> &'a Value {
    c["health"]["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {c}"))
}

fn pair(code: &str, export: Option<&str>) -> (String, Option<String>) {
    (code.to_owned(), export.map(str::to_owned))
}

/// Connection ids the list returns for `query`.
async fn listed(app: &TestApp, org: &str, query: &str) -> (StatusCode, Value) {
    app.get(&format!("{}?{query}", connections_path(org))).await
}

/// The history's advisory entries, oldest first: (change, code).
async fn advisory_history(app: &TestApp, org: &str, conn: &str) -> Vec<(String, String)> {
    let (s, page) = app
        .get(&format!(
            "{}/{conn}/health/history?limit=1000",
            connections_path(org)
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut out: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["advisory_change"].is_null())
        .map(|e| {
            (
                e["advisory_change"].as_str().unwrap().to_owned(),
                e["advisory"]["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn rate_limits_and_quarantined_records_are_advised_signed_and_filterable() {
    for db in backends("advisories_rate_quarantine") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("advised").await;
        let receiver = Receiver::start(200).await;
        let (s, hook) = app
            .post(
                "/v1/webhooks",
                json!({"url": receiver.url(), "event_types":
                    ["connection.advisory_raised", "connection.advisory_cleared"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{hook}");
        let secret = hook["secret"].as_str().unwrap().to_owned();
        let sim = sim(SimVendor::Sentinelone, 12, 40).await;
        let throttled = sim
            .control()
            .add_credential("throttled", &["threats:429x2"])
            .unwrap();
        let malformed = sim
            .control()
            .add_credential("malformed", &["threats:malformed"])
            .unwrap();
        let throttled = app.connect(&org, S1, throttled).await;
        let malformed = app.connect(&org, S1, malformed).await;
        let steady = app.connect(&org, S1, sim.credentials()).await;
        for c in [&throttled, &malformed, &steady] {
            app.first_job(&org, c).await;
        }

        // 429s that cleared: HEALTHY, with RATE_LIMITED and what the 429s cost.
        let c = app.connection(&org, &throttled).await;
        assert_eq!(c["health"]["name"], "HEALTHY", "{c}");
        assert_eq!(
            advisories(&c),
            [pair("RATE_LIMITED", Some("alerts"))],
            "{c}"
        );
        let a = advisory(&c, "RATE_LIMITED");
        assert_eq!(a["resolution_owner"], "LEEN", "{a}");
        assert_eq!(a["evidence"]["responses_429"], 2, "{a}");
        let waited = a["evidence"]["seconds_waited"].as_f64().unwrap();
        // SentinelOne sends no Retry-After: the backoff (20 ms base in tests), twice.
        assert!(waited > 0.0 && waited < 10.0, "{a}");
        eprintln!("RATE_LIMITED on {:?}: {}", app.backend(), a["evidence"]);

        // Quarantined records: INTERNAL_ERROR for the job, QUARANTINED_RECORDS with a
        // redacted sample; the advisory outlives the recovery (the records are still
        // missing).
        let c = app.connection(&org, &malformed).await;
        assert_eq!(c["health"]["name"], "INTERNAL_ERROR", "{c}");
        let a = advisory(&c, "QUARANTINED_RECORDS").clone();
        assert_eq!(a["data_export_type"], "alerts", "{a}");
        let quarantined = a["evidence"]["quarantined_in_window"].as_u64().unwrap();
        assert!(quarantined >= 1, "{a}");
        let sample = a["evidence"]["sample"].as_str().unwrap();
        let (s, entries) = app.get(sample).await;
        assert_eq!(s, StatusCode::OK, "{entries}");
        let entries = entries.as_array().unwrap();
        assert_eq!(entries.len() as u64, quarantined, "{entries:?}");
        let text = Value::Array(entries.clone()).to_string();
        assert!(
            !text.contains("record unavailable"),
            "values never shown: {text}"
        );
        assert!(text.contains("<string>"), "{text}");
        let (s, bad) = app.get(&format!("{sample}&limit=0")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        sim.control().clear_faults(Some("malformed"), None);
        sim.control().clear_faults(Some("throttled"), None);
        for c in [&throttled, &malformed] {
            app.run_job(&org, c).await;
        }
        let c = app.connection(&org, &malformed).await;
        assert_eq!(c["health"]["name"], "HEALTHY", "{c}");
        assert_eq!(
            advisories(&c),
            [pair("QUARANTINED_RECORDS", Some("alerts"))]
        );
        assert_eq!(advisory(&c, "QUARANTINED_RECORDS")["since"], a["since"]);
        let c = app.connection(&org, &throttled).await;
        assert!(advisories(&c).is_empty(), "a clean run clears it: {c}");
        assert_eq!(
            advisory_history(&app, &org, &throttled).await,
            [
                ("raised".to_owned(), "RATE_LIMITED".to_owned()),
                ("cleared".to_owned(), "RATE_LIMITED".to_owned())
            ]
        );

        // The list filter: by code, several codes, an unknown code is a 422.
        let (s, list) = listed(&app, &org, "advisoryCodes=QUARANTINED_RECORDS").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["items"][0]["id"], malformed.as_str());
        let (_, list) = listed(&app, &org, "advisoryCodes=RATE_LIMITED,VOLUME_DROP").await;
        assert_eq!(list["total"], 0, "{list}");
        let (s, bad) = listed(&app, &org, "advisoryCodes=NOT_A_CODE").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(bad.to_string().contains("advisoryCodes"), "{bad}");

        // Signed webhooks: raised twice, cleared once.
        // One delivery per endpoint at a time (ordering): step the sender until done.
        for _ in 0..20 {
            if app.deliver().await == 0 {
                break;
            }
        }
        let got = receiver
            .wait_for(3, std::time::Duration::from_secs(10))
            .await;
        let mut kinds: Vec<(String, String)> = got
            .iter()
            .map(|r| {
                let ts: i64 = r.header("webhook-timestamp").parse().unwrap();
                assert!(verify(
                    &secret,
                    &r.header("webhook-id"),
                    ts,
                    &r.body,
                    &r.header("webhook-signature")
                ));
                let v = r.json();
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["data"]["advisory"]["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                ("connection.advisory_cleared".into(), "RATE_LIMITED".into()),
                (
                    "connection.advisory_raised".into(),
                    "QUARANTINED_RECORDS".into()
                ),
                ("connection.advisory_raised".into(), "RATE_LIMITED".into()),
            ]
        );
        let c = app.connection(&org, &steady).await;
        assert!(advisories(&c).is_empty(), "{c}");
        receiver.stop();
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn no_new_data_is_learned_per_export_and_cleared_by_new_data() {
    for db in backends("advisories_no_new_data") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("quiet").await;
        let sim = sim(SimVendor::Sentinelone, 12, 40).await;
        let conn = app.connect(&org, S1, sim.credentials()).await;
        app.first_job(&org, &conn).await;
        // History: data on most runs, one quiet run: a stretch of 1 is normal here.
        for tick in [true, true, true, false, true] {
            if tick {
                sim.control().tick();
            }
            let job = app.run_job(&org, &conn).await;
            assert_eq!(job["health"], "HEALTHY", "{job}");
        }
        // Threats come back as valid empty pages while agents keep changing.
        sim.control().fault("threats:empty").unwrap();
        let mut raised_at = None;
        for run in 1..=6 {
            sim.control().tick();
            let job = app.run_job(&org, &conn).await;
            assert_eq!(job["health"], "HEALTHY", "{job}");
            assert_eq!(export(&job, "alerts")["records_upserted"], 0, "{job}");
            let c = app.connection(&org, &conn).await;
            if !advisories(&c).is_empty() {
                raised_at = Some(run);
                assert_eq!(advisories(&c), [pair("NO_NEW_DATA", Some("alerts"))], "{c}");
                let e = &advisory(&c, "NO_NEW_DATA")["evidence"];
                assert_eq!(e["silent_runs"], 6, "{e}");
                assert_eq!(e["normal_silent_runs"], 1, "{e}");
                assert_eq!(e["threshold_runs"], 6, "{e}");
                assert_eq!(advisory(&c, "NO_NEW_DATA")["resolution_owner"], "CUSTOMER");
                break;
            }
        }
        assert_eq!(
            raised_at,
            Some(6),
            "raised on the 6th silent run, not before"
        );
        let (_, list) = listed(&app, &org, "advisoryCodes=NO_NEW_DATA").await;
        assert_eq!(list["total"], 1, "{list}");

        // New data clears it.
        sim.control().clear_faults(None, Some("threats"));
        sim.control().tick();
        let job = app.run_job(&org, &conn).await;
        assert!(export(&job, "alerts")["records_upserted"].as_u64().unwrap() > 0);
        let c = app.connection(&org, &conn).await;
        assert!(advisories(&c).is_empty(), "{c}");
        assert_eq!(
            advisory_history(&app, &org, &conn).await,
            [
                ("raised".to_owned(), "NO_NEW_DATA".to_owned()),
                ("cleared".to_owned(), "NO_NEW_DATA".to_owned())
            ]
        );
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

async fn okta(users: u64) -> RunningSimulator {
    spawn(SimConfig::new(SimVendor::OktaIdp).count("users", users))
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn a_complete_listing_that_shrinks_raises_volume_drop() {
    for db in backends("advisories_volume_drop") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("shrinking").await;
        let sim = okta(60).await;
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "OKTA_IDP", "credentials": sim.credentials(),
                       "options": {"reconcile_every_hours": 0}}),
            )
            .await;
        let conn = conn["id"].as_str().unwrap().to_owned();
        app.first_job(&org, &conn).await;
        for _ in 0..3 {
            let job = app.run_job(&org, &conn).await;
            assert_eq!(export(&job, "users")["full_listing"], true, "{job}");
            assert_eq!(export(&job, "users")["records_received"], 60, "{job}");
        }
        sim.control().fault("users:shrink=50").unwrap();
        let job = app.run_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");
        assert_eq!(export(&job, "users")["records_received"], 30, "{job}");
        let c = app.connection(&org, &conn).await;
        assert_eq!(advisories(&c), [pair("VOLUME_DROP", Some("users"))], "{c}");
        let e = &advisory(&c, "VOLUME_DROP")["evidence"];
        assert_eq!(
            (
                &e["records_listed"],
                &e["baseline_records"],
                &e["drop_percent"]
            ),
            (&json!(30), &json!(60), &json!(50.0)),
            "{e}"
        );
        let (_, list) = listed(&app, &org, "advisoryCodes=VOLUME_DROP").await;
        assert_eq!(list["total"], 1, "{list}");

        sim.control().clear_faults(None, Some("users"));
        let job = app.run_job(&org, &conn).await;
        assert_eq!(export(&job, "users")["records_received"], 60, "{job}");
        let c = app.connection(&org, &conn).await;
        assert!(advisories(&c).is_empty(), "the listing is whole again: {c}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn a_sentinelone_token_near_its_expiry_raises_credential_expiring() {
    for db in backends("advisories_credential_expiring") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("expiring").await;
        let sim = sim(SimVendor::Sentinelone, 5, 5).await;
        let expiring = sim
            .control()
            .add_credential("expiring", &["all:token_expires_in=5"])
            .unwrap();
        let expiring = app.connect(&org, S1, expiring).await;
        let fresh = app.connect(&org, S1, sim.credentials()).await;
        app.first_job(&org, &expiring).await;
        app.first_job(&org, &fresh).await;
        let c = app.connection(&org, &expiring).await;
        assert_eq!(c["health"]["name"], "HEALTHY", "{c}");
        assert_eq!(advisories(&c), [pair("CREDENTIAL_EXPIRING", None)], "{c}");
        let a = advisory(&c, "CREDENTIAL_EXPIRING");
        assert_eq!(a["resolution_owner"], "CUSTOMER", "{a}");
        let days = a["evidence"]["days_left"].as_f64().unwrap();
        assert!((4.8..=5.0).contains(&days), "{a}");
        assert_eq!(a["evidence"]["warn_days"], 14, "{a}");
        let c = app.connection(&org, &fresh).await;
        assert!(advisories(&c).is_empty(), "180 days left: {c}");

        // The customer rotates the token (a new expiry): the next job clears it.
        sim.control().clear_faults(Some("expiring"), None);
        app.run_job(&org, &expiring).await;
        let c = app.connection(&org, &expiring).await;
        assert!(advisories(&c).is_empty(), "{c}");
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

/// Steady healthy connections of each EDR vendor, data arriving every few runs, over
/// many stepped jobs: no advisory may be raised.
#[tokio::test]
async fn a_steady_healthy_connection_raises_no_false_alarms() {
    const JOBS: usize = 40;
    for db in backends("advisories_no_false_alarms") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("steady").await;
        let mut raised = 0usize;
        let mut jobs = 0usize;
        for (vendor, name) in VENDORS {
            let sim = sim(vendor, 20, 60).await;
            let conn = app.connect(&org, name, sim.credentials()).await;
            app.first_job(&org, &conn).await;
            for i in 0..JOBS {
                // Activity on an irregular rhythm: some runs bring data, some none.
                if i % 3 == 0 || i % 7 == 0 {
                    sim.control().tick();
                }
                let job = app.run_job(&org, &conn).await;
                assert_eq!(job["health"], "HEALTHY", "{name}: {job}");
                jobs += 1;
            }
            raised += advisory_history(&app, &org, &conn)
                .await
                .iter()
                .filter(|(change, _)| change == "raised")
                .count();
            let c = app.connection(&org, &conn).await;
            assert!(advisories(&c).is_empty(), "{name}: {c}");
            sim.shutdown().await.unwrap();
        }
        eprintln!(
            "no false alarms on {:?}: {raised} advisories raised over {jobs} healthy jobs",
            app.backend()
        );
        assert_eq!(raised, 0);
        app.stop().await;
    }
}
