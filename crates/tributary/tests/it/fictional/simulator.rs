//! A minimal Acme Sentry API on loopback: hosts and detections sorted by update time,
//! `updated_since` and `cursor` paging (25 per page), bearer keys, and a key that may
//! read hosts but not detections (403).

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

/// The key that may read everything.
pub const KEY: &str = "acme-key";
/// A key without the detections:read scope.
pub const HOSTS_ONLY_KEY: &str = "acme-hosts-only";
const PAGE: usize = 25;

#[derive(Default)]
struct Data {
    hosts: Vec<Value>,
    detections: Vec<Value>,
    clock: i64,
}

impl Data {
    /// Times step by one second from a fixed start, so every record's time is distinct.
    fn tick(&mut self) -> String {
        self.clock += 1;
        let t: DateTime<Utc> = "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
            + Duration::seconds(self.clock);
        t.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    fn add_host(&mut self) {
        let n = self.hosts.len();
        let updated = self.tick();
        let os = ["windows", "linux", "mac"][n % 3];
        self.hosts
            .push(json!({"id": format!("h-{n}"), "name": format!("acme-{n}"),
            "os": os, "ip": format!("10.0.{}.{}", n / 250, n % 250 + 1), "updated": updated}));
    }

    fn add_detection(&mut self) {
        let n = self.detections.len();
        let updated = self.tick();
        let host = format!("h-{}", n % self.hosts.len().max(1));
        self.detections
            .push(json!({"id": format!("d-{n}"), "host_id": host,
            "title": format!("Suspicious thing #{n}"), "severity": n % 5,
            "state": if n.is_multiple_of(4) { "closed" } else { "open" }, "updated": updated}));
    }
}

/// A running simulator.
pub struct Acme {
    pub url: String,
    data: Arc<Mutex<Data>>,
}

impl Acme {
    pub async fn start(hosts: usize, detections: usize) -> Acme {
        let mut data = Data::default();
        (0..hosts).for_each(|_| data.add_host());
        (0..detections).for_each(|_| data.add_detection());
        let data = Arc::new(Mutex::new(data));
        let app = Router::new()
            .route("/api/v1/hosts", get(hosts_page))
            .route("/api/v1/detections", get(detections_page))
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Acme { url, data }
    }

    /// New hosts and detections, and `touched` existing hosts updated now.
    pub fn advance(&self, hosts: usize, detections: usize, touched: usize) {
        let mut data = self.data.lock().unwrap();
        for i in 0..touched {
            let updated = data.tick();
            data.hosts[i]["updated"] = json!(updated);
        }
        (0..hosts).for_each(|_| data.add_host());
        (0..detections).for_each(|_| data.add_detection());
    }

    pub fn credentials(&self, key: &str) -> Value {
        json!({"base_url": self.url, "api_key": key})
    }
}

type Shared = State<Arc<Mutex<Data>>>;

fn page(
    records: &[Value],
    headers: &HeaderMap,
    query: &[(String, String)],
    readable: bool,
) -> Response {
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match key {
        Some(KEY) => {}
        Some(HOSTS_ONLY_KEY) if readable => {}
        Some(HOSTS_ONLY_KEY) => {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"error": "missing scope"})),
            )
                .into_response()
        }
        _ => return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response(),
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let time = |s: &str| s.parse::<DateTime<Utc>>().ok();
    let since = param("updated_since").and_then(|s| time(&s));
    let mut sorted: Vec<&Value> = records
        .iter()
        .filter(|r| since.is_none() || time(r["updated"].as_str().unwrap_or_default()) >= since)
        .collect();
    sorted.sort_by_key(|r| r["updated"].as_str().unwrap_or_default().to_owned());
    let start: usize = param("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(PAGE);
    let end = (start + limit).min(sorted.len());
    let next = (end < sorted.len()).then(|| end.to_string());
    Json(json!({"items": sorted[start.min(end)..end], "next": next})).into_response()
}

async fn hosts_page(
    State(data): Shared,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    page(&data.lock().unwrap().hosts, &headers, &q, true)
}

async fn detections_page(
    State(data): Shared,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    page(&data.lock().unwrap().detections, &headers, &q, false)
}
