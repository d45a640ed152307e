//! CrowdStrike Falcon Spotlight: the Falcon gateway (OAuth2 client credentials, the
//! envelope, FQL, rate-limit headers, shared with `crowdstrike` through `falcon`) in front
//! of the vulnerabilities combined, query and entity endpoints.

mod data;
mod vulns;

use std::sync::Arc;

use axum::{http::Method, response::Response, routing::get, Router};
use serde_json::{json, Value};

use crate::{
    auth::Secret,
    dataset::RecordRef,
    fake::SEC,
    faults::Decision,
    sim::{Render, Sim, VendorApi, VendorSpec},
    vendors::falcon::{auth, gateway},
    vms::collections::{assets_spec, findings_spec, ASSETS, FINDINGS},
};

const SPEC: VendorSpec = VendorSpec {
    name: "crowdstrike_spotlight",
    title: "CrowdStrike Falcon Spotlight",
    endpoints: &["token", "vulnerabilities"],
    collections: &[assets_spec(SEC), findings_spec(SEC)],
    faults: &["after_expired", "error_in_200"],
};

/// The Spotlight simulator.
pub struct Spotlight;

impl VendorApi for Spotlight {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        if auth::is_token_path(path) {
            return Some("token");
        }
        match path.trim_end_matches('/') {
            "/spotlight/combined/vulnerabilities/v1"
            | "/spotlight/queries/vulnerabilities/v1"
            | "/spotlight/entities/vulnerabilities/v2" => Some("vulnerabilities"),
            _ => None,
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        auth::routes()
            .route(
                "/spotlight/combined/vulnerabilities/v1",
                get(vulns::combined),
            )
            .route("/spotlight/queries/vulnerabilities/v1", get(vulns::query))
            .route(
                "/spotlight/entities/vulnerabilities/v2",
                get(vulns::entities),
            )
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

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "id"
    }

    fn unknown_enum(&self, _endpoint: &str, record: &mut Value) {
        if record.is_object() {
            record["status"] = json!("in_remediation");
            record["confidence"] = json!("likely");
            if record.get("cve").is_some() {
                record["cve"]["severity"] = json!("EMERGENCY");
            }
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            ASSETS => Some(data::aid(sim.seed(), index)),
            FINDINGS => Some(data::vuln_id(&sim.world, index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let sim = sim.clone();
        match collection {
            FINDINGS => Some(Arc::new(move |r: &RecordRef| {
                data::render_vuln(&sim.world, r)
            })),
            // Spotlight shows assets inside findings (`host_info`); alone, as that block.
            ASSETS => Some(Arc::new(move |r: &RecordRef| {
                data::render_host(&sim.world, r)
            })),
            _ => None,
        }
    }
}
