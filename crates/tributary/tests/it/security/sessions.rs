//! Dashboard sessions: logging out ends the session on the server (a copied cookie stops
//! working), the login form's CSRF token is one only the server can make, and the
//! session cookie is `Secure` behind https. In a real browser where it is the dashboard.

use std::time::Duration;

use reqwest::{header, redirect::Policy, StatusCode};

use crate::{
    support::{test_config, TestApp},
    webdriver::Browser,
};
use tributary_store::testing::TestDatabase;

const WAIT: Duration = Duration::from_secs(30);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The login form's cookie nonce and form token, as a browser would get them.
async fn login_form(app: &TestApp, extra: &[(&str, &str)]) -> (String, String, String) {
    let mut req = no_redirects().get(app.url("/dashboard/login"));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let set = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let page = resp.text().await.unwrap();
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (nonce, token, set)
}

/// Logs in over HTTP; returns the `Set-Cookie` of the session.
pub async fn dashboard_login(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let (nonce, token, _) = login_form(app, extra).await;
    let mut req = no_redirects()
        .post(app.url("/dashboard/login"))
        .header(header::COOKIE, format!("trb_login_csrf={nonce}"))
        .form(&[("csrf", token.as_str()), ("api_key", app.key.as_str())]);
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned()
}

/// A dashboard page as the holder of `cookie` sees it.
pub async fn page_as(app: &TestApp, cookie: &str, path: &str) -> String {
    let resp = no_redirects()
        .get(app.url(path))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    resp.text().await.unwrap()
}

/// The CSRF token of the first form on `page`.
pub fn form_token(page: &str) -> &str {
    let rest = page.split("name=\"csrf\" value=\"").nth(1).unwrap();
    rest.split('"').next().unwrap()
}

/// Posts a dashboard form (its CSRF token only) as the holder of `cookie`.
pub async fn post_form_as(app: &TestApp, cookie: &str, path: &str, csrf: &str) -> StatusCode {
    let resp = no_redirects()
        .post(app.url(path))
        .header(header::COOKIE, cookie)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    resp.status()
}

/// The `name=value` pair of a `Set-Cookie`.
pub fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn dashboard_status(app: &TestApp, cookie: &str) -> StatusCode {
    let resp = no_redirects()
        .get(app.url("/dashboard"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    resp.status()
}

#[tokio::test]
async fn logging_out_in_the_browser_ends_the_session_for_a_copied_cookie() {
    let Some(browser) = Browser::start("logout_ends_the_session").await else {
        return;
    };
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    browser.goto(&app.url("/dashboard/login")).await;
    browser.type_into("#api_key", &app.key).await;
    browser.click("#login").await;
    browser.find("table#connections", WAIT).await;
    let captured = format!(
        "trb_session={}",
        browser.cookie("trb_session").await.unwrap()
    );
    assert_eq!(dashboard_status(&app, &captured).await, StatusCode::OK);
    // The audit page shows the login.
    browser.click("#nav-audit").await;
    let audit = browser.text("table#audit").await;
    assert!(
        audit.contains("logged_in") && audit.contains("dashboard"),
        "{audit}"
    );
    browser.screenshot("dashboard-06-audit").await;
    browser.click("#logout").await;
    browser.find("#api_key", WAIT).await;
    assert_eq!(
        dashboard_status(&app, &captured).await,
        StatusCode::SEE_OTHER,
        "the copied cookie no longer opens the dashboard"
    );
    browser.quit().await;
    app.stop().await;
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    let session = pair(&dashboard_login(&app, &[]).await);
    assert_eq!(dashboard_status(&app, &session).await, StatusCode::OK);
    let page = page_as(&app, &session, "/dashboard").await;
    let out = post_form_as(&app, &session, "/dashboard/logout", form_token(&page)).await;
    assert_eq!(out, StatusCode::SEE_OTHER);
    assert_eq!(
        dashboard_status(&app, &session).await,
        StatusCode::SEE_OTHER
    );
    let (_, events) = app
        .get("/v1/audit-events?targetType=dashboard_session")
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["logged_out", "logged_in"], "{events}");
    app.stop().await;
}

#[tokio::test]
async fn a_login_form_token_must_be_the_servers() {
    let app = TestApp::spawn(TestDatabase::sqlite()).await;
    // An attacker who can plant a cookie sends a pair that match each other.
    for (cookie, token) in [("planted", "planted"), ("", "")] {
        let resp = no_redirects()
            .post(app.url("/dashboard/login"))
            .header(header::COOKIE, format!("trb_login_csrf={cookie}"))
            .form(&[("csrf", token), ("api_key", app.key.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{cookie:?}");
        assert!(resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| { !c.to_str().unwrap().starts_with("trb_session=") }));
    }
    // A token from one form does not fit another form's cookie.
    let (nonce_a, _, _) = login_form(&app, &[]).await;
    let (_, token_b, _) = login_form(&app, &[]).await;
    let resp = no_redirects()
        .post(app.url("/dashboard/login"))
        .header(header::COOKIE, format!("trb_login_csrf={nonce_a}"))
        .form(&[("csrf", token_b.as_str()), ("api_key", app.key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // The server's own pair logs in.
    dashboard_login(&app, &[]).await;
    app.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let plain = TestApp::spawn(TestDatabase::sqlite()).await;
    assert!(!dashboard_login(&plain, &[]).await.contains("Secure"));
    let proxied = dashboard_login(&plain, &[("x-forwarded-proto", "https")]).await;
    assert!(proxied.contains("; Secure"), "{proxied}");
    let (_, _, form_cookie) = login_form(&plain, &[("x-forwarded-proto", "https")]).await;
    assert!(form_cookie.contains("; Secure"), "{form_cookie}");
    plain.stop().await;

    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.public_url = Some("https://tributary.example.com".into());
    let public = TestApp::spawn_with(db, dir, config).await;
    let set = dashboard_login(&public, &[]).await;
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    public.stop().await;
}
