//! A new vendor is its folder and one registry line: Acme Sentry (`fictional/`, which
//! exists only in the tests) joins the registry here and syncs end to end — full, then
//! incremental, with partial access reported against its own permission — on both stores.

use reqwest::StatusCode;
use serde_json::json;
use tributary_connectors::Registry;

use crate::{
    fictional::{self, simulator::Acme},
    support::*,
    sync::*,
};

fn registry() -> Registry {
    // The one registry line.
    Registry::builtin().with(&fictional::SPEC)
}

#[tokio::test]
async fn a_vendor_added_through_the_registry_syncs_like_the_built_in_ones() {
    for db in backends("new_vendor") {
        let sim = Acme::start(60, 150).await;
        let app = TestApp::spawn_with_registry(db, registry()).await;
        let org = app.create_org("acme").await;

        // The catalogue lists it with its credential fields and exports.
        let (_, catalogue) = app.get("/v1/connectors").await;
        let acme = catalogue
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["vendor"] == "ACME_SENTRY")
            .expect("listed");
        assert_eq!(acme["vendor_name"], "Acme Sentry");
        assert_eq!(acme["credentials"][1]["name"], "api_key");
        assert_eq!(acme["credentials"][1]["secret"], true);
        assert_eq!(
            acme["data_exports"][0]["endpoints"],
            json!(["/api/v1/hosts"])
        );

        // Full sync.
        let conn = app
            .connect(
                &org,
                "ACME_SENTRY",
                sim.credentials(fictional::simulator::KEY),
            )
            .await;
        let job = app.first_job(&org, &conn).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");
        assert_eq!(export(&job, "devices")["records_upserted"], 60);
        assert_eq!(export(&job, "alerts")["records_upserted"], 150);
        let (s, devices) = app.edr(&conn, "devices", "limit=1").await;
        assert_eq!((s, &devices["total"]), (StatusCode::OK, &json!(60)));
        assert_eq!(
            devices["items"][0]["source_vendors"][0]["vendor"],
            "acme_sentry"
        );
        let (_, alerts) = app.edr(&conn, "alerts", "limit=5&severity=critical").await;
        assert_eq!(alerts["total"], 30, "every fifth detection is critical");
        for alert in alerts["items"].as_array().unwrap() {
            assert_eq!(alert["vendor"], "acme_sentry");
            // Each alert links to its synced host: detection d-n concerns host h-(n % 60).
            let n: usize = alert["vendor_id"].as_str().unwrap()[2..].parse().unwrap();
            assert_eq!(
                alert["device"]["hostnames"],
                json!([format!("acme-{}", n % 60)]),
                "{alert}"
            );
        }

        // Incremental: only what changed since the watermark.
        sim.advance(5, 20, 3);
        let inc = app.run_job(&org, &conn).await;
        assert_eq!(export(&inc, "devices")["records_upserted"], 8, "{inc}");
        assert_eq!(export(&inc, "alerts")["records_upserted"], 20, "{inc}");
        let (_, devices) = app.edr(&conn, "devices", "limit=1").await;
        assert_eq!(devices["total"], 65);

        // Partial access: UNAUTHORIZED naming only the refused export and what it needs.
        let partial = app
            .connect(
                &org,
                "ACME_SENTRY",
                sim.credentials(fictional::simulator::HOSTS_ONLY_KEY),
            )
            .await;
        let job = app.first_job(&org, &partial).await;
        assert_eq!(job["health"], "UNAUTHORIZED", "{job}");
        let health = &app.connection(&org, &partial).await["health"];
        assert_eq!(health["details"].as_array().unwrap().len(), 1, "{health}");
        assert_eq!(health["details"][0]["endpoint"], "/api/v1/detections");
        assert!(
            health["resolution"]
                .as_str()
                .unwrap()
                .contains("alerts: the detections:read scope"),
            "{health}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_vendor_outside_the_registry_is_refused() {
    let app = TestApp::spawn(tributary_store::testing::TestDatabase::sqlite()).await;
    let org = app.create_org("acme").await;
    let (s, body) = app
        .post(
            &connections_path(&org),
            json!({"vendor": "ACME_SENTRY", "credentials": {}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "vendor"]));
    assert!(body["detail"][0]["msg"]
        .as_str()
        .unwrap()
        .contains("'SENTINELONE'"));
    app.stop().await;
}
