//! An identity connection in the dashboard, in a real browser: its page counts users,
//! groups, applications and policies and links to the users and groups tables, which list
//! through the identity application layer (members and applications counted per group).
//! Screenshots are kept in `target/test-artifacts/`.

use std::time::Duration;

use crate::{fictional_idp::simulator::Directory, idp::registry, support::*, webdriver::Browser};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn an_operator_browses_an_identity_providers_users_and_groups() {
    let Some(browser) = Browser::start("idp_dashboard").await else {
        return;
    };
    // The dashboard is store-agnostic (the API tests cover both); SQLite here.
    let db = tributary_store::testing::TestDatabase::sqlite();
    let sim = Directory::start(10, 5, 5, 2).await;
    let app = TestApp::spawn_with_registry(db, registry()).await;
    let org = app.create_org("Acme Corp").await;
    let conn = app.connect(&org, "ACME_DIRECTORY", sim.credentials()).await;
    assert_eq!(app.first_job(&org, &conn).await["health"], "HEALTHY");

    browser.goto(&app.url("/dashboard/login")).await;
    browser.find("#api_key", WAIT).await;
    browser.type_into("#api_key", &app.key).await;
    browser.click("#login").await;
    browser.find("table#connections", WAIT).await;
    browser
        .goto(&app.url(&format!("/dashboard/connections/{conn}")))
        .await;
    let records = browser.text("#record-counts").await;
    for counted in ["10 users", "5 groups", "5 applications", "2 policies"] {
        assert!(records.contains(counted), "{records}");
    }
    browser.screenshot("idp-01-connection").await;

    browser.click("#record-counts a[href$='/users']").await;
    browser.find("table#records", WAIT).await;
    let users = browser.text("table#records").await;
    assert!(
        users.contains("user1@acme.test") && users.contains("LOCKED"),
        "{users}"
    );
    assert_eq!(users.lines().count(), 11, "a header and ten users: {users}");
    browser.screenshot("idp-02-users").await;

    browser
        .goto(&app.url(&format!("/dashboard/connections/{conn}/groups")))
        .await;
    let groups = browser.text("table#records").await;
    let g0 = groups.lines().find(|l| l.contains("Group 0")).expect("g0");
    // Group 0: u0 and u5 as members, a0 and a4 assigned.
    assert!(g0.contains("NATIVE") && g0.contains("2 2"), "{g0}");
    browser.screenshot("idp-03-groups").await;

    browser.quit().await;
    app.stop().await;
}
