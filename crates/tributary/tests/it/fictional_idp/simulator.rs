//! A minimal Acme Directory on loopback: users, groups with members, apps with assigned
//! users and groups, and policies with targets; `cursor` paging (3 per page), a `since`
//! filter on users (deleted users then come back as `removed` entries), bearer keys, and
//! a switch that fails a listing part-way (503).

use std::sync::{Arc, Mutex};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

pub const KEY: &str = "acme-directory-key";
const PAGE: usize = 3;

/// The directory's records, open to the tests' edits.
#[derive(Default)]
pub struct Data {
    clock: i64,
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    pub apps: Vec<Value>,
    pub policies: Vec<Value>,
    /// Answer 503 for this endpoint's pages from this record index on.
    pub fail: Option<(&'static str, usize)>,
}

impl Data {
    /// Times step by one second from a fixed start, so every change's time is distinct.
    pub fn tick(&mut self) -> String {
        self.clock += 1;
        let t: DateTime<Utc> = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + Duration::seconds(self.clock);
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// The record `id` of `list`.
    pub fn find<'a>(list: &'a mut [Value], id: &str) -> &'a mut Value {
        list.iter_mut()
            .find(|r| r["id"] == id)
            .expect("a record of the simulator")
    }

    fn seed(&mut self, users: usize, groups: usize, apps: usize, policies: usize) {
        for i in 0..users {
            let t = self.tick();
            self.users.push(json!({
                "id": format!("u{i}"), "login": format!("user{i}@acme.test"),
                "email": format!("user{i}@acme.test"), "first": format!("First{i}"),
                "last": format!("Last{i}"), "display": format!("First{i} Last{i}"),
                "status": (["active", "locked", "staged", "deactivated"][i % 4]),
                "title": "Engineer", "department": (["R&D", "Sales"][i % 2]),
                "manager": (i > 0).then_some("user0@acme.test"), "admin": i == 0,
                "mfa": i % 3 != 0, "created": t,
                "last_login": (i % 2 == 0).then(|| t.clone()), "updated": t,
                "employee_number": format!("E{i}"),
            }));
        }
        for i in 0..groups {
            let t = self.tick();
            // u0 is in every group; the others in one each.
            let members: Vec<String> = (0..users)
                .filter(|j| *j == 0 || j % groups == i)
                .map(|j| format!("u{j}"))
                .collect();
            self.groups.push(json!({
                "id": format!("g{i}"), "name": format!("Group {i}"),
                "description": format!("The {i} team"), "kind": (["native", "imported", "builtin"][i % 3]),
                "created": t, "updated": t, "membership_updated": t, "members": members,
            }));
        }
        for i in 0..apps {
            let t = self.tick();
            self.apps.push(json!({
                "id": format!("a{i}"), "name": format!("App {i}"), "key": format!("app_{i}"),
                "version": format!("1.{i}"), "status": if i % 2 == 0 { "on" } else { "off" },
                "sign_on": "SAML_2_0", "created": t, "updated": t,
                "users": [format!("u{}", i + 1)],
                "groups": [format!("g{i}"), format!("g{}", (i + 1) % groups)],
            }));
        }
        for i in 0..policies {
            let t = self.tick();
            self.policies.push(json!({
                "id": format!("p{i}"), "name": format!("Policy {i}"),
                "description": "Who signs in how", "type": (["sign_on", "password"][i % 2]),
                "status": "on", "priority": i + 1, "created": t, "updated": t,
                "targets": {"groups": ["g0"], "apps": [format!("a{i}")], "users": ["u1"]},
            }));
        }
    }
}

/// A running simulator.
pub struct Directory {
    pub url: String,
    data: Arc<Mutex<Data>>,
}

type Shared = State<Arc<Mutex<Data>>>;

impl Directory {
    pub async fn start(users: usize, groups: usize, apps: usize, policies: usize) -> Directory {
        let mut data = Data::default();
        data.seed(users, groups, apps, policies);
        let data = Arc::new(Mutex::new(data));
        let app = Router::new()
            .route(
                "/api/users",
                get(|s: Shared, h: HeaderMap, q| list(s, h, q, "/api/users")),
            )
            .route(
                "/api/groups",
                get(|s: Shared, h: HeaderMap, q| list(s, h, q, "/api/groups")),
            )
            .route(
                "/api/apps",
                get(|s: Shared, h: HeaderMap, q| list(s, h, q, "/api/apps")),
            )
            .route(
                "/api/policies",
                get(|s: Shared, h: HeaderMap, q| list(s, h, q, "/api/policies")),
            )
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Directory { url, data }
    }

    /// Changes the directory (records, failures) between syncs.
    pub fn edit(&self, f: impl FnOnce(&mut Data)) {
        f(&mut self.data.lock().unwrap());
    }

    /// A copy of one record as the directory has it now.
    pub fn record(&self, list: &str, id: &str) -> Value {
        let mut d = self.data.lock().unwrap();
        let records = match list {
            "users" => &mut d.users,
            "groups" => &mut d.groups,
            "apps" => &mut d.apps,
            _ => &mut d.policies,
        };
        Data::find(records, id).clone()
    }

    pub fn credentials(&self) -> Value {
        json!({"base_url": self.url, "api_key": KEY})
    }
}

async fn list(
    State(data): Shared,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
    endpoint: &'static str,
) -> Response {
    let key = headers.get("authorization").and_then(|v| v.to_str().ok());
    if key != Some(&format!("Bearer {KEY}")) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let data = data.lock().unwrap();
    let records = match endpoint {
        "/api/users" => &data.users,
        "/api/groups" => &data.groups,
        "/api/apps" => &data.apps,
        _ => &data.policies,
    };
    let time = |s: &str| s.parse::<DateTime<Utc>>().ok();
    let since = param("since").and_then(|s| time(&s));
    // A whole list omits deleted users; changes since a time include them, as `removed`.
    let mut selected: Vec<&Value> = records
        .iter()
        .filter(|r| match since {
            None => r["removed"] != true,
            Some(s) => time(r["updated"].as_str().unwrap_or_default()) >= Some(s),
        })
        .collect();
    selected.sort_by_key(|r| r["updated"].as_str().unwrap_or_default().to_owned());
    let start: usize = param("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    if matches!(data.fail, Some((e, from)) if e == endpoint && start >= from) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "try later"})),
        )
            .into_response();
    }
    let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(PAGE);
    let end = (start + limit).min(selected.len());
    let next = (end < selected.len()).then(|| end.to_string());
    Json(json!({"items": selected[start.min(end)..end], "next": next})).into_response()
}
