//! The identity simulators at scale: every user, every group and every group's members
//! of a 100,000-user, 5,000-group directory over loopback HTTP, as a connector pages them
//! (Okta by `Link` headers, Graph by `@odata.nextLink`), with resident memory along the
//! way. `BENCH_USERS`, `BENCH_GROUPS` and `BENCH_MEMBERSHIPS` change the sizes.

use std::time::{Duration, Instant};

use serde_json::Value;
use tributary_simulators::{spawn, RunningSimulator, SimConfig, SimVendor};

use super::proc_kib;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One directory walk: requests, records per kind, elapsed, RSS (MiB) after the users.
#[derive(Default)]
struct Walk {
    requests: u64,
    users: u64,
    groups: u64,
    members: u64,
    rss_after_users: u64,
}

struct Api {
    client: reqwest::Client,
    auth: String,
}

impl Api {
    /// Pages from `url` on (Okta's `Link: <…>; rel="next"` or Graph's nextLink), handing
    /// each record to `each` and keeping none: the client holds one page at a time.
    async fn each(&self, url: String, walk: &mut Walk, mut each: impl FnMut(&Value)) -> u64 {
        let mut count = 0;
        let mut next = Some(url);
        while let Some(u) = next.take() {
            let resp = self
                .client
                .get(&u)
                .header("Authorization", &self.auth)
                .send()
                .await
                .expect("page");
            assert!(resp.status().is_success(), "{u}: {}", resp.status());
            next = resp
                .headers()
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
                });
            let body: Value = resp.json().await.expect("json");
            walk.requests += 1;
            let records = match &body {
                Value::Array(items) => items,
                page => {
                    next = page["@odata.nextLink"].as_str().map(str::to_owned).or(next);
                    page["value"].as_array().expect("value")
                }
            };
            count += records.len() as u64;
            records.iter().for_each(&mut each);
        }
        count
    }
}

async fn graph_token(sim: &RunningSimulator, client: &reqwest::Client) -> String {
    let c = sim.credentials();
    let s = |k: &str| c[k].as_str().expect("credential").to_owned();
    let body: Value = client
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            s("login_base_url"),
            s("tenant_id")
        ))
        .form(&[
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", s("client_id")),
            ("client_secret", s("client_secret")),
            ("scope", "https://graph.microsoft.com/.default".to_owned()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

async fn walk(vendor: SimVendor, sim: &RunningSimulator) -> Walk {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let base = sim.base_url();
    let okta = vendor == SimVendor::OktaIdp;
    let auth = if okta {
        format!(
            "SSWS {}",
            sim.credentials()["api_token"].as_str().expect("token")
        )
    } else {
        format!("Bearer {}", graph_token(sim, &client).await)
    };
    let api = Api { client, auth };
    let mut w = Walk::default();
    let (users_url, groups_url) = match okta {
        true => (
            format!("{base}/api/v1/users?limit=200"),
            format!("{base}/api/v1/groups?limit=200"),
        ),
        false => (
            format!("{base}/v1.0/users?$top=999"),
            format!("{base}/v1.0/groups?$top=999"),
        ),
    };
    w.users = api.each(users_url, &mut w, |_| {}).await;
    w.rss_after_users = proc_kib("VmRSS:") / 1024;
    let mut groups = Vec::new();
    let id_of = |g: &Value| g["id"].as_str().expect("group id").to_owned();
    w.groups = api
        .each(groups_url, &mut w, |g| groups.push(id_of(g)))
        .await;
    for id in &groups {
        let url = match okta {
            true => format!("{base}/api/v1/groups/{id}/users?limit=1000"),
            false => format!("{base}/v1.0/groups/{id}/members?$top=999"),
        };
        w.members += api.each(url, &mut w, |_| {}).await;
    }
    w
}

/// Walks `vendor`'s directory and prints the figures.
pub async fn bench(vendor: SimVendor) {
    let (users, groups, memberships) = (
        env("BENCH_USERS", 100_000),
        env("BENCH_GROUPS", 5_000),
        env("BENCH_MEMBERSHIPS", 500_000),
    );
    let config = SimConfig::new(vendor)
        .count("users", users)
        .count("groups", groups)
        .count("memberships", memberships)
        .seed(7);
    let rss_before = proc_kib("VmRSS:") / 1024;
    let sim = spawn(config).await.expect("simulator");
    let started = Instant::now();
    let w = walk(vendor, &sim).await;
    let elapsed = started.elapsed();
    assert_eq!(
        (w.users, w.groups, w.members),
        (users, groups, memberships),
        "every record once"
    );
    println!("{vendor}: {users} users, {groups} groups, {memberships} memberships in {} requests ({:.1} s)", w.requests, elapsed.as_secs_f64());
    println!(
        "  memory    : RSS {rss_before} MiB before, {} MiB after the users, {} MiB at the end; peak (VmHWM) {} MiB",
        w.rss_after_users,
        proc_kib("VmRSS:") / 1024,
        proc_kib("VmHWM:") / 1024
    );
    sim.shutdown().await.expect("shutdown");
}
