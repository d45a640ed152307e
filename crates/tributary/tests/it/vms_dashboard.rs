//! Vulnerability findings in the dashboard, in a real browser: a Tenable connection's page
//! links to its findings; the severity and state filters narrow the table to what the v2
//! API returns for the same filters; a title opens the finding's own page. Screenshots
//! are kept in `target/test-artifacts/`.

use std::time::Duration;

use serde_json::Value;
use tributary_simulators::SimVendor;

use crate::{support::*, vms::*, webdriver::Browser};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_operator_filters_findings_and_opens_one_in_the_browser() {
    let Some(browser) = Browser::start("vms_dashboard").await else {
        return;
    };
    // The dashboard is store-agnostic (the API tests cover both); SQLite here.
    let db = tributary_store::testing::TestDatabase::sqlite();
    let sim = vms_sim(SimVendor::Tenable, 20, 300).await;
    let app = TestApp::spawn(db).await;
    let org = app.create_org("Acme Corp").await;
    let conn = app.connect(&org, "TENABLE", sim.credentials()).await;
    assert_eq!(app.first_job(&org, &conn).await["health"], "HEALTHY");
    // The filter the operator picks: the commonest severity among open findings.
    let open = app.all_findings(&conn, "state=OPEN").await;
    let severity = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
        .into_iter()
        .max_by_key(|s| open.iter().filter(|f| f["severity"] == *s).count())
        .unwrap();
    let want: Vec<&Value> = open.iter().filter(|f| f["severity"] == severity).collect();
    assert!(!want.is_empty() && want.len() < open.len(), "{severity}");

    browser.goto(&app.url("/dashboard/login")).await;
    browser.find("#api_key", WAIT).await;
    browser.type_into("#api_key", &app.key).await;
    browser.click("#login").await;
    browser.find("table#connections", WAIT).await;
    browser
        .goto(&app.url(&format!("/dashboard/connections/{conn}")))
        .await;
    browser.click("#record-counts a[href$='/findings']").await;
    browser.find("table#records", WAIT).await;
    let stored = app.all_findings(&conn, "").await.len();
    let all = browser.text("table#records tbody").await;
    assert_eq!(all.lines().count(), stored.min(50), "{all}");
    browser.screenshot("vms-01-findings").await;

    // Severity and state from the filter form.
    browser
        .click(&format!("#f-severity option[value='{severity}']"))
        .await;
    browser.click("#f-state option[value='OPEN']").await;
    browser.click("form.filters button[type=submit]").await;
    browser
        .wait_text("table#records tbody", WAIT, |t| {
            t.lines().count() == want.len().min(50)
        })
        .await;
    let url = browser.url().await;
    assert!(
        url.contains(&format!("severity={severity}")) && url.contains("state=OPEN"),
        "{url}"
    );
    let rows = browser.text("table#records tbody").await;
    for row in rows.lines() {
        assert!(
            row.contains(&format!(" {severity} OPEN ")),
            "every row matches the filters: {row}"
        );
    }
    browser.screenshot("vms-02-filtered").await;

    // The first title opens that finding.
    let first = want[0];
    let title = first["title"].as_str().unwrap();
    assert!(rows.lines().next().unwrap().starts_with(title), "{rows}");
    browser.click("table#records tbody a").await;
    let shown = browser.text("#finding-title").await;
    assert_eq!(shown, title);
    assert_eq!(browser.text("[data-field=Severity]").await, severity);
    assert_eq!(browser.text("[data-field=State]").await, "OPEN");
    let document = browser.text("#finding-document").await;
    assert!(
        document.contains(first["id"].as_str().unwrap())
            && document.contains(first["vendor_id"].as_str().unwrap()),
        "{document}"
    );
    assert!(browser
        .url()
        .await
        .ends_with(&format!("/findings/{}", first["id"].as_str().unwrap())));
    browser.screenshot("vms-03-finding").await;

    browser.quit().await;
    sim.shutdown().await.unwrap();
    app.stop().await;
}
