//! Helpers shared by the simulator tests: spawning, HTTP calls, tokens.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{header::HeaderMap, Client, StatusCode};
use serde_json::Value;
use tributary_simulators::{spawn, RunningSimulator, SimConfig, SimVendor};

/// A fixed start so timestamps are identical across runs.
pub fn start() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().expect("valid time")
}

pub fn config(vendor: SimVendor, devices: u64, alerts: u64) -> SimConfig {
    SimConfig::new(vendor)
        .devices(devices)
        .alerts(alerts)
        .start_time(start())
}

pub async fn sim(vendor: SimVendor, devices: u64, alerts: u64) -> RunningSimulator {
    spawn(config(vendor, devices, alerts))
        .await
        .expect("simulator starts")
}

pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// A response read as JSON (Null when the body is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// SentinelOne: GET `path` under `/web/api/v2.1` with the primary API token.
pub async fn s1(sim: &RunningSimulator, path: &str, query: &[(&str, &str)]) -> Reply {
    let creds = sim.credentials();
    s1_with(sim, str_of(&creds, "api_token"), path, query).await
}

pub async fn s1_with(
    sim: &RunningSimulator,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Reply {
    let url = format!("{}/web/api/v2.1{path}", sim.base_url());
    read(
        client()
            .get(url)
            .header("Authorization", format!("ApiToken {token}"))
            .query(query)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Every SentinelOne record of `path` following cursors with `query` (plus `limit`).
pub async fn s1_all(
    sim: &RunningSimulator,
    path: &str,
    query: &[(&str, &str)],
    limit: usize,
) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let limit = limit.to_string();
        let mut q: Vec<(&str, &str)> = query.to_vec();
        q.push(("limit", &limit));
        if let Some(c) = &cursor {
            q.push(("cursor", c));
        }
        let r = s1(sim, path, &q).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        out.extend(r.body["data"].as_array().expect("data").iter().cloned());
        match r.body["pagination"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (out, pages),
        }
    }
}

/// CrowdStrike: a bearer token for `creds`.
pub async fn cs_token(sim: &RunningSimulator, creds: &Value) -> String {
    let r = read(
        client()
            .post(format!("{}/oauth2/token", sim.base_url()))
            .form(&[
                ("client_id", str_of(creds, "client_id")),
                ("client_secret", str_of(creds, "client_secret")),
            ])
            .send()
            .await
            .expect("token request"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    str_of(&r.body, "access_token").to_owned()
}

pub async fn cs_get(
    sim: &RunningSimulator,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Reply {
    read(
        client()
            .get(format!("{}{path}", sim.base_url()))
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .expect("request"),
    )
    .await
}

pub async fn cs_post(sim: &RunningSimulator, token: &str, path: &str, body: &Value) -> Reply {
    read(
        client()
            .post(format!("{}{path}", sim.base_url()))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Defender: a bearer token for `creds` (v2.0 endpoint).
pub async fn mde_token(creds: &Value) -> String {
    let r = mde_token_reply(creds, str_of(creds, "client_secret")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    str_of(&r.body, "access_token").to_owned()
}

pub async fn mde_token_reply(creds: &Value, secret: &str) -> Reply {
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        str_of(creds, "login_base_url"),
        str_of(creds, "tenant_id")
    );
    read(
        client()
            .post(url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", str_of(creds, "client_id")),
                ("client_secret", secret),
                ("scope", "https://api.securitycenter.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("token request"),
    )
    .await
}

pub async fn mde_get(token: &str, url: &str) -> Reply {
    read(
        client()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Every Defender record of `url`, following `@odata.nextLink`.
pub async fn mde_all(token: &str, url: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut next = Some(url.to_owned());
    let mut pages = 0;
    while let Some(u) = next {
        let r = mde_get(token, &u).await;
        assert_eq!(r.status, 200, "{}", r.body);
        pages += 1;
        out.extend(r.body["value"].as_array().expect("value").iter().cloned());
        next = r.body["@odata.nextLink"].as_str().map(str::to_owned);
    }
    (out, pages)
}

/// The string values at `key` of `records`.
pub fn strings(records: &[Value], key: &str) -> Vec<String> {
    records
        .iter()
        .map(|r| {
            key.split('.')
                .try_fold(r, |v, k| v.get(k))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{key} missing"))
                .to_owned()
        })
        .collect()
}

/// A JSON array of strings.
pub fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}
