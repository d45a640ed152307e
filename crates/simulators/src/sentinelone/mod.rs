//! SentinelOne Management API v2.1: `Authorization: ApiToken <token>`,
//! `GET /web/api/v2.1/agents` and `/threats` with cursor paging, and errors shaped
//! `{"errors": [{"code", "detail", "title"}]}`.

mod agents;
mod list;
mod threats;

use std::sync::Arc;

use axum::{
    http::{request::Parts, Method},
    response::Response,
    routing::get,
    Router,
};
use serde_json::{json, Value};

use crate::{
    auth::{mask, Secret},
    fake::{Rng, ALNUM},
    respond,
    sim::{Identity, Sim, VendorApi},
    world::stream,
};

pub(crate) use agents::agent_id;
pub(crate) use threats::{render as render_threat, threat_id};

/// The tenant (account, sites, groups) for `seed`.
pub(crate) fn tenant(seed: u64) -> agents::Tenant {
    agents::Tenant::new(seed)
}

/// Endpoint names for faults.
pub const ENDPOINTS: &[&str] = &["agents", "threats"];

pub const API_ROOT: &str = "/web/api/v2.1";

/// The SentinelOne simulator.
pub struct SentinelOne;

impl VendorApi for SentinelOne {
    fn endpoint(&self, _method: &Method, path: &str) -> Option<&'static str> {
        match path.strip_prefix(API_ROOT)?.trim_end_matches('/') {
            "/agents" => Some("agents"),
            "/threats" => Some("threats"),
            _ => None,
        }
    }

    fn resolution(&self) -> (i64, i64) {
        // Microsecond timestamps on agents and threats.
        (1_000, 1_000)
    }

    fn router(&self) -> Router<Arc<Sim>> {
        Router::new()
            .route("/web/api/v2.1/agents", get(list::agents))
            .route("/web/api/v2.1/threats", get(list::threats))
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

    fn device_id(&self, sim: &Sim, index: u64) -> String {
        agent_id(sim.seed(), index)
    }

    fn alert_id(&self, sim: &Sim, index: u64) -> String {
        threat_id(sim.seed(), index)
    }
}

/// A stable number per credential label.
pub(crate) fn label_key(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The `Authorization` header split into scheme and credentials.
pub(crate) fn authorization(parts: &Parts) -> Option<(String, String)> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    Some((scheme.to_owned(), token.trim().to_owned()))
}

/// SentinelOne's error body: the code is the HTTP status followed by `0010`.
pub(crate) fn error(status: u16, title: &str, detail: Option<&str>) -> Response {
    let code = u64::from(status) * 10_000 + 10;
    respond::json(
        status,
        &json!({"errors": [{"code": code, "detail": detail, "title": title}]}),
    )
}

/// A 400 naming what is wrong with the request.
pub(crate) fn bad_request(detail: &str) -> Response {
    error(400, "Validation Error", Some(detail))
}
