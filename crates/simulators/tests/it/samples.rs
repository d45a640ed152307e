//! Generated records have every field of the vendors' published payloads
//! (`../shared/reference/samples`, read only when present; skipped otherwise).

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use serde_json::{json, Value};
use tributary_simulators::SimVendor;

use crate::support::*;

fn samples_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn load(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Dotted key paths of objects (arrays contribute their elements' keys).
fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(child, &p, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| paths(i, prefix, out)),
        _ => {}
    }
}

/// Sample paths missing from every generated record (beyond `except`).
fn missing(sample: &Value, generated: &[Value], except: &[&str]) -> Vec<String> {
    let mut want = BTreeSet::new();
    paths(sample, "", &mut want);
    let mut have = BTreeSet::new();
    generated.iter().for_each(|g| paths(g, "", &mut have));
    want.into_iter()
        .filter(|p| {
            !have.contains(p)
                && !except
                    .iter()
                    .any(|e| p == e || p.starts_with(&format!("{e}.")))
        })
        .collect()
}

#[tokio::test]
async fn sentinelone_records_have_the_published_fields() {
    let Some(dir) = samples_dir() else { return };
    let sim = sim(SimVendor::Sentinelone, 60, 200).await;
    let (agents, _) = s1_all(&sim, "/agents", &[], 1000).await;
    let (threats, _) = s1_all(&sim, "/threats", &[], 1000).await;
    let agent = &load(&dir, "sentinelone/agents_list_response.json")["data"][0];
    assert_eq!(
        missing(agent, &agents, &[]),
        Vec::<String>::new(),
        "agent fields"
    );
    let threat = &load(&dir, "sentinelone/threats_list_response.json")["data"][0];
    assert_eq!(
        missing(threat, &threats, &[]),
        Vec::<String>::new(),
        "threat fields"
    );
    let demisto = &load(&dir, "sentinelone/threats_list_response_demisto.json")["data"];
    assert_eq!(
        missing(demisto, &threats, &[]),
        Vec::<String>::new(),
        "threat fields (second source)"
    );
    let page = load(&dir, "sentinelone/agents_list_response.json");
    let ours = s1(&sim, "/agents", &[("limit", "1")]).await.body;
    assert_eq!(keys(&page["pagination"]), keys(&ours["pagination"]));
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn crowdstrike_records_have_the_published_fields() {
    let Some(dir) = samples_dir() else { return };
    let sim = sim(SimVendor::Crowdstrike, 60, 300).await;
    let tok = cs_token(&sim, &sim.credentials()).await;
    let ids = cs_get(
        &sim,
        &tok,
        "/devices/queries/devices/v1",
        &[("limit", "100")],
    )
    .await
    .body["resources"]
        .clone();
    let hosts = cs_post(
        &sim,
        &tok,
        "/devices/entities/devices/v2",
        &json!({"ids": ids}),
    )
    .await
    .body["resources"]
        .as_array()
        .unwrap()
        .clone();
    let host_samples = load(&dir, "crowdstrike/device_entities_elastic_host.json");
    // Policies vary by tenant (firewall, remote response, device control, rule sets).
    let policy_extras = [
        "device_policies.firewall",
        "device_policies.remote_response",
        "device_policies.device_control",
        "policies.rule_set_id",
    ];
    assert_eq!(
        missing(&host_samples, &hosts, &policy_extras),
        Vec::<String>::new(),
        "host fields"
    );
    let ids = cs_get(
        &sim,
        &tok,
        "/alerts/queries/alerts/v2",
        &[("limit", "1000")],
    )
    .await
    .body["resources"]
        .clone();
    let alerts = cs_post(
        &sim,
        &tok,
        "/alerts/entities/alerts/v2",
        &json!({"composite_ids": ids}),
    )
    .await
    .body["resources"]
        .as_array()
        .unwrap()
        .clone();
    let epp: Vec<Value> = alerts
        .iter()
        .filter(|a| a["type"] == "ldt" && a["product"] == "epp")
        .cloned()
        .collect();
    let alert_samples = load(&dir, "crowdstrike/alert_entities_elastic.json");
    assert_eq!(
        missing(
            &alert_samples[0],
            &epp,
            &["crawl_edge_ids", "crawl_vertex_ids"]
        ),
        Vec::<String>::new(),
        "EPP alert fields"
    );
    let idp: Vec<Value> = alerts
        .iter()
        .filter(|a| a["product"] == "idp")
        .cloned()
        .collect();
    let common = [
        "agent_id",
        "aggregate_id",
        "cid",
        "composite_id",
        "confidence",
        "created_timestamp",
        "description",
        "display_name",
        "id",
        "name",
        "product",
        "severity",
        "severity_name",
        "status",
        "tactic",
        "tactic_id",
        "technique",
        "technique_id",
        "timestamp",
        "type",
        "updated_timestamp",
        "user_name",
        "source_endpoint_host_name",
        "source_endpoint_ip_address",
        "source_endpoint_sensor_id",
        "start_time",
        "end_time",
    ];
    for key in common {
        assert!(
            idp.iter().all(|a| a.get(key).is_some()),
            "identity alerts have {key}"
        );
        assert!(
            alert_samples[1].get(key).is_some(),
            "the identity sample has {key}"
        );
    }
    let query = load(&dir, "crowdstrike/alert_queries_response_elastic_mock.json");
    let ours = cs_get(&sim, &tok, "/alerts/queries/alerts/v2", &[("limit", "1")])
        .await
        .body;
    for k in ["query_time", "pagination", "powered_by", "trace_id"] {
        assert!(
            query["meta"].get(k).is_some() && ours["meta"].get(k).is_some(),
            "meta.{k}"
        );
    }
}

#[tokio::test]
async fn defender_records_have_the_published_fields() {
    let Some(dir) = samples_dir() else { return };
    let sim = sim(SimVendor::MsDefenderEndpoint, 60, 200).await;
    let tok = mde_token(&sim.credentials()).await;
    let (machines, _) = mde_all(&tok, &format!("{}/api/machines", sim.base_url())).await;
    let (alerts, _) = mde_all(
        &tok,
        &format!("{}/api/alerts?$expand=evidence", sim.base_url()),
    )
    .await;
    let machine_samples = load(&dir, "ms_defender_endpoint/machines_elastic.json");
    assert_eq!(
        missing(&machine_samples, &machines, &[]),
        Vec::<String>::new(),
        "machine fields"
    );
    let docs = load(
        &dir,
        "ms_defender_endpoint/machines_list_response_docs.json",
    );
    assert_eq!(
        missing(&docs["value"], &machines, &[]),
        Vec::<String>::new(),
        "machine fields (docs)"
    );
    let alert_docs = load(&dir, "ms_defender_endpoint/alerts_list_response_docs.json");
    assert_eq!(
        missing(&alert_docs["value"], &alerts, &[]),
        Vec::<String>::new(),
        "alert fields"
    );
    let evidence = alert_docs["value"][0]["evidence"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect::<BTreeSet<_>>();
    for a in &alerts {
        for e in a["evidence"].as_array().unwrap() {
            assert_eq!(
                keys(e),
                evidence,
                "evidence items have exactly the documented keys"
            );
        }
    }
}
