//! Helpers for the vulnerability-management simulators: Tenable requests and whole
//! exports, Spotlight pages followed to the end.

use serde_json::{json, Value};
use tributary_simulators::{spawn, RunningSimulator, SimConfig, SimVendor};

use crate::support::*;

/// A simulator of `vendor` with `assets` and `findings` at the fixed start.
pub async fn vms_sim(vendor: SimVendor, assets: u64, findings: u64) -> RunningSimulator {
    let config = SimConfig::new(vendor)
        .count("assets", assets)
        .count("findings", findings)
        .start_time(start());
    spawn(config).await.expect("simulator starts")
}

/// `X-ApiKeys` for Tenable credentials (`spaced`: a space after `;`, as pyTenable sends).
pub fn api_keys(creds: &Value, spaced: bool) -> String {
    let sep = if spaced { "; " } else { ";" };
    format!(
        "accessKey={}{sep}secretKey={}",
        creds["access_key"].as_str().expect("access_key"),
        creds["secret_key"].as_str().expect("secret_key")
    )
}

/// A Tenable request with the primary keys (`body`: a POST).
pub async fn tio(sim: &RunningSimulator, path: &str, body: Option<Value>) -> Reply {
    let url = format!("{}{path}", sim.base_url());
    let keys = api_keys(&sim.credentials(), true);
    let req = match body {
        Some(b) => client().post(url).json(&b),
        None => client().get(url),
    };
    read(req.header("X-ApiKeys", keys).send().await.expect("request")).await
}

/// Starts an export of `kind` (`vulns`, `assets`) and returns its uuid.
pub async fn start_export(sim: &RunningSimulator, kind: &str, body: Value) -> String {
    let r = tio(sim, &format!("/{kind}/export"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["export_uuid"]
        .as_str()
        .expect("export_uuid")
        .to_owned()
}

/// Polls an export to its end, downloading each chunk once as it becomes available, as
/// pyTenable does. Returns the records and the statuses seen.
pub async fn drain_export(
    sim: &RunningSimulator,
    kind: &str,
    uuid: &str,
) -> (Vec<Value>, Vec<Value>) {
    let (mut records, mut statuses, mut done) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..20 {
        let s = tio(sim, &format!("/{kind}/export/{uuid}/status"), None).await;
        assert_eq!(s.status, 200, "{}", s.body);
        for id in s.body["chunks_available"]
            .as_array()
            .expect("chunks")
            .clone()
        {
            if done.contains(&id) {
                continue;
            }
            let c = tio(sim, &format!("/{kind}/export/{uuid}/chunks/{id}"), None).await;
            assert_eq!(c.status, 200, "chunk {id}: {}", c.body);
            records.extend(c.body.as_array().expect("a bare array").iter().cloned());
            done.push(id);
        }
        let status = s.body["status"].as_str().unwrap_or("").to_owned();
        statuses.push(s.body);
        if matches!(status.as_str(), "FINISHED" | "ERROR" | "CANCELLED") {
            return (records, statuses);
        }
    }
    panic!("export {uuid} never finished: {statuses:?}");
}

/// A whole export of `kind` with `body`.
pub async fn export_all(sim: &RunningSimulator, kind: &str, body: Value) -> Vec<Value> {
    let uuid = start_export(sim, kind, body).await;
    drain_export(sim, kind, &uuid).await.0
}

/// Everything since the epoch: every state.
pub fn all_findings() -> Value {
    json!({"num_assets": 50, "filters": {"since": 1}})
}

/// A Spotlight page of `path` with `query`.
pub async fn spotlight(
    sim: &RunningSimulator,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Reply {
    cs_get(sim, token, path, query).await
}

/// Every Spotlight record of `filter`, following `after` with `limit` (and `facets`).
pub async fn spotlight_all(
    sim: &RunningSimulator,
    token: &str,
    filter: &str,
    limit: &str,
    facets: &[&str],
) -> (Vec<Value>, usize) {
    let (mut out, mut after, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let mut q = vec![
            ("filter", filter),
            ("limit", limit),
            ("sort", "updated_timestamp|asc"),
        ];
        q.extend(facets.iter().map(|f| ("facet", *f)));
        if !after.is_empty() {
            q.push(("after", after.as_str()));
        }
        let r = spotlight(sim, token, "/spotlight/combined/vulnerabilities/v1", &q).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["errors"], json!([]));
        pages += 1;
        out.extend(
            r.body["resources"]
                .as_array()
                .expect("resources")
                .iter()
                .cloned(),
        );
        let next = r.body["meta"]["pagination"]["after"]
            .as_str()
            .expect("after is always there");
        if next.is_empty() {
            return (out, pages);
        }
        after = next.to_owned();
    }
}

/// How many of `all` (a full vulns export) Tenable's default export lists at `now`: open
/// and reopened findings last found within 30 days.
pub fn recent_open(all: &[Value], now: chrono::DateTime<chrono::Utc>) -> usize {
    let cutoff = now - chrono::Duration::days(30);
    all.iter()
        .filter(|r| r["state"] != "FIXED")
        .filter(|r| {
            let found: chrono::DateTime<chrono::Utc> =
                r["last_found"].as_str().unwrap().parse().unwrap();
            found >= cutoff
        })
        .count()
}
