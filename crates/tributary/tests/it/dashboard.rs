//! The dashboard in a real browser (Debian's chromium through chromedriver): log in with
//! an API key, find the UNAUTHORIZED connection, open it, fix its credentials (a refused
//! token first, shown inline), and watch it turn HEALTHY. Screenshots are kept in
//! `target/test-artifacts/`.

use std::time::Duration;

use serde_json::json;
use tributary_simulators::SimVendor;

use crate::{support::*, sync::*, webdriver::Browser};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_operator_finds_and_fixes_an_unauthorized_connection_in_the_browser() {
    let Some(browser) = Browser::start("dashboard_fix_flow").await else {
        return;
    };
    // The dashboard is store-agnostic (the API tests cover both); SQLite here.
    let db = tributary_store::testing::TestDatabase::sqlite();
    // "HEALTHY without waiting" is seen from the browser: the workers run on their own.
    let dir = tempfile::tempdir().unwrap();
    let config = with_loops(test_config(&db, dir.path()));
    let app = TestApp::spawn_with(db, dir, config).await;
    let org = app.create_org("Acme Corp").await;
    let s1 = sim(SimVendor::Sentinelone, 15, 60).await;
    let cs = sim(SimVendor::Crowdstrike, 15, 60).await;
    let viewer = s1
        .control()
        .add_credential("viewer", &["threats:403"])
        .unwrap();
    let broken = app
        .create_connection(
            &org,
            json!({"vendor": "SENTINELONE", "credentials": viewer, "identifier": "s1-missing-threats"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let healthy = app
        .create_connection(
            &org,
            json!({"vendor": "CROWDSTRIKE", "credentials": cs.credentials(), "identifier": "falcon-prod"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.first_job(&org, &broken).await["health"], "UNAUTHORIZED");
    assert_eq!(app.first_job(&org, &healthy).await["health"], "HEALTHY");

    // Logging in: a wrong key is refused on the page; the right one opens the list.
    browser.goto(&app.url("/dashboard")).await;
    browser.find("#api_key", WAIT).await;
    browser.type_into("#api_key", "trb_not-a-key").await;
    browser.click("#login").await;
    browser.find("#login-error", WAIT).await;
    browser.type_into("#api_key", &app.key).await;
    browser.click("#login").await;
    browser.find("table#connections", WAIT).await;
    let counts = browser.text("[data-count=UNAUTHORIZED]").await;
    assert_eq!(counts.trim(), "1");
    browser.screenshot("dashboard-01-connections").await;

    // Filter by health, then open the only unauthorized connection.
    browser
        .goto(&app.url("/dashboard?health=UNAUTHORIZED"))
        .await;
    let table = browser.text("table#connections").await;
    assert!(
        table.contains("s1-missing-threats") && !table.contains("falcon-prod"),
        "{table}"
    );
    browser.click("table#connections a").await;
    let badge = browser.text("#health-badge").await;
    assert_eq!(badge, "UNAUTHORIZED");
    let failing = browser.text("#failing-exports").await;
    assert!(
        failing.contains("/web/api/v2.1/threats") && failing.contains("403"),
        "{failing}"
    );
    assert!(
        !failing.contains("agents"),
        "only the refused export is listed: {failing}"
    );
    assert!(browser.text("#resolution").await.contains("PATCH"));
    browser.screenshot("dashboard-02-unauthorized").await;

    // A token the vendor refuses: shown inline, nothing saved.
    browser.type_into("#cred-api_token", "not-the-token").await;
    browser.click("#save-credentials").await;
    browser.find(".field-error, #notice, .error", WAIT).await;
    let source = browser.source().await;
    assert!(source.contains("UNAUTHORIZED"), "health unchanged");
    browser.screenshot("dashboard-03-refused").await;

    // The right token: validated, saved, synced at once → HEALTHY without waiting.
    let good = s1.credentials();
    browser
        .type_into("#cred-base_url", good["base_url"].as_str().unwrap())
        .await;
    browser
        .type_into("#cred-api_token", good["api_token"].as_str().unwrap())
        .await;
    browser.click("#save-credentials").await;
    browser
        .wait_text("#health-badge", WAIT, |t| t == "HEALTHY")
        .await;
    let jobs = browser.text("table#jobs").await;
    assert!(
        jobs.contains("HEALTHY") && jobs.contains("UNAUTHORIZED"),
        "{jobs}"
    );
    // Each export's data age (health.freshness), pulled just now.
    let freshness = browser.text("table#freshness").await;
    assert!(
        freshness.contains("devices") && freshness.contains("alerts"),
        "{freshness}"
    );
    browser.screenshot("dashboard-04-healthy").await;

    // The records browser shows the alerts that now sync.
    browser
        .goto(&app.url(&format!("/dashboard/connections/{broken}/alerts")))
        .await;
    let records = browser.text("table#records").await;
    assert!(records.lines().count() > 5, "{records}");
    browser.screenshot("dashboard-05-alerts").await;

    browser.quit().await;
    s1.shutdown().await.unwrap();
    cs.shutdown().await.unwrap();
    app.stop().await;
}
