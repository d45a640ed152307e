//! CrowdStrike Spotlight over real HTTP: the shared Falcon token, the combined endpoint
//! with `after` paging and facets, query and entity endpoints, incremental
//! `updated_timestamp` filters after changes, and the documented failures.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value};
use tributary_simulators::{Change, SimVendor};

use crate::{support::*, vms_support::*};

const COMBINED: &str = "/spotlight/combined/vulnerabilities/v1";
const EVERYTHING: &str = "updated_timestamp:>'2000-01-01T00:00:00Z'";

#[tokio::test]
async fn combined_pages_with_after_to_an_empty_token_and_facets_add_blocks() {
    let sim = vms_sim(SimVendor::CrowdstrikeSpotlight, 60, 450).await;
    let creds = sim.credentials();
    let mut keys: Vec<&String> = creds.as_object().unwrap().keys().collect();
    // JSON objects keep their insertion order: compare the set of keys.
    keys.sort();
    assert_eq!(keys, ["base_url", "client_id", "client_secret"]);
    let tok = cs_token(&sim, &creds).await;
    let (plain, pages) = spotlight_all(&sim, &tok, EVERYTHING, "100", &[]).await;
    assert_eq!((plain.len(), pages), (450, 5));
    let ids: HashSet<&str> = plain.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 450);
    for r in &plain {
        let (aid, hash) = r["id"].as_str().unwrap().split_once('_').unwrap();
        assert_eq!((aid, hash.len()), (r["aid"].as_str().unwrap(), 32));
        assert!(r["vulnerability_id"].as_str().unwrap().starts_with("CVE-"));
        assert!(
            r.get("cve").is_none()
                && r.get("host_info").is_none()
                && r.get("remediation").is_none()
        );
        assert!(r["apps"][0].get("evaluation_logic").is_none());
        let closed = r.get("closed_timestamp").is_some();
        assert_eq!(closed, r["status"] == "closed", "{r}");
    }
    let (faceted, _) = spotlight_all(
        &sim,
        &tok,
        EVERYTHING,
        "5000",
        &["cve", "host_info", "remediation", "evaluation_logic"],
    )
    .await;
    assert_eq!(faceted.len(), 450);
    let r = &faceted[0];
    assert!(r["cve"]["base_score"].is_number() && r["host_info"]["hostname"].is_string());
    assert!(r["remediation"]["entities"].is_array());
    assert!(
        r["apps"][0]["evaluation_logic"]["logic"][0]["id"]
            .as_u64()
            .unwrap()
            > i64::MAX as u64
    );
    let statuses: HashSet<&str> = faceted
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.is_superset(&HashSet::from(["open", "closed", "reopen"])),
        "{statuses:?}"
    );
    let open = spotlight_all(
        &sim,
        &tok,
        &format!("{EVERYTHING}+status:['open','reopen']"),
        "400",
        &[],
    )
    .await
    .0;
    let expected = faceted
        .iter()
        .filter(|r| r["status"] == "open" || r["status"] == "reopen")
        .count();
    assert_eq!(open.len(), expected);
    let critical = spotlight_all(
        &sim,
        &tok,
        &format!("{EVERYTHING}+cve.severity:'CRITICAL'"),
        "400",
        &[],
    )
    .await
    .0;
    assert_eq!(
        critical.len(),
        faceted
            .iter()
            .filter(|r| r["cve"]["severity"] == "CRITICAL")
            .count()
    );
}

#[tokio::test]
async fn queries_and_entities_agree_and_parameters_are_checked() {
    let sim = vms_sim(SimVendor::CrowdstrikeSpotlight, 10, 50).await;
    let tok = cs_token(&sim, &sim.credentials()).await;
    let q = spotlight(
        &sim,
        &tok,
        "/spotlight/queries/vulnerabilities/v1",
        &[("filter", EVERYTHING), ("limit", "400")],
    )
    .await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.body["meta"]["pagination"]["total"], 50);
    assert_eq!(q.body["meta"]["pagination"]["after"], "");
    let ids = texts(&q.body["resources"]);
    let mut query: Vec<(&str, &str)> = ids.iter().take(3).map(|i| ("ids", i.as_str())).collect();
    query.push(("ids", "nope_0"));
    let e = spotlight(&sim, &tok, "/spotlight/entities/vulnerabilities/v2", &query).await;
    assert_eq!(e.status, 200);
    assert_eq!(
        strings(e.body["resources"].as_array().unwrap(), "id"),
        ids[..3]
    );
    assert!(
        e.body["resources"][0]["cve"].is_object(),
        "entities carry every block"
    );
    assert_eq!(e.body["errors"][0]["code"], 404);
    for (bad, why) in [
        (vec![("limit", "10")], "filter is required"),
        (vec![("filter", EVERYTHING), ("limit", "5001")], "limit"),
        (vec![("filter", "nosuch:'x'")], "field"),
        (
            vec![("filter", EVERYTHING), ("facet", "cve_details")],
            "facet",
        ),
    ] {
        let r = spotlight(&sim, &tok, COMBINED, &bad).await;
        assert_eq!(r.status, 400, "{bad:?}");
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(why),
            "{}",
            r.body
        );
    }
    assert_eq!(q.headers["x-ratelimit-limit"], "6000");
}

#[tokio::test]
async fn updated_since_lists_closed_and_reopened_findings_under_their_ids() {
    let sim = vms_sim(SimVendor::CrowdstrikeSpotlight, 20, 200).await;
    let tok = cs_token(&sim, &sim.credentials()).await;
    let c = sim.control();
    let mark = c.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let first = c
        .advance_collections(&BTreeMap::from([(
            "findings".to_owned(),
            Change {
                new: 4,
                updated: 6,
                deleted: 0,
            },
        )]))
        .unwrap();
    let second = c
        .advance_collections(&BTreeMap::from([(
            "findings".to_owned(),
            Change {
                new: 0,
                updated: 300,
                deleted: 0,
            },
        )]))
        .unwrap();
    let (changed, _) = spotlight_all(
        &sim,
        &tok,
        &format!("updated_timestamp:>='{mark}'"),
        "50",
        &[],
    )
    .await;
    assert_eq!(
        changed.len(),
        204,
        "every finding changed, each once, under its id"
    );
    let by_id: BTreeMap<&str, &Value> = changed
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r))
        .collect();
    let updated = first.collections["findings"]
        .updated_ids
        .iter()
        .chain(&second.collections["findings"].updated_ids);
    let mut seen = BTreeMap::new();
    for id in updated {
        let r = by_id[id.as_str()];
        *seen.entry(r["status"].as_str().unwrap()).or_insert(0) += 1;
        if r["status"] == "closed" {
            assert!(r["closed_timestamp"].as_str().unwrap() >= mark.as_str());
        }
    }
    assert!(
        seen.contains_key("closed") && seen.contains_key("reopen"),
        "{seen:?}"
    );
    let times: Vec<&str> = changed
        .iter()
        .map(|r| r["updated_timestamp"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "sorted by updated_timestamp"
    );
    let (total, _) = spotlight_all(&sim, &tok, EVERYTHING, "5000", &[]).await;
    assert_eq!(total.len(), 204);
}

#[tokio::test]
async fn expired_after_errors_inside_200_scope_403_and_429_with_epoch_retry() {
    let sim = vms_sim(SimVendor::CrowdstrikeSpotlight, 10, 100).await;
    let tok = cs_token(&sim, &sim.credentials()).await;
    let first = spotlight(
        &sim,
        &tok,
        COMBINED,
        &[("filter", EVERYTHING), ("limit", "10")],
    )
    .await;
    let after = first.body["meta"]["pagination"]["after"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.control()
        .fault("vulnerabilities:after_expiredx1")
        .unwrap();
    let plain = spotlight(
        &sim,
        &tok,
        COMBINED,
        &[("filter", EVERYTHING), ("limit", "10")],
    )
    .await;
    assert_eq!(
        plain.status, 200,
        "a page without after leaves the fault in place"
    );
    let late = spotlight(
        &sim,
        &tok,
        COMBINED,
        &[("filter", EVERYTHING), ("limit", "10"), ("after", &after)],
    )
    .await;
    assert_eq!(late.status, 404);
    assert_eq!(
        late.body["errors"][0]["message"],
        "Search context expired, 'after' key no longer valid"
    );
    assert_eq!(
        late.body["meta"]["pagination"],
        json!({"limit": 10, "total": 0, "after": ""})
    );
    assert_eq!(late.body["resources"], json!([]));
    sim.control()
        .fault("vulnerabilities:error_in_200x1")
        .unwrap();
    let odd = spotlight(&sim, &tok, COMBINED, &[("filter", EVERYTHING)]).await;
    assert_eq!(odd.status, 200);
    assert_eq!(
        odd.body["errors"][0],
        json!({"code": 403, "message": "Access denied: insufficient scope for this action"})
    );
    assert_eq!(odd.body["resources"], json!([]));
    let limited = sim
        .control()
        .add_credential("no-spotlight", &["vulnerabilities:403"])
        .unwrap();
    let ltok = cs_token(&sim, &limited).await;
    let denied = spotlight(&sim, &ltok, COMBINED, &[("filter", EVERYTHING)]).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.body["errors"][0]["message"],
        "access denied, authorization failed"
    );
    sim.control().fault("vulnerabilities:429x1").unwrap();
    let throttled = spotlight(&sim, &tok, COMBINED, &[("filter", EVERYTHING)]).await;
    assert_eq!(throttled.status, 429);
    let retry: i64 = throttled.headers["x-ratelimit-retryafter"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= sim.control().now().timestamp(), "epoch seconds");
    assert_eq!(throttled.headers["x-ratelimit-remaining"], "0");
}
