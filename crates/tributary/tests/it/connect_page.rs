//! The hosted connect page in a real browser (chromium through chromedriver), on every
//! store: a customer creates a connection from a create token (a partially authorized
//! credential first: the permission matrix says what it cannot read, nothing is saved);
//! fixes a revoked SentinelOne connection and a partially authorized CrowdStrike one from
//! update tokens (fix links), each turning HEALTHY; expired, reused, revoked and forged
//! links are refused and change nothing. Screenshots go to `target/test-artifacts/`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::{invites::tokens_path, support::*, sync::*, webdriver::Browser};

const WAIT: Duration = Duration::from_secs(45);

/// Fills the page's credential form with `creds` and checks them.
async fn check(browser: &Browser, creds: &Value) {
    for (name, value) in creds.as_object().unwrap() {
        let css = format!("#cred-{name}");
        if browser.try_find(&css).await.is_some() {
            browser.type_into(&css, value.as_str().unwrap()).await;
        }
    }
    browser.click("#check").await;
    browser.find("#permission-matrix, .error", WAIT).await;
}

/// The export → readable pairs of the permission matrix.
async fn matrix(browser: &Browser) -> String {
    browser.text("#permission-matrix").await
}

#[tokio::test]
async fn a_customer_connects_and_fixes_connections_on_the_hosted_page() {
    let Some(browser) = Browser::start("connect_page").await else {
        return;
    };
    for db in backends("connect_page") {
        let backend = format!("{:?}", db.backend).to_lowercase();
        let shot = |name: &str| format!("connect-{backend}-{name}");
        // The first sync after saving is watched from the browser: workers run on their own.
        let dir = tempfile::tempdir().unwrap();
        let config = with_loops(test_config(&db, dir.path()));
        let app = TestApp::spawn_with(db, dir, config).await;
        let org = app.create_org("Acme Corp").await;
        let s1 = sim(SimVendor::Sentinelone, 10, 20).await;
        let cs = sim(SimVendor::Crowdstrike, 10, 20).await;

        // 1. A create token: the form, a partial credential refused, the right one saved.
        let token = app
            .mint(
                &org,
                json!({"vendor": "SENTINELONE", "identifier": "acme-s1"}),
            )
            .await;
        browser.goto(&app.url(&format!("/connect/{token}"))).await;
        browser.find("#credentials-form", WAIT).await;
        let page = browser.source().await;
        assert!(page.contains("Connect SentinelOne"), "{page}");
        let permissions = browser.text("#permissions").await;
        assert!(
            permissions.contains("alerts") && permissions.contains("devices"),
            "{permissions}"
        );
        browser.screenshot(&shot("01-create-form")).await;

        let viewer = s1
            .control()
            .add_credential("viewer", &["threats:403"])
            .unwrap();
        check(&browser, &viewer).await;
        let m = matrix(&browser).await;
        assert!(
            m.contains("Cannot read (HTTP 403)") && m.contains("Readable"),
            "{m}"
        );
        assert!(
            browser.try_find("#ready").await.is_none(),
            "a partial credential cannot be saved"
        );
        let page = browser.source().await;
        assert!(
            !page.contains(viewer["api_token"].as_str().unwrap()),
            "the secret is never sent back"
        );
        browser.screenshot(&shot("02-create-partial-matrix")).await;
        assert_eq!(app.connection_count(&org).await, 0, "nothing saved");

        check(&browser, &s1.credentials()).await;
        browser.find("#ready", WAIT).await;
        assert!(!matrix(&browser).await.contains("Cannot read"));
        browser.screenshot(&shot("03-create-all-readable")).await;
        browser.click("#save").await;
        browser
            .wait_text("#health-badge", WAIT, |t| t == "HEALTHY")
            .await;
        assert!(browser.text("#result").await.contains("acme-s1"));
        browser.screenshot(&shot("04-create-healthy")).await;
        assert_eq!(app.connection_count(&org).await, 1);

        // 2. A revoked SentinelOne connection, fixed from a fix link.
        let revoked = s1
            .control()
            .add_credential("revoked", &["all:revoke"])
            .unwrap();
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "SENTINELONE", "credentials": revoked, "identifier": "s1-revoked"}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.first_job(&org, &conn).await["health"], "UNAUTHORIZED");
        let (s, link) = app
            .post(
                &format!("{}/{conn}/fix-link", connections_path(&org)),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{link}");
        browser.goto(&app.url(link["url"].as_str().unwrap())).await;
        let reason = browser.text("#reason").await;
        assert!(
            reason.contains("s1-revoked") && reason.contains("no longer accepts"),
            "{reason}"
        );
        assert!(
            !browser
                .source()
                .await
                .contains(revoked["api_token"].as_str().unwrap()),
            "the current credentials are never shown"
        );
        browser.screenshot(&shot("05-fix-revoked-form")).await;
        check(&browser, &s1.credentials()).await;
        let saved = std::time::Instant::now();
        browser.click("#save").await;
        browser
            .wait_text("#health-badge", WAIT, |t| t == "HEALTHY")
            .await;
        eprintln!(
            "{backend}: revoked SentinelOne fixed on the page, Save → HEALTHY shown in {:?}",
            saved.elapsed()
        );
        browser.screenshot(&shot("06-fix-revoked-healthy")).await;
        assert_eq!(
            app.connection(&org, &conn).await["health"]["name"],
            "HEALTHY"
        );

        // 3. A partially authorized CrowdStrike connection, fixed from an update token.
        let partial = cs
            .control()
            .add_credential("partial", &["alerts:403"])
            .unwrap();
        let conn = app
            .create_connection(
                &org,
                json!({"vendor": "CROWDSTRIKE", "credentials": partial, "identifier": "falcon-partial"}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(app.first_job(&org, &conn).await["health"], "UNAUTHORIZED");
        // The operator finds it on the dashboard and makes a fix link there.
        browser.goto(&app.url("/dashboard/login")).await;
        browser.type_into("#api_key", &app.key).await;
        browser.click("#login").await;
        browser.find("table#connections", WAIT).await;
        browser
            .goto(&app.url(&format!("/dashboard/connections/{conn}")))
            .await;
        browser.click("#fix-link").await;
        browser.find("#fix-link-url", WAIT).await;
        browser.screenshot(&shot("07-dashboard-fix-link")).await;
        let link = browser.text("#fix-link-url a").await;
        assert!(link.starts_with("/connect/tci_"), "{link}");
        browser.goto(&app.url(&link)).await;
        let reason = browser.text("#reason").await;
        assert!(
            reason.contains("some data but not all") && reason.contains("alerts"),
            "{reason}"
        );
        browser.screenshot(&shot("07-fix-partial-form")).await;
        // The same partial credential again: the matrix says alerts are still unreadable.
        check(&browser, &partial).await;
        let m = matrix(&browser).await;
        assert!(m.contains("Cannot read"), "{m}");
        browser.screenshot(&shot("08-fix-partial-matrix")).await;
        check(&browser, &cs.credentials()).await;
        browser.find("#ready", WAIT).await;
        browser.click("#save").await;
        browser
            .wait_text("#health-badge", WAIT, |t| t == "HEALTHY")
            .await;
        browser.screenshot(&shot("09-fix-partial-healthy")).await;
        assert_eq!(
            app.connection(&org, &conn).await["health"]["name"],
            "HEALTHY"
        );

        // 4. Refusals: clear, and nothing changes.
        let before = app.connection_count(&org).await;
        let expired = app
            .stored_token(&org, "SENTINELONE", None, chrono::Duration::seconds(-1))
            .await;
        let used = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
        let (s, _) = app
            .with_token(
                reqwest::Method::POST,
                &connections_path(&org),
                &used,
                json!({"vendor": "SENTINELONE", "credentials": s1.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let revoked_token = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
        let (s, _) = app
            .post(
                &format!("{}/revoke", tokens_path(&org)),
                json!({"token": revoked_token}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let forged = format!("tci_{}", "a".repeat(48));
        for (name, token, says) in [
            ("expired", &expired, "expired"),
            ("reused", &used, "already used"),
            ("revoked", &revoked_token, "revoked"),
            ("forged", &forged, "Invalid connection invite token"),
        ] {
            browser.goto(&app.url(&format!("/connect/{token}"))).await;
            let refusal = browser.text("#refusal").await;
            assert!(refusal.contains(says), "{name}: {refusal}");
            assert!(
                browser.try_find("#credentials-form").await.is_none(),
                "{name}"
            );
            browser
                .screenshot(&shot(&format!("10-refused-{name}")))
                .await;
        }
        let r = app
            .client
            .get(app.url(&format!("/connect/{forged}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // A form posted without the page's CSRF token is refused.
        let fresh = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
        let r = app
            .client
            .post(app.url(&format!("/connect/{fresh}/check")))
            .form(&[("base_url", s1.base_url()), ("api_token", "x".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.connection_count(&org).await,
            before + 1,
            "only the API use created one"
        );

        s1.shutdown().await.unwrap();
        cs.shutdown().await.unwrap();
        app.stop().await;
    }
    browser.quit().await;
}
