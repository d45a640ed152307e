//! Changing collections by name: new, updated and deleted records, over Rust and HTTP.

use std::collections::BTreeMap;

use serde_json::json;
use tributary_simulators::{spawn, Change, SimConfig, SimVendor};

use crate::support::*;

fn change(new: u64, updated: u64, deleted: u64) -> Change {
    Change {
        new,
        updated,
        deleted,
    }
}

#[tokio::test]
async fn deleted_records_leave_the_api_and_unknown_collections_change_nothing() {
    let sim = sim(SimVendor::Crowdstrike, 6, 20).await;
    let c = sim.control();
    let asked = BTreeMap::from([("alerts".to_owned(), change(2, 1, 1))]);
    let report = c.advance_collections(&asked).expect("alerts are served");
    let alerts = &report.collections["alerts"];
    assert_eq!(
        (alerts.new_ids.len(), alerts.updated_ids.len()),
        (2, 1),
        "{report:?}"
    );
    assert_eq!(alerts.deleted_ids.len(), 1);
    assert_eq!((alerts.count, report.alerts, report.devices), (21, 21, 6));
    assert!(
        report.new_alert_ids.is_empty(),
        "the shorthand was not used"
    );
    let tok = cs_token(&sim, &sim.credentials()).await;
    let gone = cs_post(
        &sim,
        &tok,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": [alerts.deleted_ids[0]]}),
    )
    .await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    let listed = cs_get(&sim, &tok, "/alerts/queries/alerts/v2", &[("limit", "100")]).await;
    assert_eq!(listed.body["meta"]["pagination"]["total"], 21);
    assert!(!texts(&listed.body["resources"]).contains(&alerts.deleted_ids[0]));

    let unknown = BTreeMap::from([
        ("devices".to_owned(), change(1, 0, 0)),
        ("findings".to_owned(), change(1, 0, 0)),
    ]);
    assert!(c.advance_collections(&unknown).is_err());
    assert_eq!(c.counts(), (6, 21), "nothing changed");
    assert_eq!(c.count("findings"), None);
    assert_eq!(c.collection_counts(), vec![("devices", 6), ("alerts", 21)]);
}

#[tokio::test]
async fn the_admin_api_takes_collections_by_name_and_ticks_on_an_empty_body() {
    let sim = sim(SimVendor::Sentinelone, 4, 10).await;
    let url = format!("{}/advance", sim.admin_url());
    let post = |body: Option<serde_json::Value>| {
        let req = client().post(&url);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        async move { read(req.send().await.expect("request")).await }
    };
    let by_name = post(Some(
        json!({"collections": {"devices": {"new": 1, "deleted": 2}}, "new_alerts": 1}),
    ))
    .await;
    assert_eq!(by_name.status, 200, "{}", by_name.body);
    assert_eq!(by_name.body["collections"]["devices"]["count"], 3);
    assert_eq!(by_name.body["new_alert_ids"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            by_name.body["devices"].clone(),
            by_name.body["alerts"].clone()
        ),
        (json!(3), json!(11))
    );
    let (agents, _) = s1_all(&sim, "/agents", &[], 100).await;
    assert_eq!(agents.len(), 3);

    let bad = post(Some(json!({"collections": {"nope": {"new": 1}}}))).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let typo = post(Some(json!({"new_alertz": 1}))).await;
    assert!(typo.status.is_client_error(), "{}", typo.body);

    let tick = post(None).await;
    assert_eq!(tick.body["new_alert_ids"].as_array().unwrap().len(), 5);
    assert_eq!(tick.body["updated_device_ids"].as_array().unwrap().len(), 3);
    assert!(tick.body.get("collections").is_none(), "{}", tick.body);
    assert_eq!(
        sim.control().state()["collections"],
        json!({"devices": 4, "alerts": 16})
    );
}

#[tokio::test]
async fn sizes_are_set_by_collection_name() {
    let config = SimConfig::new(SimVendor::MsDefenderEndpoint)
        .count("devices", 7)
        .count("alerts", 9);
    assert_eq!((config.devices, config.alerts), (7, 9));
    let sim = spawn(config.clone()).await.expect("valid");
    assert_eq!(sim.control().counts(), (7, 9));
    let unknown = spawn(config.count("users", 3))
        .await
        .err()
        .expect("refused");
    assert!(
        unknown.to_string().contains("unknown collection"),
        "{unknown}"
    );
    let orphans = SimConfig::new(SimVendor::Crowdstrike).devices(0).alerts(3);
    assert!(spawn(orphans).await.is_err(), "alerts need a device");
}
