//! SentinelOne Management API v2.1: `Authorization: ApiToken <token>`,
//! `GET /web/api/v2.1/agents` and `/threats` with cursor paging, and errors shaped
//! `{"errors": [{"code", "detail", "title"}]}`.

mod agents;
mod errors;
mod list;
mod threats;
mod tokens;

use std::sync::Arc;

use axum::{
    http::{request::Parts, Method},
    response::Response,
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::{label_key, Secret},
    dataset::RecordRef,
    edr::collections::{alerts_spec, devices_spec, ALERTS, DEVICES},
    fake::{Rng, ALNUM},
    identity::{authorization, mask, Identity},
    sim::{Render, Sim, VendorApi, VendorSpec},
    world::stream,
};

use agents::{agent_id, Tenant};
use errors::error;
use threats::threat_id;

const SPEC: VendorSpec = VendorSpec {
    name: "sentinelone",
    title: "SentinelOne Management API v2.1",
    endpoints: &["agents", "threats", "api_token_details"],
    // Microsecond timestamps on agents and threats.
    collections: &[devices_spec(1_000), alerts_spec(1_000)],
    faults: &[],
};

const API_ROOT: &str = "/web/api/v2.1";

/// The SentinelOne simulator.
pub struct SentinelOne;

impl VendorApi for SentinelOne {
    fn spec(&self) -> &'static VendorSpec {
        &SPEC
    }

    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        match path.strip_prefix(API_ROOT)?.trim_end_matches('/') {
            "/agents" => Some("agents"),
            "/threats" => Some("threats"),
            "/users/api-token-details" => Some("api_token_details"),
            _ => None,
        }
    }

    fn router(&self) -> Router<Arc<Sim>> {
        Router::new()
            .route("/web/api/v2.1/agents", get(list::agents))
            .route("/web/api/v2.1/threats", get(list::threats))
            .route(
                "/web/api/v2.1/users/api-token-details",
                axum::routing::post(tokens::details),
            )
    }

    fn new_secret(&self, seed: u64, label: &str) -> Secret {
        let mut r = Rng::for_record(seed, stream::CREDENTIAL, label_key(label));
        Secret::ApiToken(r.chars(80, ALNUM))
    }

    fn credentials_json(&self, sim: &Sim, secret: &Secret) -> Value {
        let token = match secret {
            Secret::ApiToken(t) => t.clone(),
            Secret::Client { client_secret, .. } => client_secret.clone(),
        };
        json!({"base_url": sim.base_url, "api_token": token})
    }

    fn identify(&self, sim: &Sim, parts: &Parts, _body: &[u8]) -> Identity {
        let Some((scheme, token)) = authorization(parts) else {
            return Identity::default();
        };
        let credential = scheme
            .eq_ignore_ascii_case("ApiToken")
            .then(|| sim.creds.identify(&token))
            .flatten();
        Identity {
            credential,
            auth: Some(mask(&scheme, &token)),
            form: None,
        }
    }

    fn authorized(&self, sim: &Sim, parts: &Parts) -> bool {
        match authorization(parts) {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("ApiToken") => sim
                .creds
                .check_api_token(&token, std::time::Instant::now())
                .is_ok(),
            _ => false,
        }
    }

    fn error(&self, _sim: &Sim, _endpoint: Option<&str>, status: u16, _retry: u64) -> Response {
        let title = match status {
            400 => "Validation Error",
            401 => "Authentication Failed",
            403 => "Insufficient permissions",
            404 => "Resource not found",
            413 => "Request Entity Too Large",
            429 => "Too Many Requests",
            500 => "Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Error",
        };
        error(status, title, None)
    }

    fn records_key(&self, _endpoint: &str) -> Option<&'static str> {
        Some("data")
    }

    fn id_key(&self, _endpoint: &str) -> &'static str {
        "id"
    }

    fn unknown_enum(&self, endpoint: &str, record: &mut Value) {
        match endpoint {
            "agents" => agents::unknown_enum(record),
            _ => threats::unknown_enum(record),
        }
    }

    fn record_id(&self, sim: &Sim, collection: &str, index: u64) -> Option<String> {
        match collection {
            DEVICES => Some(agent_id(sim.seed(), index)),
            ALERTS => Some(threat_id(sim.seed(), index)),
            _ => None,
        }
    }

    fn renderer(&self, sim: &Arc<Sim>, collection: &str) -> Option<Render> {
        let (sim, tenant) = (sim.clone(), Tenant::new(sim.seed()));
        match collection {
            DEVICES => Some(Arc::new(move |r: &RecordRef| {
                agents::render(&sim.world, &tenant, r)
            })),
            ALERTS => Some(Arc::new(move |r: &RecordRef| {
                threats::render(&sim.world, &tenant, r)
            })),
            _ => None,
        }
    }
}
