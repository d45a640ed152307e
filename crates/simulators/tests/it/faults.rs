//! Every fault over real HTTP, in each vendor's own error shape and headers.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tributary_simulators::{spawn, SimVendor};

use crate::support::*;

#[tokio::test]
async fn status_faults_use_each_vendors_error_shape() {
    let s1 = sim(SimVendor::Sentinelone, 3, 3).await;
    let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
    let mde = sim(SimVendor::MsDefenderEndpoint, 3, 3).await;
    let cs_tok = cs_token(&cs, &cs.credentials()).await;
    let mde_tok = mde_token(&mde.credentials()).await;
    for code in [400u16, 401, 403, 404, 500, 502, 503] {
        for s in [&s1, &cs, &mde] {
            s.control().clear_faults(None, None);
            s.control().fault(&format!("all:{code}")).unwrap();
        }
        let r = s1_get_threats(&s1).await;
        assert_eq!(r.status, code);
        assert_eq!(r.body["errors"][0]["code"], u64::from(code) * 10_000 + 10);
        let r = cs_get(&cs, &cs_tok, "/alerts/queries/alerts/v2", &[]).await;
        assert_eq!(r.status, code);
        assert_eq!(r.body["errors"][0]["code"], code);
        assert!(r.headers.contains_key("x-ratelimit-remaining"));
        let r = mde_get(&mde_tok, &format!("{}/api/alerts", mde.base_url())).await;
        assert_eq!(r.status, code);
        assert!(r.body["error"]["code"].is_string() && r.body["error"]["message"].is_string());
    }
}

async fn s1_get_threats(sim: &tributary_simulators::RunningSimulator) -> Reply {
    s1(sim, "/threats", &[]).await
}

#[tokio::test]
async fn forbidden_on_one_endpoint_only_is_partial_access() {
    let sim = sim(SimVendor::Sentinelone, 3, 3).await;
    sim.control().fault("threats:403").unwrap();
    assert_eq!(s1(&sim, "/agents", &[]).await.status, 200);
    let r = s1(&sim, "/threats", &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["errors"][0]["title"], "Insufficient permissions");
}

#[tokio::test]
async fn a_second_credential_with_its_own_faults() {
    let sim = sim(SimVendor::Sentinelone, 3, 3).await;
    let limited = sim
        .control()
        .add_credential("limited", &["threats:403"])
        .unwrap();
    let token = limited["api_token"].as_str().unwrap();
    assert_ne!(limited, sim.credentials());
    assert_eq!(s1_with(&sim, token, "/agents", &[]).await.status, 200);
    assert_eq!(s1_with(&sim, token, "/threats", &[]).await.status, 403);
    assert_eq!(
        s1(&sim, "/threats", &[]).await.status,
        200,
        "the primary credential is unaffected"
    );
    assert!(
        sim.control().add_credential("limited", &[]).is_err(),
        "labels are unique"
    );
    assert!(
        sim.control().fault("nobody/threats:403").is_err(),
        "unknown credential"
    );
    assert!(sim.control().fault("all:418").is_ok());
    assert!(
        sim.control().fault("widgets:500").is_err(),
        "unknown endpoint"
    );
}

#[tokio::test]
async fn rate_limits_carry_the_vendors_headers() {
    let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
    let tok = cs_token(&cs, &cs.credentials()).await;
    cs.control().fault("alerts:429").unwrap();
    let r = cs_get(&cs, &tok, "/alerts/queries/alerts/v2", &[]).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["x-ratelimit-remaining"], "0");
    let retry: i64 = r.headers["x-ratelimit-retryafter"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let start_s = start().timestamp();
    assert!(
        (start_s..start_s + 120).contains(&retry),
        "epoch seconds on the simulated clock: {retry}"
    );
    assert_eq!(
        cs_get(&cs, &tok, "/devices/queries/devices/v1", &[])
            .await
            .status,
        200,
        "only alerts"
    );

    let mde = sim(SimVendor::MsDefenderEndpoint, 3, 3).await;
    let tok = mde_token(&mde.credentials()).await;
    mde.control().fault("machines:429x3").unwrap();
    let url = format!("{}/api/machines", mde.base_url());
    for _ in 0..3 {
        let r = mde_get(&tok, &url).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.headers["retry-after"], "1");
        assert_eq!(r.body["error"]["code"], "TooManyRequests");
    }
    assert_eq!(mde_get(&tok, &url).await.status, 200, "429x3 is used up");
    assert!(mde.control().faults().is_empty());
}

#[tokio::test]
async fn quota_windows_refuse_after_the_limit() {
    let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
    let tok = cs_token(&cs, &cs.credentials()).await;
    cs.control().fault("devices:quota=3/60s").unwrap();
    for left in ["2", "1", "0"] {
        let r = cs_get(&cs, &tok, "/devices/queries/devices/v1", &[]).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            (
                r.headers["x-ratelimit-limit"].to_str().unwrap(),
                r.headers["x-ratelimit-remaining"].to_str().unwrap()
            ),
            ("3", left)
        );
    }
    let r = cs_get(&cs, &tok, "/devices/queries/devices/v1", &[]).await;
    assert_eq!(r.status, 429);
    assert!(r.headers.contains_key("x-ratelimit-retryafter"));
}

#[tokio::test]
async fn slow_and_hanging_responses() {
    let sim = sim(SimVendor::Sentinelone, 3, 3).await;
    sim.control().fault("agents:slow=300").unwrap();
    let t = Instant::now();
    assert_eq!(s1(&sim, "/agents", &[]).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    sim.control().clear_faults(None, None);
    sim.control().fault("agents:hang").unwrap();
    let url = format!("{}/web/api/v2.1/agents", sim.base_url());
    let token = sim.credentials()["api_token"].as_str().unwrap().to_owned();
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let err = quick
        .get(&url)
        .header("Authorization", format!("ApiToken {token}"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert_eq!(
        s1(&sim, "/threats", &[]).await.status,
        200,
        "other endpoints answer"
    );
    let pending = sim
        .control()
        .requests()
        .into_iter()
        .filter(|r| r.status.is_none())
        .count();
    assert_eq!(
        pending, 1,
        "the hanging request is recorded without a status"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn reset_and_truncated_bodies_break_clients() {
    let sim = sim(SimVendor::MsDefenderEndpoint, 5, 30).await;
    let tok = mde_token(&sim.credentials()).await;
    let url = format!("{}/api/alerts", sim.base_url());
    sim.control().fault("alerts:resetx1").unwrap();
    let resp = client().get(&url).bearer_auth(&tok).send().await;
    let broken = match resp {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(broken, "the connection is cut mid-response");
    sim.control().fault("alerts:truncatedx1").unwrap();
    let r = client().get(&url).bearer_auth(&tok).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.expect("a complete HTTP response");
    assert!(
        serde_json::from_slice::<Value>(&body).is_err(),
        "whose JSON is cut off"
    );
    assert_eq!(mde_get(&tok, &url).await.status, 200, "both were one-shot");
}

#[tokio::test]
async fn malformed_duplicate_and_unknown_enum_pages() {
    let sim = sim(SimVendor::Sentinelone, 3, 12).await;
    let normal = s1(&sim, "/threats", &[("limit", "5")]).await.body["data"].clone();
    sim.control().fault("threats:duplicatex1").unwrap();
    let dup = s1(&sim, "/threats", &[("limit", "5")]).await.body["data"].clone();
    assert_eq!(dup.as_array().unwrap().len(), 6);
    assert_eq!(dup[5], dup[0]);
    sim.control().fault("threats:malformedx1").unwrap();
    let bad = s1(&sim, "/threats", &[("limit", "5")]).await.body["data"].clone();
    assert!(bad[0].is_string(), "a record that is a string");
    assert!(bad[1].get("id").is_none(), "a record without its id");
    assert_eq!(bad[2], normal[2]);
    sim.control().fault("threats:unknown_enumx1").unwrap();
    let odd = s1(&sim, "/threats", &[("limit", "5")]).await.body["data"].clone();
    assert_eq!(odd[0]["threatInfo"]["incidentStatus"], "pending_review");
    assert_eq!(
        s1(&sim, "/threats", &[("limit", "5")]).await.body["data"],
        normal
    );

    let cs = spawn(config(SimVendor::Crowdstrike, 4, 8)).await.unwrap();
    let tok = cs_token(&cs, &cs.credentials()).await;
    let ids = texts(
        &cs_get(&cs, &tok, "/alerts/queries/alerts/v2", &[])
            .await
            .body["resources"],
    );
    cs.control().fault("alerts:unknown_enum").unwrap();
    let alerts = cs_post(
        &cs,
        &tok,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": ids}),
    )
    .await;
    assert!(alerts.body["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["status"] == "escalated"));
    cs.control().fault("devices:malformedx1").unwrap();
    let q = cs_get(&cs, &tok, "/devices/queries/devices/v1", &[]).await;
    assert!(
        q.body["resources"][0].is_number(),
        "an id of the wrong type"
    );
}

#[tokio::test]
async fn revocation_expiry_and_restore() {
    let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
    let creds = cs.credentials();
    let tok = cs_token(&cs, &creds).await;
    let path = "/devices/queries/devices/v1";
    cs.control().expire("primary").unwrap();
    assert_eq!(
        cs_get(&cs, &tok, path, &[]).await.status,
        401,
        "expired token"
    );
    let fresh = cs_token(&cs, &creds).await;
    assert_eq!(
        cs_get(&cs, &fresh, path, &[]).await.status,
        200,
        "a new token works after expiry"
    );
    cs.control().revoke_after_requests("primary", 2).unwrap();
    assert_eq!(cs_get(&cs, &fresh, path, &[]).await.status, 200);
    assert_eq!(cs_get(&cs, &fresh, path, &[]).await.status, 200);
    assert_eq!(
        cs_get(&cs, &fresh, path, &[]).await.status,
        401,
        "revoked after two requests"
    );
    let refused = read(
        client()
            .post(format!("{}/oauth2/token", cs.base_url()))
            .form(&[
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, 401, "a revoked client gets no token");
    cs.control().restore("primary").unwrap();
    let again = cs_token(&cs, &creds).await;
    assert_eq!(cs_get(&cs, &again, path, &[]).await.status, 200);

    let s1sim = sim(SimVendor::Sentinelone, 3, 3).await;
    let at = s1sim.control().now() + chrono::Duration::milliseconds(150);
    s1sim.control().revoke_at("primary", at).unwrap();
    assert_eq!(s1(&s1sim, "/agents", &[]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        s1(&s1sim, "/agents", &[]).await.status,
        401,
        "revoked at the set moment"
    );
    s1sim.control().restore("primary").unwrap();
    assert_eq!(s1(&s1sim, "/agents", &[]).await.status, 200);
    s1sim.control().fault("all:revoke").unwrap();
    assert_eq!(
        s1(&s1sim, "/agents", &[]).await.status,
        401,
        "revoke as a fault"
    );
}

#[tokio::test]
async fn token_endpoint_faults() {
    let cs = sim(SimVendor::Crowdstrike, 3, 3).await;
    let tok = cs_token(&cs, &cs.credentials()).await;
    cs.control().fault("token:401").unwrap();
    let creds = cs.credentials();
    let r = read(
        client()
            .post(format!("{}/oauth2/token", cs.base_url()))
            .form(&[
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        cs_get(&cs, &tok, "/devices/queries/devices/v1", &[])
            .await
            .status,
        200,
        "issued tokens still work"
    );

    let mde = sim(SimVendor::MsDefenderEndpoint, 3, 3).await;
    mde.control().fault("token:503x1").unwrap();
    let creds = mde.credentials();
    let r = mde_token_reply(&creds, creds["client_secret"].as_str().unwrap()).await;
    assert_eq!(r.status, 503);
    assert_eq!(
        r.body["error"], "temporarily_unavailable",
        "AAD's error shape"
    );
    assert_eq!(
        mde_token_reply(&creds, creds["client_secret"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn short_token_lifetimes_expire() {
    let cs = spawn(config(SimVendor::Crowdstrike, 2, 2).token_ttl(Duration::from_millis(1500)))
        .await
        .unwrap();
    let tok = cs_token(&cs, &cs.credentials()).await;
    let path = "/devices/queries/devices/v1";
    assert_eq!(cs_get(&cs, &tok, path, &[]).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(cs_get(&cs, &tok, path, &[]).await.status, 401);
}
