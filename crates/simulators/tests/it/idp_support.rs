//! Helpers for the identity simulators' tests: spawning with sizes, Okta requests with
//! `SSWS` and `Link` paging, Graph tokens and `@odata.nextLink` paging.

use std::collections::BTreeMap;

use serde_json::Value;
use tributary_simulators::{spawn, Change, RunningSimulator, SimConfig, SimVendor};

use crate::support::{client, read, start, Reply};

/// A simulator of `vendor` with `users`, `groups` and `memberships` at a fixed start.
pub async fn idp_sim(
    vendor: SimVendor,
    users: u64,
    groups: u64,
    memberships: u64,
) -> RunningSimulator {
    spawn(idp_config(vendor, users, groups, memberships))
        .await
        .expect("simulator starts")
}

pub fn idp_config(vendor: SimVendor, users: u64, groups: u64, memberships: u64) -> SimConfig {
    SimConfig::new(vendor)
        .count("users", users)
        .count("groups", groups)
        .count("memberships", memberships)
        .start_time(start())
}

/// Changes to one collection by name.
pub fn change(name: &str, new: u64, updated: u64, deleted: u64) -> BTreeMap<String, Change> {
    BTreeMap::from([(
        name.to_owned(),
        Change {
            new,
            updated,
            deleted,
        },
    )])
}

/// Okta: GET `path_and_query` (relative to the org, or an absolute URL) with `token`.
pub async fn okta_with(sim: &RunningSimulator, token: &str, url: &str) -> Reply {
    let url = absolute(sim, url);
    read(
        client()
            .get(url)
            .header("Authorization", format!("SSWS {token}"))
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Okta with the primary token.
pub async fn okta(sim: &RunningSimulator, url: &str) -> Reply {
    let token = sim.credentials()["api_token"]
        .as_str()
        .expect("token")
        .to_owned();
    okta_with(sim, &token, url).await
}

/// The `rel="next"` URL of an Okta response's `Link` headers.
pub fn next_link(r: &Reply) -> Option<String> {
    r.headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with("rel=\"next\""))
        .map(|v| {
            v.trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_owned()
        })
}

/// Every record of an Okta list, following `Link` headers: (records, pages).
pub async fn okta_all(sim: &RunningSimulator, first: &str) -> (Vec<Value>, usize) {
    let mut out = Vec::new();
    let mut url = Some(first.to_owned());
    let mut pages = 0;
    while let Some(u) = url {
        let r = okta(sim, &u).await;
        assert_eq!(r.status, 200, "{u}: {}", r.body);
        assert!(r.body.is_array(), "a bare array");
        pages += 1;
        out.extend(r.body.as_array().unwrap().iter().cloned());
        url = next_link(&r);
    }
    (out, pages)
}

/// Graph: the token endpoint's answer for `creds` asking for `scope`.
pub async fn graph_token_reply(creds: &Value, scope: &str) -> Reply {
    let field = |k: &str| creds[k].as_str().expect("credential field").to_owned();
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        field("login_base_url"),
        field("tenant_id")
    );
    let form = [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", field("client_id")),
        ("client_secret", field("client_secret")),
        ("scope", scope.to_owned()),
    ];
    read(
        client()
            .post(url)
            .form(&form)
            .send()
            .await
            .expect("token request"),
    )
    .await
}

/// Graph: a token for `creds`.
pub async fn graph_token(creds: &Value) -> String {
    let r = graph_token_reply(creds, "https://graph.microsoft.com/.default").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["access_token"].as_str().unwrap().to_owned()
}

/// `url` itself when absolute, else under the simulator's base URL.
fn absolute(sim: &RunningSimulator, url: &str) -> String {
    if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", sim.base_url())
    }
}

/// Graph: GET `url` (absolute, or a path under the Graph base URL) with `token`.
pub async fn graph(sim: &RunningSimulator, token: &str, url: &str) -> Reply {
    let url = absolute(sim, url);
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

/// Every record of a Graph list, following `@odata.nextLink`: (records, pages, last body).
pub async fn graph_all(
    sim: &RunningSimulator,
    token: &str,
    first: &str,
) -> (Vec<Value>, usize, Value) {
    let mut out = Vec::new();
    let mut url = first.to_owned();
    let mut pages = 0;
    loop {
        let r = graph(sim, token, &url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        pages += 1;
        out.extend(r.body["value"].as_array().expect("value").iter().cloned());
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_owned(),
            None => return (out, pages, r.body),
        }
    }
}
