//! Connection invite tokens through the API, as documented: mint a create or an update
//! token, validate it, create or update a connection with `X-CONNECTION-INVITE-TOKEN`
//! alone; every refusal (expired, reused, revoked, forged, another organization, another
//! vendor or connection) is a clear 4xx that changes nothing; every use is audited; the
//! limits apply per token and per address. On every store.

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tributary_engine::invites::token_hash;
use tributary_simulators::SimVendor;
use tributary_store::invites::{InviteKind, NewInvite};
use uuid::Uuid;

use crate::{support::*, sync::*};

pub fn tokens_path(org: &str) -> String {
    format!("/v1/provisioning/organizations/{org}/connection-invite-tokens")
}

pub fn validate_path(org: &str) -> String {
    format!("/v1/provisioning/organizations/{org}/connection-invite-token/validate")
}

#[allow(dead_code)]
impl TestApp {
    /// Mints a token with this app's key; returns it.
    pub async fn mint(&self, org: &str, body: Value) -> String {
        let (s, t) = self.post(&tokens_path(org), body).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        let token = t["token"].as_str().unwrap().to_owned();
        assert_eq!(t.as_object().unwrap().len(), 1, "{t}");
        token
    }

    /// A request with an invite token and no API key.
    pub async fn with_token(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .header("X-CONNECTION-INVITE-TOKEN", token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The validate call (no API key, no invite header).
    pub async fn validate(&self, org: &str, token: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .post(self.url(&validate_path(org)))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// A token stored directly (to make one that expired without waiting).
    pub async fn stored_token(
        &self,
        org: &str,
        vendor: &str,
        connection: Option<&str>,
        expires_in: Duration,
    ) -> String {
        let token = format!("tci_{}", Uuid::new_v4().simple());
        let store = self.app.as_ref().unwrap().store();
        store
            .create_invite(
                self.account,
                NewInvite {
                    id: Uuid::now_v7(),
                    organization_id: org.parse().unwrap(),
                    token_hash: token_hash(&token),
                    kind: if connection.is_some() {
                        InviteKind::Update
                    } else {
                        InviteKind::Create
                    },
                    vendor: tributary_model::Vendor::parse(vendor).unwrap(),
                    connection_id: connection.map(|c| c.parse().unwrap()),
                    identifier: None,
                    options: None,
                    created_by_key_id: None,
                    expires_at: Utc::now() + expires_in,
                },
            )
            .await
            .unwrap();
        token
    }

    pub async fn connection_count(&self, org: &str) -> u64 {
        let (s, list) = self.get(&connections_path(org)).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        list["total"].as_u64().unwrap()
    }

    pub async fn audit_actions(&self, target_type: &str) -> Vec<(String, String)> {
        let (s, list) = self
            .get(&format!(
                "/v1/audit-events?targetType={target_type}&limit=100"
            ))
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["actor"]["type"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

fn detail(v: &Value) -> &str {
    v["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {v}"))
}

#[tokio::test]
async fn a_create_token_creates_exactly_one_connection() {
    for db in backends("invite_create") {
        let app = TestApp::spawn(db).await;
        let sim = sim(SimVendor::Sentinelone, 3, 5).await;
        let org = app.create_org("customer").await;
        let token = app
            .mint(
                &org,
                json!({"vendor": "SENTINELONE", "identifier": "acme-s1", "expiry_secs": 600}),
            )
            .await;
        assert!(token.starts_with("tci_") && token.len() >= 36, "{token}");

        // Validate: the vendor and its credential form, as JSON Forms schemas.
        let (s, v) = app.validate(&org, &token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["vendor"], "SENTINELONE");
        assert_eq!(v["credentialsType"], "Secrets");
        assert_eq!(v["kind"], "create");
        assert!(
            v["vendorName"].as_str().unwrap().contains("SentinelOne"),
            "{v}"
        );
        assert_eq!(v["dataSchema"]["type"], "object");
        assert_eq!(v["dataSchema"]["properties"]["api_token"]["password"], true);
        assert_eq!(
            v["dataSchema"]["required"],
            json!(["base_url", "api_token"])
        );
        assert_eq!(v["uiSchema"]["type"], "VerticalLayout");
        assert_eq!(
            v["uiSchema"]["elements"][1],
            json!({"type": "Control", "scope": "#/properties/api_token",
                   "options": {"format": "password"}})
        );
        assert!(v["exports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["permission"].is_string()));
        assert!(
            v.get("logoUrl").is_some() && v.get("docsUrl").is_some(),
            "{v}"
        );
        // Validating does not use the token up.
        assert_eq!(app.validate(&org, &token).await.0, StatusCode::OK);

        // Credentials the vendor refuses: 400, nothing created, the token still works.
        let path = connections_path(&org);
        let (s, r) = app
            .with_token(
                Method::POST,
                &path,
                &token,
                json!({"vendor": "SENTINELONE",
                       "credentials": s1_credentials(&sim.base_url(), "wrong")}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
        assert!(detail(&r).contains("Nothing was changed"), "{r}");
        assert_eq!(app.connection_count(&org).await, 0);

        let (s, conn) = app
            .with_token(
                Method::POST,
                &path,
                &token,
                json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{conn}");
        assert_eq!(conn["identifier"], "acme-s1", "the token's identifier");
        assert_eq!(conn["organization_id"], org.as_str());
        assert!(conn.get("credentials").is_none());
        let id = conn["id"].as_str().unwrap();
        let job = app.first_job(&org, id).await;
        assert_eq!(job["health"], "HEALTHY", "{job}");

        // Single use: the second connection is refused, and so is validating again.
        let (s, r) = app
            .with_token(
                Method::POST,
                &path,
                &token,
                json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{r}");
        assert!(detail(&r).contains("already used"), "{r}");
        assert_eq!(app.validate(&org, &token).await.0, StatusCode::CONFLICT);
        assert_eq!(app.connection_count(&org).await, 1);

        // The trail: minted with the key; the connection created by the token; used once,
        // refused after.
        let invites = app.audit_actions("connection_invite").await;
        assert!(
            invites.contains(&("created".into(), "api_key".into())),
            "{invites:?}"
        );
        assert!(
            invites.contains(&("used".into(), "invite_token".into())),
            "{invites:?}"
        );
        assert!(
            invites.contains(&("refused".into(), "invite_token".into())),
            "{invites:?}"
        );
        let conns = app.audit_actions("connection").await;
        assert!(
            conns.contains(&("created".into(), "invite_token".into())),
            "{conns:?}"
        );
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn an_update_token_fixes_one_revoked_connection() {
    for db in backends("invite_update") {
        let app = TestApp::spawn(db).await;
        let sim = sim(SimVendor::Sentinelone, 3, 5).await;
        let revoked = sim
            .control()
            .add_credential("revoked", &["all:revoke"])
            .unwrap();
        let org = app.create_org("customer").await;
        let conn = app.connect(&org, "SENTINELONE", revoked.clone()).await;
        let other = app.connect(&org, "SENTINELONE", sim.credentials()).await;
        assert_eq!(app.first_job(&org, &conn).await["health"], "UNAUTHORIZED");
        app.first_job(&org, &other).await;

        let token = app.mint(&org, json!({"connection_id": conn})).await;
        let (s, v) = app.validate(&org, &token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["kind"].as_str(), v["connectionId"].as_str()),
            (Some("update"), Some(conn.as_str()))
        );

        let path = format!("{}/{conn}", connections_path(&org));
        let other_path = format!("{}/{other}", connections_path(&org));
        // Another connection, more than credentials, creating, or revoked credentials:
        // refused, nothing changes, the token still works.
        for (target, body, status, says) in [
            (
                &other_path,
                json!({"credentials": sim.credentials()}),
                StatusCode::FORBIDDEN,
                "another connection",
            ),
            (
                &path,
                json!({"credentials": sim.credentials(), "state": "PAUSED"}),
                StatusCode::FORBIDDEN,
                "only the connection's credentials",
            ),
            (
                &path,
                json!({"identifier": "x"}),
                StatusCode::FORBIDDEN,
                "only the connection's credentials",
            ),
            (&path, json!({}), StatusCode::UNPROCESSABLE_ENTITY, ""),
            (
                &path,
                json!({"credentials": revoked}),
                StatusCode::BAD_REQUEST,
                "refused",
            ),
        ] {
            let (s, r) = app.with_token(Method::PATCH, target, &token, body).await;
            assert_eq!(s, status, "{r}");
            if !says.is_empty() {
                assert!(detail(&r).contains(says), "{r}");
            }
        }
        let (s, r) = app
            .with_token(
                Method::POST,
                &connections_path(&org),
                &token,
                json!({"vendor": "SENTINELONE", "credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{r}");
        assert!(detail(&r).contains("update token"), "{r}");
        assert_eq!(
            app.connection(&org, &conn).await["health"]["name"],
            "UNAUTHORIZED"
        );
        assert_eq!(app.connection_count(&org).await, 2);

        // The token opens nothing else.
        let (s, _) = app.with_token(Method::GET, &path, &token, json!({})).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        let (s, updated) = app
            .with_token(
                Method::PATCH,
                &path,
                &token,
                json!({"credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{updated}");
        let job = app.settle(&org, &conn).await.unwrap();
        assert_eq!(job["health"], "HEALTHY", "{job}");
        assert_eq!(
            app.connection(&org, &conn).await["health"]["name"],
            "HEALTHY"
        );

        let (s, r) = app
            .with_token(
                Method::PATCH,
                &path,
                &token,
                json!({"credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{r}");
        let conns = app.audit_actions("connection").await;
        assert!(
            conns.contains(&("updated".into(), "invite_token".into())),
            "{conns:?}"
        );
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn expired_revoked_forged_and_foreign_tokens_are_refused() {
    for db in backends("invite_refusals") {
        let app = TestApp::spawn(db).await;
        let sim = sim(SimVendor::Sentinelone, 1, 1).await;
        let org = app.create_org("customer").await;
        let foreign = app.create_org("another customer").await;
        let body = json!({"vendor": "SENTINELONE", "credentials": sim.credentials()});
        let path = connections_path(&org);

        let expired = app
            .stored_token(&org, "SENTINELONE", None, Duration::seconds(-5))
            .await;
        let revoked = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
        let (s, r) = app
            .post(
                &format!("{}/revoke", tokens_path(&org)),
                json!({"token": revoked}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert!(r["revoked_at"].is_string(), "{r}");
        let crowdstrike = app.mint(&org, json!({"vendor": "CROWDSTRIKE"})).await;
        let valid = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
        let forged = format!("tci_{}", "0".repeat(48));

        for (token, target, status, says) in [
            (&expired, &path, StatusCode::UNAUTHORIZED, "expired"),
            (&revoked, &path, StatusCode::UNAUTHORIZED, "revoked"),
            (
                &forged,
                &path,
                StatusCode::UNAUTHORIZED,
                "Invalid connection invite token",
            ),
            (
                &String::new(),
                &path,
                StatusCode::UNAUTHORIZED,
                "Missing connection invite token",
            ),
            (
                &valid,
                &connections_path(&foreign),
                StatusCode::FORBIDDEN,
                "another organization",
            ),
            (
                &crowdstrike,
                &path,
                StatusCode::FORBIDDEN,
                "is for CROWDSTRIKE",
            ),
        ] {
            let (s, r) = app
                .with_token(Method::POST, target, token, body.clone())
                .await;
            assert_eq!(s, status, "{token}: {r}");
            assert!(detail(&r).contains(says), "{token}: {r}");
        }
        for (token, status) in [
            (&expired, StatusCode::UNAUTHORIZED),
            (&revoked, StatusCode::UNAUTHORIZED),
            (&forged, StatusCode::UNAUTHORIZED),
        ] {
            assert_eq!(app.validate(&org, token).await.0, status);
        }
        assert_eq!(
            app.validate(&foreign, &valid).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.connection_count(&org).await, 0);
        assert_eq!(app.connection_count(&foreign).await, 0);

        // Another account cannot revoke the token, nor see it; a used one cannot be revoked.
        let other_key = app.other_account_key().await;
        let r = app
            .client
            .post(app.url(&format!("{}/revoke", tokens_path(&org))))
            .header("X-API-KEY", &other_key)
            .json(&json!({"token": valid}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let (s, _) = app
            .with_token(Method::POST, &path, &valid, body.clone())
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "the refusals left the valid token usable"
        );
        let (s, r) = app
            .post(
                &format!("{}/revoke", tokens_path(&org)),
                json!({"token": valid}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{r}");

        // Minting: exactly one of vendor and connection_id; bounded expiry; known ids.
        for bad in [
            json!({}),
            json!({"vendor": "SENTINELONE", "connection_id": Uuid::now_v7()}),
            json!({"vendor": "SENTINELONE", "expiry_secs": 10}),
            json!({"vendor": "SENTINELONE", "expiry_secs": 10_000_000}),
            json!({"vendor": "NOT_A_VENDOR"}),
        ] {
            let (s, r) = app.post(&tokens_path(&org), bad.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {r}");
            assert!(r["detail"].is_array(), "{r}");
        }
        let (s, r) = app
            .post(&tokens_path(&org), json!({"connection_id": Uuid::now_v7()}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
        let (s, _) = app
            .post(
                &tokens_path(&Uuid::now_v7().to_string()),
                json!({"vendor": "SENTINELONE"}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Minting needs an API key.
        let r = app
            .client
            .post(app.url(&tokens_path(&org)))
            .header("X-CONNECTION-INVITE-TOKEN", &valid)
            .json(&json!({"vendor": "SENTINELONE"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn invite_tokens_are_rate_limited_per_token_and_address() {
    let db = tributary_store::testing::TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&db, dir.path());
    config.rate_limit.invite_uses_per_minute = 3;
    config.rate_limit.failed_auth_per_minute = 1000;
    let app = TestApp::spawn_with(db, dir, config).await;
    let org = app.create_org("customer").await;
    let token = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
    for _ in 0..3 {
        assert_eq!(app.validate(&org, &token).await.0, StatusCode::OK);
    }
    let (s, r) = app.validate(&org, &token).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{r}");
    assert!(detail(&r).contains("Too many requests"), "{r}");
    // Other tokens from the same address share its budget (4 × 3 = 12): 4 spent so far.
    let mut refused = 0;
    for _ in 0..10 {
        let forged = format!("tci_{}", Uuid::new_v4().simple());
        if app.validate(&org, &forged).await.0 == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 2, "the address's budget ran out after 12 requests");
    app.stop().await;
}

#[tokio::test]
async fn webhooks_that_ask_for_it_carry_a_working_fix_link() {
    use crate::receiver::Receiver;
    for db in backends("invite_webhook_fix_link") {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(&db, dir.path());
        config.public_url = Some("https://tributary.example.com".into());
        let app = TestApp::spawn_with(db, dir, config).await;
        let wants = Receiver::start(200).await;
        let plain = Receiver::start(200).await;
        for (receiver, flag) in [(&wants, true), (&plain, false)] {
            let (s, hook) = app
                .post(
                    "/v1/webhooks",
                    json!({"url": receiver.url(), "event_types": ["connection.health_changed"],
                           "include_fix_link": flag}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{hook}");
            assert_eq!(hook["include_fix_link"], flag);
        }
        let sim = sim(SimVendor::Sentinelone, 2, 2).await;
        let revoked = sim
            .control()
            .add_credential("revoked", &["all:revoke"])
            .unwrap();
        let org = app.create_org("customer").await;
        let conn = app.connect(&org, "SENTINELONE", revoked).await;
        // Flap control: "down" is notified once the failure holds for two jobs.
        assert_eq!(app.first_job(&org, &conn).await["health"], "UNAUTHORIZED");
        assert_eq!(app.run_job(&org, &conn).await["health"], "UNAUTHORIZED");
        // The sender, stepped; a retried delivery would carry the same link.
        while app.deliver().await > 0 {}
        let got = wants.wait_for(1, std::time::Duration::from_secs(10)).await;
        let event = got[0].json();
        assert_eq!(event["data"]["health"]["resolution_owner"], "CUSTOMER");
        let url = event["data"]["fix_link"]["url"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            url.starts_with("https://tributary.example.com/connect/tci_"),
            "{url}"
        );
        assert!(event["data"]["fix_link"]["expires_at"].is_string());
        let other = plain.wait_for(1, std::time::Duration::from_secs(10)).await;
        assert!(
            other[0].json()["data"].get("fix_link").is_none(),
            "not asked for"
        );

        // The link is an update token for that connection.
        let token = url.rsplit('/').next().unwrap();
        let (s, v) = app.validate(&org, token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["connectionId"], conn.as_str());
        let page = app
            .client
            .get(app.url(&format!("/connect/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("no longer accepts"), "{html}");
        let path = format!("{}/{conn}", connections_path(&org));
        let (s, r) = app
            .with_token(
                Method::PATCH,
                &path,
                token,
                json!({"credentials": sim.credentials()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(app.settle(&org, &conn).await.unwrap()["health"], "HEALTHY");
        // The delivery log keeps the event without the token.
        let (_, hooks) = app.get("/v1/webhooks").await;
        let hook = hooks["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["include_fix_link"] == true)
            .unwrap();
        let (_, deliveries) = app
            .get(&format!(
                "/v1/webhooks/{}/deliveries",
                hook["id"].as_str().unwrap()
            ))
            .await;
        assert!(!deliveries.to_string().contains(token), "{deliveries}");
        wants.stop();
        plain.stop();
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn of_two_concurrent_uses_of_a_token_exactly_one_wins() {
    for db in backends("invite_concurrent_use") {
        let app = TestApp::spawn(db).await;
        let sim = sim(SimVendor::Sentinelone, 1, 1).await;
        let org = app.create_org("customer").await;
        let path = connections_path(&org);
        for round in 0..3 {
            let token = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
            let body = json!({"vendor": "SENTINELONE", "credentials": sim.credentials()});
            let uses = futures::future::join_all(
                (0..4).map(|_| app.with_token(Method::POST, &path, &token, body.clone())),
            )
            .await;
            let mut statuses: Vec<StatusCode> = uses.iter().map(|(s, _)| *s).collect();
            statuses.sort();
            assert_eq!(
                statuses,
                [
                    StatusCode::OK,
                    StatusCode::CONFLICT,
                    StatusCode::CONFLICT,
                    StatusCode::CONFLICT
                ],
                "round {round}: {uses:?}"
            );
            assert_eq!(app.connection_count(&org).await, round + 1);
        }
        sim.shutdown().await.unwrap();
        app.stop().await;
    }
}

/// The `csrf` form value and the CSRF cookie of a connect page response.
async fn page_form(app: &TestApp, token: &str, cookie: Option<&str>) -> (String, String) {
    let mut req = app.client.get(app.url(&format!("/connect/{token}")));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let html = resp.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    (csrf, set.or(cookie.map(str::to_owned)).unwrap())
}

#[tokio::test]
async fn the_connect_page_refuses_forms_of_another_token_or_browser() {
    let db = tributary_store::testing::TestDatabase::sqlite();
    let app = TestApp::spawn(db).await;
    let sim = sim(SimVendor::Sentinelone, 1, 1).await;
    let org = app.create_org("customer").await;
    let a = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
    let b = app.mint(&org, json!({"vendor": "SENTINELONE"})).await;
    let (csrf_a, cookie) = page_form(&app, &a, None).await;
    assert!(cookie.starts_with("trb_connect_csrf="), "{cookie}");
    let (csrf_b, _) = page_form(&app, &b, Some(&cookie)).await;
    let creds = sim.credentials();
    let form = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("base_url", creds["base_url"].as_str().unwrap().to_owned()),
            ("api_token", creds["api_token"].as_str().unwrap().to_owned()),
        ]
    };
    let post = |token: &str, cookie: Option<&str>, form: Vec<(&str, String)>| {
        let mut req = app
            .client
            .post(app.url(&format!("/connect/{token}/check")))
            .form(&form);
        if let Some(c) = cookie {
            req = req.header("cookie", c.to_owned());
        }
        req.send()
    };
    // Token A's form token on token B's page; B's without the browser's cookie; another
    // browser's cookie: all refused, nothing checked or saved.
    assert_eq!(
        post(&b, Some(&cookie), form(&csrf_a))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&b, None, form(&csrf_b)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let other_browser = "trb_connect_csrf=AAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        post(&b, Some(other_browser), form(&csrf_b))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let invites = app.audit_actions("connection_invite").await;
    assert!(!invites.iter().any(|(a, _)| a == "checked"), "{invites:?}");
    // The matching form is checked, and the answer carries no secret.
    let ok = post(&b, Some(&cookie), form(&csrf_b)).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let html = ok.text().await.unwrap();
    assert!(html.contains("id=\"ready\""), "{html}");
    assert!(
        !html.contains(creds["api_token"].as_str().unwrap()),
        "no secret sent back"
    );
    assert_eq!(app.connection_count(&org).await, 0, "checked, not saved");
    sim.shutdown().await.unwrap();
    app.stop().await;
}
