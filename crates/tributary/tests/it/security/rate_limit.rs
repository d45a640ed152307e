//! The API's rate limit: a key that spends its budget gets 429 with `Retry-After` and
//! `X-RateLimit-*`, other keys are unaffected, and an address that keeps failing to
//! authenticate is refused before its keys are looked at.

use reqwest::StatusCode;
use tributary::commands::create_key;

use crate::support::{test_config, TestApp};
use tributary_store::testing::TestDatabase;

async fn limited_app() -> TestApp {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    // One request a minute after a burst: nothing refills while the test runs.
    config.rate_limit.requests_per_minute = 1;
    config.rate_limit.burst = 5;
    config.rate_limit.failed_auth_per_minute = 3;
    TestApp::spawn_with(db, dir, config).await
}

async fn get(app: &TestApp, key: &str) -> reqwest::Response {
    app.client
        .get(app.url("/v1/provisioning/organizations"))
        .header("X-API-KEY", key)
        .send()
        .await
        .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> u64 {
    resp.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_key_past_its_budget_gets_429_with_the_headers() {
    let app = limited_app().await;
    for expected in (0..5).rev() {
        let resp = get(&app, &app.key).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(header(&resp, "x-ratelimit-limit"), 5);
        assert_eq!(header(&resp, "x-ratelimit-remaining"), expected);
        assert!(header(&resp, "x-ratelimit-reset") <= 300);
    }
    let refused = get(&app, &app.key).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after") >= 1);
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("Too many requests"));
    // Another key of the same account has its own budget.
    let store = app.app.as_ref().unwrap().store();
    let (_, other) = create_key(store.as_ref(), app.account, "other")
        .await
        .unwrap();
    assert_eq!(get(&app, &other).await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn an_address_that_keeps_failing_to_authenticate_is_slowed_down() {
    let app = limited_app().await;
    for _ in 0..3 {
        assert_eq!(
            get(&app, "trb_guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = get(&app, "trb_guess").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after") >= 1);
    // Refused before the key is looked at: a right guess is not told apart.
    let right = get(&app, &app.key).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
