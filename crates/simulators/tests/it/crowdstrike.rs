//! CrowdStrike Falcon over real HTTP: OAuth2 (201), bearer auth, rate-limit headers,
//! hosts (offset window, scroll, entities) and alerts (FQL, sort, offset/after,
//! entities, combined).

use std::collections::HashSet;

use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::support::*;

#[tokio::test]
async fn oauth2_token_is_201_and_bad_credentials_get_401_envelopes() {
    let sim = sim(SimVendor::Crowdstrike, 3, 3).await;
    let creds = sim.credentials();
    assert_eq!(creds.as_object().unwrap().len(), 3);
    assert_eq!(creds["client_id"].as_str().unwrap().len(), 32);
    let r = read(
        client()
            .post(format!("{}/oauth2/token", sim.base_url()))
            .form(&[
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", creds["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["token_type"], "bearer");
    assert_eq!(r.body["expires_in"], 1799);
    assert!(r.headers.contains_key("x-ratelimit-limit"));
    let bad = read(
        client()
            .post(format!("{}/oauth2/token", sim.base_url()))
            .form(&[
                ("client_id", creds["client_id"].as_str().unwrap()),
                ("client_secret", "wrong"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["errors"][0]["code"], 401);
    assert!(bad.body["meta"]["trace_id"].is_string());
    let missing = read(
        client()
            .post(format!("{}/oauth2/token", sim.base_url()))
            .form(&[("client_id", "x")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(missing.status, 400);
    let token = cs_token(&sim, &creds).await;
    let ok = cs_get(&sim, &token, "/devices/queries/devices/v1", &[]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers["x-ratelimit-limit"], "6000");
    let remaining: u32 = ok.headers["x-ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(remaining < 6000);
    let denied = cs_get(&sim, "forged", "/devices/queries/devices/v1", &[]).await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.body["errors"][0]["message"],
        "access denied, invalid bearer token"
    );
    let revoke = read(
        client()
            .post(format!("{}/oauth2/revoke", sim.base_url()))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revoke.status, 200);
    assert_eq!(
        cs_get(&sim, &token, "/devices/queries/devices/v1", &[])
            .await
            .status,
        401,
        "a revoked token stops working"
    );
}

#[tokio::test]
async fn hosts_offset_paging_has_a_ten_thousand_window() {
    let sim = sim(SimVendor::Crowdstrike, 10_020, 1).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let first = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("limit", "5000")],
    )
    .await;
    assert_eq!(first.body["meta"]["pagination"]["total"], 10_020);
    assert_eq!(
        first.body["meta"]["pagination"]["offset"], 5000,
        "the next offset"
    );
    assert_eq!(first.body["resources"].as_array().unwrap().len(), 5000);
    let edge = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("offset", "9990"), ("limit", "100")],
    )
    .await;
    assert_eq!(
        edge.body["resources"].as_array().unwrap().len(),
        10,
        "nothing past the window"
    );
    let past = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("offset", "10000")],
    )
    .await;
    assert_eq!(past.status, 400);
    assert_eq!(past.body["errors"][0]["code"], 400);
    let too_many = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("limit", "5001")],
    )
    .await;
    assert_eq!(too_many.status, 400);
}

#[tokio::test]
async fn hosts_scroll_reaches_every_host_and_filters_on_modified_timestamp() {
    let sim = sim(SimVendor::Crowdstrike, 37, 1).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let scroll = |filter: Option<String>| {
        let (sim, token) = (&sim, token.clone());
        async move {
            let mut ids = Vec::new();
            let mut offset: Option<String> = None;
            loop {
                let mut q = vec![
                    ("limit", "7".to_owned()),
                    ("sort", "modified_timestamp.asc".to_owned()),
                ];
                if let Some(f) = &filter {
                    q.push(("filter", f.clone()));
                }
                if let Some(o) = &offset {
                    q.push(("offset", o.clone()));
                }
                let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = cs_get(sim, &token, "/devices/queries/devices-scroll/v1", &q).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let p = &r.body["meta"]["pagination"];
                assert!(p["expires_at"].is_i64());
                ids.extend(texts(&r.body["resources"]).into_iter());
                offset = p["offset"].as_str().map(str::to_owned);
                if ids.len() as u64 >= p["total"].as_u64().unwrap() {
                    return ids;
                }
            }
        }
    };
    let all = scroll(None).await;
    assert_eq!(all.len(), 37);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 37);
    let details = cs_post(
        &sim,
        &token,
        "/devices/entities/devices/v2",
        &json!({"ids": all}),
    )
    .await;
    let hosts = details.body["resources"].as_array().unwrap().clone();
    assert_eq!(hosts.len(), 37);
    let modified = strings(&hosts, "modified_timestamp");
    assert!(
        modified.windows(2).all(|w| w[0] <= w[1]),
        "scroll sorted ascending"
    );
    assert_eq!(modified[0].len(), 20, "whole seconds: {}", modified[0]);
    let since = modified[20].clone();
    let newer = scroll(Some(format!("modified_timestamp:>='{since}'"))).await;
    assert_eq!(newer, all[20..].to_vec());
    let bad = cs_get(
        &sim,
        &token,
        "/devices/queries/devices-scroll/v1",
        &[("offset", "garbage")],
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn host_entities_by_get_and_post() {
    let sim = sim(SimVendor::Crowdstrike, 12, 1).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let ids = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("limit", "3")],
    )
    .await
    .body["resources"]
        .clone();
    let ids: Vec<String> = serde_json::from_value(ids).unwrap();
    let url = format!(
        "{}/devices/entities/devices/v2?ids={}&ids={}",
        sim.base_url(),
        ids[0],
        ids[1]
    );
    let got = read(client().get(url).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(
        strings(got.body["resources"].as_array().unwrap(), "device_id"),
        ids[..2].to_vec()
    );
    assert_eq!(got.body["meta"]["powered_by"], "device-api");
    let host = &got.body["resources"][0];
    assert_eq!(host["device_id"].as_str().unwrap().len(), 32);
    let mac = host["mac_address"].as_str().unwrap();
    assert!(
        mac.len() == 17 && mac.matches('-').count() == 5 && mac == mac.to_lowercase(),
        "{mac}"
    );
    let mixed = cs_post(
        &sim,
        &token,
        "/devices/entities/devices/v2",
        &json!({"ids": [ids[2], "0123456789abcdef0123456789abcdef"]}),
    )
    .await;
    assert_eq!(mixed.status, 200);
    assert_eq!(mixed.body["resources"].as_array().unwrap().len(), 1);
    assert_eq!(mixed.body["errors"][0]["code"], 404);
    let none = cs_post(
        &sim,
        &token,
        "/devices/entities/devices/v2",
        &json!({"ids": ["nope"]}),
    )
    .await;
    assert_eq!(none.status, 404);
    let many: Vec<String> = (0..101).map(|_| ids[0].clone()).collect();
    let q: Vec<(&str, &str)> = many.iter().map(|i| ("ids", i.as_str())).collect();
    assert_eq!(
        cs_get(&sim, &token, "/devices/entities/devices/v2", &q)
            .await
            .status,
        400
    );
}

/// Every alert id following `after` tokens.
async fn alerts_after(
    sim: &tributary_simulators::RunningSimulator,
    token: &str,
    filter: &str,
    limit: &str,
) -> (Vec<String>, u64) {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec![
            ("filter", filter),
            ("sort", "updated_timestamp|asc"),
            ("limit", limit),
        ];
        if let Some(a) = &after {
            q.push(("after", a));
        }
        let r = cs_get(sim, token, "/alerts/queries/alerts/v2", &q).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let total = r.body["meta"]["pagination"]["total"].as_u64().unwrap();
        ids.extend(texts(&r.body["resources"]));
        match r.body["meta"]["pagination"]["after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => return (ids, total),
        }
    }
}

async fn alert_entities(
    sim: &tributary_simulators::RunningSimulator,
    token: &str,
    ids: &[String],
) -> Vec<Value> {
    let r = cs_post(
        sim,
        token,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": ids}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["meta"]["powered_by"], "detectsapi");
    r.body["resources"].as_array().unwrap().clone()
}

#[tokio::test]
async fn alerts_page_by_after_and_offset_with_exact_totals_and_filters() {
    let sim = sim(SimVendor::Crowdstrike, 25, 140).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let (all, total) = alerts_after(&sim, &token, "", "25").await;
    assert_eq!((all.len(), total), (140, 140));
    let alerts = alert_entities(&sim, &token, &all).await;
    assert_eq!(
        strings(&alerts, "composite_id"),
        all,
        "entities come back in request order"
    );
    let updated = strings(&alerts, "updated_timestamp");
    assert!(updated.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(updated[0].len(), 30, "nanoseconds: {}", updated[0]);
    let since = updated[100].clone();
    let (newer, n) =
        alerts_after(&sim, &token, &format!("updated_timestamp:>='{since}'"), "9").await;
    assert_eq!((newer.as_slice(), n), (&all[100..], 40));
    let (strictly, _) =
        alerts_after(&sim, &token, &format!("updated_timestamp:>'{since}'"), "50").await;
    assert_eq!(strictly.as_slice(), &all[101..]);
    let mut by_offset = Vec::new();
    for offset in (0..140).step_by(50) {
        let o = offset.to_string();
        let r = cs_get(
            &sim,
            &token,
            "/alerts/queries/alerts/v2",
            &[("offset", &o), ("limit", "50")],
        )
        .await;
        assert_eq!(r.body["meta"]["pagination"]["offset"], offset);
        by_offset.extend(texts(&r.body["resources"]));
    }
    assert_eq!(by_offset, all);
    let count = |pred: &dyn Fn(&Value) -> bool| alerts.iter().filter(|a| pred(a)).count() as u64;
    for (filter, expected) in [
        ("status:'new'", count(&|a| a["status"] == "new")),
        (
            "status:['closed','reopened']",
            count(&|a| a["status"] == "closed" || a["status"] == "reopened"),
        ),
        (
            "severity:>=70",
            count(&|a| a["severity"].as_i64().unwrap() >= 70),
        ),
        (
            "product:'epp'+severity:<50",
            count(&|a| a["product"] == "epp" && a["severity"].as_i64().unwrap() < 50),
        ),
        ("status:!'new'", count(&|a| a["status"] != "new")),
        (
            "assigned_to_name:!*",
            count(&|a| a.get("assigned_to_name").is_none()),
        ),
    ] {
        let r = cs_get(
            &sim,
            &token,
            "/alerts/queries/alerts/v2",
            &[("filter", filter), ("limit", "1")],
        )
        .await;
        assert_eq!(r.body["meta"]["pagination"]["total"], expected, "{filter}");
    }
    let by_severity = cs_get(
        &sim,
        &token,
        "/alerts/queries/alerts/v2",
        &[("sort", "severity|desc"), ("limit", "10000")],
    )
    .await;
    let ordered = alert_entities(&sim, &token, &texts(&by_severity.body["resources"])).await;
    let sev: Vec<i64> = ordered
        .iter()
        .map(|a| a["severity"].as_i64().unwrap())
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "sorted by severity");
    for bad in [
        vec![("filter", "nosuch:'x'")],
        vec![("sort", "nosuch|asc")],
        vec![("offset", "10000")],
        vec![("after", "!!")],
    ] {
        assert_eq!(
            cs_get(&sim, &token, "/alerts/queries/alerts/v2", &bad)
                .await
                .status,
            400,
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn alerts_link_to_hosts_and_have_composite_ids() {
    let sim = sim(SimVendor::Crowdstrike, 15, 60).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let hosts = cs_get(
        &sim,
        &token,
        "/devices/queries/devices/v1",
        &[("limit", "100")],
    )
    .await;
    let aids: HashSet<String> = texts(&hosts.body["resources"]).into_iter().collect();
    let (ids, _) = alerts_after(&sim, &token, "", "100").await;
    let alerts = alert_entities(&sim, &token, &ids).await;
    let cid = alerts[0]["cid"].as_str().unwrap().to_owned();
    for a in &alerts {
        assert!(
            aids.contains(a["agent_id"].as_str().unwrap()),
            "alert concerns a listed host"
        );
        let composite = a["composite_id"].as_str().unwrap();
        assert!(composite.starts_with(&format!("{cid}:")), "{composite}");
        if let Some(device) = a.get("device").and_then(|d| d.get("device_id")) {
            assert_eq!(device, &a["agent_id"]);
        }
    }
    let unknown = cs_post(
        &sim,
        &token,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": [format!("{cid}:ind:{cid}:1-2-3")]}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let wrong_field = cs_post(
        &sim,
        &token,
        "/alerts/entities/alerts/v2",
        &json!({"ids": [ids[0]]}),
    )
    .await;
    assert_eq!(
        wrong_field.status, 400,
        "the v2 entities body is composite_ids"
    );
}

#[tokio::test]
async fn combined_alerts_page_with_after() {
    let sim = sim(SimVendor::Crowdstrike, 10, 55).await;
    let token = cs_token(&sim, &sim.credentials()).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut body = json!({"filter": "", "sort": "updated_timestamp|asc", "limit": 20});
        if let Some(a) = &after {
            body["after"] = json!(a);
        }
        let r = cs_post(&sim, &token, "/alerts/combined/alerts/v1", &body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["meta"]["pagination"]["total"], 55);
        seen.extend(strings(
            r.body["resources"].as_array().unwrap(),
            "composite_id",
        ));
        match r.body["meta"]["pagination"]["after"].as_str() {
            Some(a) => after = Some(a.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 55);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 55);
}
