//! CrowdStrike Falcon: OAuth2 client credentials (`POST /oauth2/token` → 201), bearer
//! tokens, the hosts and alerts query/entity endpoints, the `{meta, resources, errors}`
//! envelope and `X-RateLimit-*` headers on every response.

mod alerts;
mod data;
mod devices;
mod ids;

use std::sync::Arc;

use axum::{
    http::Method,
    response::Response,
    routing::{get, post},
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::Secret,
    dataset::RecordRef,
    edr::collections::{ALERTS, DEVICES},
    faults::Decision,
    sim::{Render, Sim, VendorApi, VendorSpec},
    vendors::falcon::{auth, gateway},
};

use data::{render_alert, render_device};
use ids::{alert_composite_id, device_aid};

const SPEC: VendorSpec = VendorSpec {
    name: "crowdstrike",
    title: "CrowdStrike Falcon",
    endpoints: &["token", "devices", "alerts"],
    collections: data::COLLECTIONS,
    faults: &[],
};

/// The CrowdStrike simulator.
pub struct CrowdStrike;

impl VendorApi for CrowdStrike {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        if auth::is_token_path(path) {
            return Some("token");
        }
        match path.trim_end_matches('/') {
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
        auth::routes()
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
        gateway::new_secret(seed, label)
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        gateway::credentials_json(sim, secret)
    }

    fn error(&self, _sim: &Sim, endpoint: Option<&str>, status: u16, _retry: u64) -> Response {
        gateway::error(endpoint, status)
    }

    fn decorate(
        &self,
        sim: &Sim,
        _endpoint: Option<&str>,
        decision: &Decision,
        resp: &mut Response,
    ) {
        gateway::decorate(sim, decision, resp)
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
