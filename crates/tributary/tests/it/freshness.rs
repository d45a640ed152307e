//! Freshness (docs/health.md, "Freshness"): each export's data age in the connection's
//! health after real jobs, the fleet gauges on `/metrics`, the per-connection freshness
//! target (validated; FRESHNESS_TARGET_MISSED raised by the between-jobs pass when no
//! pull succeeded within it, cleared by a successful job or when the target goes), and
//! Entra's client-secret expiry read from Graph. Stepped, never slept; on every store.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::{spawn, SimConfig, SimVendor};

use crate::{
    receiver::Receiver,
    security::sessions::{dashboard_login, page_as, pair},
    support::*,
    sync::*,
};

const S1: &str = "SENTINELONE";
const MISSED: &str = "FRESHNESS_TARGET_MISSED";

fn freshness<'a>(c: &'a Value, export: &str) -> &'a Value {
    c["health"]["freshness"]
        .as_array()
        .unwrap_or_else(|| panic!("health.freshness is an array: {c}"))
        .iter()
        .find(|f| f["data_export_type"] == export)
        .unwrap_or_else(|| panic!("no {export} in health.freshness: {c}"))
}

fn codes(c: &Value) -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> = c["health"]["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_owned(),
                a["data_export_type"].as_str().map(str::to_owned),
            )
        })
        .collect();
    all.sort();
    all
}

fn missed(exports: &[&str]) -> Vec<(String, Option<String>)> {
    exports
        .iter()
        .map(|e| (MISSED.to_owned(), Some((*e).to_owned())))
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("a time: {v}"))
        .parse()
        .unwrap()
}

/// The history's advisory entries of `code`, oldest first: (change, export).
async fn history(app: &TestApp, org: &str, conn: &str, code: &str) -> Vec<(String, String)> {
    let path = format!("{}/{conn}/health/history?limit=1000", connections_path(org));
    let (s, page) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut out: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["advisory"]["code"] == code)
        .map(|e| {
            (
                e["advisory_change"].as_str().unwrap().to_owned(),
                e["advisory"]["data_export_type"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn freshness_is_reported_per_export_and_a_missed_target_is_advised_between_jobs() {
    for db in backends("freshness_target") {
        let app = TestApp::spawn(db).await;
        let engine = || app.app.as_ref().unwrap().engine();
        let org = app.create_org("fresh").await;
        let sim = sim(SimVendor::Sentinelone, 5, 5).await;
        let path = connections_path(&org);

        // Bad targets: a clear 422 naming the field, and nothing created.
        for bad in [json!(5), json!(90 * 86_400 + 1), json!("3600"), json!(1.5)] {
            let (s, body) = app
                .post(
                    &path,
                    json!({"vendor": S1, "credentials": sim.credentials(),
                           "freshness_target_secs": bad}),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert_eq!(
                body["detail"][0]["loc"],
                json!(["body", "freshness_target_secs"])
            );
        }
        let (_, list) = app.get(&path).await;
        assert_eq!(list["total"], 0, "a refused create changes nothing: {list}");

        let targeted = app
            .create_connection(
                &org,
                json!({"vendor": S1, "credentials": sim.credentials(),
                       "freshness_target_secs": 3600}),
            )
            .await;
        assert_eq!(targeted["freshness_target_secs"], 3600, "{targeted}");
        let targeted = targeted["id"].as_str().unwrap().to_owned();
        let loose = app
            .create_connection(
                &org,
                json!({"vendor": S1, "credentials": sim.credentials(),
                       "freshness_target_secs": 3 * 3600}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let untargeted = app.connect(&org, S1, sim.credentials()).await;

        // PATCH with a bad target: 422, the target unchanged.
        for bad in [json!(0), json!(-60), json!(true), json!(10_000_000)] {
            let (s, body) = app
                .patch(
                    &format!("{path}/{targeted}"),
                    json!({"freshness_target_secs": bad}),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert_eq!(
                body["detail"][0]["loc"],
                json!(["body", "freshness_target_secs"])
            );
        }
        let c = app.connection(&org, &targeted).await;
        assert_eq!(c["freshness_target_secs"], 3600, "unchanged: {c}");

        // After a job: each export's freshness, the pull at the job's end.
        let job = app.first_job(&org, &targeted).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");
        app.first_job(&org, &loose).await;
        app.first_job(&org, &untargeted).await;
        let c = app.connection(&org, &targeted).await;
        for export in ["devices", "alerts"] {
            let f = freshness(&c, export);
            assert_eq!(f["last_successful_pull_at"], job["finished_at"], "{f}");
            let newest = time(&f["newest_record_at"]);
            let pulled = time(&f["last_successful_pull_at"]);
            let (data_age, pull_age) = (
                f["data_age_secs"].as_i64().unwrap(),
                f["pull_age_secs"].as_i64().unwrap(),
            );
            assert!(data_age >= 0 && pull_age >= 0, "{f}");
            // Both ages are read at one instant: their difference is the two times'.
            let apart = (pulled - newest).num_seconds();
            assert!((data_age - pull_age - apart).abs() <= 1, "{f}");
        }
        assert!(codes(&c).is_empty(), "{c}");

        // The dashboard's connection page shows each export's data age and the target.
        let session = pair(&dashboard_login(&app, &[]).await);
        let page = page_as(
            &app,
            &session,
            &format!("/dashboard/connections/{targeted}"),
        )
        .await;
        let table = page
            .split("<table id=\"freshness\">")
            .nth(1)
            .unwrap_or_else(|| panic!("a freshness table: {page}"));
        let table = table.split("</table>").next().unwrap();
        for export in ["devices", "alerts"] {
            assert!(
                table.contains(&format!("data-export=\"{export}\"")),
                "{table}"
            );
        }
        assert!(
            page.contains("id=\"freshness-target\""),
            "the target is shown"
        );
        let page = page_as(
            &app,
            &session,
            &format!("/dashboard/connections/{untargeted}"),
        )
        .await;
        assert!(page.contains("<table id=\"freshness\">") && !page.contains("freshness-target"));

        // The fleet gauges: per vendor and export, never per connection.
        let pass = engine().freshness_once_at(Utc::now()).await.unwrap();
        assert!(
            pass.raised.is_empty() && pass.cleared.is_empty(),
            "{pass:?}"
        );
        let metrics = app.metrics().await;
        for export in ["devices", "alerts"] {
            for q in ["0.5", "0.9", "0.99", "1"] {
                let series = format!(
                    "tributary_export_data_age_seconds{{vendor=\"SENTINELONE\",\
                     data_export_type=\"{export}\",quantile=\"{q}\"}}"
                );
                assert!(metrics.contains(&series), "{series} in {metrics}");
            }
        }
        assert!(!metrics.contains(&targeted), "no connection id in a label");

        // Two hours on, no job has run: the stepped pass raises the advisory on the
        // connection whose one-hour target is missed, and only there.
        let later = Utc::now() + Duration::hours(2);
        let pass = engine().freshness_once_at(later).await.unwrap();
        let mut raised: Vec<String> = pass.raised.iter().map(|(c, _)| c.to_string()).collect();
        raised.dedup();
        assert_eq!(raised, std::slice::from_ref(&targeted), "{pass:?}");
        let c = app.connection(&org, &targeted).await;
        assert_eq!(
            c["health"]["name"], "HEALTHY",
            "advisories leave the health: {c}"
        );
        assert_eq!(codes(&c), missed(&["alerts", "devices"]), "{c}");
        let a = c["health"]["advisories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["data_export_type"] == "devices")
            .unwrap();
        assert_eq!(a["resolution_owner"], "LEEN", "{a}");
        assert_eq!(a["evidence"]["freshness_target_secs"], 3600, "{a}");
        assert!(
            a["evidence"]["pull_age_secs"].as_i64().unwrap() >= 7200,
            "{a}"
        );
        assert_eq!(
            a["evidence"]["last_successful_pull_at"], job["finished_at"],
            "{a}"
        );
        let page = page_as(
            &app,
            &session,
            &format!("/dashboard/connections/{targeted}"),
        )
        .await;
        assert!(
            page.contains(&format!("data-advisory=\"{MISSED}\"")),
            "a Warning row"
        );
        assert!(codes(&app.connection(&org, &loose).await).is_empty());
        assert!(codes(&app.connection(&org, &untargeted).await).is_empty());
        let (_, list) = app.get(&format!("{path}?advisoryCodes={MISSED}")).await;
        assert_eq!(list["total"], 1, "{list}");
        assert_eq!(list["items"][0]["id"], targeted.as_str(), "{list}");
        // A second pass at the same time changes nothing.
        let again = engine().freshness_once_at(later).await.unwrap();
        assert!(
            again.raised.is_empty() && again.cleared.is_empty(),
            "{again:?}"
        );

        // A successful job meets the target again: cleared.
        let job = app.run_job(&org, &targeted).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");
        let c = app.connection(&org, &targeted).await;
        assert!(codes(&c).is_empty(), "{c}");
        let changes = history(&app, &org, &targeted, MISSED).await;
        let raised_cleared = [
            ("raised", "alerts"),
            ("raised", "devices"),
            ("cleared", "alerts"),
            ("cleared", "devices"),
        ];
        let mut sorted = changes.clone();
        sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert_eq!(
            sorted,
            raised_cleared
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .to_vec(),
            "{changes:?}"
        );

        // Missed again, then the target removed: the pass clears it without a job.
        let later = Utc::now() + Duration::hours(2);
        engine().freshness_once_at(later).await.unwrap();
        assert_eq!(
            codes(&app.connection(&org, &targeted).await),
            missed(&["alerts", "devices"])
        );
        let (s, c) = app
            .patch(
                &format!("{path}/{targeted}"),
                json!({"freshness_target_secs": null}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["freshness_target_secs"], Value::Null, "{c}");
        let pass = engine().freshness_once_at(later).await.unwrap();
        assert_eq!(pass.cleared.len(), 2, "{pass:?}");
        assert!(codes(&app.connection(&org, &targeted).await).is_empty());
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

/// A connection whose pulls keep failing misses its target too: the failed jobs leave
/// the last successful pull where it was.
#[tokio::test]
async fn failing_pulls_miss_the_target_and_the_advisory_survives_them() {
    for db in backends("freshness_failing") {
        let app = TestApp::spawn(db).await;
        let engine = || app.app.as_ref().unwrap().engine();
        let org = app.create_org("stalled").await;
        let receiver = Receiver::start(200).await;
        let (s, hook) = app
            .post(
                "/v1/webhooks",
                json!({"url": receiver.url(), "event_types": ["connection.advisory_raised"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{hook}");
        let sim = sim(SimVendor::Sentinelone, 3, 3).await;
        let creds = sim.control().add_credential("stalls", &[]).unwrap();
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": S1, "credentials": creds, "freshness_target_secs": 600}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let first = app.first_job(&org, &conn).await;
        sim.control().fault("stalls/all:503").unwrap();
        let failed = app.run_job(&org, &conn).await;
        assert_eq!(failed["health"], "VENDOR_SERVER_ERROR", "{failed}");
        let c = app.connection(&org, &conn).await;
        assert_eq!(
            freshness(&c, "devices")["last_successful_pull_at"],
            first["finished_at"],
            "a failed pull is not a successful one: {c}"
        );
        engine()
            .freshness_once_at(Utc::now() + Duration::minutes(30))
            .await
            .unwrap();
        let c = app.connection(&org, &conn).await;
        assert_eq!(codes(&c), missed(&["alerts", "devices"]), "{c}");
        assert_eq!(c["health"]["name"], "VENDOR_SERVER_ERROR", "{c}");

        // The pass, not a job, raised them: signed webhooks say so.
        for _ in 0..20 {
            if app.deliver().await == 0 {
                break;
            }
        }
        let got = receiver
            .wait_for(2, std::time::Duration::from_secs(10))
            .await;
        let mut raised: Vec<(String, String, String)> = got
            .iter()
            .map(|r| {
                let v = r.json();
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["data"]["advisory"]["code"].as_str().unwrap().to_owned(),
                    v["data"]["advisory"]["data_export_type"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect();
        raised.sort();
        let expected = ["alerts", "devices"].map(|e| {
            (
                "connection.advisory_raised".to_owned(),
                MISSED.to_owned(),
                e.to_owned(),
            )
        });
        assert_eq!(raised, expected);
        receiver.stop();
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn an_entra_client_secret_near_its_expiry_raises_credential_expiring() {
    for db in backends("freshness_entra_secret") {
        let app = TestApp::spawn(db).await;
        let org = app.create_org("entra").await;
        let sim = spawn(
            SimConfig::new(SimVendor::MsEntra)
                .count("users", 5)
                .count("groups", 2)
                .count("applications", 2)
                .count("policies", 1)
                .count("memberships", 3),
        )
        .await
        .expect("simulator starts");
        let control = sim.control();
        let expiring = control
            .add_credential("expiring", &["all:token_expires_in=5"])
            .unwrap();
        // Without Application.Read.All Graph answers 403 on the registration.
        let denied = control
            .add_credential("denied", &["applications:403", "all:token_expires_in=5"])
            .unwrap();
        let expiring = app.connect(&org, "MS_ENTRA", expiring).await;
        let denied = app.connect(&org, "MS_ENTRA", denied).await;
        // Its own secret lives two years; another of the app's secrets expires in three
        // days: only the secret in use (matched by its hint) counts.
        let fresh = app.connect(&org, "MS_ENTRA", sim.credentials()).await;
        for conn in [&expiring, &denied, &fresh] {
            let job = app.first_job(&org, conn).await;
            assert_eq!(job["health"], "HEALTHY", "{job}");
        }

        let c = app.connection(&org, &expiring).await;
        assert_eq!(codes(&c), [("CREDENTIAL_EXPIRING".to_owned(), None)], "{c}");
        let a = &c["health"]["advisories"][0];
        assert_eq!(a["resolution_owner"], "CUSTOMER", "{a}");
        let days = a["evidence"]["days_left"].as_f64().unwrap();
        assert!((4.8..=5.0).contains(&days), "{a}");
        let expires_at = time(&a["evidence"]["expires_at"]);
        assert!(expires_at > Utc::now() + Duration::days(4), "{a}");
        assert!(a["message"].as_str().unwrap().contains("expires"), "{a}");

        let c = app.connection(&org, &denied).await;
        assert!(codes(&c).is_empty(), "Graph does not say (403): {c}");
        assert_eq!(
            c["health"]["details"],
            Value::Null,
            "403 is no failure: {c}"
        );
        let c = app.connection(&org, &fresh).await;
        assert!(
            codes(&c).is_empty(),
            "the secret in use lives two years: {c}"
        );

        // Rotated (the fault cleared: a new expiry): the next job clears it.
        control.clear_faults(Some("expiring"), None);
        app.run_job(&org, &expiring).await;
        assert!(codes(&app.connection(&org, &expiring).await).is_empty());
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}
