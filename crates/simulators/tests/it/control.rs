//! The control surface: the admin API over HTTP, the request log, data changes for
//! incremental sync, and determinism.

use std::collections::HashSet;

use serde_json::{json, Value};
use tributary_simulators::{AdvanceSpec, SimVendor};

use crate::support::*;

#[tokio::test]
async fn admin_api_sets_faults_credentials_and_revocation() {
    let sim = sim(SimVendor::Sentinelone, 4, 4).await;
    let admin = sim.admin_url();
    let c = client();
    let added = read(
        c.post(format!("{admin}/faults"))
            .json(&json!({"spec": "threats:503x1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(added.status, 201);
    assert_eq!(added.body["spec"], "threats:503x1");
    let listed = read(c.get(format!("{admin}/faults")).send().await.unwrap()).await;
    assert_eq!(listed.body[0]["remaining"], 1);
    assert_eq!(s1(&sim, "/threats", &[]).await.status, 503);
    let structured = read(
        c.post(format!("{admin}/faults"))
            .json(&json!({"endpoint": "agents", "fault": "404"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(structured.status, 201);
    assert_eq!(s1(&sim, "/agents", &[]).await.status, 404);
    let cleared = read(
        c.delete(format!("{admin}/faults?endpoint=agents"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cleared.body["removed"], 1);
    assert_eq!(s1(&sim, "/agents", &[]).await.status, 200);
    let bad = read(
        c.post(format!("{admin}/faults"))
            .json(&json!({"spec": "threats:sideways"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["detail"].as_str().unwrap().contains("sideways"));

    let cred = read(
        c.post(format!("{admin}/credentials"))
            .json(&json!({"label": "ro", "faults": ["threats:403"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cred.status, 201);
    let token = cred.body["credentials"]["api_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s1_with(&sim, &token, "/threats", &[]).await.status, 403);
    assert_eq!(s1_with(&sim, &token, "/agents", &[]).await.status, 200);
    let got = read(
        c.get(format!("{admin}/credentials/ro"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(got.body["credentials"]["api_token"], token.as_str());
    let revoke = read(
        c.post(format!("{admin}/credentials/ro/revoke"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(revoke.status, 200);
    assert_eq!(s1_with(&sim, &token, "/agents", &[]).await.status, 401);
    c.post(format!("{admin}/credentials/ro/restore"))
        .send()
        .await
        .unwrap();
    assert_eq!(s1_with(&sim, &token, "/agents", &[]).await.status, 200);
    let later = read(
        c.post(format!("{admin}/credentials/ro/expire"))
            .json(&json!({"after_requests": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(later.status, 200);
    assert_eq!(s1_with(&sim, &token, "/agents", &[]).await.status, 200);
    assert_eq!(s1_with(&sim, &token, "/agents", &[]).await.status, 401);
    let unknown = read(
        c.post(format!("{admin}/credentials/nobody/revoke"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let state = read(c.get(format!("{admin}/state")).send().await.unwrap()).await;
    assert_eq!(state.body["vendor"], "sentinelone");
    assert_eq!(state.body["credentials"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn requests_are_recorded_with_masked_tokens() {
    let sim = sim(SimVendor::Crowdstrike, 4, 4).await;
    let creds = sim.credentials();
    let token = cs_token(&sim, &creds).await;
    cs_get(
        &sim,
        &token,
        "/alerts/queries/alerts/v2",
        &[("limit", "2"), ("filter", "status:'new'")],
    )
    .await;
    cs_post(
        &sim,
        &token,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": ["x"]}),
    )
    .await;
    let log = sim.control().requests();
    assert_eq!(log.len(), 3);
    let secret = creds["client_secret"].as_str().unwrap();
    let dump = serde_json::to_string(&log).unwrap();
    assert!(
        !dump.contains(&token) && !dump.contains(secret),
        "no full token or secret is stored"
    );
    assert_eq!(log[0].endpoint.as_deref(), Some("token"));
    assert_eq!(log[0].status, Some(201));
    assert!(log[0]
        .form
        .as_ref()
        .unwrap()
        .contains(&("client_secret".to_owned(), "***".to_owned())));
    assert_eq!(log[1].credential.as_deref(), Some("primary"));
    assert!(log[1].auth.as_deref().unwrap().starts_with("Bearer "));
    assert_eq!(log[1].param("filter").as_deref(), Some("status:'new'"));
    assert_eq!(log[2].status, Some(404));
    assert!(log[2].body.as_deref().unwrap().contains("composite_ids"));
    let over_http = read(
        client()
            .get(format!("{}/requests?endpoint=alerts", sim.admin_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(over_http.body.as_array().unwrap().len(), 2);
    client()
        .delete(format!("{}/requests", sim.admin_url()))
        .send()
        .await
        .unwrap();
    assert!(sim.control().requests().is_empty());
}

#[tokio::test]
async fn advance_makes_incremental_sync_deterministic() {
    let sim = sim(SimVendor::Sentinelone, 10, 40).await;
    let (before, _) = s1_all(&sim, "/threats", &[("sortBy", "updatedAt")], 1000).await;
    let watermark = strings(&before, "threatInfo.updatedAt")
        .last()
        .unwrap()
        .clone();
    let report = sim.control().advance(AdvanceSpec {
        new_alerts: 3,
        updated_alerts: 2,
        new_devices: 1,
        updated_devices: 2,
    });
    assert_eq!((report.alerts, report.devices), (43, 11));
    let (changed, _) = s1_all(
        &sim,
        "/threats",
        &[("sortBy", "updatedAt"), ("updatedAt__gt", &watermark)],
        1000,
    )
    .await;
    let changed_ids = strings(&changed, "id");
    let expected: Vec<String> = report
        .updated_alert_ids
        .iter()
        .chain(&report.new_alert_ids)
        .cloned()
        .collect();
    assert_eq!(
        changed_ids, expected,
        "exactly the changed records, oldest change first"
    );
    for id in &report.updated_alert_ids {
        let old = before.iter().find(|t| t["id"] == id.as_str()).unwrap();
        let new = changed.iter().find(|t| t["id"] == id.as_str()).unwrap();
        assert_ne!(
            old["threatInfo"]["incidentStatus"], new["threatInfo"]["incidentStatus"],
            "status progressed"
        );
        assert_eq!(
            old["threatInfo"]["createdAt"],
            new["threatInfo"]["createdAt"]
        );
    }
    let (agents, _) = s1_all(&sim, "/agents", &[], 1000).await;
    assert_eq!(agents.len(), 11);
    assert!(strings(&agents, "id").contains(&report.new_device_ids[0]));
    let total = s1(&sim, "/threats", &[("limit", "1")]).await;
    assert_eq!(total.body["pagination"]["totalItems"], 43);
    let over_http = read(
        client()
            .post(format!("{}/advance", sim.admin_url()))
            .json(&json!({"new_alerts": 2}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(over_http.body["new_alert_ids"].as_array().unwrap().len(), 2);
    assert_eq!(over_http.body["alerts"], 45);
}

#[tokio::test]
async fn advance_moves_crowdstrike_and_defender_watermarks_too() {
    let cs = sim(SimVendor::Crowdstrike, 6, 20).await;
    let tok = cs_token(&cs, &cs.credentials()).await;
    let before = cs_get(
        &cs,
        &tok,
        "/alerts/queries/alerts/v2",
        &[("sort", "updated_timestamp|desc"), ("limit", "1")],
    )
    .await;
    let newest = cs_post(
        &cs,
        &tok,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": before.body["resources"]}),
    )
    .await;
    let mark = newest.body["resources"][0]["updated_timestamp"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = cs.control().advance(AdvanceSpec {
        new_alerts: 2,
        updated_alerts: 3,
        ..Default::default()
    });
    let after = cs_get(
        &cs,
        &tok,
        "/alerts/queries/alerts/v2",
        &[
            ("filter", &format!("updated_timestamp:>'{mark}'")),
            ("sort", "updated_timestamp|asc"),
        ],
    )
    .await;
    let expected: Vec<String> = report
        .updated_alert_ids
        .iter()
        .chain(&report.new_alert_ids)
        .cloned()
        .collect();
    assert_eq!(texts(&after.body["resources"]), expected);

    let mde = sim(SimVendor::MsDefenderEndpoint, 6, 20).await;
    let tok = mde_token(&mde.credentials()).await;
    let (machines, _) = mde_all(&tok, &format!("{}/api/machines", mde.base_url())).await;
    let mark = strings(&machines, "lastSeen").last().unwrap().clone();
    let report = mde.control().advance(AdvanceSpec {
        updated_devices: 2,
        new_devices: 1,
        ..Default::default()
    });
    let (seen, _) = mde_all(
        &tok,
        &format!("{}/api/machines?$filter=lastSeen gt {mark}", mde.base_url()),
    )
    .await;
    let expected: Vec<String> = report
        .updated_device_ids
        .iter()
        .chain(&report.new_device_ids)
        .cloned()
        .collect();
    assert_eq!(strings(&seen, "id"), expected);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    for vendor in [
        SimVendor::Sentinelone,
        SimVendor::Crowdstrike,
        SimVendor::MsDefenderEndpoint,
    ] {
        let a = sim(vendor, 12, 30).await;
        let b = sim(vendor, 12, 30).await;
        let c = tributary_simulators::spawn(config(vendor, 12, 30).seed(7))
            .await
            .unwrap();
        let (ra, rb, rc) = (records(&a).await, records(&b).await, records(&c).await);
        assert_eq!(ra, rb, "{vendor}: same seed");
        assert_ne!(ra, rc, "{vendor}: another seed");
        assert_eq!(
            a.credentials()[secret_key(vendor)],
            b.credentials()[secret_key(vendor)]
        );
        let ids: HashSet<String> = ra.iter().map(|r| r.to_string()).collect();
        assert_eq!(ids.len(), ra.len());
    }
}

fn secret_key(vendor: SimVendor) -> &'static str {
    match vendor {
        SimVendor::Sentinelone => "api_token",
        _ => "client_secret",
    }
}

/// Every alert of a simulator, as served.
async fn records(sim: &tributary_simulators::RunningSimulator) -> Vec<Value> {
    match sim.vendor() {
        SimVendor::Sentinelone => s1_all(sim, "/threats", &[], 1000).await.0,
        SimVendor::Crowdstrike => {
            let tok = cs_token(sim, &sim.credentials()).await;
            let ids = cs_get(sim, &tok, "/alerts/queries/alerts/v2", &[("limit", "1000")])
                .await
                .body["resources"]
                .clone();
            cs_post(
                sim,
                &tok,
                "/alerts/entities/alerts/v2",
                &json!({"composite_ids": ids}),
            )
            .await
            .body["resources"]
                .as_array()
                .unwrap()
                .clone()
        }
        SimVendor::MsDefenderEndpoint => {
            let tok = mde_token(&sim.credentials()).await;
            mde_all(
                &tok,
                &format!("{}/api/alerts?$expand=evidence", sim.base_url()),
            )
            .await
            .0
        }
        SimVendor::OktaIdp | SimVendor::MsEntra => unreachable!("identity vendors have no alerts"),
    }
}
