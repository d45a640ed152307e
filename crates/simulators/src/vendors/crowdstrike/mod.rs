//! CrowdStrike Falcon: OAuth2 client credentials (`POST /oauth2/token` → 201), bearer
//! tokens, the hosts and alerts query/entity endpoints, the `{meta, resources, errors}`
//! envelope and `X-RateLimit-*` headers on every response.

mod alerts;
mod auth;
mod data;
mod devices;
mod envelope;
mod fql;
mod ids;

use std::{sync::Arc, time::Instant};

use axum::{
    http::{HeaderValue, Method},
    response::Response,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    dataset::RecordRef,
    edr::collections::{ALERTS, DEVICES},
    fake::{Rng, ALNUM},
    faults::{Action, Decision},
    respond,
    sim::{Render, Sim, VendorApi, VendorSpec},
    world::stream,
};

use data::{render_alert, render_device};
use ids::{alert_composite_id, device_aid};

const SPEC: VendorSpec = VendorSpec {
    name: "crowdstrike",
    title: "CrowdStrike Falcon",
    endpoints: &["token", "devices", "alerts"],
    collections: data::COLLECTIONS,
};

/// Requests per minute in `X-RateLimit-Limit` (per customer, all endpoints).
const RATE_LIMIT: u32 = 6000;

/// The CrowdStrike simulator.
pub struct CrowdStrike;

impl VendorApi for CrowdStrike {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        match path.trim_end_matches('/') {
            "/oauth2/token" | "/oauth2/revoke" => Some("token"),
            "/devices/queries/devices/v1"
            | "/devices/queries/devices-scroll/v1"
            | "/devices/entities/devices/v2" => Some("devices"),
            "/alerts/queries/alerts/v2"
            | "/alerts/entities/alerts/v2"
            | "/alerts/combined/alerts/v1" => Some("alerts"),
            _ => None,
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        Router::new()
            .route("/oauth2/token", post(auth::token))
            .route("/oauth2/revoke", post(auth::revoke))
            .route("/devices/queries/devices/v1", get(devices::query))
            .route("/devices/queries/devices-scroll/v1", get(devices::scroll))
            .route(
                "/devices/entities/devices/v2",
                get(devices::entities_get).post(devices::entities_post),
            )
            .route("/alerts/queries/alerts/v2", get(alerts::query))
            .route("/alerts/entities/alerts/v2", post(alerts::entities))
            .route("/alerts/combined/alerts/v1", post(alerts::combined))
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
        Secret::Client {
            client_id: r.hex(32),
            client_secret: r.chars(40, ALNUM),
        }
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let (id, secret) = match secret {
            Secret::Client {
                client_id,
                client_secret,
            } => (client_id.clone(), client_secret.clone()),
            Secret::ApiToken(t) => (String::new(), t.clone()),
        };
        json!({"client_id": id, "client_secret": secret, "base_url": sim.base_url})
    }

    fn error(&self, _sim: &Sim, endpoint: Option<&str>, status: u16, _retry: u64) -> Response {
        let trace = uuid::Uuid::new_v4().to_string();
        let message = match status {
            400 => "Bad Request".to_owned(),
            401 => "access denied, invalid bearer token".to_owned(),
            403 => "access denied, authorization failed".to_owned(),
            404 => "Not Found".to_owned(),
            413 => "Request Entity Too Large".to_owned(),
            429 => "API rate limit exceeded.".to_owned(),
            500 => format!("Internal Server Error: Please provide trace-id='{trace}' to support"),
            502 => "Bad Gateway".to_owned(),
            503 => "Service Unavailable".to_owned(),
            _ => "Error".to_owned(),
        };
        let message = if status == 401 && endpoint == Some("token") {
            "access denied, invalid client".to_owned()
        } else {
            message
        };
        respond::json(
            status,
            &json!({
                "meta": {"query_time": 2.6e-7, "powered_by": "crowdstrike-api-gateway", "trace_id": trace},
                "errors": [{"code": status, "message": message}],
            }),
        )
    }

    fn decorate(
        &self,
        sim: &Sim,
        _endpoint: Option<&str>,
        decision: &Decision,
        resp: &mut Response,
    ) {
        let now = Instant::now();
        let (limit, remaining, reset_in) = match decision.quota {
            Some(q) => (q.limit, q.remaining, q.reset_in),
            None => {
                let (used, reset_in) = sim.rate.hit(now);
                (RATE_LIMIT, RATE_LIMIT.saturating_sub(used), reset_in)
            }
        };
        let headers = resp.headers_mut();
        headers.insert("X-RateLimit-Limit", HeaderValue::from(limit));
        let remaining = if resp.status() == 429 { 0 } else { remaining };
        resp.headers_mut()
            .insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
        if resp.status() == 429 {
            // Epoch seconds at which to retry, not a delay.
            let wait = match decision.action {
                Some(Action::Status {
                    retry_after_secs, ..
                }) => retry_after_secs,
                _ => reset_in.as_secs().max(1),
            };
            let at = sim.world.clock.now_ns() / 1_000_000_000 + wait as i64;
            resp.headers_mut()
                .insert("X-RateLimit-RetryAfter", HeaderValue::from(at));
        }
    }

    fn records_key(&self, _endpoint: &str) -> Option<&'static str> {
        Some("resources")
    }

    fn id_key(&self, endpoint: &str) -> &'static str {
        if endpoint == "alerts" {
            "composite_id"
        } else {
            "device_id"
        }
    }

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        if !record.is_object() {
            // Query endpoints list ids: there is no enum to change.
            return;
        }
        match endpoint {
            "alerts" => {
                record["status"] = json!("escalated");
                record["severity_name"] = json!("Severe");
                record["product"] = json!("aidr");
                record["type"] = json!("iot-anomaly");
            }
            _ => {
                record["status"] = json!("isolation_pending");
                record["platform_name"] = json!("ChromeOS");
                record["reduced_functionality_mode"] = json!("partial");
                record["product_type_desc"] = json!("Appliance");
            }
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            DEVICES => Some(device_aid(sim.seed(), index)),
            ALERTS => Some(alert_composite_id(&sim.world, index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        match collection {
            DEVICES => Some(Arc::new(move |r: &RecordRef| render_device(&sim.world, r))),
            ALERTS => Some(Arc::new(move |r: &RecordRef| render_alert(&sim.world, r))),
            _ => None,
        }
    }
}
